"""The FilterScheduler's create pass with every verdict recorded (a full trace's).

:func:`recorded_create` is the middle and end of ``schedule_create_volume`` when the
trace keeps each pass's :class:`~.decision.SchedulingDecision`: every configured
filter over every schedulable pool (:func:`run_filters`), the weighers over the
survivors, the ``resource_backend`` pin, and the chosen pool's consumption.  The
retry bookkeeping before it stays in :mod:`.filter_scheduler`, shared with the
indexed pass.

A full trace runs this once per create, so the record is built as the tuple it is,
in one call, from what the pass computed: no interim decision, no per-step copies.
"""

from __future__ import annotations

from typing import Any

from ..volume_utils import extract_host
from .decision import NO_WEIGHED_BACKENDS, FilterOutcome, SchedulingDecision
from .host_manager import BackendState, HostManager
from .request_spec import (
    FIRST_RETRY,
    FilterProperties,
    RequestSpec,
    RetryRecord,
    first_attempt_on,
)
from .weighers import WeighedBackend, weigh_backends, weigh_one

__all__ = ["recorded_create", "run_filters"]

_new_tuple: Any = tuple.__new__


def run_filters(backends: list[BackendState], props: FilterProperties,
                ids: tuple[str, ...] | None = None,
                ) -> tuple[list[BackendState], tuple[str, ...], list[FilterOutcome]]:
    """Each configured filter over the survivors of the one before: the survivors,
    their ids (*ids* are those of *backends*, when the caller has them) and each
    filter's outcome.  A filter is asked once per pool."""
    outcomes: list[FilterOutcome] = []
    survivors = backends
    survivor_ids = tuple([b.backend_id for b in backends]) if ids is None else ids
    for name, check in props.config.filter_steps:
        # The usual verdict, every survivor passing, is asked in a plain loop; the
        # list of verdicts is built only past a rejection (each pool asked once).
        for state in survivors:
            if not check(state, props):
                break
        else:
            if survivors:
                # FilterOutcome(name, survivor_ids, ()), without binding the arguments.
                outcomes.append(_new_tuple(FilterOutcome, (name, survivor_ids, ())))
                continue
        if survivors:
            kept = survivors.index(state)  # the first rejected (pools are unique)
            verdicts = [True] * kept + [False] + [
                check(other, props) for other in survivors[kept + 1:]]
        else:
            verdicts = []
        passed = [state for state, ok in zip(survivors, verdicts, strict=True) if ok]
        passed_ids = tuple([bid for bid, ok in zip(survivor_ids, verdicts, strict=True) if ok])
        outcomes.append(FilterOutcome(name, passed_ids, tuple(
            [bid for bid, ok in zip(survivor_ids, verdicts, strict=True) if not ok])))
        survivors, survivor_ids = passed, passed_ids
        if not survivors:
            break  # Cinder stops at the first filter that leaves nothing
    return survivors, survivor_ids, outcomes


def _pinned(weighed: list[WeighedBackend], pin: str,
            ) -> tuple[list[WeighedBackend], tuple[str, ...]]:
    """The weighed candidates on *pin* (compared at pool level when it names a pool,
    else at ``host@backend``), and the ids of those dropped."""
    pin_has_pool = extract_host(pin, "pool") is not None
    kept: list[WeighedBackend] = []
    dropped: list[str] = []
    for w in weighed:
        bid = w.backend_id if pin_has_pool else extract_host(w.backend_id)
        if bid == pin:
            kept.append(w)
        else:
            dropped.append(w.backend_id)
    return kept, tuple(dropped)


def recorded_create(host_manager: HostManager, request_spec: RequestSpec,
                    props: FilterProperties, now: float, retry: RetryRecord | None,
                    previous_error: str | None, reverted: tuple[str, float] | None,
                    ) -> SchedulingDecision:
    """Filter every schedulable pool, weigh the survivors, apply the pin and consume
    on the best: the decision of a create pass whose retry record (*retry*, with
    *previous_error* and what was *reverted*) is already worked out."""
    backends, ids, down_hosts = host_manager.schedulable(now)
    survivors, survivor_ids, filters = run_filters(backends, props, ids)
    # One survivor (a one-pool cloud's every pass) is weighed without weigh_backends' frame.
    weighed, weighers = weigh_one(survivors[0], props, survivor_ids) if len(survivors) == 1 \
        else weigh_backends(survivors, props, ids=survivor_ids)
    pinned_out: tuple[str, ...] = ()
    pin = request_spec.resource_backend
    kept = weighed  # the record keeps every weighed pool; the pin only drops some
    if weighed and pin:
        kept, pinned_out = _pinned(weighed, pin)
    decision: SchedulingDecision
    if not kept:
        # SchedulingDecision(operation, request, candidates, down_hosts, filters,
        # weighers, weighed, pinned_out, chosen, chosen_zone, consumed_gb, retry,
        # previous_error, reverted, reason, message), as the tuple it is.
        decision = _new_tuple(SchedulingDecision, (
            "create_volume", request_spec, ids, down_hosts, tuple(filters), tuple(weighers),
            tuple(weighed), pinned_out, None, None, 0, retry, previous_error, reverted,
            NO_WEIGHED_BACKENDS, None))
        return decision
    chosen = kept[0].backend_id
    # The weighed ids are survivors' ids, each once (a pool id is unique in the map).
    state = survivors[survivor_ids.index(chosen)]
    size = request_spec.size
    state.consume(size, now)  # consume_from_volume, positional
    decision = _new_tuple(SchedulingDecision, (
        "create_volume", request_spec, ids, down_hosts, tuple(filters), tuple(weighers),
        tuple(weighed), pinned_out, chosen, state.availability_zone, float(size),
        # retry.with_backend(chosen): a first pass's record from the memo, in C.
        first_attempt_on(chosen) if retry is FIRST_RETRY
        else None if retry is None else retry.with_backend(chosen),
        previous_error, reverted, None, None))
    return decision
