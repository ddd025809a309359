"""Keystone's records as the simulated identity keeps them, and its errors.

Ids are 32 lowercase hex digits (Keystone's ``uuid4().hex``) drawn from the
simulation's seeded rng.  The one domain is ``default`` / ``Default``, as
``keystone-manage bootstrap`` makes it; this Keystone has no other.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

__all__ = [
    "DEFAULT_DOMAIN_ID",
    "DEFAULT_DOMAIN_NAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN_EXPIRATION",
    "Domain",
    "KeystoneError",
    "Project",
    "Role",
    "TokenInfo",
    "User",
]

DEFAULT_PASSWORD: Final = "secret"
"""The password of every user in the default cloud."""

DEFAULT_DOMAIN_ID: Final = "default"
DEFAULT_DOMAIN_NAME: Final = "Default"
DEFAULT_TOKEN_EXPIRATION: Final = 3600.0
"""Keystone's ``[token] expiration``, seconds."""


@attrs.frozen(slots=True)
class Domain:
    id: str
    name: str
    description: str = ""
    enabled: bool = True


DEFAULT_DOMAIN: Final = Domain(DEFAULT_DOMAIN_ID, DEFAULT_DOMAIN_NAME,
                               "The default domain")


@attrs.frozen(slots=True)
class Role:
    id: str
    name: str
    description: str | None = None


@attrs.frozen(slots=True)
class Project:
    id: str
    name: str
    domain_id: str = DEFAULT_DOMAIN_ID
    description: str = ""
    enabled: bool = True


@attrs.frozen(slots=True)
class User:
    id: str
    name: str
    password: str | None = attrs.field(repr=False)
    domain_id: str = DEFAULT_DOMAIN_ID
    default_project_id: str | None = None
    enabled: bool = True
    email: str | None = None
    description: str | None = None


@attrs.frozen(slots=True)
class TokenInfo:
    """What Keystone knows about an issued token."""

    token: str = attrs.field(repr=False)
    user: User
    project: Project
    roles: tuple[Role, ...]
    issued_at: float | None
    expires_at: float | None
    is_admin_project: bool = True
    methods: tuple[str, ...] = ("password",)

    def to_keystone(self) -> dict[str, Any]:
        """The ``POST /v3/auth/tokens`` body, without the catalog (the API adds it).

        Times stay virtual seconds; the HTTP layer formats them.
        """
        domain = {"id": DEFAULT_DOMAIN_ID, "name": DEFAULT_DOMAIN_NAME}
        return {"token": {
            "methods": list(self.methods),
            "user": {"id": self.user.id, "name": self.user.name, "domain": domain,
                     "password_expires_at": None},
            "project": {"id": self.project.id, "name": self.project.name,
                        "domain": domain},
            "roles": [{"id": r.id, "name": r.name} for r in self.roles],
            "is_admin_project": self.is_admin_project,
            "issued_at": self.issued_at, "expires_at": self.expires_at,
        }}


class KeystoneError(ValueError):
    """A Keystone API error: ``{"error": {"code", "message", "title"}}``.

    A ValueError, as the store's bad-input errors always were (``serve --user``
    reports them as such).

    The titles are the HTTP reason phrases Keystone's exceptions carry
    (``keystone/exception.py``); the messages are its templates, filled in.
    """

    TITLES: Final = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                     404: "Not Found", 405: "Method Not Allowed", 409: "Conflict"}

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def title(self) -> str:
        return self.TITLES.get(self.code, "Error")

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "title": self.title}}

    # --- Keystone's exception classes, by the templates users read ----------------
    @classmethod
    def not_found(cls, kind: str, ref: str) -> KeystoneError:
        """``ProjectNotFound`` & co: ``Could not find project: <id>.``"""
        return cls(404, f"Could not find {kind}: {ref}.")

    @classmethod
    def conflict(cls, kind: str, name: str, domain_id: str | None) -> KeystoneError:
        """``Conflict`` from ``sql.handle_conflicts`` on a duplicate name."""
        where = f" at domain ID {domain_id}" if domain_id else ""
        return cls(409, f"Conflict occurred attempting to store {kind} - Duplicate entry "
                        f"found with name {name}{where}.")

    @classmethod
    def forbidden(cls, action: str) -> KeystoneError:
        """``ForbiddenAction``: a policy said no."""
        return cls(403, f"You are not authorized to perform the requested action: {action}.")

    @classmethod
    def bad_request(cls, detail: str) -> KeystoneError:
        """``SchemaValidationError`` / ``ValidationError``."""
        return cls(400, detail)

    @classmethod
    def unauthorized(cls) -> KeystoneError:
        return cls(401, "The request you have made requires authentication.")
