"""Shared set-up for the tests of the volume actions, manage and backup routes."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud

THICK = {"DEFAULT": {"enabled_backends": "lvm"},
         "lvm": {"host": "cinder-1", "lvm_type": "default", "vg_size_gb": 20}}


def path(cloud: Cloud, user: str, rest: str) -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


def mv(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"volume {version}"}


def msg(r: Any) -> str:
    return str(next(iter(r.json.values()))["message"])


async def call(cloud: Cloud, method: str, rest: str, body: Any = None, *, user: str = "demo",
               version: str = "3.71") -> Any:
    return await cloud.request(method, path(cloud, user, rest), json=body,
                               token=cloud.token(user), headers=mv(version))


async def action(cloud: Cloud, vid: str, body: Any, *, user: str = "demo",
                 version: str = "3.71") -> Any:
    return await call(cloud, "POST", f"/volumes/{vid}/action", body, user=user,
                      version=version)


async def volume(cloud: Cloud, size: int = 1, user: str = "demo", **extra: Any) -> str:
    r = await call(cloud, "POST", "/volumes", {"volume": {"size": size, **extra}}, user=user)
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def snapshot(cloud: Cloud, vid: str, user: str = "demo") -> str:
    r = await call(cloud, "POST", "/snapshots", {"snapshot": {"volume_id": vid}}, user=user)
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["snapshot"]["id"])
