"""The entry guards of cinder-volume's RPC methods (see :mod:`..idempotency`).

Each cast acts only from the status the API (or the scheduler) left the record
in for it, as Cinder's conditional updates leave it: ``create_volume`` from
``creating`` on this backend, ``delete_volume`` from ``deleting``,
``extend_volume`` from ``extending``, snapshots from ``creating``/``deleting``,
and so on.  The connection calls (export, connect, attach, detach) have no
status of their own to tell a repeat: a second delivery while the first runs
joins it, and a late ``attachment_update`` for an attachment already connected
to the same connector answers the connection it has.  Read-only calls
(``get_manageable_*``) need no guard.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from ...states import AttachStatus, MigrationStatus, SnapshotStatus, VolumeStatus
from ..idempotency import Args, Entry, EntryGuards, Refusal, status_is
from ..volume_utils import extract_host

if TYPE_CHECKING:
    from .manager import VolumeService

__all__ = ["volume_guards"]


def _initiator(args: Args) -> Any:
    return (args.get("connector") or {}).get("initiator")


def volume_guards(svc: VolumeService) -> EntryGuards:
    db = svc.env.db
    vols, snaps = db.volumes, db.snapshots

    def volume(*allowed: str, field: str = "status") -> Any:
        return lambda a: status_is(vols.get(a["volume_id"]), *allowed, field=field)

    def snapshot(*allowed: str) -> Any:
        return lambda a: status_is(snaps.get(a["snapshot_id"]), *allowed)

    creating = VolumeStatus.CREATING  # a local: read by every create (see create.py)

    def create(a: Args) -> Refusal | None:
        vol = vols.get(a["volume_id"])
        if vol is None or vol.status != creating:
            return status_is(vol, creating)  # words the refusal
        if extract_host(vol.host or "") != svc.host:
            # Rescheduled elsewhere since this copy was sent.
            return Refusal(f"the volume is scheduled to {vol.host}")
        return None

    def delete(a: Args) -> Refusal | None:
        vol = vols.get(a["volume_id"])
        if vol is not None and vol.admin_metadata.get("temporary") == "True":
            # cinder-backup deletes its temporary volume straight from backing-up
            # (_cleanup_temp_volumes_snapshots_when_backup_created).
            return status_is(vol, VolumeStatus.BACKING_UP, VolumeStatus.DELETING)
        return status_is(vol, VolumeStatus.DELETING)

    def attachment_update(a: Args) -> Refusal | None:
        att = db.attachments.get(a["attachment_id"])
        if att is None or att.attach_status not in (AttachStatus.ATTACHING,
                                                     AttachStatus.ATTACHED):
            return None  # reserved (or gone: the handler answers VolumeAttachmentNotFound)
        if att.connection_info is None or (att.connector or {}).get("initiator") != \
                _initiator(a):
            return None
        return Refusal("the attachment is connected already",
                       result=dict(att.connection_info))

    def group(*allowed: str) -> Any:
        return lambda a: status_is(db.groups.get(a["group_id"]), *allowed)

    def group_snapshot(*allowed: str) -> Any:
        return lambda a: status_is(db.group_snapshots.get(a["group_snapshot_id"]), *allowed)

    by_group = operator.itemgetter("group_id")
    by_group_snapshot = operator.itemgetter("group_snapshot_id")
    by_volume = operator.itemgetter("volume_id")
    by_snapshot = operator.itemgetter("snapshot_id")

    table = {
        "create_volume": Entry(by_volume, create),
        "delete_volume": Entry(by_volume, delete),
        "extend_volume": Entry(by_volume, volume(VolumeStatus.EXTENDING)),
        "extend_volume_completion": Entry(by_volume, volume(VolumeStatus.EXTENDING)),
        "create_snapshot": Entry(by_snapshot, snapshot(SnapshotStatus.CREATING)),
        "delete_snapshot": Entry(by_snapshot, snapshot(SnapshotStatus.DELETING)),
        "revert_to_snapshot": Entry(by_volume, volume(VolumeStatus.REVERTING)),
        "copy_volume_to_image": Entry(by_volume, volume(VolumeStatus.UPLOADING)),
        "reimage": Entry(by_volume, volume(VolumeStatus.DOWNLOADING)),
        "manage_existing": Entry(by_volume, volume(VolumeStatus.MANAGING)),
        "manage_existing_snapshot": Entry(by_snapshot, snapshot(SnapshotStatus.CREATING)),
        "unmanage_volume": Entry(by_volume, volume(VolumeStatus.UNMANAGING,
                                                   VolumeStatus.ERROR_MANAGING_DELETING)),
        "unmanage_snapshot": Entry(by_snapshot, snapshot(SnapshotStatus.UNMANAGING)),
        "retype": Entry(by_volume, volume(VolumeStatus.RETYPING)),
        "migrate_volume": Entry(by_volume, volume(MigrationStatus.STARTING,
                                                  field="migration_status")),
        "migrate_volume_completion": Entry(lambda a: (a["volume_id"], a["new_volume_id"])),
        "create_migration_target": Entry(by_volume),
        "delete_migration_target": Entry(by_volume),
        "update_migrated_volume": Entry(lambda a: (a["volume_id"], a["new_volume_id"])),
        "get_backup_device": Entry(lambda a: (a["backup_id"],)),
        # Groups: each from the status cinder-api's conditional update left it in.
        "create_group": Entry(by_group, group("creating")),
        "create_group_from_src": Entry(by_group, group("creating")),
        "update_group": Entry(by_group, group("updating")),
        "delete_group": Entry(by_group, group("deleting")),
        "create_group_snapshot": Entry(by_group_snapshot, group_snapshot("creating")),
        "delete_group_snapshot": Entry(by_group_snapshot, group_snapshot("deleting")),
        "attachment_update": Entry(lambda a: (a["attachment_id"],), attachment_update),
        "attachment_delete": Entry(lambda a: (a["attachment_id"],)),
        "initialize_connection": Entry(lambda a: (a["volume_id"], _initiator(a))),
        "terminate_connection": Entry(lambda a: (a["volume_id"], _initiator(a))),
        "remove_export": Entry(by_volume),
        "attach_volume": Entry(lambda a: (a["volume_id"], a.get("instance_uuid"),
                                          a.get("host_name"))),
        "detach_volume": Entry(lambda a: (a["volume_id"], a.get("attachment_id"))),
    }
    return EntryGuards(svc.env, svc.actor, table)
