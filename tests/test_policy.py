"""Cinder's default policy and the check language."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim.errors import PolicyNotAuthorized, SimulationError
from cindersim.policy import (
    DEFAULT_RULES,
    RULE_ADMIN_API,
    SYSTEM_ADMIN_OR_PROJECT_MEMBER,
    SYSTEM_READER_OR_PROJECT_READER,
    Policy,
    check,
    enforce,
)
from cindersim.services.keystone import RequestContext, default_cloud, noauth_context

ADMIN = RequestContext("u-admin", "p-admin", roles=("admin", "member", "reader"),
                       is_admin=True)
MEMBER = RequestContext("u-demo", "p-demo", roles=("member", "reader"))
READER = RequestContext("u-r", "p-demo", roles=("reader",))
OTHER = RequestContext("u-alt", "p-alt", roles=("member", "reader"))

ADMIN_ONLY = [
    "volume_extension:volume_admin_actions:reset_status",
    "volume_extension:volume_admin_actions:force_delete",
    "volume_extension:volume_admin_actions:force_detach",
    "volume:force_delete",
    "volume_extension:volume_admin_actions:migrate_volume",
    "volume_extension:volume_admin_actions:migrate_volume_completion",
    "volume_extension:volume_manage", "volume_extension:volume_unmanage",
    "volume_extension:quotas:update", "volume_extension:quotas:delete",
    "volume_extension:type_create", "volume_extension:types_manage",
    "volume_extension:volume_type_access:addProjectAccess",
    "volume_extension:volume_type_encryption:create",
    "volume_extension:volume_actions:upload_public",
    "backup:backup-import", "backup:export-import",
    "scheduler_extension:scheduler_stats:get_pools", "volume_extension:services:index",
    "volume:freeze_host", "volume:failover_host",
    "volume_extension:volume_host_attribute", "volume_extension:volume_mig_status_attribute",
    "volume_extension:snapshot_admin_actions:reset_status",
    "volume_extension:backup_admin_actions:reset_status",
]
MEMBER_WRITES = [
    "volume:create", "volume:delete", "volume:extend", "volume:extend_attached_volume",
    "volume:retype", "volume:create_snapshot", "volume:delete_snapshot", "backup:create",
    "backup:restore", "volume:attachment_create", "volume:attachment_complete",
    "volume:create_transfer", "volume:accept_transfer",
]
READS = ["volume:get", "volume:get_all", "backup:get", "volume:get_snapshot",
         "volume_extension:quotas:show", "volume_extension:type_get_all"]


class TestDefaults:
    @pytest.mark.parametrize("action", ADMIN_ONLY)
    def test_admin_only_actions(self, action: str) -> None:
        assert check(ADMIN, action, "p-demo")
        assert not check(MEMBER, action, "p-demo")
        with pytest.raises(PolicyNotAuthorized,
                           match=f"Policy doesn't allow {action} to be performed."):
            enforce(MEMBER, action, "p-demo")

    @pytest.mark.parametrize("action", MEMBER_WRITES)
    def test_member_writes_in_own_project_only(self, action: str) -> None:
        assert check(MEMBER, action, "p-demo")
        assert not check(MEMBER, action, "p-alt")
        assert not check(READER, action, "p-demo")
        assert check(ADMIN, action, "p-alt")

    @pytest.mark.parametrize("action", READS)
    def test_reads_for_readers_of_the_project(self, action: str) -> None:
        assert check(READER, action, "p-demo")
        assert check(MEMBER, action, "p-demo")
        assert not check(OTHER, action, "p-demo")

    def test_target_defaults_to_the_callers_project(self) -> None:
        assert check(MEMBER, "volume:create")
        assert not check(READER, "volume:create")

    def test_admin_role_without_admin_project_is_not_admin_api(self) -> None:
        ctx = RequestContext("u", "p", roles=("admin",), is_admin=False,
                             is_admin_project=False)
        assert not check(ctx, RULE_ADMIN_API.removeprefix("rule:"), "p")
        ctx = RequestContext("u", "p", roles=("admin",), is_admin_project=True)
        assert check(ctx, "volume_extension:quotas:update", "p")

    def test_rule_groups_are_the_documented_personas(self) -> None:
        assert DEFAULT_RULES["volume:create"] == SYSTEM_ADMIN_OR_PROJECT_MEMBER
        assert DEFAULT_RULES["volume:get"] == SYSTEM_READER_OR_PROJECT_READER
        assert DEFAULT_RULES["volume_extension:quotas:update"] == RULE_ADMIN_API

    def test_with_identity_and_noauth(self) -> None:
        cloud = default_cloud(random.Random(3))
        demo = cloud.validate(cloud.issue_token("demo", "demo"))
        alt = cloud.find_project("alt_demo")
        assert alt is not None
        assert check(demo, "volume:create")
        assert not check(demo, "volume:delete", alt.id)
        assert check(noauth_context("anyone:anywhere"), "volume_extension:quotas:update",
                     alt.id)

    def test_unknown_action_is_a_simulation_bug(self) -> None:
        with pytest.raises(SimulationError, match="has not been registered"):
            check(ADMIN, "volume:frobnicate")


class TestOverridesAndLanguage:
    def test_override_a_rule(self) -> None:
        strict = Policy(overrides={"volume:create": RULE_ADMIN_API})
        assert not strict.check(MEMBER, "volume:create")
        assert strict.check(ADMIN, "volume:create")
        assert DEFAULT_RULES["volume:create"] == SYSTEM_ADMIN_OR_PROJECT_MEMBER
        opened = strict.with_overrides({"volume:create": ""})
        assert opened.check(RequestContext(None, None), "volume:create")

    @pytest.mark.parametrize(("rule", "expected"), [
        ("@", True), ("!", False), ("", True),
        ("role:MEMBER", True), ("role:admin", False),
        ("not role:admin", True), ("role:admin or role:reader", True),
        ("role:admin or role:reader and role:nope", False),   # and binds tighter
        ("(role:admin or role:reader) and not role:nope", True),
        ("project_id:%(project_id)s", True), ("user_id:%(user_id)s", False),
        ("is_admin:False", True), ("rule:missing", False),
        ("rule:loop", False),
    ])
    def test_check_strings(self, rule: str, expected: bool) -> None:
        pol = Policy({"x": rule, "loop": "rule:loop"})
        assert pol.check(MEMBER, "x", "p-demo") is expected

    @pytest.mark.parametrize("rule", ["role:a and", "(role:a", "role:a)", "bare", "and"])
    def test_bad_check_strings_are_rejected_with_the_rule_name(self, rule: str) -> None:
        with pytest.raises(ValueError, match="'x'"):
            Policy({"x": rule})

    @given(roles=st.lists(st.sampled_from(["admin", "member", "reader", "other"]),
                          unique=True),
           same_project=st.booleans())
    def test_member_rule_is_admin_or_member_of_target(self, roles: list[str],
                                                      same_project: bool) -> None:
        ctx = RequestContext("u", "p1", roles=roles)
        target = "p1" if same_project else "p2"
        expected = "admin" in roles or ("member" in roles and same_project)
        assert check(ctx, "volume:create", target) is expected


class _Creds:
    """Credentials that are not a RequestContext: the policy takes its general path."""

    def __init__(self, context: RequestContext) -> None:
        self._values = context.to_policy_values()

    def to_policy_values(self) -> dict[str, object]:
        return dict(self._values)


@given(st.sampled_from(sorted(DEFAULT_RULES)),
       st.sampled_from([ADMIN, MEMBER, READER, OTHER]),
       st.sampled_from(["p-admin", "p-demo", "p-alt"]))
def test_a_request_context_gets_the_verdict_any_credentials_would(
        action: str, context: RequestContext, project: str) -> None:
    """Contexts key the verdict memo themselves (a fast path every API request
    takes); the verdict must be the one the general path gives, also on repeat."""
    policy = Policy()
    general = policy.check(_Creds(context), action, project)
    assert policy.check(context, action, project) is general
    assert policy.check(context, action, project) is general
    equal = RequestContext(context.user_id, context.project_id, roles=context.roles,
                           is_admin=context.is_admin)
    assert policy.check(equal, action, project) is general


@given(st.sampled_from(sorted(DEFAULT_RULES)),
       st.sampled_from([ADMIN, MEMBER, READER, OTHER]),
       st.sampled_from(["p-admin", "p-demo", "p-alt", None]))
def test_enforce_raises_exactly_when_check_denies_also_on_repeat(
        action: str, context: RequestContext, project: str | None) -> None:
    """enforce reads check's memo of allowed requests first: a remembered verdict
    must never let through what check denies (nor refuse what it allows)."""
    policy = Policy()
    allowed = check(context, action, project)
    for _ in range(2):
        if allowed:
            policy.enforce(context, action, project)
        else:
            with pytest.raises(PolicyNotAuthorized):
                policy.enforce(context, action, project)
    assert policy.check(context, action, project) is allowed
