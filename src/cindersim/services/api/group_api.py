"""What ``cinder/group/api.py`` does for the group controllers (v3 groups and group
snapshots, and the consistency-group API that Cinder maps onto them).

* Create (``group:create``): volume types by name or id, the group type (a uuid-like
  ref by id, then by name), the availability zone; reserve ``groups`` +1 (413
  ``Maximum number of groups allowed (N) exceeded``), write the row ``creating``,
  commit, cast ``create_group`` to cinder-scheduler with one spec per volume type.
* Create from a source (3.14): the source group or group snapshot gives the group
  type, the volume types and the backend (the new row takes the source's host);
  ``validate_host_capacity`` asks the scheduler whether that backend holds the
  total size (no: ``400 Invalid Group: No valid host to create group <id>.``, and
  the new group is left ``creating`` with its quota, as in Cinder).  One volume row
  per member is written through the ordinary create path (quota, ``creating``,
  ``snapshot_id``/``source_volid``), placed on the group's host, and the volume
  service is cast ``create_group_from_src``.  An empty source is ``Invalid Group:
  Group snapshot is empty. No group will be created.`` (or ``Source Group is
  empty...``); the rows made so far are deleted and the group destroyed.
* Update, delete, group snapshots, reset-status and the replication actions: the
  checks and messages of the same module (see each function).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import target_of
from ...db import Snapshot, Volume, VolumeType
from ...db_groups import DEFAULT_CGSNAPSHOT_TYPE, Group, GroupSnapshot
from ...errors import InvalidVolume, OverQuota, VolumeTypeNotFound, VolumeTypeNotFoundByName
from ...group_errors import (
    GroupNotFound,
    GroupSnapshotNotFound,
    InvalidGroup,
    InvalidGroupSnapshot,
    InvalidGroupType,
)
from ...group_states import GroupSnapshotStatus, GroupStatus
from ...states import Op, SnapshotStatus, VolumeStatus
from ..quota import over_quota_error
from ..scheduler.request_spec import RequestSpec
from ..volume_utils import extract_host
from .common import admin, enforce, is_uuid_like
from .group_types import group_type_by_name_or_id
from .wsgi import ApiRequest

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["VALID_ADD_VOL_TO_GROUP_STATUS", "VALID_REMOVE_VOL_FROM_GROUP_STATUS",
           "create_from_src", "create_group", "create_group_snapshot", "delete_group",
           "delete_group_snapshot", "get_group", "get_group_snapshot", "is_cg_type",
           "member_volumes", "replication_check", "update_group"]

ACTOR = "cinder-api"
VALID_REMOVE_VOL_FROM_GROUP_STATUS = ("available", "in-use", "error", "error_deleting")
VALID_ADD_VOL_TO_GROUP_STATUS = ("available", "in-use")


# --- lookups ---------------------------------------------------------------------------------
def get_group(api: ApiService, req: ApiRequest, group_id: str,
              policy: str = "group:get") -> Group:
    """``Group.get_by_id`` (another project's group is a 404) then the policy."""
    group = api.env.db.groups.get(group_id)
    if group is None or not (admin(req) or group.project_id == req.context.project_id):
        raise GroupNotFound(group_id=group_id)
    enforce(api, req, policy, group.project_id)
    return group


def get_group_snapshot(api: ApiService, req: ApiRequest, gsnap_id: str,
                       policy: str = "group:get_group_snapshot") -> GroupSnapshot:
    gsnap = api.env.db.group_snapshots.get(gsnap_id)
    if gsnap is None or not (admin(req) or gsnap.project_id == req.context.project_id):
        raise GroupSnapshotNotFound(group_snapshot_id=gsnap_id)
    enforce(api, req, policy, gsnap.project_id)
    return gsnap


def is_cg_type(api: ApiService, group_type_id: str | None) -> bool:
    """``group_types.is_default_cgsnapshot_type``."""
    gtype = api.env.db.group_types.get(group_type_id or "")
    return gtype is not None and gtype.name == DEFAULT_CGSNAPSHOT_TYPE


def member_volumes(api: ApiService, group_id: str) -> list[Volume]:
    """``VolumeList.get_all_by_generic_group``, in creation order."""
    return [v for v in api.env.db.volumes.values() if v.group_id == group_id]


def group_snapshot_members(api: ApiService, gsnap_id: str) -> list[Snapshot]:
    return [s for s in api.env.db.snapshots.values() if s.group_snapshot_id == gsnap_id]


def _volume_type(api: ApiService, ref: str) -> VolumeType:
    """``db.volume_types_get_by_name_or_id`` (admin context: private types too)."""
    db = api.env.db
    if not is_uuid_like(ref):
        for vtype in db.volume_types.values():
            if vtype.name == ref:
                return vtype
        raise VolumeTypeNotFoundByName(volume_type_name=ref)
    found = db.volume_types.get(ref)
    if found is None:
        raise VolumeTypeNotFound(volume_type_id=ref)
    return found


def _reserve_group(api: ApiService, project_id: str) -> list[str]:
    try:
        return api.env.quota.reserve(project_id, {"groups": 1})
    except OverQuota as exc:
        raise over_quota_error(exc, "groups") from exc


def _release_group(api: ApiService, project_id: str) -> None:
    ids = api.env.quota.reserve(project_id, {"groups": -1})
    api.env.quota.commit(ids)


def _emit(api: ApiService, summary: str, group: Group, **detail: Any) -> None:
    api.env.trace.emit("group.request", ACTOR, summary, resource=f"group:{group.id}", **detail)


# --- create ----------------------------------------------------------------------------------
def create_group(api: ApiService, req: ApiRequest, *, name: str | None,
                 description: str | None, group_type: str, volume_types: list[str],
                 availability_zone: str | None) -> Group:
    env = api.env
    ctx = req.context
    from .volumes import resolve_availability_zone  # noqa: PLC0415 (volumes imports us)

    enforce(api, req, "group:create")
    vtypes = [_volume_type(api, ref) for ref in volume_types]
    gtype = group_type_by_name_or_id(api, req, group_type)
    az = resolve_availability_zone(api, availability_zone)
    reservations = _reserve_group(api, ctx.project_id)
    group = Group(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                  group_type_id=gtype.id, availability_zone=az, name=name,
                  description=description, volume_type_ids=[t.id for t in vtypes])
    env.db.add(group, op=Op.GROUP_CREATE, actor=ACTOR)
    env.quota.commit(reservations)
    _emit(api, f"group {group.id[:8]} requested with {len(vtypes)} volume type(s)", group,
          group_type_id=gtype.id, volume_type_ids=list(group.volume_type_ids))
    specs = [RequestSpec(size=0, group_id=group.id, volume_type_name=t.name,
                         volume_type_id=t.id, extra_specs=dict(t.extra_specs),
                         availability_zone=az, project_id=ctx.project_id,
                         user_id=ctx.user_id) for t in vtypes]
    env.bus.cast(ACTOR, target_of("cinder-scheduler"), "create_group", group_id=group.id,
                 request_specs=specs)
    return group


async def create_from_src(api: ApiService, req: ApiRequest, *, name: str | None,
                          description: str | None, group_snapshot_id: str | None,
                          source_group_id: str | None) -> Group:
    env = api.env
    db = env.db
    ctx = req.context
    enforce(api, req, "group:create")
    gsnap: GroupSnapshot | None = None
    source: Group
    if group_snapshot_id:
        gsnap = get_group_snapshot(api, req, group_snapshot_id)
        source = get_group(api, req, gsnap.group_id)
        size = sum(s.volume_size for s in group_snapshot_members(api, gsnap.id))
    else:
        source = get_group(api, req, source_group_id or "")
        size = sum(v.size for v in member_volumes(api, source.id))
    reservations = _reserve_group(api, ctx.project_id)
    group = Group(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                  group_type_id=(gsnap.group_type_id if gsnap else source.group_type_id),
                  availability_zone=source.availability_zone, name=name,
                  description=description, volume_type_ids=list(source.volume_type_ids),
                  host=source.host, cluster_name=source.cluster_name,
                  group_snapshot_id=group_snapshot_id, source_group_id=source_group_id)
    db.add(group, op=Op.GROUP_CREATE_FROM_SRC, actor=ACTOR)
    env.quota.commit(reservations)
    _emit(api, f"group {group.id[:8]} requested from "
          f"{'group snapshot ' + gsnap.id[:8] if gsnap else 'group ' + source.id[:8]}", group,
          group_snapshot_id=group_snapshot_id, source_group_id=source_group_id)
    if not group.host or not await _host_has_room(api, group, size):
        raise InvalidGroup(reason=f"No valid host to create group {group.id}.")
    try:
        if gsnap is not None:
            members: list[Any] = group_snapshot_members(api, gsnap.id)
            if not members:
                raise InvalidGroup(reason="Group snapshot is empty. No group will be created.")
        else:
            members = member_volumes(api, source.id)
            if not members:
                raise InvalidGroup(reason="Source Group is empty. No group will be created.")
        for member in members:
            _member_row(api, req, group, member)
    except Exception:
        from .volumes import delete_volume  # noqa: PLC0415 (volumes imports us)

        for vol in member_volumes(api, group.id):
            await delete_volume(api, vol, cascade=False, force=False,
                                token=req.context.auth_token)
        db.remove(group, op=Op.GROUP_CREATE_FROM_SRC, actor=ACTOR,
                  reason="creating the member volumes failed")
        # group.destroy() alone: the committed ``groups`` +1 is not given back (Cinder
        # leaks it until a quota resync), so in_use counts one group more than exist.
        raise
    for vol in member_volumes(api, group.id):
        vol.host, vol.cluster_name = group.host, group.cluster_name  # _update_volumes_host
    env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(group.host or "")),
                 "create_group_from_src", group_id=group.id,
                 group_snapshot_id=group_snapshot_id, source_group_id=source_group_id)
    return group


async def _host_has_room(api: ApiService, group: Group, size: int) -> bool:
    """``scheduler_rpcapi.validate_host_capacity`` (an RPC call)."""
    result = await api.env.bus.call(ACTOR, target_of("cinder-scheduler"),
                                    "validate_host_capacity", backend=group.host,
                                    request_spec=RequestSpec(size=size, group_id=group.id))
    return bool(result)


def _member_row(api: ApiService, req: ApiRequest, group: Group, member: Any) -> Volume:
    """``volume_api.create`` with ``group_snapshot``/``source_group``: quota and the row,
    no cast (the volume manager creates them all in ``create_group_from_src``)."""
    env = api.env
    ctx = req.context
    is_snap = isinstance(member, Snapshot)
    size = member.volume_size if is_snap else member.size
    vtype = env.db.volume_types.get(member.volume_type_id or "")
    env.quota.check_per_volume(size, ctx.project_id)
    try:
        reservations = env.quota.reserve(ctx.project_id, env.quota.volume_deltas(
            size, vtype.name if vtype else None))
    except OverQuota as exc:
        raise over_quota_error(exc, "volumes", size) from exc
    vol = Volume(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                 size=size, availability_zone=group.availability_zone or "nova",
                 volume_type_id=member.volume_type_id, group_id=group.id,
                 snapshot_id=member.id if is_snap else None,
                 source_volid=None if is_snap else member.id)
    env.db.add(vol, op=Op.CREATE_FROM_SOURCE, actor=ACTOR)
    env.quota.commit(reservations)
    return vol


# --- delete ----------------------------------------------------------------------------------
def delete_group(api: ApiService, req: ApiRequest, group: Group, delete_volumes: bool) -> None:
    env = api.env
    db = env.db
    enforce(api, req, "group:delete", group.project_id)
    op = Op.GROUP_DELETE_VOLUMES if delete_volumes else Op.GROUP_DELETE
    if not group.host:
        _release_group(api, group.project_id)
        db.remove(group, op=op, actor=ACTOR, reason="no host: deleted at the API")
        return
    if not delete_volumes and group.status not in (GroupStatus.AVAILABLE, GroupStatus.ERROR):
        raise InvalidGroup(reason="Group status must be available or error, but current "
                                  f"status is: {group.status}")
    if any(s.group_id == group.id for s in db.group_snapshots.values()):
        raise InvalidGroup(reason="Group has existing snapshots.")
    volumes = member_volumes(api, group.id)
    if volumes and not delete_volumes:
        raise InvalidGroup(reason=f"Group {group.id} still contains volumes. The "
                                  "delete-volumes flag is required to delete it.")
    for vol in volumes:
        if vol.attach_status == "attached":
            raise InvalidGroup(reason=f"Volume in group {group.id} is attached. Need to "
                                      "detach first.")
        if db.snapshots_of(vol.id):
            raise InvalidGroup(reason="Volume in group still has dependent snapshots.")
    for vol in volumes:  # db.volumes_update: unconditional, before the group's own check
        db.transition(vol, VolumeStatus.DELETING, op=op, actor=ACTOR)
    creating_from = any(g.status == GroupStatus.CREATING and g.source_group_id == group.id
                        for g in db.groups.values())
    status_ok = delete_volumes or group.status in (GroupStatus.AVAILABLE, GroupStatus.ERROR)
    if creating_from or not status_ok:
        reason = ("Group status must be available or error and must not have dependent "
                  "group snapshots" if delete_volumes else
                  "Group must not have attached volumes, volumes with snapshots, or "
                  "dependent group snapshots")
        raise InvalidGroup(reason=f"Cannot delete group {group.id}. {reason}, and it cannot "
                                  "be the source for an ongoing group or group snapshot "
                                  "creation.")
    db.transition(group, GroupStatus.DELETING, op=op, actor=ACTOR)
    env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(group.host)), "delete_group",
                 group_id=group.id, op=str(op))


# --- update ----------------------------------------------------------------------------------
def update_group(api: ApiService, req: ApiRequest, group: Group, *, name: str | None,
                 description: str | None, add_volumes: str | None,
                 remove_volumes: str | None) -> None:
    env = api.env
    db = env.db
    enforce(api, req, "group:update", group.project_id)
    if name == group.name:
        name = None
    if description == group.description:
        description = None
    add_list = add_volumes.strip(",").split(",") if add_volumes else []
    remove_list = remove_volumes.strip(",").split(",") if remove_volumes else []
    both = [u for u in add_list if u in remove_list]
    if both:
        raise InvalidVolume(reason=f"UUIDs {both} are in both add and remove volume list.")
    volumes = member_volumes(api, group.id)
    add_new = _validate_add(api, req, volumes, add_list, group) if add_list else []
    remove_new = _validate_remove(volumes, remove_list, group) if remove_list else []
    if name is None and description is None and not add_new and not remove_new:
        raise InvalidGroup(reason=f"Cannot update group {group.id} because no valid name, "
                                  "description, add_volumes, or remove_volumes were "
                                  "provided.")
    if (add_new or remove_new) and group.status != GroupStatus.AVAILABLE:
        raise InvalidGroup(reason="Group status must be available.")  # conditional_update
    if name is not None:
        group.name = name
    if description is not None:
        group.description = description
    group.updated_at = db.stamp()
    target = GroupStatus.UPDATING if (add_new or remove_new) else GroupStatus.AVAILABLE
    db.transition(group, target, op=Op.GROUP_UPDATE, actor=ACTOR)
    if add_new or remove_new:
        env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(group.host or "")),
                     "update_group", group_id=group.id, add_volumes=",".join(add_new),
                     remove_volumes=",".join(remove_new))


def _validate_remove(volumes: list[Volume], remove_list: list[str], group: Group) -> list[str]:
    out: list[str] = []
    for vol in volumes:
        if vol.id in remove_list:
            if vol.status not in VALID_REMOVE_VOL_FROM_GROUP_STATUS:
                raise InvalidVolume(reason=f"Cannot remove volume {vol.id} from group "
                                           f"{group.id} because volume is in an invalid "
                                           f"state: {vol.status}. Valid states are: "
                                           f"{VALID_REMOVE_VOL_FROM_GROUP_STATUS}.")
            out.append(vol.id)
    for rid in remove_list:
        if rid not in ",".join(out):  # Cinder tests substring membership in the joined ids
            raise InvalidVolume(reason=f"Cannot remove volume {rid} from group {group.id} "
                                       "because it is not in the group.")
    return out


def _validate_add(api: ApiService, req: ApiRequest, volumes: list[Volume],
                  add_list: list[str], group: Group) -> list[str]:
    db = api.env.db
    members = {v.id for v in volumes}
    wanted = [a for a in add_list if a not in members]
    out: list[str] = []
    for vid in wanted:
        vol = db.volumes.get(vid)
        if vol is None or not (admin(req) or vol.project_id == req.context.project_id):
            raise InvalidVolume(reason=f"Cannot add volume {vid} to group {group.id} because "
                                       "volume cannot be found.")
        where = f"Cannot add volume {vol.id} to group {group.id}"
        if vol.group_id:
            raise InvalidVolume(reason=f"{where} because it is already in group "
                                       f"{vol.group_id}.")
        if vol.project_id != group.project_id:
            raise InvalidVolume(reason=f"{where} as they belong to different projects.")
        if not vol.volume_type_id:
            raise InvalidVolume(reason=f"{where} because it has no volume type.")
        if vol.volume_type_id not in group.volume_type_ids:
            raise InvalidVolume(reason=f"{where} because volume type {vol.volume_type_id} is "
                                       "not supported by the group.")
        if vol.status not in VALID_ADD_VOL_TO_GROUP_STATUS:
            raise InvalidVolume(reason=f"{where} because volume is in an invalid state: "
                                       f"{vol.status}. Valid states are: "
                                       f"{VALID_ADD_VOL_TO_GROUP_STATUS}.")
        if extract_host(vol.host or "") != extract_host(group.host or ""):
            raise InvalidVolume(reason="Volume is not local to this node.")
        out.append(vol.id)
    return out


# --- group snapshots -------------------------------------------------------------------------
def create_group_snapshot(api: ApiService, req: ApiRequest, group: Group, *,
                          name: str | None, description: str | None) -> GroupSnapshot:
    """The group's status is not checked (Cinder does not); each member is checked as
    a snapshot create would be, then one reservation covers every member."""
    env = api.env
    db = env.db
    ctx = req.context
    enforce(api, req, "group:create_group_snapshot", group.project_id)
    gsnap = GroupSnapshot(id=env.sim.ids.uuid(), group_id=group.id,
                          project_id=ctx.project_id, user_id=ctx.user_id,
                          group_type_id=group.group_type_id, name=name,
                          description=description)
    db.add(gsnap, op=Op.GROUP_SNAPSHOT_CREATE, actor=ACTOR)
    try:
        volumes = member_volumes(api, group.id)
        for vol in volumes:
            _snapshot_validate(api, req, vol)
        total: dict[str, int] = {}
        for vol in volumes:
            vtype = db.volume_types.get(vol.volume_type_id or "")
            deltas = env.quota.snapshot_deltas(vol.size, vtype.name if vtype else None)
            for key, value in deltas.items():
                total[key] = total.get(key, 0) + value
        try:
            reservations = env.quota.reserve(ctx.project_id, total) if total else []
        except OverQuota as exc:
            raise over_quota_error(exc, "snapshots", total.get("gigabytes")) from exc
    except Exception:
        db.remove(gsnap, op=Op.GROUP_SNAPSHOT_CREATE, actor=ACTOR, reason="rejected")
        raise
    for vol in volumes:
        db.add(Snapshot(id=env.sim.ids.uuid(), volume_id=vol.id, project_id=ctx.project_id,
                        user_id=ctx.user_id, volume_size=vol.size,
                        volume_type_id=vol.volume_type_id, display_name=name,
                        display_description=description, group_snapshot_id=gsnap.id,
                        encryption_key_id=vol.encryption_key_id),
               op=Op.GROUP_SNAPSHOT_CREATE, actor=ACTOR)
    env.quota.commit(reservations)
    env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(group.host or "")),
                 "create_group_snapshot", group_snapshot_id=gsnap.id)
    return gsnap


def _snapshot_validate(api: ApiService, req: ApiRequest, vol: Volume) -> None:
    """``_create_snapshot_in_db_validate``."""
    enforce(api, req, "volume:create_snapshot", vol.project_id)
    if not vol.host:
        raise InvalidVolume(reason="The snapshot cannot be created because volume has not "
                                   "been scheduled to any host.")
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason="The snapshot cannot be created when the volume is in "
                                   "maintenance mode.")
    if vol.migration_status not in (None, "deleting", "error", "success") and \
            not str(vol.migration_status).startswith("target:"):
        raise InvalidVolume(reason="Snapshot cannot be created while volume is migrating.")
    if vol.status == VolumeStatus.ERROR:
        raise InvalidVolume(reason="The snapshot cannot be created when the volume is in "
                                   "error status.")


def delete_group_snapshot(api: ApiService, req: ApiRequest, gsnap: GroupSnapshot) -> None:
    env = api.env
    db = env.db
    enforce(api, req, "group:delete_group_snapshot", gsnap.project_id)
    busy_source = any(g.status == GroupStatus.CREATING and g.group_snapshot_id == gsnap.id
                      for g in db.groups.values())
    if gsnap.status not in (GroupSnapshotStatus.AVAILABLE, GroupSnapshotStatus.ERROR) \
            or busy_source:
        raise InvalidGroupSnapshot(reason="GroupSnapshot status must be available or error, "
                                          "and no Group can be currently using it as source "
                                          "for its creation.")
    db.transition(gsnap, GroupSnapshotStatus.DELETING, op=Op.GROUP_SNAPSHOT_DELETE,
                  actor=ACTOR)
    for snap in group_snapshot_members(api, gsnap.id):
        db.transition(snap, SnapshotStatus.DELETING, op=Op.GROUP_SNAPSHOT_DELETE, actor=ACTOR)
    group = db.groups.get(gsnap.group_id)
    host = group.host if group is not None else None
    env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(host or "")),
                 "delete_group_snapshot", group_snapshot_id=gsnap.id)


# --- replication (Tiramisu): the LVM backend has none -----------------------------------
def replication_check(api: ApiService, group: Group) -> None:
    """``_check_type``: a group type without ``group_replication_enabled='<is> True'``
    is ``400 Invalid group type: Group <id> is not a replication group type.``; then
    each volume type needs ``replication_enabled='<is> True'``."""
    db = api.env.db
    gtype = db.group_types.get(group.group_type_id)
    spec = (gtype.group_specs.get("group_replication_enabled", "") if gtype else "")
    if spec.strip().lower() != "<is> true":
        raise InvalidGroupType(reason=f"Group {group.id} is not a replication group type.")
    from ...errors import InvalidVolumeType  # noqa: PLC0415

    for type_id in group.volume_type_ids:
        vtype = db.volume_types.get(type_id)
        value = vtype.extra_specs.get("replication_enabled", "") if vtype else ""
        if value.strip().lower() != "<is> true":
            raise InvalidVolumeType(reason=f"Volume type {type_id} does not have "
                                           "'replication_enabled' spec key set to "
                                           "'<is> True'.")


# --- a volume created into a group (POST /volumes with group_id >= 3.13) ---------------
GROUP_KEYS = frozenset(("consistencygroup_id", "group_id"))
"""The create body's keys :func:`volume_group` reads: a body with neither joins no group."""


def volume_group(api: ApiService, req: ApiRequest, body: dict[str, Any],
                 vtype: VolumeType) -> Group | None:
    """The group a new volume joins, checked as Cinder checks it, or None.

    ``consistencygroup_id`` and ``group_id`` (which wins) both name a generic group
    (``group_api.get``: 404 ``Group <id> could not be found.``).  The type must be one
    of the group's (``400 Invalid input received: Invalid volume_type provided: <type>
    (requested type must be supported by this group).``) and the group ``available``
    or ``creating`` (``400 Invalid Group: Originating group status must be one of
    'available, creating' values``).  The volume takes the group's zone and is
    scheduled onto the group's backend only.
    """
    ref = body.get("consistencygroup_id")
    if body.get("group_id") is not None:  # the v3 controller reads it at any version
        ref = body.get("group_id")
    if ref is None:
        return None
    if not isinstance(ref, str):
        raise GroupNotFound(group_id=ref)
    group = get_group(api, req, ref)
    if vtype.id not in group.volume_type_ids:
        from ...errors import InvalidInput  # noqa: PLC0415

        raise InvalidInput(reason=f"Invalid volume_type provided: {vtype.name} (requested "
                                  "type must be supported by this group).")
    if group.status not in (GroupStatus.AVAILABLE, GroupStatus.CREATING):
        raise InvalidGroup(reason="Originating group status must be one of 'available, "
                                  "creating' values")
    return group
