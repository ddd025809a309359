"""Keystone v3's admin API over HTTP, as Tempest's dynamic credentials
(``tempest/lib/common/cred_client.py``) call it: raw requests, Keystone's
status codes and ``{"error": {"code", "message", "title"}}`` bodies."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from cindersim.serve import ThreadedServer

DEFAULT = {"name": "Default"}


def request(srv: ThreadedServer, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=10)
    try:
        hdrs = {"Accept": "application/json", **(headers or {})}
        raw = None if body is None else json.dumps(body)
        if raw is not None:
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=raw, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, (
            json.loads(data) if data else None)
    finally:
        conn.close()


def login_as(srv: ThreadedServer, user: str, project: str | None = None,
             password: str = "secret") -> tuple[int, str | None]:
    status, headers, _ = request(srv, "POST", "/identity/v3/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": DEFAULT}}},
        "scope": {"project": {"name": project or user, "domain": DEFAULT}}}})
    return status, headers.get("x-subject-token")


def token(srv: ThreadedServer, user: str, project: str | None = None,
          password: str = "secret") -> str:
    status, tok = login_as(srv, user, project, password)
    assert status == 201
    assert tok
    return tok


def call(srv: ThreadedServer, tok: str, method: str, path: str,
         body: Any = None) -> tuple[int, Any]:
    status, _, data = request(srv, method, f"/identity/v3{path}", body,
                              headers={"X-Auth-Token": tok})
    return status, data


def test_tempest_dynamic_credentials_flow(served: ThreadedServer) -> None:
    """The calls ``DynamicCredentialProvider._create_creds`` and ``clear_creds`` make,
    then the new user works with Cinder in its new project."""
    admin = token(served, "admin")
    status, body = call(served, admin, "GET", "/domains?name=Default")
    assert status == 200
    (domain,) = body["domains"]
    assert (domain["id"], domain["name"], domain["enabled"]) == ("default", "Default", True)
    status, body = call(served, admin, "POST", "/projects", {"project": {
        "name": "tempest-p1", "description": "tempest-p1-desc", "domain_id": "default"}})
    assert status == 201
    project = body["project"]
    assert (project["name"], project["domain_id"], project["enabled"]) == (
        "tempest-p1", "default", True)
    assert project["links"]["self"] == (
        f"{served.base_url}/identity/v3/projects/{project['id']}")
    status, body = call(served, admin, "POST", "/users", {"user": {
        "name": "tempest-p1-project", "password": "pw1", "domain_id": "default",
        "project_id": project["id"]}})
    assert status == 201
    user = body["user"]
    assert "password" not in user
    assert user["domain_id"] == "default"
    status, body = call(served, admin, "GET", "/roles")
    assert status == 200
    roles = {r["name"]: r["id"] for r in body["roles"]}
    assert set(roles) >= {"admin", "member", "reader", "service"}
    path = f"/projects/{project['id']}/users/{user['id']}/roles/{roles['member']}"
    assert call(served, admin, "PUT", path) == (204, None)
    assert call(served, admin, "HEAD", path)[0] == 204
    # The new user logs in with the new project and creates a volume there:
    # cinder-api trusts the token's project, with Cinder's default quotas.
    member = token(served, "tempest-p1-project", "tempest-p1", "pw1")
    status, _, vol = request(served, "POST", f"/v3/{project['id']}/volumes",
                             {"volume": {"size": 1}}, headers={"X-Auth-Token": member})
    assert status == 202
    assert vol["volume"]["size"] == 1
    status, _, quotas = request(served, "GET",
                                f"/v3/{project['id']}/os-quota-sets/{project['id']}",
                                headers={"X-Auth-Token": member})
    assert status == 200
    assert quotas["quota_set"]["volumes"] == 10
    # clear_creds: delete the user, then the project; both revoke the user's token.
    assert call(served, admin, "DELETE", f"/users/{user['id']}") == (204, None)
    status, _, _ = request(served, "GET", f"/v3/{project['id']}/volumes",
                           headers={"X-Auth-Token": member})
    assert status == 401
    assert call(served, admin, "DELETE", f"/projects/{project['id']}") == (204, None)
    status, body = call(served, admin, "GET", f"/projects/{project['id']}")
    assert (status, body) == (404, {"error": {
        "code": 404, "title": "Not Found",
        "message": f"Could not find project: {project['id']}."}})


def test_deleting_a_project_revokes_its_tokens(served: ThreadedServer) -> None:
    admin = token(served, "admin")
    _, body = call(served, admin, "POST", "/projects", {"project": {"name": "gone"}})
    pid = body["project"]["id"]
    demo = served.cloud.identity.find_user("demo")
    assert demo is not None
    assert call(served, admin, "PUT",
                f"/projects/{pid}/users/{demo.id}/roles/"
                f"{served.cloud.identity.find_role('member').id}")[0] == 204  # type: ignore[union-attr]
    on_gone, on_demo = token(served, "demo", "gone"), token(served, "demo")
    assert call(served, admin, "DELETE", f"/projects/{pid}")[0] == 204
    assert request(served, "GET", f"/v3/{pid}/volumes",
                   headers={"X-Auth-Token": on_gone})[0] == 401
    # The user's token on another project lives on.
    assert request(served, "GET", f"/v3/{served.cloud.project_id('demo')}/volumes",
                   headers={"X-Auth-Token": on_demo})[0] == 200


def test_duplicates_are_409_with_keystones_message(served: ThreadedServer) -> None:
    admin = token(served, "admin")
    status, body = call(served, admin, "POST", "/projects", {"project": {"name": "demo"}})
    assert (status, body) == (409, {"error": {
        "code": 409, "title": "Conflict",
        "message": "Conflict occurred attempting to store project - Duplicate entry found "
                   "with name demo at domain ID default."}})
    status, body = call(served, admin, "POST", "/users", {"user": {"name": "alt_demo"}})
    assert status == 409
    assert "store user - Duplicate entry" in body["error"]["message"]
    status, body = call(served, admin, "POST", "/roles", {"role": {"name": "member"}})
    assert (status, body["error"]["message"]) == (
        409, "Conflict occurred attempting to store role - Duplicate entry found with "
             "name member.")


@pytest.mark.parametrize(("method", "path", "body", "action"), [
    ("GET", "/projects", None, "identity:list_projects"),
    ("POST", "/projects", {"project": {"name": "x"}}, "identity:create_project"),
    ("GET", "/users", None, "identity:list_users"),
    ("POST", "/users", {"user": {"name": "x"}}, "identity:create_user"),
    ("GET", "/roles", None, "identity:list_roles"),
    ("POST", "/roles", {"role": {"name": "x"}}, "identity:create_role"),
    ("GET", "/role_assignments", None, "identity:list_role_assignments"),
    ("GET", "/domains", None, "identity:list_domains"),
])
def test_a_member_is_refused_the_admin_api(served: ThreadedServer, method: str, path: str,
                                           body: Any, action: str) -> None:
    demo = token(served, "demo")
    status, answer = call(served, demo, method, path, body)
    assert (status, answer) == (403, {"error": {
        "code": 403, "title": "Forbidden",
        "message": f"You are not authorized to perform the requested action: {action}."}})


def test_a_member_reads_its_own_project_user_and_domain(served: ThreadedServer) -> None:
    demo = token(served, "demo")
    ident = served.cloud.identity
    me, mine = ident.find_user("demo"), ident.find_project("demo")
    assert me is not None
    assert mine is not None
    assert call(served, demo, "GET", f"/projects/{mine.id}")[1]["project"]["name"] == "demo"
    assert call(served, demo, "GET", f"/users/{me.id}")[1]["user"]["name"] == "demo"
    assert call(served, demo, "GET", "/domains/default")[0] == 200
    other = ident.find_project("alt_demo")
    assert other is not None
    assert call(served, demo, "GET", f"/projects/{other.id}")[0] == 403
    _status, body = call(served, demo, "GET", f"/users/{me.id}/projects")
    assert [p["name"] for p in body["projects"]] == ["demo"]
    assert [p["name"] for p in call(served, demo, "GET", "/auth/projects")[1]["projects"]] == [
        "demo"]


def test_bad_input_is_keystones_400_401_404(served: ThreadedServer) -> None:
    admin = token(served, "admin")
    assert call(served, "gAAAAABnope", "GET", "/projects")[0] == 401
    assert request(served, "GET", "/identity/v3/projects")[0] == 401
    status, body = call(served, admin, "POST", "/projects", {"project": {}})
    assert (status, body["error"]["message"]) == (400, "'name' is a required property")
    status, body = call(served, admin, "POST", "/projects", {"project": {"name": 7}})
    assert status == 400
    assert "Invalid input for field 'name'" in body["error"]["message"]
    assert call(served, admin, "POST", "/projects", {"nope": 1})[0] == 400
    assert call(served, admin, "POST", "/projects", [1, 2])[0] == 400
    assert call(served, admin, "POST", "/users", {"user": {"name": "u", "enabled": "yes"}}
                )[0] == 400
    assert call(served, admin, "POST", "/users", {"user": {
        "name": "u", "default_project_id": "nope"}})[0] == 404
    assert call(served, admin, "POST", "/projects", {"project": {
        "name": "p", "domain_id": "other"}})[0] == 404
    for path in ("/projects/nope", "/users/nope", "/roles/nope", "/domains/nope"):
        status, body = call(served, admin, "GET", path)
        assert status == 404
        assert body["error"]["message"].endswith(": nope.")
    ident = served.cloud.identity
    demo, reader = ident.find_user("demo"), ident.find_role("reader")
    pid = served.cloud.project_id("demo")
    assert demo is not None
    assert reader is not None
    status, body = call(served, admin, "DELETE",
                        f"/projects/{pid}/users/{demo.id}/roles/{reader.id}")
    assert status == 404  # reader is implied by member, not assigned
    assert body["error"]["message"] == (
        f"Could not find role assignment with role: {reader.id}, user or group: {demo.id}, "
        f"project, domain, or system: {pid}.")
    assert call(served, admin, "PUT", "/projects")[0] == 405


def test_role_assignments_filters_and_names(served: ThreadedServer) -> None:
    admin = token(served, "admin")
    ident = served.cloud.identity
    demo = ident.find_user("demo")
    assert demo is not None
    status, body = call(served, admin, "GET", "/role_assignments")
    assert status == 200
    assert [(a["user"]["id"], a["role"]["id"]) for a in body["role_assignments"]] == [
        (u.id, ident.find_role(r).id)  # type: ignore[union-attr]
        for u, r in zip(ident.users, ("admin", "member", "member"), strict=True)]
    status, body = call(served, admin, "GET",
                        f"/role_assignments?user.id={demo.id}&include_names=1")
    (a,) = body["role_assignments"]
    assert a["user"] == {"id": demo.id, "name": "demo",
                         "domain": {"id": "default", "name": "Default"}}
    assert a["role"]["name"] == "member"
    assert a["scope"]["project"]["name"] == "demo"
    status, body = call(served, admin, "GET", f"/role_assignments?user.id={demo.id}"
                                              "&effective&include_names=true")
    assert [x["role"]["name"] for x in body["role_assignments"]] == ["member", "reader"]
    pid = served.cloud.project_id("alt_demo")
    status, body = call(served, admin, "GET", f"/role_assignments?scope.project.id={pid}")
    assert [x["scope"]["project"]["id"] for x in body["role_assignments"]] == [pid]
    assert call(served, admin, "GET", "/role_assignments?group.id=g")[1][
        "role_assignments"] == []


def test_roles_create_delete_and_password_change(served: ThreadedServer) -> None:
    admin = token(served, "admin")
    status, body = call(served, admin, "POST", "/roles", {"role": {"name": "creator"}})
    assert status == 201
    rid = body["role"]["id"]
    assert call(served, admin, "GET", "/roles?name=creator")[1]["roles"][0]["id"] == rid
    assert call(served, admin, "DELETE", f"/roles/{rid}")[0] == 204
    assert call(served, admin, "GET", f"/roles/{rid}")[0] == 404
    demo = token(served, "demo")
    me = served.cloud.identity.find_user("demo")
    assert me is not None
    assert call(served, demo, "POST", f"/users/{me.id}/password", {"user": {
        "password": "new", "original_password": "wrong"}})[0] == 401
    assert call(served, demo, "POST", f"/users/{me.id}/password", {"user": {
        "password": "new", "original_password": "secret"}})[0] == 204
    assert request(served, "GET", f"/v3/{served.cloud.project_id('demo')}/volumes",
                   headers={"X-Auth-Token": demo})[0] == 401  # a new password revokes
    assert login_as(served, "demo")[0] == 401
    assert login_as(served, "demo", password="new")[0] == 201


def test_catalog_lists_every_service_with_three_interfaces(served: ThreadedServer) -> None:
    admin = token(served, "admin")
    status, body = call(served, admin, "GET", "/auth/catalog")
    assert status == 200
    types = [s["type"] for s in body["catalog"]]
    assert types == ["block-storage", "volumev3", "compute", "image", "object-store",
                     "network", "key-manager", "identity"]  # Neutron-lite, Barbican-lite
    for service in body["catalog"]:
        assert sorted(e["interface"] for e in service["endpoints"]) == [
            "admin", "internal", "public"]
        assert all(e["region"] == "RegionOne" for e in service["endpoints"])
