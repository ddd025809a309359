"""``/group_snapshots`` (3.14+) and groups created from a source."""

from __future__ import annotations

from typing import Any

from group_helpers import UNKNOWN, bad, forbidden, not_found, req, run, setup, volume_in

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud


async def snapshot_of(cloud: Cloud, gid: str, name: str = "gs", user: str = "demo") -> str:
    r = await req(cloud, "POST", "/group_snapshots", user,
                  {"group_snapshot": {"group_id": gid, "name": name}})
    assert r.status == 202, r.json
    sid: str = r.json["group_snapshot"]["id"]
    await cloud.settle()
    return sid


class TestGroupSnapshots:
    def test_create_show_list_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gt, vt, gid = await setup(cloud)
            vids = [await volume_in(cloud, gid, vt) for _ in range(2)]
            r = await req(cloud, "POST", "/group_snapshots",
                          json={"group_snapshot": {"group_id": gid, "name": "gs"}})
            gsid = r.json["group_snapshot"]["id"]
            members = sorted(s.volume_id for s in cloud.db.snapshots.values()
                             if s.group_snapshot_id == gsid)
            await cloud.settle()
            shown = await req(cloud, "GET", f"/group_snapshots/{gsid}")
            summary = await req(cloud, "GET", "/group_snapshots")
            detail = await req(cloud, "GET", "/group_snapshots/detail")
            snaps = [s.status for s in cloud.db.snapshots.values()]
            deleted = await req(cloud, "DELETE", f"/group_snapshots/{gsid}")
            await cloud.settle()
            return (r.status, r.json, gt, sorted(vids) == members, shown.json, summary.json,
                    detail.json, snaps, deleted.status, len(cloud.db.snapshots),
                    gsid in cloud.db.group_snapshots, gid)

        (status, body, gt, same_members, shown, summary, detail, snaps, deleted, left,
         alive, gid) = run(main)
        gsid = body["group_snapshot"]["id"]
        assert (status, body) == (202, {"group_snapshot": {"id": gsid, "name": "gs",
                                                           "group_type_id": gt}})
        assert same_members
        assert shown == {"group_snapshot": {
            "id": gsid, "group_id": gid, "group_type_id": gt, "status": "available",
            "created_at": shown["group_snapshot"]["created_at"], "name": "gs",
            "description": None}}
        assert summary == {"group_snapshots": [{"id": gsid, "name": "gs"}]}
        assert detail["group_snapshots"] == [shown["group_snapshot"]]
        assert snaps == ["available", "available"]
        assert (deleted, left, alive) == (202, 0, False)

    def test_a_member_snapshot_failure_puts_the_group_snapshot_in_error(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            bad_vol = await volume_in(cloud, gid, vt)
            await volume_in(cloud, gid, vt)
            cloud.inject(FaultRule(op="create_snapshot", volume_id=bad_vol))
            gsid = await snapshot_of(cloud, gid)
            return (cloud.db.group_snapshots[gsid].status,
                    {s.volume_id == bad_vol: s.status for s in cloud.db.snapshots.values()})

        gstatus, members = run(main)
        assert gstatus == "error"
        assert members == {True: "error", False: "available"}

    def test_refusals_isolation_and_gates(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            await volume_in(cloud, gid, vt)
            gsid = await snapshot_of(cloud, gid)
            out = {}
            r = await req(cloud, "GET", f"/group_snapshots/{gsid}", "alt_demo")
            out["alien"] = (r.status, r.json)
            r = await req(cloud, "POST", "/group_snapshots", "alt_demo",
                          {"group_snapshot": {"group_id": gid}})
            out["alien_create"] = (r.status, r.json)
            r = await req(cloud, "GET", "/group_snapshots", version="3.13")
            out["gate"] = (r.status, None)
            r = await req(cloud, "POST", "/group_snapshots",
                          json={"group_snapshot": {"group_id": "not-a-uuid"}})
            out["uuid"] = (r.status, None)
            r = await req(cloud, "POST", f"/group_snapshots/{gsid}/action", "admin",
                          {"reset_status": {"status": "creating"}}, version="3.18")
            out["reset_gate"] = (r.status, None)
            r = await req(cloud, "POST", f"/group_snapshots/{gsid}/action",
                          json={"reset_status": {"status": "error"}})
            out["reset_member"] = (r.status, r.json)
            r = await req(cloud, "POST", f"/group_snapshots/{gsid}/action", "admin",
                          {"reset_status": {"status": "in-use"}})
            out["reset_bad"] = (r.status, r.json)
            r = await req(cloud, "POST", f"/group_snapshots/{gsid}/action", "admin",
                          {"reset_status": {"status": "creating"}})
            out["reset"] = (r.status, cloud.db.group_snapshots[gsid].status)
            r = await req(cloud, "DELETE", f"/group_snapshots/{gsid}")
            out["delete_creating"] = (r.status, r.json)
            r = await req(cloud, "POST", f"/groups/{gid}/action",
                          json={"delete": {"delete-volumes": True}})
            out["group_delete"] = (r.status, r.json)
            return gid, gsid, out

        gid, gsid, out = run(main)
        assert out["alien"] == (404, not_found(f"GroupSnapshot {gsid} could not be found."))
        assert out["alien_create"] == (404, not_found(f"Group {gid} could not be found."))
        assert out["gate"][0] == 404
        assert out["uuid"][0] == 400
        assert out["reset_gate"][0] == 404
        assert out["reset_member"] == (403, forbidden("group:reset_group_snapshot_status"))
        valid = ("('error', 'available', 'creating', 'deleting', 'deleted', 'updating', "
                 "'error_deleting')")
        assert out["reset_bad"] == (400, bad("Invalid GroupSnapshot Status: Group snapshot "
                                             "status: in-use is invalid, valid statuses are: "
                                             f"{valid}."))
        assert out["reset"] == (202, "creating")
        assert out["delete_creating"] == (400, bad(
            "Invalid GroupSnapshot: GroupSnapshot status must be available or error, and no "
            "Group can be currently using it as source for its creation."))
        assert out["group_delete"] == (400, bad("Invalid Group: Group has existing "
                                                "snapshots."))


class TestCreateFromSource:
    def test_from_a_group_snapshot_and_from_a_group(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            vids = [await volume_in(cloud, gid, vt, size=s) for s in (1, 2)]
            gsid = await snapshot_of(cloud, gid)
            out = []
            for body in [{"group_snapshot_id": gsid, "name": "from-snap"},
                         {"source_group_id": gid, "name": "clone"}]:
                r = await req(cloud, "POST", "/groups/action",
                              json={"create-from-src": body})
                new = r.json["group"]["id"]
                await cloud.settle()
                shown = await req(cloud, "GET", f"/groups/{new}?list_volume=true")
                members = [cloud.db.volumes[v] for v in shown.json["group"]["volumes"]]
                out.append((r.status, shown.json["group"]["status"],
                            shown.json["group"]["group_snapshot_id"],
                            shown.json["group"]["source_group_id"],
                            sorted(v.size for v in members),
                            {v.status for v in members},
                            {v.host == cloud.db.groups[gid].host for v in members}))
            return gsid, gid, out, vids

        gsid, gid, (from_snap, clone), _ = run(main)
        assert from_snap == (202, "available", gsid, None, [1, 2], {"available"}, {True})
        assert clone == (202, "available", None, gid, [1, 2], {"available"}, {True})

    def test_a_failed_member_is_overwritten_available_as_cinder_does(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            await volume_in(cloud, gid, vt)
            cloud.inject(FaultRule(op="create_cloned_volume"))
            r = await req(cloud, "POST", "/groups/action",
                          json={"create-from-src": {"source_group_id": gid}})
            new = r.json["group"]["id"]
            await cloud.settle()
            member = next(v for v in cloud.db.volumes.values() if v.group_id == new)
            history = [(e.detail["old"], e.detail["new"]) for e in cloud.sim.trace.events
                       if e.kind == "status" and e.resource in (f"volume:{member.id}",
                                                                f"group:{new}")]
            return cloud.db.groups[new].status, member.status, history

        gstatus, vstatus, history = run(main)
        assert (gstatus, vstatus) == ("available", "available")
        # the volume: creating -> error (driver) -> available (the final pass);
        # the group: creating -> error -> available
        assert history.count(("creating", "error")) == 2
        assert history.count(("error", "available")) == 2

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            out = []
            for body in [{"create-from-src": {}},
                         {"create-from-src": {"source_group_id": gid,
                                              "group_snapshot_id": gid}},
                         {"create-from-src": {"source_group_id": UNKNOWN}},
                         {"create-from-src": {"source_group_id": gid}}]:
                r = await req(cloud, "POST", "/groups/action", json=body)
                out.append((r.status, r.json))
            gate = await req(cloud, "POST", "/groups/action", version="3.13",
                             json={"create-from-src": {"source_group_id": gid}})
            groups_left = sorted(g.status for g in cloud.db.groups.values())
            return gid, out, gate.status, groups_left

        _, (neither, both, missing, empty), gate, left = run(main)
        assert neither[0] == 400
        assert "is not valid under any of" in \
            neither[1]["badRequest"]["message"]
        assert both[0] == 400
        assert "is valid under each of" in both[1]["badRequest"]["message"]
        assert missing == (404, not_found(f"Group {UNKNOWN} could not be found."))
        assert empty == (400, bad("Invalid Group: Source Group is empty. No group will be "
                                  "created."))
        assert gate == 404
        assert left == ["available"]  # the empty source's new group was destroyed
