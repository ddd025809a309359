"""cinder-backup end to end: create, incremental chains, restore, delete, and refusals."""

from __future__ import annotations

from typing import Any

from cindersim import Cloud, simulate
from cindersim.states import check_trace
from cindersim.testing import content_digest

INSTANCE = "00000000-0000-4000-8000-000000000001"
BIG = {"DEFAULT": {"quota_volumes": 20, "quota_backups": 20}}


async def _volume(cloud: Cloud, tok: str, pid: str, size: int = 1) -> str:
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": size}},
                            token=tok)
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _backup(cloud: Cloud, tok: str, pid: str, vid: str, **extra: Any) -> Any:
    r = await cloud.request("POST", f"/v3/{pid}/backups",
                            json={"backup": {"volume_id": vid, **extra}}, token=tok)
    await cloud.settle()
    return r


def _content(cloud: Cloud, vid: str) -> str:
    return content_digest(cloud.volume_data(vid))


class TestCreate:
    def test_full_backup_goes_available_and_the_volume_returns(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            r = await _backup(cloud, tok, pid, vid, name="b1")
            assert r.status == 202
            assert set(r.json["backup"]) == {"id", "name", "links"}
            show = await cloud.request("GET", f"/v3/{pid}/backups/{r.json['backup']['id']}",
                                       token=tok)
            vol = await cloud.request("GET", f"/v3/{pid}/volumes/{vid}", token=tok)
            return show.json["backup"], vol.json["volume"]["status"]

        result = simulate(main)
        backup, vol_status = result.value
        assert (backup["status"], backup["is_incremental"], vol_status) == (
            "available", False, "available")
        assert backup["object_count"] > 1
        assert backup["container"] == "volumebackups"
        volume_statuses = [(e.detail["old"], e.detail["new"]) for e in result.trace.events
                           if e.kind == "status" and e.resource == f"volume:{backup['volume_id']}"]
        assert ("available", "backing-up") in volume_statuses
        assert ("backing-up", "available") in volume_statuses
        assert check_trace(result.trace.events) == []

    def test_in_use_needs_force_and_goes_back_in_use(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            hdrs = {"OpenStack-API-Version": "volume 3.44"}
            connector = {"initiator": "iqn.1994-05.com.redhat:c1", "ip": "10.0.0.5",
                         "host": "c1", "platform": "x86_64", "os_type": "linux",
                         "multipath": False}
            r = await cloud.request("POST", f"/v3/{pid}/attachments", headers=hdrs, token=tok,
                                    json={"attachment": {"volume_uuid": vid,
                                                         "instance_uuid": INSTANCE,
                                                         "connector": connector}})
            aid = r.json["attachment"]["id"]
            await cloud.request("POST", f"/v3/{pid}/attachments/{aid}/action", headers=hdrs,
                                token=tok, json={"os-complete": {}})
            before = cloud.db.fingerprint()
            refused = await _backup(cloud, tok, pid, vid)
            unchanged = cloud.db.fingerprint() == before
            forced = await _backup(cloud, tok, pid, vid, force=True)
            vol = await cloud.request("GET", f"/v3/{pid}/volumes/{vid}", token=tok)
            target = cloud.volume_service_of(vid).driver.target.target_for(vid)
            return refused, unchanged, forced.status, vol.json["volume"]["status"], target

        refused, unchanged, forced, status, target = simulate(main).value
        assert refused.status == 400
        assert refused.json["badRequest"]["message"] == (
            "Invalid volume: Backing up an in-use volume must use the force flag.")
        assert unchanged
        assert (forced, status) == (202, "in-use")
        assert target is not None  # the guest's export survived the backup

    def test_incremental_without_a_parent_is_refused(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            return await _backup(cloud, tok, pid, vid, incremental=True)

        r = simulate(main).value
        assert (r.status, r.json["badRequest"]["message"]) == (
            400, "Invalid backup: No backups available to do an incremental backup.")

    def test_quota_exceeded_is_413_and_creates_nothing(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            ok = await _backup(cloud, tok, pid, vid)
            before = cloud.db.fingerprint()
            over = await _backup(cloud, tok, pid, vid)
            return ok.status, over, cloud.db.fingerprint() == before

        ok, over, unchanged = simulate(main, config={"DEFAULT": {"quota_backups": 1}}).value
        assert ok == 202
        assert over.status == 413
        assert unchanged
        assert over.headers["Retry-After"] == "0"
        assert over.json["overLimit"]["message"].startswith("BackupLimitExceeded: ")

    def test_a_backup_driver_failure_leaves_error_and_the_volume_back(self) -> None:
        async def main(cloud: Cloud) -> Any:
            from cindersim import FaultRule  # noqa: PLC0415

            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            cloud.inject(FaultRule(op="backup"))
            r = await _backup(cloud, tok, pid, vid)
            show = await cloud.request("GET", f"/v3/{pid}/backups/{r.json['backup']['id']}",
                                       token=tok)
            vol = await cloud.request("GET", f"/v3/{pid}/volumes/{vid}", token=tok)
            return show.json["backup"], vol.json["volume"]["status"]

        backup, vol_status = simulate(main).value
        assert backup["status"] == "error"
        assert "BackupDriverException" in backup["fail_reason"]
        assert vol_status == "available"


class TestIncrementalChainsAndRestore:
    def test_each_backup_of_a_chain_restores_the_data_of_its_time(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            data = cloud.volume_data(vid)
            expected: list[tuple[str, str]] = []
            for n, (first, count) in enumerate([(0, 100), (50, 10), (9000, 3)]):
                data.write(first, count, f"gen-{n}")
                r = await _backup(cloud, tok, pid, vid, incremental=n > 0)
                assert r.status == 202, r.json
                expected.append((r.json["backup"]["id"], _content(cloud, vid)))
            parent = await cloud.request("GET", f"/v3/{pid}/backups/{expected[0][0]}",
                                         token=tok)
            got = []
            for bid, _ in expected:
                r = await cloud.request("POST", f"/v3/{pid}/backups/{bid}/restore",
                                        json={"restore": {}}, token=tok)
                assert r.status == 202, r.json
                await cloud.settle()
                new_vid = r.json["restore"]["volume_id"]
                assert r.json["restore"]["volume_name"] == f"restore_backup_{bid}"
                got.append(_content(cloud, new_vid))
            return parent.json["backup"], expected, got

        result = simulate(main, config=BIG)
        parent, expected, got = result.value
        assert parent["has_dependent_backups"] is True
        assert got == [digest for _, digest in expected]
        assert len(set(got)) == 3
        assert check_trace(result.trace.events) == []

    def test_restore_into_an_existing_volume_and_into_a_too_small_one(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid, size=2)
            cloud.volume_data(vid).write(0, 10, "payload")
            want = _content(cloud, vid)
            bid = (await _backup(cloud, tok, pid, vid)).json["backup"]["id"]
            small = await _volume(cloud, tok, pid, size=1)
            before = cloud.db.fingerprint()
            too_small = await cloud.request("POST", f"/v3/{pid}/backups/{bid}/restore",
                                            json={"restore": {"volume_id": small}}, token=tok)
            unchanged = cloud.db.fingerprint() == before
            target = await _volume(cloud, tok, pid, size=3)
            ok = await cloud.request("POST", f"/v3/{pid}/backups/{bid}/restore",
                                     json={"restore": {"volume_id": target}}, token=tok)
            await cloud.settle()
            vol = cloud.db.volumes[target]
            return too_small, unchanged, ok.status, str(vol.status), \
                _content(cloud, target), want, vol.metadata

        too_small, unchanged, ok, status, got, want, meta = simulate(main, config=BIG).value
        assert too_small.status == 400
        assert unchanged
        assert "too small" in too_small.json["badRequest"]["message"]
        assert (ok, status, got == want) == (202, "available", True)
        assert meta["src_backup_id"]

    def test_a_failed_restore_leaves_error_restoring_and_the_backup_available(self) -> None:
        async def main(cloud: Cloud) -> Any:
            from cindersim import FaultRule  # noqa: PLC0415

            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            bid = (await _backup(cloud, tok, pid, vid)).json["backup"]["id"]
            cloud.inject(FaultRule(op="restore"))
            await cloud.request("POST", f"/v3/{pid}/backups/{bid}/restore",
                                json={"restore": {"volume_id": vid}}, token=tok)
            await cloud.settle()
            return str(cloud.db.volumes[vid].status), str(cloud.db.backups[bid].status)

        assert simulate(main).value == ("error_restoring", "available")


class TestDelete:
    def test_a_parent_with_dependents_cannot_be_deleted(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            full = (await _backup(cloud, tok, pid, vid)).json["backup"]["id"]
            inc = (await _backup(cloud, tok, pid, vid, incremental=True)).json["backup"]["id"]
            refused = await cloud.request("DELETE", f"/v3/{pid}/backups/{full}", token=tok)
            child = await cloud.request("DELETE", f"/v3/{pid}/backups/{inc}", token=tok)
            await cloud.settle()
            parent = await cloud.request("DELETE", f"/v3/{pid}/backups/{full}", token=tok)
            await cloud.settle()
            usage = cloud.quota.usage(pid)
            objects = cloud.backup.store.object_count
            return refused, child.status, parent.status, list(cloud.db.backups), usage, objects

        refused, child, parent, left, usage, objects = simulate(main, config=BIG).value
        assert refused.status == 400
        assert refused.json["badRequest"]["message"] == (
            "Invalid backup: Incremental backups exist for this backup.")
        assert (child, parent, left) == (202, 202, [])
        assert usage["backups"]["in_use"] == 0
        assert usage["backup_gigabytes"]["in_use"] == 0
        assert objects == 0

    def test_another_projects_backup_is_404_and_admin_actions_are_403(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tok, pid = cloud.token("demo"), cloud.project_id("demo")
            vid = await _volume(cloud, tok, pid)
            bid = (await _backup(cloud, tok, pid, vid)).json["backup"]["id"]
            alt, alt_pid = cloud.token("alt_demo"), cloud.project_id("alt_demo")
            other = await cloud.request("GET", f"/v3/{alt_pid}/backups/{bid}", token=alt)
            reset = await cloud.request("POST", f"/v3/{pid}/backups/{bid}/action", token=tok,
                                        json={"os-reset_status": {"status": "error"}})
            return other.status, reset.status

        assert simulate(main).value == (404, 403)


def test_a_failed_restore_into_a_volume_being_created_from_the_backup_leaves_error() -> None:
    """3.47: the new volume was never usable, so it ends 'error' (not error_restoring)."""
    async def main(cloud: Cloud) -> Any:
        from cindersim import FaultRule  # noqa: PLC0415

        tok, pid = cloud.token("demo"), cloud.project_id("demo")
        vid = await _volume(cloud, tok, pid)
        bid = (await _backup(cloud, tok, pid, vid)).json["backup"]["id"]
        cloud.inject(FaultRule(op="restore"))
        r = await cloud.request("POST", f"/v3/{pid}/volumes", token=tok,
                                json={"volume": {"backup_id": bid}},
                                headers={"OpenStack-API-Version": "volume 3.47"})
        await cloud.settle()
        new = cloud.db.volumes[r.json["volume"]["id"]]
        crashes = [e for e in cloud.trace.events if e.kind == "bus.error"]
        return str(new.status), str(cloud.db.backups[bid].status), crashes

    assert simulate(main).value == ("error", "available", [])


def test_a_backup_belongs_to_the_callers_project_and_chains_only_there() -> None:
    """backup/api.py: the backup (and its quota) is the caller's project's; an admin's
    backup of a user's volume is invisible to the user and is never an incremental
    parent of the user's backups (Tempest's cross-project backup tests)."""
    from cindersim.cloud import simulate  # noqa: PLC0415

    async def main(cloud: Cloud) -> tuple[object, ...]:
        demo, admin = cloud.project_id("demo"), cloud.project_id("admin")
        r = await cloud.request("POST", f"/v3/{demo}/volumes", json={"volume": {"size": 1}},
                                token=cloud.token("demo"))
        vid = r.json["volume"]["id"]
        await cloud.settle()
        r = await cloud.request("POST", f"/v3/{admin}/backups",
                                json={"backup": {"volume_id": vid}}, token=cloud.token("admin"))
        admins = r.json["backup"]["id"]
        await cloud.settle()
        shown = await cloud.request("GET", f"/v3/{demo}/backups/{admins}",
                                    token=cloud.token("demo"))
        incremental = await cloud.request(
            "POST", f"/v3/{demo}/backups", token=cloud.token("demo"),
            json={"backup": {"volume_id": vid, "incremental": True}})
        return cloud.db.backups[admins].project_id == admin, shown.status, incremental.status

    owned, shown, incremental = simulate(main).value
    assert owned
    assert shown == 404
    assert incremental == 400  # "No backups available to do an incremental backup."
