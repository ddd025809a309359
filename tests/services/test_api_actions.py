"""POST /volumes/{id}/action end to end, against cinder/api/contrib/volume_actions.py,
admin_actions.py, cinder/volume/api.py and the manager's legacy attach methods: the
legacy attach/detach sequence and its state checks, reset-status rules, admin-only
actions, the flags, dispatch errors, and that every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cindersim.backends.costs import Meter
from cindersim.backends.iscsi import IscsiInitiator
from cindersim.cloud import Cloud, Response, simulate
from cindersim.db import VolumeType
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]

INITIATOR = "iqn.1994-05.com.redhat:compute-1"
CONNECTOR: dict[str, Any] = {"initiator": INITIATOR, "ip": "192.168.122.20",
                             "host": "compute-1", "platform": "x86_64", "os_type": "linux2",
                             "multipath": False}
SERVER = "8f3c2a4e-0d5b-4a8e-9c11-2b7d6e5f4a01"
SERVER_2 = "5b1e9d7c-3f2a-4c6b-8e0d-7a9f1c2b3d04"
BACKEND = "cinder-1@lvmdriver-1"


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    assert result.cloud.api.errors_5xx == 0
    return result.value


async def act(cloud: Cloud, vid: str, body: Any, *, user: str = "demo",
              version: str = "3.71") -> Response:
    return await cloud.request("POST", f"/v3/{cloud.project_id(user)}/volumes/{vid}/action",
                               json=body, token=cloud.token(user),
                               headers={"OpenStack-API-Version": f"volume {version}"})


async def new_volume(cloud: Cloud, user: str = "demo", **extra: Any) -> str:
    r = await cloud.request("POST", f"/v3/{cloud.project_id(user)}/volumes",
                            json={"volume": {"size": 1, **extra}}, token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    vid: str = r.json["volume"]["id"]
    assert cloud.db.volumes[vid].status == "available"
    return vid


async def show(cloud: Cloud, vid: str, user: str = "demo") -> dict[str, Any]:
    r = await cloud.request("GET", f"/v3/{cloud.project_id(user)}/volumes/{vid}",
                            token=cloud.token(user))
    assert r.status == 200
    volume: dict[str, Any] = r.json["volume"]
    return volume


def bad(message: str) -> dict[str, Any]:
    return {"badRequest": {"code": 400, "message": message}}


def target_of(cloud: Cloud, vid: str) -> Any:
    return cloud.volume_services[BACKEND].driver.target.target_for(vid)


async def legacy_attach(cloud: Cloud, vid: str, server: str = SERVER) -> None:
    assert (await act(cloud, vid, {"os-reserve": {}})).status == 202
    r = await act(cloud, vid, {"os-initialize_connection": {"connector": CONNECTOR}})
    assert r.status == 200
    r = await act(cloud, vid, {"os-attach": {"instance_uuid": server,
                                             "mountpoint": "/dev/vdb"}})
    assert r.status == 202, r.json


# --- the legacy sequence --------------------------------------------------------------------
@pytest.mark.parametrize(("helper", "lun"), [("tgtadm", 1), ("lioadm", 0)])
def test_legacy_sequence_reserve_to_detach(helper: str, lun: int) -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        r = await act(cloud, vid, {"os-reserve": {}})
        assert (r.status, r.json) == (202, None)
        assert (await show(cloud, vid))["status"] == "attaching"

        r = await act(cloud, vid, {"os-initialize_connection": {"connector": CONNECTOR}})
        assert r.status == 200
        target = target_of(cloud, vid)
        assert target.chap is not None
        assert r.json == {"connection_info": {"driver_volume_type": "iscsi", "data": {
            "target_discovered": False, "target_portal": target.portals[0],
            "target_iqn": f"iqn.2010-10.org.openstack:volume-{vid}", "target_lun": lun,
            "volume_id": vid, "auth_method": "CHAP", "auth_username": target.chap.username,
            "auth_password": target.chap.password, "encrypted": False, "qos_specs": None,
            "access_mode": "rw"}}}
        assert (await show(cloud, vid))["status"] == "attaching"  # no status change
        host = IscsiInitiator(cloud.iscsi_network, "compute-1", INITIATOR, Meter())
        host.connect_volume(r.json["connection_info"]["data"])

        r = await act(cloud, vid, {"os-attach": {"instance_uuid": SERVER,
                                                 "mountpoint": "/dev/vdb"}})
        assert (r.status, r.json) == (202, None)
        vol = await show(cloud, vid)
        assert vol["status"] == "in-use"
        [shown] = vol["attachments"]
        assert (shown["server_id"], shown["device"]) == (SERVER, "/dev/vdb")
        att = cloud.db.attachments[shown["attachment_id"]]
        assert (att.attach_status, att.attach_mode) == ("attached", "rw")
        assert cloud.db.volumes[vid].attach_status == "attached"

        r = await act(cloud, vid, {"os-begin_detaching": {}})
        assert (r.status, (await show(cloud, vid))["status"]) == (202, "detaching")
        r = await act(cloud, vid, {"os-terminate_connection": {"connector": CONNECTOR}})
        assert r.status == 202
        assert (await show(cloud, vid))["status"] == "detaching"  # unreserve only moves attaching
        r = await act(cloud, vid, {"os-detach": {"attachment_id": att.id}})
        assert (r.status, r.json) == (202, None)
        vol = await show(cloud, vid)
        assert (vol["status"], vol["attachments"]) == ("available", [])
        assert cloud.db.volumes[vid].attach_status == "detached"
        assert cloud.db.attachments_of(vid) == []
        assert target_of(cloud, vid) is None
        [session] = host.sessions()
        assert not host.is_logged_in(session)  # the target delete dropped the session

    result = simulate(main, config={"lvmdriver-1": {"target_helper": helper}})
    assert check_trace(result.trace.events) == []
    moves = [e.detail["new"] for e in result.trace.events
             if e.kind == "status" and e.resource is not None
             and e.resource.startswith("volume:") and e.detail["field"] == "status"]
    assert moves == ["creating", "available", "attaching", "in-use", "detaching", "available"]


def test_unreserve_and_roll_detaching() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        await act(cloud, vid, {"os-reserve": {}})
        r = await act(cloud, vid, {"os-unreserve": {}})
        assert (r.status, (await show(cloud, vid))["status"]) == (202, "available")
        # Nothing reserved: nothing to do, still 202.
        fp = cloud.db.fingerprint()
        assert (await act(cloud, vid, {"os-unreserve": {}})).status == 202
        assert (await act(cloud, vid, {"os-roll_detaching": {}})).status == 202
        assert cloud.db.fingerprint() == fp

        await legacy_attach(cloud, vid)
        await act(cloud, vid, {"os-begin_detaching": {}})
        r = await act(cloud, vid, {"os-roll_detaching": {}})
        assert (r.status, (await show(cloud, vid))["status"]) == (202, "in-use")

    run(main)


def test_wrong_states_are_400_and_change_nothing() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-begin_detaching": {}})
        assert (r.status, r.json) == (400, bad(
            "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and "
            "attach_status must be 'attached' to detach."))
        assert cloud.db.fingerprint() == fp

        await legacy_attach(cloud, vid)
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-reserve": {}})
        assert (r.status, r.json) == (400, bad(
            "Invalid volume: Volume status must be available to reserve, but the status is "
            "in-use."))
        r = await act(cloud, vid, {"os-attach": {"instance_uuid": SERVER_2,
                                                 "mountpoint": "/dev/vdc"}})
        assert (r.status, r.json) == (400, bad("Invalid volume: volume is already attached"))
        assert cloud.db.fingerprint() == fp
        # The same server again is already tracked: nothing new, still in-use.
        r = await act(cloud, vid, {"os-attach": {"instance_uuid": SERVER,
                                                 "mountpoint": "/dev/vdb"}})
        assert r.status == 202
        assert cloud.db.fingerprint() == fp

    run(main)


def test_multiattach_legacy_detach_needs_an_attachment_id() -> None:
    async def main(cloud: Cloud) -> None:
        cloud.db.add(VolumeType(cloud.sim.ids.uuid(), "multi",
                                extra_specs={"multiattach": "<is> True"}))
        vid = await new_volume(cloud, volume_type="multi")
        await legacy_attach(cloud, vid)
        r = await act(cloud, vid, {"os-reserve": {}})  # in-use is fine for multiattach
        assert r.status == 202
        assert cloud.db.volumes[vid].status == "attaching"
        r = await act(cloud, vid, {"os-unreserve": {}})  # it has an attachment: in-use
        assert (r.status, cloud.db.volumes[vid].status) == (202, "in-use")
        await act(cloud, vid, {"os-reserve": {}})
        r = await act(cloud, vid, {"os-terminate_connection": {"connector": None}})
        assert (r.status, cloud.db.volumes[vid].status) == (202, "in-use")
        await act(cloud, vid, {"os-reserve": {}})
        r = await act(cloud, vid, {"os-attach": {"host_name": "Backup_Host.1",
                                                 "mountpoint": "/dev/sdb"}})
        assert r.status == 202
        a1, a2 = cloud.db.attachments_of(vid)
        assert a2.attached_host == "backup-host.1"  # sanitize_hostname
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-detach": {}})
        assert (r.status, r.json) == (400, bad(
            "Invalid volume: Detach volume failed: More than one attachment, but no "
            "attachment_id provided."))
        assert cloud.db.fingerprint() == fp
        r = await act(cloud, vid, {"os-detach": {"attachment_id": a2.id}})
        assert r.status == 202
        assert [a.id for a in cloud.db.attachments_of(vid)] == [a1.id]
        assert (await show(cloud, vid))["status"] == "in-use"

    run(main)


def test_maintenance_blocks_attach_detach_and_initialize() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        r = await act(cloud, vid, {"os-reset_status": {"status": "maintenance"}}, user="admin")
        assert r.status == 202
        fp = cloud.db.fingerprint()
        cases = [
            ({"os-attach": {"instance_uuid": SERVER, "mountpoint": "/dev/vdb"}},
             "Invalid volume: The volume cannot be attached in maintenance mode."),
            ({"os-detach": {}}, "Invalid volume: The volume cannot be detached in "
                                "maintenance mode."),
            ({"os-initialize_connection": {"connector": CONNECTOR}},
             "Invalid volume: The volume connection cannot be initialized in maintenance "
             "mode."),
            ({"os-set_bootable": {"bootable": True}},
             "Invalid volume: The volume cannot be updated during maintenance."),
        ]
        for body, message in cases:
            r = await act(cloud, vid, body)
            assert (r.status, r.json) == (400, bad(message)), body
        assert cloud.db.fingerprint() == fp

    run(main)


def test_initialize_connection_errors() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        fp = cloud.db.fingerprint()
        connector = {k: v for k, v in CONNECTOR.items() if k != "initiator"}
        r = await act(cloud, vid, {"os-initialize_connection": {"connector": connector}})
        assert (r.status, r.json) == (400, bad(
            "Invalid input received: Connector doesn't have required information: "
            "initiator"))
        r = await act(cloud, vid, {"os-initialize_connection": {}})
        assert r.status == 400
        assert "'connector' is a required property" in r.json["badRequest"]["message"]
        assert cloud.db.fingerprint() == fp

    run(main)


# --- reset-status ------------------------------------------------------------------------------
def test_reset_status_rules() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        fp = cloud.db.fingerprint()
        cases = [
            ({}, "Must specify 'status', 'attach_status' or 'migration_status' for update."),
            ({"status": "bogus"}, "Must specify a valid status"),
            ({"attach_status": "attaching"}, "Must specify a valid attach status"),
            ({"migration_status": "target:x"}, "Must specify a valid migration status"),
            ({"status": "deleting"}, "Cannot reset-state to deleting"),
            ({"status": "in-use"}, "Cannot reset-state to in-use because volume does not "
                                   "have any attachments."),
        ]
        for inner, message in cases:
            r = await act(cloud, vid, {"os-reset_status": inner}, user="admin")
            assert (r.status, r.json) == (400, bad(message)), inner
        r = await act(cloud, vid, {"os-reset_status": {"status": "error"}})
        assert (r.status, r.json) == (403, {"forbidden": {"code": 403, "message": (
            "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be "
            "performed.")}})
        assert cloud.db.fingerprint() == fp

        # The glued 'error_deleting'/'detaching' are accepted, as Cinder's typo has it.
        r = await act(cloud, vid, {"os-reset_status": {"status": "ERROR_DELETING",
                                                       "migration_status": "error"}},
                      user="admin")
        assert r.status == 202
        vol = cloud.db.volumes[vid]
        assert (vol.status, vol.migration_status) == ("error_deleting", "error")
        r = await act(cloud, vid, {"os-reset_status": {"attach_status": "attached",
                                                       "migration_status": "none"}},
                      user="admin")
        assert r.status == 202
        assert (vol.attach_status, vol.migration_status) == ("attached", None)

    run(main)


def test_reset_attach_status_detached_drops_the_attachments() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        await legacy_attach(cloud, vid)
        r = await act(cloud, vid, {"os-reset_status": {"status": "in-use"}}, user="admin")
        assert r.status == 202  # it has an attachment now
        r = await act(cloud, vid, {"os-reset_status": {"status": "error",
                                                       "attach_status": "detached"}},
                      user="admin")
        assert r.status == 202
        # volume_detached recomputes after dropping each attachment: available again.
        vol = cloud.db.volumes[vid]
        assert (vol.status, vol.attach_status) == ("available", "detached")
        assert cloud.db.attachments_of(vid) == []
        assert target_of(cloud, vid) is not None  # a DB-only reset leaves the export

    run(main)


# --- admin delete / detach --------------------------------------------------------------------
def test_force_delete_is_admin_only_and_skips_the_status_check() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        await act(cloud, vid, {"os-reset_status": {"status": "error_deleting"}}, user="admin")
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-force_delete": {}})
        assert r.status == 403
        r = await cloud.request("DELETE", f"/v3/{cloud.project_id('demo')}/volumes/{vid}",
                                token=cloud.token("demo"))
        assert r.status == 400
        assert cloud.db.fingerprint() == fp
        r = await act(cloud, vid, {"os-force_delete": {}}, user="admin")
        assert (r.status, r.json) == (202, None)
        assert cloud.db.volumes[vid].status == "deleting"
        await cloud.settle()
        assert vid not in cloud.db.volumes

    run(main)


def test_force_detach_by_admin() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        await legacy_attach(cloud, vid)
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-force_detach": {}})
        assert r.status == 403
        assert cloud.db.fingerprint() == fp
        r = await act(cloud, vid, {"os-force_detach": {"connector": CONNECTOR}}, user="admin")
        assert (r.status, r.json) == (202, None)
        vol = cloud.db.volumes[vid]
        assert (vol.status, vol.attach_status) == ("available", "detached")
        assert cloud.db.attachments_of(vid) == []
        assert target_of(cloud, vid) is None

    result = simulate(main)
    assert check_trace(result.trace.events) == []
    ops = {e.detail["op"] for e in result.trace.events
           if e.kind == "status" and e.detail.get("new") in ("available", None)
           and e.resource is not None and e.resource.startswith("attachment:")}
    assert ops == {"os-force_detach"}


# --- flags and extend -------------------------------------------------------------------------
def test_set_bootable_and_readonly_flag() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        r = await act(cloud, vid, {"os-set_bootable": {"bootable": "yes"}})
        assert (r.status, r.json) == (200, None)
        assert (await show(cloud, vid))["bootable"] == "true"
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-set_bootable": {"bootable": "maybe"}})
        assert r.status == 400
        r = await act(cloud, vid, {"os-set_bootable": {}})
        assert r.status == 400
        assert cloud.db.fingerprint() == fp

        r = await act(cloud, vid, {"os-update_readonly_flag": {"readonly": True}})
        assert (r.status, r.json) == (202, None)
        assert cloud.db.volumes[vid].admin_metadata["readonly"] == "True"
        r = await act(cloud, vid, {"os-attach": {"instance_uuid": SERVER,
                                                 "mountpoint": "/dev/vdb"}})
        assert (r.status, r.json) == (400, bad(
            f"Invalid attaching mode 'rw' for volume {vid}."))
        r = await act(cloud, vid, {"os-attach": {"instance_uuid": SERVER,
                                                 "mountpoint": "/dev/vdb", "mode": "ro"}})
        assert r.status == 202
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-update_readonly_flag": {"readonly": False}})
        assert (r.status, r.json) == (400, bad(
            f"Invalid volume: Volume {vid} status must be available to update readonly flag, "
            "but current status is: in-use."))
        assert cloud.db.fingerprint() == fp

    run(main)


def test_readonly_flag_shows_in_metadata_of_show_list_and_update() -> None:
    """``add_visible_admin_metadata``: ``readonly`` (admin metadata) shows in the
    ``metadata`` of show, the detail list and update, overriding a user key of the
    same name; create does not merge it (Tempest test_volume_readonly_update)."""
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud, metadata={"k": "v", "readonly": "user"})
        path = f"/v3/{cloud.project_id('demo')}/volumes"
        for flag in (True, False):
            r = await act(cloud, vid, {"os-update_readonly_flag": {"readonly": flag}})
            assert r.status == 202
            assert (await show(cloud, vid))["metadata"] == {"k": "v", "readonly": str(flag)}
        listed = await cloud.request("GET", f"{path}/detail", token=cloud.token("demo"))
        assert listed.json["volumes"][0]["metadata"]["readonly"] == "False"
        upd = await cloud.request("PUT", f"{path}/{vid}", token=cloud.token("demo"),
                                  json={"volume": {"metadata": {"a": "b"}}})
        assert upd.json["volume"]["metadata"] == {"a": "b", "readonly": "False"}
        assert cloud.db.volumes[vid].metadata == {"a": "b"}  # a view, not a write
        created = await cloud.request("POST", path, token=cloud.token("demo"),
                                      json={"volume": {"size": 1}})
        assert created.json["volume"]["metadata"] == {}
        await cloud.settle()

    run(main)


def test_extend_is_delegated() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        r = await act(cloud, vid, {"os-extend": {"new_size": 2}})
        assert (r.status, r.json) == (202, None)
        assert cloud.db.volumes[vid].status == "extending"
        await cloud.settle()
        vol = await show(cloud, vid)
        assert (vol["status"], vol["size"]) == ("available", 2)

    run(main)


# --- dispatch, 404, 403 -------------------------------------------------------------------------
def test_dispatch_errors_and_not_found() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await new_volume(cloud)
        fp = cloud.db.fingerprint()
        r = await act(cloud, vid, {"os-frobnicate": {}})
        assert (r.status, r.json) == (400, bad("There is no such action: os-frobnicate"))
        r = await act(cloud, vid, {"os-reserve": {}, "os-unreserve": {}})
        assert (r.status, r.json) == (400, bad("Malformed request body"))
        r = await act(cloud, vid, {})
        assert (r.status, r.json) == (400, bad("Malformed request body"))
        missing = {"itemNotFound": {"code": 404,
                                    "message": f"Volume {vid} could not be found."}}
        bodies: list[dict[str, Any]] = [{"os-reserve": {}}, {"os-detach": None},
                                        {"os-set_bootable": {"bootable": True}},
                                        {"os-extend": {"new_size": 3}}]
        for body in bodies:
            r = await act(cloud, vid, body, user="alt_demo")
            assert (r.status, r.json) == (404, missing), body
        r = await act(cloud, vid, {"os-reset_status": {"status": "error"}}, user="alt_demo")
        assert r.status == 404
        r = await act(cloud, vid, {"os-attach": {"mountpoint": "/dev/vdb"}})
        assert r.status == 400
        r = await act(cloud, vid, {"os-attach": {"instance_uuid": "nope",
                                                 "mountpoint": "/dev/vdb"}})
        assert (r.status, r.json) == (400, bad(
            "Invalid input for field/attribute instance_uuid. Value: nope. 'nope' is not a "
            "'uuid'"))
        r = await act(cloud, vid, {"os-detach": {"attachment_id": "x", "other": 1}})
        assert r.status == 400
        assert cloud.db.fingerprint() == fp

    run(main)
