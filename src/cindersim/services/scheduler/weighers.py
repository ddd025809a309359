"""The FilterScheduler's weighers and their handler (``cinder/scheduler/weights/``).

A weigher is a plain callable ``(BackendState, FilterProperties) -> float``
giving a raw weight, registered by Cinder's name in :data:`WEIGHERS` (default
``CapacityWeigher``).  :func:`weigh_backends` is ``BaseWeightHandler``: the raw
weights are normalised to [0, 1] across the candidates (all equal -> 0),
multiplied by the weigher's multiplier and summed.  The list is then sorted by
total weight, highest first, with Python's *stable* sort: ties keep the host
manager's order (service registration order, then pool order in the report).
That is Cinder's own tie-break, and it is deterministic here because the host
manager's maps are insertion-ordered.  ChanceWeigher draws from the seeded rng
it is given, in that same order.

A weigher may return ``math.inf`` for "unbounded"; the handler then treats it as
Cinder's CapacityWeigher treats infinite capacity (just above the largest finite
weight).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from ...errors import SimulationError
from .host_manager import BackendState
from .request_spec import FilterProperties

__all__ = [
    "DEFAULT_MULTIPLIERS",
    "DEFAULT_WEIGHERS",
    "POOL_WEIGHTS",
    "WEIGHERS",
    "BackendWeigher",
    "WeighedBackend",
    "WeigherOutcome",
    "allocated_capacity_weigher",
    "capacity_weigher",
    "chance_weigher",
    "volume_number_weigher",
    "weigh_backends",
    "weigh_one",
]

BackendWeigher = Callable[[BackendState, FilterProperties], float]
"""A weigher: the raw (un-normalised) weight of this backend for this request."""


def capacity_weigher(backend: BackendState, props: FilterProperties) -> float:
    """CapacityWeigher: the virtual free capacity (thin or thick, as the filter).

    Infinite or unknown capacity weighs -1 with a positive multiplier and
    ``inf`` otherwise, so such pools sort last either way.
    """
    free = backend.virtual_free(props.request_spec.thin)  # calculate_virtual_free_capacity, kept
    if free is None:  # a capacity is not a number
        return _unknown_capacity_weight(props.config.multiplier("CapacityWeigher"))
    return free


def _unknown_capacity_weight(multiplier: float) -> float:
    return -1.0 if multiplier > 0 else math.inf


def _capacity_pool_weight(thin: bool, multiplier: float) -> Callable[[BackendState], float]:
    # backend.virtual_free(thin, unknown): the call made in C, without a frame of ours
    # (an index weighs the pool of every placement).
    weight: Callable[[BackendState], float] = operator.methodcaller(
        "virtual_free", thin, _unknown_capacity_weight(multiplier))
    return weight


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


WEIGHERS: Final[Mapping[str, BackendWeigher]] = MappingProxyType({
    "CapacityWeigher": capacity_weigher,
    "AllocatedCapacityWeigher": allocated_capacity_weigher,
    "VolumeNumberWeigher": volume_number_weigher,
    "ChanceWeigher": chance_weigher,
})
"""Built-in weighers by Cinder's names (``scheduler_default_weighers`` entries)."""

POOL_WEIGHTS: Final[Mapping[str, Callable[[bool, float], Callable[[BackendState], float]]]] = \
    MappingProxyType({
        "CapacityWeigher": _capacity_pool_weight,
        "AllocatedCapacityWeigher": lambda thin, multiplier: operator.attrgetter(
            "allocated_capacity_gb"),
    })
"""Built-in weighers whose weight is a function of the pool alone, once the request's
thin/thick choice and the multiplier are known: ``POOL_WEIGHTS[name](thin, multiplier)``
is ``lambda pool: WEIGHERS[name](pool, props)`` for any such request, without the
request (a placement index re-weighs a pool after every placement)."""

DEFAULT_WEIGHERS: Final = ("CapacityWeigher",)
DEFAULT_MULTIPLIERS: Final[Mapping[str, float]] = MappingProxyType({
    "CapacityWeigher": 1.0,             # capacity_weight_multiplier: >0 spreads
    "AllocatedCapacityWeigher": -1.0,   # allocated_capacity_weight_multiplier
    "VolumeNumberWeigher": -1.0,        # volume_number_multiplier
})
"""Cinder's multiplier options; any other weigher has the base multiplier 1.0."""


class WeigherOutcome(NamedTuple):
    """One weigher: raw and normalised weights, aligned with ``backends``.

    A frozen typed record, as a named tuple: every recorded pass makes one per
    weigher, in one call where a frozen attrs class set each field through
    ``object.__setattr__``.  Traces carry the decision's ``to_dict``, never this."""

    name: str
    multiplier: float
    backends: tuple[str, ...]
    raw: tuple[float, ...]
    normalized: tuple[float, ...]


class WeighedBackend(NamedTuple):
    """A candidate and its total weight (a named tuple, as :class:`WeigherOutcome`)."""

    backend_id: str
    weight: float
    """Sum over weighers of multiplier x normalised weight."""


# --- the weight handler -------------------------------------------------------------
_new_tuple: Any = tuple.__new__
_OFFSET_MIN: Final = 10000.0
_OFFSET_MULT: Final = 100.0


def _normalize(raw: list[float]) -> list[float]:
    if len(raw) == 1 and raw[0] == raw[0]:
        # One candidate (a one-pool cloud's every pass): it is both min and max, so 0,
        # as below; an infinite weight too.  NaN (not equal to itself) goes the long way.
        return [0.0]
    weights = raw
    if math.inf in weights or -math.inf in weights:  # (in C; NaN is neither)
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


def weigh_backends(backends: Sequence[BackendState], props: FilterProperties, *,
                   ids: Sequence[str] | None = None,
                   ) -> tuple[list[WeighedBackend], list[WeigherOutcome]]:
    """Normalise, multiply, sum and sort (``BaseWeightHandler.get_weighed_objects``).

    *ids* are the backends' ids when the caller has them already."""
    if not backends:
        return [], []
    config = props.config
    ids = tuple(b.backend_id for b in backends) if ids is None else tuple(ids)
    if len(backends) == 1:
        return weigh_one(backends[0], props, ids)
    outcomes: list[WeigherOutcome] = []
    totals: list[float] | None = None
    for name, weigher, multiplier in config.weigher_steps:
        raw = [float(weigher(b, props)) for b in backends]
        normalized = _normalize(raw)
        if totals is None:  # 0.0 + ...: a -0.0 product sums to 0.0, as it always did
            totals = [0.0 + multiplier * weight for weight in normalized]
        else:
            totals = [t + multiplier * weight
                      for t, weight in zip(totals, normalized, strict=True)]
        # WeigherOutcome(name, multiplier, backends, raw, normalized) and, below,
        # WeighedBackend(backend_id, weight), made as the tuples they are: a named
        # tuple's __new__ binds its arguments in Python, and a full trace weighs
        # every create.
        outcomes.append(_new_tuple(WeigherOutcome, (name, multiplier, ids, tuple(raw),
                                                    tuple(normalized))))
    if totals is None:
        totals = [0.0] * len(ids)
    weighed = [_new_tuple(WeighedBackend, pair) for pair in zip(ids, totals, strict=True)]
    if len(weighed) > 1:
        # Stable: equal weights keep host manager order, as Cinder's sorted() does.
        weighed.sort(key=_weight, reverse=True)
    return weighed, outcomes


def weigh_one(backend: BackendState, props: FilterProperties, ids: tuple[str, ...],
               ) -> tuple[list[WeighedBackend], list[WeigherOutcome]]:
    """:func:`weigh_backends` of one candidate (a one-pool cloud's every pass), the
    same figures without a comprehension per weigher: it is both min and max, so its
    normalised weight is 0 (NaN, as in :func:`_normalize`, is no number's min or max)."""
    outcomes: list[WeigherOutcome] = []
    total = 0.0  # 0.0 + ...: a -0.0 product sums to 0.0, as in weigh_backends
    for name, weigher, multiplier in props.config.weigher_steps:
        raw = float(weigher(backend, props))
        normalized = _normalize([raw])[0] if math.isnan(raw) else 0.0
        total += multiplier * normalized
        outcomes.append(_new_tuple(WeigherOutcome, (name, multiplier, ids, (raw,),
                                                    (normalized,))))
    return [_new_tuple(WeighedBackend, (ids[0], total))], outcomes


def _weight(w: WeighedBackend) -> float:
    return w.weight
