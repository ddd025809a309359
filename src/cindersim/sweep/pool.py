"""Running a sweep's runs: in this process (``--jobs 1``) or in a local process pool.

Choices, for a sweep of 8 runs on 2 cores to take well under 0.65x the time
of one core:

* **fork where the platform has it** (Linux): a worker starts as a copy of this
  process with cindersim already imported, so it pays neither an interpreter
  start nor a re-import; ``spawn`` elsewhere (macOS and Windows, where fork is
  unsafe or absent).
* **one task per run, submitted in grid order**: a free worker takes the next
  run, so a slow run does not leave the other core idle behind a fixed chunk;
  a task's arguments and result are small (a path, a few overrides, a row), so
  the per-task cost is a pickle of a few hundred bytes.
* **never more workers than runs**.

The rows come back in completion order and are put back in grid order here, so
the table is the same whatever ``--jobs`` is.  A worker that dies (killed, out
of memory) turns its unfinished runs into error rows instead of ending the sweep.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..progress import RunProgress
from .grid import SweepRun
from .runner import timed_run

__all__ = ["Progress", "dead_row", "default_jobs", "pool_context", "run_sweep"]

Progress = Callable[[int, int, SweepRun, dict[str, Any], float, int], None]
"""``progress(done, total, run, row, wall_seconds, events)``, called as each run finishes
(``events``: its trace events, for an events-per-second figure)."""


def default_jobs() -> int:
    """``--jobs`` by default: every core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` where available and safe (Linux and other non-macOS POSIX), else ``spawn``."""
    if sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def dead_row(run: SweepRun, why: str) -> dict[str, Any]:
    return run.row({"overrides": dict(run.overrides), "seed": run.seed, "status": "error",
                      "failed_expectations": 0, "failures": [], "virtual_time_s": None,
                      "summary": {}, "error": why})


def run_sweep(runs: Sequence[SweepRun], *, jobs: int | None = None,
              progress: Progress | None = None, live: RunProgress | None = None,
              ) -> list[dict[str, Any]]:
    """Run *runs* and return their rows in grid order (by ``run`` index).

    Args:
        runs: from :class:`~cindersim.sweep.Sweep` (or a subset, for ``--only``).
        jobs: worker processes (default :func:`default_jobs`); 1 runs in this process.
        progress: called after each run (in this process, in completion order).
        live: follows each run as it goes, when they run in this process (jobs 1:
            a worker's runs are seen only as they finish).
    """
    n = default_jobs() if jobs is None else jobs
    if n < 1:
        raise ValueError(f"jobs must be >= 1, not {n}")
    total = len(runs)
    rows: dict[int, dict[str, Any]] = {}

    def finished(run: SweepRun, row: dict[str, Any], seconds: float, events: int) -> None:
        rows[run.index] = row
        if progress is not None:
            progress(len(rows), total, run, row, seconds, events)

    if n == 1 or total <= 1:
        for run in runs:
            result, seconds, events = timed_run(run.scenario, run.overrides, run.seed, live)
            finished(run, run.row(result), seconds, events)
    else:
        with ProcessPoolExecutor(max_workers=min(n, total),
                                 mp_context=pool_context()) as pool:
            futures: dict[Future[tuple[dict[str, Any], float, int]], SweepRun] = {
                pool.submit(timed_run, run.scenario, dict(run.overrides), run.seed): run
                for run in runs}
            try:
                for fut in as_completed(futures):
                    run = futures[fut]
                    try:
                        result, seconds, events = fut.result()
                    except BrokenProcessPool:
                        finished(run, dead_row(run, "BrokenProcessPool: a worker process "
                                                 "died (killed, or out of memory)"), 0.0, 0)
                        continue
                    finished(run, run.row(result), seconds, events)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return [rows[i] for i in sorted(rows)]
