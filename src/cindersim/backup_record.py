"""A backup's exported record, as Cinder's ``objects.Backup`` encodes it
(``cinder/objects/backup.py`` ``encode_record`` / ``decode_record``): base64 of a JSON
object of the backup's fields plus the driver's ``driver_info``.  Shared by cinder-api
(``import_record`` reads it) and cinder-backup (``export_record`` writes it).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .db import Backup
from .errors import InvalidInput

__all__ = ["RECORD_FIELDS", "decode_record", "encode_record"]

RECORD_FIELDS: tuple[str, ...] = (
    "id", "user_id", "project_id", "volume_id", "host", "availability_zone", "container",
    "parent_id", "status", "fail_reason", "size", "display_name", "display_description",
    "service_metadata", "service", "object_count", "temp_volume_id", "temp_snapshot_id",
    "num_dependent_backups", "snapshot_id", "data_timestamp", "restore_volume_id",
    "metadata", "encryption_key_id", "created_at", "updated_at", "deleted_at", "deleted")
"""``objects.Backup.fields`` in order, as ``encode_record`` walks them (without
``parent`` and the lazy ``volume``/``snapshot`` objects)."""

def encode_record(backup: Backup, driver_info: dict[str, Any]) -> str:
    """``Backup.encode_record(driver_info=...)``: base64 of the JSON record."""
    record: dict[str, Any] = {"driver_info": driver_info}
    for name in RECORD_FIELDS:
        if name == "status":
            record[name] = str(backup.status)
        elif name in ("deleted",):
            record[name] = False
        elif name in ("deleted_at", "encryption_key_id"):
            record[name] = None
        elif name == "metadata":
            record[name] = dict(backup.metadata)
        else:
            record[name] = getattr(backup, name)
    return base64.b64encode(json.dumps(record).encode()).decode()


def decode_record(backup_url: str) -> dict[str, Any]:
    """``Backup.decode_record``: ``InvalidInput`` when it is no base64 JSON object."""
    try:
        raw = base64.b64decode(backup_url.encode())
    except (binascii.Error, ValueError):
        raise InvalidInput(reason="Can't parse backup record.") from None
    try:
        record = json.loads(raw.decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(reason="Can't parse backup record.") from None
    if not isinstance(record, dict):
        # jsonutils.loads gives a list or a number happily; the callers' "'id' in
        # record" then answers as for a record without an id.
        return {}
    return record
