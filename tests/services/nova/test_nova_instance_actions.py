"""``GET /servers/{id}/os-instance-actions[/{request_id}]``: shapes per microversion,
policy (owner, admin, another project), paging and filters, deleted servers, errors."""

from __future__ import annotations

import hashlib
from typing import Any

from novatest import extend, nova, server_with_volume

from cindersim.cloud import Cloud, simulate

ACTION_KEYS = {"action", "instance_uuid", "request_id", "user_id", "project_id",
               "start_time", "message"}
EVENT_KEYS = {"event", "start_time", "finish_time", "result"}


def _run(main: Any) -> Any:
    return simulate(main).value


async def _server(cloud: Cloud) -> tuple[str, str]:
    """A server with a volume attached, then extended: create, attach_volume and
    extend_volume actions."""
    sid, vid = await server_with_volume(cloud)
    await extend(cloud, vid, 2)
    return sid, vid


async def _actions(cloud: Cloud, sid: str, **kw: Any) -> list[dict[str, Any]]:
    r = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions", **kw)
    assert r.status == 200, r.json
    out: list[dict[str, Any]] = r.json["instanceActions"]
    return out


class TestList:
    def test_newest_first_with_the_request_ids_of_the_requests(self) -> None:
        async def main(cloud: Cloud) -> Any:
            image = next(i.id for i in cloud.glance.images.values())
            r = await nova(cloud, "POST", "/servers", json={"server": {
                "name": "vm", "imageRef": image, "flavorRef": "1"}})
            await cloud.settle()
            sid = r.json["server"]["id"]
            return r.headers["x-openstack-request-id"], sid, await _actions(cloud, sid)

        request_id, sid, actions = _run(main)
        assert len(actions) == 1
        assert set(actions[0]) == ACTION_KEYS
        assert actions[0]["action"] == "create"
        assert actions[0]["request_id"] == request_id
        assert actions[0]["instance_uuid"] == sid
        assert actions[0]["message"] is None
        assert actions[0]["start_time"].startswith("2026-01-01T00:00:")

    def test_2_58_adds_updated_at_and_2_1_has_none(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            return await _actions(cloud, sid), await _actions(cloud, sid, version="2.58")

        old, new = _run(main)
        assert all(set(a) == ACTION_KEYS for a in old)
        assert all(set(a) == ACTION_KEYS | {"updated_at"} for a in new)
        # Events move updated_at: the attach finished after it started.
        attach = next(a for a in new if a["action"] == "attach_volume")
        assert attach["updated_at"] > attach["start_time"]

    def test_another_projects_server_is_missing_and_the_admin_sees_it(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            other = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions",
                               user="alt_demo")
            admin = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions",
                               user="admin")
            missing = await nova(cloud, "GET", "/servers/00000000-0000-4000-8000-000000000000"
                                               "/os-instance-actions")
            return sid, other, admin, missing

        sid, other, admin, missing = _run(main)
        assert other.status == 404
        assert other.json == {"itemNotFound": {
            "code": 404, "message": f"Instance {sid} could not be found."}}
        assert admin.status == 200
        assert len(admin.json["instanceActions"]) == 3
        assert missing.status == 404

    def test_paging_limit_marker_and_next_link(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            first = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions?limit=2",
                               version="2.58")
            marker = first.json["instanceActions"][-1]["request_id"]
            rest = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions?limit=2&"
                                            f"marker={marker}", version="2.58")
            bad = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions?marker=nope",
                             version="2.58")
            return sid, marker, first.json, rest.json, bad

        sid, marker, first, rest, bad = _run(main)
        assert [a["action"] for a in first["instanceActions"]] == ["extend_volume",
                                                                  "attach_volume"]
        assert first["links"] == [{"rel": "next", "href": (
            f"http://nova.example:8774/compute/v2.1/servers/{sid}/os-instance-actions"
            f"?limit=2&marker={marker}")}]
        assert [a["action"] for a in rest["instanceActions"]] == ["create"]
        assert "links" not in rest
        assert bad.status == 400
        assert bad.json["badRequest"]["message"] == "Marker nope could not be found."

    def test_query_parameters_are_checked_from_2_58(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            base = f"/servers/{sid}/os-instance-actions"
            return [
                await nova(cloud, "GET", f"{base}?foo=1"),  # 2.1 ignores it
                await nova(cloud, "GET", f"{base}?foo=1", version="2.58"),
                await nova(cloud, "GET", f"{base}?limit=-1", version="2.58"),
                await nova(cloud, "GET", f"{base}?changes-since=yesterday", version="2.58"),
                await nova(cloud, "GET", f"{base}?changes-before=2026-01-01T00:00:00Z",
                           version="2.58"),
                await nova(cloud, "GET", f"{base}?changes-since=2026-01-02T00:00:00Z&"
                                         "changes-before=2026-01-01T00:00:00Z",
                           version="2.66"),
            ]

        ok, extra, limit, since, before_258, reversed_ = _run(main)
        assert ok.status == 200
        assert extra.status == 400
        assert extra.json["badRequest"]["message"] == (
            "Additional properties are not allowed ('foo' was unexpected)")
        assert limit.status == 400
        assert since.status == 400
        assert before_258.status == 400  # changes-before arrives with 2.66
        assert reversed_.status == 400
        assert reversed_.json["badRequest"]["message"] == (
            "The value of changes-since must be less than or equal to changes-before.")

    def test_changes_since_and_before_filter_on_updated_at(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            acts = await _actions(cloud, sid, version="2.66")
            extend_at = next(a for a in acts if a["action"] == "extend_volume")["updated_at"]
            r1 = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions?"
                                          f"changes-since={extend_at}", version="2.66")
            r2 = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions?"
                                          f"changes-before={extend_at}", version="2.66")
            return r1.json, r2.json

        since, before = _run(main)
        assert [a["action"] for a in since["instanceActions"]] == ["extend_volume"]
        assert [a["action"] for a in before["instanceActions"]] == [
            "extend_volume", "attach_volume", "create"]


async def _show(cloud: Cloud, sid: str, action: str, **kw: Any) -> Any:
    acts = await _actions(cloud, sid)
    request_id = next(a["request_id"] for a in acts if a["action"] == action)
    return await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions/{request_id}", **kw)


class TestShow:
    def test_events_by_microversion_and_role(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            out = {}
            for user, version in (("demo", None), ("demo", "2.51"), ("admin", None),
                                  ("demo", "2.62"), ("admin", "2.62"), ("admin", "2.84"),
                                  ("demo", "2.84")):
                r = await _show(cloud, sid, "extend_volume", user=user, version=version)
                assert r.status == 200, r.json
                out[(user, version)] = r.json["instanceAction"]
            return cloud.project_id("admin"), out

        admin_project, out = _run(main)
        assert "events" not in out[("demo", None)]  # before 2.51 only admins see events
        assert set(out[("demo", None)]) == ACTION_KEYS
        assert [set(e) for e in out[("demo", "2.51")]["events"]] == [EVENT_KEYS]
        assert [set(e) for e in out[("admin", None)]["events"]] == [EVENT_KEYS | {"traceback"}]
        host_id = hashlib.sha224((admin_project + "compute-1").encode()).hexdigest()
        assert out[("demo", "2.62")]["events"][0]["hostId"] == host_id
        assert "host" not in out[("demo", "2.62")]["events"][0]
        assert out[("admin", "2.62")]["events"][0]["host"] == "compute-1"
        assert set(out[("admin", "2.62")]) == ACTION_KEYS | {"updated_at", "events"}
        assert out[("admin", "2.84")]["events"][0]["details"] is None
        assert "details" not in out[("demo", "2.84")]["events"][0]
        event = out[("admin", None)]["events"][0]
        assert (event["event"], event["result"]) == ("compute_extend_volume", "Success")

    def test_an_unknown_request_id_is_404(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            return await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions/req-nope")

        r = _run(main)
        assert r.status == 404
        assert r.json == {"itemNotFound": {"code": 404, "message": "Action req-nope not found"}}

    def test_only_get_is_allowed(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            return await nova(cloud, "POST", f"/servers/{sid}/os-instance-actions", json={})

        assert _run(main).status == 405

    def test_a_failed_extend_is_an_error_event_with_its_traceback_for_admins(self) -> None:
        """The host lost its iSCSI session: os-brick cannot rescan, the event is Error,
        the action's message Error; the traceback and details only for admins."""
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            initiator = cloud.nova.computes["compute-1"].initiator
            for session in initiator.sessions():
                initiator.logout(session)
            await extend(cloud, vid, 2)
            admin = await _show(cloud, sid, "extend_volume", user="admin", version="2.84")
            user = await _show(cloud, sid, "extend_volume", version="2.84")
            return admin.json["instanceAction"], user.json["instanceAction"]

        admin, user = _run(main)
        assert admin["message"] == "Error"
        event = admin["events"][0]
        assert event["result"] == "Error"
        assert "ExtendVolumeError" in event["traceback"]
        assert event["details"].startswith("Volume ")
        assert "traceback" not in user["events"][0]
        assert "details" not in user["events"][0]


class TestDeletedServer:
    def test_readable_from_2_21_with_the_delete_action(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await _server(cloud)
            r = await nova(cloud, "DELETE", f"/servers/{sid}")
            assert r.status == 204
            await cloud.settle()
            old = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions")
            new = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions",
                             version="2.21")
            other = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions",
                               version="2.21", user="alt_demo")
            delete = new.json["instanceActions"][0]
            ev = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions/"
                                          f"{delete['request_id']}", version="2.51")
            return old, new.json, other, ev.json

        old, new, other, ev = _run(main)
        assert old.status == 404
        assert [a["action"] for a in new["instanceActions"]] == [
            "delete", "extend_volume", "attach_volume", "create"]
        assert other.status == 404
        assert [(e["event"], e["result"]) for e in ev["instanceAction"]["events"]] == [
            ("compute_terminate_instance", "Success")]
