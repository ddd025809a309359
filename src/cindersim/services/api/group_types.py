"""``/group_types`` and ``/group_types/{id}/group_specs`` (3.11, ``GROUP_TYPE``):
``cinder/api/v3/group_types.py``, ``group_specs.py``, ``cinder/volume/group_types.py``,
``cinder/api/schemas/group_types.py``/``group_specs.py``, ``cinder/policies/group_types.py``.

* Create answers **202** with the type (name 1..255, not blank; ``is_public``;
  ``group_specs``); a taken name is ``409 Group Type <name> already exists.``.
  Update (200) needs one of name, description, is_public (``400 Specify group type
  name, description or a combination thereof.``); a blank name is ``400 Group type
  name can not be empty.``.  Delete is 202; a type some group uses is ``400 Target
  group type is still in use.``.  All of these are ``admin_api``.
* List and show need no policy.  Non-admins see public types and private ones
  their project is on the access list of (Cinder has no API to edit that list);
  admins filter with ``is_public`` (true by default, ``none`` for all).
  ``GET /group_types/default`` is ``default_group_type`` (unset: ``404 Default group
  type can not be found.``).  ``group_specs`` are shown to admins only.
* Specs: ``GET`` lists ``{"group_specs": {...}}``; ``POST`` merges and echoes the
  body (202); ``PUT .../{key}`` takes exactly ``{key: value}`` (``400 Request body
  and URI mismatch``) and echoes it (200); ``GET .../{key}`` is ``{key: value}`` or
  ``404 Group Type <id> has no extra spec with key <key>.``; ``DELETE`` is 202.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_groups import GroupType
from ...group_errors import (
    GroupTypeExists,
    GroupTypeNotFound,
    GroupTypeNotFoundByName,
    GroupTypeSpecsNotFound,
)
from .common import admin, enforce, is_uuid_like
from .listing import page_of
from .router import route
from .types import _boolean, _is_public_filter, _name, _object, _specs, _string
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["get_group_type", "group_type_by_name_or_id", "group_type_visible"]

ACTOR = "cinder-api"
MIN = "3.11"
_CREATE_SPEC_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                         "-_:. /")
"""``parameter_types.metadata_allows_null``: spec keys given at create."""
_SPEC_CHARS = _CREATE_SPEC_CHARS - {" ", "/"}
"""``group_specs_with_no_spaces_key_and_value_null``: keys of the specs routes."""
_SORT = ("created_at", "updated_at", "id", "name", "description", "is_public")


def group_type_visible(gtype: GroupType, req: ApiRequest) -> bool:
    """The DB layer's filter for a non-admin: public, or on the access list."""
    return admin(req) or gtype.is_public or req.context.project_id in gtype.projects


def get_group_type(api: ApiService, req: ApiRequest, type_id: str) -> GroupType:
    """``group_types.get_group_type``: 404 for a missing or invisible type."""
    gtype = api.env.db.group_types.get(type_id)
    if gtype is None or not group_type_visible(gtype, req):
        raise GroupTypeNotFound(group_type_id=type_id)
    return gtype


def group_type_by_name(api: ApiService, req: ApiRequest, name: str) -> GroupType:
    for gtype in api.env.db.group_types.values():
        if gtype.name == name and group_type_visible(gtype, req):
            return gtype
    raise GroupTypeNotFoundByName(group_type_name=name)


def group_type_by_name_or_id(api: ApiService, req: ApiRequest, ref: str) -> GroupType:
    """``group.api.create``'s lookup: a uuid-like ref by id, then (a uuid-like name)
    by name, answering ``GroupTypeNotFound`` with the ref either way."""
    if not is_uuid_like(ref):
        return group_type_by_name(api, req, ref)
    try:
        return get_group_type(api, req, ref)
    except GroupTypeNotFound:
        try:
            return group_type_by_name(api, req, ref)
        except GroupTypeNotFound:
            raise GroupTypeNotFound(group_type_id=ref) from None


def _view(api: ApiService, req: ApiRequest, gtype: GroupType) -> dict[str, Any]:
    view: dict[str, Any] = {"id": gtype.id, "name": gtype.name,
                            "description": gtype.description, "is_public": gtype.is_public}
    if api.policy.check(req.context, "group:access_group_types_specs",
                        req.context.project_id):
        view["group_specs"] = dict(gtype.group_specs)
    return view


def _emit(api: ApiService, summary: str, gtype: GroupType, **detail: Any) -> None:
    api.env.trace.emit("group_type.change", ACTOR, summary, resource=f"group_type:{gtype.id}",
                       name=gtype.name, **detail)


@route("GET", "/group_types", MIN)
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    is_public = _is_public_filter(req)
    types = [t for t in api.env.db.group_types.values() if group_type_visible(t, req)]
    if is_public is True:
        types = [t for t in types if t.is_public or req.context.project_id in t.projects]
    elif is_public is False:
        types = [t for t in types if not t.is_public]
    page = page_of(api, req, types, collection="group_types",
                   field=lambda t, k: getattr(t, k, None), ident=lambda t: t.id,
                   columns=_SORT, not_found=lambda m: GroupTypeNotFound(group_type_id=m))
    body: dict[str, Any] = {"group_types": [_view(api, req, t) for t in page.items]}
    if page.links:
        body["group_type_links"] = page.links
    return ApiResponse(200, body)


@route("GET", "/group_types/{type_id}", MIN)
async def show(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    if type_id == "default":
        name = api.env.config.default.get("default_group_type")
        found = [t for t in api.env.db.group_types.values() if name and t.name == name]
        if not found:
            raise HTTPError(404, "Default group type can not be found.")
        gtype = found[0]
    else:
        gtype = get_group_type(api, req, type_id)
    return ApiResponse(200, {"group_type": _view(api, req, gtype)})


@route("POST", "/group_types", MIN)
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    db = api.env.db
    body = _object(req.body, "group_type")
    if "name" not in body:
        raise HTTPError(400, "'name' is a required property")
    name = _name(body)
    description = _string(body, "description", nullable=True)
    is_public = _boolean(body, "is_public")
    specs = _specs(body["group_specs"], "group_specs", key_chars=_CREATE_SPEC_CHARS) \
        if body.get("group_specs") is not None else {}
    _no_extra_keys(body, ("name", "description", "is_public", "group_specs"))
    enforce(api, req, "group:group_types:create")
    if any(t.name == name for t in db.group_types.values()):
        raise GroupTypeExists(id=name)
    gtype = GroupType(id=api.env.sim.ids.uuid(), name=name, description=description,
                      is_public=True if is_public is None else is_public, group_specs=specs)
    db.add(gtype, actor=ACTOR)
    gtype.updated_at = gtype.created_at
    _emit(api, f"group type {name} created", gtype, is_public=gtype.is_public,
          group_specs=dict(specs))
    return ApiResponse(202, {"group_type": _view(api, req, gtype)})


def _no_extra_keys(obj: dict[str, Any], allowed: tuple[str, ...]) -> None:
    extra = [k for k in obj if k not in allowed]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Invalid input for field/attribute group_type. Value: {obj}. "
                             f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")


@route("PUT", "/group_types/{type_id}", MIN)
async def update(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    db = api.env.db
    body = _object(req.body, "group_type")
    name = _string(body, "name", nullable=True)
    description = _string(body, "description", nullable=True)
    is_public = _boolean(body, "is_public")
    _no_extra_keys(body, ("name", "description", "is_public"))
    enforce(api, req, "group:group_types:update")
    if name and not name.strip():
        raise HTTPError(400, "Group type name can not be empty.")
    if name is None and description is None and is_public is None:
        raise HTTPError(400, "Specify group type name, description or a combination "
                             "thereof.")
    gtype = get_group_type(api, req, type_id)
    if name and any(t.name == name and t.id != gtype.id for t in db.group_types.values()):
        raise GroupTypeExists(id=name)
    if name:
        gtype.name = name
    if description is not None:
        gtype.description = description
    if is_public is not None:
        gtype.is_public = is_public
    gtype.updated_at = db.stamp()
    _emit(api, f"group type {gtype.name} updated", gtype, is_public=gtype.is_public)
    return ApiResponse(200, {"group_type": _view(api, req, gtype)})


@route("DELETE", "/group_types/{type_id}", MIN)
async def delete(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    db = api.env.db
    enforce(api, req, "group:group_types:delete")
    gtype = get_group_type(api, req, type_id)
    if any(g.group_type_id == gtype.id for g in db.groups.values()):
        raise HTTPError(400, "Target group type is still in use.")
    db.remove(gtype, actor=ACTOR)
    _emit(api, f"group type {gtype.name} deleted", gtype)
    return ApiResponse(202, None)


# --- group_specs ---------------------------------------------------------------------------
def _spec_type(api: ApiService, req: ApiRequest, type_id: str) -> GroupType:
    try:
        return get_group_type(api, req, type_id)
    except GroupTypeNotFound as exc:
        raise HTTPError(404, exc.msg) from None


@route("GET", "/group_types/{type_id}/group_specs", MIN)
async def specs_index(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    enforce(api, req, "group:group_types_specs:get_all")
    gtype = _spec_type(api, req, type_id)
    return ApiResponse(200, {"group_specs": dict(gtype.group_specs)})


@route("POST", "/group_types/{type_id}/group_specs", MIN)
async def specs_create(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or "group_specs" not in body:
        raise HTTPError(400, "'group_specs' is a required property")
    _no_extra_top(body, ("group_specs",))
    specs = _specs(body["group_specs"], "group_specs", key_chars=_SPEC_CHARS)
    enforce(api, req, "group:group_types_specs:create")
    gtype = _spec_type(api, req, type_id)
    gtype.group_specs.update(specs)
    gtype.updated_at = api.env.db.stamp()
    _emit(api, f"group type {gtype.name} specs set", gtype, group_specs=dict(specs))
    return ApiResponse(202, body)


def _no_extra_top(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    extra = [k for k in body if k not in allowed]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")


@route("PUT", "/group_types/{type_id}/group_specs/{key}", MIN)
async def specs_update(api: ApiService, req: ApiRequest, type_id: str, key: str) -> ApiResponse:
    body = req.body
    specs = _specs(body, None, key_chars=_SPEC_CHARS)
    if len(body) != 1:
        word = "few" if not body else "many"
        raise HTTPError(400, f"{body!r} has too {word} properties")
    enforce(api, req, "group:group_types_specs:update")
    gtype = _spec_type(api, req, type_id)
    if key not in body:
        raise HTTPError(400, "Request body and URI mismatch")
    gtype.group_specs.update(specs)
    gtype.updated_at = api.env.db.stamp()
    _emit(api, f"group type {gtype.name} spec {key} set", gtype, group_specs=dict(specs))
    return ApiResponse(200, body)


@route("GET", "/group_types/{type_id}/group_specs/{key}", MIN)
async def specs_show(api: ApiService, req: ApiRequest, type_id: str, key: str) -> ApiResponse:
    enforce(api, req, "group:group_types_specs:get")
    gtype = _spec_type(api, req, type_id)
    if key not in gtype.group_specs:
        raise HTTPError(404, f"Group Type {type_id} has no extra spec with key {key}.")
    return ApiResponse(200, {key: gtype.group_specs[key]})


@route("DELETE", "/group_types/{type_id}/group_specs/{key}", MIN)
async def specs_delete(api: ApiService, req: ApiRequest, type_id: str, key: str) -> ApiResponse:
    enforce(api, req, "group:group_types_specs:delete")
    gtype = _spec_type(api, req, type_id)
    if key not in gtype.group_specs:
        raise GroupTypeSpecsNotFound(group_type_id=type_id, group_specs_key=key)
    del gtype.group_specs[key]
    gtype.updated_at = api.env.db.stamp()
    _emit(api, f"group type {gtype.name} spec {key} deleted", gtype)
    return ApiResponse(202, None)
