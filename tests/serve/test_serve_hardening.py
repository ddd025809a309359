"""cindersim serve against hostile input: each case once fell over (a 500 or a dropped
connection) or let a token do what Keystone would not.

Token expiry is virtual: a token lives ``token_expiration`` virtual seconds, which
at the server's speed (100) is a hundredth of that in wall time.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
from typing import Any

import pytest

from cindersim.serve import ThreadedServer

TOKEN_BODY = {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "password": "secret", "domain": {"name": "Default"}}}},
    "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}


def request(srv: ThreadedServer, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    c = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=10)
    try:
        hdrs = {"Accept": "application/json", **(headers or {})}
        raw = None if body is None else json.dumps(body)
        if raw is not None:
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, body=raw, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, (
            json.loads(data) if data else None)
    finally:
        c.close()


def login_as(srv: ThreadedServer, user: str) -> str:
    body = json.loads(json.dumps(TOKEN_BODY).replace('"demo"', json.dumps(user)))
    status, headers, _ = request(srv, "POST", "/identity/v3/auth/tokens", body)
    assert status == 201
    return headers["x-subject-token"]


def raw_request(srv: ThreadedServer, data: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", srv.server.port), timeout=10) as s:
        s.sendall(data)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def post_raw(srv: ThreadedServer, path: str, body: bytes,
             headers: dict[str, str]) -> tuple[int, Any]:
    c = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=10)
    try:
        c.request("POST", path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None
    finally:
        c.close()


class TestKeystoneTokenPolicy:
    def test_a_user_validates_its_own_tokens_only(self, served: ThreadedServer) -> None:
        demo, demo2, alt = (login_as(served, "demo"), login_as(served, "demo"),
                            login_as(served, "alt_demo"))
        for subject in (demo, demo2):  # token_subject: the same user, any of its tokens
            status, headers, body = request(served, "GET", "/identity/v3/auth/tokens",
                                            headers={"X-Auth-Token": demo,
                                                     "X-Subject-Token": subject})
            assert status == 200
            assert headers["x-subject-token"] == subject
        status, _, body = request(served, "GET", "/identity/v3/auth/tokens",
                                  headers={"X-Auth-Token": demo, "X-Subject-Token": alt})
        assert status == 403
        assert body == {"error": {"code": 403, "title": "Forbidden", "message":
                                  "You are not authorized to perform the requested action: "
                                  "identity:validate_token."}}
        status, _, _ = request(served, "HEAD", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": demo, "X-Subject-Token": alt})
        assert status == 403

    def test_an_admin_validates_and_revokes_anyones(self, served: ThreadedServer) -> None:
        admin, alt = login_as(served, "admin"), login_as(served, "alt_demo")
        status, _, body = request(served, "GET", "/identity/v3/auth/tokens",
                                  headers={"X-Auth-Token": admin, "X-Subject-Token": alt})
        assert status == 200
        assert body["token"]["user"]["name"] == "alt_demo"
        status, _, _ = request(served, "DELETE", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": admin, "X-Subject-Token": alt})
        assert status == 204
        status, _, _ = request(served, "GET", "/v3/", headers={"X-Auth-Token": alt})
        status, _, _ = request(served, "GET", f"/v3/{served.cloud.project_id('alt_demo')}"
                                              "/volumes", headers={"X-Auth-Token": alt})
        assert status == 401

    def test_a_user_cannot_revoke_anothers_token(self, served: ThreadedServer) -> None:
        demo, alt = login_as(served, "demo"), login_as(served, "alt_demo")
        status, _, body = request(served, "DELETE", "/identity/v3/auth/tokens",
                                  headers={"X-Auth-Token": demo, "X-Subject-Token": alt})
        assert status == 403
        assert body["error"]["message"].endswith("identity:revoke_token.")
        project = served.cloud.project_id("alt_demo")
        status, _, _ = request(served, "GET", f"/v3/{project}/volumes",
                               headers={"X-Auth-Token": alt})
        assert status == 200  # still valid
        status, _, _ = request(served, "DELETE", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": alt, "X-Subject-Token": alt})
        assert status == 204  # its own: allowed

    def test_unknown_or_missing_subject(self, served: ThreadedServer) -> None:
        demo, admin = login_as(served, "demo"), login_as(served, "admin")
        for method in ("GET", "DELETE"):
            status, _, body = request(served, method, "/identity/v3/auth/tokens",
                                      headers={"X-Auth-Token": demo,
                                               "X-Subject-Token": "gAAAAABnope"})
            assert status == 404
            assert body["error"]["message"] == "Could not find token: gAAAAABnope."
        # No subject: the policy has no token to match a non-admin against.
        status, _, _ = request(served, "GET", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": demo})
        assert status == 403
        status, _, body = request(served, "GET", "/identity/v3/auth/tokens",
                                  headers={"X-Auth-Token": admin})
        assert status == 404
        assert body["error"]["message"] == "No token in the request"


def every_service(project: str) -> list[str]:
    """A read each served API answers a valid demo token (Keystone's own: its projects)."""
    return [f"/v3/{project}/volumes", "/compute/v2.1/servers", "/image/v2/images",
            "/networking/v2.0/networks", f"/object-store/v1/AUTH_{project}",
            "/identity/v3/auth/projects"]


def status_of(srv: ThreadedServer, path: str, token: str) -> int:
    c = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=10)
    try:
        c.request("GET", path, headers={"X-Auth-Token": token})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


class TestTokenExpiry:
    def test_an_expired_token_is_refused_by_every_service(self, served: ThreadedServer,
                                                          poll: Any) -> None:
        async def short_tokens(cloud: Any) -> None:
            cloud.identity.token_expiration = 2.0  # virtual seconds

        served.call(short_tokens)
        token = login_as(served, "demo")
        project = served.cloud.project_id("demo")
        paths = every_service(project)
        for path in paths:  # may pass before expiry (a loaded machine may be late)
            status_of(served, path, token)

        def expired() -> bool:
            return request(served, "GET", paths[0],
                           headers={"X-Auth-Token": token})[0] == 401

        poll(expired)
        assert [status_of(served, p, token) for p in paths] == [401] * len(paths)
        admin = login_as(served, "admin")
        status, _, _ = request(served, "GET", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": admin, "X-Subject-Token": token})
        assert status == 404
        status, _, _ = request(served, "GET", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": token, "X-Subject-Token": token})
        assert status == 401

    def test_a_revoked_token_is_refused_by_every_service(self, served: ThreadedServer) -> None:
        token = login_as(served, "demo")
        paths = every_service(served.cloud.project_id("demo"))
        assert [status_of(served, p, token) < 400 for p in paths] == [True] * len(paths)
        status, _, _ = request(served, "DELETE", "/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": token, "X-Subject-Token": token})
        assert status == 204
        assert [status_of(served, p, token) for p in paths] == [401] * len(paths)

    def test_expires_at_tells_the_client_the_wall_time_left(
            self, served: ThreadedServer) -> None:
        status, _, body = request(served, "POST", "/identity/v3/auth/tokens", TOKEN_BODY)
        assert status == 201

        def parse(text: str) -> dt.datetime:
            return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)

        lifetime = parse(body["token"]["expires_at"]) - parse(body["token"]["issued_at"])
        # 3600 virtual seconds at 100 virtual seconds per wall second: 36 wall seconds.
        assert dt.timedelta(seconds=30) < lifetime <= dt.timedelta(seconds=36)


class TestMalformedInput:
    @pytest.mark.parametrize("depth", [101, 1000, 50_000])
    def test_deeply_nested_json_is_400_everywhere(self, served: ThreadedServer,
                                                 depth: int) -> None:
        token = login_as(served, "demo")
        project = served.cloud.project_id("demo")
        deep = ("[" * depth + "]" * depth).encode()
        hdrs = {"X-Auth-Token": token, "Content-Type": "application/json"}
        status, body = post_raw(served, f"/v3/{project}/volumes", deep, hdrs)
        assert (status, body) == (400, {"badRequest": {"code": 400, "message":
                                                       "Malformed request body"}})
        status, body = post_raw(served, "/compute/v2.1/servers", deep, hdrs)
        assert status == 400
        assert body["badRequest"]["message"] == "Malformed request body"
        status, body = post_raw(served, "/identity/v3/auth/tokens", deep, hdrs)
        assert status == 400
        assert body["error"]["code"] == 400

    @pytest.mark.parametrize("raw", [b"[" * 50_000 + b"]" * 50_000, b'{"a": "\xc3\x28"}',
                                     b'{"a": ' + b"1" * 5000 + b"}", b"{"])
    @pytest.mark.parametrize(("method", "path"), [
        ("POST", "/image/v2/images"), ("PATCH", "/image/v2/images/x"),
        ("POST", "/networking/v2.0/networks"), ("POST", "/identity/v3/projects")])
    def test_malformed_json_is_400_on_the_services_beside_cinder(
            self, served: ThreadedServer, raw: bytes, method: str, path: str) -> None:
        """Glance, Neutron and Keystone's admin API refuse it too (Swift stores bytes)."""
        token = login_as(served, "admin")
        c = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=10)
        try:
            c.request(method, path, body=raw, headers={
                "X-Auth-Token": token, "Content-Type": "application/json"
                if method == "POST" else "application/openstack-images-v2.1-json-patch"})
            r = c.getresponse()
            r.read()
        finally:
            c.close()
        assert r.status == 400
        assert served.server.stats.internal_errors == 0

    def test_nested_json_within_the_limit_is_parsed(self, served: ThreadedServer) -> None:
        project = served.cloud.project_id("demo")
        body = {"volume": {"size": 1, "metadata": {"k": json.dumps([[[[1]]]])}}}
        status, _, reply = request(served, "POST", f"/v3/{project}/volumes", body,
                                   headers={"X-Auth-Token": f"demo:{project}"})
        assert status == 202, reply

    def test_a_microversion_past_int_limits_is_400(self, served: ThreadedServer) -> None:
        token = login_as(served, "demo")
        project = served.cloud.project_id("demo")
        huge = "9" * 4400
        status, _, body = request(served, "GET", f"/v3/{project}/volumes", headers={
            "X-Auth-Token": token, "OpenStack-API-Version": f"volume 3.{huge}"})
        assert status == 400
        assert body["badRequest"]["message"].startswith("API Version String 3.999")
        status, _, body = request(served, "GET", f"/v3/{project}/volumes", headers={
            "X-Auth-Token": token, "OpenStack-API-Version": "volume 3.72"})
        assert status == 406
        for header in ("OpenStack-API-Version", "X-OpenStack-Nova-API-Version"):
            value = f"compute 2.{huge}" if header.startswith("Open") else f"2.{huge}"
            status, _, body = request(served, "GET", "/compute/v2.1/servers",
                                      headers={"X-Auth-Token": token, header: value})
            assert status == 400
            assert "is of invalid format" in body["badRequest"]["message"]

    @pytest.mark.parametrize("field", ["domain_id", "domain_name", "project_domain"])
    def test_keystone_objects_where_strings_belong_are_400(
            self, served: ThreadedServer, field: str) -> None:
        body = json.loads(json.dumps(TOKEN_BODY))
        user = body["auth"]["identity"]["password"]["user"]
        if field == "domain_id":
            user["domain"] = {"id": ["default"]}
        elif field == "domain_name":
            user["domain"] = {"name": {"n": "Default"}}
        else:
            body["auth"]["scope"]["project"]["domain"] = {"name": ["Default"]}
        status, _, reply = request(served, "POST", "/identity/v3/auth/tokens", body)
        assert status == 400
        assert reply["error"]["title"] == "Bad Request"

    @pytest.mark.parametrize("request_line", [
        b"OPTIONS * HTTP/1.1", b"CONNECT example.com:443 HTTP/1.1", b"GET v3 HTTP/1.1",
        b"GET http://[::1/v3 HTTP/1.1"])
    def test_a_target_that_is_no_path_is_400(self, served: ThreadedServer,
                                             request_line: bytes) -> None:
        status, body = raw_request(served, request_line + b"\r\nHost: h\r\n"
                                                          b"Connection: close\r\n\r\n")
        assert status == 400
        assert json.loads(body)["badRequest"]["code"] == 400
        assert request(served, "GET", "/")[0] == 300

    def test_the_server_survives_a_burst_of_them(self, served: ThreadedServer) -> None:
        for _ in range(20):
            raw_request(served, b"OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        assert served.server.stats.internal_errors == 0
        assert request(served, "GET", "/")[0] == 300
