"""Flavor create/delete and server resize, revert and confirm (with attached volumes).

Nova's codes: ``POST /flavors`` 200 (admin; 409 on a taken name or id), ``DELETE
/flavors/{id}`` 202; ``resize`` 202 -> ``VERIFY_RESIZE``; ``revertResize`` 202 ->
``ACTIVE`` with the old flavor; ``confirmResize`` 204 -> ``ACTIVE`` with the new
one.  An attached volume is disconnected and its attachment swapped on the way,
then connected again: still ``in-use``, its data and (encrypted) key intact.
"""

from __future__ import annotations

from typing import Any

from novatest import nova, server_with_volume, vpath

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace


def run(main: Any) -> Any:
    result = simulate(main)
    assert check_trace(result.trace.events) == []
    assert result.cloud.api.errors_5xx == 0
    return result


async def new_flavor(cloud: Cloud, name: str = "resized", **extra: Any) -> str:
    r = await nova(cloud, "POST", "/flavors", user="admin", json={"flavor": {
        "name": name, "vcpus": 1, "ram": 512, "disk": 1, **extra}})
    assert r.status == 200, r.json
    return str(r.json["flavor"]["id"])


async def show(cloud: Cloud, sid: str) -> dict[str, Any]:
    r = await nova(cloud, "GET", f"/servers/{sid}")
    view: dict[str, Any] = r.json["server"]
    return view


async def volume(cloud: Cloud, vid: str) -> dict[str, Any]:
    r = await cloud.request("GET", vpath(cloud, f"/volumes/{vid}"), token=cloud.token("demo"),
                            headers={"OpenStack-API-Version": "volume 3.27"})
    view: dict[str, Any] = r.json["volume"]
    return view


class TestFlavorManage:
    def test_create_conflicts_policy_and_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            fid = await new_flavor(cloud, "f1", id="f1-id")
            auto = await new_flavor(cloud, "f2")
            dup_name = await nova(cloud, "POST", "/flavors", user="admin", json={
                "flavor": {"name": "f1", "vcpus": 1, "ram": 64, "disk": 0}})
            dup_id = await nova(cloud, "POST", "/flavors", user="admin", json={
                "flavor": {"name": "f3", "id": "f1-id", "vcpus": 1, "ram": 64, "disk": 0}})
            user = await nova(cloud, "POST", "/flavors", json={
                "flavor": {"name": "f4", "vcpus": 1, "ram": 64, "disk": 0}})
            bad = await nova(cloud, "POST", "/flavors", user="admin", json={
                "flavor": {"name": "f5", "vcpus": 0, "ram": 64, "disk": 0}})
            missing = await nova(cloud, "POST", "/flavors", user="admin", json={
                "flavor": {"name": "f6", "ram": 64, "disk": 0}})
            shown = await nova(cloud, "GET", f"/flavors/{fid}")
            deleted = await nova(cloud, "DELETE", f"/flavors/{fid}", user="admin")
            again = await nova(cloud, "DELETE", f"/flavors/{fid}", user="admin")
            return (fid, auto, dup_name, dup_id, user, bad, missing, shown, deleted, again)

        fid, auto, dup_name, dup_id, user, bad, missing, shown, deleted, again = run(main).value
        assert fid == "f1-id"
        assert len(auto) == 36
        assert (dup_name.status, dup_name.json["conflictingRequest"]["message"]) == (
            409, "Flavor with name f1 already exists.")
        assert (dup_id.status, dup_id.json["conflictingRequest"]["message"]) == (
            409, "Flavor with ID f1-id already exists.")
        assert user.status == 403
        assert bad.status == 400
        assert missing.status == 400
        assert "'vcpus' is a required property" in missing.json["badRequest"]["message"]
        assert shown.status == 200
        assert shown.json["flavor"]["name"] == "f1"
        assert (deleted.status, again.status) == (202, 404)


class TestResize:
    def test_resize_revert_with_attached_volume(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            cloud.nova.guest_write(sid, "/dev/vdb", 3, 1, "kept")
            old_att = (await volume(cloud, vid))["attachments"][0]["attachment_id"]
            fid = await new_flavor(cloud)
            r = await nova(cloud, "POST", f"/servers/{sid}/action",
                           json={"resize": {"flavorRef": fid}})
            assert r.status == 202, r.json
            during = (await show(cloud, sid))["status"]
            await cloud.settle()
            verify = await show(cloud, sid)
            vol_verify = await volume(cloud, vid)
            confirm_busy = await nova(cloud, "POST", f"/servers/{sid}/action",
                                      json={"resize": {"flavorRef": "1"}})
            r = await nova(cloud, "POST", f"/servers/{sid}/action", json={"revertResize": {}})
            assert r.status == 202, r.json  # tempest's revert_resize_server sends {}
            reverting = (await show(cloud, sid))["status"]
            await cloud.settle()
            back = await show(cloud, sid)
            vol_back = await volume(cloud, vid)
            data = cloud.nova.guest_read(sid, "/dev/vdb", 3)
            acts = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions")
            states = [(e.detail.get("vm_state"), e.detail.get("task_state"))
                      for e in cloud.env.trace.events if e.kind == "nova.state"]
            return (old_att, during, verify, vol_verify, confirm_busy, reverting, back,
                    vol_back, data, acts.json, states)

        result = run(main)
        (old_att, during, verify, vol_verify, confirm_busy, reverting, back, vol_back, data,
         acts, states) = result.value
        assert during == "RESIZE"
        assert verify["status"] == "VERIFY_RESIZE"
        assert verify["flavor"]["id"] != "1"
        assert vol_verify["status"] == "in-use"
        new_att = vol_verify["attachments"][0]["attachment_id"]
        assert new_att != old_att  # _terminate_volume_connections swapped it
        assert confirm_busy.status == 409
        assert reverting == "REVERT_RESIZE"
        assert back["status"] == "ACTIVE"
        assert back["flavor"]["id"] == "1"
        assert vol_back["status"] == "in-use"
        assert vol_back["attachments"][0]["attachment_id"] not in (old_att, new_att)
        assert data != 0  # the guest still reads what it wrote before the resize
        assert [a["action"] for a in acts["instanceActions"]][:2] == ["revertResize", "resize"]
        for step in ("resize_prep", "resize_migrating", "resize_migrated", "resize_finish"):
            assert ("active", step) in states
        assert ("resized", None) in states
        assert ("resized", "resize_reverting") in states

    def test_confirm_and_refusals(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, vid = await server_with_volume(cloud)
            fid = await new_flavor(cloud, disk=5)
            act = f"/servers/{sid}/action"
            refusals = [
                await nova(cloud, "POST", act, json={"resize": {"flavorRef": "nope"}}),
                await nova(cloud, "POST", act, json={"resize": {"flavorRef": "1"}}),
                await nova(cloud, "POST", act, json={"resize": {}}),
                await nova(cloud, "POST", act, json={"confirmResize": None}),
                await nova(cloud, "POST", act, json={"revertResize": None}),
                await nova(cloud, "POST", act, json={"resize": {"flavorRef": fid}},
                           user="alt_demo"),
            ]
            r = await nova(cloud, "POST", act, json={"resize": {"flavorRef": fid}})
            assert r.status == 202, r.json
            twice = await nova(cloud, "POST", act, json={"resize": {"flavorRef": fid}})
            await cloud.settle()
            confirmed = await nova(cloud, "POST", act, json={"confirmResize": None})
            await cloud.settle()
            after = await show(cloud, sid)
            late = await nova(cloud, "POST", act, json={"revertResize": None})
            return refusals, twice, confirmed, after, late, (await volume(cloud, vid))

        refusals, twice, confirmed, after, late, vol = run(main).value
        assert [r.status for r in refusals] == [400, 400, 400, 409, 409, 404]
        assert refusals[0].json["badRequest"]["message"] == "Flavor nope could not be found."
        assert refusals[1].json["badRequest"]["message"] == (
            "When resizing, instances must change flavor!")
        assert twice.status == 409
        assert confirmed.status == 204
        assert after["status"] == "ACTIVE"
        assert after["flavor"]["id"] not in ("1", "")
        assert late.status == 409
        assert vol["status"] == "in-use"

    def test_resize_down_rolls_back(self) -> None:
        async def main(cloud: Cloud) -> Any:
            sid, _ = await server_with_volume(cloud)
            r = await nova(cloud, "POST", f"/servers/{sid}/action",
                           json={"resize": {"flavorRef": "2"}})  # m1.small, 20 GB
            await cloud.settle()
            r = await nova(cloud, "POST", f"/servers/{sid}/action",
                           json={"confirmResize": None})
            await cloud.settle()
            small = await show(cloud, sid)
            tiny = await nova(cloud, "POST", f"/servers/{sid}/action",
                              json={"resize": {"flavorRef": "1"}})
            await cloud.settle()
            events = await nova(cloud, "GET", f"/servers/{sid}/os-instance-actions/"
                                f"{tiny.headers['x-openstack-request-id']}", user="admin")
            return r, small, tiny, await show(cloud, sid), events.json

        confirmed, small, tiny, after, events = run(main).value
        assert confirmed.status == 204
        assert small["flavor"]["id"] == "2"
        assert tiny.status == 202
        assert after["status"] == "ACTIVE"
        assert after["flavor"]["id"] == "2"
        results = {e["event"]: e["result"] for e in events["instanceAction"]["events"]}
        assert results["compute_resize_instance"] == "Error"


class TestEncryptedResize:
    def test_revert_reopens_the_luks_volume_with_its_key(self) -> None:
        """Tempest's test_encrypted_cinder_volumes_resize_revert, in process: the
        libvirt secret goes with the disconnect and comes back on each connect."""

        async def main(cloud: Cloud) -> Any:
            admin = {"OpenStack-API-Version": "volume 3.64"}
            r = await cloud.request("POST", vpath(cloud, "/types", "admin"), json={
                "volume_type": {"name": "luks"}}, token=cloud.token("admin"), headers=admin)
            tid = r.json["volume_type"]["id"]
            r = await cloud.request("POST", vpath(cloud, f"/types/{tid}/encryption", "admin"),
                                    json={"encryption": {
                                        "provider": "luks", "cipher": "aes-xts-plain64",
                                        "key_size": 256, "control_location": "front-end"}},
                                    token=cloud.token("admin"), headers=admin)
            assert r.status == 200, r.json
            image = next(i.id for i in cloud.glance.images.values()
                         if i.name == "cirros-0.6.2")
            r = await nova(cloud, "POST", "/servers", json={"server": {
                "name": "vm", "imageRef": image, "flavorRef": "1"}})
            sid = r.json["server"]["id"]
            r = await cloud.request("POST", vpath(cloud, "/volumes"), json={"volume": {
                "size": 1, "volume_type": "luks"}}, token=cloud.token("demo"))
            vid = r.json["volume"]["id"]
            await cloud.settle()
            r = await nova(cloud, "POST", f"/servers/{sid}/os-volume_attachments",
                           json={"volumeAttachment": {"volumeId": vid}})
            assert r.status == 200, r.json
            await cloud.settle()
            cloud.nova.guest_write(sid, "/dev/vdb", 1, 1, "secret data")
            fid = await new_flavor(cloud)
            await nova(cloud, "POST", f"/servers/{sid}/action",
                       json={"resize": {"flavorRef": fid}})
            await cloud.settle()
            verify = (await show(cloud, sid))["status"]
            await nova(cloud, "POST", f"/servers/{sid}/action", json={"revertResize": None})
            await cloud.settle()
            back = (await show(cloud, sid))["status"]
            in_use = (await volume(cloud, vid))["status"]
            data = cloud.nova.guest_read(sid, "/dev/vdb", 1)
            r = await nova(cloud, "DELETE", f"/servers/{sid}/os-volume_attachments/{vid}")
            await cloud.settle()
            ops = [e.detail.get("op") for e in cloud.env.trace.events
                   if e.detail.get("op", "").startswith("virsh secret")]
            return verify, back, in_use, data, r.status, (await volume(cloud, vid))["status"], ops

        verify, back, in_use, data, detached, after, ops = run(main).value
        assert (verify, back, in_use) == ("VERIFY_RESIZE", "ACTIVE", "in-use")
        assert data != 0
        assert (detached, after) == (202, "available")
        # attach, resize (undefine, define), revert (undefine, define), detach
        assert ops == ["virsh secret-define", "virsh secret-undefine"] * 3
