"""Restoring a backup to a new volume that cannot be created: Cinder's 400, volume left."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate


def test_a_restore_whose_new_volume_fails_is_400_and_leaves_the_volume_in_error() -> None:
    config = {"DEFAULT": {"enabled_backends": "thick"},
              "thick": {"host": "cinder-1", "vg_size_gb": 3, "lvm_type": "default"}}

    async def main(cloud: Cloud) -> tuple[Any, list[tuple[str, str]], str]:
        token, pid = cloud.token("demo"), cloud.project_id("demo")
        base = f"/v3/{pid}"
        r = await cloud.request("POST", f"{base}/volumes", json={"volume": {"size": 2}},
                                token=token)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        r = await cloud.request("POST", f"{base}/backups",
                                json={"backup": {"volume_id": vid}}, token=token)
        bid = r.json["backup"]["id"]
        await cloud.settle()
        r = await cloud.request("POST", f"{base}/backups/{bid}/restore",
                                json={"restore": {}}, token=token)
        others = [(v.id, str(v.status)) for v in cloud.db.volumes.values() if v.id != vid]
        return r, others, bid

    r, others, bid = simulate(main, config=config).value
    assert len(others) == 1
    new_id, status = others[0]
    assert status == "error"  # no room for a second 2 GiB volume on a 3 GiB VG
    assert r.status == 400
    assert r.json == {"badRequest": {"code": 400, "message": (
        f"Invalid volume: Error while creating volume {new_id} for restoring backup "
        f"{bid}.")}}
