"""cinder-volume's group methods with the LVM driver (``VolumeManager.create_group``,
``update_group``, ``delete_group``, ``create_group_snapshot``,
``delete_group_snapshot``, ``create_group_from_src``).

The LVM driver implements none of the group driver calls: each raises
NotImplementedError and the manager takes its *generic* fallback, which works one
volume or snapshot at a time with the ordinary driver calls.  So a group snapshot
is N independent LVM snapshots taken one after another (not crash-consistent across
volumes, whatever ``consistent_group_snapshot_enabled`` says: only drivers with
their own ``create_group_snapshot`` honour it).

* create_group: nothing on the backend; ``available`` (``created_at`` is rewritten).
* update_group: the membership is written (``group_id``); nothing on the backend.
* delete_group: remove export and LV of each member; a failure marks that volume
  ``error`` and the group ``error``.  Success gives back ``groups`` -1 and each
  volume's quota and destroys the rows.
* create_group_snapshot: one driver snapshot per member; a failure marks that
  snapshot and the group snapshot ``error``.
* delete_group_snapshot: one driver delete per member; success gives back each
  snapshot's quota and destroys them and the group snapshot.
* create_group_from_src: one clone or create-from-snapshot per new member.  A
  member the driver fails is marked ``error`` and then, as in Cinder, written
  ``available`` with every other member (the generic path reports per-volume
  failures without raising, and the final pass overwrites them): the group ends
  ``available`` with a member that has no LV.

Groups of ``default_cgsnapshot_type`` (consistency groups) do not take the generic
path: the manager calls the driver's consistency-group methods instead, which the
LVM driver leaves to ``VolumeDriver``'s ``NotImplementedError``.  So on LVM, as on a
real LVM cloud (where the gate skips the CG tests): create, update, delete and
create-from-source put the group (and the volumes they touch) in ``error``; a
cgsnapshot create or delete raises outside the manager's ``except CinderException``
and leaves the group snapshot ``creating``/``deleting``.

Where Cinder writes status ``deleted`` on rows it then leaves in the table (a
member deleted by a group delete that failed on another member), the simulator
destroys the row and gives its quota back: its machines have no ``deleted``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...db import Snapshot, Volume
from ...db_groups import DEFAULT_CGSNAPSHOT_TYPE, GroupSnapshot
from ...errors import CinderException, VolumeIsBusy
from ...group_states import GroupSnapshotStatus, GroupStatus
from ...states import Op, SnapshotStatus, VolumeStatus
from .snapshots import release_snapshot_quota

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["METHODS"]

VALID_ADD = ("available", "in-use")
VALID_REMOVE = ("available", "in-use", "error", "error_deleting")


def _members(svc: VolumeService, group_id: str) -> list[Volume]:
    return [v for v in svc.env.db.volumes.values() if v.group_id == group_id]


def _snapshots(svc: VolumeService, gsnap_id: str) -> list[Snapshot]:
    return [s for s in svc.env.db.snapshots.values() if s.group_snapshot_id == gsnap_id]


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _is_cg(svc: VolumeService, group_type_id: str) -> bool:
    """``group_types.is_default_cgsnapshot_type``."""
    gtype = svc.env.db.group_types.get(group_type_id)
    return gtype is not None and gtype.name == DEFAULT_CGSNAPSHOT_TYPE


def _not_implemented(call: str) -> None:
    raise NotImplementedError(call)


async def _cg_call(svc: VolumeService, call: str, resource: str) -> str:
    """One of ``VolumeDriver``'s consistency-group methods: NotImplementedError on LVM."""
    try:
        await svc.drive(call, _not_implemented, call, resource=resource)
    except NotImplementedError as exc:
        return f"NotImplementedError: the LVM driver has no {exc}"
    return ""  # pragma: no cover - the LVM driver never implements them


async def _cgsnapshot_refused(svc: VolumeService, gsnap: GroupSnapshot, call: str) -> bool:
    """A CG snapshot's driver call fails with NotImplementedError on LVM: not a
    CinderException, so the manager writes nothing and the group snapshot stays put."""
    if not _is_cg(svc, gsnap.group_type_id):
        return False
    why = await _cg_call(svc, call, f"group_snapshot:{gsnap.id}")
    svc.env.trace.emit("group.error", svc.actor, f"cgsnapshot {gsnap.id[:8]}: {why}",
                       resource=f"group_snapshot:{gsnap.id}")
    return True


async def create_group(svc: VolumeService, *, group_id: str) -> None:
    db = svc.env.db
    group = db.groups.get(group_id)
    if group is None or group.status != GroupStatus.CREATING:
        return  # deleted or reset meanwhile
    if _is_cg(svc, group.group_type_id):
        why = await _cg_call(svc, "create_consistencygroup", f"group:{group.id}")
        db.transition(group, GroupStatus.ERROR, op=Op.GROUP_CREATE, actor=svc.actor, reason=why)
        return
    group.created_at = db.stamp()
    db.transition(group, GroupStatus.AVAILABLE, op=Op.GROUP_CREATE, actor=svc.actor,
                  reason="generic group: nothing to do on the backend")


async def update_group(svc: VolumeService, *, group_id: str, add_volumes: str,
                       remove_volumes: str) -> None:
    db = svc.env.db
    group = db.groups.get(group_id)
    if group is None:
        return
    adds = [db.volumes[v] for v in add_volumes.split(",") if v in db.volumes]
    removes = [db.volumes[v] for v in remove_volumes.split(",") if v in db.volumes]
    # _collect_volumes_for_group raises InvalidVolume before its try: the group is
    # then left 'updating', as in Cinder.
    if any(v.status not in VALID_ADD for v in adds) or \
            any(v.status not in VALID_REMOVE for v in removes):
        svc.env.trace.emit("group.error", svc.actor, f"group {group.id[:8]}: a volume "
                           "changed status before the update ran", resource=f"group:{group.id}")
        return
    if _is_cg(svc, group.group_type_id):
        why = await _cg_call(svc, "update_consistencygroup", f"group:{group.id}")
        db.transition(group, GroupStatus.ERROR, op=Op.GROUP_UPDATE, actor=svc.actor, reason=why)
        for vol in [*adds, *removes]:
            db.transition(vol, VolumeStatus.ERROR, op=Op.GROUP_UPDATE, actor=svc.actor,
                          reason=why)
        return
    for vol in adds:
        vol.group_id = group.id
    for vol in removes:
        vol.group_id = None
    db.transition(group, GroupStatus.AVAILABLE, op=Op.GROUP_UPDATE, actor=svc.actor,
                  reason=f"+{len(adds)} -{len(removes)} volumes")


async def delete_group(svc: VolumeService, *, group_id: str, op: str = Op.GROUP_DELETE) -> None:
    env = svc.env
    db = env.db
    group = db.groups.get(group_id)
    if group is None:
        return
    volumes = _members(svc, group.id)
    if any(v.attach_status == "attached" for v in volumes):
        return  # VolumeAttached is raised before the try: everything stays 'deleting'
    if _is_cg(svc, group.group_type_id):
        why = await _cg_call(svc, "delete_consistencygroup", f"group:{group.id}")
        db.transition(group, GroupStatus.ERROR, op=op, actor=svc.actor, reason=why)
        for vol in volumes:
            db.transition(vol, VolumeStatus.ERROR, op=op, actor=svc.actor, reason=why)
        return
    failed: list[tuple[Volume, str]] = []
    for vol in volumes:
        try:
            await svc.drive("remove_export", svc.driver.remove_export, vol,
                            resource=f"volume:{vol.id}")
            await svc.drive("delete_volume", svc.driver.delete_volume, vol,
                            resource=f"volume:{vol.id}")
        except VolumeIsBusy:
            continue  # the generic path reports it 'available', then destroys it anyway
        except CinderException as exc:
            failed.append((vol, _why(exc)))
    if group.id not in db.groups:
        return
    if failed:
        for vol, why in failed:
            db.transition(vol, VolumeStatus.ERROR, op=op, actor=svc.actor, reason=why)
        for vol in volumes:
            if all(vol is not f for f, _ in failed) and vol.id in db.volumes:
                _destroy_volume(svc, vol, op)  # Cinder writes 'deleted' (see the docstring)
        db.transition(group, GroupStatus.ERROR, op=op, actor=svc.actor,
                      reason=f"Delete group failed: {failed[0][1]}")
        return
    ids = env.quota.reserve(group.project_id, {"groups": -1})
    for vol in volumes:
        if vol.id in db.volumes:
            _destroy_volume(svc, vol, op)
    env.quota.commit(ids)
    db.remove(group, op=op, actor=svc.actor)


def _destroy_volume(svc: VolumeService, vol: Volume, op: str) -> None:
    db = svc.env.db
    svc.env.quota.release_volume(vol.project_id, vol.size, vol.volume_type_id, vol.use_quota)
    if vol.launched_at is not None:
        svc.allocated_capacity_gb = max(0, svc.allocated_capacity_gb - vol.size)
    vol.terminated_at = db.stamp()
    if vol.status != VolumeStatus.DELETING:
        db.transition(vol, VolumeStatus.DELETING, op=op, actor=svc.actor)
    db.remove(vol, op=op, actor=svc.actor)


async def create_group_snapshot(svc: VolumeService, *, group_snapshot_id: str) -> None:
    db = svc.env.db
    gsnap = db.group_snapshots.get(group_snapshot_id)
    if gsnap is None:
        return
    op = Op.GROUP_SNAPSHOT_CREATE
    if await _cgsnapshot_refused(svc, gsnap, "create_cgsnapshot"):
        return
    failed = False
    for snap in _snapshots(svc, gsnap.id):
        try:
            await svc.drive("create_snapshot", svc.driver.create_snapshot, snap,
                            resource=f"snapshot:{snap.id}")
        except CinderException as exc:
            failed = True
            if snap.id in db.snapshots and snap.status == SnapshotStatus.CREATING:
                db.transition(snap, SnapshotStatus.ERROR, op=op, actor=svc.actor,
                              reason=_why(exc))
            continue
        if snap.id in db.snapshots and snap.status == SnapshotStatus.CREATING:
            db.transition(snap, SnapshotStatus.AVAILABLE, op=op, actor=svc.actor)
    if gsnap.id not in db.group_snapshots or gsnap.status != GroupSnapshotStatus.CREATING:
        return
    if failed:
        db.transition(gsnap, GroupSnapshotStatus.ERROR, op=op, actor=svc.actor,
                      reason=f"Error occurred when creating group_snapshot {gsnap.id}.")
        return
    for snap in _snapshots(svc, gsnap.id):
        snap.progress = "100%"
    db.transition(gsnap, GroupSnapshotStatus.AVAILABLE, op=op, actor=svc.actor)


async def delete_group_snapshot(svc: VolumeService, *, group_snapshot_id: str) -> None:
    db = svc.env.db
    gsnap = db.group_snapshots.get(group_snapshot_id)
    if gsnap is None:
        return
    op = Op.GROUP_SNAPSHOT_DELETE
    if await _cgsnapshot_refused(svc, gsnap, "delete_cgsnapshot"):
        return
    snapshots = _snapshots(svc, gsnap.id)
    failed: list[tuple[Snapshot, str]] = []
    for snap in snapshots:
        try:
            await svc.drive("delete_snapshot", svc.driver.delete_snapshot, snap,
                            resource=f"snapshot:{snap.id}")
        except CinderException as exc:
            if type(exc).__name__ != "SnapshotIsBusy":
                failed.append((snap, _why(exc)))
    for snap, why in failed:
        if snap.id in db.snapshots:
            db.transition(snap, SnapshotStatus.ERROR, op=op, actor=svc.actor, reason=why)
    for snap in snapshots:
        if snap.id in db.snapshots and all(snap is not f for f, _ in failed):
            if snap.use_quota:
                release_snapshot_quota(svc, snap.project_id, snap.volume_size,
                                       snap.volume_type_id)
            db.remove(snap, op=op, actor=svc.actor)
    if gsnap.id not in db.group_snapshots:
        return
    if failed:
        db.transition(gsnap, GroupSnapshotStatus.ERROR, op=op, actor=svc.actor,
                      reason=f"Error occurred when deleting group_snapshot {gsnap.id}.")
        return
    db.remove(gsnap, op=op, actor=svc.actor)


async def create_group_from_src(svc: VolumeService, *, group_id: str,
                                group_snapshot_id: str | None = None,
                                source_group_id: str | None = None) -> None:
    db = svc.env.db
    group = db.groups.get(group_id)
    if group is None:
        return
    op = Op.GROUP_CREATE_FROM_SRC
    volumes = _members(svc, group.id)
    problem = _source_problem(svc, group.id, group_snapshot_id, source_group_id)
    if problem is None and _is_cg(svc, group.group_type_id):
        problem = await _cg_call(svc, "create_consistencygroup_from_src", f"group:{group.id}")
    if problem is not None:
        db.transition(group, GroupStatus.ERROR, op=op, actor=svc.actor, reason=problem)
        for vol in volumes:
            db.transition(vol, VolumeStatus.ERROR, op=op, actor=svc.actor, reason=problem)
        return
    for vol in volumes:
        try:
            if vol.snapshot_id:
                snap = db.get_snapshot(vol.snapshot_id)
                await svc.drive("create_volume_from_snapshot",
                                svc.driver.create_volume_from_snapshot, vol, snap,
                                resource=f"volume:{vol.id}")
            else:
                src = db.get_volume(vol.source_volid or "")
                await svc.drive("create_cloned_volume", svc.driver.create_cloned_volume,
                                vol, src, resource=f"volume:{vol.id}")
        except CinderException as exc:
            if vol.id in db.volumes:
                db.transition(vol, VolumeStatus.ERROR, op=op, actor=svc.actor,
                              reason=_why(exc))
            if group.id in db.groups and group.status == GroupStatus.CREATING:
                db.transition(group, GroupStatus.ERROR, op=op, actor=svc.actor,
                              reason=_why(exc))
    if group.id not in db.groups:
        return
    now = db.stamp()
    for vol in volumes:
        if vol.id not in db.volumes or vol.status not in (VolumeStatus.CREATING,
                                                          VolumeStatus.ERROR):
            continue
        _copy_bootable(svc, vol)
        vol.created_at = vol.launched_at = now
        svc.allocated_capacity_gb += vol.size
        db.transition(vol, VolumeStatus.AVAILABLE, op=op, actor=svc.actor,
                      reason="created with its group")
    group.created_at = now
    db.transition(group, GroupStatus.AVAILABLE, op=op, actor=svc.actor)


def _source_problem(svc: VolumeService, group_id: str, gsnap_id: str | None,
                    source_id: str | None) -> str | None:
    db = svc.env.db
    if gsnap_id is not None:
        if gsnap_id not in db.group_snapshots:
            return f"GroupSnapshot {gsnap_id} could not be found."
        for snap in _snapshots(svc, gsnap_id):
            if snap.status != SnapshotStatus.AVAILABLE:
                return (f"Invalid Group: Cannot create group {group_id} because snapshot "
                        f"{snap.id} is not in a valid state. Valid states are: "
                        "('available',).")
    if source_id is not None:
        if source_id not in db.groups:
            return f"Group {source_id} could not be found."
        for vol in _members(svc, source_id):
            if vol.status != VolumeStatus.AVAILABLE:
                return (f"Invalid Group: Cannot create group {group_id} because source "
                        f"volume {vol.id} is not in a valid state. Valid states are: "
                        "('available',).")
    return None


def _copy_bootable(svc: VolumeService, vol: Volume) -> None:
    """``_update_volume_from_src``: bootable (and multiattach) follow the source."""
    db = svc.env.db
    origin: Volume | None = None
    if vol.snapshot_id and vol.snapshot_id in db.snapshots:
        origin = db.volumes.get(db.snapshots[vol.snapshot_id].volume_id)
    elif vol.source_volid:
        origin = db.volumes.get(vol.source_volid)
        if origin is not None and origin.multiattach:
            vol.multiattach = True
    if origin is not None and origin.bootable:
        vol.bootable = True


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "create_group": create_group,
    "update_group": update_group,
    "delete_group": delete_group,
    "create_group_snapshot": create_group_snapshot,
    "delete_group_snapshot": delete_group_snapshot,
    "create_group_from_src": create_group_from_src,
}
