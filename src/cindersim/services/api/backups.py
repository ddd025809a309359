"""``/backups``: create, list, show, delete, restore, and the admin actions
(``cinder/api/contrib/backups.py``, ``cinder/backup/api.py``).

Every check runs before the first write, so a refused request changes nothing.
Create reserves quota (backups +1, backup_gigabytes +size), saves the volume's
status in ``previous_status`` and moves it to ``backing-up``, writes the backup
``creating``, commits, and casts to cinder-scheduler (Ussuri's RPC order).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Backup
from ...errors import (
    BackupNotFound,
    InvalidBackup,
    InvalidSnapshot,
    InvalidVolume,
    OverQuota,
)
from ...states import BackupStatus, Op, SnapshotStatus, VolumeStatus
from ..encryption_keys import clone_encryption_key
from ..quota import over_quota_error
from .common import (
    admin,
    body_of,
    check_keys,
    enforce,
    invalid_field,
    link,
    opt_bool,
    opt_metadata,
    opt_str,
    read_scope,
)
from .listing import page_of, query_filters, strict_bool
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from ..env import ServiceEnv
    from .service import ApiService

ACTOR = "cinder-api"


def backup_summary(api: ApiService, req: ApiRequest, b: Backup) -> dict[str, Any]:
    return {"id": b.id, "name": b.display_name, "links": link(api, req, "backups", b.id)}


def backup_detail(api: ApiService, req: ApiRequest, b: Backup) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": b.id, "status": str(b.status), "size": b.size, "object_count": b.object_count,
        "availability_zone": b.availability_zone, "container": b.container,
        "created_at": b.created_at, "updated_at": b.updated_at, "name": b.display_name,
        "description": b.display_description, "fail_reason": b.fail_reason,
        "volume_id": b.volume_id, "links": link(api, req, "backups", b.id),
        "is_incremental": b.is_incremental, "has_dependent_backups": b.has_dependent_backups,
        "snapshot_id": b.snapshot_id, "data_timestamp": b.data_timestamp,
    }
    if req.at_least("3.43"):
        d["metadata"] = dict(b.metadata)
    if req.at_least("3.64") and b.encryption_key_id:  # ENCRYPTION_KEY_ID_IN_DETAILS
        d["encryption_key_id"] = b.encryption_key_id
    # 3.18 / 3.56: both only for callers backup:backup_project_attribute allows (admin).
    attributes = (req.at_least("3.18") and api.policy.check(
        req.context, "backup:backup_project_attribute", req.context.project_id))
    if attributes:
        d["os-backup-project-attr:project_id"] = b.project_id
    if attributes and req.at_least("3.56"):
        d["user_id"] = b.user_id
    return d


@route("POST", "/backups")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    ctx = req.context
    body = body_of(req, "backup")
    keys = ["volume_id", "container", "name", "description", "incremental", "force",
            "snapshot_id"]
    if req.at_least("3.43"):
        keys.append("metadata")
    if req.at_least("3.51"):
        keys.append("availability_zone")
    check_keys(body, keys, strict=True)
    volume_id = opt_str(body, "volume_id", nullable=False)
    if volume_id is None:
        raise invalid_field("volume_id", None, "'volume_id' is a required property")
    name = opt_str(body, "name")
    description = opt_str(body, "description")
    container = opt_str(body, "container")
    incremental = bool(opt_bool(body, "incremental"))
    force = bool(opt_bool(body, "force"))
    snapshot_id = opt_str(body, "snapshot_id")
    metadata = opt_metadata(body) or {}
    # 3.51 (BACKUP_AZ): the zone asked for goes on the row, and the scheduler looks for
    # a backup service there; without one the row's zone stays empty until a backup
    # host takes the backup (Cinder's backup manager fills in its own zone).
    availability_zone = opt_str(body, "availability_zone") if req.at_least("3.51") else None
    vol = db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "backup:create", vol.project_id)
    snapshot = None
    if snapshot_id:
        snapshot = db.get_snapshot(snapshot_id, read_scope(req))
        if snapshot.volume_id != vol.id:
            raise InvalidVolume(reason="Snapshot does not belong to the volume")
        if snapshot.status != SnapshotStatus.AVAILABLE:
            raise InvalidSnapshot(reason="Snapshot to be backed up must be available, but "
                                         f"the current status is \"{snapshot.status}\".")
    elif vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
        raise InvalidVolume(reason="Volume to be backed up must be available or in-use, but "
                                   f"the current status is \"{vol.status}\".")
    elif vol.status == VolumeStatus.IN_USE and not force:
        raise InvalidVolume(reason="Backing up an in-use volume must use the force flag.")
    parent_id = None
    data_timestamp = snapshot.created_at if snapshot is not None else db.stamp()
    if incremental:
        # backup/api.py: the volume's backups *of the caller's project*
        # (get_all_by_volume filtered on context.project_id): an admin backing up another
        # project's volume starts its own chain.
        candidates = [b for b in db.backups_of(vol.id) if b.status == BackupStatus.AVAILABLE
                      and b.project_id == req.context.project_id
                      and (snapshot is None or (b.data_timestamp or "") < (data_timestamp or ""))]
        if not candidates:
            raise InvalidBackup(reason="No backups available to do an incremental backup.")
        parent_id = max(candidates, key=lambda b: (b.data_timestamp or "", b.created_at or "")).id
    try:
        # The backup belongs to the caller's project (an admin backing up a user's volume
        # owns that backup), and so does its quota, as backup/api.py create does.
        reservations = env.quota.reserve(ctx.project_id, env.quota.backup_deltas(vol.size))
    except OverQuota as exc:
        raise over_quota_error(exc, "backups", vol.size) from exc
    # --- writes from here on -----------------------------------------------------------
    if snapshot is not None:
        db.transition(snapshot, SnapshotStatus.BACKING_UP, op=Op.BACKUP_CREATE, actor=ACTOR)
    else:
        vol.previous_status = str(vol.status)
        db.transition(vol, VolumeStatus.BACKING_UP, op=Op.BACKUP_CREATE, actor=ACTOR)
    # cinder-backup's create_backup first saves "a copy of the encryption key ID in case
    # the volume is deleted" (with the user's context); here cinder-api makes it.
    key_id = await clone_encryption_key(api.key_manager, ctx.auth_token,
                                        vol.encryption_key_id)
    backup = Backup(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                    volume_id=vol.id, size=vol.size, display_name=name,
                    display_description=description, container=container,
                    parent_id=parent_id, snapshot_id=snapshot_id,
                    data_timestamp=data_timestamp, metadata=metadata,
                    availability_zone=availability_zone, encryption_key_id=key_id)
    db.add(backup, op=Op.BACKUP_CREATE, actor=ACTOR)
    env.quota.commit(reservations)
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "create_backup", backup_id=backup.id)
    return ApiResponse(202, {"backup": backup_summary(api, req, backup)})


_COLUMNS = ("id", "user_id", "project_id", "volume_id", "host", "availability_zone",
            "display_name", "display_description", "container", "status", "fail_reason",
            "service_metadata", "service", "size", "object_count", "parent_id",
            "temp_volume_id", "temp_snapshot_id", "num_dependent_backups", "snapshot_id",
            "data_timestamp", "restore_volume_id", "created_at", "updated_at")
"""The ``backups`` columns: what a list may filter (admins) and sort on."""


async def _list(api: ApiService, req: ApiRequest, *, detail: bool) -> ApiResponse:
    """``_get_backups``: filters (``resource_filters.json`` from 3.31; below, a
    non-admin's other than name/status/volume_id are dropped), ``all_tenants`` for
    admins, ``name`` meaning ``display_name`` (as a sort key from 3.37), a filter
    on no column matching nothing, then sort/marker/offset/limit and the next link
    (``listing.page_of``) and, from 3.45, ``count`` with ``with_count``."""
    enforce(api, req, "backup:get_all")
    with_count = req.at_least("3.45") and "with_count" in req.query
    show_count = with_count and req.q_bool("with_count")
    filters = query_filters(req, "backup", legacy_allowed=("name", "status", "volume_id"),
                            skip=("with_count",) if with_count else ())
    all_tenants = filters.pop("all_tenants", None)
    everyone = admin(req) and all_tenants is not None and strict_bool("all_tenants",
                                                                      all_tenants)
    items = api.env.db.backups_of_project(None if everyone else req.context.project_id)
    for key, want in filters.items():
        column = "display_name" if key == "name" else key
        if column not in _COLUMNS:
            items = []  # is_valid_model_filters fails: Cinder answers no backups
            break
        items = [b for b in items if str(getattr(b, column)) == want]
    page = page_of(api, req, items, collection="backups/detail" if detail else "backups",
                   field=lambda b, k: getattr(b, k, None), ident=lambda b: b.id,
                   columns=_COLUMNS,
                   not_found=lambda marker: BackupNotFound(backup_id=marker),
                   aliases={"name": "display_name"} if req.at_least("3.37") else None)
    view = backup_detail if detail else backup_summary
    body: dict[str, Any] = {"backups": [view(api, req, b) for b in page.items]}
    if page.links:
        body["backups_links"] = page.links
    if show_count:
        body["count"] = page.total
    return ApiResponse(200, body)


@route("GET", "/backups")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=False)


@route("GET", "/backups/detail")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=True)


@route("GET", "/backups/{backup_id}")
async def show(api: ApiService, req: ApiRequest, backup_id: str) -> ApiResponse:
    backup = api.env.db.get_backup(backup_id, read_scope(req))
    enforce(api, req, "backup:get", backup.project_id)
    return ApiResponse(200, {"backup": backup_detail(api, req, backup)})


@route("DELETE", "/backups/{backup_id}")
async def delete(api: ApiService, req: ApiRequest, backup_id: str) -> ApiResponse:
    backup = api.env.db.get_backup(backup_id, read_scope(req))
    enforce(api, req, "backup:delete", backup.project_id)
    delete_backup(api, backup, force=False, token=req.context.auth_token)
    return ApiResponse(202, None)


def delete_backup(api: ApiService, backup: Backup, *, force: bool,
                  token: str | None = None) -> None:
    """``backup.api.API.delete``; an encrypted backup's cast carries the caller's token
    (the RPC context's), with which cinder-backup deletes the backup's key."""
    env = api.env
    if not force and backup.status not in (BackupStatus.AVAILABLE, BackupStatus.ERROR):
        raise InvalidBackup(reason="Backup status must be available or error")
    if force and backup.status not in (BackupStatus.AVAILABLE, BackupStatus.ERROR,
                                       BackupStatus.CREATING, BackupStatus.RESTORING):
        raise InvalidBackup(reason="Backup status must be available or error")
    if env.db.children_of(backup.id):
        raise InvalidBackup(reason="Incremental backups exist for this backup.")
    env.db.transition(backup, BackupStatus.DELETING,
                        op=Op.BACKUP_DELETE if not force else Op.FORCE_DELETE, actor=ACTOR)
    extra = {} if backup.encryption_key_id is None else {"auth_token": token}
    env.bus.cast(ACTOR, Target("cinder-backup", _backup_host(env, backup)),
                   "delete_backup", backup_id=backup.id, **extra)


def _backup_host(env: ServiceEnv, backup: Backup) -> str:
    """The backup's own host; one never scheduled goes to the first registered
    cinder-backup (``_get_available_backup_service_host``)."""
    if backup.host:
        return backup.host
    rows = env.db.services_of("cinder-backup")
    return rows[0].host if rows else ""


@route("POST", "/backups/{backup_id}/restore")
async def restore(api: ApiService, req: ApiRequest, backup_id: str) -> ApiResponse:
    env = api.env
    db = env.db
    backup = db.get_backup(backup_id, read_scope(req))
    enforce(api, req, "backup:restore", backup.project_id)
    body = body_of(req, "restore")
    check_keys(body, ("volume_id", "name"), strict=True)
    volume_id = opt_str(body, "volume_id")
    name = opt_str(body, "name")
    if backup.status != BackupStatus.AVAILABLE:
        raise InvalidBackup(reason="Backup status must be available")
    volume_is_new = False
    if volume_id is None:
        from . import volumes  # noqa: PLC0415

        new_name = name or f"restore_backup_{backup.id}"
        inner = req._replace(body={"volume": {
            "size": backup.size, "name": new_name,
            "description": "auto-created_from_restore_from_backup"}})
        created = await volumes.create(api, inner)
        volume_id = created.body["volume"]["id"]
        volume_is_new = True
        # Cinder's backup API polls the new volume every second while it is creating.
        while db.volumes.get(volume_id) is not None and \
                db.volumes[volume_id].status == VolumeStatus.CREATING:
            await asyncio.sleep(1)
        if volume_id not in db.volumes or db.volumes[volume_id].status == VolumeStatus.ERROR:
            # The new volume stays, in error: Cinder does not clean it up.
            raise InvalidVolume(reason=f"Error while creating volume {volume_id} for "
                                       f"restoring backup {backup.id}.")
    vol = db.get_volume(volume_id, read_scope(req))
    if vol.status != VolumeStatus.AVAILABLE:
        raise InvalidVolume(reason="Volume to be restored to must be available")
    if vol.size < backup.size:
        raise InvalidVolume(reason=f"volume size {vol.size} is too small to restore backup "
                                   f"of size {backup.size}.")
    if backup.status != BackupStatus.AVAILABLE:  # may have changed while we polled
        raise InvalidBackup(reason="Backup status must be available")
    backup.restore_volume_id = vol.id
    db.transition(backup, BackupStatus.RESTORING, op=Op.BACKUP_RESTORE, actor=ACTOR)
    db.transition(vol, VolumeStatus.RESTORING_BACKUP, op=Op.BACKUP_RESTORE, actor=ACTOR)
    extra = {} if backup.encryption_key_id is None else {
        "auth_token": req.context.auth_token}
    env.bus.cast(ACTOR, Target("cinder-backup", _backup_host(env, backup)),
                   "restore_backup", backup_id=backup.id, volume_id=vol.id,
                   volume_is_new=volume_is_new, **extra)
    return ApiResponse(202, {"restore": {"backup_id": backup.id, "volume_id": vol.id,
                                         "volume_name": vol.display_name}})


@route("POST", "/backups/{backup_id}/action")
async def action(api: ApiService, req: ApiRequest, backup_id: str) -> ApiResponse:
    db = api.env.db
    backup = db.get_backup(backup_id, read_scope(req))
    body = req.body if isinstance(req.body, dict) else {}
    if "os-reset_status" in body:
        enforce(api, req, "volume_extension:backup_admin_actions:reset_status", backup.project_id)
        inner = body_of(req, "os-reset_status")
        status = opt_str(inner, "status", nullable=False)
        if status not in (BackupStatus.AVAILABLE, BackupStatus.ERROR):
            raise invalid_field("status", status, f"'{status}' is not one of ['available', "
                                                  "'error']")
        db.transition(backup, status, op=Op.RESET_STATUS, actor=ACTOR)
        return ApiResponse(202, None)
    if "os-force_delete" in body:
        enforce(api, req, "volume_extension:backup_admin_actions:force_delete",
                backup.project_id)
        delete_backup(api, backup, force=True, token=req.context.auth_token)
        return ApiResponse(202, None)
    raise HTTPError(400, "There is no such action: " + ", ".join(sorted(body)) if body else
                    "Malformed request body")


@route("PUT", "/backups/{backup_id}")
async def update(api: ApiService, req: ApiRequest, backup_id: str) -> ApiResponse:
    """``PUT /backups/{id}`` (3.9): name, description and, from 3.43, metadata;
    200 with the summary view.  Any status may be updated (Cinder checks none).
    Below 3.9 the versioned method is missing: 404 (not the router's 405)."""
    if not req.at_least("3.9"):
        raise HTTPError(404, "The resource could not be found.")
    body = req.body
    if not isinstance(body, dict) or "backup" not in body:
        raise HTTPError(400, "'backup' is a required property")
    check_keys(body, ("backup",), strict=True)
    inner = body["backup"]
    if inner is not None and not isinstance(inner, dict):
        raise invalid_field("backup", inner, f"{inner!r} is not of type 'object', 'null'")
    inner = inner or {}
    allowed = ("name", "description", "metadata") if req.at_least("3.43") else (
        "name", "description")
    check_keys(inner, allowed, strict=True, field="backup")
    values: dict[str, Any] = {}
    for key in ("name", "description"):
        if key in inner:
            value = opt_str(inner, key)
            values[key] = value.strip() if isinstance(value, str) else value
    metadata = opt_metadata(inner) if "metadata" in inner else None
    backup = api.env.db.get_backup(backup_id, read_scope(req))
    enforce(api, req, "backup:update", backup.project_id)
    if "name" in values:
        backup.display_name = values["name"]
    if "description" in values:
        backup.display_description = values["description"]
    if metadata is not None:
        backup.metadata = metadata
    backup.updated_at = api.env.db.stamp()
    return ApiResponse(200, {"backup": backup_summary(api, req, backup)})
