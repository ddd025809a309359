"""Regression tests for the two findings of the lost-message sweep in
:mod:`test_duplicates` (issue 18), each named for its bug."""

from __future__ import annotations

from typing import Any

from cindersim.bus import MessageFault
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

C = "/compute/v2.1"
V342 = {"OpenStack-API-Version": "volume 3.42"}


def _bugs(cloud: Cloud) -> list[str]:
    found = [e.summary for e in cloud.trace.events if e.kind == "api.bug"]
    return found + [str(p) for p in check_trace(cloud.trace.events)]


def test_extend_of_a_volume_left_detaching_by_a_lost_detach_is_refused() -> None:
    """A lost ``detach_volume`` cast leaves the volume ``detaching`` (Cinder's outcome:
    nothing moves it on).  ``os-extend`` must then be refused as Cinder's ``_extend``
    conditional update refuses it (only ``available``, or ``in-use`` from 3.42), and
    nothing may move the volume ``detaching -> extending``.  The sweep once reported this
    as a cinder-api bug; it was the test workload forcing the status."""
    async def main(cloud: Cloud) -> Any:
        pid, token = cloud.project_id("demo"), cloud.token("demo")
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=token)
        await cloud.settle()
        vid = r.json["volume"]["id"]
        act = f"/v3/{pid}/volumes/{vid}/action"
        for body in ({"os-reserve": {}},
                     {"os-attach": {"instance_uuid": "00000000-0000-4000-8000-000000000002",
                                    "mountpoint": "/dev/vdc"}},
                     {"os-begin_detaching": {}}):
            assert (await cloud.request("POST", act, json=body, token=token)).status == 202
            await cloud.settle()
        rule = MessageFault(action="drop", topic="cinder-volume", method="detach_volume")
        cloud.bus.faults.append(rule)
        await cloud.request("POST", act, json={"os-detach": {}}, token=token)
        await cloud.settle()
        left = str(cloud.db.volumes[vid].status)
        r = await cloud.request("POST", act, json={"os-extend": {"new_size": 2}},
                                token=token, headers=V342)
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return rule.fired, left, r.status, r.json, str(vol.status), vol.size, _bugs(cloud)

    fired, left, status, body, after, size, bugs = simulate(main).value
    assert (fired, left) == (1, "detaching")
    assert status == 400
    assert body["badRequest"]["message"].endswith(
        "status must be '{'status': 'available'}' to extend, currently detaching.")
    assert (after, size, bugs) == ("detaching", 1, [])


def test_lost_reserve_block_device_name_answers_novas_500_and_leaves_nothing() -> None:
    """nova-api's ``reserve_block_device_name`` is an RPC *call*; when its message is lost
    the call times out after ``rpc_response_timeout`` and, as in Nova (no controller
    catches ``MessagingTimeout``), the api-wrapper answers 500 naming the exception
    class.  That is Nova's answer to a lost message, not a simulator bug: no ``api.bug``,
    no BDM, no Cinder attachment, and the same attach succeeds afterwards."""
    async def main(cloud: Cloud) -> Any:
        pid, token = cloud.project_id("demo"), cloud.token("demo")
        image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        r = await cloud.request("POST", f"{C}/servers", token=token, json={"server": {
            "name": "vm", "imageRef": image, "flavorRef": "1"}})
        server = r.json["server"]["id"]
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=token)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        rule = MessageFault(action="drop", topic="compute",
                            method="reserve_block_device_name", times=1)
        cloud.bus.faults.append(rule)
        url = f"{C}/servers/{server}/os-volume_attachments"
        body = {"volumeAttachment": {"volumeId": vid}}
        start = cloud.sim.now()
        lost = await cloud.request("POST", url, json=body, token=token)
        waited = cloud.sim.now() - start
        await cloud.settle()
        inst = cloud.nova.instances[server]
        after_loss = (str(cloud.db.volumes[vid].status), len(cloud.db.attachments_of(vid)),
                      [b.volume_id for b in inst.volume_bdms()])
        again = await cloud.request("POST", url, json=body, token=token)
        await cloud.settle()
        return (rule.fired, lost.status, lost.json, waited, after_loss, again.status,
                str(cloud.db.volumes[vid].status), _bugs(cloud))

    fired, status, body, waited, after_loss, again, final, bugs = simulate(main).value
    assert (fired, status) == (1, 500)
    assert body["computeFault"]["message"].endswith(
        "\n<class 'oslo_messaging.exceptions.MessagingTimeout'>")
    assert waited >= 60.0  # rpc_response_timeout
    assert after_loss == ("available", 0, [])
    assert (again, final, bugs) == (200, "in-use", [])
