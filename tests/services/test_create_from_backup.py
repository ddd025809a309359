"""End-to-end tests of ``POST /volumes`` with ``backup_id`` (3.47)."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate
from cindersim.states import Machine, Op, check_trace, is_legal

V347 = {"OpenStack-API-Version": "volume 3.47"}


def _p(cloud: Cloud, rest: str) -> str:
    return f"/v3/{cloud.project_id('demo')}{rest}"


async def _backup(cloud: Cloud) -> tuple[str, str]:
    tok = cloud.token("demo")
    r = await cloud.request("POST", _p(cloud, "/volumes"), token=tok,
                            json={"volume": {"size": 1}})
    vid = str(r.json["volume"]["id"])
    await cloud.settle()
    cloud.volume_data(vid).write(5, 20, "backed-up")
    r = await cloud.request("POST", _p(cloud, "/backups"), token=tok,
                            json={"backup": {"volume_id": vid}})
    assert r.status == 202, r.json
    await cloud.settle()
    return vid, str(r.json["backup"]["id"])


def test_volume_from_backup_has_the_backup_data() -> None:
    async def main(cloud: Cloud) -> Any:
        vid, bid = await _backup(cloud)
        r = await cloud.request("POST", _p(cloud, "/volumes"), token=cloud.token("demo"),
                                headers=V347, json={"volume": {"backup_id": bid, "size": 2}})
        new = str(r.json["volume"]["id"])
        await cloud.settle()
        vol = cloud.db.volumes[new]
        src = cloud.volume_data(vid)
        dst = cloud.volume_data(new)
        same = all(dst.read(b) == src.read(b) for b in range(src.size_blocks))
        return r.status, vol.status, vol.size, same, cloud.db.backups[bid].status

    res = simulate(main)
    assert res.value == (202, "available", 2, True, "available")
    assert check_trace(res.trace.events) == []


def test_volume_from_backup_refusals_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        _, bid = await _backup(cloud)
        cloud.db.backups[bid].size = 2
        fp = cloud.db.fingerprint()
        r1 = await cloud.request("POST", _p(cloud, "/volumes"), token=cloud.token("demo"),
                                 headers=V347, json={"volume": {"backup_id": bid, "size": 1}})
        alt = f"/v3/{cloud.project_id('alt_demo')}/volumes"
        r2 = await cloud.request("POST", alt, token=cloud.token("alt_demo"),
                                 headers=V347, json={"volume": {"backup_id": bid}})
        return r1.status, r1.json, r2.status, fp == cloud.db.fingerprint()

    s1, body, s2, unchanged = simulate(main).value
    assert s1 == 400
    assert body["badRequest"]["message"] == (
        "Invalid input received: Volume size '1'GB cannot be smaller than the backup size "
        "2GB. It must be >= backup size.")
    assert s2 == 404
    assert unchanged


def test_restore_into_a_new_volume_ends_its_creating() -> None:
    """Cinder's backup manager finishes a volume_is_new restore: creating -> available
    (or error); the edge belongs to backup_restore, not to a plain create."""
    assert is_legal(Machine.VOLUME, "creating", "available", Op.BACKUP_RESTORE)
    assert is_legal(Machine.VOLUME, "creating", "error", Op.BACKUP_RESTORE)
    assert not is_legal(Machine.VOLUME, "creating", "error_restoring", Op.BACKUP_RESTORE)
    assert not is_legal(Machine.VOLUME, "available", "creating", Op.BACKUP_RESTORE)


def test_a_backup_deleted_while_its_new_volume_is_made_fails_that_volume() -> None:
    """The API lets the backup's delete through (it is still 'available' until the
    manager has made the LV); the manager then finds it gone and the new volume
    goes to error, which the user can delete, instead of a crash in cinder-volume."""
    async def main(cloud: Cloud) -> Any:
        _, bid = await _backup(cloud)
        tok = cloud.token("demo")
        r = await cloud.request("POST", _p(cloud, "/volumes"), token=tok, headers=V347,
                                json={"volume": {"backup_id": bid}})
        new = str(r.json["volume"]["id"])
        await cloud.advance(0.05)  # the manager is making the LV
        d = await cloud.request("DELETE", _p(cloud, f"/backups/{bid}"), token=tok)
        await cloud.settle()
        failed = cloud.db.volumes[new].status
        gone = await cloud.request("DELETE", _p(cloud, f"/volumes/{new}"), token=tok)
        await cloud.settle()
        return d.status, failed, bid in cloud.db.backups, gone.status, new in cloud.db.volumes

    res = simulate(main)
    assert res.value == (202, "error", False, 202, False)
    assert [e for e in res.trace.events if e.kind == "bus.error"] == []
    assert check_trace(res.trace.events) == []
