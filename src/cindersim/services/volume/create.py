"""cinder-volume's create and delete flows (``cinder/volume/flows/manager/create_volume.py``,
``VolumeManager.delete_volume``).

Create: the scheduler has already picked this backend and written the host.
The manager runs the driver (blank, from a snapshot, a clone, or a Glance
image via :mod:`.image`, which passes through ``downloading``); on success the
volume becomes ``available``.  On a driver failure it reschedules, as
OnFailureRescheduleTask does: it clears the host, records the error in the
retry dict and casts back to the scheduler, unless rescheduling is off or
used up, in which case the volume goes to ``error``.  Failures Cinder never
reschedules (a missing source) go straight to ``error``.

Delete: the API has set ``deleting``.  The manager removes the export, then the
LV; ``VolumeIsBusy`` (a thick snapshot exists) puts the volume back to
``available``, any other error to ``error_deleting``; success destroys the row
and gives the quota back.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...errors import CinderException, NotFound, VolumeIsBusy
from ...states import Op, SnapshotStatus, VolumeStatus
from ..scheduler.request_spec import RequestSpec
from .from_backup import create_from_backup
from .image import create_from_image
from .rekey import rekey_volume
from .snapshots import release_snapshot_quota

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["METHODS", "create_volume", "delete_volume"]

# Read by every create, so module constants: on Python 3.11 reading a member through its
# class runs EnumType's __getattr__ slot hook (~50 ns, several times a global's read).
_CREATE, _AVAILABLE = Op.CREATE, VolumeStatus.AVAILABLE


async def create_volume(svc: VolumeService, *, volume_id: str, request_spec: RequestSpec,
                        filter_properties: dict[str, Any], allow_reschedule: bool,
                        backup_id: str | None = None, auth_token: str | None = None) -> None:
    """``CreateVolumeFromSpecTask`` and friends; *auth_token* (the RPC context's) comes
    with an encrypted clone, whose key :func:`.rekey.rekey_volume` replaces."""
    db = svc.env.db
    if backup_id is not None:
        await create_from_backup(svc, volume_id, backup_id)
        return
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    source = "blank"
    op = _CREATE
    try:
        if vol.snapshot_id:
            source, op = "snapshot", Op.CREATE_FROM_SOURCE
            snap = db.get_snapshot(vol.snapshot_id)
            await svc.drive("create_volume_from_snapshot", svc.driver.create_volume_from_snapshot,
                            vol, snap, resource=f"volume:{vol.id}")
        elif vol.source_volid:
            source, op = "source volume", Op.CREATE_FROM_SOURCE
            src = db.get_volume(vol.source_volid)
            await svc.drive("create_cloned_volume", svc.driver.create_cloned_volume, vol, src,
                            resource=f"volume:{vol.id}")
            if vol.encryption_key_id is not None:
                await rekey_volume(svc, vol, auth_token)
        elif request_spec.image_id:
            source, op = "image", Op.CREATE_FROM_SOURCE
            if not await create_from_image(svc, vol, request_spec.image_id):
                return  # a copy failure already put the volume in error
        else:
            await svc.drive("create_volume", svc.driver.create_volume, vol,
                            resource=f"volume:{vol.id}")
    except CinderException as exc:
        if vol.id not in db.volumes:
            return
        retry = dict(filter_properties.get("retry") or {})
        # OnFailureRescheduleTask does not count attempts: it always recasts when a
        # retry dict exists, and the scheduler's _populate_retry turns the pass after
        # the last allowed one into NoValidBackend ("Exceeded max scheduling attempts").
        reschedulable = allow_reschedule and not isinstance(exc, NotFound) and retry
        if reschedulable:
            await _reschedule(svc, vol.id, request_spec, filter_properties, retry, exc,
                              auth_token=auth_token)
            return
        db.transition(vol, VolumeStatus.ERROR, op=op, actor=svc.actor,
                      reason=f"{type(exc).__name__}: {exc}")
        return
    if vol.id not in db.volumes:
        return
    if vol.snapshot_id:
        # The manager copies bootable from the snapshot's volume (_create_from_snapshot).
        snap_row = db.snapshots.get(vol.snapshot_id)
        origin = db.volumes.get(snap_row.volume_id) if snap_row is not None else None
        if origin is not None and origin.bootable:
            vol.bootable = True
    svc.allocated_capacity_gb += vol.size
    # launched_at is the moment the change stamps as updated_at (no second stamp); a
    # change that did not happen (an admin's reset to available meanwhile) stamps nothing.
    # (No reason=None for a blank volume: each keyword to the partial costs a dict
    # entry, on every create.)
    if db.transition(vol, _AVAILABLE, op=op, actor=svc.actor) if source == "blank" else \
            db.transition(vol, _AVAILABLE, op=op, actor=svc.actor,
                          reason=f"created from {source}"):
        vol.launched_at = vol.updated_at
    else:
        vol.launched_at = db.stamp()


async def _reschedule(svc: VolumeService, volume_id: str, request_spec: RequestSpec,
                      filter_properties: dict[str, Any], retry: dict[str, Any],
                      exc: Exception, *, auth_token: str | None = None) -> None:
    """OnFailureRescheduleTask: clean up, clear the host, recast to the scheduler."""
    env = svc.env
    vol = env.db.volumes[volume_id]
    # The partial volume is removed from this backend before trying elsewhere.
    with contextlib.suppress(CinderException):
        await svc.drive("delete_volume", svc.driver.delete_volume, vol,
                        resource=f"volume:{vol.id}")
    vol.host = None
    retry = dict(retry)
    retry["exc"] = f"{type(exc).__name__}: {exc}"
    props = dict(filter_properties)
    props["retry"] = retry
    env.trace.emit("reschedule", svc.actor, f"volume {volume_id[:8]} failed on {svc.host}; "
                     "rescheduling", resource=f"volume:{volume_id}",
                     attempt=retry.get("num_attempts"), error=retry["exc"])
    env.bus.cast(svc.actor, Target("cinder-scheduler"), "create_volume", volume_id=volume_id,
                   request_spec=request_spec, filter_properties=props,
                   **({"auth_token": auth_token} if auth_token is not None else {}))


async def delete_volume(svc: VolumeService, *, volume_id: str, cascade: bool = False) -> None:
    """VolumeManager.delete_volume, serialised per volume.

    Cinder holds ``coordination.synchronized('{volume.id}-delete_volume')``: a
    second delete cast (an admin force-delete of a volume already ``deleting``)
    waits for the first, then refreshes the row and finds it gone, so the volume's
    quota is given back once.
    """
    running = _deletes_in_progress(svc)
    while volume_id in running:
        await running[volume_id].wait()
    done = asyncio.Event()
    running[volume_id] = done
    try:
        await _delete_volume(svc, volume_id=volume_id, cascade=cascade)
    finally:
        del running[volume_id]
        done.set()


_DELETING: weakref.WeakKeyDictionary[VolumeService, dict[str, asyncio.Event]] = \
    weakref.WeakKeyDictionary()
"""Per volume service: the volumes a delete is running for (the coordination lock)."""


def _deletes_in_progress(svc: VolumeService) -> dict[str, asyncio.Event]:
    return _DELETING.setdefault(svc, {})


async def _delete_volume(svc: VolumeService, *, volume_id: str, cascade: bool) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    op = Op.DELETE
    if cascade:
        for snap in db.snapshots_of(vol.id):
            try:
                await svc.drive("delete_snapshot", svc.driver.delete_snapshot, snap,
                                resource=f"snapshot:{snap.id}")
            except CinderException as exc:
                db.transition(snap, SnapshotStatus.ERROR_DELETING, op=Op.CASCADE_DELETE,
                              actor=svc.actor, reason=str(exc))
                db.transition(vol, VolumeStatus.ERROR_DELETING, op=op, actor=svc.actor,
                              reason=str(exc))
                return
            if snap.use_quota:
                # With the per-type keys the API reserved (snapshots_<t>, gigabytes_<t>).
                release_snapshot_quota(svc, snap.project_id, snap.volume_size,
                                       snap.volume_type_id)
            db.remove(snap, op=Op.CASCADE_DELETE, actor=svc.actor)
    try:
        await svc.drive("remove_export", svc.driver.remove_export, vol,
                        resource=f"volume:{vol.id}")
        await svc.drive("delete_volume", svc.driver.delete_volume, vol,
                        resource=f"volume:{vol.id}")
    except VolumeIsBusy as exc:
        db.transition(vol, VolumeStatus.AVAILABLE, op=op, actor=svc.actor, reason=str(exc))
        return
    except CinderException as exc:
        db.transition(vol, VolumeStatus.ERROR_DELETING, op=op, actor=svc.actor,
                      reason=f"{type(exc).__name__}: {exc}")
        return
    if vol.launched_at is not None:
        svc.allocated_capacity_gb = max(0, svc.allocated_capacity_gb - vol.size)
    svc.env.quota.release_volume(vol.project_id, vol.size, vol.volume_type_id,
                         vol.use_quota)
    vol.terminated_at = db.stamp()
    db.remove(vol, op=op, actor=svc.actor)


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "create_volume": create_volume,
    "delete_volume": delete_volume,
}
