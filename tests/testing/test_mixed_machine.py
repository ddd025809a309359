"""Issue 22: the cloud state machine over a mixed cloud (LVM, NFS and an FC array with
fabric zoning), with the NFS and FC invariants checked after every quiescent step."""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

from cindersim.config import FC_DRIVER, NFS_DRIVER
from cindersim.testing import CloudStateMachine
from cindersim.testing.backend_invariants import (
    fc_zones_match_attachments,
    nfs_chains_consistent,
)
from cindersim.testing.machine import CONNECTOR, DEFAULT_MACHINE_CONFIG, Invariant

MIXED_CONFIG: dict[str, Any] = {
    "DEFAULT": {**DEFAULT_MACHINE_CONFIG["DEFAULT"],
                "enabled_backends": "thin-1,nfs-1,fc-1", "zoning_mode": "fabric"},
    "thin-1": DEFAULT_MACHINE_CONFIG["thin-1"],
    "nfs-1": {"host": "cinder-2", "volume_driver": NFS_DRIVER, "nfs_snapshot_support": True,
              "nfs_share_size_gb": 12, "max_over_subscription_ratio": 1.5},
    "fc-1": {"host": "cinder-3", "volume_driver": FC_DRIVER, "fc_array_size_gb": 11,
             "max_over_subscription_ratio": 1.5},
}
"""Sized so that the capacity weigher spreads volumes over all three backends."""


SERVICES = ["cinder-1@thin-1", "cinder-2@nfs-1", "cinder-3@fc-1"]


class MixedCloudMachine(CloudStateMachine):
    config = MIXED_CONFIG
    extra_invariants: ClassVar[tuple[Invariant, ...]] = ()

    # The base machine's service names are its own config's: these are this cloud's.
    @rule(op=st.sampled_from(["create_volume", "create_snapshot", "extend_volume",
                              "create_export", "delete_volume", "backup", "restore"]),
          backend=st.sampled_from(SERVICES))
    def inject_driver_fault(self, op: str, backend: str) -> None:
        CloudStateMachine.inject_driver_fault(self, op, backend)

    @rule(service=st.sampled_from(["scheduler", *SERVICES, "backup"]))
    def toggle_service(self, service: str) -> None:
        CloudStateMachine.toggle_service(self, service)

    def __init__(self) -> None:
        super().__init__()
        # compute-1 has HBAs on this cloud's fabric: its connector carries their WWPNs
        # (an iSCSI-only connector to the FC backend is Cinder's 500 "Unable to create
        # attachment for volume (... wwpns)", which the no-5xx invariant would flag).
        volumes = self.cloud.nova.computes["compute-1"].driver.volumes
        assert volumes is not None
        self.connector = {**CONNECTOR, **volumes.connector_properties()}  # type: ignore[misc]

    def check_all(self) -> None:
        super().check_all()
        if self.quiescent and not self.dropped:
            problems = nfs_chains_consistent(self.cloud) + fc_zones_match_attachments(self.cloud)
            if problems:
                self.fail(problems)


TestMixedCloudMachine = MixedCloudMachine.TestCase
# Three backends make each step dearer than the base machine's: fewer examples under
# the ci profile (the deep profile keeps its own count).
TestMixedCloudMachine.settings = settings(
    settings.default, max_examples=min(settings.default.max_examples, 10))


def test_the_invariants_see_a_broken_chain_and_a_stray_zone() -> None:
    """The checks can fail: a chain whose overlay lost its backing file, and a zone
    nobody's attachment needs, are both reported."""
    import cindersim  # noqa: PLC0415
    from cindersim.backends.fc import Zone  # noqa: PLC0415

    async def main(cloud: Any) -> Any:
        pid = cloud.project_id("demo")
        tok = cloud.token("demo")
        vids = []
        for _ in range(6):
            r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                    token=tok)
            vids.append(r.json["volume"]["id"])
        await cloud.settle()
        for vid in vids:
            await cloud.request("POST", f"/v3/{pid}/snapshots",
                                json={"snapshot": {"volume_id": vid}}, token=tok)
        await cloud.settle()
        clean = nfs_chains_consistent(cloud) + fc_zones_match_attachments(cloud)
        for svc in cloud.volume_services.values():
            for _export, chain in getattr(svc.driver, "chains", list)():
                chain.files[-1].backing_file = "nowhere"
        cloud.env.storage.fc.add_zone(Zone("openstackstray", ("a", "b")))
        hosts = sorted({cloud.db.volumes[v].host.split("@")[1].split("#")[0] for v in vids})
        return hosts, clean, nfs_chains_consistent(cloud), fc_zones_match_attachments(cloud)

    hosts, clean, nfs, fc = cindersim.simulate(main, config=MIXED_CONFIG).value
    assert hosts == ["fc-1", "nfs-1", "thin-1"]  # the machine meets every driver
    assert clean == []
    assert nfs
    assert "backed by nowhere" in nfs[0]
    assert fc
    assert "openstackstray" in fc[0]
