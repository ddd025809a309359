"""The FilterScheduler pass: retry, filtering, pinning, consumption, config."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scheduler_helpers import VOL, manager

from cindersim.errors import NoValidBackend
from cindersim.services.scheduler.filter_scheduler import (
    DEFAULT_CONFIG,
    SchedulerConfig,
    backend_passes_filters,
    recorded_create_volume,
    schedule_create_volume,
    volume_type_predicate,
)
from cindersim.services.scheduler.filters import FILTERS
from cindersim.services.scheduler.host_manager import BackendState
from cindersim.services.scheduler.request_spec import FilterProperties, RequestSpec, RetryRecord


class TestRetry:
    def test_first_pass_creates_record_and_appends_choice(self) -> None:
        hm = manager(("a@l#p", {}))
        d = schedule_create_volume(hm, RequestSpec(size=1, volume_id=VOL), now=0)
        assert d.retry == RetryRecord(1, backends=("a@l#p",), hosts=("a@l#p",))

    def test_reschedule_increments_reverts_and_consumes_exc(self) -> None:
        hm = manager(("a@l#p", {}), ("b@l#p", {"free_capacity_gb": 95}))
        first = schedule_create_volume(hm, RequestSpec(size=10, volume_id=VOL), now=0)
        assert first.retry is not None
        failed = first.retry.with_exc("VolumeBackendAPIException")
        second = schedule_create_volume(hm, RequestSpec(size=10, volume_id=VOL), now=1,
                                        retry=failed)
        assert second.reverted == ("a@l#p", 10.0)
        assert second.previous_error == "VolumeBackendAPIException"
        assert second.retry == RetryRecord(2, backends=("a@l#p", "a@l#p"),
                                           hosts=("a@l#p", "a@l#p"))
        assert failed.num_attempts == 1  # the input record is untouched

    def test_exceeding_max_attempts_fails_with_cinder_reason(self) -> None:
        hm = manager(("a@l#p", {}))
        retry = RetryRecord(3, backends=("a@l#p",) * 3, hosts=("a@l#p",) * 3)
        d = schedule_create_volume(hm, RequestSpec(size=1, volume_id=VOL), now=0, retry=retry)
        assert d.chosen is None
        assert d.retry is not None
        assert d.retry.num_attempts == 4
        with pytest.raises(NoValidBackend, match=f"Exceeded max scheduling attempts 3 for "
                                                 f"resource {VOL}"):
            d.backend()

    def test_max_attempts_one_disables_the_record(self) -> None:
        hm = manager(("a@l#p", {}))
        cfg = SchedulerConfig(max_attempts=1)
        d = schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0,
                                   retry=RetryRecord(5))
        assert d.retry is None
        assert d.chosen == "a@l#p"

    def test_retry_filter_avoids_the_failed_backend(self) -> None:
        hm = manager(("a@l#p", {}), ("b@l#p", {"free_capacity_gb": 50}))
        cfg = SchedulerConfig(filters=[*DEFAULT_CONFIG.filters, "RetryFilter"])
        first = schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0)
        second = schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=1,
                                        retry=first.retry)
        assert (first.chosen, second.chosen) == ("a@l#p", "b@l#p")

class TestSchedulePass:
    def test_no_backend_gives_no_weighed_backends_and_stops_filtering(self) -> None:
        hm = manager(("a@l#p", {"free_capacity_gb": 5}))
        d = schedule_create_volume(hm, RequestSpec(size=10), now=0)
        assert [f.name for f in d.filters] == ["AvailabilityZoneFilter", "CapacityFilter"]
        assert d.filters[1].rejected == ("a@l#p",)
        with pytest.raises(NoValidBackend, match=r"No valid backend was found\. No weighed "
                                                 r"backends available"):
            d.backend()

    def test_resource_backend_pins_at_backend_or_pool_level(self) -> None:
        hm = manager(("a@l#p1", {"free_capacity_gb": 10}), ("a@l#p2", {"free_capacity_gb": 20}),
                     ("b@l#p", {"free_capacity_gb": 90}))
        d = schedule_create_volume(hm, RequestSpec(size=1, resource_backend="a@l"), now=0)
        assert d.chosen == "a@l#p2"
        assert d.pinned_out == ("b@l#p",)
        d = schedule_create_volume(hm, RequestSpec(size=1, resource_backend="a@l#p1"), now=0)
        assert d.chosen == "a@l#p1"

    def test_pin_to_a_full_backend_fails(self) -> None:
        hm = manager(("a@l#p", {"free_capacity_gb": 0}), ("b@l#p", {}))
        d = schedule_create_volume(hm, RequestSpec(size=1, resource_backend="a@l"), now=0)
        assert not d.ok
        assert "No weighed backends available" in str(d.error())

    def test_down_services_are_not_candidates(self) -> None:
        hm = manager(("a@l#p", {}), ("b@l#p", {}))
        hm.service_heartbeat("b@l", 100)
        d = schedule_create_volume(hm, RequestSpec(size=1), now=100)
        assert d.candidates == ("b@l#p",)
        assert d.down_hosts == ("a@l",)
        assert "cinder-scheduler filters the candidates" in d.narrate()

    def test_custom_filter_plugs_in_by_name(self) -> None:
        def only_b(backend: BackendState, _props: FilterProperties) -> bool:
            return backend.host.startswith("b")

        cfg = SchedulerConfig(filters=["OnlyB"], filter_registry={**FILTERS, "OnlyB": only_b})
        hm = manager(("a@l#p", {}), ("b@l#p", {"free_capacity_gb": 1}))
        assert schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0).chosen \
            == "b@l#p"

    def test_config_validation_and_options(self) -> None:
        with pytest.raises(ValueError, match="NoSuchFilter could not be found"):
            SchedulerConfig(filters=["NoSuchFilter"])
        with pytest.raises(ValueError, match="must be >=1"):
            SchedulerConfig(max_attempts=0)
        cfg = SchedulerConfig.from_options({
            "scheduler_default_filters": "AvailabilityZoneFilter,CapacityFilter",
            "capacity_weight_multiplier": "-1.0", "scheduler_max_attempts": 5})
        assert cfg.filters == ("AvailabilityZoneFilter", "CapacityFilter")
        assert (cfg.multiplier("CapacityWeigher"), cfg.max_attempts) == (-1.0, 5)
        assert cfg.multiplier("AllocatedCapacityWeigher") == -1.0
        with pytest.raises(ValueError, match="bogus"):
            SchedulerConfig.from_options({"bogus": 1})

    @given(frees=st.lists(st.integers(0, 200), min_size=1, max_size=6),
           sizes=st.lists(st.integers(1, 80), min_size=1, max_size=6))
    def test_choices_pass_all_filters_have_top_weight_and_are_deterministic(
            self, frees: list[int], sizes: list[int]) -> None:
        runs = []
        for _ in range(2):
            hm = manager(*((f"h{i}@l#p", {"free_capacity_gb": f, "total_capacity_gb": 200})
                           for i, f in enumerate(frees)))
            decisions = [schedule_create_volume(hm, RequestSpec(size=s), now=float(i))
                         for i, s in enumerate(sizes)]
            runs.append([d.to_dict() for d in decisions])
            for d, size in zip(decisions, sizes, strict=True):
                if d.chosen is None:
                    continue
                assert all(d.chosen in f.passed for f in d.filters)
                assert d.weighed[0].backend_id == d.chosen
                assert d.weighed[0].weight == max(w.weight for w in d.weighed)
                assert d.consumed_gb == size
        assert runs[0] == runs[1]

    @given(frees=st.lists(st.integers(0, 100), min_size=1, max_size=5),
           sizes=st.lists(st.integers(1, 60), max_size=8))
    def test_thick_pools_never_overcommit(self, frees: list[int], sizes: list[int]) -> None:
        hm = manager(*((f"h{i}@l#p", {"free_capacity_gb": f}) for i, f in enumerate(frees)))
        for i, size in enumerate(sizes):
            schedule_create_volume(hm, RequestSpec(size=size), now=float(i))
        for s in hm.get_all_backend_states(now=float(len(sizes))):
            assert isinstance(s.free_capacity_gb, float)
            assert s.free_capacity_gb >= 0


class TestBackendPassesFilters:
    def test_extend_fits_on_the_volume_backend_ignoring_pool(self) -> None:
        hm = manager(("a@l#p", {"free_capacity_gb": 10}))
        spec = RequestSpec(size=5, volume_id=VOL, operation="extend_volume")
        d = backend_passes_filters(hm, "a@l", spec, now=0, new_size=15)
        assert d.chosen == "a@l#p"
        assert hm.get_all_backend_states(now=0)[0].free_capacity_gb == 10.0  # not consumed

    def test_snapshot_that_does_not_fit_names_the_snapshot(self) -> None:
        hm = manager(("a@l#p", {"free_capacity_gb": 10}), ("b@l#p", {}))
        spec = RequestSpec(size=50, snapshot_id="snap-1")
        d = backend_passes_filters(hm, "a@l#p", spec, now=0)
        assert str(d.error()) == "Cannot place snapshot snap-1 on a@l#p."


def test_volume_type_predicate_for_get_pools() -> None:
    hm = manager(("a@l#p", {"multiattach": True}), ("b@l#p", {"multiattach": False}))
    pred = volume_type_predicate({"multiattach": "<is> True"})
    assert [p["name"] for p in hm.get_pools(0, predicate=pred)] == ["a@l#p"]


@pytest.mark.parametrize(("size", "retry"), [
    (10, None), (10, RetryRecord(1, ("a@l#p",), ("a@l#p",), "boom")), (500, None),
    (10, RetryRecord(3, ("a@l#p", "b@l#p", "a@l#p"), ("a@l#p", "b@l#p", "a@l#p"), "x"))])
def test_the_recorded_pass_is_schedule_create_volume_without_an_index(
        size: int, retry: RetryRecord | None) -> None:
    # The scheduler service calls it directly for a full trace: the same decision
    # and the same consumption as through schedule_create_volume.
    pools = (("a@l#p", {"free_capacity_gb": 50}), ("b@l#p", {"free_capacity_gb": 90}))
    direct, through = manager(*pools), manager(*pools)
    spec = RequestSpec(size=size, volume_id=VOL)
    got = recorded_create_volume(direct, spec, config=DEFAULT_CONFIG, now=1, retry=retry,
                                 scheduler_hints=None, rng=None, volume_host=None,
                                 volume_number=None)
    assert got == schedule_create_volume(through, spec, now=1, retry=retry)
    assert [s.free_capacity_gb for s in direct.get_all_backend_states(1)] \
        == [s.free_capacity_gb for s in through.get_all_backend_states(1)]
