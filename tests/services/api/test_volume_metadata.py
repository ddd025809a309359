"""/volumes/{id}/metadata against cinder/api/v3/volume_metadata.py and its schema."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from apitest import UNKNOWN, bad, create_volume, forbidden, not_found, req, run

from cindersim.cloud import Cloud


def test_crud_and_etag() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        vid = await create_volume(cloud, metadata={"a": "1"})
        await cloud.settle()
        base = f"/volumes/{vid}/metadata"
        out: list[Any] = []
        r = await req(cloud, "POST", base, json={"metadata": {"b": "2"}})
        out.append((r.status, r.json))
        r = await req(cloud, "PUT", f"{base}/b", json={"meta": {"b": "3"}})
        out.append((r.status, r.json))
        r = await req(cloud, "GET", f"{base}/b")
        out.append((r.status, r.json))
        r = await req(cloud, "GET", base, version="3.15")
        out.append((r.status, r.json, r.headers.get("Etag")))
        stale = await req(cloud, "PUT", base, json={"metadata": {"c": "4"}}, version="3.15",
                          headers={"If-Match": '"0000"'})
        out.append((stale.status, stale.json))
        fresh = await req(cloud, "PUT", base, json={"metadata": {"c": "4"}}, version="3.15",
                          headers={"If-Match": f'"{r.headers.get("Etag")}"'})
        out.append((fresh.status, fresh.json))
        r = await req(cloud, "DELETE", f"{base}/c")
        out.append((r.status, r.json))
        r = await req(cloud, "GET", f"{base}/c")
        out.append((r.status, r.json))
        return [vid, *out]

    vid, *out = run(main)
    tag = hashlib.md5(json.dumps({"metadata": {"a": "1", "b": "3"}}).encode(),
                      usedforsecurity=False).hexdigest()
    assert out == [
        (200, {"metadata": {"a": "1", "b": "2"}}),
        (200, {"meta": {"b": "3"}}),
        (200, {"meta": {"b": "3"}}),
        (200, {"metadata": {"a": "1", "b": "3"}}, tag),
        (412, None),
        (200, {"metadata": {"c": "4"}}),
        (200, None),
        (404, not_found(f"Volume {vid} has no metadata with key c.")),
    ]


def test_no_etag_below_3_15() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await create_volume(cloud)
        return (await req(cloud, "GET", f"/volumes/{vid}/metadata")).headers.get("Etag")

    assert run(main) is None


def test_4xx() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        vid = await create_volume(cloud)
        await cloud.settle()
        base = f"/volumes/{vid}/metadata"
        calls = [
            ("PUT", f"{base}/x", {"meta": {"y": "1"}}, "demo"),
            ("PUT", f"{base}/x", {"meta": {"x": "1", "y": "2"}}, "demo"),
            ("PUT", f"{base}/x", {"meta": {}}, "demo"),
            ("POST", base, {"metadata": {"k": 1}}, "demo"),
            ("POST", base, {"metadata": {"bad*key": "v"}}, "demo"),
            ("POST", base, {"meta": {}}, "demo"),
            ("POST", base, {"metadata": {"k": "v"}}, "alt_demo"),
            ("GET", f"/volumes/{UNKNOWN}/metadata", None, "demo"),
        ]
        out = []
        for method, path, body, user in calls:
            r = await req(cloud, method, path, user, body)
            out.append((r.status, r.json))
        return [vid, *out]

    vid, *out = run(main)
    assert out == [
        (400, bad("Request body and URI mismatch")),
        (400, bad("Invalid input for field/attribute meta. Value: {'x': '1', 'y': '2'}. "
                  "{'x': '1', 'y': '2'} has too many properties")),
        (400, bad("Invalid input for field/attribute meta. Value: {}. {} does not have "
                  "enough properties")),
        (400, bad("Invalid input for field/attribute k. Value: 1. 1 is not of type "
                  "'string'")),
        (400, bad("Invalid input for field/attribute metadata. Value: {'bad*key': 'v'}. "
                  "Additional properties are not allowed ('bad*key' was unexpected)")),
        (400, bad("'metadata' is a required property")),
        (404, not_found(f"Volume {vid} could not be found.")),
        (404, not_found(f"Volume {UNKNOWN} could not be found.")),
    ]


def test_reader_may_read_not_write() -> None:
    async def main(cloud: Cloud) -> Any:
        cloud.identity.create_user("viewer")
        cloud.identity.grant("viewer", "demo", "reader")
        vid = await create_volume(cloud)
        token = cloud.token("viewer", "demo")
        path = f"/v3/{cloud.project_id('demo')}/volumes/{vid}/metadata"
        got = await cloud.request("GET", path, token=token)
        put = await cloud.request("POST", path, json={"metadata": {"a": "b"}}, token=token)
        return got.status, (put.status, put.json)

    assert run(main) == (200, (403, forbidden("volume:create_volume_metadata")))

