"""The export-leak invariant failure of issue 18: ``POST /attachments`` while the
backend's cinder-volume is stopped, which starts again just before cinder-api's call
times out.  The manager exports the volume and connects the attachment, the API
answers 500; the attachment is live (a DELETE cleans it up) and no target leaks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cindersim.bus import MessageFault
from cindersim.cloud import Cloud, simulate
from cindersim.testing import CloudStateMachine, exports_match_attachments
from cindersim.testing.machine import CONNECTOR, DEFAULT_MACHINE_CONFIG, V344


@pytest.mark.parametrize("down_for", [59.9, 61.0])
def test_attach_while_the_backend_is_down(down_for: float) -> None:
    async def main(cloud: Cloud) -> Any:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=tok)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        svc = cloud.volume_services[(cloud.db.volumes[vid].host or "").split("#")[0]]
        svc.stop()
        pending = asyncio.ensure_future(cloud.request(
            "POST", f"/v3/{pid}/attachments", headers=V344, token=tok,
            json={"attachment": {"volume_uuid": vid, "connector": CONNECTOR,
                                 "instance_uuid": "00000000-0000-4000-8000-000000000001"}}))
        await asyncio.sleep(down_for)
        svc.start()
        created = await pending
        await cloud.settle()
        after_start = exports_match_attachments(cloud)
        targets = len(svc.driver.target.targets())
        for att in list(cloud.db.attachments):
            await cloud.request("DELETE", f"/v3/{pid}/attachments/{att}", token=tok,
                                headers=V344)
        await cloud.settle()
        return (created.status, after_start, targets, exports_match_attachments(cloud),
                len(svc.driver.target.targets()), cloud.db.volumes[vid].status)

    status, after_start, targets, after_delete, left, vstatus = \
        simulate(main, config=DEFAULT_MACHINE_CONFIG).value
    assert status == 500  # the call timed out either way
    assert after_start == []
    assert targets == (1 if down_for < 60 else 0)
    assert (after_delete, left, vstatus) == ([], 0, "available")


# --- "attached but not exported" after a delayed attachment_delete (the deep run's finding) --
@pytest.mark.parametrize(("backend", "retry_status"), [("thin-1", 200), ("thick-1", 500)])
def test_a_delayed_attachment_delete_times_out_after_the_export_is_gone(
        backend: str, retry_status: int) -> None:
    """The deep profile's finding.  attachment_delete is an RPC call; its request and
    its reply each 30 s late pass rpc_response_timeout (60 s).  cinder-volume has already
    terminated the connection and removed the export when cinder-api gets
    MessagingTimeout and answers 500 without ``finish_detach``: the row stays
    ``attached`` and the volume ``in-use``, with no target.  That is Cinder's outcome,
    which the export invariant accepts for such an attachment only.  A retried DELETE
    finishes it on tgt; on LIO ``cinder-rtstool delete-initiator`` cannot find the target,
    so Cinder answers 500 (ISCSITargetDetachFailed) again and the row stays."""
    async def main(cloud: Cloud) -> Any:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        await cloud.request("POST", f"/v3/{cloud.project_id('admin')}/types",
                            token=cloud.token("admin"), json={"volume_type": {
                                "name": "pinned",
                                "extra_specs": {"volume_backend_name": backend}}})
        r = await cloud.request("POST", f"/v3/{pid}/volumes", token=tok,
                                json={"volume": {"size": 1, "volume_type": "pinned"}})
        vid = r.json["volume"]["id"]
        await cloud.settle()
        host = (cloud.db.volumes[vid].host or "").split("#")[0]
        target = cloud.volume_services[host].driver.target
        r = await cloud.request("POST", f"/v3/{pid}/attachments", headers=V344, token=tok,
                                json={"attachment": {"volume_uuid": vid, "connector": CONNECTOR,
                                      "instance_uuid": "00000000-0000-4000-8000-000000000001"}})
        aid = r.json["attachment"]["id"]
        await cloud.request("POST", f"/v3/{pid}/attachments/{aid}/action", headers=V344,
                            token=tok, json={"os-complete": {}})
        await cloud.settle()
        cloud.bus.faults.append(MessageFault(action="delay", method="attachment_delete",
                                             times=2, delay=30.0))
        first = await cloud.request("DELETE", f"/v3/{pid}/attachments/{aid}", headers=V344,
                                    token=tok)
        await cloud.settle()
        left = (str(cloud.db.volumes[vid].status),
                str(cloud.db.attachments[aid].attach_status), target.target_for(vid))
        strict = exports_match_attachments(cloud)
        lenient = exports_match_attachments(cloud, unexported=[aid])
        retry = await cloud.request("DELETE", f"/v3/{pid}/attachments/{aid}", headers=V344,
                                    token=tok)
        await cloud.settle()
        timeouts = [e.detail["method"] for e in cloud.trace.events if e.kind == "bus.timeout"]
        return (vid, host, first.status, left, strict, lenient, retry.status,
                str(cloud.db.volumes[vid].status), timeouts)

    vid, host, first, left, strict, lenient, retry, final, timeouts = \
        simulate(main, config=DEFAULT_MACHINE_CONFIG).value
    assert host.endswith(backend)
    assert (first, timeouts) == (500, ["attachment_delete"])
    assert left == ("in-use", "attached", None)
    assert strict == [f"{host}: volume {vid[:8]} is attached but not exported"]
    assert lenient == []
    assert (retry, final) == (retry_status, "available" if retry_status == 200 else "in-use")


def test_the_machine_accepts_cinders_outcome_of_a_timed_out_attachment_delete() -> None:
    """The shrunk steps of the deep run (attach, delay attachment_delete twice, detach)
    pass the machine's invariants, teardown included; a detach that did not time out
    still has to leave no attachment behind."""
    machine = CloudStateMachine()
    try:
        vid = machine.create_volume(size=1, user="demo")
        machine.settle()
        machine.check_all()
        aid = machine.attach(vid=vid)
        machine.settle()
        machine.inject_bus_fault(action="delay", method="attachment_delete", times=2)
        machine.detach(aid=aid)
        machine.settle()
        machine.check_all()
        assert machine.delete_timed_out == {aid}
        assert machine.cloud.db.attachments[aid].attach_status == "attached"
        other = machine.create_volume(size=1, user="demo")
        machine.settle()
        second = machine.attach(vid=other)
        machine.settle()
        machine.detach(aid=second)
        machine.settle()
        machine.check_all()
        assert second not in machine.cloud.db.attachments
    finally:
        machine.teardown()


# --- a target left by a backup whose terminate_connection call timed out (deep run 2) -------
def test_a_backup_whose_terminate_connection_times_out_leaves_the_export() -> None:
    """cinder-backup's ``_detach_device`` calls ``terminate_connection`` then
    ``remove_export``; when the first call times out (request and reply each 30 s late)
    the MessagingTimeout ends the backup in ``error`` and the volume goes back to
    ``available``, but ``remove_export`` never runs: the target stays, as in Cinder.
    The export invariant accepts it for that volume only; deleting the volume (its
    ``remove_export``) takes the target away."""
    async def main(cloud: Cloud) -> Any:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=tok)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        cloud.bus.faults.append(MessageFault(action="delay", method="terminate_connection",
                                             times=2, delay=30.0))
        r = await cloud.request("POST", f"/v3/{pid}/backups", token=tok,
                                json={"backup": {"volume_id": vid}})
        bid = r.json["backup"]["id"]
        await cloud.settle()
        host = (cloud.db.volumes[vid].host or "").split("#")[0]
        target = cloud.volume_services[host].driver.target
        backup = cloud.db.backups[bid]
        after = (str(backup.status), str(cloud.db.volumes[vid].status),
                 target.target_for(vid) is not None)
        strict = exports_match_attachments(cloud)
        lenient = exports_match_attachments(cloud, lingering=[vid])
        await cloud.request("DELETE", f"/v3/{pid}/volumes/{vid}", token=tok)
        await cloud.settle()
        return vid, host, after, strict, lenient, target.target_for(vid), \
            exports_match_attachments(cloud)

    vid, host, after, strict, lenient, left, final = \
        simulate(main, config=DEFAULT_MACHINE_CONFIG).value
    assert after == ("error", "available", True)
    assert strict == [f"{host}: target iqn.2010-10.org.openstack:volume-{vid} exists but "
                      f"volume {vid[:8]} has no live attachment"]
    assert (lenient, left, final) == ([], None, [])


def test_the_machine_accepts_the_export_a_timed_out_backup_detach_leaves() -> None:
    machine = CloudStateMachine()
    try:
        vid = machine.create_volume(size=1, user="demo")
        machine.settle()
        machine.inject_bus_fault(action="delay", method="terminate_connection", times=2)
        machine.create_backup(vid=vid, incremental=False, force=False)
        machine.settle()
        machine.check_all()
        assert machine.export_lingers == {vid}
    finally:
        machine.teardown()


def test_a_backup_whose_initialize_connection_times_out_leaves_the_export() -> None:
    """Deep run 4: cinder-volume exports the volume for cinder-backup's
    initialize_connection call, whose request and reply are each 30 s late; the backup
    fails with MessagingTimeout in ``_attach_device``, before the try whose ``finally``
    detaches, so Cinder leaves the target.  The machine accepts it for that volume."""
    machine = CloudStateMachine()
    try:
        vid = machine.create_volume(size=1, user="demo")
        machine.settle()
        machine.inject_bus_fault(action="delay", method="initialize_connection", times=2)
        machine.create_backup(vid=vid, incremental=False, force=False)
        machine.settle()
        db = machine.cloud.db
        assert [str(b.status) for b in db.backups.values()] == ["error"]
        host = (db.volumes[vid].host or "").split("#")[0]
        assert machine.cloud.volume_services[host].driver.target.target_for(vid) is not None
        machine.check_all()
        assert machine.export_lingers == {vid}
    finally:
        machine.teardown()


def test_attaching_a_hostless_volume_an_admin_reset_is_cinders_500() -> None:
    """Deep run 5: a volume no backend could take (``error``, no host) that an admin
    reset to ``available``.  Its attachment_update call has no cinder-volume to go to
    and times out, so cinder-api answers 500 (Cinder sends it to any backend, whose
    export of a missing LV fails: also a 500).  The machine accepts a 500 for a volume
    an admin reset, and only then."""
    machine = CloudStateMachine()
    try:
        vid = machine.create_volume(size=20, user="demo")  # larger than either VG
        machine.settle()
        vol = machine.cloud.db.volumes[vid]
        assert (str(vol.status), vol.host) == ("error", None)
        machine.reset_status(vid=vid, status="available")
        machine.attach(vid=vid)
        machine.settle()
        machine.check_all()
        timeouts = [e.detail["method"] for e in machine.sim.trace.events
                    if e.kind == "bus.timeout"]
        assert timeouts == ["attachment_update"]
    finally:
        machine.teardown()



def test_a_failed_get_backup_device_leaves_the_backup_creating_as_in_cinder() -> None:
    """Deep run 7: the temporary clone for a backup of an in-use volume fails in the
    driver; cinder-volume's get_backup_device (a cast) raises and nothing calls
    continue_backup back, so Cinder leaves the backup 'creating' and the volume
    'backing-up'.  The machine accepts it for that backup and volume."""
    machine = CloudStateMachine()
    try:
        vid = machine.create_volume(size=1, user="demo")
        machine.settle()
        machine.attach(vid=vid)
        machine.settle()
        host = (machine.cloud.db.volumes[vid].host or "").split("#")[0]
        machine.inject_driver_fault(op="create_cloned_volume", backend=host)
        machine.create_backup(vid=vid, incremental=False, force=True)
        machine.settle()
        db = machine.cloud.db
        assert [str(b.status) for b in db.backups.values()] == ["creating"]
        assert str(db.volumes[vid].status) == "backing-up"
        machine.check_all()
    finally:
        machine.teardown()


def test_a_write_is_remembered_until_the_volume_can_be_read_again() -> None:
    """Deep run 8: a guest wrote, then the volume was 'reserved' at the next quiescent
    check (unreadable, so skipped) and the machine forgot the write; once 'available'
    again its data 'changed without a write'.  A write now counts until a check reads
    the volume."""
    machine = CloudStateMachine()
    try:
        vid = machine.create_volume(size=1, user="demo")
        machine.settle()
        aid = machine.attach(vid=vid)
        machine.settle()
        machine.check_all()
        machine.guest_write(aid=aid, first=0, count=8, tag="a")
        machine.detach(aid=aid)
        r = machine.api("POST", machine.url("demo", "/attachments"), {"attachment": {
            "volume_uuid": vid, "instance_uuid": machine.instance_uuid()}}, headers=V344)
        machine.settle()
        assert str(machine.cloud.db.volumes[vid].status) == "reserved"
        machine.check_all()
        machine.api("DELETE", machine.url("demo", f"/attachments/{r.json['attachment']['id']}"),
                    headers=V344)
        machine.settle()
        assert str(machine.cloud.db.volumes[vid].status) == "available"
        machine.check_all()
    finally:
        machine.teardown()
