"""Filters, weighers and the FilterScheduler pass, against Cinder's rules."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim.errors import NoValidBackend
from cindersim.services.scheduler.filters import (
    DEFAULT_CONFIG,
    FILTERS,
    FilterProperties,
    RequestSpec,
    RetryRecord,
    SchedulerConfig,
    availability_zone_filter,
    backend_passes_filters,
    capabilities_filter,
    capacity_filter,
    different_backend_filter,
    extra_specs_match,
    ignore_attempted_hosts_filter,
    same_backend_filter,
    schedule_create_volume,
    volume_type_predicate,
)
from cindersim.services.scheduler.host_manager import BackendState, HostManager

VOL = "6b1c7f0e-4f6e-4a5e-9d55-2d2b0cb0b001"
VOL2 = "6b1c7f0e-4f6e-4a5e-9d55-2d2b0cb0b002"


def state(host: str = "c1@lvm", name: str = "p", *, az: str = "nova",
          **caps: Any) -> BackendState:
    d: dict[str, Any] = {"pool_name": name, "total_capacity_gb": 100,
                         "free_capacity_gb": 100, "allocated_capacity_gb": 0,
                         "reserved_percentage": 0, "thin_provisioning_support": False}
    d.update(caps)
    return BackendState.from_pool_report(host, d, availability_zone=az)


def props(size: int = 1, config: SchedulerConfig = DEFAULT_CONFIG, **kw: Any,
          ) -> FilterProperties:
    fp_keys = {"new_size", "retry", "vol_exists_on", "scheduler_hints", "rng",
               "volume_host", "volume_number"}
    fp = {k: kw.pop(k) for k in list(kw) if k in fp_keys}
    return FilterProperties(request_spec=RequestSpec(size=size, **kw), config=config, **fp)


def thin(**caps: Any) -> BackendState:
    return state(thin_provisioning_support=True, **caps)


class TestCapacityFilterThick:
    def test_reserved_is_a_floored_percentage_of_total(self) -> None:
        s = state(total_capacity_gb=100, free_capacity_gb=100, reserved_percentage=5.5)
        assert capacity_filter(s, props(95))       # 100 - floor(5.5) = 95
        assert not capacity_filter(s, props(96))

    def test_free_smaller_than_bookkeeping_wins(self) -> None:
        s = state(total_capacity_gb=100, free_capacity_gb=30, allocated_capacity_gb=10)
        assert capacity_filter(s, props(30))
        assert not capacity_filter(s, props(31))

    def test_provisioned_smaller_than_free_wins(self) -> None:
        s = state(total_capacity_gb=100, free_capacity_gb=100, provisioned_capacity_gb=90)
        assert capacity_filter(s, props(10))
        assert not capacity_filter(s, props(11))

    @given(total=st.integers(1, 2000), free=st.integers(0, 2000),
           prov=st.integers(0, 2000), pct=st.integers(0, 100), size=st.integers(1, 2000))
    def test_matches_min_free_avail_minus_provisioned(self, total: int, free: int,
                                                      prov: int, pct: int,
                                                      size: int) -> None:
        s = state(total_capacity_gb=total, free_capacity_gb=free,
                  provisioned_capacity_gb=prov, reserved_percentage=pct)
        avail = total - (total * pct // 100)
        assert capacity_filter(s, props(size)) == (min(free, avail - prov) >= size)


class TestCapacityFilterThin:
    def test_virtual_free_is_avail_times_ratio_minus_provisioned(self) -> None:
        s = thin(total_capacity_gb=100, free_capacity_gb=10, provisioned_capacity_gb=1900,
                 max_over_subscription_ratio="20.0")
        assert capacity_filter(s, props(100))       # 100 * 20 - 1900
        assert not capacity_filter(s, props(101))

    def test_reserved_applies_before_the_ratio(self) -> None:
        s = thin(total_capacity_gb=100, free_capacity_gb=100, reserved_percentage=10,
                 max_over_subscription_ratio="2.0")
        assert capacity_filter(s, props(180))       # (100 - 10) * 2
        assert not capacity_filter(s, props(181))

    def test_thick_type_on_thin_pool_uses_thick_rule(self) -> None:
        s = thin(total_capacity_gb=100, free_capacity_gb=10,
                 max_over_subscription_ratio="20.0")
        thick_type = {"provisioning:type": "thick"}
        assert capacity_filter(s, props(50))
        assert not capacity_filter(s, props(50, extra_specs=thick_type))
        assert capacity_filter(s, props(10, extra_specs=thick_type))

    def test_ratio_below_one_fails_thin_but_not_thick_requests(self) -> None:
        s = thin(total_capacity_gb=100, free_capacity_gb=100,
                 max_over_subscription_ratio="0.5")
        assert not capacity_filter(s, props(1))
        assert capacity_filter(s, props(1, extra_specs={"provisioning:type": "thick"}))


class TestCapacityFilterEdges:
    @pytest.mark.parametrize("free", ["infinite", "unknown"])
    def test_infinite_or_unknown_free_passes(self, free: str) -> None:
        assert capacity_filter(state(free_capacity_gb=free, reserved_percentage=50),
                               props(10**6))

    @pytest.mark.parametrize("total", ["infinite", "unknown"])
    def test_infinite_total_passes_only_without_reserve(self, total: str) -> None:
        assert capacity_filter(state(total_capacity_gb=total), props(10))
        assert not capacity_filter(state(total_capacity_gb=total, reserved_percentage=1),
                                   props(10))

    def test_free_none_and_zero_total_fail(self) -> None:
        assert not capacity_filter(state(free_capacity_gb=None), props(1))
        assert not capacity_filter(state(total_capacity_gb=0), props(1))

    def test_extend_checks_only_the_growth(self) -> None:
        s = state(free_capacity_gb=10)
        assert capacity_filter(s, props(50, new_size=60))
        assert not capacity_filter(s, props(50, new_size=61))

    def test_zero_request_and_volume_already_there_pass(self) -> None:
        full = state(free_capacity_gb=0)
        assert capacity_filter(full, props(0))
        assert capacity_filter(full, props(5, vol_exists_on="c1@lvm#p"))
        assert not capacity_filter(full, props(5, vol_exists_on="c2@lvm#p"))


class TestExtraSpecsOps:
    @pytest.mark.parametrize(("value", "req", "expected"), [
        (True, "<is> True", True), (False, "<is> True", False), ("yes", "<is> true", True),
        (True, "True", False),                 # no operator: compared as is
        ("True", "True", True),
        ("iSCSI", "s== iSCSI", True), ("iscsi", "s== iSCSI", False),
        (10, ">= 10", True), (9, ">= 10", False), (11, "= 10", True),  # '=' is '>='
        (10, "== 10.0", True), ("abc", "== 1", False),
        ("gold silver", "<in> silver", True), (True, "<in> x", False),
        ("b", "<or> a <or> b <or> c", True), ("d", "<or> a <or> b", False),
        (None, None, True), (None, "<is> True", False), (5, "s< a", False),
    ])
    def test_operators(self, value: Any, req: str | None, expected: bool) -> None:
        assert extra_specs_match(value, req) is expected

    @given(x=st.floats(-1e6, 1e6), y=st.floats(-1e6, 1e6))
    def test_numeric_operators_agree_with_float_comparison(self, x: float, y: float) -> None:
        assert extra_specs_match(x, f">= {y!r}") == (x >= y)
        assert extra_specs_match(x, f"<= {y!r}") == (x <= y)
        assert extra_specs_match(x, f"== {y!r}") == (x == y)

    @given(choices=st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=5),
           value=st.text("abc", min_size=1, max_size=3))
    def test_or_matches_iff_one_alternative_equals(self, choices: list[str],
                                                   value: str) -> None:
        req = " ".join(f"<or> {c}" for c in choices)
        assert extra_specs_match(value, req) == (value in choices)


class TestCapabilitiesFilter:
    def test_unscoped_and_capabilities_scoped_keys_are_checked(self) -> None:
        s = state(storage_protocol="iSCSI", volume_backend_name="lvm")
        assert capabilities_filter(s, props(extra_specs={"volume_backend_name": "lvm"}))
        assert not capabilities_filter(s, props(extra_specs={"volume_backend_name": "ceph"}))
        assert capabilities_filter(
            s, props(extra_specs={"capabilities:storage_protocol": "s== iSCSI"}))

    def test_other_scopes_are_ignored(self) -> None:
        s = state()
        specs = {"qos:maxIOPS": "100", "provisioning:type": "thin", "vendor:x": "y"}
        assert capabilities_filter(s, props(extra_specs=specs))

    def test_missing_capability_fails(self) -> None:
        assert not capabilities_filter(state(), props(extra_specs={"compression": "<is> True"}))

    def test_nested_scoped_capability(self) -> None:
        s = state(tier={"level": "gold"})
        assert capabilities_filter(s, props(extra_specs={"capabilities:tier:level": "gold"}))
        assert not capabilities_filter(s, props(extra_specs={"capabilities:tier:x": "gold"}))

    def test_list_capability_matches_any_element(self) -> None:
        s = state(compression=[True, False])
        assert capabilities_filter(s, props(extra_specs={"compression": "<is> False"}))

    def test_multiattach_request_requires_multiattach_backend(self) -> None:
        assert not capabilities_filter(state(multiattach=False), props(multiattach=True))
        assert capabilities_filter(state(multiattach=True), props(multiattach=True))

    def test_online_extend_unsupported_blocks_attached_extend_only(self) -> None:
        s = state(online_extend_support=False)
        attached = props(10, new_size=20, operation="extend_volume", attach_status="attached")
        detached = props(10, new_size=20, operation="extend_volume")
        assert not capabilities_filter(s, attached)
        assert capabilities_filter(s, detached)
        assert capabilities_filter(state(), attached)  # unreported means supported


class TestSmallFilters:
    def test_availability_zone(self) -> None:
        s = state(az="az1")
        assert availability_zone_filter(s, props())
        assert availability_zone_filter(s, props(availability_zone="az1"))
        assert not availability_zone_filter(s, props(availability_zone="az2"))
        assert availability_zone_filter(
            s, props(availability_zone="az2", availability_zones=("az1", "az3")))
        assert not availability_zone_filter(s, props(availability_zones="az2,az3"))

    def test_ignore_attempted_hosts(self) -> None:
        s = state()
        assert ignore_attempted_hosts_filter(s, props())
        tried = RetryRecord(2, backends=("c1@lvm#p",), hosts=("c1@lvm#p",))
        assert not ignore_attempted_hosts_filter(s, props(retry=tried))
        assert FILTERS["RetryFilter"] is ignore_attempted_hosts_filter

    def test_affinity_filters(self) -> None:
        s = state()
        where = {VOL: "c1@lvm#p", VOL2: "c9@lvm#p"}.get
        assert not different_backend_filter(
            s, props(scheduler_hints={"different_host": VOL}, volume_host=where))
        assert different_backend_filter(
            s, props(scheduler_hints={"different_host": [VOL2]}, volume_host=where))
        assert same_backend_filter(
            s, props(scheduler_hints={"same_host": [VOL, VOL2]}, volume_host=where))
        assert not same_backend_filter(
            s, props(scheduler_hints={"same_host": VOL2}, volume_host=where))
        assert not same_backend_filter(
            s, props(scheduler_hints={"same_host": "not-a-uuid"}, volume_host=where))
        assert same_backend_filter(s, props())


# --- scheduling passes ---------------------------------------------------------------
def manager(*pools: tuple[str, dict[str, Any]], t: float = 0.0) -> HostManager:
    hm = HostManager()
    by_host: dict[str, list[dict[str, Any]]] = {}
    azs: dict[str, str] = {}
    for backend_id, caps in pools:
        host, name = backend_id.split("#")
        d: dict[str, Any] = {"pool_name": name, "total_capacity_gb": 100,
                             "free_capacity_gb": 100, "allocated_capacity_gb": 0,
                             "reserved_percentage": 0, "thin_provisioning_support": False}
        d.update(caps)
        azs[host] = d.pop("az", "nova")
        by_host.setdefault(host, []).append(d)
    for host, ps in by_host.items():
        hm.update_service_capabilities(host, {"volume_backend_name": "lvm", "pools": ps},
                                       timestamp=t, availability_zone=azs[host])
    return hm


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

    def test_retry_dict_round_trip(self) -> None:
        r = RetryRecord(2, ("x",), ("x",), exc="boom")
        assert RetryRecord.from_dict(r.to_dict()) == r
        assert RetryRecord.from_dict({}) is None


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


def test_weights_are_finite_with_all_infinite_pools() -> None:
    hm = manager(("a@l#p", {"free_capacity_gb": "unknown"}),
                 ("b@l#p", {"free_capacity_gb": "infinite"}))
    cfg = SchedulerConfig(multipliers={"CapacityWeigher": -1.0})
    d = schedule_create_volume(hm, RequestSpec(size=1), config=cfg, now=0)
    assert all(math.isfinite(w.weight) for w in d.weighed)
    assert d.chosen == "a@l#p"
