"""Issue 22: Cinder's RBD driver end to end, one test per flow, with Cinder's statuses
and connection_info shapes (create blank / from snapshot / clone / from image, attach and
detach through Nova, extend, snapshot, revert, capacity)."""

from __future__ import annotations

from typing import Any

from cindersim.backends.blocks import GiB
from cindersim.backends.drivers.rbd import RBDDriver
from cindersim.cloud import Cloud, simulate
from cindersim.testing.invariants import rbd_clones_protected

C = "/compute/v2.1"
RBD = "cinder.volume.drivers.rbd.RBDDriver"
SECRET = "457eb676-33da-42ec-9a8c-9293d545c337"


def conf(**ceph: Any) -> dict[str, Any]:
    return {"DEFAULT": {"enabled_backends": "ceph"},
            "ceph": {"volume_driver": RBD, "rbd_pool": "volumes", "rbd_user": "cinder",
                     "rbd_secret_uuid": SECRET, **ceph}}


def _p(cloud: Cloud, rest: str) -> str:
    return f"/v3/{cloud.project_id('demo')}{rest}"


async def _req(cloud: Cloud, method: str, path: str, body: Any = None) -> Any:
    r = await cloud.request(method, path, json=body, token=cloud.token("demo"))
    assert r.status < 300, (r.status, r.json)
    await cloud.settle()
    return r.json


async def _volume(cloud: Cloud, **body: Any) -> dict[str, Any]:
    vid = (await _req(cloud, "POST", _p(cloud, "/volumes"),
                      {"volume": {"size": 1, **body}}))["volume"]["id"]
    view: dict[str, Any] = (await _req(cloud, "GET", _p(cloud, f"/volumes/{vid}")))["volume"]
    return view


def _driver(cloud: Cloud) -> RBDDriver:
    driver = cloud.volume_services["cinder-1@ceph"].driver
    assert isinstance(driver, RBDDriver)
    return driver


def test_create_blank_is_a_thin_image_and_delete_removes_it() -> None:
    async def main(cloud: Cloud) -> None:
        vol = await _volume(cloud, size=2)
        assert vol["status"] == "available"
        img = _driver(cloud).image(vol["id"])
        assert (img.name, img.size_bytes, img.order) == (f"volume-{vol['id']}", 2 * GiB, 22)
        assert img.stored_blocks() == 0
        await _req(cloud, "DELETE", _p(cloud, f"/volumes/{vol['id']}"))
        assert f"volume-{vol['id']}" not in _driver(cloud).pool.images

    simulate(main, config=conf())


def test_snapshot_is_protected_and_volume_from_it_is_a_cow_clone() -> None:
    async def main(cloud: Cloud) -> None:
        src = await _volume(cloud)
        cloud.volume_data(src["id"]).write(0, 64, "guest")
        snap = (await _req(cloud, "POST", _p(cloud, "/snapshots"),
                           {"snapshot": {"volume_id": src["id"]}}))["snapshot"]
        view = (await _req(cloud, "GET", _p(cloud, f"/snapshots/{snap['id']}")))["snapshot"]
        assert view["status"] == "available"
        img = _driver(cloud).image(src["id"])
        rbd_snap = img.snapshot(f"snapshot-{snap['id']}")
        assert rbd_snap is not None
        assert rbd_snap.protected
        new = await _volume(cloud, size=2, snapshot_id=snap["id"])
        assert new["status"] == "available"
        assert new["size"] == 2
        child = _driver(cloud).image(new["id"])
        assert child.parent_info() == ("volumes", img.name, f"snapshot-{snap['id']}")
        assert child.size_bytes == 2 * GiB  # resized after the clone
        assert child.stored_blocks() == 0  # nothing copied
        assert cloud.volume_data(new["id"]).read(3) == cloud.volume_data(src["id"]).read(3)
        assert rbd_clones_protected(cloud) == []
        # Deleting the snapshot flattens its child first (unprotect refuses with children).
        await _req(cloud, "DELETE", _p(cloud, f"/snapshots/{snap['id']}"))
        r = await cloud.request("GET", _p(cloud, f"/snapshots/{snap['id']}"),
                                token=cloud.token("demo"))
        assert r.status == 404
        assert child.parent is None
        assert child.stored_blocks() == 64
        assert rbd_clones_protected(cloud) == []

    result = simulate(main, config=conf())
    ops = [e.detail.get("op") for e in result.cloud.trace.events if e.kind == "backend"]
    assert "rbd flatten" in ops
    assert "rbd retry" in ops


def test_clone_of_a_volume_and_flatten_at_max_clone_depth() -> None:
    async def main(cloud: Cloud) -> None:
        v0 = await _volume(cloud)
        v1 = await _volume(cloud, source_volid=v0["id"])
        v2 = await _volume(cloud, source_volid=v1["id"])
        d = _driver(cloud)
        i0, i1, i2 = (d.image(v["id"]) for v in (v0, v1, v2))
        assert v1["status"] == v2["status"] == "available"
        assert i1.parent_info() == ("volumes", i0.name, f"{i1.name}.clone_snap")
        # rbd_max_clone_depth = 1: v1 is already one clone deep, so v2 is flattened
        # and its temporary clone snapshot on v1 removed.
        assert i2.parent is None
        assert i1.snapshots == []
        # Deleting a volume with clones keeps it, renamed, for them.
        await _req(cloud, "DELETE", _p(cloud, f"/volumes/{v0['id']}"))
        assert f"{i0.name.removesuffix('.deleted')}.deleted" in d.pool.images
        assert i1.parent is not None
        assert i1.parent.protected
        assert rbd_clones_protected(cloud) == []

    simulate(main, config=conf(rbd_max_clone_depth=1))


def test_clone_depth_zero_is_a_full_copy() -> None:
    async def main(cloud: Cloud) -> None:
        v0 = await _volume(cloud)
        cloud.volume_data(v0["id"]).write(0, 8, "x")
        v1 = await _volume(cloud, source_volid=v0["id"], size=2)
        img = _driver(cloud).image(v1["id"])
        assert img.parent is None
        assert img.stored_blocks() == 8
        assert img.size_bytes == 2 * GiB
        assert _driver(cloud).image(v0["id"]).snapshots == []

    simulate(main, config=conf(rbd_max_clone_depth=0))


def test_create_from_image_copies_the_image() -> None:
    async def main(cloud: Cloud) -> None:
        image = next(i for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        vol = await _volume(cloud, imageRef=image.id)
        assert vol["status"] == "available"
        assert vol["bootable"] == "true"
        assert cloud.volume_data(vol["id"]).written() == cloud.glance.image_data(
            image.id).written()

    simulate(main, config=conf())


def test_extend_and_revert_to_snapshot() -> None:
    async def main(cloud: Cloud) -> None:
        vol = await _volume(cloud)
        data = cloud.volume_data(vol["id"])
        data.write(0, 4, "v1")
        snap = (await _req(cloud, "POST", _p(cloud, "/snapshots"),
                           {"snapshot": {"volume_id": vol["id"]}}))["snapshot"]
        data.write(0, 4, "v2")
        r = await cloud.request("POST", _p(cloud, f"/volumes/{vol['id']}/action"),
                                json={"revert": {"snapshot_id": snap["id"]}},
                                token=cloud.token("demo"),
                                headers={"OpenStack-API-Version": "volume 3.40"})
        assert r.status == 202, r.json
        await cloud.settle()
        assert data.same_content(_driver(cloud).snapshot_data(snap["id"]))
        await _req(cloud, "DELETE", _p(cloud, f"/snapshots/{snap['id']}"))
        await _req(cloud, "POST", _p(cloud, f"/volumes/{vol['id']}/action"),
                   {"os-extend": {"new_size": 3}})
        view = (await _req(cloud, "GET", _p(cloud, f"/volumes/{vol['id']}")))["volume"]
        assert (view["status"], view["size"]) == ("available", 3)
        assert _driver(cloud).image(vol["id"]).size_bytes == 3 * GiB

    result = simulate(main, config=conf())
    ops = [e.detail.get("op") for e in result.cloud.trace.events if e.kind == "backend"]
    assert "rbd snap rollback" in ops
    assert "rbd resize" in ops


def test_capacity_is_reported_as_ceph_df_and_without_pools() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        vol = await _volume(cloud, size=10)
        cloud.volume_data(vol["id"]).write(0, 32 * 1024, "x")  # 1 GiB written
        return dict(_driver(cloud).get_volume_stats(refresh=True))

    stats = simulate(main, config=conf(ceph_osds=3, ceph_osd_size_gb=100)).value
    assert "pools" not in stats
    assert stats["storage_protocol"] == "ceph"
    assert stats["thin_provisioning_support"] is True
    # usable: (300 GiB raw * 0.95 - 3 GiB used raw) / 3 replicas = 94 GiB free; total is
    # free + stored (report_dynamic_total_capacity).
    assert stats["free_capacity_gb"] == 94.0
    assert stats["total_capacity_gb"] == 95.0
    assert stats["location_info"].startswith("ceph::")
    assert stats["location_info"].endswith(
        ":cinder:volumes")


def test_attach_through_nova_is_a_network_disk_without_iscsi() -> None:
    async def main(cloud: Cloud) -> tuple[Any, ...]:
        image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        sid = (await _req(cloud, "POST", f"{C}/servers", {"server": {
            "name": "vm", "imageRef": image, "flavorRef": "1"}}))["server"]["id"]
        vol = await _volume(cloud)
        await _req(cloud, "POST", f"{C}/servers/{sid}/os-volume_attachments",
                   {"volumeAttachment": {"volumeId": vol["id"]}})
        view = (await _req(cloud, "GET", _p(cloud, f"/volumes/{vol['id']}")))["volume"]
        att = next(iter(cloud.db.attachments.values()))
        cloud.nova.disk_data(sid, "/dev/vdb").write(0, 5, "guest")
        watchers = list(_driver(cloud).image(vol["id"]).watchers)
        await _req(cloud, "DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vol['id']}")
        after = (await _req(cloud, "GET", _p(cloud, f"/volumes/{vol['id']}")))["volume"]
        return view, att.connection_info, watchers, after, vol["id"]

    result = simulate(main, config=conf(report_discard_supported=True))
    view, info, watchers, after, vid = result.value
    assert view["status"] == "in-use"
    assert view["attachments"][0]["device"] == "/dev/vdb"
    assert info["driver_volume_type"] == "rbd"
    assert info["name"] == f"volumes/volume-{vid}"
    assert info["hosts"] == ["192.168.123.11", "192.168.123.12", "192.168.123.13"]
    assert info["ports"] == ["6789"] * 3
    assert (info["auth_enabled"], info["auth_username"], info["secret_type"],
            info["secret_uuid"], info["cluster_name"]) == (True, "cinder", "ceph", SECRET, "ceph")
    assert info["discard"] is True
    assert "target_iqn" not in info
    assert watchers == ["qemu:compute-1"]
    assert after["status"] == "available"
    assert after["attachments"] == []
    assert result.cloud.volume_data(vid).written() == 5
    ops = {e.detail.get("op") for e in result.cloud.trace.events if e.kind == "backend"}
    assert "iscsiadm --login" not in ops
    assert "tgt-admin --update" not in ops
    assert "rbd network disk" in ops
    assert "rbd open" in ops


def test_secret_uuid_defaults_to_the_cluster_fsid() -> None:
    async def main(cloud: Cloud) -> tuple[str | None, str]:
        d = _driver(cloud)
        return d.secret_uuid, d.cluster.fsid

    secret, fsid = simulate(main, config=conf(rbd_secret_uuid="")).value
    assert secret == fsid


def test_volume_type_selects_the_ceph_backend_beside_lvm() -> None:
    mixed = {"DEFAULT": {"enabled_backends": "lvm,ceph"}, "lvm": {},
             "ceph": {"volume_driver": RBD, "rbd_pool": "volumes"}}

    async def main(cloud: Cloud) -> list[str | None]:
        admin = cloud.token("admin")
        hosts = []
        for name in ("lvm", "ceph"):
            r = await cloud.request("POST", f"/v3/{cloud.project_id('admin')}/types", json={
                "volume_type": {"name": name, "extra_specs": {"volume_backend_name": name}}},
                token=admin)
            assert r.status == 200
        for name in ("ceph", "lvm"):
            vol = await _volume(cloud, volume_type=name)
            hosts.append(cloud.db.volumes[vol["id"]].host)
        return hosts

    assert simulate(main, config=mixed).value == ["cinder-1@ceph#ceph", "cinder-1@lvm#lvm"]


def test_retype_migrates_between_lvm_and_rbd_by_host_assisted_copy() -> None:
    """Generic migration: cinder-volume attaches both volumes to itself -- the LVM one
    over iSCSI, the RBD one with os-brick's RBD connector (librbd) -- and copies."""
    mixed = {"DEFAULT": {"enabled_backends": "lvm,ceph"}, "lvm": {},
             "ceph": {"volume_driver": RBD, "rbd_pool": "volumes"}}

    async def main(cloud: Cloud) -> list[tuple[str | None, str, bool]]:
        admin = cloud.token("admin")
        base = f"/v3/{cloud.project_id('admin')}"
        for name in ("lvm", "ceph"):
            await cloud.request("POST", f"{base}/types", json={"volume_type": {
                "name": name, "extra_specs": {"volume_backend_name": name}}}, token=admin)
        r = await cloud.request("POST", f"{base}/volumes", json={"volume": {
            "size": 1, "volume_type": "lvm"}}, token=admin)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        cloud.volume_data(vid).write(0, 20, "moved")
        want = cloud.volume_data(vid).digest()
        seen = []
        for new_type in ("ceph", "lvm"):
            r = await cloud.request("POST", f"{base}/volumes/{vid}/action", json={
                "os-retype": {"new_type": new_type, "migration_policy": "on-demand"}},
                token=admin)
            assert r.status == 202, r.json
            await cloud.settle()
            vol = cloud.db.volumes[vid]
            seen.append((vol.host, str(vol.migration_status),
                         cloud.volume_data(vid).digest() == want))
        return seen

    result = simulate(main, config=mixed)
    assert result.value == [("cinder-1@ceph#ceph", "success", True),
                            ("cinder-1@lvm#lvm", "success", True)]
    opens = [e for e in result.cloud.trace.events if e.kind == "backend"
             and e.detail.get("op") == "rbd open"]
    assert {e.detail.get("client") for e in opens} == {"cinder-volume:cinder-1@lvm",
                                                       "cinder-volume:cinder-1@ceph"}
