"""Swift-lite in process: a backup's objects in its project's account, and Swift's codes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cindersim.cloud import Cloud, simulate


async def _swift(cloud: Cloud, method: str, path: str, tok: str | None,
                 body: bytes | None = None, **headers: str) -> Any:
    hdrs = dict(headers)
    if tok is not None:
        hdrs["X-Auth-Token"] = tok
    return await cloud.swift.handle(method, f"/object-store/v1/{path}", hdrs, body)


async def _backup(cloud: Cloud, user: str) -> str:
    pid, tok = cloud.project_id(user), cloud.token(user)
    vol = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                              token=tok)
    await cloud.settle()
    b = await cloud.request("POST", f"/v3/{pid}/backups", token=tok,
                            json={"backup": {"volume_id": vol.json["volume"]["id"]}})
    await cloud.settle()
    return str(b.json["backup"]["id"])


def test_backup_objects_are_in_the_backups_account() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        bid = await _backup(cloud, "demo")
        demo, alt = cloud.project_id("demo"), cloud.project_id("alt_demo")
        tok, alt_tok = cloud.token("demo"), cloud.token("alt_demo")
        r = {"bid": bid}
        r["account"] = await _swift(cloud, "GET", f"AUTH_{demo}?format=json", tok)
        r["plain"] = await _swift(cloud, "GET", f"AUTH_{demo}", tok)
        r["head"] = await _swift(cloud, "HEAD", f"AUTH_{demo}", tok)
        r["objects"] = await _swift(cloud, "GET", f"AUTH_{demo}/volumebackups?format=json",
                                    tok)
        r["chead"] = await _swift(cloud, "HEAD", f"AUTH_{demo}/volumebackups", tok)
        names = [o["name"] for o in json.loads(r["objects"].encoded())]
        r["names"] = names
        meta = next(n for n in names if n.endswith("_metadata"))
        r["meta"] = await _swift(cloud, "GET", f"AUTH_{demo}/volumebackups/{meta}", tok)
        r["alt_account"] = await _swift(cloud, "GET", f"AUTH_{alt}?format=json", alt_tok)
        r["alt_plain"] = await _swift(cloud, "GET", f"AUTH_{alt}", alt_tok)
        r["cross"] = await _swift(cloud, "GET", f"AUTH_{demo}", alt_tok)
        r["anon"] = await _swift(cloud, "GET", f"AUTH_{demo}", None)
        r["not_empty"] = await _swift(cloud, "DELETE", f"AUTH_{demo}/volumebackups", tok)
        r["missing"] = await _swift(cloud, "GET", f"AUTH_{demo}/nothing", tok)
        r["prefix"] = await _swift(cloud, "GET", f"AUTH_{demo}/volumebackups?format=json"
                                   f"&delimiter=/", tok)
        r["limit"] = await _swift(cloud, "GET", f"AUTH_{demo}/volumebackups?limit=10001", tok)
        return r

    r = simulate(main).value
    account = json.loads(r["account"].encoded())
    assert [c["name"] for c in account] == ["volumebackups"]
    assert account[0]["count"] == len(r["names"]) > 2
    assert r["plain"].encoded() == b"volumebackups\n"
    assert r["plain"].headers["Content-Type"].startswith("text/plain")
    head = r["head"].headers
    assert r["head"].status == 204
    assert (head["X-Account-Container-Count"], head["X-Account-Object-Count"]) == (
        "1", str(account[0]["count"]))
    assert head["X-Account-Bytes-Used"] == str(account[0]["bytes"])
    assert head["X-Trans-Id"].startswith("tx")
    assert r["chead"].headers["X-Container-Object-Count"] == str(len(r["names"]))
    assert all(r["bid"] in n for n in r["names"])
    assert any(n.endswith("_sha256file") for n in r["names"])
    assert any(n.endswith("-00001") for n in r["names"])
    meta = json.loads(r["meta"].encoded())
    assert meta["backup_id"] == r["bid"]
    assert r["meta"].headers["ETag"] == hashlib.md5(
        r["meta"].encoded(), usedforsecurity=False).hexdigest()
    assert (r["alt_account"].status, r["alt_account"].encoded()) == (200, b"[]")
    assert r["alt_plain"].status == 204
    assert (r["cross"].status, r["anon"].status) == (403, 401)
    assert (r["not_empty"].status, r["missing"].status) == (409, 404)
    assert r["not_empty"].encoded().startswith(b"<html><h1>Conflict</h1>")
    assert json.loads(r["prefix"].encoded()) == [{"subdir": "volume_" + r["names"][0].split(
        "/")[0][len("volume_"):] + "/"}]
    assert r["limit"].status == 412


def test_containers_and_objects_through_the_api() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        a = f"AUTH_{pid}"
        r: dict[str, Any] = {}
        r["put_c"] = await _swift(cloud, "PUT", f"{a}/c1", tok)
        r["put_c2"] = await _swift(cloud, "PUT", f"{a}/c1", tok)
        r["put_o"] = await _swift(cloud, "PUT", f"{a}/c1/dir/o.txt", tok, b"hello",
                                  **{"Content-Type": "text/plain"})
        r["get_o"] = await _swift(cloud, "GET", f"{a}/c1/dir/o.txt", tok)
        r["head_o"] = await _swift(cloud, "HEAD", f"{a}/c1/dir/o.txt", tok)
        r["list"] = await _swift(cloud, "GET", f"{a}/c1", tok, Accept="application/json")
        r["no_c"] = await _swift(cloud, "PUT", f"{a}/nope/o", tok, b"x")
        r["long"] = await _swift(cloud, "PUT", f"{a}/{'c' * 257}", tok)
        r["busy"] = await _swift(cloud, "DELETE", f"{a}/c1", tok)
        r["del_o"] = await _swift(cloud, "DELETE", f"{a}/c1/dir/o.txt", tok)
        r["del_o2"] = await _swift(cloud, "DELETE", f"{a}/c1/dir/o.txt", tok)
        r["empty"] = await _swift(cloud, "GET", f"{a}/c1", tok)
        r["del_c"] = await _swift(cloud, "DELETE", f"{a}/c1", tok)
        r["gone"] = await _swift(cloud, "HEAD", f"{a}/c1", tok)
        r["post"] = await _swift(cloud, "POST", f"{a}", tok)
        return r

    r = simulate(main).value
    codes = {k: v.status for k, v in r.items()}
    assert codes == {"put_c": 201, "put_c2": 202, "put_o": 201, "get_o": 200, "head_o": 200,
                     "list": 200, "no_c": 404, "long": 400, "busy": 409, "del_o": 204,
                     "del_o2": 404, "empty": 204, "del_c": 204, "gone": 404, "post": 405}
    etag = hashlib.md5(b"hello", usedforsecurity=False).hexdigest()
    assert r["put_o"].headers["ETag"] == etag
    assert (r["get_o"].encoded(), r["get_o"].headers["Content-Type"]) == (b"hello",
                                                                          "text/plain")
    listed = json.loads(r["list"].encoded())
    assert [(o["name"], o["bytes"], o["hash"]) for o in listed] == [("dir/o.txt", 5, etag)]
    assert r["long"].encoded() == b"Container name length of 257 longer than 256"


def test_a_backup_into_its_own_container_as_tempest_does_with_swift() -> None:
    """``backup_driver = swift`` in Tempest: each backup names a container; the restore
    brings back the volume's metadata the ``_metadata`` object carries; after the
    backup is deleted the empty container stays in the account until Tempest's
    cleanup deletes it (``object_storage.delete_containers``)."""
    async def main(cloud: Cloud) -> dict[str, Any]:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        a = f"AUTH_{pid}"
        vol = await cloud.request("POST", f"/v3/{pid}/volumes", token=tok, json={
            "volume": {"size": 1, "metadata": {"vol-meta1": "value1"}}})
        await cloud.settle()
        b = await cloud.request("POST", f"/v3/{pid}/backups", token=tok, json={"backup": {
            "volume_id": vol.json["volume"]["id"], "container": "tempest-backup-container"}})
        await cloud.settle()
        bid = b.json["backup"]["id"]
        r: dict[str, Any] = {}
        r["show"] = (await cloud.request("GET", f"/v3/{pid}/backups/{bid}", token=tok)).json
        r["account"] = await _swift(cloud, "GET", f"{a}?format=json", tok)
        listing = await _swift(cloud, "GET", f"{a}/tempest-backup-container?format=json", tok)
        names = [o["name"] for o in json.loads(listing.encoded())]
        meta = next(n for n in names if n.endswith("_metadata"))
        r["meta"] = await _swift(cloud, "GET", f"{a}/tempest-backup-container/{meta}", tok)
        await cloud.request("DELETE", f"/v3/{pid}/backups/{bid}", token=tok)
        await cloud.settle()
        r["left"] = await _swift(cloud, "GET",
                                 f"{a}/tempest-backup-container?&limit=9999&format=json", tok)
        r["delete"] = await _swift(cloud, "DELETE", f"{a}/tempest-backup-container", tok)
        r["head"] = await _swift(cloud, "HEAD", f"{a}/tempest-backup-container", tok)
        return r

    r = simulate(main).value
    assert r["show"]["backup"]["container"] == "tempest-backup-container"
    assert [c["name"] for c in json.loads(r["account"].encoded())] == [
        "tempest-backup-container"]
    meta = json.loads(r["meta"].encoded())
    saved = json.loads(meta["volume_meta"])
    assert saved["volume-metadata"] == {"vol-meta1": "value1"}
    assert list(meta) == sorted(meta)  # Cinder writes it with sort_keys=True
    assert (r["left"].status, r["left"].encoded()) == (200, b"[]")
    assert (r["delete"].status, r["head"].status) == (204, 404)
