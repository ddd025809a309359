"""Backups under faults (issue 18).

A fidelity bug: a backup requested while cinder-backup has been down past
``service_down_time`` was still scheduled to it and completed when it came back.
Cinder's scheduler (``_get_available_backup_service_host``) finds no service that is
up: the backup ends ``error`` with "Service not found for creating backup." and the
volume goes back to its previous status; the returning service does nothing with it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cindersim import Cloud, FaultRule, simulate
from cindersim.states import check_trace
from cindersim.testing.machine import CONNECTOR, V344


@pytest.mark.parametrize(("down_for", "outcome"), [
    (200.0, ("error", "Service not found for creating backup.")),  # past 60 s: down
    (20.0, ("available", None)),  # within service_down_time: still up, queued, done
])
def test_backup_while_cinder_backup_is_down_past_service_down_time(
        down_for: float, outcome: tuple[str, str | None]) -> None:
    async def main(cloud: Cloud) -> Any:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=tok)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        cloud.backup.stop()
        await asyncio.sleep(down_for)
        r = await cloud.request("POST", f"/v3/{pid}/backups", token=tok,
                                json={"backup": {"volume_id": vid}})
        assert r.status == 202, r.json
        bid = r.json["backup"]["id"]
        await asyncio.sleep(30)
        while_down = str(cloud.db.volumes[vid].status)
        cloud.backup.start()
        await cloud.settle()
        backup = cloud.db.backups[bid]
        return (while_down, (str(backup.status), backup.fail_reason),
                str(cloud.db.volumes[vid].status), check_trace(cloud.trace.events))

    while_down, backup, volume, illegal = simulate(main).value
    assert backup == outcome
    assert while_down == ("available" if outcome[0] == "error" else "backing-up")
    assert (volume, illegal) == ("available", [])


def test_a_failed_delete_of_a_backups_temporary_volume_leaves_it_error_deleting() -> None:
    """Found by the deep profile (issue 18): a backup of an in-use volume reads a
    temporary clone created ``backing-up``; cinder-backup deletes it as it is, and when
    the driver's delete fails Cinder's manager (``_clear_db``) writes
    ``error_deleting``.  That edge was missing: cinder-volume crashed with an illegal
    transition and the clone stayed ``backing-up``."""
    async def main(cloud: Cloud) -> Any:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=tok)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        r = await cloud.request("POST", f"/v3/{pid}/attachments", headers=V344, token=tok,
                                json={"attachment": {"volume_uuid": vid, "connector": CONNECTOR,
                                      "instance_uuid": "00000000-0000-4000-8000-000000000001"}})
        aid = r.json["attachment"]["id"]
        await cloud.request("POST", f"/v3/{pid}/attachments/{aid}/action", headers=V344,
                            token=tok, json={"os-complete": {}})
        await cloud.settle()
        host = (cloud.db.volumes[vid].host or "").split("#")[0]
        cloud.inject(FaultRule(op="delete_volume", backend=host))
        r = await cloud.request("POST", f"/v3/{pid}/backups", token=tok,
                                json={"backup": {"volume_id": vid, "force": True}})
        await cloud.settle()
        backup = cloud.db.backups[r.json["backup"]["id"]]
        temp = next(v for v in cloud.db.volumes.values() if v.id != vid)
        crashed = [e.summary for e in cloud.trace.events if e.kind == "bus.error"]
        return (str(backup.status), str(cloud.db.volumes[vid].status), str(temp.status),
                temp.admin_metadata.get("temporary"), crashed,
                check_trace(cloud.trace.events))

    assert simulate(main).value == ("available", "in-use", "error_deleting", "True", [], [])
