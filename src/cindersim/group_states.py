"""The status machines of generic volume groups and group snapshots.

The strings are ``fields.GroupStatus`` and ``fields.GroupSnapshotStatus``; the edges
come from the conditional updates of ``cinder/group/api.py`` and the writes of the
volume manager's group methods (``create_group``, ``update_group``, ``delete_group``,
``create_group_snapshot``, ``delete_group_snapshot``, ``create_group_from_src`` and
their generic fallbacks, which the LVM driver always takes).  The edges a group
operation adds to the *volume* and *snapshot* machines (the member rows) are here
too, so the group feature reads in one place.  :mod:`cindersim.states` folds
:func:`group_edges` into its transition table; this module imports nothing of it.

Facts worth knowing (all Cinder's own behaviour):

* Updating only the name or description writes ``available`` with no expected
  status: a group in ``error`` becomes ``available`` by a rename.
* ``delete`` without ``delete-volumes`` expects ``available``/``error``; with it any
  status goes to ``deleting`` (Cinder "overloads" the flag to mean force).  The API
  writes ``deleting`` on every member volume unconditionally first.
* A group with no host (scheduling never placed it) is destroyed at the API.
* ``reset_status`` writes any value the schema's format admits; for groups that
  format checks ``GroupSnapshotStatus.ALL`` (so ``in-use`` is refused) -- a Cinder quirk.
* Deleting a group snapshot sets every member snapshot ``deleting`` whatever its
  status (no conditional update on the snapshots).
"""

from __future__ import annotations

import enum

__all__ = ["GROUP_OPS", "GroupSnapshotStatus", "GroupStatus", "group_edges"]


class GroupStatus(enum.StrEnum):
    """``fields.GroupStatus``."""

    ERROR = "error"
    AVAILABLE = "available"
    CREATING = "creating"
    DELETING = "deleting"
    DELETED = "deleted"
    UPDATING = "updating"
    IN_USE = "in-use"
    ERROR_DELETING = "error_deleting"


class GroupSnapshotStatus(enum.StrEnum):
    """``fields.GroupSnapshotStatus``."""

    ERROR = "error"
    AVAILABLE = "available"
    CREATING = "creating"
    DELETING = "deleting"
    DELETED = "deleted"
    UPDATING = "updating"
    ERROR_DELETING = "error_deleting"


GROUP_OPS = ("group_create", "group_create_from_src", "group_update", "group_delete",
             "group_delete_volumes", "group_snapshot_create", "group_snapshot_delete")
"""The operation labels this module's edges use (members of ``states.Op``)."""

Sources = tuple[str | None, ...] | None
"""Source states; None means every state of the machine (an unconditional write)."""
EdgeSpec = tuple[str, Sources, tuple[str | None, ...], tuple[str, ...]]
"""(machine, sources, targets, ops)."""

_G = GroupStatus
_GS = GroupSnapshotStatus


def group_edges() -> list[EdgeSpec]:
    """Every edge the group feature adds, as plain data for ``states._build``."""
    create = ("group_create", "group_create_from_src")
    deletes = ("group_delete", "group_delete_volumes")
    snap_create, snap_delete = ("group_snapshot_create",), ("group_snapshot_delete",)
    return [
        # -- group.status
        ("group.status", (None,), (_G.CREATING,), create),
        ("group.status", (_G.CREATING,), (_G.AVAILABLE, _G.ERROR), create),
        ("group.status", (_G.ERROR,), (_G.AVAILABLE,), ("group_create_from_src",)),
        ("group.status", (_G.CREATING,), (None,), create),  # API rollback: group.destroy()
        ("group.status", None, (_G.AVAILABLE,), ("group_update",)),  # name/description only
        ("group.status", (_G.AVAILABLE,), (_G.UPDATING,), ("group_update",)),
        ("group.status", (_G.UPDATING,), (_G.AVAILABLE, _G.ERROR), ("group_update",)),
        ("group.status", (_G.AVAILABLE, _G.ERROR), (_G.DELETING,), ("group_delete",)),
        ("group.status", None, (_G.DELETING,), ("group_delete_volumes",)),
        ("group.status", (_G.DELETING,), (_G.ERROR,), deletes),
        ("group.status", None, (None,), deletes),  # no host: destroyed at the API
        ("group.status", None, tuple(GroupSnapshotStatus), ("reset_status",)),
        # -- group_snapshot.status
        ("group_snapshot.status", (None,), (_GS.CREATING,), snap_create),
        ("group_snapshot.status", (_GS.CREATING,), (_GS.AVAILABLE, _GS.ERROR, None),
         snap_create),
        ("group_snapshot.status", (_GS.AVAILABLE, _GS.ERROR), (_GS.DELETING,), snap_delete),
        ("group_snapshot.status", (_GS.DELETING,), (_GS.ERROR, None), snap_delete),
        ("group_snapshot.status", None, tuple(GroupSnapshotStatus), ("reset_status",)),
        # -- member volumes (volume.status)
        ("volume.status", None, ("deleting",), deletes),  # db.volumes_update, unconditional
        ("volume.status", ("deleting",), ("error", "available"), deletes),  # failed / busy
        ("volume.status", None, (None,), deletes),
        ("volume.status", ("available", "in-use", "error", "error_deleting"), ("error",),
         ("group_update",)),  # update_group failure marks the members it touched
        ("volume.status", ("creating",), ("available", "error"), ("group_create_from_src",)),
        # create_group_from_src writes 'available' on every member after the driver pass,
        # over a member the generic fallback had just marked 'error'.
        ("volume.status", ("error",), ("available",), ("group_create_from_src",)),
        # -- member snapshots (snapshot.status)
        ("snapshot.status", (None,), ("creating",), snap_create),
        ("snapshot.status", ("creating",), ("available", "error", None), snap_create),
        ("snapshot.status", None, ("deleting",), snap_delete),
        ("snapshot.status", ("deleting",), (None, "available", "error"), snap_delete),
    ]
