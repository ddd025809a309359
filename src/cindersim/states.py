"""Cinder's status machines: the exact strings, the legal edges, and the one way to change them.

Real Cinder guards most status changes with an atomic ``conditional_update``
(``UPDATE ... WHERE status IN (...)``); a miss becomes a 400 for the user.  The
simulator's services make those same checks *before* calling :func:`transition`,
so a change the table below refuses means our model of a flow is wrong: it
raises :class:`~cindersim.errors.IllegalTransition` and changes nothing.

How the table is built (``TABLE``):

* An edge ``(old, new)`` carries the operations (:class:`Op`) that may use it.
  ``old is None`` is the creation of a record; ``new is None`` its destruction
  (Cinder soft-deletes rows, writing ``deleted``; the simulator removes them and
  records the end of the record's life as ``... -> None``).
* Where Cinder's code guards with a conditional update, the edge lists exactly
  the guarded source states.  Where Cinder writes *unconditionally* (``os-attach``,
  ``os-complete``, the attachment recompute, ``reset_status``, force delete), the
  table admits every source state of the machine, because real Cinder does.
* Writing the value a field already has is not a change: it is always accepted,
  emits nothing and is not in the table (the recompute rule often lands there).

Every change emits exactly one trace event of kind ``status`` with
``resource="<kind>:<id>"`` and detail ``{field, old, new, op}`` (plus ``reason``
when given); creation and destruction are such events too, with ``old`` or
``new`` null.  :func:`check_trace` replays those events against the table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar, Protocol

from cindersim.errors import IllegalTransition
from cindersim.group_states import GroupSnapshotStatus, GroupStatus, group_edges
from cindersim.trace import Trace, TraceEvent

__all__ = [
    "FIELDS_VOLUME_STATUSES",
    "TABLE",
    "AttachStatus",
    "BackupStatus",
    "Machine",
    "MigrationStatus",
    "Op",
    "SnapshotStatus",
    "StatusRecord",
    "TransitionChecker",
    "VolumeStatus",
    "check_trace",
    "is_legal",
    "legal_targets",
    "machine_for",
    "machine_states",
    "record_created",
    "record_destroyed",
    "statuses_from_attachments",
    "transition",
]


# --- the strings ---------------------------------------------------------------
class VolumeStatus(enum.StrEnum):
    """``Volume.status``: the 22 values of ``fields.VolumeStatus`` and five more.

    ``Volume.status`` is a plain StringField, so the code also writes values the
    enum does not list (the last five members).  ``error_backing-up`` is in the
    enum but Cinder only ever stores it in ``previous_status`` (a failed backup
    puts the volume back to its previous status); no operation edge enters it.
    """

    CREATING = "creating"
    AVAILABLE = "available"
    DELETING = "deleting"
    ERROR = "error"
    ERROR_DELETING = "error_deleting"
    ERROR_MANAGING = "error_managing"
    MANAGING = "managing"
    ATTACHING = "attaching"
    IN_USE = "in-use"
    DETACHING = "detaching"
    MAINTENANCE = "maintenance"
    RESTORING_BACKUP = "restoring-backup"
    ERROR_RESTORING = "error_restoring"
    RESERVED = "reserved"
    AWAITING_TRANSFER = "awaiting-transfer"
    BACKING_UP = "backing-up"
    ERROR_BACKING_UP = "error_backing-up"
    ERROR_EXTENDING = "error_extending"
    DOWNLOADING = "downloading"
    UPLOADING = "uploading"
    RETYPING = "retyping"
    EXTENDING = "extending"
    # Written by the code although fields.VolumeStatus does not list them:
    REVERTING = "reverting"
    UNMANAGING = "unmanaging"
    ERROR_UNMANAGING = "error_unmanaging"
    ERROR_MANAGING_DELETING = "error_managing_deleting"
    MIGRATION_TARGET = "migration_target"


FIELDS_VOLUME_STATUSES: frozenset[VolumeStatus] = frozenset(
    s for s in VolumeStatus
    if s not in {VolumeStatus.REVERTING, VolumeStatus.UNMANAGING, VolumeStatus.ERROR_UNMANAGING,
                 VolumeStatus.ERROR_MANAGING_DELETING, VolumeStatus.MIGRATION_TARGET})
"""``fields.VolumeStatus.ALL``: what ``os-reset_status`` accepts (minus ``deleting``)."""


class AttachStatus(enum.StrEnum):
    """``fields.VolumeAttachStatus``: both ``Volume.attach_status`` and an attachment's."""

    ATTACHED = "attached"
    ATTACHING = "attaching"
    DETACHED = "detached"
    RESERVED = "reserved"
    ERROR_ATTACHING = "error_attaching"
    ERROR_DETACHING = "error_detaching"
    DELETED = "deleted"


class SnapshotStatus(enum.StrEnum):
    """``fields.SnapshotStatus``."""

    ERROR = "error"
    AVAILABLE = "available"
    CREATING = "creating"
    DELETING = "deleting"
    DELETED = "deleted"
    UPDATING = "updating"
    ERROR_DELETING = "error_deleting"
    UNMANAGING = "unmanaging"
    BACKING_UP = "backing-up"
    RESTORING = "restoring"


class BackupStatus(enum.StrEnum):
    """``fields.BackupStatus``."""

    ERROR = "error"
    ERROR_DELETING = "error_deleting"
    CREATING = "creating"
    AVAILABLE = "available"
    DELETING = "deleting"
    DELETED = "deleted"
    RESTORING = "restoring"


class MigrationStatus(enum.StrEnum):
    """``fields.VolumeMigrationStatus`` plus ``deleting``.

    ``migration_status`` is a plain string too: the API accepts a new migration
    when it is one of (None, ``deleting``, ``error``, ``success``), and the
    destination volume carries ``target:<source id>`` (matched as :attr:`TARGET`).
    ``none`` is what reset-status turns into a real null.
    """

    MIGRATING = "migrating"
    ERROR = "error"
    SUCCESS = "success"
    COMPLETING = "completing"
    NONE = "none"
    STARTING = "starting"
    DELETING = "deleting"
    TARGET = "target:"


class Machine(enum.StrEnum):
    """One status machine: ``<record kind>.<field>``."""

    VOLUME = "volume.status"
    VOLUME_ATTACH = "volume.attach_status"
    VOLUME_MIGRATION = "volume.migration_status"
    ATTACHMENT = "attachment.attach_status"
    SNAPSHOT = "snapshot.status"
    BACKUP = "backup.status"
    GROUP = "group.status"  # group_states.py
    GROUP_SNAPSHOT = "group_snapshot.status"


class Op(enum.StrEnum):
    """The operations that label edges (API action names where Cinder has them)."""

    CREATE = "create"
    CREATE_FROM_SOURCE = "create_from_source"  # snapshot, clone, image, backup
    MANAGE = "manage"
    UNMANAGE = "unmanage"
    DELETE = "delete"
    FORCE_DELETE = "force_delete"  # os-force_delete or ?force=true (admin)
    CASCADE_DELETE = "cascade_delete"  # a volume's snapshots under ?cascade=true
    ATTACHMENT_CREATE = "attachment_create"
    ATTACHMENT_UPDATE = "attachment_update"
    ATTACHMENT_COMPLETE = "attachment_complete"
    ATTACHMENT_DELETE = "attachment_delete"
    RESERVE = "os-reserve"
    UNRESERVE = "os-unreserve"
    ATTACH = "os-attach"
    BEGIN_DETACHING = "os-begin_detaching"
    ROLL_DETACHING = "os-roll_detaching"
    DETACH = "os-detach"
    TERMINATE_CONNECTION = "os-terminate_connection"
    FORCE_DETACH = "os-force_detach"
    EXTEND = "extend"
    SNAPSHOT_CREATE = "snapshot_create"
    SNAPSHOT_DELETE = "snapshot_delete"
    BACKUP_CREATE = "backup_create"
    BACKUP_DELETE = "backup_delete"
    BACKUP_RESTORE = "backup_restore"
    TRANSFER_CREATE = "transfer_create"
    TRANSFER_DELETE = "transfer_delete"
    TRANSFER_ACCEPT = "transfer_accept"
    RETYPE = "retype"
    MIGRATE = "migrate"
    REVERT = "revert"
    UPLOAD_TO_IMAGE = "upload_to_image"
    REIMAGE = "reimage"
    UPDATE_SNAPSHOT_STATUS = "os-update_snapshot_status"
    BACKUP_IMPORT = "backup_import"
    RESET_STATUS = "reset_status"
    # generic volume groups (group_states.GROUP_OPS)
    GROUP_CREATE = "group_create"
    GROUP_CREATE_FROM_SRC = "group_create_from_src"
    GROUP_UPDATE = "group_update"
    GROUP_DELETE = "group_delete"
    GROUP_DELETE_VOLUMES = "group_delete_volumes"
    GROUP_SNAPSHOT_CREATE = "group_snapshot_create"
    GROUP_SNAPSHOT_DELETE = "group_snapshot_delete"


# --- building the table ------------------------------------------------------------
State = str | None
Edge = tuple[State, State]

_V, _A, _S, _B, _M = VolumeStatus, AttachStatus, SnapshotStatus, BackupStatus, MigrationStatus

_STATES: dict[Machine, tuple[str | None, ...]] = {
    Machine.VOLUME: tuple(VolumeStatus),
    Machine.VOLUME_ATTACH: tuple(AttachStatus),
    Machine.VOLUME_MIGRATION: (None, *MigrationStatus),
    Machine.ATTACHMENT: tuple(AttachStatus),
    Machine.SNAPSHOT: tuple(SnapshotStatus),
    Machine.BACKUP: tuple(BackupStatus),
    Machine.GROUP: tuple(GroupStatus),
    Machine.GROUP_SNAPSHOT: tuple(GroupSnapshotStatus),
}
"""Values a live record may hold, per machine, in declaration order.  ``None`` is a
real value only for migration_status; elsewhere it means 'no record'."""
_STATE_SETS: dict[Machine, frozenset[str | None]] = {m: frozenset(v) for m, v in _STATES.items()}
""":data:`_STATES` as sets, for the membership test of every transition."""

_ANY = object()  # placeholder source: every state of the machine


class _Builder:
    def __init__(self) -> None:
        self.edges: dict[Machine, dict[Edge, set[str]]] = {m: {} for m in Machine}

    def add(self, machine: Machine, sources: Iterable[State] | object,
            targets: Iterable[State], *ops: Op) -> None:
        srcs: Iterable[State]
        if sources is _ANY:
            srcs = _STATES[machine]
        else:
            assert isinstance(sources, Iterable)
            srcs = sources
        src_list = list(srcs)
        for new in targets:
            for old in src_list:
                if old == new:
                    continue  # not a change
                self.edges[machine].setdefault((old, new), set()).update(ops)

    def freeze(self) -> Mapping[Machine, Mapping[Edge, tuple[str, ...]]]:
        order: dict[str, int] = {op.value: i for i, op in enumerate(Op)}
        return MappingProxyType({
            m: MappingProxyType({e: tuple(sorted(ops, key=order.__getitem__))
                                 for e, ops in edges.items()})
            for m, edges in self.edges.items()})


def _build() -> Mapping[Machine, Mapping[Edge, tuple[str, ...]]]:
    b = _Builder()
    V, VA, VM, AT, S, B = (Machine.VOLUME, Machine.VOLUME_ATTACH, Machine.VOLUME_MIGRATION,
                           Machine.ATTACHMENT, Machine.SNAPSHOT, Machine.BACKUP)
    deletable = [_V.AVAILABLE, _V.ERROR, _V.ERROR_RESTORING, _V.ERROR_EXTENDING,
                 _V.ERROR_MANAGING]
    no_error = [s for s in VolumeStatus if "error" not in s]
    recomputed_status = [_V.AVAILABLE, _V.IN_USE, _V.ATTACHING, _V.DETACHING, _V.RESERVED]
    recomputed_attach = [_A.DETACHED, _A.ATTACHED, _A.ATTACHING, _A.RESERVED]
    recompute_ops = (Op.ATTACHMENT_DELETE, Op.DETACH, Op.FORCE_DETACH, Op.RESET_STATUS)
    births = (Op.CREATE, Op.CREATE_FROM_SOURCE, Op.MIGRATE)

    # -- volume.status: create (the API writes 'creating'; manage writes 'managing')
    b.add(V, [None], [_V.CREATING], *births)
    b.add(V, [_V.CREATING], [_V.AVAILABLE, _V.ERROR], *births)
    b.add(V, [_V.CREATING], [_V.DOWNLOADING], Op.CREATE_FROM_SOURCE)  # image copy
    b.add(V, [_V.DOWNLOADING], [_V.AVAILABLE, _V.ERROR], Op.CREATE_FROM_SOURCE)
    b.add(V, [_V.CREATING], [_V.MIGRATION_TARGET], Op.MIGRATE)  # legacy target translation
    b.add(V, [None], [_V.MANAGING], Op.MANAGE)
    b.add(V, [_V.MANAGING], [_V.AVAILABLE, _V.ERROR_MANAGING], Op.MANAGE)
    # -- delete: guarded unless force; error_managing gets its own transient
    # (a volume that failed to be managed shows 'deleting' through the API view)
    b.add(V, [s for s in deletable if s != _V.ERROR_MANAGING], [_V.DELETING], Op.DELETE)
    b.add(V, [_V.ERROR_MANAGING], [_V.ERROR_MANAGING_DELETING], Op.DELETE, Op.FORCE_DELETE)
    b.add(V, [s for s in VolumeStatus if s != _V.ERROR_MANAGING], [_V.DELETING],
          Op.FORCE_DELETE)
    b.add(V, [_V.DELETING, _V.ERROR_MANAGING_DELETING], [_V.ERROR_DELETING],
          Op.DELETE, Op.FORCE_DELETE)
    b.add(V, [_V.DELETING], [_V.AVAILABLE], Op.DELETE, Op.FORCE_DELETE)  # VolumeIsBusy
    # cinder-backup deletes a backup's temporary volume as it is ('backing-up', no API
    # step); a driver failure then has the manager's _clear_db write 'error_deleting'.
    b.add(V, [_V.BACKING_UP], [_V.ERROR_DELETING], Op.DELETE)
    # A volume without a host is destroyed at the API whatever its status; a
    # migration deletes the leftover record.
    b.add(V, _ANY, [None], Op.DELETE, Op.FORCE_DELETE, Op.MIGRATE)
    b.add(V, [_V.UNMANAGING, _V.ERROR_MANAGING_DELETING], [None], Op.UNMANAGE)
    b.add(V, [s for s in deletable if s != _V.ERROR_MANAGING], [_V.UNMANAGING], Op.UNMANAGE)
    b.add(V, [_V.ERROR_MANAGING], [_V.ERROR_MANAGING_DELETING], Op.UNMANAGE)
    b.add(V, [_V.UNMANAGING, _V.ERROR_MANAGING_DELETING], [_V.ERROR_UNMANAGING], Op.UNMANAGE)
    # -- attachments API (>=3.27): no detaching step; delete recomputes
    b.add(V, [_V.AVAILABLE, _V.DOWNLOADING, _V.IN_USE], [_V.RESERVED], Op.ATTACHMENT_CREATE)
    b.add(V, no_error, [_V.ATTACHING], Op.ATTACHMENT_UPDATE)  # 409 on any error_* status
    b.add(V, _ANY, [_V.IN_USE], Op.ATTACHMENT_COMPLETE, Op.ATTACH)  # unconditional writes
    b.add(V, _ANY, recomputed_status, *recompute_ops)
    # -- legacy actions
    b.add(V, [_V.AVAILABLE, _V.IN_USE], [_V.ATTACHING], Op.RESERVE)  # in-use: multiattach
    b.add(V, [_V.ATTACHING], [_V.IN_USE, _V.AVAILABLE], Op.UNRESERVE, Op.TERMINATE_CONNECTION)
    b.add(V, [_V.IN_USE], [_V.DETACHING], Op.BEGIN_DETACHING)
    b.add(V, [_V.DETACHING], [_V.IN_USE], Op.ROLL_DETACHING)
    # -- extend (in-use from 3.42); failure with no backend rolls back to previous
    b.add(V, [_V.AVAILABLE, _V.IN_USE], [_V.EXTENDING], Op.EXTEND)
    b.add(V, [_V.EXTENDING], [_V.AVAILABLE, _V.IN_USE, _V.ERROR_EXTENDING], Op.EXTEND)
    # -- backup create: back to previous status even when the backup fails
    b.add(V, [_V.AVAILABLE, _V.IN_USE], [_V.BACKING_UP], Op.BACKUP_CREATE)
    b.add(V, [_V.BACKING_UP], [_V.AVAILABLE, _V.IN_USE], Op.BACKUP_CREATE)
    # the temporary volume get_backup_device makes (backup of a snapshot or of an in-use
    # volume, backup_use_temp_snapshot=False): born 'creating', backed up as 'backing-up',
    # deleted by cinder-volume's delete_volume afterwards
    b.add(V, [None], [_V.CREATING], Op.BACKUP_CREATE)
    b.add(V, [_V.CREATING], [_V.BACKING_UP], Op.BACKUP_CREATE)
    # -- restore (error when the restore created the volume)
    b.add(V, [_V.AVAILABLE], [_V.RESTORING_BACKUP], Op.BACKUP_RESTORE)
    b.add(V, [_V.RESTORING_BACKUP], [_V.AVAILABLE, _V.ERROR_RESTORING, _V.ERROR],
          Op.BACKUP_RESTORE)
    # create from a backup (3.47): restore_backup(volume_is_new=True) ends the 'creating'
    b.add(V, [_V.CREATING], [_V.AVAILABLE, _V.ERROR], Op.BACKUP_RESTORE)
    # -- transfer, retype, migrate, revert, upload
    b.add(V, [_V.AVAILABLE], [_V.AWAITING_TRANSFER], Op.TRANSFER_CREATE)
    b.add(V, [_V.AWAITING_TRANSFER], [_V.AVAILABLE], Op.TRANSFER_DELETE, Op.TRANSFER_ACCEPT)
    b.add(V, [_V.AVAILABLE, _V.IN_USE], [_V.RETYPING], Op.RETYPE)
    b.add(V, [_V.RETYPING], [_V.AVAILABLE, _V.IN_USE], Op.RETYPE, Op.MIGRATE)
    b.add(V, [_V.AVAILABLE], [_V.MAINTENANCE], Op.MIGRATE)  # lock_volume
    b.add(V, [_V.MAINTENANCE], [_V.AVAILABLE], Op.MIGRATE)
    b.add(V, [_V.AVAILABLE], [_V.REVERTING], Op.REVERT)
    b.add(V, [_V.REVERTING], [_V.AVAILABLE, _V.ERROR], Op.REVERT)
    b.add(V, [_V.AVAILABLE, _V.IN_USE], [_V.UPLOADING], Op.UPLOAD_TO_IMAGE)
    b.add(V, [_V.UPLOADING], [_V.AVAILABLE, _V.IN_USE], Op.UPLOAD_TO_IMAGE)
    # re-image (3.68): back to the previous status, or error on a failed copy
    b.add(V, [_V.AVAILABLE, _V.ERROR, _V.RESERVED], [_V.DOWNLOADING], Op.REIMAGE)
    b.add(V, [_V.DOWNLOADING], [_V.AVAILABLE, _V.ERROR, _V.RESERVED], Op.REIMAGE)
    # -- reset-status: any source; any fields.py value except 'deleting' (the API
    # also names 'error_deleting' 'detaching' but a missing comma glues them)
    b.add(V, _ANY, [s for s in FIELDS_VOLUME_STATUSES if s != _V.DELETING],
          Op.RESET_STATUS)

    # -- volume.attach_status: the API never passes through 'reserved' here
    b.add(VA, [None], [_A.DETACHED], *births, Op.MANAGE)
    b.add(VA, _ANY, [_A.ATTACHING], Op.ATTACHMENT_UPDATE)
    b.add(VA, _ANY, [_A.ATTACHED], Op.ATTACHMENT_COMPLETE, Op.ATTACH, Op.RESET_STATUS)
    b.add(VA, _ANY, recomputed_attach, *recompute_ops)

    # -- attachment.attach_status
    b.add(AT, [None], [_A.RESERVED], Op.ATTACHMENT_CREATE)
    b.add(AT, _ANY, [_A.ATTACHING], Op.ATTACHMENT_UPDATE)  # volume_attached writes it
    b.add(AT, [_A.ATTACHING], [_A.ERROR_ATTACHING], Op.ATTACHMENT_UPDATE, Op.ATTACH)
    b.add(AT, _ANY, [_A.ATTACHED], Op.ATTACHMENT_COMPLETE)
    b.add(AT, [None], [_A.ATTACHING], Op.ATTACH)  # begin_attach
    b.add(AT, [_A.ATTACHING], [_A.ATTACHED], Op.ATTACH)
    b.add(AT, _ANY, [_A.ERROR_DETACHING], Op.ATTACHMENT_DELETE, Op.DETACH, Op.FORCE_DETACH)
    b.add(AT, _ANY, [None], *recompute_ops, Op.DELETE, Op.FORCE_DELETE)

    # -- volume.migration_status (retype with migration uses the same path)
    mig = (Op.MIGRATE, Op.RETYPE)
    b.add(VM, [None, _M.DELETING, _M.ERROR, _M.SUCCESS], [_M.STARTING], *mig)
    b.add(VM, [_M.STARTING], [_M.MIGRATING, _M.ERROR], *mig)
    b.add(VM, [_M.MIGRATING], [_M.COMPLETING, _M.SUCCESS, _M.ERROR], *mig)
    b.add(VM, [_M.COMPLETING], [_M.SUCCESS, _M.ERROR], *mig)
    b.add(VM, [None], [_M.TARGET], *mig)  # the destination volume
    b.add(VM, [_M.TARGET], [_M.DELETING, None], *mig)  # unconfirmed: after the swap
    b.add(VM, _ANY, [_M.MIGRATING, _M.ERROR, _M.SUCCESS, _M.COMPLETING, _M.STARTING, None],
          Op.RESET_STATUS)

    # -- snapshot.status
    b.add(S, [None], [_S.CREATING], Op.SNAPSHOT_CREATE, Op.MANAGE)
    b.add(S, [_S.CREATING], [_S.AVAILABLE, _S.ERROR], Op.SNAPSHOT_CREATE, Op.MANAGE)
    dels = (Op.SNAPSHOT_DELETE, Op.CASCADE_DELETE, Op.FORCE_DELETE)
    b.add(S, [_S.AVAILABLE, _S.ERROR], [_S.DELETING], Op.SNAPSHOT_DELETE, Op.CASCADE_DELETE)
    b.add(S, _ANY, [_S.DELETING], Op.FORCE_DELETE)
    b.add(S, [_S.DELETING], [None, _S.ERROR_DELETING, _S.AVAILABLE], *dels)  # AVAILABLE: busy
    b.add(S, [_S.AVAILABLE, _S.ERROR], [_S.UNMANAGING], Op.UNMANAGE)
    b.add(S, [_S.UNMANAGING], [None, _S.ERROR_DELETING], Op.UNMANAGE)
    b.add(S, [_S.AVAILABLE], [_S.BACKING_UP], Op.BACKUP_CREATE)
    b.add(S, [_S.BACKING_UP], [_S.AVAILABLE], Op.BACKUP_CREATE)
    b.add(S, [_S.AVAILABLE], [_S.RESTORING], Op.REVERT)
    b.add(S, [_S.RESTORING], [_S.AVAILABLE], Op.REVERT)  # success and failure alike
    # os-update_snapshot_status: creating -> available/error, deleting -> error_deleting
    b.add(S, [_S.CREATING], [_S.AVAILABLE, _S.ERROR], Op.UPDATE_SNAPSHOT_STATUS)
    b.add(S, [_S.DELETING], [_S.ERROR_DELETING], Op.UPDATE_SNAPSHOT_STATUS)
    b.add(S, _ANY, list(SnapshotStatus), Op.RESET_STATUS)

    # -- backup.status
    b.add(B, [None], [_B.CREATING], Op.BACKUP_CREATE, Op.BACKUP_IMPORT)
    b.add(B, [_B.CREATING], [_B.AVAILABLE, _B.ERROR], Op.BACKUP_CREATE, Op.BACKUP_IMPORT)
    b.add(B, [_B.AVAILABLE, _B.ERROR], [_B.DELETING], Op.BACKUP_DELETE)
    b.add(B, _ANY, [_B.DELETING], Op.FORCE_DELETE)
    b.add(B, [_B.DELETING], [None, _B.ERROR_DELETING], Op.BACKUP_DELETE, Op.FORCE_DELETE)
    b.add(B, [_B.AVAILABLE], [_B.RESTORING], Op.BACKUP_RESTORE)
    b.add(B, [_B.RESTORING], [_B.AVAILABLE], Op.BACKUP_RESTORE)  # success and failure alike
    b.add(B, _ANY, [_B.AVAILABLE, _B.ERROR], Op.RESET_STATUS)

    # -- generic volume groups, group snapshots and their members (group_states.py)
    for machine, sources, targets, ops in group_edges():
        b.add(Machine(machine), _ANY if sources is None else sources, targets,
              *(Op(o) for o in ops))
    return b.freeze()


TABLE: Mapping[Machine, Mapping[Edge, tuple[str, ...]]] = _build()
"""Read-only: machine -> (old, new) -> the operations allowed to use that edge."""


# --- queries --------------------------------------------------------------------------
def _norm(machine: Machine, value: State) -> State:
    if machine is Machine.VOLUME_MIGRATION and value is not None and value.startswith("target:"):
        return MigrationStatus.TARGET
    return value


def machine_states(machine: Machine) -> tuple[str | None, ...]:
    """Every value a live record of *machine* may hold, in a fixed order."""
    return _STATES[machine]


def is_legal(machine: Machine, old: State, new: State, op: str | None = None) -> bool:
    """Whether ``old -> new`` is an edge (for *op*, when given).  No change is always legal."""
    old, new = _norm(machine, old), _norm(machine, new)
    if old == new:
        return True
    ops = TABLE[machine].get((old, new))
    if ops is None:
        return False
    return op is None or op in ops


def legal_targets(machine: Machine, old: State, op: str | None = None) -> tuple[State, ...]:
    """Where *old* may go (for *op*), in the machine's state order, ``None`` last."""
    old = _norm(machine, old)
    edges = TABLE[machine]
    out = [s for s in _STATES[machine]
           if (old, s) in edges and (op is None or op in edges[(old, s)])]
    if machine is not Machine.VOLUME_MIGRATION and (old, None) in edges and (
            op is None or op in edges[(old, None)]):
        out.append(None)
    return tuple(out)


# --- records --------------------------------------------------------------------------
class StatusRecord(Protocol):
    """What :func:`transition` needs of a record: an id and its kind (``volume`` ...)."""

    RESOURCE_KIND: ClassVar[str]

    @property
    def id(self) -> str: ...


_ENUMS: dict[Machine, type[enum.StrEnum]] = {
    Machine.VOLUME: VolumeStatus, Machine.VOLUME_ATTACH: AttachStatus,
    Machine.ATTACHMENT: AttachStatus, Machine.SNAPSHOT: SnapshotStatus,
    Machine.BACKUP: BackupStatus, Machine.GROUP: GroupStatus,
    Machine.GROUP_SNAPSHOT: GroupSnapshotStatus}
"""Stored values are enum members (plain strings to JSON and ==); migration_status
stays a plain string because of ``target:<id>``."""

_PRIMARY_FIELD = {"volume": "status", "attachment": "attach_status", "snapshot": "status",
                  "backup": "status", "group": "status", "group_snapshot": "status"}


def machine_for(kind: str, field: str) -> Machine:
    """The machine of ``<kind>.<field>``; a bug (IllegalTransition) if there is none."""
    machine = _MACHINES.get((kind, field))
    if machine is None:
        raise IllegalTransition(f"no status machine for {kind}.{field}")
    return machine


_MACHINES: dict[tuple[str, str], Machine] = {
    (m.value.split(".")[0], m.value.split(".")[1]): m for m in Machine}
"""Every status change looks its machine up: a dict, not an Enum call."""


_Parts = tuple[str, dict[str, str | None]]  # a status event's summary tail and detail
_PARTS: dict[tuple[str, str, State, State, str], _Parts] = {}
"""``(kind, field, old, new, op)`` -> its parts, shared by the events of that change (details
are only read).  Plain strings, JSON's: nothing for the GC.  Emptied past 256."""


def _parts(kind: str, field: str, old: State, new: State, op: str) -> _Parts:
    """The :data:`_Parts` of a change (remembered in :data:`_PARTS`)."""
    parts = _PARTS.get((kind, field, old, new, op))
    if parts is None:
        if len(_PARTS) >= 256:
            _PARTS.clear()
        what = "" if field == _PRIMARY_FIELD.get(kind) else f" {field}"
        parts = _PARTS[(kind, field, old, new, op)] = (
            f"{what} {old or '∅'} → {new or '∅'}",
            {"field": field, "old": None if old is None else str(old),
             "new": None if new is None else str(new), "op": str(op)})
    return parts


def _emit(trace: Trace, actor: str, kind: str, rid: str, parts: _Parts, reason: str | None) -> None:
    """The ``status`` event of a change (the caller has asked whether it is wanted)."""
    trace.emit_owned("status", actor, f"{kind} {rid[:8]}{parts[0]}",
                     parts[1] if reason is None else {**parts[1], "reason": reason},
                     resource=f"{kind}:{rid}")


_CHANGES_SEEN: dict[tuple[str, str, State, State, str], tuple[State, _Parts]] = {}
"""``(kind, field, old, new, op)`` of a change :func:`transition` found legal -> the value it
stores (the member of *new*; a plain string finds it too) and its event's parts.  :data:`TABLE`
never changes; migration statuses (``target:<id>`` is unbounded) are left out."""

_ENDS_SEEN: dict[tuple[str, State, State, str], _Parts] = {}
"""``(kind, old, new, op)`` of births and deaths found legal (bounded) -> their parts."""


def _check(machine: Machine, kind: str, rid: str, old: State, new: State, op: str) -> None:
    if not is_legal(machine, old, new, op):
        raise IllegalTransition(
            f"{kind} {rid}: {machine.value.split('.')[1]} {old!r} → {new!r} "
            f"is not an edge for op {op!r}")


def transition(record: StatusRecord, new: str | None, op: str, trace: Trace, actor: str,
               field: str = "status", reason: str | None = None,
               now: Callable[[], str] | None = None) -> bool:
    """Change ``record.<field>`` to *new* under *op*, or raise and change nothing.

    Bumps ``record.updated_at`` to ``now()`` when a stamp function is given (the
    :class:`~cindersim.db.Database` passes its virtual clock).  Returns whether
    anything changed: writing the current value is a silent no-op.
    """
    kind = type(record).RESOURCE_KIND
    old: State = getattr(record, field, None)  # no such field: refused below, as before
    seen = _CHANGES_SEEN.get((kind, field, old, new, op))  # a legal change
    if seen is None:  # not seen yet: every check, once per distinct change
        machine = _MACHINES.get((kind, field)) or machine_for(kind, field)  # raises for none
        old = getattr(record, field)
        if old == new:
            return False
        if new is None and machine is not Machine.VOLUME_MIGRATION:
            raise IllegalTransition(f"{kind} {record.id}: use record_destroyed to end a record")
        if machine is not Machine.VOLUME_MIGRATION and new not in _STATE_SETS[machine]:
            raise IllegalTransition(f"{kind} {record.id}: {new!r} is not a {machine} value")
        _check(machine, kind, record.id, old, new, op)
        enum_cls = _ENUMS.get(machine)  # None: migration_status, a plain string
        stored = new if enum_cls is None or new is None or type(new) is enum_cls \
            else enum_cls(new)  # stored as the member (callers mostly pass one already)
        seen = (stored, _parts(kind, field, old, stored, op))
        if enum_cls is not None:
            _CHANGES_SEEN[(kind, field, old, new, op)] = seen
    setattr(record, field, seen[0])
    if now is not None and hasattr(record, "updated_at"):
        record.updated_at = now()
    wanted = trace.wanted_kinds  # Trace.wants, inline: every change asks
    if wanted is None or "status" in wanted:
        _emit(trace, actor, kind, record.id, seen[1], reason)
    else:  # nothing would keep it: it is only counted (Trace.skip, inline: a frame less)
        trace._seq += 1
    return True


def record_created(record: StatusRecord, op: str, trace: Trace, actor: str) -> None:
    """Record the birth of *record* in its current (initial) status: ``None -> status``."""
    kind = type(record).RESOURCE_KIND
    field = _PRIMARY_FIELD[kind]
    new: State = getattr(record, field)
    parts = _ENDS_SEEN.get((kind, None, new, op))  # every create is born the same way
    if parts is None:
        _check(machine_for(kind, field), kind, record.id, None, new, op)
        parts = _ENDS_SEEN[(kind, None, new, op)] = _parts(kind, field, None, new, op)
    wanted = trace.wanted_kinds  # Trace.wants, inline: every create asks
    if wanted is None or "status" in wanted:
        _emit(trace, actor, kind, record.id, parts, None)
    else:
        trace._seq += 1  # Trace.skip, inline (every create comes here)


def record_destroyed(record: StatusRecord, *, op: str, trace: Trace, actor: str,
                     reason: str | None = None) -> None:
    """Record the end of *record* (``status -> None``); the caller removes the row."""
    kind = type(record).RESOURCE_KIND
    field = _PRIMARY_FIELD[kind]
    old: State = getattr(record, field)
    parts = _ENDS_SEEN.get((kind, old, None, op))
    if parts is None:
        _check(machine_for(kind, field), kind, record.id, old, None, op)
        parts = _ENDS_SEEN[(kind, old, None, op)] = _parts(kind, field, old, None, op)
    wanted = trace.wanted_kinds
    if wanted is not None and "status" not in wanted:
        return trace.skip()  # nothing would keep it: it is only counted
    _emit(trace, actor, kind, record.id, parts, reason)


# --- the attachment recompute ---------------------------------------------------------------
_ATTACH_TO_VOLUME: dict[str, VolumeStatus] = {AttachStatus.ATTACHED: VolumeStatus.IN_USE,
                                              AttachStatus.DETACHED: VolumeStatus.AVAILABLE}
_ATTACH_VALUES = frozenset(s.value for s in AttachStatus)


def statuses_from_attachments(attach_statuses: Iterable[str]) -> tuple[str, VolumeStatus]:
    """``(attach_status, status)`` of a volume from its remaining attachments.

    Cinder's ``_get_statuses_from_attachments``: ignore ``error_*`` attachments,
    take the alphabetically first of the rest (attached < attaching < detaching
    < reserved), else ``detached``; ``attached`` maps to ``in-use``, ``detached`` to
    ``available``, anything else is copied as the volume status.  (``detaching`` is
    in Cinder's ordering but not in VolumeAttachStatus, so no attachment of ours
    holds it; it is passed through as a plain string if given.)
    """
    live = sorted(s for s in attach_statuses if not s.startswith("error_"))
    first = live[0] if live else AttachStatus.DETACHED.value
    attach: str = AttachStatus(first) if first in _ATTACH_VALUES else first
    status = _ATTACH_TO_VOLUME.get(first) or VolumeStatus(first)
    return attach, status


# --- the invariant checker -------------------------------------------------------------------
class TransitionChecker:
    """Replays ``status`` events incrementally; reports every edge the table refuses.

    Also reports an event whose ``old`` disagrees with the last ``new`` seen for
    the same resource and field, and any event about a record already destroyed.
    A field first seen without a creation event is taken on trust.  Feed it the
    new events after each step (a state machine does) instead of replaying the
    whole trace every time.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._last: dict[tuple[str, str], State] = {}
        self._gone: set[str] = set()
        self.seen = 0
        """Events fed so far (status or not)."""

    def feed(self, events: Iterable[TraceEvent]) -> list[str]:
        """Check *events*; returns the problems found in them (also kept in ``problems``)."""
        found: list[str] = []
        for ev in events:
            self.seen += 1
            if ev.kind != "status" or ev.resource is None:
                continue
            d = ev.detail
            kind, _, _rid = ev.resource.partition(":")
            field, old, new, op = d.get("field"), d.get("old"), d.get("new"), d.get("op")
            where = f"seq {ev.seq} {ev.resource}"
            if not isinstance(field, str) or not isinstance(op, str):
                found.append(f"{where}: status event without field/op")
                continue
            try:
                machine = machine_for(kind, field)
            except IllegalTransition as exc:
                found.append(f"{where}: {exc}")
                continue
            if ev.resource in self._gone:
                if old is None and op == Op.BACKUP_IMPORT and kind == "backup":
                    # import_record brings a deleted backup back under its own id (Cinder
                    # re-creates the row the export named): a birth, not a change.
                    self._gone.discard(ev.resource)
                else:
                    found.append(f"{where}: change after the record was destroyed")
            key = (ev.resource, field)
            last = self._last
            if key in last and _norm(machine, last[key]) != _norm(machine, old):
                found.append(f"{where}: {field} old {old!r} but last seen {last[key]!r}")
            if not is_legal(machine, old, new, op) or old == new:
                found.append(f"{where}: {field} {old!r} → {new!r} is not an edge for op {op!r}")
            last[key] = new
            if new is None and field == _PRIMARY_FIELD.get(kind):
                self._gone.add(ev.resource)
        self.problems.extend(found)
        return found


def check_trace(events: Iterable[TraceEvent]) -> list[str]:
    """Replay ``status`` events; report every edge the table refuses (see
    :class:`TransitionChecker`)."""
    return TransitionChecker().feed(events)
