"""Metrics over virtual time: capacity, queue depth, latency and errors.

A :class:`MetricsCollector` listens to the trace (``cloud.trace.subscribe``; it
works in trace mode ``metrics``, which keeps no event log) and samples the cloud
every ``interval`` virtual seconds:

* **capacity per backend**, read from the driver's model without running (or
  charging for) a command.  RBD, NFS and FC array backends answer with their
  driver's ``capacity_gb()``, the figures their ``get_volume_stats`` reports
  (cluster pool, shares, array pool).  LVM: for a thick backend the VG's size and free space,
  as ``vgs`` reports them; for a thin one the pool's size, its free space by
  data usage and the sum of the thin LVs' virtual sizes, as
  ``LVMVolumeDriver._update_volume_stats`` computes them.  Plus the
  ``free_capacity_gb`` of the last capability report (what the scheduler sees,
  which lags), cinder-volume's ``allocated_capacity_gb`` and the volume count.
* **queue depth per bus target** (``cloud.bus.depths()``); the exact peak comes
  from the ``bus.queued`` events, so a spike between two samples still counts.

From the events it derives:

* **latency per operation** in virtual seconds: from the status change that
  starts it (``creating``, ``deleting``, ``extending`` ...) to the first
  settled status after it (``available``, ``in-use``, ``error`` ..., or the
  row's removal), labelled ``<resource kind>.<op>`` (``volume.create``).
* **counts by reason**: ``no_valid_backend`` (a ``schedule`` event whose
  decision chose no backend: Cinder's NoValidBackend), ``quota`` (a 413 from
  cinder-api: the over-quota fault), ``driver`` (a ``driver.error``, also per
  driver call), and every API response by status code.

Per sample it also keeps **errors over time**: how many NoValidBackend, quota
and driver errors happened in the interval that sample closes, so a chart shows
when failures start.  :meth:`MetricsCollector.summary` condenses a run into
scalars with stable names (:data:`SUMMARY_KEYS`) for one row of a sweep's CSV.

Cost: the subscriber does constant work per event.  A sample is O(backends)
plus O(volumes): it counts volume rows per backend and, for thin backends,
sums the thin LVs' virtual sizes (``VolumeGroup.lv_totals``, as the driver's
own stats do); that is why the default sample period of a workload is coarse
(about 200 samples per run, at least 60 s apart).

Times are virtual seconds on the simulation clock (0 when the cloud starts).

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

from .backends.drivers import LVMVolumeDriver
from .backends.lvm import unit_g
from .trace import TraceEvent

if TYPE_CHECKING:
    from .cloud import Cloud
    from .pools import PoolHistory
    from .services.volume.manager import VolumeService

__all__ = ["ERROR_REASONS", "LATENCY_OPS", "SUMMARY_KEYS", "BackendSample", "LatencySpan",
           "MetricsCollector", "Sample", "is_metric_key", "metrics_table", "percentile"]

ERROR_REASONS = ("no_valid_backend", "quota", "driver")
"""Counted as ``error.<reason>``: Cinder's NoValidBackend (the scheduler found no
backend), an over-quota 413 from cinder-api, a driver call that raised."""

LATENCY_OPS = ("volume.create", "volume.delete", "volume.extend",
               "snapshot.snapshot_create", "backup.backup_create")
"""Operations whose latency :meth:`MetricsCollector.summary` always reports (the
ones a workload drives that take time; an ``os-attach`` without ``os-reserve`` goes
``available`` -> ``in-use`` in one step, so it has no span); :meth:`MetricsCollector.latency`
has every operation seen."""

_LATENCY_STATS = ("count", "errors", "p50", "p95", "p99", "max")

SUMMARY_KEYS: tuple[str, ...] = (
    "workload_start_s", "end_s", "samples",
    "requests", "requests.ok", "requests.failed", "scheduled",
    *(f"error.{r}" for r in ERROR_REASONS),
    "first_no_valid_backend_s", "first_error_s",
    *(f"{op}.{stat}" for op in LATENCY_OPS for stat in _LATENCY_STATS),
    "backends", "volumes", "capacity.total_gb", "capacity.free_gb",
    "capacity.provisioned_gb", "capacity.allocated_gb", "capacity.min_free_gb",
    "median_request_gb", "backends_full", "stranded_free_gb", "queue.peak",
)
"""The keys of :meth:`MetricsCollector.summary`, in column order (docs/workloads.md
defines each)."""


KINDS = ("status", "api.response", "schedule", "driver.error", "bus.queued")
"""The trace event kinds the collector reads (in trace mode ``metrics`` no other
event is even built)."""


def is_metric_key(key: str) -> bool:
    """A summary key, or a count key (``http.<status>``, ``error.<reason>``,
    ``error.driver.<call>``, ``scheduled``): what ``[[expect]] metric`` may name."""
    return key in SUMMARY_KEYS or key.startswith(("http.", "error."))

SETTLED = frozenset({
    "available", "in-use", "error", "error_deleting", "error_extending", "error_restoring",
    "error_managing", "error_backing-up", "deleted", None,
})
"""Statuses that end an operation (None: the row was destroyed)."""


def _driver_sample(svc: VolumeService, volumes: int) -> BackendSample:
    """An RBD, NFS or FC array backend from its driver's own capacity model (uncharged):
    the ``(total, free, provisioned)`` its ``get_volume_stats`` would report now (RBD:
    ``ceph df``'s MAX AVAIL of the cluster pool; NFS: ``stat -f``/``du`` summed over
    the shares; FC: the array's thin pool)."""
    driver = svc.driver
    assert not isinstance(driver, LVMVolumeDriver)
    total, free, provisioned = driver.capacity_gb()
    return BackendSample(svc.host, round(total, 2), round(free, 2), round(provisioned, 2),
                         _reported_free(driver), float(svc.allocated_capacity_gb), volumes)


def _reported_free(driver: object) -> float | None:
    """``free_capacity_gb`` of the driver's last capability report (its first pool's, or
    the backend's own when it reports no pools); None before the first or when
    ``unknown``."""
    cached: Any = getattr(driver, "_stats", None)
    if not cached:
        return None
    pools = cached.get("pools")
    value = pools[0].get("free_capacity_gb") if pools else cached.get("free_capacity_gb")
    return float(value) if isinstance(value, (int, float)) else None


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
    errors: tuple[tuple[str, int], ...] = ()
    """Per reason (:data:`ERROR_REASONS`): errors since the previous sample."""


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
        # Finished spans as columns, one entry per span (see :attr:`spans`): a run of
        # 100,000 creates keeps no 170,000 span objects for the GC to traverse.
        self._span_ops: list[str] = []
        self._span_resources: list[str] = []
        self._span_starts: list[float] = []
        self._span_ends: list[float] = []
        self._span_finals: list[str | None] = []
        self._labels: dict[tuple[str, str], str] = {}
        """``(resource kind, op)`` -> ``<kind>.<op>``: one label string shared by all spans."""
        self._http_keys: dict[int, str] = {}
        """status -> ``http.<status>`` (not formatted per response)."""
        self.counts: dict[str, int] = {}
        self.first: dict[str, float] = {}
        self.queue_peak: tuple[int, str, float] = (0, "", 0.0)
        """(depth, queue, virtual time) of the deepest any bus queue has been."""
        """Virtual time of the first ``error.<reason>`` of each reason."""
        self.requested_sizes: list[int] = []
        """Sizes (GiB) of the creates the workload asked for (``stranded_free_gb``)."""
        self.started: float | None = None
        """When :meth:`attach` first ran (the workload's start in a scenario)."""
        self._errors_at_last_sample: dict[str, int] = {}
        self._open: dict[str, tuple[str, float]] = {}
        """Resource -> (label, start) of its operation in progress."""
        self._unsubscribe: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.after_sample: Callable[[], None] | None = None
        """Called after each periodic sample (a progress display: it must not touch
        the cloud)."""

    # --- wiring ---------------------------------------------------------------------------
    def attach(self) -> None:
        """Subscribe to the trace (idempotent)."""
        if self._unsubscribe is None:
            if self.started is None:
                self.started = self.cloud.sim.now()
            self._unsubscribe = self.cloud.trace.subscribe(self.on_event, kinds=KINDS)

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
            if self.after_sample is not None:
                self.after_sample()
            await asyncio.sleep(self.interval)

    # --- events ---------------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def _error(self, reason: str, time: float) -> None:
        self._count(f"error.{reason}")
        if reason not in self.first:
            self.first[reason] = time

    @property
    def spans(self) -> list[LatencySpan]:
        """Every finished operation's span, in the order they finished (a new list of
        new objects per call: the collector stores them as columns)."""
        return [LatencySpan(*row) for row in zip(
            self._span_ops, self._span_resources, self._span_starts, self._span_ends,
            self._span_finals, strict=True)]

    def on_event(self, ev: TraceEvent) -> None:
        """The trace subscriber."""
        kind = ev.kind
        if kind == "status":
            self._on_status(ev)
        elif kind == "api.response":
            status = int(ev.detail.get("status", 0))
            key = self._http_keys.get(status)
            if key is None:
                key = self._http_keys[status] = f"http.{status}"
            counts = self.counts
            counts[key] = counts.get(key, 0) + 1  # _count inlined: one call less per response
            if status == 413:
                self._error("quota", ev.time)
        elif kind == "schedule":
            decision = ev.detail.get("decision")
            if isinstance(decision, dict) and "chosen" in decision:
                if decision["chosen"] is None:
                    self._error("no_valid_backend", ev.time)
                else:
                    self._count("scheduled")
        elif kind == "driver.error":
            self._error("driver", ev.time)
            self._count(f"error.driver.{ev.detail.get('call')}")
        elif kind == "bus.queued":
            # A queue only deepens through these events (a message that finds no
            # running consumer), so their depths give the exact peak, between samples too.
            depth = int(ev.detail.get("depth", 0))
            if depth > self.queue_peak[0]:
                self.queue_peak = (depth, str(ev.target), ev.time)

    def _on_status(self, ev: TraceEvent) -> None:
        detail = ev.detail
        resource = ev.resource
        if resource is None or detail.get("field", "status") != "status":
            return
        new = detail.get("new")
        if type(new) is not str:  # str(s) of an exact str is s: skip the call
            new = _status(new)
        if new in SETTLED:
            opened = self._open.pop(resource, None)
            if opened is not None:
                label, start = opened
                self._span_ops.append(label)
                self._span_resources.append(resource)
                self._span_starts.append(start)
                self._span_ends.append(ev.time)
                self._span_finals.append(new)
            return
        if resource not in self._open:
            self._open[resource] = (self._label(resource, detail.get("op")), ev.time)

    def _label(self, resource: str, op: Any) -> str:
        """``<resource kind>.<op>``, one shared string per pair of plain strings."""
        rkind = resource.split(":", 1)[0]
        if type(op) is not str:  # an exotic op: formatted as ever, not cached
            return f"{rkind}.{op}"
        key = (rkind, op)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = f"{rkind}.{op}"
        return label

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
        errors = []
        for reason in ERROR_REASONS:
            n = self.counts.get(f"error.{reason}", 0)
            errors.append((reason, n - self._errors_at_last_sample.get(reason, 0)))
            self._errors_at_last_sample[reason] = n
        s = Sample(cloud.sim.now(), backends, tuple(cloud.bus.depths().items()),
                   tuple(errors))
        self.samples.append(s)
        return s

    @staticmethod
    def _backend(svc: VolumeService, volumes: int) -> BackendSample:
        vg = svc.vg
        driver = svc.driver
        if vg is None or not isinstance(driver, LVMVolumeDriver):
            return _driver_sample(svc, volumes)  # RBD, NFS, FC: no volume group of theirs
        if driver.lvm_type == "thin":
            pool = vg.thin_pool_name()
            free = 0.0
            # What summing the lvs rows gives, without building them (uncharged).
            _, total, provisioned = vg.lv_totals()
            if pool is not None:
                used, chunks, _ = vg.pool_usage(pool)
                free = round(total - total * used / chunks, 2) if chunks else 0.0
            provisioned = round(provisioned, 2)
        else:
            report = vg.vg_report()
            total, free = unit_g(report.vg_size), unit_g(report.vg_free)
            provisioned = round(total - free, 2)
        return BackendSample(svc.host, total, free, provisioned, _reported_free(driver),
                             float(svc.allocated_capacity_gb), volumes)

    # --- results --------------------------------------------------------------------------
    def latency(self) -> dict[str, dict[str, float]]:
        """Per operation: count, errors, mean, p50, p95, p99 and max latency (virtual s)."""
        # Straight from the columns; latency and ok as LatencySpan computes them.
        by_op: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        for op, start, end, final in zip(self._span_ops, self._span_starts, self._span_ends,
                                         self._span_finals, strict=True):
            xs = by_op.get(op)
            if xs is None:
                xs = by_op[op] = []
                errors[op] = 0
            xs.append(end - start)
            if final is not None and final.startswith("error"):
                errors[op] += 1
        out: dict[str, dict[str, float]] = {}
        for op in sorted(by_op):
            xs = by_op[op]
            out[op] = {"count": len(xs), "errors": errors[op],
                       "mean": sum(xs) / len(xs), "p50": percentile(xs, 50),
                       "p95": percentile(xs, 95), "p99": percentile(xs, 99), "max": max(xs)}
        return out

    def summary(self) -> dict[str, float | int | None]:
        """The run as scalars, keys :data:`SUMMARY_KEYS` in that order (None: no value,
        e.g. a latency of an operation that never ran, or no NoValidBackend at all).

        Capacity keys come from the last sample (take one at the end; the
        scenario runner does).  ``stranded_free_gb`` is the free GiB (physical:
        the VG's, or the thin pool's by data usage) on the backends that can
        no longer place a volume of ``median_request_gb`` by the
        CapacityFilter's rule (thin: the over-subscription ratio and virtual
        free; thick: free space); those backends are ``backends_full``.
        """
        out: dict[str, float | int | None] = dict.fromkeys(SUMMARY_KEYS)
        out["workload_start_s"] = self.started
        out["end_s"] = self.cloud.sim.now()
        out["samples"] = len(self.samples)
        http = {k: n for k, n in self.counts.items() if k.startswith("http.")}
        requests = sum(http.values())
        ok = sum(n for k, n in http.items() if k[5:].startswith("2"))
        out["requests"], out["requests.ok"], out["requests.failed"] = requests, ok, requests - ok
        out["scheduled"] = self.counts.get("scheduled", 0)
        for reason in ERROR_REASONS:
            out[f"error.{reason}"] = self.counts.get(f"error.{reason}", 0)
        nvb = self.first.get("no_valid_backend")
        out["first_no_valid_backend_s"] = None if nvb is None else round(nvb, 6)
        out["first_error_s"] = round(min(self.first.values()), 6) if self.first else None
        lat = self.latency()
        for op in LATENCY_OPS:
            if op in lat:
                for stat in _LATENCY_STATS:
                    value = lat[op][stat]
                    out[f"{op}.{stat}"] = (int(value) if stat in ("count", "errors")
                                           else round(value, 6))
            else:
                out[f"{op}.count"] = out[f"{op}.errors"] = 0
        median = percentile(self.requested_sizes, 50) if self.requested_sizes else None
        out["median_request_gb"] = median
        if self.samples:
            last = self.samples[-1]
            bs = last.backends
            out["backends"] = len(bs)
            out["volumes"] = sum(b.volumes for b in bs)
            out["capacity.total_gb"] = _r(sum(b.total_capacity_gb for b in bs))
            out["capacity.free_gb"] = _r(sum(b.free_capacity_gb for b in bs))
            out["capacity.provisioned_gb"] = _r(sum(b.provisioned_capacity_gb for b in bs))
            out["capacity.allocated_gb"] = _r(sum(b.allocated_capacity_gb for b in bs))
            out["capacity.min_free_gb"] = min((b.free_capacity_gb for b in bs), default=None)
            if median is not None:
                full = [b for b in bs if not self._fits(b, median)]
                out["backends_full"] = len(full)
                out["stranded_free_gb"] = _r(sum(b.free_capacity_gb for b in full))
            out["queue.peak"] = self.queue_peak[0]
        return out

    def _fits(self, b: BackendSample, size: float) -> bool:
        """Could the CapacityFilter place *size* GiB on *b* as it was sampled?"""
        from .pools import is_thin, refusal  # noqa: PLC0415

        svc = self.cloud.volume_services.get(b.backend)
        if svc is None or b.total_capacity_gb <= 0:
            return False
        opts = svc.backend.options
        cached: Any = getattr(svc.driver, "_stats", None)
        _, why = refusal(b, size, thin=is_thin(svc.driver),
                         ratio_option=opts["max_over_subscription_ratio"],
                         reserved_percentage=opts["reserved_percentage"],
                         stats=(cached["pools"][0] if "pools" in cached else cached)
                         if cached else None)
        return why is None

    def pools(self) -> list[PoolHistory]:
        """Each pool over the samples: provisioned against its limit, physical use, and
        when it first refused a create of the median requested size, and why
        (:mod:`cindersim.pools`)."""
        from .pools import pool_histories  # noqa: PLC0415

        return pool_histories(self)

    def pool_metric(self, pool: str, name: str) -> float | None:
        """One of :data:`cindersim.pools.POOL_METRICS` for *pool* (``host@backend``).

        Raises:
            KeyError: no such pool.
        """
        for history in self.pools():
            if history.backend == pool:
                return history.metric(name)
        raise KeyError(pool)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(sorted(self.counts.items())),
            "latency": self.latency(),
            "summary": self.summary(),
            "samples": [{"time": s.time,
                         "backends": [attrs.asdict(b) for b in s.backends],
                         "queues": dict(s.queues), "errors": dict(s.errors)}
                        for s in self.samples],
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
                    ([op, res, start, end, end - start, final or ""]
                     for op, res, start, end, final in zip(
                         self._span_ops, self._span_resources, self._span_starts,
                         self._span_ends, self._span_finals, strict=True)))

    def counts_csv(self) -> str:
        return _csv(["key", "count"], sorted(self.counts.items()))

    def errors_csv(self) -> str:
        """Errors per sample interval: ``time`` closes the interval since the row before."""
        return _csv(["time", *ERROR_REASONS],
                    ([s.time, *(dict(s.errors).get(r, 0) for r in ERROR_REASONS)]
                     for s in self.samples))

    def summary_csv(self) -> str:
        """One header row of :data:`SUMMARY_KEYS` and one row of values (empty: None)."""
        summ = self.summary()
        return _csv(list(SUMMARY_KEYS), [["" if summ[k] is None else summ[k]
                                          for k in SUMMARY_KEYS]])

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``metrics.json`` and the CSV files (capacity, queues, latency, counts,
        errors, summary) into *directory*."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        files = {"metrics.json": self.to_json(), "capacity.csv": self.capacity_csv(),
                 "queues.csv": self.queues_csv(), "latency.csv": self.latency_csv(),
                 "counts.csv": self.counts_csv(), "errors.csv": self.errors_csv(),
                 "summary.csv": self.summary_csv()}
        out = []
        for name, text in files.items():
            path = d / name
            path.write_text(text, encoding="utf-8")
            out.append(path)
        return out


def _r(x: float) -> float:
    return round(x, 2)


def _csv(header: Sequence[str], rows: Any) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


# --- the text table (``cindersim run --format summary``) ----------------------------------------


# The text table renders these figures; it lives beside them (re-exported here).
from .metrics_report import metrics_table  # noqa: E402
