"""Issue 18: an unsupported driver is a configuration error naming the option and what
is supported, not a silent LVM or Swift run."""

from __future__ import annotations

import pytest

from cindersim.config import BACKUP_DRIVERS, VOLUME_DRIVERS, ConfigError, load_config


def test_rbd_volume_driver_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config({"DEFAULT": {"enabled_backends": "ceph"},
                     "ceph": {"volume_driver": "cinder.volume.drivers.rbd.RBDDriver"}})
    text = str(err.value)
    assert "[ceph] volume_driver" in text
    assert "RBDDriver" in text
    assert VOLUME_DRIVERS[0] in text


def test_ceph_backup_driver_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config({"backup_driver": "cinder.backup.drivers.ceph.CephBackupDriver"})
    text = str(err.value)
    assert "[DEFAULT] backup_driver" in text
    assert "CephBackupDriver" in text
    assert all(d in text for d in BACKUP_DRIVERS)


@pytest.mark.parametrize("driver", BACKUP_DRIVERS)
def test_supported_backup_drivers_load(driver: str) -> None:
    assert load_config({"backup_driver": driver}).default["backup_driver"] == driver


def test_lvm_volume_driver_loads() -> None:
    cfg = load_config({"DEFAULT": {"enabled_backends": "a"},
                       "a": {"volume_driver": VOLUME_DRIVERS[0]}})
    assert cfg.backends[0].options["volume_driver"] == VOLUME_DRIVERS[0]
