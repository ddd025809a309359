"""Manage/unmanage for the FC array driver, as vendors' FC drivers do it by name.

Cinder's FC drivers (``FibreChannelDriver`` is a ``VolumeDriver``, so a
``ManageableVD``) bring a LUN under Cinder by its name on the array
(``{"source-name": <LUN name>}``) and rename it ``volume-<id>``; the size is the
LUN's, in GiB.  As arrays do (Pure's ``_validate_manage_existing_ref``, for one),
a LUN mapped to a host is refused ("in use"), and a LUN named like a live
Cinder volume is "already managed".  Snapshots the same way: an array snapshot
by name, renamed ``snapshot-<id>``.  Unmanage leaves the LUN on the array.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..blocks import BLOCK_SIZE, GiB
from .lvm import ManageExistingAlreadyManaged, ManageExistingInvalidReference, _id_from_name

if TYPE_CHECKING:
    from .fc_array import FcArrayDriver
    from .lvm import SnapshotLike, VolumeLike

__all__ = ["get_manageable", "manage_existing", "manage_existing_object_get_size",
           "manage_existing_snapshot"]


def _source(existing_ref: Mapping[str, Any]) -> str:
    if "source-name" not in existing_ref:
        raise ManageExistingInvalidReference(
            existing_ref=dict(existing_ref), reason="Reference must contain source-name element.")
    return str(existing_ref["source-name"])


def _in_use(driver: FcArrayDriver, lun_name: str) -> str | None:
    """The host the LUN is mapped to, if any."""
    return next((h.name for h in driver.array.hosts.values() if lun_name in h.luns), None)


def manage_existing_object_get_size(driver: FcArrayDriver, existing_ref: Mapping[str, Any],
                                    object_type: str) -> int:
    name = _source(existing_ref)
    driver._call("get", f"get {object_type} {name}")
    if object_type == "volume":
        lun = driver.array.luns.get(name)
        if lun is None:
            raise ManageExistingInvalidReference(existing_ref=name,
                                                 reason="Specified LUN does not exist.")
        host = _in_use(driver, name)
        if host is not None:
            raise ManageExistingInvalidReference(existing_ref=name,
                                                 reason=f"LUN is mapped to host {host}.")
        return lun.size_gb
    snap = driver.array.snapshots.get(name)
    if snap is None:
        raise ManageExistingInvalidReference(existing_ref=name,
                                             reason="Specified snapshot does not exist.")
    return math.ceil(snap.size_blocks * BLOCK_SIZE / GiB)


def manage_existing(driver: FcArrayDriver, volume: VolumeLike, existing_ref: Mapping[str, Any],
                    *, already_managed: Callable[[str], bool]) -> None:
    """Rename the LUN ``volume-<id>`` on the array."""
    name = _source(existing_ref)
    vol_id = _id_from_name(driver.config.volume_name_template, name)
    if vol_id is not None and already_managed(vol_id):
        raise ManageExistingAlreadyManaged(volume_ref=name)
    manage_existing_object_get_size(driver, existing_ref, "volume")  # still there, unmapped
    rename_lun(driver, name, driver.volume_name(volume.id), volume_id=volume.id)


def rename_lun(driver: FcArrayDriver, old: str, new: str, *, volume_id: str) -> None:
    array = driver.array
    if old == new:
        return
    driver._call("rename", f"rename LUN {old} to {new}", volume_id=volume_id)
    lun = array.luns.pop(old)
    lun.name = new
    array.luns[new] = lun
    for snap, source in list(array.snapshot_sources.items()):
        if source == old:
            array.snapshot_sources[snap] = new


def manage_existing_snapshot(driver: FcArrayDriver, snapshot: SnapshotLike,
                             existing_ref: Mapping[str, Any] | str, *,
                             already_managed: Callable[[str], bool]) -> None:
    """Rename the array snapshot ``snapshot-<id>``."""
    ref = existing_ref if isinstance(existing_ref, Mapping) else {"source-name": existing_ref}
    name = _source(ref)
    manage_existing_object_get_size(driver, ref, "snapshot")
    new = driver._snap_name(snapshot.id)
    if name == new:
        return
    array = driver.array
    driver._call("rename", f"rename snapshot {name} to {new}", volume_id=snapshot.volume_id)
    array.snapshots[new] = array.snapshots.pop(name)
    source = array.snapshot_sources.pop(name, None)
    if source is not None:
        array.snapshot_sources[new] = source


def get_manageable(driver: FcArrayDriver, cinder_ids: Sequence[str],
                   resource_type: str) -> list[dict[str, Any]]:
    """One entry per LUN (or array snapshot), as ``get_manageable_volumes`` lists them."""
    array = driver.array
    driver._call("list", f"list {resource_type}s")
    entries: list[dict[str, Any]] = []
    if resource_type == "volume":
        for lun in array.luns.values():
            vid = _id_from_name(driver.config.volume_name_template, lun.name)
            info: dict[str, Any] = {"reference": {"source-name": lun.name},
                                    "size": lun.size_gb, "cinder_id": None,
                                    "extra_info": None}
            if vid is not None and vid in cinder_ids:
                info.update(cinder_id=vid, safe_to_manage=False,
                            reason_not_safe="already managed")
            elif _in_use(driver, lun.name) is not None:
                info.update(safe_to_manage=False, reason_not_safe="volume in use")
            else:
                info.update(safe_to_manage=True, reason_not_safe=None)
            entries.append(info)
        return entries
    for name, data in array.snapshots.items():
        sid = _id_from_name("snapshot-%s", name)
        info = {"reference": {"source-name": name},
                "size": math.ceil(data.size_blocks * BLOCK_SIZE / GiB), "cinder_id": None,
                "extra_info": None,
                "source_reference": {"source-name": array.snapshot_sources.get(name)}}
        if sid is not None and sid in cinder_ids:
            info.update(cinder_id=sid, safe_to_manage=False, reason_not_safe="already managed")
        else:
            info.update(safe_to_manage=True, reason_not_safe=None)
        entries.append(info)
    return entries
