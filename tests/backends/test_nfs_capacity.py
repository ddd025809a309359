"""Issue 22: NFS capacity as Cinder's NfsDriver sees it: per share, the least-allocated
eligible share wins, the apparent size (``du --apparent-size``) is held against
``total * max_over_subscription_ratio``, and the stats aggregate the shares."""

from __future__ import annotations

from typing import Any

import pytest

from cindersim.cloud import Cloud, simulate
from cindersim.config import NFS_DRIVER

SHARES = ["10.0.0.5:/export/a", "10.0.0.6:/export/b -o vers=4.1"]


def _cfg(**extra: Any) -> dict[str, Any]:
    return {"DEFAULT": {"enabled_backends": "nfs-1", "quota_gigabytes": 1000},
            "nfs-1": {"volume_driver": NFS_DRIVER, "nfs_shares": SHARES,
                      "nfs_share_size_gb": 10, **extra}}


async def _create(cloud: Cloud, size: int) -> dict[str, Any]:
    pid = cloud.project_id("demo")
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": size}},
                            token=cloud.token("demo"))
    await cloud.settle()
    vid = r.json["volume"]["id"]
    row = cloud.db.volumes[vid]
    return {"id": vid, "status": str(row.status), "share": row.provider_location,
            "format": row.admin_metadata.get("format")}


def test_volumes_spread_over_the_least_allocated_share_and_options_reach_the_host() -> None:
    async def main(cloud: Cloud) -> Any:
        made = [await _create(cloud, n) for n in (3, 1, 1)]
        svc = next(iter(cloud.volume_services.values()))
        stats = svc.driver.get_volume_stats(refresh=True)
        return made, stats

    made, stats = simulate(main, config=_cfg()).value
    assert [m["share"] for m in made] == ["10.0.0.5:/export/a", "10.0.0.6:/export/b",
                                          "10.0.0.6:/export/b"]
    assert [m["format"] for m in made] == ["raw", "raw", "raw"]
    assert stats["storage_protocol"] == "nfs"
    assert stats["total_capacity_gb"] == 20.0
    assert stats["free_capacity_gb"] == 20.0  # sparse files hold no blocks yet
    assert stats["provisioned_capacity_gb"] == 5.0  # du --bytes: apparent sizes
    assert stats["thin_provisioning_support"] is True
    assert stats["max_over_subscription_ratio"] == 20.0


def test_oversubscription_limit_refuses_a_share_then_the_volume() -> None:
    """Apparent space = 10 GiB x 1.5 per share: a 15 GiB volume fits nowhere
    (``apparent_available <= requested``), so the driver raises
    NfsNoSuitableShareFound and the volume ends in error (no other backend)."""
    async def main(cloud: Cloud) -> Any:
        return [await _create(cloud, n) for n in (14, 15)]

    made = simulate(main, config=_cfg(max_over_subscription_ratio=1.5)).value
    assert made[0]["status"] == "available"
    assert made[1]["status"] == "error"


def test_thick_raw_and_qcow2_files() -> None:
    async def main(cloud: Cloud) -> Any:
        made = await _create(cloud, 2)
        svc = next(iter(cloud.volume_services.values()))
        return made, svc.driver.get_volume_stats(refresh=True)

    thick, stats = simulate(main, config=_cfg(nfs_sparsed_volumes=False)).value
    assert stats["free_capacity_gb"] == 18.0  # dd if=/dev/zero wrote every byte
    assert stats["provisioned_capacity_gb"] == 2.0
    assert stats["thick_provisioning_support"] is True
    qcow2, _ = simulate(main, config=_cfg(nfs_qcow2_volumes=True)).value
    assert (thick["format"], qcow2["format"]) == ("raw", "qcow2")


def test_share_options_go_into_connection_info() -> None:
    async def main(cloud: Cloud) -> Any:
        await _create(cloud, 3)
        vol = await _create(cloud, 1)  # lands on share b (less allocated)
        svc = next(iter(cloud.volume_services.values()))
        row = cloud.db.volumes[vol["id"]]
        return svc.driver.initialize_connection(row, {"host": "compute-1"})

    info = simulate(main, config=_cfg()).value
    assert info["driver_volume_type"] == "nfs"
    assert info["data"]["export"] == "10.0.0.6:/export/b"
    assert info["data"]["options"] == "-o vers=4.1"



def test_a_share_that_never_mounts_is_left_out_after_nfs_mount_attempts() -> None:
    """An export no NFS server has fails ``mount`` (exit 32) ``nfs_mount_attempts`` times,
    1 s apart, and is left out; the other share is used."""
    from cindersim.backends.costs import Meter  # noqa: PLC0415
    from cindersim.backends.drivers.nfs import NfsConfig, NfsDriver  # noqa: PLC0415
    from cindersim.backends.nfs import NfsExports  # noqa: PLC0415

    exports = NfsExports()
    exports.export("10.0.0.5:/export/a", 10)
    ops: list[tuple[str, str]] = []
    meter = Meter(record=lambda c, op, summary, s, d: ops.append((c, op)))
    driver = NfsDriver(NfsConfig(nfs_mount_attempts=2), exports=exports, meter=meter)
    driver.shares = {"10.0.0.5:/export/a": None, "10.0.0.9:/gone": None}
    driver._ensure_shares_mounted()
    assert driver._mounted_shares == ["10.0.0.5:/export/a"]
    assert ops == [("nfs-client", "mount -t nfs"), ("nfs-client", "mount -t nfs"),
                   ("nfs", "retry"), ("nfs-client", "mount -t nfs")]
    assert meter.take() == pytest.approx(0.4 * 3 + 1.0)
