"""Glance v2 in process: create, upload, download, patch, delete, list, and the refusals."""

from __future__ import annotations

import hashlib
from typing import Any

from cindersim.backends.blocks import BlockData, blocks_for_bytes
from cindersim.cloud import Cloud, simulate
from cindersim.services.glance.content import hash_stream, synthesized_stream
from cindersim.services.glance.images import DEFAULT_IMAGES

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
RAW = {"Content-Type": "application/octet-stream"}


async def _put_file(cloud: Cloud, image_id: str, data: bytes, tok: str,
                    content_type: str = "application/octet-stream") -> Any:
    return await cloud.glance.handle("PUT", f"/image/v2/images/{image_id}/file", {
        "X-Auth-Token": tok, "Content-Type": content_type, "Accept": "application/json"}, data)


def _qcow2(virtual: int, payload: bytes = b"") -> bytes:
    header = b"QFI\xfb" + (3).to_bytes(4, "big") + bytes(16) + virtual.to_bytes(8, "big")
    return header + bytes(512 - len(header)) + payload


def test_create_upload_download_round_trip() -> None:
    data = bytes(range(256)) * 1000 + bytes(70000)  # a zero tail spanning whole blocks

    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        made = await cloud.request("POST", "/image/v2/images", token=tok, json={
            "name": "mine", "disk_format": "raw", "container_format": "bare",
            "os_distro": "cirros", "tags": ["a", "a", "b"]})
        iid = made.json["id"]
        queued = made.json
        up = await _put_file(cloud, iid, data, tok)
        shown = await cloud.request("GET", f"/image/v2/images/{iid}", token=tok)
        down = await cloud.glance.handle("GET", f"/image/v2/images/{iid}/file",
                                         {"X-Auth-Token": tok})
        again = await _put_file(cloud, iid, data, tok)
        return (made, queued, up, shown.json, down, again, cloud.glance.images[iid],
                cloud.project_id("demo"))

    made, queued, up, shown, down, again, record, demo = simulate(main).value
    assert made.status == 201
    assert made.headers["Location"].endswith(f"/image/v2/images/{queued['id']}")
    assert (queued["status"], queued["visibility"], queued["size"], queued["checksum"],
            queued["os_hash_algo"], queued["tags"]) == ("queued", "shared", None, None, None,
                                                         ["a", "b"])
    assert (queued["owner"], queued["os_distro"]) == (demo, "cirros")
    assert up.status == 204
    assert (shown["status"], shown["size"], shown["virtual_size"]) == (
        "active", len(data), len(data))
    assert shown["checksum"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert (shown["os_hash_algo"], shown["os_hash_value"]) == (
        "sha512", hashlib.sha512(data).hexdigest())
    assert down.status == 200
    assert down.encoded() == data
    assert down.headers["Content-MD5"] == shown["checksum"]
    # Blocks: the zero tail is not written; equal bytes give equal fingerprints.
    assert record.data.written() == blocks_for_bytes(256000)
    assert (again.status, again.body["title"]) == (409, "Conflict")
    assert "transition from active to saving" in again.body["message"]


def test_qcow2_virtual_size_and_format_mismatch() -> None:
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        out = []
        for fmt in ("qcow2", "qcow2"):
            r = await cloud.request("POST", "/image/v2/images", token=tok, json={
                "name": fmt, "disk_format": fmt, "container_format": "bare"})
            out.append(r.json["id"])
        good = await _put_file(cloud, out[0], _qcow2(5 * 2**30, b"x" * 1000), tok)
        bad = await _put_file(cloud, out[1], b"not a qcow2" * 100, tok)
        shown = [(await cloud.request("GET", f"/image/v2/images/{i}", token=tok)).json
                 for i in out]
        return good, bad, shown

    good, bad, (ok, refused) = simulate(main).value
    assert good.status == 204
    assert ok["virtual_size"] == 5 * 2**30
    assert ok["size"] == 512 + 1000
    assert bad.status == 415
    assert "does not match stream data" in bad.body["message"]
    assert refused["status"] == "queued"  # Glance restores the image for a retry


def test_upload_refusals() -> None:
    async def main(cloud: Cloud) -> Any:
        tok, alt = cloud.token("demo"), cloud.token("alt_demo")
        bare = await cloud.request("POST", "/image/v2/images", token=tok, json={"name": "x"})
        iid = bare.json["id"]
        no_format = await _put_file(cloud, iid, b"abc", tok)
        wrong_type = await _put_file(cloud, iid, b"abc", tok, "application/json")
        cirros = cloud.glance.find("cirros-0.6.2", None, admin=True)
        assert cirros is not None
        not_owner = await _put_file(cloud, cirros.id, b"abc", alt)
        hidden = await _put_file(cloud, iid, b"abc", alt)
        empty = await cloud.glance.handle("GET", f"/image/v2/images/{iid}/file",
                                          {"X-Auth-Token": tok})
        return no_format, wrong_type, not_owner, hidden, empty

    no_format, wrong_type, not_owner, hidden, empty = simulate(main).value
    assert no_format.status == 400
    assert no_format.body["message"].startswith(
        "Properties disk_format, container_format must be set prior to saving data.")
    assert wrong_type.status == 415
    assert not_owner.status == 403
    assert hidden.status == 404
    assert empty.status == 204


def test_create_and_patch_validation() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        tok, admin = cloud.token("demo"), cloud.token("admin")
        r: dict[str, Any] = {}

        async def post(body: Any, token: str = tok) -> Any:
            return await cloud.request("POST", "/image/v2/images", json=body, token=token)

        r["status_ro"] = await post({"status": "active"})
        r["self_ro"] = await post({"self": "/x"})
        r["bad_fmt"] = await post({"disk_format": "floppy"})
        r["not_str"] = await post({"color": 3})
        r["reserved"] = await post({"os_glance_x": "1"})
        r["public"] = await post({"visibility": "public"})
        r["public_admin"] = await post({"visibility": "public", "name": "p"}, admin)
        r["not_obj"] = await post([1])
        made = await post({"name": "n", "id": "11111111-2222-3333-4444-555555555555"})
        r["dup"] = await post({"id": "11111111-2222-3333-4444-555555555555"})
        iid = made.json["id"]
        path = f"/image/v2/images/{iid}"

        async def patch(ops: Any, headers: dict[str, str] = PATCH, token: str = tok) -> Any:
            return await cloud.request("PATCH", path, json=ops, token=token, headers=headers)

        r["ok"] = await patch([{"op": "replace", "path": "/name", "value": "renamed"},
                               {"op": "add", "path": "/color", "value": "blue"},
                               {"op": "replace", "path": "/protected", "value": True}])
        r["json_type"] = await patch([], {"Content-Type": "application/json"})
        r["missing"] = await patch([{"op": "replace", "path": "/nope", "value": "x"}])
        r["rm_base"] = await patch([{"op": "remove", "path": "/name"}])
        r["rm_missing"] = await patch([{"op": "remove", "path": "/nope"}])
        r["ro"] = await patch([{"op": "replace", "path": "/size", "value": 1}])
        r["other"] = await patch([], token=cloud.token("alt_demo"))
        r["owner"] = await patch([{"op": "replace", "path": "/owner", "value": "x"}])
        r["protected_delete"] = await cloud.request("DELETE", path, token=tok)
        await patch([{"op": "replace", "path": "/protected", "value": False}])
        r["other_delete"] = await cloud.request("DELETE", path, token=cloud.token("alt_demo"))
        r["delete"] = await cloud.request("DELETE", path, token=tok)
        r["after"] = await cloud.request("GET", path, token=tok)
        r["again"] = await cloud.request("DELETE", path, token=tok)
        return r

    r = simulate(main).value
    codes = {k: v.status for k, v in r.items()}
    assert codes == {
        "status_ro": 403, "self_ro": 403, "bad_fmt": 400, "not_str": 400, "reserved": 403,
        "public": 403, "public_admin": 201, "not_obj": 400, "dup": 409, "ok": 200,
        "json_type": 415, "missing": 409, "rm_base": 403, "rm_missing": 409, "ro": 403,
        "other": 404, "owner": 403, "protected_delete": 403, "other_delete": 404,
        "delete": 204, "after": 404, "again": 404}
    assert (r["ok"].json["name"], r["ok"].json["color"], r["ok"].json["protected"]) == (
        "renamed", "blue", True)
    assert r["json_type"].headers["Accept-Patch"].startswith(
        "application/openstack-images-v2.0-json-patch")
    assert r["status_ro"].json["message"].startswith("Attribute 'status' is read-only.")
    assert r["again"].json["message"].startswith("Failed to find image")


def test_list_filters_sort_and_pages() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        tok = cloud.token("demo")
        for n in range(5):
            await cloud.request("POST", "/image/v2/images", token=tok, json={
                "name": f"img{n}", "disk_format": "raw", "container_format": "bare",
                "tags": ["even"] if n % 2 == 0 else []})
            await cloud.advance(1)
        await cloud.request("POST", "/image/v2/images", token=cloud.token("alt_demo"),
                            json={"name": "theirs"})

        async def get(q: str) -> Any:
            return await cloud.request("GET", f"/image/v2/images{q}", token=tok)

        out = {"all": await get(""), "page1": await get("?limit=2&sort=name:asc")}
        nxt = out["page1"].json["next"]
        out["page2"] = await cloud.request("GET", f"/image{nxt}", token=tok)
        out["tag"] = await get("?tag=even&sort_key=name&sort_dir=asc")
        out["name_in"] = await get("?name=in:img1,img3")
        out["public"] = await get("?visibility=public")
        out["bad_sort"] = await get("?sort=color")
        out["bad_limit"] = await get("?limit=x")
        out["bad_vis"] = await get("?visibility=nobody")
        out["mixed"] = await get("?sort=name&sort_key=name")
        out["bad_marker"] = await get("?marker=nope")
        return out

    out = simulate(main).value
    names = [i["name"] for i in out["all"].json["images"]]
    assert names[:5] == ["img4", "img3", "img2", "img1", "img0"]  # created_at desc
    assert "theirs" not in names
    assert set(names[5:]) == {"cirros-0.6.2", "ubuntu-24.04"}
    page1 = out["page1"].json
    assert [i["name"] for i in page1["images"]] == ["cirros-0.6.2", "img0"]
    assert page1["first"] == "/v2/images?limit=2&sort=name%3Aasc"
    assert [i["name"] for i in out["page2"].json["images"]] == ["img1", "img2"]
    assert [i["name"] for i in out["tag"].json["images"]] == ["img0", "img2", "img4"]
    assert {i["name"] for i in out["name_in"].json["images"]} == {"img1", "img3"}
    assert {i["name"] for i in out["public"].json["images"]} == {"cirros-0.6.2",
                                                                 "ubuntu-24.04"}
    for key in ("bad_sort", "bad_limit", "bad_vis", "mixed", "bad_marker"):
        assert out[key].status == 400, key


def test_versions_schemas_and_unknown_paths() -> None:
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        h = {"X-Auth-Token": tok, "Accept": "application/json", "Host": "h:1"}
        g = cloud.glance.handle
        return (await g("GET", "/image", h), await g("GET", "/image/versions", h),
                await g("GET", "/image/v2/schemas/image", h),
                await g("GET", "/image/v2/nothing", h),
                await g("POST", "/image/v2/images/x", h),
                await g("GET", "/image/v2/images/x", {"X-Auth-Token": tok}),
                await g("GET", "/image/v2/images", {}))

    root, versions, schema, nothing, method, plain, anon = simulate(main).value
    assert root.status == 300
    assert versions.status == 200
    current = [v for v in root.body["versions"] if v["status"] == "CURRENT"]
    assert current == [{"id": "v2.17", "status": "CURRENT",
                        "links": [{"rel": "self", "href": "http://h:1/image/v2/"}]}]
    assert schema.status == 200
    assert schema.body["additionalProperties"] == {"type": "string"}
    assert nothing.status == 404
    assert (method.status, method.headers["Allow"]) == (405, "GET, PATCH, DELETE")
    assert plain.status == 404
    assert plain.headers["Content-Type"].startswith("text/plain")
    assert plain.encoded().startswith(b"404 Not Found\n\nNo image found with ID x")
    assert anon.status == 401
    assert anon.body["error"]["code"] == 401


def test_default_image_hashes_are_those_of_their_files() -> None:
    """The constants are the hashes of the synthesized files (cirros and ubuntu)."""
    for name, size, virtual, _min_disk, hashes in DEFAULT_IMAGES:
        data = BlockData(blocks_for_bytes(virtual))
        data.write(0, blocks_for_bytes(size), f"image:{name}")
        assert hash_stream(synthesized_stream(data, size)) == hashes, name


def test_nova_snapshot_hashes_are_computed_once_from_its_file() -> None:
    async def main(cloud: Cloud) -> Any:
        glance = cloud.glance
        image = glance.create("snap", owner=cloud.project_id("demo"))
        data = BlockData(64)
        data.write(3, 2, "guest")
        glance.upload(image.id, data)
        before = image.hashes
        first = image.view()
        cached = image.hashes
        return before, first, cached, b"".join(image.stream())

    before, first, cached, stream = simulate(main).value
    assert before is None  # nothing paid on the simulation's path
    assert first["checksum"] == hashlib.md5(stream, usedforsecurity=False).hexdigest()
    assert cached is not None
    assert cached.checksum == first["checksum"]
