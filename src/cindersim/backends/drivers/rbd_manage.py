"""Manage/unmanage for the RBD driver (``RBDDriver.manage_existing*``,
``get_manageable_*``, ``update_migrated_volume`` in ``cinder/volume/drivers/rbd.py``).

* an image is managed by renaming it ``volume-<id>`` (its size rounded up to GiB);
* a snapshot by renaming it ``snapshot-<id>`` and protecting it if it is not;
* ``get_manageable_volumes`` lists every image of the pool: Cinder's own are
  "already managed", one with watchers "volume in use", a ``.deleted`` one
  "volume marked as deleted";
* ``get_manageable_snapshots`` lists every snapshot: clone snaps and backup
  snaps are not safe to manage.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ... import errors
from ..blocks import GiB
from ..ceph import ImageExists, ImageNotFound, librbd
from .lvm import ManageExistingAlreadyManaged, ManageExistingInvalidReference, _id_from_name

if TYPE_CHECKING:
    from .lvm import SnapshotLike, VolumeLike
    from .rbd import RBDDriver

__all__ = ["get_manageable", "manage_existing", "manage_existing_object_get_size",
           "manage_existing_snapshot", "update_migrated_volume"]


def _source(existing_ref: Mapping[str, Any]) -> str:
    if "source-name" not in existing_ref:
        raise ManageExistingInvalidReference(
            existing_ref=dict(existing_ref), reason="Reference must contain source-name element.")
    return str(existing_ref["source-name"])


def manage_existing_object_get_size(driver: RBDDriver, existing_ref: Mapping[str, Any],
                                    object_type: str) -> int:
    """The image's (or snapshot's) size in GiB, rounded up.

    The snapshot's image is ``snapshot.volume_name`` in Cinder; the manager's call
    does not carry the snapshot, so the pool's images are searched for the name.
    """
    name = _source(existing_ref)
    pool = driver._client(f"manage {name}")
    if object_type == "volume":
        img = pool.images.get(name)
        if img is None:
            raise ManageExistingInvalidReference(
                existing_ref=name, reason="Specified RBD image does not exist.")
        return math.ceil(img.size_bytes / GiB)
    for img in pool.images.values():
        snap = img.snapshot(name)
        if snap is not None:
            return math.ceil(snap.size_bytes / GiB)
    raise ManageExistingInvalidReference(existing_ref=name,
                                         reason="Specified snapshot does not exist.")


def manage_existing(driver: RBDDriver, volume: VolumeLike, existing_ref: Mapping[str, Any], *,
                    already_managed: Callable[[str], bool]) -> None:
    """``rename(<source-name>, volume-<id>)``."""
    name = _source(existing_ref)
    vol_id = _id_from_name(driver.config.volume_name_template, name)
    if vol_id is not None and already_managed(vol_id):
        raise ManageExistingAlreadyManaged(volume_ref=name)
    pool = driver._client(f"manage {name}")
    try:
        librbd.rename(driver.meter, pool, name, driver.volume_name(volume.id))
    except (ImageNotFound, ImageExists) as exc:
        raise errors.VolumeBackendAPIException(data=str(exc)) from exc


def manage_existing_snapshot(driver: RBDDriver, snapshot: SnapshotLike,
                             existing_ref: Mapping[str, Any] | str, *,
                             already_managed: Callable[[str], bool]) -> None:
    """``rename_snap`` on the snapshot's volume, then protect it if it is not."""
    ref = existing_ref if isinstance(existing_ref, Mapping) else {"source-name": existing_ref}
    name = _source(ref)
    pool = driver._client(f"manage snapshot {name}")
    img = pool.image(driver.volume_name(snapshot.volume_id))
    snap = img.snapshot(name)
    if snap is None:
        raise ManageExistingInvalidReference(existing_ref=name,
                                             reason="Specified snapshot does not exist.")
    snap.name = driver.snapshot_name(snapshot.id)
    driver.meter.charge("rbd", "rbd snap rename", pool.cluster.costs.rename,
                        f"rbd snap rename {pool.name}/{img.name}@{name} {snap.name}",
                        image=img.name, snap=snap.name)
    if not snap.protected:
        librbd.protect_snap(driver.meter, img, snap.name)


def get_manageable(driver: RBDDriver, cinder_ids: Sequence[str],
                   resource_type: str) -> list[dict[str, Any]]:
    pool = driver._client(f"list {resource_type}s")
    entries: list[dict[str, Any]] = []
    for img in pool.images.values():
        if resource_type == "volume":
            vid = _id_from_name(driver.config.volume_name_template, img.name)
            info: dict[str, Any] = {"reference": {"source-name": img.name},
                                    "size": math.ceil(img.size_bytes / GiB),
                                    "cinder_id": None, "extra_info": None}
            if vid is not None and vid in cinder_ids:
                info.update(cinder_id=vid, safe_to_manage=False,
                            reason_not_safe="already managed")
            elif img.watchers:
                info.update(safe_to_manage=False, reason_not_safe="volume in use")
            elif img.name.endswith(".deleted"):
                info.update(safe_to_manage=False, reason_not_safe="volume marked as deleted")
            else:
                info.update(safe_to_manage=True, reason_not_safe=None)
            entries.append(info)
            continue
        for snap in img.snapshots:
            sid = _id_from_name(driver.config.snapshot_name_template, snap.name)
            info = {"reference": {"source-name": snap.name},
                    "size": math.ceil(snap.size_bytes / GiB), "cinder_id": None,
                    "extra_info": None, "safe_to_manage": False, "reason_not_safe": None,
                    "source_reference": {"source-name": img.name}}
            if sid is not None and sid in cinder_ids:
                info.update(reason_not_safe="already managed", cinder_id=sid)
            elif snap.name.endswith(".clone_snap"):
                info["reason_not_safe"] = "used for clone snap"
            elif snap.name.startswith("backup") and ".snap." in snap.name:
                info["reason_not_safe"] = "used for volume backup"
            else:
                info["safe_to_manage"] = True
            entries.append(info)
    return entries


def update_migrated_volume(driver: RBDDriver, volume_id: str, new_volume_id: str) -> None:
    """Rename ``volume-<new id>`` back to ``volume-<id>`` (a failure keeps ``_name_id``;
    the simulator only logs it, as for LVM)."""
    pool = driver._client("update_migrated_volume")
    try:
        librbd.rename(driver.meter, pool, driver.volume_name(new_volume_id),
                      driver.volume_name(volume_id))
    except (ImageNotFound, ImageExists):
        driver.meter.charge("rbd", "rbd rename", 0.0, f"could not rename volume-{new_volume_id} "
                            f"to volume-{volume_id}")
