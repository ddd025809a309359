"""Placing a volume without weighing every pool: the FilterScheduler's answer, fast.

Cinder's FilterScheduler runs every filter over every pool and weighs the
survivors on every request.  With one weigher that is a pure function of a
pool's state (CapacityWeigher, AllocatedCapacityWeigher), normalising and
multiplying keeps the order of the raw weights (reversed for a negative
multiplier), and the stable sort breaks ties by host manager order.  So the
chosen pool is the *first pool in (raw weight, map order) order that passes the
filters* -- which a sorted index finds by looking at a handful of pools instead
of all of them, as long as the index follows every change of a pool's figures
(placements, reports, reschedule reverts: :attr:`BackendState.listener`).

The filters themselves still run, the real functions, on each pool looked at, so
any filter configuration gives Cinder's answer.  With CapacityWeigher at a
positive multiplier and CapacityFilter on, the scan also stops at the first
numeric pool whose virtual free capacity is below the request: every pool after
it has less, and CapacityFilter demands at least that much.

What this gives up is the explanation: no per-filter, per-weigher record.  The
scheduler uses it only when nobody reads one (trace mode ``metrics`` or
``off``); a full trace still gets the complete :class:`SchedulingDecision`.
Both give the same choice -- ``tests/services/scheduler/test_placement.py`` checks it
on random clouds.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterator

from ...errors import SimulationError
from .host_manager import BackendState, HostManager
from .weighers import POOL_WEIGHTS

__all__ = ["INDEXABLE_WEIGHERS", "PlacementIndex", "WeightOrder"]

INDEXABLE_WEIGHERS = tuple(POOL_WEIGHTS)
"""Weighers whose raw weight depends on nothing but the pool's state and the
request's thin/thick choice, so an index can keep pools in their order."""

_Key = tuple[float, int, BackendState]
"""(-sign * weight, map position, pool): positions are unique, so two keys never get
as far as comparing their pools."""


class WeightOrder:
    """Pools of one host manager in best-first order for one (weigher, thin) pair.

    Args:
        weight: the raw weight of a pool (the weigher applied with the request's
            thin/thick properties).
        sign: the weigher's multiplier sign; +1 puts the largest weight first.
    """

    def __init__(self, host_manager: HostManager, weight: Callable[[BackendState], float],
                 sign: float) -> None:
        self._hm = host_manager
        self._weight = weight
        self._sign = -1.0 if sign < 0 else 1.0 if sign > 0 else 0.0
        self._neg_sign = -self._sign
        """What a key multiplies a weight by (-0.0, falsy, for a zero sign)."""
        self._epoch = -1
        self._states: list[BackendState] = []
        """The host manager's pools, in map order (a key's second item indexes it)."""
        self.ranking: list[_Key] = []
        """(-sign * weight, map position, pool) ascending: the best pool first.  Live (see
        :meth:`current`): synced when the host manager's pool list changes, once synced."""
        self._key_of: dict[BackendState, _Key] = {}
        self._unbounded = False
        self._bounds_seen = -1
        """The host manager's :attr:`~.HostManager.report_epoch` when :attr:`_unbounded`
        was worked out (-1: not since the last sync)."""
        host_manager.listen(self._changed)
        host_manager.listen_map(self._map_changed)

    def has_unbounded(self) -> bool:
        """Whether some pool reports 'infinite'/'unknown' capacity (CapacityFilter lets
        it pass).  Worked out when asked, after a report: a placement keeps a figure's
        kind, so the placements in between need not look (and a pass asks only when a
        pool falls short of its request)."""
        if self._bounds_seen != self._hm.report_epoch:
            self._unbounded = not all(
                isinstance(s.total_capacity_gb, float) and isinstance(s.free_capacity_gb, float)
                for s in self._states)
            self._bounds_seen = self._hm.report_epoch
        return self._unbounded

    def sync(self) -> None:
        """Rebuild after the host manager's pool list changed (rare: services up/down)."""
        if self._epoch == self._hm.map_epoch:
            return
        self._states = states = self._hm.get_all_backend_states_cached()
        # Each pool enters unweighed at its map position (first, in map order), and
        # _changed weighs it into its place: the one place a key is made.
        self._key_of = {s: (-math.inf, i, s) for i, s in enumerate(states)}
        self.ranking = list(self._key_of.values())
        for state in states:
            self._changed(state)
        self._bounds_seen = -1
        self._epoch = self._hm.map_epoch

    def _map_changed(self) -> None:
        # Once synced, the order follows the pool list at once: :attr:`ranking` is never
        # stale then, and :meth:`_changed` need not ask.
        if self._epoch >= 0:
            self.sync()

    def _changed(self, state: BackendState) -> None:
        old = self._key_of.get(state)
        if old is None:
            return  # not indexed (yet): the next sync() takes it as it is
        # The key, made here (a frame fewer on every placement).  math.inf (an unbounded
        # pool) lands on the side of the largest finite weights, as Cinder's
        # normalisation puts it just above them.
        weight = self._weight(state)
        if math.isnan(weight):  # NaN has no place in an order (nor in Cinder's sort)
            raise SimulationError(f"weigher gave NaN for {state.backend_id}")
        new = (self._neg_sign * weight if self._neg_sign else 0.0, old[1], state)
        if new == old:
            return
        keys = self.ranking
        del keys[bisect_left(keys, old)]
        insort(keys, new)
        self._key_of[state] = new

    def current(self) -> list[_Key]:
        """The live ranking, best first, synced with the pool list first: (-sign * raw
        weight, map position, pool) for each pool.  Read it as it is (no copy, no
        generator), and change neither it nor the pools while reading.  (Once synced,
        :attr:`ranking` is the same list, without this frame.)"""
        if self._epoch != self._hm.map_epoch:
            self.sync()
        return self.ranking

    def ranked(self, states: list[BackendState]) -> list[BackendState]:
        """*states* (pools of this host manager) in this order, best first."""
        key_of = self._key_of
        return sorted((s for s in states if s in key_of), key=key_of.__getitem__)

    def best_first(self) -> Iterator[tuple[float, BackendState]]:
        """(raw weight, pool), best first.  Do not change pools while iterating."""
        sign = self._sign
        for neg, _, state in self.ranking:
            yield (-neg if sign > 0 else neg if sign < 0 else math.nan), state


class PlacementIndex:
    """The :class:`WeightOrder` indexes of one scheduler, made on first use."""

    def __init__(self, host_manager: HostManager) -> None:
        self.host_manager = host_manager
        self._orders: dict[Hashable, WeightOrder] = {}
        self.plan: object = None
        """What the filter scheduler worked out of its configuration for this index
        (``filter_scheduler._plan_for``), kept here so it is worked out once."""

    def order(self, key: tuple[str, bool, float, Hashable],
              make_weight: Callable[[], Callable[[BackendState], float]]) -> WeightOrder:
        """The order for (weigher name, thin, multiplier, weigher), synced with the host
        manager; *make_weight* gives the pool -> raw weight function on first use."""
        wo = self._orders.get(key)
        if wo is None:
            wo = self._orders[key] = WeightOrder(self.host_manager, make_weight(), key[2])
        wo.sync()
        return wo
