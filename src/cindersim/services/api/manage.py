"""Manage and unmanage: bring LVs of a backend under Cinder and let them go
(``cinder/api/contrib/volume_manage.py``, ``snapshot_manage.py``,
``volume_unmanage.py``, ``snapshot_unmanage.py``, ``cinder/api/v3/volume_manage.py``,
``snapshot_manage.py``, ``resource_common_manage.py`` and ``cinder/volume/api.py``).

Routes (admin only by default):

* ``POST /os-volume-manage`` (any version) and ``POST /manageable_volumes``
  (3.8): ``{"volume": {ref*, host, cluster (3.16), name, description,
  volume_type, availability_zone, bootable, metadata}}`` -> 202 with the legacy
  detail view of a row ``managing`` (shown ``creating``), size 0.  The
  cinder-volume of the host's backend must exist ("Host '<h>' not found") and
  be up and enabled ("Service is unavailable at this time."); both are 400
  (Cinder's ServiceUnavailable is an Invalid).  A ``source-name`` naming a live
  volume is 400 "... The volume is already managed".
* ``POST /os-snapshot-manage`` and ``POST /manageable_snapshots`` (3.8):
  ``{"snapshot": {volume_id*, ref*, name, description, metadata}}`` -> 202 with
  the base snapshot view of a row ``creating``; quota ``snapshots`` +1 and
  ``gigabytes`` +volume size is reserved and committed at the API.
* ``GET /os-volume-manage[/detail]`` (any version), ``GET
  /manageable_volumes[/detail]`` (3.8; below it 404) and the snapshot twins:
  ``?host=`` required, ``sort`` keys ``reference``/``size`` (default
  ``reference`` desc), ``marker`` (a JSON reference), ``limit``, ``offset``; an
  RPC ``call`` to the backend's cinder-volume.
* ``os-unmanage`` on ``/volumes/{id}/action`` and ``/snapshots/{id}/action``:
  the delete's checks and transitions with ``unmanaging`` (``error_managing``
  -> ``error_managing_deleting``), then a cast; the LV stays.  202.

Cinder sends manage requests through cinder-scheduler (``backend_passes_filters``
on the named backend); the simulator casts straight to that backend's
cinder-volume, which is where the work happens.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Snapshot, Volume
from ...errors import (
    Invalid,
    InvalidInput,
    InvalidSnapshot,
    InvalidVolume,
    InvalidVolumeType,
    NotFound,
    OverQuota,
)
from ...states import Op, SnapshotStatus, VolumeStatus
from ..quota import over_quota_error
from ..volume_utils import extract_host
from .actions import _get, volume_action
from .common import (
    body_of,
    check_keys,
    enforce,
    invalid_field,
    opt_bool,
    opt_metadata,
    opt_str,
    opt_uuid,
    read_scope,
)
from .listing import count_param
from .router import route
from .views import snapshot_summary, volume_detail
from .wsgi import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from ...db import Service
    from .service import ApiService

__all__: list[str] = []

ACTOR = "cinder-api"
_LEGACY_KEYS = ("id", "status", "size", "availability_zone", "created_at", "updated_at",
                "name", "description", "volume_type", "snapshot_id", "source_volid",
                "metadata", "links", "user_id", "bootable", "encrypted", "replication_status",
                "consistencygroup_id", "multiattach", "attachments")
_DELETABLE = (VolumeStatus.AVAILABLE, VolumeStatus.ERROR, VolumeStatus.ERROR_RESTORING,
              VolumeStatus.ERROR_EXTENDING, VolumeStatus.ERROR_MANAGING)


class ServiceUnavailable(Invalid):
    """Cinder's ServiceUnavailable is an ``Invalid``: a 400, not a 503."""

    message = "Service is unavailable at this time."


class ServiceNotFound(NotFound):
    message = "Service None could not be found on host %(host)s."


def legacy_detail(api: ApiService, req: ApiRequest, vol: Volume) -> dict[str, Any]:
    """``ViewBuilder.legacy_detail``: the v2 fields, plus ``migration_status`` for admins."""
    full = volume_detail(api, req, vol, admin_meta=True)  # add_visible_admin_metadata
    view = {k: full[k] for k in _LEGACY_KEYS}
    view["replication_status"] = vol.replication_status
    if req.context.is_admin:
        view["migration_status"] = vol.migration_status
    return view


def _cluster_host(req: ApiRequest, params: dict[str, Any], cluster_version: str) -> str:
    """``common.get_cluster_host``: exactly one of host/cluster (only host before
    *cluster_version*); clusters are not simulated, so a cluster never matches."""
    if req.at_least(cluster_version):
        cluster = params.get("cluster")
        msg = "One and only one of cluster and host must be set."
    else:
        cluster = None
        msg = "Host field is missing."
    host = params.get("host")
    if bool(cluster) == bool(host):
        raise InvalidInput(reason=msg)
    if cluster:
        raise ServiceNotFound(host=cluster)
    return str(host)


def _service(api: ApiService, host: str, *, what: str = "volume") -> Service | None:
    """``_get_service_by_host_cluster``: the backend's cinder-volume row (None if missing);
    a disabled or down one is ServiceUnavailable."""
    env = api.env
    svc = env.db.services.get(("cinder-volume", extract_host(host) or host))
    if svc is None:
        return None
    down_time = float(env.config.default["service_down_time"])
    if svc.disabled or not svc.is_up(env.sim.now(), down_time):
        raise ServiceUnavailable()
    return svc


def _is_v4_uuid(value: str) -> bool:
    try:
        uuid.UUID(value, version=4)
    except ValueError:
        return False
    return True


# --- manage a volume ---------------------------------------------------------------------
async def _manage_volume(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    body = body_of(req, "volume")
    keys = ["description", "availability_zone", "bootable", "volume_type", "name", "host",
            "ref", "metadata"]
    if req.at_least("3.16"):
        keys.append("cluster")
    check_keys(body, keys, strict=True, field="volume")
    if "ref" not in body:
        raise invalid_field("volume", body, "'ref' is a required property")
    ref = body["ref"]
    if not isinstance(ref, (dict, str)):
        raise invalid_field("ref", ref, f"{ref!r} is not of type 'object', 'string'")
    for key in ("name", "availability_zone", "volume_type", "description", "host", "cluster"):
        opt_str(body, key)
    metadata = opt_metadata(body)
    bootable = bool(opt_bool(body, "bootable"))
    enforce(api, req, "volume_extension:volume_manage")
    host = _cluster_host(req, body, "3.16")
    type_ref = body.get("volume_type")
    if type_ref:
        vtype = db.volume_types.get(type_ref) or next(
            (t for t in db.volume_types.values() if t.name == type_ref), None)
        if vtype is None:
            raise InvalidVolumeType(reason=f"Cannot find requested '{type_ref}' volume type")
    else:
        vtype = api.default_volume_type(req.context.project_id)
    source = ref.get("source-name") if isinstance(ref, dict) else None
    template = str(env.config.default.get("volume_name_template", "volume-%s"))
    prefix, _, suffix = template.partition("%s")
    if isinstance(source, str) and source.startswith(prefix) and source.endswith(suffix):
        vol_id = source[len(prefix):len(source) - len(suffix) or None]
        if _is_v4_uuid(vol_id) and vol_id in db.volumes:
            raise InvalidVolume(reason="Unable to manage existing volume. The volume is "
                                       "already managed")
    if vtype is not None and vtype.encryption:
        raise InvalidVolumeType(reason="Managing to an encrypted volume type is not "
                                       "supported.")
    svc = _service(api, host)
    if svc is None:
        raise ServiceUnavailable(f"Host '{host}' not found")
    name = body.get("name")
    description = body.get("description")
    ctx = req.context
    vol = Volume(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                 size=0, status=VolumeStatus.MANAGING,
                 host=host if "#" in host else svc.host,
                 availability_zone=body.get("availability_zone") or svc.availability_zone,
                 display_name=name.strip() if name else None,
                 display_description=description.strip() if description else None,
                 volume_type_id=vtype.id if vtype is not None else None,
                 bootable=bootable, metadata=metadata or {})
    db.add(vol, op=Op.MANAGE, actor=ACTOR)
    env.bus.cast(ACTOR, Target("cinder-volume", svc.host), "manage_existing",
                 volume_id=vol.id, ref=ref if isinstance(ref, dict) else {"source-name": ref})
    return ApiResponse(202, {"volume": legacy_detail(api, req, vol)})


@route("POST", "/os-volume-manage")
async def manage_volume(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _manage_volume(api, req)


@route("POST", "/manageable_volumes", min_version="3.8")
async def manage_volume_v38(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _manage_volume(api, req)


# --- manage a snapshot -------------------------------------------------------------------
async def _manage_snapshot(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    body = body_of(req, "snapshot")
    check_keys(body, ("description", "metadata", "name", "volume_id", "ref"), strict=True,
               field="snapshot")
    for key in ("ref", "volume_id"):
        if key not in body:
            raise invalid_field("snapshot", body, f"'{key}' is a required property")
    ref = body["ref"]
    if ref is not None and not isinstance(ref, (dict, str)):
        raise invalid_field("ref", ref, f"{ref!r} is not of type 'object', 'null', 'string'")
    volume_id = body["volume_id"]
    if not isinstance(volume_id, str):
        raise invalid_field("volume_id", volume_id, f"{volume_id!r} is not of type 'string'")
    opt_uuid(body, "volume_id")
    name = opt_str(body, "name")
    description = opt_str(body, "description")
    metadata = opt_metadata(body)
    vol = db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "snapshot_extension:snapshot_manage", vol.project_id)
    if _service(api, vol.host or "") is None:
        raise ServiceNotFound(host=extract_host(vol.host or "") or vol.host)
    # create_snapshot_in_db(..., force=True, commit_quota=True): the volume checks
    # of a forced snapshot, then snapshots +1 / gigabytes +size reserved and committed.
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason="The snapshot cannot be created when the volume is in "
                                   "maintenance mode.")
    if vol.migration_status not in (None, "deleting", "error", "success"):
        raise InvalidVolume(reason="Snapshot cannot be created while volume is migrating.")
    if vol.status == VolumeStatus.ERROR:
        raise InvalidVolume(reason="The snapshot cannot be created when the volume is in "
                                   "error status.")
    if vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
        raise InvalidVolume(reason=f"Volume {vol.id} status must be available, in-use, but "
                                   f"current status is: {vol.status}.")
    vtype = db.volume_types.get(vol.volume_type_id or "")
    try:
        reservations = env.quota.reserve(vol.project_id, env.quota.snapshot_deltas(
            vol.size, vtype.name if vtype is not None else None))
    except OverQuota as exc:
        raise over_quota_error(exc, "snapshots", vol.size) from exc
    ctx = req.context
    snap = Snapshot(id=env.sim.ids.uuid(), volume_id=vol.id, project_id=vol.project_id,
                    user_id=ctx.user_id, volume_size=vol.size,
                    display_name=name.strip() if name else name,
                    display_description=description.strip() if description else description,
                    volume_type_id=vol.volume_type_id, metadata=metadata or {})
    db.add(snap, op=Op.MANAGE, actor=ACTOR)
    env.quota.commit(reservations)
    env.bus.cast(ACTOR, Target("cinder-volume", extract_host(vol.host or "") or ""),
                 "manage_existing_snapshot", snapshot_id=snap.id,
                 ref=ref if ref is not None else {})
    return ApiResponse(202, {"snapshot": snapshot_summary(api, req, snap)})


@route("POST", "/os-snapshot-manage")
async def manage_snapshot(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _manage_snapshot(api, req)


@route("POST", "/manageable_snapshots", min_version="3.8")
async def manage_snapshot_v38(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _manage_snapshot(api, req)


# --- list manageable ---------------------------------------------------------------------
def _sort_params(req: ApiRequest) -> tuple[list[str], list[str]]:
    """``common.get_sort_params(default_key='reference')``, then the allowed sets."""
    keys: list[str] = []
    dirs: list[str] = []
    sort = req.q("sort")
    if sort is not None:
        if req.q("sort_key") is not None or req.q("sort_dir") is not None:
            raise InvalidInput(reason="The 'sort_key' and 'sort_dir' parameters are "
                                      "deprecated and cannot be used with the 'sort' "
                                      "parameter.")
        for part in sort.split(","):
            key, _, direction = part.strip().partition(":")
            keys.append(key.strip())
            dirs.append(direction.strip() or "desc")
    else:
        keys.append(req.q("sort_key") or "reference")
        dirs.append(req.q("sort_dir") or "desc")
    bad_keys = sorted(set(keys) - {"reference", "size"})
    if bad_keys:
        raise InvalidInput(reason=f"Invalid sort keys passed: {', '.join(bad_keys)}")
    bad_dirs = sorted(set(dirs) - {"asc", "desc"})
    if bad_dirs:
        raise InvalidInput(reason=f"Invalid sort dirs passed: {', '.join(bad_dirs)}")
    return keys, dirs


def _view(entry: dict[str, Any], kind: str, detail: bool) -> dict[str, Any]:
    keys: tuple[str, ...]
    if kind == "volume":
        keys = (("reference", "size", "safe_to_manage", "reason_not_safe", "cinder_id",
                 "extra_info") if detail else ("reference", "size", "safe_to_manage"))
    else:
        keys = (("reference", "size", "safe_to_manage", "reason_not_safe", "extra_info",
                 "cinder_id", "source_reference") if detail
                else ("reference", "size", "safe_to_manage", "source_reference"))
    return {k: entry[k] for k in keys}


async def _list(api: ApiService, req: ApiRequest, kind: str, *, detail: bool) -> ApiResponse:
    policy = ("volume_extension:list_manageable" if kind == "volume"
              else "snapshot_extension:list_manageable")
    enforce(api, req, policy)
    host = _cluster_host(req, {"host": req.q("host"), "cluster": req.q("cluster")}, "3.17")
    max_limit = int(api.env.config.default["osapi_max_limit"])
    limit = min(count_param(req, "limit", max_limit), max_limit)
    offset = count_param(req, "offset", 0)
    keys, dirs = _sort_params(req)
    svc = _service(api, host, what=kind)
    if svc is None:
        raise ServiceNotFound(host=extract_host(host) or host)
    entries = await api.env.bus.call(
        ACTOR, Target("cinder-volume", svc.host), f"get_manageable_{kind}s",
        marker=req.q("marker"), limit=limit, offset=offset, sort_keys=keys, sort_dirs=dirs)
    return ApiResponse(200, {f"manageable-{kind}s": [_view(e, kind, detail)
                                                      for e in entries]})


@route("GET", "/os-volume-manage")
async def list_volumes(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "volume", detail=False)


@route("GET", "/os-volume-manage/detail")
async def list_volumes_detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "volume", detail=True)


@route("GET", "/manageable_volumes", min_version="3.8")
async def manageable_volumes(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "volume", detail=False)


@route("GET", "/manageable_volumes/detail", min_version="3.8")
async def manageable_volumes_detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "volume", detail=True)


@route("GET", "/os-snapshot-manage")
async def list_snapshots(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "snapshot", detail=False)


@route("GET", "/os-snapshot-manage/detail")
async def list_snapshots_detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "snapshot", detail=True)


@route("GET", "/manageable_snapshots", min_version="3.8")
async def manageable_snapshots(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "snapshot", detail=False)


@route("GET", "/manageable_snapshots/detail", min_version="3.8")
async def manageable_snapshots_detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, "snapshot", detail=True)


# --- unmanage ------------------------------------------------------------------------------
@volume_action("os-unmanage")
async def _unmanage_volume(api: ApiService, req: ApiRequest, volume_id: str,
                           inner: Any) -> ApiResponse:
    """``volume_api.delete(unmanage_only=True)``: the delete's conditions, no cascade."""
    db = api.env.db
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_unmanage", vol.project_id)
    enforce(api, req, "volume:delete", vol.project_id)
    if vol.host is None:
        api.env.quota.release_volume(vol.project_id, vol.size, vol.volume_type_id,
                                     vol.use_quota)
        db.remove(vol, op=Op.DELETE, actor=ACTOR, reason="no host: deleted at the API")
        return ApiResponse(202, None)
    if vol.encrypted:
        # exception.Invalid(reason=...): its template has no reason, so only this shows.
        raise Invalid(reason="Unmanaging encrypted volumes is not supported.")
    if (vol.attach_status == "attached"
            or vol.migration_status not in (None, "deleting", "error", "success")
            or vol.group_id or vol.consistencygroup_id or vol.status not in _DELETABLE
            or db.snapshots_of(vol.id)):
        raise InvalidVolume(reason="Volume status must be available or error or "
                                   "error_restoring or error_extending or error_managing and "
                                   "must not be migrating, attached, belong to a group, have "
                                   "snapshots, awaiting a transfer, or be disassociated from "
                                   "snapshots after volume transfer.")
    new = (VolumeStatus.ERROR_MANAGING_DELETING if vol.status == VolumeStatus.ERROR_MANAGING
           else VolumeStatus.UNMANAGING)
    db.transition(vol, new, op=Op.UNMANAGE, actor=ACTOR)
    api.env.bus.cast(ACTOR, Target("cinder-volume", extract_host(vol.host) or vol.host),
                     "unmanage_volume", volume_id=vol.id)
    return ApiResponse(202, None)


def unmanage_snapshot(api: ApiService, req: ApiRequest, snap: Snapshot) -> ApiResponse:
    """``delete_snapshot(unmanage_only=True)``: ``available``/``error`` -> ``unmanaging``."""
    enforce(api, req, "snapshot_extension:snapshot_unmanage", snap.project_id)
    enforce(api, req, "volume:delete_snapshot", snap.project_id)
    if snap.group_snapshot_id is not None or snap.status not in (SnapshotStatus.AVAILABLE,
                                                                 SnapshotStatus.ERROR):
        raise InvalidSnapshot(reason="Snapshot status must be available or error and must not "
                                     "be part of a group.")
    vol = api.env.db.volumes.get(snap.volume_id)
    host = extract_host(vol.host) if vol is not None and vol.host else None
    if host is None:
        raise InvalidSnapshot(reason=f"Snapshot {snap.id} has no backend to unmanage it on.")
    api.env.db.transition(snap, SnapshotStatus.UNMANAGING, op=Op.UNMANAGE, actor=ACTOR)
    api.env.bus.cast(ACTOR, Target("cinder-volume", host), "unmanage_snapshot",
                     snapshot_id=snap.id)
    return ApiResponse(202, None)
