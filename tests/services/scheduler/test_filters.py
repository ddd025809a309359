"""The built-in filters and extra_specs_ops, against Cinder's rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scheduler_helpers import VOL, VOL2, props, state, thin

from cindersim.services.scheduler.filters import (
    FILTERS,
    availability_zone_filter,
    capabilities_filter,
    capacity_filter,
    different_backend_filter,
    extra_specs_match,
    ignore_attempted_hosts_filter,
    same_backend_filter,
)
from cindersim.services.scheduler.request_spec import RetryRecord


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
