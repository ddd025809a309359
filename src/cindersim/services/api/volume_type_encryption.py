"""``/types/{id}/encryption``: a volume type's encryption (admin).

Follows ``cinder/api/contrib/volume_type_encryption.py`` and
``cinder/api/schemas/volume_type_encryption.py``:

* One row per type: ``provider`` and ``control_location`` (``front-end`` or
  ``back-end``) are required on create, ``cipher`` is a string or null and
  ``key_size`` a non-negative integer (or digit string, stored as an int).
* Create and update answer **200**; delete **202**.  None of them may run while
  a volume has the type (``400 Cannot <verb> encryption specs. Volume type in
  use.``); a second create is ``409``.  A missing row is ``404`` (show, update,
  delete).
* A volume created with an encrypted type shows ``encrypted: true``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import VolumeTypeEncryptionExists, VolumeTypeEncryptionNotFound
from .common import enforce, invalid_field
from .router import route
from .types import _emit, _get, _in_use, _no_extra, _object, _string
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

_ENCRYPTION_KEYS = ("key_size", "provider", "control_location", "cipher")


def _encryption_body(req: ApiRequest, *, required: tuple[str, ...]) -> dict[str, Any]:
    """The create/update schema; ``key_size`` comes back as an int."""
    enc = _object(req.body, "encryption")
    _no_extra(enc, _ENCRYPTION_KEYS)
    for key in required:
        if key not in enc:
            raise HTTPError(400, f"'{key}' is a required property")
    if "key_size" in enc and enc["key_size"] is not None:
        size = enc["key_size"]
        if isinstance(size, bool) or not isinstance(size, (int, str)):
            raise invalid_field("key_size", size,
                                f"{size!r} is not of type 'string', 'integer', 'null'")
        try:
            number = int(size)
        except ValueError:
            raise invalid_field("key_size", size, f"{size!r} is not a 'key_size'") from None
        if number < 0:
            raise invalid_field("key_size", size, f"{size!r} is less than the minimum of 0")
        enc["key_size"] = number
    if "provider" in enc:
        _string(enc, "provider", nullable=False)
    if "cipher" in enc:
        _string(enc, "cipher", nullable=True)
    if "control_location" in enc and enc["control_location"] not in ("front-end", "back-end"):
        value = enc["control_location"]
        raise invalid_field("control_location", value,
                            f"{value!r} is not one of ['front-end', 'back-end']")
    return enc


@route("GET", "/types/{type_id}/encryption")
async def encryption_index(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    """The type's encryption row, or ``{}`` when it has none."""
    enforce(api, req, "volume_extension:volume_type_encryption:get")
    vtype = _get(api, req, type_id)
    return ApiResponse(200, dict(vtype.encryption or {}))


@route("POST", "/types/{type_id}/encryption")
async def encryption_create(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    enc = _encryption_body(req, required=("provider", "control_location"))
    enforce(api, req, "volume_extension:volume_type_encryption:create")
    if _in_use(api, type_id):
        raise HTTPError(400, "Cannot create encryption specs. Volume type in use.")
    vtype = _get(api, req, type_id)
    if vtype.encryption:
        raise VolumeTypeEncryptionExists(type_id=type_id)
    now = api.env.db.stamp()
    vtype.encryption = {
        "volume_type_id": vtype.id, "encryption_id": api.env.sim.ids.uuid(),
        "cipher": enc.get("cipher"), "key_size": enc.get("key_size"),
        "provider": enc["provider"], "control_location": enc["control_location"],
        "created_at": now, "updated_at": None, "deleted": False, "deleted_at": None}
    _emit(api, "volume_type.encryption", f"volume type {vtype.name} encrypted with "
          f"{enc['provider']} ({enc['control_location']})", vtype,
          encryption={k: enc.get(k) for k in _ENCRYPTION_KEYS})
    # db.volume_type_encryption_create fills the body's dict in: the answer names
    # the type and the new encryption id (Tempest requires both).
    return ApiResponse(200, {"encryption": {**enc, "volume_type_id": vtype.id,
                                            "encryption_id": vtype.encryption["encryption_id"]}})


@route("GET", "/types/{type_id}/encryption/{key}")
async def encryption_show(api: ApiService, req: ApiRequest, type_id: str,
                          key: str) -> ApiResponse:
    enforce(api, req, "volume_extension:volume_type_encryption:get")
    vtype = _get(api, req, type_id)
    specs = vtype.encryption or {}
    if key not in specs:
        raise VolumeTypeEncryptionNotFound(type_id=type_id)
    return ApiResponse(200, {key: specs[key]})


@route("PUT", "/types/{type_id}/encryption/{encryption_id}")
async def encryption_update(api: ApiService, req: ApiRequest, type_id: str,
                            encryption_id: str) -> ApiResponse:
    enc = _encryption_body(req, required=())
    enforce(api, req, "volume_extension:volume_type_encryption:update")
    vtype = _get(api, req, type_id)
    if _in_use(api, type_id):
        raise HTTPError(400, "Cannot update encryption specs. Volume type in use.")
    if not vtype.encryption:
        raise VolumeTypeEncryptionNotFound(type_id=type_id)
    vtype.encryption.update(enc)
    vtype.encryption["updated_at"] = api.env.db.stamp()
    _emit(api, "volume_type.encryption", f"encryption of volume type {vtype.name} updated",
          vtype, encryption={k: vtype.encryption.get(k) for k in _ENCRYPTION_KEYS})
    return ApiResponse(200, {"encryption": enc})


@route("DELETE", "/types/{type_id}/encryption/{encryption_id}")
async def encryption_delete(api: ApiService, req: ApiRequest, type_id: str,
                            encryption_id: str) -> ApiResponse:
    """No type lookup first: a missing type is 'encryption ... does not exist' (404)."""
    enforce(api, req, "volume_extension:volume_type_encryption:delete")
    if _in_use(api, type_id):
        raise HTTPError(400, "Cannot delete encryption specs. Volume type in use.")
    vtype = api.env.db.volume_types.get(type_id)
    if vtype is None or not vtype.encryption:
        raise VolumeTypeEncryptionNotFound(type_id=type_id)
    vtype.encryption = None
    _emit(api, "volume_type.encryption", f"encryption of volume type {vtype.name} removed",
          vtype, encryption=None)
    return ApiResponse(202, None)
