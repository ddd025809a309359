"""The entry guards of cinder-backup's RPC methods (see :mod:`..idempotency`).

Cinder's backup manager checks, before it does anything, that the backup is in
the status its API (or the scheduler) left it in for this request: ``creating``
for a create, ``restoring`` (and the volume ``restoring-backup``, or
``creating`` when the volume is made from the backup) for a restore,
``deleting`` for a delete.  Real Cinder marks the backup ``error`` when that
check fails; a copy delivered twice must not spoil a good backup, so here the
copy is simply not acted on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...states import BackupStatus, VolumeStatus
from ..idempotency import Args, Entry, EntryGuards, Refusal, status_is

if TYPE_CHECKING:
    from .manager import BackupService

__all__ = ["backup_guards"]


def backup_guards(svc: BackupService) -> EntryGuards:
    db = svc.env.db

    def backup(*allowed: str):  # type: ignore[no-untyped-def]
        return lambda a: status_is(db.backups.get(a["backup_id"]), *allowed)

    def restore(a: Args) -> Refusal | None:
        refusal = status_is(db.backups.get(a["backup_id"]), BackupStatus.RESTORING)
        return refusal or status_is(db.volumes.get(a["volume_id"]),
                                    VolumeStatus.RESTORING_BACKUP, VolumeStatus.CREATING)

    def by_backup(a: Args) -> tuple[str]:
        return (a["backup_id"],)

    table = {
        "create_backup": Entry(by_backup, backup(BackupStatus.CREATING)),
        "restore_backup": Entry(by_backup, restore),
        "delete_backup": Entry(by_backup, backup(BackupStatus.DELETING)),
        "continue_backup": Entry(by_backup, backup(BackupStatus.CREATING)),
        "import_record": Entry(by_backup, backup(BackupStatus.CREATING)),
    }
    return EntryGuards(svc.env, svc.actor, table)
