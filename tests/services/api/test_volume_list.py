"""Volume lists and summary: cinder/api/v3/volumes.py, cinder/api/common.py filters,
resource_filters.json, the DB layer's filters and pagination."""

from __future__ import annotations

from typing import Any

from apitest import UNKNOWN, bad, create_volume, not_found, req, run

from cindersim.cloud import Cloud


async def three(cloud: Cloud) -> list[str]:
    ids = [await create_volume(cloud, name=n, size=s, metadata={"tier": t})
           for n, s, t in (("alpha", 1, "gold"), ("beta", 2, "gold"), ("Alphabet", 3, "tin"))]
    await cloud.settle()
    return ids


async def names(cloud: Cloud, query: str, user: str = "demo",
                version: str | None = None) -> Any:
    r = await req(cloud, "GET", f"/volumes/detail?{query}", user, version=version)
    if r.status != 200:
        return r.status, r.json
    return sorted(v["name"] for v in r.json["volumes"])


def test_filters() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        await three(cloud)
        return [
            await names(cloud, "all_tenants=1&name~=alpha", "admin", "3.34"),
            await names(cloud, "name~=alpha", "demo", "3.34"),
            await names(cloud, "colour=red", "demo", "3.31"),
            await names(cloud, "colour=red", "demo", "3.30"),
            await names(cloud, "all_tenants=1&size=2", "demo", "3.31"),
            await names(cloud, "metadata={'tier':'gold'}", "demo", "3.31"),
            await names(cloud, "bootable=maybe", "demo", "3.2"),
            await names(cloud, "bootable=false", "demo", "3.2"),
            await names(cloud, "created_at=gt:2025-01-01T00:00:00", "demo", "3.60"),
            await names(cloud, "created_at=lt:2025-01-01T00:00:00", "demo", "3.60"),
            await names(cloud, "created_at=after:2025-01-01T00:00:00", "demo", "3.60"),
            await names(cloud, "created_at=gt:yesterday", "demo", "3.60"),
            await names(cloud, "colour=red", "admin", "3.31"),
        ]

    assert run(main) == [
        ["Alphabet", "alpha"],  # LIKE '%alpha%', case-insensitive
        (400, bad("Invalid filters name~ are found in query options.")),
        (400, bad("Invalid filters colour are found in query options.")),
        ["Alphabet", "alpha", "beta"],  # below 3.31 an unknown filter is dropped
        ["beta"],  # all_tenants is forgiven (cinderclient always sends it)
        ["alpha", "beta"],
        (400, bad("Invalid input received: 'bootable = maybe'")),
        ["Alphabet", "alpha", "beta"],
        ["Alphabet", "alpha", "beta"],
        [],
        (400, bad("Invalid after operator")),
        (400, bad("Invalid yesterday value")),
        [],  # an admin may send any key; one that is no column matches nothing
    ]


def test_paging() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        ids = await three(cloud)
        first = await req(cloud, "GET", "/volumes?limit=2&sort=size:asc")
        second = await req(cloud, "GET", f"/volumes?limit=2&sort=size:asc&marker={ids[1]}")
        offset = await req(cloud, "GET", "/volumes?sort=size:asc&offset=1")
        full = await req(cloud, "GET", "/volumes?limit=3")
        counted = await req(cloud, "GET", "/volumes?limit=2&with_count=true", version="3.45")
        return [ids, first.json, second.json, offset.json, full.json, counted.json]

    ids, first, second, offset, full, counted = run(main)
    assert [v["id"] for v in first["volumes"]] == ids[:2]
    assert first["volumes_links"][0]["rel"] == "next"
    assert first["volumes_links"][0]["href"].endswith(
        f"/volumes?limit=2&sort=size%3Aasc&marker={ids[1]}")
    assert [v["id"] for v in second["volumes"]] == ids[2:]
    assert "volumes_links" not in second  # a page shorter than the limit
    assert [v["id"] for v in offset["volumes"]] == ids[1:]
    # A full page has a next link even when nothing follows (Cinder compares the
    # limit with the page's length).
    assert "volumes_links" in full
    assert counted["count"] == 3


def test_paging_errors() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        await three(cloud)
        out = []
        for query in (f"marker={UNKNOWN}", "sort=colour", "sort=size:up", "offset=-1",
                      "offset=x", "limit=-1"):
            r = await req(cloud, "GET", f"/volumes?{query}")
            out.append((r.status, r.json))
        return out

    assert run(main) == [
        (404, not_found(f"Volume {UNKNOWN} could not be found.")),
        (400, bad("Invalid input received: Invalid sort key")),
        (400, bad("Invalid input received: Unknown sort direction, must be 'desc' or "
                  "'asc'.")),
        (400, bad("offset must be >= 0")),
        (400, bad("offset must be an integer")),
        (400, bad("limit param must be positive")),
    ]


def test_summary() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        await three(cloud)
        await create_volume(cloud, "alt_demo", size=5)
        await cloud.settle()
        out = []
        for user, version, query in (("demo", "3.12", ""), ("demo", "3.36", ""),
                                     ("admin", "3.36", "?all_tenants=1"),
                                     ("demo", "3.11", "")):
            r = await req(cloud, "GET", f"/volumes/summary{query}", user, version=version)
            out.append((r.status, r.json))
        return out

    assert run(main) == [
        (200, {"volume-summary": {"total_count": 3, "total_size": 6}}),
        (200, {"volume-summary": {"total_count": 3, "total_size": 6,
                                  "metadata": {"tier": ["gold", "tin"]}}}),
        (200, {"volume-summary": {"total_count": 4, "total_size": 11,
                                  "metadata": {"tier": ["gold", "tin"]}}}),
        (404, not_found("Volume summary could not be found.")),  # no such route at 3.11
    ]
