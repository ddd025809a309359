"""iSCSI target helpers and initiator against the reference (§3, §4) and the real code."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim import errors
from cindersim.backends.costs import Meter
from cindersim.backends.iscsi import (
    DEFAULT_PASSWORD_SYMBOLS,
    ChapCredentials,
    IscsiInitiator,
    IscsiNetwork,
    TargetHelper,
    TargetHost,
    by_path,
    generate_password,
    generate_username,
    parse_provider_location,
    scsi_disk_name,
)

VID = "0b7d9a3c-5e2f-4c1a-9d8e-112233445566"
VID2 = "aa7d9a3c-5e2f-4c1a-9d8e-112233445566"
IP = "10.9.8.7"
PREFIX = "iqn.2010-10.org.openstack:"


class Recorder:
    def __init__(self) -> None:
        self.ops: list[tuple[str, str]] = []

    def __call__(self, component: str, op: str, summary: str, seconds: float,
                 detail: dict[str, Any]) -> None:
        self.ops.append((component, op))


def make(helper: TargetHelper, seed: int = 1) -> tuple[TargetHost, IscsiNetwork, Recorder]:
    rec = Recorder()
    net = IscsiNetwork()
    host = TargetHost(helper, IP, rng=random.Random(seed), meter=Meter(record=rec), network=net)
    return host, net, rec


def volume(vid: str, export: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"id": vid, "name": f"volume-{vid}", "provider_location": export["location"],
            "provider_auth": export["auth"], **extra}


# --- CHAP ---------------------------------------------------------------------------
@given(st.integers(min_value=0, max_value=2**32))
def test_chap_lengths_alphabet_and_groups(seed: int) -> None:
    rng = random.Random(seed)
    user, password = generate_username(rng), generate_password(rng)
    assert len(user) == 20
    assert len(password) == 16
    alphabet = set("".join(DEFAULT_PASSWORD_SYMBOLS))
    for word in (user, password):
        assert set(word) <= alphabet
        for group in DEFAULT_PASSWORD_SYMBOLS:
            assert set(word) & set(group), (word, group)
    assert not set(user + password) & set("01IOl")


def test_chap_is_deterministic_from_the_seed() -> None:
    a, _, _ = make("tgtadm", seed=7)
    b, _, _ = make("tgtadm", seed=7)
    c, _, _ = make("tgtadm", seed=8)
    ea = a.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    eb = b.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    ec = c.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    assert ea == eb
    assert ea["auth"] != ec["auth"]


def test_provider_auth_is_reused() -> None:
    host, _, _ = make("tgtadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v", provider_auth="CHAP u2 p2")
    assert export["auth"] == "CHAP u2 p2"
    target = host.target_for(VID)
    assert target is not None
    assert target.chap == ChapCredentials("u2", "p2")


# --- names and locations ----------------------------------------------------------------
def test_tgt_location_format_matches_cinder_unit_test_example() -> None:
    host, _, rec = make("tgtadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/cinder-volumes/volume-x")
    assert export["location"] == f"10.9.8.7:3260,1 {PREFIX}volume-{VID} 1"
    assert re.fullmatch(r"CHAP [2-9A-Za-z]{20} [2-9A-Za-z]{16}", export["auth"])
    assert rec.ops == [("tgtadm", "tgt-admin --update")]


def test_lio_location_uses_iqn_as_tid_and_lun_0() -> None:
    host, _, rec = make("lioadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    iqn = f"{PREFIX}volume-{VID}"
    assert export["location"] == f"10.9.8.7:3260,{iqn} {iqn} 0"
    assert parse_provider_location(export["location"]) == (["10.9.8.7:3260"], iqn, 0)
    assert rec.ops == [("lioadm", "cinder-rtstool create")]


def test_secondary_portals_and_ipv6_in_location() -> None:
    host = TargetHost("tgtadm", "fd00::1", rng=random.Random(1), meter=Meter(),
                      secondary_ip_addresses=("10.0.0.2",))
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    assert export["location"].startswith("[fd00::1]:3260;10.0.0.2:3260,1 ")


def test_tgt_tid_is_max_plus_one() -> None:
    host, _, _ = make("tgtadm")
    vids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(3)]
    for v in vids:
        host.create_export(v, f"volume-{v}", "/dev/vg/x")
    assert [t.tid for t in host.targets()] == ["1", "2", "3"]
    t1 = host.target_for(vids[0])
    assert t1 is not None
    host.remove_export(vids[0], f"volume-{vids[0]}", t1.provider_location)
    new = "99999999-0000-4000-8000-000000000000"
    export = host.create_export(new, f"volume-{new}", "/dev/vg/y")
    assert export["location"].startswith("10.9.8.7:3260,4 ")  # tid 1 is free but not reused


def test_tgt_create_export_twice_keeps_tid() -> None:
    host, _, _ = make("tgtadm")
    first = host.create_export(VID, f"volume-{VID}", "/dev/vg/x")
    again = host.create_export(VID, f"volume-{VID}", "/dev/vg/x", provider_auth=first["auth"])
    assert again == first
    assert len(host.targets()) == 1


# --- initialize_connection ----------------------------------------------------------------
def test_initialize_connection_data_tgt() -> None:
    host, _, _ = make("tgtadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    _, user, pw = export["auth"].split()
    info = host.initialize_connection(volume(VID, export), {"initiator": "iqn.1994-05.com.x:c1"})
    assert info == {
        "driver_volume_type": "iscsi",
        "data": {
            "target_discovered": False,
            "target_portal": "10.9.8.7:3260",
            "target_iqn": f"{PREFIX}volume-{VID}",
            "target_lun": 1,
            "volume_id": VID,
            "auth_method": "CHAP",
            "auth_username": user,
            "auth_password": pw,
            "encrypted": False,
        },
    }
    assert "discard" not in info["data"]  # the manager adds it, not the target


def test_initialize_connection_multipath_geometry_encryption() -> None:
    host, _, _ = make("tgtadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    vol = volume(VID, export, provider_geometry="4096 512", encryption_key_id="k")
    data = host.initialize_connection(vol, {"initiator": "i", "multipath": True})["data"]
    assert data["target_portals"] == ["10.9.8.7:3260"]
    assert data["target_iqns"] == [f"{PREFIX}volume-{VID}"]
    assert data["target_luns"] == [1]
    assert data["physical_block_size"] == "4096"
    assert data["logical_block_size"] == "512"
    assert data["encrypted"] is True


def test_discovery_when_location_not_stored() -> None:
    host, _, _ = make("tgtadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    data = host.initialize_connection({**volume(VID, export), "provider_location": None},
                                      {"initiator": "i"})["data"]
    assert data["target_discovered"] is True
    with pytest.raises(errors.InvalidVolume):
        host.initialize_connection({"id": VID2, "name": "volume-x", "provider_location": None,
                                    "provider_auth": None}, {"initiator": "i"})


def test_validate_connector_needs_initiator() -> None:
    host, _, _ = make("lioadm")
    assert host.validate_connector({"initiator": "iqn.x"})
    with pytest.raises(errors.InvalidConnectorException, match="initiator"):
        host.validate_connector({"ip": "1.2.3.4"})


def test_lio_acl_added_and_removed() -> None:
    host, _, rec = make("lioadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    vol = volume(VID, export)
    host.initialize_connection(vol, {"initiator": "iqn.c1"})
    host.initialize_connection(vol, {"initiator": "IQN.C1"})  # same ACL, case-insensitive
    target = host.target_for(VID)
    assert target is not None
    assert list(target.acls) == ["iqn.c1"]
    assert target.acls["iqn.c1"].mapped_lun == 0
    host.terminate_connection(vol, {"initiator": "iqn.c1"})
    assert target.acls == {}
    host.terminate_connection(vol, {"initiator": "iqn.c1"})  # missing ACL: continue
    assert rec.ops.count(("lioadm", "cinder-rtstool add-initiator")) == 2
    assert rec.ops.count(("lioadm", "cinder-rtstool delete-initiator")) == 2


def test_lio_attach_detach_fail_without_target() -> None:
    host, _, _ = make("lioadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    vol = volume(VID, export)
    host.remove_export(VID, f"volume-{VID}", export["location"])
    with pytest.raises(errors.ISCSITargetAttachFailed):
        host.initialize_connection(vol, {"initiator": "iqn.c1"})
    with pytest.raises(errors.ISCSITargetDetachFailed):
        host.terminate_connection(vol, {"initiator": "iqn.c1"})


def test_tgt_terminate_connection_is_a_noop() -> None:
    host, _, rec = make("tgtadm")
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    host.terminate_connection(volume(VID, export), {"initiator": "i"})
    assert rec.ops == [("tgtadm", "tgt-admin --update")]


# --- login / sessions ---------------------------------------------------------------------
def attach(host: TargetHost, net: IscsiNetwork, helper_initiator: str = "iqn.c1",
           ) -> tuple[IscsiInitiator, dict[str, Any], dict[str, str]]:
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v")
    ini = IscsiInitiator(net, "compute-1", helper_initiator, Meter())
    data = host.initialize_connection(volume(VID, export), {"initiator": ini.initiator})["data"]
    return ini, data, export


@pytest.mark.parametrize("helper", ["tgtadm", "lioadm"])
def test_login_gives_device_and_session_on_target(helper: TargetHelper) -> None:
    host, net, _ = make(helper)
    ini, data, _ = attach(host, net)
    device = ini.connect_volume(data)
    assert device["type"] == "block"
    assert device["path"] == "/dev/sda"
    sessions = host.sessions(data["target_iqn"])
    assert len(sessions) == 1
    assert sessions[0].path == by_path("10.9.8.7:3260", data["target_iqn"], host.lun)
    assert sessions[0].path.endswith(f"-lun-{1 if helper == 'tgtadm' else 0}")
    ini.disconnect_volume(data)
    assert host.sessions() == []
    assert ini.sessions() == []


@pytest.mark.parametrize("helper", ["tgtadm", "lioadm"])
def test_wrong_chap_is_refused(helper: TargetHelper) -> None:
    host, net, _ = make(helper)
    ini, data, _ = attach(host, net)
    with pytest.raises(errors.ProcessExecutionError) as exc:
        ini.login(data["target_iqn"], data["target_portal"], "CHAP", data["auth_username"],
                  "wrongpassword")
    assert exc.value.exit_code == 24
    with pytest.raises(errors.VolumeDeviceNotFound):
        ini.connect_volume({**data, "auth_password": "nope"})
    assert host.sessions() == []


@pytest.mark.parametrize(("helper", "refused"), [("lioadm", True), ("tgtadm", False)])
def test_lio_refuses_initiator_without_acl_tgt_admits_it(helper: TargetHelper,
                                                         refused: bool) -> None:
    host, net, _ = make(helper)
    _, data, _ = attach(host, net, "iqn.c1")
    other = IscsiInitiator(net, "compute-2", "iqn.c2", Meter())
    args = (data["target_iqn"], data["target_portal"], "CHAP", data["auth_username"],
            data["auth_password"])
    if refused:
        with pytest.raises(errors.ProcessExecutionError) as exc:
            other.login(*args)
        assert exc.value.exit_code == 24
        assert host.sessions() == []
    else:
        other.login(*args)
        assert len(host.sessions()) == 1


def test_unknown_target_and_portal() -> None:
    host, net, _ = make("tgtadm")
    ini, data, _ = attach(host, net)
    with pytest.raises(errors.ProcessExecutionError) as exc:
        ini.login(PREFIX + "volume-nope", data["target_portal"], "CHAP", "u", "p")
    assert exc.value.exit_code == 19
    with pytest.raises(errors.ProcessExecutionError) as exc:
        ini.login(data["target_iqn"], "10.1.1.1:3260", "CHAP", "u", "p")
    assert exc.value.exit_code == 8


def test_second_login_reuses_session_and_disks_are_lowest_free() -> None:
    host, net, _ = make("tgtadm")
    ini, data, _ = attach(host, net)
    s1 = ini.login(data["target_iqn"], data["target_portal"], "CHAP", data["auth_username"],
                   data["auth_password"])
    assert ini.login(data["target_iqn"], data["target_portal"], "CHAP", data["auth_username"],
                     data["auth_password"]) == s1
    e2 = host.create_export(VID2, f"volume-{VID2}", "/dev/vg/w")
    d2 = host.initialize_connection(volume(VID2, e2), {"initiator": ini.initiator})["data"]
    assert ini.connect_volume(d2)["path"] == "/dev/sdb"
    ini.logout(s1)
    e3 = host.create_export("c" * 8, "volume-c", "/dev/vg/c")
    d3 = host.initialize_connection(volume("c" * 8, e3), {"initiator": ini.initiator})["data"]
    assert ini.connect_volume(d3)["path"] == "/dev/sda"  # lowest free index again
    assert [s.sid for s in ini.sessions()] == [2, 3]


@pytest.mark.parametrize("helper", ["tgtadm", "lioadm"])
def test_remove_export_with_sessions_drops_them(helper: TargetHelper) -> None:
    host, net, rec = make(helper)
    ini, data, export = attach(host, net)
    session = ini.login(data["target_iqn"], data["target_portal"], "CHAP",
                        data["auth_username"], data["auth_password"])
    host.remove_export(VID, f"volume-{VID}", export["location"])
    assert host.targets() == []
    assert not ini.is_logged_in(session)
    ini.logout(session)  # exit 21 accepted: the device goes away
    assert ini.devices() == []
    op = "tgt-admin --force --delete" if helper == "tgtadm" else "cinder-rtstool delete"
    assert (helper, op) in rec.ops


def test_remove_export_tolerates_missing_target() -> None:
    host, _, rec = make("tgtadm")
    host.remove_export(VID, f"volume-{VID}", None)
    host.remove_export(VID, f"volume-{VID}", f"{IP}:3260,1 {PREFIX}volume-{VID} 1")
    assert rec.ops == [("tgtadm", "tgt-admin --show")] * 2


def test_lio_terminate_connection_ends_that_initiators_session() -> None:
    host, net, _ = make("lioadm")
    ini, data, export = attach(host, net)
    s = ini.login(data["target_iqn"], data["target_portal"], "CHAP", data["auth_username"],
                  data["auth_password"])
    host.terminate_connection(volume(VID, export), {"initiator": ini.initiator})
    assert not ini.is_logged_in(s)


def test_tgt_update_of_target_in_use_keeps_old_settings() -> None:
    host, net, _ = make("tgtadm")
    ini, data, _ = attach(host, net)
    ini.connect_volume(data)
    export = host.create_export(VID, f"volume-{VID}", "/dev/vg/v", provider_auth="CHAP a b")
    target = host.target_for(VID)
    assert target is not None
    assert export["auth"] == "CHAP a b"
    assert target.chap == ChapCredentials(data["auth_username"], data["auth_password"])


def test_restart_and_ensure_export() -> None:
    tgt, net, _ = make("tgtadm")
    ini, data, export = attach(tgt, net)
    s = ini.login(data["target_iqn"], data["target_portal"], "CHAP", data["auth_username"],
                  data["auth_password"])
    tgt.restart()
    assert not ini.is_logged_in(s)
    assert [t.iqn for t in tgt.targets()] == [data["target_iqn"]]  # reloaded from volumes_dir
    tgt.ensure_export(VID, f"volume-{VID}", "/dev/vg/v", export["auth"])
    assert len(tgt.targets()) == 1

    lio, net2, _ = make("lioadm")
    _, _, export2 = attach(lio, net2)
    lio.restart()
    assert lio.targets() == []
    lio.ensure_export(VID, f"volume-{VID}", "/dev/vg/v", export2["auth"])
    target = lio.target_for(VID)
    assert target is not None
    assert list(target.acls) == ["iqn.c1"]  # saved configuration restored with the ACL


def test_tgt_ensure_export_without_auth_creates_open_target() -> None:
    host, net, _ = make("tgtadm")
    host.ensure_export(VID, f"volume-{VID}", "/dev/vg/v", None)
    target = host.target_for(VID)
    assert target is not None
    assert target.chap is None
    ini = IscsiInitiator(net, "c", "iqn.c", Meter())
    ini.login(target.iqn, target.portals[0])
    assert len(host.sessions()) == 1


def test_meter_charged_once_per_command() -> None:
    host, net, rec = make("lioadm")
    ini, data, _ = attach(host, net)
    assert rec.ops == [("lioadm", "cinder-rtstool create"),
                       ("lioadm", "cinder-rtstool add-initiator")]
    assert host.meter.take() == pytest.approx(
        host.meter.costs.target_create + host.meter.costs.acl_change)
    ini.connect_volume(data)
    assert ini.meter.total == pytest.approx(ini.meter.costs.iscsi_login)


def test_scsi_disk_names() -> None:
    assert [scsi_disk_name(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "sda", "sdb", "sdz", "sdaa", "sdab", "sdzz", "sdaaa"]
