"""What cinder-api tells about its backends and itself: ``/capabilities/{host}``,
``/scheduler-stats/get_pools``, ``/os-availability-zone``, ``/extensions`` and
``/resource_filters`` (3.33) (``cinder/api/contrib/capabilities.py``,
``scheduler_stats.py``, ``availability_zones.py``, ``cinder/api/extensions.py``,
``cinder/api/v3/resource_filters.py`` and their view builders).

* Pools and capabilities come from cinder-scheduler by an RPC call
  (``scheduler_rpcapi.get_pools``); the scheduler answers from the backends' last
  reports.  Cinder asks a backend's cinder-volume for its capabilities
  (``volume_rpcapi.get_capabilities``); the simulator reads the same report off the
  scheduler, plus the driver's standard ``properties`` (``init_capabilities``).
* ``get_pools`` (admin): ``detail`` is a strict boolean; filters only from 3.28
  (``name`` exact, other keys against the capabilities) and ``volume_type`` from
  3.35 (the type's extra specs through the scheduler filters); the pool filter
  check (3.31+) applies to admins too: only ``name`` and ``volume_type``.
* ``capabilities/{host}`` (admin): ``404 Can't find service: <host>`` when no
  cinder-volume matches.
* Availability zones: one entry per zone of the cinder-volume services, available
  when one of its services is up and enabled; no policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ...db import iso_time
from .common import enforce
from .listing import RESOURCE_FILTERS, query_filters
from .os_services import host_matches, scheduler_pools, service_state
from .router import route
from .volume_list import bool_param
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["EXTENSIONS", "STANDARD_PROPERTIES"]

STANDARD_PROPERTIES: Final[dict[str, dict[str, str]]] = {
    "thin_provisioning": {"title": "Thin Provisioning", "description": "Sets thin provisioning.",
                          "type": "boolean"},
    "compression": {"title": "Compression", "description": "Enables compression.",
                    "type": "boolean"},
    "qos": {"title": "QoS", "description": "Enables QoS.", "type": "boolean"},
    "replication_enabled": {"title": "Replication", "description": "Enables replication.",
                            "type": "boolean"},
}
"""``VolumeDriver._init_standard_capabilities``."""

EXTENSIONS: Final = (
    ("AdminActions", "os-admin-actions", "2012-08-25T00:00:00+00:00", "Enable admin actions."),
    ("AvailabilityZones", "os-availability-zone", "2013-06-27T00:00:00+00:00",
     "Describe Availability Zones."),
    ("Backups", "backups", "2012-12-12T00:00:00+00:00", "Backups support."),
    ("Capabilities", "capabilities", "2015-08-31T00:00:00+00:00", "Capabilities support."),
    ("Cgsnapshots", "cgsnapshots", "2014-08-18T00:00:00+00:00", "cgsnapshots support."),
    ("Consistencygroups", "consistencygroups", "2014-08-18T00:00:00+00:00",
     "consistency groups support."),
    ("ExtendedServices", "os-extended-services", "2014-01-10T00:00:00-00:00",
     "Extended services support."),
    ("ExtendedSnapshotAttributes", "os-extended-snapshot-attributes",
     "2012-06-19T00:00:00+00:00", "Extended SnapshotAttributes support."),
    ("Hosts", "os-hosts", "2011-06-29T00:00:00+00:00", "Admin-only host administration."),
    ("Qos_specs_manage", "qos-specs", "2013-08-02T00:00:00+00:00", "QoS specs support."),
    ("QuotaClasses", "os-quota-class-sets", "2012-03-12T00:00:00+00:00",
     "Quota classes management support."),
    ("Quotas", "os-quota-sets", "2011-08-08T00:00:00+00:00", "Quota management support."),
    ("SchedulerHints", "OS-SCH-HNT", "2013-04-18T00:00:00+00:00",
     "Pass arbitrary key/value pairs to the scheduler."),
    ("Scheduler_stats", "scheduler-stats", "2014-09-07T00:00:00+00:00",
     "Scheduler stats support."),
    ("Services", "os-services", "2012-10-28T00:00:00-00:00", "Services support."),
    ("SnapshotActions", "os-snapshot-actions", "2013-07-16T00:00:00+00:00",
     "Enable snapshot manager actions."),
    ("SnapshotManage", "os-snapshot-manage", "2014-12-31T00:00:00+00:00",
     "Allows existing backend storage to be 'managed' by Cinder."),
    ("SnapshotUnmanage", "os-snapshot-unmanage", "2014-12-31T00:00:00+00:00",
     "Enable volume unmanage operation."),
    ("TypesExtraSpecs", "os-types-extra-specs", "2011-08-24T00:00:00+00:00",
     "Type extra specs support."),
    ("TypesManage", "os-types-manage", "2011-08-24T00:00:00+00:00", "Types manage support."),
    ("UsedLimits", "os-used-limits", "2013-10-03T00:00:00+00:00",
     "Provide data on limited resources that are being used."),
    ("VolumeActions", "os-volume-actions", "2012-05-31T00:00:00+00:00",
     "Enable volume actions."),
    ("VolumeEncryptionMetadata", "os-volume-encryption-metadata",
     "2013-07-10T00:00:00+00:00", "Volume encryption metadata retrieval support."),
    ("VolumeHostAttribute", "os-vol-host-attr", "2011-11-03T00:00:00+00:00",
     "Expose host as an attribute of a volume."),
    ("VolumeImageMetadata", "os-vol-image-meta", "2012-12-07T00:00:00+00:00",
     "Show image metadata associated with the volume."),
    ("VolumeManage", "os-volume-manage", "2014-02-10T00:00:00+00:00",
     "Allows existing backend storage to be 'managed' by Cinder."),
    ("VolumeMigStatusAttribute", "os-vol-mig-status-attr", "2013-08-08T00:00:00+00:00",
     "Expose migration_status as an attribute of a volume."),
    ("VolumeTenantAttribute", "os-vol-tenant-attr", "2011-11-03T00:00:00+00:00",
     "Expose the internal project_id as an attribute of a volume."),
    ("VolumeTransfer", "os-volume-transfer", "2013-05-29T00:00:00+00:00",
     "Volume transfer management support."),
    ("VolumeTypeAccess", "os-volume-type-access", "2014-06-26T00:00:00Z",
     "Volume type access support."),
    ("VolumeTypeEncryption", "encryption", "2013-07-01T00:00:00+00:00",
     "Encryption support for volume types."),
    ("VolumeUnmanage", "os-volume-unmanage", "2012-05-31T00:00:00+00:00",
     "Enable volume unmanage operation."),
)
"""The standard extensions (name, alias, updated, the descriptor's docstring)."""


def _stamped(capabilities: dict[str, Any]) -> dict[str, Any]:
    """Virtual-second ``timestamp``/``updated`` as Cinder's datetimes serialize."""
    out = dict(capabilities)
    for key in ("timestamp", "updated"):
        if isinstance(out.get(key), (int, float)) and not isinstance(out[key], bool):
            out[key] = iso_time(float(out[key]))
    return out


@route("GET", "/scheduler-stats/get_pools")
async def get_pools(api: ApiService, req: ApiRequest) -> ApiResponse:
    enforce(api, req, "scheduler_extension:scheduler_stats:get_pools")
    detail = bool_param(req, "detail")
    filters: dict[str, Any] = {}
    if req.at_least("3.28"):
        filters = query_filters(req, "pool", skip=("detail",)) if req.at_least("3.31") \
            else {k: v[-1] for k, v in req.query.items() if k != "detail" and v}
    extra_specs = None
    type_ref = filters.pop("volume_type", None)
    if type_ref is not None and req.at_least("3.35"):
        from .volumes import resolve_volume_type  # noqa: PLC0415 (volumes imports views)

        extra_specs = dict(resolve_volume_type(api, req, type_ref).extra_specs)
    pools = await scheduler_pools(api, filters=filters, extra_specs=extra_specs)
    if detail:
        body = [{"name": p["name"], "capabilities": _stamped(p["capabilities"])}
                for p in pools]
    else:
        body = [{"name": p["name"]} for p in pools]
    return ApiResponse(200, {"pools": body})


@route("GET", "/capabilities/{host}")
async def capabilities(api: ApiService, req: ApiRequest, host: str) -> ApiResponse:
    enforce(api, req, "volume_extension:capabilities")
    rows = [r for r in api.env.db.services_of("cinder-volume")
            if host_matches(r.host, host) or host_matches(r.cluster_name, host)]
    if not rows:
        raise HTTPError(404, f"Can't find service: {host}")
    backend = rows[0].cluster_name or rows[0].host
    pools = await scheduler_pools(api, backend=rows[0].host)
    caps: dict[str, Any] = dict(pools[0]["capabilities"]) if pools else {}
    protocol = caps.get("storage_protocol")
    if isinstance(protocol, list):
        protocol = protocol[0] if protocol else None
    return ApiResponse(200, {
        "namespace": f"OS::Storage::Capabilities::{backend}",
        "vendor_name": caps.get("vendor_name"),
        "volume_backend_name": caps.get("volume_backend_name"),
        # The backend-level stats name no pool (the LVM driver reports one pool).
        "pool_name": None,
        "driver_version": caps.get("driver_version"),
        "storage_protocol": protocol,
        "display_name": caps.get("display_name"),
        "description": caps.get("description"),
        "visibility": caps.get("visibility"),
        "replication_targets": list(caps.get("replication_targets", [])),
        "properties": {k: dict(v) for k, v in STANDARD_PROPERTIES.items()},
    })


@route("GET", "/os-availability-zone")
async def availability_zones(api: ApiService, req: ApiRequest) -> ApiResponse:
    zones: dict[str, bool] = {}
    for row in api.env.db.services_of("cinder-volume"):
        up = not row.disabled and service_state(api, row)
        zones[row.availability_zone] = zones.get(row.availability_zone, False) or up
    return ApiResponse(200, {"availabilityZoneInfo": [
        {"zoneName": name, "zoneState": {"available": up}} for name, up in zones.items()]})


@route("GET", "/extensions")
async def extensions(api: ApiService, req: ApiRequest) -> ApiResponse:
    return ApiResponse(200, {"extensions": [
        {"name": name, "alias": alias, "description": doc, "updated": updated, "links": []}
        for name, alias, updated, doc in EXTENSIONS]})


@route("GET", "/resource_filters", "3.33")
async def resource_filters(api: ApiService, req: ApiRequest) -> ApiResponse:
    """The configured filters, all or of ``?resource=`` (none for an unknown one)."""
    wanted = req.q("resource")
    items = [{"resource": name, "filters": list(keys)} for name, keys in RESOURCE_FILTERS.items()
             if wanted is None or name == wanted]
    return ApiResponse(200, {"resource_filters": items})
