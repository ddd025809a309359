"""The shortcuts of cinder-api's volume create: each is taken for the usual request only
and gives what the full path gives, and every other request still takes the full path."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from apitest import bad, req, run

from cindersim.cloud import Cloud
from cindersim.db import Volume
from cindersim.services.api.service import ParsedBody
from cindersim.services.api.volumes import _VOLUME_FIELDS
from cindersim.services.api.wsgi import (
    ApiResponse,
    Version,
    echoed,
    fresh_response,
    version_echo,
    versioned,
)


def test_create_passes_the_first_fields_of_volume_in_their_order() -> None:
    # create builds the row by position: a field added or moved among these in
    # db.Volume would shift every later value into the wrong column.
    names = [f.name for f in attrs.fields(Volume)]
    assert tuple(names[:len(_VOLUME_FIELDS)]) == _VOLUME_FIELDS


def test_the_row_create_writes() -> None:
    async def main(cloud: Cloud) -> Volume:
        r = await req(cloud, "POST", "/volumes",
                      json={"volume": {"size": "3", "name": " n ", "description": "d",
                                       "metadata": {"k": "v"}}})
        assert r.status == 202, r.json
        return cloud.db.get_volume(r.json["volume"]["id"])

    vol = run(main)
    assert (vol.size, vol.display_name, vol.display_description) == (3, "n", "d")
    assert (vol.status, vol.attach_status, vol.host, vol.cluster_name) == (
        "creating", "detached", None, None)
    assert (vol.previous_status, vol.migration_status) == (None, None)
    assert vol.metadata == {"k": "v"}
    assert (vol.snapshot_id, vol.source_volid, vol.encryption_key_id) == (None, None, None)
    assert (vol.bootable, vol.multiattach, vol.encrypted, vol.group_id) == (
        False, False, False, None)
    assert vol.availability_zone == "nova"
    assert vol.volume_type_id is not None


@pytest.mark.parametrize(("body", "message"), [
    ({"volume": {"size": 2**31}}, "Invalid input for field/attribute size. Value: "
                                  "2147483648. 2147483648 is greater than the maximum of "
                                  "2147483647"),
    ({"volume": {"size": False}}, "Invalid input for field/attribute size. Value: False. "
                                  "False is not of type 'integer', 'string'"),
    ([{"volume": {"size": 1}}], "'volume' is a required property"),
    ({"volume": [1]}, "Invalid input for field/attribute volume. Value: [1]. [1] is not of "
                      "type 'object'"),
    ({"volume": {"size": 1}, "OS-SCH-HNT:scheduler_hints": {}, "x": 1},
     "Additional properties are not allowed ('x' was unexpected)"),
])
def test_other_bodies_take_the_full_checks(body: Any, message: str) -> None:
    async def main(cloud: Cloud) -> Any:
        r = await req(cloud, "POST", "/volumes", json=body)
        return r.status, r.json

    assert run(main) == (400, bad(message))


def test_scheduler_hints_beside_the_volume_are_allowed() -> None:
    async def main(cloud: Cloud) -> int:
        r = await req(cloud, "POST", "/volumes",
                      json={"volume": {"size": 1}, "OS-SCH-HNT:scheduler_hints": {}})
        return r.status

    assert run(main) == 202


def test_parsed_body_is_a_record_of_its_value() -> None:
    value = {"volume": {"size": 1}}
    built = tuple.__new__(ParsedBody, (value, None))  # as Cloud.request builds it
    assert built == ParsedBody(value)
    assert (built.value, built.traced) == (value, None)
    assert built.value is value
    assert type(built) is ParsedBody


def test_a_size_alone_gives_what_the_full_steps_give() -> None:
    # {"size": 1} skips _resolve_body; {"size": 1, "name": None} goes through it and
    # means the same volume: the two rows and responses differ only in their ids/times.
    async def main(cloud: Cloud) -> list[Any]:
        out = []
        for volume in ({"size": 1}, {"size": 1, "name": None, "volume_type": None}):
            r = await req(cloud, "POST", "/volumes", json={"volume": volume})
            assert r.status == 202, r.json
            row = attrs.asdict(cloud.db.get_volume(r.json["volume"]["id"]))
            view = dict(r.json["volume"])
            for d in (row, view):
                for key in ("id", "created_at", "updated_at", "links"):
                    d.pop(key, None)
            out.append((row, view))
        return out

    plain, general = run(main)
    assert plain == general


def test_fresh_response_is_the_fresh_record_and_takes_its_version_headers() -> None:
    body = {"volume": {"id": "x"}}
    made = fresh_response(202, body)
    assert made == ApiResponse(202, body, fresh=True)
    assert (made.status, made.body, made.fresh, dict(made.headers)) == (202, body, True, {})
    echoed = versioned(made, Version(3, 60))
    assert echoed is made  # a fresh response takes the headers itself
    assert made.headers == {"OpenStack-API-Version": "volume 3.60",
                            "Vary": "OpenStack-API-Version"}


def test_a_create_answers_with_its_version_headers() -> None:
    async def main(cloud: Cloud) -> Any:
        r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 1}}, version="3.60")
        return r.status, r.headers

    assert run(main) == (202, {"OpenStack-API-Version": "volume 3.60",
                               "Vary": "OpenStack-API-Version"})


def test_echoed_with_the_kept_header_value_is_versioned() -> None:
    plain = ApiResponse(200, {"a": 1}, {"X-Own": "1"})
    assert version_echo(Version(3, 5)) == "volume 3.5"
    assert echoed(plain, version_echo(Version(3, 5))) == versioned(plain, Version(3, 5)) \
        == ApiResponse(200, {"a": 1}, {"X-Own": "1", "OpenStack-API-Version": "volume 3.5",
                                       "Vary": "OpenStack-API-Version"})


def test_a_repeated_request_traces_and_routes_as_its_first() -> None:
    # The second of each pair is routed by the plan the first left, parsed path included.
    async def main(cloud: Cloud) -> Any:
        p = cloud.project_id("demo")
        token = cloud.token("demo")
        statuses = []
        for path in (f"/v3/{p}//volumes?limit=1", f"/v3/{p}//volumes?limit=1",
                     f"/v3/{p}/volumes", f"/v3/{p}/volumes", "//", "//"):
            r = await cloud.request("get", path, token=token)
            statuses.append(r.status)
        events = [(e.summary, e.detail["path"], e.detail["query"])
                  for e in cloud.trace.events if e.kind == "api.request"]
        return statuses, events[-6:]

    statuses, events = run(main)
    assert statuses == [200, 200, 200, 200, 300, 300]
    assert events[0] == events[1] == ("GET /v3/" + events[0][1].split("/")[2] + "/volumes",
                                      events[0][1], "limit=1")
    assert events[2] == events[3] == (events[0][0], events[0][1], None)
    assert events[4] == events[5] == ("GET /", "/", None)


def test_setting_the_auth_strategy_changes_how_tokens_are_read_each_time() -> None:
    async def main(cloud: Cloud) -> list[tuple[str, int, int]]:
        p = cloud.project_id("demo")
        out = []
        for strategy in ("noauth", "keystone", "both", "keystone"):
            cloud.api.auth_strategy = strategy
            noauth = await cloud.request("GET", f"/v3/{p}/volumes", token=f"u1:{p}")
            keystone = await cloud.request("GET", f"/v3/{p}/volumes",
                                           token=cloud.token("demo"))
            out.append((cloud.api.auth_strategy, noauth.status, keystone.status))
        return out

    assert run(main) == [("noauth", 200, 400), ("keystone", 401, 200), ("both", 200, 200),
                         ("keystone", 401, 200)]


def test_a_known_tokens_context_is_read_at_once_until_it_is_revoked() -> None:
    """cinder-api reads a never-expiring token's context straight from the identity's
    map (validate's first step): a revoked token is a 401 from the next request on,
    and a token no map can hold (unhashable) still gets keystonemiddleware's 401."""

    async def main(cloud: Cloud) -> list[int]:
        p = cloud.project_id("demo")
        token = cloud.token("demo")
        context = cloud.identity.validate(token)
        assert cloud.identity.eternal_context(token) is context
        statuses = [(await cloud.request("GET", f"/v3/{p}/volumes", token=token)).status]
        cloud.identity.revoke(token)
        assert cloud.identity.eternal_context(token) is None
        statuses.append((await cloud.request("GET", f"/v3/{p}/volumes", token=token)).status)
        odd = await cloud.api.handle_lowered("GET", f"/v3/{p}/volumes",
                                             {"x-auth-token": ["not", "a", "str"]})  # type: ignore[dict-item]
        statuses.append(odd.status)
        return statuses

    assert run(main) == [200, 401, 401]


def test_a_validator_without_known_contexts_validates_every_request() -> None:
    """A TokenValidator need not have ``eternal_context``: every token then goes
    through its ``validate``."""

    class Plain:
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.asked = 0

        def validate(self, token: str | None) -> Any:
            self.asked += 1
            return self.inner.validate(token)

        def has_project(self, project_id: str) -> bool:
            return bool(self.inner.has_project(project_id))

    async def main(cloud: Cloud) -> tuple[list[int], int]:
        plain = Plain(cloud.identity)
        cloud.api.identity = plain
        cloud.api.auth_strategy = "keystone"
        p = cloud.project_id("demo")
        token = cloud.token("demo")
        statuses = [(await cloud.request("GET", f"/v3/{p}/volumes", token=t)).status
                    for t in (token, token, "bogus")]
        return statuses, plain.asked

    assert run(main) == ([200, 200, 401], 3)
