"""/messages (3.3) and the user message the scheduler writes on NoValidBackend."""

from __future__ import annotations

from typing import Any

from apitest import not_found, req, run

from cindersim.cloud import Cloud


def test_no_valid_backend_leaves_a_message() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        t = await req(cloud, "POST", "/types", "admin", {"volume_type": {
            "name": "nowhere", "extra_specs": {"volume_backend_name": "absent"}}})
        r = await req(cloud, "POST", "/volumes", json={"volume": {"size": 1,
                                                                  "volume_type": "nowhere"}})
        assert (t.status, r.status) == (200, 202)
        await cloud.settle()
        old = await req(cloud, "GET", "/messages")
        listed = await req(cloud, "GET", "/messages", version="3.3")
        other = await req(cloud, "GET", "/messages", "alt_demo", version="3.3")
        mid = listed.json["messages"][0]["id"]
        foreign = await req(cloud, "GET", f"/messages/{mid}", "alt_demo", version="3.3")
        gone = await req(cloud, "DELETE", f"/messages/{mid}", version="3.3")
        after = await req(cloud, "GET", f"/messages/{mid}", version="3.3")
        return [r.json["volume"]["id"], old.status, listed.json, other.json,
                (foreign.status, foreign.json), gone.status, (after.status, after.json)]

    vid, old, listed, other, foreign, gone, after = run(main)
    assert old == 404
    (msg,) = listed["messages"]
    assert msg["event_id"] == "VOLUME_VOLUME_001_003"
    assert msg["user_message"] == ("schedule allocate volume:Could not find any available "
                                   "weighted backend.")
    assert (msg["resource_type"], msg["resource_uuid"], msg["message_level"]) == (
        "VOLUME", vid, "ERROR")
    assert msg["guaranteed_until"] > msg["created_at"]
    assert other == {"messages": []}
    assert foreign == (404, not_found(f"Message {msg['id']} could not be found."))
    assert gone == 204
    assert after == (404, not_found(f"Message {msg['id']} could not be found."))
