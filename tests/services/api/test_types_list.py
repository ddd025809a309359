"""GET /types: the extra_specs filter (3.52 for non-admins) and paging through
listing.py (sort, marker, limit, offset, next link), as cinder/api/v3/types.py."""

from __future__ import annotations

from typing import Any

from apitest import UNKNOWN, bad, not_found, req, run

from cindersim.cloud import Cloud


async def _types(cloud: Cloud) -> None:
    for name, specs in (("a", {"multiattach": "<is> True"}),
                        ("b", {"volume_backend_name": "lvm"}),
                        ("c", {"multiattach": "<is> True", "volume_backend_name": "lvm"})):
        r = await req(cloud, "POST", "/types", "admin",
                      {"volume_type": {"name": name, "extra_specs": specs}})
        assert r.status == 200, r.json


def _names(r: Any) -> list[str]:
    return sorted(t["name"] for t in r.json["volume_types"])


def test_extra_specs_filter() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        await _types(cloud)
        out: dict[str, Any] = {}
        multi = "?extra_specs={'multiattach':'<is> True'}"
        backend = "?extra_specs={'volume_backend_name':'lvm'}"
        for name, (query, user, version) in {
            "admin_multi": (multi, "admin", "3.0"),
            "admin_both": ("?extra_specs={'multiattach':'<is> True',"
                           "'volume_backend_name':'lvm'}", "admin", "3.0"),
            "member_old": (multi, "demo", "3.51"),
            "member_new": (multi, "demo", "3.52"),
            "member_sensitive": (backend, "demo", "3.52"),
            "member_bad_filter": ("?colour=red", "demo", "3.52"),
            "member_bad_filter_old": ("?colour=red", "demo", "3.51"),
            "not_a_dict": ("?extra_specs=multiattach", "admin", "3.52"),
        }.items():
            r = await req(cloud, "GET", f"/types{query}", user, version=version)
            out[name] = (r.status, _names(r) if r.status == 200 else r.json)
        return out

    out = run(main)
    assert out["admin_multi"] == (200, ["a", "c"])
    assert out["admin_both"] == (200, ["c"])
    # Below 3.52 a member's filters other than is_public are dropped.
    assert out["member_old"] == (200, ["__DEFAULT__", "a", "b", "c"])
    assert out["member_new"] == (200, ["a", "c"])
    # A spec the member may not read filters everything out.
    assert out["member_sensitive"] == (200, [])
    assert out["member_bad_filter"] == (400, bad("Invalid filters colour are found in query "
                                                 "options."))
    assert out["member_bad_filter_old"][0] == 200
    assert out["not_a_dict"] == (200, [])


def test_paging() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        await _types(cloud)
        out: dict[str, Any] = {}
        r = await req(cloud, "GET", "/types?sort=name:asc&limit=2", "admin")
        out["first"] = (r.status, r.json)
        marker = r.json["volume_types"][-1]["id"]
        r = await req(cloud, "GET", f"/types?sort=name:asc&limit=2&marker={marker}", "admin")
        out["second"] = (r.status, r.json)
        r = await req(cloud, "GET", "/types?sort=name:asc&offset=3", "admin")
        out["offset"] = (r.status, r.json)
        r = await req(cloud, "GET", f"/types?marker={UNKNOWN}", "admin")
        out["bad_marker"] = (r.status, r.json)
        r = await req(cloud, "GET", "/types?sort=colour", "admin")
        out["bad_sort"] = (r.status, r.json)
        out["project"] = cloud.project_id("admin")
        return out

    out = run(main)
    status, body = out["first"]
    assert status == 200
    assert [t["name"] for t in body["volume_types"]] == ["__DEFAULT__", "a"]
    (link,) = body["volume_type_links"]
    assert link["rel"] == "next"
    assert link["href"].startswith(f"http://cinder.example:8776/v3/{out['project']}/types?")
    assert "marker=" in link["href"]
    assert [t["name"] for t in out["second"][1]["volume_types"]] == ["b", "c"]
    assert [t["name"] for t in out["offset"][1]["volume_types"]] == ["c"]
    assert "volume_type_links" not in out["offset"][1]
    assert out["bad_marker"] == (404, not_found(f"Volume type {UNKNOWN} could not be found."))
    assert out["bad_sort"] == (400, bad("Invalid input received: Invalid sort key"))
