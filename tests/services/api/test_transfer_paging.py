"""Transfer lists against cinder/api/v3/volume_transfer.py: paging from 3.59
(created_at desc, marker, next link), created_at/id ascending before it."""

from __future__ import annotations

import asyncio
from typing import Any

from apitest import UNKNOWN, create_volume, not_found, req, run

from cindersim.cloud import Cloud


async def _transfers(cloud: Cloud) -> list[str]:
    ids = []
    for name in ("t1", "t2", "t3"):
        vid = await create_volume(cloud, "demo")
        await cloud.settle()
        r = await req(cloud, "POST", "/volume-transfers", "demo",
                      {"transfer": {"volume_id": vid, "name": name}})
        assert r.status == 202, r.json
        ids.append(r.json["transfer"]["id"])
        await asyncio.sleep(1)  # distinct created_at
    return ids


def _names(r: Any) -> list[str]:
    return [t["name"] for t in r.json["transfers"]]


def test_paging_from_3_59() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        ids = await _transfers(cloud)
        out: dict[str, Any] = {"ids": ids, "project": cloud.project_id("demo")}
        for key, (sub, version) in {
            "old": ("/volume-transfers", "3.58"),
            "new": ("/volume-transfers", "3.59"),
            "page": ("/volume-transfers?limit=2", "3.59"),
            "asc": ("/volume-transfers?sort=name:asc", "3.59"),
            "contrib": ("/os-volume-transfer", "3.59"),
            "old_limit": ("/volume-transfers?limit=2", "3.58"),
            "bad_marker": (f"/volume-transfers?marker={UNKNOWN}", "3.59"),
            "by_name": ("/volume-transfers/detail?name=t2", "3.59"),
        }.items():
            r = await req(cloud, "GET", sub, "demo", version=version)
            out[key] = (r.status, r.json)
        marker = out["page"][1]["transfers"][-1]["id"]
        r = await req(cloud, "GET", f"/volume-transfers?limit=2&marker={marker}", "demo",
                      version="3.59")
        out["second"] = (r.status, r.json)
        return out

    out = run(main)
    names = {k: [t["name"] for t in v[1]["transfers"]] for k, v in out.items()
             if isinstance(v, tuple) and v[0] == 200}
    assert names["old"] == ["t1", "t2", "t3"]
    assert names["new"] == ["t3", "t2", "t1"]
    assert names["page"] == ["t3", "t2"]
    (link,) = out["page"][1]["transfers_links"]
    assert link["rel"] == "next"
    assert link["href"].startswith(
        f"http://cinder.example:8776/v3/{out['project']}/os-volume-transfer?")
    assert f"marker={out['ids'][1]}" in link["href"]
    assert names["second"] == ["t1"]
    assert names["asc"] == ["t1", "t2", "t3"]
    assert names["contrib"] == ["t1", "t2", "t3"]
    # Below 3.59 'limit' stays among the filters, is no column, and empties the list.
    assert out["old_limit"] == (200, {"transfers": []})
    assert out["bad_marker"] == (404, not_found(f"Transfer {UNKNOWN} could not be found."))
    assert names["by_name"] == ["t2"]
