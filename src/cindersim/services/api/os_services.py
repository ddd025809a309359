"""``/os-services`` and ``/os-hosts`` over the ``services`` table
(``cinder/api/v3/services.py``, ``cinder/api/schemas/services.py``,
``cinder/api/contrib/hosts.py``, ``volume.api.freeze_host``/``thaw_host``).

* ``GET /os-services`` (admin): ``host`` matches ``host``, ``host@*`` and ``host#*``
  (``_filter_host``), ``binary`` exactly.  ``state`` is ``up`` while the last
  heartbeat is within ``service_down_time``; ``updated_at`` is the heartbeat (or the
  operator's later ``modified_at``).  The extended-services fields
  (``disabled_reason``; for cinder-volume ``replication_status``,
  ``active_backend_id``, ``frozen``) are always there (the extension is loaded by
  default); ``cluster`` from 3.7, ``backend_state`` for cinder-volume from 3.49 (from
  the scheduler's pools, ``up`` unless a pool reports otherwise).
* ``PUT /os-services/enable|disable|disable-log-reason`` find the row by exact
  host and ``binary`` (or the deprecated ``service``): ``404 Service <binary> could
  not be found on host <host>.``.  Upstream sets ``disabled`` (and on enable clears
  the reason); the answer echoes host/service/binary.
* ``freeze``/``thaw`` flip ``frozen`` on the host's cinder-volume rows (``400 No
  service could be changed: frozen in ['h'] must be False to failover.`` when it
  already is); the volume manager then marks the row disabled with reason
  ``frozen`` (thaw: enabled, reason ``""``), done here at once.
* ``set-log``/``get-log`` (3.32): log levels per service; the simulator keeps them
  as a map of prefix -> level on the API, since no service logs anything.
* ``GET /os-hosts`` lists enabled services as hosts; ``GET /os-hosts/{host}`` sums
  a cinder-volume host's volumes and snapshots per project (counts as strings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import target_of
from ...db import Service, iso_time
from ...errors import InvalidInput
from ..volume_utils import extract_host
from .common import check_keys, enforce, invalid_field
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["host_matches", "service_state", "updated_at_of"]

ACTOR = "cinder-api"
_LOG_BINARIES = ("cinder-api", "cinder-volume", "cinder-scheduler", "cinder-backup")
_LOG_LEVELS = ("INFO", "WARNING", "ERROR", "DEBUG")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "-._#@:/+[]")


def host_matches(value: str | None, wanted: str) -> bool:
    """``db._filter_host``: exact, or ``wanted#...``, or (no ``@``/``#``) ``wanted@...``."""
    if value is None:
        return False
    if value == wanted:
        return True
    if "#" in wanted:
        return False
    if value.startswith(wanted + "#"):
        return True
    return "@" not in wanted and value.startswith(wanted + "@")


def service_state(api: ApiService, row: Service) -> bool:
    """Up: the last heartbeat is within ``service_down_time``."""
    return row.is_up(api.env.sim.now(), float(api.env.config.default["service_down_time"]))


def updated_at_of(api: ApiService, row: Service) -> str:
    beat = iso_time(row.last_heartbeat(api.env.sim.now()))
    if row.modified_at is not None and row.modified_at > beat:
        return row.modified_at
    return beat


async def scheduler_pools(api: ApiService, **kwargs: Any) -> list[dict[str, Any]]:
    """``scheduler_rpcapi.get_pools``: a call to cinder-scheduler over the bus."""
    pools: list[dict[str, Any]] = await api.env.bus.call(
        ACTOR, target_of("cinder-scheduler"), "get_pools", **kwargs)
    return pools


@route("GET", "/os-services")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    enforce(api, req, "volume_extension:services:index")
    host, binary = req.q("host"), req.q("binary")
    rows = [r for r in api.env.db.services.values()
            if (host is None or host_matches(r.host, host))
            and (binary is None or r.binary == binary)]
    states: dict[str, str] = {}
    if req.at_least("3.49"):
        for pool in await scheduler_pools(api):
            backend = extract_host(pool["name"]) or pool["name"]
            states[backend] = str((pool.get("capabilities") or {}).get("backend_state", "up"))
    out = []
    for row in rows:
        view: dict[str, Any] = {
            "binary": row.binary, "host": row.host, "zone": row.availability_zone,
            "status": "disabled" if row.disabled else "enabled",
            "state": "up" if service_state(api, row) else "down",
            "updated_at": updated_at_of(api, row)}
        if req.at_least("3.49") and row.binary == "cinder-volume":
            view["backend_state"] = states.get(row.host)
        if req.at_least("3.7"):
            view["cluster"] = row.cluster_name
        view["disabled_reason"] = row.disabled_reason
        if row.binary == "cinder-volume":
            view["replication_status"] = row.replication_status
            view["active_backend_id"] = row.active_backend_id
            view["frozen"] = row.frozen
        out.append(view)
    return ApiResponse(200, {"services": out})


def _string(body: dict[str, Any], key: str, *, nullable: bool, min_len: int = 1,
            chars: frozenset[str] | None = None) -> str | None:
    if key not in body or (body[key] is None and nullable):
        return None
    value = body[key]
    if not isinstance(value, str):
        kinds = "'string', 'null'" if nullable else "'string'"
        raise invalid_field(key, value, f"{value!r} is not of type {kinds}")
    if len(value) < min_len:
        raise invalid_field(key, value, f"{value!r} is too short")
    if len(value) > 255:
        raise invalid_field(key, value, f"{value!r} is too long")
    if chars is not None and not set(value) <= chars:
        raise invalid_field(key, value,
                            f"{value!r} does not match '^[a-zA-Z0-9-._#@:/+\\\\[\\\\]]*$'")
    return value


def _body(req: ApiRequest) -> dict[str, Any]:
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    return body


def _enable_body(req: ApiRequest, *, with_reason: bool) -> tuple[str, str, str, str | None]:
    """The ``enable_and_disable`` (or ``disable_log_reason``) schema, then
    ``get_cluster_host(req, body, False)``: host, service, binary, reason."""
    body = _body(req)
    allowed = ("binary", "host", "cluster", "service",
               *(("disabled_reason",) if with_reason else ()))
    check_keys(body, allowed, strict=True)
    binary = _string(body, "binary", nullable=False)
    host = _string(body, "host", nullable=True, chars=_HOST_CHARS)
    _string(body, "cluster", nullable=True, min_len=0)
    service = _string(body, "service", nullable=False)
    reason = _string(body, "disabled_reason", nullable=False) if with_reason else None
    if binary is None and service is None:
        raise HTTPError(400, f"{body!r} is not valid under any of the given schemas")
    if not host:
        raise InvalidInput(reason="Host field is missing.")
    return host, service or "", binary or "", reason


def _service_row(api: ApiService, host: str, binary: str) -> Service:
    row = api.env.db.services.get((binary, host))
    if row is None:
        raise HTTPError(404, f"Service {binary} could not be found on host {host}.")
    return row


def _set_disabled(api: ApiService, row: Service, disabled: bool, reason: str | None,
                  *, set_reason: bool) -> None:
    row.disabled = disabled
    if set_reason:
        row.disabled_reason = reason
    row.modified_at = api.env.db.stamp()
    api.env.trace.emit("service.update", ACTOR,
                       f"{row.binary} on {row.host} {'disabled' if disabled else 'enabled'}",
                       binary=row.binary, host=row.host, disabled=disabled,
                       disabled_reason=row.disabled_reason, frozen=row.frozen)


@route("PUT", "/os-services/enable")
async def enable(api: ApiService, req: ApiRequest) -> ApiResponse:
    host, service, binary, _ = _enable_body(req, with_reason=False)
    enforce(api, req, "volume_extension:services:update")
    row = _service_row(api, host, binary or service)
    _set_disabled(api, row, False, None, set_reason=True)
    return ApiResponse(200, {"host": host, "service": service, "binary": binary,
                             "status": "enabled", "disabled": False, "disabled_reason": None})


@route("PUT", "/os-services/disable")
async def disable(api: ApiService, req: ApiRequest) -> ApiResponse:
    host, service, binary, _ = _enable_body(req, with_reason=False)
    enforce(api, req, "volume_extension:services:update")
    row = _service_row(api, host, binary or service)
    _set_disabled(api, row, True, None, set_reason=False)
    return ApiResponse(200, {"host": host, "service": service, "binary": binary,
                             "status": "disabled", "disabled": True})


@route("PUT", "/os-services/disable-log-reason")
async def disable_log_reason(api: ApiService, req: ApiRequest) -> ApiResponse:
    host, service, binary, reason = _enable_body(req, with_reason=True)
    if reason is not None and not reason.strip():
        # The 'disabled_reason' format checker refuses blank text.
        raise invalid_field("disabled_reason", reason, f"{reason!r} is not a "
                                                       "'disabled_reason'")
    enforce(api, req, "volume_extension:services:update")
    row = _service_row(api, host, binary or service)
    _set_disabled(api, row, True, reason, set_reason=reason is not None)
    return ApiResponse(200, {"host": host, "service": service, "binary": binary,
                             "status": "disabled", "disabled": True,
                             "disabled_reason": reason})


def _freeze_target(api: ApiService, req: ApiRequest) -> list[Service]:
    body = _body(req)
    check_keys(body, ("cluster", "host"), strict=True)
    host = _string(body, "host", nullable=True, chars=_HOST_CHARS)
    cluster = _string(body, "cluster", nullable=True, min_len=0)
    if not req.at_least("3.26"):
        cluster = None
    if bool(cluster) == bool(host):
        raise InvalidInput(reason="One and only one of cluster and host must be set."
                           if req.at_least("3.26") else "Host field is missing.")
    rows = [r for r in api.env.db.services_of("cinder-volume")
            if (host and host_matches(r.host, host))
            or (cluster and host_matches(r.cluster_name, cluster))]
    if not rows:
        what = f"host={host}" if host else f"cluster={cluster}"
        # ServiceNotFound, turned into InvalidInput by _volume_api_proxy.
        raise InvalidInput(reason=f"No service found with {what}")
    return rows


def _set_frozen(api: ApiService, req: ApiRequest, frozen: bool, action: str) -> ApiResponse:
    rows = _freeze_target(api, req)
    enforce(api, req, "volume_extension:services:update")
    enforce(api, req, action)
    changing = [r for r in rows if r.frozen != frozen]
    if not changing:
        hosts = [r.host for r in rows]
        raise InvalidInput(reason=f"No service could be changed: frozen in {hosts} must be "
                                  f"{not frozen} to failover.")
    for row in changing:
        row.frozen = frozen
        # What the volume manager's freeze_host/thaw_host write on its row.
        _set_disabled(api, row, frozen, "frozen" if frozen else "", set_reason=True)
    return ApiResponse(200, None)


@route("PUT", "/os-services/freeze")
async def freeze(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _set_frozen(api, req, True, "volume:freeze_host")


@route("PUT", "/os-services/thaw")
async def thaw(api: ApiService, req: ApiRequest) -> ApiResponse:
    return _set_frozen(api, req, False, "volume:thaw_host")


def _log_body(req: ApiRequest, *, with_level: bool) -> tuple[str, str | None, str | None,
                                                             str | None]:
    body = _body(req)
    check_keys(body, ("binary", "server", "prefix", *(("level",) if with_level else ())),
               strict=True)
    binary = body.get("binary", "")
    if binary not in (*_LOG_BINARIES, "", "*"):
        allowed = ", ".join(repr(b) for b in (*_LOG_BINARIES, "", "*"))
        raise invalid_field("binary", binary, f"{binary!r} is not one of [{allowed}]")
    server = _string(body, "server", nullable=True, min_len=0)
    prefix = _string(body, "prefix", nullable=True, min_len=0)
    level = None
    if with_level:
        level = body.get("level")
        if level is not None and (not isinstance(level, str)
                                  or level.upper() not in _LOG_LEVELS):
            raise invalid_field("level", level, f"{level!r} is not a 'level'")
    return binary, server, prefix, level


def _log_targets(api: ApiService, binary: str, server: str | None) -> list[tuple[str, str]]:
    """(binary, host) of cinder-api (when asked) and of every up service asked for."""
    binaries = _LOG_BINARIES if binary in ("*", "") else (binary,)
    out = [("cinder-api", "cinder-api")] if "cinder-api" in binaries and (
        not server or server == "cinder-api") else []
    for row in api.env.db.services.values():
        if row.binary in binaries and service_state(api, row) and (
                not server or host_matches(row.host, server)):
            out.append((row.binary, row.host))
    return out


def _levels(api: ApiService) -> dict[tuple[str, str], dict[str, str]]:
    levels: dict[tuple[str, str], dict[str, str]] | None = getattr(api, "_log_levels", None)
    if levels is None:
        levels = {}
        api._log_levels = levels  # type: ignore[attr-defined]
    return levels


@route("PUT", "/os-services/set-log", "3.32")
async def set_log(api: ApiService, req: ApiRequest) -> ApiResponse:
    binary, server, prefix, level = _log_body(req, with_level=True)
    enforce(api, req, "volume_extension:services:update")
    for target in _log_targets(api, binary, server):
        _levels(api).setdefault(target, {})[prefix or "cinder"] = (level or "INFO").upper()
    return ApiResponse(202, None)


@route("PUT", "/os-services/get-log", "3.32")
async def get_log(api: ApiService, req: ApiRequest) -> ApiResponse:
    binary, server, prefix, _ = _log_body(req, with_level=False)
    enforce(api, req, "volume_extension:services:update")
    result = []
    for target in _log_targets(api, binary, server):
        levels = {"cinder": "INFO", **_levels(api).get(target, {})}
        if prefix:
            levels = {k: v for k, v in levels.items() if k.startswith(prefix)}
        result.append({"host": target[1], "binary": target[0], "levels": levels})
    return ApiResponse(200, {"log_levels": result})


# --- os-hosts (cinder/api/contrib/hosts.py) ----------------------------------------------
@route("GET", "/os-hosts")
async def hosts_index(api: ApiService, req: ApiRequest) -> ApiResponse:
    enforce(api, req, "volume_extension:hosts")
    zone = req.q("zone")
    out = []
    for row in api.env.db.services.values():
        if row.disabled or (zone and row.availability_zone != zone):
            continue
        out.append({"host_name": row.host, "service": row.topic,
                    "zone": row.availability_zone,
                    "service-status": "available" if service_state(api, row)
                    else "unavailable",
                    "service-state": "enabled", "last-update": updated_at_of(api, row)})
    return ApiResponse(200, {"hosts": out})


@route("GET", "/os-hosts/{host}")
async def hosts_show(api: ApiService, req: ApiRequest, host: str) -> ApiResponse:
    enforce(api, req, "volume_extension:hosts")
    db = api.env.db
    row = next((r for r in db.services.values()
                if r.host == host and r.topic == "cinder-volume"), None)
    if row is None:
        raise HTTPError(404, f"Service cinder-volume could not be found on host {host}.")
    vols = [v for v in db.volumes.values() if host_matches(v.host, row.host)]

    def resource(project: str, vcount: int, vsum: int, scount: int,
                 ssum: int) -> dict[str, Any]:
        return {"resource": {"host": host, "project": project, "volume_count": str(vcount),
                             "total_volume_gb": str(vsum), "snapshot_count": str(scount),
                             "total_snapshot_gb": str(ssum)}}

    projects: list[str] = []
    for vol in vols:
        if vol.project_id not in projects:
            projects.append(vol.project_id)
    per_project = []
    snap_count = snap_sum = 0
    for project in projects:
        mine = [v for v in vols if v.project_id == project]
        snaps = [s for v in mine for s in db.snapshots_of(v.id)]
        count, size = len(snaps), sum(s.volume_size for s in snaps)
        per_project.append(resource(project, len(mine), sum(v.size for v in mine), count, size))
        snap_count += count
        snap_sum += size
    total = resource("(total)", len(vols), sum(v.size for v in vols), snap_count, snap_sum)
    return ApiResponse(200, {"host": [total, *per_project]})
