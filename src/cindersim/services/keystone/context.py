"""What Cinder makes of a caller: its ``RequestContext``, and the noauth strategy.

keystonemiddleware validates ``X-Auth-Token`` with Keystone and hands Cinder the
user and project ids, the role names and ``is_admin_project``; Cinder then sets
``is_admin`` from its ``context_is_admin`` rule (``role:admin``).  Cinder's
``auth_strategy = noauth`` skips Keystone altogether (:func:`noauth_context`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .records import DEFAULT_DOMAIN_ID

__all__ = ["RequestContext", "noauth_context", "noauth_token"]


def _roles(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(slots=True, cache_hash=True)
class RequestContext:
    """Cinder's ``cinder.context.RequestContext``, the caller as policy sees it.

    As in Cinder, a context created with ``is_admin=True`` gets the ``admin`` role
    added if it lacks it.
    """

    user_id: str | None
    project_id: str | None
    roles: tuple[str, ...] = attrs.field(default=(), converter=_roles)
    is_admin: bool = False
    auth_token: str | None = attrs.field(default=None, repr=False)
    project_name: str | None = None
    user_name: str | None = None
    is_admin_project: bool = True
    user_domain_id: str | None = DEFAULT_DOMAIN_ID
    project_domain_id: str | None = DEFAULT_DOMAIN_ID
    system_scope: str | None = None
    """``'all'`` for a system-scoped token; Cinder's defaults never need one."""

    def __attrs_post_init__(self) -> None:
        if self.is_admin and "admin" not in self.roles:
            object.__setattr__(self, "roles", (*self.roles, "admin"))

    def elevated(self) -> RequestContext:
        """An admin copy, as the scheduler and managers use for DB reads."""
        return attrs.evolve(self, is_admin=True)

    def to_policy_values(self) -> dict[str, Any]:
        """The credentials a policy check matches against (oslo.context's)."""
        return {
            "user_id": self.user_id, "project_id": self.project_id,
            "roles": list(self.roles), "is_admin": self.is_admin,
            "is_admin_project": self.is_admin_project,
            "user_domain_id": self.user_domain_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": None, "system_scope": self.system_scope,
        }


def noauth_token(user_id: str = "admin", project_id: str = "admin") -> str:
    """The ``X-Auth-Token`` Cinder's NoAuthMiddleware returns (with a 204) to a
    request that sent none, built from ``X-Auth-User`` / ``X-Auth-Project-Id``."""
    return f"{user_id}:{project_id}"


def noauth_context(token: str) -> RequestContext:
    """Cinder's ``auth_strategy = noauth``: ``X-Auth-Token: user:project``.

    The project defaults to the user when there is no ``:project``.  Every caller
    is an admin (``is_admin=True``, role ``admin``), so all policies pass and
    GET by id is not scoped to the project; lists still use the project.
    No token string is kept, as in Cinder.
    """
    user_id, _sep, project_id = token.partition(":")
    return RequestContext(user_id=user_id, project_id=project_id or user_id,
                          is_admin=True, user_domain_id=None, project_domain_id=None)
