"""The attachments API (3.27+) end to end, against cinder/api/v3/attachments.py,
cinder/volume/api.py attachment_* and the manager's attachment_update/_delete: the
export and CHAP a compute host logs in with, the state walk reserved -> attaching ->
attached -> gone, the multiattach rules, the 409s and the 500s Cinder gives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cindersim.backends.costs import Meter
from cindersim.backends.faults import FaultRule
from cindersim.backends.iscsi import IscsiInitiator
from cindersim.cloud import Cloud, Response, simulate
from cindersim.db import VolumeType
from cindersim.errors import ProcessExecutionError
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]

INITIATOR = "iqn.1994-05.com.redhat:compute-1"
CONNECTOR: dict[str, Any] = {"initiator": INITIATOR, "ip": "192.168.122.20",
                             "host": "compute-1", "platform": "x86_64", "os_type": "linux2",
                             "multipath": False}
CONNECTOR_2: dict[str, Any] = {**CONNECTOR, "initiator": "iqn.1994-05.com.redhat:compute-2",
               "ip": "192.168.122.21", "host": "compute-2"}
SERVER = "8f3c2a4e-0d5b-4a8e-9c11-2b7d6e5f4a01"
SERVER_2 = "5b1e9d7c-3f2a-4c6b-8e0d-7a9f1c2b3d04"
LATEST = {"OpenStack-API-Version": "volume 3.71"}
BACKEND = "cinder-1@lvmdriver-1"


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    assert result.cloud.api.errors_5xx == 0
    return result.value


async def req(cloud: Cloud, method: str, path: str, json: Any = None, *, user: str = "demo",
              version: str = "3.71") -> Response:
    return await cloud.request(method, f"/v3/{cloud.project_id(user)}{path}", json=json,
                               token=cloud.token(user),
                               headers={"OpenStack-API-Version": f"volume {version}"})


async def new_volume(cloud: Cloud, user: str = "demo", **extra: Any) -> str:
    r = await req(cloud, "POST", "/volumes", {"volume": {"size": 1, **extra}}, user=user)
    assert r.status == 202, r.json
    await cloud.settle()
    vid: str = r.json["volume"]["id"]
    assert cloud.db.volumes[vid].status == "available"
    return vid


def add_multiattach_type(cloud: Cloud) -> None:
    cloud.db.add(VolumeType(cloud.sim.ids.uuid(), "multi",
                            extra_specs={"multiattach": "<is> True"}))


async def attach(cloud: Cloud, vid: str, *, server: str = SERVER,
                 connector: dict[str, Any] | None = CONNECTOR, user: str = "demo") -> Response:
    body: dict[str, Any] = {"volume_uuid": vid, "instance_uuid": server}
    if connector is not None:
        body["connector"] = connector
    return await req(cloud, "POST", "/attachments", {"attachment": body}, user=user)


async def volume_status(cloud: Cloud, vid: str) -> str:
    r = await req(cloud, "GET", f"/volumes/{vid}")
    status: str = r.json["volume"]["status"]
    return status


def target_of(cloud: Cloud, vid: str) -> Any:
    return cloud.volume_services[BACKEND].driver.target.target_for(vid)


# --- the full flow ------------------------------------------------------------------------
@pytest.mark.parametrize(("helper", "lun"), [("tgtadm", 1), ("lioadm", 0)])
def test_full_flow_with_connector_exports_logs_in_and_cleans_up(helper: str, lun: int) -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        assert target_of(cloud, vid) is None  # no export before an attachment

        r = await attach(cloud, vid)
        assert r.status == 200
        att = r.json["attachment"]
        aid = att["id"]
        # The view is of the object the API held: Cinder does not refresh it after the RPC.
        assert {k: att[k] for k in ("status", "instance", "volume_id", "attached_at",
                                    "detached_at", "attach_mode")} == {
            "status": "reserved", "instance": SERVER, "volume_id": vid, "attached_at": "",
            "detached_at": "", "attach_mode": "null"}
        info = att["connection_info"]

        target = target_of(cloud, vid)
        assert target is not None
        assert target.iqn == f"iqn.2010-10.org.openstack:volume-{vid}"
        assert target.lun == lun
        assert target.chap is not None
        assert info == {
            "target_discovered": False, "target_portal": target.portals[0],
            "target_iqn": target.iqn, "target_lun": lun, "volume_id": vid,
            "auth_method": "CHAP", "auth_username": target.chap.username,
            "auth_password": target.chap.password, "encrypted": False, "qos_specs": None,
            "access_mode": "rw", "driver_volume_type": "iscsi", "attachment_id": aid}
        vol = cloud.db.volumes[vid]
        assert vol.provider_location == target.provider_location
        assert vol.provider_auth == f"CHAP {target.chap.username} {target.chap.password}"

        # What the database says now: both attaching, connector remembered.
        shown = (await req(cloud, "GET", f"/attachments/{aid}")).json["attachment"]
        assert shown["status"] == "attaching"
        assert shown["connection_info"] == info
        assert shown["attached_at"] != ""
        # The row had no attach_mode yet when the manager ran ('null' is written after), so
        # Cinder's "attach_mode != 'null'" test copies that None into the stored connector.
        assert cloud.db.attachments[aid].connector == {**CONNECTOR, "mode": None}
        assert await volume_status(cloud, vid) == "attaching"
        assert vol.attach_status == "attaching"

        # The compute host logs in with the CHAP pair; a wrong password is refused.
        host = IscsiInitiator(cloud.iscsi_network, "compute-1", INITIATOR, Meter())
        with pytest.raises(ProcessExecutionError) as refused:
            host.login(info["target_iqn"], info["target_portal"], "CHAP",
                       info["auth_username"], info["auth_password"] + "x")
        assert refused.value.exit_code == 24
        device = host.connect_volume(info)
        assert device["path"] == "/dev/sda"
        session = host.sessions()[0]
        assert host.is_logged_in(session)

        r = await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}})
        assert (r.status, r.json) == (204, None)
        assert await volume_status(cloud, vid) == "in-use"
        assert vol.attach_status == "attached"
        shown_vol = (await req(cloud, "GET", f"/volumes/{vid}")).json["volume"]
        assert [a["attachment_id"] for a in shown_vol["attachments"]] == [aid]
        assert shown_vol["attachments"][0]["server_id"] == SERVER

        r = await req(cloud, "DELETE", f"/attachments/{aid}")
        assert (r.status, r.json) == (200, {"attachments": []})
        assert await volume_status(cloud, vid) == "available"
        assert vol.attach_status == "detached"
        assert aid not in cloud.db.attachments
        assert target_of(cloud, vid) is None  # remove_export ran
        assert not host.is_logged_in(session)  # the forced target delete dropped it
        r = await req(cloud, "GET", f"/attachments/{aid}")
        assert r.status == 404

    result = simulate(main, config={"lvmdriver-1": {"target_helper": helper}})
    events = result.trace.events
    assert check_trace(events) == []
    # No 'detaching' step in the new flow: in-use goes straight to available.
    volume_moves = [(e.detail["old"], e.detail["new"]) for e in events
                    if e.kind == "status" and e.resource is not None
                    and e.resource.startswith("volume:") and e.detail["field"] == "status"]
    assert volume_moves == [(None, "creating"), ("creating", "available"),
                            ("available", "reserved"), ("reserved", "attaching"),
                            ("attaching", "in-use"), ("in-use", "available")]
    calls = [e.detail["call"] for e in events if e.kind == "driver"]
    assert calls[calls.index("validate_connector"):] == [
        "validate_connector", "create_export", "initialize_connection", "attach_volume",
        "terminate_connection", "detach_volume", "remove_export"]


def test_reserve_then_update_then_complete() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        r = await attach(cloud, vid, connector=None)
        assert r.status == 200
        aid = r.json["attachment"]["id"]
        assert r.json["attachment"]["status"] == "reserved"
        assert r.json["attachment"]["connection_info"] == {}
        assert await volume_status(cloud, vid) == "reserved"
        assert cloud.db.volumes[vid].attach_status == "detached"  # unchanged by a reserve
        assert target_of(cloud, vid) is None

        r = await req(cloud, "PUT", f"/attachments/{aid}",
                      {"attachment": {"connector": {**CONNECTOR, "mountpoint": "/dev/vdb"}}})
        assert r.status == 200
        assert r.json["attachment"]["status"] == "reserved"  # the un-refreshed object
        assert r.json["attachment"]["connection_info"]["target_iqn"] == \
            f"iqn.2010-10.org.openstack:volume-{vid}"
        att = cloud.db.attachments[aid]
        assert (att.attach_status, att.mountpoint, att.attached_host, att.attach_mode) == (
            "attaching", "/dev/vdb", "compute-1", "rw")
        assert await volume_status(cloud, vid) == "attaching"

        r = await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}})
        assert r.status == 204
        shown = (await req(cloud, "GET", f"/attachments/{aid}")).json["attachment"]
        assert (shown["status"], shown["attach_mode"]) == ("attached", "rw")
        detail = (await req(cloud, "GET", f"/volumes/{vid}")).json["volume"]
        assert detail["attachments"][0]["device"] == "/dev/vdb"

    run(main)


def test_deleting_a_reserved_attachment_needs_no_volume_service() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid, connector=None)).json["attachment"]["id"]
        before = len(cloud.trace.events)
        r = await req(cloud, "DELETE", f"/attachments/{aid}")
        assert (r.status, r.json) == (200, {"attachments": []})
        assert await volume_status(cloud, vid) == "available"
        assert not [e for e in cloud.trace.events[before:] if e.kind == "driver"]

    run(main)


def test_mode_argument_from_3_54() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        body = {"attachment": {"volume_uuid": vid, "instance_uuid": SERVER, "mode": "ro",
                               "connector": CONNECTOR}}
        fp = cloud.db.fingerprint()
        r = await req(cloud, "POST", "/attachments", body, version="3.53")
        assert (r.status, r.json) == (400, {"badRequest": {
            "code": 400, "message": "Additional properties are not allowed ('mode' was "
                                    "unexpected)"}})
        bad = {"attachment": {**body["attachment"], "mode": "rx"}}
        r = await req(cloud, "POST", "/attachments", bad, version="3.54")
        assert r.status == 400
        assert "'rx' is not one of ['rw', 'ro']" in r.json["badRequest"]["message"]
        assert cloud.db.fingerprint() == fp

        r = await req(cloud, "POST", "/attachments", body, version="3.54")
        assert r.status == 200
        assert r.json["attachment"]["attach_mode"] == "ro"
        aid = r.json["attachment"]["id"]
        assert cloud.db.attachments[aid].attach_mode == "ro"

    run(main)


# --- multiattach and the reserve rules -------------------------------------------------------
def test_second_attachment_to_in_use_non_multiattach_volume_is_refused() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid)).json["attachment"]["id"]
        await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}})
        fp = cloud.db.fingerprint()
        r = await attach(cloud, vid, server=SERVER_2, connector=CONNECTOR_2)
        assert (r.status, r.json) == (400, {"badRequest": {
            "code": 400, "message": f"Invalid volume: Volume {vid} status must be available "
                                    "or downloading to reserve, but the current status is "
                                    "in-use."}})
        assert cloud.db.fingerprint() == fp

        # The same server may reserve again (a live migration), and the status stays.
        r = await attach(cloud, vid, connector=None)
        assert r.status == 200
        assert r.json["attachment"]["status"] == "reserved"
        assert await volume_status(cloud, vid) == "in-use"

        # ...but connecting it while the first is connected is Cinder's duplicate-connector 409.
        aid2 = r.json["attachment"]["id"]
        fp = cloud.db.fingerprint()
        r = await req(cloud, "PUT", f"/attachments/{aid2}",
                      {"attachment": {"connector": CONNECTOR_2}})
        assert (r.status, r.json) == (409, {"conflictingRequest": {
            "code": 409, "message": "Resource conflict: duplicate connectors detected on "
                                    f"volume {vid}"}})
        assert cloud.db.fingerprint() == fp

    run(main)


def test_multiattach_volume_shares_its_export_until_the_last_detach() -> None:
    async def main(cloud: Cloud) -> None:
        add_multiattach_type(cloud)
        vid = await new_volume(cloud, volume_type="multi")
        assert cloud.db.volumes[vid].multiattach
        a1 = (await attach(cloud, vid)).json["attachment"]["id"]
        await req(cloud, "POST", f"/attachments/{a1}/action", {"os-complete": {}})
        r = await attach(cloud, vid, server=SERVER_2, connector=CONNECTOR_2)
        assert r.status == 200
        a2 = r.json["attachment"]["id"]
        assert r.json["attachment"]["connection_info"]["target_iqn"] == \
            f"iqn.2010-10.org.openstack:volume-{vid}"
        await req(cloud, "POST", f"/attachments/{a2}/action", {"os-complete": {}})
        assert await volume_status(cloud, vid) == "in-use"

        r = await req(cloud, "DELETE", f"/attachments/{a1}")
        assert (r.status, r.json) == (200, {"attachments": [
            {"id": a2, "status": "attached", "instance": SERVER_2, "volume_id": vid}]})
        assert await volume_status(cloud, vid) == "in-use"
        assert target_of(cloud, vid) is not None  # shared: the export stays

        r = await req(cloud, "DELETE", f"/attachments/{a2}")
        assert (r.status, r.json) == (200, {"attachments": []})
        assert await volume_status(cloud, vid) == "available"
        assert target_of(cloud, vid) is None

    run(main)


def test_reserve_of_a_volume_not_available() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        r = await req(cloud, "POST", f"/volumes/{vid}/action",
                      {"os-reset_status": {"status": "error"}}, user="admin")
        assert r.status == 202
        fp = cloud.db.fingerprint()
        r = await attach(cloud, vid)
        assert (r.status, r.json) == (400, {"badRequest": {
            "code": 400, "message": "Invalid volume: Volume attachments can not be created if "
                                    "the volume is in an error state. The Volume "
                                    f"{vid} currently has a status of: error "}})
        assert cloud.db.fingerprint() == fp

    run(main)


# --- update refusals and failures --------------------------------------------------------------
def test_update_of_a_volume_in_an_error_state_is_409() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid, connector=None)).json["attachment"]["id"]
        await req(cloud, "POST", f"/volumes/{vid}/action",
                  {"os-reset_status": {"status": "error_extending"}}, user="admin")
        fp = cloud.db.fingerprint()
        r = await req(cloud, "PUT", f"/attachments/{aid}", {"attachment": {"connector": CONNECTOR}})
        assert (r.status, r.json) == (409, {"conflictingRequest": {
            "code": 409, "message": "Resource conflict: Volume attachments can not be updated "
                                    "if the volume is in an error state. The Volume "
                                    f"{vid} currently has a status of: error_extending "}})
        assert cloud.db.fingerprint() == fp

    run(main)


def test_update_body_validation() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid, connector=None)).json["attachment"]["id"]
        fp = cloud.db.fingerprint()
        cases = [({"attachment": {}}, "'connector' is a required property"),
                 ({"attachment": {"connector": {}}}, "does not have enough properties"),
                 ({"attachment": {"connector": CONNECTOR, "x": 1}}, "('x' was unexpected)"),
                 ({"other": {}}, "'attachment'")]
        for body, text in cases:
            r = await req(cloud, "PUT", f"/attachments/{aid}", body)
            assert r.status == 400, body
            assert text in r.json["badRequest"]["message"]
        assert cloud.db.fingerprint() == fp

    run(main)


def test_connector_without_initiator_is_a_500_and_leaves_the_reservation() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid, connector=None)).json["attachment"]["id"]
        connector = {k: v for k, v in CONNECTOR.items() if k != "initiator"}
        r = await req(cloud, "PUT", f"/attachments/{aid}", {"attachment": {"connector": connector}})
        assert (r.status, r.json) == (500, {"computeFault": {
            "code": 500, "message": "Unable to update attachment.(Invalid input received: "
                                    "Connector doesn't have required information: "
                                    "initiator)."}})
        assert cloud.db.attachments[aid].attach_status == "reserved"
        assert await volume_status(cloud, vid) == "reserved"

    run(main)


def test_create_export_failure_is_a_500_and_nothing_is_exported() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        cloud.inject(FaultRule(op="create_export", backend=BACKEND))
        r = await attach(cloud, vid)
        assert (r.status, r.json) == (500, {"computeFault": {
            "code": 500, "message": "Unable to create attachment for volume (Bad or unexpected "
                                    "response from the storage volume backend API: Create "
                                    "export for volume failed (Failed to create iscsi target "
                                    f"for volume {vid}.).)."}})
        # Cinder had already reserved: the attachment and the volume stay reserved.
        [att] = cloud.db.attachments_of(vid)
        assert att.attach_status == "reserved"
        assert await volume_status(cloud, vid) == "reserved"
        assert target_of(cloud, vid) is None

    run(main)


def test_driver_attach_failure_marks_the_attachment_error_attaching() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid, connector=None)).json["attachment"]["id"]
        cloud.inject(FaultRule(op="attach_volume", backend=BACKEND,
                               error="VolumeBackendAPIException", message="no"))
        r = await req(cloud, "PUT", f"/attachments/{aid}", {"attachment": {"connector": CONNECTOR}})
        assert r.status == 500
        assert r.json["computeFault"]["message"] == "Unable to update attachment.(no)."
        assert cloud.db.attachments[aid].attach_status == "error_attaching"
        # error_* attachments are ignored by the recompute; deleting it frees the volume.
        r = await req(cloud, "DELETE", f"/attachments/{aid}")
        assert (r.status, r.json) == (200, {"attachments": []})
        assert await volume_status(cloud, vid) == "available"
        assert target_of(cloud, vid) is None

    run(main)


def test_terminate_failure_on_delete_keeps_the_attachment() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid)).json["attachment"]["id"]
        await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}})
        cloud.inject(FaultRule(op="terminate_connection", backend=BACKEND, message="tgt down"))
        fp = cloud.db.fingerprint()
        r = await req(cloud, "DELETE", f"/attachments/{aid}")
        assert r.status == 500
        assert r.json["computeFault"]["message"] == (
            "Bad or unexpected response from the storage volume backend API: Terminate "
            "volume connection failed: tgt down")
        assert cloud.db.fingerprint() == fp
        assert target_of(cloud, vid) is not None

    result = simulate(main)
    assert check_trace(result.trace.events) == []


def test_remove_export_failure_marks_error_detaching_and_the_api_still_detaches() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid)).json["attachment"]["id"]
        await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}})
        cloud.inject(FaultRule(op="remove_export", backend=BACKEND))
        r = await req(cloud, "DELETE", f"/attachments/{aid}")
        assert (r.status, r.json) == (200, {"attachments": []})
        assert await volume_status(cloud, vid) == "available"
        assert target_of(cloud, vid) is not None  # the export it could not remove

    result = simulate(main)
    assert check_trace(result.trace.events) == []
    moves = [(e.detail["old"], e.detail["new"]) for e in result.trace.events
             if e.kind == "status" and e.resource is not None
             and e.resource.startswith("attachment:")]
    assert moves[-2:] == [("attached", "error_detaching"), ("error_detaching", None)]


# --- 404 / 400 / versions / listing --------------------------------------------------------------
def test_not_found_and_versions() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        aid = (await attach(cloud, vid, connector=None)).json["attachment"]["id"]
        fp = cloud.db.fingerprint()
        missing = {"itemNotFound": {"code": 404, "message": "Volume attachment could not be "
                                    f"found with filter: attachment_id = {aid}."}}
        for method, body in (("GET", None), ("DELETE", None),
                             ("PUT", {"attachment": {"connector": CONNECTOR}})):
            r = await req(cloud, method, f"/attachments/{aid}", body, user="alt_demo")
            assert (r.status, r.json) == (404, missing), method
        r = await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}},
                      user="alt_demo")
        assert (r.status, r.json) == (404, missing)
        r = await attach(cloud, vid, user="alt_demo")
        assert r.status == 404
        assert r.json["itemNotFound"]["message"] == f"Volume {vid} could not be found."
        r = await req(cloud, "GET", "/attachments", version="3.26")
        assert r.status == 404
        r = await req(cloud, "POST", f"/attachments/{aid}/action", {"os-complete": {}},
                      version="3.43")
        assert r.status == 404
        r = await req(cloud, "POST", f"/attachments/{aid}/action", {"os-finish": {}})
        assert (r.status, r.json) == (400, {"badRequest": {
            "code": 400, "message": "There is no such action: os-finish"}})
        assert cloud.db.fingerprint() == fp

    run(main)


def test_create_body_validation_changes_nothing() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        fp = cloud.db.fingerprint()
        cases = [
            ({"attachment": {"instance_uuid": SERVER}}, "'volume_uuid' is a required property"),
            ({"attachment": {"volume_uuid": "not-a-uuid"}}, "'not-a-uuid' is not a 'uuid'"),
            ({"attachment": {"volume_uuid": vid, "instance_uuid": "x"}}, "'x' is not a 'uuid'"),
            ({"attachment": {"volume_uuid": vid, "connector": "iqn"}},
             "is not of type 'object', 'null'"),
        ]
        for body, text in cases:
            r = await req(cloud, "POST", "/attachments", body)
            assert r.status == 400, body
            assert text in r.json["badRequest"]["message"], r.json
        assert cloud.db.fingerprint() == fp

    run(main)


def test_list_and_detail_are_per_project_with_filters() -> None:
    async def main(cloud: Cloud) -> None:
        v1 = await new_volume(cloud)
        v2 = await new_volume(cloud)
        other = await new_volume(cloud, user="alt_demo")
        a1 = (await attach(cloud, v1, connector=None)).json["attachment"]["id"]
        a2 = (await attach(cloud, v2, server=SERVER_2)).json["attachment"]["id"]
        a3 = (await attach(cloud, other, user="alt_demo", connector=None)).json[
            "attachment"]["id"]
        r = await req(cloud, "GET", "/attachments?sort=id:asc")
        assert r.status == 200
        assert [a["id"] for a in r.json["attachments"]] == sorted([a1, a2])
        assert set(r.json["attachments"][0]) == {"id", "status", "instance", "volume_id"}
        r = await req(cloud, "GET", f"/attachments/detail?volume_id={v2}")
        assert [a["id"] for a in r.json["attachments"]] == [a2]
        assert r.json["attachments"][0]["connection_info"]["attachment_id"] == a2
        r = await req(cloud, "GET", f"/attachments?instance_id={SERVER}&status=reserved")
        assert [a["id"] for a in r.json["attachments"]] == [a1]
        r = await req(cloud, "GET", "/attachments?all_tenants=1&sort=id:asc", user="admin")
        assert [a["id"] for a in r.json["attachments"]] == sorted([a1, a2, a3])
        r = await req(cloud, "GET", "/attachments?all_tenants=1", user="demo")
        assert {a["id"] for a in r.json["attachments"]} == {a1, a2}

    run(main)
