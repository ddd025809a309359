"""End-to-end tests of ``/snapshots`` against real Cinder's codes, messages and flows."""

from __future__ import annotations

from typing import Any

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, simulate
from cindersim.states import Op, VolumeStatus, check_trace

V366 = {"OpenStack-API-Version": "volume 3.66"}
THICK_SMALL = {"DEFAULT": {"enabled_backends": "lvm"},
               "lvm": {"host": "cinder-1", "lvm_type": "default", "vg_size_gb": 5}}


def _path(cloud: Cloud, user: str, rest: str) -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def _volume(cloud: Cloud, size: int = 1, user: str = "demo") -> str:
    r = await cloud.request("POST", _path(cloud, user, "/volumes"),
                            json={"volume": {"size": size}}, token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _snapshot(cloud: Cloud, vid: str, user: str = "demo", **extra: Any) -> Any:
    return await cloud.request("POST", _path(cloud, user, "/snapshots"),
                               json={"snapshot": {"volume_id": vid, **extra}},
                               token=cloud.token(user))


def _make_in_use(cloud: Cloud, vid: str) -> None:
    """Test set-up: the attach flows belong to another module; an admin reset is legal."""
    vol = cloud.db.volumes[vid]
    cloud.db.transition(vol, VolumeStatus.IN_USE, op=Op.RESET_STATUS, actor="test")


def _usage(cloud: Cloud, user: str = "demo") -> dict[str, dict[str, int]]:
    return cloud.quota.usage(cloud.project_id(user))


def test_create_snapshot_flow_quota_and_rpc_order() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=2)
        r = await _snapshot(cloud, vid, name="  s1 ", description="d", metadata={"k": "v"})
        assert r.status == 202
        snap = r.json["snapshot"]
        # Quota is committed at the API, before any backend work.
        mid_usage = _usage(cloud)
        await cloud.settle()
        shown = await cloud.request("GET", _path(cloud, "demo", f"/snapshots/{snap['id']}"),
                                    token=cloud.token("demo"))
        return snap, mid_usage, _usage(cloud), shown
    result = simulate(main)
    snap, mid_usage, usage, shown = result.value
    assert set(snap) == {"id", "created_at", "updated_at", "name", "description", "volume_id",
                         "status", "size", "metadata"}
    assert (snap["status"], snap["size"], snap["name"], snap["metadata"]) == \
        ("creating", 2, "s1", {"k": "v"})
    assert mid_usage["snapshots"] == {"limit": 10, "in_use": 1, "reserved": 0}
    assert mid_usage["gigabytes"]["in_use"] == 4
    assert mid_usage["gigabytes"]["reserved"] == 0
    assert usage["snapshots"]["in_use"] == 1
    assert usage["gigabytes"]["in_use"] == 4
    assert shown.status == 200
    body = shown.json["snapshot"]
    assert body["status"] == "available"
    assert body["os-extended-snapshot-attributes:progress"] == "100%"
    assert body["os-extended-snapshot-attributes:project_id"] == \
        result.cloud.project_id("demo")
    # Queens+ order: api -> scheduler create_snapshot -> volume create_snapshot.
    sends = [(e.actor, e.detail["method"], e.target) for e in result.trace.events
             if e.kind == "bus.send" and e.detail.get("method") == "create_snapshot"]
    assert sends == [("cinder-api", "create_snapshot", "cinder-scheduler"),
                     ("cinder-scheduler", "create_snapshot", "cinder-volume.cinder-1@lvmdriver-1")]
    svc = next(iter(result.cloud.volume_services.values()))
    assert svc.driver.snapshot_data(snap["id"]) == svc.driver.volume_data(snap["volume_id"])
    assert check_trace(result.trace.events) == []


def test_in_use_needs_force_before_3_66() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        _make_in_use(cloud, vid)
        fp = cloud.db.fingerprint()
        no_force = await _snapshot(cloud, vid)
        unchanged = cloud.db.fingerprint() == fp
        forced = await _snapshot(cloud, vid, force=True)
        at_366 = await cloud.request("POST", _path(cloud, "demo", "/snapshots"),
                                     json={"snapshot": {"volume_id": vid}},
                                     token=cloud.token("demo"), headers=V366)
        fp2 = cloud.db.fingerprint()
        false_366 = await cloud.request("POST", _path(cloud, "demo", "/snapshots"),
                                        json={"snapshot": {"volume_id": vid, "force": False}},
                                        token=cloud.token("demo"), headers=V366)
        unchanged2 = cloud.db.fingerprint() == fp2
        true_366 = await cloud.request("POST", _path(cloud, "demo", "/snapshots"),
                                       json={"snapshot": {"volume_id": vid, "force": "true"}},
                                       token=cloud.token("demo"), headers=V366)
        await cloud.settle()
        return vid, no_force, unchanged, forced, at_366, false_366, unchanged2, true_366
    result = simulate(main)
    vid, no_force, unchanged, forced, at_366, false_366, unchanged2, true_366 = result.value
    assert no_force.status == 400
    assert unchanged
    assert no_force.json == {"badRequest": {"code": 400, "message": (
        f"Invalid volume: Volume {vid} status must be available, but current status is: "
        "in-use.")}}
    assert forced.status == 202
    assert at_366.status == 202
    assert true_366.status == 202
    assert false_366.status == 400
    assert unchanged2
    assert false_366.json["badRequest"]["message"].startswith(
        "Since microversion 3.66 the 'force' flag is invalid for this request.")
    # 3.66 shows the newer fields in the detail view.
    assert at_366.json["snapshot"]["user_id"] == result.cloud.db.volumes[vid].user_id
    assert at_366.json["snapshot"]["consumes_quota"] is True
    statuses = sorted(str(s.status) for s in result.cloud.db.snapshots.values())
    assert statuses == ["available", "available", "available"]
    assert check_trace(result.trace.events) == []


def test_volume_state_checks_refuse_and_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        out = {}
        # No valid backend: the volume is 'error' and has no host.
        big = await cloud.request("POST", _path(cloud, "demo", "/volumes"),
                                  json={"volume": {"size": 10}}, token=cloud.token("demo"))
        await cloud.settle()
        vid = await _volume(cloud)
        vol = cloud.db.volumes[vid]
        fp = cloud.db.fingerprint()
        out["nohost"] = await _snapshot(cloud, big.json["volume"]["id"])
        cloud.db.transition(vol, VolumeStatus.ERROR, op=Op.RESET_STATUS, actor="test")
        fp = cloud.db.fingerprint()
        out["error"] = await _snapshot(cloud, vid)
        cloud.db.transition(vol, VolumeStatus.AVAILABLE, op=Op.RESET_STATUS, actor="test")
        vol.migration_status = "migrating"
        fp_mig = cloud.db.fingerprint()
        out["migrating"] = await _snapshot(cloud, vid)
        out["mig_unchanged"] = cloud.db.fingerprint() == fp_mig
        vol.migration_status = None
        cloud.db.transition(vol, VolumeStatus.MAINTENANCE, op=Op.MIGRATE, actor="test")
        fp = cloud.db.fingerprint()
        out["maintenance"] = await _snapshot(cloud, vid)
        out["unchanged"] = cloud.db.fingerprint() == fp
        out["other"] = await _snapshot(cloud, vid, user="alt_demo")
        out["missing_id"] = await cloud.request(
            "POST", _path(cloud, "demo", "/snapshots"), json={"snapshot": {"name": "x"}},
            token=cloud.token("demo"))
        out["extra_key"] = await _snapshot(cloud, vid, size=1)
        out["vid"] = vid
        return out
    out = simulate(main, config=THICK_SMALL).value
    vid = out["vid"]

    def msg(r: Any) -> str:
        return str(next(iter(r.json.values()))["message"])
    assert out["nohost"].status == 400
    assert msg(out["nohost"]) == ("Invalid volume: The snapshot cannot be created because "
                                  "volume has not been scheduled to any host.")
    assert msg(out["error"]) == ("Invalid volume: The snapshot cannot be created when the "
                                 "volume is in error status.")
    assert msg(out["migrating"]) == ("Invalid volume: Snapshot cannot be created while volume "
                                     "is migrating.")
    assert out["mig_unchanged"]
    assert msg(out["maintenance"]) == ("Invalid volume: The snapshot cannot be created when "
                                       "the volume is in maintenance mode.")
    assert out["unchanged"]
    assert out["other"].status == 404
    assert out["other"].json == {"itemNotFound": {"code": 404, "message":
                                                  f"Volume {vid} could not be found."}}
    assert out["missing_id"].status == 400
    assert "'volume_id' is a required property" in msg(out["missing_id"])
    assert out["extra_key"].status == 400
    assert msg(out["extra_key"]) == "Additional properties are not allowed ('size' was unexpected)"


def test_snapshot_quota_exceeded_is_413_and_changes_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        admin = cloud.token("admin")
        pid = cloud.project_id("demo")
        r = await cloud.request("PUT", f"/v3/{cloud.project_id('admin')}/os-quota-sets/{pid}",
                                json={"quota_set": {"snapshots": 1, "gigabytes": 6}},
                                token=admin)
        if r.status != 200:  # the quota API belongs to another module: set limits directly
            cloud.quota.update_project(pid, {"snapshots": 1, "gigabytes": 6})
        vid = await _volume(cloud, size=2)
        first = await _snapshot(cloud, vid)
        await cloud.settle()
        fp = cloud.db.fingerprint()
        count = await _snapshot(cloud, vid)
        count_unchanged = cloud.db.fingerprint() == fp
        cloud.quota.update_project(pid, {"snapshots": 5})
        big = await _volume(cloud, size=2)  # gigabytes: 2 + 2 + 2 = 6 in use
        fp = cloud.db.fingerprint()
        gigs = await _snapshot(cloud, big)
        gigs_unchanged = cloud.db.fingerprint() == fp
        return first, count, count_unchanged, gigs, gigs_unchanged
    first, count, count_unchanged, gigs, gigs_unchanged = simulate(main).value
    assert first.status == 202
    assert count.status == 413
    assert count_unchanged
    assert count.headers["Retry-After"] == "0"
    assert count.json == {"overLimit": {"code": 413, "retryAfter": "0", "message":
                                        "SnapshotLimitExceeded: Maximum number of snapshots "
                                        "allowed (1) exceeded"}}
    assert gigs.status == 413
    assert gigs_unchanged
    assert gigs.json["overLimit"]["message"] == (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
        "gigabytes quota. Requested 2G, quota is 6G and 6G has been consumed.")


def test_no_valid_backend_sets_error_and_quota_stays_until_delete() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=3)  # thick 5 GiB VG: 2 GiB left
        r = await _snapshot(cloud, vid)
        await cloud.settle()
        sid = r.json["snapshot"]["id"]
        status = str(cloud.db.snapshots[sid].status)
        usage_error = _usage(cloud)["snapshots"]["in_use"]
        lvm_calls = [e for e in cloud.trace.events if e.kind == "driver"
                     and e.detail.get("call") == "create_snapshot"]
        d = await cloud.request("DELETE", _path(cloud, "demo", f"/snapshots/{sid}"),
                                token=cloud.token("demo"))
        await cloud.settle()
        return r, status, usage_error, lvm_calls, d, sid in cloud.db.snapshots, _usage(cloud)
    result = simulate(main, config=THICK_SMALL)
    r, status, usage_error, lvm_calls, d, exists, usage = result.value
    assert r.status == 202
    assert status == "error"
    assert usage_error == 1
    assert lvm_calls == []  # the scheduler stopped it: the volume service never saw it
    schedule = [e for e in result.trace.events if e.kind == "schedule"
                and e.resource is not None and e.resource.startswith("snapshot:")]
    assert len(schedule) == 1
    assert d.status == 202
    assert not exists
    assert usage["snapshots"]["in_use"] == 0
    assert usage["gigabytes"]["in_use"] == 3
    assert check_trace(result.trace.events) == []


def test_driver_failure_on_create_sets_error() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        cloud.inject(FaultRule(op="create_snapshot", times=1))
        r = await _snapshot(cloud, vid)
        await cloud.settle()
        return cloud.db.snapshots[r.json["snapshot"]["id"]].status, _usage(cloud)
    result = simulate(main)
    status, usage = result.value
    assert status == "error"
    assert usage["snapshots"]["in_use"] == 1  # committed at the API
    assert check_trace(result.trace.events) == []


def test_delete_states_failure_and_force_delete() -> None:
    async def main(cloud: Cloud) -> Any:
        demo, admin = cloud.token("demo"), cloud.token("admin")
        vid = await _volume(cloud)
        r = await _snapshot(cloud, vid)
        sid = r.json["snapshot"]["id"]
        url = _path(cloud, "demo", f"/snapshots/{sid}")
        admin_url = _path(cloud, "admin", f"/snapshots/{sid}")
        fp = cloud.db.fingerprint()
        creating = await cloud.request("DELETE", url, token=demo)  # still 'creating'
        creating_unchanged = cloud.db.fingerprint() == fp
        await cloud.settle()
        cloud.inject(FaultRule(op="delete_snapshot", times=1))
        first = await cloud.request("DELETE", url, token=demo)
        mid = str(cloud.db.snapshots[sid].status)
        await cloud.settle()
        after_fault = str(cloud.db.snapshots[sid].status)
        again = await cloud.request("DELETE", url, token=demo)
        member_force = await cloud.request("POST", url + "/action",
                                           json={"os-force_delete": {}}, token=demo)
        forced = await cloud.request("POST", admin_url + "/action",
                                     json={"os-force_delete": {}}, token=admin)
        await cloud.settle()
        return (creating, creating_unchanged, first, mid, after_fault, again, member_force,
                forced, sid in cloud.db.snapshots, _usage(cloud))
    result = simulate(main)
    (creating, creating_unchanged, first, mid, after_fault, again, member_force, forced,
     exists, usage) = result.value
    bad = {"badRequest": {"code": 400, "message": "Invalid snapshot: Snapshot status must be "
                          "available or error and must not be part of a group."}}
    assert creating.status == 400
    assert creating.json == bad
    assert creating_unchanged
    assert first.status == 202
    assert mid == "deleting"
    assert after_fault == "error_deleting"
    assert again.status == 400
    assert again.json == bad
    assert member_force.status == 403
    assert forced.status == 202
    assert not exists
    assert usage["snapshots"]["in_use"] == 0
    assert usage["gigabytes"]["in_use"] == 1
    assert check_trace(result.trace.events) == []


def test_snapshot_delete_while_volume_cascade_deletes() -> None:
    async def main(cloud: Cloud) -> Any:
        demo = cloud.token("demo")
        vid = await _volume(cloud)
        r = await _snapshot(cloud, vid)
        await cloud.settle()
        sid = r.json["snapshot"]["id"]
        plain = await cloud.request("DELETE", _path(cloud, "demo", f"/volumes/{vid}"),
                                    token=demo)
        cascade = await cloud.request("DELETE",
                                      _path(cloud, "demo", f"/volumes/{vid}?cascade=true"),
                                      token=demo)
        fp = cloud.db.fingerprint()
        snap_del = await cloud.request("DELETE", _path(cloud, "demo", f"/snapshots/{sid}"),
                                       token=demo)
        unchanged = cloud.db.fingerprint() == fp
        await cloud.settle()
        return plain, cascade, snap_del, unchanged, cloud.db.snapshots, cloud.db.volumes, \
            _usage(cloud)
    result = simulate(main)
    plain, cascade, snap_del, unchanged, snaps, vols, usage = result.value
    assert plain.status == 400  # has snapshots
    assert cascade.status == 202
    assert snap_del.status == 400
    assert unchanged
    assert snap_del.json["badRequest"]["message"].startswith(
        "Invalid snapshot: Snapshot status must be available or error")
    assert snaps == {}
    assert vols == {}
    assert usage["snapshots"]["in_use"] == 0
    assert usage["gigabytes"]["in_use"] == 0
    # The per-type keys reserved at create are given back too.
    assert usage["snapshots___DEFAULT__"]["in_use"] == 0
    assert usage["gigabytes___DEFAULT__"]["in_use"] == 0
    assert check_trace(result.trace.events) == []


def test_reset_status_is_admin_only_and_validated() -> None:
    async def main(cloud: Cloud) -> Any:
        demo, admin = cloud.token("demo"), cloud.token("admin")
        vid = await _volume(cloud)
        r = await _snapshot(cloud, vid)
        await cloud.settle()
        url = _path(cloud, "admin", f"/snapshots/{r.json['snapshot']['id']}/action")
        fp = cloud.db.fingerprint()
        member = await cloud.request(
            "POST", _path(cloud, "demo", f"/snapshots/{r.json['snapshot']['id']}/action"),
            json={"os-reset_status": {"status": "error"}}, token=demo)
        bogus = await cloud.request("POST", url, json={"os-reset_status": {"status": "bogus"}},
                                    token=admin)
        missing = await cloud.request("POST", url, json={"os-reset_status": {}}, token=admin)
        unknown = await cloud.request("POST", url, json={"os-frobnicate": {}}, token=admin)
        unchanged = cloud.db.fingerprint() == fp
        ok = await cloud.request("POST", url,
                                 json={"os-reset_status": {"status": "ERROR_deleting"}},
                                 token=admin)
        return member, bogus, missing, unknown, unchanged, ok, \
            cloud.db.snapshots[r.json["snapshot"]["id"]].status
    result = simulate(main)
    member, bogus, missing, unknown, unchanged, ok, status = result.value
    assert member.status == 403
    assert "forbidden" in member.json
    assert bogus.json == {"badRequest": {"code": 400, "message": "Must specify a valid status"}}
    assert missing.json == {"badRequest": {"code": 400, "message": "Must specify 'status'"}}
    assert unknown.status == 400
    assert unchanged
    assert ok.status == 202
    assert ok.json is None
    assert status == "error_deleting"
    assert check_trace(result.trace.events) == []


def test_isolation_show_update_delete_other_project() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        r = await _snapshot(cloud, vid)
        await cloud.settle()
        sid = r.json["snapshot"]["id"]
        alt = cloud.token("alt_demo")
        url = _path(cloud, "alt_demo", f"/snapshots/{sid}")
        fp = cloud.db.fingerprint()
        out = [await cloud.request("GET", url, token=alt),
               await cloud.request("PUT", url, json={"snapshot": {"name": "x"}}, token=alt),
               await cloud.request("DELETE", url, token=alt),
               await cloud.request("POST", url + "/action", json={"os-force_delete": {}},
                                   token=alt)]
        admin_sees = await cloud.request("GET", _path(cloud, "admin", f"/snapshots/{sid}"),
                                         token=cloud.token("admin"))
        return sid, out, cloud.db.fingerprint() == fp, admin_sees
    sid, out, unchanged, admin_sees = simulate(main).value
    for r in out:
        assert r.status == 404
        assert r.json == {"itemNotFound": {"code": 404,
                                           "message": f"Snapshot {sid} could not be found."}}
    assert unchanged
    assert admin_sees.status == 200


def test_update_name_and_description() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        r = await _snapshot(cloud, vid, name="a")
        url = _path(cloud, "demo", f"/snapshots/{r.json['snapshot']['id']}")
        demo = cloud.token("demo")
        ok = await cloud.request("PUT", url, json={"snapshot": {"name": "b",
                                                                "description": "new"}},
                                 token=demo)
        fp = cloud.db.fingerprint()
        empty = await cloud.request("PUT", url, json={"snapshot": {}}, token=demo)
        extra = await cloud.request("PUT", url, json={"snapshot": {"status": "error"}},
                                    token=demo)
        return ok, empty, extra, cloud.db.fingerprint() == fp
    ok, empty, extra, unchanged = simulate(main).value
    assert ok.status == 200
    assert (ok.json["snapshot"]["name"], ok.json["snapshot"]["description"]) == ("b", "new")
    assert empty.status == 400
    assert extra.status == 400
    assert unchanged


def test_list_pagination_sorting_and_all_tenants() -> None:
    async def main(cloud: Cloud) -> Any:
        demo, admin = cloud.token("demo"), cloud.token("admin")
        vid = await _volume(cloud)
        ids = []
        for i in range(3):
            r = await _snapshot(cloud, vid, name=f"s{i}")
            ids.append(r.json["snapshot"]["id"])
            await cloud.advance(1)
        await cloud.settle()
        alt_vid = await _volume(cloud, user="alt_demo")
        await _snapshot(cloud, alt_vid, user="alt_demo")
        await cloud.settle()
        base = _path(cloud, "demo", "/snapshots")
        page1 = await cloud.request("GET", base + "?limit=2", token=demo)
        marker = page1.json["snapshots"][-1]["id"]
        page2 = await cloud.request("GET", base + f"?limit=2&marker={marker}", token=demo)
        asc = await cloud.request("GET", base + "/detail?sort=name:asc", token=demo,
                                  headers={"OpenStack-API-Version": "volume 3.30"})
        asc_legacy = await cloud.request("GET", base + "/detail?sort_key=display_name"
                                         "&sort_dir=asc", token=demo)
        offset = await cloud.request("GET", base + "?offset=1&limit=5", token=demo)
        bad_sort = await cloud.request("GET", base + "?sort=bogus", token=demo)
        bad_marker = await cloud.request("GET", base + "?marker=nope", token=demo)
        bad_limit = await cloud.request("GET", base + "?limit=-1", token=demo)
        filtered = await cloud.request("GET", base + "?name=s1", token=demo)
        mine_admin = await cloud.request("GET", _path(cloud, "admin", "/snapshots"),
                                         token=admin)
        everyone = await cloud.request("GET", _path(cloud, "admin", "/snapshots?all_tenants=1"),
                                       token=admin)
        member_all = await cloud.request("GET", base + "?all_tenants=1", token=demo)
        return ids, page1, page2, asc, bad_sort, bad_marker, bad_limit, filtered, \
            mine_admin, everyone, member_all, asc_legacy, offset
    (ids, page1, page2, asc, bad_sort, bad_marker, bad_limit, filtered, mine_admin, everyone,
     member_all, asc_legacy, offset) = simulate(main).value
    # Newest first by default.
    assert [s["id"] for s in page1.json["snapshots"]] == [ids[2], ids[1]]
    assert set(page1.json["snapshots"][0]) == {"id", "created_at", "updated_at", "name",
                                               "description", "volume_id", "status", "size",
                                               "metadata"}
    (link,) = page1.json["snapshots_links"]
    assert link["rel"] == "next"
    assert f"marker={ids[1]}" in link["href"]
    assert [s["id"] for s in page2.json["snapshots"]] == [ids[0]]
    assert "snapshots_links" not in page2.json
    assert [s["name"] for s in asc.json["snapshots"]] == ["s0", "s1", "s2"]
    assert [s["name"] for s in asc_legacy.json["snapshots"]] == ["s0", "s1", "s2"]
    # offset skips rows of the sorted list (Tempest's test_snapshot_list_param_offset).
    assert [s["id"] for s in offset.json["snapshots"]] == [ids[1], ids[0]]
    assert "os-extended-snapshot-attributes:progress" in asc.json["snapshots"][0]
    assert bad_sort.status == 400
    # The DB layer looks the marker row up: SnapshotNotFound, 404.
    assert bad_marker.status == 404
    assert bad_marker.json["itemNotFound"]["message"] == "Snapshot nope could not be found."
    assert bad_limit.status == 400
    assert [s["name"] for s in filtered.json["snapshots"]] == ["s1"]
    assert mine_admin.json["snapshots"] == []
    assert len(everyone.json["snapshots"]) == 4
    assert len(member_all.json["snapshots"]) == 3
