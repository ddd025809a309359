"""/types through cinder-api: types_manage, types_extra_specs, volume_type_access and
volume_type_encryption as Cinder answers them, plus what types do to volume create
(visibility, encryption flag, per-type quota, placement by extra specs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    assert result.cloud.api.errors_5xx == 0
    return result.value


def url(cloud: Cloud, user: str, suffix: str) -> str:
    return f"/v3/{cloud.project_id(user)}{suffix}"


async def call(cloud: Cloud, user: str, method: str, suffix: str, body: Any = None,
               version: str | None = None) -> Any:
    headers = {"OpenStack-API-Version": f"volume {version}"} if version else None
    return await cloud.request(method, url(cloud, user, suffix), json=body,
                               token=cloud.token(user), headers=headers)


async def make_type(cloud: Cloud, name: str, *, specs: dict[str, str] | None = None,
                    public: bool = True, description: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "os-volume-type-access:is_public": public}
    if specs is not None:
        body["extra_specs"] = specs
    if description is not None:
        body["description"] = description
    r = await call(cloud, "admin", "POST", "/types", {"volume_type": body})
    assert r.status == 200, r.json
    return str(r.json["volume_type"]["id"])


async def make_volume(cloud: Cloud, user: str, size: int = 1,
                      vtype: str | None = None) -> Any:
    body: dict[str, Any] = {"size": size}
    if vtype is not None:
        body["volume_type"] = vtype
    return await call(cloud, user, "POST", "/volumes", {"volume": body})


def forbidden(action: str) -> dict[str, Any]:
    return {"forbidden": {"code": 403, "message": f"Policy doesn't allow {action} to be "
                                                  "performed."}}


def bad(message: str) -> dict[str, Any]:
    return {"badRequest": {"code": 400, "message": message}}


def not_found(message: str) -> dict[str, Any]:
    return {"itemNotFound": {"code": 404, "message": message}}


async def refused(cloud: Cloud, user: str, method: str, suffix: str,
                  body: Any = None) -> tuple[int, Any]:
    """A request that must change nothing: returns (status, body)."""
    before = cloud.db.fingerprint()
    r = await call(cloud, user, method, suffix, body)
    assert cloud.db.fingerprint() == before, (method, suffix, r.status, r.json)
    return r.status, r.json


# --- create / show / list ------------------------------------------------------------------
class TestCreateAndView:
    def test_admin_creates_200_and_sees_everything(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await call(cloud, "admin", "POST", "/types", {"volume_type": {
                "name": "gold", "description": "fast disks",
                "extra_specs": {"volume_backend_name": "lvm", "multiattach": "<is> True"}}})
            return r.status, r.json

        status, body = run(main)
        assert status == 200
        vt = body["volume_type"]
        assert vt == {"id": vt["id"], "name": "gold", "is_public": True,
                      "description": "fast disks",
                      "extra_specs": {"volume_backend_name": "lvm",
                                      "multiattach": "<is> True"},
                      "os-volume-type-access:is_public": True}
        # types_manage answers with the plain view: no qos_specs_id (Tempest's create
        # schema forbids it); show/list carry it for admins.

    def test_member_sees_only_user_visible_specs_and_no_qos(self) -> None:
        specs = {"volume_backend_name": "lvm", "multiattach": "<is> True",
                 "replication_enabled": "<is> False", "RESKEY:availability_zones": "nova",
                 "provisioning:type": "thin"}

        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold", specs=specs)
            show = await call(cloud, "demo", "GET", f"/types/{tid}")
            index = await call(cloud, "demo", "GET", f"/types/{tid}/extra_specs")
            hidden = await call(cloud, "demo", "GET",
                                f"/types/{tid}/extra_specs/volume_backend_name")
            shown = await call(cloud, "demo", "GET", f"/types/{tid}/extra_specs/multiattach")
            admin_index = await call(cloud, "admin", "GET", f"/types/{tid}/extra_specs")
            return tid, show.json, index.json, hidden, shown.json, admin_index.json

        tid, show, index, hidden, shown, admin_index = run(main)
        visible = {"multiattach": "<is> True", "replication_enabled": "<is> False",
                   "RESKEY:availability_zones": "nova"}
        assert show == {"volume_type": {"id": tid, "name": "gold", "is_public": True,
                                        "description": None, "extra_specs": visible,
                                        "os-volume-type-access:is_public": True}}
        assert index == {"extra_specs": visible}
        assert hidden.status == 404
        assert hidden.json == not_found(f"Volume Type {tid} has no extra specs with key "
                                        "volume_backend_name.")
        assert shown == {"multiattach": "<is> True"}
        assert admin_index == {"extra_specs": specs}

    def test_default_type(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await call(cloud, "demo", "GET", "/types/default")
            return r.status, r.json, cloud.default_volume_type().id

        status, body, default_id = run(main)
        assert status == 200
        assert body["volume_type"]["id"] == default_id
        assert body["volume_type"]["name"] == "__DEFAULT__"

    def test_member_cannot_create(self) -> None:
        async def main(cloud: Cloud) -> Any:
            return await refused(cloud, "demo", "POST", "/types",
                                 {"volume_type": {"name": "gold"}})

        assert run(main) == (403, forbidden("volume_extension:type_create"))

    def test_duplicate_name_is_409_and_changes_nothing(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await make_type(cloud, "gold")
            return await refused(cloud, "admin", "POST", "/types",
                                 {"volume_type": {"name": "gold"}})

        assert run(main) == (409, {"conflictingRequest": {
            "code": 409, "message": "Volume Type gold already exists."}})

    def test_schema_errors(self) -> None:
        cases = [
            ({"volume_type": {}}, "'name' is a required property"),
            ({"volume_type": {"name": "   "}},
             "An invalid 'name' value was provided. The 'name' can not be empty."),
            ({"volume_type": {"name": "x", "colour": "red"}},
             "Additional properties are not allowed ('colour' was unexpected)"),
            ({"type": {"name": "x"}}, "'volume_type' is a required property"),
            ({"volume_type": {"name": "x", "extra_specs": {"a": 5}}},
             "Invalid input for field/attribute a. Value: 5. 5 is not of type 'string', "
             "'null'"),
            ({"volume_type": {"name": "x", "extra_specs": {"a*b": "1"}}},
             "Invalid input for field/attribute extra_specs. Value: {'a*b': '1'}. "
             "Additional properties are not allowed ('a*b' was unexpected)"),
            ({"volume_type": {"name": "x", "extra_specs": {"k": "v" * 256}}},
             f"Invalid input for field/attribute k. Value: {'v' * 256}. "
             f"'{'v' * 256}' is too long"),
        ]

        async def main(cloud: Cloud) -> Any:
            return [await refused(cloud, "admin", "POST", "/types", body)
                    for body, _ in cases]

        for (status, body), (_, message) in zip(run(main), cases, strict=True):
            assert (status, body) == (400, bad(message))

    def test_is_public_must_be_a_boolean(self) -> None:
        async def main(cloud: Cloud) -> Any:
            return await refused(cloud, "admin", "POST", "/types", {
                "volume_type": {"name": "x", "os-volume-type-access:is_public": "maybe"}})

        status, body = run(main)
        assert status == 400
        assert body["badRequest"]["message"].startswith(
            "Invalid input for field/attribute os-volume-type-access:is_public. Value: maybe."
            " 'maybe' is not one of [True, 'True'")


# --- private types ----------------------------------------------------------------------------
class TestPrivateTypes:
    def test_invisible_until_access_is_granted(self) -> None:
        async def main(cloud: Cloud) -> Any:
            out: dict[str, Any] = {}
            tid = await make_type(cloud, "secret", public=False)
            out["tid"] = tid
            out["list_before"] = [t["name"] for t in
                                  (await call(cloud, "demo", "GET", "/types")).json[
                                      "volume_types"]]
            out["show_before"] = await refused(cloud, "demo", "GET", f"/types/{tid}")
            out["specs_before"] = await refused(cloud, "demo", "GET",
                                                f"/types/{tid}/extra_specs")
            out["create_before"] = await refused(cloud, "demo", "POST", "/volumes",
                                                 {"volume": {"size": 1,
                                                             "volume_type": "secret"}})
            r = await call(cloud, "admin", "POST", f"/types/{tid}/action",
                           {"addProjectAccess": {"project": cloud.project_id("demo")}})
            out["grant"] = (r.status, r.json)
            out["list_after"] = sorted(t["name"] for t in
                                       (await call(cloud, "demo", "GET", "/types")).json[
                                           "volume_types"])
            out["show_after"] = (await call(cloud, "demo", "GET", f"/types/{tid}")).status
            created = await make_volume(cloud, "demo", vtype="secret")
            out["create_after"] = (created.status, created.json["volume"]["volume_type"])
            out["alt_show"] = (await call(cloud, "alt_demo", "GET", f"/types/{tid}")).status
            out["alt_create"] = (await make_volume(cloud, "alt_demo", vtype="secret")).status
            await cloud.settle()
            return out

        out = run(main)
        tid = out["tid"]
        assert out["list_before"] == ["__DEFAULT__"]
        assert out["show_before"] == (404, not_found(f"Volume type {tid} could not be found."))
        assert out["specs_before"] == (404, not_found(f"Volume type {tid} could not be found."))
        assert out["create_before"] == (404, not_found(
            "Volume type with name secret could not be found."))
        assert out["grant"] == (202, None)
        assert out["list_after"] == ["__DEFAULT__", "secret"]
        assert out["show_after"] == 200
        assert out["create_after"] == (202, "secret")
        assert out["alt_show"] == 404
        assert out["alt_create"] == 404

    def test_remove_access_hides_it_again(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "secret", public=False)
            demo = cloud.project_id("demo")
            await call(cloud, "admin", "POST", f"/types/{tid}/action",
                       {"addProjectAccess": {"project": demo}})
            listed = await call(cloud, "admin", "GET", f"/types/{tid}/os-volume-type-access")
            r = await call(cloud, "admin", "POST", f"/types/{tid}/action",
                           {"removeProjectAccess": {"project": demo}})
            after = await call(cloud, "demo", "GET", f"/types/{tid}")
            return tid, demo, listed.json, r.status, after.status

        tid, demo, listed, removed, after = run(main)
        assert listed == {"volume_type_access": [{"volume_type_id": tid, "project_id": demo}]}
        assert removed == 202
        assert after == 404

    def test_access_errors(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "secret", public=False)
            pub = await make_type(cloud, "open")
            demo = cloud.project_id("demo")
            await call(cloud, "admin", "POST", f"/types/{tid}/action",
                       {"addProjectAccess": {"project": demo}})
            return tid, pub, demo, [
                await refused(cloud, "admin", "POST", f"/types/{tid}/action",
                              {"addProjectAccess": {"project": demo}}),
                await refused(cloud, "admin", "POST", f"/types/{tid}/action",
                              {"removeProjectAccess": {"project": "nobody"}}),
                await refused(cloud, "admin", "POST", f"/types/{pub}/action",
                              {"addProjectAccess": {"project": demo}}),
                await refused(cloud, "admin", "GET", f"/types/{pub}/os-volume-type-access"),
                await refused(cloud, "demo", "POST", f"/types/{tid}/action",
                              {"addProjectAccess": {"project": demo}}),
                await refused(cloud, "demo", "GET", f"/types/{tid}/os-volume-type-access"),
                await refused(cloud, "admin", "POST", f"/types/{tid}/action",
                              {"shareWith": {"project": demo}}),
                await refused(cloud, "admin", "POST", f"/types/{tid}/action",
                              {"addProjectAccess": {}}),
            ]

        tid, _pub, demo, out = run(main)
        assert out == [
            (409, {"conflictingRequest": {"code": 409, "message": (
                f"Volume type access for {tid} / {demo} combination already exists.")}}),
            (404, not_found(f"Volume type access not found for {tid} / nobody combination.")),
            (400, bad("Invalid volume type: Type access modification is not applicable to "
                      "public volume type.")),
            (404, not_found("Access list not available for public volume types.")),
            (403, forbidden("volume_extension:volume_type_access:addProjectAccess")),
            (403, forbidden("volume_extension:volume_type_access:get_all_for_type")),
            (400, bad("There is no such action: shareWith")),
            (400, bad("'project' is a required property")),
        ]

    def test_admin_list_filters_by_is_public(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await make_type(cloud, "secret", public=False)
            await make_type(cloud, "open")

            async def names(query: str) -> Any:
                r = await call(cloud, "admin", "GET", "/types" + query)
                if r.status != 200:
                    return r.status, r.json
                return sorted(t["name"] for t in r.json["volume_types"])

            return [await names(q) for q in ("", "?is_public=false", "?is_public=none",
                                             "?is_public=maybe")]

        assert run(main) == [["__DEFAULT__", "open"], ["secret"],
                             ["__DEFAULT__", "open", "secret"],
                             (400, bad("Invalid is_public filter [maybe]"))]

    def test_member_cannot_widen_the_list(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await make_type(cloud, "secret", public=False)
            r = await call(cloud, "demo", "GET", "/types?is_public=none")
            return sorted(t["name"] for t in r.json["volume_types"])

        assert run(main) == ["__DEFAULT__"]


# --- update / delete -----------------------------------------------------------------------------
class TestUpdateDelete:
    def test_update_fields(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold")
            r = await call(cloud, "admin", "PUT", f"/types/{tid}", {"volume_type": {
                "name": "platinum", "description": "faster", "is_public": False}})
            return tid, r.status, r.json

        tid, status, body = run(main)
        assert status == 200
        assert body == {"volume_type": {"id": tid, "name": "platinum", "is_public": False,
                                        "description": "faster", "extra_specs": {}}}

    def test_update_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold")
            await make_type(cloud, "silver")
            return [
                await refused(cloud, "admin", "PUT", f"/types/{tid}",
                              {"volume_type": {"name": "silver"}}),
                await refused(cloud, "admin", "PUT", f"/types/{tid}",
                              {"volume_type": {"name": "  "}}),
                await refused(cloud, "admin", "PUT", f"/types/{tid}", {"volume_type": {}}),
                await refused(cloud, "admin", "PUT", f"/types/{tid}",
                              {"volume_type": {"os-volume-type-access:is_public": True}}),
                await refused(cloud, "demo", "PUT", f"/types/{tid}",
                              {"volume_type": {"description": "x"}}),
                await refused(cloud, "admin", "PUT", "/types/nope",
                              {"volume_type": {"description": "x"}}),
            ]

        assert run(main) == [
            (409, {"conflictingRequest": {"code": 409,
                                          "message": "Volume Type silver already exists."}}),
            (400, bad("Volume type name can not be empty.")),
            (400, bad("Specify volume type name, description, is_public or a combination "
                      "thereof.")),
            (400, bad("Additional properties are not allowed "
                      "('os-volume-type-access:is_public' was unexpected)")),
            (403, forbidden("volume_extension:type_update")),
            (404, not_found("Volume type nope could not be found.")),
        ]

    def test_rename_carries_per_type_quota(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold")
            demo = cloud.project_id("demo")
            r = await call(cloud, "admin", "PUT", f"/os-quota-sets/{demo}",
                           {"quota_set": {"volumes_gold": 3}})
            assert r.status == 200, r.json
            assert (await make_volume(cloud, "demo", 2, "gold")).status == 202
            await cloud.settle()
            await call(cloud, "admin", "PUT", f"/types/{tid}",
                       {"volume_type": {"name": "platinum"}})
            r = await call(cloud, "demo", "GET", f"/os-quota-sets/{demo}?usage=true")
            return r.json["quota_set"]

        qs = run(main)
        assert "volumes_gold" not in qs
        assert qs["volumes_platinum"] == {"limit": 3, "in_use": 1, "reserved": 0}
        assert qs["gigabytes_platinum"] == {"limit": -1, "in_use": 2, "reserved": 0}

    def test_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold")
            r = await call(cloud, "admin", "DELETE", f"/types/{tid}")
            after = await call(cloud, "admin", "GET", f"/types/{tid}")
            return r.status, r.json, after.status

        assert run(main) == (202, None, 404)

    def test_delete_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold")
            assert (await make_volume(cloud, "demo", 1, "gold")).status == 202
            await cloud.settle()
            default = cloud.default_volume_type().id
            return default, [
                await refused(cloud, "admin", "DELETE", f"/types/{tid}"),
                await refused(cloud, "admin", "DELETE", f"/types/{default}"),
                await refused(cloud, "demo", "DELETE", f"/types/{tid}"),
                await refused(cloud, "admin", "DELETE", "/types/nope"),
            ]

        default, out = run(main)
        assert out == [
            (400, bad("Target volume type is still in use.")),
            (400, bad(f"The volume type {default} is a default volume type and cannot be "
                      "deleted.")),
            (403, forbidden("volume_extension:type_delete")),
            (404, not_found("Volume type nope could not be found.")),
        ]


# --- extra specs routes ---------------------------------------------------------------------------
class TestExtraSpecs:
    def test_create_update_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold", specs={"a": "1"})
            out = []
            r = await call(cloud, "admin", "POST", f"/types/{tid}/extra_specs",
                           {"extra_specs": {"b": "2", "a": "9"}})
            out.append((r.status, r.json))
            r = await call(cloud, "admin", "PUT", f"/types/{tid}/extra_specs/b", {"b": "3"})
            out.append((r.status, r.json))
            r = await call(cloud, "admin", "DELETE", f"/types/{tid}/extra_specs/a")
            out.append((r.status, r.json))
            r = await call(cloud, "admin", "GET", f"/types/{tid}/extra_specs")
            out.append((r.status, r.json))
            return out

        assert run(main) == [(200, {"extra_specs": {"b": "2", "a": "9"}}),
                             (200, {"b": "3"}), (202, None),
                             (200, {"extra_specs": {"b": "3"}})]

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "gold", specs={"cacheable": "<is> True"})
            used = await make_type(cloud, "used")
            assert (await make_volume(cloud, "demo", 1, "used")).status == 202
            await cloud.settle()
            specs = f"/types/{tid}/extra_specs"
            return tid, [
                await refused(cloud, "admin", "PUT", f"{specs}/a", {"b": "1"}),
                await refused(cloud, "admin", "PUT", f"{specs}/a", {"a": "1", "b": "2"}),
                await refused(cloud, "admin", "PUT", f"{specs}/a", {}),
                await refused(cloud, "admin", "PUT", f"{specs}/a b", {"a b": "1"}),
                await refused(cloud, "admin", "POST", specs,
                              {"extra_specs": {"multiattach": "<is> True"}}),
                await refused(cloud, "admin", "POST", specs, {"specs": {}}),
                await refused(cloud, "admin", "DELETE", f"{specs}/missing"),
                await refused(cloud, "admin", "POST", f"/types/{used}/extra_specs",
                              {"extra_specs": {"x": "1"}}),
                await refused(cloud, "admin", "PUT", f"/types/{used}/extra_specs/x",
                              {"x": "1"}),
                await refused(cloud, "admin", "DELETE", f"/types/{used}/extra_specs/x"),
                await refused(cloud, "demo", "POST", specs, {"extra_specs": {"x": "1"}}),
                await refused(cloud, "demo", "PUT", f"{specs}/x", {"x": "1"}),
                await refused(cloud, "demo", "DELETE", f"{specs}/cacheable"),
            ]

        tid, out = run(main)
        assert out == [
            (400, bad("Request body and URI mismatch")),
            (400, bad("{'a': '1', 'b': '2'} has too many properties")),
            (400, bad("{} does not have enough properties")),
            (400, bad("Additional properties are not allowed ('a b' was unexpected)")),
            (400, bad("cacheable cannot be set with multiattach.")),
            (400, bad("'extra_specs' is a required property")),
            (404, not_found(f"Volume Type {tid} has no extra specs with key missing.")),
            (400, bad("Volume Type is currently in use.")),
            (400, bad("Volume Type is currently in use.")),
            (400, bad("Volume Type is currently in use.")),
            (403, forbidden("volume_extension:types_extra_specs:create")),
            (403, forbidden("volume_extension:types_extra_specs:update")),
            (403, forbidden("volume_extension:types_extra_specs:delete")),
        ]


# --- encryption -----------------------------------------------------------------------------------
LUKS = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": "256",
        "control_location": "front-end"}


class TestEncryption:
    def test_encrypted_type_gives_encrypted_volumes(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "secure")
            r = await call(cloud, "admin", "POST", f"/types/{tid}/encryption",
                           {"encryption": dict(LUKS)})
            created = (r.status, r.json)
            row = (await call(cloud, "admin", "GET", f"/types/{tid}/encryption")).json
            one = (await call(cloud, "admin", "GET", f"/types/{tid}/encryption/cipher")).json
            enc = await make_volume(cloud, "demo", 1, "secure")
            plain = await make_volume(cloud, "demo", 1)
            await cloud.settle()
            shown = await call(cloud, "demo", "GET", f"/volumes/{enc.json['volume']['id']}")
            return (tid, created, row, one, enc.json["volume"]["encrypted"],
                    plain.json["volume"]["encrypted"], shown.json["volume"]["encrypted"])

        tid, created, row, one, enc, plain, shown = run(main)
        # The DB call fills the body in: the answer names the type and the new id.
        assert created == (200, {"encryption": {**LUKS, "key_size": 256, "volume_type_id": tid,
                                                "encryption_id": row["encryption_id"]}})
        assert row == {"volume_type_id": tid, "encryption_id": row["encryption_id"],
                       "cipher": "aes-xts-plain64", "key_size": 256, "provider": "luks",
                       "control_location": "front-end", "created_at": row["created_at"],
                       "updated_at": None, "deleted": False, "deleted_at": None}
        assert one == {"cipher": "aes-xts-plain64"}
        assert (enc, plain, shown) == (True, False, True)

    def test_update_and_delete_when_unused(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "secure")
            empty = (await call(cloud, "admin", "GET", f"/types/{tid}/encryption")).json
            await call(cloud, "admin", "POST", f"/types/{tid}/encryption",
                       {"encryption": dict(LUKS)})
            r = await call(cloud, "admin", "PUT", f"/types/{tid}/encryption/x",
                           {"encryption": {"key_size": 512}})
            updated = (r.status, r.json)
            size = (await call(cloud, "admin", "GET", f"/types/{tid}/encryption/key_size")).json
            r = await call(cloud, "admin", "DELETE", f"/types/{tid}/encryption/x")
            deleted = (r.status, r.json)
            after = (await call(cloud, "admin", "GET", f"/types/{tid}/encryption")).json
            vol = await make_volume(cloud, "demo", 1, "secure")
            await cloud.settle()
            return empty, updated, size, deleted, after, vol.json["volume"]["encrypted"]

        assert run(main) == ({}, (200, {"encryption": {"key_size": 512}}), {"key_size": 512},
                             (202, None), {}, False)

    def test_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            tid = await make_type(cloud, "secure")
            await call(cloud, "admin", "POST", f"/types/{tid}/encryption",
                       {"encryption": dict(LUKS)})
            fresh = await make_type(cloud, "fresh")
            enc = f"/types/{tid}/encryption"
            out = [
                await refused(cloud, "admin", "POST", enc, {"encryption": dict(LUKS)}),
                await refused(cloud, "admin", "POST", f"/types/{fresh}/encryption",
                              {"encryption": {"provider": "luks"}}),
                await refused(cloud, "admin", "POST", f"/types/{fresh}/encryption",
                              {"encryption": {**LUKS, "control_location": "middle"}}),
                await refused(cloud, "admin", "POST", f"/types/{fresh}/encryption",
                              {"encryption": {**LUKS, "key_size": "big"}}),
                await refused(cloud, "admin", "GET", f"/types/{fresh}/encryption/cipher"),
                await refused(cloud, "admin", "DELETE", f"/types/{fresh}/encryption/x"),
                await refused(cloud, "demo", "GET", enc),
                await refused(cloud, "demo", "POST", f"/types/{fresh}/encryption",
                              {"encryption": dict(LUKS)}),
            ]
            assert (await make_volume(cloud, "demo", 1, "secure")).status == 202
            await cloud.settle()
            out += [
                await refused(cloud, "admin", "PUT", f"{enc}/x", {"encryption": {"cipher": "x"}}),
                await refused(cloud, "admin", "DELETE", f"{enc}/x"),
            ]
            return tid, fresh, out

        tid, fresh, out = run(main)
        assert out == [
            (400, bad(f"Volume type encryption for type {tid} already exists.")),
            (400, bad("'control_location' is a required property")),
            (400, bad("Invalid input for field/attribute control_location. Value: middle. "
                      "'middle' is not one of ['front-end', 'back-end']")),
            (400, bad("Invalid input for field/attribute key_size. Value: big. 'big' is not "
                      "a 'key_size'")),
            (404, not_found(f"Volume type encryption for type {fresh} does not exist.")),
            (404, not_found(f"Volume type encryption for type {fresh} does not exist.")),
            (403, forbidden("volume_extension:volume_type_encryption:get")),
            (403, forbidden("volume_extension:volume_type_encryption:create")),
            (400, bad("Cannot update encryption specs. Volume type in use.")),
            (400, bad("Cannot delete encryption specs. Volume type in use.")),
        ]


# --- what types do to volumes ---------------------------------------------------------------
class TestTypesAndVolumes:
    def test_per_type_quota_shows_up_and_is_enforced(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await make_type(cloud, "gold")
            demo = cloud.project_id("demo")
            r = await call(cloud, "admin", "PUT", f"/os-quota-sets/{demo}",
                           {"quota_set": {"volumes_gold": 1}})
            assert r.status == 200, r.json
            first = await make_volume(cloud, "demo", 1, "gold")
            await cloud.settle()
            before = cloud.db.fingerprint()
            second = await make_volume(cloud, "demo", 1, "gold")
            unchanged = cloud.db.fingerprint() == before
            other = await make_volume(cloud, "demo", 1)
            await cloud.settle()
            usage = (await call(cloud, "demo", "GET",
                                f"/os-quota-sets/{demo}?usage=true")).json["quota_set"]
            return first.status, second.status, second.json, unchanged, other.status, usage

        first, second, body, unchanged, other, usage = run(main)
        assert (first, second, unchanged, other) == (202, 413, True, 202)
        assert body == {"overLimit": {
            "code": 413, "retryAfter": "0",
            "message": "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded "
                       "for quota 'volumes_gold'."}}
        assert usage["volumes_gold"] == {"limit": 1, "in_use": 1, "reserved": 0}
        assert usage["gigabytes_gold"] == {"limit": -1, "in_use": 1, "reserved": 0}
        assert usage["volumes"] == {"limit": 10, "in_use": 2, "reserved": 0}

    def test_placement_by_type_across_two_backends(self) -> None:
        config = {"DEFAULT": {"enabled_backends": "fast,slow"},
                  "fast": {"volume_backend_name": "FAST", "host": "h1"},
                  "slow": {"volume_backend_name": "SLOW", "host": "h2", "vg_size_gb": 500}}

        async def main(cloud: Cloud) -> Any:
            await make_type(cloud, "fast", specs={"volume_backend_name": "FAST"})
            await make_type(cloud, "slow", specs={"volume_backend_name": "SLOW"})
            await make_type(cloud, "nowhere", specs={"volume_backend_name": "NONE"})
            ids = {}
            for name in ("fast", "slow", "fast", "nowhere"):
                r = await make_volume(cloud, "demo", 1, name)
                assert r.status == 202, r.json
                ids.setdefault(name, []).append(r.json["volume"]["id"])
            await cloud.settle()
            out = {}
            for name, vids in ids.items():
                out[name] = [(v.status, (v.host or "").split("#")[0])
                             for v in (cloud.db.volumes[i] for i in vids)]
            return out

        out = run(main, config=config)
        assert out == {"fast": [("available", "h1@fast"), ("available", "h1@fast")],
                       "slow": [("available", "h2@slow")],
                       "nowhere": [("error", "")]}
