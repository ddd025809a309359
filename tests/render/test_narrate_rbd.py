"""Issue 22: the narration of an RBD cloud says how Ceph differs from LVM/iSCSI -- no
export, connection_info with monitors and cephx, a librbd network disk in the guest."""

from __future__ import annotations

from pathlib import Path

from cindersim.render import narrate
from cindersim.scenario import load_scenario, run_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_rbd_attach_is_told_without_iscsi() -> None:
    res = run_scenario(load_scenario(SCENARIOS / "attach-rbd.toml"))
    text = narrate(res.trace.events)
    assert "reports backend ceph (RBD, no pools list" in text
    assert "The RBD driver returns driver_volume_type 'rbd'" in text
    assert "Nothing to export: an RBD volume sits behind no target" in text
    assert "logs in nowhere" in text
    assert "opens the image with librbd" in text
    assert "copy-on-write child" in text
    assert "opens the volume with os-brick's RBD connector" in text.replace("\n      ", " ")
    # The LVM/iSCSI wording is not used for the RBD backend's driver calls.
    assert "The driver exports the volume as an iSCSI target" not in text
    assert "(iSCSI IQN, portal, LUN, CHAP credentials)" not in text
    vi = narrate(res.trace.events, lang="vi")
    assert "RBD driver trả lại driver_volume_type 'rbd'" in vi


def test_lvm_narration_keeps_its_iscsi_wording() -> None:
    res = run_scenario(load_scenario(SCENARIOS / "attach.toml"))
    text = narrate(res.trace.events)
    assert "(iSCSI IQN, portal, LUN, CHAP credentials)" in text
    assert "The RBD driver" not in text
