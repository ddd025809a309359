"""``POST /workers/cleanup`` (3.24): ask services to clean up after a crash.

Follows ``cinder/api/v3/workers.py``, its schema and view, and the scheduler's
``work_cleanup``:

* Admin only (``workers:cleanup``); the schema runs first: ``cluster_name``,
  ``host`` (hostnames), ``disabled``, ``is_up`` (booleans), ``binary``
  (``cinder-volume`` or ``cinder-scheduler``), ``resource_id`` (a uuid),
  ``resource_type`` (<= 40 characters, ``Volume`` or ``Snapshot`` once
  title-cased, else ``400 Invalid input received: Resource type <t> not valid,
  must be Volume or Snapshot``) and ``service_id`` (digits); nothing else.
* The services matching the filters, any binary (``is_up`` defaults to False: the
  point is cleaning up after *dead* services), are split into ``cleaning`` (every
  scheduler, as any live scheduler will do, and the services that are up: the
  request is cast to them) and ``unavailable``; **202**
  ``{"cleaning": [...], "unavailable": [...]}``, each service as ``{id, host,
  binary, cluster_name}``.
* Cleanup works on the ``workers`` table, where Cinder records each cleanable
  operation in flight.  The simulator keeps no such rows (a simulated service
  never dies half-way through writing one), so a ``resource_id`` without a
  location is always ``There is no resource with UUID <id> pending cleanup.``
  (Cinder builds that message as a tuple, and shows the tuple), and the services
  asked have nothing to do: the request is recorded as a trace event only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...db import Service
from ...errors import InvalidInput
from .common import enforce, invalid_field, is_uuid_like
from .router import route
from .types import _BOOLEAN_ENUM, _TRUE, _no_extra
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

ACTOR = "cinder-api"
_MV = "3.24"  # WORKERS_CLEANUP
_KEYS = ("cluster_name", "disabled", "host", "is_up", "binary", "resource_id",
         "resource_type", "service_id")
_HOSTNAME = re.compile(r"^[a-zA-Z0-9-._#@:/+]*$")
_BINARIES = ("cinder-volume", "cinder-scheduler")
_RESOURCE_TYPES = ("Volume", "Snapshot")
"""``CinderCleanableObject.cleanable_resource_types``."""


def _validate(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    out: dict[str, Any] = {}
    for key in ("cluster_name", "host"):
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid_field(key, value, f"{value!r} is not of type 'string', 'null'")
        if not value:
            raise invalid_field(key, value, f"{value!r} is too short")
        if len(value) > 255:
            raise invalid_field(key, value, f"{value!r} is too long")
        if not _HOSTNAME.match(value):
            raise invalid_field(key, value, f"{value!r} does not match "
                                            f"'{_HOSTNAME.pattern}'")
        out[key] = value
    for key in ("disabled", "is_up"):
        if key not in body:
            continue
        value = body[key]
        if not any(value == a and type(value) is type(a) for a in _BOOLEAN_ENUM):
            if not isinstance(value, (bool, str)):
                raise invalid_field(key, value, f"{value!r} is not of type 'boolean', 'string'")
            shown = "[" + ", ".join(repr(v) for v in _BOOLEAN_ENUM) + "]"
            raise invalid_field(key, value, f"{value!r} is not one of {shown}")
        out[key] = value if isinstance(value, bool) else value.lower() in _TRUE
    if "binary" in body:
        if body["binary"] not in _BINARIES:
            raise invalid_field("binary", body["binary"],
                                f"{body['binary']!r} is not one of {list(_BINARIES)!r}")
        out["binary"] = body["binary"]
    rid = body.get("resource_id")
    if rid is not None:
        if not isinstance(rid, str) or not is_uuid_like(rid):
            raise invalid_field("resource_id", rid,
                                f"{rid!r} is not valid under any of the given schemas")
        out["resource_id"] = rid
    rtype = body.get("resource_type")
    if rtype is not None:
        if not isinstance(rtype, str):
            raise invalid_field("resource_type", rtype,
                                f"{rtype!r} is not of type 'string', 'null'")
        if len(rtype) > 40:
            raise invalid_field("resource_type", rtype, f"{rtype!r} is too long")
        out["resource_type"] = rtype
    sid = body.get("service_id")
    if sid is not None:
        if isinstance(sid, bool) or not isinstance(sid, (int, str)):
            raise invalid_field("service_id", sid,
                                f"{sid!r} is not of type 'integer', 'string', 'null'")
        if isinstance(sid, str) and (not re.fullmatch(r"[0-9]*", sid) or len(sid) > 11):
            raise invalid_field("service_id", sid, f"{sid!r} does not match '^[0-9]*$'")
        out["service_id"] = int(sid) if sid != "" else None
    _no_extra(body, _KEYS)
    return out


def _view(services: list[Service]) -> list[dict[str, Any]]:
    return [{"id": s.id, "host": s.host, "binary": s.binary, "cluster_name": s.cluster_name}
            for s in services]


@route("POST", "/workers/cleanup", min_version=_MV)
async def cleanup(api: ApiService, req: ApiRequest) -> ApiResponse:
    request = _validate(req.body)
    enforce(api, req, "workers:cleanup")
    rtype = request.get("resource_type")
    if rtype:
        rtype = rtype.title()
        if rtype not in _RESOURCE_TYPES:
            raise InvalidInput(reason=f"Resource type {rtype} not valid, must be Volume or "
                                      "Snapshot")
    rid = request.get("resource_id")
    if rid and not {"service_id", "cluster_name", "host"} & set(request):
        # No workers rows in the simulator: nothing is ever pending cleanup.
        text = "There is no resource with UUID %s pending cleanup."
        raise InvalidInput(reason=str((text, rid)))
    now = api.env.sim.now()
    down_time = float(api.env.config.default["service_down_time"])
    is_up = request.get("is_up", False)
    chosen = []
    for s in api.env.db.services.values():
        if "binary" in request and s.binary != request["binary"]:
            continue
        if "host" in request and s.host != request["host"]:
            continue
        if "cluster_name" in request and s.cluster_name != request["cluster_name"]:
            continue
        if request.get("service_id") is not None and s.id != request["service_id"]:
            continue
        if "disabled" in request and s.disabled != request["disabled"]:
            continue
        if s.is_up(now, down_time) != is_up:
            continue
        chosen.append(s)
    cleaning = [s for s in chosen if s.binary == "cinder-scheduler" or s.is_up(now, down_time)]
    unavailable = [s for s in chosen if s not in cleaning]
    api.env.trace.emit("workers.cleanup", ACTOR,
                       f"cleanup asked of {len(cleaning)} service(s), "
                       f"{len(unavailable)} unavailable",
                       cleaning=[s.host for s in cleaning],
                       unavailable=[s.host for s in unavailable])
    return ApiResponse(202, {"cleaning": _view(cleaning), "unavailable": _view(unavailable)})
