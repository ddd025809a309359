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
