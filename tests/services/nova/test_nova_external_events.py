"""``POST /os-server-external-events``: schema per microversion, policy, per-event codes."""

from __future__ import annotations

from typing import Any

from novatest import nova, server_with_volume

from cindersim.cloud import Cloud, simulate

PATH = "/os-server-external-events"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _run(main: Any) -> Any:
    return simulate(main).value


def _extended(sid: str, vid: str | None) -> dict[str, str]:
    event = {"name": "volume-extended", "server_uuid": sid}
    if vid is not None:
        event["tag"] = vid
    return event


class TestPolicy:
    def test_a_member_is_refused(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            return await nova(cloud, "POST", PATH, version="2.51",
                              json={"events": [_extended(sid, vid)]})

        r = _run(main)
        assert r.status == 403
        assert r.json == {"forbidden": {"code": 403, "message": (
            "Policy doesn't allow os_compute_api:os-server-external-events:create to be "
            "performed.")}}

    def test_the_service_role_is_allowed_and_sees_only_its_projects_servers(self) -> None:
        """``service_or_admin``: a user with the ``service`` role passes the policy, but
        its context is not admin, so another project's server is 404."""
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            cloud.identity.grant("alt_demo", "alt_demo", "service")
            other = await nova(cloud, "POST", PATH, version="2.51", user="alt_demo",
                               json={"events": [_extended(sid, vid)]})
            cloud.identity.grant("demo", "demo", "service")
            own = await nova(cloud, "POST", PATH, version="2.51", user="demo",
                             json={"events": [_extended(sid, vid)]})
            return other, own

        other, own = _run(main)
        assert other.status == 207
        assert other.json["events"][0]["code"] == 404
        assert own.status == 200


class TestSchema:
    def test_bodies_nova_refuses(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            bodies: list[tuple[str, Any]] = [
                ("2.51", {}),
                ("2.51", {"events": []}),
                ("2.51", {"events": [_extended(sid, vid)], "x": 1}),
                ("2.50", {"events": [_extended(sid, vid)]}),  # volume-extended is 2.51
                ("2.51", {"events": [{"name": "volume-extended"}]}),
                ("2.51", {"events": [{**_extended(sid, vid), "server_uuid": "nope"}]}),
                ("2.51", {"events": [{**_extended(sid, vid), "status": "done"}]}),
                ("2.51", {"events": [{**_extended(sid, vid), "tag": "t" * 256}]}),
                ("2.51", {"events": [{**_extended(sid, vid), "extra": 1}]}),
                ("2.51", {"events": "volume-extended"}),
                ("2.92", {"events": [{"name": "volume-reimaged", "server_uuid": sid}]}),
            ]
            return [await nova(cloud, "POST", PATH, version=v, json=b, user="admin")
                    for v, b in bodies]

        answers = _run(main)
        assert [r.status for r in answers] == [400] * 11
        messages = [r.json["badRequest"]["message"] for r in answers]
        assert messages[0] == "'events' is a required property"
        assert messages[1] == "Invalid input for field/attribute events. Value: []. [] " \
                              "should be non-empty"
        assert messages[2] == "Additional properties are not allowed ('x' was unexpected)"
        assert messages[3].startswith("Invalid input for field/attribute name. Value: "
                                      "volume-extended. 'volume-extended' is not one of")
        assert messages[4].endswith("'server_uuid' is a required property")
        assert messages[5].endswith("'nope' is not a 'uuid'")
        assert messages[10].startswith("Invalid input for field/attribute name. Value: "
                                       "volume-reimaged.")


class TestEvents:
    def test_volume_extended_is_accepted_and_starts_the_action(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            r = await nova(cloud, "POST", PATH, version="2.51", user="admin",
                           json={"events": [_extended(sid, vid)]})
            await cloud.settle()
            acts = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions")
            return sid, vid, r, acts.json["instanceActions"]

        sid, vid, r, acts = _run(main)
        assert r.status == 200
        assert r.json == {"events": [{"name": "volume-extended", "server_uuid": sid,
                                      "tag": vid, "status": "completed", "code": 200}]}
        assert acts[0]["action"] == "extend_volume"
        assert acts[0]["request_id"] == r.headers["x-openstack-request-id"]

    def test_each_event_has_its_own_code_and_the_answer_is_207(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            r = await nova(cloud, "POST", PATH, version="2.51", user="admin", json={
                "events": [_extended(sid, vid), _extended(UNKNOWN, vid), _extended(sid, None),
                           {"name": "network-changed", "server_uuid": sid,
                            "status": "in-progress"}]})
            await cloud.settle()
            acts = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions")
            return r, [a["action"] for a in acts.json["instanceActions"]]

        r, acts = _run(main)
        assert r.status == 207
        assert [(e["code"], e["status"]) for e in r.json["events"]] == [
            (200, "completed"), (404, "failed"), (400, "failed"), (200, "completed")]
        assert "tag" not in r.json["events"][2]
        # One extend_volume action for the one accepted volume-extended event.
        assert acts == ["extend_volume", "attach_volume", "create"]

    def test_a_server_with_no_host_is_422(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            cloud.nova.instances[sid].host = None
            return await nova(cloud, "POST", PATH, version="2.51", user="admin",
                              json={"events": [_extended(sid, vid)]})

        r = _run(main)
        assert r.status == 207
        assert r.json["events"][0]["code"] == 422

    def test_an_event_for_a_volume_not_attached_is_a_successful_no_op(self) -> None:
        """nova-compute finds no BDM: a warning, and the event still ends Success."""
        async def main(cloud: Cloud) -> Any:
            sid, _ = await server_with_volume(cloud)
            r = await nova(cloud, "POST", PATH, version="2.51", user="admin",
                           json={"events": [_extended(sid, UNKNOWN)]})
            await cloud.settle()
            show = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions/"
                                            f"{r.headers['x-openstack-request-id']}",
                              user="admin")
            return show.json["instanceAction"]

        action = _run(main)
        assert [(e["event"], e["result"]) for e in action["events"]] == [
            ("compute_extend_volume", "Success")]

    def test_only_post_is_allowed(self) -> None:
        async def main(cloud: Cloud) -> Any:
            return await nova(cloud, "GET", PATH, user="admin")

        assert _run(main).status == 405
