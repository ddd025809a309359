"""Helpers of the cinder-api tests in this folder: run a cloud, call the API as a user,
and check a body against a JSON-schema subset (the Tempest response schemas are
restated in ``schemas.py`` from their facts, not copied)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from cindersim.cloud import Cloud, Response, simulate
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]
UNKNOWN = "0c2a3c4e-1111-4222-8333-944455556666"


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    return result.value


async def req(cloud: Cloud, method: str, sub: str, user: str = "demo", json: Any = None,
              version: str | None = None, headers: dict[str, str] | None = None) -> Response:
    hdrs = dict(headers or {})
    if version:
        hdrs["OpenStack-API-Version"] = f"volume {version}"
    return await cloud.request(method, f"/v3/{cloud.project_id(user)}{sub}", json=json,
                               token=cloud.token(user), headers=hdrs or None)


async def create_volume(cloud: Cloud, user: str = "demo", **volume: Any) -> str:
    volume.setdefault("size", 1)
    r = await req(cloud, "POST", "/volumes", user, {"volume": volume})
    assert r.status == 202, r.json
    vid: str = r.json["volume"]["id"]
    return vid


def bad(message: str) -> dict[str, Any]:
    return {"badRequest": {"code": 400, "message": message}}


def not_found(message: str) -> dict[str, Any]:
    return {"itemNotFound": {"code": 404, "message": message}}


def forbidden(action: str) -> dict[str, Any]:
    return {"forbidden": {"code": 403,
                          "message": f"Policy doesn't allow {action} to be performed."}}


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The Draft-4 keywords Tempest's volume schemas use: type, enum, pattern,
    properties, required, additionalProperties (False), items."""
    errors: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_TYPES[k](value) for k in kinds):
            return [f"{path}: {value!r} is not of type {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"],
                                                                         value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: {key!r} is required")
        for key, item in value.items():
            if key in props:
                errors.extend(schema_errors(item, props[key], f"{path}.{key}"))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: additional property {key!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors.extend(schema_errors(item, schema["items"], f"{path}[{i}]"))
    return errors
