"""/default-types (3.62) against cinder/api/v3/default_types.py, and what a project's
default type does to volume create, ``GET /types/default`` and type delete."""

from __future__ import annotations

from typing import Any

from apitest import UNKNOWN, bad, create_volume, req, run

from cindersim.cloud import Cloud

MV = "3.62"
NOT_AUTHORIZED = {"forbidden": {"code": 403, "message": "You are not authorized to perform "
                                                       "this operation."}}


async def _type(cloud: Cloud, name: str) -> str:
    r = await req(cloud, "POST", "/types", "admin", {"volume_type": {"name": name}})
    assert r.status == 200, r.json
    tid: str = r.json["volume_type"]["id"]
    return tid


def test_set_show_list_unset_and_volume_create_uses_it() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        gold = await _type(cloud, "gold")
        demo = cloud.project_id("demo")
        out: dict[str, Any] = {"gold": gold, "demo": demo}
        r = await req(cloud, "PUT", f"/default-types/{demo}", "admin",
                      {"default_type": {"volume_type": "gold"}}, version=MV)
        out["set"] = (r.status, r.json)
        r = await req(cloud, "GET", f"/default-types/{demo}", "admin", version=MV)
        out["show"] = (r.status, r.json)
        r = await req(cloud, "GET", "/default-types", "admin", version=MV)
        out["list"] = (r.status, r.json)
        vid = await create_volume(cloud, "demo")
        out["demo_vol_type"] = (await req(cloud, "GET", f"/volumes/{vid}", "demo")).json[
            "volume"]["volume_type"]
        vid2 = await create_volume(cloud, "alt_demo")
        out["alt_vol_type"] = (await req(cloud, "GET", f"/volumes/{vid2}", "alt_demo")).json[
            "volume"]["volume_type"]
        out["types_default"] = (await req(cloud, "GET", "/types/default", "demo")).json[
            "volume_type"]["name"]
        r = await req(cloud, "DELETE", f"/types/{gold}", "admin")
        out["delete_type"] = (r.status, r.json)
        r = await req(cloud, "DELETE", f"/default-types/{demo}", "admin", version=MV)
        out["unset"] = (r.status, r.json)
        r = await req(cloud, "GET", f"/default-types/{demo}", "admin", version=MV)
        out["after"] = (r.status, r.json)
        out["types_default_after"] = (await req(cloud, "GET", "/types/default", "demo")).json[
            "volume_type"]["name"]
        return out

    out = run(main)
    view = {"project_id": out["demo"], "volume_type_id": out["gold"]}
    assert out["set"] == (200, {"default_type": view})
    assert out["show"] == (200, {"default_type": view})
    assert out["list"] == (200, {"default_types": [view]})
    assert out["demo_vol_type"] == "gold"
    assert out["alt_vol_type"] == "__DEFAULT__"
    assert out["types_default"] == "gold"
    assert out["delete_type"] == (400, bad(f"The volume type {out['gold']} is a default "
                                           "volume type and cannot be deleted."))
    assert out["unset"] == (204, None)
    assert out["after"] == (404, {"itemNotFound": {"code": 404, "message": (
        f"Default type for project {out['demo']} not found.")}})
    assert out["types_default_after"] == "__DEFAULT__"


def test_errors_policy_and_microversion() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        demo = cloud.project_id("demo")
        out: dict[str, Any] = {}
        for name, (method, sub, user, body, version) in {
            "old": ("GET", "/default-types", "admin", None, "3.61"),
            "old_put": ("PUT", f"/default-types/{demo}", "admin",
                        {"default_type": {"volume_type": "__DEFAULT__"}}, "3.61"),
            "member_put": ("PUT", f"/default-types/{demo}", "demo",
                           {"default_type": {"volume_type": "__DEFAULT__"}}, MV),
            "member_list": ("GET", "/default-types", "demo", None, MV),
            "member_show": ("GET", f"/default-types/{demo}", "demo", None, MV),
            "no_project": ("PUT", f"/default-types/{UNKNOWN}", "admin",
                           {"default_type": {"volume_type": "__DEFAULT__"}}, MV),
            "no_type_name": ("PUT", f"/default-types/{demo}", "admin",
                             {"default_type": {"volume_type": "nope"}}, MV),
            "no_type_id": ("PUT", f"/default-types/{demo}", "admin",
                           {"default_type": {"volume_type": UNKNOWN}}, MV),
            "missing": ("PUT", f"/default-types/{demo}", "admin", {"default_type": {}}, MV),
            "extra": ("PUT", f"/default-types/{demo}", "admin",
                      {"default_type": {"volume_type": "x", "y": 1}}, MV),
            "blank": ("PUT", f"/default-types/{demo}", "admin",
                      {"default_type": {"volume_type": "  "}}, MV),
            "unset_unknown_project": ("DELETE", f"/default-types/{UNKNOWN}", "admin", None, MV),
        }.items():
            r = await req(cloud, method, sub, user, body, version=version)
            out[name] = (r.status, r.json)
        out["fingerprint_rows"] = len(cloud.db.volume_types)
        return out

    out = run(main)
    not_found = {"itemNotFound": {"code": 404, "message": "The resource could not be found."}}
    assert out["old"] == (404, not_found)
    assert out["old_put"] == (404, not_found)
    assert out["member_put"] == (403, NOT_AUTHORIZED)
    assert out["member_list"] == (403, NOT_AUTHORIZED)
    assert out["member_show"] == (403, NOT_AUTHORIZED)
    assert out["no_project"] == (404, {"itemNotFound": {
        "code": 404, "message": f"Project with id {UNKNOWN} not found."}})
    assert out["no_type_name"] == (400, bad("Volume type with name nope could not be found."))
    assert out["no_type_id"] == (400, bad(f"Volume type {UNKNOWN} could not be found."))
    assert out["missing"] == (400, bad("Invalid input for field/attribute default_type. "
                                       "Value: {}. 'volume_type' is a required property"))
    assert out["extra"] == (400, bad("Additional properties are not allowed ('y' was "
                                     "unexpected)"))
    assert out["blank"][0] == 400
    assert "can not be empty" in out["blank"][1]["badRequest"]["message"]
    assert out["unset_unknown_project"] == (204, None)
