"""Backup create's availability_zone (3.51, BACKUP_AZ): the scheduler looks for a
backup service in the zone asked for, else in the volume's."""

from __future__ import annotations

from typing import Any

from apitest import create_volume, req, run

from cindersim.cloud import Cloud


def test_backup_availability_zone() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        vid = await create_volume(cloud, "demo")
        await cloud.settle()
        out: dict[str, Any] = {}
        for key, (body, version) in {
            "old": ({"volume_id": vid, "availability_zone": "nova"}, "3.50"),
            "here": ({"volume_id": vid, "availability_zone": "nova"}, "3.51"),
            "default": ({"volume_id": vid}, "3.51"),
            "elsewhere": ({"volume_id": vid, "availability_zone": "az-2"}, "3.51"),
        }.items():
            r = await req(cloud, "POST", "/backups", "demo", {"backup": body}, version=version)
            out[key] = (r.status, r.json)
            await cloud.settle()
            if r.status == 202:
                bid = r.json["backup"]["id"]
                shown = (await req(cloud, "GET", f"/backups/{bid}", "demo")).json["backup"]
                out[key + "_row"] = (shown["status"], shown["availability_zone"],
                                     shown["fail_reason"])
        out["volume"] = str(cloud.db.volumes[vid].status)
        return out

    out = run(main)
    assert out["old"][0] == 400
    assert "'availability_zone' was unexpected" in out["old"][1]["badRequest"]["message"]
    assert out["here_row"] == ("available", "nova", None)
    assert out["default_row"] == ("available", "nova", None)
    assert out["elsewhere_row"] == ("error", "az-2", "Service not found for creating backup.")
    assert out["volume"] == "available"
