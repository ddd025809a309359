"""cindersim serve at the HTTP level: what real clients rely on, byte for byte.

Raw ``http.client`` requests against a served cloud on a loopback port: the
versions documents, microversion echo, URL forms, 401s, noauth tokens, the
minimal Keystone, keep-alive and malformed requests.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import pytest

from cindersim.serve import ServeOptions, ThreadedServer

TOKEN_BODY = {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "password": "secret", "domain": {"name": "Default"}}}},
    "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}


def request(srv: ThreadedServer, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None,
            conn: http.client.HTTPConnection | None = None,
            ) -> tuple[int, dict[str, str], Any]:
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=10)
    try:
        raw = None if body is None else json.dumps(body)
        hdrs = {"Accept": "application/json", **(headers or {})}
        if raw is not None:
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, body=raw, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, (
            json.loads(data) if data else None)
    finally:
        if own:
            c.close()


def login(srv: ThreadedServer, body: Any = None) -> tuple[int, dict[str, str], Any]:
    return request(srv, "POST", "/identity/v3/auth/tokens",
                   TOKEN_BODY if body is None else body)


class TestCinderSurface:
    def test_versions_at_root_300_and_v3_200_with_this_servers_url(
            self, served: ThreadedServer) -> None:
        status, headers, body = request(served, "GET", "/")
        assert status == 300
        assert headers["content-type"] == "application/json"
        (v,) = body["versions"]
        assert (v["id"], v["version"], v["min_version"]) == ("v3.0", "3.71", "3.0")
        assert {"rel": "self", "href": f"{served.base_url}/v3/"} in v["links"]
        status, _, body2 = request(served, "GET", "/v3/")
        assert status == 200
        assert body2 == body

    def test_microversion_echoed_and_repeated_slashes_collapsed(
            self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        token = f"demo:{pid}"
        status, headers, body = request(
            served, "GET", f"//v3//{pid}///volumes",
            headers={"X-Auth-Token": token, "OpenStack-API-Version": "volume 3.60"})
        assert status == 200
        assert body == {"volumes": []}
        assert headers["openstack-api-version"] == "volume 3.60"
        assert headers["vary"] == "OpenStack-API-Version"

    def test_trailing_slash_id_is_404_with_cinders_fault(self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        status, _, body = request(served, "GET", f"/v3/{pid}/volumes/",
                                  headers={"X-Auth-Token": f"demo:{pid}"})
        assert status == 404
        assert set(body) == {"itemNotFound"}
        assert body["itemNotFound"]["code"] == 404

    def test_project_less_urls_from_3_67(self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        hdrs = {"X-Auth-Token": f"demo:{pid}"}
        assert request(served, "GET", "/v3/volumes",
                       headers={**hdrs, "OpenStack-API-Version": "volume 3.66"})[0] == 404
        status, _, body = request(served, "GET", "/v3/volumes",
                                  headers={**hdrs, "OpenStack-API-Version": "volume 3.67"})
        assert (status, body) == (200, {"volumes": []})

    def test_no_token_is_keystonemiddlewares_401(self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        status, headers, body = request(served, "GET", f"/v3/{pid}/volumes")
        assert status == 401
        assert body["error"]["code"] == 401
        assert "www-authenticate" in headers

    def test_percent_encoded_path_is_decoded(self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        status, _, body = request(served, "GET", f"/v3/{pid}/volume%73",
                                  headers={"X-Auth-Token": f"demo:{pid}"})
        assert (status, body) == (200, {"volumes": []})

    def test_keep_alive_serves_many_requests_on_one_connection(
            self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        conn = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=10)
        try:
            hdrs = {"X-Auth-Token": f"demo:{pid}"}
            created = request(served, "POST", f"/v3/{pid}/volumes",
                              {"volume": {"size": 1, "name": "ka"}}, hdrs, conn)
            assert created[0] == 202
            vid = created[2]["volume"]["id"]
            for _ in range(5):
                status, _, body = request(served, "GET", f"/v3/{pid}/volumes/{vid}",
                                          headers=hdrs, conn=conn)
                assert (status, body["volume"]["name"]) == (200, "ka")
        finally:
            conn.close()
        assert served.server.app is not None
        assert served.server.app.requests == 6

    def test_chunked_request_body_and_head(self, served: ThreadedServer) -> None:
        """h11 frames the body however the client sends it; HEAD gets headers only."""
        pid = served.cloud.project_id("demo")
        conn = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=10)
        try:
            conn.request("POST", f"/v3/{pid}/volumes",
                         body=iter([b'{"volume": ', b'{"size": 1, "name": "chunked"}}']),
                         headers={"X-Auth-Token": f"demo:{pid}",
                                  "Content-Type": "application/json"},
                         encode_chunked=True)
            r = conn.getresponse()
            assert r.status == 202
            assert json.loads(r.read())["volume"]["name"] == "chunked"
            conn.request("HEAD", "/")
            r = conn.getresponse()
            assert r.status == 300
            assert int(r.getheader("Content-Length") or 0) > 0
            assert r.read() == b""
        finally:
            conn.close()

    def test_malformed_http_is_400_and_closes(self, served: ThreadedServer) -> None:
        with socket.create_connection(("127.0.0.1", served.server.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost x\r\n\r\n")  # header without a colon
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        assert data.startswith(b"HTTP/1.1 400 ")
        assert b'"code": 400' in data


class TestAuthModes:
    def test_both_accepts_noauth_and_keystone_tokens_and_refuses_unknown(
            self, served: ThreadedServer) -> None:
        pid = served.cloud.project_id("demo")
        _, headers, _ = login(served)
        for token in (f"demo:{pid}", headers["x-subject-token"]):
            assert request(served, "GET", f"/v3/{pid}/volumes",
                           headers={"X-Auth-Token": token})[0] == 200
        assert request(served, "GET", f"/v3/{pid}/volumes",
                       headers={"X-Auth-Token": "gAAAAABnotatoken"})[0] == 401

    def test_noauth_caller_is_an_admin_of_the_url_project(
            self, served: ThreadedServer) -> None:
        """NoAuthMiddleware: the token names the project; every caller is an admin,
        so the admin-only quota update passes; another project's URL is 400."""
        pid = served.cloud.project_id("demo")
        hdrs = {"X-Auth-Token": f"anyone:{pid}"}
        status, _, body = request(served, "PUT", f"/v3/{pid}/os-quota-sets/{pid}",
                                  {"quota_set": {"volumes": 3}}, hdrs)
        assert status == 200
        assert body["quota_set"]["volumes"] == 3
        other = served.cloud.project_id("alt_demo")
        status, _, body = request(served, "GET", f"/v3/{other}/volumes", headers=hdrs)
        assert (status, body) == (400, {"badRequest": {"code": 400,
                                                       "message": "Malformed request url"}})

    def test_keystone_mode_refuses_noauth_tokens(self) -> None:
        with ThreadedServer(ServeOptions(port=0, auth="keystone")) as srv:
            pid = srv.cloud.project_id("demo")
            assert request(srv, "GET", f"/v3/{pid}/volumes",
                           headers={"X-Auth-Token": f"demo:{pid}"})[0] == 401

    def test_noauth_mode_takes_any_token_as_user_project(self) -> None:
        """auth_strategy=noauth: openstacksdk's ``notused`` is user and project
        ``notused``, usable on the project-less 3.67+ URLs."""
        with ThreadedServer(ServeOptions(port=0, auth="noauth")) as srv:
            status, _, body = request(srv, "GET", "/v3/volumes", headers={
                "X-Auth-Token": "notused", "OpenStack-API-Version": "volume 3.71"})
            assert (status, body) == (200, {"volumes": []})


class TestKeystone:
    def test_discovery(self, served: ThreadedServer) -> None:
        status, _, body = request(served, "GET", "/identity/v3")
        assert status == 200
        assert body["version"]["id"] == "v3.14"
        assert body["version"]["status"] == "stable"
        assert body["version"]["links"] == [
            {"rel": "self", "href": f"{served.base_url}/identity/v3/"}]
        status, _, body = request(served, "GET", "/identity/")
        assert status == 300
        assert body["versions"]["values"][0]["id"] == "v3.14"

    def test_password_login_201_subject_token_roles_and_catalog(
            self, served: ThreadedServer) -> None:
        status, headers, body = login(served)
        assert status == 201
        token = body["token"]
        pid = served.cloud.project_id("demo")
        assert token["project"] == {"id": pid, "name": "demo",
                                    "domain": {"id": "default", "name": "Default"}}
        assert token["user"]["name"] == "demo"
        assert [r["name"] for r in token["roles"]] == ["member", "reader"]
        assert token["methods"] == ["password"]
        assert token["expires_at"].endswith("Z")
        assert token["expires_at"] > token["issued_at"]
        by_type = {s["type"]: s for s in token["catalog"]}
        assert set(by_type) == {"block-storage", "volumev3", "compute", "identity", "image",
                                "object-store", "network", "key-manager"}
        assert {e["url"] for e in by_type["key-manager"]["endpoints"]} == {
            f"{served.base_url}/key-manager"}
        assert {e["url"] for e in by_type["network"]["endpoints"]} == {
            f"{served.base_url}/networking"}
        assert {e["url"] for e in by_type["object-store"]["endpoints"]} == {
            f"{served.base_url}/object-store/v1/AUTH_{pid}"}
        assert {e["url"] for e in by_type["image"]["endpoints"]} == {f"{served.base_url}/image"}
        urls = {e["url"] for e in by_type["block-storage"]["endpoints"]}
        assert urls == {f"{served.base_url}/v3/{pid}"}
        assert {e["interface"] for e in by_type["volumev3"]["endpoints"]} == {
            "public", "internal", "admin"}
        assert by_type["compute"]["endpoints"][0]["url"] == f"{served.base_url}/compute/v2.1"
        # The token works on Cinder, as the user it names.
        assert served.call(_validate(headers["x-subject-token"])) == ("demo", pid)

    def test_admin_login_holds_admin(self, served: ThreadedServer) -> None:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "id": served.cloud.identity.find_user("admin").id,  # type: ignore[union-attr]
            "password": "secret"}}},
            "scope": {"project": {"id": served.cloud.project_id("admin")}}}}
        status, _, token = login(served, body)
        assert status == 201
        assert [r["name"] for r in token["token"]["roles"]] == ["admin", "member", "reader"]

    def test_unscoped_login_scopes_to_the_default_project(
            self, served: ThreadedServer) -> None:
        body = {"auth": {"identity": TOKEN_BODY["auth"]["identity"]}}
        status, _, token = login(served, body)
        assert status == 201
        assert token["token"]["project"]["name"] == "demo"

    @pytest.mark.parametrize("change", [
        {"password": "wrong"}, {"name": "nobody"}, {"domain": {"name": "Other"}}])
    def test_bad_credentials_are_401(self, served: ThreadedServer,
                                     change: dict[str, Any]) -> None:
        user = {**TOKEN_BODY["auth"]["identity"]["password"]["user"], **change}
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                         "scope": TOKEN_BODY["auth"]["scope"]}}
        status, headers, err = login(served, body)
        assert status == 401
        assert err == {"error": {"code": 401, "title": "Unauthorized", "message":
                                 "The request you have made requires authentication."}}
        assert "x-subject-token" not in headers

    def test_project_without_role_is_401(self, served: ThreadedServer) -> None:
        body = {"auth": {"identity": TOKEN_BODY["auth"]["identity"],
                         "scope": {"project": {"name": "admin",
                                               "domain": {"name": "Default"}}}}}
        assert login(served, body)[0] == 401

    @pytest.mark.parametrize("body", [
        {}, {"auth": {}}, {"auth": {"identity": {"methods": []}}},
        {"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": "demo", "password": "secret"}}}}},
        {"auth": {"identity": {"methods": ["totp"]}}}])
    def test_malformed_auth_is_400(self, served: ThreadedServer, body: Any) -> None:
        status, _, err = login(served, body)
        assert status == 400
        assert err["error"]["title"] == "Bad Request"

    def test_validate_rescope_and_revoke(self, served: ThreadedServer) -> None:
        _, headers, _ = login(served)
        token = headers["x-subject-token"]
        both = {"X-Auth-Token": token, "X-Subject-Token": token}
        status, headers2, body = request(served, "GET", "/identity/v3/auth/tokens",
                                         headers=both)
        assert (status, headers2["x-subject-token"]) == (200, token)
        assert body["token"]["user"]["name"] == "demo"
        status, headers3, body = login(served, {"auth": {
            "identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}})
        assert status == 201
        assert headers3["x-subject-token"] != token
        assert request(served, "DELETE", "/identity/v3/auth/tokens", headers=both)[0] == 204
        pid = served.cloud.project_id("demo")
        assert request(served, "GET", f"/v3/{pid}/volumes",
                       headers={"X-Auth-Token": token})[0] == 401

    def test_unknown_identity_path_is_404(self, served: ThreadedServer) -> None:
        status, _, body = request(served, "GET", "/identity/v3/no-such-collection")
        assert (status, body["error"]["code"]) == (404, 404)


def _validate(token: str) -> Any:
    async def probe(cloud: Any) -> tuple[str, str]:
        ctx = cloud.identity.validate(token)
        return ctx.user_name, ctx.project_id

    return probe
