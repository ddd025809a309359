"""Parameter sweeps: one scenario run over a grid of overrides and seeds.

``cindersim sweep FILE --set KEY=V1,V2 [--set ...] --seeds A..B --jobs N``
runs every combination of the ``--set`` values (a cartesian product, first key
outermost) with every seed, in a local process pool, and writes
``results.csv``, ``results.json`` and a comparison chart.  ``docs/sweeps.md``
is the user's guide, with the cluster hand-off.

The design rule: **a run is a pure function of (scenario file, overrides,
seed)**.  :func:`run_one` takes exactly those and returns a row of JSON
values; the simulator is deterministic, so the row is the same in this
process, in a pool worker or on another machine, and the table (sorted by
run index, never by completion order) is the same bytes whatever ``--jobs``
is.  The pieces a cluster engine needs are small: :meth:`Sweep.build` (or
``--plan``) lists the runs, :func:`run_one` (or ``--only I``) runs one, and
:func:`~cindersim.sweep.table.collect` (``--collect DIR``) merges the rows.

Python API::

    from cindersim.sweep import Sweep, SweepTable, parse_set, run_one, run_sweep

    sweep = Sweep.build("scenarios/sweep-example.toml",
                        [parse_set("fleet.max_over_subscription_ratio=1.0,4.0")],
                        seeds=range(1, 5))
    table = SweepTable.of(sweep, run_sweep(sweep.runs, jobs=2))
    table.write("out/")                       # results.csv, results.json
    # or run each anywhere, in any order: the same table
    rows = [r.row(run_one(r.scenario, r.overrides, r.seed)) for r in sweep.runs]
    assert SweepTable.of(sweep, rows).to_csv() == table.to_csv()
"""

from __future__ import annotations

from .chart import aggregate, choose_metric, write_chart
from .grid import Sweep, SweepRun, parse_indices, parse_seeds, parse_set, parse_value, split_values
from .pool import default_jobs, pool_context, run_sweep
from .runner import STATUSES, run_one
from .table import SweepTable, collect

__all__ = [
    "STATUSES",
    "Sweep",
    "SweepRun",
    "SweepTable",
    "aggregate",
    "choose_metric",
    "collect",
    "default_jobs",
    "parse_indices",
    "parse_seeds",
    "parse_set",
    "parse_value",
    "pool_context",
    "run_one",
    "run_sweep",
    "split_values",
    "write_chart",
]
