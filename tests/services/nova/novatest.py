"""Helpers of the Nova tests: a server with a volume attached, requests as a user."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, Response

C = "/compute/v2.1"


def vpath(cloud: Cloud, rest: str, user: str = "demo") -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def nova(cloud: Cloud, method: str, rest: str, *, user: str = "demo",
               version: str | None = None, json: Any = None) -> Response:
    """A request to nova-api as *user* (at *version*, else no microversion: 2.1)."""
    headers = {} if version is None else {"OpenStack-API-Version": f"compute {version}"}
    return await cloud.request(method, f"{C}{rest}", json=json, token=cloud.token(user),
                               headers=headers)


async def server_with_volume(cloud: Cloud, size: int = 1) -> tuple[str, str]:
    """A booted server of ``demo`` with a volume of *size* GB attached (settled)."""
    image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
    token = cloud.token("demo")
    r = await cloud.request("POST", f"{C}/servers", json={"server": {
        "name": "vm1", "imageRef": image, "flavorRef": "1"}}, token=token)
    assert r.status == 202, r.json
    sid = str(r.json["server"]["id"])
    r = await cloud.request("POST", vpath(cloud, "/volumes"), json={"volume": {"size": size}},
                            token=token)
    assert r.status == 202, r.json
    vid = str(r.json["volume"]["id"])
    await cloud.settle()
    r = await cloud.request("POST", f"{C}/servers/{sid}/os-volume_attachments",
                            json={"volumeAttachment": {"volumeId": vid}}, token=token)
    assert r.status == 200, r.json
    await cloud.settle()
    return sid, vid


async def extend(cloud: Cloud, vid: str, new_size: int) -> None:
    """``os-extend`` of an in-use volume (3.42), settled."""
    r = await cloud.request("POST", vpath(cloud, f"/volumes/{vid}/action"),
                            json={"os-extend": {"new_size": new_size}},
                            token=cloud.token("demo"),
                            headers={"OpenStack-API-Version": "volume 3.42"})
    assert r.status == 202, r.json
    await cloud.settle()
