"""``PUT /os-services/failover_host``: replication failover of a backend
(``cinder/api/v3/services.py``, ``volume.api.failover`` and its
``_replication_db_change``).

* Admin (``volume_extension:services:update``, then ``volume:failover_host``); the
  schema first: ``host``, ``backend_id`` (string or null) and, from 3.26
  (``REPLICATION_CLUSTER``), ``cluster``; exactly one of host and cluster (``400
  Invalid input received: One and only one of cluster and host must be set.``,
  before 3.26 ``Host field is missing.``).  No matching cinder-volume is ``400
  Invalid input received: No service found with host=<h>``.
* A service can fail over when its ``replication_status`` is ``enabled`` or
  ``failed-over`` and it is up; none can: ``400 Invalid input received: No service
  could be changed: replication_status in [<hosts>] must be ['enabled',
  'failed-over'] and must be up to failover.``  On success Cinder answers 202.
* No simulated backend replicates (LVM reports ``replication_status: disabled``
  and nothing in the API can change that), so every failover is that 400; a
  backend that could fail over would need the volume manager's ``failover``
  flow, which is not simulated: such a request is answered 501, never faked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import InvalidInput
from .common import check_keys, enforce, invalid_field
from .os_services import host_matches
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

_EXPECTED = ["enabled", "failed-over"]


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_field(key, value, f"{value!r} is not of type 'string', 'null'")
    if len(value) > 255:
        raise invalid_field(key, value, f"{value!r} is too long")
    return value


@route("PUT", "/os-services/failover_host")
async def failover_host(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    check_keys(body, ("host", "backend_id", "cluster"), strict=True)
    host = _text(body, "host")
    _text(body, "backend_id")
    cluster = _text(body, "cluster") if req.at_least("3.26") else None
    enforce(api, req, "volume_extension:services:update")
    if bool(cluster) == bool(host):
        raise InvalidInput(reason="One and only one of cluster and host must be set."
                           if req.at_least("3.26") else "Host field is missing.")
    enforce(api, req, "volume:failover_host")
    rows = [r for r in api.env.db.services_of("cinder-volume")
            if (host and host_matches(r.host, host))
            or (cluster and host_matches(r.cluster_name, cluster))]
    if not rows:
        what = f"host={host}" if host else f"cluster={cluster}"
        raise InvalidInput(reason=f"No service found with {what}")
    now = api.env.sim.now()
    down_time = float(api.env.config.default["service_down_time"])
    able = [r for r in rows if r.replication_status in _EXPECTED and r.is_up(now, down_time)]
    if not able:
        hosts = [r.host for r in rows]
        raise InvalidInput(reason=f"No service could be changed: replication_status in "
                                  f"{hosts} must be {_EXPECTED} and must be up to failover.")
    raise HTTPError(501, "Replication failover is not simulated.")
