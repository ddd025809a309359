"""``/default-types``: a project's own default volume type (3.62).

Follows ``cinder/api/v3/default_types.py``, its schema and view, the
``project_default_volume_type_*`` functions of ``cinder/db/api.py`` and
``volume_types.get_default_volume_type``:

* ``PUT /default-types/{project_id}`` ``{"default_type": {"volume_type": <name or
  id>}}`` sets or replaces the project's default (200, ``{"default_type":
  {"project_id", "volume_type_id"}}``); a type that cannot be found is a **400**
  carrying the not-found text.  ``GET /default-types/{project_id}`` shows it (404
  ``Default type for project <p> not found.``), ``GET /default-types`` lists every
  project's (admin), ``DELETE`` unsets it (**204**, even for a project Keystone no
  longer knows).
* Set, show and delete first ask Keystone for the project: an unknown one is ``404
  Project with id <p> not found.``; a refused policy is ``403 You are not authorized
  to perform this operation.`` (not the usual policy text).
* A volume created without a type gets its project's default, else the configured
  ``default_volume_type`` (:meth:`ApiService.default_volume_type`); a type that is
  some project's default cannot be deleted (``types.delete``).
* Below 3.62 every route is absent: 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db import Database, VolumeType
from ...db_tables import ApiTables, DefaultType, tables
from ...errors import PolicyNotAuthorized, VolumeTypeNotFound, VolumeTypeNotFoundByName
from .common import enforce, invalid_field, is_uuid_like
from .router import route
from .types import _name, _no_extra
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["project_default_type"]

ACTOR = "cinder-api"
_MV = "3.62"  # DEFAULT_TYPE_OVERRIDES
_NOT_AUTHORIZED = "You are not authorized to perform this operation."


def project_default_type(db: Database, made: ApiTables, project_id: str) -> VolumeType | None:
    """The project's default type, if it has one (``project_default_volume_type_get``),
    from *made*, the API tables of *db* (:meth:`ApiService.default_volume_type` asks
    only once they exist: a database without them has no default type at all)."""
    row = made.default_types.get(project_id)
    if row is None:
        return None
    return db.volume_types.get(row.volume_type_id)


def _view(row: DefaultType) -> dict[str, str]:
    return {"project_id": row.project_id, "volume_type_id": row.volume_type_id}


def _authorize(api: ApiService, req: ApiRequest, project_id: str, action: str, *,
               tolerate_missing: bool = False) -> None:
    """``api_utils.validate_project_and_authorize``: Keystone first, then the policy."""
    if not api.identity.has_project(project_id):  # Keystone's projects.get: by id
        if not tolerate_missing:
            raise HTTPError(404, f"Project with id {project_id} not found.")
        # DELETE logs the 404 and unsets the default anyway, without a policy check.
        return
    try:
        enforce(api, req, action, project_id)
    except PolicyNotAuthorized:
        raise HTTPError(403, _NOT_AUTHORIZED) from None


def _type_ref(req: ApiRequest) -> str:
    """``schema.create_or_update``: ``default_type.volume_type`` is a ``name``."""
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    inner = body.get("default_type")
    if "default_type" in body and not isinstance(inner, dict):
        raise invalid_field("default_type", inner, f"{inner!r} is not of type 'object'")
    if not isinstance(inner, dict):
        # The schema does not require "default_type": the controller's body['default_type']
        # then fails with a KeyError, which the fault wrapper answers 400.
        raise HTTPError(400, "Malformed request body")
    if "volume_type" not in inner:
        raise invalid_field("default_type", inner, "'volume_type' is a required property")
    _no_extra(inner, ("volume_type",))
    inner = dict(inner)
    inner["name"] = inner.pop("volume_type")
    try:
        return _name(inner)
    except HTTPError as exc:
        raise HTTPError(400, exc.message.replace("field/attribute name.",
                                                 "field/attribute volume_type.")) from None


@route("PUT", "/default-types/{project_id}", min_version=_MV)
async def create_update(api: ApiService, req: ApiRequest, project_id: str) -> ApiResponse:
    ref = _type_ref(req)
    _authorize(api, req, project_id, "volume_extension:default_set_or_update")
    db = api.env.db
    vtype = db.volume_types.get(ref) if is_uuid_like(ref) else next(
        (t for t in db.volume_types.values() if t.name == ref), None)
    if vtype is None:
        # VolumeType.get_by_name_or_id: a uuid-like ref is looked up by id only.
        exc: VolumeTypeNotFound = (VolumeTypeNotFound(volume_type_id=ref) if is_uuid_like(ref)
                                   else VolumeTypeNotFoundByName(volume_type_name=ref))
        raise HTTPError(400, exc.msg)
    rows = tables(db).default_types
    row = rows.get(project_id)
    if row is None:
        row = DefaultType(project_id=project_id, volume_type_id=vtype.id)
        rows[project_id] = row
    else:
        row.volume_type_id = vtype.id
    api.env.trace.emit("default_type.set", ACTOR, f"project {project_id[:8]} defaults to "
                       f"volume type {vtype.name}", resource=f"volume_type:{vtype.id}",
                       project_id=project_id, volume_type_id=vtype.id)
    return ApiResponse(200, {"default_type": _view(row)})


@route("GET", "/default-types/{project_id}", min_version=_MV)
async def detail(api: ApiService, req: ApiRequest, project_id: str) -> ApiResponse:
    _authorize(api, req, project_id, "volume_extension:default_get")
    row = tables(api.env.db).default_types.get(project_id)
    if row is None:
        raise HTTPError(404, f"Default type for project {project_id} not found.")
    return ApiResponse(200, {"default_type": _view(row)})


@route("GET", "/default-types", min_version=_MV)
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    try:
        enforce(api, req, "volume_extension:default_get_all")
    except PolicyNotAuthorized:
        raise HTTPError(403, _NOT_AUTHORIZED) from None
    rows: list[Any] = list(tables(api.env.db).default_types.values())
    return ApiResponse(200, {"default_types": [_view(r) for r in rows]})


@route("DELETE", "/default-types/{project_id}", min_version=_MV)
async def delete(api: ApiService, req: ApiRequest, project_id: str) -> ApiResponse:
    _authorize(api, req, project_id, "volume_extension:default_unset", tolerate_missing=True)
    row = tables(api.env.db).default_types.pop(project_id, None)
    if row is not None:
        api.env.trace.emit("default_type.unset", ACTOR, f"project {project_id[:8]} default "
                           "type unset", resource=f"volume_type:{row.volume_type_id}",
                           project_id=project_id)
    return ApiResponse(204, None)
