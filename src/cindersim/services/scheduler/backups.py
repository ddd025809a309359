"""cinder-scheduler's ``create_backup`` (Ussuri and later): pick a backup host.

``SchedulerManager.create_backup`` asks the driver for a backup host
(``_get_available_backup_service_host``): a ``cinder-backup`` row of the
``services`` table that is up and enabled, in the volume's availability zone
(any zone when ``backup_use_same_host``-style affinity does not apply).  None
found raises ``ServiceNotFound``: the backup goes to ``error`` with "Service not
found for creating backup." and the volume back to its previous status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bus import Target
from ...states import BackupStatus, Op, SnapshotStatus, VolumeStatus

if TYPE_CHECKING:
    from ...db import Service
    from .manager import SchedulerService

__all__ = ["backup_host", "create_backup"]

SCHED = "cinder-scheduler"
NOT_FOUND = "Service not found for creating backup."


def backup_host(sched: SchedulerService, availability_zone: str | None) -> Service | None:
    """The first up, enabled cinder-backup in *availability_zone* (or in any zone)."""
    env = sched.env
    now = env.sim.now()
    down_time = float(env.config.default["service_down_time"])
    up = [row for row in env.db.services_of("cinder-backup")
          if not row.disabled and row.is_up(now, down_time)]
    for row in up:
        if availability_zone is None or row.availability_zone == availability_zone:
            return row
    return None


async def create_backup(sched: SchedulerService, *, backup_id: str) -> None:
    """``SchedulerManager.create_backup``: choose the host, cast to it, or fail the backup."""
    env = sched.env
    db = env.db
    backup = db.backups.get(backup_id)
    if backup is None:
        return
    vol = db.volumes.get(backup.volume_id)
    # host_manager.get_az: the zone the backup asked for (3.51), else the volume's.
    row = backup_host(sched, backup.availability_zone or (
        vol.availability_zone if vol is not None else None))
    if row is None:
        env.trace.emit("schedule", SCHED, f"cinder-scheduler finds no cinder-backup up for "
                       f"backup {backup_id[:8]}: {NOT_FOUND}", resource=f"backup:{backup_id}")
        snap = db.snapshots.get(backup.snapshot_id) if backup.snapshot_id else None
        if snap is not None and snap.status == SnapshotStatus.BACKING_UP:
            # Cinder leaves the snapshot backing-up here; cindersim returns it, as the
            # backup manager does when a backup of a snapshot fails.
            db.transition(snap, SnapshotStatus.AVAILABLE, op=Op.BACKUP_CREATE, actor=SCHED,
                          reason=NOT_FOUND)
        elif vol is not None and vol.status == VolumeStatus.BACKING_UP:
            db.transition(vol, vol.previous_status or VolumeStatus.AVAILABLE,
                          op=Op.BACKUP_CREATE, actor=SCHED, reason=NOT_FOUND)
        db.transition(backup, BackupStatus.ERROR, op=Op.BACKUP_CREATE, actor=SCHED,
                      reason=NOT_FOUND)
        backup.fail_reason = NOT_FOUND
        return
    backup.host = row.host
    if not backup.availability_zone:
        backup.availability_zone = row.availability_zone  # the backup manager's self.az
    env.trace.emit("schedule", SCHED, f"cinder-scheduler picks backup host {row.host} for "
                   f"backup {backup_id[:8]}", resource=f"backup:{backup_id}")
    env.bus.cast(SCHED, Target("cinder-backup", row.host), "create_backup",
                 backup_id=backup_id)
