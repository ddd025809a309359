"""``/clusters`` (3.7): the services that share a ``cluster`` name, as one unit.

Follows ``cinder/api/v3/clusters.py``, its schemas and view, and the ``cluster_*``
functions of ``cinder/db/api.py``:

* A cluster is a (``name``, ``binary``) pair: the ``services`` rows whose
  ``cluster_name`` is set (cinder.conf ``cluster``).  A deployment without a
  ``cluster`` option (devstack's LVM) has none, so the lists are empty and every
  show is a 404.  ``num_hosts``/``num_down_hosts`` count its services,
  ``last_heartbeat`` is their latest heartbeat, ``state`` is ``up`` while that is
  within ``service_down_time``.
* ``GET /clusters`` (summary: name, binary, state, status) and
  ``/clusters/detail`` (plus num_hosts, num_down_hosts, last_heartbeat, created_at,
  updated_at, disabled_reason), both ``clusters:get_all`` (admin); filters are
  name, binary, is_up, disabled, num_hosts, num_down_hosts, and from 3.26
  (``REPLICATION_CLUSTER``) replication_status, frozen, active_backend_id, which
  the views then show too.  Another key is ``400 Invalid input received: Invalid
  filter keys: <k>``; ``is_up``/``disabled`` must be booleans.
* ``GET /clusters/{name}`` (``clusters:get``) shows the ``cinder-volume`` cluster
  of that name: the detail view.  A missing one is ``404 Cluster {'binary':
  'cinder-volume', 'name': '<n>'} could not be found.`` (Cinder puts its filter
  dict in the message).
* ``PUT /clusters/enable`` and ``/clusters/disable`` (``clusters:update``) take
  ``name``, optional ``binary`` (default ``cinder-volume``) and, to disable,
  ``disabled_reason``; 200 with the summary view plus ``disabled_reason``.  The
  schema runs before the policy check.
* Below 3.7 every route is absent: 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ...db import Service, iso_time
from ...db_tables import tables
from ...errors import InvalidInput
from .common import enforce, invalid_field
from .router import route
from .types import _name, _no_extra
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["ClusterRow", "clusters_of"]

ACTOR = "cinder-api"
_MV = "3.7"  # CLUSTER_SUPPORT
_REPLICATION = "3.26"  # REPLICATION_CLUSTER
_FILTERS = ("name", "binary", "is_up", "disabled", "num_hosts", "num_down_hosts")
_REPLICATION_FIELDS = ("replication_status", "frozen", "active_backend_id")
_VOLUME_BINARY = "cinder-volume"


@attrs.define(slots=True, eq=True)
class ClusterRow:
    """A row of ``clusters``: what the services of one cluster share."""

    name: str
    binary: str
    disabled: bool = False
    disabled_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@attrs.frozen
class _Cluster:
    row: ClusterRow
    services: tuple[Service, ...]


def _rows(api: ApiService) -> dict[tuple[str, str], ClusterRow]:
    found: dict[tuple[str, str], ClusterRow] = tables(api.env.db).extra.setdefault(
        "clusters", {})
    return found


def clusters_of(api: ApiService) -> list[_Cluster]:
    """Every cluster, in the order its first service registered (a service's start
    creates its cluster's row, as ``Service._create_service_ref`` does)."""
    rows = _rows(api)
    members: dict[tuple[str, str], list[Service]] = {}
    for svc in api.env.db.services.values():
        if svc.cluster_name:
            key = (svc.cluster_name, svc.binary)
            members.setdefault(key, []).append(svc)
            if key not in rows:
                rows[key] = ClusterRow(svc.cluster_name, svc.binary, created_at=svc.created_at)
    return [_Cluster(rows[k], tuple(v)) for k, v in members.items()]


def _down_time(api: ApiService) -> float:
    return float(api.env.config.default["service_down_time"])


def _last_heartbeat(api: ApiService, c: _Cluster) -> float:
    now = api.env.sim.now()
    return max(s.last_heartbeat(now) for s in c.services)


def _is_up(api: ApiService, c: _Cluster) -> bool:
    return api.env.sim.now() - _last_heartbeat(api, c) <= _down_time(api)


def _num_down(api: ApiService, c: _Cluster) -> int:
    now = api.env.sim.now()
    return sum(not s.is_up(now, _down_time(api)) for s in c.services)


def _replication(c: _Cluster) -> dict[str, Any]:
    first = c.services[0]
    return {"replication_status": first.replication_status,
            "frozen": any(s.frozen for s in c.services),
            "active_backend_id": first.active_backend_id}


def _summary(api: ApiService, c: _Cluster, replication: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"name": c.row.name, "binary": c.row.binary,
                         "state": "up" if _is_up(api, c) else "down",
                         "status": "disabled" if c.row.disabled else "enabled"}
    if replication:
        d["replication_status"] = _replication(c)["replication_status"]
    return d


def _detail(api: ApiService, c: _Cluster, replication: bool) -> dict[str, Any]:
    d = _summary(api, c, False)
    d.update(num_hosts=len(c.services), num_down_hosts=_num_down(api, c),
             last_heartbeat=iso_time(_last_heartbeat(api, c)),
             created_at=c.row.created_at or "", updated_at=c.row.updated_at or "",
             disabled_reason=c.row.disabled_reason)
    if replication:
        d.update(_replication(c))
    return d


def _bool_param(key: str, raw: str) -> bool:
    """``utils.get_bool_param``: strict, ``InvalidParameterValue`` otherwise."""
    low = raw.strip().lower()
    if low in {"1", "t", "true", "on", "y", "yes"}:
        return True
    if low in {"0", "f", "false", "off", "n", "no"}:
        return False
    raise HTTPError(400, f"Value '{raw}' for '{key}' is not a boolean.")


def _field(api: ApiService, c: _Cluster, key: str) -> Any:
    if key == "is_up":
        return _is_up(api, c)
    if key == "disabled":
        return c.row.disabled
    if key == "num_hosts":
        return len(c.services)
    if key == "num_down_hosts":
        return _num_down(api, c)
    if key in _REPLICATION_FIELDS:
        return _replication(c)[key]
    return getattr(c.row, key)


def _matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or value is None:
        return bool(value == wanted)
    return str(value) == str(wanted)


async def _list(api: ApiService, req: ApiRequest, *, detail: bool) -> ApiResponse:
    enforce(api, req, "clusters:get_all")
    replication = req.at_least(_REPLICATION)
    allowed = set(_FILTERS) | (set(_REPLICATION_FIELDS) if replication else set())
    filters: dict[str, Any] = {k: v[-1] for k, v in req.query.items()}
    invalid = sorted(k for k in filters if k not in allowed)
    if invalid:
        raise InvalidInput(reason=f"Invalid filter keys: {', '.join(invalid)}")
    for key in ("disabled", "is_up"):
        if key in filters:
            filters[key] = _bool_param(key, filters[key])
    found = [c for c in clusters_of(api)
             if all(_matches(_field(api, c, k), v) for k, v in filters.items())]
    view = _detail if detail else _summary
    return ApiResponse(200, {"clusters": [view(api, c, replication) for c in found]})


@route("GET", "/clusters", min_version=_MV)
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=False)


@route("GET", "/clusters/detail", min_version=_MV)
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=True)


def _get(api: ApiService, name: str, binary: str) -> _Cluster:
    for c in clusters_of(api):
        if c.row.name == name and c.row.binary == binary:
            return c
    raise HTTPError(404, f"Cluster {{'binary': {binary!r}, 'name': {name!r}}} could not "
                         "be found.")


@route("GET", "/clusters/{name}", min_version=_MV)
async def show(api: ApiService, req: ApiRequest, name: str) -> ApiResponse:
    enforce(api, req, "clusters:get")
    c = _get(api, name, _VOLUME_BINARY)
    return ApiResponse(200, {"cluster": _detail(api, c, req.at_least(_REPLICATION))})


def _update_body(req: ApiRequest, *, disable: bool) -> tuple[str, str, str | None]:
    """``disable_cluster`` / ``enable_cluster``: name, binary (nullable), reason."""
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    if "name" not in body:
        raise HTTPError(400, "'name' is a required property")
    name = _name(body)
    binary = body.get("binary")
    if binary is not None and not isinstance(binary, str):
        raise invalid_field("binary", binary, f"{binary!r} is not of type 'string', 'null'")
    reason = body.get("disabled_reason") if disable else None
    if disable and reason is not None:
        if not isinstance(reason, str):
            raise invalid_field("disabled_reason", reason,
                                f"{reason!r} is not of type 'string', 'null'")
        stripped = reason.strip()
        if not 1 <= len(stripped) <= 255:
            # The disabled_reason format: check_string_length on the stripped text.
            raise HTTPError(400, f"Invalid input for field/attribute disabled_reason. Value: "
                                 f"{reason}. {reason!r} is not a 'disabled_reason'")
        reason = stripped
    _no_extra(body, ("name", "binary", "disabled_reason") if disable else ("name", "binary"))
    return name, binary or _VOLUME_BINARY, reason or None


async def _update(api: ApiService, req: ApiRequest, *, disable: bool) -> ApiResponse:
    name, binary, reason = _update_body(req, disable=disable)
    enforce(api, req, "clusters:update")
    c = _get(api, name, binary)
    c.row.disabled = disable
    c.row.disabled_reason = reason
    c.row.updated_at = api.env.db.stamp()
    api.env.trace.emit("cluster.update", ACTOR, f"cluster {name} ({binary}) "
                       + ("disabled" if disable else "enabled"),
                       resource=f"cluster:{name}", binary=binary, disabled=disable,
                       disabled_reason=reason)
    view = _summary(api, c, req.at_least(_REPLICATION))
    view["disabled_reason"] = reason
    return ApiResponse(200, {"cluster": view})


@route("PUT", "/clusters/enable", min_version=_MV)
async def enable(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _update(api, req, disable=False)


@route("PUT", "/clusters/disable", min_version=_MV)
async def disable(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _update(api, req, disable=True)
