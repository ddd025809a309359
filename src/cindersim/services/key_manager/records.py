"""Barbican's records and its errors: a secret, and the ``{code, title, description}`` body.

A secret (``barbican/model/models.py`` ``Secret``) belongs to the project whose
token created it (Barbican's *external project id* is the Keystone project id);
``creator_id`` is the user.  Only symmetric keys matter to Cinder and Nova:
Castellan stores a ``SymmetricKey`` as ``secret_type = symmetric`` with an
``application/octet-stream`` payload, and Cinder names the secret's UUID as the
volume's ``encryption_key_id``.

Barbican's error bodies come from its ``JSONErrorHook``: every ``pecan.abort``
answers ``{"code": <status>, "title": <reason phrase>, "description": <text>}``.
Policy refusals read ``"<Operation> attempt not allowed - please review your
user/project privileges"`` (``generate_safe_exception_message``), with the
operation of the controller (``Secret retrieval``, ``Secret payload retrieval``,
``Secret deletion``, ``Secret creation``, ``Secret(s) retrieval``).
"""

from __future__ import annotations

import http
from typing import Any

import attrs

__all__ = ["BarbicanError", "Secret", "forbidden", "secret_not_found"]


@attrs.define(slots=True, eq=False)
class Secret:
    """A row of ``secrets`` with its (unencrypted, in this simulator) payload."""

    id: str
    project_id: str
    """The Keystone project that owns it (Barbican's ``external_project_id``)."""
    creator_id: str | None
    name: str | None
    algorithm: str | None
    bit_length: int | None
    mode: str | None
    secret_type: str
    payload: bytes | None
    content_type: str | None
    created: str
    updated: str
    expiration: str | None = None
    status: str = "ACTIVE"

    def view(self, base: str) -> dict[str, Any]:
        """What ``GET /v1/secrets/{id}`` answers (``hrefs.convert_to_hrefs`` of the row
        augmented with ``content_types``), at microversion 1.1+ (``consumers``)."""
        view: dict[str, Any] = {
            "status": self.status, "created": self.created, "updated": self.updated,
            "expiration": self.expiration, "algorithm": self.algorithm,
            "bit_length": self.bit_length, "mode": self.mode, "name": self.name,
            "secret_type": self.secret_type, "creator_id": self.creator_id,
            "secret_ref": f"{base}/v1/secrets/{self.id}", "consumers": [],
        }
        if self.payload is not None and self.content_type:
            view["content_types"] = {"default": self.content_type}
        return view


class BarbicanError(Exception):
    """A ``pecan.abort``: the status and the description of Barbican's JSON body."""

    def __init__(self, code: int, description: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        try:
            title = http.HTTPStatus(self.code).phrase
        except ValueError:  # pragma: no cover - only real codes are raised
            title = ""
        return {"code": self.code, "title": title, "description": self.description}


def secret_not_found() -> BarbicanError:
    """``_secret_not_found``: the id is a UUID but no secret has it."""
    return BarbicanError(404, "Secret not found.")


def forbidden(operation: str) -> BarbicanError:
    """A policy refusal (``secret_project_match`` fails: another project's secret)."""
    return BarbicanError(403, f"{operation} attempt not allowed - please review your "
                              "user/project privileges")
