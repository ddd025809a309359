"""Clones (``source_volid``) and volumes from snapshots (``snapshot_id``), end to end.

Cinder since Queens sends both through the scheduler pinned to the source's
backend (``resource_backend``), so they land there even when another backend
would win the weighing, and fail with NoValidBackend when the source's backend
is full.  The new volume holds the source's (or the snapshot's) data.
"""

from __future__ import annotations

from typing import Any

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, simulate
from cindersim.states import Op, VolumeStatus, check_trace

# a (50 GiB) wins an empty weighing over b (45 GiB); a 10 GiB source on a leaves
# a with 40 free, so afterwards an unpinned create goes to b.  (A thick clone also
# needs room for a temporary COW snapshot of the source, which the scheduler does
# not count: the sizes below leave space for it.)
TWO = {"DEFAULT": {"enabled_backends": "a,b"},
       "a": {"host": "h1", "lvm_type": "default", "vg_size_gb": 50,
             "target_ip_address": "10.0.0.1"},
       "b": {"host": "h2", "lvm_type": "default", "vg_size_gb": 45,
             "target_ip_address": "10.0.0.2"}}


def _path(cloud: Cloud, user: str, rest: str) -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def _create(cloud: Cloud, body: dict[str, Any], user: str = "demo") -> Any:
    return await cloud.request("POST", _path(cloud, user, "/volumes"), json={"volume": body},
                               token=cloud.token(user))


async def _volume(cloud: Cloud, size: int, user: str = "demo") -> str:
    r = await _create(cloud, {"size": size}, user)
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _snapshot(cloud: Cloud, vid: str, user: str = "demo") -> str:
    r = await cloud.request("POST", _path(cloud, user, "/snapshots"),
                            json={"snapshot": {"volume_id": vid}}, token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["snapshot"]["id"])


def _data(cloud: Cloud, vid: str) -> Any:
    vol = cloud.db.volumes[vid]
    host = (vol.host or "").split("#")[0]
    return cloud.volume_services[host].driver.volume_data(vid)


def _usage(cloud: Cloud, user: str = "demo") -> dict[str, dict[str, int]]:
    return cloud.quota.usage(cloud.project_id(user))


def test_clone_is_pinned_to_source_backend_and_copies_data() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 10)
        _data(cloud, src).write(0, 64, "guest-data")
        plain = await _volume(cloud, 1)
        r = await _create(cloud, {"source_volid": src, "size": 12})
        await cloud.settle()
        clone = r.json["volume"]["id"]
        same = await _create(cloud, {"source_volid": src})
        await cloud.settle()
        db = cloud.db
        return (db.volumes[src].host, db.volumes[plain].host, r, db.volumes[clone],
                _data(cloud, clone), _data(cloud, src), db.volumes[same.json["volume"]["id"]],
                _usage(cloud))
    result = simulate(main, config=TWO)
    src_host, plain_host, r, clone, clone_data, src_data, same, usage = result.value
    assert src_host == "h1@a#a"
    assert plain_host == "h2@b#b"  # unpinned: b has more room now
    assert r.status == 202
    assert r.json["volume"]["source_volid"] == clone.source_volid
    assert result.cloud.db.volumes[clone.source_volid].size == 10
    assert (str(clone.status), clone.host, clone.size) == ("available", "h1@a#a", 12)
    assert clone_data.same_content(src_data)
    assert clone_data.written() == 64
    assert clone_data.size_blocks == 12 * 32 * 1024  # 12 GiB of 32 KiB blocks
    assert (str(same.status), same.size, same.host) == ("available", 10, "h1@a#a")
    assert usage["volumes"]["in_use"] == 4
    assert usage["gigabytes"]["in_use"] == 10 + 1 + 12 + 10
    assert check_trace(result.trace.events) == []


def test_volume_from_snapshot_holds_snapshot_data_and_counts_quota() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 10)
        _data(cloud, src).write(0, 16, "before")
        cloud.db.volumes[src].bootable = True  # as os-set_bootable would leave it
        sid = await _snapshot(cloud, src)
        _data(cloud, src).write(0, 16, "after")  # the source moves on
        r = await _create(cloud, {"snapshot_id": sid})
        await cloud.settle()
        vid = r.json["volume"]["id"]
        svc = cloud.volume_services["h1@a"]
        return (r, cloud.db.volumes[vid], _data(cloud, vid), svc.driver.snapshot_data(sid),
                _data(cloud, src), _usage(cloud))
    result = simulate(main, config=TWO)
    r, vol, data, snap_data, src_data, usage = result.value
    assert r.status == 202
    assert r.json["volume"]["snapshot_id"] is not None
    assert (str(vol.status), vol.host, vol.size) == ("available", "h1@a#a", 10)
    assert data.same_content(snap_data)
    assert not data.same_content(src_data)
    assert data.written() == 16
    assert vol.bootable  # copied from the snapshot's volume by the manager
    # gigabytes: source 10 + snapshot 10 + new volume 10.
    assert usage["gigabytes"] == {"limit": 1000, "in_use": 30, "reserved": 0}
    assert usage["snapshots"]["in_use"] == 1
    assert usage["volumes"]["in_use"] == 2
    sends = [(e.actor, e.target) for e in result.trace.events
             if e.kind == "bus.send" and e.detail.get("method") == "create_volume"]
    assert sends[-2:] == [("cinder-api", "cinder-scheduler"),
                          ("cinder-scheduler", "cinder-volume.h1@a")]
    assert check_trace(result.trace.events) == []


def test_source_states_and_sizes_are_checked_before_anything_changes() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 2)
        sid = await _snapshot(cloud, src)
        db = cloud.db
        out = {
            "small_snap": await _create(cloud, {"snapshot_id": sid, "size": 1}),
            "small_src": await _create(cloud, {"source_volid": src, "size": 1}),
            "both": await _create(cloud, {"source_volid": src, "snapshot_id": sid}),
            "other_snap": await _create(cloud, {"snapshot_id": sid}, user="alt_demo"),
            "other_src": await _create(cloud, {"source_volid": src}, user="alt_demo"),
        }
        db.transition(db.snapshots[sid], "error", op=Op.RESET_STATUS, actor="test")
        db.transition(db.volumes[src], VolumeStatus.ERROR, op=Op.RESET_STATUS, actor="test")
        fp2 = db.fingerprint()
        out["snap_error"] = await _create(cloud, {"snapshot_id": sid})
        out["src_error"] = await _create(cloud, {"source_volid": src})
        out["unchanged"] = db.fingerprint() == fp2
        out["sid"], out["src"] = sid, src
        return out
    out = simulate(main).value

    def msg(r: Any) -> str:
        return str(next(iter(r.json.values()))["message"])
    for key in ("small_snap", "small_src", "both", "snap_error", "src_error"):
        assert out[key].status == 400, key
    assert "cannot be smaller than" in msg(out["small_snap"])
    assert "cannot be smaller than" in msg(out["small_src"])
    assert out["other_snap"].json == {"itemNotFound": {
        "code": 404, "message": f"Snapshot {out['sid']} could not be found."}}
    assert out["other_src"].json == {"itemNotFound": {
        "code": 404, "message": f"Volume {out['src']} could not be found."}}
    assert msg(out["snap_error"]) == ("Invalid snapshot: Originating snapshot status must be "
                                      "one of 'available' values")
    assert msg(out["src_error"]).startswith("Invalid volume: Unable to create a volume from an "
                                            "originating source volume")
    assert out["unchanged"]


def test_rejections_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 2)
        sid = await _snapshot(cloud, src)
        fp = cloud.db.fingerprint()
        bad = [await _create(cloud, {"snapshot_id": sid, "size": 1}),
               await _create(cloud, {"source_volid": src, "size": 1}),
               await _create(cloud, {"snapshot_id": sid}, user="alt_demo")]
        return bad, cloud.db.fingerprint() == fp
    bad, unchanged = simulate(main).value
    assert [r.status for r in bad] == [400, 400, 404]
    assert unchanged


def test_in_use_source_can_be_cloned() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 1)
        _data(cloud, src).write(3, 5, "live")
        cloud.db.transition(cloud.db.volumes[src], VolumeStatus.IN_USE, op=Op.RESET_STATUS,
                            actor="test")
        r = await _create(cloud, {"source_volid": src})
        await cloud.settle()
        vid = r.json["volume"]["id"]
        return r, str(cloud.db.volumes[vid].status), _data(cloud, vid), _data(cloud, src)
    result = simulate(main)
    r, status, data, src_data = result.value
    assert r.status == 202
    assert status == "available"
    assert data == src_data
    assert check_trace(result.trace.events) == []


def test_snapshot_quota_counts_against_gigabytes_for_new_volume() -> None:
    async def main(cloud: Cloud) -> Any:
        pid = cloud.project_id("demo")
        cloud.quota.update_project(pid, {"gigabytes": 11})
        src = await _volume(cloud, 5)
        sid = await _snapshot(cloud, src)  # 5 + 5 = 10 of 11 used
        fp = cloud.db.fingerprint()
        r = await _create(cloud, {"snapshot_id": sid})
        return r, cloud.db.fingerprint() == fp
    r, unchanged = simulate(main).value
    assert r.status == 413
    assert r.json["overLimit"]["message"] == (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
        "gigabytes quota. Requested 5G, quota is 11G and 10G has been consumed.")
    assert unchanged


def test_full_source_backend_is_no_valid_backend_even_with_room_elsewhere() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 20)  # on a: 30 of 50 left; b still has 45
        r = await _create(cloud, {"source_volid": src, "size": 35})
        await cloud.settle()
        vid = r.json["volume"]["id"]
        return r, cloud.db.volumes[vid]
    result = simulate(main, config=TWO)
    r, vol = result.value
    assert r.status == 202
    assert str(vol.status) == "error"
    assert vol.host is None
    decision = [e for e in result.trace.events if e.kind == "schedule"][-1].detail["decision"]
    assert decision["chosen"] is None
    assert decision["pinned_out"] == ["h2@b#b"]  # b passed the filters but is not the source's
    assert not [e for e in result.trace.events if e.kind == "driver"
                and e.detail.get("call") == "create_cloned_volume"]
    assert check_trace(result.trace.events) == []


def test_clone_driver_failure_reschedules_to_the_same_backend() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, 2)
        _data(cloud, src).write(0, 4, "x")
        cloud.inject(FaultRule(op="create_cloned_volume", times=1))
        once = await _create(cloud, {"source_volid": src})
        await cloud.settle()
        cloud.inject(FaultRule(op="create_cloned_volume", times=None))
        always = await _create(cloud, {"source_volid": src})
        await cloud.settle()
        db = cloud.db
        a, b = db.volumes[once.json["volume"]["id"]], db.volumes[always.json["volume"]["id"]]
        return a, _data(cloud, a.id), _data(cloud, src), b
    result = simulate(main, config=TWO)
    once, once_data, src_data, always = result.value
    assert (str(once.status), once.host) == ("available", "h1@a#a")
    assert once_data == src_data
    assert str(always.status) == "error"
    reschedules = [e for e in result.trace.events if e.kind == "reschedule"]
    # once; then after each of the 3 attempts: the 4th pass is "Exceeded max scheduling
    # attempts" at the scheduler (the manager always reschedules when it has a retry dict)
    assert len(reschedules) == 1 + 3
    assert check_trace(result.trace.events) == []
