"""The documented attach flow driven through Nova, end to end (seed 000).

nova-api validates and calls cinder-api with the user's token; nova-compute
builds its os-brick connector and asks Cinder for the connection
(``PUT /attachments/{id}``), cinder-volume's driver exports the volume and
returns connection_info, the host logs in to the iSCSI target with CHAP and
the hypervisor gives the guest ``/dev/vdb``.  Detach reverses it.
"""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace
from cindersim.trace import TraceEvent

C = "/compute/v2.1"


def _vpath(cloud: Cloud, rest: str, user: str = "demo") -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


def _image_id(cloud: Cloud, name: str = "cirros-0.6.2") -> str:
    return next(i.id for i in cloud.glance.images.values() if i.name == name)


async def _server(cloud: Cloud, name: str = "vm1", user: str = "demo") -> str:
    r = await cloud.request("POST", f"{C}/servers", json={"server": {
        "name": name, "imageRef": _image_id(cloud), "flavorRef": "1"}},
        token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["server"]["id"])


async def _volume(cloud: Cloud, size: int = 1, user: str = "demo") -> str:
    r = await cloud.request("POST", _vpath(cloud, "/volumes", user),
                            json={"volume": {"size": size}}, token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _attach(cloud: Cloud, sid: str, vid: str, user: str = "demo",
                  headers: dict[str, str] | None = None) -> Any:
    return await cloud.request("POST", f"{C}/servers/{sid}/os-volume_attachments",
                               json={"volumeAttachment": {"volumeId": vid}},
                               token=cloud.token(user), headers=headers)


async def _volume_view(cloud: Cloud, vid: str) -> dict[str, Any]:
    r = await cloud.request("GET", _vpath(cloud, f"/volumes/{vid}"), token=cloud.token("demo"))
    view: dict[str, Any] = r.json["volume"]
    return view


def _first(events: list[TraceEvent], start: int, pred: Any) -> int:
    for i in range(start, len(events)):
        if pred(events[i]):
            return i
    raise AssertionError(f"expected event not found after index {start}")


def test_attach_flow_order_connection_info_and_session() -> None:
    async def main(cloud: Cloud) -> Any:
        sid = await _server(cloud)
        vid = await _volume(cloud)
        mark = len(cloud.trace.events)
        r = await _attach(cloud, sid, vid)
        mid = await _volume_view(cloud, vid)
        await cloud.settle()
        return sid, vid, mark, r, mid, await _volume_view(cloud, vid)

    result = simulate(main)
    sid, vid, mark, r, mid, after = result.value
    cloud = result.cloud
    assert r.status == 200
    assert r.json == {"volumeAttachment": {"id": vid, "serverId": sid, "volumeId": vid,
                                           "device": "/dev/vdb"}}
    # Nova answers once the volume is reserved; the attach itself is asynchronous.
    assert mid["status"] == "reserved"
    assert after["status"] == "in-use"
    assert [(a["server_id"], a["device"]) for a in after["attachments"]] == [(sid, "/dev/vdb")]

    ev = result.trace.events[mark:]
    i_req = _first(ev, 0, lambda e: e.kind == "api.request" and e.target == "nova-api"
                   and e.summary.endswith("/os-volume_attachments"))
    i_get = _first(ev, i_req, lambda e: e.kind == "api.request" and e.actor == "nova-api"
                   and e.summary.startswith("GET /v3/"))
    i_reserve = _first(ev, i_get, lambda e: e.kind == "bus.send"
                       and e.detail.get("method") == "reserve_block_device_name")
    i_create = _first(ev, i_reserve, lambda e: e.kind == "api.request"
                      and e.actor == "nova-api" and e.summary.endswith("/attachments"))
    i_cast = _first(ev, i_create, lambda e: e.kind == "bus.send"
                    and e.detail.get("method") == "attach_volume")
    i_put = _first(ev, i_cast, lambda e: e.kind == "api.request"
                   and e.actor == "nova-compute:compute-1" and e.summary.startswith("PUT "))
    i_rpc = _first(ev, i_put, lambda e: e.kind == "bus.deliver"
                   and e.detail.get("method") == "attachment_update"
                   and e.actor.startswith("cinder-volume"))
    i_export = _first(ev, i_rpc, lambda e: e.kind == "driver"
                      and e.detail.get("call") == "create_export")
    i_init = _first(ev, i_export, lambda e: e.kind == "driver"
                    and e.detail.get("call") == "initialize_connection")
    i_info = _first(ev, i_init, lambda e: e.kind == "api.response"
                    and e.target == "nova-compute:compute-1" and e.detail.get("status") == 200
                    and (e.detail.get("body") or {}).get("attachment", {}).get(
                        "connection_info"))
    i_login = _first(ev, i_info, lambda e: e.kind == "backend"
                     and e.detail.get("op") == "iscsiadm --login")
    i_vdb = _first(ev, i_login, lambda e: e.kind == "backend"
                   and e.detail.get("op") == "virsh attach-device")
    i_complete = _first(ev, i_vdb, lambda e: e.kind == "api.request"
                        and e.summary.endswith("/action"))
    i_in_use = _first(ev, i_complete, lambda e: e.kind == "status"
                      and e.resource == f"volume:{vid}" and e.detail.get("new") == "in-use")
    assert i_req < i_get < i_reserve < i_create < i_cast < i_put < i_rpc < i_export < i_init \
        < i_info < i_login < i_vdb < i_complete < i_in_use
    assert ev[i_vdb].detail["target"] == "vdb"

    # The connection_info Cinder returned is the session the host opened.
    info = ev[i_info].detail["body"]["attachment"]["connection_info"]
    compute = cloud.nova.computes["compute-1"]
    (session,) = compute.initiator.sessions()
    assert (session.iqn, session.portal, session.lun) == (
        info["target_iqn"], info["target_portal"], info["target_lun"])
    assert info["target_iqn"] == f"iqn.2010-10.org.openstack:volume-{vid}"
    assert info["driver_volume_type"] == "iscsi"
    target = cloud.volume_service_of(vid).driver.target.target(info["target_iqn"])
    assert target is not None
    assert target.chap is not None
    assert (info["auth_method"], info["auth_username"], info["auth_password"]) == (
        "CHAP", target.chap.username, target.chap.password)
    assert session.initiator == "iqn.1994-05.com.redhat:compute-1"
    assert session.key in target.sessions
    guest_disk = compute.driver.domains[sid].disks["vdb"]
    assert guest_disk.source == f"/dev/{session.device}" == "/dev/sda"
    # The connector Cinder stored is the one os-brick built on the compute host.
    (att,) = cloud.db.attachments_of(vid)
    assert att.connector is not None
    assert {k: att.connector[k] for k in ("host", "ip", "initiator", "platform", "os_type",
                                          "multipath")} == {
        "host": "compute-1", "ip": "192.168.122.21",
        "initiator": "iqn.1994-05.com.redhat:compute-1", "platform": "x86_64",
        "os_type": "linux", "multipath": False}
    assert att.instance_uuid == sid
    assert check_trace(result.trace.events) == []


def test_guest_write_detach_logs_out_and_removes_export() -> None:
    async def main(cloud: Cloud) -> Any:
        sid = await _server(cloud)
        vid = await _volume(cloud)
        await _attach(cloud, sid, vid)
        await cloud.settle()
        cloud.nova.guest_write(sid, "/dev/vdb", 10, 4, "payload")
        written = cloud.volume_data(vid).items()
        seen = cloud.nova.guest_read(sid, "/dev/vdb", 11)
        r = await cloud.request("DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vid}",
                                token=cloud.token("demo"))
        mid = await _volume_view(cloud, vid)
        await cloud.settle()
        listed = await cloud.request("GET", f"{C}/servers/{sid}/os-volume_attachments",
                                     token=cloud.token("demo"))
        return sid, vid, written, seen, r, mid, await _volume_view(cloud, vid), listed

    result = simulate(main)
    sid, vid, written, seen, r, mid, after, listed = result.value
    cloud = result.cloud
    assert [i for i, _ in written] == [10, 11, 12, 13]
    assert seen == dict(written)[11] != 0
    assert (r.status, r.json) == (202, None)
    assert mid["status"] == "detaching"  # Nova's os-begin_detaching
    assert (after["status"], after["attachments"]) == ("available", [])
    assert listed.json == {"volumeAttachments": []}
    compute = cloud.nova.computes["compute-1"]
    assert compute.initiator.sessions() == []
    assert cloud.volume_service_of(vid).driver.target.target_for(vid) is None
    assert cloud.db.attachments_of(vid) == []
    assert "vdb" not in compute.driver.domains[sid].disks
    # The data stays on the volume.
    assert cloud.volume_data(vid).items() == written
    logouts = [e for e in result.trace.events if e.detail.get("op") == "iscsiadm --logout"]
    deletes = [e for e in result.trace.events if e.kind == "api.request"
               and e.actor == "nova-compute:compute-1" and e.summary.startswith("DELETE ")]
    assert len(logouts) == len(deletes) == 1
    assert logouts[0].seq < deletes[0].seq  # os-brick logs out before Cinder terminates
    assert check_trace(result.trace.events) == []


def test_second_server_cannot_attach_a_non_multiattach_in_use_volume() -> None:
    async def main(cloud: Cloud) -> Any:
        s1 = await _server(cloud, "vm1")
        s2 = await _server(cloud, "vm2")
        vid = await _volume(cloud)
        await _attach(cloud, s1, vid)
        await cloud.settle()
        before = cloud.db.fingerprint()
        r = await _attach(cloud, s2, vid)
        await cloud.settle()
        return s1, s2, vid, before, cloud.db.fingerprint(), r

    result = simulate(main)
    s1, s2, vid, before, after, r = result.value
    assert r.status == 400
    assert r.json == {"badRequest": {"code": 400, "message": (
        f"Invalid volume: volume {vid} is already attached to instances: {s1}")}}
    assert before == after
    assert result.cloud.nova.instances[s2].volume_bdms() == []
    assert check_trace(result.trace.events) == []


def test_cinder_refusal_is_surfaced_by_nova_and_the_bdm_is_destroyed() -> None:
    """A volume reserved outside Nova: Nova's own check passes, Cinder's reserve refuses,
    and Nova returns Cinder's error as InvalidInput (400)."""
    async def main(cloud: Cloud) -> Any:
        sid = await _server(cloud)
        vid = await _volume(cloud)
        r0 = await cloud.request("POST", _vpath(cloud, "/attachments"), json={"attachment": {
            "volume_uuid": vid}}, token=cloud.token("demo"),
            headers={"OpenStack-API-Version": "volume 3.44"})
        assert r0.status == 200
        before = cloud.db.fingerprint()
        r = await _attach(cloud, sid, vid)
        await cloud.settle()
        return sid, vid, before, cloud.db.fingerprint(), r

    result = simulate(main)
    sid, vid, before, after, r = result.value
    assert r.status == 400
    assert r.json == {"badRequest": {"code": 400, "message": (
        f"Invalid input received: Invalid volume: Volume {vid} status must be available or "
        "downloading to reserve, but the current status is reserved. (HTTP 400)")}}
    assert before == after
    assert result.cloud.nova.instances[sid].volume_bdms() == []
    assert check_trace(result.trace.events) == []


def test_attach_errors_are_nova_faults_that_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        sid = await _server(cloud)
        vid = await _volume(cloud)
        missing = cloud.sim.ids.uuid()
        before = cloud.db.fingerprint()
        out = {
            "no_server": await _attach(cloud, missing, vid),
            "no_volume": await _attach(cloud, sid, missing),
            "other_project": await _attach(cloud, sid, vid, user="alt_demo"),
            "bad_id": await cloud.request(
                "POST", f"{C}/servers/{sid}/os-volume_attachments",
                json={"volumeAttachment": {"volumeId": "nope"}}, token=cloud.token("demo")),
            "detach_unattached": await cloud.request(
                "DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vid}",
                token=cloud.token("demo")),
            "no_token": await cloud.request("POST", f"{C}/servers/{sid}/os-volume_attachments",
                                            json={"volumeAttachment": {"volumeId": vid}}),
        }
        await cloud.settle()
        return sid, vid, missing, before, cloud.db.fingerprint(), out

    result = simulate(main)
    sid, _vid, missing, before, after, out = result.value
    assert before == after
    assert (out["no_server"].status, out["no_server"].json) == (404, {"itemNotFound": {
        "code": 404, "message": f"Instance {missing} could not be found."}})
    assert (out["no_volume"].status, out["no_volume"].json) == (404, {"itemNotFound": {
        "code": 404, "message": f"Volume {missing} could not be found."}})
    assert (out["other_project"].status, out["other_project"].json) == (404, {"itemNotFound": {
        "code": 404, "message": f"Instance {sid} could not be found."}})
    assert out["bad_id"].status == 400
    assert "is not a 'uuid'" in out["bad_id"].json["badRequest"]["message"]
    assert (out["detach_unattached"].status, out["detach_unattached"].json) == (404, {
        "itemNotFound": {"code": 404, "message": f"Instance {sid} is not attached."}})
    assert out["no_token"].status == 401
    assert result.cloud.nova.instances[sid].volume_bdms() == []


def test_attach_to_a_building_server_is_409() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud)
        r = await cloud.request("POST", f"{C}/servers", json={"server": {
            "name": "vm", "imageRef": _image_id(cloud), "flavorRef": "1"}},
            token=cloud.token("demo"))
        sid = r.json["server"]["id"]
        attach = await _attach(cloud, sid, vid)
        await cloud.settle()
        return sid, attach

    result = simulate(main)
    sid, attach = result.value
    assert attach.status == 409
    assert attach.json == {"conflictingRequest": {"code": 409, "message": (
        f"Cannot 'attach_volume' instance {sid} while it is in vm_state building")}}


def test_microversion_fields_and_second_volume_gets_vdc() -> None:
    async def main(cloud: Cloud) -> Any:
        sid = await _server(cloud)
        v1 = await _volume(cloud)
        v2 = await _volume(cloud)
        await _attach(cloud, sid, v1)
        r = await _attach(cloud, sid, v2, headers={"OpenStack-API-Version": "compute 2.89"})
        await cloud.settle()
        shown = await cloud.request("GET", f"{C}/servers/{sid}", token=cloud.token("demo"),
                                    headers={"OpenStack-API-Version": "compute 2.3"})
        bad = await cloud.request("GET", f"{C}/servers/{sid}", token=cloud.token("demo"),
                                  headers={"OpenStack-API-Version": "compute 2.999"})
        return sid, v1, v2, r, shown, bad

    result = simulate(main)
    sid, v1, v2, r, shown, bad = result.value
    bdm = result.cloud.nova.instances[sid].bdm_for_volume(v2)
    assert bdm is not None
    assert r.json == {"volumeAttachment": {
        "serverId": sid, "volumeId": v2, "device": "/dev/vdc", "tag": None,
        "delete_on_termination": False, "attachment_id": bdm.attachment_id,
        "bdm_uuid": bdm.uuid}}
    assert r.headers["OpenStack-API-Version"] == "compute 2.89"
    assert shown.json["server"]["os-extended-volumes:volumes_attached"] == [
        {"id": v1, "delete_on_termination": False}, {"id": v2, "delete_on_termination": False}]
    assert bad.status == 406
    assert check_trace(result.trace.events) == []


def test_multiattach_volume_on_two_compute_hosts() -> None:
    """A multiattach type (2.60): each host logs in with its own initiator; the export
    stays until the last attachment goes; a second attach to the same server is 400."""
    async def main(cloud: Cloud) -> Any:
        r = await cloud.request("POST", _vpath(cloud, "/types", "admin"), json={
            "volume_type": {"name": "multi", "extra_specs": {"multiattach": "<is> True"}}},
            token=cloud.token("admin"))
        assert r.status == 200, r.json
        s1 = await _server(cloud, "vm1")
        s2 = await _server(cloud, "vm2")
        r = await cloud.request("POST", _vpath(cloud, "/volumes"), json={"volume": {
            "size": 1, "volume_type": "multi"}}, token=cloud.token("demo"))
        vid = r.json["volume"]["id"]
        await cloud.settle()
        v260 = {"OpenStack-API-Version": "compute 2.60"}
        old = await _attach(cloud, s1, vid)
        for sid in (s1, s2):
            assert (await _attach(cloud, sid, vid, headers=v260)).status == 200
            await cloud.settle()
        again = await _attach(cloud, s1, vid, headers=v260)
        cloud.nova.guest_write(s1, "/dev/vdb", 0, 1, "shared")
        seen = cloud.nova.guest_read(s2, "/dev/vdb", 0)
        sessions = {h: [(s.initiator, s.iqn) for s in c.initiator.sessions()]
                    for h, c in cloud.nova.computes.items()}
        await cloud.request("DELETE", f"{C}/servers/{s1}", token=cloud.token("demo"))
        await cloud.settle()
        half = await _volume_view(cloud, vid)
        exported = cloud.volume_service_of(vid).driver.target.target_for(vid) is not None
        await cloud.request("DELETE", f"{C}/servers/{s2}", token=cloud.token("demo"))
        await cloud.settle()
        return (s1, s2, vid, old, again, seen, cloud.volume_data(vid).read(0), sessions, half,
                exported, await _volume_view(cloud, vid),
                cloud.volume_service_of(vid).driver.target.target_for(vid))

    result = simulate(main, config={"simulator": {"compute_hosts": "compute-1,compute-2"}})
    (_s1, s2, vid, old, again, seen, on_disk, sessions, half, exported, after,
     target) = result.value
    iqn = f"iqn.2010-10.org.openstack:volume-{vid}"
    assert (old.status, old.json["badRequest"]["message"]) == (
        400, "Multiattach volumes are only supported starting with compute API version 2.60.")
    assert (again.status, again.json["badRequest"]["message"]) == (
        400, f"Invalid volume: volume {vid} already attached")
    assert seen == on_disk != 0
    assert sessions == {"compute-1": [("iqn.1994-05.com.redhat:compute-1", iqn)],
                        "compute-2": [("iqn.1994-05.com.redhat:compute-2", iqn)]}
    assert half["status"] == "in-use"
    assert [a["server_id"] for a in half["attachments"]] == [s2]
    assert exported
    assert (after["status"], after["attachments"], target) == ("available", [], None)
    assert check_trace(result.trace.events) == []


def _attachment_deletes(events: list[TraceEvent]) -> list[tuple[int, int | None]]:
    """(request seq, answer status) of Nova's DELETE /attachments calls, in order."""
    out = []
    for e in events:
        if e.kind == "api.request" and e.summary.startswith("DELETE /v3/") \
                and "/attachments/" in e.summary:
            out.append((e.seq, None))
        elif e.kind == "api.response" and e.summary.split(" for ")[-1].startswith(
                "DELETE /v3/") and "/attachments/" in e.summary:
            out[-1] = (out[-1][0], int(e.detail["status"]))
    return out


async def _detach_with_its_service_down(cloud: Cloud) -> tuple[str, Any, Any]:
    """An attached volume whose cinder-volume stops just before Nova detaches it."""
    sid = await _server(cloud)
    vid = await _volume(cloud)
    await _attach(cloud, sid, vid)
    await cloud.settle()
    svc = cloud.volume_service_of(vid)
    svc.stop()
    r = await cloud.request("DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vid}",
                            token=cloud.token("demo"))
    return vid, svc, r


def test_nova_retries_an_attachment_delete_that_timed_out() -> None:
    """cinder-volume is down when Nova detaches: cinder-api's call times out (500)
    and Nova tries again at once (nova.volume.cinder retries a 500, five attempts
    in all); the service is back before the second attempt times out, so the
    detach completes."""
    async def main(cloud: Cloud) -> Any:
        vid, svc, r = await _detach_with_its_service_down(cloud)
        await cloud.advance(90)
        during = await _volume_view(cloud, vid)
        svc.start()
        await cloud.settle()
        return r.status, during["status"], await _volume_view(cloud, vid)

    result = simulate(main)
    status, during, after = result.value
    assert (status, during) == (202, "detaching")
    assert (after["status"], after["attachments"]) == ("available", [])
    assert [s for _, s in _attachment_deletes(result.trace.events)] == [500, 200]
    assert check_trace(result.trace.events) == []


def test_a_detach_whose_five_attempts_time_out_leaves_the_volume_detaching() -> None:
    """Nova gives up after five attempts; Cinder leaves the volume where
    os-begin_detaching put it (an admin resets it), and the call messages expire
    unread when the service returns."""
    async def main(cloud: Cloud) -> Any:
        vid, svc, _ = await _detach_with_its_service_down(cloud)
        await cloud.settle()
        svc.start()
        await cloud.settle()
        return await _volume_view(cloud, vid)

    result = simulate(main)
    after = result.value
    assert after["status"] == "detaching"
    assert len(after["attachments"]) == 1
    assert [s for _, s in _attachment_deletes(result.trace.events)] == [500] * 5
    expired = [e for e in result.trace.events
               if e.kind == "bus.fault" and e.detail.get("action") == "expired"]
    assert [e.detail["method"] for e in expired] == ["attachment_delete"] * 5
