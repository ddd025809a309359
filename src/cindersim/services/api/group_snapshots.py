"""``/group_snapshots`` (3.14, ``cinder/api/v3/group_snapshots.py``,
``views/group_snapshots.py``, ``schemas/group_snapshots.py``,
``policies/group_snapshots.py`` and ``group_snapshot_actions.py``).

* ``POST /group_snapshots`` ``{"group_snapshot": {group_id, name, description}}``:
  202 ``{"group_snapshot": {id, name, group_type_id}}``; one member snapshot per
  volume of the group, all ``creating``, one quota reservation for all of them.
* ``GET /group_snapshots[/detail]``: summary ``{id, name}`` (``group_type_id`` is
  dropped from the list), detail ``{id, group_id, group_type_id, status,
  created_at, name, description}`` (+ ``project_id`` from 3.58 for admins).
  Paging and filters only from 3.29.
* ``DELETE``: 202; ``400 Invalid GroupSnapshot: GroupSnapshot status must be
  available or error, and no Group can be currently using it as source for its
  creation.``.  Members go ``deleting`` at once.
* ``POST .../action`` ``reset_status`` (3.19, admin): any ``GroupSnapshotStatus``.

Group snapshots of a ``default_cgsnapshot_type`` group belong to ``/cgsnapshots``:
hidden from lists, and ``400 Group_type <id> is reserved for migrating CGs to
groups. Migrated group snapshots can only be operated by CG snapshot APIs.``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_groups import GroupSnapshot
from ...group_errors import GroupSnapshotNotFound, InvalidGroupSnapshotStatus
from ...group_states import GroupSnapshotStatus
from ...states import Op
from . import group_api
from .common import admin, enforce, invalid_field, is_uuid_like
from .groups import _object, _only, _text
from .listing import page_of, query_filters
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["group_snapshot_detail"]

ACTOR = "cinder-api"
_COLUMNS = ("id", "created_at", "updated_at", "name", "description", "status", "group_id",
            "group_type_id", "project_id", "user_id")


def _reject_cg(api: ApiService, group_type_id: str | None) -> None:
    if group_api.is_cg_type(api, group_type_id):
        raise HTTPError(400, f"Group_type {group_type_id} is reserved for migrating CGs to "
                             "groups. Migrated group snapshots can only be operated by CG "
                             "snapshot APIs.")


def group_snapshot_detail(api: ApiService, req: ApiRequest,
                          gsnap: GroupSnapshot) -> dict[str, Any]:
    view: dict[str, Any] = {"id": gsnap.id, "group_id": gsnap.group_id,
                            "group_type_id": gsnap.group_type_id, "status": gsnap.status,
                            "created_at": gsnap.created_at, "name": gsnap.name,
                            "description": gsnap.description}
    if req.at_least("3.58") and api.policy.check(
            req.context, "group:group_snapshot_project_attribute", gsnap.project_id):
        view["project_id"] = gsnap.project_id
    return view


def _listed(api: ApiService, req: ApiRequest, detail: bool) -> ApiResponse:
    enforce(api, req, "group:get_all_group_snapshots")
    paged = req.at_least("3.29")
    filters = query_filters(req, "group_snapshot") if paged else {}
    every = admin(req) and "all_tenants" in filters
    filters.pop("all_tenants", None)
    rows = [g for g in api.env.db.group_snapshots.values()
            if (every or g.project_id == req.context.project_id)
            and all(str(getattr(g, k, None)) == v for k, v in filters.items())]
    links: list[dict[str, str]] = []
    if paged:
        page = page_of(api, req, rows, collection="group_snapshots",
                       field=lambda g, k: getattr(g, k, None), ident=lambda g: g.id,
                       columns=_COLUMNS,
                       not_found=lambda m: GroupSnapshotNotFound(group_snapshot_id=m))
        rows, links = list(page.items), page.links
    shown = [g for g in rows if not group_api.is_cg_type(api, g.group_type_id)]
    items = [group_snapshot_detail(api, req, g) if detail else {"id": g.id, "name": g.name}
             for g in shown]
    body: dict[str, Any] = {"group_snapshots": items}
    if links:
        body["group_snapshot_links"] = links
    return ApiResponse(200, body)


@route("GET", "/group_snapshots", "3.14")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=False)


@route("GET", "/group_snapshots/detail", "3.14")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=True)


@route("GET", "/group_snapshots/{gsnap_id}", "3.14")
async def show(api: ApiService, req: ApiRequest, gsnap_id: str) -> ApiResponse:
    gsnap = group_api.get_group_snapshot(api, req, gsnap_id)
    _reject_cg(api, gsnap.group_type_id)
    return ApiResponse(200, {"group_snapshot": group_snapshot_detail(api, req, gsnap)})


@route("POST", "/group_snapshots", "3.14")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = _object(req.body, "group_snapshot")
    if "group_id" not in body:
        raise invalid_field("group_snapshot", body, "'group_id' is a required property")
    _only(body, "group_snapshot", ("group_id", "name", "description"))
    group_id = body["group_id"]
    if not isinstance(group_id, str) or not is_uuid_like(group_id):
        raise invalid_field("group_id", group_id, f"{group_id!r} is not a 'uuid'")
    name, description = _text(body, "name"), _text(body, "description")
    group = group_api.get_group(api, req, group_id)
    _reject_cg(api, group.group_type_id)
    gsnap = group_api.create_group_snapshot(api, req, group, name=name,
                                            description=description)
    return ApiResponse(202, {"group_snapshot": {"id": gsnap.id, "name": gsnap.name,
                                                "group_type_id": gsnap.group_type_id}})


@route("DELETE", "/group_snapshots/{gsnap_id}", "3.14")
async def delete(api: ApiService, req: ApiRequest, gsnap_id: str) -> ApiResponse:
    gsnap = group_api.get_group_snapshot(api, req, gsnap_id)
    _reject_cg(api, gsnap.group_type_id)
    group_api.delete_group_snapshot(api, req, gsnap)
    return ApiResponse(202, None)


@route("POST", "/group_snapshots/{gsnap_id}/action", "3.14")
async def action(api: ApiService, req: ApiRequest, gsnap_id: str) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise HTTPError(400, "Malformed request body")
    name = next(iter(body))
    if name != "reset_status":
        raise HTTPError(400, f"There is no such action: {name}")
    if not req.at_least("3.19"):
        raise HTTPError(404, "The resource could not be found.")
    inner = _object(body, "reset_status")
    if "status" not in inner:
        raise invalid_field("reset_status", inner, "'status' is a required property")
    _only(inner, "reset_status", ("status",))
    status = inner["status"]
    if not isinstance(status, str):
        raise invalid_field("status", status, f"{status!r} is not of type 'string'")
    if not status.strip():
        raise InvalidGroupSnapshotStatus(reason="The 'status' can not be empty.")
    valid = tuple(s.value for s in GroupSnapshotStatus)
    if status.lower() not in valid:
        raise InvalidGroupSnapshotStatus(reason=f"Group snapshot status: {status} is "
                                                f"invalid, valid statuses are: {valid}.")
    gsnap = group_api.get_group_snapshot(api, req, gsnap_id)
    enforce(api, req, "group:reset_group_snapshot_status", gsnap.project_id)
    gsnap.updated_at = api.env.db.stamp()
    api.env.db.transition(gsnap, GroupSnapshotStatus(status.lower()), op=Op.RESET_STATUS,
                          actor=ACTOR)
    return ApiResponse(202, None)
