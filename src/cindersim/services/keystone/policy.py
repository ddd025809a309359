"""Keystone's default policies, as they fall out for project-scoped tokens.

The defaults (``keystone/common/policies/*.py``, the non-deprecated rules)
combine ``rule:admin_required`` (``role:admin or is_admin:1``) with system-,
domain- and manager-scoped clauses.  This Keystone issues project-scoped tokens
only, where those clauses never match, so what remains is:

* admin only: list/create/update/delete projects and users, every role call,
  grants (``check_grant``, ``create_grant``, ``revoke_grant``, ``list_grants``),
  ``list_role_assignments``, ``list_domains``;
* ``get_project``: admin, or a token scoped to that project;
* ``get_user`` and ``list_user_projects``: admin, or the user itself;
* ``get_domain``: admin, or a token whose project is in that domain;
* the token API: ``check_token`` and ``revoke_token`` are ``admin_required or
  token_subject``; ``validate_token`` also lets the ``service`` role in.

A refusal is ``ForbiddenAction`` (403).
"""

from __future__ import annotations

from collections.abc import Mapping

from .records import KeystoneError, TokenInfo

__all__ = ["enforce", "is_admin"]

_OWN_PROJECT = {"identity:get_project"}
_SELF = {"identity:get_user", "identity:list_user_projects",
         "identity:check_token", "identity:revoke_token", "identity:validate_token"}
_OWN_DOMAIN = {"identity:get_domain"}


def is_admin(caller: TokenInfo) -> bool:
    """``rule:admin_required``."""
    return any(r.name == "admin" for r in caller.roles)


def enforce(action: str, caller: TokenInfo, target: Mapping[str, str | None]) -> None:
    """Raise 403 unless *caller* may do *action* on *target*.

    *target* carries what the rules compare: ``project_id``, ``user_id``,
    ``domain_id`` (of the object acted on).
    """
    if is_admin(caller):
        return
    if (action == "identity:validate_token"
            and any(r.name == "service" for r in caller.roles)):
        return
    if action in _OWN_PROJECT and target.get("project_id") == caller.project.id:
        return
    if action in _SELF and target.get("user_id") == caller.user.id:
        return
    if action in _OWN_DOMAIN and target.get("domain_id") == caller.project.domain_id:
        return
    raise KeystoneError.forbidden(action)
