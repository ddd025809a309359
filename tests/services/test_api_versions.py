"""cinder-api's HTTP face: version discovery, microversions, URL forms and auth
(cinder/api/versions.py, cinder/api/openstack/wsgi.py, api_version_request.py,
keystonemiddleware)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cindersim.cloud import Cloud, Response, simulate
from cindersim.services.api.router import Route
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

    def test_auth_comes_before_version_and_routing(self) -> None:
        async def main(cloud: Cloud) -> list[int]:
            out = []
            for path, version in (("/v3/x/volumes", "3.72"), ("/v3/x/nothing", "3.0")):
                r = await cloud.request("GET", path, headers=v(version))
                out.append(r.status)
            return out

        assert run(main) == [401, 401]
