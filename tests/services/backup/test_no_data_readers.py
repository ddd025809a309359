"""Issue 14: no service is handed a way into another service's objects; blocks are
reached through iSCSI sessions and other services through RPC."""

from __future__ import annotations

import inspect

import pytest

from cindersim.services.backup.manager import BackupService
from cindersim.services.nova import NovaService
from cindersim.services.nova.hypervisor import LibvirtDriver
from cindersim.services.volume.manager import VolumeService

SHORTCUTS = {"volume_data", "snapshot_data", "peers"}


@pytest.mark.parametrize("cls", [BackupService, NovaService, LibvirtDriver, VolumeService])
def test_no_service_constructor_takes_a_data_reader_or_a_peer(cls: type) -> None:
    params = inspect.signature(cls.__init__).parameters
    assert SHORTCUTS.isdisjoint(params), sorted(SHORTCUTS & set(params))
    for p in params.values():
        # Nor under another name: no callable annotated to return blocks or services.
        assert "BlockData" not in str(p.annotation)
        assert "LvData" not in str(p.annotation)
        assert "VolumeService" not in str(p.annotation)
