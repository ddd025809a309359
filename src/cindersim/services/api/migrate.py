"""``os-retype`` and ``os-migrate_volume`` on ``POST /volumes/{id}/action``
(``cinder/api/contrib/volume_actions.py``, ``admin_actions.py`` and
``cinder/volume/api.py::retype`` / ``migrate_volume``).

Every check runs before any write, so a refused request changes nothing:

* retype (``volume:retype``, member): ``new_type`` required, ``migration_policy``
  ``never`` (default) or ``on-demand``; status ``available``/``in-use``; not in an
  active migration; not in a group; the new type must exist (by id or name) and
  differ; a multiattach change needs ``available``.  Quota: reserve
  ``volumes_<new>``/``gigabytes_<new>`` and a negative ``volumes_<old>``/
  ``gigabytes_<old>`` (the totals do not move).  Then ``retyping``
  (``previous_status`` saved) and a cast to the scheduler.  202.
* migrate (admin only): ``host`` required, ``force_host_copy``/``lock_volume``
  booleans; status ``available``/``in-use``; not migrating; no snapshots; not in
  a group; the destination service must exist and be up; it must differ from the
  current host.  ``migration_status`` ``starting``; ``lock_volume`` turns an
  available volume ``maintenance``.  202.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...errors import InvalidInput, InvalidVolume, OverQuota
from ...states import MigrationStatus, Op, VolumeStatus
from ..filters import RequestSpec
from ..host_manager import extract_host
from ..quota import over_quota_error
from .actions import _boolean, _get, _object, _required, volume_action
from .common import enforce, invalid_field
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from ...db import Volume, VolumeType
    from .service import ApiService

__all__: list[str] = []

ACTOR = "cinder-api"
_ACTIVE_OK = (None, "deleting", "error", "success")
_POLICIES = ("on-demand", "never")


def _multiattach(vtype: VolumeType | None) -> bool:
    value = vtype.extra_specs.get("multiattach") if vtype is not None else None
    return isinstance(value, str) and value.strip().lower() in ("<is> true", "true")


def _find_type(api: ApiService, ref: str) -> VolumeType | None:
    db = api.cloud.db
    vtype = db.volume_types.get(ref)
    if vtype is None:
        vtype = next((t for t in db.volume_types.values() if t.name == ref), None)
    return vtype


def _spec(vol: Volume, vtype: VolumeType) -> RequestSpec:
    return RequestSpec(size=vol.size, volume_id=vol.id, volume_type_name=vtype.name,
                       volume_type_id=vtype.id, extra_specs=dict(vtype.extra_specs),
                       availability_zone=None, attach_status=str(vol.attach_status),
                       multiattach=_multiattach(vtype), project_id=vol.project_id,
                       user_id=vol.user_id)


@volume_action("os-retype")
async def _retype(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    cloud = api.cloud
    db = cloud.db
    body = _object("os-retype", inner, ("new_type", "migration_policy"))
    new_ref = _required("os-retype", body, "new_type")
    if not isinstance(new_ref, str):
        raise invalid_field("os-retype/new_type", new_ref, f"{new_ref!r} is not of type "
                                                           "'string'")
    policy = body.get("migration_policy", "never")
    if policy not in _POLICIES:
        raise invalid_field("os-retype/migration_policy", policy,
                            f"{policy!r} is not one of ['on-demand', 'never']")
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume:retype", vol.project_id)
    if vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
        raise InvalidVolume(reason=f"Unable to update type due to incorrect status: "
                                   f"{vol.status} on volume: {vol.id}. Volume status must be "
                                   "available or in-use.")
    if vol.migration_status not in _ACTIVE_OK:
        raise InvalidVolume(reason=f"Volume {vol.id} is already part of an active migration.")
    if vol.group_id:
        raise InvalidVolume(reason="Volume must not be part of a group.")
    new_type = _find_type(api, new_ref)
    if new_type is None or not (new_type.is_public or req.context.is_admin
                                or req.context.project_id in new_type.projects):
        raise InvalidInput(reason=f"Invalid volume_type passed: {new_ref}.")
    if new_type.id == vol.volume_type_id:
        raise InvalidInput(reason=f"New volume_type same as original: {new_ref}.")
    old_type = db.volume_types.get(vol.volume_type_id or "")
    if (_multiattach(old_type) != _multiattach(new_type)
            and vol.status != VolumeStatus.AVAILABLE):
        raise InvalidInput(reason="Changing multiattach setting requires the volume to be "
                                  "in available status.")
    new_deltas = {f"volumes_{new_type.name}": 1, f"gigabytes_{new_type.name}": vol.size}
    try:
        reservations = cloud.quota.reserve(vol.project_id, new_deltas)
    except OverQuota as exc:
        raise over_quota_error(exc, "volumes", vol.size) from exc
    old_reservations: list[str] = []
    if old_type is not None:
        old_reservations = cloud.quota.reserve(vol.project_id, {
            f"volumes_{old_type.name}": -1, f"gigabytes_{old_type.name}": -vol.size})
    vol.previous_status = str(vol.status)
    db.transition(vol, VolumeStatus.RETYPING, op=Op.RETYPE, actor=ACTOR,
                  reason=f"retype to {new_type.name} (migration_policy {policy})")
    cloud.bus.cast(ACTOR, Target("cinder-scheduler"), "retype", volume_id=vol.id,
                   request_spec=_spec(vol, new_type), migration_policy=policy,
                   reservations=reservations, old_reservations=old_reservations)
    return ApiResponse(202, None)


@volume_action("os-migrate_volume")
async def _migrate(api: ApiService, req: ApiRequest, volume_id: str,
                   inner: Any) -> ApiResponse:
    cloud = api.cloud
    db = cloud.db
    body = _object("os-migrate_volume", inner, ("host", "force_host_copy", "lock_volume"))
    host = _required("os-migrate_volume", body, "host")
    if not isinstance(host, str) or not host:
        raise invalid_field("os-migrate_volume/host", host, f"{host!r} is not of type "
                                                            "'string'")
    force_host_copy = _boolean("force_host_copy", body.get("force_host_copy", False))
    lock_volume = _boolean("lock_volume", body.get("lock_volume", False))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:migrate_volume", vol.project_id)
    if vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
        raise InvalidVolume(reason=f"Volume {vol.id} status must be available or in-use, but "
                                   f"current status is: {vol.status}.")
    if vol.migration_status not in _ACTIVE_OK:
        raise InvalidVolume(reason=f"Volume {vol.id} is already part of an active migration.")
    if db.snapshots_of(vol.id):
        raise InvalidVolume(reason=f"Volume {vol.id} must not have snapshots.")
    if vol.group_id:
        raise InvalidVolume(reason=f"Volume {vol.id} must not be part of a group.")
    svc = cloud.volume_services.get(extract_host(host) or host)
    if svc is None or not svc.running:
        raise HTTPError(400, f"Invalid host: No available service named '{host}'")
    if extract_host(host) == extract_host(vol.host or "") and (
            extract_host(host, "pool") is None or host == vol.host):
        raise HTTPError(400, "Invalid host: Destination host must be different than the "
                             "current host.")
    vtype = db.volume_types.get(vol.volume_type_id or "")
    vol.previous_status = str(vol.status)
    db.transition(vol, MigrationStatus.STARTING, op=Op.MIGRATE, actor=ACTOR,
                  field="migration_status", reason=f"to {host}")
    if lock_volume and vol.status == VolumeStatus.AVAILABLE:
        db.transition(vol, VolumeStatus.MAINTENANCE, op=Op.MIGRATE, actor=ACTOR,
                      reason="lock_volume")
    spec = (_spec(vol, vtype) if vtype is not None
            else RequestSpec(size=vol.size, volume_id=vol.id, project_id=vol.project_id))
    cloud.bus.cast(ACTOR, Target("cinder-scheduler"), "migrate_volume", volume_id=vol.id,
                   host=host, force_host_copy=force_host_copy, request_spec=spec)
    return ApiResponse(202, None)
