"""``PUT /backups/{id}`` (3.9; metadata from 3.43)."""

from __future__ import annotations

from typing import Any

from helpers_api_b import call, volume

from cindersim.cloud import Cloud, simulate


def test_backup_update() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        r = await call(cloud, "POST", "/backups", {"backup": {"volume_id": vid}})
        await cloud.settle()
        bid = r.json["backup"]["id"]
        out = {
            "v38": await call(cloud, "PUT", f"/backups/{bid}", {"backup": {"name": "n"}},
                              version="3.8"),
            "meta_342": await call(cloud, "PUT", f"/backups/{bid}",
                                   {"backup": {"metadata": {"a": "b"}}}, version="3.42"),
            "ok": await call(cloud, "PUT", f"/backups/{bid}", {"backup": {
                "name": " n ", "description": "d", "metadata": {"a": "b"}}}),
            "other": await call(cloud, "PUT", f"/backups/{bid}", {"backup": {"name": "x"}},
                                user="alt_demo"),
        }
        return bid, out, cloud.db.backups[bid]
    _bid, out, backup = simulate(main).value
    assert out["v38"].status == 404
    assert out["meta_342"].status == 400
    assert out["ok"].status == 200
    assert set(out["ok"].json["backup"]) == {"id", "name", "links"}
    assert backup.display_name == "n"
    assert backup.display_description == "d"
    assert backup.metadata == {"a": "b"}
    assert out["other"].status == 404
