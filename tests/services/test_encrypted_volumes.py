"""Encrypted volumes end to end: Cinder's keys in Barbican, Nova's encryptors on attach.

A volume of a type with an ``encryption`` row gets its own Barbican secret
(``encryption_key_id``, shown from 3.64); clones and volumes from snapshots get a
copy; deleting the volume deletes the key.  On attach nova-compute reads
``GET /volumes/{id}/encryption``, fetches the key with the user's token, formats
the LV on first use and gives the guest the plaintext; the LV holds ciphertext.
"""

from __future__ import annotations

from typing import Any

import pytest

from cindersim.backends.blocks import GiB, MiB, content_fingerprint
from cindersim.backends.dmcrypt import is_luks
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace
from cindersim.testing.invariants import encryption_keys_owned

C = "/compute/v2.1"
KM = "/key-manager/v1"


def _v(cloud: Cloud, rest: str, user: str = "demo") -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def call(cloud: Cloud, user: str, method: str, rest: str, body: Any = None,
               version: str = "3.64") -> Any:
    return await cloud.request(method, _v(cloud, rest, user), json=body,
                               token=cloud.token(user),
                               headers={"OpenStack-API-Version": f"volume {version}"})


async def encrypted_type(cloud: Cloud, name: str = "luks", provider: str = "luks",
                         location: str = "front-end") -> str:
    r = await call(cloud, "admin", "POST", "/types", {"volume_type": {"name": name}})
    tid = str(r.json["volume_type"]["id"])
    r = await call(cloud, "admin", "POST", f"/types/{tid}/encryption", {"encryption": {
        "provider": provider, "cipher": "aes-xts-plain64", "key_size": 256,
        "control_location": location}})
    assert r.status == 200, r.json
    return tid


async def volume(cloud: Cloud, vtype: str | None = "luks", user: str = "demo",
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"size": 1, **extra}
    if vtype is not None:
        body["volume_type"] = vtype
    r = await call(cloud, user, "POST", "/volumes", {"volume": body})
    assert r.status == 202, r.json
    await cloud.settle()
    got = await call(cloud, user, "GET", f"/volumes/{r.json['volume']['id']}")
    view: dict[str, Any] = got.json["volume"]
    return view


async def server(cloud: Cloud, user: str = "demo") -> str:
    image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
    r = await cloud.request("POST", f"{C}/servers", json={"server": {
        "name": "vm", "imageRef": image, "flavorRef": "1"}}, token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["server"]["id"])


async def attach(cloud: Cloud, sid: str, vid: str, user: str = "demo") -> Any:
    r = await cloud.request("POST", f"{C}/servers/{sid}/os-volume_attachments",
                            json={"volumeAttachment": {"volumeId": vid}},
                            token=cloud.token(user))
    await cloud.settle()
    return r


async def detach(cloud: Cloud, sid: str, vid: str, user: str = "demo") -> None:
    r = await cloud.request("DELETE", f"{C}/servers/{sid}/os-volume_attachments/{vid}",
                            token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()


def run(main: Any) -> Any:
    result = simulate(main)
    assert check_trace(result.trace.events) == []
    assert result.cloud.api.errors_5xx == 0
    return result


class TestCinderKeys:
    def test_create_clone_snapshot_delete_keys(self) -> None:
        """Each encrypted volume owns one secret of its project; copies are clones."""

        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            clone = await volume(cloud, vtype=None, source_volid=vol["id"])
            r = await call(cloud, "demo", "POST", "/snapshots",
                           {"snapshot": {"volume_id": vol["id"]}})
            await cloud.settle()
            snap = await volume(cloud, vtype=None, snapshot_id=r.json["snapshot"]["id"])
            old = await call(cloud, "demo", "GET", f"/volumes/{vol['id']}", version="3.63")
            meta = await call(cloud, "demo", "GET", f"/volumes/{vol['id']}/encryption")
            one = await call(cloud, "demo", "GET", f"/volumes/{vol['id']}/encryption/provider")
            listed = await cloud.request("GET", f"{KM}/secrets", token=cloud.token("demo"))
            for v in (clone, snap):
                assert (await call(cloud, "demo", "DELETE", f"/volumes/{v['id']}")).status == 202
            await cloud.settle()
            return vol, clone, snap, old.json, meta.json, one.json, listed.json, \
                dict(cloud.key_manager.secrets)

        vol, clone, snap, old, meta, one, listed, left = run(main).value
        keys = [vol["encryption_key_id"], clone["encryption_key_id"], snap["encryption_key_id"]]
        assert all(keys)
        assert len(set(keys)) == 3
        assert "encryption_key_id" not in old["volume"]
        assert meta == {"encryption_key_id": keys[0], "control_location": "front-end",
                        "cipher": "aes-xts-plain64", "key_size": 256, "provider": "luks"}
        assert one == "luks"
        assert listed["total"] == 3
        assert {s["secret_ref"].rsplit("/", 1)[1] for s in listed["secrets"]} == set(keys)
        assert list(left) == [keys[0]]  # the deleted volumes' keys went with them

    def test_clone_is_rekeyed_and_keeps_the_data(self) -> None:
        """cinder-volume re-keys a clone: luksChangeKey on a formatted LV (the data
        written through the source reads back through the clone), the copied key goes."""

        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            sid = await server(cloud)
            await attach(cloud, sid, vol["id"])
            cloud.nova.guest_write(sid, "/dev/vdb", 2, 1, "kept")
            await detach(cloud, sid, vol["id"])
            mark = len(cloud.trace.events)
            clone = await volume(cloud, vtype=None, source_volid=vol["id"])
            stored = [e.resource for e in cloud.trace.events[mark:]
                      if e.kind in ("keymgr.store", "keymgr.delete")]
            await attach(cloud, sid, clone["id"])
            km = cloud.key_manager.secrets
            return (vol, clone, stored, cloud.nova.guest_read(sid, "/dev/vdb", 2),
                    km[vol["encryption_key_id"]].payload, km[clone["encryption_key_id"]].payload,
                    [e.detail.get("op") for e in cloud.trace.events[mark:]
                     if e.kind == "backend"])

        _vol, clone, stored, seen, src_key, clone_key, ops = run(main).value
        assert clone["status"] == "available"
        assert clone_key != src_key
        # cinder-api's copy, cinder-volume's new key, then the copy deleted.
        assert [r.split(":")[0] for r in stored] == ["secret", "secret", "secret"]
        assert stored[0] == stored[2] != stored[1]
        assert stored[1] == f"secret:{clone['encryption_key_id']}"
        assert "cryptsetup luksChangeKey" in ops
        assert "cryptsetup luksFormat" not in ops  # Nova found LUKS: no second format
        assert seen == content_fingerprint("kept", 2)

    def test_clone_of_luks2_fails_as_on_lvm(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud, provider="luks2")
            vol = await volume(cloud)
            clone = await volume(cloud, vtype=None, source_volid=vol["id"])
            return clone, encryption_keys_owned(cloud)

        clone, problems = run(main).value
        assert clone["status"] == "error"
        assert problems == []

    def test_plain_type_has_no_key_and_multiattach_refused(self) -> None:
        async def main(cloud: Cloud) -> Any:
            plain = await volume(cloud, vtype=None)
            r = await call(cloud, "admin", "POST", "/types", {"volume_type": {
                "name": "ma", "extra_specs": {"multiattach": "<is> True"}}})
            tid = r.json["volume_type"]["id"]
            await call(cloud, "admin", "POST", f"/types/{tid}/encryption", {"encryption": {
                "provider": "luks", "control_location": "front-end"}})
            refused = await call(cloud, "demo", "POST", "/volumes",
                                 {"volume": {"size": 1, "volume_type": "ma"}})
            return plain, refused, len(cloud.key_manager.secrets)

        plain, refused, count = run(main).value
        assert "encryption_key_id" not in plain
        assert plain["encrypted"] is False
        assert (refused.status, refused.json["badRequest"]["message"]) == (
            400, "Invalid volume: Multiattach cannot be used with encrypted volumes.")
        assert count == 0

    def test_another_projects_key_is_forbidden(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            key = vol["encryption_key_id"]
            other = await cloud.request("GET", f"{KM}/secrets/{key}", token=cloud.token("alt_demo"))
            payload = await cloud.request("GET", f"{KM}/secrets/{key}/payload",
                                          token=cloud.token("alt_demo"))
            gone = await cloud.request("GET", f"{KM}/secrets/{'0' * 32}",
                                       token=cloud.token("demo"))
            bad = await cloud.request("GET", f"{KM}/secrets/xyz", token=cloud.token("demo"))
            # An admin of another project deletes the volume: Barbican refuses the key
            # deletion, Cinder answers 400 and leaves the volume error_deleting.
            admin_del = await call(cloud, "admin", "DELETE", f"/volumes/{vol['id']}")
            after = await call(cloud, "demo", "GET", f"/volumes/{vol['id']}")
            return other, payload, gone, bad, admin_del, after.json["volume"]["status"]

        other, payload, gone, bad, admin_del, status = run(main).value
        assert other.status == 403
        assert other.json == {
            "code": 403, "title": "Forbidden", "description": "Secret retrieval attempt not "
            "allowed - please review your user/project privileges"}
        assert payload.status == 403
        assert gone.json == {"code": 404, "title": "Not Found", "description": "Secret not found."}
        assert bad.json["description"] == "Not Found. Provided secret id is invalid."
        assert admin_del.status == 400
        assert admin_del.json["badRequest"]["message"].startswith(
            "Invalid volume: Unable to delete encryption key for volume: Key manager error: 403")
        assert status == "error_deleting"


class TestNovaEncryptor:
    @pytest.mark.parametrize("provider", ["luks", "luks2", "plain"])
    def test_guest_sees_plaintext_lv_holds_ciphertext(self, provider: str) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud, provider=provider)
            vol = await volume(cloud)
            sid = await server(cloud)
            r = await attach(cloud, sid, vol["id"])
            assert r.status == 200, r.json
            nova = cloud.nova
            nova.guest_write(sid, "/dev/vdb", 3, 2, "secret-data")
            seen = nova.guest_read(sid, "/dev/vdb", 3)
            compute = next(iter(nova.computes.values()))
            found = compute.encryptors.attached[vol["id"]]
            lv = found.device.below
            view = await call(cloud, "demo", "GET", f"/volumes/{vol['id']}")
            await detach(cloud, sid, vol["id"])
            closed = vol["id"] not in compute.encryptors.attached
            # Attach again: no second format, the data reads back the same.
            await attach(cloud, sid, vol["id"])
            again = nova.guest_read(sid, "/dev/vdb", 3)
            return seen, found.source, found.how, lv, view.json["volume"]["status"], \
                closed, again

        seen, source, how, lv, status, closed, again = run(main).value
        plain = content_fingerprint("secret-data", 3)
        assert seen == plain == again
        assert status == "in-use"
        assert closed
        offset = {"luks": 64, "luks2": 512, "plain": 0}[provider]
        assert lv.read(3 + offset) not in (0, plain)  # ciphertext on the LV
        if provider == "luks":
            assert how == "libvirt-secret"
            assert source.startswith("/dev/disk/by-path/")
            assert is_luks(lv) == "luks1"
        else:
            assert how == "dm-crypt"
            assert source.startswith("/dev/mapper/crypt-ip-")
            assert is_luks(lv) == ("luks2" if provider == "luks2" else None)

    def test_back_end_luks2_is_not_decrypted_by_nova(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud, provider="luks2", location="back-end")
            vol = await volume(cloud)
            sid = await server(cloud)
            await attach(cloud, sid, vol["id"])
            compute = next(iter(cloud.nova.computes.values()))
            return vol, dict(compute.encryptors.attached)

        vol, attached = run(main).value
        assert vol["encryption_key_id"]
        assert attached == {}

    @pytest.mark.parametrize("case", ["unknown-provider", "missing-key"])
    def test_failed_encryptor_rolls_the_attach_back(self, case: str) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud, provider="foo" if case == "unknown-provider" else "luks")
            vol = await volume(cloud)
            if case == "missing-key":
                r = await cloud.request("DELETE", f"{KM}/secrets/{vol['encryption_key_id']}",
                                        token=cloud.token("demo"))
                assert r.status == 204
            sid = await server(cloud)
            r = await attach(cloud, sid, vol["id"])
            after = await call(cloud, "demo", "GET", f"/volumes/{vol['id']}")
            logs = [e.summary for e in cloud.trace.events if e.kind == "log"
                    and "failed" in e.summary]
            return r.status, after.json["volume"], logs

        status, vol, logs = run(main).value
        assert status == 200  # the attach is a cast: the API accepted it
        assert vol["status"] == "available"
        assert vol["attachments"] == []
        expected = "Error instantiating foo" if case == "unknown-provider" else \
            "Key not found, uuid:"
        assert any(expected in line for line in logs), logs


class TestCopiesCarryTheirOwnKey:
    def test_backup_restore_and_from_backup(self) -> None:
        """A backup keeps a clone of the key; restore re-keys the target to a clone of
        it; deleting the backup deletes its clone."""

        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            r = await call(cloud, "demo", "POST", "/backups", {"backup": {"volume_id": vol["id"]}})
            assert r.status == 202, r.json
            bid = r.json["backup"]["id"]
            await cloud.settle()
            backup_key = cloud.db.backups[bid].encryption_key_id
            shown = (await call(cloud, "demo", "GET", f"/backups/{bid}")).json["backup"]
            assert shown["encryption_key_id"] == backup_key
            older = (await call(cloud, "demo", "GET", f"/backups/{bid}", version="3.63")).json
            assert "encryption_key_id" not in older["backup"]
            target = await volume(cloud)
            r = await call(cloud, "demo", "POST", f"/backups/{bid}/restore",
                           {"restore": {"volume_id": target["id"]}})
            assert r.status == 202, r.json
            await cloud.settle()
            restored = cloud.db.volumes[target["id"]]
            made = await volume(cloud, backup_id=bid)
            keys_before_delete = set(cloud.key_manager.secrets)
            r = await call(cloud, "demo", "DELETE", f"/backups/{bid}")
            assert r.status == 202
            await cloud.settle()
            return (vol, backup_key, target, restored.encryption_key_id, restored.status,
                    made, keys_before_delete, set(cloud.key_manager.secrets))

        vol, backup_key, target, restored_key, status, made, before, after = run(main).value
        assert backup_key
        assert backup_key != vol["encryption_key_id"]
        assert status == "available"
        assert restored_key not in (None, backup_key, target["encryption_key_id"])
        assert made["encryption_key_id"] not in (None, backup_key)
        assert before == {vol["encryption_key_id"], backup_key, restored_key,
                          made["encryption_key_id"]}
        assert after == before - {backup_key}

    def test_upload_to_image_and_volume_from_it(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            r = await call(cloud, "demo", "POST", f"/volumes/{vol['id']}/action",
                           {"os-volume_upload_image": {"image_name": "enc"}})
            assert r.status == 202, r.json
            image_id = r.json["os-volume_upload_image"]["image_id"]
            await cloud.settle()
            props = dict(cloud.glance.images[image_id].properties)
            from_image = await volume(cloud, imageRef=image_id)
            r = await cloud.request("DELETE", f"/image/v2/images/{image_id}",
                                    token=cloud.token("demo"))
            assert r.status == 204
            await cloud.settle()
            return vol, props, from_image, set(cloud.key_manager.secrets)

        vol, props, from_image, left = run(main).value
        image_key = props["cinder_encryption_key_id"]
        assert props["cinder_encryption_key_deletion_policy"] == "on_image_deletion"
        assert image_key != vol["encryption_key_id"]
        assert from_image["encryption_key_id"] not in (None, image_key)
        assert left == {vol["encryption_key_id"], from_image["encryption_key_id"]}


class TestKeyInvariant:
    def test_holds_on_a_clean_run_and_catches_orphans_and_loss(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            clean = encryption_keys_owned(cloud)
            orphan = await cloud.key_manager.client("test").create_key(
                cloud.token("demo"), "aes", 256)
            with_orphan = encryption_keys_owned(cloud)
            excused = encryption_keys_owned(cloud, leaked=[orphan])
            cloud.key_manager.delete(vol["encryption_key_id"])
            lost = encryption_keys_owned(cloud, leaked=[orphan])
            return clean, with_orphan, excused, lost, orphan, vol

        clean, with_orphan, excused, lost, orphan, vol = run(main).value
        assert clean == []
        assert with_orphan == [f"key {orphan} outlived its holder"]
        assert excused == []
        assert lost == [f"encrypted volume {vol['id']} names key {vol['encryption_key_id']}, "
                        "which is gone"]


class TestTransfer:
    def test_key_follows_the_volume_through_cinders_service_user(self) -> None:
        """3.70: the key moves owner -> Cinder's service user -> recipient, as copies."""

        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            old = await call(cloud, "demo", "POST", "/volume-transfers",
                             {"transfer": {"volume_id": vol["id"]}}, version="3.69")
            r = await call(cloud, "demo", "POST", "/volume-transfers",
                           {"transfer": {"volume_id": vol["id"]}}, version="3.70")
            assert r.status == 202, r.json
            held = cloud.db.volumes[vol["id"]].encryption_key_id
            holder = cloud.key_manager.secrets[held].project_id
            tid, auth = r.json["transfer"]["id"], r.json["transfer"]["auth_key"]
            r = await call(cloud, "alt_demo", "POST", f"/volume-transfers/{tid}/accept",
                           {"accept": {"auth_key": auth}}, version="3.70")
            assert r.status == 202, r.json
            final = cloud.db.volumes[vol["id"]].encryption_key_id
            return (old.status, vol["encryption_key_id"], held, holder, final,
                    cloud.key_manager.secrets[final].project_id, list(cloud.key_manager.secrets),
                    encryption_keys_owned(cloud), cloud.project_id("admin"),
                    cloud.project_id("alt_demo"))

        old, first, held, holder, final, owner, live, problems, admin, alt = run(main).value
        assert old == 400
        assert len({first, held, final}) == 3
        assert holder == admin  # Cinder's service user holds it while the offer stands
        assert owner == alt
        assert live == [final]
        assert problems == []

    def test_owner_project_and_admin_project(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud)
            vol = await volume(cloud)
            r = await call(cloud, "demo", "POST", "/volume-transfers",
                           {"transfer": {"volume_id": vol["id"]}}, version="3.70")
            held = cloud.key_manager.secrets[cloud.db.volumes[vol["id"]].encryption_key_id]
            await call(cloud, "demo", "DELETE", f"/volume-transfers/{r.json['transfer']['id']}",
                       version="3.70")
            back = cloud.key_manager.secrets[cloud.db.volumes[vol["id"]].encryption_key_id]
            return held.project_id, back.project_id, cloud.project_id("admin"), \
                cloud.project_id("demo")

        held, back, admin, demo = run(main).value
        assert held == admin
        assert back == demo


def test_an_encryption_row_without_cipher_cannot_make_volumes() -> None:
    """``create_encryption_key``: no cipher, no algorithm: "Invalid encryption spec"."""

    async def main(cloud: Cloud) -> Any:
        r = await call(cloud, "admin", "POST", "/types", {"volume_type": {"name": "nc"}})
        tid = r.json["volume_type"]["id"]
        await call(cloud, "admin", "POST", f"/types/{tid}/encryption", {"encryption": {
            "provider": "luks", "control_location": "front-end"}})
        r = await call(cloud, "demo", "POST", "/volumes", {"volume": {"size": 1,
                                                                      "volume_type": "nc"}})
        return r.status, r.json, len(cloud.db.volumes), len(cloud.key_manager.secrets)

    assert run(main).value == (400, {"badRequest": {"code": 400,
                                                    "message": "Invalid encryption spec"}}, 0, 0)


def test_per_volume_limit_refuses_an_encrypted_create_before_its_key() -> None:
    """``per_volume_gigabytes`` is checked before the key is made: a refused create of an
    encrypted type leaves no secret in Barbican."""

    async def main(cloud: Cloud) -> Any:
        await encrypted_type(cloud)
        r = await call(cloud, "demo", "POST", "/volumes", {"volume": {"size": 3,
                                                                      "volume_type": "luks"}})
        return r.status, r.json, len(cloud.db.volumes), len(cloud.key_manager.secrets)

    result = simulate(main, config={"DEFAULT": {"per_volume_size_limit": 2}})
    assert result.value == (413, {"overLimit": {"code": 413, "retryAfter": "0", "message": (
        "VolumeSizeExceedsLimit: Requested volume size 3G is larger than maximum allowed "
        "limit 2G.")}}, 0, 0)


class TestExtendAttachedEncrypted:
    @pytest.mark.parametrize(("provider", "header"), [("luks", 2 * MiB), ("luks2", 16 * MiB),
                                                      ("plain", 0)])
    def test_guest_sees_the_new_size_less_the_header(self, provider: str, header: int) -> None:
        """3.42 extend of an in-use encrypted volume: Nova's volume-extended grows the
        plaintext (cryptsetup resize, or QEMU's LUKS layer) and the guest's disk; data
        written before reads back the same."""

        async def main(cloud: Cloud) -> Any:
            await encrypted_type(cloud, provider=provider)
            vol = await volume(cloud)
            sid = await server(cloud)
            await attach(cloud, sid, vol["id"])
            nova = cloud.nova
            nova.guest_write(sid, "/dev/vdb", 7, 1, "before")
            before = nova.disk_size(sid, "/dev/vdb")
            r = await call(cloud, "demo", "POST", f"/volumes/{vol['id']}/action",
                           {"os-extend": {"new_size": 2}}, version="3.42")
            assert r.status == 202, r.json
            await cloud.settle()
            after = nova.disk_size(sid, "/dev/vdb")
            ops = [e.detail.get("op") for e in cloud.trace.events if e.kind == "backend"]
            return before, after, nova.guest_read(sid, "/dev/vdb", 7), ops

        before, after, seen, ops = run(main).value
        assert before == 1 * GiB - header
        assert after == 2 * GiB - header
        assert seen == content_fingerprint("before", 7)
        assert "virsh blockresize" in ops
        assert ("cryptsetup resize" in ops) == (provider != "luks")
