"""Issue 22: every volume flow on an NFS backend and on an FC array backend, through
the REST APIs, with Cinder's statuses and each protocol's connection_info shape.

Each flow is run on both drivers: create blank, from a snapshot, from a volume,
from an image; attach and detach through Nova (the guest's data lands on the
share's file / the array's LUN); extend; snapshot; backup and restore.
"""

from __future__ import annotations

from typing import Any

import pytest

from cindersim.cloud import Cloud, simulate
from cindersim.config import FC_DRIVER, NFS_DRIVER

C = "/compute/v2.1"
NFS = {"DEFAULT": {"enabled_backends": "nfs-1"},
       "nfs-1": {"volume_driver": NFS_DRIVER, "nfs_snapshot_support": True}}
FC = {"DEFAULT": {"enabled_backends": "fc-1", "zoning_mode": "fabric"},
      "fc-1": {"volume_driver": FC_DRIVER}}
CONFIGS = {"nfs": NFS, "fc": FC}


def _v(cloud: Cloud, rest: str) -> str:
    return f"/v3/{cloud.project_id('demo')}{rest}"


async def _req(cloud: Cloud, method: str, path: str, body: Any = None) -> Any:
    r = await cloud.request(method, path, json=body, token=cloud.token("demo"))
    await cloud.settle()
    return r


async def _volume(cloud: Cloud, **extra: Any) -> dict[str, Any]:
    r = await _req(cloud, "POST", _v(cloud, "/volumes"), {"volume": {"size": 1, **extra}})
    assert r.status == 202, r.json
    return await _show(cloud, str(r.json["volume"]["id"]))


async def _show(cloud: Cloud, vid: str) -> dict[str, Any]:
    r = await cloud.request("GET", _v(cloud, f"/volumes/{vid}"), token=cloud.token("demo"))
    view: dict[str, Any] = r.json["volume"]
    return view


async def _server(cloud: Cloud) -> str:
    image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
    r = await _req(cloud, "POST", f"{C}/servers", {"server": {
        "name": "vm1", "imageRef": image, "flavorRef": "1"}})
    assert r.status == 202, r.json
    return str(r.json["server"]["id"])


async def _attach(cloud: Cloud, sid: str, vid: str) -> None:
    r = await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                   {"volumeAttachment": {"volumeId": vid}})
    assert r.status == 200, r.json


async def _detach(cloud: Cloud, sid: str, vid: str) -> None:
    r = await _req(cloud, "DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vid}")
    assert r.status == 202, r.json


@pytest.mark.parametrize("kind", ["nfs", "fc"])
def test_create_blank_snapshot_clone_image(kind: str) -> None:
    async def main(cloud: Cloud) -> Any:
        blank = await _volume(cloud)
        sid = await _server(cloud)
        await _attach(cloud, sid, blank["id"])
        cloud.nova.guest_write(sid, "/dev/vdb", 0, 8, "before")
        await _detach(cloud, sid, blank["id"])
        r = await _req(cloud, "POST", _v(cloud, "/snapshots"),
                       {"snapshot": {"volume_id": blank["id"]}})
        assert r.status == 202, r.json
        snap_id = r.json["snapshot"]["id"]
        snap = (await _req(cloud, "GET", _v(cloud, f"/snapshots/{snap_id}"))).json["snapshot"]
        # The volume changes after the snapshot: the snapshot keeps the old data.
        cloud.volume_data(blank["id"]).write(0, 4, "after")
        from_snap = await _volume(cloud, snapshot_id=snap_id)
        clone = await _volume(cloud, source_volid=blank["id"])
        image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        from_image = await _volume(cloud, imageRef=image)
        return (blank, snap, from_snap, clone, from_image, cloud.snapshot_data(snap_id).items(),
                cloud.volume_data(from_snap["id"]).items(), cloud.volume_data(blank["id"]),
                cloud.volume_data(clone["id"]), cloud.volume_data(from_image["id"]).written(),
                await _show(cloud, blank["id"]))

    res = simulate(main, config=CONFIGS[kind]).value
    blank, snap, from_snap, clone, from_image, snap_items, from_snap_items = res[:7]
    blank_data, clone_data, image_written, blank_after = res[7:]
    assert blank["status"] == "available"
    assert snap["status"] == "available"
    assert from_snap["status"] == clone["status"] == from_image["status"] == "available"
    assert from_image["bootable"] == "true"
    assert image_written > 0
    assert from_snap_items == snap_items
    assert len(snap_items) == 8
    assert clone_data.items() == blank_data.items()
    assert blank_data.items() != snap_items
    assert blank_after["attachments"] == []


@pytest.mark.parametrize("kind", ["nfs", "fc"])
def test_attach_detach_connection_info_and_guest_data(kind: str) -> None:
    async def main(cloud: Cloud) -> Any:
        vol = await _volume(cloud)
        sid = await _server(cloud)
        await _attach(cloud, sid, vol["id"])
        in_use = await _show(cloud, vol["id"])
        att = next(a for a in cloud.db.attachments.values() if a.volume_id == vol["id"])
        info = dict(att.connection_info or {})
        connector = dict(att.connector or {})
        cloud.nova.guest_write(sid, "/dev/vdb", 3, 5, "guest")
        written = cloud.volume_data(vol["id"]).items()
        await _detach(cloud, sid, vol["id"])
        return in_use, info, connector, written, await _show(cloud, vol["id"])

    in_use, info, connector, written, after = simulate(main, config=CONFIGS[kind]).value
    assert in_use["status"] == "in-use"
    assert in_use["attachments"][0]["device"] == "/dev/vdb"
    assert after["status"] == "available"
    assert after["attachments"] == []
    assert [i for i, _ in written] == [3, 4, 5, 6, 7]
    if kind == "nfs":
        assert info["driver_volume_type"] == "nfs"
        assert info["export"] == "192.168.122.10:/srv/nfs/nfs-1"
        assert info["name"] == f"volume-{in_use['id']}"
        assert info["format"] == "raw"
        assert info["mount_point_base"] == "/var/lib/cinder/mnt"
        assert "wwpns" not in connector
    else:
        assert info["driver_volume_type"] == "fibre_channel"
        assert info["target_discovered"] is True
        assert info["target_lun"] == 1
        assert len(info["target_wwn"]) == 2
        assert sorted(info["initiator_target_map"]) == sorted(connector["wwpns"])
        assert all(t == info["target_wwn"] for t in info["initiator_target_map"].values())
        assert len(connector["wwnns"]) == 2


@pytest.mark.parametrize("kind", ["nfs", "fc"])
def test_extend_available_volume(kind: str) -> None:
    async def main(cloud: Cloud) -> Any:
        vol = await _volume(cloud)
        r = await _req(cloud, "POST", _v(cloud, f"/volumes/{vol['id']}/action"),
                       {"os-extend": {"new_size": 3}})
        return r.status, await _show(cloud, vol["id"]), cloud.volume_data(vol["id"]).size_bytes

    status, view, size = simulate(main, config=CONFIGS[kind]).value
    assert status == 202
    assert view["status"] == "available"
    assert view["size"] == 3
    assert size == 3 * 1024 ** 3


def test_nfs_refuses_extending_an_attached_volume() -> None:
    """NfsDriver: "Cannot extend volume ... while it is attached." (bug #1870367)."""
    async def main(cloud: Cloud) -> Any:
        vol = await _volume(cloud)
        sid = await _server(cloud)
        await _attach(cloud, sid, vol["id"])
        r = await cloud.request("POST", _v(cloud, f"/volumes/{vol['id']}/action"),
                                json={"os-extend": {"new_size": 2}},
                                token=cloud.token("demo"), headers={
                                    "OpenStack-API-Version": "volume 3.42"})
        await cloud.settle()
        return r.status, await _show(cloud, vol["id"])

    status, view = simulate(main, config=NFS).value
    assert status == 202
    assert view["size"] == 1
    assert view["status"] == "error_extending"


@pytest.mark.parametrize("kind", ["nfs", "fc"])
def test_backup_and_restore(kind: str) -> None:
    async def main(cloud: Cloud) -> Any:
        vol = await _volume(cloud)
        cloud.volume_data(vol["id"]).write(10, 6, "precious")
        want = cloud.volume_data(vol["id"]).items()
        r = await _req(cloud, "POST", _v(cloud, "/backups"), {"backup": {"volume_id": vol["id"]}})
        assert r.status == 202, r.json
        bid = r.json["backup"]["id"]
        backup = (await _req(cloud, "GET", _v(cloud, f"/backups/{bid}"))).json["backup"]
        r = await _req(cloud, "POST", _v(cloud, f"/backups/{bid}/restore"), {"restore": {}})
        assert r.status == 202, r.json
        new = await _show(cloud, r.json["restore"]["volume_id"])
        return backup, new, want, cloud.volume_data(new["id"]).items(), \
            await _show(cloud, vol["id"])

    backup, new, want, got, source = simulate(main, config=CONFIGS[kind]).value
    assert backup["status"] == "available"
    assert new["status"] == "available"
    assert source["status"] == "available"
    assert got == want


def test_nfs_snapshot_needs_nfs_snapshot_support() -> None:
    """Off by default in Cinder: the snapshot goes to error (VolumeDriverException)."""
    async def main(cloud: Cloud) -> Any:
        vol = await _volume(cloud)
        r = await _req(cloud, "POST", _v(cloud, "/snapshots"),
                       {"snapshot": {"volume_id": vol["id"]}})
        sid = r.json["snapshot"]["id"]
        return (await _req(cloud, "GET", _v(cloud, f"/snapshots/{sid}"))).json["snapshot"]

    cfg = {"DEFAULT": {"enabled_backends": "nfs-1"}, "nfs-1": {"volume_driver": NFS_DRIVER}}
    assert simulate(main, config=cfg).value["status"] == "error"


@pytest.mark.parametrize(("source", "dest"), [("nfs", "lvm"), ("lvm", "nfs"), ("fc", "nfs"),
                                              ("nfs", "fc")])
def test_retype_migrates_between_driver_kinds_with_a_host_copy(source: str, dest: str) -> None:
    """Generic (host-assisted) migration: cinder-volume attaches both volumes through the
    right connector for each (iSCSI session, NFS mount, FC scan) and copies the blocks."""
    drivers = {"nfs": {"volume_driver": NFS_DRIVER},
               "fc": {"volume_driver": FC_DRIVER},
               "lvm": {"volume_driver": "cinder.volume.drivers.lvm.LVMVolumeDriver"}}
    cfg = {"DEFAULT": {"enabled_backends": "src,dst"},
           "src": {"host": "cinder-1", "volume_backend_name": "SRC", **drivers[source]},
           "dst": {"host": "cinder-2", "volume_backend_name": "DST", **drivers[dest]}}

    async def main(cloud: Cloud) -> Any:
        for name in ("SRC", "DST"):
            r = await cloud.request("POST", f"/v3/{cloud.project_id('admin')}/types",
                                    token=cloud.token("admin"), json={"volume_type": {
                                        "name": name, "extra_specs": {
                                            "volume_backend_name": name}}})
            assert r.status == 200, r.json
        vol = await _volume(cloud, volume_type="SRC")
        cloud.volume_data(vol["id"]).write(5, 20, "payload")
        before = cloud.volume_data(vol["id"]).items()
        r = await _req(cloud, "POST", _v(cloud, f"/volumes/{vol['id']}/action"),
                       {"os-retype": {"new_type": "DST", "migration_policy": "on-demand"}})
        row = cloud.db.volumes[vol["id"]]
        return (r.status, row.status, row.host, row.migration_status, row.provider_location,
                cloud.volume_data(vol["id"]).items() == before, len(cloud.db.volumes))

    status, vstatus, host, mstatus, location, same, count = simulate(main, config=cfg).value
    assert (status, vstatus, mstatus, same, count) == (202, "available", "success", True, 1)
    assert host == "cinder-2@dst#DST"
    if dest == "nfs":
        assert location == "192.168.122.11:/srv/nfs/dst"
    if dest == "lvm":
        assert location is None  # LVM's update_migrated_volume after its lvrename


@pytest.mark.parametrize("kind", ["nfs", "fc"])
def test_revert_to_snapshot(kind: str) -> None:
    """NFS has no in-place revert (no RevertToSnapshotMixin): the manager's generic copy;
    the FC array restores the LUN from its snapshot."""
    async def main(cloud: Cloud) -> Any:
        vol = await _volume(cloud)
        cloud.volume_data(vol["id"]).write(0, 4, "old")
        want = cloud.volume_data(vol["id"]).items()
        r = await _req(cloud, "POST", _v(cloud, "/snapshots"),
                       {"snapshot": {"volume_id": vol["id"]}})
        snap = r.json["snapshot"]["id"]
        cloud.volume_data(vol["id"]).write(0, 8, "new")
        r = await cloud.request("POST", _v(cloud, f"/volumes/{vol['id']}/action"),
                                json={"revert": {"snapshot_id": snap}},
                                token=cloud.token("demo"),
                                headers={"OpenStack-API-Version": "volume 3.40"})
        await cloud.settle()
        snap_view = (await _req(cloud, "GET", _v(cloud, f"/snapshots/{snap}"))).json
        return r.status, await _show(cloud, vol["id"]), snap_view["snapshot"]["status"], \
            want, cloud.volume_data(vol["id"]).items()

    status, view, snap_status, want, got = simulate(main, config=CONFIGS[kind]).value
    assert status == 202
    assert view["status"] == "available"
    assert snap_status == "available"
    assert got == want
