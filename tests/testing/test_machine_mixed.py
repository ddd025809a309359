"""Issue 22: the cloud state machine over a mixed cloud -- two LVM backends (thin and
thick, iSCSI) and an RBD backend on a small Ceph cluster -- with the RBD invariant that a
clone's parent snapshot stays protected (and lists the clone) while the clone exists."""

from __future__ import annotations

from typing import Any, ClassVar

from cindersim.testing import CloudStateMachine
from cindersim.testing.machine import DEFAULT_MACHINE_CONFIG
from cindersim.testing.rbd_invariants import rbd_clones_protected

MIXED_CONFIG: dict[str, Any] = {
    **DEFAULT_MACHINE_CONFIG,
    "DEFAULT": {**DEFAULT_MACHINE_CONFIG["DEFAULT"],
                "enabled_backends": "thin-1,thick-1,ceph-1"},
    # 3 OSDs of 4 GiB, replicated 3 times: ~3.8 GiB usable, so it fills up as often
    # as the small VGs do.
    "ceph-1": {"host": "cinder-3", "volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
               "rbd_pool": "volumes", "rbd_user": "cinder", "rbd_max_clone_depth": 2,
               "ceph_osds": 3, "ceph_osd_size_gb": 4},
}


class MixedCloudMachine(CloudStateMachine):
    config: ClassVar[dict[str, Any]] = MIXED_CONFIG
    extra_invariants = (rbd_clones_protected,)


TestMixedCloudMachine = MixedCloudMachine.TestCase


def test_the_mixed_cloud_has_an_rbd_backend() -> None:
    machine = MixedCloudMachine()
    try:
        drivers = {h: type(s.driver).__name__ for h, s in machine.cloud.volume_services.items()}
        assert drivers == {"cinder-1@thin-1": "LVMVolumeDriver",
                           "cinder-2@thick-1": "LVMVolumeDriver", "cinder-3@ceph-1": "RBDDriver"}
    finally:
        machine.sim.close()


def test_the_rbd_invariant_catches_an_unprotected_parent() -> None:
    """The invariant is not vacuous: a parent snapshot unprotected behind librbd's back
    (which librbd itself refuses while children exist) is reported."""
    from cindersim.backends.drivers.rbd import RBDDriver  # noqa: PLC0415
    from cindersim.cloud import Cloud, simulate  # noqa: PLC0415

    async def main(cloud: Cloud) -> tuple[list[str], list[str]]:
        token = cloud.token("demo")
        base = f"/v3/{cloud.project_id('demo')}"
        r = await cloud.request("POST", f"{base}/volumes", json={"volume": {"size": 1}},
                                token=token)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        await cloud.request("POST", f"{base}/volumes", json={"volume": {
            "size": 1, "source_volid": vid}}, token=token)
        await cloud.settle()
        before = rbd_clones_protected(cloud)
        driver = cloud.volume_services["cinder-3@ceph-1"].driver
        assert isinstance(driver, RBDDriver)
        snap = driver.image(vid).snapshots[0]
        snap.protected = False
        return before, rbd_clones_protected(cloud)

    only_ceph = {**MIXED_CONFIG, "DEFAULT": {**MIXED_CONFIG["DEFAULT"],
                                             "enabled_backends": "ceph-1"}}
    only_ceph = {k: v for k, v in only_ceph.items() if k not in ("thin-1", "thick-1")}
    before, after = simulate(main, config=only_ceph).value
    assert before == []
    assert len(after) == 2
    assert any("parent snapshot" in p and "is not protected" in p for p in after)
    assert any("has children but is not protected" in p for p in after)
