"""``/snapshots``: create, list, show, update, delete and the admin actions
(``cinder/api/v3/snapshots.py``, ``cinder/volume/api.py`` ``_create_snapshot`` /
``create_snapshot_in_db`` / ``delete_snapshot``, ``cinder/api/contrib/admin_actions.py``).

Create: schema -> the volume (404 for another project's) -> the 3.66 ``force``
rule -> policy -> the volume checks (has a host, not ``maintenance``, not
migrating, not ``error``, status ``available`` or, with force or from 3.66,
``in-use``) -> quota reserve ``snapshots`` +1 and ``gigabytes`` +size (plus
per-type keys; no gigabytes with ``no_snapshot_gb_quota``) -> DB row
``creating`` -> **commit at the API** (``create_snapshot_in_db`` with
``commit_quota=True``, so a snapshot in ``error`` counts until deleted) ->
cast ``create_snapshot`` to cinder-scheduler (Queens+), which only checks the
volume's backend for capacity before casting to cinder-volume.  202 with the
detail view.

Delete: ``available`` or ``error`` (force skips that), not in a group snapshot,
else 400 "Invalid snapshot: Snapshot status must be available or error and must
not be part of a group." -> ``deleting`` -> cast ``delete_snapshot`` straight to
the volume's cinder-volume (no scheduler).  202.

Views: show, create, update and ``/snapshots/detail`` use the detail view
(``group_snapshot_id`` >= 3.14, ``user_id`` >= 3.41, ``consumes_quota`` >= 3.65);
show and the detail list also carry the ``os-extended-snapshot-attributes``
(progress, project_id); ``GET /snapshots`` gives the base fields only.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Snapshot
from ...errors import InvalidSnapshot, InvalidVolume, OverQuota, SnapshotNotFound
from ...states import Op, SnapshotStatus, VolumeStatus
from ..quota import over_quota_error
from ..scheduler.request_spec import RequestSpec
from ..volume_utils import extract_host
from .common import (
    admin,
    body_of,
    check_keys,
    enforce,
    invalid_field,
    list_body,
    opt_bool,
    opt_metadata,
    opt_str,
    read_scope,
)
from .listing import page_of
from .router import route
from .views import snapshot_detail, snapshot_summary
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

ACTOR = "cinder-api"

SNAPSHOT_IN_USE_FLAG_MSG = (
    "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward "
    "compatability, however, when the 'force' flag is passed with a value evaluating to "
    "True, it is silently ignored.")
"""Cinder's text, typo included."""

_CREATE_KEYS = ("name", "display_name", "description", "volume_id", "force", "metadata")
_UPDATE_KEYS = ("name", "description", "display_name", "display_description")
SNAPSHOT_COLUMNS = frozenset({
    "id", "created_at", "updated_at", "deleted_at", "deleted", "use_quota", "user_id",
    "project_id", "volume_id", "cgsnapshot_id", "group_snapshot_id", "status", "progress",
    "volume_size", "scheduled_at", "display_name", "display_description",
    "encryption_key_id", "volume_type_id", "provider_location", "provider_id",
    "provider_auth"})
"""The columns of Cinder's ``snapshots`` table: the sort keys its DB layer accepts."""
_FILTERS = ("name", "status", "volume_id", "metadata", "consumes_quota")
_MIGRATING_OK = (None, "deleting", "error", "success")


def _clean(value: str | None) -> str | None:
    """``clean_name_and_description``: surrounding whitespace is stripped."""
    return value.strip() if isinstance(value, str) else value


# --- create ----------------------------------------------------------------------------
@route("POST", "/snapshots")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    ctx = req.context
    body = body_of(req, "snapshot")
    check_keys(body, _CREATE_KEYS, strict=True)
    if "volume_id" not in body:
        raise invalid_field("snapshot", body, "'volume_id' is a required property")
    volume_id = opt_str(body, "volume_id")
    name = _clean(opt_str(body, "name") if "name" in body else opt_str(body, "display_name"))
    description = _clean(opt_str(body, "description"))
    metadata = opt_metadata(body)
    force_flag = opt_bool(body, "force")
    vol = db.get_volume(volume_id or "None", read_scope(req))
    in_use_allowed = req.at_least("3.66")
    if force_flag is False and in_use_allowed:
        raise HTTPError(400, SNAPSHOT_IN_USE_FLAG_MSG)
    enforce(api, req, "volume:create_snapshot", vol.project_id)
    if not vol.host:
        raise InvalidVolume(reason="The snapshot cannot be created because volume has not "
                                   "been scheduled to any host.")
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason="The snapshot cannot be created when the volume is in "
                                   "maintenance mode.")
    if vol.migration_status not in _MIGRATING_OK:
        raise InvalidVolume(reason="Snapshot cannot be created while volume is migrating.")
    if vol.status == VolumeStatus.ERROR:
        raise InvalidVolume(reason="The snapshot cannot be created when the volume is in "
                                   "error status.")
    valid = ["available", "in-use"] if (force_flag or in_use_allowed) else ["available"]
    if vol.status not in valid:
        raise InvalidVolume(reason=f"Volume {vol.id} status must be {', '.join(valid)}, but "
                                   f"current status is: {vol.status}.")
    vtype = db.volume_types.get(vol.volume_type_id or "")
    try:
        reservations = env.quota.reserve(ctx.project_id, env.quota.snapshot_deltas(
            vol.size, vtype.name if vtype is not None else None))
    except OverQuota as exc:
        raise over_quota_error(exc, "snapshots", vol.size) from exc
    snap = Snapshot(id=env.sim.ids.uuid(), volume_id=vol.id, project_id=ctx.project_id,
                    user_id=ctx.user_id, volume_size=vol.size, display_name=name,
                    display_description=description, volume_type_id=vol.volume_type_id,
                    metadata=metadata or {}, encryption_key_id=vol.encryption_key_id)
    db.add(snap, op=Op.SNAPSHOT_CREATE, actor=ACTOR)
    env.quota.commit(reservations)
    # Cinder's request spec here carries only the snapshot id and the size: the
    # scheduler checks capacity alone (no type, no AZ).
    spec = RequestSpec(size=vol.size, snapshot_id=snap.id, project_id=ctx.project_id,
                       user_id=ctx.user_id)
    backend = extract_host(vol.host) or vol.host
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "create_snapshot", snapshot_id=snap.id,
                   volume_id=vol.id, backend=backend, request_spec=spec)
    return ApiResponse(202, {"snapshot": snapshot_detail(api, req, snap, extended=False)})


# --- list and show ---------------------------------------------------------------------
def _matches(snap: Snapshot, key: str, want: str) -> bool:
    if key == "name":
        return snap.display_name == want
    if key == "status":
        return str(snap.status) == want
    if key == "volume_id":
        return snap.volume_id == want
    if key == "consumes_quota":
        return str(snap.use_quota).lower() == want.strip().lower()
    if key == "metadata":
        try:
            meta = ast.literal_eval(want)
        except (ValueError, SyntaxError):
            return False
        return isinstance(meta, dict) and all(snap.metadata.get(k) == v
                                              for k, v in meta.items())
    return True


def _listed(api: ApiService, req: ApiRequest) -> list[Snapshot]:
    all_tenants = admin(req) and req.q_bool("all_tenants")
    project = None if all_tenants else req.context.project_id
    if all_tenants and req.q("project_id"):
        project = req.q("project_id")
    snaps = api.env.db.snapshots_of_project(project)
    for key in _FILTERS:
        want = req.q(key)
        if want is None:
            continue
        if key == "metadata" and not req.at_least("3.22"):
            continue
        if key == "consumes_quota" and not req.at_least("3.65"):
            continue
        snaps = [s for s in snaps if _matches(s, key, want)]
    return snaps


def _field(snap: Snapshot, key: str) -> Any:
    if key == "deleted":
        return False  # rows are removed, never soft-deleted: every listed row is live
    return getattr(snap, key, None)


async def _list(api: ApiService, req: ApiRequest, *, detail: bool) -> ApiResponse:
    """``SnapshotsController._items``: marker, limit and offset go to the DB query (an
    unknown marker is ``SnapshotNotFound``, 404); from 3.30 (``SNAPSHOT_SORT``) the
    sort key ``name`` means ``display_name``."""
    enforce(api, req, "volume:get_all_snapshots")
    snaps = _listed(api, req)
    aliases = {"name": "display_name"} if req.at_least("3.30") else None
    page = page_of(api, req, snaps, collection="snapshots/detail" if detail else "snapshots",
                   field=_field, ident=lambda s: s.id, columns=SNAPSHOT_COLUMNS,
                   not_found=lambda m: SnapshotNotFound(snapshot_id=m), aliases=aliases)
    if detail:
        items = [snapshot_detail(api, req, s) for s in page.items]
    else:
        items = [snapshot_summary(api, req, s) for s in page.items]
    return ApiResponse(200, list_body(req, "snapshots", items, page.links, page.total))


@route("GET", "/snapshots")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=False)


@route("GET", "/snapshots/detail")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=True)


@route("GET", "/snapshots/{snapshot_id}")
async def show(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    snap = api.env.db.get_snapshot(snapshot_id, read_scope(req))
    enforce(api, req, "volume:get_snapshot", snap.project_id)
    return ApiResponse(200, {"snapshot": snapshot_detail(api, req, snap)})


# --- update ------------------------------------------------------------------------------
@route("PUT", "/snapshots/{snapshot_id}")
async def update(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    db = api.env.db
    body = body_of(req, "snapshot")
    check_keys(body, _UPDATE_KEYS, strict=True)
    if not any(k in body for k in _UPDATE_KEYS):
        raise invalid_field("snapshot", body, f"{body!r} is not valid under any of the given "
                                              "schemas")
    values = {k: _clean(opt_str(body, k)) for k in _UPDATE_KEYS if k in body}
    snap = db.get_snapshot(snapshot_id, read_scope(req))
    enforce(api, req, "volume:update_snapshot", snap.project_id)
    if "display_name" in values:
        snap.display_name = values["display_name"]
    if "name" in values:
        snap.display_name = values["name"]
    if "display_description" in values:
        snap.display_description = values["display_description"]
    if "description" in values:
        snap.display_description = values["description"]
    snap.updated_at = db.stamp()
    return ApiResponse(200, {"snapshot": snapshot_detail(api, req, snap, extended=False)})


# --- delete ------------------------------------------------------------------------------
def delete_snapshot(api: ApiService, snap: Snapshot, *, force: bool) -> None:
    """``volume.api.API.delete_snapshot``: the conditional update, then a cast to the
    volume's cinder-volume (shared by DELETE and ``os-force_delete``)."""
    env = api.env
    db = env.db
    ok = snap.group_snapshot_id is None and (
        force or snap.status in (SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR))
    if not ok:
        status = "" if force else "status must be available or error and"
        raise InvalidSnapshot(reason=f"Snapshot {status} must not be part of a group.")
    vol = db.volumes.get(snap.volume_id)
    host = extract_host(vol.host) if vol is not None and vol.host else None
    if host is None:
        # Cannot normally happen (a snapshot needs a scheduled volume); refuse
        # before writing anything rather than strand the snapshot in 'deleting'.
        raise InvalidSnapshot(reason=f"Snapshot {snap.id} has no backend to delete it on.")
    op = Op.FORCE_DELETE if force else Op.SNAPSHOT_DELETE
    db.transition(snap, SnapshotStatus.DELETING, op=op, actor=ACTOR)
    env.bus.cast(ACTOR, Target("cinder-volume", host), "delete_snapshot",
                   snapshot_id=snap.id, op=str(op))


@route("DELETE", "/snapshots/{snapshot_id}")
async def delete(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    snap = api.env.db.get_snapshot(snapshot_id, read_scope(req))
    enforce(api, req, "volume:delete_snapshot", snap.project_id)
    delete_snapshot(api, snap, force=False)
    return ApiResponse(202, None)


# --- admin actions -------------------------------------------------------------------------
@route("POST", "/snapshots/{snapshot_id}/action")
async def action(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    """``os-reset_status`` and ``os-force_delete`` (SnapshotAdminController)."""
    db = api.env.db
    body = req.body
    if not isinstance(body, dict) or not body:
        raise HTTPError(400, "Malformed request body")
    name = next(iter(body))
    if name == "os-reset_status":
        inner = body[name]
        if not isinstance(inner, dict) or not isinstance(inner.get("status"), str):
            raise HTTPError(400, "Must specify 'status'")
        status = inner["status"].lower()
        if status not in {s.value for s in SnapshotStatus}:
            raise HTTPError(400, "Must specify a valid status")
        snap = db.get_snapshot(snapshot_id, read_scope(req))
        enforce(api, req, "volume_extension:snapshot_admin_actions:reset_status",
                snap.project_id)
        db.transition(snap, SnapshotStatus(status), op=Op.RESET_STATUS, actor=ACTOR,
                      reason="os-reset_status")
        return ApiResponse(202, None)
    if name == "os-force_delete":
        snap = db.get_snapshot(snapshot_id, read_scope(req))
        enforce(api, req, "volume_extension:snapshot_admin_actions:force_delete",
                snap.project_id)
        enforce(api, req, "volume:delete_snapshot", snap.project_id)
        delete_snapshot(api, snap, force=True)
        return ApiResponse(202, None)
    if name == "os-unmanage":
        from .manage import unmanage_snapshot  # noqa: PLC0415 - manage imports this module

        snap = db.get_snapshot(snapshot_id, read_scope(req))
        return unmanage_snapshot(api, req, snap)
    if name == "os-update_snapshot_status":
        return _update_snapshot_status(api, req, snapshot_id, body[name])
    raise HTTPError(400, "There is no such action: " + name)


_STATUS_MAP = {SnapshotStatus.CREATING: (SnapshotStatus.CREATING, SnapshotStatus.AVAILABLE,
                                         SnapshotStatus.ERROR),
               SnapshotStatus.DELETING: (SnapshotStatus.DELETING,
                                         SnapshotStatus.ERROR_DELETING)}
"""``os-update_snapshot_status``: what each current status may be moved to."""


def _update_snapshot_status(api: ApiService, req: ApiRequest, snapshot_id: str,
                            inner: Any) -> ApiResponse:
    """``SnapshotActionsController._update_snapshot_status`` (a backend reporting on a
    snapshot it makes itself, e.g. Nova's assisted snapshots): 202."""
    if not isinstance(inner, dict):
        raise invalid_field("os-update_snapshot_status", inner,
                            f"{inner!r} is not of type 'object'")
    check_keys(inner, ("status", "progress"), strict=True, field="os-update_snapshot_status")
    if "status" not in inner:
        raise invalid_field("os-update_snapshot_status", inner,
                            "'status' is a required property")
    status = inner["status"]
    if not isinstance(status, str):
        raise invalid_field("status", status, f"{status!r} is not of type 'string'")
    progress = inner.get("progress")
    if progress is not None and not (isinstance(progress, str)
                                     and progress.endswith("%")
                                     and progress[:-1].isdigit()
                                     and 0 <= int(progress[:-1]) <= 100):
        raise invalid_field("progress", progress, f"{progress!r} is not a 'progress'")
    db = api.env.db
    snap = db.get_snapshot(snapshot_id, read_scope(req))
    enforce(api, req, "snapshot_extension:snapshot_actions:update_snapshot_status",
            snap.project_id)
    allowed = _STATUS_MAP.get(snap.status)
    if allowed is None:
        raise HTTPError(400, f"Snapshot status {snap.status} not allowed for "
                             "update_snapshot_status")
    if status not in allowed:
        raise HTTPError(400, f"Provided snapshot status {status} not allowed for snapshot "
                             f"with status {snap.status}.")
    if progress:
        snap.progress = progress
    db.transition(snap, SnapshotStatus(status), op=Op.UPDATE_SNAPSHOT_STATUS, actor=ACTOR,
                  reason="os-update_snapshot_status")
    snap.updated_at = db.stamp()
    return ApiResponse(202, None)
