"""Metrics over virtual time: capacity, queue depth, latency and errors.

A :class:`MetricsCollector` listens to the trace (``cloud.trace.subscribe``; it
works in trace mode ``metrics``, which keeps no event log) and samples the cloud
every ``interval`` virtual seconds:

* **capacity per backend**, read from the LVM model without running (or
  charging for) a command: for a thick backend the VG's size and free space,
  as ``vgs`` reports them; for a thin one the pool's size, its free space by
  data usage and the sum of the thin LVs' virtual sizes, as
  ``LVMVolumeDriver._update_volume_stats`` computes them.  Plus the
  ``free_capacity_gb`` of the last capability report (what the scheduler sees,
  which lags), cinder-volume's ``allocated_capacity_gb`` and the volume count.
* **queue depth per bus target** (``cloud.bus.depths()``).

From the events it derives:

* **latency per operation** in virtual seconds: from the status change that
  starts it (``creating``, ``deleting``, ``extending`` ...) to the first
  settled status after it (``available``, ``in-use``, ``error`` ..., or the
  row's removal), labelled ``<resource kind>.<op>`` (``volume.create``).
* **counts by reason**: ``no_valid_backend`` (a ``schedule`` event whose
  decision chose no backend: Cinder's NoValidBackend), ``quota`` (a 413 from
  cinder-api: the over-quota fault), ``driver`` (a ``driver.error``, also per
  driver call), and every API response by status code.

Exports are stdlib ``csv``/``json`` with sorted keys, so equal runs give equal
bytes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .backends.lvm import unit_g
from .trace import TraceEvent

if TYPE_CHECKING:
    from .cloud import Cloud
    from .services.volume import VolumeService

__all__ = ["BackendSample", "LatencySpan", "MetricsCollector", "Sample", "percentile"]

SETTLED = frozenset({
    "available", "in-use", "error", "error_deleting", "error_extending", "error_restoring",
    "error_managing", "error_backing-up", "deleted", None,
})
"""Statuses that end an operation (None: the row was destroyed)."""


def percentile(values: Sequence[float], p: float) -> float:
    """The *p*-th percentile (0..100) by linear interpolation between closest ranks
    (numpy's default); NaN for no values."""
    if not values:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, not {p}")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@attrs.frozen
class BackendSample:
    backend: str
    """``host@backend``."""
    total_capacity_gb: float
    free_capacity_gb: float
    provisioned_capacity_gb: float
    reported_free_capacity_gb: float | None
    """From the last capability report the scheduler received (None before the first)."""
    allocated_capacity_gb: float
    volumes: int
    """Volume rows placed on this backend."""


@attrs.frozen
class Sample:
    time: float
    backends: tuple[BackendSample, ...]
    queues: tuple[tuple[str, int], ...]


@attrs.frozen
class LatencySpan:
    operation: str
    """``<resource kind>.<op>``, e.g. ``volume.create``, ``snapshot.snapshot_create``."""
    resource: str
    start: float
    end: float
    final: str | None
    """The settled status (None: the row was destroyed, a finished delete)."""

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def ok(self) -> bool:
        return self.final is None or not self.final.startswith("error")


def _status(value: Any) -> str | None:
    return None if value is None else str(value)


class MetricsCollector:
    """Collects metrics of one cloud.  Call :meth:`attach` (or :meth:`start`, which also
    samples every *interval* virtual seconds) before the workload runs."""

    def __init__(self, cloud: Cloud, *, interval: float = 60.0) -> None:
        if not (math.isfinite(interval) and interval > 0):
            raise ValueError(f"interval must be a positive number, not {interval!r}")
        self.cloud = cloud
        self.interval = interval
        self.samples: list[Sample] = []
        self.spans: list[LatencySpan] = []
        self.counts: dict[str, int] = {}
        self._open: dict[str, tuple[str, float]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None

    # --- wiring ---------------------------------------------------------------------------
    def attach(self) -> None:
        """Subscribe to the trace (idempotent)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.cloud.trace.subscribe(self.on_event)

    def start(self) -> None:
        """Attach, take a sample now and then every ``interval`` virtual seconds."""
        self.attach()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Stop sampling and listening (samples and counts stay readable)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    # --- events ---------------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def on_event(self, ev: TraceEvent) -> None:
        """The trace subscriber."""
        kind = ev.kind
        if kind == "status":
            self._on_status(ev)
        elif kind == "api.response":
            status = int(ev.detail.get("status", 0))
            self._count(f"http.{status}")
            if status == 413:
                self._count("error.quota")
        elif kind == "schedule":
            decision = ev.detail.get("decision")
            if isinstance(decision, dict) and "chosen" in decision:
                if decision["chosen"] is None:
                    self._count("error.no_valid_backend")
                else:
                    self._count("scheduled")
        elif kind == "driver.error":
            self._count("error.driver")
            self._count(f"error.driver.{ev.detail.get('call')}")

    def _on_status(self, ev: TraceEvent) -> None:
        if ev.detail.get("field", "status") != "status" or ev.resource is None:
            return
        new = _status(ev.detail.get("new"))
        rkind = ev.resource.split(":", 1)[0]
        opened = self._open.get(ev.resource)
        if new in SETTLED:
            if opened is not None:
                del self._open[ev.resource]
                label, start = opened
                self.spans.append(LatencySpan(label, ev.resource, start, ev.time, new))
            return
        if opened is None:
            self._open[ev.resource] = (f"{rkind}.{ev.detail.get('op')}", ev.time)

    # --- sampling -------------------------------------------------------------------------
    def sample(self) -> Sample:
        """Record the cloud as it is now (reads only: no command runs, nothing is charged)."""
        cloud = self.cloud
        per_backend: dict[str, int] = {}
        for vol in cloud.db.volumes.values():
            if vol.host is not None:
                key = vol.host.split("#", 1)[0]
                per_backend[key] = per_backend.get(key, 0) + 1
        backends = tuple(self._backend(svc, per_backend.get(host, 0))
                         for host, svc in sorted(cloud.volume_services.items()))
        s = Sample(cloud.sim.now(), backends, tuple(cloud.bus.depths().items()))
        self.samples.append(s)
        return s

    @staticmethod
    def _backend(svc: VolumeService, volumes: int) -> BackendSample:
        vg = svc.vg
        driver = svc.driver
        if driver.lvm_type == "thin":
            pool = vg.thin_pool_name()
            total = free = provisioned = 0.0
            for lv in vg.lv_reports():
                if lv.lv_name == pool:
                    total = unit_g(lv.lv_size)
                else:
                    provisioned += unit_g(lv.lv_size)
            if pool is not None:
                used, chunks, _ = vg.pool_usage(pool)
                free = round(total - total * used / chunks, 2) if chunks else 0.0
            provisioned = round(provisioned, 2)
        else:
            report = vg.vg_report()
            total, free = unit_g(report.vg_size), unit_g(report.vg_free)
            provisioned = round(total - free, 2)
        cached: Any = getattr(driver, "_stats", None)
        reported = None
        if cached:
            reported = float(cached["pools"][0]["free_capacity_gb"])
        return BackendSample(svc.host, total, free, provisioned, reported,
                             float(svc.allocated_capacity_gb), volumes)

    # --- results --------------------------------------------------------------------------
    def latency(self) -> dict[str, dict[str, float]]:
        """Per operation: count, errors, mean, p50, p95, p99 and max latency (virtual s)."""
        by_op: dict[str, list[LatencySpan]] = {}
        for span in self.spans:
            by_op.setdefault(span.operation, []).append(span)
        out: dict[str, dict[str, float]] = {}
        for op in sorted(by_op):
            xs = [s.latency for s in by_op[op]]
            out[op] = {"count": len(xs), "errors": sum(1 for s in by_op[op] if not s.ok),
                       "mean": sum(xs) / len(xs), "p50": percentile(xs, 50),
                       "p95": percentile(xs, 95), "p99": percentile(xs, 99), "max": max(xs)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(sorted(self.counts.items())),
            "latency": self.latency(),
            "samples": [{"time": s.time,
                         "backends": [attrs.asdict(b) for b in s.backends],
                         "queues": dict(s.queues)} for s in self.samples],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    def capacity_csv(self) -> str:
        names = [f.name for f in attrs.fields(BackendSample)]
        return _csv(["time", *names], ([s.time, *(getattr(b, n) for n in names)]
                                       for s in self.samples for b in s.backends))

    def queues_csv(self) -> str:
        return _csv(["time", "queue", "depth"],
                    ([s.time, q, d] for s in self.samples for q, d in s.queues))

    def latency_csv(self) -> str:
        return _csv(["operation", "resource", "start", "end", "latency", "final"],
                    ([s.operation, s.resource, s.start, s.end, s.latency, s.final or ""]
                     for s in self.spans))

    def counts_csv(self) -> str:
        return _csv(["key", "count"], sorted(self.counts.items()))

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``metrics.json`` and the four CSV files into *directory*."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        files = {"metrics.json": self.to_json(), "capacity.csv": self.capacity_csv(),
                 "queues.csv": self.queues_csv(), "latency.csv": self.latency_csv(),
                 "counts.csv": self.counts_csv()}
        out = []
        for name, text in files.items():
            path = d / name
            path.write_text(text, encoding="utf-8")
            out.append(path)
        return out


def _csv(header: Sequence[str], rows: Any) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
