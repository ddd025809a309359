"""``/consistencygroups`` and ``/cgsnapshots``: Cinder's CG API over generic groups of
``default_cgsnapshot_type``."""

from __future__ import annotations

from typing import Any

from group_helpers import bad, req, run, volume_type

from cindersim.cloud import Cloud
from cindersim.db_groups import DEFAULT_CGSNAPSHOT_TYPE


async def cg(cloud: Cloud, vt: str) -> str:
    r = await req(cloud, "POST", "/consistencygroups",
                  json={"consistencygroup": {"name": "cg", "volume_types": f"{vt},"}})
    assert r.status == 202, r.json
    gid: str = r.json["consistencygroup"]["id"]
    await cloud.settle()
    return gid


class TestConsistencyGroups:
    def test_a_cg_is_a_group_of_the_default_cgsnapshot_type(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vt = await volume_type(cloud)
            gid = await cg(cloud, vt)
            shown = await req(cloud, "GET", f"/consistencygroups/{gid}")
            listed = await req(cloud, "GET", "/consistencygroups/detail")
            as_group = await req(cloud, "GET", f"/groups/{gid}")
            groups = await req(cloud, "GET", "/groups")
            gtype = cloud.db.group_types[cloud.db.groups[gid].group_type_id]
            return vt, gid, shown.json, listed.json, as_group.json, groups.json, gtype

        vt, gid, shown, listed, as_group, groups, gtype = run(main)
        assert shown == {"consistencygroup": {
            "id": gid, "status": "error", "availability_zone": "nova",
            "created_at": shown["consistencygroup"]["created_at"], "name": "cg",
            "description": None, "volume_types": [vt]}}
        assert listed == {"consistencygroups": [shown["consistencygroup"]]}
        assert as_group == bad(f"Group_type {gtype.id} is reserved for migrating CGs to "
                               "groups. Migrated group can only be operated by CG APIs.")
        assert groups == {"groups": []}
        assert gtype.name == DEFAULT_CGSNAPSHOT_TYPE
        assert gtype.group_specs == {"consistent_group_snapshot_enabled": "<is> True"}


class TestConsistencyGroupsOnLVM:
    """The manager hands CG-type groups to the driver's consistency-group methods, which
    the LVM driver does not implement (the LVM gate skips the CG tests for this)."""

    def test_create_fails_in_the_driver_and_leaves_the_cg_in_error(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vt = await volume_type(cloud)
            gid = await cg(cloud, vt)
            calls = [(e.kind, e.detail.get("call"), e.detail.get("error"))
                     for e in cloud.sim.trace.events if e.kind in ("driver", "driver.error")]
            joined = await req(cloud, "POST", "/volumes", json={"volume": {
                "size": 1, "volume_type": vt, "consistencygroup_id": gid}})
            return cloud.db.groups[gid].status, calls, joined.json

        status, calls, joined = run(main)
        assert status == "error"
        assert calls == [("driver", "create_consistencygroup", None),
                         ("driver.error", "create_consistencygroup", "NotImplementedError")]
        assert joined == bad("Invalid Group: Originating group status must be one of "
                             "'available, creating' values")

    def test_delete_and_cgsnapshots_stop_where_cinder_stops(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vt = await volume_type(cloud)
            gid = await cg(cloud, vt)
            snap = await req(cloud, "POST", "/cgsnapshots",
                             json={"cgsnapshot": {"consistencygroup_id": gid, "name": "s"}})
            sid = snap.json["cgsnapshot"]["id"]
            await cloud.settle()
            detail = await req(cloud, "GET", "/cgsnapshots/detail")
            hidden = await req(cloud, "GET", "/group_snapshots")
            busy = await req(cloud, "POST", f"/consistencygroups/{gid}/delete",
                             json={"consistencygroup": {"force": True}})
            undeletable = await req(cloud, "DELETE", f"/cgsnapshots/{sid}")
            await req(cloud, "POST", f"/group_snapshots/{sid}/action", "admin",
                      {"reset_status": {"status": "available"}}, version="3.19")
            await req(cloud, "DELETE", f"/cgsnapshots/{sid}")
            await cloud.settle()
            still = cloud.db.group_snapshots[sid].status
            empty = await cg(cloud, vt)  # no snapshot: the delete reaches the driver
            gone = await req(cloud, "POST", f"/consistencygroups/{empty}/delete",
                             json={"consistencygroup": {"force": True}})
            await cloud.settle()
            return (snap.status, sid, gid, detail.json, hidden.json, busy.json,
                    undeletable.json, still, gone.status, cloud.db.groups[empty].status)

        (status, sid, gid, detail, hidden, busy, undeletable, still, gone,
         final) = run(main)
        assert status == 202
        assert detail == {"cgsnapshots": [{
            "id": sid, "consistencygroup_id": gid, "status": "creating",
            "created_at": detail["cgsnapshots"][0]["created_at"], "name": "s",
            "description": None}]}
        assert hidden == {"group_snapshots": []}
        assert busy == bad("Invalid Group: Group has existing snapshots.")
        assert undeletable == bad(
            "Invalid GroupSnapshot: GroupSnapshot status must be available or error, and no "
            "Group can be currently using it as source for its creation.")
        assert still == "deleting"
        assert (gone, final) == (202, "error")

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vt = await volume_type(cloud)
            gid = await cg(cloud, vt)
            out = []
            for method, sub, body in [
                    ("POST", "/consistencygroups",
                     {"consistencygroup": {"name": "x", "volume_types": ""}}),
                    ("POST", "/consistencygroups/create_from_src",
                     {"consistencygroup-from-src": {"name": "x"}}),
                    ("POST", "/consistencygroups/create_from_src",
                     {"consistencygroup-from-src": {"name": "x", "source_cgid": gid,
                                                    "cgsnapshot_id": gid}}),
                    ("PUT", f"/consistencygroups/{gid}/update", {"consistencygroup": {}}),
                    ("POST", f"/consistencygroups/{gid}/delete",
                     {"consistencygroup": {"force": "perhaps"}})]:
                r = await req(cloud, method, sub, json=body)
                out.append(r.json)
            return out

        empty, neither, both, update, force = run(main)
        assert empty == bad("volume_types must be provided to create consistency group x.")
        assert neither == bad("Either 'cgsnapshot_id' or 'source_cgid' must be provided to "
                              "create consistency group x from source.")
        assert both == bad("Cannot provide both 'cgsnapshot_id' and 'source_cgid' to create "
                           "consistency group x from source.")
        assert update == bad("Must specify one or more of the following keys to update: "
                             "name, description, add_volumes, remove_volumes.")
        assert force == bad("Invalid value 'False' for force.")
