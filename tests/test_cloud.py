"""The Cloud facade and simulate(): wiring, identity, requests, settle and what-ifs."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, Response, simulate
from cindersim.services.api.router import Route
from cindersim.services.api.service import ApiService
from cindersim.services.api.wsgi import ApiRequest, ApiResponse


class TestSimulate:
    def test_returns_value_trace_cloud_and_virtual_time(self) -> None:
        async def main(cloud: Cloud) -> str:
            await cloud.advance(30)
            return "done"

        result = simulate(main)
        assert result.value == "done"
        assert isinstance(result.cloud, Cloud)
        assert result.cloud.started
        assert result.virtual_time >= 30
        assert result.trace.events  # start-up reports at least

    def test_start_is_idempotent(self) -> None:
        async def main(cloud: Cloud) -> int:
            before = len(cloud.trace.events)
            await cloud.start()
            return len(cloud.trace.events) - before

        assert simulate(main).value == 0

    def test_same_seed_same_trace_other_seed_other_ids(self) -> None:
        async def main(cloud: Cloud) -> str:
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            await cloud.settle()
            vid: str = r.json["volume"]["id"]
            return vid

        a, b, c = simulate(main, seed=1), simulate(main, seed=1), simulate(main, seed=2)
        assert a.value == b.value
        assert a.trace.to_jsonl() == b.trace.to_jsonl()
        assert a.value != c.value

    def test_trace_stream_receives_jsonl(self) -> None:
        async def main(cloud: Cloud) -> None:
            await cloud.request("GET", "/")

        stream = io.StringIO()
        simulate(main, trace_stream=stream)
        lines = stream.getvalue().splitlines()
        assert lines
        kinds = [json.loads(line)["kind"] for line in lines]
        assert "api.request" in kinds
        assert "api.response" in kinds

    def test_config_reaches_the_services(self) -> None:
        async def main(cloud: Cloud) -> Any:
            return (sorted(cloud.volume_services),
                    cloud.quota.default_limit("volumes"),
                    cloud.quota.default_limit("per_volume_gigabytes"),
                    cloud.default_volume_type().name,
                    cloud.scheduler.config.max_attempts)

        config = {"DEFAULT": {"enabled_backends": "fast", "quota_volumes": 3,
                              "per_volume_size_limit": 9, "default_volume_type": "std",
                              "scheduler_max_attempts": 5},
                  "fast": {"host": "node7"}}
        assert simulate(main, config=config).value == (["node7@fast"], 3, 9, "std", 5)


class TestIdentityAndRequests:
    def test_default_projects_and_tokens(self) -> None:
        async def main(cloud: Cloud) -> Any:
            ids = {n: cloud.project_id(n) for n in ("admin", "demo", "alt_demo")}
            ctx = cloud.identity.validate(cloud.token("demo"))
            admin = cloud.identity.validate(cloud.token("admin"))
            return ids, ctx.project_id, ctx.is_admin, admin.is_admin

        ids, demo_project, demo_admin, admin_admin = simulate(main).value
        assert len(set(ids.values())) == 3
        assert demo_project == ids["demo"]
        assert demo_admin is False
        assert admin_admin is True

    def test_unknown_project_is_keyerror(self) -> None:
        async def main(cloud: Cloud) -> None:
            cloud.project_id("nobody")

        with pytest.raises(KeyError, match="nobody"):
            simulate(main)

    def test_request_returns_a_response_with_a_private_body(self) -> None:
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            r.json["volume"]["size"] = 99  # a caller's edit must not reach the cloud
            vol = cloud.db.volumes[r.json["volume"]["id"]]
            return r, vol.size

        r, size = simulate(main).value
        assert isinstance(r, Response)
        assert r.status == 202
        assert r.headers["OpenStack-API-Version"] == "volume 3.0"
        assert size == 1

    def test_a_body_the_full_trace_keeps_is_copied_when_read(self) -> None:
        """The create's body is the trace's own object until the caller reads
        ``json``: then a private copy, equal to the eager one, whose edits never reach
        the trace (or the next read)."""
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            kept = cloud.trace.filter(kind="api.response")[-1].detail["body"]
            before = json.dumps(kept, sort_keys=True)
            body = r.json
            assert body is not kept
            assert body == kept
            assert body["volume"] is not kept["volume"]
            assert r.json is body  # copied once, then the caller's
            body["volume"]["size"] = 99
            body["volume"]["metadata"]["edited"] = "yes"
            assert json.dumps(kept, sort_keys=True) == before
            # The same response as an eager copy: equal, shown alike.
            eager = Response(r.status, json.loads(json.dumps(kept)), dict(r.headers))
            assert eager != r  # the caller's edit shows in its own copy
            body["volume"]["size"] = kept["volume"]["size"]
            del body["volume"]["metadata"]["edited"]
            assert eager == r
            assert repr(eager) == repr(r)
            return r

        r = simulate(main, trace_mode="full").value
        assert r.status == 202
        with pytest.raises(AttributeError):
            r.status = 500

    def test_an_unread_body_compares_and_shows_as_its_copy(self) -> None:
        async def main(cloud: Cloud) -> tuple[Response, Any]:
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            kept = cloud.trace.filter(kind="api.response")[-1].detail["body"]
            return r, json.loads(json.dumps(kept))

        r, parsed = simulate(main, trace_mode="full").value
        assert r == Response(202, parsed, dict(r.headers))  # read first through __eq__
        r2, parsed2 = simulate(main, trace_mode="full").value
        assert repr(r2) == repr(Response(202, parsed2, dict(r2.headers)))
        assert r2.__match_args__ == ("status", "json", "headers")
        match r2:
            case Response(status, body, _):
                assert (status, body) == (202, parsed2)

    def test_a_request_body_is_what_its_json_text_would_be(self) -> None:
        """The body reaches cinder-api as a private copy with JSON's own conversions."""
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            body: dict[str, Any] = {"volume": {"size": 1, "metadata": {"k": "v"}}}
            r = await cloud.request("POST", f"/v3/{p}/volumes", json=body,
                                    token=cloud.token("demo"))
            body["volume"]["metadata"]["k"] = "edited later"  # must not reach the cloud
            odd = await cloud.request("POST", f"/v3/{p}/volumes", token=cloud.token("demo"),
                                      json={"volume": {"size": 1, "metadata": {7: "seven"}}})
            return (cloud.db.volumes[r.json["volume"]["id"]].metadata,
                    cloud.db.volumes[odd.json["volume"]["id"]].metadata)

        stored, odd = simulate(main).value
        assert stored == {"k": "v"}
        assert odd == {"7": "seven"}  # JSON object keys are strings

    def test_extra_headers_are_sent(self) -> None:
        async def main(cloud: Cloud) -> str:
            p = cloud.project_id("demo")
            r = await cloud.request("GET", f"/v3/{p}/volumes", token=cloud.token("demo"),
                                    headers={"OpenStack-API-Version": "volume 3.50"})
            return r.headers["OpenStack-API-Version"]

        assert simulate(main).value == "volume 3.50"

    def test_cinder_api_sees_the_headers_handle_would_lower_case(self) -> None:
        # Cloud.request lower-cases header names itself (cinder-api's handle() would):
        # same names, same order, the later of two spellings winning, the token overridable.
        async def echo(api: ApiService, req: ApiRequest) -> ApiResponse:
            return ApiResponse(200, [[k, v] for k, v in req.headers.items()])

        async def main(cloud: Cloud) -> tuple[Any, Any]:
            cloud.api.router.add(Route("GET", "/echo", echo))
            p = cloud.project_id("demo")
            extra = {"X-Custom": "1", "content-type": "text/plain", "X-CUSTOM": "2",
                     "X-Auth-Token": cloud.token("demo")}
            via_request = await cloud.request("GET", f"/v3/{p}/echo", token="not-a-token",
                                              headers=extra)
            sent = {"Content-Type": "application/json", "Accept": "application/json",
                    "X-Auth-Token": "not-a-token", **extra}
            via_handle = await cloud.api.handle("GET", f"/v3/{p}/echo", sent)
            return via_request.json, via_handle.body

        via_request, via_handle = simulate(main).value
        assert via_request == via_handle
        assert [k for k, _ in via_request] == ["content-type", "accept", "x-auth-token",
                                               "x-custom"]
        assert dict(via_request)["x-custom"] == "2"
        assert dict(via_request)["content-type"] == "text/plain"

    @pytest.mark.parametrize("trace_mode", ["off", "full"])
    def test_each_response_has_headers_of_its_own(self, trace_mode: str) -> None:
        """A controller may answer with a headers mapping it shares (a constant): no
        response hands that mapping out, nor one another response holds."""
        shared = {"X-Shared": "1"}

        async def fresh(api: ApiService, req: ApiRequest) -> ApiResponse:
            return ApiResponse(200, {"n": 1}, shared, fresh=True)

        async def main(cloud: Cloud) -> list[Any]:
            cloud.api.router.add(Route("GET", "/fresh", fresh))
            p = cloud.project_id("demo")
            rs = [await cloud.request("GET", f"/v3/{p}/fresh", token=cloud.token("demo"))
                  for _ in range(2)]
            rs[0].headers["X-Shared"] = "edited"  # type: ignore[index]
            return [dict(r.headers) for r in rs]

        first, second = simulate(main, trace_mode=trace_mode).value  # type: ignore[arg-type]
        assert shared == {"X-Shared": "1"}
        assert first["X-Shared"] == "edited"
        assert second == {"X-Shared": "1", "OpenStack-API-Version": "volume 3.0",
                          "Vary": "OpenStack-API-Version"}

    def test_the_traced_request_body_is_not_the_one_the_controller_owns(self) -> None:
        async def grab(api: ApiService, req: ApiRequest) -> ApiResponse:
            req.body["probe"]["n"].append(4)
            req.body["added"] = True
            return ApiResponse(200, None)

        async def main(cloud: Cloud) -> Any:
            cloud.api.router.add(Route("POST", "/grab", grab))
            p = cloud.project_id("demo")
            await cloud.request("POST", f"/v3/{p}/grab", json={"probe": {"n": [1, 2, 3]}},
                                token=cloud.token("demo"))
            return [e.detail["body"] for e in cloud.trace.events if e.kind == "api.request"
                    and e.detail["path"].endswith("/grab")]

        assert simulate(main).value == [{"probe": {"n": [1, 2, 3]}}]

    def test_empty_body_is_none(self) -> None:
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            await cloud.settle()
            d = await cloud.request("DELETE", f"/v3/{p}/volumes/{r.json['volume']['id']}",
                                    token=cloud.token("demo"))
            return d.status, d.json

        assert simulate(main).value == (202, None)


class TestSettleAndWhatIfs:
    def test_settle_waits_for_the_work_started(self) -> None:
        async def main(cloud: Cloud) -> tuple[str, str]:
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            vol = cloud.db.volumes[r.json["volume"]["id"]]
            before = str(vol.status)
            await cloud.settle()
            return before, str(vol.status)

        assert simulate(main).value == ("creating", "available")

    def test_settle_with_a_stopped_service_returns(self) -> None:
        """Work waiting for a stopped service does not count: settle must not hang."""
        async def main(cloud: Cloud) -> tuple[str, int]:
            cloud.scheduler.stop()
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            await cloud.settle(timeout=3600)
            return str(cloud.db.volumes[r.json["volume"]["id"]].status), \
                cloud.bus.depth("cinder-scheduler")

        assert simulate(main).value == ("creating", 1)

    def test_inject_returns_the_rule_and_it_fires(self) -> None:
        async def main(cloud: Cloud) -> Any:
            rule = cloud.inject(FaultRule(op="create_volume", times=None))
            p = cloud.project_id("demo")
            r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": 1}},
                                    token=cloud.token("demo"))
            await cloud.settle()
            return rule, rule.fired, str(cloud.db.volumes[r.json["volume"]["id"]].status)

        rule, fired, status = simulate(main).value
        assert isinstance(rule, FaultRule)
        assert fired == 3  # scheduler_max_attempts
        assert status == "error"

    def test_advance_moves_virtual_time_only(self) -> None:
        async def main(cloud: Cloud) -> float:
            start = cloud.sim.now()
            await cloud.advance(86400)
            return cloud.sim.now() - start

        assert simulate(main).value == pytest.approx(86400)
