"""cinder-volume's half of a backup: ``get_backup_device`` (``VolumeManager`` and
``BaseVD.get_backup_device`` in ``cinder/volume/manager.py`` / ``driver.py``).

cinder-backup casts ``get_backup_device``; the manager asks the driver which
device to back up and casts ``continue_backup`` back to the backup host with
it (the asynchronous form of RPC 3.17).  The LVM driver inherits BaseVD's
choice with the default ``backup_use_temp_snapshot=False``:

* a backup of a snapshot reads a temporary volume created from the snapshot;
* a backup of an ``in-use`` volume (``previous_status``) reads a temporary
  clone of it;
* otherwise the volume itself.

The temporary volume (``backup-vol-<volume id>``, on the volume's host, no
quota) goes ``creating`` -> ``backing-up``; its id is the backup's
``temp_volume_id`` and cinder-backup has it deleted when the backup is done.
A driver failure here propagates out of the cast as in Cinder: nothing calls
back, so the backup stays ``creating`` (the trace shows the failure).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume
from ...states import Op, VolumeStatus

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["METHODS"]


async def _create_temp_volume(svc: VolumeService, volume: Volume, backup_id: str,
                              kind: str, source_id: str) -> Volume:
    """``_create_temp_volume_from_snapshot`` / ``_create_temp_cloned_volume``."""
    db = svc.env.db
    temp = Volume(id=svc.env.sim.ids.uuid(), project_id=volume.project_id,
                  user_id=volume.user_id, size=volume.size,
                  display_name=f"backup-vol-{volume.id}", host=volume.host,
                  availability_zone=volume.availability_zone,
                  volume_type_id=volume.volume_type_id, use_quota=False,
                  admin_metadata={"temporary": "True"})
    db.add(temp, op=Op.BACKUP_CREATE, actor=svc.actor)
    try:
        if kind == "snapshot":
            snapshot = db.get_snapshot(source_id)
            await svc.drive("create_volume_from_snapshot", svc.driver.create_volume_from_snapshot,
                            temp, snapshot, resource=f"volume:{temp.id}")
        else:
            await svc.drive("create_cloned_volume", svc.driver.create_cloned_volume, temp,
                            volume, resource=f"volume:{temp.id}")
    except Exception:
        # temp_vol_ref.destroy(): the row goes, the error propagates.
        db.remove(temp, op=Op.DELETE, actor=svc.actor, reason=f"backup {backup_id[:8]} failed")
        raise
    db.transition(temp, VolumeStatus.BACKING_UP, op=Op.BACKUP_CREATE, actor=svc.actor)
    return temp


async def get_backup_device(svc: VolumeService, *, backup_id: str) -> None:
    """Pick (or make) the device to back up, then cast ``continue_backup`` back."""
    env = svc.env
    db = env.db
    backup = db.backups.get(backup_id)
    if backup is None:
        return
    volume = db.get_volume(backup.volume_id)
    device = volume
    is_volume = getattr(svc.driver, "backup_device_is_volume", None)
    if is_volume is not None and is_volume(backup.service or "", backup.snapshot_id):
        pass  # RBD to a Ceph backup: the volume itself, even in-use (incrementals diff it)
    elif backup.snapshot_id:
        device = await _create_temp_volume(svc, volume, backup.id, "snapshot",
                                           backup.snapshot_id)
    elif volume.previous_status == VolumeStatus.IN_USE:
        device = await _create_temp_volume(svc, volume, backup.id, "volume", volume.id)
    if device is not volume:
        backup.temp_volume_id = device.id
    env.bus.cast(svc.actor, Target("cinder-backup", backup.host), "continue_backup",
                 backup_id=backup.id,
                 backup_device={"device_id": device.id, "is_snapshot": False,
                                "secure_enabled": False})


async def secure_file_operations_enabled(svc: VolumeService, *, volume_id: str) -> bool:
    """BaseVD: False (cinder-backup then opens the device as it is, no chown needed)."""
    return False


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "get_backup_device": get_backup_device,
    "secure_file_operations_enabled": secure_file_operations_enabled,
}
