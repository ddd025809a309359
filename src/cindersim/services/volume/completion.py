"""cinder-volume's completion calls (``VolumeManager.extend_volume_completion``
and ``migrate_volume_completion``), reached through the admin actions Nova
calls back with.

Extend completion: an error sets ``error_extending`` and rolls the reservation
back; success commits it, writes the new size and returns the volume to
``in-use`` (attachments) or ``available``.

Migration completion: with ``error`` the destination volume is deleted and the
source's ``migration_status`` becomes ``error`` (the source id is the answer);
without, the source takes the destination's host (its data already copied by
whoever migrated it), the destination row goes, ``success``, and the source id
is the answer (Cinder swaps the ids so the user's id survives).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...errors import CinderException
from ...states import MigrationStatus, Op, VolumeStatus
from ..volume_utils import extract_host

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["METHODS"]


async def extend_volume_completion(svc: VolumeService, *, volume_id: str, new_size: int,
                                   reservations: list[str], error: bool) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None or error:
        env.quota.rollback(reservations)
        if vol is not None:
            db.transition(vol, VolumeStatus.ERROR_EXTENDING, op=Op.EXTEND, actor=svc.actor,
                          reason="extend completion reported an error")
        return
    env.quota.commit(reservations)
    svc.allocated_capacity_gb += new_size - vol.size
    vol.size = new_size
    status = VolumeStatus.IN_USE if db.attachments_of(vol.id) else VolumeStatus.AVAILABLE
    db.transition(vol, status, op=Op.EXTEND, actor=svc.actor,
                  reason=f"extend completed to {new_size}G")


async def migrate_volume_completion(svc: VolumeService, *, volume_id: str,
                                    new_volume_id: str, error: bool) -> str:
    env = svc.env
    db = env.db
    vol = db.get_volume(volume_id)
    new = db.get_volume(new_volume_id)
    if error:
        # The destination deletes the new volume's LV (an RPC to its own manager).
        with contextlib.suppress(CinderException):
            await env.bus.call(svc.actor, Target("cinder-volume", extract_host(new.host or "")),
                               "delete_migration_target", volume_id=new.id)
        db.transition(new, None, op=Op.MIGRATE, actor=svc.actor, field="migration_status")
        db.remove(new, op=Op.MIGRATE, actor=svc.actor, reason="migration completed in error")
        db.transition(vol, MigrationStatus.ERROR, op=Op.MIGRATE, actor=svc.actor,
                      field="migration_status")
        return vol.id
    if vol.migration_status == MigrationStatus.MIGRATING:
        db.transition(vol, MigrationStatus.COMPLETING, op=Op.MIGRATE, actor=svc.actor,
                      field="migration_status")
    vol.host = new.host
    vol.availability_zone = new.availability_zone
    db.transition(new, None, op=Op.MIGRATE, actor=svc.actor, field="migration_status")
    db.remove(new, op=Op.MIGRATE, actor=svc.actor, reason="ids swapped with the source")
    db.transition(vol, MigrationStatus.SUCCESS, op=Op.MIGRATE, actor=svc.actor,
                  field="migration_status")
    return vol.id


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "extend_volume_completion": extend_volume_completion,
    "migrate_volume_completion": migrate_volume_completion,
}
