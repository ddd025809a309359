"""The pieces every Keystone route shares: the request, body checks, views.

Keystone validates request bodies with JSON schemas and reports the first
error as ``SchemaValidationError`` (400): ``Invalid input for field 'name':
... `` when the error has a path, the bare message (``'name' is a required
property``) when it does not.  The checks below give those texts for the
fields this Keystone reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import attrs

from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse
from .records import DEFAULT_DOMAIN_NAME, Domain, KeystoneError, Project, Role, TokenInfo, User

__all__ = ["Call", "error_response", "listing", "project_view", "user_view"]

_MISSING = object()


@attrs.frozen
class Call:
    """One request under ``/identity/v3``: what a route handler reads."""

    method: str
    parts: tuple[str, ...]
    """The path after ``/identity/v3``, split on ``/``."""
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw: bytes
    base_url: str
    caller_of: Any = attrs.field(repr=False)
    """``token -> TokenInfo`` (raises Unauthorized): the store's check."""

    def caller(self) -> TokenInfo:
        """The ``X-Auth-Token``'s record: keystonemiddleware's 401 otherwise."""
        try:
            info: TokenInfo = self.caller_of(self.headers.get("x-auth-token"))
        except Unauthorized:
            raise KeystoneError.unauthorized() from None
        return info

    def url(self, *parts: str) -> str:
        return "/".join([f"{self.base_url}/identity/v3", *parts])

    def body(self, key: str) -> dict[str, Any]:
        """The object under *key* of a JSON body (400 otherwise)."""
        try:
            body = loads(self.raw) if self.raw else None
        except (ValueError, UnicodeDecodeError):
            raise KeystoneError.bad_request(
                "Expecting to find application/json in Content-Type header - the server "
                "could not comply with the request since it is either malformed or "
                "otherwise incorrect. The client is assumed to be in error.") from None
        if not isinstance(body, dict) or key not in body:
            raise KeystoneError.bad_request(f"'{key}' is a required property")
        value = body[key]
        if not isinstance(value, dict):
            raise KeystoneError.bad_request(f"{value!r} is not of type 'object'")
        return value

    def flag(self, name: str) -> bool:
        """A query flag as Keystone reads it: present and not ``0``/``false``."""
        value = self.query.get(name)
        return value is not None and value.lower() not in {"0", "false", "no", "off"}


def parse_query(query: str) -> dict[str, str]:
    """``a=1&b=2`` -> a dict (a repeated key keeps its last value)."""
    return dict(parse_qsl(query, keep_blank_values=True))


def error_response(exc: KeystoneError) -> ApiResponse:
    return ApiResponse(exc.code, exc.body())


# --- field checks (Keystone's schemas) ---------------------------------------------------
def name_field(obj: Mapping[str, Any], *, required: bool, max_length: int = 64) -> Any:
    """``name``: a non-blank string of 1..max_length characters."""
    value = obj.get("name", _MISSING)
    if value is _MISSING:
        if required:
            raise KeystoneError.bad_request("'name' is a required property")
        return None
    if not isinstance(value, str):
        raise KeystoneError.bad_request(
            f"Invalid input for field 'name': {value!r} is not of type 'string'")
    if not value.strip() or len(value) > max_length:
        raise KeystoneError.bad_request(
            f"Invalid input for field 'name': {value!r} is "
            f"{'too long' if len(value) > max_length else 'too short'}")
    return value


def optional_field(obj: Mapping[str, Any], key: str, kind: type, *,
                   nullable: bool = True) -> Any:
    """An optional field of one JSON type (``None`` allowed when *nullable*);
    ``...`` when the field is absent."""
    if key not in obj:
        return ...
    value = obj[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        type_name = {str: "string", bool: "boolean", dict: "object"}.get(kind, "value")
        extra = ", 'null'" if nullable else ""
        raise KeystoneError.bad_request(
            f"Invalid input for field '{key}': {value!r} is not of type '{type_name}'"
            f"{extra}")
    return value


# --- views -------------------------------------------------------------------------------
def listing(call: Call, key: str, items: list[dict[str, Any]]) -> ApiResponse:
    """A Keystone list: ``{key: [...], "links": {"self", "previous", "next"}}``."""
    return ApiResponse(200, {key: items, "links": {
        "self": call.url(*call.parts), "previous": None, "next": None}})


def domain_view(call: Call, domain: Domain) -> dict[str, Any]:
    return {"id": domain.id, "name": domain.name, "description": domain.description,
            "enabled": domain.enabled, "tags": [], "options": {},
            "links": {"self": call.url("domains", domain.id)}}


def project_view(call: Call, project: Project) -> dict[str, Any]:
    # A top-level project's parent is its domain (projects acting as domains).
    return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
            "description": project.description, "enabled": project.enabled,
            "parent_id": project.domain_id, "is_domain": False, "tags": [], "options": {},
            "links": {"self": call.url("projects", project.id)}}


def user_view(call: Call, user: User) -> dict[str, Any]:
    view: dict[str, Any] = {"id": user.id, "name": user.name, "domain_id": user.domain_id,
                            "enabled": user.enabled, "password_expires_at": None,
                            "options": {}, "links": {"self": call.url("users", user.id)}}
    # Keystone returns the "extra" attributes only when they are set.
    for key, value in (("default_project_id", user.default_project_id),
                       ("email", user.email), ("description", user.description)):
        if value is not None:
            view[key] = value
    return view


def role_view(call: Call, role: Role) -> dict[str, Any]:
    view: dict[str, Any] = {"id": role.id, "name": role.name, "domain_id": None,
                            "options": {}, "links": {"self": call.url("roles", role.id)}}
    if role.description is not None:
        view["description"] = role.description
    return view


def domain_ref(domain_id: str) -> dict[str, str]:
    """``{"id", "name"}`` of a domain, as role assignments name it."""
    return {"id": domain_id,
            "name": DEFAULT_DOMAIN_NAME if domain_id == "default" else domain_id}
