"""/volumes through cinder-api against cinder/api/v3/volumes.py, the v3 volume
schemas, cinder/volume/api.py and the create flow's API tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, Response, simulate
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]
UNKNOWN = "0c2a3c4e-1111-4222-8333-944455556666"


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    return result.value


def mv(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"volume {version}"}


async def req(cloud: Cloud, method: str, sub: str, user: str = "demo", json: Any = None,
              version: str | None = None) -> Response:
    return await cloud.request(method, f"/v3/{cloud.project_id(user)}{sub}", json=json,
                               token=cloud.token(user),
                               headers=mv(version) if version else None)


async def create(cloud: Cloud, user: str = "demo", **volume: Any) -> str:
    volume.setdefault("size", 1)
    r = await req(cloud, "POST", "/volumes", user, {"volume": volume})
    assert r.status == 202, r.json
    vid: str = r.json["volume"]["id"]
    return vid


def bad_request(message: str) -> dict[str, Any]:
    return {"badRequest": {"code": 400, "message": message}}


class TestCreate:
    def test_202_creating_then_available(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "POST", "/volumes", json={"volume": {
                "size": 2, "name": "  data  ", "description": "d", "metadata": {"k": "v"}}})
            await cloud.settle()
            shown = await req(cloud, "GET", f"/volumes/{r.json['volume']['id']}")
            return r, shown.json["volume"]

        r, shown = run(main)
        assert r.status == 202
        vol = r.json["volume"]
        assert vol["status"] == "creating"
        assert (vol["size"], vol["name"], vol["description"]) == (2, "data", "d")
        assert vol["metadata"] == {"k": "v"}
        assert vol["volume_type"] == "__DEFAULT__"
        assert vol["availability_zone"] == "nova"
        assert vol["bootable"] == "false"
        assert vol["attachments"] == []
        assert "attach_status" not in vol
        assert "os-vol-host-attr:host" not in vol
        assert shown["status"] == "available"

    @pytest.mark.parametrize(("volume", "message"), [
        ({"size": 0}, "Invalid input for field/attribute size. Value: 0. 0 is less than the "
                      "minimum of 1"),
        ({"size": -1}, "Invalid input for field/attribute size. Value: -1. -1 is less than "
                       "the minimum of 1"),
        ({"size": "abc"}, "Invalid input for field/attribute size. Value: abc. 'abc' does "
                          "not match '^[0-9]+$'"),
        ({"size": "-1"}, "Invalid input for field/attribute size. Value: -1. '-1' does not "
                         "match '^[0-9]+$'"),
        ({"size": 1.5}, "Invalid input for field/attribute size. Value: 1.5. 1.5 is not of "
                        "type 'integer', 'string'"),
        ({"size": True}, "Invalid input for field/attribute size. Value: True. True is not "
                         "of type 'integer', 'string'"),
        ({}, "Invalid input received: Volume size 'None' must be an integer and greater "
             "than 0"),
        ({"size": 1, "name": "n" * 256},
         "Invalid input received: name has 256 characters, more than 255."),
        ({"size": 1, "description": "d" * 256},
         "Invalid input received: description has 256 characters, more than 255."),
        ({"size": 1, "metadata": {"k": 1}},
         "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'"),
        ({"size": 1, "metadata": {"a$b": "x"}},
         "Invalid input for field/attribute metadata. Value: {'a$b': 'x'}. Additional "
         "properties are not allowed ('a$b' was unexpected)"),
        ({"size": 1, "metadata": "k=v"},
         "Invalid input for field/attribute metadata. Value: k=v. 'k=v' is not of type "
         "'object', 'null'"),
        ({"size": 1, "multiattach": True},
         "multiattach parameter has been removed. The default behavior is to use "
         "multiattach enabled volume types. Contact your administrator to create a "
         "multiattach enabled volume type and use it to create multiattach volumes."),
        ({"size": 1, "availability_zone": "mars"}, "Availability zone 'mars' is invalid."),
        ({"size": 1, "snapshot_id": "nope"},
         "Invalid input for field/attribute snapshot_id. Value: nope. 'nope' is not a "
         "'uuid'"),
    ])
    def test_validation_400s_change_nothing(self, volume: dict[str, Any],
                                            message: str) -> None:
        async def main(cloud: Cloud) -> Any:
            before = cloud.db.fingerprint()
            r = await req(cloud, "POST", "/volumes", json={"volume": volume})
            return r.status, r.json, before == cloud.db.fingerprint()

        status, body, unchanged = run(main)
        assert (status, body) == (400, bad_request(message))
        assert unchanged

    @pytest.mark.parametrize(("body", "message"), [
        ({"size": 1}, "'volume' is a required property"),
        ({"volume": 5}, "Invalid input for field/attribute volume. Value: 5. 5 is not of "
                        "type 'object'"),
        ({"volume": {"size": 1}, "extra": 1},
         "Additional properties are not allowed ('extra' was unexpected)"),
    ])
    def test_body_shape_400s(self, body: dict[str, Any], message: str) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "POST", "/volumes", json=body)
            return r.status, r.json

        assert run(main) == (400, bad_request(message))

    @pytest.mark.parametrize(("volume", "version", "status", "answer"), [
        ({"display_name": 5}, None, 400,
         "Invalid input for field/attribute display_name. Value: 5. 5 is not of type "
         "'string', 'null'"),
        ({"name": None, "display_name": " dn "}, None, 202, ("dn", None)),
        ({"description": " dd "}, None, 202, (None, "dd")),  # one key of its group
        ({"display_description": 5}, None, 400,
         "Invalid input for field/attribute display_description. Value: 5. 5 is not of "
         "type 'string', 'null'"),
        ({"description": None, "display_description": "x" * 256}, None, 400,
         "Invalid input received: description has 256 characters, more than 255."),
        ({"availability_zone": " "}, None, 400, "The 'availability_zone' can not be None."),
        ({"availability_zone": 5}, None, 400,
         "Invalid input for field/attribute availability_zone. Value: 5. 5 is not of type "
         "'string'"),
        ({"multiattach": "maybe"}, None, 400,
         "Invalid input for field/attribute multiattach. Value: maybe. 'maybe' is not of "
         "type 'boolean', 'string'"),
        ({"source_volid": "nope"}, None, 400,
         "Invalid input for field/attribute source_volid. Value: nope. 'nope' is not a "
         "'uuid'"),
        ({"backup_id": "nope"}, "3.47", 400,
         "Invalid input for field/attribute backup_id. Value: nope. 'nope' is not a "
         "'uuid'"),
        ({"backup_id": "nope"}, "3.46", 202, (None, None)),  # not read before 3.47
        ({"imageRef": 5}, None, 400,
         "Invalid input for field/attribute imageRef. Value: 5. 5 is not of type 'string'"),
        ({"imageRef": "", "image_id": 5}, None, 400,
         "Invalid input for field/attribute image_id. Value: 5. 5 is not of type 'string'"),
        ({"volume_type": 5}, None, 400,
         "Invalid input for field/attribute volume_type. Value: 5. 5 is not of type "
         "'string'"),
        ({"snapshot_id": UNKNOWN, "source_volid": UNKNOWN}, None, 400,
         "Invalid input received: only one of snapshot, imageRef, source volume and "
         "backup may be specified"),
        ({"bogus": 1}, "3.53", 400,
         "Invalid input for field/attribute volume. Value: {'size': 1, 'bogus': 1}. "
         "Additional properties are not allowed ('bogus' was unexpected)"),
        ({"bogus": 1}, "3.52", 202, (None, None)),  # the schema is strict from 3.53
    ])
    def test_each_key_present_is_validated(self, volume: dict[str, Any], version: str | None,
                                           status: int, answer: Any) -> None:
        """Create validates only the keys a body has: each one, when present, is still
        checked (and the display_* spellings still stand in for a null name)."""
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 1, **volume}},
                          version=version)
            if r.status == 202:
                return r.status, (r.json["volume"]["name"], r.json["volume"]["description"])
            return r.status, r.json

        expected = answer if status == 202 else bad_request(answer)
        assert run(main) == (status, expected)

    def test_multiattach_false_is_accepted(self) -> None:
        async def main(cloud: Cloud) -> int:
            r = await req(cloud, "POST", "/volumes",
                          json={"volume": {"size": 1, "multiattach": False}})
            return r.status

        assert run(main) == 202

    def test_unknown_keys_rejected_from_3_53_ignored_below(self) -> None:
        async def main(cloud: Cloud) -> Any:
            body = {"volume": {"size": 1, "colour": "blue"}}
            old = await req(cloud, "POST", "/volumes", json=body, version="3.52")
            await cloud.settle()
            before = cloud.db.fingerprint()
            new = await req(cloud, "POST", "/volumes", json=body, version="3.53")
            return old.status, new.status, new.json, before == cloud.db.fingerprint()

        old, new, body, unchanged = run(main)
        assert old == 202
        assert (new, body) == (400, bad_request(
            "Invalid input for field/attribute volume. Value: {'size': 1, 'colour': 'blue'}. "
            "Additional properties are not allowed ('colour' was unexpected)"))
        assert unchanged

    @pytest.mark.parametrize(("ref", "message"), [
        ("gold", "Volume type with name gold could not be found."),
        (UNKNOWN, f"Volume type {UNKNOWN} could not be found."),
    ])
    def test_unknown_volume_type_is_404(self, ref: str, message: str) -> None:
        async def main(cloud: Cloud) -> Any:
            before = cloud.db.fingerprint()
            r = await req(cloud, "POST", "/volumes",
                          json={"volume": {"size": 1, "volume_type": ref}})
            return r.status, r.json, before == cloud.db.fingerprint()

        assert run(main) == (404, {"itemNotFound": {"code": 404, "message": message}}, True)

    def test_type_by_name_or_id(self) -> None:
        async def main(cloud: Cloud) -> list[Any]:
            vtype = cloud.default_volume_type()
            out = []
            for ref in (vtype.name, vtype.id):
                r = await req(cloud, "POST", "/volumes",
                              json={"volume": {"size": 1, "volume_type": ref}})
                out.append((r.status, r.json["volume"]["volume_type"]))
            return out

        assert run(main) == [(202, "__DEFAULT__"), (202, "__DEFAULT__")]

    def test_quota_exceeded_is_413_and_nothing_created(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, size=8)
            await cloud.settle()
            before = cloud.db.fingerprint()
            r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 3}})
            return r, before == cloud.db.fingerprint()

        r, unchanged = run(main, config={"DEFAULT": {"quota_gigabytes": 10}})
        assert r.status == 413
        assert r.headers["Retry-After"] == "0"
        assert r.json == {"overLimit": {"code": 413, "retryAfter": "0", "message": (
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
            "gigabytes quota. Requested 3G, quota is 10G and 8G has been consumed.")}}
        assert unchanged

    @pytest.mark.parametrize("limit_from", ["config", "project", "default class"])
    def test_per_volume_limit_is_413_and_nothing_created(self, limit_from: str) -> None:
        """``per_volume_gigabytes`` from wherever it is set (the limit is read with the
        commit's limits now): over it a 413 that reserves, draws and writes nothing."""

        async def main(cloud: Cloud) -> Any:
            pid, admin = cloud.project_id("demo"), cloud.project_id("admin")
            if limit_from == "project":
                r = await cloud.request("PUT", f"/v3/{admin}/os-quota-sets/{pid}",
                                        json={"quota_set": {"per_volume_gigabytes": 5}},
                                        token=cloud.token("admin"))
                assert r.status == 200, r.json
            elif limit_from == "default class":
                r = await cloud.request(
                    "PUT", f"/v3/{admin}/os-quota-class-sets/default",
                    json={"quota_class_set": {"per_volume_gigabytes": 5}},
                    token=cloud.token("admin"))
                assert r.status == 200, r.json
            before, issued = cloud.db.fingerprint(), cloud.sim.ids.issued
            over = await req(cloud, "POST", "/volumes", json={"volume": {"size": 6}})
            unchanged = (before == cloud.db.fingerprint(), cloud.sim.ids.issued - issued)
            fits = await req(cloud, "POST", "/volumes", json={"volume": {"size": 5}})
            return over, unchanged, fits.status

        config = {"DEFAULT": {"per_volume_size_limit": 5}} if limit_from == "config" else None
        over, unchanged, fits = run(main, config=config)
        assert over.status == 413
        assert over.json == {"overLimit": {"code": 413, "retryAfter": "0", "message": (
            "VolumeSizeExceedsLimit: Requested volume size 6G is larger than maximum "
            "allowed limit 5G.")}}
        assert unchanged == (True, 1)  # only the request's own id was drawn
        assert fits == 202

    def test_volume_count_quota(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud)
            await create(cloud)
            await cloud.settle()
            before = cloud.db.fingerprint()
            r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 1}})
            return r.status, r.json, before == cloud.db.fingerprint()

        status, body, unchanged = run(main, config={"DEFAULT": {"quota_volumes": 2}})
        assert status == 413
        assert body["overLimit"]["message"] == (
            "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota "
            "'volumes'.")
        assert unchanged


def _plain_json(value: Any) -> bool:
    """Exactly JSON's own types all the way down (no tuple, enum or str subclass)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if kind is list:
        return all(_plain_json(v) for v in value)
    return kind in (str, int, float, bool, type(None))


class TestCreateResponseBody:
    """A create answers with a body built for it alone (``ApiResponse.fresh``): the
    in-process client takes it without a copy, so it must be plain JSON and its own."""

    @pytest.mark.parametrize(("user", "version", "volume"), [
        ("demo", None, {"size": 1}),
        ("demo", "3.71", {"size": 2, "name": " n ", "description": "d",
                          "metadata": {"k": "v"}, "availability_zone": "nova"}),
        ("admin", "3.71", {"size": "3", "volume_type": "__DEFAULT__"}),
    ])
    def test_the_body_is_plain_json_and_shares_nothing(
            self, user: str, version: str | None, volume: dict[str, Any]) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "POST", "/volumes", user, {"volume": volume}, version)
            assert r.status == 202, r.json
            body = r.json["volume"]
            vol = cloud.db.volumes[body["id"]]
            # Whatever the client does to its body, the database does not see it.
            body["metadata"]["x"] = "y"
            body["links"].append({})
            body["attachments"].append({})
            await cloud.settle()
            shown = await req(cloud, "GET", f"/volumes/{body['id']}", user, None, version)
            return r.json, vol.metadata, shown.json["volume"]

        created, metadata, shown = run(main, trace_mode="off")
        assert _plain_json(created)
        assert "x" not in metadata
        assert "x" not in shown["metadata"]
        assert len(shown["links"]) == 2
        assert shown["attachments"] == []

    def test_a_full_trace_keeps_the_body_as_answered(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 1}})
            r.json["volume"]["name"] = "changed by the client"
            return r.json

        result = simulate(main)
        answered = [e.detail["body"] for e in result.trace.events if e.kind == "api.response"]
        assert answered[-1]["volume"]["name"] is None
        assert result.value["volume"]["name"] == "changed by the client"


class TestListAndShow:
    @staticmethod
    async def three(cloud: Cloud) -> list[str]:
        ids = [await create(cloud, name="a", size=1, metadata={"tier": "gold"}),
               await create(cloud, name="b", size=3),
               await create(cloud, name="c", size=2, metadata={"tier": "gold", "x": "y"})]
        await create(cloud, "alt_demo", name="a", size=1)
        await cloud.settle()
        return ids

    def test_summary_and_detail_shapes(self) -> None:
        async def main(cloud: Cloud) -> Any:
            ids = await self.three(cloud)
            summary = await req(cloud, "GET", "/volumes")
            detail = await req(cloud, "GET", "/volumes/detail")
            return ids, summary.json, detail.json, cloud.project_id("demo")

        ids, summary, detail, pid = run(main)
        # Default sort: created_at desc, then id desc.
        assert [v["id"] for v in summary["volumes"]] == ids[::-1]
        first = summary["volumes"][0]
        assert set(first) == {"id", "name", "links"}
        assert first["links"] == [
            {"rel": "self", "href": f"http://cinder.example:8776/v3/{pid}/volumes/{ids[2]}"},
            {"rel": "bookmark", "href": f"http://cinder.example:8776/{pid}/volumes/{ids[2]}"}]
        assert "volumes_links" not in summary
        assert [v["id"] for v in detail["volumes"]] == ids[::-1]
        assert {v["status"] for v in detail["volumes"]} == {"available"}
        assert {v["os-vol-tenant-attr:tenant_id"] for v in detail["volumes"]} == {pid}

    @pytest.mark.parametrize(("query", "names"), [
        ("?name=a", ["a"]),
        ("?status=available", ["c", "b", "a"]),
        ("?status=error", []),
        ("?metadata={'tier':'gold'}", ["c", "a"]),
        ("?metadata={'tier':'gold','x':'y'}", ["c"]),
        ("?size=3", ["b"]),
        ("?all_tenants=1", ["c", "b", "a"]),
        ("?sort=name:asc", ["a", "b", "c"]),
        ("?sort=size:desc", ["b", "c", "a"]),
        ("?sort_key=name&sort_dir=asc", ["a", "b", "c"]),
        ("?nonsense=1", ["c", "b", "a"]),
    ])
    def test_member_filters_and_sorts(self, query: str, names: list[str]) -> None:
        async def main(cloud: Cloud) -> list[str]:
            await self.three(cloud)
            r = await req(cloud, "GET", f"/volumes/detail{query}")
            assert r.status == 200
            return [v["name"] for v in r.json["volumes"]]

        assert run(main) == names

    def test_all_tenants_for_admin(self) -> None:
        async def main(cloud: Cloud) -> tuple[int, int, int]:
            await self.three(cloud)
            everyone = await req(cloud, "GET", "/volumes?all_tenants=true", "admin")
            own = await req(cloud, "GET", "/volumes", "admin")
            alt = await req(cloud, "GET", f"/volumes/detail?all_tenants=1&project_id="
                                          f"{cloud.project_id('alt_demo')}", "admin")
            return len(everyone.json["volumes"]), len(own.json["volumes"]), \
                len(alt.json["volumes"])

        assert run(main) == (4, 0, 1)

    def test_limit_marker_and_next_link(self) -> None:
        async def main(cloud: Cloud) -> Any:
            ids = await self.three(cloud)
            first = await req(cloud, "GET", "/volumes?limit=2&sort=name:asc")
            marker = first.json["volumes"][-1]["id"]
            second = await req(cloud, "GET", f"/volumes?limit=2&sort=name:asc&marker={marker}")
            return ids, first.json, second.json, cloud.project_id("demo")

        ids, first, second, pid = run(main)
        assert [v["id"] for v in first["volumes"]] == ids[:2]
        assert first["volumes_links"] == [{
            "rel": "next",
            "href": f"http://cinder.example:8776/v3/{pid}/volumes?limit=2&sort=name%3Aasc"
                    f"&marker={ids[1]}"}]
        assert [v["id"] for v in second["volumes"]] == ids[2:]
        assert "volumes_links" not in second

    def test_bad_marker_is_404_and_sort_key_400(self) -> None:
        async def main(cloud: Cloud) -> list[Any]:
            await self.three(cloud)
            a = await req(cloud, "GET", f"/volumes?marker={UNKNOWN}")
            b = await req(cloud, "GET", "/volumes?sort=colour")
            return [(a.status, a.json), (b.status, b.json)]

        assert run(main) == [
            # The DB layer fetches the marker row: VolumeNotFound; sqlalchemyutils
            # names no key in its sort-key error.
            (404, {"itemNotFound": {"code": 404,
                                    "message": f"Volume {UNKNOWN} could not be found."}}),
            (400, bad_request("Invalid input received: Invalid sort key"))]

    def test_with_count_from_3_45(self) -> None:
        async def main(cloud: Cloud) -> list[Any]:
            await self.three(cloud)
            out = []
            for version in ("3.44", "3.45"):
                r = await req(cloud, "GET", "/volumes?with_count=true&limit=1",
                              version=version)
                out.append(r.json.get("count"))
            return out

        assert run(main) == [None, 3]

    def test_show_other_projects_volume_is_404(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, "alt_demo")
            r = await req(cloud, "GET", f"/volumes/{vid}")
            admin = await req(cloud, "GET", f"/volumes/{vid}", "admin")
            return vid, r.status, r.json, admin.status, admin.json["volume"]

        vid, status, body, admin_status, admin_view = run(main)
        assert (status, body) == (404, {"itemNotFound": {
            "code": 404, "message": f"Volume {vid} could not be found."}})
        assert admin_status == 200
        assert "os-vol-host-attr:host" in admin_view

    def test_trailing_slash_is_an_empty_id(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await req(cloud, "GET", "/volumes/")
            return r.status, r.json

        assert run(main) == (404, {"itemNotFound": {
            "code": 404, "message": "Volume  could not be found."}})

    def test_view_fields_by_microversion(self) -> None:
        async def main(cloud: Cloud) -> list[set[str]]:
            vid = await create(cloud)
            out = []
            for version in ("3.0", "3.13", "3.48", "3.63", "3.65"):
                r = await req(cloud, "GET", f"/volumes/{vid}", version=version)
                out.append(set(r.json["volume"]))
            return out

        v30, v313, v348, v363, v365 = run(main)
        assert "group_id" not in v30
        assert v313 - v30 == {"group_id"}
        assert v348 - v313 == {"shared_targets", "service_uuid"}
        assert v363 - v348 == {"volume_type_id"}
        assert v365 - v363 == {"consumes_quota"}


class TestUpdate:
    def test_update_name_description_metadata(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, name="old", metadata={"a": "1"})
            r = await req(cloud, "PUT", f"/volumes/{vid}", json={"volume": {
                "name": "new", "description": "desc", "metadata": {"b": "2"}}})
            return r.status, r.json["volume"]

        status, vol = run(main)
        assert status == 200
        assert (vol["name"], vol["description"], vol["metadata"]) == ("new", "desc", {"b": "2"})

    @pytest.mark.parametrize(("version", "body", "status"), [
        ("3.0", {"volume": {}}, 200),
        ("3.53", {"volume": {}}, 400),
        ("3.0", {"volume": {"size": 5}}, 400),
        ("3.0", {"volume": {"name": "x" * 256}}, 400),
        ("3.0", {"volume": {"metadata": None}}, 400),
    ])
    def test_update_validation(self, version: str, body: dict[str, Any], status: int) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud)
            await cloud.settle()
            before = cloud.db.fingerprint()
            r = await req(cloud, "PUT", f"/volumes/{vid}", json=body, version=version)
            return r.status, r.json, before == cloud.db.fingerprint()

        got, body_out, unchanged = run(main)
        assert got == status
        if status == 400:
            assert "badRequest" in body_out
            assert unchanged

    def test_update_other_project_is_404(self) -> None:
        async def main(cloud: Cloud) -> int:
            vid = await create(cloud, "alt_demo")
            r = await req(cloud, "PUT", f"/volumes/{vid}", json={"volume": {"name": "x"}})
            return r.status

        assert run(main) == 404


DELETE_REFUSED = ("Invalid volume: Volume status must be available or error or "
                  "error_restoring or error_extending or error_managing and must not be "
                  "migrating, attached, belong to a group, have snapshots, awaiting a "
                  "transfer, or be disassociated from snapshots after volume transfer.")


class TestDelete:
    def test_delete_available_releases_quota(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, size=4)
            await cloud.settle()
            r = await req(cloud, "DELETE", f"/volumes/{vid}")
            mid = cloud.db.volumes[vid].status
            await cloud.settle()
            usage = cloud.quota.usage(cloud.project_id("demo"))
            return r.status, r.json, str(mid), vid in cloud.db.volumes, usage

        status, body, mid, exists, usage = run(main)
        assert (status, body, mid, exists) == (202, None, "deleting", False)
        assert usage["volumes"]["in_use"] == usage["gigabytes"]["in_use"] == 0

    def test_delete_in_wrong_status_is_400(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud)
            await cloud.settle()
            cloud.db.volumes[vid].status = "in-use"  # as if attached by Nova
            before = cloud.db.fingerprint()
            r = await req(cloud, "DELETE", f"/volumes/{vid}")
            return r.status, r.json, before == cloud.db.fingerprint()

        assert run(main) == (400, bad_request(DELETE_REFUSED), True)

    def test_creating_volume_with_a_host_cannot_be_deleted(self) -> None:
        async def main(cloud: Cloud) -> Any:
            svc = next(iter(cloud.volume_services.values()))
            svc.stop()
            vid = await create(cloud)
            await cloud.settle()
            host = cloud.db.volumes[vid].host
            r = await req(cloud, "DELETE", f"/volumes/{vid}")
            return host, r.status, r.json

        host, status, body = run(main)
        assert host == "cinder-1@lvmdriver-1#lvmdriver-1"
        assert (status, body) == (400, bad_request(DELETE_REFUSED))

    def test_volume_without_host_is_deleted_at_the_api(self) -> None:
        async def main(cloud: Cloud) -> Any:
            cloud.scheduler.stop()
            vid = await create(cloud, size=5)
            await cloud.settle()
            pid = cloud.project_id("demo")
            used = cloud.quota.usage(pid)["gigabytes"]["in_use"]
            r = await req(cloud, "DELETE", f"/volumes/{vid}")
            gone = vid not in cloud.db.volumes
            cloud.scheduler.start()
            await cloud.settle()
            return used, r.status, gone, cloud.quota.usage(pid)["gigabytes"]["in_use"], \
                vid in cloud.db.volumes

        # The queued create finds no row when the scheduler comes back.
        assert run(main) == (5, 202, True, 0, False)

    def test_error_volume_can_be_deleted(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, size=50)  # more than the thick 10 GiB VG holds
            await cloud.settle()
            status = str(cloud.db.volumes[vid].status)
            r = await req(cloud, "DELETE", f"/volumes/{vid}")
            await cloud.settle()
            return status, r.status, vid in cloud.db.volumes

        config = {"DEFAULT": {"enabled_backends": "lvm"},
                  "lvm": {"vg_size_gb": 10, "lvm_type": "default"}}
        assert run(main, config=config) == ("error", 202, False)

    def test_force_needs_3_23_and_admin(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud)
            await cloud.settle()
            cloud.inject(FaultRule(op="delete_volume", volume_id=vid, times=1))
            await req(cloud, "DELETE", f"/volumes/{vid}")
            await cloud.settle()
            assert cloud.db.volumes[vid].status == "error_deleting"
            old = await req(cloud, "DELETE", f"/volumes/{vid}?force=true", version="3.22")
            member = await req(cloud, "DELETE", f"/volumes/{vid}?force=true", version="3.23")
            admin = await cloud.request(
                "DELETE", f"/v3/{cloud.project_id('admin')}/volumes/{vid}?force=true",
                token=cloud.token("admin"), headers=mv("3.23"))
            await cloud.settle()
            return old.status, old.json, member.status, member.json, admin.status, \
                vid in cloud.db.volumes

        old, old_body, member, member_body, admin, exists = run(main)
        assert (old, old_body) == (400, bad_request(DELETE_REFUSED))
        assert (member, member_body) == (403, {"forbidden": {
            "code": 403, "message": "Policy doesn't allow volume:force_delete to be "
                                    "performed."}})
        assert (admin, exists) == (202, False)

    def test_force_still_refuses_attached(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud)
            await cloud.settle()
            vol = cloud.db.volumes[vid]
            vol.attach_status = "attached"
            r = await cloud.request(
                "DELETE", f"/v3/{cloud.project_id('admin')}/volumes/{vid}?force=true",
                token=cloud.token("admin"), headers=mv("3.23"))
            return r.status, r.json

        assert run(main) == (400, bad_request(
            "Invalid volume: Volume  must not be migrating, attached, belong to a group, "
            "have snapshots, awaiting a transfer, or be disassociated from snapshots after "
            "volume transfer."))

    def test_snapshots_block_delete_unless_cascade(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, size=2)
            await cloud.settle()
            s = await req(cloud, "POST", "/snapshots", json={"snapshot": {"volume_id": vid}})
            assert s.status == 202, s.json
            await cloud.settle()
            plain = await req(cloud, "DELETE", f"/volumes/{vid}")
            cascade = await req(cloud, "DELETE", f"/volumes/{vid}?cascade=true")
            await cloud.settle()
            pid = cloud.project_id("demo")
            return plain.status, plain.json, cascade.status, vid in cloud.db.volumes, \
                len(cloud.db.snapshots), cloud.quota.usage(pid)

        plain, plain_body, cascade, exists, snaps, usage = run(main)
        assert (plain, plain_body) == (400, bad_request(DELETE_REFUSED))
        assert (cascade, exists, snaps) == (202, False, 0)
        assert usage["gigabytes"]["in_use"] == 0
        assert usage["snapshots"]["in_use"] == 0
        assert usage["volumes"]["in_use"] == 0

    def test_other_project_is_404(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, "alt_demo")
            r = await req(cloud, "DELETE", f"/volumes/{vid}")
            return r.status, vid in cloud.db.volumes

        assert run(main) == (404, True)

    def test_two_force_deletes_release_quota_once(self) -> None:
        """A force-delete of a volume already ``deleting`` casts a second delete; the
        manager's per-volume lock makes the second find the row gone."""
        async def main(cloud: Cloud) -> Any:
            keep = await create(cloud, size=2)
            vid = await create(cloud, size=3)
            await cloud.settle()
            admin = f"/v3/{cloud.project_id('admin')}/volumes/{vid}?force=true"
            codes = []
            for _ in range(2):
                r = await cloud.request("DELETE", admin, token=cloud.token("admin"),
                                        headers=mv("3.23"))
                codes.append(r.status)
            await cloud.settle()
            usage = cloud.quota.usage(cloud.project_id("demo"))
            return codes, vid in cloud.db.volumes, keep in cloud.db.volumes, \
                usage["volumes"]["in_use"], usage["gigabytes"]["in_use"]

        assert run(main) == ([202, 202], False, True, 1, 2)
