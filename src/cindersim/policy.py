"""Cinder's default API policy, as data, with an oslo.policy-like check language.

Every Cinder API call is authorised by name (``volume:create``,
``volume_extension:volume_admin_actions:reset_status`` ...) against a *check
string*.  The defaults here are Cinder's ``cinder/policies/*.py`` as enforced with
the new defaults (``enforce_new_defaults``, the default since oslo.policy moved to
it in 2023.2), matching the permissions matrix of Cinder's "Policy Personas and
Permissions" document:

* ``admin_api`` = ``is_admin:True or (role:admin and is_admin_project:True)`` --
  reset-status, force-delete/detach, migrate, manage, quota update/delete, type
  management, get_pools, services, the host and migration-status attributes ...
* "system admin or project member" = ``role:admin or (role:member and
  project_id:%(project_id)s)`` -- ordinary writes (create, delete, extend,
  snapshots, backups, attachments, transfers ...).  Cinder (Xena-2024.x) has no
  real system scope: any ``admin`` role holder is the "system-admin" persona.
* "system reader or project reader" = ``role:admin or (role:reader and
  project_id:%(project_id)s)`` -- reads.

Because Keystone makes admin imply member imply reader, a member can read and an
admin can do everything.  The rules are a plain mapping, so a what-if run can
override any of them: ``Policy(overrides={"volume:create": "rule:admin_api"})``.

The check language (oslo.policy's): ``@`` always, ``!`` never, an empty string
always; ``rule:NAME``; ``role:NAME`` (case-insensitive); ``key:value`` compares a
credential (``is_admin``, ``project_id``, ``is_admin_project``, ``system_scope``,
``user_id`` ...) with *value* after ``%(target_key)s`` substitution from the
target -- a missing target key or credential fails the check; ``not``, ``and``,
``or`` (in that precedence) and parentheses.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from cindersim.errors import PolicyNotAuthorized, SimulationError
from cindersim.services.keystone.context import RequestContext

__all__ = [
    "BASE_RULES",
    "DEFAULT_POLICY",
    "DEFAULT_RULES",
    "RULE_ADMIN_API",
    "SYSTEM_ADMIN_OR_PROJECT_MEMBER",
    "SYSTEM_OR_DOMAIN_OR_PROJECT_ADMIN",
    "SYSTEM_READER_OR_PROJECT_READER",
    "Credentials",
    "Policy",
    "check",
    "enforce",
]

RULE_ADMIN_API: Final = "rule:admin_api"
SYSTEM_ADMIN_OR_PROJECT_MEMBER: Final = "rule:xena_system_admin_or_project_member"
SYSTEM_READER_OR_PROJECT_READER: Final = "rule:xena_system_admin_or_project_reader"
SYSTEM_OR_DOMAIN_OR_PROJECT_ADMIN: Final = "rule:system_or_domain_or_project_admin"

_ADMIN: Final = RULE_ADMIN_API
_MEMBER: Final = SYSTEM_ADMIN_OR_PROJECT_MEMBER
_READER: Final = SYSTEM_READER_OR_PROJECT_READER

BASE_RULES: Final[Mapping[str, str]] = MappingProxyType({
    # cinder/policies/base.py
    "context_is_admin": "role:admin",
    "admin_api": "is_admin:True or (role:admin and is_admin_project:True)",
    "xena_system_admin_or_project_reader":
        "(role:admin) or (role:reader and project_id:%(project_id)s)",
    "xena_system_admin_or_project_member":
        "(role:admin) or (role:member and project_id:%(project_id)s)",
    "system_or_domain_or_project_admin":
        "(role:admin and system_scope:all) or (role:admin and domain_id:%(domain_id)s) "
        "or (role:admin and project_id:%(project_id)s)",
})
"""The named rules the action rules refer to."""

_ACTION_RULES: Final[dict[str, str]] = {
    # volumes.py
    "volume:create": _MEMBER,
    "volume:create_from_image": _MEMBER,
    "volume:get": _READER,
    "volume:get_all": _READER,
    "volume:update": _MEMBER,
    "volume:delete": _MEMBER,
    "volume:force_delete": _ADMIN,                      # DELETE ?force=true (3.23)
    "volume_extension:volume_host_attribute": _ADMIN,   # os-vol-host-attr:host
    "volume_extension:volume_tenant_attribute": _READER,
    "volume_extension:volume_mig_status_attribute": _ADMIN,
    "volume_extension:volume_encryption_metadata": _READER,
    "volume:multiattach": _MEMBER,
    # volume_actions.py
    "volume:extend": _MEMBER,
    "volume:extend_attached_volume": _MEMBER,
    "volume:revert_to_snapshot": _MEMBER,
    "volume:retype": _MEMBER,
    "volume:update_readonly_flag": _MEMBER,
    "volume:reimage": _MEMBER,
    "volume:reimage_reserved": _MEMBER,
    "volume_extension:volume_admin_actions:reset_status": _ADMIN,
    "volume_extension:volume_admin_actions:force_delete": _ADMIN,
    "volume_extension:volume_admin_actions:force_detach": _ADMIN,
    "volume_extension:volume_admin_actions:migrate_volume": _ADMIN,
    "volume_extension:volume_admin_actions:migrate_volume_completion": _ADMIN,
    "volume_extension:volume_actions:upload_public": _ADMIN,
    "volume_extension:volume_actions:upload_image": _MEMBER,
    "volume_extension:volume_actions:initialize_connection": _MEMBER,
    "volume_extension:volume_actions:terminate_connection": _MEMBER,
    "volume_extension:volume_actions:roll_detaching": _MEMBER,
    "volume_extension:volume_actions:reserve": _MEMBER,
    "volume_extension:volume_actions:unreserve": _MEMBER,
    "volume_extension:volume_actions:begin_detaching": _MEMBER,
    "volume_extension:volume_actions:attach": _MEMBER,
    "volume_extension:volume_actions:detach": _MEMBER,
    # volume_metadata.py
    "volume:get_volume_metadata": _READER,
    "volume:create_volume_metadata": _MEMBER,
    "volume:update_volume_metadata": _MEMBER,
    "volume:delete_volume_metadata": _MEMBER,
    "volume_extension:volume_image_metadata:show": _READER,
    "volume_extension:volume_image_metadata:set": _MEMBER,
    "volume_extension:volume_image_metadata:remove": _MEMBER,
    "volume:update_volume_admin_metadata": _ADMIN,
    # manageable_volumes.py
    "volume_extension:list_manageable": _ADMIN,
    "volume_extension:volume_manage": _ADMIN,
    "volume_extension:volume_unmanage": _ADMIN,
    # snapshots.py, snapshot_actions.py, snapshot_metadata.py, manageable_snapshots.py
    "volume:get_all_snapshots": _READER,
    "volume:get_snapshot": _READER,
    "volume:create_snapshot": _MEMBER,
    "volume:update_snapshot": _MEMBER,
    "volume:delete_snapshot": _MEMBER,
    "volume_extension:extended_snapshot_attributes": _READER,
    "volume_extension:snapshot_admin_actions:reset_status": _ADMIN,
    "volume_extension:snapshot_admin_actions:force_delete": _ADMIN,
    "snapshot_extension:snapshot_actions:update_snapshot_status": _MEMBER,
    "volume:get_snapshot_metadata": _READER,
    "volume:update_snapshot_metadata": _MEMBER,
    "volume:delete_snapshot_metadata": _MEMBER,
    "snapshot_extension:list_manageable": _ADMIN,
    "snapshot_extension:snapshot_manage": _ADMIN,
    "snapshot_extension:snapshot_unmanage": _ADMIN,
    # backups.py, backup_actions.py
    "backup:get_all": _READER,
    "backup:get": _READER,
    "backup:create": _MEMBER,
    "backup:update": _MEMBER,
    "backup:delete": _MEMBER,
    "backup:restore": _MEMBER,
    "backup:backup-import": _ADMIN,
    "backup:export-import": _ADMIN,                     # (sic) export_record
    "backup:backup_project_attribute": _ADMIN,
    "volume_extension:backup_admin_actions:reset_status": _ADMIN,
    "volume_extension:backup_admin_actions:force_delete": _ADMIN,
    # attachments.py
    "volume:attachment_create": _MEMBER,
    "volume:attachment_update": _MEMBER,
    "volume:attachment_delete": _MEMBER,
    "volume:attachment_complete": _MEMBER,
    "volume:multiattach_bootable_volume": _MEMBER,
    # volume_transfer.py
    "volume:get_all_transfers": _READER,
    "volume:get_transfer": _READER,
    "volume:create_transfer": _MEMBER,
    "volume:accept_transfer": _MEMBER,
    "volume:delete_transfer": _MEMBER,
    # quotas.py, quota_class.py, limits.py
    "volume_extension:quotas:show": _READER,
    "volume_extension:quotas:update": _ADMIN,
    "volume_extension:quotas:delete": _ADMIN,
    "volume_extension:quota_classes": _ADMIN,
    "volume_extension:quota_classes:get": _ADMIN,
    "volume_extension:quota_classes:update": _ADMIN,
    "limits_extension:used_limits": _READER,
    # volume_type.py, type_extra_specs.py, volume_access.py, default_types.py
    "volume_extension:types_manage": _ADMIN,
    "volume_extension:type_create": _ADMIN,
    "volume_extension:type_update": _ADMIN,
    "volume_extension:type_delete": _ADMIN,
    "volume_extension:type_get": _READER,
    "volume_extension:type_get_all": _READER,
    "volume_extension:access_types_extra_specs": _READER,
    "volume_extension:access_types_qos_specs_id": _ADMIN,
    "volume_extension:volume_type_encryption": _ADMIN,
    "volume_extension:volume_type_encryption:create": _ADMIN,
    "volume_extension:volume_type_encryption:get": _ADMIN,
    "volume_extension:volume_type_encryption:update": _ADMIN,
    "volume_extension:volume_type_encryption:delete": _ADMIN,
    "volume_extension:types_extra_specs:index": _READER,
    "volume_extension:types_extra_specs:show": _READER,
    "volume_extension:types_extra_specs:create": _ADMIN,
    "volume_extension:types_extra_specs:update": _ADMIN,
    "volume_extension:types_extra_specs:delete": _ADMIN,
    "volume_extension:types_extra_specs:read_sensitive": _ADMIN,
    "volume_extension:volume_type_access": _MEMBER,
    "volume_extension:volume_type_access:get_all_for_type": _ADMIN,
    "volume_extension:volume_type_access:addProjectAccess": _ADMIN,
    "volume_extension:volume_type_access:removeProjectAccess": _ADMIN,
    # default_types.py: admin_api (the deprecated pre-Xena rules allowed a project admin)
    "volume_extension:default_set_or_update": _ADMIN,
    "volume_extension:default_get": _ADMIN,
    "volume_extension:default_get_all": _ADMIN,
    "volume_extension:default_unset": _ADMIN,
    # qos_specs.py
    "volume_extension:qos_specs_manage:get_all": _ADMIN,
    "volume_extension:qos_specs_manage:get": _ADMIN,
    "volume_extension:qos_specs_manage:create": _ADMIN,
    "volume_extension:qos_specs_manage:update": _ADMIN,
    "volume_extension:qos_specs_manage:delete": _ADMIN,
    # scheduler_stats.py, services.py, capabilities.py, hosts.py, clusters.py, workers.py
    "scheduler_extension:scheduler_stats:get_pools": _ADMIN,
    "volume_extension:services:index": _ADMIN,
    "volume_extension:services:update": _ADMIN,
    "volume:freeze_host": _ADMIN,
    "volume:thaw_host": _ADMIN,
    "volume:failover_host": _ADMIN,
    "volume_extension:capabilities": _ADMIN,
    "volume_extension:hosts": _ADMIN,
    "clusters:get_all": _ADMIN,
    "clusters:get": _ADMIN,
    "clusters:update": _ADMIN,
    "workers:cleanup": _ADMIN,
    # messages.py
    "message:get_all": _READER,
    "message:get": _READER,
    "message:delete": _MEMBER,
    # groups (group*.py)
    "group:get_all": _READER,
    "group:get": _READER,
    "group:create": _MEMBER,
    "group:update": _MEMBER,
    "group:delete": _MEMBER,
    "group:reset_status": _ADMIN,
    "group:group_project_attribute": _ADMIN,
    "group:get_all_group_snapshots": _READER,
    "group:get_group_snapshot": _READER,
    "group:create_group_snapshot": _MEMBER,
    "group:delete_group_snapshot": _MEMBER,
    "group:update_group_snapshot": _MEMBER,
    "group:reset_group_snapshot_status": _ADMIN,
    "group:group_snapshot_project_attribute": _ADMIN,
    "group:enable_replication": _MEMBER,
    "group:disable_replication": _MEMBER,
    "group:failover_replication": _MEMBER,
    "group:list_replication_targets": _MEMBER,
    "group:group_types_manage": _ADMIN,
    "group:group_types:create": _ADMIN,
    "group:group_types:update": _ADMIN,
    "group:group_types:delete": _ADMIN,
    "group:access_group_types_specs": _ADMIN,
    "group:group_types_specs": _ADMIN,
    "group:group_types_specs:get": _ADMIN,
    "group:group_types_specs:get_all": _ADMIN,
    "group:group_types_specs:create": _ADMIN,
    "group:group_types_specs:update": _ADMIN,
    "group:group_types_specs:delete": _ADMIN,
}

DEFAULT_RULES: Final[Mapping[str, str]] = MappingProxyType({**BASE_RULES, **_ACTION_RULES})
"""Every rule and action Cinder registers here, name -> check string."""


# --- the check language -------------------------------------------------------------
class Credentials(Protocol):
    """Anything that can say who the caller is
    (:class:`~cindersim.services.keystone.client.RequestContext`)."""

    def to_policy_values(self) -> dict[str, Any]: ...


_MAX_RULE_DEPTH: Final = 32
_MAX_VERDICTS: Final = 4096


def _frozen(values: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items())


@attrs.frozen(slots=True)
class _Check:
    kind: str   # '@', '!', 'rule', 'role', 'generic'
    key: str = ""
    match: str = ""


@attrs.frozen(slots=True)
class _Not:
    inner: _Node


@attrs.frozen(slots=True)
class _Bool:
    op: str     # 'and' / 'or'
    items: tuple[_Node, ...]


_Node = _Check | _Not | _Bool


def _tokenize(rule: str) -> list[str]:
    tokens: list[str] = []
    for raw in rule.split():
        word = raw
        opens = len(word) - len(word.lstrip("("))
        tokens.extend("(" * opens)
        word = word[opens:]
        closes = len(word) - len(word.rstrip(")"))
        word = word[:len(word) - closes]
        if word:
            tokens.append(word)
        tokens.extend(")" * closes)
    return tokens


class _Parser:
    def __init__(self, name: str, rule: str) -> None:
        self.name = name
        self.tokens = _tokenize(rule)
        self.pos = 0

    def parse(self) -> _Node:
        if not self.tokens:
            return _Check("@")
        node = self._or()
        if self.pos != len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _fail(self, why: str) -> None:
        raise ValueError(f"policy rule {self.name!r}: {why}")

    def _or(self) -> _Node:
        items = [self._and()]
        while self._peek() == "or":
            self.pos += 1
            items.append(self._and())
        return items[0] if len(items) == 1 else _Bool("or", tuple(items))

    def _and(self) -> _Node:
        items = [self._not()]
        while self._peek() == "and":
            self.pos += 1
            items.append(self._not())
        return items[0] if len(items) == 1 else _Bool("and", tuple(items))

    def _not(self) -> _Node:
        if self._peek() == "not":
            self.pos += 1
            return _Not(self._not())
        return self._atom()

    def _atom(self) -> _Node:
        tok = self._peek()
        if tok is None:
            self._fail("unexpected end")
        assert tok is not None
        self.pos += 1
        if tok == "(":
            node = self._or()
            if self._peek() != ")":
                self._fail("missing ')'")
            self.pos += 1
            return node
        if tok in ("@", "!"):
            return _Check(tok)
        if tok in (")", "and", "or") or ":" not in tok:
            self._fail(f"unexpected {tok!r}")
        key, _sep, match = tok.partition(":")
        if key == "rule":
            return _Check("rule", match=match)
        if key == "role":
            return _Check("role", match=match)
        return _Check("generic", key=key, match=match)


def _format(match: str, target: Mapping[str, Any]) -> str | None:
    try:
        return match % dict(target)
    except (KeyError, TypeError, ValueError):
        return None  # oslo: a target key that is missing fails the check


class Policy:
    """A compiled rule table.

    Args:
        rules: name -> check string; Cinder's :data:`DEFAULT_RULES` by default.
        overrides: rules to replace or add (a what-if ``policy.yaml``).

    Raises:
        ValueError: a check string does not parse (named in the message).
    """

    def __init__(self, rules: Mapping[str, str] = DEFAULT_RULES, *,
                 overrides: Mapping[str, str] | None = None) -> None:
        merged = {**rules, **(overrides or {})}
        self._rules: Mapping[str, str] = MappingProxyType(merged)
        self._compiled = {name: _Parser(name, rule).parse() for name, rule in merged.items()}
        self._verdicts: dict[tuple[Any, ...], bool] = {}

    @property
    def rules(self) -> Mapping[str, str]:
        return self._rules

    def with_overrides(self, overrides: Mapping[str, str]) -> Policy:
        return Policy(self._rules, overrides=overrides)

    def check(self, context: Credentials, action: str, target_project_id: str | None = None,
              *, target: Mapping[str, Any] | None = None) -> bool:
        """Whether *context* may perform *action* on a resource of *target_project_id*.

        The target defaults, as in Cinder's ``policy.authorize``, to the caller's own
        project and user; pass *target* for other keys (``user_id``, ``domain_id``).
        """
        node = self._compiled.get(action)
        if node is None:
            raise SimulationError(f"Policy {action} has not been registered")
        if (target is None and target_project_id is not None
                and type(context) is RequestContext):
            # The common case, every API request: a frozen context whose policy
            # values are a function of its fields, so it can key the memo itself.
            fast_key = (action, context, target_project_id)
            verdict = self._verdicts.get(fast_key)
            if verdict is None:
                verdict = self._eval(node, context.to_policy_values(),
                                     {"project_id": target_project_id}, 0)
                self._remember(fast_key, verdict)
            return verdict
        creds = context.to_policy_values()
        if target is None:
            if target_project_id is None:
                target = {"project_id": creds.get("project_id"),
                          "user_id": creds.get("user_id")}
            else:
                target = {"project_id": target_project_id}
        elif target_project_id is not None:
            target = {**target, "project_id": target_project_id}
        # A rule's verdict is a pure function of the credentials and the target, and
        # a cloud has few distinct pairs of them: remember verdicts (every API
        # request asks at least once).
        try:
            key = (action, _frozen(creds), _frozen(target))
            known = self._verdicts.get(key)
        except TypeError:  # an unhashable value: just evaluate
            return self._eval(node, creds, target, 0)
        if known is None:
            known = self._eval(node, creds, target, 0)
            self._remember(key, known)
        return known

    def _remember(self, key: tuple[Any, ...], verdict: bool) -> None:
        if len(self._verdicts) >= _MAX_VERDICTS:
            self._verdicts.clear()
        self._verdicts[key] = verdict

    def enforce(self, context: Credentials, action: str,
                target_project_id: str | None = None, *,
                target: Mapping[str, Any] | None = None) -> None:
        """Raise PolicyNotAuthorized ("Policy doesn't allow %(action)s to be
        performed.", 403) unless :meth:`check` passes."""
        try:  # check's memo of an allowed request, read first: every API request asks
            if target is None and self._verdicts.get((action, context, target_project_id)):
                return  # (only check's fast path files such keys: a RequestContext's)
        except TypeError:  # unhashable credentials: check evaluates them
            pass
        if not self.check(context, action, target_project_id, target=target):
            raise PolicyNotAuthorized(action=action)

    def _eval(self, node: _Node, creds: Mapping[str, Any], target: Mapping[str, Any],
              depth: int) -> bool:
        if isinstance(node, _Bool):
            results = (self._eval(n, creds, target, depth) for n in node.items)
            return all(results) if node.op == "and" else any(results)
        if isinstance(node, _Not):
            return not self._eval(node.inner, creds, target, depth)
        if node.kind == "@":
            return True
        if node.kind == "!":
            return False
        if node.kind == "rule":
            inner = self._compiled.get(node.match)
            if inner is None or depth >= _MAX_RULE_DEPTH:
                return False  # unknown (or cyclic) rule: deny
            return self._eval(inner, creds, target, depth + 1)
        match = _format(node.match, target)
        if match is None:
            return False
        if node.kind == "role":
            return match.lower() in [str(r).lower() for r in creds.get("roles", ())]
        value: Any = creds
        for part in node.key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        return match == str(value)


DEFAULT_POLICY: Final = Policy()
"""Cinder's defaults, compiled once."""


def check(context: Credentials, action: str, target_project_id: str | None = None, *,
          target: Mapping[str, Any] | None = None, policy: Policy = DEFAULT_POLICY) -> bool:
    """:meth:`Policy.check` with the default (or a given) policy."""
    return policy.check(context, action, target_project_id, target=target)


def enforce(context: Credentials, action: str, target_project_id: str | None = None, *,
            target: Mapping[str, Any] | None = None, policy: Policy = DEFAULT_POLICY) -> None:
    """:meth:`Policy.enforce` with the default (or a given) policy."""
    policy.enforce(context, action, target_project_id, target=target)
