"""The data path of an export: an initiator's session leads, by portal and IQN, to the
target's backing store, and only a live session does (issue 14)."""

from __future__ import annotations

import random

import pytest

from cindersim import errors
from cindersim.backends.blocks import BlockData
from cindersim.backends.costs import Meter
from cindersim.backends.iscsi import IscsiInitiator, IscsiNetwork, TargetHelper, TargetHost

VID = "0b7d9a3c-5e2f-4c1a-9d8e-112233445566"
IP = "10.9.8.7"


def _setup(helper: TargetHelper) -> tuple[TargetHost, IscsiInitiator, dict[str, BlockData]]:
    net = IscsiNetwork()
    meter = Meter()
    host = TargetHost(helper, IP, rng=random.Random(3), meter=meter, network=net)
    lvs = {f"volume-{VID}": BlockData(100), "other": BlockData(100)}
    host.add_backing_store("/dev/cinder-volumes", lvs.__getitem__)
    initiator = IscsiInitiator(net, "backup-1", "iqn.1994-05.com.redhat:backup-1", meter)
    return host, initiator, lvs


def _connect(host: TargetHost, initiator: IscsiInitiator) -> dict[str, object]:
    export = host.create_export(VID, f"volume-{VID}", f"/dev/cinder-volumes/volume-{VID}")
    vol = {"id": VID, "name": f"volume-{VID}", "provider_location": export["location"],
           "provider_auth": export["auth"]}
    info = host.initialize_connection(vol, {"initiator": initiator.initiator})
    initiator.connect_volume(info["data"])
    return dict(info["data"])


@pytest.mark.parametrize("helper", ["tgtadm", "lioadm"])
def test_a_session_reads_and_writes_the_targets_backing_store(helper: TargetHelper) -> None:
    host, initiator, lvs = _setup(helper)
    data = _connect(host, initiator)
    session = initiator.connected_session(data)
    device = initiator.device_data(session)
    assert device is lvs[f"volume-{VID}"]
    device.write(0, 3, "through-the-session")
    assert lvs[f"volume-{VID}"].written() == 3
    assert lvs["other"].written() == 0


@pytest.mark.parametrize("helper", ["tgtadm", "lioadm"])
def test_no_blocks_without_a_live_session(helper: TargetHelper) -> None:
    host, initiator, _ = _setup(helper)
    data = _connect(host, initiator)
    session = initiator.connected_session(data)
    initiator.disconnect_volume(data)
    with pytest.raises(errors.VolumeDeviceNotFound):
        initiator.device_data(session)
    with pytest.raises(errors.VolumeDeviceNotFound):
        initiator.connected_session(data)
    # The target dropping the session (remove_export) cuts the I/O as well.
    host, initiator, _ = _setup(helper)
    data = _connect(host, initiator)
    session = initiator.connected_session(data)
    host.remove_export(VID, f"volume-{VID}", host.targets()[0].provider_location)
    with pytest.raises(errors.VolumeDeviceNotFound):
        initiator.device_data(session)


def test_a_device_outside_every_registered_directory_does_not_open() -> None:
    host, _, lvs = _setup("tgtadm")
    assert host.open_backing_store(f"/dev/cinder-volumes/volume-{VID}") is lvs[f"volume-{VID}"]
    for path in ("/dev/other-vg/volume-x", "/dev/cinder-volumes/"):
        with pytest.raises(errors.VolumeDeviceNotFound):
            host.open_backing_store(path)
