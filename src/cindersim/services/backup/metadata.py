"""``BackupMetadataAPI`` (``cinder/backup/driver.py``): the volume's metadata a backup keeps.

A chunked backup saves, after its data objects, a JSON string that its
``_metadata`` object carries as ``volume_meta`` (``BackupDriver.get_metadata``):
``{"version": backup_metadata_version (2), "volume-base-metadata": {...},
"volume-metadata": {...}, "volume-glance-metadata": {...}}``, each part only
when the volume has some.  The base part is every JSON-serializable column of
the volume's row as it is then (status ``backing-up`` included).

A restore writes it back onto the target for each backup of the chain, full
backup first (``BackupDriver.put_metadata``), selectively:

* base: only ``display_name`` and ``display_description`` (and
  ``encryption_key_id`` in version 2).  The name and description are restored
  only when the backup has a name and the target's name is empty or still the
  ``restore_backup_<id>`` the API gave a volume it created for the restore;
* ``volume-metadata``: replaces the target's metadata
  (``volume_metadata_update(..., delete=True)``);
* ``volume-glance-metadata``: the target's glance metadata is deleted, the
  saved keys created, and the volume marked ``bootable``.

Any other version is ``BackupMetadataUnsupportedVersion``.  The saved
``encryption_key_id`` (the backed-up volume's key) is written back; cinder-backup's
housekeeping then gives the target its own clone of the backup's key
(``BackupService._rekey_restored``).  The type check of an encrypted restore
(``_restore_vol_encryption_meta``) is not modelled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from ...db import Database, Volume
from ...errors import BackupMetadataUnsupportedVersion, VolumeNotFound

__all__ = ["BACKUP_METADATA_VERSION", "BackupMetadataAPI"]

BACKUP_METADATA_VERSION: Final = 2
"""``backup_metadata_version``."""
TYPE_TAG_VOL_BASE_META: Final = "volume-base-metadata"
TYPE_TAG_VOL_META: Final = "volume-metadata"
TYPE_TAG_VOL_GLANCE_META: Final = "volume-glance-metadata"

_NOT_COLUMNS: Final = frozenset({"metadata", "admin_metadata", "glance_metadata",
                                 "encrypted"})
"""Volume record fields that are not columns of Cinder's ``volumes`` table: the three
metadata tables (saved apart, or not at all for admin metadata) and ``encrypted``,
which Cinder's view derives from ``encryption_key_id``."""

_BASE_FIELDS: Final[Mapping[int, tuple[str, ...]]] = {
    1: ("display_name", "display_description"),
    2: ("display_name", "display_description", "encryption_key_id"),
}
"""``_v1_restore_factory`` / ``_v2_restore_factory``: the base fields a restore writes."""


def _serializable(value: object) -> bool:
    """``_is_serializable``: a column json cannot encode is left out of the backup."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


@attrs.define
class BackupMetadataAPI:
    """Saves and restores a volume's metadata for the backup driver.

    Args:
        db: the database the metadata is read from and written to.
    """

    db: Database

    # --- save (get) ---------------------------------------------------------------------
    def get(self, volume_id: str) -> str:
        """``BackupMetadataAPI.get``: the JSON string the ``_metadata`` object keeps."""
        vol = self.db.volumes.get(volume_id)
        if vol is None:  # volume_get: the backup fails and its objects are removed
            raise VolumeNotFound(volume_id=volume_id)
        container: dict[str, Any] = {"version": BACKUP_METADATA_VERSION,
                                     TYPE_TAG_VOL_BASE_META: self._base(vol)}
        if vol.metadata:
            container[TYPE_TAG_VOL_META] = {
                k: v for k, v in vol.metadata.items() if _serializable(v)}
        if vol.glance_metadata:
            container[TYPE_TAG_VOL_GLANCE_META] = {
                k: v for k, v in vol.glance_metadata.items() if _serializable(v)}
        return json.dumps(container)

    @staticmethod
    def _base(vol: Volume) -> dict[str, Any]:
        """``_save_vol_base_meta``: the row's columns (enums as their values)."""
        out: dict[str, Any] = {}
        for field in attrs.fields(type(vol)):
            if field.name in _NOT_COLUMNS:
                continue
            value = getattr(vol, field.name)
            value = str(value) if isinstance(value, str) else value
            if _serializable(value):
                out[field.name] = value
        return out

    # --- restore (put) -------------------------------------------------------------------
    def put(self, volume_id: str, json_metadata: str) -> None:
        """``BackupMetadataAPI.put``: write each saved part back, as its version says.

        Raises:
            BackupMetadataUnsupportedVersion: a version other than 1 or 2.
        """
        container = json.loads(json_metadata)
        version = container.get("version")
        if version not in _BASE_FIELDS:
            raise BackupMetadataUnsupportedVersion(
                f"Unsupported backup metadata version ({version})")
        vol = self.db.volumes.get(volume_id)
        if vol is None:
            return
        parts: tuple[tuple[str, Callable[[Volume, dict[str, Any]], None]], ...] = (
            (TYPE_TAG_VOL_BASE_META,
             lambda v, m: _restore_base(v, m, _BASE_FIELDS[version])),
            (TYPE_TAG_VOL_META, _restore_volume_metadata),
            (TYPE_TAG_VOL_GLANCE_META, _restore_glance_metadata),
        )
        for tag, restore in parts:
            saved = container.get(tag)
            if isinstance(saved, dict):
                restore(vol, saved)


def _restore_base(vol: Volume, saved: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    """``_restore_vol_base_meta``: name and description, if the target may take them."""
    excludes: set[str] = set()
    if "display_name" in saved:
        name = vol.display_name or ""
        if not saved.get("display_name") or (name and not name.startswith("restore_backup_")):
            excludes.update(("display_name", "display_description"))
    for key in fields:
        if key in saved and key not in excludes and hasattr(vol, key):
            setattr(vol, key, saved[key])


def _restore_volume_metadata(vol: Volume, saved: Mapping[str, Any]) -> None:
    """``_restore_vol_meta``: ``volume_metadata_update(delete=True)`` replaces it all."""
    vol.metadata = {str(k): str(v) for k, v in saved.items()}


def _restore_glance_metadata(vol: Volume, saved: Mapping[str, Any]) -> None:
    """``_restore_vol_glance_meta``: delete, recreate each key, mark the volume bootable."""
    vol.glance_metadata = {str(k): str(v) for k, v in saved.items()}
    vol.bootable = True
