"""What other services may use of Keystone: keystonemiddleware's role.

Every API service validates the ``X-Auth-Token`` of a request by asking Keystone
(:class:`TokenValidator`) and works with the resulting :class:`RequestContext`
(oslo.context's role); Cinder's ``auth_strategy = noauth`` builds one from the
token's ``user:project`` text (:func:`noauth_context`).  Nothing else of Keystone is
visible to them.
"""

from __future__ import annotations

from typing import Protocol

from .context import RequestContext, noauth_context, noauth_token

__all__ = ["RequestContext", "TokenValidator", "noauth_context", "noauth_token"]


class TokenValidator(Protocol):
    """``keystonemiddleware.auth_token``: a token's context, or ``Unauthorized``."""

    def validate(self, token: str | None) -> RequestContext:
        """The context of a valid, unexpired token; raises ``Unauthorized`` otherwise."""

    def has_project(self, project_id: str) -> bool:
        """Does Keystone know this project id (``GET /v3/projects/{id}``)?"""
