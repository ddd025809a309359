"""``/cgsnapshots`` (the deprecated CG snapshot API: ``cinder/api/contrib/cgsnapshots.py``,
``views/cgsnapshots.py``, ``schemas/cgsnapshots.py``): group snapshots under another name.

* ``POST /cgsnapshots`` ``{"cgsnapshot": {consistencygroup_id, name, description}}``
  -> 202 ``{"cgsnapshot": {id, name}}`` (the group API's create_group_snapshot).
* ``GET /cgsnapshots[/detail]``, ``GET /cgsnapshots/{id}``: detail ``{id,
  consistencygroup_id (the group id), status, created_at, name, description}``;
  lists take only ``limit``/``offset`` (``common.limited``) and have no links.
* ``DELETE /cgsnapshots/{id}`` -> 202, or 400 with the group snapshot's message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_groups import GroupSnapshot
from ...errors import InvalidVolume
from ...group_errors import InvalidGroup, InvalidGroupSnapshot
from . import group_api
from .common import admin, enforce, invalid_field
from .listing import count_param
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["cgsnapshot_detail"]


def cgsnapshot_detail(gsnap: GroupSnapshot) -> dict[str, Any]:
    return {"id": gsnap.id, "consistencygroup_id": gsnap.group_id, "status": gsnap.status,
            "created_at": gsnap.created_at, "name": gsnap.name,
            "description": gsnap.description}


def _listed(api: ApiService, req: ApiRequest, detail: bool) -> ApiResponse:
    enforce(api, req, "group:get_all_group_snapshots")
    rows = [g for g in api.env.db.group_snapshots.values()
            if (admin(req) and "all_tenants" in req.query)
            or g.project_id == req.context.project_id]
    max_limit = int(api.env.config.default["osapi_max_limit"])
    limit, offset = count_param(req, "limit"), count_param(req, "offset") or 0
    rows = rows[offset:offset + min(max_limit, limit if limit is not None else max_limit)]
    items = [cgsnapshot_detail(g) if detail else {"id": g.id, "name": g.name} for g in rows]
    return ApiResponse(200, {"cgsnapshots": items})


@route("GET", "/cgsnapshots")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=False)


@route("GET", "/cgsnapshots/detail")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=True)


@route("GET", "/cgsnapshots/{cgsnapshot_id}")
async def show(api: ApiService, req: ApiRequest, cgsnapshot_id: str) -> ApiResponse:
    gsnap = group_api.get_group_snapshot(api, req, cgsnapshot_id)
    return ApiResponse(200, {"cgsnapshot": cgsnapshot_detail(gsnap)})


@route("POST", "/cgsnapshots")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or "cgsnapshot" not in body:
        raise HTTPError(400, "'cgsnapshot' is a required property")
    inner = body["cgsnapshot"]
    if not isinstance(inner, dict):
        raise invalid_field("cgsnapshot", inner, f"{inner!r} is not of type 'object'")
    if "consistencygroup_id" not in inner:
        raise invalid_field("cgsnapshot", inner,
                            "'consistencygroup_id' is a required property")
    for key in ("consistencygroup_id", "name", "description"):
        if key in inner and not isinstance(inner[key], str):
            raise invalid_field(key, inner[key], f"{inner[key]!r} is not of type 'string'")
    name = inner["name"].strip() if "name" in inner else None
    description = inner["description"].strip() if "description" in inner else None
    group = group_api.get_group(api, req, inner["consistencygroup_id"])
    try:
        gsnap = group_api.create_group_snapshot(api, req, group, name=name,
                                                description=description)
    except (InvalidGroup, InvalidGroupSnapshot, InvalidVolume) as exc:
        raise HTTPError(400, exc.msg) from None
    return ApiResponse(202, {"cgsnapshot": {"id": gsnap.id, "name": gsnap.name}})


@route("DELETE", "/cgsnapshots/{cgsnapshot_id}")
async def delete(api: ApiService, req: ApiRequest, cgsnapshot_id: str) -> ApiResponse:
    gsnap = group_api.get_group_snapshot(api, req, cgsnapshot_id)
    group_api.delete_group_snapshot(api, req, gsnap)
    return ApiResponse(202, None)
