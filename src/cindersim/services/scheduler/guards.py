"""The entry guards of cinder-scheduler's RPC methods (see :mod:`..idempotency`).

``create_volume`` acts on a volume still ``creating`` and not yet placed (the
scheduler writes the host; a volume manager that reschedules clears it first).
The capacity checks (extend, snapshot, backup, retype, migrate) do not change
the record's status -- the volume manager does, later -- so the status cannot
tell a second delivery from the first; each request carries a request spec the
API built for it alone (a backup its own id), and a pass already made for that
request is not made again.  Without this a copy of ``extend_volume`` that
finds the capacity just consumed by the first would roll back the quota and
put an ``extending`` volume back to ``available`` while cinder-volume extends it.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from ...states import BackupStatus, MigrationStatus, SnapshotStatus, VolumeStatus
from ..idempotency import Args, Entry, EntryGuards, Refusal, status_is

if TYPE_CHECKING:
    from .manager import SchedulerService

__all__ = ["Same", "scheduler_guards"]


class Same:
    """An object compared by identity (and kept alive while a guard remembers it)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return hash(type(self.obj).__name__)

    def __str__(self) -> str:
        return "request"


def scheduler_guards(sched: SchedulerService) -> EntryGuards:
    db = sched.env.db
    vols = db.volumes
    creating = VolumeStatus.CREATING  # bound once: every create is guarded

    def create(a: Args) -> Refusal | None:
        vol = vols.get(a["volume_id"])
        if vol is not None and vol.status == creating:
            # The usual delivery, accepted here; status_is words any other refusal.
            if vol.host is None:
                return None
            return Refusal(f"the volume is placed on {vol.host} already")
        return status_is(vol, VolumeStatus.CREATING)

    def volume(*allowed: str, field: str = "status") -> Any:
        return lambda a: status_is(vols.get(a["volume_id"]), *allowed, field=field)

    def per_request(a: Args) -> tuple[Any, ...]:
        return (a["volume_id"], Same(a["request_spec"]))

    def group_unplaced(a: Args) -> Refusal | None:
        group = db.groups.get(a["group_id"])
        refusal = status_is(group, "creating")
        if refusal is None and group is not None and group.host:
            return Refusal(f"the group is placed on {group.host} already")
        return refusal

    table = {
        "create_volume": Entry(operator.itemgetter("volume_id"), create),
        "extend_volume": Entry(per_request, volume(VolumeStatus.EXTENDING), once=True),
        "create_snapshot": Entry(
            lambda a: (a["snapshot_id"],),
            lambda a: status_is(db.snapshots.get(a["snapshot_id"]), SnapshotStatus.CREATING),
            once=True),
        "create_backup": Entry(
            lambda a: (a["backup_id"],),
            lambda a: status_is(db.backups.get(a["backup_id"]), BackupStatus.CREATING),
            once=True),
        "retype": Entry(per_request, volume(VolumeStatus.RETYPING), once=True),
        "migrate_volume": Entry(per_request, volume(MigrationStatus.STARTING,
                                                    field="migration_status"), once=True),
        # A group is placed once: while it is creating and has no host yet.
        "create_group": Entry(lambda a: (a["group_id"],), group_unplaced, once=True),
    }
    return EntryGuards(sched.env, "cinder-scheduler", table)
