"""cinder-volume's manage and unmanage flows (``cinder/volume/flows/manager/
manage_existing.py``, ``manage_existing_snapshot.py`` and ``VolumeManager``'s
``delete_volume``/``delete_snapshot`` with ``unmanage_only``,
``get_manageable_volumes``/``get_manageable_snapshots``).

Manage a volume: the API wrote the row ``managing`` with size 0.  The driver
measures the LV (``manage_existing_get_size``: GiB rounded up; no
``source-name`` or no such LV is ``ManageExistingInvalidReference``), the
manager reserves ``volumes`` +1 and ``gigabytes`` +size (and the type's keys),
the driver renames the LV to ``volume-<id>`` (``lvrename``), the reservation is
committed and the volume becomes ``available``.  Any failure before the commit
leaves ``error_managing`` (shown as ``error``) and rolls back what was reserved.

Manage a snapshot: the API wrote the row ``creating`` and committed
``snapshots`` +1, ``gigabytes`` +volume size.  The manager measures the LV,
reserves the difference of ``gigabytes`` between that and the volume size,
renames the LV to ``_snapshot-<id>`` and makes it ``available`` (progress
100%).  A failure leaves ``error``.

Unmanage: like a delete, except that the driver's ``unmanage`` (a no-op for
LVM) replaces ``delete_volume``, so the LV stays in the volume group for a
later manage.  The quota is given back and the row goes.  A failure leaves
``error_unmanaging`` (snapshot: ``error_deleting``).

A driver without these methods: Cinder's ``NfsDriver`` (a ``RemoteFSDriver``,
so a ``BaseVD``, not a ``VolumeDriver``; only the removed SMBFS driver took
``RemoteFSManageableVolumesMixin``) has no ``manage_existing_get_size``,
``get_manageable_volumes``/``_snapshots``, ``manage_existing_snapshot_get_size``
or ``unmanage_snapshot``, and BaseVD's ``unmanage`` raises NotImplementedError.
So, as Cinder does: the listing is empty (the manager catches AttributeError
and returns ``[]``), a manage request is accepted (202) and the volume ends
``error_managing`` (the snapshot ``error``), an unmanage ends
``error_unmanaging`` (the snapshot ``error_deleting``).  Never a 500.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ...errors import CinderException, InvalidInput, OverQuota
from ...states import Op, SnapshotStatus, VolumeStatus
from .snapshots import release_snapshot_quota

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["METHODS", "DriverMethodMissing", "paginate_entries"]


class DriverMethodMissing(CinderException):
    """The ``AttributeError`` (or BaseVD's ``NotImplementedError``) a driver without the
    method raises; the manager's flow catches it like any driver failure."""

    message = "'%(driver)s' object has no attribute '%(method)s'"


def _method(svc: VolumeService, name: str, cinder_name: str) -> Callable[..., Any]:
    """The driver's *name* method, or one raising what Cinder's call of *cinder_name*
    raises on a driver that lacks it."""
    fn: Callable[..., Any] | None = getattr(svc.driver, name, None)
    if fn is not None:
        return fn
    driver = type(svc.driver).__name__

    def missing(*_args: Any, **_kwargs: Any) -> Any:
        if cinder_name == "unmanage":  # BaseVD.unmanage
            raise DriverMethodMissing("Unmanage volume not implemented.")
        raise DriverMethodMissing(driver=driver, method=cinder_name)
    return missing


def _already_managed(svc: VolumeService, volume_id: str) -> bool:
    """``check_already_managed_volume``: a live volume row has this id."""
    return volume_id in svc.env.db.volumes


def _type_name(svc: VolumeService, volume_type_id: str | None) -> str | None:
    vtype = svc.env.db.volume_types.get(volume_type_id or "")
    return vtype.name if vtype is not None else None


async def manage_existing(svc: VolumeService, *, volume_id: str,
                          ref: Mapping[str, Any]) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    reservations: list[str] = []
    try:
        size = await svc.drive("manage_existing_get_size",
                               _method(svc, "manage_existing_object_get_size",
                                       "manage_existing_get_size"), ref, "volume",
                               resource=f"volume:{vol.id}")
        try:
            reservations = env.quota.reserve(vol.project_id, env.quota.volume_deltas(
                size, _type_name(svc, vol.volume_type_id)))
        except OverQuota as exc:
            raise CinderException(f"Quota exceeded for {', '.join(exc.overs)}") from exc
        await svc.drive("manage_existing", _method(svc, "manage_existing", "manage_existing"),
                        vol, ref,
                        already_managed=functools.partial(_already_managed, svc),
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        if reservations:
            env.quota.rollback(reservations)
        if vol.id in db.volumes and vol.status == VolumeStatus.MANAGING:
            db.transition(vol, VolumeStatus.ERROR_MANAGING, op=Op.MANAGE, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    env.quota.commit(reservations)
    if vol.id not in db.volumes:
        return
    vol.size = size
    vol.launched_at = db.stamp()
    svc.allocated_capacity_gb += size
    db.transition(vol, VolumeStatus.AVAILABLE, op=Op.MANAGE, actor=svc.actor,
                  reason=f"managed {ref.get('source-name')} ({size}G)")


async def manage_existing_snapshot(svc: VolumeService, *, snapshot_id: str,
                                   ref: Mapping[str, Any] | str) -> None:
    env = svc.env
    db = env.db
    snap = db.snapshots.get(snapshot_id)
    if snap is None:
        return
    as_dict = ref if isinstance(ref, Mapping) else {"source-name": ref}
    reservations: list[str] = []
    try:
        size = await svc.drive("manage_existing_snapshot_get_size",
                               _method(svc, "manage_existing_object_get_size",
                                       "manage_existing_snapshot_get_size"), as_dict,
                               "snapshot",
                               resource=f"snapshot:{snap.id}")
        delta = size - snap.volume_size
        if delta:
            try:
                reservations = env.quota.reserve(snap.project_id, {"gigabytes": delta})
            except OverQuota as exc:
                raise CinderException(f"Quota exceeded for {', '.join(exc.overs)}") from exc
        await svc.drive("manage_existing_snapshot",
                        _method(svc, "manage_existing_snapshot", "manage_existing_snapshot"),
                        snap, as_dict,
                        already_managed=functools.partial(_already_managed, svc),
                        resource=f"snapshot:{snap.id}")
    except CinderException as exc:
        if reservations:
            env.quota.rollback(reservations)
        if snap.id in db.snapshots and snap.status == SnapshotStatus.CREATING:
            db.transition(snap, SnapshotStatus.ERROR, op=Op.MANAGE, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    if reservations:
        env.quota.commit(reservations)
    if snap.id not in db.snapshots:
        return
    snap.volume_size = size
    snap.progress = "100%"
    db.transition(snap, SnapshotStatus.AVAILABLE, op=Op.MANAGE, actor=svc.actor,
                  reason=f"managed {as_dict.get('source-name')}")


async def unmanage_volume(svc: VolumeService, *, volume_id: str) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    try:
        await svc.drive("remove_export", svc.driver.remove_export, vol,
                        resource=f"volume:{vol.id}")
        await svc.drive("unmanage", _method(svc, "unmanage", "unmanage"), vol,
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        if vol.id in db.volumes:
            db.transition(vol, VolumeStatus.ERROR_UNMANAGING, op=Op.UNMANAGE,
                          actor=svc.actor, reason=f"{type(exc).__name__}: {exc}")
        return
    if vol.id not in db.volumes:
        return
    if vol.launched_at is not None:
        svc.allocated_capacity_gb = max(0, svc.allocated_capacity_gb - vol.size)
    env.quota.release_volume(vol.project_id, vol.size, vol.volume_type_id, vol.use_quota)
    vol.terminated_at = db.stamp()
    db.remove(vol, op=Op.UNMANAGE, actor=svc.actor, reason="unmanaged: the LV stays")


async def unmanage_snapshot(svc: VolumeService, *, snapshot_id: str) -> None:
    db = svc.env.db
    snap = db.snapshots.get(snapshot_id)
    if snap is None:
        return
    try:
        await svc.drive("unmanage_snapshot",
                        _method(svc, "unmanage_snapshot", "unmanage_snapshot"), snap,
                        resource=f"snapshot:{snap.id}")
    except CinderException as exc:
        if snap.id in db.snapshots:
            db.transition(snap, SnapshotStatus.ERROR_DELETING, op=Op.UNMANAGE,
                          actor=svc.actor, reason=f"{type(exc).__name__}: {exc}")
        return
    if snap.id not in db.snapshots:
        return
    if snap.use_quota:
        release_snapshot_quota(svc, snap.project_id, snap.volume_size, snap.volume_type_id)
    db.remove(snap, op=Op.UNMANAGE, actor=svc.actor, reason="unmanaged: the LV stays")


def paginate_entries(entries: list[dict[str, Any]], marker: str | None, limit: int,
                     offset: int, sort_keys: list[str],
                     sort_dirs: list[str]) -> list[dict[str, Any]]:
    """``volume_utils.paginate_entries_list``: sort (a dict value compares by its
    smallest value), start after the entry whose ``reference`` is the JSON
    *marker*, then skip *offset* and take *limit*."""

    def value(entry: dict[str, Any], key: str) -> Any:
        v = entry[key]
        return sorted(v.values())[0] if isinstance(v, dict) else v

    def compare(left: dict[str, Any], right: dict[str, Any]) -> int:
        for key, direction in zip(sort_keys, sort_dirs, strict=False):
            lv, rv = value(left, key), value(right, key)
            if lv == rv:
                continue
            if direction == "asc":
                return -1 if lv < rv else 1
            return -1 if lv > rv else 1
        return 0

    ordered = sorted(entries, key=functools.cmp_to_key(compare))
    start = 0
    if marker:
        try:
            wanted = json.loads(marker)
        except ValueError:
            raise InvalidInput(reason=f"marker {marker} can not be analysed, please use "
                                      "json like format") from None
        start = -1
        for i, entry in enumerate(ordered):
            if entry["reference"] == wanted:
                start = i + 1
                break
        if start < 0:
            raise InvalidInput(reason=f"marker not found: {marker}")
    return ordered[start + offset:start + limit + offset]


async def get_manageable_volumes(svc: VolumeService, *, marker: str | None, limit: int,
                                 offset: int, sort_keys: list[str],
                                 sort_dirs: list[str]) -> list[dict[str, Any]]:
    """RPC ``call``: this backend's LVs that are volumes, with Cinder's ids marked."""
    mine = [v.id for v in svc.env.db.volumes.values()
            if v.host is not None and v.host.split("#")[0] == svc.host]
    if getattr(svc.driver, "get_manageable", None) is None:
        return []  # the manager's `except AttributeError: return []`
    entries = await svc.drive("get_manageable_volumes", svc.driver.get_manageable, mine,
                              "volume")
    return paginate_entries(entries, marker, limit, offset, sort_keys, sort_dirs)


async def get_manageable_snapshots(svc: VolumeService, *, marker: str | None, limit: int,
                                   offset: int, sort_keys: list[str],
                                   sort_dirs: list[str]) -> list[dict[str, Any]]:
    db = svc.env.db
    mine = [s.id for s in db.snapshots.values()
            if (v := db.volumes.get(s.volume_id)) is not None and v.host is not None
            and v.host.split("#")[0] == svc.host]
    if getattr(svc.driver, "get_manageable", None) is None:
        return []
    entries = await svc.drive("get_manageable_snapshots", svc.driver.get_manageable, mine,
                              "snapshot")
    return paginate_entries(entries, marker, limit, offset, sort_keys, sort_dirs)


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "manage_existing": manage_existing,
    "manage_existing_snapshot": manage_existing_snapshot,
    "unmanage_volume": unmanage_volume,
    "unmanage_snapshot": unmanage_snapshot,
    "get_manageable_volumes": get_manageable_volumes,
    "get_manageable_snapshots": get_manageable_snapshots,
}
