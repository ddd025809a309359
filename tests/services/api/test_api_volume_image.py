"""``os-volume_upload_image``, the image-metadata actions and ``os-reimage``."""

from __future__ import annotations

from typing import Any

from helpers_api_b import action, call, msg, volume

from cindersim.cloud import Cloud, simulate
from cindersim.states import VolumeStatus, check_trace


def test_upload_to_image_end_to_end() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        cloud.volume_data(vid).write(0, 16, "payload")
        r = await action(cloud, vid, {"os-volume_upload_image": {
            "image_name": "img", "disk_format": "qcow2", "visibility": "shared"}})
        mid = str(cloud.db.volumes[vid].status)
        image = cloud.glance.images[r.json["os-volume_upload_image"]["image_id"]]
        queued = image.status
        await cloud.settle()
        return r, mid, queued, image, cloud.volume_data(vid).digest(), cloud, vid
    result = simulate(main)
    r, mid, queued, image, digest, cloud, vid = result.value
    assert r.status == 202
    body = r.json["os-volume_upload_image"]
    assert body["status"] == "uploading"
    assert body["image_name"] == "img"
    assert body["disk_format"] == "qcow2"
    assert body["container_format"] == "bare"
    assert body["visibility"] == "shared"
    assert body["protected"] is False
    assert mid == "uploading"
    assert queued == "queued"
    assert image.status == "active"
    assert image.data is not None
    assert image.data.digest() == digest
    assert str(cloud.db.volumes[vid].status) == "available"
    assert check_trace(result.trace.events) == []


def test_upload_refusals() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        out = {
            "no_name": await action(cloud, vid, {"os-volume_upload_image": {}}),
            "bad_format": await action(cloud, vid, {"os-volume_upload_image": {
                "image_name": "x", "disk_format": "iso"}}),
            "v30_visibility": await action(cloud, vid, {"os-volume_upload_image": {
                "image_name": "x", "visibility": "private"}}, version="3.0"),
            "public_member": await action(cloud, vid, {"os-volume_upload_image": {
                "image_name": "x", "visibility": "public"}}),
            "other": await action(cloud, vid, {"os-volume_upload_image": {
                "image_name": "x"}}, user="alt_demo"),
        }
        cloud.db.volumes[vid].status = VolumeStatus.IN_USE
        out["in_use_force"] = await action(cloud, vid, {"os-volume_upload_image": {
            "image_name": "x", "force": True}})
        return vid, out
    vid, out = simulate(main).value
    assert out["no_name"].status == 400
    assert "'image_name' is a required property" in msg(out["no_name"])
    assert out["bad_format"].status == 400
    assert out["v30_visibility"].status == 400
    assert "Additional properties are not allowed" in msg(out["v30_visibility"])
    assert out["public_member"].status == 403
    assert out["other"].status == 404
    # enable_force_upload is False: force is ignored.
    assert out["in_use_force"].status == 400
    assert msg(out["in_use_force"]) == f"Invalid volume: Volume {vid} status must be available"


def test_image_metadata_set_show_unset() -> None:
    async def main(cloud: Cloud) -> Any:
        image = next(iter(cloud.glance.images.values()))
        vid = await volume(cloud, imageRef=image.id)
        meta = {"image_id": "5137a025-3c5f-43c1-bc64-5f41270040a5", "ramdisk_id": "d"}
        set_r = await action(cloud, vid, {"os-set_image_metadata": {"metadata": meta}})
        show = await action(cloud, vid, {"os-show_image_metadata": {}})
        unset = await action(cloud, vid, {"os-unset_image_metadata": {"key": "ramdisk_id"}})
        missing = await action(cloud, vid, {"os-unset_image_metadata": {"key": "ramdisk_id"}})
        other = await action(cloud, vid, {"os-show_image_metadata": {}}, user="alt_demo")
        bad_key = await action(cloud, vid, {"os-set_image_metadata": {"metadata": {"a!": "b"}}})
        cloud.db.volumes[vid].status = VolumeStatus.MAINTENANCE
        maint = await action(cloud, vid, {"os-set_image_metadata": {"metadata": {"k": "v"}}})
        return vid, set_r, show, unset, missing, other, bad_key, maint, dict(
            cloud.db.volumes[vid].glance_metadata)
    vid, set_r, show, unset, missing, other, bad_key, maint, final = simulate(main).value
    assert set_r.status == 200
    assert set_r.json["metadata"]["ramdisk_id"] == "d"
    assert set_r.json["metadata"]["image_id"] == "5137a025-3c5f-43c1-bc64-5f41270040a5"
    assert show.status == 200
    assert show.json["metadata"] == set_r.json["metadata"]
    assert unset.status == 200
    assert unset.json is None
    assert missing.status == 404
    assert msg(missing) == f"Glance metadata for volume/snapshot {vid} cannot be found."
    assert other.status == 404
    assert bad_key.status == 400
    assert maint.status == 400
    assert msg(maint) == ("Invalid volume: Updating volume metadata is not allowed for volumes "
                          "in maintenance status.")
    assert "ramdisk_id" not in final


def test_reimage_needs_3_68_and_rewrites_the_volume() -> None:
    async def main(cloud: Cloud) -> Any:
        image = next(iter(cloud.glance.images.values()))
        vid = await volume(cloud)
        cloud.volume_data(vid).write(0, 4, "old")
        old = await action(cloud, vid, {"os-reimage": {"image_id": image.id}}, version="3.67")
        missing = await action(cloud, vid, {"os-reimage": {
            "image_id": "5137a025-3c5f-43c1-bc64-5f41270040a5"}})
        r = await action(cloud, vid, {"os-reimage": {"image_id": image.id}})
        mid = str(cloud.db.volumes[vid].status)
        await cloud.settle()
        same = cloud.volume_data(vid).items() == image.data.items()
        return old, missing, r, mid, cloud.db.volumes[vid], same
    old, missing, r, mid, vol, same = simulate(main).value
    assert old.status == 404
    assert missing.status == 404
    assert r.status == 202
    assert mid == "downloading"
    assert str(vol.status) == "available"
    assert vol.glance_metadata["image_id"]
    assert same


def test_show_and_detail_carry_volume_image_metadata() -> None:
    """The volume_image_metadata extension decorates show and detail (Tempest's
    VolumesImageMetadata reads it from show), only for volumes that have some."""
    async def main(cloud: Cloud) -> Any:
        image = next(iter(cloud.glance.images.values()))
        r = await call(cloud, "POST", "/volumes", {"volume": {"size": 1, "imageRef": image.id}})
        await cloud.settle()
        vid = r.json["volume"]["id"]
        plain = await volume(cloud)
        await action(cloud, vid, {"os-set_image_metadata": {"metadata": {"kernel_id": "k"}}})
        show = await call(cloud, "GET", f"/volumes/{vid}")
        show_plain = await call(cloud, "GET", f"/volumes/{plain}")
        listed = await call(cloud, "GET", "/volumes/detail")
        summary = await call(cloud, "GET", "/volumes")
        return image, r, show, show_plain, listed, summary, vid
    image, created, show, show_plain, listed, summary, vid = simulate(main).value
    assert "volume_image_metadata" not in created.json["volume"]
    meta = show.json["volume"]["volume_image_metadata"]
    assert meta["image_id"] == image.id
    assert meta["image_name"] == image.name
    assert meta["kernel_id"] == "k"
    assert "volume_image_metadata" not in show_plain.json["volume"]
    by_id = {v["id"]: v for v in listed.json["volumes"]}
    assert by_id[vid]["volume_image_metadata"] == meta
    assert all("volume_image_metadata" not in v for v in summary.json["volumes"])


def test_image_property_cinder_img_volume_type_picks_the_type() -> None:
    """Without a requested type, the image's ``cinder_img_volume_type`` names it
    (cinder-tempest-plugin test_create_from_image_with_volume_type_image_property);
    a requested type wins, and an unknown name is the type's 404, not the default."""
    async def main(cloud: Cloud) -> Any:
        t = await call(cloud, "POST", "/types", {"volume_type": {"name": "img-type"}},
                       user="admin")
        assert t.status == 200, t.json
        image = min(cloud.glance.images.values(), key=lambda i: i.size or 0)
        image.properties["cinder_img_volume_type"] = "img-type"  # set-up: a property
        by_image = await call(cloud, "POST", "/volumes",
                              {"volume": {"size": 1, "imageRef": image.id}})
        explicit = await call(cloud, "POST", "/volumes", {"volume": {
            "size": 1, "imageRef": image.id, "volume_type": "__DEFAULT__"}})
        image.properties["cinder_img_volume_type"] = "no-such-type"
        unknown = await call(cloud, "POST", "/volumes",
                             {"volume": {"size": 1, "imageRef": image.id}})
        await cloud.settle()
        return by_image, explicit, unknown
    by_image, explicit, unknown = simulate(main).value
    assert by_image.status == 202, by_image.json
    assert by_image.json["volume"]["volume_type"] == "img-type"
    assert explicit.json["volume"]["volume_type"] == "__DEFAULT__"
    assert unknown.status == 404
    assert msg(unknown) == "Volume type with name no-such-type could not be found."
