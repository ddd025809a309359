"""cinder-volume's snapshot and extend flows (``VolumeManager.create_snapshot``,
``delete_snapshot`` and ``extend_volume`` in ``cinder/volume/manager.py``).

Create snapshot: the scheduler has checked the volume's backend for capacity
and cast here.  The driver makes the LVM snapshot; success sets ``available``
and progress ``100%``, any driver error ``error``.  Quota was committed at the
API, so a snapshot in ``error`` keeps counting until it is deleted.

Delete snapshot: the API has set ``deleting``.  The driver removes the LV;
``SnapshotIsBusy`` puts it back to ``available``, any other error to
``error_deleting``; success gives back ``snapshots`` -1 and ``gigabytes``
-volume_size (unless ``no_snapshot_gb_quota``) and destroys the row.

Extend: the API reserved ``gigabytes`` +delta and set ``extending``; the
scheduler found room on this backend.  The driver grows the LV; success
commits the reservation, writes the new size and returns the volume to
``in-use`` if it has attachments, else ``available``; a driver error leaves
``error_extending`` and rolls the reservation back.  After an attached
extend, the manager tells Nova (``compute.API().extend_volume``: one
``volume-extended`` external event per server, microversion 2.51), so the
compute host rescans the device and the guest sees the new size.  This is
current Cinder's flow for every driver that extends on its own (LVM among
them): the volume is ``in-use`` before Nova hears of it, and a failure to
tell Nova is only a user message.  The 3.71 ``os-extend_volume_completion``
flow (the volume left ``extending`` until Nova calls back) is for drivers
that need Nova to finish the extend; no in-tree driver does, and Nova does
not call it yet, so the action exists (:mod:`.completion`) but no flow here
leaves the volume waiting for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...errors import CinderException
from ...states import Op, SnapshotStatus, VolumeStatus

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["METHODS", "create_snapshot", "delete_snapshot", "extend_volume",
           "release_snapshot_quota"]


async def create_snapshot(svc: VolumeService, *, snapshot_id: str, volume_id: str) -> None:
    db = svc.env.db
    snap = db.snapshots.get(snapshot_id)
    if snap is None:  # deleted (forced) while the message waited
        return
    try:
        await svc.drive("create_snapshot", svc.driver.create_snapshot, snap,
                        resource=f"snapshot:{snap.id}")
    except CinderException as exc:
        if snap.id in db.snapshots:
            db.transition(snap, SnapshotStatus.ERROR, op=Op.SNAPSHOT_CREATE, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    if snap.id not in db.snapshots or snap.status != SnapshotStatus.CREATING:
        return  # reset or force-deleted meanwhile: Cinder's save would not resurrect it
    snap.progress = "100%"
    db.transition(snap, SnapshotStatus.AVAILABLE, op=Op.SNAPSHOT_CREATE, actor=svc.actor)


async def delete_snapshot(svc: VolumeService, *, snapshot_id: str,
                          op: str = Op.SNAPSHOT_DELETE) -> None:
    db = svc.env.db
    snap = db.snapshots.get(snapshot_id)
    if snap is None:
        return
    try:
        await svc.drive("delete_snapshot", svc.driver.delete_snapshot, snap,
                        resource=f"snapshot:{snap.id}")
    except CinderException as exc:
        if snap.id not in db.snapshots:
            return
        busy = type(exc).__name__ == "SnapshotIsBusy"
        db.transition(snap, SnapshotStatus.AVAILABLE if busy else SnapshotStatus.ERROR_DELETING,
                      op=op, actor=svc.actor, reason=f"{type(exc).__name__}: {exc}")
        return
    if snap.id not in db.snapshots:
        return
    if snap.use_quota:
        release_snapshot_quota(svc, snap.project_id, snap.volume_size, snap.volume_type_id)
    db.remove(snap, op=op, actor=svc.actor)


def release_snapshot_quota(svc: VolumeService, project_id: str, size: int,
                           volume_type_id: str | None) -> None:
    """snapshots -1, gigabytes -size (and the per-type keys): reserve then commit."""
    env = svc.env
    vtype = env.db.volume_types.get(volume_type_id or "")
    ids = env.quota.reserve(project_id, env.quota.snapshot_deltas(
        -size, vtype.name if vtype is not None else None, count=-1))
    env.quota.commit(ids)


async def extend_volume(svc: VolumeService, *, volume_id: str, new_size: int,
                        reservations: list[str]) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        env.quota.rollback(reservations)
        return
    try:
        await svc.drive("extend_volume", svc.driver.extend_volume, vol, new_size,
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        env.quota.rollback(reservations)
        if vol.id in db.volumes:
            db.transition(vol, VolumeStatus.ERROR_EXTENDING, op=Op.EXTEND, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    env.quota.commit(reservations)
    if vol.id not in db.volumes:
        return
    delta = new_size - vol.size
    vol.size = new_size
    if vol.launched_at is not None:
        svc.allocated_capacity_gb += delta
    attachments = db.attachments_of(vol.id)
    status = VolumeStatus.IN_USE if attachments else VolumeStatus.AVAILABLE
    db.transition(vol, status, op=Op.EXTEND, actor=svc.actor,
                  reason=f"extended to {new_size}G")
    # Only servers are told (an attachment without instance_uuid is Glance's cinder
    # store): Nova rescans the host's device and resizes the guest's disk.
    servers = [a.instance_uuid for a in attachments if a.instance_uuid]
    if servers and svc.nova is not None:
        await svc.nova.extend_volume(servers, vol.id, project_id=vol.project_id)


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "create_snapshot": create_snapshot,
    "delete_snapshot": delete_snapshot,
    "extend_volume": extend_volume,
}
