"""End-to-end tests of ``os-migrate_volume`` (admin): generic migration keeps the data
and the id, the temp target row is gone, refusals change nothing."""

from __future__ import annotations

from typing import Any

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

TWO = {"DEFAULT": {"enabled_backends": "fast,slow"},
       "fast": {"host": "cinder-1", "volume_backend_name": "FAST", "vg_size_gb": 20},
       "slow": {"host": "cinder-2", "volume_backend_name": "SLOW", "vg_size_gb": 20}}


def _p(cloud: Cloud, user: str, rest: str) -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def make_volume(cloud: Cloud, size: int = 1) -> str:
    r = await cloud.request("POST", _p(cloud, "demo", "/volumes"), token=cloud.token("demo"),
                            json={"volume": {"size": size}})
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


def other_backend(cloud: Cloud, vid: str) -> str:
    host = cloud.db.volumes[vid].host or ""
    return "cinder-2@slow" if host.startswith("cinder-1@fast") else "cinder-1@fast"


async def migrate(cloud: Cloud, vid: str, inner: Any, user: str = "admin") -> Any:
    return await cloud.request("POST", _p(cloud, user, f"/volumes/{vid}/action"),
                               token=cloud.token(user), json={"os-migrate_volume": inner})


def test_migrate_moves_volume_and_keeps_data() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await make_volume(cloud, size=2)
        cloud.volume_data(vid).write(10, 100, "guest-data")
        before = cloud.volume_data(vid).copy()
        old = cloud.db.volumes[vid].host or ""
        dest = other_backend(cloud, vid)
        r = await migrate(cloud, vid, {"host": dest, "lock_volume": True})
        locked = cloud.db.volumes[vid].status
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        old_svc = cloud.volume_services[old.split("#")[0]]
        return (r.status, locked, vol.status, vol.migration_status,
                (vol.host or "").startswith(dest + "#"), cloud.volume_data(vid) == before,
                len(cloud.db.volumes), bool(old_svc.vg.lvs(f"volume-{vid}")))

    res = simulate(main, config=TWO)
    assert res.value == (202, "maintenance", "available", "success", True, True, 1, False)
    assert check_trace(res.trace.events) == []
    assert any(e.kind == "status" and str(e.detail.get("new", "")).startswith("target:")
               for e in res.trace.events)


def test_migrate_refusals_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await make_volume(cloud)
        here = (cloud.db.volumes[vid].host or "").split("#")[0]
        fp = cloud.db.fingerprint()
        out = []
        for inner in ({"host": "nowhere@x"}, {"host": here}, {}, {"host": here, "bad": 1}):
            r = await migrate(cloud, vid, inner)
            out.append((r.status, r.json))
        r = await migrate(cloud, vid, {"host": other_backend(cloud, vid)}, user="demo")
        out.append((r.status, None))
        await cloud.settle()
        return out, fp == cloud.db.fingerprint()

    out, unchanged = simulate(main, config=TWO).value
    assert out[0] == (400, {"badRequest": {"code": 400, "message":
                            "Invalid host: No available service named 'nowhere@x'"}})
    assert out[1][0] == 400
    assert out[1][1]["badRequest"]["message"].endswith(
        "destination host/cluster must be different than the current one")
    assert [s for s, _ in out[2:]] == [400, 400, 403]
    assert unchanged


def test_migrate_with_snapshot_refused() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await make_volume(cloud)
        r = await cloud.request("POST", _p(cloud, "demo", "/snapshots"),
                                token=cloud.token("demo"),
                                json={"snapshot": {"volume_id": vid}})
        assert r.status == 202, r.json
        await cloud.settle()
        fp = cloud.db.fingerprint()
        r = await migrate(cloud, vid, {"host": other_backend(cloud, vid)})
        return r.status, r.json, fp == cloud.db.fingerprint(), vid

    status, body, unchanged, vid = simulate(main, config=TWO).value
    assert status == 400
    assert unchanged
    assert body["badRequest"]["message"] == (
        f"Invalid volume: Volume {vid} status must be available or in-use, must not be "
        "migrating, have snapshots, be replicated, be part of a group and destination "
        "host/cluster must be different than the current one")


def test_migrate_destination_create_failure_ends_in_error_and_stays() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await make_volume(cloud, size=2)
        cloud.volume_data(vid).write(0, 4, "x")
        before = cloud.volume_data(vid).copy()
        host = cloud.db.volumes[vid].host
        dest = other_backend(cloud, vid)
        cloud.inject(FaultRule(op="create_volume", backend=dest, times=1))
        r = await migrate(cloud, vid, {"host": dest})
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return r.status, vol.status, vol.migration_status, vol.host == host, \
            cloud.volume_data(vid) == before, len(cloud.db.volumes)

    res = simulate(main, config=TWO)
    assert res.value == (202, "available", "error", True, True, 1)
    assert check_trace(res.trace.events) == []


def test_a_migrated_volume_returns_to_available_after_a_detach() -> None:
    """Issue 18: ``db.volume_detached`` hides the status only while a migration runs;
    once ``migration_status`` is ``success`` the detached volume is ``available``."""
    async def main(cloud: Cloud) -> Any:
        vid = await make_volume(cloud)
        r = await migrate(cloud, vid, {"host": other_backend(cloud, vid)})
        assert r.status == 202
        await cloud.settle()
        migrated = cloud.db.volumes[vid].migration_status
        token = cloud.token("demo")
        server = "00000000-0000-4000-8000-000000000000"
        r = await cloud.request("POST", _p(cloud, "demo", "/attachments"), token=token,
                                json={"attachment": {"volume_uuid": vid,
                                                     "instance_uuid": server}},
                                headers={"OpenStack-API-Version": "volume 3.27"})
        assert r.status == 200, r.json
        aid = r.json["attachment"]["id"]
        reserved = cloud.db.volumes[vid].status
        r = await cloud.request("DELETE", _p(cloud, "demo", f"/attachments/{aid}"), token=token,
                                headers={"OpenStack-API-Version": "volume 3.27"})
        assert r.status == 200, r.json
        await cloud.settle()
        return migrated, reserved, cloud.db.volumes[vid].status

    res = simulate(main, config=TWO)
    assert res.value == ("success", "reserved", "available")
    assert check_trace(res.trace.events) == []


def test_generic_migration_copies_through_two_sessions_and_rpc_only() -> None:
    """Issue 14: the source manager attaches both volumes to its own host (the
    destination's through an initialize_connection RPC), dd's between the two
    sessions, detaches both; the destination renames its LV and counts the volume
    itself."""
    async def main(cloud: Cloud) -> Any:
        vid = await make_volume(cloud, size=1)
        cloud.volume_data(vid).write(3, 50, "moved-through-iscsi")
        before = cloud.volume_data(vid).copy()
        src = cloud.volume_services[(cloud.db.volumes[vid].host or "").split("#")[0]]
        dest_host = other_backend(cloud, vid)
        dest = cloud.volume_services[dest_host]
        dest_allocated = dest.allocated_capacity_gb
        r = await migrate(cloud, vid, {"host": dest_host})
        assert r.status == 202, r.json
        await cloud.settle()
        return (cloud.volume_data(vid) == before, src.initiator.sessions(),
                dest.driver.target.targets(), bool(dest.vg.lvs(f"volume-{vid}")),
                dest.allocated_capacity_gb - dest_allocated, src.host, dest_host)

    res = simulate(main, config=TWO)
    same, sessions, targets, renamed, grew, src_host, dest_host = res.value
    assert same
    assert sessions == []
    assert targets == []
    assert renamed
    assert grew == 1
    events = res.trace.events
    logins = [e.detail.get("outcome") for e in events
              if e.kind == "backend" and e.actor == "iscsi-initiator"
              and e.detail.get("host") == src_host]
    assert logins == ["logged in", "logged in", "logged out", "logged out"]
    to_dest = [e.detail.get("method") for e in events
               if e.kind == "bus.send" and e.actor == f"cinder-volume:{src_host}"
               and (e.target or "").endswith(dest_host)]
    assert to_dest == ["create_migration_target", "initialize_connection",
                       "terminate_connection", "remove_export", "update_migrated_volume"]
    assert check_trace(events) == []
