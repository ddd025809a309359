"""Glance-lite's v2 reads, and Cinder's volume-from-image path (``imageRef``)."""

from __future__ import annotations

from typing import Any

from cindersim.backends.blocks import GiB
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

THICK = {"DEFAULT": {"enabled_backends": "lvm"},
         "lvm": {"host": "cinder-1", "lvm_type": "default", "vg_size_gb": 10}}


def _vpath(cloud: Cloud, rest: str, user: str = "demo") -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


def _image(cloud: Cloud, name: str) -> Any:
    return next(i for i in cloud.glance.images.values() if i.name == name)


async def _create(cloud: Cloud, user: str = "demo", **spec: Any) -> Any:
    return await cloud.request("POST", _vpath(cloud, "/volumes", user), json={"volume": spec},
                               token=cloud.token(user))


def test_glance_lists_and_shows_default_images() -> None:
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        listed = await cloud.request("GET", "/image/v2/images", token=tok)
        cirros = _image(cloud, "cirros-0.6.2")
        shown = await cloud.request("GET", f"/image/v2/images/{cirros.id}", token=tok)
        missing = cloud.sim.ids.uuid()
        gone = await cloud.request("GET", f"/image/v2/images/{missing}", token=tok)
        anon = await cloud.request("GET", "/image/v2/images")
        return listed, shown, missing, gone, anon

    result = simulate(main)
    listed, shown, missing, gone, anon = result.value
    assert listed.status == 200
    # Glance's default order: created_at desc, then id desc (both were made at t=0).
    by_id = sorted(listed.json["images"], key=lambda i: i["id"], reverse=True)
    assert [i["name"] for i in listed.json["images"]] == [i["name"] for i in by_id]
    assert {i["name"] for i in by_id} == {"cirros-0.6.2", "ubuntu-24.04"}
    assert (listed.json["schema"], listed.json["first"]) == ("/v2/schemas/images", "/v2/images")
    doc = shown.json
    assert (doc["status"], doc["visibility"], doc["disk_format"], doc["size"],
            doc["virtual_size"]) == ("active", "public", "qcow2", 21430272, 112 * 1024 * 1024)
    assert doc["self"] == f"/v2/images/{doc['id']}"
    ubuntu = next(i for i in listed.json["images"] if i["name"] == "ubuntu-24.04")
    assert (ubuntu["size"], ubuntu["virtual_size"]) == (2 * GiB, 3 * GiB + 512 * 1024 * 1024)
    assert (gone.status, gone.json) == (404, {"code": "404 Not Found", "title": "Not Found",
                                             "message": f"No image found with ID {missing}"
                                                        "<br /><br />\n\n\n"})
    assert anon.status == 401


def test_image_ids_come_from_the_seed() -> None:
    def ids(seed: int) -> list[str]:
        async def main(cloud: Cloud) -> list[str]:
            return [i.id for i in cloud.glance.images.values()]
        return simulate(main, seed=seed).value

    assert ids(3) == ids(3)
    assert ids(3) != ids(4)


def test_volume_from_image_downloads_copies_and_is_bootable() -> None:
    async def main(cloud: Cloud) -> Any:
        cirros = _image(cloud, "cirros-0.6.2")
        r = await _create(cloud, size=1, imageRef=cirros.id, name="root")
        vid = r.json["volume"]["id"]
        await cloud.settle()
        shown = await cloud.request("GET", _vpath(cloud, f"/volumes/{vid}"),
                                    token=cloud.token("demo"))
        by_name = await _create(cloud, size=1, imageRef="cirros-0.6.2")
        await cloud.settle()
        return cirros, r, vid, shown, cloud.volume_data(vid).items(), by_name

    result = simulate(main, config=THICK)
    cirros, r, vid, shown, data, by_name = result.value
    assert r.status == 202
    assert (r.json["volume"]["status"], r.json["volume"]["bootable"]) == ("creating", "false")
    assert (shown.json["volume"]["status"], shown.json["volume"]["bootable"]) == (
        "available", "true")
    assert data == cirros.data.items()
    assert by_name.status == 202
    events = result.trace.events
    statuses = [e.detail["new"] for e in events if e.kind == "status"
                and e.resource == f"volume:{vid}" and e.detail.get("field") == "status"]
    assert statuses == ["creating", "downloading", "available"]
    (copy,) = [e for e in events if e.kind == "backend" and e.detail.get("op") ==
               "qemu-img convert" and e.detail.get("volume_id") == vid]
    # Charged at copy_bandwidth (300 MiB/s by default) for the image's bytes.
    assert copy.detail["seconds"] == round(21430272 / (300 * 1024 * 1024), 9)
    (spec_send,) = [e for e in events if e.kind == "bus.send" and e.actor == "cinder-api"
                    and e.detail.get("method") == "create_volume"
                    and e.detail["args"]["volume_id"] == vid]
    assert spec_send.detail["args"]["request_spec"].image_id == cirros.id
    assert check_trace(events) == []


def test_volume_from_image_refusals_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        ubuntu = _image(cloud, "ubuntu-24.04")
        before = cloud.db.fingerprint()
        usage = cloud.quota.usage(cloud.project_id("demo"))
        out = {
            "unknown": await _create(cloud, size=1, imageRef=cloud.sim.ids.uuid()),
            "too_small": await _create(cloud, size=1, imageRef=ubuntu.id),
            "two_sources": await _create(cloud, size=3, imageRef=ubuntu.id,
                                         source_volid=cloud.sim.ids.uuid()),
        }
        private = cloud.glance.create("mine", owner=cloud.project_id("alt_demo"))
        out["private_of_other"] = await _create(cloud, size=1, imageRef=private.id)
        return before, cloud.db.fingerprint(), usage, cloud.quota.usage(
            cloud.project_id("demo")), out

    result = simulate(main)
    before, after, usage, usage_after, out = result.value
    assert before == after
    assert usage == usage_after
    invalid = ("Invalid input received: Invalid image identifier or unable to access "
               "requested image.")
    assert (out["unknown"].status, out["unknown"].json) == (400, {"badRequest": {
        "code": 400, "message": invalid}})
    assert (out["private_of_other"].status, out["private_of_other"].json) == (400, {
        "badRequest": {"code": 400, "message": invalid}})
    assert (out["too_small"].status, out["too_small"].json) == (400, {"badRequest": {
        "code": 400, "message": "Invalid input received: Size of specified image 2GB is "
                                "larger than volume size 1GB."}})
    assert out["two_sources"].status == 400


def test_image_whose_virtual_size_does_not_fit_ends_in_error() -> None:
    """ubuntu-24.04 is 2 GiB of file but 3.5 GiB of disk: a 3 GB volume passes the API's
    file-size check and fails the manager's virtual-size check (never rescheduled)."""
    async def main(cloud: Cloud) -> Any:
        r = await _create(cloud, size=3, imageRef=_image(cloud, "ubuntu-24.04").id)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        return vid, cloud.db.volumes[vid]

    result = simulate(main)
    _vid, vol = result.value
    assert (str(vol.status), vol.bootable) == ("error", False)
    errors = [e for e in result.trace.events if e.kind == "driver.error"]
    assert [e.detail["error"] for e in errors] == ["ImageUnacceptable"]
    assert "doesn't fit in a volume of size 3GB" in errors[0].detail["message"]
    assert not [e for e in result.trace.events if e.kind == "reschedule"]
    assert check_trace(result.trace.events) == []
