"""Issue 22: capacity samples, per-pool histories and the capacity chart's data for
RBD, NFS and FC array backends come from each driver's own capacity model, the
figures its ``get_volume_stats`` reports to the scheduler (not a volume group)."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate
from cindersim.config import FC_DRIVER, NFS_DRIVER
from cindersim.metrics import MetricsCollector

RBD = "cinder.volume.drivers.rbd.RBDDriver"
CONF: dict[str, Any] = {
    "DEFAULT": {"enabled_backends": "nfs,fc,ceph,lvm"},
    "nfs": {"volume_driver": NFS_DRIVER, "volume_backend_name": "nfs",
            "nfs_share_size_gb": 50},
    "fc": {"volume_driver": FC_DRIVER, "volume_backend_name": "fc", "fc_array_size_gb": 40},
    "ceph": {"volume_driver": RBD, "volume_backend_name": "ceph", "rbd_pool": "volumes"},
    "lvm": {"volume_backend_name": "lvm"},
}
KINDS = ("nfs", "fc", "ceph")
BLOCKS_PER_GIB = 32768  # 32 KiB blocks


async def _admin(cloud: Cloud, method: str, rest: str, body: Any = None) -> Any:
    r = await cloud.request(method, f"/v3/{cloud.project_id('admin')}{rest}", json=body,
                            token=cloud.token("admin"))
    assert r.status < 300, (r.status, r.json)
    await cloud.settle()
    return r.json


def test_samples_and_pool_histories_use_each_drivers_stats() -> None:
    async def main(cloud: Cloud) -> Any:
        m = MetricsCollector(cloud, interval=3600)
        for kind in KINDS:
            await _admin(cloud, "POST", "/types", {"volume_type": {
                "name": kind, "extra_specs": {"volume_backend_name": kind}}})
        m.sample()
        for kind, size in (("nfs", 3), ("fc", 5), ("ceph", 7)):
            vid = (await _admin(cloud, "POST", "/volumes", {"volume": {
                "size": size, "volume_type": kind}}))["volume"]["id"]
            cloud.volume_data(vid).write(0, BLOCKS_PER_GIB, kind)  # 1 GiB written
        m.sample()
        stats = {}
        for host, svc in sorted(cloud.volume_services.items()):
            s = svc.driver.get_volume_stats(refresh=True)
            pool = s["pools"][0] if s.get("pools") else s
            stats[host] = (pool["total_capacity_gb"], pool["free_capacity_gb"],
                           pool.get("provisioned_capacity_gb"))
        return m, stats
    m, stats = simulate(main, config=CONF).value
    before = {b.backend: b for b in m.samples[0].backends}
    after = {b.backend: b for b in m.samples[1].backends}
    hosts = {kind: next(h for h in after if h.endswith(f"@{kind}")) for kind in KINDS}
    # Each backend's own size, not a 100 GiB volume group's.
    assert before[hosts["nfs"]].total_capacity_gb == 50.0
    assert before[hosts["fc"]].total_capacity_gb == 40.0
    for kind in ("nfs", "fc"):
        b = after[hosts[kind]]
        total, free, provisioned = stats[hosts[kind]]
        assert (b.total_capacity_gb, b.free_capacity_gb) == (round(total, 2), round(free, 2))
        assert b.provisioned_capacity_gb == provisioned
        assert b.free_capacity_gb == b.total_capacity_gb - 1.0  # the 1 GiB written
    assert after[hosts["nfs"]].provisioned_capacity_gb == 3.0  # sparse files: apparent size
    assert after[hosts["fc"]].provisioned_capacity_gb == 5.0
    ceph = after[hosts["ceph"]]
    total, free, _ = stats[hosts["ceph"]]
    assert (ceph.total_capacity_gb, ceph.free_capacity_gb) == (total, free)
    assert ceph.provisioned_capacity_gb == 7.0
    assert before[hosts["ceph"]].free_capacity_gb > free  # replicated writes count
    # The capacity chart's data (m.pools()): thin pools with the over-subscription limit.
    pools = {p.backend: p for p in m.pools()}
    for kind in KINDS:
        assert pools[hosts[kind]].thin
    nfs = pools[hosts["nfs"]].points[-1]
    assert (nfs.total_gb, nfs.used_gb, nfs.provisioned_gb) == (50.0, 1.0, 3.0)
    assert nfs.limit_gb == 20.0 * 50.0  # max_over_subscription_ratio 20 x total
    assert pools[hosts["fc"]].points[-1].used_gb == 1.0


def test_record_memory_counts_each_backends_own_store() -> None:
    """``record_memory`` walks RBD's pool, NFS's shares and the FC array (an RBD backend
    has no volume group at all: it used to fail on one)."""
    from cindersim.backends.drivers import LVMVolumeDriver  # noqa: PLC0415
    from cindersim.memory import _storage_models  # noqa: PLC0415

    async def main(cloud: Cloud) -> Any:
        for kind in KINDS:
            await _admin(cloud, "POST", "/types", {"volume_type": {
                "name": kind, "extra_specs": {"volume_backend_name": kind}}})
        models = {h: _storage_models(s.driver, s.vg) for h, s in cloud.volume_services.items()}
        for kind in KINDS:
            await _admin(cloud, "POST", "/volumes", {"volume": {"size": 1, "volume_type": kind}})
        return cloud, models
    cloud, models = simulate(main, config=CONF).value
    for host, found in models.items():
        svc = cloud.volume_services[host]
        if isinstance(svc.driver, LVMVolumeDriver):
            assert found == [svc.vg]
        else:
            assert found
            assert svc.vg not in found
    from cindersim.memory import record_memory  # noqa: PLC0415

    mem = record_memory(cloud)
    assert mem.live_volumes == 3
    assert mem.bytes > 0
