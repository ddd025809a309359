"""The identity store's admin operations: what they revoke, what they keep."""

from __future__ import annotations

import random
import warnings

import pytest

from cindersim.errors import Unauthorized
from cindersim.services.keystone import IdentityStore, KeystoneError, default_cloud


def test_service_role_exists_without_shifting_the_seeds_ids() -> None:
    store = default_cloud(random.Random(3))
    assert [r.name for r in store.roles] == ["admin", "member", "reader", "service"]
    # The next id drawn is the one the bootstrap without the service role gave.
    bare = IdentityStore(random.Random(3))
    for role in ("admin", "member", "reader"):
        bare.create_role(role)
    for name in ("admin", "demo", "alt_demo"):
        bare.create_project(name)
    for name in ("admin", "demo", "alt_demo"):
        bare.create_user(name)
    assert [p.id for p in store.projects] == [p.id for p in bare.projects]
    assert store.create_project("x").id == bare.create_project("x").id


def test_delete_user_and_project_revoke_their_tokens_only() -> None:
    store = default_cloud(random.Random(1))
    p = store.create_project("p")
    u = store.create_user("u", default_project="p")
    store.grant("u", "p", "member")
    store.grant("demo", "p", "member")
    on_p, demo_on_p, demo = (store.issue_token("u", "p"), store.issue_token("demo", "p"),
                             store.issue_token("demo", "demo"))
    store.delete_user(u.id)
    with pytest.raises(Unauthorized):
        store.validate(on_p)
    assert store.validate(demo_on_p).project_id == p.id
    store.delete_project(p.id)
    with pytest.raises(Unauthorized):
        store.validate(demo_on_p)
    assert store.validate(demo).project_name == "demo"
    assert [a for a in store.assignments() if a[1] == p.id] == []


def test_ungrant_revokes_and_unknown_assignment_is_404() -> None:
    store = default_cloud(random.Random(1))
    token = store.issue_token("alt_demo", "alt_demo")
    with pytest.raises(KeystoneError) as err:
        store.ungrant("alt_demo", "alt_demo", "reader")  # implied, not assigned
    assert err.value.code == 404
    store.ungrant("alt_demo", "alt_demo", "member")
    with pytest.raises(Unauthorized):
        store.validate(token)
    with pytest.raises(Unauthorized):  # no role left on the project
        store.issue_token("alt_demo", "alt_demo")


def test_disabled_project_and_user_cannot_log_in() -> None:
    store = default_cloud(random.Random(1))
    token = store.issue_token("demo", "demo")
    store.update_project("demo", enabled=False)
    with pytest.raises(Unauthorized):
        store.validate(token)
    with pytest.raises(Unauthorized):
        store.issue_token("demo", "demo")
    store.update_project("demo", enabled=True)
    store.update_user("demo", enabled=False)
    with pytest.raises(Unauthorized):
        store.issue_token("demo", "demo")


def test_delete_role_drops_assignments_and_tokens() -> None:
    store = default_cloud(random.Random(1))
    store.create_role("extra")
    store.grant("demo", "demo", "extra")
    token = store.issue_token("demo", "demo")
    store.delete_role("extra")
    with pytest.raises(Unauthorized):
        store.validate(token)
    assert [r.name for r in store.effective_roles("demo", "demo")] == ["member", "reader"]
    with pytest.raises(KeystoneError, match="Duplicate entry found with name Admin"):
        store.create_role("Admin")  # role names are unique case-insensitively


def test_derived_token_draws_nothing_from_the_rng() -> None:
    a, b = random.Random(5), random.Random(5)
    sa = default_cloud(a)
    default_cloud(b)
    token = sa.issue_token("demo", "demo", derive_from="look")
    assert sa.validate(token).user_name == "demo"
    assert a.random() == b.random()


def test_old_module_paths_warn_for_user_code_only() -> None:
    user: dict[str, object] = {"__name__": "user_code"}
    with pytest.warns(DeprecationWarning, match="cindersim.services.keystone"):
        exec("from cindersim.identity import IdentityStore", user)
    with pytest.warns(DeprecationWarning, match="cindersim.services.keystone"):
        exec("from cindersim.serve.keystone import Keystone", user)
    assert user["IdentityStore"] is IdentityStore
    inside: dict[str, object] = {"__name__": "cindersim.some_module"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cindersim's own modules may still use the old path
        exec("from cindersim.identity import RequestContext", inside)
    assert inside["RequestContext"].__module__ == "cindersim.services.keystone.context"  # type: ignore[attr-defined]
