"""``POST /v3/auth/tokens``'s request body, as Keystone's auth schema reads it.

Methods: ``password`` (a user by id, or by name with its domain) and ``token``
(re-scoping: an existing token vouches for its user).  The scope is a project,
by id or by name with its domain; without a scope Keystone scopes the token to
the user's default project.  A malformed body is 400; a domain other than
``Default``, a system or domain scope (not modelled) or bad credentials are 401.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import Unauthorized
from ...jsonvalues import loads
from .records import DEFAULT_DOMAIN_ID, DEFAULT_DOMAIN_NAME

__all__ = ["BadAuth", "auth_of", "password_user", "project_scope"]

_EXPECTING = ("The server could not comply with the request since it is either malformed "
              "or otherwise incorrect. The client is assumed to be in error.")


class BadAuth(Exception):
    """A malformed auth body: Keystone's 400 (its JSON-schema validation)."""


def auth_of(raw: bytes) -> dict[str, Any]:
    """The ``auth`` object of the body, with ``identity.methods`` a non-empty list."""
    try:
        body = loads(raw) if raw else None  # bounded nesting: too deep is not JSON here
    except (ValueError, UnicodeDecodeError):
        raise BadAuth("the body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("auth"), dict):
        raise BadAuth("'auth' is a required property")
    auth: dict[str, Any] = body["auth"]
    identity = auth.get("identity")
    if not isinstance(identity, dict):
        raise BadAuth("'identity' is a required property")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods or not all(
            isinstance(m, str) for m in methods):
        raise BadAuth("'methods' is a required property")
    return auth


def _check_domain(ref: Any) -> None:
    """Only the ``Default`` domain exists: any other fails authentication."""
    if ref is None:
        return
    if not isinstance(ref, dict):
        raise BadAuth("'domain' must be an object")
    domain_id, name = ref.get("id"), ref.get("name")
    for field, value in (("id", domain_id), ("name", name)):
        # Keystone's schema types both as strings (a list here is a 400, not a lookup).
        if value is not None and not isinstance(value, str):
            raise BadAuth(f"{value!r} is not of type 'string' in 'domain/{field}'")
    if domain_id not in (None, DEFAULT_DOMAIN_ID) or name not in (None, DEFAULT_DOMAIN_NAME):
        raise Unauthorized()


def password_user(identity: Mapping[str, Any]) -> tuple[str, str]:
    """``(user id or name, password)`` of the ``password`` method."""
    password = identity.get("password")
    if not isinstance(password, dict) or not isinstance(password.get("user"), dict):
        raise BadAuth("'user' is a required property")
    user = password["user"]
    secret = user.get("password")
    if not isinstance(secret, str):
        raise BadAuth("'password' is a required property")
    if isinstance(user.get("id"), str):
        return user["id"], secret
    if not isinstance(user.get("name"), str):
        raise BadAuth("'id' or 'name' is a required property of 'user'")
    # A user named without an id must name its domain (Keystone's rule).
    if user.get("domain") is None:
        raise BadAuth(f"Expecting to find domain in user. {_EXPECTING}")
    _check_domain(user.get("domain"))
    return user["name"], secret


def project_scope(scope: Any) -> str | None:
    """The project named by ``scope`` (id or name), or None for an unscoped request."""
    if scope is None:
        return None
    if not isinstance(scope, dict):
        raise BadAuth("'scope' must be an object")
    project = scope.get("project")
    if project is None:
        # System and domain scopes need role assignments this cloud does not model.
        raise Unauthorized()
    if not isinstance(project, dict):
        raise BadAuth("'project' must be an object")
    if isinstance(project.get("id"), str):
        return str(project["id"])
    if not isinstance(project.get("name"), str):
        raise BadAuth("'id' or 'name' is a required property of 'project'")
    if project.get("domain") is None:
        raise BadAuth(f"Expecting to find domain in project. {_EXPECTING}")
    _check_domain(project.get("domain"))
    return str(project["name"])
