"""``/groups`` (``cinder/api/v3/groups.py``, ``views/groups.py``, ``schemas/groups.py``,
``policies/groups.py`` and ``group_actions.py``).

=======================================  =====  ================================
route                                    from   answer
=======================================  =====  ================================
``GET /groups``, ``/groups/detail``      3.13   200 ``{"groups": [...]}``
``POST /groups``                         3.13   202 ``{"group": {id, name}}``
``GET /groups/{id}``                     3.13   200 detail
``PUT /groups/{id}``                     3.13   202 (name, description,
                                                add_volumes, remove_volumes)
``POST /groups/{id}/action`` delete      3.13   202 (``delete-volumes``)
``POST /groups/action`` create-from-src  3.14   202 ``{"group": {id, name}}``
``.../action`` reset_status              3.20   202 (admin)
``.../action`` enable_replication,       3.38   400 unless the group type and every
disable_replication,                            volume type are replicated (the LVM
failover_replication,                           backend never is)
list_replication_targets
=======================================  =====  ================================

The detail view is ``id, status, availability_zone, created_at, name, description,
group_type, volume_types``; from 3.14 ``group_snapshot_id, source_group_id``; from
3.25 ``volumes`` when ``?list_volume=true``; from 3.38 ``replication_status``; from
3.58 ``project_id`` (``group:group_project_attribute``, admins).  Groups of the
``default_cgsnapshot_type`` belong to the consistency-group API: they are left out
of lists and any other route on them is ``400 Group_type <id> is reserved for
migrating CGs to groups. Migrated group can only be operated by CG APIs.``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_groups import Group
from ...group_errors import GroupNotFound, InvalidGroup, InvalidGroupStatus
from ...group_states import GroupSnapshotStatus, GroupStatus
from ...states import Op
from . import group_api
from .common import admin, enforce, invalid_field, is_uuid_like
from .group_types import group_type_by_name_or_id
from .listing import page_of, query_filters
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["group_detail", "reject_cg_group"]

ACTOR = "cinder-api"
_COLUMNS = ("id", "created_at", "updated_at", "name", "description", "status",
            "availability_zone", "group_type_id", "host", "project_id", "user_id",
            "group_snapshot_id", "source_group_id", "replication_status")
_BOOLEANS = (True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y",
             "t", False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No",
             "no", "n", "f")
_TRUE = {"1", "t", "true", "on", "y", "yes"}


def reject_cg_group(api: ApiService, group_type_id: str | None) -> None:
    if group_api.is_cg_type(api, group_type_id):
        raise HTTPError(400, f"Group_type {group_type_id} is reserved for migrating CGs to "
                             "groups. Migrated group can only be operated by CG APIs.")


def group_detail(api: ApiService, req: ApiRequest, group: Group) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": group.id, "status": group.status, "availability_zone": group.availability_zone,
        "created_at": group.created_at, "name": group.name,
        "description": group.description, "group_type": group.group_type_id,
        "volume_types": list(group.volume_type_ids)}
    if req.at_least("3.14"):
        view["group_snapshot_id"] = group.group_snapshot_id
        view["source_group_id"] = group.source_group_id
    if req.at_least("3.25") and (req.q("list_volume") or "").strip().lower() in _TRUE:
        view["volumes"] = [v.id for v in group_api.member_volumes(api, group.id)]
    if req.at_least("3.38"):
        view["replication_status"] = group.replication_status
    if req.at_least("3.58") and api.policy.check(req.context, "group:group_project_attribute",
                                                  group.project_id):
        view["project_id"] = group.project_id
    return view


def _listed(api: ApiService, req: ApiRequest, detail: bool) -> ApiResponse:
    enforce(api, req, "group:get_all")
    filters = query_filters(req, "group", skip=("list_volume",))
    every = admin(req) and "all_tenants" in filters
    filters.pop("all_tenants", None)
    groups = [g for g in api.env.db.groups.values()
              if (every or g.project_id == req.context.project_id)
              and all(str(getattr(g, k, None)) == v for k, v in filters.items())]
    page = page_of(api, req, groups, collection="groups",
                   field=lambda g, k: getattr(g, k, None), ident=lambda g: g.id,
                   columns=_COLUMNS, not_found=lambda m: GroupNotFound(group_id=m))
    shown = [g for g in page.items if not group_api.is_cg_type(api, g.group_type_id)]
    items = [group_detail(api, req, g) if detail else {"id": g.id, "name": g.name}
             for g in shown]
    body: dict[str, Any] = {"groups": items}
    if page.links:
        body["group_links"] = page.links
    return ApiResponse(200, body)


@route("GET", "/groups", "3.13")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=False)


@route("GET", "/groups/detail", "3.13")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _listed(api, req, detail=True)


@route("GET", "/groups/{group_id}", "3.13")
async def show(api: ApiService, req: ApiRequest, group_id: str) -> ApiResponse:
    group = group_api.get_group(api, req, group_id)
    reject_cg_group(api, group.group_type_id)
    return ApiResponse(200, {"group": group_detail(api, req, group)})


def _object(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or key not in body:
        raise HTTPError(400, f"'{key}' is a required property")
    extra = [k for k in body if k != key]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        raise HTTPError(400, f"Additional properties are not allowed ({listed} "
                             f"{'were' if len(extra) > 1 else 'was'} unexpected)")
    inner = body[key]
    if not isinstance(inner, dict):
        raise invalid_field(key, inner, f"{inner!r} is not of type 'object'")
    return inner


def _only(obj: dict[str, Any], field: str, allowed: tuple[str, ...]) -> None:
    extra = [k for k in obj if k not in allowed]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        raise invalid_field(field, obj, f"Additional properties are not allowed ({listed} "
                                        f"{'were' if len(extra) > 1 else 'was'} unexpected)")


def _text(obj: dict[str, Any], key: str) -> str | None:
    """``name_allow_zero_min_length``/``description``: string or null, <= 255."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_field(key, value, f"{value!r} is not of type 'string', 'null'")
    if len(value) > 255:
        raise invalid_field(key, value, f"{value!r} is too long")
    return value.strip() or value


@route("POST", "/groups", "3.13")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = _object(req.body, "group")
    for key in ("group_type", "volume_types"):
        if key not in body:
            raise invalid_field("group", body, f"'{key}' is a required property")
    _only(body, "group", ("description", "group_type", "name", "volume_types",
                          "availability_zone"))
    name, description = _text(body, "name"), _text(body, "description")
    group_type = body["group_type"]
    if not isinstance(group_type, str):
        raise invalid_field("group_type", group_type, f"{group_type!r} is not of type "
                                                      "'string'")
    if not group_type.strip() or len(group_type.strip()) > 255:
        raise HTTPError(400, "Invalid input received: group_type has "
                             f"{len(group_type.strip())} characters, "
                             + ("less than 1." if not group_type.strip() else "more than 255."))
    vtypes = body["volume_types"]
    if not isinstance(vtypes, list):
        raise invalid_field("volume_types", vtypes, f"{vtypes!r} is not of type 'array'")
    if not vtypes:
        raise invalid_field("volume_types", vtypes, "[] is too short")
    for item in vtypes:
        if not isinstance(item, str) or len(item) > 255:
            raise invalid_field("volume_types", vtypes, f"{item!r} is not of type 'string'")
    if len(set(vtypes)) != len(vtypes):
        raise invalid_field("volume_types", vtypes, f"{vtypes!r} has non-unique elements")
    az = body.get("availability_zone")
    if az is not None and (not isinstance(az, str) or not az.strip()):
        raise HTTPError(400, "The 'availability_zone' can not be None.")
    if not is_uuid_like(group_type):
        group_type = group_type_by_name_or_id(api, req, group_type).id
    reject_cg_group(api, group_type)
    group = group_api.create_group(api, req, name=name, description=description,
                                   group_type=group_type, volume_types=list(vtypes),
                                   availability_zone=az)
    return ApiResponse(202, {"group": {"id": group.id, "name": group.name}})


@route("POST", "/groups/action", "3.13")
async def create_from_src(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, "Malformed request body")
    if "create-from-src" not in body:
        name = next(iter(body), None)
        raise HTTPError(400, f"There is no such action: {name}")
    if not req.at_least("3.14"):  # the action exists from 3.14 (GROUP_SNAPSHOTS)
        raise HTTPError(404, "The resource could not be found.")
    inner = _object(body, "create-from-src")
    _only(inner, "create-from-src", ("description", "name", "source_group_id",
                                     "group_snapshot_id"))
    name, description = _text(inner, "name"), _text(inner, "description")
    given = [k for k in ("group_snapshot_id", "source_group_id") if k in inner]
    if len(given) != 1:
        why = "is valid under each of" if given else "is not valid under any of"
        raise invalid_field("create-from-src", inner, f"{inner!r} {why} the given schemas")
    ref = inner[given[0]]
    if not isinstance(ref, str) or not is_uuid_like(ref):
        raise invalid_field(given[0], ref, f"{ref!r} is not a 'uuid'")
    if given[0] == "group_snapshot_id":
        source_type = group_api.get_group_snapshot(api, req, ref).group_type_id
    else:
        source_type = group_api.get_group(api, req, ref).group_type_id
    reject_cg_group(api, source_type)
    group = await group_api.create_from_src(
        api, req, name=name, description=description,
        group_snapshot_id=ref if given[0] == "group_snapshot_id" else None,
        source_group_id=ref if given[0] == "source_group_id" else None)
    return ApiResponse(202, {"group": {"id": group.id, "name": group.name}})


@route("PUT", "/groups/{group_id}", "3.13")
async def update(api: ApiService, req: ApiRequest, group_id: str) -> ApiResponse:
    body = _object(req.body, "group")
    _only(body, "group", ("description", "name", "add_volumes", "remove_volumes"))
    if not body:
        raise invalid_field("group", body, "{} is not valid under any of the given schemas")
    name, description = _text(body, "name"), _text(body, "description")
    add, remove = _text(body, "add_volumes"), _text(body, "remove_volumes")
    group = group_api.get_group(api, req, group_id)
    reject_cg_group(api, group.group_type_id)
    group_api.update_group(api, req, group, name=name, description=description,
                           add_volumes=add, remove_volumes=remove)
    return ApiResponse(202, None)


@route("POST", "/groups/{group_id}/action", "3.13")
async def action(api: ApiService, req: ApiRequest, group_id: str) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise HTTPError(400, "Malformed request body")
    name = next(iter(body))
    gates = {"delete": "3.13", "reset_status": "3.20", "enable_replication": "3.38",
             "disable_replication": "3.38", "failover_replication": "3.38",
             "list_replication_targets": "3.38"}
    if name not in gates:
        raise HTTPError(400, f"There is no such action: {name}")
    if not req.at_least(gates[name]):
        raise HTTPError(404, "The resource could not be found.")
    inner = body[name]
    if not isinstance(inner, dict):
        raise invalid_field(name, inner, f"{inner!r} is not of type 'object'")
    if name == "delete":
        return _delete(api, req, group_id, inner)
    if name == "reset_status":
        return _reset_status(api, req, group_id, inner)
    return _replication(api, req, group_id, name, inner)


def _boolean(obj: dict[str, Any], key: str, field: str) -> bool:
    value = obj.get(key, False)
    if not any(value == ok and type(value) is type(ok) for ok in _BOOLEANS):
        shown = "[" + ", ".join(repr(v) for v in _BOOLEANS) + "]"
        raise invalid_field(key, value, f"{value!r} is not one of {shown}")
    return value is True or (isinstance(value, str) and value.lower() in _TRUE)


def _delete(api: ApiService, req: ApiRequest, group_id: str,
            inner: dict[str, Any]) -> ApiResponse:
    _only(inner, "delete", ("delete-volumes",))
    delete_volumes = _boolean(inner, "delete-volumes", "delete")
    group = group_api.get_group(api, req, group_id)
    reject_cg_group(api, group.group_type_id)
    group_api.delete_group(api, req, group, delete_volumes)
    return ApiResponse(202, None)


def _reset_status(api: ApiService, req: ApiRequest, group_id: str,
                  inner: dict[str, Any]) -> ApiResponse:
    if "status" not in inner:
        raise invalid_field("reset_status", inner, "'status' is a required property")
    _only(inner, "reset_status", ("status",))
    status = inner["status"]
    if not isinstance(status, str):
        raise invalid_field("status", status, f"{status!r} is not of type 'string'")
    if not status.strip():
        raise InvalidGroupStatus(reason="The 'status' can not be empty.")
    # The 'group_status' format checks GroupSnapshotStatus.ALL and prints GroupStatus.ALL.
    if status.lower() not in {s.value for s in GroupSnapshotStatus}:
        valid = tuple(s.value for s in GroupStatus)
        raise InvalidGroupStatus(reason=f"Group status: {status} is invalid, valid status "
                                        f"are: {valid}.")
    group = group_api.get_group(api, req, group_id)
    enforce(api, req, "group:reset_status", group.project_id)
    group.updated_at = api.env.db.stamp()
    api.env.db.transition(group, GroupStatus(status.lower()), op=Op.RESET_STATUS, actor=ACTOR)
    return ApiResponse(202, None)


def _replication(api: ApiService, req: ApiRequest, group_id: str, name: str,
                 inner: dict[str, Any]) -> ApiResponse:
    if name == "failover_replication":
        _only(inner, name, ("allow_attached_volume", "secondary_backend_id"))
        _boolean(inner, "allow_attached_volume", name)
    group = group_api.get_group(api, req, group_id)
    enforce(api, req, f"group:{name}", group.project_id)
    group_api.replication_check(api, group)
    # Past the type check (a replicated group type and volume types): the LVM backend
    # reports no replication, so such a group was never placed and sits in 'error';
    # the status checks of group/api.py answer for it.
    if name == "list_replication_targets":
        return ApiResponse(200, {"replication_targets": []})
    valid = ["available", "error"] if name == "disable_replication" else ["available"]
    if group.status not in valid:
        verb = name.split("_", maxsplit=1)[0]
        raise InvalidGroup(reason=f"Group {group.id} status must be {valid}, but current "
                                  f"status is: {group.status}. Cannot {verb} replication.")
    verb = name.split("_", maxsplit=1)[0]
    raise InvalidGroup(reason=f"Group {group.id} replication status must be ['enabled'], but "
                              f"current status is: {group.replication_status}. Cannot {verb} "
                              "replication.")
