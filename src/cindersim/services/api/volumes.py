"""``/volumes``: create, list, show, update, delete (``cinder/api/v3/volumes.py``,
``cinder/volume/api.py``, ``cinder/volume/flows/api/create_volume.py``).

Create: validate -> quota reserve -> DB row (``creating``/``detached``) ->
quota commit -> cast to cinder-scheduler -> 202.  Delete: the checks of
``volume.api.delete`` -> ``deleting`` -> cast to the volume's cinder-volume; a
volume with no host is destroyed at the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ...bus import target_of
from ...db import Snapshot, Volume, VolumeType
from ...empty import EMPTY_DICT
from ...errors import (
    Invalid,
    InvalidInput,
    InvalidSnapshot,
    InvalidVolume,
    OverQuota,
    VolumeTypeNotFound,
    VolumeTypeNotFoundByName,
)
from ...states import AttachStatus, Op, SnapshotStatus, VolumeStatus
from ..encryption_keys import clone_encryption_key, create_encryption_key, delete_encryption_key
from ..key_manager.castellan import KeyManagerError
from ..quota import over_quota_error
from ..scheduler.request_spec import volume_create_spec
from ..volume_utils import extract_host
from .common import (
    MAX_INT,
    admin,
    body_of,
    check_keys,
    enforce,
    is_uuid_like,
    opt_bool,
    opt_int,
    opt_metadata,
    opt_name,
    opt_str,
    opt_uuid,
    read_scope,
)
from .group_api import GROUP_KEYS, volume_group  # issue 16
from .image_refs import check_image_metadata, image_from_ref
from .router import route
from .views import volume_detail
from .wsgi import ApiRequest, ApiResponse, HTTPError, Version, fresh_response

if TYPE_CHECKING:
    from ...db_groups import Group
    from ..glance.client import Image
    from .service import ApiService

ACTOR = "cinder-api"

_TOP_KEYS = ("volume", "OS-SCH-HNT:scheduler_hints")
_CREATE_KEYS = ("size", "name", "description", "display_name", "display_description",
                "volume_type", "metadata", "snapshot_id", "source_volid", "availability_zone",
                "imageRef", "image_id", "consistencygroup_id", "group_id", "backup_id",
                "multiattach")
_TEXT_KEYS = frozenset(("name", "display_name", "description", "display_description"))
_SOURCE_KEYS = frozenset(("snapshot_id", "source_volid", "backup_id", "imageRef", "image_id"))
_STRICT_CREATE = Version(3, 53)
"""From 3.53 the create schema forbids keys it does not know."""
_FROM_BACKUP = Version(3, 47)
"""From 3.47 a volume can be created from a backup (``backup_id``)."""
_SCHEDULER = target_of("cinder-scheduler")  # immutable and shared (target_of caches it)
_ZONES_SPEC = "RESKEY:availability_zones"
# Enum members create reads, bound once: Python 3.11 reads a member off its class
# through a descriptor (~60 ns), where a module global costs ~5.
_CREATING, _DETACHED = VolumeStatus.CREATING, AttachStatus.DETACHED
_CREATE, _FROM_SOURCE = Op.CREATE, Op.CREATE_FROM_SOURCE
_VOLUME_FIELDS = ("id", "project_id", "user_id", "size", "status", "attach_status",
                  "previous_status", "migration_status", "host", "cluster_name",
                  "availability_zone", "display_name", "display_description",
                  "volume_type_id", "snapshot_id", "source_volid", "bootable", "multiattach",
                  "encrypted", "encryption_key_id", "metadata")
"""The first fields of :class:`Volume`, in order: what create passes by position."""
_DELETABLE = (VolumeStatus.AVAILABLE, VolumeStatus.ERROR, VolumeStatus.ERROR_RESTORING,
              VolumeStatus.ERROR_EXTENDING, VolumeStatus.ERROR_MANAGING)


def resolve_volume_type(api: ApiService, req: ApiRequest, ref: str | None) -> VolumeType:
    """By id or name; the default type when none is given (Cinder always assigns one)."""
    if ref is None:
        return api.default_volume_type(req.context.project_id)
    db = api.env.db
    vtype = db.volume_types.get(ref)
    if vtype is None:
        for t in db.volume_types.values():
            if t.name == ref:
                vtype = t
                break
    if vtype is None or not _type_visible(vtype, req):
        # VolumeType.get_by_name_or_id looks a uuid-like ref up by id only.
        if is_uuid_like(ref):
            raise VolumeTypeNotFound(volume_type_id=ref)
        raise VolumeTypeNotFoundByName(volume_type_name=ref)
    return vtype


def _type_visible(vtype: VolumeType, req: ApiRequest) -> bool:
    return vtype.is_public or admin(req) or req.context.project_id in vtype.projects


def resolve_availability_zone(api: ApiService, az: str | None) -> str:
    """The requested zone, else ``default_availability_zone``/``storage_availability_zone``;
    an unknown zone is a 400 unless ``allow_availability_zone_fallback``."""
    opts = api.env.config.default
    # Both options are strs (the config converts them; storage_availability_zone always
    # has one): no str() call on every create.
    default_az: str = opts["default_availability_zone"] or opts["storage_availability_zone"]
    if az is None:
        az = default_az
    # volume_api.list_availability_zones, as _valid_availability_zone asks it: the zones
    # of the cinder-volume services, which the database keeps as they register.
    if az not in api.env.db.volume_zones:
        if opts["allow_availability_zone_fallback"]:
            return default_az
        # exception.InvalidAvailabilityZone: its own words, no "Invalid input" prefix.
        raise HTTPError(400, f"Availability zone '{az}' is invalid.")
    return az


class _Resolved(NamedTuple):
    """What :func:`_resolve_body` makes of a create body's keys besides ``size``."""

    name: str | None
    description: str | None
    metadata: dict[str, str]
    az: str | None
    """The zone asked for (or the source's, or the group's); None for the default."""
    snapshot_id: str | None
    source_volid: str | None
    snapshot: Snapshot | None
    source_vol: Volume | None
    image: Image | None
    resource_backend: str | None
    group: Group | None
    size: int
    vtype: VolumeType


_SIZE_ALONE: Final = (None, None, EMPTY_DICT, None, None, None, None, None, None, None, None)
"""The first eleven fields of :class:`_Resolved` for a body of the size alone (no name,
description, metadata, zone, source, image, backend or group)."""


async def _resolve_body(api: ApiService, req: ApiRequest, body: dict[str, Any],
                        size: int | None) -> _Resolved | ApiResponse:
    """The steps of create for a body's other keys, in Cinder's order (the schema's
    checks, the policy, then the sources, the type and the group), or the answer
    of a create from a backup."""
    db = api.env.db
    ctx = req.context
    version = req.version
    # Related keys are tested as a group first (one C set test), since bodies often
    # lack a whole group: the texts here, the sources below.
    name: str | None = None
    description: str | None = None
    if not _TEXT_KEYS.isdisjoint(body):
        name = opt_name(body, "name", "name") if "name" in body else None
        if name is None and "display_name" in body:
            name = opt_name(body, "display_name", "name")
        description = opt_name(body, "description", "description") \
            if "description" in body else None
        if description is None and "display_description" in body:
            description = opt_name(body, "display_description", "description")
    metadata = (opt_metadata(body) if "metadata" in body else None) or EMPTY_DICT
    az = opt_str(body, "availability_zone") if "availability_zone" in body else None
    if az is not None and not az.strip():
        raise HTTPError(400, "The 'availability_zone' can not be None.")
    multiattach_flag = opt_bool(body, "multiattach") if "multiattach" in body else None
    sourced = not _SOURCE_KEYS.isdisjoint(body)
    snapshot_id: str | None = None
    source_volid: str | None = None
    backup_id: str | None = None
    image_ref: str | None = None
    if sourced:
        snapshot_id = opt_uuid(body, "snapshot_id") if "snapshot_id" in body else None
        source_volid = opt_uuid(body, "source_volid") if "source_volid" in body else None
        backup_id = opt_uuid(body, "backup_id") \
            if "backup_id" in body and version >= _FROM_BACKUP else None
    api.policy.enforce(ctx, "volume:create", ctx.project_id)  # enforce(), one frame fewer
    if multiattach_flag:
        # The controller refuses it with a bare HTTPBadRequest (no "Invalid ..." prefix).
        raise HTTPError(400, "multiattach parameter has been removed. The default behavior "
                             "is to use multiattach enabled volume types. Contact your "
                             "administrator to create a multiattach enabled volume type "
                             "and use it to create multiattach volumes.")
    if sourced:
        image_ref = (opt_str(body, "imageRef") if "imageRef" in body else None) or \
            (opt_str(body, "image_id") if "image_id" in body else None)
        if len([s for s in (snapshot_id, source_volid, image_ref, backup_id) if s]) > 1:
            raise InvalidInput(reason="only one of snapshot, imageRef, source volume and "
                                      "backup may be specified")
    image = None
    if image_ref:
        image = image_from_ref(api.glance, image_ref, ctx.project_id, admin(req))
    snapshot = source_vol = None
    resource_backend = None
    source_size = 0
    if snapshot_id:
        snapshot = db.get_snapshot(snapshot_id, read_scope(req))
        if snapshot.status != SnapshotStatus.AVAILABLE:
            raise InvalidSnapshot(reason="Originating snapshot status must be one of "
                                         "'available' values")
        source_size = snapshot.volume_size
        origin = db.get_volume(snapshot.volume_id)
        resource_backend = extract_host(origin.host or "") if origin.host else None
        az = az or origin.availability_zone
    if source_volid:
        source_vol = db.get_volume(source_volid, read_scope(req))
        if source_vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
            raise InvalidVolume(reason="Unable to create a volume from an originating source "
                                       f"volume when its status is not 'available' or "
                                       f"'in-use'. Source volume status: {source_vol.status}")
        source_size = source_vol.size
        resource_backend = extract_host(source_vol.host or "") if source_vol.host else None
        az = az or source_vol.availability_zone
    if backup_id:
        from .from_backup import create_from_backup  # noqa: PLC0415  (imports this module)

        return await create_from_backup(api, req, body, backup_id)
    if size is None:
        if not (snapshot or source_vol):
            raise InvalidInput(reason="Volume size 'None' must be an integer and greater "
                                      "than 0")
        size = source_size
    if size < source_size:
        what = "snapshot" if snapshot else "source volume"
        raise InvalidInput(reason=f"Volume size '{size}'GB cannot be smaller than the "
                                  f"{what} size {source_size}GB. They must be >= original "
                                  f"{what} size.")
    if image is not None:
        check_image_metadata(image, size)
    vtype_ref = opt_str(body, "volume_type") if "volume_type" in body else None
    if vtype_ref is not None:
        vtype = resolve_volume_type(api, req, vtype_ref)
    elif source_vol is not None:
        vtype = db.get_volume_type(source_vol.volume_type_id or "")
    elif snapshot is not None:
        vtype = db.get_volume_type(db.get_volume(snapshot.volume_id).volume_type_id or "")
    elif image is not None:
        # ExtractVolumeRequestTask._get_volume_type: without a requested type, an
        # image's cinder_img_volume_type property names the type (by name or id; an
        # unknown one is an error, not the default).
        image_type = image.properties.get("cinder_img_volume_type")
        vtype = resolve_volume_type(api, req, str(image_type) if image_type else None)
    else:
        vtype = api.default_volume_type(ctx.project_id)  # as resolve_volume_type(None)
    # issue 16: into a generic group (3 lines); most bodies name none, so no call.
    group = None if GROUP_KEYS.isdisjoint(body) else volume_group(api, req, body, vtype)
    if group is not None:
        az, resource_backend = group.availability_zone, extract_host(group.host or "")
    return _Resolved(name, description, metadata, az, snapshot_id, source_volid, snapshot,
                     source_vol, image, resource_backend, group, size, vtype)


@route("POST", "/volumes")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    ctx = req.context
    # The JSON schema (a decorator in Cinder) runs before anything else.  The usual
    # body, {"volume": {...}} alone, passes body_of and the top-level check_keys: only
    # another shape calls them (for their 400s), two calls fewer on every create.
    top = req.body
    try:
        body = top["volume"]
    except (KeyError, TypeError, IndexError):  # not an object, or one without "volume"
        body = None
    if type(body) is not dict or len(top) != 1:
        body = body_of(req, "volume")
        check_keys(top, _TOP_KEYS, strict=True)
    version = req.version  # compared with constants: at_least parses (cached) on each call
    if version >= _STRICT_CREATE:  # check_keys does nothing unless strict
        check_keys(body, _CREATE_KEYS, strict=True, field="volume")
    # Each opt_* gives None for an absent key, so only the keys present are validated
    # (in the schema's order, so the first error is the same): a body has few keys.
    # A plain int in range, the usual size, is what opt_int would give back.
    size = body.get("size")
    if type(size) is not int or size < 1 or size > MAX_INT:
        size = opt_int(body, "size", minimum=1)
    # (The general path first: mypy takes the locals' types from _Resolved's fields.)
    if size is None or len(body) != 1:
        resolved = await _resolve_body(api, req, body, size)
        if isinstance(resolved, ApiResponse):  # created from a backup
            return resolved
        (name, description, metadata, az, snapshot_id, source_volid, snapshot, source_vol,
         image, resource_backend, group, size, vtype) = resolved
    else:
        # {"size": N} alone, the usual body: none of _resolve_body's keys to validate or
        # resolve, so what it gives such a body, here at once (no coroutine).
        (name, description, metadata, az, snapshot_id, source_volid, snapshot, source_vol,
         image, resource_backend, group) = _SIZE_ALONE  # one unpack, not eleven stores
        api.policy.enforce(ctx, "volume:create", ctx.project_id)  # enforce(), a frame fewer
        # As resolve_volume_type(None): default_volume_type(), whose usual case is at
        # hand here (no project default exists before the API tables do).
        vtype = api.config_default_type() if db.api_tables is None \
            else api.default_volume_type(ctx.project_id)
    az = resolve_availability_zone(api, az)
    specs = vtype.extra_specs
    multiattach = "multiattach" in specs and spec_is_true(specs["multiattach"])
    encrypted = bool(vtype.encryption)
    if multiattach and encrypted:
        # Cinder checks this after making the key (and leaks it); checked first here.
        raise InvalidVolume(reason="Multiattach cannot be used with encrypted volumes.")
    quota = env.quota
    key_id = None
    if encrypted:  # a plain type has no key: no coroutine to make and await
        # The size's limit before a key is made (a refused create makes none).
        quota.check_per_volume(size, ctx.project_id)
        key_id = await volume_key(api, req, vtype, snapshot=snapshot, source=source_vol,
                                  image_key=image.properties.get("cinder_encryption_key_id")
                                  if image is not None else None)
    try:
        # QuotaReserveTask, and QuotaCommitTask once the row is written: nothing awaits
        # in between, and writing the row fails only on a simulator bug (a duplicate
        # id), so the quota is reserved and committed here at once; a plain type's
        # size is held to per_volume_gigabytes first, in the same call.
        # Its reservations' ids are drawn with the volume's, which comes next (one draw).
        skipped = quota.commit_volume(ctx.project_id, size, vtype.name, 1, not encrypted, True)
    except OverQuota as exc:
        if key_id is not None:
            await delete_encryption_key(api.key_manager, ctx.auth_token, key_id)
        raise over_quota_error(exc, "volumes", size) from exc
    # Every field by position, in the order of _VOLUME_FIELDS (a test holds it to
    # Volume's): CPython matches each keyword against the names of Volume's 35
    # parameters one by one (~45 ns a keyword, a dozen on every create).  The row is
    # born ``creating``/``detached``, not yet on a host, as Cinder's create writes it.
    vol = Volume(env.sim.ids.uuid(skipped), ctx.project_id, ctx.user_id, size,
                 _CREATING, _DETACHED, None, None, None, None,
                 az, name, description, vtype.id, snapshot_id, source_volid,
                 bool(source_vol.bootable) if source_vol else False,
                 multiattach, encrypted, key_id, metadata)
    if group is not None:  # issue 16
        vol.group_id = group.id
    db.add(vol, _FROM_SOURCE if (snapshot or source_vol or image) else _CREATE, ACTOR)
    spec = volume_create_spec(size, vol.id, snapshot_id, vtype.name, vtype.id,
                              specs,  # copied by it
                              az, _type_zones(specs) if _ZONES_SPEC in specs else (),
                              resource_backend, multiattach,
                              ctx.project_id, ctx.user_id,
                              image.id if image is not None else None)
    if source_vol is not None and key_id:
        # An encrypted clone is re-keyed by cinder-volume as the user: the RPC context's
        # token goes along (only then, so no other create's message changes).
        env.bus.cast(ACTOR, _SCHEDULER, "create_volume", volume_id=vol.id, request_spec=spec,
                     filter_properties={}, auth_token=ctx.auth_token)
    else:  # a plain keyword call: no **{} merged into a dict per create
        env.bus.cast(ACTOR, _SCHEDULER, "create_volume", volume_id=vol.id, request_spec=spec,
                     filter_properties={})
    # volume_detail builds every container anew from plain values: a fresh body.
    return fresh_response(202, {"volume": volume_detail(api, req, vol, new=True)})


async def volume_key(api: ApiService, req: ApiRequest, vtype: VolumeType, *,
                     snapshot: Snapshot | None = None, source: Volume | None = None,
                     image_key: Any = None) -> str | None:
    """``ExtractVolumeRequestTask._get_encryption_key_id``: for an encrypted type, a
    clone of the source's key (snapshot, source volume, or an image's
    ``cinder_encryption_key_id``), else a new key; None for a plain type.  Keys are
    cloned, never shared, "because the key is deleted when the volume is deleted"."""
    if not vtype.encryption:
        return None
    token = req.context.auth_token
    source_key = (snapshot.encryption_key_id if snapshot is not None else
                  source.encryption_key_id if source is not None else
                  str(image_key) if image_key else None)
    if source_key is None:
        return await create_encryption_key(api.key_manager, token, vtype.encryption)
    try:
        return await clone_encryption_key(api.key_manager, token, source_key)
    except KeyManagerError as exc:  # e.g. the source's key is another project's
        raise Invalid(message="Key manager error") from exc


def spec_is_true(value: Any) -> bool:
    """An extra spec like ``multiattach='<is> True'`` read as a boolean."""
    return isinstance(value, str) and value.strip().lower() in {"<is> true", "true"}



def _type_zones(specs: dict[str, str]) -> tuple[str, ...]:
    """The zones a type's ``RESKEY:availability_zones`` extra spec names, in order."""
    raw = specs.get(_ZONES_SPEC)
    if not raw:
        return ()
    return tuple(z.strip() for z in raw.split(",") if z.strip())


@route("GET", "/volumes/{volume_id}")
async def show(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    vol = api.env.db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "volume:get", vol.project_id)
    return ApiResponse(200, {"volume": volume_detail(api, req, vol, extended=True,
                                                     admin_meta=True)})


@route("PUT", "/volumes/{volume_id}")
async def update(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    db = api.env.db
    body = body_of(req, "volume")
    # The schema runs first (a decorator); it forbids unknown keys at every
    # version, and 3.53's anyOf makes an empty update a 400.
    check_keys(req.body, ("volume",), strict=True)
    check_keys(body, ("name", "description", "metadata", "display_name",
                      "display_description"), strict=True, field="volume")
    if not body and req.at_least("3.53"):
        raise HTTPError(400, "Invalid input for field/attribute volume. Value: {}. {} is not "
                             "valid under any of the given schemas")
    name = opt_name(body, "name", "name") if "name" in body else \
        opt_name(body, "display_name", "name")
    desc = opt_name(body, "description", "description") if "description" in body else \
        opt_name(body, "display_description", "description")
    metadata = opt_metadata(body, nullable=False)
    vol = db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "volume:update", vol.project_id)
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason="Volume status must not be maintenance to update.")
    if "name" in body or "display_name" in body:
        vol.display_name = name
    if "description" in body or "display_description" in body:
        vol.display_description = desc
    if metadata is not None:
        vol.metadata = metadata
    vol.updated_at = db.stamp()
    return ApiResponse(200, {"volume": volume_detail(api, req, vol, admin_meta=True)})


@route("DELETE", "/volumes/{volume_id}")
async def delete(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    env = api.env
    db = env.db
    vol = db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "volume:delete", vol.project_id)
    cascade = req.q_bool("cascade")
    force = req.q_bool("force") if req.at_least("3.23") else False
    if force:
        enforce(api, req, "volume:force_delete", vol.project_id)
    await delete_volume(api, vol, cascade=cascade, force=force, token=req.context.auth_token)
    return ApiResponse(202, None)


async def delete_volume(api: ApiService, vol: Volume, *, cascade: bool, force: bool,
                        token: str | None = None) -> None:
    """``volume.api.API.delete``: the checks, then ``deleting``, the key deleted with
    the caller's *token*, and a cast (or, with no host, destroy at once; Cinder
    returns before its key deletion there, so that key stays in Barbican).  Shared
    by DELETE and ``os-force_delete``."""
    env = api.env
    db = env.db
    op = Op.FORCE_DELETE if force else Op.DELETE
    if vol.host is None:
        # Never reached a backend: Cinder destroys the row here and gives the quota back.

        env.quota.release_volume(vol.project_id, vol.size, vol.volume_type_id,
                             vol.use_quota)
        db.remove(vol, op=Op.DELETE, actor=ACTOR, reason="no host: deleted at the API")
        return
    snapshots = db.snapshots_of(vol.id)
    problems = []
    if vol.attach_status == "attached":
        problems.append("attached")
    if vol.migration_status not in (None, "deleting", "error", "success"):
        problems.append("migrating")
    if vol.group_id or vol.consistencygroup_id:
        problems.append("in a group")
    if not force and vol.status not in _DELETABLE:
        problems.append("status")
    if snapshots and (not cascade or any(
            s.status not in (SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR)
            for s in snapshots)):
        problems.append("snapshots")
    if problems:
        # Cinder builds "status must be a or b ... and" only when the status is
        # checked; with force the sentence keeps its (doubled) space.
        statuses = "" if force else ("status must be available or error or error_restoring "
                                     "or error_extending or error_managing and")
        raise InvalidVolume(reason=f"Volume {statuses} must not be migrating, attached, "
                                   "belong to a group, have snapshots, awaiting a transfer, "
                                   "or be disassociated from snapshots after volume "
                                   "transfer.")
    if cascade:
        for snap in snapshots:
            db.transition(snap, SnapshotStatus.DELETING, op=Op.CASCADE_DELETE, actor=ACTOR)
    db.transition(vol, VolumeStatus.DELETING, op=op, actor=ACTOR)
    if vol.encryption_key_id is not None:
        # "This operation makes volume deletion an irreversible process because the
        # volume cannot be decrypted without its key."
        try:
            await delete_encryption_key(api.key_manager, token, vol.encryption_key_id)
        except KeyManagerError as exc:
            db.transition(vol, VolumeStatus.ERROR_DELETING, op=op, actor=ACTOR,
                          reason=str(exc))
            raise InvalidVolume(reason=f"Unable to delete encryption key for volume: "
                                       f"{exc}") from exc
    env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(vol.host or "")),
                   "delete_volume", volume_id=vol.id, cascade=cascade)
