"""Running a sweep on a cluster engine an operator already runs: Dask or Ray.

Each run is a pure function of (scenario file, overrides, seed)
(:func:`~cindersim.sweep.runner.run_one`), so where it runs cannot change its row:

* **keys by run index.**  A row is stored under its run's index and the first
  one to arrive wins, so a task the engine retried after losing a worker (Dask's
  ``allowed-failures``, Ray's ``max_retries``) can neither duplicate a row nor
  replace one: both attempts computed the same bytes anyway.
* **nothing dropped.**  A run whose task failed for good (``KilledWorker``, a
  node gone past its retries) becomes an error row naming the engine's reason,
  as a dead local worker does, so the table always has one row per run.
* **the same table.**  Rows are put back in grid order, so ``results.csv`` is the
  same bytes as ``--jobs 1`` (tested on a Dask ``LocalCluster`` and Ray's local
  instance).

The scenario file must be readable at the same path on every worker (a shared
file system, as for the Slurm hand-off); cindersim must be installed there too.
Neither engine is a dependency: ``pip install 'cindersim[dask]'`` or
``'cindersim[ray]'``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

from .grid import SweepRun
from .pool import Progress, dead_row
from .runner import timed_run

__all__ = ["ENGINES", "EngineMissing", "run_on_dask", "run_on_ray"]

ENGINES = ("local", "dask", "ray")
"""``--engine``: the local process pool, a Dask cluster, or a Ray cluster."""

Announce = Callable[[str], None]
"""Where the engine's dashboard address is said (stderr in the CLI)."""


class EngineMissing(RuntimeError):
    """The engine's package is not installed; the message says which extra to install."""


def _need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise EngineMissing(f"the {extra} engine needs {module}: "
                            f"pip install 'cindersim[{extra}]'")


class _Rows:
    """Rows by run index, first arrival wins; progress as each new one lands."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.progress = progress
        self.rows: dict[int, dict[str, Any]] = {}

    def add(self, run: SweepRun, row: dict[str, Any], seconds: float, events: int) -> None:
        if run.index in self.rows:  # a retried task's second answer: the same row
            return
        self.rows[run.index] = row
        if self.progress is not None:
            self.progress(len(self.rows), self.total, run, row, seconds, events)

    def in_order(self) -> list[dict[str, Any]]:
        return [self.rows[i] for i in sorted(self.rows)]


def run_on_dask(runs: Sequence[SweepRun], *, address: str | None = None,
                workers: int | None = None, progress: Progress | None = None,
                announce: Announce | None = None) -> list[dict[str, Any]]:
    """Run *runs* on a Dask cluster: the scheduler at *address*, or a ``LocalCluster``
    of *workers* single-threaded processes when None.  Rows in grid order."""
    _need("distributed", "dask")
    dd: Any = importlib.import_module("dask.distributed")  # partly typed: use it untyped
    Client, LocalCluster, as_completed = dd.Client, dd.LocalCluster, dd.as_completed

    cluster: Any = None
    if address is None:
        # One thread per worker process: a run is pure Python, threads would only
        # share one GIL.  No dashboard unless its optional dependency is there.
        dashboard = ":0" if importlib.util.find_spec("bokeh") is not None else None
        cluster = LocalCluster(n_workers=max(1, workers or 1), threads_per_worker=1,
                               processes=True, dashboard_address=dashboard)
        client = Client(cluster)
    else:
        client = Client(address)
    rows = _Rows(len(runs), progress)
    try:
        if announce is not None:
            link = getattr(client, "dashboard_link", None)
            announce(f"dask scheduler {client.scheduler.address}"
                     + (f", dashboard {link}" if link else ""))
        futures = {client.submit(timed_run, run.scenario, dict(run.overrides), run.seed,
                                 key=f"cindersim-run-{run.index}", pure=False): run
                   for run in runs}
        for fut in as_completed(list(futures)):
            run = futures[fut]
            try:
                result, seconds, events = fut.result()
            except Exception as exc:  # KilledWorker and the like, past its retries
                rows.add(run, dead_row(run, f"{type(exc).__name__}: {exc} (dask)"), 0.0, 0)
                continue
            rows.add(run, run.row(result), seconds, events)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return rows.in_order()


def run_on_ray(runs: Sequence[SweepRun], *, address: str | None = None,
               workers: int | None = None, progress: Progress | None = None,
               announce: Announce | None = None) -> list[dict[str, Any]]:
    """Run *runs* on Ray: the cluster at *address* (``ray://...`` or ``auto``), or a
    local instance with *workers* CPUs when None.  Rows in grid order."""
    _need("ray", "ray")
    ray: Any = importlib.import_module("ray")

    started = False
    if not ray.is_initialized():
        if address is None:
            ray.init(num_cpus=max(1, workers or 1), include_dashboard=False,
                     log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
        started = True
    rows = _Rows(len(runs), progress)
    try:
        if announce is not None:
            context = ray.get_runtime_context()
            announce(f"ray cluster {getattr(context, 'gcs_address', '?')}")
        remote = ray.remote(max_retries=3)(timed_run)
        pending = {remote.remote(run.scenario, dict(run.overrides), run.seed): run
                   for run in runs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                run = pending.pop(ref)
                try:
                    result, seconds, events = ray.get(ref)
                except Exception as exc:  # a task lost past its retries
                    rows.add(run, dead_row(run, f"{type(exc).__name__}: {exc} (ray)"), 0.0, 0)
                    continue
                rows.add(run, run.row(result), seconds, events)
    finally:
        if started:
            ray.shutdown()
    return rows.in_order()
