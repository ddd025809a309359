"""The four boot sources of seed 001 (image, instance snapshot, volume, volume snapshot),
image -> volume, and what survives a server's deletion."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

C = "/compute/v2.1"


def _vpath(cloud: Cloud, rest: str, user: str = "demo") -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


def _image_id(cloud: Cloud, name: str = "cirros-0.6.2") -> str:
    return next(i.id for i in cloud.glance.images.values() if i.name == name)


async def _boot(cloud: Cloud, *, user: str = "demo", settle: bool = True,
                **server: Any) -> Any:
    body = {"name": "vm", "flavorRef": "1", **server}
    r = await cloud.request("POST", f"{C}/servers", json={"server": body},
                            token=cloud.token(user))
    if settle:
        await cloud.settle()
    return r


async def _show(cloud: Cloud, sid: str, user: str = "demo") -> Any:
    return await cloud.request("GET", f"{C}/servers/{sid}", token=cloud.token(user))


async def _volume(cloud: Cloud, **spec: Any) -> str:
    r = await cloud.request("POST", _vpath(cloud, "/volumes"), json={"volume": {
        "size": 1, **spec}}, token=cloud.token("demo"))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _volume_view(cloud: Cloud, vid: str) -> dict[str, Any]:
    r = await cloud.request("GET", _vpath(cloud, f"/volumes/{vid}"), token=cloud.token("demo"))
    assert r.status == 200, r.json
    view: dict[str, Any] = r.json["volume"]
    return view


async def _delete(cloud: Cloud, sid: str) -> Any:
    r = await cloud.request("DELETE", f"{C}/servers/{sid}", token=cloud.token("demo"))
    await cloud.settle()
    return r


def test_boot_from_image_ephemeral_disk_gone_with_the_server() -> None:
    async def main(cloud: Cloud) -> Any:
        image = _image_id(cloud)
        r = await _boot(cloud, imageRef=image)
        sid = r.json["server"]["id"]
        shown = await _show(cloud, sid)
        compute = cloud.nova.computes["compute-1"]
        disks = list(compute.driver.local_disks)
        root = cloud.nova.disk_data(sid, "/dev/vda")
        same_as_image = root.items() == cloud.glance.image_data(image).items()
        cloud.nova.guest_write(sid, "/dev/vda", 5000, 2, "scratch")
        d = await _delete(cloud, sid)
        gone = await _show(cloud, sid)
        return image, sid, r, shown, disks, same_as_image, d, gone, list(
            compute.driver.local_disks), list(compute.driver.domains)

    result = simulate(main)
    image, sid, r, shown, disks, same_as_image, d, gone, disks_after, domains = result.value
    assert r.status == 202
    assert set(r.json["server"]) == {"id", "links", "OS-DCF:diskConfig", "security_groups",
                                     "adminPass"}
    server = shown.json["server"]
    assert (server["status"], server["OS-EXT-STS:vm_state"], server["image"]["id"]) == (
        "ACTIVE", "active", image)
    assert server["os-extended-volumes:volumes_attached"] == []
    assert disks == [f"/var/lib/nova/instances/{sid}/disk"]
    assert same_as_image
    assert d.status == 204
    assert (gone.status, gone.json) == (404, {"itemNotFound": {
        "code": 404, "message": f"Instance {sid} could not be found."}})
    assert disks_after == []
    assert domains == []
    assert result.cloud.db.volumes == {}  # no Cinder volume was ever involved
    assert check_trace(result.trace.events) == []


def test_boot_from_volume_write_delete_server_volume_survives_with_data() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, imageRef=_image_id(cloud))
        r = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "volume", "destination_type": "volume", "uuid": vid,
            "boot_index": 0, "delete_on_termination": False}])
        sid = r.json["server"]["id"]
        shown = await _show(cloud, sid)
        in_use = await _volume_view(cloud, vid)
        cloud.nova.guest_write(sid, "/dev/vda", 100, 3, "os-install")
        written = cloud.volume_data(vid).items()
        d = await _delete(cloud, sid)
        return vid, sid, shown, in_use, written, d, await _volume_view(cloud, vid)

    result = simulate(main)
    vid, sid, shown, in_use, written, d, after = result.value
    server = shown.json["server"]
    assert (server["status"], server["image"]) == ("ACTIVE", "")
    assert server["os-extended-volumes:volumes_attached"] == [{"id": vid}]
    assert in_use["status"] == "in-use"
    assert [(a["server_id"], a["device"]) for a in in_use["attachments"]] == [(sid, "/dev/vda")]
    assert {100, 101, 102} <= {i for i, _ in written}
    assert d.status == 204
    assert (after["status"], after["attachments"], after["bootable"]) == (
        "available", [], "true")
    cloud = result.cloud
    assert cloud.volume_data(vid).items() == written
    assert cloud.nova.computes["compute-1"].initiator.sessions() == []
    assert cloud.volume_service_of(vid).driver.target.target_for(vid) is None
    assert check_trace(result.trace.events) == []


def test_boot_from_non_bootable_volume_is_400_and_changes_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        before = cloud.db.fingerprint()
        r = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "volume", "destination_type": "volume", "uuid": vid,
            "boot_index": 0}])
        missing = cloud.sim.ids.uuid()
        r2 = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "volume", "destination_type": "volume", "uuid": missing,
            "boot_index": 0}])
        r3 = await _boot(cloud, imageRef=missing)
        return vid, missing, before, cloud.db.fingerprint(), r, r2, r3, dict(
            cloud.nova.instances)

    result = simulate(main)
    vid, missing, before, after, r, r2, r3, instances = result.value
    assert (r.status, r.json) == (400, {"badRequest": {
        "code": 400, "message": f"Block Device {vid} is not bootable."}})
    assert (r2.status, r2.json) == (400, {"badRequest": {
        "code": 400, "message": f"Block Device Mapping is Invalid: failed to get volume "
                                f"{missing}."}})
    assert (r3.status, r3.json) == (400, {"badRequest": {
        "code": 400, "message": f"Image {missing} could not be found."}})
    assert before == after
    assert instances == {}


def test_boot_from_in_use_volume_surfaces_cinder_reserve_error() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, imageRef=_image_id(cloud))
        bfv = [{"source_type": "volume", "destination_type": "volume", "uuid": vid,
                "boot_index": 0}]
        first = await _boot(cloud, block_device_mapping_v2=bfv)
        before = cloud.db.fingerprint()
        second = await _boot(cloud, block_device_mapping_v2=bfv)
        return vid, first, second, before, cloud.db.fingerprint(), len(cloud.nova.instances)

    result = simulate(main)
    vid, first, second, before, after, count = result.value
    assert first.status == 202
    assert (second.status, second.json) == (400, {"badRequest": {"code": 400, "message": (
        f"Invalid input received: Invalid volume: Volume {vid} status must be available or "
        "downloading to reserve, but the current status is in-use. (HTTP 400)")}})
    assert before == after
    assert count == 1


def test_boot_from_volume_snapshot_creates_a_volume_and_waits() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, imageRef=_image_id(cloud))
        cloud.volume_data(src).write(200, 2, "golden")
        r = await cloud.request("POST", _vpath(cloud, "/snapshots"), json={"snapshot": {
            "volume_id": src}}, token=cloud.token("demo"))
        snap = r.json["snapshot"]["id"]
        await cloud.settle()
        r = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "snapshot", "destination_type": "volume", "uuid": snap,
            "boot_index": 0, "delete_on_termination": True}])
        sid = r.json["server"]["id"]
        shown = await _show(cloud, sid)
        (new_vid,) = [v["id"] for v in shown.json["server"][
            "os-extended-volumes:volumes_attached"]]
        new = await _volume_view(cloud, new_vid)
        same = cloud.volume_data(new_vid).items() == cloud.snapshot_data(snap).items()
        root = cloud.nova.guest_read(sid, "/dev/vda", 200)
        d = await _delete(cloud, sid)
        return src, snap, sid, shown, new_vid, new, same, root, d, new_vid in cloud.db.volumes

    result = simulate(main)
    src, snap, _sid, shown, new_vid, new, same, root, d, still_there = result.value
    assert shown.json["server"]["status"] == "ACTIVE"
    assert new_vid != src
    assert (new["status"], new["snapshot_id"]) == ("in-use", snap)
    assert same
    assert root != 0
    assert d.status == 204
    assert not still_there  # delete_on_termination: Nova deleted the volume it made
    events = result.trace.events
    creates = [e for e in events if e.kind == "api.request"
               and e.actor == "nova-compute:compute-1" and e.summary.endswith("/volumes")]
    assert len(creates) == 1  # the compute host asked Cinder for the volume
    assert check_trace(events) == []


def test_image_to_volume_boot_makes_a_bootable_volume() -> None:
    async def main(cloud: Cloud) -> Any:
        image = _image_id(cloud)
        r = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "image", "destination_type": "volume", "uuid": image,
            "volume_size": 1, "boot_index": 0}])
        sid = r.json["server"]["id"]
        shown = await _show(cloud, sid)
        (vid,) = [v["id"] for v in shown.json["server"]["os-extended-volumes:volumes_attached"]]
        view = await _volume_view(cloud, vid)
        same = cloud.volume_data(vid).items() == cloud.glance.image_data(image).items()
        too_small = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "image", "destination_type": "volume",
            "uuid": _image_id(cloud, "ubuntu-24.04"), "volume_size": 1, "boot_index": 0}])
        no_size = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "image", "destination_type": "volume", "uuid": image,
            "boot_index": 0}])
        return vid, shown, view, same, too_small, no_size

    result = simulate(main)
    vid, shown, view, same, too_small, no_size = result.value
    assert shown.json["server"]["status"] == "ACTIVE"
    assert shown.json["server"]["image"] == ""
    assert (view["status"], view["bootable"]) == ("in-use", "true")
    assert same
    statuses = [e.detail.get("new") for e in result.trace.events
                if e.kind == "status" and e.resource == f"volume:{vid}"
                and e.detail.get("field") == "status"]
    assert statuses[:3] == ["creating", "downloading", "available"]
    assert (too_small.status, too_small.json) == (400, {"badRequest": {"code": 400, "message": (
        "Volume is smaller than the minimum size specified in image metadata. Volume size is "
        "1073741824 bytes, minimum size is 2147483648 bytes.")}})
    assert (no_size.status, no_size.json) == (400, {"badRequest": {"code": 400, "message": (
        "Block Device Mapping is Invalid: Images with destination_type 'volume' need to "
        "have a non-zero size specified")}})
    assert check_trace(result.trace.events) == []


def test_instance_snapshot_boots_a_copy_of_the_root_disk() -> None:
    async def main(cloud: Cloud) -> Any:
        r = await _boot(cloud, imageRef=_image_id(cloud))
        sid = r.json["server"]["id"]
        cloud.nova.guest_write(sid, "/dev/vda", 7000, 5, "configured")
        snap = await cloud.request("POST", f"{C}/servers/{sid}/action", json={"createImage": {
            "name": "golden"}}, token=cloud.token("demo"),
            headers={"OpenStack-API-Version": "compute 2.45"})
        during = await _show(cloud, sid)
        await cloud.settle()
        image_id = snap.json["image_id"]
        mine = await cloud.request("GET", f"/image/v2/images/{image_id}",
                                   token=cloud.token("demo"))
        theirs = await cloud.request("GET", f"/image/v2/images/{image_id}",
                                     token=cloud.token("alt_demo"))
        r2 = await _boot(cloud, imageRef=image_id)
        sid2 = r2.json["server"]["id"]
        copy = cloud.nova.disk_data(sid2, "/dev/vda").items()
        orig = cloud.nova.disk_data(sid, "/dev/vda").items()
        return sid, snap, during, mine, theirs, copy, orig

    result = simulate(main)
    sid, snap, during, mine, theirs, copy, orig = result.value
    assert snap.status == 202
    assert during.json["server"]["OS-EXT-STS:task_state"] in (
        "image_snapshot", "image_pending_upload", "image_uploading")
    tasks = [e.detail["task_state"] for e in result.trace.events
             if e.kind == "nova.state" and e.resource == f"server:{sid}"]
    assert tasks[-4:] == ["image_snapshot", "image_pending_upload", "image_uploading", None]
    assert mine.status == 200
    doc = mine.json
    assert (doc["status"], doc["visibility"], doc["image_type"], doc["instance_uuid"],
            doc["min_disk"]) == ("active", "private", "snapshot", sid, 1)
    assert theirs.status == 404
    assert theirs.json["message"] == (f"No image found with ID {doc['id']}"
                                      "<br /><br />\n\n\n")  # webob's JSON error body
    assert copy == orig
    assert {7000, 7004} <= {i for i, _ in copy}
    assert check_trace(result.trace.events) == []


def test_snapshot_of_a_volume_backed_server_boots_from_cinder_snapshots() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, imageRef=_image_id(cloud))
        r = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "volume", "destination_type": "volume", "uuid": vid,
            "boot_index": 0}])
        sid = r.json["server"]["id"]
        cloud.nova.guest_write(sid, "/dev/vda", 900, 1, "state")
        snap = await cloud.request("POST", f"{C}/servers/{sid}/action", json={"createImage": {
            "name": "bfv-snap"}}, token=cloud.token("demo"))
        await cloud.settle()
        image_id = snap.headers["Location"].rsplit("/", 1)[-1]
        image = cloud.glance.images[image_id]
        r2 = await _boot(cloud, imageRef=image_id)
        sid2 = r2.json["server"]["id"]
        shown = await _show(cloud, sid2)
        return vid, snap, image, shown, cloud.nova.guest_read(sid2, "/dev/vda", 900), \
            cloud.nova.guest_read(sid, "/dev/vda", 900)

    result = simulate(main)
    vid, snap, image, shown, copied, orig = result.value
    assert (snap.status, snap.json) == (202, None)  # before 2.45: a Location header only
    assert (image.status, image.size) == ("active", 0)
    (mapping,) = image.properties["block_device_mapping"]
    assert (mapping["source_type"], mapping["boot_index"]) == ("snapshot", 0)
    snap_row = result.cloud.db.snapshots[mapping["snapshot_id"]]
    assert snap_row.volume_id == vid
    server = shown.json["server"]
    assert server["status"] == "ACTIVE"
    (new,) = server["os-extended-volumes:volumes_attached"]
    assert new["id"] != vid
    assert copied == orig != 0
    assert check_trace(result.trace.events) == []


def test_failed_build_goes_to_error_with_a_fault() -> None:
    """A snapshot-sourced volume that Cinder cannot create: the server ends ERROR."""
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=1)
        r = await cloud.request("POST", _vpath(cloud, "/snapshots"), json={"snapshot": {
            "volume_id": vid}}, token=cloud.token("demo"))
        snap = r.json["snapshot"]["id"]
        await cloud.settle()
        # The snapshot is deleted between the API's check and the compute's create.
        r = await _boot(cloud, settle=False, block_device_mapping_v2=[{
            "source_type": "snapshot", "destination_type": "volume", "uuid": snap,
            "boot_index": 0}])
        await cloud.request("DELETE", _vpath(cloud, f"/snapshots/{snap}"),
                            token=cloud.token("demo"))
        await cloud.settle()
        return await _show(cloud, r.json["server"]["id"])

    result = simulate(main)
    server = result.value.json["server"]
    assert server["status"] == "ERROR"
    assert server["fault"]["message"].startswith(f"Build of instance {server['id']} aborted: ")
    assert check_trace(result.trace.events) == []


def test_nova_flows_replay_byte_identically() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await _volume(cloud, imageRef=_image_id(cloud))
        r = await _boot(cloud, block_device_mapping_v2=[{
            "source_type": "volume", "destination_type": "volume", "uuid": vid,
            "boot_index": 0}])
        cloud.nova.guest_write(r.json["server"]["id"], "/dev/vda", 0, 4, "x")
        await _delete(cloud, r.json["server"]["id"])

    digests = {simulate(main, seed=11).trace.digest() for _ in range(2)}
    assert len(digests) == 1
    assert simulate(main, seed=12).trace.digest() not in digests
