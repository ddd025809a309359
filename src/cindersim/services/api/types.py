"""``/types``: volume types, their extra specs and project access.

Follows ``cinder/api/v3/types.py`` (list, show, ``default``), the contrib
extensions ``types_manage.py`` (create/update/delete), ``types_extra_specs.py``,
and ``volume_type_access.py``, the schemas of
``cinder/api/schemas/`` and ``cinder/volume/volume_types.py``.  Facts kept:

* Types are visible to non-admins when public or when their project is on the
  type's access list; an invisible type is ``404 Volume type <id> could not be
  found.`` everywhere, exactly like a missing one (``_volume_type_get_query``).
  ``GET /types`` for a non-admin lists public types plus private types its
  project may use; an admin lists public (plus its own private) types by
  default, private only with ``?is_public=false``, all with ``?is_public=none``.
* The view is ``id, name, is_public, description``; ``extra_specs`` is cut to
  the user-visible ``multiattach``, ``RESKEY:availability_zones`` and
  ``replication_enabled`` unless the caller may ``read_sensitive`` (admin);
  ``qos_specs_id`` is admin-only; show, list and create add
  ``os-volume-type-access:is_public`` (update does not).
* Create answers **200**, duplicate name **409**; update renames the per-type
  quota resources (``volumes_<name>`` ...) with the type; delete is **202**,
  ``400 Target volume type is still in use.`` when a volume has the type, and
  400 for the default type.
* Extra specs cannot be created, changed or removed while a volume uses the
  type (``400 Volume Type is currently in use.``); ``PUT .../extra_specs/<key>``
  takes exactly one property, which must be ``<key>``; ``cacheable`` and
  ``multiattach`` cannot both be ``<is> True``.
* Encryption lives in :mod:`.volume_type_encryption`.

Every check runs before anything is written, so a refused request changes
nothing; each change is a trace event (``volume_type.*``), since a type has no
status machine of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...db import VolumeType
from ...db_tables import tables
from ...errors import (
    InvalidName,
    InvalidVolumeType,
    VolumeTypeAccessExists,
    VolumeTypeAccessNotFound,
    VolumeTypeDefaultDeletionError,
    VolumeTypeExists,
    VolumeTypeExtraSpecsNotFound,
    VolumeTypeNotFound,
)
from .common import admin, enforce, invalid_field
from .listing import page_of, query_filters
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["USER_VISIBLE_EXTRA_SPECS", "type_view", "visible"]

ACTOR = "cinder-api"

USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")
"""``cinder/policies/type_extra_specs.py``: what a non-admin may see of a type's specs."""

_BOOLEAN_ENUM: tuple[Any, ...] = (
    True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t",
    False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f")
"""``parameter_types.boolean``: the only values a boolean field accepts."""
_TRUE = {"1", "t", "true", "on", "y", "yes"}

_TYPE_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:. /")
"""``parameter_types.extra_specs``: keys of specs given with ``POST /types``."""
_SPEC_KEY_CHARS = _TYPE_KEY_CHARS - {" ", "/"}
"""``extra_specs_with_no_spaces_key``: keys given to the extra_specs routes."""
_SORT_FIELDS = ("created_at", "updated_at", "id", "name", "description", "is_public",
                "qos_specs_id")
"""The ``volume_types`` columns a list may sort by."""
_IS_TRUE = "<is> True"


# --- visibility and lookups ---------------------------------------------------------------
def visible(vtype: VolumeType, req: ApiRequest) -> bool:
    """Admins see every type; others public ones and those their project may use."""
    return admin(req) or vtype.is_public or req.context.project_id in vtype.projects


def _get(api: ApiService, req: ApiRequest, type_id: str) -> VolumeType:
    """``volume_types.get_volume_type``: 404 for a missing or invisible type."""
    vtype = api.env.db.volume_types.get(type_id)
    if vtype is None or not visible(vtype, req):
        raise VolumeTypeNotFound(volume_type_id=type_id)
    return vtype


def _in_use(api: ApiService, type_id: str) -> bool:
    """Any volume of any project has the type (Cinder asks with an admin context)."""
    return any(v.volume_type_id == type_id for v in api.env.db.volumes.values())


def _check(api: ApiService, req: ApiRequest, action: str) -> bool:
    """A non-fatal ``context.authorize(..., fatal=False)``."""
    return api.policy.check(req.context, action, req.context.project_id)


def _emit(api: ApiService, kind: str, summary: str, vtype: VolumeType, **detail: Any) -> None:
    api.env.trace.emit(kind, ACTOR, summary, resource=f"volume_type:{vtype.id}",
                         name=vtype.name, **detail)


# --- the view (cinder/api/v3/views/types.py + volume_type_access's extension) -------------
def type_view(api: ApiService, req: ApiRequest, vtype: VolumeType, *,
              access_flag: bool = True, plain: bool = False) -> dict[str, Any]:
    """One type as the caller may see it.

    *plain* is ``cinder/api/views/types.py``'s trimmed view that types_manage
    (create, update) answers with: every extra spec, and no ``qos_specs_id``.
    """
    d: dict[str, Any] = {"id": vtype.id, "name": vtype.name, "is_public": vtype.is_public,
                         "description": vtype.description}
    if plain:
        d["extra_specs"] = dict(vtype.extra_specs)
        if access_flag and _check(api, req, "volume_extension:volume_type_access"):
            d["os-volume-type-access:is_public"] = vtype.is_public
        return d
    if _check(api, req, "volume_extension:access_types_extra_specs"):
        d["extra_specs"] = _visible_specs(api, req, vtype)
    if _check(api, req, "volume_extension:access_types_qos_specs_id"):
        d["qos_specs_id"] = vtype.qos_specs_id
    if access_flag and _check(api, req, "volume_extension:volume_type_access"):
        d["os-volume-type-access:is_public"] = vtype.is_public
    return d


def _visible_specs(api: ApiService, req: ApiRequest, vtype: VolumeType) -> dict[str, str]:
    if _check(api, req, "volume_extension:types_extra_specs:read_sensitive"):
        return dict(vtype.extra_specs)
    return {k: vtype.extra_specs[k] for k in USER_VISIBLE_EXTRA_SPECS if k in vtype.extra_specs}


# --- schema pieces (cinder/api/schemas/*.py, cinder/api/validation/*) ---------------------
def _object(body: Any, required: str, allowed: Iterable[str] = ()) -> dict[str, Any]:
    """A top-level object with one required property and nothing unknown."""
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    if required not in body:
        raise HTTPError(400, f"'{required}' is a required property")
    _no_extra(body, (required, *allowed))
    inner = body[required]
    if not isinstance(inner, dict):
        raise invalid_field(required, inner, f"{inner!r} is not of type 'object'")
    return inner


def _no_extra(obj: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed_set = set(allowed)
    extra = [k for k in obj if k not in allowed_set]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")


def _string(obj: Mapping[str, Any], key: str, *, nullable: bool, min_len: int = 0,
            max_len: int = 255) -> str | None:
    value = obj.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        kinds = "'string', 'null'" if nullable else "'string'"
        raise invalid_field(key, value, f"{value!r} is not of type {kinds}")
    if len(value) < min_len:
        raise invalid_field(key, value, f"{value!r} is too short")
    if len(value) > max_len:
        raise invalid_field(key, value, f"{value!r} is too long")
    return value


def _name(obj: Mapping[str, Any]) -> str:
    """``parameter_types.name``: 1..255 characters, not blank (InvalidName's text alone)."""
    name = _string(obj, "name", nullable=False, min_len=1)
    assert name is not None
    if not name.strip():
        raise InvalidName(reason="The 'name' can not be empty.")
    return name


def _boolean(obj: Mapping[str, Any], key: str) -> bool | None:
    """``parameter_types.boolean``; None when absent."""
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, (bool, str)):
        raise invalid_field(key, value, f"{value!r} is not of type 'boolean', 'string'")
    if not any(value == allowed and type(value) is type(allowed) for allowed in _BOOLEAN_ENUM):
        shown = "[" + ", ".join(repr(v) for v in _BOOLEAN_ENUM) + "]"
        raise invalid_field(key, value, f"{value!r} is not one of {shown}")
    if isinstance(value, bool):
        return value
    return str(value).lower() in _TRUE


def _specs(value: Any, field: str | None, *, key_chars: set[str]) -> dict[str, str]:
    """An extra-specs object: keys of *key_chars* (1..255), string or null values <= 255.

    *field* names the object in messages (None when it is the whole body, whose
    errors Cinder shows without the "Invalid input for field/attribute" prefix).
    Values are checked before unknown keys, in the schema's order.  A null value
    is stored as an empty string (the simulator's specs are strings).
    """
    if not isinstance(value, dict):
        if field is None:
            raise HTTPError(400, f"{value!r} is not of type 'object'")
        raise invalid_field(field, value, f"{value!r} is not of type 'object'")
    good = [k for k in value if 0 < len(k) <= 255 and set(k) <= key_chars]
    out: dict[str, str] = {}
    for k in good:
        v = value[k]
        if v is None:
            out[k] = ""
            continue
        if not isinstance(v, str):
            raise invalid_field(k, v, f"{v!r} is not of type 'string', 'null'")
        if len(v) > 255:
            raise invalid_field(k, v, f"{v!r} is too long")
        out[k] = v
    bad = [k for k in value if k not in out]
    if bad:
        listed = ", ".join(repr(k) for k in bad)
        verb = "were" if len(bad) > 1 else "was"
        message = f"Additional properties are not allowed ({listed} {verb} unexpected)"
        if field is None:
            raise HTTPError(400, message)
        raise invalid_field(field, value, message)
    return out


# --- list / show ----------------------------------------------------------------------------
def _is_public_filter(req: ApiRequest) -> bool | None:
    """``api_utils._parse_is_public`` for admins; non-admins always get True."""
    if not admin(req):
        return True
    raw = req.q("is_public")
    if raw is None:
        return True
    low = raw.strip().lower()
    if low == "none":
        return None
    if low in _TRUE:
        return True
    if low in {"0", "f", "false", "off", "n", "no"}:
        return False
    raise HTTPError(400, f"Invalid is_public filter [{raw}]")


def _listed(api: ApiService, req: ApiRequest) -> list[VolumeType]:
    """``_get_volume_types``' filtering (paging is :func:`index`'s).

    From 3.52 (``SUPPORT_VOLUME_TYPE_FILTER``) a non-admin's filters are checked
    against ``resource_filters.json`` (``is_public``, ``extra_specs``); below it a
    non-admin's filters other than ``is_public`` are dropped.  ``extra_specs`` is a
    Python-literal dict; a caller who may not read sensitive specs filtering on one
    gets an empty list (the honest answer as far as it can see).
    """
    project = req.context.project_id
    if req.at_least("3.52"):
        filters = query_filters(req, "volume_type")
    elif admin(req):
        filters = {k: v[-1] for k, v in req.query.items() if v}
    else:
        filters = {k: v[-1] for k, v in req.query.items() if v and k == "is_public"}
    is_public = _is_public_filter(req)
    types = list(api.env.db.volume_types.values())
    if is_public is True:
        # Public, or private with this project on the access list (an OR in the query).
        types = [t for t in types if t.is_public or project in t.projects]
    elif is_public is False:
        types = [t for t in types if not t.is_public]
    raw_specs = filters.get("extra_specs")
    if raw_specs is not None:
        try:
            wanted = ast.literal_eval(raw_specs)
        except (ValueError, SyntaxError):
            wanted = raw_specs
        if not isinstance(wanted, dict):
            return []  # Cinder fails on a non-dict here (a 500); nothing matches instead
        if not _check(api, req, "volume_extension:types_extra_specs:read_sensitive") and any(
                k not in USER_VISIBLE_EXTRA_SPECS for k in wanted):
            return []
        types = [t for t in types
                 if all(t.extra_specs.get(str(k)) == _spec_text(v) for k, v in wanted.items())]
    return types


def _spec_text(value: Any) -> str:
    """A filter value as the SQL comparison with the text column sees it."""
    return value if isinstance(value, str) else str(value)


@route("GET", "/types")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    """Filtered, then sorted (``created_at`` desc by default), marker/offset/limit, and
    a ``volume_type_links`` next link when the page is full (``listing.page_of``)."""
    enforce(api, req, "volume_extension:type_get_all")
    types = _listed(api, req)
    page = page_of(api, req, types, collection="types",
                   field=lambda t, k: getattr(t, k, None), ident=lambda t: t.id,
                   columns=_SORT_FIELDS,
                   not_found=lambda marker: VolumeTypeNotFound(volume_type_id=marker))
    body: dict[str, Any] = {"volume_types": [type_view(api, req, t) for t in page.items]}
    if page.links:
        body["volume_type_links"] = page.links
    return ApiResponse(200, body)


@route("GET", "/types/{type_id}")
async def show(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    """A type by id, or ``default``: the caller's project default (3.62) or the
    configured ``default_volume_type`` (``get_default_volume_type(context)``)."""
    vtype = (api.default_volume_type(req.context.project_id) if type_id == "default"
             else _get(api, req, type_id))
    enforce(api, req, "volume_extension:type_get")
    return ApiResponse(200, {"volume_type": type_view(api, req, vtype)})


# --- create / update / delete (types_manage) -------------------------------------------------
@route("POST", "/types")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    db = api.env.db
    body = _object(req.body, "volume_type")
    name = _name(body) if "name" in body else None
    description = _string(body, "description", nullable=True)
    specs = _specs(body["extra_specs"], "extra_specs", key_chars=_TYPE_KEY_CHARS) \
        if body.get("extra_specs") is not None else {}
    is_public = _boolean(body, "os-volume-type-access:is_public")
    if name is None:
        raise HTTPError(400, "'name' is a required property")
    _no_extra(body, ("name", "description", "extra_specs", "os-volume-type-access:is_public"))
    enforce(api, req, "volume_extension:type_create")
    if any(t.name == name for t in db.volume_types.values()):
        raise VolumeTypeExists(id=name)
    vtype = VolumeType(id=api.env.sim.ids.uuid(), name=name, description=description,
                       is_public=True if is_public is None else is_public, extra_specs=specs)
    db.add(vtype, actor=ACTOR)
    _emit(api, "volume_type.create", f"volume type {name} created"
          + ("" if vtype.is_public else " (private)"), vtype,
          is_public=vtype.is_public, extra_specs=dict(specs))
    return ApiResponse(200, {"volume_type": type_view(api, req, vtype, plain=True)})


@route("PUT", "/types/{type_id}")
async def update(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    db = api.env.db
    body = _object(req.body, "volume_type")
    name = _string(body, "name", nullable=True)
    description = _string(body, "description", nullable=True)
    is_public = _boolean(body, "is_public")
    _no_extra(body, ("name", "description", "is_public"))
    enforce(api, req, "volume_extension:type_update")
    if name and not name.strip():
        raise HTTPError(400, "Volume type name can not be empty.")
    if name is None and description is None and is_public is None:
        raise HTTPError(400, "Specify volume type name, description, is_public or a "
                             "combination thereof.")
    vtype = _get(api, req, type_id)
    if name is not None and any(t.name == name and t.id != vtype.id
                                for t in db.volume_types.values()):
        raise VolumeTypeExists(id=name)
    old_name = vtype.name
    if description is not None:
        vtype.description = description
    if is_public is not None:
        vtype.is_public = is_public
    if name is not None and name != old_name:
        vtype.name = name
        _rename_quota_resources(api, old_name, name)
    vtype.updated_at = db.stamp()
    _emit(api, "volume_type.update", f"volume type {old_name} updated", vtype,
          old_name=old_name, description=vtype.description, is_public=vtype.is_public)
    return ApiResponse(200, {"volume_type": type_view(api, req, vtype, access_flag=False,
                                                      plain=True)})


def _rename_quota_resources(api: ApiService, old: str, new: str) -> None:
    """``QUOTAS.update_quota_resource``: ``volumes_<old>`` etc. become ``..._<new>``
    in limits, usages and reservations, so a renamed type keeps its quota."""
    db = api.env.db
    renames = {f"{p}_{old}": f"{p}_{new}" for p in ("volumes", "gigabytes", "snapshots")}
    for limits in db.quotas.values():
        for before, after in renames.items():
            if before in limits:
                limits[after] = limits.pop(before)
    for (project, resource), row in list(db.quota_usages.items()):
        if resource in renames:
            del db.quota_usages[(project, resource)]
            row.resource = renames[resource]
            db.quota_usages[(project, row.resource)] = row
    for res in db.reservations.values():
        if res.resource in renames:
            res.resource = renames[res.resource]


@route("DELETE", "/types/{type_id}")
async def delete(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:type_delete")
    vtype = _get(api, req, type_id)
    # volume_types.destroy: neither some project's default (3.62) nor the configured one.
    if any(row.volume_type_id == vtype.id for row in tables(api.env.db).default_types.values()) \
            or vtype.id == api.config_default_type().id:
        raise VolumeTypeDefaultDeletionError(volume_type_id=vtype.id)
    if _in_use(api, vtype.id) or any(  # a group's group_volume_type_mapping too (issue 16)
            vtype.id in g.volume_type_ids for g in api.env.db.groups.values()):
        raise HTTPError(400, "Target volume type is still in use.")
    api.env.db.remove(vtype, actor=ACTOR)
    _emit(api, "volume_type.delete", f"volume type {vtype.name} deleted", vtype)
    return ApiResponse(202, None)


# --- access (volume_type_access) -------------------------------------------------------------
@route("GET", "/types/{type_id}/os-volume-type-access")
async def access_index(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:volume_type_access:get_all_for_type")
    vtype = _get(api, req, type_id)
    if vtype.is_public:
        raise VolumeTypeAccessNotFound("Access list not available for public volume types.")
    return ApiResponse(200, {"volume_type_access": [
        {"volume_type_id": vtype.id, "project_id": p} for p in vtype.projects]})


@route("POST", "/types/{type_id}/action")
async def action(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    """``addProjectAccess`` / ``removeProjectAccess`` ``{"project": id}``: 202."""
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise HTTPError(400, "Malformed request body")
    name = next(iter(body))
    if name not in ("addProjectAccess", "removeProjectAccess"):
        raise HTTPError(400, f"There is no such action: {name}")
    inner = _object(body, name)
    _no_extra(inner, ("project",))
    if "project" not in inner:
        raise HTTPError(400, "'project' is a required property")
    project = _string(inner, "project", nullable=False, min_len=1)
    assert project is not None
    enforce(api, req, f"volume_extension:volume_type_access:{name}")
    vtype = _get(api, req, type_id)
    if vtype.is_public:
        raise InvalidVolumeType(reason="Type access modification is not applicable to public "
                                       "volume type.")
    if name == "addProjectAccess":
        if project in vtype.projects:
            raise VolumeTypeAccessExists(volume_type_id=vtype.id, project_id=project)
        vtype.projects.append(project)
        verb = "granted to"
    else:
        if project not in vtype.projects:
            raise VolumeTypeAccessNotFound(volume_type_id=vtype.id, project_id=project)
        vtype.projects.remove(project)
        verb = "withdrawn from"
    _emit(api, "volume_type.access", f"access to volume type {vtype.name} {verb} project "
          f"{project[:8]}", vtype, action=name, project_id=project)
    return ApiResponse(202, None)


# --- extra specs (types_extra_specs) -----------------------------------------------------------
def _allow_update(api: ApiService, type_id: str) -> None:
    """Specs of a type some volume uses are frozen (checked before the type exists)."""
    if _in_use(api, type_id):
        raise HTTPError(400, "Volume Type is currently in use.")


def _check_cacheable(vtype: VolumeType, specs: Mapping[str, str]) -> None:
    current_multi = vtype.extra_specs.get("multiattach")
    current_cache = vtype.extra_specs.get("cacheable")
    if (specs.get("multiattach") == _IS_TRUE and current_cache == _IS_TRUE) or (
            specs.get("cacheable") == _IS_TRUE and current_multi == _IS_TRUE) or (
            specs.get("cacheable") == _IS_TRUE and specs.get("multiattach") == _IS_TRUE):
        raise HTTPError(400, "cacheable cannot be set with multiattach.")


@route("GET", "/types/{type_id}/extra_specs")
async def specs_index(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:types_extra_specs:index")
    vtype = _get(api, req, type_id)
    return ApiResponse(200, {"extra_specs": _visible_specs(api, req, vtype)})


@route("POST", "/types/{type_id}/extra_specs")
async def specs_create(api: ApiService, req: ApiRequest, type_id: str) -> ApiResponse:
    """Add or overwrite specs; answers the request body (200)."""
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    if "extra_specs" not in body:
        raise HTTPError(400, "'extra_specs' is a required property")
    _no_extra(body, ("extra_specs",))
    specs = _specs(body["extra_specs"], "extra_specs", key_chars=_SPEC_KEY_CHARS)
    enforce(api, req, "volume_extension:types_extra_specs:create")
    _allow_update(api, type_id)
    vtype = _get(api, req, type_id)
    _check_cacheable(vtype, specs)
    vtype.extra_specs.update(specs)
    vtype.updated_at = api.env.db.stamp()
    _emit(api, "volume_type.extra_specs", f"extra specs of volume type {vtype.name} set: "
          + ", ".join(f"{k}={v}" for k, v in specs.items()), vtype, set=dict(specs))
    return ApiResponse(200, body)


@route("GET", "/types/{type_id}/extra_specs/{key}")
async def specs_show(api: ApiService, req: ApiRequest, type_id: str, key: str) -> ApiResponse:
    enforce(api, req, "volume_extension:types_extra_specs:show")
    vtype = _get(api, req, type_id)
    specs = _visible_specs(api, req, vtype)
    if key not in specs:
        raise VolumeTypeExtraSpecsNotFound(volume_type_id=type_id, extra_specs_key=key)
    return ApiResponse(200, {key: specs[key]})


@route("PUT", "/types/{type_id}/extra_specs/{key}")
async def specs_update(api: ApiService, req: ApiRequest, type_id: str,
                       key: str) -> ApiResponse:
    """The body is ``{"<key>": value}``: exactly one property, named as in the URL.

    Cinder's cacheable/multiattach check here only looks at a body key called
    ``extra_specs``, so a single-key PUT never trips it; kept as it is.
    """
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    specs = _specs(body, None, key_chars=_SPEC_KEY_CHARS)
    if not body:
        raise HTTPError(400, "{} does not have enough properties")
    if len(body) > 1:
        raise HTTPError(400, f"{body!r} has too many properties")
    enforce(api, req, "volume_extension:types_extra_specs:update")
    _allow_update(api, type_id)
    vtype = _get(api, req, type_id)
    if key not in body:
        raise HTTPError(400, "Request body and URI mismatch")
    vtype.extra_specs.update(specs)
    vtype.updated_at = api.env.db.stamp()
    _emit(api, "volume_type.extra_specs", f"extra spec {key} of volume type {vtype.name} set "
          f"to {specs[key]}", vtype, set=dict(specs))
    return ApiResponse(200, body)


@route("DELETE", "/types/{type_id}/extra_specs/{key}")
async def specs_delete(api: ApiService, req: ApiRequest, type_id: str,
                       key: str) -> ApiResponse:
    vtype = _get(api, req, type_id)
    enforce(api, req, "volume_extension:types_extra_specs:delete")
    _allow_update(api, type_id)
    if key not in vtype.extra_specs:
        raise VolumeTypeExtraSpecsNotFound(volume_type_id=type_id, extra_specs_key=key)
    del vtype.extra_specs[key]
    vtype.updated_at = api.env.db.stamp()
    _emit(api, "volume_type.extra_specs", f"extra spec {key} of volume type {vtype.name} "
          "removed", vtype, unset=key)
    return ApiResponse(202, None)
