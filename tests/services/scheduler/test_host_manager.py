"""The scheduler's pool states: reports, consumption, liveness and get_pools."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scheduler_helpers import pool

from cindersim.services.scheduler.host_manager import BackendState, HostManager
from cindersim.services.scheduler.sched_utils import capacity_filter_figures


def report(*pools: dict[str, Any], name: str = "lvmdriver-1", **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"volume_backend_name": name, "vendor_name": "Open Source",
                         "driver_version": "3.0.0", "storage_protocol": "iSCSI",
                         "pools": list(pools) or [pool()]}
    d.update(kw)
    return d


class TestReports:
    def test_one_state_per_pool_named_host_backend_pool_in_report_order(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(pool("b"), pool("a")), timestamp=0)
        hm.update_service_capabilities("c0@lvm", report(pool("z")), timestamp=0)
        ids = [s.backend_id for s in hm.get_all_backend_states(now=1)]
        assert ids == ["c1@lvm#b", "c1@lvm#a", "c0@lvm#z"]

    def test_legacy_report_without_pools_is_one_pool_named_after_backend(self) -> None:
        hm = HostManager()
        legacy = {"volume_backend_name": "LVM_iSCSI", "total_capacity_gb": 10,
                  "free_capacity_gb": 10}
        hm.update_service_capabilities("c1@lvm", legacy, timestamp=0)
        (state,) = hm.get_all_backend_states(now=0)
        assert state.backend_id == "c1@lvm#LVM_iSCSI"
        assert state.total_capacity_gb == 10.0

    def test_defaults_provisioned_from_allocated_reserved_zero_mosr_one_without_thin(
            self) -> None:
        state = BackendState.from_pool_report(
            "c1@lvm", {"pool_name": "p", "total_capacity_gb": 50, "free_capacity_gb": 50,
                       "allocated_capacity_gb": 7, "max_over_subscription_ratio": "5.0"})
        assert state.provisioned_capacity_gb == 7.0
        assert state.reserved_percentage == 0.0
        assert state.max_over_subscription_ratio == 1.0  # no thin support

    def test_pool_capabilities_get_backend_keys_and_timestamp_but_not_custom_ones(
            self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(fancy="yes"), timestamp=5)
        (state,) = hm.get_all_backend_states(now=5)
        assert state.capabilities["storage_protocol"] == "iSCSI"
        assert state.capabilities["volume_backend_name"] == "lvmdriver-1"
        assert state.capabilities["timestamp"] == 5
        assert "fancy" not in state.capabilities

    def test_vanished_pool_is_dropped(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(pool("a"), pool("b")), timestamp=0)
        hm.get_all_backend_states(now=0)
        hm.update_service_capabilities("c1@lvm", report(pool("b")), timestamp=1)
        assert [s.backend_id for s in hm.get_all_backend_states(now=1)] == ["c1@lvm#b"]

    def test_older_report_is_ignored(self) -> None:
        hm = HostManager()
        assert hm.update_service_capabilities("c1@lvm", report(pool(free_capacity_gb=70)),
                                              timestamp=10)
        assert not hm.update_service_capabilities(
            "c1@lvm", report(pool(free_capacity_gb=1)), timestamp=9)
        (state,) = hm.get_all_backend_states(now=10)
        assert state.free_capacity_gb == 70.0

    def test_non_numeric_capacity_is_rejected_at_the_boundary(self) -> None:
        with pytest.raises(ValueError, match="total_capacity_gb"):
            BackendState.from_pool_report("h@b", pool(total_capacity_gb="lots"))


class TestConsumption:
    def test_consume_moves_allocated_provisioned_and_free(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.get_all_backend_states(now=0)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=1)
        (state,) = hm.get_all_backend_states(now=1)
        assert (state.allocated_capacity_gb, state.provisioned_capacity_gb,
                state.free_capacity_gb) == (25.0, 25.0, 75.0)

    @pytest.mark.parametrize("free", ["infinite", "unknown"])
    def test_consume_leaves_infinite_and_unknown_free_alone(self, free: str) -> None:
        state = BackendState.from_pool_report("h@b", pool(free_capacity_gb=free))
        state.consume_from_volume(10, now=1)
        assert state.free_capacity_gb == free
        assert state.allocated_capacity_gb == 30.0

    def test_report_generated_before_a_placement_does_not_erase_it(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.get_all_backend_states(now=0)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=30)
        # Stats gathered at t=20 arrive after the placement at t=30.
        hm.update_service_capabilities("c1@lvm", report(pool(name="lvm", fresh=True)),
                                       timestamp=20)
        (state,) = hm.get_all_backend_states(now=31)
        assert state.free_capacity_gb == 75.0
        assert state.capabilities["fresh"] is True  # capabilities still refresh

    def test_same_instant_report_then_placement_keeps_placement(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=60)
        hm.get_all_backend_states(now=60)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=60)
        (state,) = hm.get_all_backend_states(now=60)  # the stored report is re-applied
        assert state.free_capacity_gb == 75.0

    def test_newer_report_replaces_consumed_figures(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.get_all_backend_states(now=0)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=1)
        hm.update_service_capabilities("c1@lvm", report(pool(free_capacity_gb=60)),
                                       timestamp=2)
        (state,) = hm.get_all_backend_states(now=2)
        assert state.free_capacity_gb == 60.0

    def test_revert_gives_capacity_back(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.get_all_backend_states(now=0)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=1)
        assert hm.revert_volume_consumed_capacity("c1@lvm#lvm", 5)
        (state,) = hm.get_all_backend_states(now=1)
        assert state.free_capacity_gb == 80.0
        assert not hm.revert_volume_consumed_capacity("gone@x#y", 5)

    @given(sizes=st.lists(st.integers(0, 50), max_size=8))
    def test_consume_then_revert_restores_every_figure(self, sizes: list[int]) -> None:
        state = BackendState.from_pool_report("h@b", pool())
        before = (state.allocated_capacity_gb, state.provisioned_capacity_gb,
                  state.free_capacity_gb)
        for i, size in enumerate(sizes):
            state.consume_from_volume(size, now=float(i))
        for size in reversed(sizes):
            state.revert_consumed(size)
        assert (state.allocated_capacity_gb, state.provisioned_capacity_gb,
                state.free_capacity_gb) == before


class TestLiveness:
    def test_service_is_up_until_service_down_time_passes(self) -> None:
        hm = HostManager(service_down_time=60)
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        assert len(hm.get_all_backend_states(now=60)) == 1
        assert hm.get_all_backend_states(now=60.5) == []
        assert hm.down_services(60.5) == ["c1@lvm"]

    def test_heartbeat_keeps_a_service_up(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.service_heartbeat("c1@lvm", 50)
        assert len(hm.get_all_backend_states(now=100)) == 1

    def test_down_backend_is_rebuilt_from_last_report_at_the_end(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.update_service_capabilities("c2@lvm", report(), timestamp=0)
        hm.get_all_backend_states(now=0)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=1)
        hm.service_heartbeat("c2@lvm", 70)
        assert [s.host for s in hm.get_all_backend_states(now=70)] == ["c2@lvm"]
        hm.service_heartbeat("c1@lvm", 80)
        states = hm.get_all_backend_states(now=80)
        assert [s.host for s in states] == ["c2@lvm", "c1@lvm"]
        assert states[1].free_capacity_gb == 80.0  # consumption was forgotten

    def test_disabled_and_frozen_services_get_nothing(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        hm.update_service_capabilities("c2@lvm", report(), timestamp=0)
        hm.set_service_disabled("c1@lvm")
        hm.set_service_frozen("c2@lvm")
        assert hm.get_all_backend_states(now=0) == []
        hm.set_service_disabled("c1@lvm", False)
        assert [s.host for s in hm.get_all_backend_states(now=0)] == ["c1@lvm"]

    def test_registered_service_without_report_is_not_schedulable(self) -> None:
        hm = HostManager()
        hm.register_service("c1@lvm", availability_zone="az1", now=0)
        assert hm.get_all_backend_states(now=0) == []
        hm.update_service_capabilities("c1@lvm", report(), timestamp=1)
        assert hm.get_all_backend_states(now=1)[0].availability_zone == "az1"


class TestGetPools:
    def test_shape_and_reported_not_consumed_figures(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=3)
        hm.get_all_backend_states(now=3)
        hm.consume_from_volume("c1@lvm#lvm", 5, now=4)
        (entry,) = hm.get_pools(now=4)
        assert entry["name"] == "c1@lvm#lvm"
        assert entry["capabilities"]["free_capacity_gb"] == 80.0
        assert entry["capabilities"]["timestamp"] == 3

    def test_filters_by_name_and_converted_capability(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities(
            "c1@lvm", report(pool("a", multiattach=True), pool("b", multiattach=False)),
            timestamp=0)
        assert [p["name"] for p in hm.get_pools(0, name="c1@lvm#b")] == ["c1@lvm#b"]
        assert [p["name"] for p in hm.get_pools(0, filters={"multiattach": "true"})] == [
            "c1@lvm#a"]
        assert [p["name"] for p in hm.get_pools(0, filters={"total_capacity_gb": "100.0"})
                ] == ["c1@lvm#a", "c1@lvm#b"]


class _Liveness:
    def __init__(self) -> None:
        self.up: set[str] = set()
        self.changes = 0

    def epoch(self) -> int:
        return self.changes

    def running(self, host: str) -> bool:
        return host in self.up


class TestSchedulable:
    """schedulable() keeps the pool ids and the down hosts from the map's last
    rebuild: after every kind of change they are what the live queries say."""

    @staticmethod
    def check(hm: HostManager, now: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
        states, ids, down = hm.schedulable(now)
        assert states == hm.get_all_backend_states(now)
        assert ids == tuple(s.backend_id for s in states)
        assert down == tuple(hm.down_services(now))
        return ids, down

    def test_ids_and_down_hosts_follow_every_change(self) -> None:
        live = _Liveness()
        hm = HostManager(service_down_time=60, liveness=live)
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        # A report without pools: c2 is mapped but lists nothing, so only the down
        # hosts show whether it is disabled.
        hm.update_service_capabilities("c2@lvm", {"volume_backend_name": "lvm",
                                                  "pools": []}, timestamp=0)
        hm.register_service("c3@lvm", now=0)  # no report: never listed as down
        assert self.check(hm, 0) == (("c1@lvm#lvm",), ())
        hm.set_service_disabled("c2@lvm")
        assert self.check(hm, 1) == (("c1@lvm#lvm",), ("c2@lvm",))
        hm.set_service_disabled("c2@lvm", False)
        hm.set_service_frozen("c1@lvm")
        assert self.check(hm, 2) == ((), ("c1@lvm",))
        hm.set_service_frozen("c1@lvm", False)
        assert self.check(hm, 3) == (("c1@lvm#lvm",), ())
        assert self.check(hm, 61) == ((), ("c1@lvm", "c2@lvm"))  # no heartbeat since 0
        hm.service_heartbeat("c1@lvm", 70)
        assert self.check(hm, 70) == (("c1@lvm#lvm",), ("c2@lvm",))
        live.up.add("c2@lvm")
        live.changes += 1
        assert self.check(hm, 71) == (("c1@lvm#lvm",), ())
        hm.update_service_capabilities("c4@lvm", report(pool("a"), pool("b")), timestamp=72)
        assert self.check(hm, 72) == (("c1@lvm#lvm", "c4@lvm#a", "c4@lvm#b"), ())
        hm.update_service_capabilities("c4@lvm", report(pool("b")), timestamp=73)
        assert self.check(hm, 73) == (("c1@lvm#lvm", "c4@lvm#b"), ())


class TestListeners:
    """Every change of a mapped pool's figures reaches every listener, whenever it
    registered (the pools point at the one listener itself, or at a fan-out)."""

    def test_a_listener_registered_after_the_pools_exist_hears_their_changes(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(pool("a"), pool("b")), timestamp=0)
        states = hm.get_all_backend_states(0)
        heard: list[str] = []
        hm.listen(lambda s: heard.append(s.backend_id))
        states[1].consume_from_volume(1, now=1)
        states[0].revert_consumed(1)
        assert heard == ["c1@lvm#b", "c1@lvm#a"]

    def test_every_listener_hears_every_change_and_new_pools_too(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(pool("a")), timestamp=0)
        hm.refresh(0)
        first: list[str] = []
        second: list[str] = []
        hm.listen(lambda s: first.append(s.backend_id))
        hm.get_all_backend_states(0)[0].consume_from_volume(1, now=1)
        hm.listen(lambda s: second.append(s.backend_id))
        assert first == ["c1@lvm#a"]
        assert second == []
        hm.update_service_capabilities("c2@lvm", report(pool("z")), timestamp=2)
        states = hm.get_all_backend_states(2)  # c2's pool is made after both listened
        first.clear()
        second.clear()
        for state in states:
            state.consume_from_volume(1, now=3)
        assert first == second == ["c1@lvm#a", "c2@lvm#z"]
        assert len(hm.listeners) == 2

    def test_without_listeners_pools_tell_nobody(self) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(), timestamp=0)
        state = hm.get_all_backend_states(0)[0]
        assert state.listener is None
        state.consume_from_volume(1, now=1)  # nothing to tell, nothing fails
        assert state.allocated_capacity_gb == 21.0


class TestRefresh:
    """refresh() answers 'nothing changed' without rebuilding, and rebuilds on each
    kind of change: a report, a service started or stopped, a heartbeat deadline."""

    def test_each_kind_of_change_reaches_the_map(self) -> None:
        live = _Liveness()
        live.up.add("c1@lvm")
        hm = HostManager(service_down_time=60, liveness=live)
        hm.update_service_capabilities("c1@lvm", report(pool("a", free_capacity_gb=50.0)),
                                       timestamp=0)
        hm.update_service_capabilities("c2@lvm", report(), timestamp=0)
        hm.refresh(1)
        epoch = hm.map_epoch
        hm.refresh(2)  # nothing changed: the same map
        assert hm.map_epoch == epoch
        # A new report of a mapped host: its figures, with the map as it was.
        hm.update_service_capabilities("c1@lvm", report(pool("a", free_capacity_gb=40.0)),
                                       timestamp=3)
        hm.refresh(3)
        assert hm.get_all_backend_states_cached()[0].free_capacity_gb == 40.0
        assert hm.map_epoch == epoch
        # c2 does not heartbeat (not running): down once service_down_time passes.
        hm.refresh(60)
        assert [s.backend_id for s in hm.get_all_backend_states_cached()] == [
            "c1@lvm#a", "c2@lvm#lvm"]
        hm.refresh(60.5)
        assert [s.backend_id for s in hm.get_all_backend_states_cached()] == ["c1@lvm#a"]
        # c1 stops: only the liveness epoch says so; it goes down 60 s after its last
        # heartbeat (the report at 3).
        live.up.discard("c1@lvm")
        live.changes += 1
        hm.refresh(63.5)
        assert hm.get_all_backend_states_cached() == []


class TestKeptFigures:
    """virtual_free/total_available are kept between changes of the figures, and each
    change (a placement, a revert, a report applied) makes them worked out again."""

    @staticmethod
    def fresh(state: BackendState, thin: bool) -> tuple[float, float]:
        total, free = state.total_capacity_gb, state.free_capacity_gb
        assert isinstance(total, float)
        assert isinstance(free, float)
        return capacity_filter_figures(
            total, free, state.provisioned_capacity_gb, state.thin_provisioning_support,
            state.max_over_subscription_ratio if state.thin_provisioning_support else 1.0,
            state.reserved_percentage, thin)

    @pytest.mark.parametrize("thin_support", [True, False])
    def test_every_change_of_the_figures_shows(self, thin_support: bool) -> None:
        hm = HostManager()
        hm.update_service_capabilities("c1@lvm", report(pool(
            total_capacity_gb=100.0, free_capacity_gb=60.0, reserved_percentage=10,
            thin_provisioning_support=thin_support, max_over_subscription_ratio="2.0")),
            timestamp=0)
        state = hm.get_all_backend_states(0)[0]
        steps = [lambda: state.consume_from_volume(7, now=1),
                 lambda: state.revert_consumed(3),
                 lambda: hm.update_service_capabilities("c1@lvm", report(pool(
                     total_capacity_gb=300.0, free_capacity_gb=250.0, reserved_percentage=0,
                     thin_provisioning_support=thin_support,
                     max_over_subscription_ratio="3.0")), timestamp=2),
                 lambda: hm.refresh(2)]
        for step in [lambda: None, *steps]:
            step()
            for thin in (True, False):
                # The virtual free first: it must not lean on what total_available works
                # out again after a report.
                virtual_free = state.virtual_free(thin)
                assert (state.total_available(thin), virtual_free) == self.fresh(state, thin)
        for step in steps:  # and CapacityFilter's pair asked first after each change
            step()
            for thin in (True, False):
                assert state.capacity_figures(thin) == self.fresh(state, thin)
                assert state.virtual_free(thin) == self.fresh(state, thin)[1]
        assert state.total_capacity_gb == 300.0  # the last report did apply

    def test_no_figures_without_numbers(self) -> None:
        state = BackendState.from_pool_report("c1@lvm", pool(free_capacity_gb="infinite"))
        assert state.virtual_free(True) is None
        assert state.total_available(False) is None
        assert state.capacity_figures(True) is None
