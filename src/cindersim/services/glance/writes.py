"""glance-api's writes: create, update (JSON patch), delete, upload, tags.

Facts (``glance/api/v2/images.py``, ``image_data.py``, ``glance/domain``):

* create: 201 with ``Location``; ``owner`` defaults to the caller's project,
  ``visibility`` to ``shared``; read-only attributes are 403, schema misfits
  400, a duplicate ``id`` 409; only admins may make an image ``public``
  (``publicize_image``) or give it to another project;
* update: ``Content-Type: application/openstack-images-v2.1-json-patch`` (or
  v2.0), else 415 with ``Accept-Patch``; ``add``/``replace``/``remove`` of one
  top-level attribute; ``replace``/``remove`` of a missing extra property 409,
  ``remove`` of a base attribute 403; only the owner (or an admin) may modify;
* delete: 204; ``protected`` images 403; only the owner (or an admin);
* upload: ``Content-Type: application/octet-stream``; only a ``queued`` image
  (else 409 ``Image status transition from <s> to saving is not allowed``);
  ``disk_format`` and ``container_format`` must be set (400); the content of a
  ``bare`` image must match its ``disk_format`` (``require_image_format_match``,
  415, and the image goes back to ``queued``); 204.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.wsgi import ApiResponse
from .content import (
    KEEP_BYTES_LIMIT,
    blocks_of_bytes,
    hash_stream,
    qcow2_virtual_size,
)
from .http import GlanceError, Request
from .records import Image, ImageNotFound, InvalidImageTransition
from .schema import (
    BASE_PROPERTIES,
    DISALLOWED_AT_CREATE,
    READ_ONLY,
    SchemaError,
    check_reserved,
    check_value,
)

if TYPE_CHECKING:
    from .images import GlanceService

__all__ = ["ImageWrites"]

_PATCH_TYPES = {"application/openstack-images-v2.0-json-patch": 4,
                "application/openstack-images-v2.1-json-patch": 10}
_ATTRIBUTES = ("name", "visibility", "protected", "os_hidden", "owner", "container_format",
               "disk_format", "min_ram", "min_disk", "tags")
"""Base attributes a client may set (the rest are read-only)."""
_INSPECTED = ("qcow2", "raw")
"""The formats this model's inspector recognises (Glance's knows more; see upload)."""


def _forbidden(action: str) -> GlanceError:
    return GlanceError(403, f"You are not authorized to complete {action} action.")


def _check(key: str, value: Any) -> None:
    try:
        check_value(key, value)
    except SchemaError as exc:
        raise GlanceError(400, str(exc)) from None
    if key in ("min_ram", "min_disk") and value < 0:
        raise GlanceError(400, f"{key}: Cannot be a negative value.")


class ImageWrites:
    """The mutating controllers of one Glance."""

    def __init__(self, glance: GlanceService) -> None:
        self.glance = glance

    def _owned(self, req: Request, image_id: str, action: str) -> Image:
        try:
            image = self.glance.get(image_id, req.ctx.project_id, admin=req.admin)
        except ImageNotFound as exc:
            raise GlanceError(404, str(exc)) from None
        if not (req.admin or self.glance.owns(image, req.ctx.project_id)):
            raise _forbidden(action)
        return image

    def _check_visibility(self, req: Request, visibility: Any) -> None:
        if visibility == "public" and not req.admin:
            raise _forbidden("publicize_image")

    # --- create -------------------------------------------------------------------------
    def create(self, req: Request) -> ApiResponse:
        body = req.json()
        if not isinstance(body, dict):
            raise GlanceError(400, "Provided object does not match schema 'image': "
                                   f"{body!r} is not of type 'object'")
        for key in DISALLOWED_AT_CREATE:
            if key in body:
                raise GlanceError(403, f"Attribute '{key}' is read-only.")
        for key, value in body.items():
            _check(key, value)
        for key in body:
            if key in READ_ONLY and key != "id":
                raise GlanceError(403, f"Attribute '{key}' is read-only.")
            if len(key) > 255:
                raise GlanceError(400, "Custom property should not be greater than 255 "
                                       "characters.")
            reserved = check_reserved(key)
            if reserved:
                raise GlanceError(403, reserved)
        project = req.ctx.project_id
        owner = body.get("owner", project)
        if owner != project and not req.admin:
            raise GlanceError(403, f"You are not permitted to create images owned by "
                                   f"'{owner}'.")
        self._check_visibility(req, body.get("visibility"))
        image_id = body.get("id")
        if image_id is not None and image_id in self.glance.images:
            raise GlanceError(409, f"Image with identifier {image_id} already exists!")
        extra = {k: v for k, v in body.items() if k not in BASE_PROPERTIES}
        image = self.glance.create(
            body.get("name"), owner=owner, visibility=body.get("visibility", "shared"),
            min_disk=body.get("min_disk", 0), min_ram=body.get("min_ram", 0),
            disk_format=body.get("disk_format"), container_format=body.get("container_format"),
            properties=extra, image_id=image_id, protected=body.get("protected", False),
            os_hidden=body.get("os_hidden", False), tags=_unique(body.get("tags", [])))
        return ApiResponse(201, image.view(),
                           {"Location": f"{req.app_url}/v2/images/{image.id}"})

    # --- update -------------------------------------------------------------------------
    def update(self, req: Request, image_id: str) -> ApiResponse:
        content_type = req.headers.get("content-type", "").split(";")[0].strip()
        if content_type not in _PATCH_TYPES:
            allowed = ", ".join(sorted(_PATCH_TYPES))
            raise GlanceError(415, f"The request media type {content_type} is not supported "
                                   f"by this server. Image PATCH expects Content-Type one "
                                   f"of: {allowed}", {"Accept-Patch": allowed})
        draft = _PATCH_TYPES[content_type]
        changes = req.json()
        if not isinstance(changes, list):
            raise GlanceError(400, "Request body must be a JSON array of operation objects.")
        parsed = [self._parse_change(raw, draft) for raw in changes]
        image = self._owned(req, image_id, "modify_image")
        for op, key, value in parsed:
            self._apply(req, image, op, key, value, draft)
        if parsed:
            image.updated_at = self.glance.now()
        return ApiResponse(200, image.view())

    def _parse_change(self, raw: Any, draft: int) -> tuple[str, str, Any]:
        if not isinstance(raw, dict):
            raise GlanceError(400, "Operations must be JSON objects.")
        if draft == 10:
            op, path = raw.get("op"), raw.get("path")
        else:  # draft 4: {"replace": "/name", "value": ...}
            op = next((o for o in ("add", "remove", "replace") if o in raw), None)
            path = raw.get(op) if op else None
        if op not in ("add", "remove", "replace"):
            raise GlanceError(400, f"Invalid operation: `{op}`: Unable to find `op` in JSON "
                                   "Schema change. It must be one of the following: add, "
                                   "remove, replace.")
        if not isinstance(path, str) or not path.startswith("/"):
            raise GlanceError(400, f"Unable to find '/' in JSON Schema change: "
                                   f"Pointer `{path}` does not start with \"/\".")
        segments = [s.replace("~1", "/").replace("~0", "~") for s in path[1:].split("/")]
        if len(segments) != 1 or not segments[0]:
            raise GlanceError(400, f"Invalid JSON pointer for this resource: '{path}'")
        key = segments[0]
        if key in READ_ONLY:
            raise GlanceError(403, f"Attribute '{key}' is read-only.")
        reserved = check_reserved(key)
        if reserved:
            raise GlanceError(403, reserved)
        if op == "remove":
            return op, key, None
        if "value" not in raw:
            raise GlanceError(400, f'Operation "{op}" requires a member named "value".')
        _check(key, raw["value"])
        return op, key, raw["value"]

    def _apply(self, req: Request, image: Image, op: str, key: str, value: Any,
               draft: int) -> None:
        base = key in _ATTRIBUTES
        if op == "remove":
            if base:
                raise GlanceError(403, f"Property {key} may not be removed.")
            if key not in image.properties:
                raise GlanceError(409, f"Property {key} does not exist.")
            del image.properties[key]
            return
        exists = base or key in image.properties
        if op == "replace" and not exists:
            raise GlanceError(409, f"Property {key} does not exist.")
        if op == "add" and exists and draft == 4:
            raise GlanceError(409, f"Property {key} already present.")
        if not base:
            image.properties[key] = value
            return
        if key == "owner" and not req.admin:
            raise GlanceError(403, "Owner can't be updated by non admin.")
        if key == "visibility":
            self._check_visibility(req, value)
        if key in ("disk_format", "container_format") and image.status != "queued":
            raise GlanceError(403, f"Attribute {key} can be only replaced for a queued "
                                   "image.")
        setattr(image, key, _unique(value) if key == "tags" else value)

    # --- delete -------------------------------------------------------------------------
    def delete(self, req: Request, image_id: str) -> ApiResponse:
        try:
            image = self._owned(req, image_id, "delete_image")
        except GlanceError as exc:
            if exc.status == 404:
                raise GlanceError(404, f"Failed to find image {image_id} to delete") from None
            raise
        if image.protected:
            raise GlanceError(403, f"Image {image_id} is protected and cannot be deleted.")
        self.glance.delete(image)
        return ApiResponse(204)

    # --- tags ---------------------------------------------------------------------------
    def tag(self, req: Request, image_id: str, tag: str, *, add: bool) -> ApiResponse:
        image = self._owned(req, image_id, "modify_image")
        if add:
            _check("tags", [tag])
            if tag not in image.tags:
                image.tags.append(tag)
        elif tag in image.tags:
            image.tags.remove(tag)
        else:
            raise GlanceError(404, f"Tag {tag} not found.")
        image.updated_at = self.glance.now()
        return ApiResponse(204)

    # --- upload -------------------------------------------------------------------------
    def upload(self, req: Request, image_id: str) -> ApiResponse:
        content_type = req.headers.get("content-type", "application/octet-stream")
        content_type = content_type.split(";")[0].strip()
        if content_type != "application/octet-stream":
            raise GlanceError(415, f"The request media type {content_type} is not supported "
                                   "by this server.")
        image = self._owned(req, image_id, "upload_image")
        missing = [k for k in ("disk_format", "container_format") if not getattr(image, k)]
        if image.status == "queued" and missing:
            noun = "Property" if len(missing) == 1 else "Properties"
            raise GlanceError(400, f"{noun} {', '.join(missing)} must be set prior to "
                                   "saving data.")
        try:
            self.glance.set_status(image, "saving")
        except InvalidImageTransition as exc:
            raise GlanceError(409, str(exc)) from None
        data = req.body
        virtual = self._inspect(image, data)
        if virtual is None and image.disk_format == "qcow2" and image.container_format == "bare":
            self.glance.set_status(image, "queued")  # Glance's _restore
            raise GlanceError(415, "The request media type application/octet-stream is not "
                                   "supported by this server. Image disk_format qcow2 does "
                                   "not match stream data raw")
        hashes = hash_stream(iter((data,)))
        self.glance.store_bytes(
            image, data=blocks_of_bytes(data, virtual or len(data)), size=len(data),
            virtual_size=virtual, hashes=hashes,
            payload=data if len(data) <= KEEP_BYTES_LIMIT else None)
        return ApiResponse(204)

    @staticmethod
    def _inspect(image: Image, data: bytes) -> int | None:
        """The virtual size Glance's format inspector finds, or None.

        Only qcow2 (its header) and raw are recognised here; other formats are
        accepted without a virtual size (Glance would inspect them too).
        """
        if image.container_format != "bare":
            return None
        declared = qcow2_virtual_size(data[:512])
        if image.disk_format == "qcow2":
            return declared
        if image.disk_format == "raw":
            return len(data)  # a qcow2 uploaded as raw counts as raw bytes
        return None


def _unique(tags: list[str]) -> list[str]:
    """Glance stores tags as a set; keep the first occurrence's order."""
    return list(dict.fromkeys(tags))
