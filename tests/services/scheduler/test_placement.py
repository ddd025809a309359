"""The placement index must choose exactly what the full FilterScheduler pass chooses."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cindersim.cloud import simulate
from cindersim.errors import SimulationError
from cindersim.services.scheduler.filter_scheduler import (
    Placement,
    Placer,
    SchedulerConfig,
    SchedulingDecision,
    backend_passes_filters,
    indexable,
    place_create_volume,
    schedule_create_volume,
)
from cindersim.services.scheduler.host_manager import HostManager
from cindersim.services.scheduler.placement import PlacementIndex, WeightOrder
from cindersim.services.scheduler.request_spec import RequestSpec, RetryRecord
from cindersim.workload import (
    ExponentialLifetime,
    OperationMix,
    PoissonArrivals,
    Stream,
    UniformSize,
    Workload,
    drive,
)

AZS = ("nova", "az2")


@st.composite
def pools(draw: st.DrawFn) -> dict[str, Any]:
    thin = draw(st.booleans())
    total = float(draw(st.integers(0, 400)))
    free = float(draw(st.integers(0, int(total)))) if total else 0.0
    pool: dict[str, Any] = {
        "total_capacity_gb": total,
        "free_capacity_gb": free,
        "provisioned_capacity_gb": float(draw(st.integers(0, 3000))),
        "allocated_capacity_gb": float(draw(st.integers(0, 500))),
        "reserved_percentage": draw(st.sampled_from([0, 0, 10, 50])),
        "thin_provisioning_support": thin,
        "thick_provisioning_support": not thin,
        "max_over_subscription_ratio": draw(st.sampled_from(["1.0", "5.0", "20.0", "auto"])),
        "multiattach": draw(st.booleans()),
    }
    if draw(st.integers(0, 9)) == 0:
        pool["free_capacity_gb"] = draw(st.sampled_from(["infinite", "unknown"]))
    return pool


def _report(name: str, pool: dict[str, Any]) -> dict[str, Any]:
    return {"volume_backend_name": name, "vendor_name": "Open Source", "driver_version": "3.0",
            "storage_protocol": "iSCSI", "pools": [{**pool, "pool_name": name}]}


requests = st.tuples(
    st.integers(1, 120),                                   # size
    st.sampled_from([None, "nova", "az2"]),                # availability zone
    st.sampled_from([{}, {"provisioning:type": "thick"},
                     {"volume_backend_name": "b1"}, {"multiattach": "<is> True"}]),
    st.booleans(),                                         # retry with a previous backend
)

events = st.lists(st.one_of(
    st.tuples(st.just("request"), requests),
    st.tuples(st.just("report"), st.tuples(st.integers(0, 11), pools())),
), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(
    backends=st.lists(st.tuples(pools(), st.sampled_from(AZS)), min_size=1, max_size=12),
    weigher=st.sampled_from(["CapacityWeigher", "AllocatedCapacityWeigher"]),
    multiplier=st.sampled_from([1.0, -1.0, 0.0, 2.5]),
    extra_filter=st.booleans(),
    steps=events,
)
def test_indexed_choice_equals_the_full_pass(
        backends: list[tuple[dict[str, Any], str]], weigher: str, multiplier: float,
        extra_filter: bool, steps: list[tuple[str, Any]]) -> None:
    option = {"CapacityWeigher": "capacity_weight_multiplier",
              "AllocatedCapacityWeigher": "allocated_capacity_weight_multiplier"}[weigher]
    filters = "AvailabilityZoneFilter,CapacityFilter,CapabilitiesFilter" + (
        ",IgnoreAttemptedHostsFilter" if extra_filter else "")
    config = SchedulerConfig.from_options({"scheduler_default_filters": filters,
                                           "scheduler_default_weighers": weigher,
                                           option: multiplier})
    assert indexable(config)
    full, fast, lean = HostManager(), HostManager(), HostManager()
    index, lean_index = PlacementIndex(fast), PlacementIndex(lean)
    now = 0.0
    for i, (pool, az) in enumerate(backends):
        for hm in (full, fast, lean):
            hm.update_service_capabilities(f"h{i}@b{i}", _report(f"b{i}", pool), timestamp=now,
                                           availability_zone=az)
    last_chosen: str | None = None
    for kind, what in steps:
        now += 1.0
        if kind == "report":
            i, pool = what
            if i < len(backends):
                for hm in (full, fast, lean):
                    hm.update_service_capabilities(f"h{i}@b{i}", _report(f"b{i}", pool),
                                                   timestamp=now,
                                                   availability_zone=backends[i][1])
            continue
        size, az, specs, with_retry = what
        spec = RequestSpec(size=size, availability_zone=az, extra_specs=specs)
        retry = None
        if with_retry and last_chosen is not None:
            retry = RetryRecord(num_attempts=1, backends=(last_chosen,), hosts=(last_chosen,))
        slow = schedule_create_volume(full, spec, config=config, now=now, retry=retry)
        quick = schedule_create_volume(fast, spec, config=config, now=now, retry=retry,
                                       index=index)
        assert quick.chosen == slow.chosen, (slow.narrate(), quick)
        assert quick.retry == slow.retry
        assert quick.reverted == slow.reverted
        assert str(quick.error()) == str(slow.error())
        # Without a record: the same choice, and a bare Placement exactly on success.
        placed = place_create_volume(lean, spec, index=lean_index, config=config, now=now,
                                     retry=retry)
        if slow.chosen is None:
            assert not isinstance(placed, Placement)
            assert str(placed.error()) == str(slow.error())
            assert placed.retry == slow.retry
        else:
            assert placed == Placement(slow.chosen, slow.chosen_zone, slow.retry)
        last_chosen = slow.chosen or last_chosen
        # Both managers must still agree on every figure.
        assert [(b.backend_id, b.free_capacity_gb, b.provisioned_capacity_gb,
                 b.allocated_capacity_gb) for b in full.get_all_backend_states(now)] == \
               [(b.backend_id, b.free_capacity_gb, b.provisioned_capacity_gb,
                 b.allocated_capacity_gb) for b in fast.get_all_backend_states(now)] == \
               [(b.backend_id, b.free_capacity_gb, b.provisioned_capacity_gb,
                 b.allocated_capacity_gb) for b in lean.get_all_backend_states(now)]


def test_a_full_cloud_answers_no_valid_backend_without_looking_at_every_pool() -> None:
    """With CapacityWeigher the scan stops at the first pool too small."""
    hm = HostManager()
    index = PlacementIndex(hm)
    for i in range(50):
        hm.update_service_capabilities(
            f"h{i}@b", _report("b", {"total_capacity_gb": 10.0, "free_capacity_gb": 1.0,
                                     "provisioned_capacity_gb": 9.0,
                                     "thin_provisioning_support": False,
                                     "thick_provisioning_support": True}),
            timestamp=0.0)
    config = SchedulerConfig()
    looked: list[str] = []
    original = config.filter_registry["CapacityFilter"]

    def counting(backend: Any, props: Any) -> bool:
        looked.append(backend.backend_id)
        return bool(original(backend, props))

    config = SchedulerConfig(filter_registry={**config.filter_registry,
                                              "CapacityFilter": counting})
    decision = schedule_create_volume(hm, RequestSpec(size=5), config=config, now=1.0,
                                      index=index)
    assert decision.chosen is None
    assert str(decision.error()) == "No valid backend was found. No weighed backends available"
    assert looked == []
    decision = schedule_create_volume(hm, RequestSpec(size=1), config=config, now=1.0,
                                      index=index)
    assert decision.chosen == "h0@b#b"  # equal weights: host manager order
    assert looked == ["h0@b#b"]


def test_configurations_the_index_cannot_answer_take_the_full_pass() -> None:
    assert not indexable(SchedulerConfig(weighers=("CapacityWeigher", "VolumeNumberWeigher")))
    assert not indexable(SchedulerConfig(weighers=("ChanceWeigher",)))
    assert not indexable(SchedulerConfig(weighers=("VolumeNumberWeigher",)))
    assert indexable(SchedulerConfig())


def test_one_placer_follows_its_configuration() -> None:
    """The scheduler keeps one Placer for good: asked with another configuration it
    works that one's plan out (and places as the full pass would); with one the index
    cannot answer, or asked for a record, it makes the full pass itself."""
    pools = {"a": {"total_capacity_gb": 200.0, "free_capacity_gb": 100.0,
                   "allocated_capacity_gb": 50.0},
             "b": {"total_capacity_gb": 200.0, "free_capacity_gb": 50.0,
                   "allocated_capacity_gb": 0.0}}
    full, fast = HostManager(), HostManager()
    for hm in (full, fast):
        for name, figures in pools.items():
            hm.update_service_capabilities(f"h@{name}", _report(name, figures), timestamp=0.0)
    placer = Placer(PlacementIndex(fast))
    most_free = SchedulerConfig()
    least_allocated = SchedulerConfig.from_options(
        {"scheduler_default_weighers": "AllocatedCapacityWeigher"})
    chosen = []
    for i, config in enumerate([most_free, least_allocated, most_free, least_allocated]):
        spec = RequestSpec(size=1)
        slow = schedule_create_volume(full, spec, config=config, now=float(i + 1))
        placed = placer.create_volume(spec, None, float(i + 1), config, False)
        assert placed == Placement(slow.chosen, slow.chosen_zone, slow.retry)
        chosen.append(slow.chosen)
    assert chosen == ["h@a#a", "h@b#b", "h@a#a", "h@b#b"]
    # A configuration the index cannot answer, or a pass asked to be recorded: the
    # full pass, with every verdict, on the same pools.
    mixed = SchedulerConfig(weighers=("CapacityWeigher", "VolumeNumberWeigher"))
    for i, (config, recorded) in enumerate([(mixed, False), (most_free, True)]):
        slow = schedule_create_volume(full, RequestSpec(size=1), config=config,
                                      now=5.0 + i)
        placed = placer.create_volume(RequestSpec(size=1), None, 5.0 + i, config, False,
                                      recorded=recorded)
        assert placed == slow
        assert isinstance(placed, SchedulingDecision)
        assert len(placed.weighers) == len(config.weighers)
    assert [(s.backend_id, s.free_capacity_gb) for s in fast.get_all_backend_states(7.0)] \
        == [(s.backend_id, s.free_capacity_gb) for s in full.get_all_backend_states(7.0)]


def test_a_workload_places_volumes_alike_with_and_without_a_full_trace() -> None:
    """Trace mode decides only how much is explained, never where volumes go."""
    names = [f"b{i}" for i in range(6)]
    config: dict[str, Any] = {"DEFAULT": {"enabled_backends": names, "quota_volumes": -1,
                                          "quota_gigabytes": -1}}
    for i, name in enumerate(names):
        config[name] = {"host": f"cinder-{i // 2}", "vg_size_gb": 40 + 10 * i,
                        "lvm_type": "thin" if i % 2 else "default"}
    ops = Workload([Stream("demo", PoissonArrivals(0.5), UniformSize(1, 30),
                           ExponentialLifetime(300.0),
                           OperationMix({"create": 0.8, "extend": 0.1, "delete": 0.1}))],
                   duration=600.0).generate(random.Random(3))

    async def main(cloud: Any) -> list[tuple[str, str, str | None]]:
        await drive(cloud, ops)
        await cloud.settle()
        return [(v.id, str(v.status), v.host) for v in cloud.db.volumes.values()]

    full = simulate(main, seed=5, config=config, trace_mode="full")
    quick = simulate(main, seed=5, config=config, trace_mode="off")
    assert full.value == quick.value
    assert len({host for _, _, host in full.value}) > 2  # the choice mattered
    assert full.cloud.db.fingerprint() == quick.cloud.db.fingerprint()


def test_a_nan_weight_is_a_bug_not_a_place_in_the_order() -> None:
    hm = HostManager()
    hm.update_service_capabilities("h@b", _report("b", {"total_capacity_gb": 10.0,
                                                        "free_capacity_gb": 10.0}),
                                   timestamp=0.0)
    hm.refresh(1.0)
    order = WeightOrder(hm, lambda state: math.nan, 1.0)
    with pytest.raises(SimulationError, match="NaN"):
        order.sync()


@settings(max_examples=100, deadline=None)
@given(
    backends=st.lists(st.tuples(pools(), st.sampled_from(AZS)), min_size=1, max_size=8),
    weigher=st.sampled_from(["CapacityWeigher", "AllocatedCapacityWeigher"]),
    multiplier=st.sampled_from([1.0, -1.0, 0.0]),
    checks=st.lists(st.tuples(st.integers(0, 7), st.integers(1, 60), st.integers(0, 200),
                              st.sampled_from([{}, {"provisioning:type": "thick"}])),
                    min_size=1, max_size=10),
)
def test_indexed_backend_check_equals_the_full_pass(
        backends: list[tuple[dict[str, Any], str]], weigher: str, multiplier: float,
        checks: list[tuple[int, int, int, dict[str, str]]]) -> None:
    """Extends and snapshots ask whether the volume's own backend fits: same answer."""
    option = {"CapacityWeigher": "capacity_weight_multiplier",
              "AllocatedCapacityWeigher": "allocated_capacity_weight_multiplier"}[weigher]
    config = SchedulerConfig.from_options({"scheduler_default_weighers": weigher,
                                           option: multiplier})
    full, fast = HostManager(), HostManager()
    index = PlacementIndex(fast)
    for i, (pool, az) in enumerate(backends):
        for hm in (full, fast):
            hm.update_service_capabilities(f"h{i}@b{i}", _report(f"b{i}", pool), timestamp=0.0,
                                           availability_zone=az)
    for n, (i, size, grow, specs) in enumerate(checks):
        backend = f"h{i}@b{i}" if i < len(backends) else "nowhere@b"
        spec = RequestSpec(size=size, volume_id=f"vol-{n}", extra_specs=specs,
                           operation="extend_volume")
        slow = backend_passes_filters(full, backend, spec, config=config, now=1.0 + n,
                                      new_size=size + grow)
        quick = backend_passes_filters(fast, backend, spec, config=config, now=1.0 + n,
                                       new_size=size + grow, index=index)
        assert quick.chosen == slow.chosen
        assert str(quick.error()) == str(slow.error())


def test_an_index_asked_with_another_configuration_orders_by_its_weigher() -> None:
    """A plan keeps the index's orders it used; a new configuration (a new plan) must
    not be served the previous weigher's order, nor a thick request the thin one."""
    hm, plain = HostManager(), HostManager()
    index = PlacementIndex(hm)
    # roomy: thin, the most virtual free space (thick: the least), much allocated.
    for host in (hm, plain):
        host.update_service_capabilities("roomy@b", _report("b", {
            "total_capacity_gb": 100.0, "free_capacity_gb": 30.0,
            "provisioned_capacity_gb": 10.0, "allocated_capacity_gb": 80.0,
            "thin_provisioning_support": True, "max_over_subscription_ratio": "20.0"}),
            timestamp=0.0)
        host.update_service_capabilities("lean@b", _report("b", {
            "total_capacity_gb": 60.0, "free_capacity_gb": 50.0,
            "provisioned_capacity_gb": 10.0, "allocated_capacity_gb": 5.0,
            "thin_provisioning_support": False, "thick_provisioning_support": True}),
            timestamp=0.0)
    by_capacity = SchedulerConfig()
    by_allocation = SchedulerConfig.from_options(
        {"scheduler_default_weighers": "AllocatedCapacityWeigher"})
    assert indexable(by_allocation)
    thick = {"provisioning:type": "thick"}
    chosen: list[str | None] = []
    for n, (config, specs) in enumerate([(by_capacity, {}), (by_allocation, {}),
                                         (by_capacity, thick), (by_capacity, {})]):
        spec = RequestSpec(size=1, volume_id=f"vol-{n}", extra_specs=specs)
        quick = schedule_create_volume(hm, spec, config=config, now=1.0 + n, index=index)
        slow = schedule_create_volume(plain, spec, config=config, now=1.0 + n)
        assert quick.chosen == slow.chosen
        chosen.append(quick.chosen)
    assert chosen == ["roomy@b#b", "lean@b#b", "lean@b#b", "roomy@b#b"]


def test_the_ranking_follows_every_change_best_first() -> None:
    """current() is the live (-sign * weight, position, pool) list: after placements it
    is what best_first() says, for either sign, in (weight, map order) order."""
    hm = HostManager()
    for name, free in (("a", 30.0), ("b", 50.0), ("c", 50.0)):
        hm.update_service_capabilities(f"h@{name}", _report(name, {
            "total_capacity_gb": 100.0, "free_capacity_gb": free,
            "thin_provisioning_support": False, "thick_provisioning_support": True}),
            timestamp=0.0)
    hm.refresh(1.0)
    most, least = (WeightOrder(hm, lambda s: float(s.free_capacity_gb), sign)
                   for sign in (1.0, -1.0))
    for order in (most, least):
        order.sync()
    states = {s.pool_name: s for s in hm.get_all_backend_states(1.0)}
    states["b"].consume_from_volume(25, now=2.0)  # b: 25 free, c first, a second
    assert [(-k, s.pool_name) for k, _, s in most.current()] == [
        (w, s.pool_name) for w, s in most.best_first()] == [(50.0, "c"), (30.0, "a"),
                                                           (25.0, "b")]
    assert [(k, s.pool_name) for k, _, s in least.current()] == [
        (w, s.pool_name) for w, s in least.best_first()] == [(25.0, "b"), (30.0, "a"),
                                                            (50.0, "c")]
    states["b"].revert_consumed(25)  # ties keep map order: b before c
    assert [s.pool_name for _, _, s in most.current()] == ["b", "c", "a"]


def _one_pool_ordered() -> tuple[HostManager, WeightOrder]:
    """A host manager with pool a (30 GiB free) and an order by free capacity."""
    hm = HostManager()
    hm.update_service_capabilities("h@a", _report("a", {"total_capacity_gb": 100.0,
                                                        "free_capacity_gb": 30.0}),
                                   timestamp=0.0)
    hm.refresh(1.0)
    return hm, WeightOrder(hm, lambda s: float(s.free_capacity_gb), 1.0)


def _second_pool(hm: HostManager) -> None:
    """Pool b (60 GiB free) reports, and a pass refreshes the map."""
    hm.update_service_capabilities("h@b", _report("b", {"total_capacity_gb": 100.0,
                                                        "free_capacity_gb": 60.0}),
                                   timestamp=2.0)
    hm.refresh(3.0)


def test_the_current_ranking_follows_the_pool_list() -> None:
    """current() syncs with the host manager's pool list before it answers: a pool that
    comes (or goes) with a report is in (or out of) the very next answer."""
    hm, order = _one_pool_ordered()
    assert [s.pool_name for _, _, s in order.current()] == ["a"]
    _second_pool(hm)
    assert [s.pool_name for _, _, s in order.current()] == ["b", "a"]
    assert order.current() is order.current()  # the live list, not a copy


def test_a_synced_ranking_follows_the_pool_list_without_being_asked() -> None:
    """Once synced, an order re-syncs when the host manager's pool list changes: the
    ranking a pass reads directly (``order.ranking``) is never stale."""
    hm, order = _one_pool_ordered()
    order.sync()
    _second_pool(hm)
    assert [s.pool_name for _, _, s in order.ranking] == ["b", "a"]
    # ... and a placement on the new pool moves it in that ranking.
    b = hm.get_all_backend_states(3.0)[1]
    b.consume_from_volume(40, now=4.0)
    assert [s.pool_name for _, _, s in order.ranking] == ["a", "b"]


def test_an_unbounded_pool_is_seen_after_the_report_that_makes_it_so() -> None:
    """has_unbounded() is worked out again after a report (not after placements): a
    pool turning 'infinite' (or back to a number) in a report of the same pool list is
    seen by the next pass."""
    hm = HostManager()
    numeric = {"total_capacity_gb": 100.0, "free_capacity_gb": 30.0}
    hm.update_service_capabilities("h@a", _report("a", numeric), timestamp=0.0)
    hm.update_service_capabilities("h@b", _report("b", numeric), timestamp=0.0)
    hm.refresh(1.0)
    order = WeightOrder(hm, lambda s: s.allocated_capacity_gb, 1.0)
    order.sync()
    assert not order.has_unbounded()
    epoch = hm.map_epoch
    hm.update_service_capabilities("h@b", _report("b", {**numeric,
                                                        "free_capacity_gb": "infinite"}),
                                   timestamp=2.0)
    hm.refresh(3.0)
    assert hm.map_epoch == epoch  # the same pools: no re-sync told the order
    assert order.has_unbounded()
    hm.get_all_backend_states(3.0)[0].consume_from_volume(1, now=4.0)
    assert order.has_unbounded()
    hm.update_service_capabilities("h@b", _report("b", numeric), timestamp=5.0)
    hm.refresh(6.0)
    assert not order.has_unbounded()
