"""``/group_types`` and ``/group_types/{id}/group_specs`` (3.11)."""

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
    volume_type,
)

from cindersim.cloud import Cloud
from cindersim.db_groups import DEFAULT_CGSNAPSHOT_TYPE


class TestGroupTypes:
    def test_create_answers_202_with_the_view_and_admins_see_specs(self) -> None:
        async def main(cloud: Cloud) -> Any:
            created = await req(cloud, "POST", "/group_types", "admin", {"group_type": {
                "name": "gt", "description": "d", "is_public": "false",
                "group_specs": {"consistent_group_snapshot_enabled": "<is> True"}}})
            gid = created.json["group_type"]["id"]
            as_admin = await req(cloud, "GET", f"/group_types/{gid}", "admin")
            return created.status, created.json, as_admin.json

        status, body, shown = run(main)
        assert status == 202
        assert body == {"group_type": {
            "id": body["group_type"]["id"], "name": "gt", "description": "d",
            "is_public": False,
            "group_specs": {"consistent_group_snapshot_enabled": "<is> True"}}}
        assert shown == body

    def test_members_see_public_types_without_specs_and_private_ones_not_at_all(self) -> None:
        async def main(cloud: Cloud) -> Any:
            pub = await group_type(cloud, "pub", group_specs={"k": "v"})
            priv = await group_type(cloud, "priv", is_public=False)
            listed = await req(cloud, "GET", "/group_types")
            shown = await req(cloud, "GET", f"/group_types/{pub}")
            hidden = await req(cloud, "GET", f"/group_types/{priv}")
            return pub, priv, listed.json, shown.json, hidden.status, hidden.json

        pub, priv, listed, shown, status, body = run(main)
        names = [t["name"] for t in listed["group_types"]]
        assert "priv" not in names
        assert {"pub", DEFAULT_CGSNAPSHOT_TYPE} <= set(names)
        assert shown == {"group_type": {"id": pub, "name": "pub", "description": None,
                                        "is_public": True}}
        assert (status, body) == (404, not_found(f"Group type {priv} could not be found."))

    def test_admin_lists_filter_by_is_public_and_sort(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await group_type(cloud, "a-type")
            await group_type(cloud, "b-type", is_public=False)
            asc = await req(cloud, "GET", "/group_types?sort=name:asc", "admin")
            private = await req(cloud, "GET", "/group_types?is_public=false", "admin")
            every = await req(cloud, "GET", "/group_types?is_public=none&sort_key=name"
                                            "&sort_dir=desc", "admin")
            wrong = await req(cloud, "GET", "/group_types?is_public=maybe", "admin")
            return asc.json, private.json, every.json, wrong.json

        asc, private, every, wrong = run(main)
        assert [t["name"] for t in asc["group_types"]] == ["a-type", DEFAULT_CGSNAPSHOT_TYPE]
        assert [t["name"] for t in private["group_types"]] == ["b-type"]
        assert [t["name"] for t in every["group_types"]] == [
            DEFAULT_CGSNAPSHOT_TYPE, "b-type", "a-type"]
        assert wrong == bad("Invalid is_public filter [maybe]")

    def test_create_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await group_type(cloud, "dup")
            out = []
            for user, body in [("admin", {"group_type": {"name": "dup"}}),
                               ("admin", {"group_type": {"name": "  "}}),
                               ("admin", {"group_type": {}}),
                               ("admin", {"group_type": {"name": "x", "bogus": 1}}),
                               ("demo", {"group_type": {"name": "mine"}})]:
                r = await req(cloud, "POST", "/group_types", user, body)
                out.append((r.status, r.json))
            return out

        dup, blank, missing, extra, member = run(main)
        assert dup == (409, {"conflictingRequest": {
            "code": 409, "message": "Group Type dup already exists."}})
        assert blank == (400, bad("An invalid 'name' value was provided. The 'name' can not be "
                                  "empty."))
        assert missing == (400, bad("'name' is a required property"))
        assert extra[0] == 400
        assert "'bogus' was unexpected" in extra[1]["badRequest"]["message"]
        assert member == (403, forbidden("group:group_types:create"))

    def test_update_and_its_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gid = await group_type(cloud, "one")
            await group_type(cloud, "two")
            out = []
            for body in [{"group_type": {"name": "uno", "description": "first"}},
                         {"group_type": {}},
                         {"group_type": {"name": "   "}},
                         {"group_type": {"name": "two"}}]:
                r = await req(cloud, "PUT", f"/group_types/{gid}", "admin", body)
                out.append((r.status, r.json))
            r = await req(cloud, "PUT", f"/group_types/{UNKNOWN}", "admin",
                          {"group_type": {"name": "z"}})
            out.append((r.status, r.json))
            return gid, out

        gid, (ok, empty, blank, taken, missing) = run(main)
        assert ok == (200, {"group_type": {"id": gid, "name": "uno", "description": "first",
                                           "is_public": True, "group_specs": {}}})
        assert empty == (400, bad("Specify group type name, description or a combination "
                                  "thereof."))
        assert blank == (400, bad("Group type name can not be empty."))
        assert taken[0] == 409
        assert missing == (404, not_found(f"Group type {UNKNOWN} could not be found."))

    def test_delete_refuses_a_type_in_use_and_forgets_an_unused_one(self) -> None:
        async def main(cloud: Cloud) -> Any:
            used = await group_type(cloud, "used")
            spare = await group_type(cloud, "spare")
            vt = await volume_type(cloud)
            await group(cloud, used, [vt])
            in_use = await req(cloud, "DELETE", f"/group_types/{used}", "admin")
            gone = await req(cloud, "DELETE", f"/group_types/{spare}", "admin")
            again = await req(cloud, "GET", f"/group_types/{spare}", "admin")
            member = await req(cloud, "DELETE", f"/group_types/{used}")
            return in_use.json, gone.status, again.status, member.json

        in_use, gone, again, member = run(main)
        assert in_use == bad("Target group type is still in use.")
        assert (gone, again) == (202, 404)
        assert member == forbidden("group:group_types:delete")

    def test_default_group_type_is_404_unless_configured(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "GET", "/group_types/default")
            return r.status, r.json

        assert run(main) == (404, not_found("Default group type can not be found."))

    def test_below_3_11_the_routes_do_not_exist(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "GET", "/group_types", "admin", version="3.10")
            return r.status

        assert run(main) == 404


class TestGroupSpecs:
    def test_create_show_update_list_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gid = await group_type(cloud)
            base = f"/group_types/{gid}/group_specs"
            created = await req(cloud, "POST", base, "admin",
                                {"group_specs": {"a": "1", "b": "2"}})
            updated = await req(cloud, "PUT", f"{base}/a", "admin", {"a": "9"})
            shown = await req(cloud, "GET", f"{base}/a", "admin")
            deleted = await req(cloud, "DELETE", f"{base}/b", "admin")
            listed = await req(cloud, "GET", base, "admin")
            return [(r.status, r.json) for r in (created, updated, shown, deleted, listed)]

        created, updated, shown, deleted, listed = run(main)
        assert created == (202, {"group_specs": {"a": "1", "b": "2"}})
        assert updated == (200, {"a": "9"})
        assert shown == (200, {"a": "9"})
        assert deleted == (202, None)
        assert listed == (200, {"group_specs": {"a": "9"}})

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            gid = await group_type(cloud)
            base = f"/group_types/{gid}/group_specs"
            out = []
            for method, sub, body, user in [
                    ("PUT", "/a", {"b": "1"}, "admin"),
                    ("PUT", "/a", {"a": "1", "b": "2"}, "admin"),
                    ("GET", "/nope", None, "admin"),
                    ("DELETE", "/nope", None, "admin"),
                    ("POST", "", {"group_specs": {"bad key": "1"}}, "admin"),
                    ("GET", "", None, "demo")]:
                r = await req(cloud, method, base + sub, user, body)
                out.append((r.status, r.json))
            missing = await req(cloud, "GET", f"/group_types/{UNKNOWN}/group_specs", "admin")
            return gid, out, (missing.status, missing.json)

        gid, (mismatch, two, show, delete, key, member), missing = run(main)
        assert mismatch == (400, bad("Request body and URI mismatch"))
        assert two[0] == 400
        assert show == (404, not_found(f"Group Type {gid} has no extra spec with key nope."))
        assert delete == (404, not_found(f"Group Type {gid} has no specs with key nope."))
        assert key[0] == 400
        assert member == (403, forbidden("group:group_types_specs:get_all"))
        assert missing == (404, not_found(f"Group type {UNKNOWN} could not be found."))
