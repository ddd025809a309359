"""The FilterScheduler (``cinder/scheduler/filter_scheduler.py``): one pass.

Pure functions over :class:`~.host_manager.HostManager` state; the bus-facing
scheduler service (:mod:`.manager`) calls them and narrates the returned
:class:`SchedulingDecision`.  A pass runs the :mod:`.filters` over every
candidate pool and weighs the survivors with the :mod:`.weighers`, or, when no
one reads the detail, asks a :class:`~.placement.PlacementIndex` for the same
choice.  Facts carried from Cinder:

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

Filters and weighers are registered by name in :class:`SchedulerConfig`, which
also carries ``scheduler_max_attempts`` and the weighers' multipliers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import attrs

from ..volume_utils import extract_host
from .decision import NO_WEIGHED_BACKENDS, FilterOutcome, SchedulingDecision
from .filters import DEFAULT_FILTERS, FILTERS, BackendFilter
from .host_manager import BackendState, HostManager
from .placement import INDEXABLE_WEIGHERS, PlacementIndex, WeightOrder
from .recorded_pass import recorded_create
from .recorded_pass import run_filters as _run_filters
from .request_spec import (
    EMPTY_MAPPING,
    FIRST_RETRY,
    FilterProperties,
    RequestSpec,
    RetryRecord,
    _str_tuple,
    first_attempt_on,
    frozen_mapping,
)
from .weighers import (
    DEFAULT_MULTIPLIERS,
    DEFAULT_WEIGHERS,
    POOL_WEIGHTS,
    WEIGHERS,
    BackendWeigher,
    WeighedBackend,
    WeigherOutcome,
    weigh_backends,
)

__all__ = [
    "DEFAULT_CONFIG",
    "NO_WEIGHED_BACKENDS",
    "FilterOutcome",
    "Placement",
    "Placer",
    "SchedulerConfig",
    "SchedulingDecision",
    "backend_passes_filters",
    "indexable",
    "place_create_volume",
    "recorded_create_volume",
    "schedule_create_volume",
    "volume_type_predicate",
]

# --- configuration ----------------------------------------------------------------
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
    filter_steps: tuple[tuple[str, BackendFilter], ...] = attrs.field(
        init=False, eq=False, repr=False)
    """Each configured filter's (name, filter), in order: the names resolved once."""
    weigher_steps: tuple[tuple[str, BackendWeigher, float], ...] = attrs.field(
        init=False, eq=False, repr=False)
    """Each configured weigher's (name, weigher, :meth:`multiplier`), in order."""

    def __attrs_post_init__(self) -> None:
        bad = [n for n in self.filters if n not in self.filter_registry]
        if bad:
            raise ValueError("scheduler_default_filters: Scheduler Host Filter "
                             f"{', '.join(bad)} could not be found.")
        bad = [n for n in self.weighers if n not in self.weigher_registry]
        if bad:
            raise ValueError("scheduler_default_weighers: Scheduler Host Weigher "
                             f"{', '.join(bad)} could not be found.")
        # (Frozen: set as attrs' own __init__ sets fields.)
        object.__setattr__(self, "filter_steps", tuple(
            [(n, self.filter_registry[n]) for n in self.filters]))
        object.__setattr__(self, "weigher_steps", tuple(
            [(n, self.weigher_registry[n], self.multiplier(n)) for n in self.weighers]))

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
_new_tuple: Any = tuple.__new__


# --- the FilterScheduler ----------------------------------------------------------
@attrs.frozen(slots=True)
class _Pass:
    decision: SchedulingDecision
    states: dict[str, BackendState]
    props: FilterProperties | None


class _Weighed(NamedTuple):
    """What filtering and weighing the pools found (a pass's decision, but for the
    outcome of the choice)."""

    candidates: tuple[str, ...]
    down_hosts: tuple[str, ...]
    filters: tuple[FilterOutcome, ...]
    weighers: tuple[WeigherOutcome, ...]
    weighed: tuple[WeighedBackend, ...]
    states: dict[str, BackendState]


def _filter_and_weigh(host_manager: HostManager, props: FilterProperties,
                      now: float) -> _Weighed:
    """Filter every schedulable pool and weigh the survivors (the middle of
    ``_get_weighted_candidates``)."""
    backends, ids, down_hosts = host_manager.schedulable(now)
    survivors, survivor_ids, filter_outcomes = _run_filters(backends, props, ids)
    weighed, weigher_outcomes = weigh_backends(survivors, props, ids=survivor_ids)
    return _Weighed(ids, down_hosts, tuple(filter_outcomes),
                    tuple(weigher_outcomes), tuple(weighed),
                    dict(zip(ids, backends, strict=True)))


_Prepared = tuple[RetryRecord | None, str | None, tuple[str, float] | None, FilterProperties]
"""What a pass knows before it filters (:func:`_prepare`): the retry record to carry
on, the previous attempt's error, what was given back, and the filter properties."""


def _decided(operation: str, request: RequestSpec, prepared: _Prepared,
             found: _Weighed) -> SchedulingDecision:
    """The decision of a pass that filtered and weighed (*found*) and chose nothing
    yet, built once from :func:`_prepare`'s account."""
    retry, previous_error, reverted, _ = prepared
    return SchedulingDecision(
        operation=operation, request=request, candidates=found.candidates,
        down_hosts=found.down_hosts, filters=found.filters, weighers=found.weighers,
        weighed=found.weighed, retry=retry, previous_error=previous_error, reverted=reverted)


def _weighted_candidates(
    host_manager: HostManager, request_spec: RequestSpec, operation: str, *,
    config: SchedulerConfig, now: float, retry: RetryRecord | None, new_size: int | None,
    vol_exists_on: str | None, scheduler_hints: Mapping[str, Any] | None,
    rng: random.Random | None, volume_host: Callable[[str], str | None] | None,
    volume_number: Callable[[str], int] | None,
) -> _Pass:
    """``_populate_retry`` + revert + filter + weigh (``_get_weighted_candidates``)."""
    prepared = _prepare(host_manager, request_spec, operation, config, retry, new_size,
                        vol_exists_on, scheduler_hints, rng, volume_host, volume_number)
    if isinstance(prepared, _Pass):
        return prepared
    props = prepared[3]
    found = _filter_and_weigh(host_manager, props, now)
    return _Pass(_decided(operation, request_spec, prepared, found), found.states, props)


def _prepare(
    host_manager: HostManager, request_spec: RequestSpec, operation: str,
    config: SchedulerConfig, retry: RetryRecord | None, new_size: int | None,
    vol_exists_on: str | None, scheduler_hints: Mapping[str, Any] | None,
    rng: random.Random | None, volume_host: Callable[[str], str | None] | None,
    volume_number: Callable[[str], int] | None,
) -> _Pass | _Prepared:
    """``_populate_retry`` and the revert of the last attempt's consumption, with the
    filter properties, or a finished (failed) pass when the attempts are used up.
    (Positional: every pass of every kind starts here.)"""
    previous_error: str | None = None
    reverted: tuple[str, float] | None = None
    if retry is None or config.max_attempts == 1:
        retry = _first_retry(config)
    else:  # exc is popped and logged by the scheduler
        previous_error = retry.exc
        retry = RetryRecord(retry.num_attempts + 1, retry.backends, retry.hosts)
        if retry.num_attempts > config.max_attempts:
            reason = (f"Exceeded max scheduling attempts {config.max_attempts} "
                      f"for resource {request_spec.resource_id}")
            return _Pass(SchedulingDecision(operation=operation, request=request_spec,
                                            retry=retry, previous_error=previous_error,
                                            reason=reason), {}, None)
        if retry.backends:
            last = retry.backends[-1]
            if host_manager.revert_volume_consumed_capacity(last, request_spec.size):
                reverted = (last, float(request_spec.size))
    # FilterProperties(request_spec, config, new_size, retry, vol_exists_on,
    # scheduler_hints, rng, volume_host, volume_number), built as the tuple it is (a
    # named tuple's __new__ binds nine arguments in Python): every pass.
    props: FilterProperties = _new_tuple(FilterProperties, (
        request_spec, config, new_size, retry, vol_exists_on,
        EMPTY_MAPPING if scheduler_hints is None else frozen_mapping(scheduler_hints),
        rng, volume_host, volume_number))
    return retry, previous_error, reverted, props


def _first_retry(config: SchedulerConfig) -> RetryRecord | None:
    """The record a first pass starts: one attempt of at least two allowed, nothing to
    give back; none when scheduler_max_attempts = 1 disables rescheduling (a record
    carried in is dropped then, too)."""
    return None if config.max_attempts == 1 else FIRST_RETRY


def indexable(config: SchedulerConfig) -> bool:
    """Whether :class:`~.placement.PlacementIndex` gives this configuration's choice:
    one built-in weigher whose weight is a function of the pool alone."""
    if len(config.weighers) != 1:
        return False
    name = config.weighers[0]
    return name in INDEXABLE_WEIGHERS and config.weigher_registry[name] is WEIGHERS.get(name)


class _Plan:
    """What an indexed pass needs of a configuration, worked out once per configuration
    (a :class:`SchedulerConfig` is frozen, and a scheduler keeps one) for one index."""

    __slots__ = ("capacity_first", "checks", "config", "indexable", "multiplier", "name",
                 "orders", "weigher")

    def __init__(self, config: SchedulerConfig, index: PlacementIndex) -> None:
        self.config = config
        self.indexable = indexable(config)
        self.name = config.weighers[0] if config.weighers else ""
        self.weigher: BackendWeigher | None = config.weigher_registry.get(self.name)
        self.multiplier = config.multiplier(self.name)
        self.checks = tuple([check for _, check in config.filter_steps])
        # CapacityFilter wants virtual free >= requested of a numeric pool, and with a
        # positive CapacityWeigher the pools come in falling virtual-free order.
        self.capacity_first = (self.name == "CapacityWeigher" and self.multiplier > 0
                               and "CapacityFilter" in config.filters)
        self.orders = _Orders(index, self)
        """The index's order for each thin/thick choice (``orders[thin]``), found there
        on first use (the index keeps an order for good, and the plan is the index's
        own).  Read it with the host manager refreshed; the order syncs as it is read
        (:meth:`WeightOrder.current`)."""


class _Orders(dict[bool, WeightOrder]):
    """A plan's orders by thin/thick choice, each made on first use (a dict: every
    create reads one, in C)."""

    __slots__ = ("index", "plan")

    def __init__(self, index: PlacementIndex, plan: _Plan) -> None:
        super().__init__()
        self.index = index
        self.plan = plan

    def __missing__(self, thin: bool) -> WeightOrder:
        """*index*'s order for *plan*'s weigher and a thin (or thick) request."""
        index, plan = self.index, self.plan
        weigher = plan.weigher
        assert weigher is not None  # an indexable configuration has its one weigher
        # An indexable weigher is a built-in one, whose weight of a pool needs no request.
        pool_weight = POOL_WEIGHTS[plan.name]
        order = self[thin] = index.order((plan.name, thin, plan.multiplier, weigher),
                                         lambda: pool_weight(thin, plan.multiplier))
        return order


def _plan_for(index: PlacementIndex, config: SchedulerConfig) -> _Plan:
    """*config*'s plan, kept on *index* (worked out again only for another config)."""
    plan = index.plan
    if not isinstance(plan, _Plan) or plan.config is not config:
        plan = index.plan = _Plan(config, index)
    return plan


class Placement(NamedTuple):
    """Where an indexed pass put a volume: all a caller that keeps no record reads."""

    chosen: str
    chosen_zone: str
    retry: RetryRecord | None
    """The retry record to carry on, naming *chosen* (None: rescheduling disabled)."""


class Placer:
    """The indexed create pass (:func:`schedule_create_volume` with an *index*, and
    :func:`place_create_volume`) with what a scheduler hands every pass alike -- its
    index, rng and DB look-ups -- bound once: the scheduler service makes one and
    places every create through it, with the request, the retry record and the time.
    """

    __slots__ = ("_first_pass", "_plan", "index", "rng", "volume_host", "volume_number")

    def __init__(self, index: PlacementIndex, *, rng: random.Random | None = None,
                 volume_host: Callable[[str], str | None] | None = None,
                 volume_number: Callable[[str], int] | None = None) -> None:
        self.index = index
        self.rng = rng
        self.volume_host = volume_host
        self.volume_number = volume_number
        self._plan: _Plan | None = None
        self._first_pass: tuple[Any, ...] = ()
        """A first pass's FilterProperties but for the request (set with the plan)."""

    def create_volume(self, request_spec: RequestSpec, retry: RetryRecord | None, now: float,
                      config: SchedulerConfig, record: bool,
                      scheduler_hints: Mapping[str, Any] | None = None,
                      recorded: bool = False) -> SchedulingDecision | Placement:
        """A create pass: through the index (for a configuration it answers,
        :func:`indexable`) unless *recorded*, else :func:`.recorded_pass.recorded_create`'s
        full pass.  An indexed success is a :class:`Placement` unless *record*; every
        other outcome is the :class:`SchedulingDecision`.  (*recorded* may be given
        positionally: the scheduler places every create here, keywords cost.)"""
        index = self.index
        plan = self._plan
        if plan is None or plan.config is not config:
            plan = self._plan = _plan_for(index, config)
            # A first pass's properties but for the request, made by name once per config.
            self._first_pass = FilterProperties(
                RequestSpec(size=0), config, retry=_first_retry(config), rng=self.rng,
                volume_host=self.volume_host, volume_number=self.volume_number)[1:]
        previous_error: str | None = None
        reverted: tuple[str, float] | None = None
        if retry is None and scheduler_hints is None:
            # A first pass without hints (every create but a reschedule): what _prepare
            # gives for one, without its frame.
            props: FilterProperties = _new_tuple(FilterProperties,
                                                 (request_spec, *self._first_pass))
            retry = props.retry
        else:
            prepared = _prepare(index.host_manager, request_spec, "create_volume", config,
                                retry, None, None, scheduler_hints, self.rng, self.volume_host,
                                self.volume_number)
            if isinstance(prepared, _Pass):
                return prepared.decision
            retry, previous_error, reverted, props = prepared
        if recorded or not plan.indexable:
            # (positional: a full trace's every create comes here)
            return recorded_create(index.host_manager, request_spec, props, now, retry,
                                   previous_error, reverted)
        # The first pool in the index's order that every filter passes is the choice.
        index.host_manager.refresh(now)
        order = plan.orders[request_spec.thin]
        size = request_spec.size
        stop_below = plan.capacity_first and size > 0
        pin = request_spec.resource_backend
        if pin is not None:  # (read only then, in the scan below)
            pin_has_pool = extract_host(pin, "pool") is not None
        chosen: BackendState | None = None
        for key, _, state in order.ranking:  # (an order of the index is never stale)
            # Capacity first, the sign is +1: -key is the pool's virtual free capacity.
            if stop_below and -key < size and isinstance(state.total_capacity_gb, float) \
                    and isinstance(state.free_capacity_gb, float):
                if not order.has_unbounded():
                    break
                continue  # only an 'infinite'/'unknown' pool could still pass
            if pin is not None and (state.backend_id if pin_has_pool
                                    else extract_host(state.backend_id)) != pin:
                continue
            for check in plan.checks:  # all(), without a generator per pool
                if not check(state, props):
                    break
            else:
                chosen = state
                break
        if chosen is None:
            return SchedulingDecision(operation="create_volume", request=request_spec,
                                      retry=retry, previous_error=previous_error,
                                      reverted=reverted, reason=NO_WEIGHED_BACKENDS)
        chosen.consume(size, now)  # consume_from_volume, positional
        backend_id = chosen.backend_id
        # retry.with_backend(backend_id); a first pass's record straight from the memo
        # (first_attempt_on, in C when it knows the pool), without with_backend's frame.
        carried = first_attempt_on(backend_id) if retry is FIRST_RETRY \
            else None if retry is None else retry.with_backend(backend_id)
        if not record:
            # Placement(backend_id, zone, carried), without the named tuple's Python __new__.
            placed: Placement = _new_tuple(Placement, (backend_id, chosen.availability_zone,
                                                       carried))
            return placed
        return SchedulingDecision(
            operation="create_volume", request=request_spec, chosen=backend_id,
            chosen_zone=chosen.availability_zone, consumed_gb=float(size),
            retry=carried, previous_error=previous_error, reverted=reverted)


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

    With an *index* (of *host_manager*, and a configuration it can answer, see
    :func:`indexable`) the pool is found without weighing every candidate; the
    decision then carries the choice and the retry record but no per-filter or
    per-weigher detail.

    On success the chosen pool has consumed ``request_spec.size`` and the returned
    ``decision.retry`` names it; carry that record to the volume service.  On
    failure ``decision.error()`` is the NoValidBackend to raise ("No weighed
    backends available", or "Exceeded max scheduling attempts ...").  The
    retry passed in is not modified.
    """
    if index is not None:
        decided = Placer(index, rng=rng, volume_host=volume_host,
                         volume_number=volume_number).create_volume(
            request_spec, retry, now, config, True, scheduler_hints)
        assert isinstance(decided, SchedulingDecision)  # record=True always gives one
        return decided
    return recorded_create_volume(host_manager, request_spec, config=config, now=now,
                                  retry=retry, scheduler_hints=scheduler_hints, rng=rng,
                                  volume_host=volume_host, volume_number=volume_number)


def place_create_volume(
    host_manager: HostManager, request_spec: RequestSpec, *, index: PlacementIndex,
    config: SchedulerConfig = DEFAULT_CONFIG, now: float, retry: RetryRecord | None = None,
    rng: random.Random | None = None,
    volume_host: Callable[[str], str | None] | None = None,
    volume_number: Callable[[str], int] | None = None,
) -> Placement | SchedulingDecision:
    """:func:`schedule_create_volume` (with *index*) for a caller that reads only where
    the volume went: when the index finds a pool, the :class:`Placement` alone, since
    a :class:`SchedulingDecision` would be built for nobody (the scheduler asks this
    when no ``schedule`` event is wanted); any other outcome -- a configuration the
    index cannot answer, a pass that fails -- is the decision the other returns, so
    the same pass runs either way (the same pool consumed, the same retry record)."""
    return Placer(index, rng=rng, volume_host=volume_host,
                  volume_number=volume_number).create_volume(
        request_spec, retry, now, config, False)


def recorded_create_volume(
    host_manager: HostManager, request_spec: RequestSpec, *, config: SchedulerConfig,
    now: float, retry: RetryRecord | None, scheduler_hints: Mapping[str, Any] | None,
    rng: random.Random | None, volume_host: Callable[[str], str | None] | None,
    volume_number: Callable[[str], int] | None,
) -> SchedulingDecision:
    """:func:`schedule_create_volume`'s full pass, every verdict recorded
    (:func:`.recorded_pass.recorded_create`, after the retry bookkeeping): what
    :func:`schedule_create_volume` does without an *index*."""
    prepared = _prepare(host_manager, request_spec, "create_volume", config, retry, None,
                        None, scheduler_hints, rng, volume_host, volume_number)
    if isinstance(prepared, _Pass):
        return prepared.decision
    retry, previous_error, reverted, props = prepared
    return recorded_create(host_manager, request_spec, props, now=now, retry=retry,
                           previous_error=previous_error, reverted=reverted)


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
    plan = None if index is None else _plan_for(index, config)
    if index is not None and plan is not None and plan.indexable:
        prepared = _prepare(host_manager, request_spec, "backend_passes_filters", config,
                            retry, new_size, None, scheduler_hints, rng, volume_host,
                            volume_number)
        if isinstance(prepared, _Pass):
            return prepared.decision
        retry, previous_error, reverted, props = prepared
        decision = SchedulingDecision(operation="backend_passes_filters", request=request_spec,
                                      retry=retry, previous_error=previous_error,
                                      reverted=reverted)
        index.host_manager.refresh(now)
        order = plan.orders[request_spec.thin]
        checks = plan.checks
        order.sync()
        for state in order.ranked(host_manager.pools_of(backend)):
            if all(check(state, props) for check in checks):
                return decision._replace(chosen=state.backend_id)
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
                return decision._replace(chosen=w.backend_id)
    resource, rid = "volume", "??id missing??"
    for kind, value in (("volume", request_spec.volume_id), ("group", request_spec.group_id),
                        ("snapshot", request_spec.snapshot_id)):
        if value:
            resource, rid = kind, value
            break
    return decision._replace(reason=f"Cannot place {resource} {rid} on {backend}.",
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
