"""``cindersim sweep``: arguments and the run.

::

    cindersim sweep FILE [--set KEY=V1,V2,...]... [--seeds A..B] [--jobs N] [--out DIR]
                         [--metric NAME] [--no-chart] [--quiet]
    cindersim sweep FILE ... --plan             # the runs as JSON lines; nothing runs
    cindersim sweep FILE ... --only I[,J|A..B]  # those runs; a row file each in --out
    cindersim sweep --collect DIR... [--out DIR] [--metric NAME]

Exit status: 0 when every run finished and every expectation held; 1 when a
run raised, an expectation failed, or (``--collect``) runs are missing; 2 for
bad usage or a grid point the scenario loader refuses (``FILE:LINE: message``,
all before any run starts).  Progress and verdicts go to stderr: on a terminal
one redrawn bar (virtual time reached of the runs' durations, events/s, ETA; see
:mod:`cindersim.progress`), otherwise one line per finished run with its wall
seconds (a log, as a batch job's output wants); stdout carries only ``--plan``.
A missing plotting extra costs the chart, never the table or the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from ..progress import TerminalProgress
from ..render.charts import PlotUnavailable, require_pyplot
from ..scenario import ScenarioError
from .chart import choose_metric, write_chart
from .engines import ENGINES, EngineMissing, run_on_dask, run_on_ray
from .grid import Sweep, SweepRun, parse_indices, parse_seeds, parse_set
from .pool import Progress, default_jobs, run_sweep
from .table import SweepTable, collect, write_row_file

__all__ = ["add_arguments", "main", "run"]

CHART = "comparison.png"


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if n < 1:
        raise argparse.ArgumentTypeError("jobs must be >= 1")
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``sweep``'s options to *parser* (the CLI's subparser, or a standalone one)."""
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="the scenario file (.toml; a .py scenario sweeps seeds only)")
    parser.add_argument("--set", dest="sets", action="append", default=[],
                        metavar="KEY=V1,V2,...",
                        help="a dotted key of the scenario and the values to try (TOML "
                             "literals, else strings; commas inside quotes or brackets do "
                             "not split).  Repeat for more keys: the grid is every "
                             "combination, first --set outermost")
    parser.add_argument("--seeds", metavar="A..B",
                        help="seeds per grid point: A..B (inclusive), N or N1,N2,... "
                             "(default: the scenario's own seed)")
    parser.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="worker processes (default: every core); 1 runs in this "
                             "process.  The results do not depend on it")
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="where the runs go: the local process pool (default), a Dask "
                             "cluster or a Ray cluster (extras cindersim[dask] / "
                             "cindersim[ray]).  The results do not depend on it")
    parser.add_argument("--address", metavar="ADDR", default=None,
                        help="with --engine dask|ray: the scheduler (tcp://host:8786) or "
                             "cluster (ray://host:10001, auto) to use; default a local "
                             "cluster of --jobs workers")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="output directory (default sweep-<scenario name>; with "
                             "--collect, the first DIR)")
    parser.add_argument("--metric", metavar="NAME", default=None,
                        help="the column the comparison chart shows (default "
                             "volume.create.p95 when present, else the first summary "
                             "column)")
    parser.add_argument("--no-chart", action="store_true", help="write the tables only")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true",
                      help="print the runs as JSON lines (index, scenario, overrides, "
                           "seed) and run nothing: what a cluster scheduler needs")
    mode.add_argument("--only", metavar="I", default=None,
                      help="run only these run indices (I, I,J or A..B, as --plan numbers "
                           "them) and write each one's row-NNNNNN.json into --out, for "
                           "--collect to merge")
    mode.add_argument("--collect", nargs="+", metavar="DIR", default=None,
                      help="merge the row files of --only runs (directories or files) "
                           "into results.csv, results.json and the chart")


def _fail(err: IO[str], message: str) -> int:
    err.write(f"cindersim sweep: {message}\n")
    return 2


def _build(args: argparse.Namespace, err: IO[str]) -> Sweep | int:
    try:
        sets = [parse_set(s) for s in args.sets]
        seeds = parse_seeds(args.seeds) if args.seeds is not None else None
        return Sweep.build(args.file, sets, seeds)
    except ValueError as exc:
        return _fail(err, str(exc))
    except ScenarioError as exc:
        err.write(f"{exc}\n")
        return 2


def _progress(err: IO[str], sweep: Sweep | None = None, runs: Sequence[SweepRun] = (),
              ) -> tuple[Progress, TerminalProgress | None]:
    """The per-run callback and, on a terminal with a workload to measure, the bar that
    can also follow a run in this process (``--jobs 1``)."""
    if err.isatty():
        return _bar(err, sweep, runs)

    def progress(done: int, total: int, run: SweepRun, row: dict[str, Any],
                 seconds: float, events: int) -> None:
        status = row["status"]
        if status == "failed":
            status += f" ({row['failed_expectations']} expectation(s))"
        elif status == "error":
            status += f" ({row['error']})"
        err.write(f"[{done}/{total}] {run.label()}: {status} {seconds:.1f} s\n")
        err.flush()
    return progress, None


def _bar(err: IO[str], sweep: Sweep | None, runs: Sequence[SweepRun],
         ) -> tuple[Progress, TerminalProgress | None]:
    """On a terminal: one redrawn line instead of a line per run.  With a workload, the
    virtual time reached of every run's duration, events/s and the ETA
    (:mod:`cindersim.progress`); without one (steps only, no horizon), runs done."""
    horizons = [sweep.horizon(r) for r in runs] if sweep is not None else []
    if sum(horizons) <= 0:
        return _run_count_bar(err), None
    bar = TerminalProgress(err, sweep.name if sweep is not None else "")
    for h in horizons:
        bar.expect(h)
    bar.note = f"0/{len(runs)} runs"
    bar.show()

    def progress(done: int, total: int, run: SweepRun, row: dict[str, Any],
                 seconds: float, events: int) -> None:
        bar.note = f"{done}/{total} runs" + ("" if row["status"] == "ok" else
                                             f", run {run.index} {row['status']}")
        bar.run_over(sweep.horizon(run) if sweep is not None else 0.0, events)
        if done == total:
            bar.finish()
    return progress, bar


def _run_count_bar(err: IO[str]) -> Progress:
    """Runs done, their rate and the ETA (tqdm)."""
    from tqdm import tqdm  # noqa: PLC0415

    bar: Any = None

    def progress(done: int, total: int, run: SweepRun, row: dict[str, Any],
                 seconds: float, events: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, file=err, unit="run", dynamic_ncols=True)
        bar.set_postfix_str(f"{run.label()}: {row['status']}", refresh=False)
        bar.update(1)
        if done == total:
            bar.close()
    return progress


def _counts(rows: Any) -> str:
    n = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "failed", "error")}
    return f"{n['ok']} ok, {n['failed']} failed, {n['error']} error(s)"


def _status(rows: Any) -> int:
    return 0 if all(r["status"] == "ok" for r in rows) else 1


def _chart(table: SweepTable, args: argparse.Namespace, out: Path, err: IO[str]) -> str:
    """Draw the chart; what to say about it (never an exit status)."""
    if args.no_chart:
        return ""
    metric = choose_metric(table, args.metric)
    if metric is None:
        cols = ", ".join(table.numeric_columns()) or "none"
        what = f"--metric {args.metric} has no numbers" if args.metric else "nothing to plot"
        err.write(f"cindersim sweep: no chart: {what} (numeric columns: {cols})\n")
        return ""
    try:
        require_pyplot()
    except PlotUnavailable as exc:  # the plot extra is missing: the tables stand alone
        err.write(f"cindersim sweep: no chart: {exc}; the tables are written\n")
        return ""
    path = write_chart(table, metric, out / CHART)
    return f", {path} ({metric})"


def _finish(table: SweepTable, args: argparse.Namespace, out: Path, err: IO[str]) -> None:
    csv_path, json_path = table.write(out)
    chart = _chart(table, args, out, err)
    err.write(f"cindersim sweep: {len(table.rows)} run(s): {_counts(table.rows)}; wrote "
              f"{csv_path}, {json_path}{chart}\n")
    failed = [r for r in table.rows if r["status"] != "ok"]
    for r in failed[:10]:
        why = r["error"] or "; ".join(r["failures"][:2])
        err.write(f"  run {r['run']} ({r['status']}): {why}\n")
    if len(failed) > 10:
        err.write(f"  ... and {len(failed) - 10} more (see results.csv)\n")


def _collect(args: argparse.Namespace, err: IO[str]) -> int:
    if args.file is not None or args.sets or args.seeds is not None:
        return _fail(err, "--collect takes row directories only (no FILE, --set or --seeds)")
    try:
        table = collect(args.collect)
    except ValueError as exc:
        return _fail(err, str(exc))
    first = Path(args.collect[0])
    out = Path(args.out) if args.out else first if first.is_dir() else first.parent
    _finish(table, args, out, err)
    missing = table.missing()
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        err.write(f"cindersim sweep: {len(missing)} of {table.total} run(s) missing: "
                  f"{shown}\n")
        return 1
    return _status(table.rows)


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Run ``cindersim sweep`` with parsed *args*; returns the exit status."""
    stream = out if out is not None else sys.stdout
    err = sys.stderr
    if args.collect is not None:
        return _collect(args, err)
    if args.file is None:
        return _fail(err, "give a scenario FILE (or --collect DIR...)")
    built = _build(args, err)
    if isinstance(built, int):
        return built
    sweep = built
    if args.plan:
        for r in sweep.runs:
            stream.write(json.dumps(r.plan()) + "\n")
        stream.flush()
        return 0
    runs = list(sweep.runs)
    if args.only is not None:
        try:
            wanted = parse_indices(args.only, "--only")
        except ValueError as exc:
            return _fail(err, str(exc))
        bad = [i for i in wanted if i >= len(runs)]
        if bad:
            return _fail(err, f"--only {args.only}: run {bad[0]} is not in the grid (runs "
                              f"0..{len(runs) - 1}; see --plan)")
        runs = [runs[i] for i in wanted]
    directory = Path(args.out) if args.out else Path(f"sweep-{sweep.name}")
    jobs = args.jobs if args.jobs is not None else default_jobs()
    if args.address is not None and args.engine == "local":
        return _fail(err, "--address goes with --engine dask or ray")
    if not args.quiet:
        where = (f"{min(jobs, len(runs))} process(es)" if args.engine == "local"
                 else f"on {args.engine}")
        err.write(f"cindersim sweep: {len(runs)} run(s) of {sweep.scenario} "
                  f"({sweep.points} grid point(s)), {where}\n")
    progress, live = (None, None) if args.quiet else _progress(err, sweep, runs)

    def announce(line: str) -> None:
        err.write(f"cindersim sweep: {line}\n")

    try:
        rows = _run(args.engine, runs, jobs=jobs, address=args.address, progress=progress,
                    announce=None if args.quiet else announce, live=live)
    except EngineMissing as exc:
        return _fail(err, str(exc))
    finally:
        if live is not None:
            live.finish()
    table = SweepTable.of(sweep, rows)
    if args.only is not None:
        paths = [write_row_file(directory, table, row) for row in rows]
        err.write(f"cindersim sweep: {len(rows)} run(s): {_counts(rows)}; wrote "
                  f"{', '.join(map(str, paths[:3]))}{' ...' if len(paths) > 3 else ''}\n")
        return _status(rows)
    _finish(table, args, directory, err)
    return _status(rows)


def _run(engine: str, runs: list[SweepRun], *, jobs: int, address: str | None,
         progress: Progress | None, announce: Callable[[str], None] | None,
         live: TerminalProgress | None = None) -> list[dict[str, Any]]:
    if engine == "dask":
        return run_on_dask(runs, address=address, workers=jobs, progress=progress,
                           announce=announce)
    if engine == "ray":
        return run_on_ray(runs, address=address, workers=jobs, progress=progress,
                          announce=announce)
    return run_sweep(runs, jobs=jobs, progress=progress, live=live)


def main(argv: list[str] | None = None) -> int:
    """``python -m cindersim.sweep.command [options]``: the same as ``cindersim sweep``."""
    parser = argparse.ArgumentParser(
        prog="cindersim sweep",
        description="Run a scenario over a grid of parameter values and seeds, in parallel, "
                    "into one results table and a comparison chart.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
