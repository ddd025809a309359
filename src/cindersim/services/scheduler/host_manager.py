"""The scheduler's view of the storage backends: one :class:`BackendState` per pool.

This models ``cinder/scheduler/host_manager.py`` (``HostManager``, ``BackendState``
and ``PoolState``); the capacity arithmetic is :mod:`.sched_utils`.  The facts it
carries:

* Every ``cinder-volume`` service reports ``get_volume_stats()`` to the scheduler
  (``backend_stats_polling_interval`` = 60 s).  A report has backend-level keys
  (``volume_backend_name``, ``vendor_name``, ``driver_version``,
  ``storage_protocol``) and a ``pools`` list; the scheduler keeps one state per pool,
  named ``host@backend#pool``.  A legacy report without ``pools`` becomes a single
  pool named after ``volume_backend_name`` (or ``_pool0``).
* Each pool's ``capabilities`` is the pool's own dict plus the backend-level keys
  above and the report ``timestamp``.  Backend-level *custom* keys are **not**
  copied into pools, so the CapabilitiesFilter cannot see them (a Cinder quirk).
* Between reports the scheduler "virtually consumes" what it placed:
  ``consume_from_volume`` adds the size to ``allocated_capacity_gb`` and
  ``provisioned_capacity_gb`` and removes it from ``free_capacity_gb`` unless that is
  ``'infinite'`` or ``'unknown'``.  It also stamps the pool as updated *now*, so a
  report generated before the placement does not wipe the consumption out.  A
  reschedule gives the capacity back (``revert_volume_consumed_capacity``) without
  touching that stamp.
* ``provisioned_capacity_gb`` defaults to ``allocated_capacity_gb``;
  ``reserved_percentage`` to 0; ``max_over_subscription_ratio`` comes from the pool
  or the ``max_over_subscription_ratio`` option (``'20.0'``), may be ``'auto'``, and
  is 1.0 for a pool without thin provisioning support.
* Only services that are enabled, not frozen and *up* count.  A service is up
  while its last heartbeat is at most ``service_down_time`` (60 s) old.  When a
  service is found down its states are dropped from the map (consumption and all);
  when it comes back they are rebuilt from its last report and go to the end of the
  map, exactly as Cinder's ``_update_backend_state_map`` does.

Determinism: every map here is a dict in insertion order (service registration
order, then pool order within the report), which is also the order in which
candidates reach the filters and, through the stable sort, breaks weighing ties.
Times are virtual seconds; an internal sequence number orders events that happen at
the same virtual instant (a report and a placement at t=60, say), where Cinder's
wall clock would have told them apart.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from ...jsonvalues import NotJson, copy_json
from ..volume_utils import DEFAULT_POOL_NAME, append_host, extract_host
from .sched_utils import (
    INFINITE_UNKNOWN_VALUES,
    CapacityFactors,
    available_capacity,
    calculate_capacity_factors,
    calculate_max_over_subscription_ratio,
    virtual_free_of,
)

__all__ = ["BackendState", "Capacity", "HostManager", "Liveness"]

Capacity = float | str
"""A capacity in GiB, or ``'infinite'`` / ``'unknown'``."""

_Stamp = tuple[float, int]
"""(virtual time, sequence): when a state was last updated, totally ordered."""


def _capacity(field: str, value: Any) -> Capacity:
    if isinstance(value, str) and value in INFINITE_UNKNOWN_VALUES:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"capability {field}={value!r} is neither a number nor "
                         "'infinite'/'unknown'") from None


def _number(value: Any) -> float:
    # allocated/provisioned are bookkeeping sums; a driver that cannot say
    # ('unknown') is counted from zero so consumption arithmetic stays defined.
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


# --- per-pool state -------------------------------------------------------------
@attrs.define(eq=False)
class BackendState:
    """What the scheduler believes about one pool (Cinder's ``PoolState``).

    Mutable on purpose: placements consume from it between reports -- through
    :meth:`consume` (:meth:`consume_from_volume`, :meth:`revert_consumed`) and
    :meth:`apply_report` only, which tell the listener and forget the figures kept
    (:meth:`virtual_free`).  Build it through :class:`HostManager`;
    :meth:`from_pool_report` exists for tests and what-if tools that want a lone state.
    """

    host: str
    """The volume service host, ``host@backend``; fixed for the state's life."""
    pool_name: str
    """Fixed for the state's life (a pool renamed in a report is a new state)."""
    availability_zone: str = "nova"
    """The service's ``storage_availability_zone`` (Cinder reads it from the
    service row, not from the stats)."""
    capabilities: Mapping[str, Any] = attrs.field(factory=lambda: MappingProxyType({}))
    """Read-only copy of the pool's report plus backend keys and ``timestamp``."""
    total_capacity_gb: Capacity = 0.0
    free_capacity_gb: Capacity | None = None
    allocated_capacity_gb: float = 0.0
    provisioned_capacity_gb: float = 0.0
    reserved_percentage: float = 0.0
    max_over_subscription_ratio: float = 1.0
    thin_provisioning_support: bool = False
    thick_provisioning_support: bool = False
    multiattach: bool = False
    qos_support: bool = False
    volume_backend_name: str | None = None
    vendor_name: str | None = None
    driver_version: str | None = None
    storage_protocol: str | None = None
    total_volumes: int = 0
    """Reported volume count; :func:`VolumeNumberWeigher` falls back to it."""
    updated: float | None = None
    """Virtual time of the last report applied or of the last consumption."""
    _stamp: _Stamp | None = attrs.field(default=None, alias="stamp")
    _counter: Iterator[int] = attrs.field(factory=itertools.count, alias="counter",
                                          repr=False)
    _caps_source: Mapping[str, Any] | None = attrs.field(default=None, alias="caps_source",
                                                         repr=False, eq=False)
    listener: Callable[[BackendState], None] | None = attrs.field(default=None, repr=False,
                                                                  eq=False)
    """Told after every change of the capacity figures (an index keeping pools in
    weight order listens here, so it never has to re-read all of them)."""
    _figures: dict[bool, tuple[float, float]] = attrs.field(factory=dict, init=False,
                                                           repr=False, eq=False)
    """:meth:`capacity_figures` by thin/thick, until the figures next change."""
    _available: dict[bool, tuple[float, float]] = attrs.field(factory=dict, init=False,
                                                             repr=False, eq=False)
    """(unrounded available capacity, :meth:`total_available`) by thin/thick, until the
    next report (a placement changes what is provisioned, not what is available)."""

    backend_id: str = attrs.field(init=False, repr=False, eq=False)
    """``host@backend#pool``: the id filters, weighers and the retry list use.  Made
    once (host and pool name never change): every placement reads it."""

    def __attrs_post_init__(self) -> None:
        self.backend_id = append_host(self.host, self.pool_name)

    @classmethod
    def from_pool_report(cls, host: str, pool: Mapping[str, Any], *,
                         availability_zone: str = "nova", timestamp: float = 0.0,
                         max_over_subscription_ratio: str | float = "20.0") -> BackendState:
        """A standalone state from one pool dict of ``get_volume_stats()['pools']``."""
        state = cls(host=host, pool_name=str(pool["pool_name"]),
                    availability_zone=availability_zone)
        state.apply_report(pool, stamp=(timestamp, 0),
                           global_mosr=max_over_subscription_ratio)
        return state

    def apply_report(self, capability: Mapping[str, Any], *, stamp: _Stamp,
                     global_mosr: str | float, owned: bool = False) -> bool:
        """Take a pool's reported capabilities (``update_from_volume_capability``).

        The capabilities mapping is always refreshed, but the capacity figures only
        when the report is newer than the last update: a report generated before a
        placement must not undo that placement's consumption.  Returns whether the
        figures were applied.  *owned*: the caller hands *capability* over and will
        not change it, so it needs no private copy.
        """
        if self._caps_source is not capability:
            # Re-applying the same stored report (every scheduling pass does) needs no
            # fresh copy; a new report is copied so later mutation cannot leak in.
            self.capabilities = MappingProxyType(
                capability if owned and isinstance(capability, dict)
                else _copy_report(dict(capability)))
            self._caps_source = capability
        caps = self.capabilities
        if self._stamp is not None and self._stamp > stamp:
            return False
        self._stamp = stamp
        self.updated = stamp[0]
        self.volume_backend_name = caps.get("volume_backend_name")
        self.vendor_name = caps.get("vendor_name")
        self.driver_version = caps.get("driver_version")
        self.storage_protocol = caps.get("storage_protocol")
        self.total_capacity_gb = _capacity("total_capacity_gb",
                                           caps.get("total_capacity_gb", 0))
        free = caps.get("free_capacity_gb", 0)
        self.free_capacity_gb = None if free is None else _capacity("free_capacity_gb", free)
        self.allocated_capacity_gb = _number(caps.get("allocated_capacity_gb", 0))
        self.provisioned_capacity_gb = _number(
            caps.get("provisioned_capacity_gb", self.allocated_capacity_gb))
        self.reserved_percentage = float(caps.get("reserved_percentage", 0) or 0)
        self.thin_provisioning_support = bool(caps.get("thin_provisioning_support", False))
        self.thick_provisioning_support = bool(caps.get("thick_provisioning_support", False))
        self.max_over_subscription_ratio = calculate_max_over_subscription_ratio(
            caps, global_mosr)
        self.multiattach = bool(caps.get("multiattach", False))
        self.qos_support = bool(caps.get("QoS_support", False))
        self.total_volumes = int(_number(caps.get("total_volumes", 0)))
        self._available.clear()
        self._figures.clear()
        if self.listener is not None:
            self.listener(self)
        return True

    def consume_from_volume(self, size: float, *, now: float) -> None:
        """Virtually place *size* GiB here, stamped at *now* (Cinder's ``update_time=True``):
        the stamp keeps an older report from erasing this consumption."""
        self.consume(size, now)

    def revert_consumed(self, size: float) -> None:
        """Give back *size* GiB after a reschedule, leaving the update stamp alone."""
        self.consume(-size, None)

    def consume(self, size: float, now: float | None) -> None:
        """Add *size* GiB (negative: give back), stamped at *now* unless None: the two
        above in one frame, which a scheduling pass calls directly."""
        if now is not None:
            self._stamp = (now, next(self._counter))
            self.updated = now
        self.allocated_capacity_gb += size
        self.provisioned_capacity_gb += size
        if isinstance(self.free_capacity_gb, float):
            self.free_capacity_gb -= size
        # 'infinite' / 'unknown' stay as they are; None (a broken report) too.
        self._figures.clear()
        if self.listener is not None:
            self.listener(self)

    # Only apply_report and consume change the figures, and forget what was worked out
    # of them (a placement leaves the available capacity alone: kept until a report).
    def virtual_free(self, thin: bool, unknown: float | None = None) -> float | None:
        """``virtual_free_capacity`` for a thin (or thick) request, as
        :func:`.sched_utils.calculate_virtual_free_capacity` gives it (CapacityWeigher's
        weight, what CapacityFilter compares), or *unknown* if a figure is not numeric."""
        figures = self._figures.get(thin)
        if figures is None:
            available = self._available.get(thin) or self._available_capacity(thin)
            if available is None:
                return unknown
            reported: Any = self.free_capacity_gb  # numeric, as _available_capacity found
            figures = self._figures[thin] = (available[1], virtual_free_of(
                available[0], reported, self.provisioned_capacity_gb,
                thin and self.thin_provisioning_support))
        return figures[1]

    def capacity_figures(self, thin: bool) -> tuple[float, float] | None:
        """(:meth:`total_available`, :meth:`virtual_free`) for a thin (or thick) request,
        or None if a figure is not numeric: CapacityFilter's two figures in one call."""
        return self._figures.get(thin) or (
            self._figures[thin] if self.virtual_free(thin) is not None else None)

    def total_available(self, thin: bool) -> float | None:
        """``total_available_capacity`` for a thin (or thick) request, as
        :func:`.sched_utils.capacity_filter_figures` gives it (what CapacityFilter
        divides by), or None if a figure is not numeric.  Only a report changes it."""
        figures = self.capacity_figures(thin)
        return None if figures is None else figures[0]

    def _available_capacity(self, thin: bool) -> tuple[float, float] | None:
        """:func:`.sched_utils.available_capacity` of this pool for a thin (or thick)
        request and its rounding, kept until the next report; None if a figure is not
        numeric."""
        total, reported = self.total_capacity_gb, self.free_capacity_gb
        if reported is None or isinstance(reported, str) or isinstance(total, str):
            return None
        available = available_capacity(
            total, self.reserved_percentage,
            self.max_over_subscription_ratio if thin and self.thin_provisioning_support
            else 1.0)
        kept = self._available[thin] = (available, round(available, 2))
        return kept

    def capacity_factors(self, *, thin: bool = True) -> CapacityFactors | None:
        """This pool's capacity factors, or ``None`` if a figure is not numeric."""
        if not isinstance(self.total_capacity_gb, float) or not isinstance(
                self.free_capacity_gb, float):
            return None
        return calculate_capacity_factors(
            self.total_capacity_gb, self.free_capacity_gb, self.provisioned_capacity_gb,
            self.thin_provisioning_support, self.max_over_subscription_ratio,
            self.reserved_percentage, thin)


# --- the manager ----------------------------------------------------------------
class Liveness(Protocol):
    """Where service heartbeats come from when the host manager does not get them
    one by one (the scheduler service: a running cinder-volume heartbeats every
    ``report_interval``, so it is up; a stopped one keeps its last heartbeat)."""

    def epoch(self) -> int:
        """Changes whenever some service starts or stops."""
        ...  # pragma: no cover

    def running(self, host: str) -> bool:
        """Whether *host*'s service is running (and so heartbeating) now."""
        ...  # pragma: no cover


@attrs.define
class _Service:
    host: str
    availability_zone: str
    last_heartbeat: float
    disabled: bool = False
    frozen: bool = False


@attrs.define
class _Report:
    capabilities: dict[str, Any]
    timestamp: float
    stamp: _Stamp


class HostManager:
    """All pools the scheduler knows, refreshed from reports and service liveness.

    Args:
        max_over_subscription_ratio: the global option, ``'20.0'`` by default;
            ``'auto'`` allowed.  A pool's own reported ratio wins.
        service_down_time: seconds without a heartbeat after which a service is
            down and its pools are not considered (Cinder: 60).
    """

    def __init__(self, *, max_over_subscription_ratio: str | float = "20.0",
                 service_down_time: float = 60.0, liveness: Liveness | None = None) -> None:
        if max_over_subscription_ratio != "auto":
            float(max_over_subscription_ratio)  # validate at the boundary
        self.max_over_subscription_ratio = max_over_subscription_ratio
        self.service_down_time = service_down_time
        self.liveness = liveness
        # liveness.epoch bound once (every pass asks); without a liveness, always None (in C).
        self._epoch: Callable[[], int | None] = (
            liveness.epoch if liveness is not None else itertools.repeat(None).__next__)
        self._counter: Iterator[int] = itertools.count(1)
        self._services: dict[str, _Service] = {}
        self._reports: dict[str, _Report] = {}
        self._merged_reports: dict[str, tuple[_Report, list[tuple[str, dict[str, Any]]]]] = {}
        self._backend_state_map: dict[str, dict[str, BackendState]] = {}
        # Cinder rebuilds the whole map on every request; the result only changes
        # when a report arrives, a service goes up or down, or is disabled.  The
        # map is rebuilt in full only then (same order, same states), and new
        # reports of hosts already in it are applied alone.
        self._map_valid = False
        self._map_expiry = -math.inf
        """Virtual time after which some mapped service may be down."""
        self._fresh_until = -math.inf  # _map_expiry while valid, nothing new; else -inf
        self._liveness_seen: int | None = None
        self._dirty: dict[str, None] = {}
        self._flat: list[BackendState] = []
        self._flat_ids: tuple[str, ...] = ()
        """The ids of :attr:`_flat`, in its order (set with it)."""
        self._down: tuple[str, ...] = ()
        """:meth:`down_services` as of the map's last rebuild, worked out there: only what
        makes the map rebuild changes it (a service up, down, disabled, frozen, a first report)."""
        self.map_epoch = 0
        """Bumped whenever the list of schedulable pools (or its order) changes."""
        self.report_epoch = 0  # bumped as reports are applied (what may change a figure's kind)
        self.map_listeners: tuple[Callable[[], None], ...] = ()  # see listen_map
        self.listeners: tuple[Callable[[BackendState], None], ...] = ()
        """Told of every change of a mapped pool's capacity figures (see :meth:`listen`)."""
        self._notify: Callable[[BackendState], None] | None = None
        """Every pool's :attr:`BackendState.listener`: none, the one listener itself (a
        frame fewer on every placement), or :meth:`_state_changed` for several."""

    def listen(self, fn: Callable[[BackendState], None]) -> None:
        """Tell *fn* of every change of a mapped pool's capacity figures from now on."""
        self.listeners = (*self.listeners, fn)
        self._notify = fn if len(self.listeners) == 1 else self._state_changed
        for pools in self._backend_state_map.values():
            for state in pools.values():
                state.listener = self._notify

    def listen_map(self, fn: Callable[[], None]) -> None:
        """Tell *fn* of every move of :attr:`map_epoch` (the pool list) from now on."""
        self.map_listeners = (*self.map_listeners, fn)

    # -- services ---------------------------------------------------------------
    def register_service(self, host: str, *, availability_zone: str = "nova",
                         now: float) -> None:
        """Record a ``cinder-volume`` service row (created at service start)."""
        service = self._services.get(host)
        if service is None:
            self._services[host] = _Service(host, availability_zone, now)
            self._invalidate()
        else:
            if service.availability_zone != availability_zone:
                service.availability_zone = availability_zone
                self._invalidate()
            self.service_heartbeat(host, now)

    def service_heartbeat(self, host: str, now: float) -> None:
        """A ``report_interval`` heartbeat: the service row's ``updated_at``."""
        service = self._service(host)
        if now > service.last_heartbeat:
            service.last_heartbeat = now
            if host not in self._backend_state_map:
                self._invalidate()  # a down service may be back

    def set_service_disabled(self, host: str, disabled: bool = True) -> None:
        """``os-services/disable``: a disabled service gets no new volumes."""
        self._service(host).disabled = disabled
        self._invalidate()

    def set_service_frozen(self, host: str, frozen: bool = True) -> None:
        """``os-services/freeze``: a frozen backend gets no new volumes."""
        self._service(host).frozen = frozen
        self._invalidate()

    def is_service_up(self, host: str, now: float) -> bool:
        """Cinder's ``service_is_up``: last heartbeat at most ``service_down_time`` ago."""
        service = self._services.get(host)
        if service is None:
            return False
        if self.liveness is not None and self.liveness.running(host):
            return True
        return abs(now - service.last_heartbeat) <= self.service_down_time

    def _service(self, host: str) -> _Service:
        try:
            return self._services[host]
        except KeyError:
            raise KeyError(f"no cinder-volume service registered for {host!r}") from None

    # -- reports ----------------------------------------------------------------
    def update_service_capabilities(self, host: str, capabilities: Mapping[str, Any], *,
                                    timestamp: float,
                                    availability_zone: str | None = None) -> bool:
        """Store a ``get_volume_stats()`` report sent by *host* at *timestamp*.

        A report older than the stored one is ignored (Cinder logs "Ignoring old
        capability report").  The report also counts as a heartbeat.  The pool
        states themselves are refreshed lazily, at the next
        :meth:`get_all_backend_states`, as in Cinder.  Returns False if ignored.
        """
        if host not in self._services:
            self.register_service(host, availability_zone=availability_zone or "nova",
                                  now=timestamp)
        elif availability_zone is not None and \
                self._services[host].availability_zone != availability_zone:
            self._services[host].availability_zone = availability_zone
            self._invalidate()
        self.service_heartbeat(host, timestamp)
        old = self._reports.get(host)
        if old is not None and timestamp < old.timestamp:
            return False
        self._reports[host] = _Report(_copy_report(dict(capabilities)), timestamp,
                                      (timestamp, next(self._counter)))
        if host in self._backend_state_map:
            self._dirty[host] = None
            self._fresh_until = -math.inf
        else:
            self._invalidate()
        return True

    def _apply_new_reports(self) -> None:
        """The map stands: only the reports that arrived since change anything."""
        for host in self._dirty:
            self._update_pools(host, self._services[host], self._reports[host],
                               self._backend_state_map[host])
        self._dirty.clear()

    def _update_backend_state_map(self, now: float, epoch: int | None) -> None:
        """Rebuild the map (Cinder's ``_update_backend_state_map``, which runs on every
        request): which services are up, and their pools from their last reports."""
        active: list[str] = []
        down: list[str] = []
        expiry = math.inf
        for host, service in self._services.items():
            if service.disabled or service.frozen or not self.is_service_up(host, now):
                if host in self._reports:
                    down.append(host)
                continue
            report = self._reports.get(host)
            if report is None:
                continue  # no capabilities yet: not schedulable
            pools = self._backend_state_map.setdefault(host, {})
            self._update_pools(host, service, report, pools)
            active.append(host)
            if self.liveness is None or not self.liveness.running(host):
                expiry = min(expiry, service.last_heartbeat + self.service_down_time)
        for host in [h for h in self._backend_state_map if h not in active]:
            del self._backend_state_map[host]
        self._dirty.clear()
        self._map_valid = True
        self._map_expiry = self._fresh_until = expiry
        self._liveness_seen = epoch
        self._down = tuple(down)
        flat = [state for pools in self._backend_state_map.values()
                for state in pools.values()]
        if len(flat) != len(self._flat) or any(a is not b for a, b in zip(flat, self._flat,
                                                                            strict=True)):
            self._flat = flat
            self._flat_ids = tuple([state.backend_id for state in flat])
            self.map_epoch += 1
            for fn in self.map_listeners:
                fn()

    def _update_pools(self, host: str, service: _Service, report: _Report,
                      pools: dict[str, BackendState]) -> None:
        cached = self._merged_reports.get(host)
        if cached is not None and cached[0] is report:
            pool_reports = cached[1]
        else:
            pool_reports = self._merge_pools(report)
            self._merged_reports[host] = (report, pool_reports)
        self._apply_pools(host, service, report, pool_reports, pools)

    def _merge_pools(self, report: _Report) -> list[tuple[str, dict[str, Any]]]:
        """Each pool's report with the backend-level keys filled in (computed once
        per report: every scheduling pass re-applies the stored reports)."""
        caps = report.capabilities
        backend_info = {
            "volume_backend_name": caps.get("volume_backend_name"),
            "storage_protocol": caps.get("storage_protocol"),
            "vendor_name": caps.get("vendor_name"),
            "driver_version": caps.get("driver_version"),
            "timestamp": report.timestamp,
        }
        pool_reports: list[tuple[str, dict[str, Any]]] = []
        reported = caps.get("pools")
        if isinstance(reported, list) and reported:
            for pool_cap in reported:
                merged = dict(pool_cap)
                for key, value in backend_info.items():
                    if not merged.get(key):
                        merged[key] = value
                for key in ("filter_function", "goodness_function"):
                    if key not in merged and key in caps:
                        merged[key] = caps[key]
                pool_reports.append((str(merged["pool_name"]), merged))
        elif reported is None:
            # Legacy driver without pools: one pool named after the backend.
            name = caps.get("volume_backend_name") or DEFAULT_POOL_NAME
            merged = dict(caps)
            merged.setdefault("timestamp", report.timestamp)
            pool_reports.append((str(name), merged))
        return pool_reports

    def _apply_pools(self, host: str, service: _Service, report: _Report,
                     pool_reports: list[tuple[str, dict[str, Any]]],
                     pools: dict[str, BackendState]) -> None:
        active: list[str] = []
        self.report_epoch += 1
        for name, pool_cap in pool_reports:
            state = pools.get(name)
            if state is None:
                state = BackendState(host=host, pool_name=name,
                                     availability_zone=service.availability_zone,
                                     counter=self._counter, listener=self._notify)
                pools[name] = state
                self._invalidate()  # the pool list changed: rebuild next time
            state.availability_zone = service.availability_zone
            # pool_cap is this manager's own merge of a report it copied on arrival.
            state.apply_report(pool_cap, stamp=report.stamp,
                               global_mosr=self.max_over_subscription_ratio, owned=True)
            active.append(name)
        for name in [n for n in pools if n not in active]:
            del pools[name]
            self._invalidate()

    def _state_changed(self, state: BackendState) -> None:
        for fn in self.listeners:
            fn(state)

    # -- queries ----------------------------------------------------------------
    def refresh(self, now: float) -> None:
        """Bring the pool map up to date (what every scheduling pass starts with)."""
        epoch = self._epoch()
        if epoch == self._liveness_seen and now <= self._fresh_until:
            return  # the usual pass: nothing new
        if self._map_valid and epoch == self._liveness_seen and now <= self._map_expiry:
            self._apply_new_reports()
            if self._map_valid:  # else a report added or dropped a pool just now
                self._fresh_until = self._map_expiry
                return
        self._update_backend_state_map(now, epoch)

    def _invalidate(self) -> None:
        """The map must be rebuilt at the next :meth:`refresh` (its usual pass too)."""
        self._map_valid = False
        self._fresh_until = -math.inf

    def get_all_backend_states(self, now: float) -> list[BackendState]:
        """Every schedulable pool, in map order (``get_all_backend_states``)."""
        self.refresh(now)
        return list(self._flat)

    def schedulable(self, now: float,
                    ) -> tuple[list[BackendState], tuple[str, ...], tuple[str, ...]]:
        """:meth:`get_all_backend_states`, those pools' ids and :meth:`down_services`
        (as a tuple), all as of one refresh: what a recorded pass lists.  The ids and
        the down hosts are kept from the map's last rebuild, not worked out again."""
        self.refresh(now)
        return list(self._flat), self._flat_ids, self._down

    def pools_of(self, backend: str) -> list[BackendState]:
        """The mapped pools of ``host@backend`` (or the one ``host@backend#pool``), in
        map order, as of the last refresh."""
        host = extract_host(backend)
        assert host is not None
        pools = self._backend_state_map.get(host, {})
        pool = extract_host(backend, "pool")
        if pool is None:
            return list(pools.values())
        state = pools.get(pool)
        return [] if state is None else [state]

    def get_all_backend_states_cached(self) -> list[BackendState]:
        """The pools as of the last refresh, without refreshing (for indexes that
        follow :attr:`map_epoch`)."""
        return list(self._flat)

    def down_services(self, now: float) -> list[str]:
        """Hosts with a report whose service is down, disabled or frozen (for traces)."""
        return [host for host, service in self._services.items()
                if host in self._reports and (service.disabled or service.frozen
                                              or not self.is_service_up(host, now))]

    def get_backend_state(self, backend_id: str) -> BackendState | None:
        """The current state of pool ``host@backend#pool``, without refreshing."""
        host = extract_host(backend_id, "backend")
        pool = extract_host(backend_id, "pool", default_pool_name=True)
        assert host is not None
        assert pool is not None
        return self._backend_state_map.get(host, {}).get(pool)

    def consume_from_volume(self, backend_id: str, size: float, *, now: float) -> None:
        """Consume *size* GiB on pool *backend_id*, which must be known."""
        state = self.get_backend_state(backend_id)
        if state is None:
            raise KeyError(f"no pool state for {backend_id!r}")
        state.consume_from_volume(size, now=now)

    def revert_volume_consumed_capacity(self, backend_id: str, size: float) -> bool:
        """Give back *size* GiB on *backend_id* after a reschedule.

        A pool no longer in the map (its service went down) is silently skipped,
        as in Cinder.  Returns whether anything was reverted.
        """
        state = self.get_backend_state(backend_id)
        if state is None:
            return False
        state.revert_consumed(size)
        return True

    def get_pools(self, now: float, *, name: str | None = None,
                  filters: Mapping[str, Any] | None = None,
                  predicate: Callable[[BackendState], bool] | None = None,
                  ) -> list[dict[str, Any]]:
        """The ``GET /scheduler-stats/get_pools?detail=true`` data: ``{"name":
        "host@backend#pool", "capabilities": {...}}`` each, the *reported* figures
        (consumption between reports does not show, as in Cinder), ``timestamp`` in
        virtual seconds.  *name* must match exactly; other *filters* compare after
        Cinder's type conversion (bools from strings, else strings); *predicate* is the
        ``volume_type`` filter (``filter_scheduler.volume_type_predicate``)."""
        result: list[dict[str, Any]] = []
        for state in self.get_all_backend_states(now):
            if name and state.backend_id != name:
                continue
            if filters and not all(_equal_after_convert(state.capabilities.get(k), v)
                                   for k, v in filters.items()):
                continue
            if predicate is not None and not predicate(state):
                continue
            result.append({"name": state.backend_id,
                           "capabilities": copy.deepcopy(dict(state.capabilities))})
        return result


def _copy_report(value: Any) -> Any:
    """A private copy of a capability report (JSON-shaped, so without deepcopy's memo
    unless it holds something else): reports arrive every 60 s from every backend."""
    try:
        return copy_json(value)
    except NotJson:
        return copy.deepcopy(value)


_TRUE_STRINGS: Final = ("1", "t", "true", "on", "y", "yes")


def _equal_after_convert(capability: Any, value: Any) -> bool:
    # HostManager._equal_after_convert: same type (or no capability) compares
    # directly; a bool capability reads the filter value as a bool string;
    # anything else compares as strings.
    if capability is None or isinstance(value, type(capability)):
        return bool(value == capability)
    if isinstance(capability, bool):
        return capability == (str(value).strip().lower() in _TRUE_STRINGS)
    return str(value) == str(capability)
