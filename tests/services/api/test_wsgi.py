"""ApiResponse (cinder-api's answer record) and where handle() adds the version headers."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from cindersim.cloud import Cloud, simulate
from cindersim.services.api.wsgi import (
    ApiResponse,
    RawResponse,
    StreamResponse,
    Version,
    versioned,
)


class TestApiResponse:
    def test_defaults_are_attrs_defaults(self) -> None:
        a, b = ApiResponse(204), ApiResponse(204)
        assert (a.status, a.body, a.headers, a.fresh) == (204, None, {}, False)
        assert a.headers is not b.headers  # a fresh dict each, as attrs' factory made

    def test_fields_kept_as_given(self) -> None:
        headers = {"X": "1"}
        body = {"k": [1]}
        r = ApiResponse(200, body, headers, fresh=True)
        assert r.body is body
        assert r.headers is headers
        assert r.fresh is True
        assert ApiResponse(200, None, headers=headers).headers is headers

    def test_fresh_is_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            ApiResponse(200, None, {}, True)  # type: ignore[misc]

    def test_frozen(self) -> None:
        r = ApiResponse(200)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            r.status = 500  # type: ignore[misc]

    def test_eq_hash_repr_ignore_fresh(self) -> None:
        assert ApiResponse(200, 1, fresh=True) == ApiResponse(200, 1)
        assert ApiResponse(200, 1) != ApiResponse(201, 1)
        assert repr(ApiResponse(200, 1)) == "ApiResponse(status=200, body=1, headers={})"
        assert "fresh" not in repr(ApiResponse(200, 1, fresh=True))

    def test_evolve(self) -> None:
        r = attrs.evolve(ApiResponse(200, {"a": 1}, {"H": "v"}, fresh=True), status=202)
        assert (r.status, r.body, r.headers, r.fresh) == (202, {"a": 1}, {"H": "v"}, True)

    def test_subclasses_share_the_init(self) -> None:
        raw = RawResponse(200, b"abc", {"Content-Length": "3"})
        assert type(raw) is RawResponse
        assert raw.encoded() == b"abc"
        stream = StreamResponse(200, lambda: [b"a", b"bc"], {"Content-Length": "3"})
        assert stream.encoded() == b"abc"
        assert stream.length == 3


class TestVersionHeaders:
    def _answers(self) -> Any:
        async def main(cloud: Cloud) -> Any:
            token, pid = cloud.token("demo"), cloud.project_id("demo")
            hdrs = {"X-Auth-Token": token, "OpenStack-API-Version": "volume 3.10"}
            ok = await cloud.api.handle("GET", f"/v3/{pid}/volumes", hdrs)
            fault = await cloud.api.handle("GET", f"/v3/{pid}/volumes/nope", hdrs)
            malformed = await cloud.api.handle("POST", f"/v3/{pid}/volumes", hdrs, "{")
            return ok, fault, malformed
        return simulate(main).value

    def test_controller_answers_and_faults_carry_the_version(self) -> None:
        ok, fault, _ = self._answers()
        for r in (ok, fault):
            assert r.headers["OpenStack-API-Version"] == "volume 3.10"
            assert r.headers["Vary"] == "OpenStack-API-Version"
        assert (ok.status, fault.status) == (200, 404)

    def test_a_body_refused_before_routing_to_the_controller_has_none(self) -> None:
        _, _, malformed = self._answers()
        assert malformed.status == 400
        assert malformed.body == {"badRequest": {"code": 400,
                                                 "message": "Malformed request body"}}
        assert "OpenStack-API-Version" not in malformed.headers


class TestVersioned:
    def test_headers_come_after_the_responses_own(self) -> None:
        r = versioned(ApiResponse(200, {"a": 1}, {"Vary": "X", "Location": "l"}),
                      Version(3, 5))
        assert list(r.headers.items()) == [("Vary", "OpenStack-API-Version"),
                                           ("Location", "l"),
                                           ("OpenStack-API-Version", "volume 3.5")]

    def test_a_response_that_is_not_fresh_is_copied_never_changed(self) -> None:
        shared = ApiResponse(200, {"a": 1})  # e.g. a controller's constant answer
        first = versioned(shared, Version(3, 5))
        second = versioned(shared, Version(3, 60))
        assert shared.headers == {}
        assert first is not shared
        assert first.body is shared.body
        assert first.headers["OpenStack-API-Version"] == "volume 3.5"
        assert second.headers["OpenStack-API-Version"] == "volume 3.60"
        assert (first.status, first.fresh) == (200, False)

    def test_a_fresh_response_takes_the_headers_itself(self) -> None:
        own = ApiResponse(202, {"volume": {}}, fresh=True)
        r = versioned(own, Version(3, 0))
        assert r is own
        assert r.fresh
        assert r.headers == {"OpenStack-API-Version": "volume 3.0",
                             "Vary": "OpenStack-API-Version"}
