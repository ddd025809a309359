"""cinder-api's HTTP face: version discovery, microversions, URL forms and auth
(cinder/api/versions.py, cinder/api/openstack/wsgi.py, api_version_request.py,
keystonemiddleware)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cindersim.cloud import Cloud, Response, simulate
from cindersim.services.api import service as service_module
from cindersim.services.api.router import Route, Router
from cindersim.services.api.service import ApiService
from cindersim.services.api.wsgi import ApiRequest, ApiResponse, Version

Main = Callable[[Cloud], Awaitable[Any]]


def run(main: Main) -> Any:
    return simulate(main).value


def v(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"volume {version}"}


async def list_volumes(cloud: Cloud, version: str | None = None, *,
                       path: str | None = None) -> Response:
    p = cloud.project_id("demo")
    return await cloud.request("GET", path or f"/v3/{p}/volumes", token=cloud.token("demo"),
                               headers=v(version) if version else None)


class TestDiscovery:
    def test_root_is_300_with_the_versions_document(self) -> None:
        async def main(cloud: Cloud) -> Response:
            return await cloud.request("GET", "/")

        r = run(main)
        assert r.status == 300
        (entry,) = r.json["versions"]
        assert entry["id"] == "v3.0"
        assert entry["status"] == "CURRENT"
        assert (entry["min_version"], entry["version"]) == ("3.0", "3.71")
        assert {"rel": "self", "href": "http://cinder.example:8776/v3/"} in entry["links"]

    @pytest.mark.parametrize("path", ["/v3/", "/v3", "//v3//"])
    def test_v3_root_is_200_without_a_token(self, path: str) -> None:
        async def main(cloud: Cloud) -> Response:
            return await cloud.request("GET", path)

        r = run(main)
        assert r.status == 200
        assert r.json["versions"][0]["version"] == "3.71"

    def test_unknown_api_root_is_404(self) -> None:
        async def main(cloud: Cloud) -> Response:
            return await cloud.request("GET", "/v2/x/volumes", token=cloud.token("demo"))

        assert run(main).status == 404


class TestMicroversions:
    def test_no_header_means_3_0_echoed_with_vary(self) -> None:
        async def main(cloud: Cloud) -> Response:
            return await list_volumes(cloud)

        r = run(main)
        assert r.status == 200
        assert r.headers["OpenStack-API-Version"] == "volume 3.0"
        assert r.headers["Vary"] == "OpenStack-API-Version"

    @pytest.mark.parametrize(("asked", "echoed"), [
        ("3.27", "volume 3.27"), ("latest", "volume 3.71"), ("LATEST", "volume 3.71"),
        ("3.0", "volume 3.0"), ("3.71", "volume 3.71")])
    def test_version_is_echoed(self, asked: str, echoed: str) -> None:
        async def main(cloud: Cloud) -> Response:
            return await list_volumes(cloud, asked)

        r = run(main)
        assert r.status == 200
        assert r.headers["OpenStack-API-Version"] == echoed

    def test_header_without_service_type_is_ignored(self) -> None:
        async def main(cloud: Cloud) -> Response:
            p = cloud.project_id("demo")
            return await cloud.request("GET", f"/v3/{p}/volumes", token=cloud.token("demo"),
                                       headers={"OpenStack-API-Version": "3.50"})

        assert run(main).headers["OpenStack-API-Version"] == "volume 3.0"

    @pytest.mark.parametrize("asked", ["3.72", "2.0", "4.0"])
    def test_out_of_range_is_406(self, asked: str) -> None:
        async def main(cloud: Cloud) -> Response:
            return await list_volumes(cloud, asked)

        r = run(main)
        assert r.status == 406
        assert r.json == {"computeFault": {"code": 406, "message": (
            f"Version {asked} is not supported by the API. Minimum is 3.0 and maximum is "
            "3.71.")}}

    @pytest.mark.parametrize("asked", ["3.x", "3", "3.01", "-3.1"])
    def test_malformed_version_is_400(self, asked: str) -> None:
        async def main(cloud: Cloud) -> Response:
            return await list_volumes(cloud, asked)

        r = run(main)
        assert r.status == 400
        assert r.json == {"badRequest": {"code": 400, "message": (
            f"API Version String {asked} is of invalid format. Must be of format "
            "MajorNum.MinorNum.")}}

    def test_route_below_its_minimum_version_is_404(self) -> None:
        async def probe(api: ApiService, req: ApiRequest) -> ApiResponse:
            return ApiResponse(200, {"version": str(req.version)})

        async def main(cloud: Cloud) -> list[int]:
            cloud.api.router.add(Route("GET", "/probe", probe, min_version=Version(3, 40)))
            p = cloud.project_id("demo")
            out = []
            for asked in ("3.39", "3.40", "latest"):
                r = await cloud.request("GET", f"/v3/{p}/probe", token=cloud.token("demo"),
                                        headers=v(asked))
                out.append(r.status)
            return out

        assert run(main) == [404, 200, 200]


class TestUrls:
    def test_repeated_slashes_are_collapsed(self) -> None:
        async def main(cloud: Cloud) -> Response:
            p = cloud.project_id("demo")
            return await list_volumes(cloud, path=f"//v3///{p}//volumes")

        assert run(main).status == 200

    def test_project_less_urls_only_from_3_67(self) -> None:
        async def main(cloud: Cloud) -> list[Any]:
            out: list[Any] = []
            for asked in ("3.66", "3.67"):
                r = await list_volumes(cloud, asked, path="/v3/volumes")
                out.append((r.status, r.json))
            return out

        (old_status, old_body), (new_status, new_body) = run(main)
        assert (old_status, old_body) == (404, {"itemNotFound": {
            "code": 404, "message": "The resource could not be found."}})
        assert (new_status, new_body) == (200, {"volumes": []})

    def test_url_project_must_be_the_tokens(self) -> None:
        async def main(cloud: Cloud) -> list[Any]:
            out = []
            for user in ("demo", "admin"):
                r = await cloud.request(
                    "GET", f"/v3/{cloud.project_id('alt_demo')}/volumes",
                    token=cloud.token(user))
                out.append((r.status, r.json))
            return out

        for status, body in run(main):
            assert (status, body) == (400, {"badRequest": {
                "code": 400, "message": "Malformed request url"}})

    def test_unknown_path_is_404_and_wrong_method_405(self) -> None:
        async def main(cloud: Cloud) -> tuple[int, int]:
            p = cloud.project_id("demo")
            a = await cloud.request("GET", f"/v3/{p}/nothing", token=cloud.token("demo"))
            b = await cloud.request("PATCH", f"/v3/{p}/volumes", token=cloud.token("demo"))
            return a.status, b.status

        assert run(main) == (404, 405)

    def test_malformed_json_body_is_400(self) -> None:
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            before = cloud.db.fingerprint()
            r = await cloud.api.handle("POST", f"/v3/{p}/volumes",
                                       {"X-Auth-Token": cloud.token("demo")}, b"{not json")
            return r.status, r.body, before == cloud.db.fingerprint()

        assert run(main) == (400, {"badRequest": {"code": 400,
                                                  "message": "Malformed request body"}}, True)


class TestAuth:
    @pytest.mark.parametrize("token", [None, "", "not-a-token"])
    def test_missing_or_bad_token_is_keystone_401(self, token: str | None) -> None:
        async def main(cloud: Cloud) -> Response:
            p = cloud.project_id("demo")
            return await cloud.request("GET", f"/v3/{p}/volumes", token=token)

        r = run(main)
        assert r.status == 401
        assert r.json == {"error": {"code": 401, "title": "Unauthorized",
                                    "message": "The request you have made requires "
                                               "authentication."}}
        assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")

    @pytest.mark.parametrize("strategy", ["keystone", "noauth", "both"])
    def test_each_strategy_takes_its_tokens_and_refuses_a_missing_one(
            self, strategy: str) -> None:
        async def main(cloud: Cloud) -> list[Any]:
            cloud.api.auth_strategy = strategy
            p = cloud.project_id("demo")
            out = []
            for token in (None, "", cloud.token("demo"), f"u1:{p}", "gAAAAABnope"):
                r = await cloud.request("GET", f"/v3/{p}/volumes", token=token)
                out.append(r.status)
            return out

        # noauth reads any token as user[:project] (no ':': the project is the user),
        # so only u1:<p> names the URL's project (else 400); under both, a token with
        # ':' is noauth's and any other must be Keystone's.
        assert run(main) == {"keystone": [401, 401, 200, 401, 401],
                             "noauth": [401, 401, 400, 200, 400],
                             "both": [401, 401, 200, 200, 401]}[strategy]

    def test_auth_comes_before_version_and_routing(self) -> None:
        async def main(cloud: Cloud) -> list[int]:
            out = []
            for path, version in (("/v3/x/volumes", "3.72"), ("/v3/x/nothing", "3.0")):
                r = await cloud.request("GET", path, headers=v(version))
                out.append(r.status)
            return out

        assert run(main) == [401, 401]


def _scan(router: Router, method: str, path: str,
          version: Version) -> tuple[Route | None, dict[str, str], bool]:
    """Router.match before its memo: every route in order, regex then version then method."""
    path_exists = False
    for r in router.routes:
        m = r.regex.match(path)
        if m is None or not r.min_version <= version <= r.max_version:
            continue
        path_exists = True
        if r.method == method:
            return r, m.groupdict(), True
    return None, {}, path_exists


_SEGMENTS = ["volumes", "types", "detail", "action", "", "abc", "extra_specs", "{x}",
             "os-volume-transfer", "attachments", "volumes\n", "a.b", "os-quota-sets"]


class TestMemos:
    """The request path memoises pure functions (route candidates per path shape and
    version, version headers, query strings): answers must be what they were."""

    @given(st.lists(st.tuples(st.sampled_from(["/", "/", ""]), st.sampled_from(_SEGMENTS)),
                    max_size=5),
           st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
           st.integers(0, 71))
    @settings(max_examples=400)
    def test_router_match_is_the_plain_scan(self, parts: list[tuple[str, str]], method: str,
                                            minor: int) -> None:
        async def main(cloud: Cloud) -> Router:
            return cloud.api.router

        router = _ROUTER.get("r") or _ROUTER.setdefault("r", run(main))
        path = "".join(sep + seg for sep, seg in parts)
        version = Version(3, minor)
        # Twice: the second answer comes from the memo the first one filled.
        assert router.match(method, path, version) == _scan(router, method, path, version)
        assert router.match(method, path, version) == _scan(router, method, path, version)

    def test_a_route_added_after_requests_is_found(self) -> None:
        async def probe(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
            return ApiResponse(200, {"volume_id": volume_id})

        async def main(cloud: Cloud) -> list[int]:
            p = cloud.project_id("demo")
            token = cloud.token("demo")
            before = await cloud.request("GET", f"/v3/{p}/volumes/probe/x", token=token)
            cloud.api.router.add(Route("GET", "/volumes/{volume_id}/x", probe))
            after = await cloud.request("GET", f"/v3/{p}/volumes/probe/x", token=token)
            return [before.status, after.status, after.json]

        assert run(main) == [404, 200, {"volume_id": "probe"}]

    def test_a_path_is_planned_once_per_header_and_the_plans_stay_bounded(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(service_module, "_MAX_PLANS", 3)

        async def main(cloud: Cloud) -> tuple[list[Any], list[int]]:
            p = cloud.project_id("demo")
            answers, sizes = [], []
            for asked in ("3.0", "3.0", "3.60", None, "3.60"):
                r = await list_volumes(cloud, asked)
                answers.append((r.status, r.headers["OpenStack-API-Version"]))
                sizes.append(len(cloud.api.router.plans))
            for n in range(4):  # ids in paths: each a plan of its own, the memo bounded
                r = await list_volumes(cloud, path=f"/v3/{p}/volumes/v{n}")
                answers.append((r.status, r.headers["OpenStack-API-Version"]))
                sizes.append(len(cloud.api.router.plans))
            return answers, sizes

        answers, sizes = run(main)
        assert answers == [(200, "volume 3.0"), (200, "volume 3.0"), (200, "volume 3.60"),
                           (200, "volume 3.0"), (200, "volume 3.60")] + [(404, "volume 3.0")] * 4
        assert sizes == [1, 1, 2, 3, 3, 1, 2, 3, 1]

    def test_a_route_added_after_requests_reroutes_a_path_seen_before(self) -> None:
        """cinder-api remembers how a path and header routed; a new route can change
        that (here its first segment becomes a collection, so from 3.67 the URL is
        project-less), and what was remembered must not outlive the change."""
        async def probe(api: ApiService, req: ApiRequest) -> ApiResponse:
            return ApiResponse(200, {"project_in_url": req.project_id})

        async def main(cloud: Cloud) -> list[Any]:
            p = cloud.project_id("demo")
            out = []
            for _ in range(2):
                r = await list_volumes(cloud, "3.67")
                out.append((r.status, sorted(r.json)))
            cloud.api.router.add(Route("GET", f"/{p}/volumes", probe))
            r = await list_volumes(cloud, "3.67")
            return [*out, (r.status, r.json)]

        assert run(main) == [(200, ["volumes"]), (200, ["volumes"]),
                             (200, {"project_in_url": None})]

    def test_a_malformed_header_is_400_every_time(self) -> None:
        async def main(cloud: Cloud) -> list[tuple[int, str | None]]:
            out = []
            for asked in ("3.x", "3.x", "3.5", "3.5", "3.x"):
                r = await list_volumes(cloud, asked)
                out.append((r.status, r.headers.get("OpenStack-API-Version")))
            return out

        assert run(main) == [(400, None), (400, None), (200, "volume 3.5"),
                             (200, "volume 3.5"), (400, None)]

    def test_each_request_owns_its_query_lists(self) -> None:
        async def probe(api: ApiService, req: ApiRequest) -> ApiResponse:
            seen = list(req.query["a"])
            req.query["a"].append("mutated")
            return ApiResponse(200, {"a": seen})

        async def main(cloud: Cloud) -> list[Any]:
            cloud.api.router.add(Route("GET", "/probe", probe))
            p = cloud.project_id("demo")
            return [(await cloud.request("GET", f"/v3/{p}/probe?a=1&a=&b=2",
                                         token=cloud.token("demo"))).json for _ in range(2)]

        assert run(main) == [{"a": ["1", ""]}, {"a": ["1", ""]}]

    def test_a_request_without_a_query_shares_one_read_only_empty_query(self) -> None:
        # No dict made per request: the shared empty one, which nobody can fill in
        # (a controller writing into it would change every later request's query).
        async def probe(api: ApiService, req: ApiRequest) -> ApiResponse:
            try:
                req.query["a"] = ["x"]  # type: ignore[index]
            except TypeError:
                return ApiResponse(200, {"query": dict(req.query), "refused": True})
            return ApiResponse(200, {"query": dict(req.query), "refused": False})

        async def main(cloud: Cloud) -> list[Any]:
            cloud.api.router.add(Route("GET", "/probe", probe))
            p = cloud.project_id("demo")
            return [(await cloud.request("GET", f"/v3/{p}/probe",
                                         token=cloud.token("demo"))).json for _ in range(2)]

        assert run(main) == [{"query": {}, "refused": True}] * 2


_ROUTER: dict[str, Router] = {}
"""One cloud's router for the property test (building a cloud per example is slow)."""
