"""Extending an attached volume, end to end: Cinder grows the LV, tells Nova
(``volume-extended`` at 2.51), nova-compute rescans the host's device and resizes
the guest's disk, and the ``extend_volume`` instance action records it.
"""

from __future__ import annotations

from typing import Any

from novatest import C, extend, server_with_volume, vpath

from cindersim.backends.blocks import GiB
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace
from cindersim.trace import TraceEvent


async def _messages(cloud: Cloud) -> list[dict[str, Any]]:
    r = await cloud.request("GET", vpath(cloud, "/messages"), token=cloud.token("demo"),
                            headers={"OpenStack-API-Version": "volume 3.3"})
    out: list[dict[str, Any]] = r.json["messages"]
    return out


async def _volume(cloud: Cloud, vid: str) -> dict[str, Any]:
    r = await cloud.request("GET", vpath(cloud, f"/volumes/{vid}"), token=cloud.token("demo"))
    out: dict[str, Any] = r.json["volume"]
    return out


def _index(events: list[TraceEvent], pred: Any, start: int = 0) -> int:
    for i in range(start, len(events)):
        if pred(events[i]):
            return i
    raise AssertionError(f"no such event after {start}")


class TestExtendAttached:
    def test_the_guest_sees_the_new_size_and_the_action_records_it(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            before = cloud.nova.disk_size(sid, "/dev/vdb")
            mark = len(cloud.trace.events)
            await extend(cloud, vid, 2)
            admin = cloud.token("admin")
            r = await cloud.request("GET", f"{C}/servers/{sid}/os-instance-actions",
                                    token=cloud.token("demo"))
            actions = r.json["instanceActions"]
            ext = next(a for a in actions if a["action"] == "extend_volume")
            shown = await cloud.request(
                "GET", f"{C}/servers/{sid}/os-instance-actions/{ext['request_id']}",
                token=admin)
            vol = await cloud.request("GET", vpath(cloud, f"/volumes/{vid}"),
                                      token=cloud.token("demo"))
            return sid, vid, before, cloud.nova.disk_size(sid, "/dev/vdb"), mark, actions, \
                shown, vol.json["volume"]

        result = simulate(main)
        sid, vid, before, after, mark, actions, shown, vol = result.value
        assert before == 1 * GiB
        assert after == 2 * GiB
        assert vol["status"] == "in-use"
        assert vol["size"] == 2
        # Newest first: the extend (Cinder's request), then attach, then create.
        assert [a["action"] for a in actions] == ["extend_volume", "attach_volume", "create"]
        ext = actions[0]
        admin_project = result.cloud.project_id("admin")
        assert ext["project_id"] == admin_project  # Cinder's [nova] user, not the owner
        assert ext["instance_uuid"] == sid
        assert ext["message"] is None
        action = shown.json["instanceAction"]
        assert [(e["event"], e["result"]) for e in action["events"]] == [
            ("compute_extend_volume", "Success")]
        event = action["events"][0]
        assert event["traceback"] is None
        assert event["finish_time"] >= event["start_time"]

        ev = result.trace.events[mark:]
        i_lv = _index(ev, lambda e: e.kind == "driver" and e.detail.get("call") == "extend_volume")
        i_in_use = _index(ev, lambda e: e.kind == "status" and e.resource == f"volume:{vid}"
                          and e.detail.get("new") == "in-use", i_lv)
        i_post = _index(ev, lambda e: e.kind == "api.request" and e.target == "nova-api"
                        and e.summary == "POST /compute/v2.1/os-server-external-events"
                        and e.actor.startswith("cinder-volume:"), i_in_use)
        i_action = _index(ev, lambda e: e.kind == "nova.action"
                          and e.detail.get("action") == "extend_volume", i_post)
        i_cast = _index(ev, lambda e: e.kind == "bus.send"
                        and e.detail.get("method") == "external_instance_event", i_action)
        i_resp = _index(ev, lambda e: e.kind == "api.response" and e.actor == "nova-api"
                        and e.detail.get("status") == 200, i_cast)
        i_start = _index(ev, lambda e: e.kind == "nova.action.event"
                         and e.detail.get("phase") == "start", i_cast)
        i_rescan = _index(ev, lambda e: e.kind == "backend"
                          and e.detail.get("op") == "iscsiadm --rescan", i_start)
        i_resize = _index(ev, lambda e: e.kind == "backend"
                          and e.detail.get("op") == "virsh blockresize", i_rescan)
        i_done = _index(ev, lambda e: e.kind == "nova.action.event"
                        and e.detail.get("result") == "Success", i_resize)
        assert i_lv < i_in_use < i_post < i_action < i_cast < i_resp < i_start < i_rescan \
            < i_resize < i_done
        assert check_trace(result.trace.events) == []

    def test_an_available_extend_tells_nova_nothing(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await cloud.request("POST", vpath(cloud, "/volumes"),
                                    json={"volume": {"size": 1}}, token=cloud.token("demo"))
            vid = r.json["volume"]["id"]
            await cloud.settle()
            await extend(cloud, vid, 3)
            return vid

        result = simulate(main)
        assert not any(e.kind == "api.request" and "os-server-external-events" in e.summary
                       for e in result.trace.events)

    def test_an_event_nova_drops_is_only_a_warning(self) -> None:
        """Nova answers 207 with code 404 for a server it does not know: Cinder's
        ``_send_events`` logs the failed event and still counts the call a success (a
        code is there), so no user message; the volume stays extended."""
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            del cloud.nova.instances[sid]  # Nova lost the server (a what-if)
            await extend(cloud, vid, 2)
            return vid, await _messages(cloud), await _volume(cloud, vid)

        result = simulate(main)
        _vid, messages, vol = result.value
        assert vol["status"] == "in-use"
        assert vol["size"] == 2
        assert messages == []
        responses = [e for e in result.trace.events if e.kind == "api.response"
                     and e.actor == "nova-api" and str(e.target).startswith("cinder-volume")]
        assert [r.detail["status"] for r in responses] == [207]
        assert responses[0].detail["body"]["events"][0]["code"] == 404
        assert any(e.kind == "log" and "returned with failed status" in e.summary
                   for e in result.trace.events)

    def test_nova_refusing_the_request_leaves_a_user_message(self) -> None:
        """A [nova] user without the service or admin role: Nova's 403 makes
        ``extend_volume`` False and Cinder writes EXTEND_VOLUME /
        NOTIFY_COMPUTE_SERVICE_FAILED for the volume's owner."""
        async def main(cloud: Cloud) -> Any:
            _, vid = await server_with_volume(cloud)
            for svc in cloud.volume_services.values():
                assert svc.nova is not None
                svc.nova.token = lambda: cloud.token("alt_demo")
            await extend(cloud, vid, 2)
            return vid, await _messages(cloud), await _volume(cloud, vid)

        result = simulate(main)
        vid, messages, vol = result.value
        assert vol["status"] == "in-use"
        assert vol["size"] == 2
        assert [(m["resource_uuid"], m["user_message"]) for m in messages] == [
            (vid, "extend volume:Compute service failed to extend volume.")]

    def test_same_seed_same_trace(self) -> None:
        async def main(cloud: Cloud) -> None:
            _, vid = await server_with_volume(cloud)
            await extend(cloud, vid, 2)

        assert simulate(main).trace.digest() == simulate(main).trace.digest()
