"""Issue 18: an unsupported driver is a configuration error naming the option and what
is supported, not a silent LVM or Swift run."""

from __future__ import annotations

import pytest

from cindersim.config import BACKUP_DRIVERS, VOLUME_DRIVERS, ConfigError, load_config


def test_unsupported_volume_driver_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config({"DEFAULT": {"enabled_backends": "netapp"},
                     "netapp": {"volume_driver":
                                "cinder.volume.drivers.netapp.common.NetAppDriver"}})
    text = str(err.value)
    assert "[netapp] volume_driver" in text
    assert "NetAppDriver" in text
    assert all(d in text for d in VOLUME_DRIVERS)


def test_unsupported_backup_driver_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config({"backup_driver": "cinder.backup.drivers.gcs.GoogleBackupDriver"})
    text = str(err.value)
    assert "[DEFAULT] backup_driver" in text
    assert "GoogleBackupDriver" in text
    assert all(d in text for d in BACKUP_DRIVERS)


def test_rbd_volume_driver_loads_with_its_options() -> None:
    cfg = load_config({"DEFAULT": {"enabled_backends": "ceph"},
                       "ceph": {"volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
                                "rbd_pool": "volumes", "rbd_user": "cinder",
                                "rbd_max_clone_depth": "2"}})
    opts = cfg.backends[0].options
    assert opts["volume_driver"] == "cinder.volume.drivers.rbd.RBDDriver"
    assert (opts["rbd_pool"], opts["rbd_user"], opts["rbd_max_clone_depth"]) == (
        "volumes", "cinder", 2)
    assert opts["rbd_secret_uuid"] is None
    assert opts["rbd_ceph_conf"] == ""


@pytest.mark.parametrize("driver", BACKUP_DRIVERS)
def test_supported_backup_drivers_load(driver: str) -> None:
    assert load_config({"backup_driver": driver}).default["backup_driver"] == driver


def test_lvm_volume_driver_loads() -> None:
    cfg = load_config({"DEFAULT": {"enabled_backends": "a"},
                       "a": {"volume_driver": VOLUME_DRIVERS[0]}})
    assert cfg.backends[0].options["volume_driver"] == VOLUME_DRIVERS[0]
