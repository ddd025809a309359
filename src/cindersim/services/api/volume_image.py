"""Volume actions that involve Glance (``cinder/api/contrib/volume_actions.py``,
``volume_image_metadata.py`` and ``cinder/volume/api.py``):

* ``os-volume_upload_image`` (202): schema (``image_name`` 1-255 required,
  ``force``, ``disk_format`` in raw/vmdk/vdi/qcow2/vhd/vhdx/ploop,
  ``container_format``; from 3.1 ``visibility`` and ``protected``) -> volume
  (404) -> policy ``upload_image`` (``upload_public`` too for a public image)
  -> the volume must be ``available`` (``force`` is ignored:
  ``enable_force_upload`` is False by default) -> ``uploading``
  (``previous_status`` saved) -> Glance ``create`` (``queued``) -> cast
  ``copy_volume_to_image`` to the volume's cinder-volume.
* ``os-reimage`` (3.68, 202): ``image_id`` uuid, ``reimage_reserved``; the image
  must exist (404) and fit; more than one attachment is 409; the volume must be
  ``available`` or ``error`` (or ``reserved`` with ``reimage_reserved``) ->
  ``downloading`` -> cast ``reimage``.
* ``os-set_image_metadata`` (200, the whole image metadata back),
  ``os-unset_image_metadata`` (200, empty; a missing key is 404),
  ``os-show_image_metadata`` (200): the volume's ``volume_glance_metadata``;
  writes are refused in ``maintenance`` and ``uploading``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...errors import InvalidInput, InvalidVolume, NotFound
from ...states import Op, VolumeStatus
from ..encryption_keys import clone_encryption_key
from ..glance.client import ImageNotFound
from .actions import _boolean, _get, _object, _required, _target, volume_action
from .common import enforce, invalid_field, is_uuid_like
from .image_refs import check_image_metadata
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__: list[str] = []

ACTOR = "cinder-api"
_DISK_FORMATS = ("raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop")
_VISIBILITIES = ("community", "public", "private", "shared")
_METADATA_KEY = re.compile(r"^[a-zA-Z0-9-_:. /]{1,255}$")
_GLANCE_CORE = ("checksum", "container_format", "disk_format", "image_name", "image_id",
                "min_disk", "min_ram", "name", "size")
"""``glance_core_properties``: not copied from a volume into an image it uploads."""


class GlanceMetadataNotFound(NotFound):
    message = "Glance metadata for volume/snapshot %(id)s cannot be found."


class ImageNotFoundError(NotFound):
    message = "Image %(image_id)s could not be found."


def _string(name: str, value: Any, *, min_len: int = 0, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        kinds = "'string', 'null'" if nullable else "'string'"
        raise invalid_field(name, value, f"{value!r} is not of type {kinds}")
    if len(value) < min_len:
        raise invalid_field(name, value, f"{value!r} is too short")
    if len(value) > 255:
        raise invalid_field(name, value, f"{value!r} is too long")


def _type_view(api: ApiService, type_id: str | None) -> dict[str, Any] | None:
    """The response carries the VolumeType object as jsonutils turns it into a dict."""
    vtype = api.env.db.volume_types.get(type_id or "")
    if vtype is None:
        return None
    return {"id": vtype.id, "name": vtype.name, "description": vtype.description,
            "is_public": vtype.is_public, "projects": list(vtype.projects),
            "extra_specs": dict(vtype.extra_specs), "qos_specs_id": vtype.qos_specs_id,
            "created_at": vtype.created_at, "updated_at": vtype.updated_at,
            "deleted": False, "deleted_at": None}


# --- upload -------------------------------------------------------------------------------
@volume_action("os-volume_upload_image")
async def _upload(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    name = "os-volume_upload_image"
    allowed: tuple[str, ...] = ("image_name", "force", "disk_format", "container_format")
    if req.at_least("3.1"):
        allowed += ("visibility", "protected")
    body = _object(name, inner, allowed)
    image_name = _required(name, body, "image_name")
    _string("image_name", image_name, min_len=1)
    force = _boolean("force", body.get("force", False))
    disk_format = body.get("disk_format", "raw")
    if disk_format not in _DISK_FORMATS:
        raise invalid_field("disk_format", disk_format,
                            f"{disk_format!r} is not one of {list(_DISK_FORMATS)}")
    container_format = body.get("container_format", "bare")
    _string("container_format", container_format, nullable=True)
    visibility = body.get("visibility", "private")
    if visibility not in _VISIBILITIES:
        raise invalid_field("visibility", visibility,
                            f"{visibility!r} is not one of {list(_VISIBILITIES)}")
    protected = _boolean("protected", body.get("protected", False))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:upload_image", vol.project_id)
    if vol.encrypted and (disk_format != "raw" or container_format != "bare"):
        raise HTTPError(400, "An encrypted volume uploaded as an image must use 'raw' "
                             "disk_format and 'bare' container_format, which are the "
                             "defaults for these options.")
    at_31 = req.at_least("3.1")
    if at_31 and visibility == "public":
        enforce(api, req, "volume_extension:volume_actions:upload_public", vol.project_id)
    del force  # enable_force_upload = False: Cinder logs and ignores it
    if vol.status != VolumeStatus.AVAILABLE:
        raise InvalidVolume(reason=f"Volume {vol.id} status must be available")
    # "the current key cannot be reused because it will be deleted when the volume is
    # deleted": the image carries its own clone, which Glance deletes with the image.
    image_key = await clone_encryption_key(api.key_manager, req.context.auth_token,
                                           vol.encryption_key_id)
    vol.previous_status = str(vol.status)
    api.env.db.transition(vol, VolumeStatus.UPLOADING, op=Op.UPLOAD_TO_IMAGE, actor=ACTOR,
                          reason=f"to image {image_name}")
    properties = {k: v for k, v in vol.glance_metadata.items() if k not in _GLANCE_CORE}
    if image_key is not None:
        properties["cinder_encryption_key_id"] = image_key
        properties["cinder_encryption_key_deletion_policy"] = "on_image_deletion"
    image = api.glance.create(image_name, owner=vol.project_id,
                              visibility=visibility if at_31 else "private",
                              disk_format=disk_format, properties=properties)
    image.container_format = container_format or "bare"
    image.protected = protected if at_31 else False
    api.env.bus.cast(ACTOR, _target(vol), "copy_volume_to_image", volume_id=vol.id,
                     image_id=image.id)
    response: dict[str, Any] = {
        "id": vol.id, "updated_at": vol.updated_at, "status": "uploading",
        "display_description": vol.display_description, "size": vol.size,
        "volume_type": _type_view(api, vol.volume_type_id), "image_id": image.id,
        "container_format": image.container_format, "disk_format": image.disk_format,
        "image_name": image.name}
    if at_31:
        response["protected"] = image.protected
        response["visibility"] = image.visibility
    return ApiResponse(202, {"os-volume_upload_image": response})


# --- re-image ----------------------------------------------------------------------------
@volume_action("os-reimage")
async def _reimage(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    if not req.at_least("3.68"):
        raise HTTPError(404, "The resource could not be found.")
    name = "os-reimage"
    body = _object(name, inner, ("image_id", "reimage_reserved"))
    image_id = _required(name, body, "image_id")
    if not isinstance(image_id, str) or not is_uuid_like(image_id):
        raise invalid_field("image_id", image_id, f"{image_id!r} is not a 'uuid'")
    reserved_ok = _boolean("reimage_reserved", body.get("reimage_reserved", False))
    vol = _get(api, req, volume_id)
    try:
        image = api.glance.get(image_id, req.context.project_id,
                               admin=bool(req.context.is_admin))
    except ImageNotFound:
        raise ImageNotFoundError(image_id=image_id) from None
    snapshot_id = None
    bdms = image.properties.get("block_device_mapping") or []
    boot = [b for b in bdms if isinstance(b, dict) and b.get("source_type") == "snapshot"
            and b.get("boot_index") == 0]
    if boot:
        snap_size = boot[0].get("volume_size")
        if isinstance(snap_size, int) and snap_size > vol.size:
            raise HTTPError(400, "Volume size must be greater than the image size. (Image: "
                                 f"{snap_size}, Volume: {vol.size}).")
        snapshot_id = str(boot[0].get("snapshot_id"))
        if snapshot_id not in api.env.db.snapshots:
            raise HTTPError(404, "Nova specific image is found, but boot volume snapshot "
                                 f"id:{snapshot_id} not found.")
    policy = ("volume:reimage_reserved" if vol.status == VolumeStatus.RESERVED
              else "volume:reimage")
    enforce(api, req, policy, vol.project_id)
    if len(api.env.db.attachments_of(vol.id)) > 1:
        raise HTTPError(409, "Cannot re-image a volume which is attached to more than one "
                             "server.")
    expected = (("available", "error", "reserved") if reserved_ok
                else ("available", "error"))
    if vol.status not in expected:
        raise InvalidVolume(reason=f"Volume {vol.id} status must be {' or '.join(expected)}, "
                                   f"but current status is {vol.status}.")
    # Cinder writes 'downloading' first and puts the status back when the image
    # check fails; checking first gives the same answer and writes nothing.
    try:
        check_image_metadata(image, vol.size)
    except InvalidInput as exc:
        raise HTTPError(400, str(exc)) from exc
    vol.previous_status = str(vol.status)
    api.env.db.transition(vol, VolumeStatus.DOWNLOADING, op=Op.REIMAGE, actor=ACTOR,
                          reason=f"re-image from {image.id[:8]}")
    api.env.bus.cast(ACTOR, _target(vol), "reimage", volume_id=vol.id, image_id=image.id,
                     snapshot_id=snapshot_id)
    return ApiResponse(202, None)


# --- image metadata ------------------------------------------------------------------------
def _check_writable(vol_status: str, verb: str) -> None:
    if vol_status in (VolumeStatus.MAINTENANCE, VolumeStatus.UPLOADING):
        raise InvalidVolume(reason=f"{verb} volume metadata is not allowed for volumes in "
                                   f"{vol_status} status.")


@volume_action("os-set_image_metadata")
async def _set_image_metadata(api: ApiService, req: ApiRequest, volume_id: str,
                              inner: Any) -> ApiResponse:
    name = "os-set_image_metadata"
    body = _object(name, inner, ("metadata",))
    metadata = _required(name, body, "metadata")
    if not isinstance(metadata, dict):
        raise invalid_field("metadata", metadata, f"{metadata!r} is not of type 'object'")
    bad = [k for k in metadata if not _METADATA_KEY.match(k)]
    if bad:
        listed = ", ".join(repr(k) for k in bad)
        raise invalid_field("metadata", metadata, f"Additional properties are not allowed "
                                                  f"({listed} {'were' if len(bad) > 1 else 'was'}"
                                                  " unexpected)")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise invalid_field(key, value, f"{value!r} is not of type 'string'")
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_image_metadata:set", vol.project_id)
    enforce(api, req, "volume:get", vol.project_id)
    enforce(api, req, "volume:update_volume_metadata", vol.project_id)
    _check_writable(vol.status, "Updating")
    # replaced whole, never updated in place: an empty one is shared (cindersim.empty)
    vol.glance_metadata = {**vol.glance_metadata, **metadata}
    vol.updated_at = api.env.db.stamp()
    return ApiResponse(200, {"metadata": dict(vol.glance_metadata)})


@volume_action("os-unset_image_metadata")
async def _unset_image_metadata(api: ApiService, req: ApiRequest, volume_id: str,
                                inner: Any) -> ApiResponse:
    name = "os-unset_image_metadata"
    body = _object(name, inner, ("key",))
    key = _required(name, body, "key")
    _string("key", key, min_len=1)
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_image_metadata:remove", vol.project_id)
    enforce(api, req, "volume:get", vol.project_id)
    enforce(api, req, "volume:get_volume_metadata", vol.project_id)
    if key not in vol.glance_metadata:
        raise GlanceMetadataNotFound(id=vol.id)
    enforce(api, req, "volume:delete_volume_metadata", vol.project_id)
    _check_writable(vol.status, "Deleting")
    vol.glance_metadata = {k: v for k, v in vol.glance_metadata.items() if k != key}
    vol.updated_at = api.env.db.stamp()
    return ApiResponse(200, None)


@volume_action("os-show_image_metadata")
async def _show_image_metadata(api: ApiService, req: ApiRequest, volume_id: str,
                               inner: Any) -> ApiResponse:
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume:get", vol.project_id)
    enforce(api, req, "volume:get_volume_metadata", vol.project_id)
    return ApiResponse(200, {"metadata": dict(vol.glance_metadata)})
