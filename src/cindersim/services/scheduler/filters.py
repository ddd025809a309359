"""The FilterScheduler's filters (``cinder/scheduler/filters/``).

A filter is a plain callable ``(BackendState, FilterProperties) -> bool``,
registered by Cinder's name in :data:`FILTERS`; a what-if filter plugs in through
:class:`~.filter_scheduler.SchedulerConfig`.  The FilterScheduler runs them in the
configured order (default ``AvailabilityZoneFilter, CapacityFilter,
CapabilitiesFilter``); each keeps the backends it passes, and once one leaves
none the rest do not run (``BaseFilterHandler``).  The CapabilitiesFilter
compares extra specs with ``extra_specs_ops``' little operator language, here as
:func:`extra_specs_match`.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from ...errors import SimulationError
from .host_manager import BackendState
from .request_spec import FilterProperties

__all__ = [
    "DEFAULT_FILTERS",
    "FILTERS",
    "BackendFilter",
    "availability_zone_filter",
    "bool_from_string",
    "capabilities_filter",
    "capacity_filter",
    "different_backend_filter",
    "extra_specs_match",
    "ignore_attempted_hosts_filter",
    "same_backend_filter",
]

BackendFilter = Callable[[BackendState, FilterProperties], bool]
"""A filter: does this backend pass for this request?"""


# --- extra_specs_ops ----------------------------------------------------------------
_TRUE_STRINGS: Final = ("1", "t", "true", "on", "y", "yes")


def bool_from_string(subject: Any) -> bool:
    """oslo's ``strutils.bool_from_string`` (non-strict): unknown text is False."""
    if isinstance(subject, bool):
        return subject
    return str(subject).strip().lower() in _TRUE_STRINGS


_OPS: Final[Mapping[str, Callable[[Any, str], bool]]] = MappingProxyType({
    "=": lambda x, y: float(x) >= float(y),  # '=' means "at least", as in Cinder
    "<in>": lambda x, y: y in x,
    "<is>": lambda x, y: bool_from_string(x) is bool_from_string(y),
    "==": lambda x, y: float(x) == float(y),
    "!=": lambda x, y: float(x) != float(y),
    ">=": lambda x, y: float(x) >= float(y),
    "<=": lambda x, y: float(x) <= float(y),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
})


def extra_specs_match(value: Any, req: str | None) -> bool:
    """Cinder's ``extra_specs_ops.match(capability_value, requirement)``.

    ``req`` starts with an operator (``<is> True``, ``<in> foo``, ``>= 10``,
    ``s== abc``, ``<or> a <or> b``...) or is compared for plain equality with the
    capability *as is*: ``'True'`` does not equal a reported boolean ``True``,
    which is why Cinder's docs say ``<is> True``.  Only the first operand counts.
    A comparison Cinder would crash on (``<in>`` against a bool, ``s<`` between a
    number and text) is a non-match here.
    """
    if req is None:
        return value is None
    words = req.split()
    op = words.pop(0) if words else None
    method = _OPS.get(op) if op is not None else None
    if op != "<or>" and method is None:
        return bool(value == req)
    if value is None:
        return False
    if op == "<or>":  # <or> v1 <or> v2 <or> v3: string equality with any
        while words:
            if words.pop(0) == value:
                return True
            if not words:
                break
            words.pop(0)  # the next '<or>'
        return False
    assert method is not None
    try:
        return bool(words) and bool(method(value, words[0]))
    except (ValueError, TypeError):
        return False


# --- filters ----------------------------------------------------------------------
def availability_zone_filter(backend: BackendState, props: FilterProperties) -> bool:
    """AvailabilityZoneFilter: the backend's zone is one of the allowed zones, or
    the requested zone; no zone requested passes everything."""
    spec = props.request_spec
    if spec.availability_zones:
        return backend.availability_zone in spec.availability_zones
    if spec.availability_zone:
        return spec.availability_zone == backend.availability_zone
    return True


def capacity_filter(backend: BackendState, props: FilterProperties) -> bool:
    """CapacityFilter, with Cinder's exact rules (``capacity_filter.py``).

    * the volume already there (retype) passes; a request of 0 GiB (manage) passes;
    * requested = size, or ``new_size - size`` for an extend;
    * free ``None`` fails (broken stats); free infinite/unknown passes; total
      infinite/unknown passes only with 0 reserved; total <= 0 fails;
    * thin (pool supports it, type not thick): fails when
      ``(provisioned + requested) / total_available > mosr`` or the virtual free
      ``(total - reserved) * mosr - provisioned`` is below the request; a ratio
      below 1 fails outright;
    * thick: virtual free is ``min(free, total - reserved - provisioned)``.
    """
    if props.vol_exists_on is not None and backend.backend_id == props.vol_exists_on:
        return True
    size = props.request_spec.size
    requested = size if props.new_size is None else props.new_size - size
    if requested == 0:
        return True
    thin = props.request_spec.thin
    # Only two of the capacity factors matter here (sched_utils rounds them alike),
    # as the pool keeps them, in one call (see BackendState.capacity_figures); None
    # when a figure is not a number, which is asked only then.
    figures = backend.capacity_figures(thin)
    if figures is None:
        free = backend.free_capacity_gb
        if free is None:
            return False
        if isinstance(free, str):  # 'infinite' / 'unknown': let the retry handle it
            return True
        # The total is: reserved space cannot be computed from an unknown total.
        return backend.reserved_percentage == 0
    total_available, virtual_free = figures
    total: Any = backend.total_capacity_gb  # a number, as the figures found
    if total <= 0:
        return False
    thin_support = backend.thin_provisioning_support
    if thin and thin_support and backend.max_over_subscription_ratio >= 1:
        if total_available <= 0:
            return False  # 100% reserved: Cinder would divide by zero here
        provisioned_ratio = (backend.provisioned_capacity_gb + requested) / total_available
        if provisioned_ratio > backend.max_over_subscription_ratio:
            return False
        return virtual_free >= requested
    if thin and thin_support:
        return False  # "invalid maximum over subscription ratio ... minimum of 1.0"
    return virtual_free >= requested


def capabilities_filter(backend: BackendState, props: FilterProperties) -> bool:
    """CapabilitiesFilter: the volume type's extra specs against the capabilities.

    * An extend of an attached volume fails on a backend reporting
      ``online_extend_support=False`` (unreported means supported).
    * Keys are checked in the type's order.  A key scoped with anything but
      ``capabilities:`` (``volume_backend_name`` is unscoped; ``qos:``, vendor
      scopes and ``provisioning:type`` are skipped) is ignored; ``capabilities:a:b``
      looks up ``capabilities['a']['b']``.  A missing capability fails.  A list
      capability matches if any element does.
    """
    spec = props.request_spec
    caps = backend.capabilities
    if spec.operation == "extend_volume" and caps.get("online_extend_support", True) is False \
            and spec.attach_status != "detached":
        return False
    # resource_extra_specs differs from the type's own only for a multiattach request.
    specs = spec.resource_extra_specs if spec.multiattach else spec.extra_specs
    if not specs:  # (many types have none: no loop set up)
        return True
    for key, req in specs.items():
        scope = str(key).split(":")
        if len(scope) > 1 and scope[0] != "capabilities":
            continue
        if scope[0] == "capabilities":
            del scope[0]
        cap: Any = caps
        for part in scope:
            try:
                cap = cap[part]
            except (TypeError, KeyError, IndexError):
                return False
        values = cap if isinstance(cap, list) else [cap]
        if not any(extra_specs_match(v, req) for v in values):
            return False
    return True


def ignore_attempted_hosts_filter(backend: BackendState, props: FilterProperties) -> bool:
    """IgnoreAttemptedHostsFilter (registered also as RetryFilter): skip backends
    this request was already sent to.  Not a default filter, so by default a
    reschedule may land on the same backend again."""
    if props.retry is None:
        return True
    return backend.backend_id not in props.retry.hosts


def _affinity_uuids(hint: Any) -> list[str] | None:
    """The hint's volume ids, or None when any is not uuid-like (which fails)."""
    ids = hint if isinstance(hint, list) else [hint]
    for value in ids:
        try:
            parsed = uuid.UUID(str(value))
        except ValueError:
            return None
        if parsed.hex != str(value).replace("-", "").lower():
            return None
    return [str(v) for v in ids]


def _volumes_on(backend: BackendState, props: FilterProperties, hint_key: str) -> bool | None:
    hint = props.scheduler_hints.get(hint_key)
    if hint is None or hint == []:
        return None
    ids = _affinity_uuids(hint)
    if ids is None:
        raise _BadHint
    if props.volume_host is None:
        raise SimulationError(f"scheduler hint {hint_key!r} needs FilterProperties."
                              "volume_host to look volumes up")
    return any(props.volume_host(vid) == backend.backend_id for vid in ids)


class _BadHint(Exception):
    """A hint that is not a (list of) uuid: Cinder fails the filter."""


def different_backend_filter(backend: BackendState, props: FilterProperties) -> bool:
    """DifferentBackendFilter: not where any ``different_host`` hint volume lives."""
    try:
        found = _volumes_on(backend, props, "different_host")
    except _BadHint:
        return False
    return found is None or not found


def same_backend_filter(backend: BackendState, props: FilterProperties) -> bool:
    """SameBackendFilter: where some ``same_host`` hint volume lives."""
    try:
        found = _volumes_on(backend, props, "same_host")
    except _BadHint:
        return False
    return found is None or found


FILTERS: Final[Mapping[str, BackendFilter]] = MappingProxyType({
    "AvailabilityZoneFilter": availability_zone_filter,
    "CapacityFilter": capacity_filter,
    "CapabilitiesFilter": capabilities_filter,
    "IgnoreAttemptedHostsFilter": ignore_attempted_hosts_filter,
    "RetryFilter": ignore_attempted_hosts_filter,
    "DifferentBackendFilter": different_backend_filter,
    "SameBackendFilter": same_backend_filter,
})
"""Built-in filters by Cinder's names (``scheduler_default_filters`` entries)."""

DEFAULT_FILTERS: Final = ("AvailabilityZoneFilter", "CapacityFilter", "CapabilitiesFilter")
