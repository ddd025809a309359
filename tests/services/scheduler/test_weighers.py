"""The built-in weighers and the weight handler (normalise, multiply, stable sort),
seen through a FilterScheduler pass."""

from __future__ import annotations

import math
import random

import pytest
from scheduler_helpers import VOL, manager, props, state

from cindersim.services.scheduler.filter_scheduler import SchedulerConfig, schedule_create_volume
from cindersim.services.scheduler.request_spec import RequestSpec
from cindersim.services.scheduler.weighers import POOL_WEIGHTS, WEIGHERS, BackendWeigher


class TestWeighing:
    def test_capacity_weigher_spreads_to_most_virtual_free(self) -> None:
        hm = manager(("a@l#p", {"free_capacity_gb": 40}), ("b@l#p", {"free_capacity_gb": 90}),
                     ("c@l#p", {"free_capacity_gb": 60}))
        d = schedule_create_volume(hm, RequestSpec(size=1, volume_id=VOL), now=0)
        assert [w.backend_id for w in d.weighed] == ["b@l#p", "c@l#p", "a@l#p"]
        assert [w.weight for w in d.weighed] == [1.0, 0.4, 0.0]  # normalised
        assert d.chosen == "b@l#p"

    @pytest.mark.parametrize("multiplier", [1.0, -1.0])
    def test_infinite_capacity_sorts_last_whatever_the_multiplier(self,
                                                                  multiplier: float) -> None:
        hm = manager(("inf@l#p", {"free_capacity_gb": "infinite"}),
                     ("a@l#p", {"free_capacity_gb": 40}), ("b@l#p", {"free_capacity_gb": 90}))
        cfg = SchedulerConfig(multipliers={"CapacityWeigher": multiplier})
        d = schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0)
        assert d.weighed[-1].backend_id == "inf@l#p"
        assert d.chosen == ("b@l#p" if multiplier > 0 else "a@l#p")

    def test_ties_keep_host_manager_order(self) -> None:
        hm = manager(("z@l#p", {}), ("a@l#p", {}), ("m@l#p", {}))
        d = schedule_create_volume(hm, RequestSpec(size=1), now=0)
        assert [w.backend_id for w in d.weighed] == ["z@l#p", "a@l#p", "m@l#p"]

    def test_allocated_capacity_weigher_prefers_least_allocated(self) -> None:
        hm = manager(("a@l#p", {"allocated_capacity_gb": 30}),
                     ("b@l#p", {"allocated_capacity_gb": 10}))
        cfg = SchedulerConfig(weighers=["AllocatedCapacityWeigher"])
        assert schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0).chosen \
            == "b@l#p"

    def test_chance_weigher_follows_the_seed(self) -> None:
        cfg = SchedulerConfig.from_options({"scheduler_default_weighers": "ChanceWeigher"})
        picks = []
        for _ in range(2):
            hm = manager(*((f"h{i}@l#p", {}) for i in range(6)))
            rng = random.Random(7)
            picks.append([schedule_create_volume(hm, RequestSpec(size=1), config=cfg,
                                                 now=0, rng=rng).chosen for _ in range(5)])
        assert picks[0] == picks[1]
        assert len(set(picks[0])) > 1

    def test_consumption_spreads_successive_volumes(self) -> None:
        hm = manager(("a@l#p", {"free_capacity_gb": 100}), ("b@l#p", {"free_capacity_gb": 95}))
        chosen = [schedule_create_volume(hm, RequestSpec(size=10), now=float(i)).chosen
                  for i in range(3)]
        assert chosen == ["a@l#p", "b@l#p", "a@l#p"]


def test_weights_are_finite_with_all_infinite_pools() -> None:
    hm = manager(("a@l#p", {"free_capacity_gb": "unknown"}),
                 ("b@l#p", {"free_capacity_gb": "infinite"}))
    cfg = SchedulerConfig(multipliers={"CapacityWeigher": -1.0})
    d = schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0)
    assert all(math.isfinite(w.weight) for w in d.weighed)
    assert d.chosen == "a@l#p"


@pytest.mark.parametrize("raw", [5.0, -1.0, 0.0, math.inf, -math.inf])
def test_one_candidate_normalises_to_zero(raw: float) -> None:
    # The one-pool shortcut gives what the general rule gives a list of one.
    from cindersim.services.scheduler.weighers import _normalize  # noqa: PLC0415

    assert _normalize([raw]) == [0.0]
    assert _normalize([raw, raw]) == [0.0, 0.0]


def test_one_nan_candidate_takes_the_general_rule() -> None:
    from cindersim.services.scheduler.weighers import _normalize  # noqa: PLC0415

    (only,) = _normalize([math.nan])
    assert math.isnan(only)


def _const(value: float) -> BackendWeigher:
    return lambda _backend, _props: value


@pytest.mark.parametrize("weighers", [
    (), (("W", 5.0, 1.0),), (("W", 5.0, -1.0),), (("W", -0.0, -2.5),),
    (("W", math.nan, 1.0),), (("W", math.inf, -1.0),),
    (("A", 3.0, -1.0), ("B", math.nan, 2.0), ("C", 7.0, 0.5)),
])
def test_one_candidate_weighs_as_a_twin_of_itself(
        weighers: tuple[tuple[str, float, float], ...]) -> None:
    # The one-pool path gives each figure the general one gives two equal pools.
    from scheduler_helpers import props, state  # noqa: PLC0415

    from cindersim.services.scheduler.weighers import weigh_backends, weigh_one  # noqa: PLC0415

    cfg = SchedulerConfig(weighers=[n for n, _, _ in weighers],
                          weigher_registry={n: _const(v) for n, v, _ in weighers},
                          multipliers={n: m for n, _, m in weighers})
    fp = props(config=cfg)
    one = state("a@l", "p")
    weighed, outcomes = weigh_backends([one], fp)
    # weigh_one, called directly (the recorded pass does), is the same pass.
    assert repr(weigh_one(one, fp, ("a@l#p",))) == repr((weighed, outcomes))
    twins, twin_outcomes = weigh_backends([one, state("b@l", "p")], fp)
    assert repr(weighed) == repr(twins[:1])  # repr: NaN and the sign of 0.0 compared too
    assert repr(outcomes) == repr([o._replace(backends=o.backends[:1], raw=o.raw[:1],
                                              normalized=o.normalized[:1])
                                   for o in twin_outcomes])


@pytest.mark.parametrize("name", sorted(POOL_WEIGHTS))
@pytest.mark.parametrize("multiplier", [2.0, -1.0])
@pytest.mark.parametrize("thick", [False, True])
@pytest.mark.parametrize("caps", [
    {"free_capacity_gb": 40, "allocated_capacity_gb": 12, "provisioned_capacity_gb": 30},
    {"free_capacity_gb": 70, "thin_provisioning_support": True, "reserved_percentage": 10,
     "max_over_subscription_ratio": "3.0", "provisioned_capacity_gb": 150},
    {"free_capacity_gb": "infinite"}, {"total_capacity_gb": "unknown"}])
def test_a_pool_weight_is_the_weighers_own_for_the_request(
        name: str, multiplier: float, thick: bool, caps: dict[str, object]) -> None:
    """What a placement index weighs a pool with is the weigher's verdict on it for a
    request of that thin/thick choice and multiplier, whatever the request's size."""
    pool_state = state(**caps)
    cfg = SchedulerConfig(weighers=[name], multipliers={name: multiplier})
    extra = {"provisioning:type": "thick"} if thick else {}
    weight = POOL_WEIGHTS[name](not thick, multiplier)
    for size in (1, 500):
        fp = props(size, config=cfg, extra_specs=extra)
        assert weight(pool_state) == WEIGHERS[name](pool_state, fp)
    pool_state.consume_from_volume(5, now=1)  # the weight follows the pool's figures
    assert weight(pool_state) == WEIGHERS[name](pool_state, props(1, config=cfg,
                                                                  extra_specs=extra))
