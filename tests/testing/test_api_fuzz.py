"""Fuzzing cinder-api and nova-api: never a 500, never an exception, and a refusal
changes nothing.

Each example builds ONE simulated cloud (seed 0, so every example sees the same
ids) holding a volume, a snapshot, an attached volume and a backup, then sends
Hypothesis-generated requests: methods real and invented; paths from the real
route table with real, foreign, random and garbage ids, extra segments and
query strings; microversion headers valid and invalid; tokens valid, invalid
and missing; JSON bodies of wrong types, huge numbers, unicode, missing and
extra keys, nesting (``request_bodies``), and raw bodies that are not JSON.

Ids are drawn as placeholders (``{volume}``, ``{project}`` ...) filled in
against the cloud, so a falsifying example prints readably and replays.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cindersim import Cloud, Simulation, errors
from cindersim.services import api as api_pkg
from cindersim.services.api.router import Router
from cindersim.states import check_trace
from cindersim.testing.strategies import request_bodies

CONNECTOR = {"initiator": "iqn.1994-05.com.redhat:compute-1", "ip": "192.168.122.20",
             "host": "compute-1", "platform": "x86_64", "os_type": "linux", "multipath": False}


def _cinder_templates() -> list[tuple[str, str]]:
    router = Router()
    for info in pkgutil.iter_modules(api_pkg.__path__):
        router.add_module(importlib.import_module(f"{api_pkg.__name__}.{info.name}"))
    return sorted({(r.method, r.template) for r in router.routes})


CINDER_ROUTES = _cinder_templates()
NOVA_ROUTES = [("GET", "/servers"), ("POST", "/servers"), ("GET", "/servers/detail"),
               ("GET", "/servers/{server_id}"), ("DELETE", "/servers/{server_id}"),
               ("POST", "/servers/{server_id}/action"),
               ("GET", "/servers/{server_id}/os-volume_attachments"),
               ("POST", "/servers/{server_id}/os-volume_attachments"),
               ("GET", "/servers/{server_id}/os-volume_attachments/{volume_id}"),
               ("DELETE", "/servers/{server_id}/os-volume_attachments/{volume_id}"),
               ("PUT", "/servers/{server_id}/os-volume_attachments/{volume_id}"),
               ("GET", "/flavors"), ("GET", "/flavors/detail"), ("GET", "/flavors/{flavor_id}")]

# --- what a request is made of --------------------------------------------------------------
PLACEHOLDERS = ("{volume}", "{attached}", "{snapshot}", "{backup}", "{attachment}", "{type}",
                "{project}", "{alt_project}", "{admin_project}", "{alt_volume}")
_SAFE_TEXT = st.text(st.characters(blacklist_categories=["Cs"],
                                   blacklist_characters="/?#"), max_size=12)
ids = st.one_of(
    st.sampled_from(PLACEHOLDERS),
    st.sampled_from(["", "detail", "action", "0", "-1", "99999999999999999999", "None",
                     "00000000-0000-0000-0000-000000000000", "..", "%2F", "%00", "\u00e9",
                     "\U0001f4be", "x" * 300, "{volume}-0", "{VOLUME}"]),
    st.uuids(version=4).map(str),
    _SAFE_TEXT,
)
methods = st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
                    st.sampled_from(["PATCH", "HEAD", "OPTIONS", "get", "TRACE", "", "FOO"]))
query_keys = st.sampled_from(["limit", "marker", "offset", "sort", "sort_key", "sort_dir",
                              "all_tenants", "project_id", "force", "cascade", "with_count",
                              "name", "status", "metadata", "detail", "usage", "is_public",
                              "volume_id", "glance_metadata", "created_at", "updated_at"])
query_values = st.one_of(st.sampled_from(["", "1", "0", "-1", "true", "false", "True", "yes",
                                          "abc", "name:asc", "size:desc,id", "{volume}",
                                          "99999999999999999999999", "1.5", "{'a':1}",
                                          "%ZZ", "\u00e9"]), _SAFE_TEXT)
queries = st.lists(st.tuples(st.one_of(query_keys, _SAFE_TEXT), query_values),
                   max_size=3).map(lambda kv: "&".join(f"{k}={v}" for k, v in kv))
versions = st.one_of(
    st.none(),
    st.integers(0, 75).map(lambda m: f"volume 3.{m}"),
    st.sampled_from(["volume latest", "volume 3.071", "volume 2.0", "volume 4.0", "volume 3",
                     "volume 3.0 3.1", "3.44", "volume", "compute 2.89", "volume -3.1",
                     "volume 3.99999999999999999999", "VOLUME 3.44", "volume\t3.44", ""]),
    _SAFE_TEXT)
compute_versions = st.one_of(
    st.none(), st.integers(0, 100).map(lambda m: f"compute 2.{m}"),
    st.sampled_from(["compute latest", "compute 3.0", "compute 2", "2.89", "volume 3.44",
                     "compute 2.089", ""]), _SAFE_TEXT)
tokens = st.one_of(st.sampled_from(["demo", "alt_demo", "admin"]).map(lambda u: f"<{u}>"),
                   st.sampled_from([None, "", "garbage", "demo:demo", "admin:admin",
                                    "gAAAAA" + "x" * 40]),
                   _SAFE_TEXT)


@attrs.frozen
class Request:
    """One generated request, before placeholders are filled in."""

    method: str
    path: str
    token: str | None
    version: str | None
    body: Any = None
    raw: bytes | str | None = None
    content_type: str | None = None


@st.composite
def cinder_paths(draw: st.DrawFn) -> str:
    method_template = draw(st.sampled_from(CINDER_ROUTES))[1]
    filled = re.sub(r"\{\w+\}", lambda _: draw(ids), method_template)
    prefix = draw(st.sampled_from(["/v3/{project}", "/v3/{project}", "/v3/{project}",
                                   "/v3/{alt_project}", "/v3/{admin_project}", "/v3",
                                   "/v3/", "/v2/{project}", "/v3/garbage", "", "/v3//{project}",
                                   "/v3/{project}/"]))
    path = prefix + filled
    if draw(st.integers(0, 5)) == 0:
        path += "/" + "/".join(draw(st.lists(ids, min_size=1, max_size=2)))
    query = draw(st.one_of(st.just(""), queries))
    return f"{path}?{query}" if query or draw(st.integers(0, 9)) == 0 else path


@st.composite
def nova_paths(draw: st.DrawFn) -> str:
    template = draw(st.sampled_from(NOVA_ROUTES))[1]
    filled = re.sub(r"\{\w+\}", lambda _: draw(ids), template)
    prefix = draw(st.sampled_from(["/compute/v2.1", "/compute/v2.1", "/compute/v2.1/{project}",
                                   "/compute/v2", "/compute"]))
    query = draw(st.one_of(st.just(""), queries))
    return prefix + filled + (f"?{query}" if query else "")


@st.composite
def requests(draw: st.DrawFn, raw: bool = False) -> Request:
    nova = draw(st.integers(0, 4)) == 0
    path = draw(nova_paths() if nova else cinder_paths())
    method = draw(methods)
    if draw(st.integers(0, 2)):
        # Mostly a method the route table has for this shape of path.
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    version = draw(compute_versions if nova else versions)
    token = draw(tokens)
    if raw:
        body_raw: Any = draw(st.one_of(
            st.binary(max_size=40), st.text(max_size=40),
            st.sampled_from([b"{", b"{\"volume\": ", b"\xff\xfe", "null", "[]", "{}}",
                             "{\"volume\": {\"size\": 1}", "NaN", "Infinity",
                             "{\"volume\": {\"size\": NaN}}",
                             "{\"volume\": {\"size\": Infinity}}",
                             "{\"volume\": {\"size\": 1e999}}",
                             "{\"os-extend\": {\"new_size\": -Infinity}}",
                             "{\"volume\": {\"size\": 1, \"size\": 2}}",
                             "\ufeff{\"volume\": {\"size\": 1}}", "1" * 5000])))
        return Request(method, path, token, version, raw=body_raw,
                       content_type=draw(st.sampled_from([None, "text/plain", "application/json",
                                                          "application/xml"])))
    body = draw(st.one_of(st.none(), request_bodies())) if method in ("POST", "PUT") or \
        draw(st.integers(0, 9)) == 0 else None
    return Request(method, path, token, version, body)


# --- the cloud under fuzz ----------------------------------------------------------------------
def quiescent(cloud: Cloud) -> bool:
    bus = cloud.bus
    return bus.in_flight == 0 and bus.held == 0 and not any(bus.depths().values())


async def _setup(cloud: Cloud) -> dict[str, str]:
    """A volume, a snapshot of it, an attached volume, a backup, and alt_demo's volume."""
    await cloud.start()
    demo, alt = cloud.token("demo"), cloud.token("alt_demo")
    base = f"/v3/{cloud.project_id('demo')}"
    v344 = {"OpenStack-API-Version": "volume 3.44"}

    async def post(path: str, body: Any, token: str = demo, prefix: str = base) -> Any:
        r = await cloud.request("POST", prefix + path, json=body, token=token, headers=v344)
        assert r.status in (200, 202, 204), (path, r.status, r.json)
        return r.json

    vol = (await post("/volumes", {"volume": {"size": 1}}))["volume"]["id"]
    attached = (await post("/volumes", {"volume": {"size": 1}}))["volume"]["id"]
    alt_vol = (await post("/volumes", {"volume": {"size": 1}}, alt,
                          f"/v3/{cloud.project_id('alt_demo')}"))["volume"]["id"]
    await cloud.settle()
    snap = (await post("/snapshots", {"snapshot": {"volume_id": vol}}))["snapshot"]["id"]
    backup = (await post("/backups", {"backup": {"volume_id": vol}}))["backup"]["id"]
    att = (await post("/attachments", {"attachment": {
        "volume_uuid": attached, "instance_uuid": "00000000-0000-4000-8000-000000000001",
        "connector": CONNECTOR}}))["attachment"]["id"]
    await post(f"/attachments/{att}/action", {"os-complete": {}})
    await cloud.settle()
    return {"{volume}": vol, "{attached}": attached, "{snapshot}": snap, "{backup}": backup,
            "{attachment}": att, "{type}": cloud.default_volume_type().id,
            "{project}": cloud.project_id("demo"), "{alt_project}": cloud.project_id("alt_demo"),
            "{admin_project}": cloud.project_id("admin"), "{alt_volume}": alt_vol}


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _fill_any(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _fill(value, values)
    if isinstance(value, list):
        return [_fill_any(v, values) for v in value]
    if isinstance(value, dict):
        return {_fill(str(k), values): _fill_any(v, values) for k, v in value.items()}
    return value


def _headers(cloud: Cloud, req: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    m = re.fullmatch(r"<(\w+)>", req.token or "")
    if m:
        headers["X-Auth-Token"] = cloud.token(m.group(1))
    elif req.token is not None:
        headers["X-Auth-Token"] = req.token
    if req.version is not None:
        headers["OpenStack-API-Version"] = req.version
    if req.content_type is not None:
        headers["Content-Type"] = req.content_type
    return headers


def _bugs(cloud: Cloud) -> list[str]:
    """Unmapped exceptions in either API, and services that crashed on something
    that is not a Cinder exception (a simulator bug reached the bus)."""
    found = [e.summary for e in cloud.trace.events if e.kind == "api.bug"]
    for e in cloud.trace.events:
        if e.kind == "bus.error":
            cls = getattr(errors, str(e.detail.get("error")), None)
            if not (isinstance(cls, type) and issubclass(cls, errors.CinderException)):
                found.append(f"service crash: {e.summary}")
    return found


def fuzz(reqs: list[Request], send: Callable[[Cloud, Request, dict[str, str]], Any]) -> None:
    sim = Simulation(0)
    try:
        cloud = Cloud(sim, None)
        values = sim.run(_setup(cloud))
        for req in reqs:
            quiet = quiescent(cloud)
            before = cloud.db.fingerprint() if quiet else None
            status, body = sim.run(send(cloud, req, values))
            where = f"{req.method} {_fill(req.path, values)} -> {status}: {body}"
            assert status < 500, where
            assert cloud.api.errors_5xx == 0, where
            assert _bugs(cloud) == [], where
            if 400 <= status < 500 and before is not None:
                assert cloud.db.fingerprint() == before, f"refused but changed state: {where}"
        sim.run(cloud.settle())
        assert _bugs(cloud) == []
        assert check_trace(cloud.trace.events) == []
    finally:
        sim.close()


async def send_json(cloud: Cloud, req: Request, values: dict[str, str]) -> tuple[int, Any]:
    r = await cloud.request(req.method, _fill(req.path, values), json=_fill_any(req.body, values),
                            headers=_headers(cloud, req))
    return r.status, r.json


async def send_raw(cloud: Cloud, req: Request, values: dict[str, str]) -> tuple[int, Any]:
    path = _fill(req.path, values)
    service = cloud.nova.api if path.startswith("/compute/") else cloud.api
    r = await service.handle(req.method, path, _headers(cloud, req), req.raw)
    return r.status, r.body


# --- the properties ------------------------------------------------------------------------------
@settings(max_examples=120)
@given(st.lists(requests(), min_size=1, max_size=4))
def test_generated_requests_never_500_and_refusals_change_nothing(reqs: list[Request]) -> None:
    fuzz(reqs, send_json)


@settings(max_examples=40)
@given(st.lists(requests(raw=True), min_size=1, max_size=3))
def test_raw_bodies_that_are_not_json_are_refused_cleanly(reqs: list[Request]) -> None:
    fuzz(reqs, send_raw)


def test_the_fuzz_harness_sees_a_state_change_on_a_refusal() -> None:
    """The harness can fail: a refusal that wrote to the database is caught."""

    async def write_then_refuse(cloud: Cloud, req: Request, values: dict[str, str]
                                ) -> tuple[int, Any]:
        cloud.db.volumes[values["{volume}"]].display_name = "changed"
        return 400, {"badRequest": {"code": 400, "message": "no"}}

    with pytest.raises(AssertionError, match="refused but changed state"):
        fuzz([Request("GET", "/v3/{project}/volumes", "<demo>", None)], write_then_refuse)


def test_a_malformed_body_is_a_400_that_changes_nothing() -> None:
    """One known example, asserted exactly (cinder's 'Malformed request body')."""
    seen: list[tuple[int, Any]] = []

    async def send(cloud: Cloud, req: Request, values: dict[str, str]) -> tuple[int, Any]:
        status, body = await send_raw(cloud, req, values)
        seen.append((status, body))
        return status, body

    fuzz([Request("POST", "/v3/{project}/volumes", "<demo>", "volume 3.0", raw=b"{")], send)
    assert seen == [(400, {"badRequest": {"code": 400, "message": "Malformed request body"}})]
