"""nova-api's request plumbing: the parsed request, microversions, faults, body checks.

Microversions come from ``OpenStack-API-Version: compute 2.N`` (or the legacy
``X-OpenStack-Nova-API-Version``); none means 2.1, ``latest`` the maximum, and
anything outside [MIN_VERSION, MAX_VERSION] is 406 (``nova/api/openstack/
api_version_request.py``, ``wsgi.py``).  Faults are Nova's
``{"<name>": {"code": N, "message": ...}}`` bodies (``wsgi.Fault``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..api.wsgi import ApiResponse
from .model import NovaContext, NovaError, bad_request

__all__ = ["MAX_VERSION", "MIN_VERSION", "NovaRequest", "body_of", "fault", "parse_version",
           "schema_error"]

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)
"""The newest microversion whose response shapes cindersim's views follow (Nova's own
maximum is higher; clients negotiate down to this one from the version document)."""

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                     r"[0-9a-fA-F]{12}$")

_FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                405: "badMethod", 409: "conflictingRequest", 413: "overLimit",
                415: "badMediaType", 429: "overLimit", 501: "notImplemented",
                503: "serviceUnavailable"}


def fault(status: int, message: str) -> ApiResponse:
    """``wsgi.Fault``: the body's key names the HTTP error."""
    name = _FAULT_NAMES.get(status, "computeFault")
    return ApiResponse(status, {name: {"code": status, "message": message}})


def not_allowed() -> ApiResponse:
    return fault(405, "The method specified is not allowed for this resource.")


def no_such_resource() -> ApiResponse:
    return fault(404, "The resource could not be found.")


class NovaRequest:
    """One parsed nova-api request."""

    def __init__(self, ctx: NovaContext, body: Any, version: tuple[int, int],
                 query: str = "") -> None:
        self.ctx = ctx
        self.body = body
        self.version = version
        self.query = query

    def at_least(self, major: int, minor: int) -> bool:
        return self.version >= (major, minor)


def parse_version(hdrs: Mapping[str, str]) -> tuple[int, int]:
    """The requested compute microversion (400 malformed, 406 out of range)."""
    raw = hdrs.get("openstack-api-version")
    text: str | None = None
    if raw is not None:
        parts = raw.split()
        if len(parts) == 2 and parts[0].lower() == "compute":
            text = parts[1]
    if text is None:
        text = hdrs.get("x-openstack-nova-api-version")
    if text is None:
        return MIN_VERSION
    if text.strip().lower() == "latest":
        return MAX_VERSION
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
    if not m:
        raise bad_request(f"API Version String {text} is of invalid format. Must be of format "
                          "MajorNum.MinorNum.")
    try:
        version = (int(m.group(1)), int(m.group(2)))
    except ValueError:  # over int()'s 4,300-digit limit: not a version string
        raise bad_request(f"API Version String {text} is of invalid format. Must be of "
                          "format MajorNum.MinorNum.") from None
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise NovaError(f"Version {version[0]}.{version[1]} is not supported by the API. "
                        f"Minimum is {MIN_VERSION[0]}.{MIN_VERSION[1]} and maximum is "
                        f"{MAX_VERSION[0]}.{MAX_VERSION[1]}.", 406)
    return version


def schema_error(field: str, value: Any, reason: str) -> NovaError:
    """A JSON-schema refusal, worded as ``nova.api.validation`` words it (400)."""
    return bad_request(f"Invalid input for field/attribute {field}. Value: {value}. {reason}")


def body_of(body: Any, key: str) -> dict[str, Any]:
    """The object under *key* of a request body, or the schema's 400."""
    if not isinstance(body, dict) or key not in body:
        raise schema_error(key, body, f"'{key}' is a required property")
    inner = body[key]
    if not isinstance(inner, dict):
        raise schema_error(key, inner, f"{inner!r} is not of type 'object'")
    return inner
