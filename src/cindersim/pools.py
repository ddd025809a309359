"""Per pool, over a what-if run: what it holds, what it may still promise, and when it
stopped accepting creates, and why.

The question an operator asks of a capacity what-if is "which pool fills first, and
when?".  A pool stops accepting a create when Cinder's CapacityFilter refuses it
(``cinder/scheduler/filters/capacity_filter.py``), and what it checks is not the
physical free space of a thin pool but what the pool may still *promise*:

* **thin** pools: the provisioned GiB (every thin LV's virtual size) plus the
  request may not exceed the over-subscription limit, ``max_over_subscription_ratio``
  times ``total - reserved``.  Thin pools are hardly written in most what-ifs, so
  their physical use stays low while the limit is what refuses creates;
* **thick** pools: the request must fit the free extents (``total - reserved -
  provisioned``, or the VG's own free figure when smaller).

Each sample of a :class:`~cindersim.metrics.MetricsCollector` gives a
:class:`PoolPoint` per pool; a pool's ``full_s`` is the first sample at which a
create of the run's median requested size would be refused, with the reason.  It is
as precise as the sample interval (``metrics_interval``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .services.scheduler.sched_utils import (
    calculate_capacity_factors,
    calculate_max_over_subscription_ratio,
)

if TYPE_CHECKING:
    from .metrics import BackendSample, MetricsCollector

__all__ = ["POOL_METRICS", "PoolHistory", "PoolPoint", "is_thin", "pool_histories", "refusal"]

POOL_METRICS: Mapping[str, str] = {
    "pool_full_s": "virtual seconds at which the pool first refused a create of the "
                   "median requested size (None: it never did)",
    "pool_provisioned_gb": "GiB promised to volumes at the end (thin: virtual sizes)",
    "pool_limit_gb": "GiB the pool may promise: max_over_subscription_ratio x (total - "
                     "reserved) for thin, total - reserved for thick",
    "pool_used_gb": "GiB physically used at the end (thin: the pool's data)",
    "pool_total_gb": "the pool's size in GiB",
}
"""The per-pool metrics ``[[expect]] metric = "...", pool = "host@backend"`` may name."""


@attrs.frozen
class PoolPoint:
    """One pool at one sample."""

    time: float
    total_gb: float
    used_gb: float
    """Physically used: the VG's allocated extents, or a thin pool's data."""
    provisioned_gb: float
    limit_gb: float
    """What the CapacityFilter lets the pool promise (see the module doc)."""
    refusal: str | None
    """Why a create of the median requested size would be refused now (None: it fits)."""


@attrs.frozen
class PoolHistory:
    """One pool over the run."""

    backend: str
    thin: bool
    points: tuple[PoolPoint, ...]

    @property
    def full_s(self) -> float | None:
        """When it first refused (the first sample that would refuse), or None."""
        for p in self.points:
            if p.refusal is not None:
                return p.time
        return None

    @property
    def full_reason(self) -> str | None:
        for p in self.points:
            if p.refusal is not None:
                return p.refusal
        return None

    def metric(self, name: str) -> float | None:
        """One of :data:`POOL_METRICS`, at the end of the run."""
        if name == "pool_full_s":
            return self.full_s
        if not self.points:
            return None
        last = self.points[-1]
        return {"pool_provisioned_gb": last.provisioned_gb, "pool_limit_gb": last.limit_gb,
                "pool_used_gb": last.used_gb, "pool_total_gb": last.total_gb}[name]


def is_thin(driver: object) -> bool:
    """Whether the CapacityFilter treats the backend as thin: LVM by its ``lvm_type``;
    RBD, NFS (``nfs_sparsed_volumes``) and the FC array by what their stats report as
    ``thin_provisioning_support``."""
    thin = getattr(driver, "thin_provisioning", None)
    if thin is not None:
        return bool(thin)
    return getattr(driver, "lvm_type", "thin") == "thin"


def refusal(b: BackendSample, size: float, *, thin: bool, ratio_option: Any,
            reserved_percentage: float, stats: Mapping[str, Any] | None = None,
            ) -> tuple[float, str | None]:
    """``(limit_gb, why)``: the pool's promise limit, and why the CapacityFilter would
    refuse *size* GiB on it as sampled (None: it would pass).

    *stats* is the pool's last capability report (for an ``auto`` ratio).
    """
    total = b.total_capacity_gb
    mosr = 1.0
    if thin:
        pool = stats or {"thin_provisioning_support": True,
                         "max_over_subscription_ratio": ratio_option,
                         "total_capacity_gb": total,
                         "provisioned_capacity_gb": b.provisioned_capacity_gb,
                         "free_capacity_gb": b.free_capacity_gb}
        mosr = calculate_max_over_subscription_ratio(pool, ratio_option)
    f = calculate_capacity_factors(total, b.free_capacity_gb, b.provisioned_capacity_gb,
                                   thin, mosr, reserved_percentage, thin)
    limit = round(f.total_available_capacity, 2)
    if total <= 0:
        return limit, "capacity: the pool reports no capacity"
    if thin:
        if mosr < 1:
            return limit, f"over-subscription: max_over_subscription_ratio {mosr:g} < 1"
        if f.total_available_capacity <= 0:
            return limit, "capacity: all of it is reserved"
        if (b.provisioned_capacity_gb + size) / f.total_available_capacity > mosr \
                or f.virtual_free_capacity < size:
            return limit, (f"over-subscription: {b.provisioned_capacity_gb:g} GiB "
                           f"provisioned + {size:g} > limit {limit:g} GiB "
                           f"({mosr:g} x {f.total_reserved_available_capacity:g})")
        return limit, None
    if f.virtual_free_capacity < size:
        return limit, (f"capacity: {f.virtual_free_capacity:g} GiB free < {size:g} "
                       "requested")
    return limit, None


def pool_histories(m: MetricsCollector) -> list[PoolHistory]:
    """Every pool of *m*'s cloud over its samples, in the samples' backend order."""
    from .metrics import percentile  # noqa: PLC0415 (metrics imports this module)

    size = percentile(m.requested_sizes, 50) if m.requested_sizes else 1.0
    services = m.cloud.volume_services
    series: dict[str, list[PoolPoint]] = {}
    for sample in m.samples:
        for b in sample.backends:
            svc = services.get(b.backend)
            if svc is None:
                continue
            thin = is_thin(svc.driver)
            opts = svc.backend.options
            limit, why = refusal(b, size, thin=thin,
                                 ratio_option=opts["max_over_subscription_ratio"],
                                 reserved_percentage=float(opts["reserved_percentage"]))
            used = round(b.total_capacity_gb - b.free_capacity_gb, 2)
            series.setdefault(b.backend, []).append(PoolPoint(
                sample.time, b.total_capacity_gb, used, b.provisioned_capacity_gb,
                limit, why))
    return [PoolHistory(name, is_thin(services[name].driver), tuple(points))
            for name, points in series.items()]
