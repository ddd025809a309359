"""``os-retype`` and ``os-migrate_volume`` on ``POST /volumes/{id}/action``
(``cinder/api/contrib/volume_actions.py``, ``admin_actions.py`` and
``cinder/volume/api.py::retype`` / ``migrate_volume``).

Every check runs before any write, so a refused request changes nothing:

* retype (``volume:retype``, member): ``new_type`` required, ``migration_policy``
  ``never`` (default), ``on-demand`` or null.  The type is looked up elevated
  (404 when missing; private types are found); a multiattach change needs
  ``available``; then one combined 400 for status not ``available``/``in-use``,
  an active migration, a group, or the same type.  Quota: reserve
  ``volumes_<new>``/``gigabytes_<new>`` and a negative ``volumes_<old>``/
  ``gigabytes_<old>`` (the totals do not move).  Then ``retyping``
  (``previous_status`` saved), a cast to the scheduler, and the volume's
  ``multiattach`` follows the new type.  202.
* migrate (admin only): ``host`` required, ``force_host_copy``/``lock_volume``
  booleans.  The destination service must exist and be up ("Invalid host: No
  available service named ..."), then one combined 400 for status not
  ``available``/``in-use``, an active migration, snapshots, a group, or the
  current backend as destination.  ``migration_status`` ``starting``
  (``previous_status`` saved); ``lock_volume`` turns an available volume
  ``maintenance``.  202.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...errors import (
    InvalidInput,
    InvalidVolume,
    OverQuota,
    VolumeTypeNotFound,
    VolumeTypeNotFoundByName,
)
from ...states import MigrationStatus, Op, VolumeStatus
from ..quota import over_quota_error
from ..scheduler.request_spec import RequestSpec
from ..volume_utils import extract_host
from .actions import _boolean, _get, _object, _required, volume_action
from .attachments import is_uuid_like
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
    db = api.env.db
    vtype = db.volume_types.get(ref)
    if vtype is None and not is_uuid_like(ref):
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
    env = api.env
    db = env.db
    body = _object("os-retype", inner, ("new_type", "migration_policy"))
    new_ref = _required("os-retype", body, "new_type")
    if not isinstance(new_ref, str):
        raise invalid_field("os-retype/new_type", new_ref, f"{new_ref!r} is not of type "
                                                           "'string'")
    policy = body.get("migration_policy")
    if policy is not None and policy not in _POLICIES:
        raise invalid_field("os-retype/migration_policy", policy,
                            f"{policy!r} is not one of ['on-demand', 'never', None]")
    policy = policy or "never"
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume:retype", vol.project_id)
    # VolumeType.get_by_name_or_id, elevated: private types are found too; a
    # uuid-like ref is looked up by id only.
    new_type = _find_type(api, new_ref)
    if new_type is None:
        if is_uuid_like(new_ref):
            raise VolumeTypeNotFound(volume_type_id=new_ref)
        raise VolumeTypeNotFoundByName(volume_type_name=new_ref)
    if vol.multiattach != _multiattach(new_type) and vol.status != VolumeStatus.AVAILABLE:
        raise InvalidInput(reason="Invalid volume_type passed, retypes affecting multiattach "
                                  "are only allowed on available volumes, the specified "
                                  f"volume however currently has a status of: {vol.status}.")
    if _multiattach(new_type) and new_type.encryption:
        raise InvalidInput(reason="Retype requested both encryption and multi-attach, which "
                                  "is not supported.")
    old_type = db.volume_types.get(vol.volume_type_id or "")
    # Cinder reserves first and rolls back when the conditional update fails; checking
    # the conditions before reserving gives the same answers and changes nothing.
    if (vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE)
            or vol.migration_status not in _ACTIVE_OK or vol.group_id
            or vol.consistencygroup_id or new_type.id == vol.volume_type_id):
        raise InvalidVolume(reason="Retype needs volume to be in available or in-use state, "
                                   "not be part of an active migration or a consistency "
                                   "group, requested type has to be different that the one "
                                   "from the volume, and for in-use volumes front-end qos "
                                   "specs cannot change.")
    new_deltas = {f"volumes_{new_type.name}": 1, f"gigabytes_{new_type.name}": vol.size}
    try:
        reservations = env.quota.reserve(vol.project_id, new_deltas)
    except OverQuota as exc:
        raise over_quota_error(exc, "volumes", vol.size) from exc
    old_reservations: list[str] = []
    if old_type is not None:
        old_reservations = env.quota.reserve(vol.project_id, {
            f"volumes_{old_type.name}": -1, f"gigabytes_{old_type.name}": -vol.size})
    vol.previous_status = str(vol.status)
    db.transition(vol, VolumeStatus.RETYPING, op=Op.RETYPE, actor=ACTOR,
                  reason=f"retype to {new_type.name} (migration_policy {policy})")
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "retype", volume_id=vol.id,
                   request_spec=_spec(vol, new_type), migration_policy=policy,
                   reservations=reservations, old_reservations=old_reservations)
    vol.multiattach = _multiattach(new_type)  # the API writes it after the cast, as Cinder
    return ApiResponse(202, None)


@volume_action("os-migrate_volume")
async def _migrate(api: ApiService, req: ApiRequest, volume_id: str,
                   inner: Any) -> ApiResponse:
    env = api.env
    db = env.db
    body = _object("os-migrate_volume", inner, ("host", "force_host_copy", "lock_volume"))
    host = _required("os-migrate_volume", body, "host")
    if not isinstance(host, str) or not host:
        raise invalid_field("os-migrate_volume/host", host, f"{host!r} is not of type "
                                                            "'string'")
    force_host_copy = _boolean("force_host_copy", body.get("force_host_copy", False))
    lock_volume = _boolean("lock_volume", body.get("lock_volume", False))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:migrate_volume", vol.project_id)
    # ``volume_api.migrate_volume``: the destination's row must exist and be up.
    svc = env.db.services.get(("cinder-volume", extract_host(host) or host))
    down_time = float(env.config.default["service_down_time"])
    if svc is None or not svc.is_up(env.sim.now(), down_time):
        raise HTTPError(400, f"Invalid host: No available service named '{host}'")
    # Cinder compares the given string with the volume's host; a bare host@backend
    # naming the volume's own backend is refused here too (a generic copy onto the
    # same volume group would collide with the source LV).
    same = host == vol.host or extract_host(host) == extract_host(vol.host or "")
    if (vol.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE)
            or vol.migration_status not in _ACTIVE_OK or db.snapshots_of(vol.id)
            or vol.group_id or vol.consistencygroup_id or same):
        raise InvalidVolume(reason=f"Volume {vol.id} status must be available or in-use, "
                                   "must not be migrating, have snapshots, be replicated, be "
                                   "part of a group and destination host/cluster must be "
                                   "different than the current one")
    vtype = db.volume_types.get(vol.volume_type_id or "")
    vol.previous_status = str(vol.status)
    db.transition(vol, MigrationStatus.STARTING, op=Op.MIGRATE, actor=ACTOR,
                  field="migration_status", reason=f"to {host}")
    if lock_volume and vol.status == VolumeStatus.AVAILABLE:
        db.transition(vol, VolumeStatus.MAINTENANCE, op=Op.MIGRATE, actor=ACTOR,
                      reason="lock_volume")
    spec = (_spec(vol, vtype) if vtype is not None
            else RequestSpec(size=vol.size, volume_id=vol.id, project_id=vol.project_id))
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "migrate_volume", volume_id=vol.id,
                   host=host, force_host_copy=force_host_copy, request_spec=spec)
    return ApiResponse(202, None)
