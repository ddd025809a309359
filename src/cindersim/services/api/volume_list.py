"""``GET /volumes``, ``/volumes/detail`` and ``/volumes/summary`` (3.12)
(``cinder/api/v3/volumes.py`` ``_get_volumes``/``summary``, ``volume.api.get_all``,
``check_volume_filters`` and the DB layer's ``_process_volume_filters``).

Filters, after :func:`~.listing.query_filters`: ``name`` is ``display_name``,
``consumes_quota`` is ``use_quota`` (3.31+), ``name~``/``description~`` are substring
matches (3.34+), ``created_at``/``updated_at`` take comparisons; boolean columns
accept only oslo's boolean strings from 3.2 (``400 Invalid input received:
'bootable = maybe'``); other values go through ``ast.literal_eval`` (so
``metadata={'k': 'v'}`` is a dict and ``size=1`` an int), and a key that is no column
of ``volumes`` (an admin may send any) matches nothing.  Non-admins never see
migration targets (``migration_status`` ``target:...``).

This module is registered before :mod:`.volumes`, whose ``/volumes/{volume_id}``
would otherwise answer ``/volumes/detail`` and ``/volumes/summary``.
"""

from __future__ import annotations

import ast
import contextlib
from typing import TYPE_CHECKING, Any, Final

from ...db import Volume
from ...errors import InvalidInput, VolumeNotFound
from .common import admin, enforce, list_body
from .listing import matches_time, page_of, parse_time_filter, query_filters, strict_bool
from .router import route
from .views import volume_detail, volume_summary
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["VOLUME_COLUMNS", "bool_param", "detail", "index", "summary"]

VOLUME_COLUMNS: Final = frozenset({
    "id", "created_at", "updated_at", "deleted_at", "deleted", "ec2_id", "user_id",
    "project_id", "snapshot_id", "cluster_name", "host", "size", "availability_zone",
    "status", "attach_status", "migration_status", "scheduled_at", "launched_at",
    "terminated_at", "display_name", "display_description", "provider_location",
    "provider_auth", "provider_geometry", "provider_id", "volume_type_id", "source_volid",
    "encryption_key_id", "consistencygroup_id", "group_id", "bootable", "multiattach",
    "replication_status", "replication_extended_status", "replication_driver_data",
    "previous_status", "shared_targets", "service_uuid", "use_quota"})
"""The columns of Cinder's ``volumes`` table: what may be filtered and sorted on."""
_BOOLEAN_COLUMNS: Final = frozenset({"deleted", "bootable", "multiattach", "shared_targets",
                                     "use_quota"})
_MV_ADDED_FILTERS: Final = (("3.4", "glance_metadata"), ("3.10", "group_id"),
                            ("3.60", "created_at"), ("3.60", "updated_at"),
                            ("3.65", "use_quota"))
"""Filters removed below the version that added them (only before 3.31, where the
generic filter check does not run)."""
_CONVERTED: Final = {"name~": "display_name~", "description~": "display_description~",
                     "consumes_quota": "use_quota"}


def bool_param(req: ApiRequest, name: str) -> bool:
    """``utils.get_bool_param``: absent is False, else a strict boolean string."""
    raw = req.q(name)
    if raw is None:
        return False
    try:
        return strict_bool(name, raw)
    except InvalidInput:
        raise HTTPError(400, f"Value '{raw}' for '{name}' is not a boolean.") from None


def _column(vol: Volume, key: str) -> Any:
    if key == "deleted":
        return False
    return getattr(vol, key, None)


def _prepared(req: ApiRequest) -> dict[str, Any] | None:
    """The request's filters as the DB layer gets them, or None when they can match
    nothing (an unknown column, a metadata filter that is no dict)."""
    filters: dict[str, Any] = query_filters(req, "volume", skip=("with_count",))
    if req.at_least("3.31"):
        filters = {_CONVERTED.get(k, k): v for k, v in filters.items()}
    else:
        for version, key in _MV_ADDED_FILTERS:
            if not req.at_least(version):
                filters.pop(key, None)
    filters.pop("all_tenants", None)  # decides the scope, not a column
    if "name" in filters:
        filters["display_name"] = filters.pop("name")
    if "use_quota" in filters:
        filters["use_quota"] = bool_param(req, "consumes_quota" if req.at_least("3.31")
                                          else "use_quota")
    for key in ("created_at", "updated_at"):
        if key in filters:
            filters[key] = parse_time_filter(filters[key])
    strict = req.at_least("3.2")
    for key, value in list(filters.items()):
        if not isinstance(value, str) or key == "display_name":
            continue
        if key in _BOOLEAN_COLUMNS:
            filters[key] = strict_bool(key, value, strict=strict)
            continue
        # A value that is no Python literal stays a string ("assuming string").
        with contextlib.suppress(ValueError, SyntaxError, TypeError, MemoryError,
                                 RecursionError):
            filters[key] = ast.literal_eval(value)
    for key, value in filters.items():
        if key in ("metadata", "glance_metadata"):
            if not isinstance(value, dict):
                return None
        elif key.rstrip("~") not in VOLUME_COLUMNS:
            return None
    return filters


def _equal(column: Any, wanted: Any) -> bool:
    if isinstance(wanted, (list, tuple, set, frozenset)):
        return any(_equal(column, w) for w in wanted)
    if column is None or wanted is None:
        return column is None and wanted is None
    if isinstance(column, bool) or isinstance(wanted, bool):
        return bool(column) == bool(wanted)
    return str(column) == str(wanted)


def _passes(vol: Volume, filters: dict[str, Any]) -> bool:
    for key, wanted in filters.items():
        if key == "metadata":
            if not all(vol.metadata.get(k) == v or vol.admin_metadata.get(k) == v
                       for k, v in wanted.items()):
                return False
        elif key == "glance_metadata":
            if wanted:  # volumes here carry no Glance metadata rows
                return False
        elif key in ("created_at", "updated_at"):
            if not matches_time(_column(vol, key), wanted):
                return False
        elif key.endswith("~"):
            value = _column(vol, key[:-1])
            # SQL LIKE '%v%' under MySQL's case-insensitive collation.
            if value is None or str(wanted).lower() not in str(value).lower():
                return False
        elif not _equal(_column(vol, key), wanted):
            return False
    return True


def listed_volumes(api: ApiService, req: ApiRequest) -> list[Volume]:
    """The volumes a list request selects, before sorting and paging."""
    all_tenants = bool_param(req, "all_tenants") if admin(req) else False
    filters = _prepared(req)
    if filters is None:
        return []
    vols = api.env.db.volumes_of_project(None if all_tenants else req.context.project_id)
    if not admin(req):
        vols = [v for v in vols if not (v.migration_status or "").startswith("target:")]
    if filters:
        vols = [v for v in vols if _passes(v, filters)]
    return vols


async def _list(api: ApiService, req: ApiRequest, *, detail: bool) -> ApiResponse:
    enforce(api, req, "volume:get_all")
    vols = listed_volumes(api, req)
    page = page_of(api, req, vols, collection="volumes/detail" if detail else "volumes",
                   field=_column, ident=lambda v: v.id, columns=VOLUME_COLUMNS,
                   not_found=lambda m: VolumeNotFound(volume_id=m),
                   aliases={"name": "display_name"})
    views = ([volume_detail(api, req, v, extended=True, admin_meta=True)
              for v in page.items] if detail
             else [volume_summary(api, req, v) for v in page.items])
    return ApiResponse(200, list_body(req, "volumes", views, page.links, page.total))


@route("GET", "/volumes")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=False)


@route("GET", "/volumes/detail")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=True)


@route("GET", "/volumes/summary", "3.12")
async def summary(api: ApiService, req: ApiRequest) -> ApiResponse:
    """Count and total size of the project's volumes (all projects for an admin with
    ``all_tenants``), and from 3.36 every distinct metadata pair as ``key: [values]``.
    Cinder passes no other filter down to this query."""
    enforce(api, req, "volume:get_all")
    all_tenants = bool_param(req, "all_tenants") and admin(req)
    vols = api.env.db.volumes_of_project(None if all_tenants else req.context.project_id)
    body: dict[str, Any] = {"total_count": len(vols), "total_size": sum(v.size for v in vols)}
    if req.at_least("3.36"):
        metadata: dict[str, list[str]] = {}
        for vol in vols:
            for key, value in vol.metadata.items():
                values = metadata.setdefault(key, [])
                if value not in values:
                    values.append(value)
        body["metadata"] = metadata
    return ApiResponse(200, {"volume-summary": body})
