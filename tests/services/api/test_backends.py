"""Pools, capabilities, zones, extensions, resource filters and the volume/type views,
checked against Tempest's schemas (schemas.py)."""

from __future__ import annotations

from typing import Any

from apitest import bad, create_volume, forbidden, not_found, req, run, schema_errors
from schemas import (
    CAPABILITIES,
    CREATE_ENCRYPTION,
    CREATE_VOLUME,
    CREATE_VOLUME_3_61,
    CREATE_VOLUME_TYPE,
    EXTENSIONS,
    POOLS_DETAIL,
    SHOW_VOLUME,
    SHOW_VOLUME_3_61,
    VOLUME_SUMMARY,
)

from cindersim.cloud import Cloud


def test_pools_capabilities_zones_extensions() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        out = []
        for path, user, version in (
                ("/scheduler-stats/get_pools?detail=true", "admin", None),
                ("/scheduler-stats/get_pools", "admin", None),
                ("/scheduler-stats/get_pools?name=nope", "admin", "3.28"),
                ("/scheduler-stats/get_pools?colour=red", "admin", "3.31"),
                ("/scheduler-stats/get_pools", "demo", None),
                ("/capabilities/cinder-1@lvmdriver-1", "admin", None),
                ("/capabilities/nowhere", "admin", None),
                ("/os-availability-zone", "demo", None),
                ("/extensions", "demo", None),
                ("/resource_filters?resource=pool", "demo", "3.33"),
                ("/resource_filters", "demo", "3.32")):
            r = await req(cloud, "GET", path, user, version=version)
            out.append((r.status, r.json))
        return out

    (detail, names, by_name, bad_filter, member, caps, no_caps, zones, exts, filters,
     old) = run(main)
    assert detail[0] == 200
    assert schema_errors(detail[1], POOLS_DETAIL) == []
    assert detail[1]["pools"][0]["capabilities"]["timestamp"].startswith("2026-")
    assert names == (200, {"pools": [{"name": "cinder-1@lvmdriver-1#lvmdriver-1"}]})
    assert by_name == (200, {"pools": []})
    assert bad_filter == (400, bad("Invalid filters colour are found in query options."))
    assert member == (403, forbidden("scheduler_extension:scheduler_stats:get_pools"))
    assert caps[0] == 200
    assert schema_errors(caps[1], CAPABILITIES) == []
    assert caps[1]["namespace"] == "OS::Storage::Capabilities::cinder-1@lvmdriver-1"
    assert no_caps == (404, not_found("Can't find service: nowhere"))
    assert zones == (200, {"availabilityZoneInfo": [{"zoneName": "nova",
                                                      "zoneState": {"available": True}}]})
    assert schema_errors(exts[1], EXTENSIONS) == []
    assert "os-vol-tenant-attr" in {e["alias"] for e in exts[1]["extensions"]}
    assert filters == (200, {"resource_filters": [{"resource": "pool",
                                                    "filters": ["name", "volume_type"]}]})
    assert old[0] == 404


def test_volume_views_match_tempest() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        made = await req(cloud, "POST", "/volumes", "admin", {"volume": {"size": 1}})
        made61 = await req(cloud, "POST", "/volumes", "admin", {"volume": {"size": 1}},
                           version="3.61")
        vid = made.json["volume"]["id"]
        await cloud.settle()
        shown = await req(cloud, "GET", f"/volumes/{vid}", "admin")
        shown61 = await req(cloud, "GET", f"/volumes/{vid}", "admin", version="3.61")
        updated = await req(cloud, "PUT", f"/volumes/{vid}", "admin",
                            {"volume": {"name": "n"}})
        mine = await create_volume(cloud)
        member = await req(cloud, "GET", f"/volumes/{mine}")
        summary = await req(cloud, "GET", "/volumes/summary", version="3.36")
        vtype = await req(cloud, "POST", "/types", "admin", {"volume_type": {"name": "x"}})
        enc = await req(cloud, "POST", f"/types/{vtype.json['volume_type']['id']}/encryption",
                        "admin", {"encryption": {"provider": "luks",
                                                 "control_location": "front-end"}})
        return [made.json, made61.json, shown.json, shown61.json, updated.json, member.json,
                summary.json, vtype.json, enc.json]

    made, made61, shown, shown61, updated, member, summary, vtype, enc = run(main)
    assert schema_errors(made, CREATE_VOLUME) == []
    assert "migration_status" in made["volume"]  # admins get it in the base view
    assert schema_errors(made61, CREATE_VOLUME_3_61) == []
    assert "cluster_name" in made61["volume"]
    assert schema_errors(shown, SHOW_VOLUME) == []
    assert shown["volume"]["os-vol-host-attr:host"].count("@") == 1
    assert schema_errors(shown61, SHOW_VOLUME_3_61) == []
    assert schema_errors(updated, CREATE_VOLUME) == []
    assert "os-vol-tenant-attr:tenant_id" in member["volume"]
    assert "migration_status" not in member["volume"]
    assert schema_errors(summary, VOLUME_SUMMARY) == []
    assert schema_errors(vtype, CREATE_VOLUME_TYPE) == []
    assert schema_errors(enc, CREATE_ENCRYPTION) == []
