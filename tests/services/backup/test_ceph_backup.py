"""Issue 22: ``cinder.backup.drivers.ceph.CephBackupDriver``: RBD sources backed up by
diff between snapshots (incrementals move only the changes), non-RBD sources by a
chunked full copy (no incremental), restores from the base image's restore point."""

from __future__ import annotations

import json
from typing import Any

from cindersim.backends.drivers.ceph_backup import CephBackupDriver
from cindersim.backends.drivers.rbd import RBDDriver
from cindersim.cloud import Cloud, simulate

RBD = "cinder.volume.drivers.rbd.RBDDriver"
CEPH_BACKUP = "cinder.backup.drivers.ceph.CephBackupDriver"
CONF: dict[str, Any] = {
    "DEFAULT": {"enabled_backends": "ceph,lvm", "backup_driver": CEPH_BACKUP},
    "ceph": {"volume_driver": RBD, "rbd_pool": "volumes", "rbd_user": "cinder"},
    "lvm": {}}


async def _req(cloud: Cloud, method: str, rest: str, body: Any = None,
               version: str = "3.0") -> Any:
    r = await cloud.request(method, f"/v3/{cloud.project_id('admin')}{rest}", json=body,
                            token=cloud.token("admin"),
                            headers={"OpenStack-API-Version": f"volume {version}"})
    assert r.status < 300, (r.status, r.json)
    await cloud.settle()
    return r.json


async def _types(cloud: Cloud) -> None:
    for name in ("ceph", "lvm"):
        await _req(cloud, "POST", "/types", {"volume_type": {
            "name": name, "extra_specs": {"volume_backend_name": name}}})


async def _backup(cloud: Cloud, vid: str, **extra: Any) -> dict[str, Any]:
    bid = (await _req(cloud, "POST", "/backups", {"backup": {"volume_id": vid, **extra}}))[
        "backup"]["id"]
    view: dict[str, Any] = (await _req(cloud, "GET", f"/backups/{bid}"))["backup"]
    return view


def _driver(cloud: Cloud) -> CephBackupDriver:
    assert cloud.backup.ceph_driver is not None
    return cloud.backup.ceph_driver


def test_rbd_full_then_incremental_by_diff_and_restore() -> None:
    async def main(cloud: Cloud) -> None:
        await _types(cloud)
        vid = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "volume_type": "ceph"}}))["volume"]["id"]
        data = cloud.volume_data(vid)
        data.write(0, 100, "a")
        full = await _backup(cloud, vid)
        assert (full["status"], full["container"], full["is_incremental"]) == (
            "available", "backups", False)
        base = f"volume-{vid}.backup.{full['id']}"
        pool = _driver(cloud).cluster.pools["backups"]
        assert base in pool.images
        assert cloud.db.backups[full["id"]].service == CEPH_BACKUP
        assert json.loads(cloud.db.backups[full["id"]].service_metadata or "") == {"base": base}
        data.write(50, 100, "b")
        incr = await _backup(cloud, vid, incremental=True)
        assert (incr["status"], incr["is_incremental"]) == ("available", True)
        # The incremental reused the base: a second restore point, no second image.
        assert list(pool.images) == [base]
        assert [s.name.split(".snap.")[0] for s in pool.images[base].snapshots] == [
            f"backup.{full['id']}", f"backup.{incr['id']}"]
        # The source keeps one backup snapshot per backup (what the next diff starts from).
        driver = cloud.volume_services["cinder-1@ceph"].driver
        assert isinstance(driver, RBDDriver)
        src = driver.pool.images[f"volume-{vid}"]
        assert len([s for s in src.snapshots if s.name.startswith("backup.")]) == 2
        # Restore the full backup into a new RBD volume: base@<full's restore point>.
        target = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "volume_type": "ceph"}}))["volume"]["id"]
        await _req(cloud, "POST", f"/backups/{full['id']}/restore",
                   {"restore": {"volume_id": target}})
        got = cloud.volume_data(target)
        assert got.written() == 100
        assert got.read(120) == 0
        assert (await _req(cloud, "GET", f"/volumes/{target}"))["volume"]["status"] == (
            "available")
        # ... and the incremental: the state at that backup, in one step.
        await _req(cloud, "POST", f"/backups/{incr['id']}/restore",
                   {"restore": {"volume_id": target}})
        assert cloud.volume_data(target).same_content(data)
        # Deletes: the incremental's restore point, then the full one and the base.
        await _req(cloud, "DELETE", f"/backups/{incr['id']}")
        assert len(pool.images[base].snapshots) == 1
        await _req(cloud, "DELETE", f"/backups/{full['id']}")
        assert base not in pool.images

    result = simulate(main, config=CONF)
    diffs = [e.summary for e in result.cloud.trace.events
             if e.kind == "backend" and e.detail.get("op") == "rbd import-diff"]
    # The full backup moved 100 blocks, the incremental only the 100 it changed... of
    # which 50 overlap the old ones: 100 blocks each time (3276800 bytes).
    assert "3276800 bytes" in diffs[0]
    assert "3276800 bytes" in diffs[1]


def test_lvm_source_is_a_chunked_full_copy_and_cannot_be_incremental() -> None:
    async def main(cloud: Cloud) -> None:
        await _types(cloud)
        vid = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "volume_type": "lvm"}}))["volume"]["id"]
        cloud.volume_data(vid).write(0, 10, "c")
        full = await _backup(cloud, vid)
        assert full["status"] == "available"
        img = _driver(cloud).cluster.pools["backups"].images[f"volume-{vid}.backup.{full['id']}"]
        assert img.snapshots == []
        assert img.data.written() == 10
        incr = await _backup(cloud, vid, incremental=True)
        assert incr["status"] == "error"
        assert "non-RBD" in (incr.get("fail_reason") or cloud.db.backups[incr["id"]].fail_reason
                             or "")
        # Restore onto an LVM volume: a chunked full copy from the backup image.
        target = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "volume_type": "lvm"}}))["volume"]["id"]
        await _req(cloud, "POST", f"/backups/{full['id']}/restore",
                   {"restore": {"volume_id": target}})
        assert cloud.volume_data(target).same_content(cloud.volume_data(vid))

    simulate(main, config=CONF)


def test_in_use_rbd_volume_is_backed_up_without_a_temporary_clone() -> None:
    async def main(cloud: Cloud) -> None:
        await _types(cloud)
        vid = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "volume_type": "ceph"}}))["volume"]["id"]
        image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        r = await cloud.request("POST", "/compute/v2.1/servers", json={"server": {
            "name": "vm", "imageRef": image, "flavorRef": "1"}}, token=cloud.token("admin"))
        sid = r.json["server"]["id"]
        await cloud.settle()
        r = await cloud.request("POST", f"/compute/v2.1/servers/{sid}/os-volume_attachments",
                                json={"volumeAttachment": {"volumeId": vid}},
                                token=cloud.token("admin"))
        assert r.status == 200
        await cloud.settle()
        backup = await _backup(cloud, vid, force=True)
        assert backup["status"] == "available"
        assert cloud.db.backups[backup["id"]].temp_volume_id is None
        assert (await _req(cloud, "GET", f"/volumes/{vid}"))["volume"]["status"] == "in-use"

    result = simulate(main, config=CONF)
    creates = [e for e in result.cloud.trace.events
               if e.kind == "driver" and e.detail.get("call") == "create_cloned_volume"]
    assert creates == []
