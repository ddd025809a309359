"""The admin completion actions Nova calls back with (``cinder/api/contrib/
admin_actions.py`` and ``cinder/volume/api.py``):

* ``os-migrate_volume_completion`` (200, ``{"save_volume_id": id}``):
  ``new_volume`` uuid required, ``error`` string/null/boolean.  Both volumes
  are fetched (404).  When neither is migrating (a plain Nova swap) the answer
  is the new volume's id, after moving the old volume's attachments onto the
  new one (detach + attach) unless ``error``.  Otherwise the source must be
  migrating, the destination must carry ``target:<source id>``, else 400; then
  an RPC ``call`` to the source's cinder-volume, whose answer is returned.
* ``os-extend_volume_completion`` (202): ``error`` string/null/boolean.  Cinder
  registers it without a microversion gate (3.71 only announces it).  The
  volume must be ``extending`` with ``extend_new_size`` and
  ``extend_reservations`` in its admin metadata (drivers that finish an
  extend through Nova leave them there; LVM never does), else 400.  The keys
  are removed and the manager commits or rolls back the reservation.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...errors import InvalidVolume
from ...states import Op, VolumeStatus
from .actions import _get, _object, _required, _target, volume_action
from .common import enforce, invalid_field, is_uuid_like
from .wsgi import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from .service import ApiService

__all__: list[str] = []

ACTOR = "cinder-api"
_TRUE = {"1", "t", "true", "on", "y", "yes"}


def _error_flag(value: Any) -> bool:
    """``{'type': ['string', 'null', 'boolean']}``, read with Python truthiness... except
    that Cinder passes the raw value on and the manager tests ``if error``."""
    if value is not None and not isinstance(value, (str, bool)):
        raise invalid_field("error", value, f"{value!r} is not of type 'string', 'null', "
                                            "'boolean'")
    return bool(value)


@volume_action("os-migrate_volume_completion")
async def _migrate_completion(api: ApiService, req: ApiRequest, volume_id: str,
                              inner: Any) -> ApiResponse:
    name = "os-migrate_volume_completion"
    body = _object(name, inner, ("new_volume", "error"))
    new_id = _required(name, body, "new_volume")
    if not isinstance(new_id, str) or not is_uuid_like(new_id):
        raise invalid_field("new_volume", new_id, f"{new_id!r} is not a 'uuid'")
    error = _error_flag(body.get("error"))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:migrate_volume_completion",
            vol.project_id)
    new = _get(api, req, new_id)
    enforce(api, req, "volume_extension:volume_admin_actions:migrate_volume_completion",
            vol.project_id)
    if not (vol.migration_status or new.migration_status):
        if not error:
            for att in api.env.db.attachments_of(vol.id):
                await api.env.bus.call(ACTOR, _target(vol), "detach_volume", volume_id=vol.id,
                                       attachment_id=att.id, op=str(Op.DETACH))
                await api.env.bus.call(ACTOR, _target(new), "attach_volume", volume_id=new.id,
                                       instance_uuid=att.instance_uuid,
                                       host_name=att.attached_host,
                                       mountpoint=att.mountpoint, mode="rw")
        return ApiResponse(200, {"save_volume_id": new.id})
    if not vol.migration_status:
        raise InvalidVolume(reason="Source volume not mid-migration.")
    if not new.migration_status:
        raise InvalidVolume(reason="Destination volume not mid-migration.")
    expected = f"target:{vol.id}"
    if new.migration_status != expected:
        raise InvalidVolume(reason=f"Destination has migration_status "
                                   f"{new.migration_status}, expected {expected}.")
    saved = await api.env.bus.call(ACTOR, _target(vol), "migrate_volume_completion",
                                   volume_id=vol.id, new_volume_id=new.id, error=error)
    return ApiResponse(200, {"save_volume_id": saved})


@volume_action("os-extend_volume_completion")
async def _extend_completion(api: ApiService, req: ApiRequest, volume_id: str,
                             inner: Any) -> ApiResponse:
    body = _object("os-extend_volume_completion", inner, ("error",))
    error = _error_flag(body.get("error"))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:extend_volume_completion",
            vol.project_id)
    if vol.status != VolumeStatus.EXTENDING:
        raise InvalidVolume(reason="Volume is not being extended.")
    try:
        new_size = int(vol.admin_metadata["extend_new_size"])
        reservations = json.loads(vol.admin_metadata["extend_reservations"])
    except (KeyError, ValueError):
        raise InvalidVolume(reason="Required volume admin metadata is malformed or "
                                   "missing.") from None
    if new_size <= vol.size:
        raise InvalidVolume(reason="The target volume size provided in volume admin metadata "
                                   f"{vol.admin_metadata['extend_new_size']} is smaller or "
                                   "equal to the current volume size.")
    if not isinstance(reservations, list):
        raise InvalidVolume(reason="The stored quota reservations for extending the volume "
                                   "must be in a list format.")
    del vol.admin_metadata["extend_new_size"]
    del vol.admin_metadata["extend_reservations"]
    api.env.bus.cast(ACTOR, _target(vol), "extend_volume_completion", volume_id=vol.id,
                     new_size=new_size, reservations=[str(r) for r in reservations],
                     error=error)
    return ApiResponse(202, None)
