"""run_filters: each filter's outcome over the survivors of the one before, each pool
asked once, whether every pool passes or some are rejected."""

from __future__ import annotations

from collections.abc import Callable

from scheduler_helpers import props, state

from cindersim.services.scheduler.decision import FilterOutcome
from cindersim.services.scheduler.filter_scheduler import SchedulerConfig
from cindersim.services.scheduler.filters import FILTERS
from cindersim.services.scheduler.host_manager import BackendState
from cindersim.services.scheduler.recorded_pass import run_filters
from cindersim.services.scheduler.request_spec import FilterProperties


def _counting(rejects: set[str], asked: list[tuple[str, str]], name: str,
              ) -> Callable[[BackendState, FilterProperties], bool]:
    def check(backend: BackendState, _props: FilterProperties) -> bool:
        asked.append((name, backend.backend_id))
        return backend.backend_id not in rejects
    return check


def _config(asked: list[tuple[str, str]], **rejects: set[str]) -> SchedulerConfig:
    names = list(rejects)
    registry = {**FILTERS, **{n: _counting(r, asked, n) for n, r in rejects.items()}}
    return SchedulerConfig(filters=names, filter_registry=registry)


POOLS = [state("a@l", "p"), state("b@l", "p"), state("c@l", "p"), state("d@l", "p")]
IDS = ("a@l#p", "b@l#p", "c@l#p", "d@l#p")


def test_every_pool_passing_gives_the_survivors_ids_and_no_rejection() -> None:
    asked: list[tuple[str, str]] = []
    cfg = _config(asked, One=set(), Two=set())
    survivors, ids, outcomes = run_filters(POOLS, props(config=cfg), IDS)
    assert survivors == POOLS
    assert ids == IDS
    assert outcomes == [FilterOutcome("One", IDS, ()), FilterOutcome("Two", IDS, ())]
    assert asked == [(n, b) for n in ("One", "Two") for b in IDS]


def test_a_rejection_mid_list_asks_each_pool_once_and_keeps_the_order() -> None:
    asked: list[tuple[str, str]] = []
    cfg = _config(asked, One={"b@l#p", "d@l#p"}, Two={"a@l#p"}, Three=set())
    survivors, ids, outcomes = run_filters(POOLS, props(config=cfg))
    assert ids == ("c@l#p",)
    assert survivors == [POOLS[2]]
    assert outcomes == [FilterOutcome("One", ("a@l#p", "c@l#p"), ("b@l#p", "d@l#p")),
                        FilterOutcome("Two", ("c@l#p",), ("a@l#p",)),
                        FilterOutcome("Three", ("c@l#p",), ())]
    assert asked == [("One", b) for b in IDS] + [("Two", "a@l#p"), ("Two", "c@l#p"),
                                                 ("Three", "c@l#p")]


def test_a_rejection_of_the_last_pool_and_of_every_pool() -> None:
    asked: list[tuple[str, str]] = []
    cfg = _config(asked, One={"d@l#p"}, Two={"a@l#p", "b@l#p", "c@l#p"}, Three=set())
    survivors, ids, outcomes = run_filters(POOLS, props(config=cfg), IDS)
    assert survivors == []
    assert ids == ()
    # Cinder stops at the first filter that leaves nothing: Three is never asked.
    assert outcomes == [FilterOutcome("One", IDS[:3], ("d@l#p",)),
                        FilterOutcome("Two", (), IDS[:3])]
    assert asked == [("One", b) for b in IDS] + [("Two", b) for b in IDS[:3]]


def test_no_pool_at_all_is_one_empty_outcome() -> None:
    asked: list[tuple[str, str]] = []
    cfg = _config(asked, One=set(), Two=set())
    assert run_filters([], props(config=cfg)) == ([], (), [FilterOutcome("One", (), ())])
    assert asked == []
