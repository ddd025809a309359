"""One run of a sweep, as a pure function of (scenario file, overrides, seed).

:func:`run_one` loads the scenario with the overrides, runs it in a fresh
simulated cloud with the seed, and returns its row: a dict of JSON values in
which nothing depends on the machine, the process, the wall clock or the order
runs finish in.  That is what lets the same run happen in this process, in a
local pool worker, or on a cluster node, and give the same bytes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..progress import RunProgress
from ..scenario import ScenarioError, load_scenario, run_scenario

__all__ = ["STATUSES", "run_one", "timed_run"]

STATUSES = ("ok", "failed", "error")
"""A row's ``status``: every expectation held; an expectation failed; the run raised (the
row's ``error`` says what)."""


def _scalar(value: Any) -> Any:
    """A summary value as JSON can hold it: NaN and infinities (no data) become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def run_one(scenario: str | Path, overrides: Mapping[str, Any] | None = None,
            seed: int | None = None, *, progress: RunProgress | None = None,
            ) -> dict[str, Any]:
    """Run one grid point with one seed and return its row.

    The row: ``overrides`` and ``seed`` (what was run; the seed resolved to the
    scenario's own when None), ``status`` (:data:`STATUSES`),
    ``failed_expectations`` and ``failures`` (``FILE:LINE: message`` each),
    ``virtual_time_s``, ``summary`` (the metrics collector's scalar summary for
    a workload scenario, else empty) and ``error`` (``Type: message`` when the run
    raised, else None).  A run that raises still gives a row, so a sweep goes on.

    *progress* follows the run (:func:`~cindersim.scenario.run_scenario`'s); it
    changes nothing in the row.
    """
    return _run(scenario, overrides, seed, progress)[0]


def _run(scenario: str | Path, overrides: Mapping[str, Any] | None, seed: int | None,
         progress: RunProgress | None = None) -> tuple[dict[str, Any], int]:
    """:func:`run_one`'s row and the run's trace events (0 when it raised)."""
    ov = dict(overrides or {})
    row: dict[str, Any] = {"overrides": ov, "seed": seed, "status": "error",
                           "failed_expectations": 0, "failures": [],
                           "virtual_time_s": None, "summary": {}, "error": None}
    try:
        sc = load_scenario(scenario, overrides=ov) if ov else load_scenario(scenario)
        run_seed = sc.seed if seed is None else seed
        row["seed"] = run_seed
        res = run_scenario(sc, seed=run_seed, progress=progress)
    except ScenarioError as exc:
        row["error"] = f"ScenarioError: {exc}"
        return row, 0
    except Exception as exc:  # the run's failure is the row's result, not the sweep's
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row, 0
    row["status"] = "ok" if res.ok else "failed"
    row["failed_expectations"] = len(res.failures)
    row["failures"] = [f"{sc.path}:{line}: {msg}" for line, msg in res.failures]
    row["virtual_time_s"] = _scalar(float(res.result.virtual_time))
    if res.metrics is not None:
        row["summary"] = {str(k): _scalar(v) for k, v in sorted(res.metrics.summary().items())}
    return row, len(res.trace)


def timed_run(scenario: str, overrides: Mapping[str, Any], seed: int,
              progress: RunProgress | None = None) -> tuple[dict[str, Any], float, int]:
    """:func:`run_one`, the wall seconds it took and its trace events (for progress
    only: neither reaches the row).  Module-level so a pool can pickle it by name."""
    t0 = time.perf_counter()
    row, events = _run(scenario, overrides, seed, progress)
    return row, time.perf_counter() - t0, events
