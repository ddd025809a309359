"""Issue 22: the Ceph backup driver keeps the volume's metadata as the RADOS object
``backup.<id>.meta`` (``_backup_metadata``) and a restore writes it back
(``_restore_metadata``), as Tempest's
``test_volume_backup_create_get_detailed_list_restore_delete`` checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cindersim.backends.drivers.ceph_backup import CephBackupDriver
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

CEPH_BACKUP = "cinder.backup.drivers.ceph.CephBackupDriver"
META = {"vol-meta1": "value1", "vol-meta2": "value2"}


def _conf(kind: str) -> dict[str, Any]:
    backend = ({"volume_driver": "cinder.volume.drivers.rbd.RBDDriver", "rbd_pool": "volumes"}
               if kind == "rbd" else {})
    return {"DEFAULT": {"enabled_backends": "b1", "backup_driver": CEPH_BACKUP},
            "b1": backend}


async def _req(cloud: Cloud, method: str, rest: str, body: Any = None) -> Any:
    r = await cloud.request(method, f"/v3/{cloud.project_id('demo')}{rest}", json=body,
                            token=cloud.token("demo"),
                            headers={"OpenStack-API-Version": "volume 3.47"})
    assert r.status < 300, (r.status, r.json)
    await cloud.settle()
    return r.json


def _driver(cloud: Cloud) -> CephBackupDriver:
    assert cloud.backup.ceph_driver is not None
    return cloud.backup.ceph_driver


@pytest.mark.parametrize("kind", ["rbd", "lvm"])
def test_metadata_object_saved_restored_and_deleted(kind: str) -> None:
    async def main(cloud: Cloud) -> Any:
        vid = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "name": "src", "metadata": META}}))["volume"]["id"]
        bid = (await _req(cloud, "POST", "/backups", {"backup": {
            "volume_id": vid, "name": "bk"}}))["backup"]["id"]
        pool = _driver(cloud).cluster.pool("backups")
        saved = json.loads(pool.rados_objects[f"backup.{bid}.meta"].decode())
        restored = (await _req(cloud, "POST", f"/backups/{bid}/restore",
                               {"restore": {}}))["restore"]["volume_id"]
        view = (await _req(cloud, "GET", f"/volumes/{restored}"))["volume"]
        # A volume created from the backup (3.47) gets it too.
        new = (await _req(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "backup_id": bid}}))["volume"]["id"]
        new_view = (await _req(cloud, "GET", f"/volumes/{new}"))["volume"]
        await _req(cloud, "DELETE", f"/backups/{bid}")
        return saved, view, new_view, dict(pool.rados_objects)
    result = simulate(main, config=_conf(kind))
    saved, view, new_view, left = result.value
    assert saved["version"] == 2
    assert saved["volume-metadata"] == META
    assert saved["volume-base-metadata"]["display_name"] == "src"
    # The manager adds src_backup_id after the driver's put_metadata.
    assert view["metadata"] == {**META, "src_backup_id": view["metadata"]["src_backup_id"]}
    assert view["name"] == "src"  # restore_backup_<id> is replaced by the saved name
    assert {k: new_view["metadata"][k] for k in META} == META
    assert left == {}  # delete_backup: remove_if_exists
    assert check_trace(result.trace.events) == []


def test_a_volume_without_metadata_still_gets_its_base_object() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = (await _req(cloud, "POST", "/volumes", {"volume": {"size": 1}}))["volume"]["id"]
        bid = (await _req(cloud, "POST", "/backups", {"backup": {
            "volume_id": vid}}))["backup"]["id"]
        pool = _driver(cloud).cluster.pool("backups")
        return json.loads(pool.rados_objects[f"backup.{bid}.meta"].decode())
    saved = simulate(main, config=_conf("rbd")).value
    assert "volume-metadata" not in saved
    assert saved["volume-base-metadata"]["status"] == "backing-up"
