"""LVMVolumeDriver against Cinder's lvm.py: names, lvm_type, stats, delete rules, export."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from cindersim import errors
from cindersim.backends.blocks import BLOCK_SIZE, GiB, MiB
from cindersim.backends.costs import Meter
from cindersim.backends.drivers import LVMConfig, LVMVolumeDriver
from cindersim.backends.faults import FaultPlan, FaultRule
from cindersim.backends.lvm import (
    SNAPSHOT_CHUNK_SIZE,
    ThinPoolFullError,
    VolumeGroup,
    cow_exception_capacity,
)
from cindersim.db import Snapshot, Volume, VolumeAttachment

VID = "0b7d9a3c-5e2f-4c1a-9d8e-112233445566"
SID = "5e2f0b7d-9a3c-4c1a-9d8e-665544332211"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:compute1", "host": "compute-1",
             "ip": "10.0.0.5", "multipath": False}


class Recorder:
    def __init__(self) -> None:
        self.ops: list[tuple[str, str, float]] = []

    def __call__(self, component: str, op: str, summary: str, seconds: float,
                 detail: dict[str, Any]) -> None:
        self.ops.append((component, op, seconds))

    def names(self) -> list[str]:
        return [op for _, op, _ in self.ops]


def vol(vid: str = VID, size: int = 1, **kw: Any) -> Volume:
    return Volume(id=vid, project_id="p", user_id="u", size=size, **kw)


def snap(sid: str = SID, vid: str = VID, size: int = 1) -> Snapshot:
    return Snapshot(id=sid, volume_id=vid, project_id="p", user_id="u", volume_size=size)


def make_driver(lvm_type: str = "default", *, disk: int = 20 * GiB, pre: tuple[str, ...] = (),
          faults: FaultPlan | None = None, **cfg: Any) -> tuple[LVMVolumeDriver, VolumeGroup,
                                                            Recorder]:
    rec = Recorder()
    meter = Meter(record=rec)
    vg = VolumeGroup(pvs=[("/dev/sdb", disk)], meter=meter)
    for name in pre:
        vg.lvcreate(name, "1g")
    config = LVMConfig(volume_backend_name="lvmdriver-1", lvm_type=lvm_type,  # type: ignore[arg-type]
                       **cfg)
    driver = LVMVolumeDriver(config, volume_groups={vg.name: vg}, meter=meter,
                             rng=random.Random(7), faults=faults, hostname="host-1")
    driver.do_setup()
    driver.check_for_setup_error()
    meter.take()
    rec.ops.clear()
    return driver, vg, rec


def pool(driver: LVMVolumeDriver) -> dict[str, Any]:
    stats = driver.get_volume_stats(refresh=True)
    return stats["pools"][0]  # type: ignore[no-any-return]


class TestSetup:
    """``lvm_type=auto`` and the thin pool (check_for_setup_error)."""

    def test_auto_on_empty_vg_is_thin_with_pool_at_95_percent(self) -> None:
        driver, vg, _ = make_driver("auto")
        assert driver.lvm_type == "thin"
        free_g = round((vg.extent_count * 4) / 1024, 2)
        size = vg.lv_report("cinder-volumes-pool").lv_size
        assert size == -(-int(free_g * 0.95 * GiB) // vg.extent_size) * vg.extent_size
        assert size % vg.extent_size == 0

    def test_auto_with_lvs_and_no_pool_is_thick(self) -> None:
        driver, vg, _ = make_driver("auto", pre=("somebody-elses-lv",))
        assert driver.lvm_type == "default"
        assert vg.thin_pool_name() is None
        assert pool(driver)["location_info"] == "LVMVolumeDriver:host-1:cinder-volumes:default:0"

    def test_auto_with_existing_pool_is_thin(self) -> None:
        meter = Meter()
        vg = VolumeGroup(pvs=[("/dev/sdb", 20 * GiB)], meter=meter)
        vg.lvcreate("other", "1g")
        vg.lvcreate_thin_pool("cinder-volumes-pool", "5g")
        driver = LVMVolumeDriver(LVMConfig(), volume_groups={vg.name: vg}, meter=meter,
                                 rng=random.Random(1))
        driver.check_for_setup_error()
        assert driver.lvm_type == "thin"
        assert vg.lv_report("cinder-volumes-pool").lv_size == 5 * GiB

    def test_explicit_thin_creates_pool_beside_lvs(self) -> None:
        driver, vg, _ = make_driver("thin", pre=("other",))
        assert driver.lvm_type == "thin"
        assert vg.exists("cinder-volumes-pool")

    def test_missing_vg(self) -> None:
        meter = Meter()
        driver = LVMVolumeDriver(LVMConfig(volume_group="nope"), volume_groups={}, meter=meter,
                                 rng=random.Random(1))
        with pytest.raises(errors.VolumeBackendAPIException, match="nope does not exist"):
            driver.check_for_setup_error()

    def test_config_validation(self) -> None:
        with pytest.raises(ValueError, match="lvm_mirrors"):
            LVMConfig(lvm_mirrors=1)
        with pytest.raises(ValueError, match="max_over_subscription_ratio"):
            LVMConfig(max_over_subscription_ratio="0.5")
        assert LVMConfig(max_over_subscription_ratio="auto").max_over_subscription_ratio == "auto"


class TestNamesAndCreate:
    def test_thick_names(self) -> None:
        driver, vg, rec = make_driver()
        driver.create_volume(vol())
        assert rec.names() == ["lvcreate"]
        assert vg.lv_report(f"volume-{VID}").lv_attr == "-wi-a-----"
        driver.create_snapshot(snap())
        assert vg.lv_report(f"_snapshot-{SID}").origin == f"volume-{VID}"
        assert vg.lv_report(f"_snapshot-{SID}").lv_size == GiB  # COW = origin size

    def test_thin_names(self) -> None:
        driver, vg, _ = make_driver("thin")
        driver.create_volume(vol(size=50))  # may exceed the pool
        report = vg.lv_report(f"volume-{VID}")
        assert report.pool_lv == "cinder-volumes-pool"
        assert report.lv_size == 50 * GiB
        driver.create_snapshot(snap(size=50))
        assert vg.lv_report(f"_snapshot-{SID}").lv_attr[0] == "V"

    def test_names_follow_the_configured_template(self) -> None:
        driver, vg, _ = make_driver("thin", volume_name_template="vol_%s-x")
        driver.create_volume(vol())
        assert driver.volume_name(VID) == f"vol_{VID}-x"
        assert vg.lv_names() == ["cinder-volumes-pool", f"vol_{VID}-x"]
        assert driver.pool_name == "cinder-volumes-pool"

    def test_out_of_space_is_process_execution_error(self) -> None:
        driver, vg, _ = make_driver(disk=4 * GiB)
        free = vg.free_count
        with pytest.raises(errors.ProcessExecutionError) as info:
            driver.create_volume(vol(size=5))
        assert info.value.stderr == (
            f'Volume group "cinder-volumes" has insufficient free space ({free} extents): '
            "1280 required.")

    def test_snapshot_retries_three_times(self) -> None:
        driver, _, rec = make_driver(disk=2 * GiB)
        driver.create_volume(vol(size=1))
        rec.ops.clear()
        with pytest.raises(errors.ProcessExecutionError, match="insufficient"):
            driver.create_snapshot(snap())
        assert rec.names() == ["lvs", "lvcreate", "retry", "lvcreate", "retry", "lvcreate"]
        assert [s for _, op, s in rec.ops if op == "retry"] == [1.0, 2.0]

    def test_snapshot_of_missing_volume(self) -> None:
        driver, _, _ = make_driver()
        with pytest.raises(errors.VolumeDeviceNotFound):
            driver.create_snapshot(snap())


class TestDelete:
    def test_thick_with_snapshot_is_busy(self) -> None:
        driver, vg, _ = make_driver()
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        with pytest.raises(errors.VolumeIsBusy):
            driver.delete_volume(vol())
        assert vg.exists(f"volume-{VID}")
        driver.delete_snapshot(snap())
        driver.delete_volume(vol())
        assert vg.lv_names() == []

    def test_thin_origin_deletes_and_snapshot_keeps_data(self) -> None:
        driver, vg, _ = make_driver("thin")
        driver.create_volume(vol())
        driver.volume_data(VID).write(0, 10, "guest")
        before = driver.volume_data(VID).copy()
        driver.create_snapshot(snap())
        driver.delete_volume(vol())
        assert not vg.exists(f"volume-{VID}")
        assert driver.snapshot_data(SID).same_content(before)

    def test_missing_lv_is_a_noop(self) -> None:
        driver, _, rec = make_driver()
        assert driver.delete_volume(vol()) is True
        assert driver.delete_snapshot(snap()) is True
        assert rec.names() == ["lvs", "lvs"]

    def test_thick_delete_zeroes_whole_volume(self) -> None:
        driver, _, rec = make_driver()
        driver.create_volume(vol(size=2))
        rec.ops.clear()
        driver.delete_volume(vol(size=2))
        assert rec.names() == ["lvs", "lvs", "dd", "lvremove"]
        dd = next(s for _, op, s in rec.ops if op == "dd")
        assert dd == pytest.approx(2 * GiB / driver.meter.costs.zero_bandwidth)

    def test_volume_clear_size_and_none(self) -> None:
        driver, _, rec = make_driver(volume_clear_size=100)
        driver.create_volume(vol(size=2))
        driver.delete_volume(vol(size=2))
        dd = next(s for _, op, s in rec.ops if op == "dd")
        assert dd == pytest.approx(100 * MiB / driver.meter.costs.zero_bandwidth)
        driver, _, rec = make_driver(volume_clear="none")
        driver.create_volume(vol())
        driver.delete_volume(vol())
        assert "dd" not in rec.names()

    def test_thin_is_never_cleared(self) -> None:
        driver, _, rec = make_driver("thin")
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        driver.delete_snapshot(snap())
        driver.delete_volume(vol())
        assert "dd" not in rec.names()

    def test_thick_snapshot_delete_clears_cow(self) -> None:
        driver, _, rec = make_driver()
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        rec.ops.clear()
        driver.delete_snapshot(snap())
        assert rec.names() == ["lvs", "dd", "lvremove"]


class TestCopies:
    def test_thick_clone_uses_temporary_snapshot(self) -> None:
        driver, vg, rec = make_driver()
        driver.create_volume(vol())
        driver.volume_data(VID).write(3, 7, "src")
        rec.ops.clear()
        driver.create_cloned_volume(vol("new", size=2), vol())
        assert rec.names() == ["lvs", "lvcreate", "lvcreate", "lvchange", "dd", "lvs", "dd",
                               "lvremove"]
        assert not vg.exists("clone-snap-new")
        assert driver.volume_data("new").same_content(driver.volume_data(VID))
        assert driver.volume_data("new").size_blocks == 2 * GiB // BLOCK_SIZE

    def test_thick_clone_failure_removes_temporary_snapshot(self) -> None:
        driver, vg, _ = make_driver(disk=3 * GiB)
        driver.create_volume(vol())
        with pytest.raises(errors.ProcessExecutionError, match="insufficient"):
            driver.create_cloned_volume(vol("new", size=1), vol())
        assert vg.lv_names() == [f"volume-{VID}"]

    def test_thin_clone_shares_and_extends(self) -> None:
        driver, vg, _ = make_driver("thin")
        driver.create_volume(vol())
        driver.volume_data(VID).write(0, 4, "src")
        used = vg.pool_usage("cinder-volumes-pool")[0]
        driver.create_cloned_volume(vol("new", size=3), vol())
        assert vg.pool_usage("cinder-volumes-pool")[0] == used
        assert vg.lv_report("volume-new").lv_size == 3 * GiB
        assert vg.lv_report("volume-new").lv_attr == "Vwi-a-tz--"  # -k n cleared the skip flag
        assert driver.volume_data("new").same_content(driver.volume_data(VID))

    @pytest.mark.parametrize("lvm_type", ["default", "thin"])
    def test_from_snapshot_gets_snapshot_time_data(self, lvm_type: str) -> None:
        driver, _, _ = make_driver(lvm_type)
        driver.create_volume(vol())
        driver.volume_data(VID).write(0, 5, "then")
        then = driver.volume_data(VID).copy()
        driver.create_snapshot(snap())
        driver.volume_data(VID).write(0, 5, "now")
        driver.create_volume_from_snapshot(vol("new", size=2), snap())
        assert driver.volume_data("new").same_content(then)

    def test_from_invalid_snapshot_fails_with_eio(self) -> None:
        driver, _, _ = make_driver()
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        driver.volume_data(VID).write(0, GiB // BLOCK_SIZE, "rewrite everything")
        assert cow_exception_capacity(GiB) < GiB // SNAPSHOT_CHUNK_SIZE
        with pytest.raises(errors.ProcessExecutionError, match="Input/output error"):
            driver.create_volume_from_snapshot(vol("new"), snap())


class TestExtendAndRevert:
    def test_thick_extend_with_snapshot_deactivates(self) -> None:
        driver, vg, rec = make_driver()
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        rec.ops.clear()
        driver.extend_volume(vol(), 3)
        assert rec.names() == ["lvs", "lvchange", "lvextend", "lvchange"]
        assert vg.lv_report(f"volume-{VID}").lv_size == 3 * GiB
        assert vg.lv_report(f"volume-{VID}").lv_attr[4] == "a"

    def test_thin_extend(self) -> None:
        driver, _, rec = make_driver("thin")
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        rec.ops.clear()
        driver.extend_volume(vol(), 3)
        assert rec.names() == ["lvs", "lvextend"]
        assert driver.volume_data(VID).size_blocks == 3 * GiB // BLOCK_SIZE

    def test_thick_revert_restores_data_and_snapshot(self) -> None:
        driver, vg, _ = make_driver()
        driver.create_volume(vol())
        driver.volume_data(VID).write(0, 5, "then")
        then = driver.volume_data(VID).copy()
        driver.create_snapshot(snap())
        driver.volume_data(VID).write(2, 9, "now")
        driver.revert_to_snapshot(vol(), snap())
        assert driver.volume_data(VID).same_content(then)
        assert vg.exists(f"_snapshot-{SID}")
        assert driver.snapshot_data(SID).same_content(then)

    def test_thin_revert_is_not_implemented(self) -> None:
        driver, _, _ = make_driver("thin")
        driver.create_volume(vol())
        driver.create_snapshot(snap())
        with pytest.raises(NotImplementedError):
            driver.revert_to_snapshot(vol(), snap())


class TestExport:
    @pytest.mark.parametrize(("helper", "lun"), [("tgtadm", 1), ("lioadm", 0)])
    def test_connection_info_shape(self, helper: str, lun: int) -> None:
        driver, _, _ = make_driver(target_helper=helper, target_ip_address="10.9.8.7")
        v = vol()
        driver.create_volume(v)
        update = driver.create_export(v, CONNECTOR)
        assert update["provider_location"].endswith(
            f" iqn.2010-10.org.openstack:volume-{VID} {lun}")
        assert update["provider_location"].startswith("10.9.8.7:3260,")
        v.provider_location = update["provider_location"]
        v.provider_auth = update["provider_auth"]
        method, user, password = v.provider_auth.split()
        assert (method, len(user), len(password)) == ("CHAP", 20, 16)
        info = driver.initialize_connection(v, CONNECTOR)
        assert info["driver_volume_type"] == "iscsi"
        assert info["data"] == {
            "target_discovered": False, "target_portal": "10.9.8.7:3260",
            "target_iqn": f"iqn.2010-10.org.openstack:volume-{VID}", "target_lun": lun,
            "volume_id": VID, "auth_method": "CHAP", "auth_username": user,
            "auth_password": password, "encrypted": False}
        assert driver.terminate_connection(v, CONNECTOR) is False
        driver.remove_export(v)
        assert driver.target.targets() == []

    def test_connector_needs_initiator(self) -> None:
        driver, _, _ = make_driver()
        with pytest.raises(errors.InvalidConnectorException):
            driver.validate_connector({"host": "compute-1"})

    def test_terminate_keeps_export_for_other_attachments(self) -> None:
        driver, _, _ = make_driver()
        v = vol(multiattach=True)
        driver.create_volume(v)
        same_host = [VolumeAttachment(id=f"a{i}", volume_id=VID, attached_host="compute-1")
                     for i in range(2)]
        assert driver.terminate_connection(v, CONNECTOR, same_host) is True
        other = [VolumeAttachment(id="a", volume_id=VID, attached_host="compute-1"),
                 VolumeAttachment(id="b", volume_id=VID, attached_host="compute-2")]
        assert driver.terminate_connection(v, CONNECTOR, other) is True


class TestFaultsAndStats:
    def test_fault_fires_before_any_command(self) -> None:
        plan = FaultPlan(random.Random(1), [FaultRule(op="create_volume")])
        driver, vg, rec = make_driver(faults=plan)
        with pytest.raises(errors.ProcessExecutionError, match="injected"):
            driver.create_volume(vol())
        assert rec.ops == []
        assert vg.lv_names() == []
        driver.create_volume(vol())  # times=1: the next call goes through

    def test_rule_added_after_setup_fires(self) -> None:
        plan = FaultPlan(random.Random(1))
        driver, vg, _ = make_driver("thin", faults=plan)
        driver.create_volume(vol())  # no rule: nothing asked
        plan.add(FaultRule(op="create_volume", error="VolumeBackendAPIException"))
        with pytest.raises(errors.VolumeBackendAPIException):
            driver.create_volume(vol(vid=SID))
        assert not vg.exists(f"volume-{SID}")
        plan.clear()
        driver.create_volume(vol(vid=SID))
        assert vg.exists(f"volume-{SID}")

    def test_top_level_keys(self) -> None:
        driver, _, _ = make_driver()
        stats = driver.get_volume_stats(refresh=True)
        assert {k: stats[k] for k in ("volume_backend_name", "vendor_name", "driver_version",
                                      "storage_protocol")} == {
            "volume_backend_name": "lvmdriver-1", "vendor_name": "Open Source",
            "driver_version": "3.0.0", "storage_protocol": "iSCSI"}
        p = stats["pools"][0]
        assert p["pool_name"] == "lvmdriver-1"
        assert (p["QoS_support"], p["multiattach"], p["backend_state"]) == (False, True, "up")
        assert p["max_over_subscription_ratio"] == "20.0"
        assert (p["thin_provisioning_support"], p["thick_provisioning_support"]) == (False, True)

    def test_thick_stats_count_snapshots_and_foreign_lvs(self) -> None:
        driver, vg, _ = make_driver(disk=20 * GiB, pre=("foreign",))
        driver.create_volume(vol(size=2))
        driver.create_snapshot(snap(size=2))
        p = pool(driver)
        assert p["total_capacity_gb"] == 20.0  # 5119 extents = 19.996 GiB, printed 20.00
        assert p["provisioned_capacity_gb"] == round(20.0 - p["free_capacity_gb"], 2)
        assert p["free_capacity_gb"] == round(vg.free_count * 4 / 1024, 2)
        assert p["provisioned_capacity_gb"] == 5.0
        assert p["total_volumes"] == 3

    def test_thin_stats(self) -> None:
        driver, vg, _ = make_driver("thin")
        driver.create_volume(vol(size=30))
        driver.create_snapshot(snap(size=30))
        driver.volume_data(VID).write(0, 2 * GiB // BLOCK_SIZE, "data")
        p = pool(driver)
        pool_gib = vg.lv_report("cinder-volumes-pool").lv_size / GiB
        assert p["total_capacity_gb"] == round(pool_gib, 2)
        assert p["free_capacity_gb"] == pytest.approx(round(pool_gib, 2) - 2.0, abs=0.01)
        assert p["provisioned_capacity_gb"] == 60.0  # virtual sizes, snapshot included
        assert p["total_volumes"] == 3  # pool, volume, snapshot
        assert p["thin_provisioning_support"] is True


# --- properties ---------------------------------------------------------------------
class DriverMachine(RuleBasedStateMachine):
    """Random driver calls; the stats always match an independent tally."""

    def __init__(self) -> None:
        super().__init__()
        self.driver: LVMVolumeDriver | None = None
        self.sizes: dict[str, int] = {}
        """Volume id -> GiB, as the DB would hold them."""
        self.snaps: dict[str, tuple[str, int]] = {}
        self.n = 0

    @rule(lvm_type=st.sampled_from(["default", "thin"]))
    @precondition(lambda self: self.driver is None)
    def start(self, lvm_type: str) -> None:
        self.driver, self.vg, _ = make_driver(lvm_type, disk=12 * GiB)

    def _new(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def _try(self, call: Any, *args: Any) -> bool:
        failure: Exception | None = None
        try:
            call(*args)
        except (errors.ProcessExecutionError, errors.VolumeIsBusy) as exc:
            failure = exc
        assert failure is None or isinstance(failure, errors.VolumeIsBusy) or (
            "nsufficient free space" in getattr(failure, "stderr", ""))
        return failure is None

    @precondition(lambda self: self.driver is not None)
    @rule(size=st.integers(1, 4))
    def create(self, size: int) -> None:
        assert self.driver is not None
        vid = self._new()
        if self._try(self.driver.create_volume, vol(vid, size)):
            self.sizes[vid] = size

    @precondition(lambda self: self.sizes)
    @rule(data=st.data())
    def snapshot(self, data: st.DataObject) -> None:
        assert self.driver is not None
        vid = data.draw(st.sampled_from(sorted(self.sizes)))
        sid = f"s{self._new()}"
        if self._try(self.driver.create_snapshot, snap(sid, vid, self.sizes[vid])):
            self.snaps[sid] = (vid, self.sizes[vid])

    @precondition(lambda self: self.sizes)
    @rule(data=st.data(), grow=st.integers(1, 2))
    def extend(self, data: st.DataObject, grow: int) -> None:
        assert self.driver is not None
        vid = data.draw(st.sampled_from(sorted(self.sizes)))
        if self._try(self.driver.extend_volume, vol(vid, self.sizes[vid]),
                     self.sizes[vid] + grow):
            self.sizes[vid] += grow

    @precondition(lambda self: self.sizes)
    @rule(data=st.data())
    def clone(self, data: st.DataObject) -> None:
        assert self.driver is not None
        src = data.draw(st.sampled_from(sorted(self.sizes)))
        vid = self._new()
        if self._try(self.driver.create_cloned_volume, vol(vid, self.sizes[src]),
                     vol(src, self.sizes[src])):
            self.sizes[vid] = self.sizes[src]

    @precondition(lambda self: self.sizes)
    @rule(data=st.data(), blocks=st.integers(1, 20000))
    def write(self, data: st.DataObject, blocks: int) -> None:
        assert self.driver is not None
        vid = data.draw(st.sampled_from(sorted(self.sizes)))
        lv = self.driver.volume_data(vid)
        full = False
        try:
            lv.write(0, min(blocks, lv.size_blocks), vid)
        except ThinPoolFullError:
            full = True
        assert not full or self.driver.lvm_type == "thin"

    @precondition(lambda self: self.sizes)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        assert self.driver is not None
        vid = data.draw(st.sampled_from(sorted(self.sizes)))
        has_snaps = any(v == vid for v, _ in self.snaps.values())
        busy = has_snaps and self.driver.lvm_type == "default"
        if self._try(self.driver.delete_volume, vol(vid, self.sizes[vid])):
            assert not busy
            del self.sizes[vid]
        else:
            assert busy

    @precondition(lambda self: self.snaps)
    @rule(data=st.data())
    def delete_snapshot(self, data: st.DataObject) -> None:
        assert self.driver is not None
        sid = data.draw(st.sampled_from(sorted(self.snaps)))
        vid, size = self.snaps.pop(sid)
        self.driver.delete_snapshot(snap(sid, vid, size))

    @invariant()
    def stats_agree_with_the_vg(self) -> None:
        if self.driver is None:
            return
        vg = self.vg
        p = pool(self.driver)
        assert p["total_volumes"] == vg.vg_report().lv_count
        assert 0 <= p["free_capacity_gb"] <= p["total_capacity_gb"]
        if self.driver.lvm_type == "default":
            # Thick: the whole VG; provisioned = everything allocated (COW areas too).
            assert p["total_capacity_gb"] == round(vg.extent_count * 4 / 1024, 2)
            assert p["free_capacity_gb"] == round(vg.free_count * 4 / 1024, 2)
            cow = sum(size for _, size in self.snaps.values())
            assert p["provisioned_capacity_gb"] == pytest.approx(
                sum(self.sizes.values()) + cow, abs=0.011)
        else:
            used, chunks, chunk = vg.pool_usage("cinder-volumes-pool")
            assert p["total_capacity_gb"] == round(chunks * chunk / GiB, 2)
            assert p["free_capacity_gb"] == pytest.approx((chunks - used) * chunk / GiB,
                                                          abs=0.011)
            virtual = sum(self.sizes.values()) + sum(s for _, s in self.snaps.values())
            assert p["provisioned_capacity_gb"] == virtual


TestDriverMachine = DriverMachine.TestCase
TestDriverMachine.settings = settings(max_examples=50, stateful_step_count=25, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
