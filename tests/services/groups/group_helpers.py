"""Helpers of the group tests: a two-backend cloud, requests as a user at a
microversion, and shortcuts that create a group type, a volume type and a group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cindersim.cloud import Cloud, Response, simulate
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]
UNKNOWN = "0c2a3c4e-1111-4222-8333-944455556666"
CONFIG: dict[str, Any] = {
    "DEFAULT": {"enabled_backends": "lvm-1,lvm-2"},
    "lvm-1": {"host": "cinder-1", "volume_backend_name": "lvm-1"},
    "lvm-2": {"host": "cinder-2", "volume_backend_name": "lvm-2"},
}


def run(main: Main, config: dict[str, Any] | None = None) -> Any:
    """Run *main* on a fresh cloud; every status change must be an edge of the table."""
    result = simulate(main, config=config or CONFIG)
    assert check_trace(result.trace.events) == []
    return result.value


async def req(cloud: Cloud, method: str, sub: str, user: str = "demo", json: Any = None,
              version: str | None = "3.64") -> Response:
    headers = {"OpenStack-API-Version": f"volume {version}"} if version else None
    return await cloud.request(method, f"/v3/{cloud.project_id(user)}{sub}", json=json,
                               token=cloud.token(user), headers=headers)


def bad(message: str) -> dict[str, Any]:
    return {"badRequest": {"code": 400, "message": message}}


def not_found(message: str) -> dict[str, Any]:
    return {"itemNotFound": {"code": 404, "message": message}}


def forbidden(action: str) -> dict[str, Any]:
    return {"forbidden": {"code": 403,
                          "message": f"Policy doesn't allow {action} to be performed."}}


async def group_type(cloud: Cloud, name: str = "gt", **extra: Any) -> str:
    r = await req(cloud, "POST", "/group_types", "admin", {"group_type": {"name": name, **extra}})
    assert r.status == 202, r.json
    gid: str = r.json["group_type"]["id"]
    return gid


async def volume_type(cloud: Cloud, name: str = "vt", backend: str | None = None) -> str:
    specs = {"volume_backend_name": backend} if backend else {}
    r = await req(cloud, "POST", "/types", "admin",
                  {"volume_type": {"name": name, "extra_specs": specs}})
    assert r.status == 200, r.json
    tid: str = r.json["volume_type"]["id"]
    return tid


async def group(cloud: Cloud, gtype: str, vtypes: list[str], user: str = "demo",
                name: str = "g", settle: bool = True) -> str:
    r = await req(cloud, "POST", "/groups", user,
                  {"group": {"name": name, "group_type": gtype, "volume_types": vtypes}})
    assert r.status == 202, r.json
    gid: str = r.json["group"]["id"]
    if settle:
        await cloud.settle()
    return gid


async def volume_in(cloud: Cloud, gid: str, vtype: str, user: str = "demo",
                    size: int = 1) -> str:
    r = await req(cloud, "POST", "/volumes", user,
                  {"volume": {"size": size, "volume_type": vtype, "group_id": gid}})
    assert r.status == 202, r.json
    vid: str = r.json["volume"]["id"]
    await cloud.settle()
    return vid


async def setup(cloud: Cloud, user: str = "demo") -> tuple[str, str, str]:
    """A group type, a volume type and an available group of *user*."""
    gt = await group_type(cloud)
    vt = await volume_type(cloud)
    gid = await group(cloud, gt, [vt], user)
    return gt, vt, gid
