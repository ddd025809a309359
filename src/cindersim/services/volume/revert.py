"""cinder-volume's revert to snapshot (``VolumeManager.revert_to_snapshot``).

The API (3.40) has set the volume ``reverting`` and the snapshot ``restoring``
and cast here.  The manager asks the driver first: the thick LVM driver merges
the snapshot into its origin (``lvconvert --merge``), re-activates the origin
and re-creates the snapshot the merge consumed.  The thin LVM driver raises
``NotImplementedError``, and the manager falls back to the generic way: a
temporary volume made from the snapshot, its data copied over the volume
(``dd``, charged at ``copy_bandwidth``), the temporary volume deleted.  The LVM
driver does not ask for a safety snapshot (``snapshot_revert_use_temp_snapshot``
is only a knob of other drivers), so none is made.

Success: volume ``available``, snapshot ``available``.  Any failure: volume
``error``, snapshot ``available`` (Cinder's ``update_single_status_where``
pairs; a status that moved meanwhile is left alone).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from ...backends.blocks import BLOCK_SIZE
from ...errors import CinderException
from ...states import Op, SnapshotStatus, VolumeStatus

if TYPE_CHECKING:
    from ...db import Snapshot, Volume
    from .manager import VolumeService

__all__ = ["METHODS", "revert_to_snapshot"]


@attrs.define
class _TempVolume:
    """The generic revert's temporary volume (``[revert] temporary volume ...``); mutable
    like Cinder's volume object: a file driver (NFS) records the share it chose on it."""

    id: str
    size: int
    provider_location: str | None = None
    provider_auth: str | None = None


async def _revert_generic(svc: VolumeService, vol: Volume, snap: Snapshot) -> None:
    """``_revert_to_snapshot_generic``: temp volume from the snapshot, copy, delete."""
    temp = _TempVolume(id=svc.env.sim.ids.uuid(), size=snap.volume_size)
    await svc.drive("create_volume_from_snapshot", svc.driver.create_volume_from_snapshot,
                    temp, snap, resource=f"volume:{vol.id}")
    try:
        source = svc.driver.volume_data(temp.id)
        target = svc.driver.volume_data(vol.id)

        def copy_volume_data() -> None:
            nbytes = source.written() * BLOCK_SIZE
            svc.meter.charge("dd", "dd if=/dev/sdX of=/dev/sdY bs=1M oflag=direct",
                             svc.meter.costs.transfer(nbytes, svc.meter.costs.copy_bandwidth),
                             f"snapshot {snap.id[:8]} copied back onto volume-{vol.id} "
                             f"({nbytes} bytes)", volume_id=vol.id, bytes=nbytes)
            target.discard()
            target.put(source.items())

        await svc.drive("copy_volume_data", copy_volume_data, resource=f"volume:{vol.id}")
    finally:
        with contextlib.suppress(CinderException):
            await svc.drive("delete_volume", svc.driver.delete_volume, temp,
                            resource=f"volume:{vol.id}")


async def revert_to_snapshot(svc: VolumeService, *, volume_id: str, snapshot_id: str) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    snap = db.snapshots.get(snapshot_id)
    if vol is None or snap is None:
        return
    try:
        try:
            await svc.drive("revert_to_snapshot", svc.driver.revert_to_snapshot, vol, snap,
                            resource=f"volume:{vol.id}")
        except NotImplementedError:
            env.trace.emit("log", svc.actor, "driver has no revert_to_snapshot: using the "
                           "generic copy", resource=f"volume:{vol.id}")
            await _revert_generic(svc, vol, snap)
    except (CinderException, OSError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if vol.id in db.volumes and vol.status == VolumeStatus.REVERTING:
            db.transition(vol, VolumeStatus.ERROR, op=Op.REVERT, actor=svc.actor, reason=reason)
        if snap.id in db.snapshots and snap.status == SnapshotStatus.RESTORING:
            db.transition(snap, SnapshotStatus.AVAILABLE, op=Op.REVERT, actor=svc.actor,
                          reason=reason)
        return
    if vol.id in db.volumes and vol.status == VolumeStatus.REVERTING:
        db.transition(vol, VolumeStatus.AVAILABLE, op=Op.REVERT, actor=svc.actor,
                      reason=f"reverted to snapshot {snap.id[:8]}")
    if snap.id in db.snapshots and snap.status == SnapshotStatus.RESTORING:
        db.transition(snap, SnapshotStatus.AVAILABLE, op=Op.REVERT, actor=svc.actor)


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "revert_to_snapshot": revert_to_snapshot,
}
