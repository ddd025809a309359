"""Rows of generic volume groups: ``group_types`` (with ``group_type_specs`` and
``group_type_projects``), ``groups`` (with ``group_volume_type_mapping``) and
``group_snapshots``.

:class:`~cindersim.db.Database` holds one table of each (``db.group_types``,
``db.groups``, ``db.group_snapshots``); groups and group snapshots have a status
machine (:mod:`cindersim.group_states`), so they enter and leave through
``Database.add``/``remove`` like volumes do.  A volume's membership is its
``group_id``; a snapshot's its ``group_snapshot_id``.

The database is born with one group type, ``default_cgsnapshot_type`` (spec
``consistent_group_snapshot_enabled='<is> True'``), as Cinder's initial migration
creates it: the consistency-group API (``/consistencygroups``, ``/cgsnapshots``)
works on groups of that type, and the generic group API hides them.  Its id is
derived from its name rather than drawn from the simulation's generator, so adding
it shifts no other id.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

import attrs

from cindersim.group_states import GroupSnapshotStatus, GroupStatus

__all__ = ["DEFAULT_CGSNAPSHOT_TYPE", "Group", "GroupSnapshot", "GroupType",
           "default_cgsnapshot_type"]

DEFAULT_CGSNAPSHOT_TYPE = "default_cgsnapshot_type"
"""``group_types.DEFAULT_CGSNAPSHOT_TYPE``."""


def _specs() -> dict[str, str]:
    return {}


@attrs.define(slots=True, eq=True)
class GroupType:
    """A row of ``group_types``; ``projects`` is ``group_type_projects`` (who may see a
    private type: Cinder has no API to change it, only ``group_type_access_add``)."""

    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    group_specs: dict[str, str] = attrs.field(factory=_specs)
    projects: list[str] = attrs.field(factory=list)
    created_at: str | None = None
    updated_at: str | None = None


@attrs.define(slots=True, eq=True)
class Group:
    """A row of ``groups``; ``volume_type_ids`` is its ``group_volume_type_mapping``."""

    RESOURCE_KIND: ClassVar[str] = "group"

    id: str
    project_id: str
    user_id: str
    group_type_id: str
    status: GroupStatus = GroupStatus.CREATING
    availability_zone: str | None = None
    name: str | None = None
    description: str | None = None
    volume_type_ids: list[str] = attrs.field(factory=list)
    host: str | None = None
    """``host@backend#pool`` of the backend the scheduler picked; None until then."""
    cluster_name: str | None = None
    group_snapshot_id: str | None = None
    source_group_id: str | None = None
    replication_status: str = "disabled"
    created_at: str | None = None
    updated_at: str | None = None


@attrs.define(slots=True, eq=True)
class GroupSnapshot:
    """A row of ``group_snapshots``; its members are the snapshots naming it."""

    RESOURCE_KIND: ClassVar[str] = "group_snapshot"

    id: str
    group_id: str
    project_id: str
    user_id: str
    group_type_id: str
    status: GroupSnapshotStatus = GroupSnapshotStatus.CREATING
    name: str | None = None
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


def default_cgsnapshot_type(created_at: str) -> GroupType:
    """The group type Cinder's initial migration inserts."""
    digest = bytearray(hashlib.sha256(DEFAULT_CGSNAPSHOT_TYPE.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x40  # a version-4 shaped uuid, as uuid4() gives
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return GroupType(id=f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
                     name=DEFAULT_CGSNAPSHOT_TYPE,
                     description="Default group type for migrating cgsnapshot",
                     group_specs={"consistent_group_snapshot_enabled": "<is> True"},
                     created_at=created_at, updated_at=created_at)
