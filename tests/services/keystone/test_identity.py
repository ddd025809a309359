"""The small Keystone: default cloud, tokens, contexts and Cinder's noauth."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim.errors import Unauthorized
from cindersim.services.keystone import (
    DEFAULT_PASSWORD,
    IdentityStore,
    KeystoneError,
    RequestContext,
    default_cloud,
    noauth_context,
    noauth_token,
)

HEX32 = re.compile(r"[0-9a-f]{32}")


class TestDefaultCloud:
    def test_projects_users_and_roles(self) -> None:
        cloud = default_cloud(random.Random(1))
        assert [p.name for p in cloud.projects] == ["admin", "demo", "alt_demo"]
        assert [u.name for u in cloud.users] == ["admin", "demo", "alt_demo"]
        assert [r.name for r in cloud.effective_roles("admin", "admin")] == [
            "admin", "member", "reader"]
        assert [r.name for r in cloud.effective_roles("demo", "demo")] == ["member", "reader"]
        assert cloud.effective_roles("demo", "alt_demo") == ()

    def test_ids_are_keystone_hex_and_follow_the_seed(self) -> None:
        a, b, c = (default_cloud(random.Random(s)) for s in (7, 7, 8))
        ids = [p.id for p in a.projects] + [u.id for u in a.users]
        assert all(HEX32.fullmatch(i) for i in ids)
        assert ids == [p.id for p in b.projects] + [u.id for u in b.users]
        assert ids[0] != c.projects[0].id

    def test_user_default_project(self) -> None:
        cloud = default_cloud(random.Random(1))
        demo = cloud.find_user("demo")
        assert demo is not None
        assert demo.default_project_id == cloud.projects[1].id


class TestTokens:
    def test_admin_token_gives_admin_context(self) -> None:
        cloud = default_cloud(random.Random(1))
        token = cloud.issue_token("admin", "admin", DEFAULT_PASSWORD)
        ctx = cloud.validate(token)
        assert ctx.is_admin
        assert ctx.is_admin_project
        assert ctx.roles == ("admin", "member", "reader")
        assert ctx.project_name == "admin"
        assert ctx.auth_token == token
        assert token.startswith("gAAAAAB")

    def test_member_token_is_not_admin_and_works_with_ids(self) -> None:
        cloud = default_cloud(random.Random(1))
        demo = cloud.find_user("demo")
        project = cloud.find_project("demo")
        assert demo is not None
        assert project is not None
        ctx = cloud.validate(cloud.issue_token(demo.id, project.id))
        assert (ctx.user_id, ctx.project_id, ctx.is_admin) == (demo.id, project.id, False)
        assert ctx.roles == ("member", "reader")

    @pytest.mark.parametrize(("user", "project", "password"), [
        ("demo", "demo", "wrong"), ("nobody", "demo", None), ("demo", "nowhere", None),
        ("demo", "alt_demo", None),  # no role there
    ])
    def test_bad_authentication_is_401(self, user: str, project: str,
                                       password: str | None) -> None:
        cloud = default_cloud(random.Random(1))
        with pytest.raises(Unauthorized) as exc:
            cloud.issue_token(user, project, password)
        assert exc.value.code == 401

    @pytest.mark.parametrize("token", [None, "", "gAAAAABnope"])
    def test_missing_or_unknown_token_is_401(self, token: str | None) -> None:
        with pytest.raises(Unauthorized, match="requires authentication"):
            default_cloud(random.Random(1)).validate(token)

    def test_token_expires_after_an_hour_and_can_be_revoked(self) -> None:
        cloud = default_cloud(random.Random(1))
        token = cloud.issue_token("demo", "demo", now=100.0)
        assert cloud.validate(token, now=3699.0).user_name == "demo"
        with pytest.raises(Unauthorized):
            cloud.validate(token, now=3700.0)
        other = cloud.issue_token("demo", "demo")
        cloud.revoke(other)
        with pytest.raises(Unauthorized):
            cloud.validate(other)

    def test_with_a_clock_every_check_enforces_expiry(self) -> None:
        """Services call validate() without the time: the store's clock supplies it."""
        now = [100.0]
        cloud = default_cloud(random.Random(1), clock=lambda: now[0])
        token = cloud.issue_token("demo", "demo", now=now[0])
        assert cloud.validate(token).user_name == "demo"
        now[0] = 3699.0
        assert cloud.token_info(token).user.name == "demo"
        now[0] = 3700.0
        with pytest.raises(Unauthorized):
            cloud.validate(token)
        with pytest.raises(Unauthorized):
            cloud.token_info(token)
        # A token issued without a time (an internal login) never expires.
        forever = cloud.issue_token("demo", "demo")
        now[0] = 1e9
        assert cloud.validate(forever).user_name == "demo"
        assert cloud.token_count == 2

    @pytest.mark.parametrize("token", [["a"], {"a": 1}, 7])
    def test_a_token_that_is_not_a_string_is_401(self, token: object) -> None:
        with pytest.raises(Unauthorized):
            default_cloud(random.Random(1)).validate(token)  # type: ignore[arg-type]

    def test_a_token_validates_to_one_context_until_it_expires_or_is_revoked(self) -> None:
        cloud = default_cloud(random.Random(1))
        token = cloud.issue_token("demo", "demo", now=0.0)
        first = cloud.validate(token, now=1.0)
        assert cloud.validate(token, now=2.0) is first
        with pytest.raises(Unauthorized):  # the remembered context does not outlive it
            cloud.validate(token, now=3600.0)
        cloud.revoke(token)
        with pytest.raises(Unauthorized):
            cloud.validate(token)
        admin = cloud.issue_token("admin", "admin")
        assert cloud.validate(admin).is_admin
        assert not first.is_admin

    def test_a_token_that_never_expires_validates_until_revoked(self) -> None:
        cloud = default_cloud(random.Random(1))
        token = cloud.issue_token("demo", "demo")
        first = cloud.validate(token)
        assert cloud.validate(token) is first
        cloud.revoke(token)
        with pytest.raises(Unauthorized):  # the remembered context went with the token
            cloud.validate(token)
        kept = cloud.issue_token("demo", "demo")
        cloud.validate(kept)
        cloud.delete_project("demo")  # Keystone revokes the project's tokens
        with pytest.raises(Unauthorized):
            cloud.validate(kept)

    def test_a_token_issued_again_validates_to_its_new_roles(self) -> None:
        """A derived token string is issued again for the same user and project: the
        context validated before must not outlive the record it was made of."""
        cloud = default_cloud(random.Random(1))
        token = cloud.issue_token("demo", "demo", derive_from="banner")
        assert not cloud.validate(token).is_admin
        cloud.grant("demo", "demo", "admin")
        assert cloud.issue_token("demo", "demo", derive_from="banner") == token
        assert cloud.validate(token).is_admin

    def test_admin_project_setting_limits_is_admin_project(self) -> None:
        cloud = default_cloud(random.Random(1), admin_project_name="admin")
        cloud.grant("admin", "demo", "admin")
        assert cloud.validate(cloud.issue_token("admin", "admin")).is_admin_project
        assert not cloud.validate(cloud.issue_token("admin", "demo")).is_admin_project

    @given(seed=st.integers(0, 2**32), n=st.integers(1, 20))
    def test_tokens_are_distinct_and_replay_with_the_seed(self, seed: int, n: int) -> None:
        runs = []
        for _ in range(2):
            cloud = default_cloud(random.Random(seed))
            runs.append([cloud.issue_token("demo", "demo") for _ in range(n)])
        assert runs[0] == runs[1]
        assert len(set(runs[0])) == n

    def test_keystone_body_shape(self) -> None:
        cloud = default_cloud(random.Random(1))
        info = cloud.token_info(cloud.issue_token("demo", "demo", now=0.0))
        body = info.to_keystone()["token"]
        assert body["project"]["name"] == "demo"
        assert [r["name"] for r in body["roles"]] == ["member", "reader"]
        assert body["expires_at"] == 3600.0


class TestStore:
    def test_duplicates_and_unknowns_are_rejected(self) -> None:
        store = IdentityStore(random.Random(1))
        store.create_role("member")
        store.create_project("p")
        store.create_user("u")
        with pytest.raises(KeystoneError, match="Duplicate entry found with name p") as dup:
            store.create_project("p")
        assert dup.value.code == 409
        with pytest.raises(KeystoneError, match="Could not find role: admin") as missing:
            store.grant("u", "p", "admin")
        assert missing.value.code == 404
        with pytest.raises(KeystoneError, match="Could not find project: q"):
            store.grant("u", "q", "member")


class TestContext:
    def test_is_admin_adds_admin_role_and_elevated(self) -> None:
        ctx = RequestContext(user_id="u", project_id="p", roles=["member"])
        assert not ctx.is_admin
        up = ctx.elevated()
        assert up.is_admin
        assert up.roles == ("member", "admin")
        assert ctx.roles == ("member",)  # frozen original

    def test_noauth_token_user_and_project(self) -> None:
        ctx = noauth_context("alice:p1")
        assert (ctx.user_id, ctx.project_id, ctx.is_admin, ctx.roles) == (
            "alice", "p1", True, ("admin",))
        assert ctx.auth_token is None

    def test_noauth_project_defaults_to_user(self) -> None:
        assert noauth_context("bob").project_id == "bob"
        assert noauth_token() == "admin:admin"
        assert noauth_context(noauth_token("u", "p")).project_id == "p"
