"""Issue 22: the NFS driver's qcow2 snapshot chains and the FC zone manager's zones.

The chains follow remotefs.py's docstring (volume-1234 <- volume-1234.aaaa <-
volume-1234.bbbb, the ``.info`` file naming the active image); the zones follow
the FC Zone Manager with the ``initiator-target`` policy, kept while another
attachment of the host still uses the pair.
"""

from __future__ import annotations

from typing import Any

from cindersim.backends.drivers.nfs import NfsDriver
from cindersim.backends.fc import friendly_zone_name
from cindersim.cloud import Cloud, simulate
from cindersim.config import FC_DRIVER, NFS_DRIVER, VOLUME_DRIVERS, ConfigError, load_config

C = "/compute/v2.1"


def _v(cloud: Cloud, rest: str) -> str:
    return f"/v3/{cloud.project_id('demo')}{rest}"


async def _req(cloud: Cloud, method: str, path: str, body: Any = None) -> Any:
    r = await cloud.request(method, path, json=body, token=cloud.token("demo"))
    await cloud.settle()
    return r


async def _volume(cloud: Cloud) -> str:
    r = await _req(cloud, "POST", _v(cloud, "/volumes"), {"volume": {"size": 1}})
    return str(r.json["volume"]["id"])


async def _snapshot(cloud: Cloud, vid: str) -> str:
    r = await _req(cloud, "POST", _v(cloud, "/snapshots"), {"snapshot": {"volume_id": vid}})
    assert r.status == 202, r.json
    return str(r.json["snapshot"]["id"])


async def _server(cloud: Cloud, name: str = "vm1") -> str:
    image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
    r = await _req(cloud, "POST", f"{C}/servers", {"server": {
        "name": name, "imageRef": image, "flavorRef": "1"}})
    return str(r.json["server"]["id"])


def _nfs(cloud: Cloud) -> NfsDriver:
    driver = next(iter(cloud.volume_services.values())).driver
    assert isinstance(driver, NfsDriver)
    return driver


NFS = {"DEFAULT": {"enabled_backends": "nfs-1"},
       "nfs-1": {"volume_driver": NFS_DRIVER, "nfs_snapshot_support": True,
                 "nfs_qcow2_volumes": True}}


def test_snapshots_are_overlays_and_deletes_merge_them_down() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        name = f"volume-{vid}"
        data = cloud.volume_data(vid)
        data.write(0, 2, "base")
        aaaa = await _snapshot(cloud, vid)
        data.write(1, 2, "second")
        bbbb = await _snapshot(cloud, vid)
        data.write(2, 2, "third")
        chain = _nfs(cloud)._chain(vid)
        two = ([f.name for f in chain.files], [f.backing_file for f in chain.files],
               chain.info(), [f.fmt for f in chain.files])
        snap_a = cloud.snapshot_data(aaaa).items()
        snap_b = cloud.snapshot_data(bbbb).items()
        live = data.items()
        # Deleting the older snapshot (not the active overlay): commit + rebase.
        r = await _req(cloud, "DELETE", _v(cloud, f"/snapshots/{aaaa}"))
        assert r.status == 202
        one = ([f.name for f in chain.files], [f.backing_file for f in chain.files],
               chain.info(), cloud.snapshot_data(bbbb).items())
        r = await _req(cloud, "DELETE", _v(cloud, f"/snapshots/{bbbb}"))
        none = ([f.name for f in chain.files], chain.info(), data.items())
        return name, aaaa, bbbb, two, snap_a, snap_b, live, one, none

    name, aaaa, bbbb, two, snap_a, snap_b, live, one, none = simulate(main, config=NFS).value
    files, backing, info, fmts = two
    assert files == [name, f"{name}.{aaaa}", f"{name}.{bbbb}"]
    assert backing == [None, name, f"{name}.{aaaa}"]
    assert info == {"active": f"{name}.{bbbb}", aaaa: f"{name}.{aaaa}", bbbb: f"{name}.{bbbb}"}
    assert fmts == ["qcow2", "qcow2", "qcow2"]
    assert [i for i, _ in snap_a] == [0, 1]
    assert [i for i, _ in snap_b] == [0, 1, 2]
    assert snap_a != snap_b[:2]  # block 1 was rewritten between the two snapshots
    assert one[0] == [name, f"{name}.{bbbb}"]
    assert one[1] == [None, name]
    assert one[2] == {"active": f"{name}.{bbbb}", bbbb: f"{name}.{bbbb}"}
    assert one[3] == snap_b  # bbbb still reads what it read
    assert none[0] == [name]
    assert none[1] == {}
    assert none[2] == live  # nothing the guest wrote was lost


def test_attached_volume_snapshot_is_nova_assisted_and_renames_the_active_file() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        sid = await _server(cloud)
        await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                   {"volumeAttachment": {"volumeId": vid}})
        mark = len(cloud.trace.events)
        r = await cloud.request("POST", _v(cloud, "/snapshots"), json={"snapshot": {
            "volume_id": vid, "force": True}}, token=cloud.token("demo"))
        await cloud.settle()
        snap = r.json["snapshot"]["id"]
        ops = [e.detail.get("op") for e in cloud.trace.events[mark:] if e.kind == "backend"]
        # The guest keeps writing through the mount: into the new overlay.
        cloud.nova.guest_write(sid, "/dev/vdb", 0, 1, "after-snapshot")
        chain = _nfs(cloud)._chain(vid)
        att = next(a for a in cloud.db.attachments.values() if a.volume_id == vid)
        return snap, ops, chain.active.name, sorted(chain.active.allocated), \
            cloud.snapshot_data(snap).written(), att.connection_info

    snap, ops, active, allocated, snap_written, info = simulate(main, config=NFS).value
    assert info is not None
    assert (info["name"], info["format"]) == (active, "qcow2")
    assert "nova assisted snapshot" in ops
    assert "qemu-img create" not in ops
    assert active.endswith(f".{snap}")
    assert allocated == [0]
    assert snap_written == 0


def test_nfs_mount_once_per_share_on_a_compute_host() -> None:
    async def main(cloud: Cloud) -> Any:
        a, b = await _volume(cloud), await _volume(cloud)
        sid = await _server(cloud)
        for vid in (a, b):
            await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                       {"volumeAttachment": {"volumeId": vid}})
        client = cloud.nova.computes["compute-1"].driver.volumes
        assert client is not None
        both = (client.nfs.mounts(), len(client.nfs.users(client.nfs.mounts()[0])))
        await _req(cloud, "DELETE", f"{C}/servers/{sid}/os-volume_attachments/{a}")
        one = client.nfs.mounts()
        await _req(cloud, "DELETE", f"{C}/servers/{sid}/os-volume_attachments/{b}")
        ops = [e.detail.get("op") for e in cloud.trace.events
               if e.kind == "backend" and e.target == "compute-1"
               and e.actor == "nfs-client"]
        return both, one, client.nfs.mounts(), ops

    both, one, none, ops = simulate(main, config=NFS).value
    assert both == (["192.168.122.10:/srv/nfs/nfs-1"], 2)
    assert one == ["192.168.122.10:/srv/nfs/nfs-1"]
    assert none == []
    assert ops == ["mount -t nfs", "mount (reuse)", "umount (kept)", "umount"]


def test_fc_zones_live_exactly_while_the_host_has_attachments() -> None:
    cfg = {"DEFAULT": {"enabled_backends": "fc-1", "zoning_mode": "fabric"},
           "fc-1": {"volume_driver": FC_DRIVER}}

    async def main(cloud: Cloud) -> Any:
        a, b = await _volume(cloud), await _volume(cloud)
        sid = await _server(cloud)
        fabric = cloud.env.storage.fc
        seen = [len(fabric.zones())]
        for vid in (a, b):
            await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                       {"volumeAttachment": {"volumeId": vid}})
            seen.append(len(fabric.zones()))
        connector = cloud.nova.computes["compute-1"].connector()
        for vid in (a, b):
            await _req(cloud, "DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vid}")
            seen.append(len(fabric.zones()))
        array = fabric.arrays()[0]
        return seen, connector, array.target_wwpns, [z.name for z in fabric.zones()]

    seen, connector, targets, after = simulate(main, config=cfg).value
    assert seen == [0, 4, 4, 4, 0]
    assert after == []
    assert friendly_zone_name(connector["wwpns"][0], targets[0]).startswith("openstack10000090fa")


def test_fc_without_zoning_needs_no_zone_and_creates_none() -> None:
    cfg = {"DEFAULT": {"enabled_backends": "fc-1"}, "fc-1": {"volume_driver": FC_DRIVER}}

    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        sid = await _server(cloud)
        r = await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                       {"volumeAttachment": {"volumeId": vid}})
        return r.status, cloud.env.storage.fc.zones(), \
            (await _req(cloud, "GET", _v(cloud, f"/volumes/{vid}"))).json["volume"]["status"]

    assert simulate(main, config=cfg).value == (200, [], "in-use")


def test_unsupported_driver_names_the_supported_ones() -> None:
    try:
        load_config({"DEFAULT": {"enabled_backends": "x"},
                     "x": {"volume_driver": "cinder.volume.drivers.netapp.common.NetAppDriver"}})
    except ConfigError as exc:
        text = str(exc)
    else:
        raise AssertionError("an unsupported driver must be refused")
    assert "[x] volume_driver" in text
    assert all(d in text for d in VOLUME_DRIVERS)
    assert NFS_DRIVER in VOLUME_DRIVERS
    assert FC_DRIVER in VOLUME_DRIVERS


def test_online_delete_of_the_active_snapshot_pulls_the_base_up() -> None:
    """``_delete_snapshot_online``: the overlay the guest writes to keeps its name; Nova
    pulls the base into it and the base file goes; an older snapshot now maps to it."""
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        name = f"volume-{vid}"
        cloud.volume_data(vid).write(0, 2, "base")
        older = await _snapshot(cloud, vid)
        sid = await _server(cloud)
        await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                   {"volumeAttachment": {"volumeId": vid}})
        newer = (await _req(cloud, "POST", _v(cloud, "/snapshots"), {"snapshot": {
            "volume_id": vid, "force": True}})).json["snapshot"]["id"]
        cloud.nova.guest_write(sid, "/dev/vdb", 4, 1, "live")
        live = cloud.volume_data(vid).items()
        older_data = cloud.snapshot_data(older).items()
        mark = len(cloud.trace.events)
        r = await _req(cloud, "DELETE", _v(cloud, f"/snapshots/{newer}"))
        chain = _nfs(cloud)._chain(vid)
        mid = ([f.name for f in chain.files], chain.info(), cloud.snapshot_data(older).items())
        r2 = await _req(cloud, "DELETE", _v(cloud, f"/snapshots/{older}"))
        ops = [e.summary for e in cloud.trace.events[mark:] if e.kind == "backend"
               and e.detail.get("op") == "nova assisted delete"]
        return (name, older, newer, r.status, r2.status, mid,
                [f.name for f in chain.files], chain.info(), live, older_data,
                cloud.volume_data(vid).items(), ops)

    (name, older, newer, s1, s2, mid, files, info, live, older_data, after,
     ops) = simulate(main, config=NFS).value
    assert (s1, s2) == (202, 202)
    assert mid[0] == [name, f"{name}.{newer}"]  # .older (the base of newer) was pulled up
    assert mid[1] == {"active": f"{name}.{newer}", older: f"{name}.{newer}"}
    assert mid[2] == older_data
    assert files == [f"{name}.{newer}"]  # the original file itself was pulled up at last
    assert info == {"active": f"{name}.{newer}"}
    assert after == live
    assert len(ops) == 2
    assert all("pulls" in o for o in ops)
