"""cinder-backup's ``export_record`` and ``import_record`` (``cinder/backup/manager.py``).

* **export** (an RPC *call* from cinder-api): the backup must be ``available``
  and made by this backup driver (``_is_our_backup``: the backup's ``service`` is
  empty or a prefix of the driver's name); the answer is ``{"backup_service",
  "backup_url"}`` where ``backup_url`` is base64 of the JSON record
  ``Backup.encode_record`` writes: ``driver_info`` (the chunked drivers export
  none: ``{}``) then every field of the backup object, in the object's field
  order.
* **import** (a *cast*; the API already wrote the row ``creating``): a record for
  another backup service goes to the next backup host, and with none left the
  backup is ``error`` ("Import record failed, cannot find backup service ...").
  Otherwise the record is decoded, handed to the driver's ``import_record`` (the
  chunked drivers check nothing: Cinder does not look for the objects in the
  store, so a record whose objects are gone imports fine and fails at restore),
  checked for the required fields and for its id, and copied onto the row
  (``name``, ``user_id``, ``project_id``, ``deleted*``, ``fail_reason`` and
  ``status`` excepted; ``service``, ``availability_zone`` and ``host`` become this
  service's); the backup ends ``available``.  Any failure leaves it ``error``
  with the reason in ``fail_reason``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...backup_record import decode_record, encode_record
from ...db import Backup
from ...errors import InvalidBackup, InvalidInput
from ...states import BackupStatus, Op

if TYPE_CHECKING:
    from .manager import BackupService

__all__ = ["record_methods"]

DRIVER_NAME = "cinder.backup.drivers.swift.SwiftBackupDriver"
"""What ``backup.service`` records for backups this service makes (see manager.py)."""

_REQUIRED = ("display_name", "display_description", "container", "size",
             "service_metadata", "object_count", "id")
_NOT_COPIED = ("name", "user_id", "project_id", "deleted_at", "deleted", "fail_reason",
               "status")
_COPIED = frozenset(("volume_id", "container", "parent_id", "size", "display_name",
                     "display_description", "service_metadata", "object_count",
                     "temp_volume_id", "temp_snapshot_id", "num_dependent_backups",
                     "snapshot_id", "data_timestamp", "restore_volume_id", "metadata",
                     "created_at", "updated_at"))
"""The record's fields the simulator's backup row has (the rest are Cinder-only)."""


def _is_ours(service: str | None, ours: str = DRIVER_NAME) -> bool:
    return not service or ours.startswith(service)


def record_methods(svc: BackupService) -> dict[str, Callable[..., Awaitable[Any]]]:
    """The RPC methods of this module, bound to one backup service."""

    async def export_record(*, backup_id: str) -> dict[str, Any]:
        backup = svc.env.db.backups.get(backup_id)
        if backup is None:
            raise InvalidBackup(reason=f"Backup {backup_id} is gone.")
        if backup.status != BackupStatus.AVAILABLE:
            raise InvalidBackup(reason="Export backup aborted, expected backup status "
                                       f"available but got {backup.status}.")
        if not _is_ours(backup.service, svc.driver_name):
            raise InvalidBackup(reason="Export record aborted, the backup service currently "
                                       f"configured [{svc.driver_name}] is not the backup "
                                       "service that was used to create this backup "
                                       f"[{backup.service}].")
        svc.env.trace.emit("driver", svc.actor, "backup driver.export_record",
                           target="backup-driver", resource=f"backup:{backup.id}",
                           call="export_record")
        return {"backup_service": backup.service,
                "backup_url": encode_record(backup, driver_info={})}

    async def import_record(*, backup_id: str, backup_service: str, backup_url: str,
                            backup_hosts: list[str]) -> None:
        db = svc.env.db
        backup = db.backups.get(backup_id)
        if backup is None:
            return
        if not _is_ours(backup_service, svc.driver_name):
            if backup_hosts:
                from ...bus import Target  # noqa: PLC0415

                hosts = list(backup_hosts)
                svc.env.bus.cast(svc.actor, Target("cinder-backup", hosts.pop()),
                                 "import_record", backup_id=backup_id,
                                 backup_service=backup_service, backup_url=backup_url,
                                 backup_hosts=hosts)
                return
            _fail(svc, backup, "Import record failed, cannot find backup service to "
                               f"perform the import. Request service {backup_service}.")
            return
        try:
            options = decode_record(backup_url)
        except InvalidInput as exc:
            _fail(svc, backup, exc.msg)
            return
        options.pop("driver_info", None)
        svc.env.trace.emit("driver", svc.actor, "backup driver.import_record",
                           target="backup-driver", resource=f"backup:{backup.id}",
                           call="import_record")
        missing = [k for k in _REQUIRED if k not in options]
        if missing:
            _fail(svc, backup, "Driver successfully decoded imported backup data, but there "
                               f"are missing fields ({', '.join(missing)}).")
            return
        if options["id"] != backup.id:
            _fail(svc, backup, f"Trying to import backup metadata from id {options['id']} "
                               f"into backup {backup.id}.")
            return
        for key in _NOT_COPIED:
            options.pop(key, None)
        copied = {k: v for k, v in options.items() if k in _COPIED}
        bad = next((k for k, v in copied.items() if not _fits(k, v)), None)
        if bad is not None:
            # The versioned object refuses the value (Cinder then leaves the row
            # 'creating' with an error in its log); the simulator says why instead.
            _fail(svc, backup, f"Field {bad} of the imported record is invalid: "
                               f"{copied[bad]!r}")
            return
        volume_id = copied.pop("volume_id", backup.volume_id)
        for key, value in copied.items():
            setattr(backup, key, dict(value) if key == "metadata" else value)
        if volume_id != backup.volume_id:
            _move_to_volume(svc, backup, volume_id)
        backup.service = svc.driver_name
        backup.availability_zone = svc.availability_zone
        backup.host = svc.host
        db.transition(backup, BackupStatus.AVAILABLE, op=Op.BACKUP_IMPORT, actor=svc.actor)

    return {"export_record": export_record, "import_record": import_record}


_INT_FIELDS = frozenset(("size", "object_count", "num_dependent_backups"))


def _fits(key: str, value: Any) -> bool:
    """Whether *value* is what the backup row's field holds."""
    if key in _INT_FIELDS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if key == "metadata":
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in value.items())
    if key == "volume_id":
        return isinstance(value, str)
    return value is None or isinstance(value, str)


def _move_to_volume(svc: BackupService, backup: Backup, volume_id: str) -> None:
    """The record names the backup's real volume: the row (written with the
    import placeholder ``00000000-...``) takes it, and the database's per-volume
    index of backups follows, in table order."""
    db = svc.env.db
    index = db._backups_by_volume  # the one place a backup row changes volume
    db._unindex(index, backup.id, backup.volume_id)
    backup.volume_id = volume_id
    index[volume_id] = {b.id: b for b in db.backups.values() if b.volume_id == volume_id}


def _fail(svc: BackupService, backup: Backup, reason: str) -> None:
    """``volume_utils.update_backup_error``."""
    backup.fail_reason = reason
    svc.env.db.transition(backup, BackupStatus.ERROR, op=Op.BACKUP_IMPORT, actor=svc.actor,
                          reason=reason)
