"""``/groups`` (3.13+): create, views by microversion, isolation, update, delete,
reset-status and the replication actions of a backend without replication."""

from __future__ import annotations

from typing import Any

from group_helpers import (
    UNKNOWN,
    bad,
    forbidden,
    group,
    group_type,
    not_found,
    req,
    run,
    setup,
    volume_in,
    volume_type,
)

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud


class TestCreateAndShow:
    def test_create_answers_the_summary_and_the_group_becomes_available(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gt = await group_type(cloud)
            vt = await volume_type(cloud)
            r = await req(cloud, "POST", "/groups", json={"group": {
                "name": " g1 ", "description": "d", "group_type": gt, "volume_types": [vt]}})
            gid = r.json["group"]["id"]
            creating = cloud.db.groups[gid].status
            await cloud.settle()
            shown = await req(cloud, "GET", f"/groups/{gid}")
            return r.status, r.json, creating, shown.json["group"], gt, vt, cloud.db.groups[gid]

        status, body, creating, shown, gt, vt, row = run(main)
        assert (status, body) == (202, {"group": {"id": shown["id"], "name": "g1"}})
        assert creating == "creating"
        assert shown == {"id": shown["id"], "status": "available", "availability_zone": "nova",
                         "created_at": shown["created_at"], "name": "g1",
                         "description": "d", "group_type": gt, "volume_types": [vt],
                         "group_snapshot_id": None, "source_group_id": None,
                         "replication_status": "disabled"}
        assert row.host is not None
        assert "#" in row.host

    def test_view_fields_follow_the_microversion(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            vid = await volume_in(cloud, gid, vt)
            out = {}
            for user, version, query in [("demo", "3.13", ""), ("demo", "3.25", "?list_volume=1"),
                                         ("demo", "3.58", ""), ("admin", "3.58", "")]:
                r = await req(cloud, "GET", f"/groups/{gid}{query}", user, version=version)
                out[(user, version)] = set(r.json["group"]) if r.status == 200 else r.status
            listed = await req(cloud, "GET", "/groups/detail?list_volume=true")
            return out, vid, listed.json

        out, vid, listed = run(main)
        base = {"id", "status", "availability_zone", "created_at", "name", "description",
                "group_type", "volume_types"}
        assert out[("demo", "3.13")] == base
        assert out[("demo", "3.25")] == base | {"group_snapshot_id", "source_group_id",
                                                "volumes"}
        assert out[("demo", "3.58")] == out[("demo", "3.25")] - {"volumes"} | {
            "replication_status"}
        assert out[("admin", "3.58")] == out[("demo", "3.58")] | {"project_id"}
        assert listed["groups"][0]["volumes"] == [vid]

    def test_below_3_13_groups_do_not_exist(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r1 = await req(cloud, "GET", "/groups", version="3.12")
            r2 = await req(cloud, "POST", "/groups", json={"group": {}}, version="3.12")
            return r1.status, r2.status

        assert run(main) == (404, 404)

    def test_another_projects_group_is_404_and_absent_from_its_lists(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            alien = await req(cloud, "GET", f"/groups/{gid}", "alt_demo")
            alien_list = await req(cloud, "GET", "/groups", "alt_demo")
            admin_all = await req(cloud, "GET", "/groups?all_tenants=1", "admin")
            delete = await req(cloud, "POST", f"/groups/{gid}/action", "alt_demo",
                               {"delete": {}})
            return gid, alien.json, alien_list.json, admin_all.json, delete.json

        gid, alien, alien_list, admin_all, delete = run(main)
        assert alien == not_found(f"Group {gid} could not be found.")
        assert alien_list == {"groups": []}
        assert admin_all == {"groups": [{"id": gid, "name": "g"}]}
        assert delete == not_found(f"Group {gid} could not be found.")

    def test_create_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gt = await group_type(cloud)
            vt = await volume_type(cloud)
            out = []
            for body in [{"group": {"volume_types": [vt]}},
                         {"group": {"group_type": gt, "volume_types": []}},
                         {"group": {"group_type": gt, "volume_types": [vt, vt]}},
                         {"group": {"group_type": gt, "volume_types": [vt], "x": 1}},
                         {"group": {"group_type": "nope", "volume_types": [vt]}},
                         {"group": {"group_type": UNKNOWN, "volume_types": [vt]}},
                         {"group": {"group_type": gt, "volume_types": ["nope"]}},
                         {"group": {"group_type": gt, "volume_types": [vt],
                                    "availability_zone": "mars"}}]:
                r = await req(cloud, "POST", "/groups", json=body)
                out.append((r.status, r.json["badRequest" if r.status == 400 else
                                              "itemNotFound"]["message"]))
            return out

        (no_type, empty, dup, extra, by_name, by_id, vtype, az) = run(main)
        assert no_type[0] == 400
        assert "'group_type' is a required property" in no_type[1]
        assert empty[0] == 400
        assert "is too short" in empty[1]
        assert dup[0] == 400
        assert "non-unique elements" in dup[1]
        assert extra[0] == 400
        assert "'x' was unexpected" in extra[1]
        assert by_name == (404, "Group type with name nope could not be found.")
        assert by_id == (404, f"Group type {UNKNOWN} could not be found.")
        assert vtype == (404, "Volume type with name nope could not be found.")
        assert az == (400, "Availability zone 'mars' is invalid.")

    def test_group_quota_is_reserved_and_413_when_used_up(self) -> None:
        async def main(cloud: Cloud) -> Any:
            pid = cloud.project_id("demo")
            await req(cloud, "PUT", f"/os-quota-sets/{pid}", "admin",
                      json={"quota_set": {"groups": 1}})
            gt = await group_type(cloud)
            vt = await volume_type(cloud)
            await group(cloud, gt, [vt])
            r = await req(cloud, "POST", "/groups",
                          json={"group": {"group_type": gt, "volume_types": [vt]}})
            usage = await req(cloud, "GET", f"/os-quota-sets/{pid}?usage=true", "admin")
            return r.status, r.json, usage.json["quota_set"]["groups"]

        status, body, usage = run(main)
        assert (status, body) == (413, {"overLimit": {
            "code": 413, "message": "GroupLimitExceeded: Maximum number of groups allowed (1) "
                                    "exceeded", "retryAfter": "0"}})
        assert usage == {"limit": 1, "in_use": 1, "reserved": 0}

    def test_no_backend_for_every_volume_type_leaves_the_group_in_error(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gt = await group_type(cloud)
            one = await volume_type(cloud, "on-1", backend="lvm-1")
            two = await volume_type(cloud, "on-2", backend="lvm-2")
            split = await group(cloud, gt, [one, two], name="split")
            single = await group(cloud, gt, [one], name="single")
            return cloud.db.groups[split], cloud.db.groups[single]

        split, single = run(main)
        assert (split.status, split.host) == ("error", None)
        assert single.status == "available"
        assert single.host is not None
        assert single.host.startswith("cinder-1@lvm-1#")


class TestVolumesInAGroup:
    def test_a_volume_created_into_a_group_lands_on_the_groups_backend(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            vids = [await volume_in(cloud, gid, vt) for _ in range(3)]
            listed = await req(cloud, "GET", f"/volumes/detail?group_id={gid}")
            return (cloud.db.groups[gid].host, [cloud.db.volumes[v].host for v in vids],
                    [v["group_id"] for v in listed.json["volumes"]], gid)

        group_host, hosts, listed, gid = run(main)
        backend = group_host.split("#")[0]
        assert all(h.split("#")[0] == backend for h in hosts)
        assert listed == [gid, gid, gid]

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            other = await volume_type(cloud, "other")
            wrong_type = await req(cloud, "POST", "/volumes", json={"volume": {
                "size": 1, "volume_type": other, "group_id": gid}})
            missing = await req(cloud, "POST", "/volumes", json={"volume": {
                "size": 1, "volume_type": vt, "group_id": UNKNOWN}})
            alien = await req(cloud, "POST", "/volumes", "alt_demo", json={"volume": {
                "size": 1, "volume_type": vt, "group_id": gid}})
            await req(cloud, "POST", f"/groups/{gid}/action", "admin",
                      {"reset_status": {"status": "error"}}, version="3.20")
            in_error = await req(cloud, "POST", "/volumes", json={"volume": {
                "size": 1, "volume_type": vt, "group_id": gid}})
            return [(r.status, r.json) for r in (wrong_type, missing, alien, in_error)], gid

        (wrong_type, missing, alien, in_error), gid = run(main)
        assert wrong_type == (400, bad("Invalid input received: Invalid volume_type provided: "
                                       "other (requested type must be supported by this "
                                       "group)."))
        assert missing == (404, not_found(f"Group {UNKNOWN} could not be found."))
        assert alien == (404, not_found(f"Group {gid} could not be found."))
        assert in_error == (400, bad("Invalid Group: Originating group status must be one of "
                                     "'available, creating' values"))


class TestUpdate:
    def test_add_and_remove_volumes(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            inside = await volume_in(cloud, gid, vt)
            r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 1,
                                                                      "volume_type": vt}})
            loose = r.json["volume"]["id"]
            await cloud.settle()
            # a loose volume may have landed on the other backend: move it if so
            cloud.db.volumes[loose].host = cloud.db.groups[gid].host
            upd = await req(cloud, "PUT", f"/groups/{gid}", json={"group": {
                "name": "renamed", "add_volumes": loose, "remove_volumes": inside}})
            updating = cloud.db.groups[gid].status
            await cloud.settle()
            return (upd.status, updating, cloud.db.groups[gid],
                    cloud.db.volumes[loose].group_id, cloud.db.volumes[inside].group_id)

        status, updating, row, loose_group, inside_group = run(main)
        assert (status, updating, row.status, row.name) == (202, "updating", "available",
                                                            "renamed")
        assert (loose_group, inside_group) == (row.id, None)

    def test_rename_alone_makes_a_group_available_whatever_its_status(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            await req(cloud, "POST", f"/groups/{gid}/action", "admin",
                      {"reset_status": {"status": "error"}})
            r = await req(cloud, "PUT", f"/groups/{gid}", json={"group": {"name": "n"}})
            return r.status, cloud.db.groups[gid].status

        assert run(main) == (202, "available")

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            inside = await volume_in(cloud, gid, vt)
            other_t = await volume_type(cloud, "other")
            r = await req(cloud, "POST", "/volumes",
                          json={"volume": {"size": 1, "volume_type": other_t}})
            wrong = r.json["volume"]["id"]
            await cloud.settle()
            out = []
            for body in [{"group": {}},
                         {"group": {"name": "g"}},
                         {"group": {"add_volumes": inside, "remove_volumes": inside}},
                         {"group": {"add_volumes": UNKNOWN}},
                         {"group": {"add_volumes": wrong}},
                         {"group": {"remove_volumes": wrong}}]:
                r = await req(cloud, "PUT", f"/groups/{gid}", json=body)
                out.append((r.status, r.json))
            return gid, inside, wrong, other_t, out

        gid, inside, wrong, other_t, out = run(main)
        empty, same, both, unknown, bad_type, not_in = out
        assert empty[0] == 400
        assert same == (400, bad(f"Invalid Group: Cannot update group {gid} because no valid "
                                 "name, description, add_volumes, or remove_volumes were "
                                 "provided."))
        assert both == (400, bad(f"Invalid volume: UUIDs ['{inside}'] are in both add and "
                                 "remove volume list."))
        assert unknown == (400, bad(f"Invalid volume: Cannot add volume {UNKNOWN} to group "
                                    f"{gid} because volume cannot be found."))
        assert bad_type == (400, bad(f"Invalid volume: Cannot add volume {wrong} to group "
                                     f"{gid} because volume type {other_t} is not supported "
                                     "by the group."))
        assert not_in == (400, bad(f"Invalid volume: Cannot remove volume {wrong} from group "
                                   f"{gid} because it is not in the group."))


class TestDelete:
    def test_delete_volumes_deletes_members_and_gives_quota_back(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            vids = [await volume_in(cloud, gid, vt, size=2) for _ in range(2)]
            refused = await req(cloud, "POST", f"/groups/{gid}/action",
                                json={"delete": {}})
            r = await req(cloud, "POST", f"/groups/{gid}/action",
                          json={"delete": {"delete-volumes": True}})
            statuses = [cloud.db.volumes[v].status for v in vids] + [
                cloud.db.groups[gid].status]
            await cloud.settle()
            pid = cloud.project_id("demo")
            usage = await req(cloud, "GET", f"/os-quota-sets/{pid}?usage=true", "admin")
            q = usage.json["quota_set"]
            left = [v for v in vids if v in cloud.db.volumes] + [
                g for g in [gid] if g in cloud.db.groups]
            return gid, refused.json, r.status, statuses, left, (
                q["groups"]["in_use"], q["volumes"]["in_use"], q["gigabytes"]["in_use"])

        gid, refused, status, statuses, left, usage = run(main)
        assert refused == bad(f"Invalid Group: Group {gid} still contains volumes. The "
                              "delete-volumes flag is required to delete it.")
        assert status == 202
        assert statuses == ["deleting", "deleting", "deleting"]
        assert left == []
        assert usage == (0, 0, 0)

    def test_a_status_other_than_available_or_error_is_refused(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            await req(cloud, "POST", f"/groups/{gid}/action", "admin",
                      {"reset_status": {"status": "updating"}})
            r = await req(cloud, "POST", f"/groups/{gid}/action", json={"delete": {}})
            forced = await req(cloud, "POST", f"/groups/{gid}/action",
                               json={"delete": {"delete-volumes": "yes"}})
            await cloud.settle()
            return r.json, forced.status, gid in cloud.db.groups

        body, forced, alive = run(main)
        assert body == bad("Invalid Group: Group status must be available or error, but "
                           "current status is: updating")
        assert (forced, alive) == (202, False)

    def test_a_failed_member_delete_leaves_the_group_and_that_volume_in_error(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            vid = await volume_in(cloud, gid, vt)
            cloud.inject(FaultRule(op="delete_volume", volume_id=vid))
            await req(cloud, "POST", f"/groups/{gid}/action",
                      json={"delete": {"delete-volumes": True}})
            await cloud.settle()
            return cloud.db.groups[gid].status, cloud.db.volumes[vid].status

        assert run(main) == ("error", "error")


class TestAdminActions:
    def test_reset_status(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            out = []
            for user, version, status in [("admin", "3.19", "error"),
                                          ("demo", "3.20", "error"),
                                          ("admin", "3.20", "in-use"),
                                          ("admin", "3.20", "bogus"),
                                          ("admin", "3.20", "ERROR")]:
                r = await req(cloud, "POST", f"/groups/{gid}/action", user,
                              {"reset_status": {"status": status}}, version=version)
                out.append((r.status, r.json))
            return out, cloud.db.groups[gid].status

        (gate, member, in_use, bogus, ok), final = run(main)
        valid = ("('error', 'available', 'creating', 'deleting', 'deleted', 'updating', "
                 "'in-use', 'error_deleting')")
        assert gate[0] == 404
        assert member == (403, forbidden("group:reset_status"))
        assert in_use == (400, bad("Invalid Group Status: Group status: in-use is invalid, "
                                   f"valid status are: {valid}."))
        assert bogus[0] == 400
        assert ok == (202, None)
        assert final == "error"

    def test_replication_actions_answer_as_a_backend_without_replication(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            out = []
            for action, version in [("enable_replication", "3.37"),
                                    ("enable_replication", "3.38"),
                                    ("disable_replication", "3.38"),
                                    ("failover_replication", "3.38"),
                                    ("list_replication_targets", "3.38")]:
                r = await req(cloud, "POST", f"/groups/{gid}/action",
                              json={action: {}}, version=version)
                out.append((r.status, r.json))
            return gid, out

        gid, (gate, *rest) = run(main)
        assert gate[0] == 404
        message = bad(f"Invalid group type: Group {gid} is not a replication group type.")
        assert rest == [(400, message)] * 4

    def test_unknown_action(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, _, gid = await setup(cloud)
            r = await req(cloud, "POST", f"/groups/{gid}/action", json={"explode": {}})
            return r.json

        assert run(main) == bad("There is no such action: explode")


class TestVolumeTypes:
    def test_a_volume_type_a_group_maps_cannot_be_deleted(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, _ = await setup(cloud)
            r = await req(cloud, "DELETE", f"/types/{vt}", "admin")
            return r.status, r.json

        assert run(main) == (400, bad("Target volume type is still in use."))

    def test_group_id_is_read_at_any_microversion(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            r = await req(cloud, "POST", "/volumes", version="3.0", json={"volume": {
                "size": 1, "volume_type": vt, "group_id": gid}})
            return cloud.db.volumes[r.json["volume"]["id"]].group_id == gid

        assert run(main) is True
