"""Cinder's database, as plain records in insertion-ordered dicts.

Field names follow Cinder's models (``cinder/db/sqlalchemy/models.py`` and the
versioned objects), so views and flows read like the real code.  What differs,
on purpose:

* Timestamps are strings from *virtual* time (:func:`iso_time`), in the format
  Cinder's API shows (``isoformat`` without a zone, microseconds), from a fixed
  epoch.  Nothing here reads the wall clock.
* Rows are removed instead of soft-deleted; the end of a status record is a
  ``status`` trace event with ``new`` null (see :mod:`cindersim.states`).
* Another project's id answers ``*NotFound`` exactly like a missing id, as
  Cinder's ``project_only`` queries do (404, never 403).

Every status change goes through :meth:`Database.transition`, which owns the
clock and the trace so that ``updated_at`` and the event are never forgotten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs

from cindersim.db_groups import Group, GroupSnapshot, GroupType, default_cgsnapshot_type
from cindersim.db_tables import ApiTables, Service
from cindersim.empty import EMPTY_DICT
from cindersim.errors import (
    BackupNotFound,
    SimulationError,
    SnapshotNotFound,
    TransferNotFound,
    VolumeAttachmentNotFound,
    VolumeNotFound,
    VolumeTypeNotFound,
    VolumeTypeNotFoundByName,
)
from cindersim.states import (
    AttachStatus,
    BackupStatus,
    SnapshotStatus,
    StatusRecord,
    VolumeStatus,
    record_created,
    record_destroyed,
    statuses_from_attachments,
    transition,
)
from cindersim.trace import Trace

__all__ = [
    "EPOCH",
    "Backup",
    "Database",
    "Project",
    "QuotaUsage",
    "Record",
    "Reservation",
    "Service",
    "Snapshot",
    "Transfer",
    "Volume",
    "VolumeAttachment",
    "VolumeType",
    "iso_time",
]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Virtual time 0.0.  Shown without a zone, as Cinder's views show naive UTC."""


_NAIVE_EPOCH = EPOCH.replace(tzinfo=None)  # isoformat() without a zone, strftime's text


def _iso_time_datetime(seconds: float) -> str:
    """The reference formulation: :func:`iso_time` must equal it byte for byte."""
    return (_NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="microseconds")


@functools.lru_cache(maxsize=8)
def _day_prefix(day: int) -> str:
    """``2026-01-02T`` for *day* days after the epoch (a run spans few days)."""
    return (_NAIVE_EPOCH + timedelta(days=day)).isoformat()[:11]


@functools.lru_cache(maxsize=64)
def _second_prefix(whole: int) -> str:
    """``2026-01-02T03:04:05.`` for *whole* seconds after the epoch."""
    day, sec = divmod(whole, 86_400)
    hours, sec = divmod(sec, 3_600)
    minutes, sec = divmod(sec, 60)
    return f"{_day_prefix(day)}{hours:02d}:{minutes:02d}:{sec:02d}."


_FAST_LIMIT = 2.0 ** 36
"""Seconds (~2,177 years) below which :func:`iso_time` computes the string itself: far
inside ``datetime``'s range (year 9999), so it never has to reproduce an OverflowError."""
_last_second: tuple[int, str] = (-1, "")
"""The last whole second :func:`iso_time` formatted, and its prefix.  A tuple swapped
whole, so a thread (``serve.ThreadedServer``) never reads one second with another's text."""


def iso_time(seconds: float) -> str:
    """Virtual seconds as Cinder shows a timestamp: ``2026-01-01T00:00:00.000000``.

    Byte-identical to ``(epoch + timedelta(seconds=s)).isoformat(timespec="microseconds")``
    (:func:`_iso_time_datetime`, still used outside ``0 <= s < 2**36`` and for non-floats),
    but several times faster.  The microseconds are rounded exactly as CPython's
    ``timedelta`` constructor does (``Modules/_datetimemodule.c``, ``accum``/``delta_new``):
    the whole seconds are exact, the fraction times 10**6 is split again, and what is
    left (< 1 us) is rounded to nearest with ties to the even total.  That is ``round``
    of the fraction times 10**6 (a float's round is ties-to-even on its exact value, and
    splitting a non-negative float by ``int`` and a subtraction is exact); ``round(x *
    1e6)`` of the whole value would differ.  Records stamped at one instant share one
    string through :meth:`Database.stamp`.
    """
    global _last_second  # noqa: PLW0603 -- a one-entry cache, replaced atomically
    if type(seconds) is float and 0.0 <= seconds < _FAST_LIMIT:  # NaN fails both
        whole = int(seconds)
        micro = round((seconds - whole) * 1e6)
        if micro >= 1_000_000:
            whole += 1
            micro -= 1_000_000
        last = _last_second
        if last[0] != whole:
            last = _last_second = (whole, _second_prefix(whole))
        # Two 3-digit halves from a table: cheaper than formatting with "06d".
        return last[1] + _DIGITS3[micro // 1000] + _DIGITS3[micro % 1000]
    return _iso_time_datetime(seconds)


_DIGITS3 = tuple(f"{n:03d}" for n in range(1000))
"""``000`` to ``999``: the halves of :func:`iso_time`'s microseconds."""


def _dict() -> dict[str, str]:
    return {}


# --- records with a status machine ------------------------------------------------------
@attrs.define(slots=True, eq=True)
class Volume:
    """A row of ``volumes`` (plus the ``volume_metadata``/``volume_admin_metadata`` maps)."""

    RESOURCE_KIND: ClassVar[str] = "volume"

    id: str
    project_id: str
    user_id: str
    size: int
    status: VolumeStatus = VolumeStatus.CREATING
    attach_status: AttachStatus = AttachStatus.DETACHED
    previous_status: str | None = None
    """Saved by extend, backup, retype and migrate to go back to; may hold ``error_backing-up``."""
    migration_status: str | None = None
    host: str | None = None
    """``host@backend#pool`` once scheduled; None means delete at the API."""
    cluster_name: str | None = None
    availability_zone: str = "nova"
    display_name: str | None = None
    display_description: str | None = None
    volume_type_id: str | None = None
    snapshot_id: str | None = None
    source_volid: str | None = None
    bootable: bool = False
    multiattach: bool = False
    """Comes only from the volume type (``multiattach='<is> True'``)."""
    encrypted: bool = False
    encryption_key_id: str | None = None
    """The key manager's id of the volume's own key (encrypted types only)."""
    metadata: dict[str, str] = EMPTY_DICT
    """Shared read-only until a writer replaces it whole (:mod:`.empty`); no factory call."""
    admin_metadata: dict[str, str] = EMPTY_DICT
    """Shared read-only until written: writers change it in place (attach modes, NFS
    formats, the readonly flag) through :func:`cindersim.empty.writable_dict`."""
    glance_metadata: dict[str, str] = EMPTY_DICT
    """``volume_glance_metadata``: the image a volume came from (``volume_image_metadata``).
    Shared read-only until set, as :attr:`metadata`."""
    provider_location: str | None = None
    provider_auth: str | None = None
    created_at: str | None = None
    """Stamped by :meth:`Database.add` when left None."""
    updated_at: str | None = None
    launched_at: str | None = None
    terminated_at: str | None = None
    replication_status: str | None = None
    group_id: str | None = None
    consistencygroup_id: str | None = None
    use_quota: bool = True
    """False for temporary volumes (migration targets, backup temps): they consume no quota."""
    service_uuid: str | None = None
    shared_targets: bool = True


@attrs.define(slots=True, eq=True)
class VolumeAttachment:
    """A row of ``volume_attachment``; ``attach_status`` is its machine."""

    RESOURCE_KIND: ClassVar[str] = "attachment"

    id: str
    volume_id: str
    instance_uuid: str | None = None
    attached_host: str | None = None
    mountpoint: str | None = None
    attach_time: str | None = None
    detach_time: str | None = None
    attach_status: AttachStatus = AttachStatus.RESERVED
    attach_mode: str | None = None
    """``rw`` or ``ro`` (the API's ``mode``, >=3.54); None until known."""
    connector: dict[str, Any] | None = None
    connection_info: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None


@attrs.define(slots=True, eq=True)
class Snapshot:
    """A row of ``snapshots``; its size counts toward the ``gigabytes`` quota."""

    RESOURCE_KIND: ClassVar[str] = "snapshot"

    id: str
    volume_id: str
    project_id: str
    user_id: str
    volume_size: int
    status: SnapshotStatus = SnapshotStatus.CREATING
    progress: str = "0%"
    display_name: str | None = None
    display_description: str | None = None
    volume_type_id: str | None = None
    provider_location: str | None = None
    provider_id: str | None = None
    metadata: dict[str, str] = attrs.field(factory=_dict)
    group_snapshot_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    use_quota: bool = True
    encryption_key_id: str | None = None
    """The volume's key id, shared, not copied: a volume with snapshots cannot go."""


@attrs.define(slots=True, eq=True)
class Backup:
    """A row of ``backups``: ``is_incremental`` is ``parent_id is not None``."""

    RESOURCE_KIND: ClassVar[str] = "backup"

    id: str
    project_id: str
    user_id: str
    volume_id: str
    size: int
    status: BackupStatus = BackupStatus.CREATING
    availability_zone: str | None = None
    host: str | None = None
    service: str | None = None
    display_name: str | None = None
    display_description: str | None = None
    container: str | None = None
    fail_reason: str | None = None
    service_metadata: str | None = None
    object_count: int = 0
    parent_id: str | None = None
    num_dependent_backups: int = 0
    temp_volume_id: str | None = None
    temp_snapshot_id: str | None = None
    snapshot_id: str | None = None
    data_timestamp: str | None = None
    restore_volume_id: str | None = None
    metadata: dict[str, str] = attrs.field(factory=_dict)
    created_at: str | None = None
    updated_at: str | None = None
    encryption_key_id: str | None = None
    """A clone of the encrypted volume's key, kept "in case the volume is deleted"."""

    @property
    def is_incremental(self) -> bool:
        return self.parent_id is not None

    @property
    def has_dependent_backups(self) -> bool:
        return self.num_dependent_backups > 0


# --- records without a status ---------------------------------------------------------
@attrs.define(slots=True, eq=True)
class VolumeType:
    """A row of ``volume_types`` with its extra specs and access list."""

    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    extra_specs: dict[str, str] = attrs.field(factory=_dict)
    projects: list[str] = attrs.field(factory=list)
    """``volume_type_projects``: who may use a private type."""
    qos_specs_id: str | None = None
    encryption: dict[str, Any] | None = None
    """The ``encryption`` row of the type (provider, cipher, key_size, control_location,
    encryption_id ...), or None: volumes of an encrypted type show ``encrypted: true``."""
    created_at: str | None = None
    updated_at: str | None = None


@attrs.define(slots=True, eq=True)
class Transfer:
    """A row of ``transfers``; the auth key itself is never stored, only its hash."""

    id: str
    volume_id: str
    display_name: str | None
    salt: str
    crypt_hash: str
    source_project_id: str
    destination_project_id: str | None = None
    accepted: bool = False
    no_snapshots: bool = False
    created_at: str | None = None
    expires_at: str | None = None


@attrs.define(slots=True, eq=True)
class Project:
    """A Keystone project as the simulator knows it."""

    id: str
    name: str
    is_admin_project: bool = False


@attrs.define(slots=True, eq=True)
class QuotaUsage:
    """A row of ``quota_usages``: one per (project, resource)."""

    id: int
    project_id: str
    resource: str
    in_use: int = 0
    reserved: int = 0


@attrs.define(slots=True, eq=True)
class Reservation:
    """A row of ``reservations``.  ``expire`` is virtual seconds (Cinder stores a datetime)."""

    id: str
    project_id: str
    resource: str
    delta: int
    expire: float
    usage_id: int
    """The :class:`QuotaUsage` row it counts against (Cinder's ``usage_id``)."""


Record = (Volume | VolumeAttachment | Snapshot | Backup | VolumeType | Transfer | Project
          | GroupType | Group | GroupSnapshot)
_STATUS_TYPES = (Volume, VolumeAttachment, Snapshot, Backup, Group, GroupSnapshot)
_INDEXED_TYPES = (VolumeAttachment, Snapshot, Backup)
"""Tables indexed by ``volume_id`` (see :class:`Database`)."""
_Shape = tuple[dict[str, Any], bool, bool, dict[str, dict[str, Any]] | None]
"""A record type's table, whether it has ``created_at``, whether it is a status record,
and its ``volume_id`` index (None: not indexed): :meth:`Database.add` asks per row, so
once per type instead of an ``isinstance``/``hasattr`` each."""


# --- the store ----------------------------------------------------------------------------------
class Database:
    """All of one simulated cloud's rows.

    ``attachments``, ``snapshots`` and ``backups`` are also indexed by ``volume_id``
    (:meth:`attachments_of` and friends are asked on every volume view and delete
    check).  Each index bucket is an insertion-ordered dict kept by :meth:`add` and
    :meth:`remove` only, so it lists a volume's rows in table order, exactly what a scan
    of the table returns.  Hence two rules: rows enter and leave those tables only
    through :meth:`add`/:meth:`remove`, and a stored row's ``volume_id`` is never
    reassigned (in Cinder an attachment, snapshot or backup belongs to one volume for
    life; migration swaps the *volumes'* ids, see ``services/volume/migrate.py``).

    Args:
        trace: where status events go (a silent trace when None).
        clock: virtual seconds now (``loop.time``); stamps ``created_at``/``updated_at``.
    """

    def __init__(self, trace: Trace | None = None,
                 clock: Callable[[], float] = lambda: 0.0) -> None:
        self.clock = clock
        self.trace = trace if trace is not None else Trace(clock, mode="off")
        self.volumes: dict[str, Volume] = {}
        self.attachments: dict[str, VolumeAttachment] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self.backups: dict[str, Backup] = {}
        self.volume_types: dict[str, VolumeType] = {}
        self.transfers: dict[str, Transfer] = {}
        self.projects: dict[str, Project] = {}
        self.services: dict[tuple[str, str], Service] = {}
        """``services``, keyed by (binary, host); see :meth:`service_started`."""
        self.volume_zones: list[str] = []
        """The zones of the ``cinder-volume`` rows of :attr:`services`, in registration order
        (``volume_api.list_availability_zones``; every create checks its zone against it).
        Kept by :meth:`register_service`, the only writer of the table: a row's zone is
        fixed when it registers and rows are never removed.  Read-only to everyone else."""
        self.quotas: dict[str, dict[str, int]] = {}
        """``quotas``: per-project limit overrides (os-quota-sets update)."""
        self.quota_usages: dict[tuple[str, str], QuotaUsage] = {}
        self.reservations: dict[str, Reservation] = {}
        self.group_types: dict[str, GroupType] = {}  # db_groups.py: generic volume groups
        self.groups: dict[str, Group] = {}
        self.group_snapshots: dict[str, GroupSnapshot] = {}
        self.api_tables: ApiTables | None = None
        """:mod:`.db_tables`' tables, made on first use (None: each is empty yet)."""
        self._by_type: dict[type, dict[str, Any]] = {
            Volume: self.volumes, VolumeAttachment: self.attachments,
            Snapshot: self.snapshots, Backup: self.backups, VolumeType: self.volume_types,
            Transfer: self.transfers, Project: self.projects, GroupType: self.group_types,
            Group: self.groups, GroupSnapshot: self.group_snapshots}
        self._attachments_by_volume: dict[str, dict[str, VolumeAttachment]] = {}
        self._snapshots_by_volume: dict[str, dict[str, Snapshot]] = {}
        self._backups_by_volume: dict[str, dict[str, Backup]] = {}
        self._index_of_type: dict[type, dict[str, dict[str, Any]]] = {
            VolumeAttachment: self._attachments_by_volume,
            Snapshot: self._snapshots_by_volume, Backup: self._backups_by_volume}
        self._shapes: dict[type, _Shape] = {
            cls: (table, "created_at" in attrs.fields_dict(cls), cls in _STATUS_TYPES,
                  self._index_of_type.get(cls))
            for cls, table in self._by_type.items()}
        """Per record type, what :meth:`add` and :meth:`remove` do with it (see :data:`_Shape`)."""
        self._stamped: tuple[float, str] = (math.nan, "")
        """The last (virtual second, text) :meth:`stamp` gave: one moment is stamped often."""
        self.transition = functools.partial(  # type: ignore[method-assign]  # (see there)
            transition, trace=self.trace, now=self.stamp)
        cg_type = default_cgsnapshot_type(iso_time(0.0))  # Cinder's initial migration
        self.group_types[cg_type.id] = cg_type

    # --- time ---------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock()

    def stamp(self) -> str:
        """The current virtual time as a Cinder timestamp."""
        now = self.clock()
        at, text = self._stamped
        if at == now:  # a create stamps created_at, then updated_at, at one instant
            return text
        text = iso_time(now)
        self._stamped = (now, text)
        return text

    # --- writing ------------------------------------------------------------------------
    def _table(self, record: object) -> dict[str, Any]:
        try:
            return self._by_type[type(record)]
        except KeyError:
            raise SimulationError(f"no table for {type(record).__name__}") from None

    def add(self, record: Record, op: str = "create", actor: str = "cinder-api") -> None:
        """Insert *record*; a status record's birth is traced (``None -> status``) and checked."""
        shape = self._shapes.get(type(record))
        if shape is None:
            self._table(record)  # raises: no table for that type
            return
        table, stamped, born, index = shape
        if record.id in table:
            raise SimulationError(f"duplicate {type(record).__name__} id {record.id}")
        if stamped and record.created_at is None:  # type: ignore[union-attr]  # see _Shape
            record.created_at = self.stamp()  # type: ignore[union-attr]
        if born:
            # Positional, as below: each keyword costs the call ~10 ns (every create).
            record_created(record, op, self.trace, actor)  # type: ignore[arg-type]  # see _Shape
        table[record.id] = record
        if index is not None:
            volume_id = record.volume_id  # type: ignore[union-attr]  # see _Shape
            bucket = index.get(volume_id)
            if bucket is None:
                index[volume_id] = {record.id: record}
            else:
                bucket[record.id] = record

    def remove(self, record: Record, *, op: str = "delete", actor: str = "cinder-volume",
               reason: str | None = None) -> None:
        """Delete *record*; a status record's end is traced (``status -> None``) and checked."""
        table = self._table(record)
        if table.get(record.id) is not record:
            raise SimulationError(f"{type(record).__name__} {record.id} is not in the database")
        if isinstance(record, _STATUS_TYPES):
            status_record: StatusRecord = record
            record_destroyed(status_record, op=op, trace=self.trace, actor=actor, reason=reason)
        del table[record.id]
        if isinstance(record, _INDEXED_TYPES):
            self._unindex(self._index_of_type[type(record)], record.id, record.volume_id)

    @staticmethod
    def _unindex(index: dict[str, dict[str, Any]], row_id: str, volume_id: str) -> None:
        """Drop *row_id* from its bucket (and an emptied bucket, so none pile up)."""
        bucket = index.get(volume_id)
        if bucket is None or bucket.pop(row_id, None) is None:
            # volume_id was reassigned in place (see the class docstring): find the row.
            for vid, other in index.items():
                if other.pop(row_id, None) is not None:
                    bucket, volume_id = other, vid
                    break
            else:
                return
        if not bucket:
            del index[volume_id]

    def transition(self, record: Volume | VolumeAttachment | Snapshot | Backup | Group
                   | GroupSnapshot, new: str | None, *, op: str, actor: str, field: str = "status",
                   reason: str | None = None) -> bool:
        """:func:`cindersim.states.transition` with this database's trace and clock (an
        instance's is a partial of it, made at init: no frame on every status change)."""
        return transition(record, new, op, self.trace, actor, field, reason, self.stamp)

    # --- reading by id (another project's id is a 404, like a missing one) ------------
    @staticmethod
    def _visible(project_id: str | None, owner: str) -> bool:
        return project_id is None or project_id == owner

    def get_volume(self, volume_id: str, project_id: str | None = None) -> Volume:
        vol = self.volumes.get(volume_id)
        if vol is None or not self._visible(project_id, vol.project_id):
            raise VolumeNotFound(volume_id=volume_id)
        return vol

    def get_snapshot(self, snapshot_id: str, project_id: str | None = None) -> Snapshot:
        snap = self.snapshots.get(snapshot_id)
        if snap is None or not self._visible(project_id, snap.project_id):
            raise SnapshotNotFound(snapshot_id=snapshot_id)
        return snap

    def get_backup(self, backup_id: str, project_id: str | None = None) -> Backup:
        backup = self.backups.get(backup_id)
        if backup is None or not self._visible(project_id, backup.project_id):
            raise BackupNotFound(backup_id=backup_id)
        return backup

    def get_attachment(self, attachment_id: str,
                       project_id: str | None = None) -> VolumeAttachment:
        """An attachment is visible to the project that owns its volume."""
        att = self.attachments.get(attachment_id)
        if att is not None and project_id is not None:
            vol = self.volumes.get(att.volume_id)
            if vol is None or vol.project_id != project_id:
                att = None
        if att is None:
            raise VolumeAttachmentNotFound(filter=f"attachment_id = {attachment_id}")
        return att

    def get_volume_type(self, type_id: str) -> VolumeType:
        vtype = self.volume_types.get(type_id)
        if vtype is None:
            raise VolumeTypeNotFound(volume_type_id=type_id)
        return vtype

    def get_volume_type_by_name(self, name: str) -> VolumeType:
        for vtype in self.volume_types.values():
            if vtype.name == name:
                return vtype
        raise VolumeTypeNotFoundByName(volume_type_name=name)

    def get_transfer(self, transfer_id: str, project_id: str | None = None) -> Transfer:
        tr = self.transfers.get(transfer_id)
        if tr is None or not self._visible(project_id, tr.source_project_id):
            raise TransferNotFound(transfer_id=transfer_id)
        return tr

    # --- lists (insertion order = creation order) ------------------------------------------
    def volumes_of_project(self, project_id: str | None) -> list[Volume]:
        """A project's volumes; every volume when *project_id* is None (``all_tenants``)."""
        return [v for v in self.volumes.values() if self._visible(project_id, v.project_id)]

    def snapshots_of_project(self, project_id: str | None) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if self._visible(project_id, s.project_id)]

    def backups_of_project(self, project_id: str | None) -> list[Backup]:
        return [b for b in self.backups.values() if self._visible(project_id, b.project_id)]

    def attachments_of(self, volume_id: str) -> list[VolumeAttachment]:
        """The volume's attachments in creation order (from the index, not a scan)."""
        bucket = self._attachments_by_volume.get(volume_id)
        return list(bucket.values()) if bucket else []

    def snapshots_of(self, volume_id: str) -> list[Snapshot]:
        """The volume's snapshots in creation order (from the index, not a scan)."""
        bucket = self._snapshots_by_volume.get(volume_id)
        return list(bucket.values()) if bucket else []

    def backups_of(self, volume_id: str) -> list[Backup]:
        """The volume's backups in creation order (from the index, not a scan)."""
        bucket = self._backups_by_volume.get(volume_id)
        return list(bucket.values()) if bucket else []

    def children_of(self, backup_id: str) -> list[Backup]:
        """Incremental backups whose parent is *backup_id*."""
        return [b for b in self.backups.values() if b.parent_id == backup_id]

    def transfer_of(self, volume_id: str) -> Transfer | None:
        for tr in self.transfers.values():
            if tr.volume_id == volume_id and not tr.accepted:
                return tr
        return None

    # --- attachments -------------------------------------------------------------------------
    def volume_detached(self, vol: Volume, attachment_id: str | None, *, op: str,
                        actor: str) -> None:
        """``db.volume_detached``: drop the attachment (if still there) and recompute
        the volume (and ``Volume.finish_detach``: the ``attached_mode`` admin metadata goes).

        The status goes back to ``available`` when no attachment remains, except while
        a migration runs or an upload to an image does (they set it themselves later);
        a finished migration (``success`` or ``error``) hides nothing.
        """
        att = self.attachments.get(attachment_id) if attachment_id else None
        if att is not None and att.volume_id == vol.id:
            att.detach_time = self.stamp()
            self.remove(att, op=op, actor=actor)
        vol.admin_metadata.pop("attached_mode", None)
        attach, status = statuses_from_attachments(
            str(a.attach_status) for a in self.attachments_of(vol.id))
        self.transition(vol, attach, op=op, actor=actor, field="attach_status")
        if attach != AttachStatus.DETACHED or (
                not vol.migration_status and vol.status != VolumeStatus.UPLOADING) or \
                vol.migration_status in ("success", "error"):
            self.transition(vol, status, op=op, actor=actor)

    # --- services ------------------------------------------------------------------------
    def register_service(self, binary: str, host: str, *, topic: str, availability_zone: str,
                         report_interval: float = 10.0) -> Service:
        """The row of a service that exists but has not reported yet (or the existing one)."""
        row = self.services.get((binary, host))
        if row is None:
            now = self.clock()
            row = Service(len(self.services) + 1, host, binary, topic, availability_zone,
                          report_interval=report_interval, started_at=now, stopped_at=now,
                          created_at=self.stamp())
            self.services[(binary, host)] = row
            if binary == "cinder-volume" and availability_zone not in self.volume_zones:
                self.volume_zones.append(availability_zone)
        return row

    def service_started(self, binary: str, host: str) -> None:
        """A service (re)starts: it reports now and every ``report_interval`` from now."""
        row = self.services[(binary, host)]
        if row.stopped_at is not None:
            row.started_at, row.stopped_at = self.clock(), None

    def service_stopped(self, binary: str, host: str) -> None:
        """A service stops reporting (it keeps its last heartbeat)."""
        row = self.services.get((binary, host))
        if row is not None and row.stopped_at is None:
            row.stopped_at = self.clock()

    def services_of(self, binary: str) -> list[Service]:
        """The rows of one binary, in registration order."""
        return [row for row in self.services.values() if row.binary == binary]

    # --- comparing states ---------------------------------------------------------------------
    def _tables(self) -> Iterator[tuple[str, list[Any]]]:
        yield "projects", list(self.projects.values())
        yield "volume_types", list(self.volume_types.values())
        yield "services", list(self.services.values())
        yield "volumes", list(self.volumes.values())
        yield "volume_attachment", list(self.attachments.values())
        yield "snapshots", list(self.snapshots.values())
        yield "backups", list(self.backups.values())
        yield "transfers", list(self.transfers.values())
        yield "group_types", list(self.group_types.values())
        yield "groups", list(self.groups.values())
        yield "group_snapshots", list(self.group_snapshots.values())
        yield "quota_usages", list(self.quota_usages.values())
        yield "reservations", list(self.reservations.values())
        # cindersim.db_tables, made on first use: an unused one reads as empty, so that
        # merely looking at it (a default-type lookup) changes no fingerprint.
        more = self.api_tables
        yield "quality_of_service_specs", list(more.qos_specs.values()) if more else []
        yield "messages", list(more.messages.values()) if more else []
        yield "default_volume_types", list(more.default_types.values()) if more else []
        yield "quota_classes", [{"class_name": name, **limits} for name, limits
                                in (more.quota_classes.items() if more else ())]

    def snapshot(self) -> dict[str, Any]:
        """A deep, plain-data copy of every row (== compares two moments of the database)."""
        out: dict[str, Any] = {name: [r if isinstance(r, dict) else attrs.asdict(r)
                                      for r in rows]
                               for name, rows in self._tables()}
        out["quotas"] = {p: dict(limits) for p, limits in self.quotas.items()}
        return out

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`snapshot` as canonical JSON: equal digests, equal databases."""
        blob = json.dumps(self.snapshot(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()
