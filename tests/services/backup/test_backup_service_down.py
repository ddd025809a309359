"""Issue 18's fidelity bug: a backup requested while cinder-backup has been down past
``service_down_time`` was still scheduled to it and completed when it came back.
Cinder's scheduler (``_get_available_backup_service_host``) finds no service that is
up: the backup ends ``error`` with "Service not found for creating backup." and the
volume goes back to its previous status; the returning service does nothing with it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cindersim import Cloud, simulate
from cindersim.states import check_trace


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
