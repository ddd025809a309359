"""cinder-backup reaches the blocks it reads and writes only through its own iSCSI
sessions: get_backup_device/continue_backup, temporary volumes for a snapshot or an
in-use volume, restores, and a stopped cinder-volume (issue 14)."""

from __future__ import annotations

from typing import Any

from cindersim import Cloud, simulate
from cindersim.states import check_trace
from cindersim.testing import content_digest

BIG = {"DEFAULT": {"quota_volumes": 20, "quota_backups": 20, "quota_snapshots": 20}}


async def _volume(cloud: Cloud, tok: str, pid: str, size: int = 1) -> str:
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": size}},
                            token=tok)
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _backup(cloud: Cloud, tok: str, pid: str, vid: str, *, settle: bool = True,
                  **extra: Any) -> str:
    r = await cloud.request("POST", f"/v3/{pid}/backups",
                            json={"backup": {"volume_id": vid, **extra}}, token=tok)
    assert r.status == 202, r.json
    if settle:
        await cloud.settle()
    return str(r.json["backup"]["id"])


async def _restore(cloud: Cloud, tok: str, pid: str, bid: str, *, settle: bool = True,
                   **restore: Any) -> str:
    r = await cloud.request("POST", f"/v3/{pid}/backups/{bid}/restore",
                            json={"restore": restore}, token=tok)
    assert r.status == 202, r.json
    if settle:
        await cloud.settle()
    return str(r.json["restore"]["volume_id"])


def _logins(events: Any, host: str) -> list[str]:
    return [str(e.detail.get("outcome")) for e in events
            if e.kind == "backend" and e.actor == "iscsi-initiator"
            and e.detail.get("host") == host]


def _methods(events: Any, sender: str) -> list[str]:
    return [str(e.detail.get("method")) for e in events
            if e.kind == "bus.send" and e.actor == sender]


def test_backup_of_an_available_volume_reads_through_the_backup_hosts_session() -> None:
    async def main(cloud: Cloud) -> Any:
        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        cloud.volume_data(vid).write(0, 40, "payload")
        digest = content_digest(cloud.volume_data(vid))
        bid = await _backup(cloud, tok, pid, vid)
        backup = cloud.db.backups[bid]
        new_vid = await _restore(cloud, tok, pid, bid)
        return (backup.status, cloud.db.volumes[vid].status,
                cloud.db.volumes[vid].previous_status, digest,
                content_digest(cloud.volume_data(new_vid)), cloud.backup.initiator.sessions(),
                [t.iqn for svc in cloud.volume_services.values()
                 for t in svc.driver.target.targets()])

    res = simulate(main, config=BIG)
    status, vol_status, previous, before, restored, sessions, targets = res.value
    assert (status, vol_status, previous) == ("available", "available", "backing-up")
    assert restored == before
    assert sessions == []
    assert targets == []
    events = res.trace.events
    backup_host = str(cloud_backup_host(res))
    # One login for the backup, one for the restore, each followed by its logout.
    assert _logins(events, backup_host) == ["logged in", "logged out", "logged in",
                                            "logged out"]
    sent = _methods(events, "cinder-backup")
    assert sent[:4] == ["get_backup_device", "initialize_connection",
                        "terminate_connection", "remove_export"]
    assert sent[4:] == ["secure_file_operations_enabled", "initialize_connection",
                        "terminate_connection", "remove_export"]
    volume_sends = [m for e in events if e.kind == "bus.send"
                    and e.actor.startswith("cinder-volume") for m in [e.detail.get("method")]]
    assert "continue_backup" in volume_sends
    assert check_trace(events) == []


def cloud_backup_host(res: Any) -> str:
    hosts = {e.detail.get("host") for e in res.trace.events
             if e.kind == "backend" and e.actor == "iscsi-initiator"}
    assert len(hosts) == 1
    return str(next(iter(hosts)))


def test_backup_of_a_snapshot_reads_a_temporary_volume_made_from_it() -> None:
    async def main(cloud: Cloud) -> Any:
        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        data = cloud.volume_data(vid)
        data.write(0, 30, "at-snapshot-time")
        at_snapshot = content_digest(data)
        r = await cloud.request("POST", f"/v3/{pid}/snapshots",
                                json={"snapshot": {"volume_id": vid}}, token=tok)
        assert r.status == 202, r.json
        await cloud.settle()
        sid = r.json["snapshot"]["id"]
        data.write(0, 60, "after-the-snapshot")
        assert content_digest(data) != at_snapshot
        n_volumes = len(cloud.db.volumes)
        bid = await _backup(cloud, tok, pid, vid, snapshot_id=sid)
        backup = cloud.db.backups[bid]
        new_vid = await _restore(cloud, tok, pid, bid)
        return (backup.status, backup.temp_volume_id, cloud.db.snapshots[sid].status,
                cloud.db.volumes[vid].status, n_volumes, len(cloud.db.volumes),
                at_snapshot, content_digest(cloud.volume_data(new_vid)))

    res = simulate(main, config=BIG)
    status, temp_id, snap_status, vol_status, n_before, n_after, expected, got = res.value
    assert (status, temp_id, snap_status, vol_status) == (
        "available", None, "available", "available")
    assert got == expected  # the snapshot's content, not the volume's later writes
    assert n_after == n_before + 1  # the restored volume; the temporary one is gone
    events = res.trace.events
    temp_births = [e for e in events if e.kind == "status" and e.resource
                   and e.resource.startswith("volume:") and e.detail.get("old") is None
                   and e.detail.get("op") == "backup_create"]
    assert len(temp_births) == 1
    temp = temp_births[0].resource
    temp_path = [(e.detail.get("old"), e.detail.get("new")) for e in events
                 if e.kind == "status" and e.resource == temp]
    assert temp_path == [(None, "creating"), ("creating", "backing-up"), ("backing-up", None)]
    calls = [e.detail.get("call") for e in events if e.kind == "driver"]
    assert "create_volume_from_snapshot" in calls
    assert check_trace(events) == []


def test_backup_of_an_in_use_volume_reads_a_temporary_clone() -> None:
    async def main(cloud: Cloud) -> Any:
        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        cloud.volume_data(vid).write(5, 10, "live")
        r = await cloud.request("POST", f"/v3/{pid}/volumes/{vid}/action", token=tok,
                                json={"os-attach": {"instance_uuid":
                                                    "00000000-0000-4000-8000-000000000001",
                                                    "mountpoint": "/dev/vdb"}})
        assert r.status == 202, r.json
        await cloud.settle()
        bid = await _backup(cloud, tok, pid, vid, force=True)
        new_vid = await _restore(cloud, tok, pid, bid)
        return (cloud.db.backups[bid].status, cloud.db.volumes[vid].status,
                content_digest(cloud.volume_data(vid)),
                content_digest(cloud.volume_data(new_vid)))

    res = simulate(main, config=BIG)
    status, vol_status, live, restored = res.value
    assert (status, vol_status) == ("available", "in-use")
    assert restored == live
    calls = [e.detail.get("call") for e in res.trace.events if e.kind == "driver"]
    assert "create_cloned_volume" in calls
    assert check_trace(res.trace.events) == []


def test_backup_waits_for_a_stopped_cinder_volume_and_finishes_when_it_returns() -> None:
    """get_backup_device is a cast: it waits in the stopped service's queue."""
    async def main(cloud: Cloud) -> Any:
        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        svc = cloud.volume_service_of(vid)
        svc.stop()
        bid = await _backup(cloud, tok, pid, vid, settle=False)
        await cloud.settle(timeout=600)
        waiting = (cloud.db.backups[bid].status, cloud.db.volumes[vid].status)
        svc.start()
        await cloud.settle()
        return waiting, (cloud.db.backups[bid].status, cloud.db.volumes[vid].status)

    res = simulate(main)
    assert res.value == (("creating", "backing-up"), ("available", "available"))
    assert check_trace(res.trace.events) == []


def test_backup_whose_connection_call_times_out_ends_in_error_and_the_volume_returns() -> None:
    """cinder-volume stops between get_backup_device and initialize_connection: the
    call times out (rpc_response_timeout), the backup is 'error', the volume goes back
    to its previous status with previous_status 'error_backing-up'."""
    async def main(cloud: Cloud) -> Any:
        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        svc = cloud.volume_service_of(vid)
        rule = cloud.bus.hold("cinder-backup", method="continue_backup")
        bid = await _backup(cloud, tok, pid, vid, settle=False)
        await cloud.settle(timeout=30)
        svc.stop()
        cloud.bus.release(rule)
        await cloud.settle(timeout=600)
        backup = cloud.db.backups[bid]
        vol = cloud.db.volumes[vid]
        return backup.status, backup.fail_reason, vol.status, vol.previous_status

    res = simulate(main)
    status, reason, vol_status, previous = res.value
    assert (status, vol_status, previous) == ("error", "available", "error_backing-up")
    assert reason is not None
    assert reason.startswith("MessagingTimeout")
    assert any(e.kind == "bus.timeout" for e in res.trace.events)
    assert check_trace(res.trace.events) == []


def test_restore_while_cinder_volume_is_stopped_times_out_to_error_restoring() -> None:
    async def main(cloud: Cloud) -> Any:
        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        bid = await _backup(cloud, tok, pid, vid)
        cloud.volume_service_of(vid).stop()
        await _restore(cloud, tok, pid, bid, settle=False, volume_id=vid)
        await cloud.settle(timeout=600)
        return cloud.db.backups[bid].status, cloud.db.volumes[vid].status

    res = simulate(main)
    assert res.value == ("available", "error_restoring")
    assert any(e.kind == "bus.timeout" and e.detail.get("method") ==
               "secure_file_operations_enabled" for e in res.trace.events)
