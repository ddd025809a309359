"""cinder-scheduler's decision logic: filters, weighers and the FilterScheduler.

Pure functions over :class:`~cindersim.services.host_manager.HostManager` state; the
bus-facing scheduler service calls them and narrates the returned
:class:`SchedulingDecision`.  Facts carried from ``cinder/scheduler/``:

* **Filters** run in the configured order (default ``AvailabilityZoneFilter,
  CapacityFilter, CapabilitiesFilter``).  Each keeps the backends it passes; once
  one leaves none, the rest do not run (``BaseFilterHandler``).
* **Weighers** (default ``CapacityWeigher``) each give a raw weight per backend;
  the raw weights are normalised to [0, 1] across the candidates (all equal -> 0),
  multiplied by the weigher's multiplier and summed.  The list is then sorted by
  total weight, highest first, with Python's *stable* sort: ties keep the host
  manager's order (service registration order, then pool order in the report).
  That is Cinder's own tie-break, and it is deterministic here because the host
  manager's maps are insertion-ordered.  ChanceWeigher draws from the seeded rng
  passed in, in that same order.
* **Retry**: each scheduling pass increments ``retry['num_attempts']`` (a fresh
  record starts at 1) unless ``scheduler_max_attempts`` is 1, which disables
  rescheduling and drops the record.  Past the maximum the pass fails with
  "Exceeded max scheduling attempts %d for resource %s".  A retry that already
  names backends first gives the capacity consumed on the last one back.  The
  chosen backend is appended to ``retry['backends']`` and ``retry['hosts']``.
* ``resource_backend`` (clones, volumes from snapshots, group members) pins the
  choice after weighing: candidates on other backends are dropped, comparing at
  pool level when the pin names a pool and at ``host@backend`` level otherwise.
* The chosen pool consumes the volume size at once, so the next request sees it.

Extension points are plain callables: a filter is ``(BackendState,
FilterProperties) -> bool`` and a weigher ``(BackendState, FilterProperties) ->
float``; register them by name in :class:`SchedulerConfig`.  A weigher may return
``math.inf`` for "unbounded"; the handler then treats it as Cinder's
CapacityWeigher treats infinite capacity (just above the largest finite weight).
"""

from __future__ import annotations

import math
import operator
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs

from cindersim.errors import NoValidBackend, SimulationError
from cindersim.services.scheduler.host_manager import (
    BackendState,
    HostManager,
    calculate_capacity_factors,
    calculate_virtual_free_capacity,
    extract_host,
)
from cindersim.services.scheduler.placement import INDEXABLE_WEIGHERS, PlacementIndex, WeightOrder

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_FILTERS",
    "DEFAULT_MULTIPLIERS",
    "DEFAULT_WEIGHERS",
    "FILTERS",
    "NO_WEIGHED_BACKENDS",
    "WEIGHERS",
    "BackendFilter",
    "BackendWeigher",
    "FilterOutcome",
    "FilterProperties",
    "RequestSpec",
    "RetryRecord",
    "SchedulerConfig",
    "SchedulingDecision",
    "WeighedBackend",
    "WeigherOutcome",
    "allocated_capacity_weigher",
    "availability_zone_filter",
    "backend_passes_filters",
    "bool_from_string",
    "capabilities_filter",
    "capacity_filter",
    "capacity_weigher",
    "chance_weigher",
    "different_backend_filter",
    "extra_specs_match",
    "ignore_attempted_hosts_filter",
    "same_backend_filter",
    "schedule_create_volume",
    "volume_number_weigher",
    "volume_type_predicate",
    "weigh_backends",
]

NO_WEIGHED_BACKENDS: Final = "No weighed backends available"


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _str_tuple(value: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


# --- request and retry ------------------------------------------------------------
@attrs.frozen(slots=True)
class RequestSpec:
    """What is being placed: Cinder's ``RequestSpec`` with ``volume_properties``
    flattened into fields."""

    size: int
    """GiB: the volume's size (for an extend, its *current* size)."""
    volume_id: str | None = None
    snapshot_id: str | None = None
    group_id: str | None = None
    volume_type_name: str | None = None
    volume_type_id: str | None = None
    extra_specs: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """The volume type's extra specs, in the type's order."""
    availability_zone: str | None = None
    availability_zones: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    """Allowed zones (a type's ``RESKEY:availability_zones``); wins over the AZ."""
    resource_backend: str | None = None
    """Pin to a backend (source volume's/snapshot's host for clones)."""
    multiattach: bool = False
    operation: str | None = None
    """``'extend_volume'`` enables the online-extend capability check."""
    attach_status: str = "detached"
    project_id: str | None = None
    user_id: str | None = None
    image_id: str | None = None
    """A Glance image to copy into the new volume (``imageRef``)."""

    @property
    def resource_extra_specs(self) -> Mapping[str, Any]:
        """Extra specs as the filters see them: a multiattach request adds
        ``multiattach='<is> True'`` unless the type already says something."""
        if self.multiattach and "multiattach" not in self.extra_specs:
            return MappingProxyType({**self.extra_specs, "multiattach": "<is> True"})
        return self.extra_specs

    @property
    def resource_id(self) -> str | None:
        """The id ``_populate_retry`` reports: the volume's, else the group's."""
        return self.volume_id or self.group_id

    def to_dict(self) -> dict[str, Any]:
        """Cinder's request_spec dict shape, for messages and traces."""
        volume_type = None
        if self.volume_type_name or self.volume_type_id or self.extra_specs:
            volume_type = {"name": self.volume_type_name, "id": self.volume_type_id,
                           "extra_specs": dict(self.extra_specs)}
        return {
            "volume_id": self.volume_id, "snapshot_id": self.snapshot_id,
            "image_id": self.image_id,
            "group_id": self.group_id, "volume_type": volume_type,
            "availability_zones": list(self.availability_zones),
            "resource_backend": self.resource_backend, "operation": self.operation,
            "volume_properties": {
                "size": self.size, "availability_zone": self.availability_zone,
                "multiattach": self.multiattach, "attach_status": self.attach_status,
                "project_id": self.project_id, "user_id": self.user_id,
            },
        }


@attrs.frozen(slots=True)
class RetryRecord:
    """``filter_properties['retry']``, carried through reschedules.

    ``hosts`` duplicates ``backends`` (Cinder keeps both for compatibility and
    IgnoreAttemptedHostsFilter reads ``hosts``).  ``exc`` is set by the volume
    manager's reschedule task and consumed by the next scheduling pass.
    """

    num_attempts: int
    backends: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    exc: str | None = None

    def with_backend(self, backend_id: str) -> RetryRecord:
        return RetryRecord(self.num_attempts, (*self.backends, backend_id),
                           (*self.hosts, backend_id), self.exc)

    def with_exc(self, exc: str) -> RetryRecord:
        """What OnFailureRescheduleTask stores before recasting to the scheduler."""
        return attrs.evolve(self, exc=exc)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"num_attempts": self.num_attempts,
                             "backends": list(self.backends), "hosts": list(self.hosts)}
        if self.exc is not None:
            d["exc"] = self.exc
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> RetryRecord | None:
        """An empty or missing dict is "no retry yet", as Cinder's ``if retry``."""
        if not d:
            return None
        return cls(num_attempts=int(d["num_attempts"]),
                   backends=tuple(d.get("backends", ())), hosts=tuple(d.get("hosts", ())),
                   exc=d.get("exc"))


@attrs.frozen(slots=True)
class FilterProperties:
    """What filters and weighers get besides the backend (``filter_properties``)."""

    request_spec: RequestSpec
    config: SchedulerConfig
    new_size: int | None = None
    """Set for extends: the filters check ``new_size - size``."""
    retry: RetryRecord | None = None
    vol_exists_on: str | None = None
    """Retype: the volume already lives on this backend, so capacity passes."""
    scheduler_hints: Mapping[str, Any] = attrs.field(factory=dict,
                                                     converter=_frozen_mapping)
    rng: random.Random | None = attrs.field(default=None, eq=False, repr=False)
    """The simulation's rng (ChanceWeigher)."""
    volume_host: Callable[[str], str | None] | None = attrs.field(
        default=None, eq=False, repr=False)
    """Volume id -> its ``host`` or None (affinity filters; Cinder asks the DB)."""
    volume_number: Callable[[str], int] | None = attrs.field(
        default=None, eq=False, repr=False)
    """Backend id -> number of volumes on it (VolumeNumberWeigher; the DB count)."""

    @property
    def size(self) -> int:
        return self.request_spec.size

    @property
    def extra_specs(self) -> Mapping[str, Any]:
        """The volume type's extra specs (``filter_properties['volume_type']``)."""
        return self.request_spec.extra_specs

    @property
    def thin(self) -> bool:
        """Thin unless the type says ``provisioning:type=thick``."""
        return bool(self.extra_specs.get("provisioning:type") != "thick")


BackendFilter = Callable[[BackendState, FilterProperties], bool]
"""A filter: does this backend pass for this request?"""

BackendWeigher = Callable[[BackendState, FilterProperties], float]
"""A weigher: the raw (un-normalised) weight of this backend for this request."""


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
    requested = props.size if props.new_size is None else props.new_size - props.size
    if requested == 0:
        return True
    free = backend.free_capacity_gb
    total = backend.total_capacity_gb
    if free is None:
        return False
    if isinstance(free, str):  # 'infinite' / 'unknown': let the retry handle it
        return True
    if isinstance(total, str):
        # Reserved space cannot be computed from an unknown total.
        return backend.reserved_percentage == 0
    if total <= 0:
        return False
    thin = props.thin
    thin_support = backend.thin_provisioning_support
    mosr = backend.max_over_subscription_ratio if thin_support else 1.0
    factors = calculate_capacity_factors(total, free, backend.provisioned_capacity_gb,
                                         thin_support, mosr, backend.reserved_percentage,
                                         thin)
    if thin and thin_support and backend.max_over_subscription_ratio >= 1:
        if factors.total_available_capacity <= 0:
            return False  # 100% reserved: Cinder would divide by zero here
        provisioned_ratio = ((backend.provisioned_capacity_gb + requested)
                             / factors.total_available_capacity)
        if provisioned_ratio > backend.max_over_subscription_ratio:
            return False
        return factors.virtual_free_capacity >= requested
    if thin and thin_support:
        return False  # "invalid maximum over subscription ratio ... minimum of 1.0"
    return factors.virtual_free_capacity >= requested


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
    for key, req in spec.resource_extra_specs.items():
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


# --- weighers ---------------------------------------------------------------------
def capacity_weigher(backend: BackendState, props: FilterProperties) -> float:
    """CapacityWeigher: the virtual free capacity (thin or thick, as the filter).

    Infinite or unknown capacity weighs -1 with a positive multiplier and
    ``inf`` otherwise, so such pools sort last either way.
    """
    free = backend.free_capacity_gb
    total = backend.total_capacity_gb
    if free is None or isinstance(free, str) or isinstance(total, str):
        return -1.0 if props.config.multiplier("CapacityWeigher") > 0 else math.inf
    return calculate_virtual_free_capacity(
        total, free, backend.provisioned_capacity_gb, backend.thin_provisioning_support,
        backend.max_over_subscription_ratio, backend.reserved_percentage, props.thin)


def allocated_capacity_weigher(backend: BackendState, props: FilterProperties) -> float:
    """AllocatedCapacityWeigher: allocated GiB (multiplier -1: least allocated wins)."""
    return backend.allocated_capacity_gb


def volume_number_weigher(backend: BackendState, props: FilterProperties) -> float:
    """VolumeNumberWeigher: volumes on the backend (multiplier -1: fewest wins).

    Cinder counts volume rows in the DB; pass ``volume_number`` for that, else
    the reported ``total_volumes`` is used.
    """
    if props.volume_number is not None:
        return float(props.volume_number(backend.backend_id))
    return float(backend.total_volumes)


def chance_weigher(backend: BackendState, props: FilterProperties) -> float:
    """ChanceWeigher: a random weight from the simulation's rng."""
    if props.rng is None:
        raise SimulationError("ChanceWeigher needs FilterProperties.rng")
    return props.rng.random()


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

WEIGHERS: Final[Mapping[str, BackendWeigher]] = MappingProxyType({
    "CapacityWeigher": capacity_weigher,
    "AllocatedCapacityWeigher": allocated_capacity_weigher,
    "VolumeNumberWeigher": volume_number_weigher,
    "ChanceWeigher": chance_weigher,
})
"""Built-in weighers by Cinder's names (``scheduler_default_weighers`` entries)."""

DEFAULT_FILTERS: Final = ("AvailabilityZoneFilter", "CapacityFilter", "CapabilitiesFilter")
DEFAULT_WEIGHERS: Final = ("CapacityWeigher",)
DEFAULT_MULTIPLIERS: Final[Mapping[str, float]] = MappingProxyType({
    "CapacityWeigher": 1.0,             # capacity_weight_multiplier: >0 spreads
    "AllocatedCapacityWeigher": -1.0,   # allocated_capacity_weight_multiplier
    "VolumeNumberWeigher": -1.0,        # volume_number_multiplier
})
"""Cinder's multiplier options; any other weigher has the base multiplier 1.0."""

_OPTION_MULTIPLIERS: Final = {
    "capacity_weight_multiplier": "CapacityWeigher",
    "allocated_capacity_weight_multiplier": "AllocatedCapacityWeigher",
    "volume_number_multiplier": "VolumeNumberWeigher",
}


def _multipliers(value: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType({**DEFAULT_MULTIPLIERS, **(value or {})})


def _registry(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _check_max_attempts(_inst: object, _attr: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError("scheduler_max_attempts: Invalid value for "
                         "'scheduler_max_attempts', must be >=1")


@attrs.frozen(slots=True)
class SchedulerConfig:
    """The scheduler's options.  Names are resolved (and checked) at construction.

    To plug in a what-if filter: ``attrs.evolve(cfg, filter_registry={**FILTERS,
    "MyFilter": fn}, filters=(*cfg.filters, "MyFilter"))``.
    """

    filters: tuple[str, ...] = attrs.field(default=DEFAULT_FILTERS, converter=_str_tuple)
    weighers: tuple[str, ...] = attrs.field(default=DEFAULT_WEIGHERS, converter=_str_tuple)
    max_attempts: int = attrs.field(default=3, validator=_check_max_attempts)
    multipliers: Mapping[str, float] = attrs.field(factory=dict, converter=_multipliers)
    filter_registry: Mapping[str, BackendFilter] = attrs.field(default=FILTERS,
                                                               converter=_registry)
    weigher_registry: Mapping[str, BackendWeigher] = attrs.field(default=WEIGHERS,
                                                                 converter=_registry)

    def __attrs_post_init__(self) -> None:
        bad = [n for n in self.filters if n not in self.filter_registry]
        if bad:
            raise ValueError("scheduler_default_filters: Scheduler Host Filter "
                             f"{', '.join(bad)} could not be found.")
        bad = [n for n in self.weighers if n not in self.weigher_registry]
        if bad:
            raise ValueError("scheduler_default_weighers: Scheduler Host Weigher "
                             f"{', '.join(bad)} could not be found.")

    def multiplier(self, weigher_name: str) -> float:
        return float(self.multipliers.get(weigher_name, 1.0))

    @classmethod
    def from_options(cls, options: Mapping[str, Any], **kwargs: Any) -> SchedulerConfig:
        """Build from cinder.conf-style options (``scheduler_default_filters =
        AvailabilityZoneFilter,CapacityFilter``, ``scheduler_max_attempts``,
        ``capacity_weight_multiplier`` ...).  Unknown options are an error."""
        multipliers: dict[str, float] = {}
        for key, value in options.items():
            if key == "scheduler_default_filters":
                kwargs["filters"] = _str_tuple(value)
            elif key == "scheduler_default_weighers":
                kwargs["weighers"] = _str_tuple(value)
            elif key == "scheduler_max_attempts":
                kwargs["max_attempts"] = int(value)
            elif key in _OPTION_MULTIPLIERS:
                multipliers[_OPTION_MULTIPLIERS[key]] = float(value)
            else:
                raise ValueError(f"{key}: not a scheduler option cindersim knows")
        return cls(multipliers=multipliers, **kwargs)


DEFAULT_CONFIG: Final = SchedulerConfig()


# --- decision record --------------------------------------------------------------
@attrs.frozen(slots=True)
class FilterOutcome:
    """One filter's pass over the surviving candidates."""

    name: str
    passed: tuple[str, ...]
    rejected: tuple[str, ...]


@attrs.frozen(slots=True)
class WeigherOutcome:
    """One weigher: raw and normalised weights, aligned with ``backends``."""

    name: str
    multiplier: float
    backends: tuple[str, ...]
    raw: tuple[float, ...]
    normalized: tuple[float, ...]


@attrs.frozen(slots=True)
class WeighedBackend:
    backend_id: str
    weight: float
    """Sum over weighers of multiplier x normalised weight."""


@attrs.frozen(slots=True)
class SchedulingDecision:
    """Everything one scheduling pass did, for the caller and the trace."""

    operation: str
    """``'create_volume'`` or ``'backend_passes_filters'``."""
    request: RequestSpec
    candidates: tuple[str, ...] = ()
    """Pools of up, enabled services, in host manager order."""
    down_hosts: tuple[str, ...] = ()
    """Services with reports that were not considered (down/disabled/frozen)."""
    filters: tuple[FilterOutcome, ...] = ()
    weighers: tuple[WeigherOutcome, ...] = ()
    weighed: tuple[WeighedBackend, ...] = ()
    """Best first."""
    pinned_out: tuple[str, ...] = ()
    """Weighed backends dropped because ``resource_backend`` pins elsewhere."""
    chosen: str | None = None
    consumed_gb: float = 0
    retry: RetryRecord | None = None
    """The retry record to carry on (None when rescheduling is disabled)."""
    previous_error: str | None = None
    """``retry['exc']`` from the failed previous attempt, now consumed."""
    reverted: tuple[str, float] | None = None
    """(backend, GiB) given back before this pass, on a reschedule."""
    reason: str | None = None
    """NoValidBackend's reason when no backend was found."""
    message: str | None = None
    """A complete NoValidBackend message, when Cinder gives one (placement checks)."""

    @property
    def ok(self) -> bool:
        return self.chosen is not None

    def error(self) -> NoValidBackend | None:
        """The NoValidBackend Cinder raises for this decision, or None."""
        if self.chosen is not None:
            return None
        if self.message is not None:
            return NoValidBackend(self.message)
        return NoValidBackend(reason=self.reason or NO_WEIGHED_BACKENDS)

    def backend(self) -> str:
        """The chosen backend id; raises NoValidBackend if there is none."""
        err = self.error()
        if err is not None:
            raise err
        assert self.chosen is not None
        return self.chosen

    def narrate(self) -> str:
        """One paragraph for the learner-facing narration."""
        parts: list[str] = []
        if self.previous_error:
            parts.append(f"The last attempt failed ({self.previous_error}).")
        if self.reverted:
            parts.append(f"cinder-scheduler gives {self.reverted[1]:g} GiB back to "
                         f"{self.reverted[0]}.")
        if self.reason and not self.candidates and not self.filters:
            parts.append(f"cinder-scheduler gives up: {self.reason}.")
            return " ".join(parts)
        if self.chosen is not None and not self.candidates and not self.filters:
            # Found through the placement index: there is no per-filter record.
            parts.append(f"cinder-scheduler chooses {self.chosen} and consumes "
                         f"{self.consumed_gb:g} GiB there.")
            return " ".join(parts)
        down = f"; not considered (service down/disabled): {', '.join(self.down_hosts)}" \
            if self.down_hosts else ""
        parts.append(f"cinder-scheduler filters the candidates: {len(self.candidates)} "
                     f"pool(s) up ({', '.join(self.candidates) or 'none'}){down}.")
        for f in self.filters if self.candidates else ():
            rejected = f" rejects {', '.join(f.rejected)} and" if f.rejected else ""
            parts.append(f"{f.name}{rejected} keeps {len(f.passed)}.")
        for w in self.weighers:
            weights = ", ".join(f"{b}={n:.3f}" for b, n in zip(w.backends, w.normalized,
                                                              strict=True))
            parts.append(f"{w.name} (multiplier {w.multiplier!r}) weighs {weights}.")
        if self.pinned_out:
            parts.append(f"Pinned to {self.request.resource_backend}: drops "
                         f"{', '.join(self.pinned_out)}.")
        if self.chosen is not None:
            consumed = f" and consumes {self.consumed_gb:g} GiB there" \
                if self.consumed_gb else ""
            parts.append(f"It chooses {self.chosen}{consumed}.")
        else:
            err = self.error()
            parts.append(f"No backend fits: {err}.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable detail for a trace event."""
        return {
            "operation": self.operation,
            "candidates": list(self.candidates),
            "down_hosts": list(self.down_hosts),
            "filters": [{"name": f.name, "passed": list(f.passed),
                         "rejected": list(f.rejected)} for f in self.filters],
            "weighers": [{"name": w.name, "multiplier": w.multiplier,
                          "weights": {b: {"raw": r, "normalized": n} for b, r, n in
                                      zip(w.backends, w.raw, w.normalized, strict=True)}}
                         for w in self.weighers],
            "weighed": [[w.backend_id, w.weight] for w in self.weighed],
            "pinned_out": list(self.pinned_out),
            "chosen": self.chosen,
            "consumed_gb": self.consumed_gb,
            "retry": None if self.retry is None else self.retry.to_dict(),
            "previous_error": self.previous_error,
            "reverted": None if self.reverted is None else list(self.reverted),
            "error": None if self.ok else str(self.error()),
        }


# --- weighing ---------------------------------------------------------------------
_OFFSET_MIN: Final = 10000.0
_OFFSET_MULT: Final = 100.0


def _normalize(raw: Sequence[float]) -> list[float]:
    weights = list(raw)
    if any(math.isinf(w) for w in weights):
        finite = [w for w in weights if not math.isinf(w)]
        if not finite:
            return [0.0] * len(weights)  # Cinder would crash on max([]) here
        maxval = max(finite)
        offset = (maxval - min(finite)) * _OFFSET_MULT
        replacement = maxval + (_OFFSET_MIN if offset == 0.0 else offset)
        weights = [replacement if math.isinf(w) else w for w in weights]
    lo, hi = min(weights), max(weights)
    if lo == hi:
        return [0.0] * len(weights)
    return [(w - lo) / (hi - lo) for w in weights]


def weigh_backends(backends: Sequence[BackendState], props: FilterProperties,
                   ) -> tuple[list[WeighedBackend], list[WeigherOutcome]]:
    """Normalise, multiply, sum and sort (``BaseWeightHandler.get_weighed_objects``)."""
    if not backends:
        return [], []
    config = props.config
    ids = tuple(b.backend_id for b in backends)
    totals = [0.0] * len(backends)
    outcomes: list[WeigherOutcome] = []
    for name in config.weighers:
        weigher = config.weigher_registry[name]
        raw = [float(weigher(b, props)) for b in backends]
        normalized = _normalize(raw)
        multiplier = config.multiplier(name)
        for i, weight in enumerate(normalized):
            totals[i] += multiplier * weight
        outcomes.append(WeigherOutcome(name, multiplier, ids, tuple(raw), tuple(normalized)))
    weighed = [WeighedBackend(bid, total) for bid, total in zip(ids, totals, strict=True)]
    # Stable: equal weights keep host manager order, as Cinder's sorted() does.
    weighed.sort(key=lambda w: w.weight, reverse=True)
    return weighed, outcomes


def _run_filters(backends: list[BackendState], props: FilterProperties,
                 ) -> tuple[list[BackendState], list[FilterOutcome]]:
    outcomes: list[FilterOutcome] = []
    survivors = backends
    for name in props.config.filters:
        check = props.config.filter_registry[name]
        verdicts = [bool(check(b, props)) for b in survivors]
        passed = [b for b, ok in zip(survivors, verdicts, strict=True) if ok]
        outcomes.append(FilterOutcome(
            name, tuple(b.backend_id for b in passed),
            tuple(b.backend_id for b, ok in zip(survivors, verdicts, strict=True) if not ok)))
        survivors = passed
        if not survivors:
            break  # Cinder stops at the first filter that leaves nothing
    return survivors, outcomes


# --- the FilterScheduler ----------------------------------------------------------
@attrs.frozen(slots=True)
class _Pass:
    decision: SchedulingDecision
    states: dict[str, BackendState]
    props: FilterProperties | None


def _weighted_candidates(
    host_manager: HostManager, request_spec: RequestSpec, operation: str, *,
    config: SchedulerConfig, now: float, retry: RetryRecord | None, new_size: int | None,
    vol_exists_on: str | None, scheduler_hints: Mapping[str, Any] | None,
    rng: random.Random | None, volume_host: Callable[[str], str | None] | None,
    volume_number: Callable[[str], int] | None,
) -> _Pass:
    """``_populate_retry`` + revert + filter + weigh (``_get_weighted_candidates``)."""
    prepared = _prepare(host_manager, request_spec, operation, config=config, retry=retry,
                        new_size=new_size, vol_exists_on=vol_exists_on,
                        scheduler_hints=scheduler_hints, rng=rng, volume_host=volume_host,
                        volume_number=volume_number)
    if isinstance(prepared, _Pass):
        return prepared
    base, props = prepared
    backends = host_manager.get_all_backend_states(now)
    states = {b.backend_id: b for b in backends}
    survivors, filter_outcomes = _run_filters(backends, props)
    weighed, weigher_outcomes = weigh_backends(survivors, props)
    decision = attrs.evolve(
        base, candidates=tuple(states), down_hosts=tuple(host_manager.down_services(now)),
        filters=tuple(filter_outcomes), weighers=tuple(weigher_outcomes),
        weighed=tuple(weighed))
    return _Pass(decision, states, props)


def _prepare(
    host_manager: HostManager, request_spec: RequestSpec, operation: str, *,
    config: SchedulerConfig, retry: RetryRecord | None, new_size: int | None,
    vol_exists_on: str | None, scheduler_hints: Mapping[str, Any] | None,
    rng: random.Random | None, volume_host: Callable[[str], str | None] | None,
    volume_number: Callable[[str], int] | None,
) -> _Pass | tuple[SchedulingDecision, FilterProperties]:
    """``_populate_retry`` and the revert of the last attempt's consumption: the
    decision so far and the filter properties, or a finished (failed) pass."""
    previous_error: str | None = None
    if config.max_attempts == 1:
        retry = None  # re-scheduling is disabled: the record is dropped
    else:
        if retry is None:
            retry = RetryRecord(num_attempts=1)
        else:  # exc is popped and logged by the scheduler
            previous_error = retry.exc
            retry = RetryRecord(retry.num_attempts + 1, retry.backends, retry.hosts)
        if retry.num_attempts > config.max_attempts:
            reason = (f"Exceeded max scheduling attempts {config.max_attempts} "
                      f"for resource {request_spec.resource_id}")
            return _Pass(SchedulingDecision(operation=operation, request=request_spec,
                                            retry=retry, previous_error=previous_error,
                                            reason=reason), {}, None)
    reverted: tuple[str, float] | None = None
    if retry is not None and retry.backends:
        last = retry.backends[-1]
        if host_manager.revert_volume_consumed_capacity(last, request_spec.size):
            reverted = (last, float(request_spec.size))
    props = FilterProperties(request_spec=request_spec, config=config, new_size=new_size,
                             retry=retry, vol_exists_on=vol_exists_on,
                             scheduler_hints=scheduler_hints or {}, rng=rng,
                             volume_host=volume_host, volume_number=volume_number)
    return SchedulingDecision(operation=operation, request=request_spec, retry=retry,
                              previous_error=previous_error, reverted=reverted), props


def indexable(config: SchedulerConfig) -> bool:
    """Whether :class:`~.placement.PlacementIndex` gives this configuration's choice:
    one built-in weigher whose weight is a function of the pool alone."""
    if len(config.weighers) != 1:
        return False
    name = config.weighers[0]
    return name in INDEXABLE_WEIGHERS and config.weigher_registry[name] is WEIGHERS.get(name)


def _order_for(index: PlacementIndex, props: FilterProperties, now: float) -> WeightOrder:
    """The refreshed pool order for this request's weigher and thin/thick choice."""
    config = props.config
    name = config.weighers[0]
    weigher = config.weigher_registry[name]
    thin = props.thin

    def make_weight() -> Callable[[BackendState], float]:
        template = FilterProperties(
            request_spec=RequestSpec(size=0, extra_specs={} if thin else {
                "provisioning:type": "thick"}), config=config)
        return lambda state: float(weigher(state, template))

    index.host_manager.refresh(now)
    return index.order((name, thin, config.multiplier(name), weigher), make_weight)


def _indexed_choice(index: PlacementIndex, props: FilterProperties, now: float,
                    pin: str | None) -> tuple[str, BackendState] | None:
    """The pool the FilterScheduler would choose, found best-first in *index*."""
    config = props.config
    name = config.weighers[0]
    multiplier = config.multiplier(name)
    order = _order_for(index, props, now)
    checks = [config.filter_registry[n] for n in config.filters]
    # CapacityFilter wants virtual free >= requested of a numeric pool, and with a
    # positive CapacityWeigher the pools come in falling virtual-free order.
    requested = props.size if props.new_size is None else props.new_size - props.size
    stop_below = (name == "CapacityWeigher" and multiplier > 0 and requested > 0
                  and "CapacityFilter" in config.filters and props.vol_exists_on is None)
    pin_has_pool = pin is not None and extract_host(pin, "pool") is not None
    for w, state in order.best_first():
        if stop_below and w < requested and isinstance(state.total_capacity_gb, float) \
                and isinstance(state.free_capacity_gb, float):
            if not order.has_unbounded():
                return None
            continue  # only an 'infinite'/'unknown' pool could still pass
        bid = state.backend_id
        if pin is not None and (bid if pin_has_pool else extract_host(bid)) != pin:
            continue
        if all(check(state, props) for check in checks):
            return bid, state
    return None


def schedule_create_volume(
    host_manager: HostManager, request_spec: RequestSpec, *,
    config: SchedulerConfig = DEFAULT_CONFIG, now: float,
    retry: RetryRecord | None = None, scheduler_hints: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
    volume_host: Callable[[str], str | None] | None = None,
    volume_number: Callable[[str], int] | None = None,
    index: PlacementIndex | None = None,
) -> SchedulingDecision:
    """Place a new volume (``FilterScheduler.schedule_create_volume``).

    With an *index* (and a configuration it can answer, see :func:`indexable`) the
    pool is found without weighing every candidate; the decision then carries the
    choice and the retry record but no per-filter or per-weigher detail.

    On success the chosen pool has consumed ``request_spec.size`` and the returned
    ``decision.retry`` names it; carry that record to the volume service.  On
    failure ``decision.error()`` is the NoValidBackend to raise ("No weighed
    backends available", or "Exceeded max scheduling attempts ...").  The
    retry passed in is not modified.
    """
    if index is not None and indexable(config):
        prepared = _prepare(host_manager, request_spec, "create_volume", config=config,
                            retry=retry, new_size=None, vol_exists_on=None,
                            scheduler_hints=scheduler_hints, rng=rng,
                            volume_host=volume_host, volume_number=volume_number)
        if isinstance(prepared, _Pass):
            return prepared.decision
        base, props = prepared
        found = _indexed_choice(index, props, now, request_spec.resource_backend)
        if found is None:
            return attrs.evolve(base, reason=NO_WEIGHED_BACKENDS)
        chosen, state = found
        state.consume_from_volume(request_spec.size, now=now)
        return SchedulingDecision(
            operation=base.operation, request=request_spec, chosen=chosen,
            consumed_gb=float(request_spec.size),
            retry=None if base.retry is None else base.retry.with_backend(chosen),
            previous_error=base.previous_error, reverted=base.reverted)
    run = _weighted_candidates(host_manager, request_spec, "create_volume", config=config,
                               now=now, retry=retry, new_size=None, vol_exists_on=None,
                               scheduler_hints=scheduler_hints, rng=rng,
                               volume_host=volume_host, volume_number=volume_number)
    decision = run.decision
    if decision.reason is not None:
        return decision
    weighed = list(decision.weighed)
    pinned_out: list[WeighedBackend] = []
    pin = request_spec.resource_backend
    if weighed and pin:
        pin_has_pool = extract_host(pin, "pool") is not None
        kept: list[WeighedBackend] = []
        for w in weighed:
            bid = w.backend_id if pin_has_pool else extract_host(w.backend_id)
            (kept if bid == pin else pinned_out).append(w)
        weighed = kept
    if not weighed:
        return attrs.evolve(decision, pinned_out=tuple(w.backend_id for w in pinned_out),
                            reason=NO_WEIGHED_BACKENDS)
    chosen = weighed[0].backend_id
    run.states[chosen].consume_from_volume(request_spec.size, now=now)
    retry_out = None if decision.retry is None else decision.retry.with_backend(chosen)
    return attrs.evolve(decision, pinned_out=tuple(w.backend_id for w in pinned_out),
                        chosen=chosen,
                        consumed_gb=float(request_spec.size), retry=retry_out)


def backend_passes_filters(
    host_manager: HostManager, backend: str, request_spec: RequestSpec, *,
    config: SchedulerConfig = DEFAULT_CONFIG, now: float, new_size: int | None = None,
    retry: RetryRecord | None = None, scheduler_hints: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
    volume_host: Callable[[str], str | None] | None = None,
    volume_number: Callable[[str], int] | None = None,
    index: PlacementIndex | None = None,
) -> SchedulingDecision:
    """Can *backend* take this request?  (``FilterScheduler.backend_passes_filters``)

    Used for extends (``new_size`` set, ``operation='extend_volume'``) and snapshot
    creation.  *backend* without ``#pool`` matches any of its pools.  Nothing is
    consumed: the scheduler manager then consumes ``new_size - size`` (extend) or
    the snapshot size itself, via :meth:`HostManager.consume_from_volume`.  On
    failure ``decision.error()`` is NoValidBackend("Cannot place <resource> <id>
    on <backend>.").  With an *index* (see :func:`schedule_create_volume`) only
    *backend*'s own pools are filtered, in the order the full pass would weigh them.
    """
    if index is not None and indexable(config):
        prepared = _prepare(host_manager, request_spec, "backend_passes_filters",
                            config=config, retry=retry, new_size=new_size, vol_exists_on=None,
                            scheduler_hints=scheduler_hints, rng=rng,
                            volume_host=volume_host, volume_number=volume_number)
        if isinstance(prepared, _Pass):
            return prepared.decision
        decision, props = prepared
        order = _order_for(index, props, now)
        checks = [config.filter_registry[n] for n in config.filters]
        for state in order.ranked(host_manager.pools_of(backend)):
            if all(check(state, props) for check in checks):
                return attrs.evolve(decision, chosen=state.backend_id)
    else:
        run = _weighted_candidates(host_manager, request_spec, "backend_passes_filters",
                                   config=config, now=now, retry=retry, new_size=new_size,
                                   vol_exists_on=None, scheduler_hints=scheduler_hints,
                                   rng=rng, volume_host=volume_host,
                                   volume_number=volume_number)
        decision = run.decision
        if decision.reason is not None:
            return decision
        ignore_pool = extract_host(backend, "pool") is None
        for w in decision.weighed:
            bid = extract_host(w.backend_id) if ignore_pool else w.backend_id
            if bid == backend:
                return attrs.evolve(decision, chosen=w.backend_id)
    resource, rid = "volume", "??id missing??"
    for kind, value in (("volume", request_spec.volume_id), ("group", request_spec.group_id),
                        ("snapshot", request_spec.snapshot_id)):
        if value:
            resource, rid = kind, value
            break
    return attrs.evolve(decision, reason=f"Cannot place {resource} {rid} on {backend}.",
                        message=f"Cannot place {resource} {rid} on {backend}.")


def volume_type_predicate(extra_specs: Mapping[str, Any], *,
                          config: SchedulerConfig = DEFAULT_CONFIG,
                          ) -> Callable[[BackendState], bool]:
    """A ``get_pools(predicate=...)`` for ``?volume_type=``: the configured filters
    with only the type known (HostManager._filter_pools_by_volume_type).  With no
    size, the capacity filter passes every pool."""
    props = FilterProperties(request_spec=RequestSpec(size=0, extra_specs=extra_specs),
                             config=config)

    def predicate(backend: BackendState) -> bool:
        return all(config.filter_registry[name](backend, props) for name in config.filters)

    return predicate

