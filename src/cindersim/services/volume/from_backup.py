"""cinder-volume's half of a volume created from a backup (3.47).

``VolumeManager._create_from_backup`` (no driver-assisted path for LVM): a blank LV,
the backup goes ``restoring`` and ``restore_backup(volume_is_new=True)`` is cast to
the backup's cinder-backup; the volume stays ``creating`` until the restore ends it
``available``.  The API's half is :mod:`cindersim.services.api.from_backup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bus import Target
from ...errors import CinderException, InvalidBackup
from ...states import BackupStatus, Op, VolumeStatus

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["create_from_backup"]


async def create_from_backup(svc: VolumeService, volume_id: str, backup_id: str) -> None:
    """``_create_from_backup``: blank LV, backup ``restoring``, cast ``restore_backup``."""
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    backup = db.backups.get(backup_id)
    try:
        if backup is None or backup.status != BackupStatus.AVAILABLE:
            raise InvalidBackup(reason=f"backup {backup_id} is no longer available")
        await svc.drive("create_volume", svc.driver.create_volume, vol,
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        if vol.id in db.volumes:
            db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE_FROM_SOURCE, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    if vol.id not in db.volumes:
        return
    svc.allocated_capacity_gb += vol.size
    vol.launched_at = db.stamp()
    if db.backups.get(backup_id) is not backup or backup.status != BackupStatus.AVAILABLE:
        # The backup was deleted while the LV was made (the API lets a delete through:
        # the backup is still 'available' until this point).  Cinder's manager would
        # overwrite 'deleting' with 'restoring' and the restore would then find no
        # backup; here the new volume fails at once, its LV kept like any volume's
        # in error, which a delete removes.
        db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE_FROM_SOURCE, actor=svc.actor,
                      reason=f"InvalidBackup: backup {backup_id} is no longer available")
        return
    db.transition(backup, BackupStatus.RESTORING, op=Op.BACKUP_RESTORE, actor=svc.actor,
                  reason=f"restoring into new volume {vol.id[:8]}")
    env.bus.cast(svc.actor, Target("cinder-backup", backup.host or ""), "restore_backup",
                   backup_id=backup.id, volume_id=vol.id, volume_is_new=True)
