"""``/consistencygroups`` (the deprecated CG API: ``cinder/api/contrib/consistencygroups.py``
and its v3 subclass, ``views/consistencygroups.py``, ``schemas/consistencygroups.py``).

Since Queens a consistency group *is* a generic group of the group type
``default_cgsnapshot_type``: create looks that type up (missing: ``400 Group type
default_cgsnapshot_type not found. Rerun migration script to create the default
cgsnapshot type.``) and goes through the group API, so quota (``groups``),
scheduling and the volume manager are the group ones; the policies are the group
policies.  Unlike ``/groups``, these routes show every group, whatever its type.

* ``POST /consistencygroups`` ``{name, description, volume_types: "t1,t2",
  availability_zone}`` -> 202 ``{"consistencygroup": {id, name}}``; empty
  ``volume_types``: ``400 volume_types must be provided to create consistency group
  <name>.``
* ``POST /consistencygroups/create_from_src`` ``{cgsnapshot_id | source_cgid}``:
  neither or both is a 400 naming them.
* ``POST /consistencygroups/{id}/delete`` ``{"consistencygroup": {"force": bool}}``
  (body optional) -> 202; ``force`` is the group API's ``delete-volumes``.
* ``PUT /consistencygroups/{id}/update`` -> 202; from 3.6 only "nothing given" is
  refused (``Must specify one or more of the following keys to update: name,
  description, add_volumes, remove_volumes.``), before it any all-blank body.
* Views: summary ``{id, name}``; detail ``{id, status, availability_zone,
  created_at, name, description, volume_types}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_groups import DEFAULT_CGSNAPSHOT_TYPE, Group
from ...group_errors import GroupNotFound
from . import group_api
from .common import admin, enforce, invalid_field
from .listing import page_of
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["cg_detail"]

_COLUMNS = ("id", "created_at", "updated_at", "name", "description", "status",
            "availability_zone", "group_type_id", "project_id")
_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}


def cg_detail(group: Group) -> dict[str, Any]:
    return {"id": group.id, "status": group.status,
            "availability_zone": group.availability_zone, "created_at": group.created_at,
            "name": group.name, "description": group.description,
            "volume_types": list(group.volume_type_ids)}


def _clean(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """``clean_name_and_description``: strip both when they are strings."""
    out = []
    for key in ("name", "description"):
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise invalid_field(key, value, f"{value!r} is not of type 'string', 'null'")
        if isinstance(value, str) and len(value) > 255:
            raise invalid_field(key, value, f"{value!r} is too long")
        out.append(value.strip() if isinstance(value, str) else None)
    return out[0], out[1]


def _inner(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or key not in body:
        raise HTTPError(400, f"'{key}' is a required property")
    inner = body[key]
    if not isinstance(inner, dict):
        raise invalid_field(key, inner, f"{inner!r} is not of type 'object'")
    return inner


def _listed(api: ApiService, req: ApiRequest, detail: bool) -> ApiResponse:
    enforce(api, req, "group:get_all")
    every = admin(req) and "all_tenants" in req.query
    groups = [g for g in api.env.db.groups.values()
              if every or g.project_id == req.context.project_id]
    page = page_of(api, req, groups, collection="consistencygroups",
                   field=lambda g, k: getattr(g, k, None), ident=lambda g: g.id,
                   columns=_COLUMNS, not_found=lambda m: GroupNotFound(group_id=m))
    items = [cg_detail(g) if detail else {"id": g.id, "name": g.name} for g in page.items]
    body: dict[str, Any] = {"consistencygroups": items}
    if page.links:
        body["consistencygroup_links"] = page.links
    return ApiResponse(200, body)


@route("GET", "/consistencygroups")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=False)


@route("GET", "/consistencygroups/detail")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=True)


@route("GET", "/consistencygroups/{cg_id}")
async def show(api: ApiService, req: ApiRequest, cg_id: str) -> ApiResponse:
    return ApiResponse(200, {"consistencygroup": cg_detail(group_api.get_group(api, req,
                                                                               cg_id))})


@route("POST", "/consistencygroups")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = _inner(req.body, "consistencygroup")
    if "volume_types" not in body:
        raise invalid_field("consistencygroup", body, "'volume_types' is a required property")
    enforce(api, req, "group:create")
    name, description = _clean(body)
    raw = body.get("volume_types")
    if not raw:
        raise HTTPError(400, f"volume_types must be provided to create consistency group "
                             f"{name}.")
    if not isinstance(raw, str):
        raise HTTPError(400, "Malformed request body")
    cg_type = next((t for t in api.env.db.group_types.values()
                    if t.name == DEFAULT_CGSNAPSHOT_TYPE), None)
    if cg_type is None:
        raise HTTPError(400, f"Group type {DEFAULT_CGSNAPSHOT_TYPE} not found. Rerun migration "
                             "script to create the default cgsnapshot type.")
    group = group_api.create_group(api, req, name=name, description=description,
                                   group_type=cg_type.id,
                                   volume_types=raw.rstrip(",").split(","),
                                   availability_zone=body.get("availability_zone"))
    return ApiResponse(202, {"consistencygroup": {"id": group.id, "name": group.name}})


@route("POST", "/consistencygroups/create_from_src")
async def create_from_src(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = _inner(req.body, "consistencygroup-from-src")
    for key in ("cgsnapshot_id", "source_cgid"):
        if key in body and not isinstance(body[key], str):
            raise invalid_field(key, body[key], f"{body[key]!r} is not of type 'string'")
    enforce(api, req, "group:create")
    name, description = _clean(body)
    cgsnapshot_id, source_cgid = body.get("cgsnapshot_id"), body.get("source_cgid")
    if not cgsnapshot_id and not source_cgid:
        raise HTTPError(400, "Either 'cgsnapshot_id' or 'source_cgid' must be provided to "
                             f"create consistency group {name} from source.")
    if cgsnapshot_id and source_cgid:
        raise HTTPError(400, "Cannot provide both 'cgsnapshot_id' and 'source_cgid' to "
                             f"create consistency group {name} from source.")
    if source_cgid:
        group_api.get_group(api, req, source_cgid)
    if cgsnapshot_id:
        group_api.get_group_snapshot(api, req, cgsnapshot_id)
    group = await group_api.create_from_src(api, req, name=name, description=description,
                                            group_snapshot_id=cgsnapshot_id,
                                            source_group_id=source_cgid)
    return ApiResponse(202, {"consistencygroup": {"id": group.id, "name": group.name}})


@route("POST", "/consistencygroups/{cg_id}/delete")
async def delete(api: ApiService, req: ApiRequest, cg_id: str) -> ApiResponse:
    body = req.body
    force = False
    if body:
        inner = _inner(body, "consistencygroup")
        raw = inner.get("force", False)
        if isinstance(raw, bool):
            force = raw
        elif isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            force = raw.strip().lower() in _TRUE
        else:
            # The controller formats the variable it has not assigned yet: always False.
            raise HTTPError(400, "Invalid value 'False' for force.")
    group = group_api.get_group(api, req, cg_id)
    enforce(api, req, "group:delete", group.project_id)
    group_api.delete_group(api, req, group, force)
    return ApiResponse(202, None)


@route("PUT", "/consistencygroups/{cg_id}/update")
async def update(api: ApiService, req: ApiRequest, cg_id: str) -> ApiResponse:
    if not req.body:
        raise HTTPError(400, "Missing request body.")
    body = _inner(req.body, "consistencygroup")
    for key in ("add_volumes", "remove_volumes"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise invalid_field(key, body[key], f"{body[key]!r} is not of type 'string', "
                                                "'null'")
    group = group_api.get_group(api, req, cg_id)
    enforce(api, req, "group:update", group.project_id)
    name, description = _clean(body)
    add, remove = body.get("add_volumes"), body.get("remove_volumes")
    if req.at_least("3.6"):
        if name is None and description is None and not add and not remove:
            raise HTTPError(400, "Must specify one or more of the following keys to update: "
                                 "name, description, add_volumes, remove_volumes.")
    elif not (name or description or add or remove):
        raise HTTPError(400, "Name, description, add_volumes, and remove_volumes can not be "
                             "all empty in the request body.")
    group_api.update_group(api, req, group, name=name, description=description,
                           add_volumes=add, remove_volumes=remove)
    return ApiResponse(202, None)
