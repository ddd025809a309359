"""Barbican-lite's REST face: versions, the secrets resource, and Barbican's error bodies."""

from __future__ import annotations

import base64
from typing import Any

from cindersim.cloud import Cloud, simulate

KM = "/key-manager"
KEY = base64.b64encode(bytes(range(32))).decode()


def run(main: Any) -> Any:
    return simulate(main).value


async def req(cloud: Cloud, method: str, path: str, body: Any = None, *, user: str | None = "demo",
              headers: dict[str, str] | None = None) -> Any:
    token = cloud.token(user) if user else None
    return await cloud.request(method, f"{KM}{path}", json=body, token=token, headers=headers)


def secret_body(**extra: Any) -> dict[str, Any]:
    return {"name": "k", "algorithm": "aes", "bit_length": 256, "secret_type": "symmetric",
            "payload": KEY, "payload_content_type": "application/octet-stream",
            "payload_content_encoding": "base64", **extra}


class TestVersions:
    def test_without_and_with_a_microversion(self) -> None:
        async def main(cloud: Cloud) -> Any:
            plain = await req(cloud, "GET", "/", user=None)
            micro = await req(cloud, "GET", "/", user=None,
                              headers={"OpenStack-API-Version": "key-manager 1.1"})
            v1 = await req(cloud, "GET", "/v1", user=None)
            too_new = await req(cloud, "GET", "/", user=None,
                                headers={"OpenStack-API-Version": "key-manager 1.9"})
            return plain, micro, v1, too_new

        plain, micro, v1, too_new = run(main)
        assert plain.status == 300
        assert plain.json["versions"]["values"][0]["status"] == "stable"
        assert micro.json["versions"][0]["min_version"] == "1.0"
        assert micro.json["versions"][0]["max_version"] == "1.2"
        assert v1.json["version"]["id"] == "v1"
        assert too_new.status == 406


class TestSecrets:
    def test_store_show_payload_list_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            made = await req(cloud, "POST", "/v1/secrets", secret_body())
            sid = made.json["secret_ref"].rsplit("/", 1)[1]
            shown = await req(cloud, "GET", f"/v1/secrets/{sid}")
            payload = await req(cloud, "GET", f"/v1/secrets/{sid}/payload",
                                headers={"Accept": "application/octet-stream"})
            decrypt = await req(cloud, "GET", f"/v1/secrets/{sid}",
                                headers={"Accept": "application/octet-stream"})
            wrong = await req(cloud, "GET", f"/v1/secrets/{sid}/payload",
                              headers={"Accept": "text/plain"})
            gone = await req(cloud, "DELETE", f"/v1/secrets/{sid}")
            again = await req(cloud, "DELETE", f"/v1/secrets/{sid}")
            return made, shown, payload, decrypt, wrong, gone, again, sid

        made, shown, payload, decrypt, wrong, gone, again, _sid = run(main)
        assert made.status == 201
        assert made.headers["Location"] == made.json["secret_ref"]
        view = shown.json
        assert (view["algorithm"], view["bit_length"], view["secret_type"], view["status"]) == (
            "aes", 256, "symmetric", "ACTIVE")
        assert view["content_types"] == {"default": "application/octet-stream"}
        assert payload.status == 200
        assert payload.headers["Content-Type"] == "application/octet-stream"
        assert decrypt.status == 200
        assert wrong.status == 406
        assert gone.status == 204
        assert again.json == {"code": 404, "title": "Not Found",
                              "description": "Secret not found."}

    def test_list_pages_newest_first_and_filters(self) -> None:
        async def main(cloud: Cloud) -> Any:
            for n in range(5):
                await req(cloud, "POST", "/v1/secrets", secret_body(name=f"s{n}"))
            await req(cloud, "POST", "/v1/secrets", secret_body(name="other"), user="alt_demo")
            page = await req(cloud, "GET", "/v1/secrets?limit=2&offset=1")
            named = await req(cloud, "GET", "/v1/secrets?name=s3")
            bad = await req(cloud, "GET", "/v1/secrets?limit=x&offset=-4")
            return page.json, named.json, bad.json

        page, named, bad = run(main)
        assert [s["name"] for s in page["secrets"]] == ["s3", "s2"]
        assert page["total"] == 5
        assert "offset=0" in page["previous"]
        assert "offset=3" in page["next"]
        assert [s["name"] for s in named["secrets"]] == ["s3"]
        assert len(bad["secrets"]) == 5  # bad paging values fall back to the defaults

    def test_bad_input_gets_barbicans_answers(self) -> None:
        async def main(cloud: Cloud) -> Any:
            out = {}
            out["no_token"] = await req(cloud, "GET", "/v1/secrets", user=None)
            out["xml"] = await req(cloud, "POST", "/v1/secrets", secret_body(),
                                   headers={"Content-Type": "application/xml"})
            out["no_type"] = await req(cloud, "POST", "/v1/secrets", {"payload": "x"})
            out["bad_kind"] = await req(cloud, "POST", "/v1/secrets",
                                        secret_body(secret_type="banana"))
            out["bad_b64"] = await req(cloud, "POST", "/v1/secrets", secret_body(payload="%%"))
            out["bad_id"] = await req(cloud, "GET", "/v1/secrets/not-a-uuid")
            out["put_list"] = await req(cloud, "PUT", "/v1/secrets")
            return {k: (r.status, r.json) for k, r in out.items()}

        out = run(main)
        assert out["no_token"][0] == 401
        assert out["xml"] == (415, {"code": 415, "title": "Unsupported Media Type",
                                    "description": "Unexpected content type. Expected content "
                                    "types are: ['application/json']"})
        assert out["no_type"] == (400, {
            "code": 400, "title": "Bad Request",
            "description": "Secret creation issue seen - Provided object does not match "
            "schema 'Secret': If 'payload' is supplied, 'payload_content_type' must also be "
            "supplied.. Invalid property: 'payload_content_type'."})
        assert out["bad_kind"][0] == 400
        assert "Invalid property: 'secret_type'" in out["bad_kind"][1]["description"]
        assert out["bad_b64"][0] == 400
        assert out["bad_id"] == (404, {"code": 404, "title": "Not Found",
                                       "description": "Not Found. Provided secret id is "
                                       "invalid."})
        assert out["put_list"][0] == 405
