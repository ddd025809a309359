"""``os-extend``: grow a volume (``cinder/api/contrib/volume_actions.py::_extend``,
``cinder/volume/api.py::_extend``).

The action controller (:mod:`.actions`) fetches the volume (404 for a missing or
another project's id) and hands the body here.  What Cinder does, in order:

1. The body schema: ``{"os-extend": {"new_size": <int or digit string >= 1>}}``,
   ``new_size`` required, nothing else allowed.
2. Policy: ``volume:extend``; from microversion 3.42 an ``in-use`` volume is
   extended through ``extend_attached_volume`` and its own policy
   ``volume:extend_attached_volume`` (so an operator can forbid online extends).
3. ``new_size - size`` must be positive, else 400 "New size for extend must be
   greater than current size. (current: S, extended: N)." (InvalidInput).
4. The status must be ``available`` (or ``in-use`` for an attached extend at
   >= 3.42), else 400 with Cinder's odd wording, which prints the expected dict:
   "Volume <id> status must be '{'status': 'available'}' to extend, currently
   <status>.".
5. ``per_volume_gigabytes`` is a limit check on ``new_size``; then the delta is
   reserved on ``gigabytes`` (and ``gigabytes_<type>``): an excess is a 413
   ``VolumeSizeExceedsAvailableQuota`` naming ``gigabytes``.  Cinder sets
   ``extending`` before the quota steps and rolls it back when they fail; here
   every check runs before the write so a refused request changes nothing at all,
   which is the same observable result.
6. The volume becomes ``extending`` with ``previous_status`` saved, and the API
   casts ``extend_volume`` to cinder-scheduler (Ocata onwards), which checks the
   volume's own backend with ``backend_passes_filters(new_size=...)``.  The
   reservation is committed or rolled back later: by the volume manager (success
   or driver failure) or by the scheduler (no valid backend).  202, empty body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume
from ...errors import InvalidInput, InvalidVolume, OverQuota, VolumeSizeExceedsAvailableQuota
from ...states import Op, VolumeStatus
from ..scheduler.request_spec import RequestSpec
from .common import check_keys, enforce, invalid_field, opt_int
from .wsgi import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["extend", "extend_deltas"]

ACTOR = "cinder-api"


def extend_deltas(api: ApiService, vol: Volume, delta: int) -> dict[str, int]:
    """``{'gigabytes': delta}`` plus the type's ``gigabytes_<type>`` (add_volume_type_opts)."""
    deltas = {"gigabytes": delta}
    vtype = api.env.db.volume_types.get(vol.volume_type_id or "")
    if vtype is not None:
        deltas[f"gigabytes_{vtype.name}"] = delta
    return deltas


def _new_size(body: Any) -> int:
    """Validate the action body as Cinder's ``volume_action.extend`` schema does.

    Accepts the whole action body (``{"os-extend": {...}}``) or just its value.
    """
    inner = body.get("os-extend", body) if isinstance(body, dict) else body
    if not isinstance(inner, dict):
        raise invalid_field("os-extend", inner, f"{inner!r} is not of type 'object'")
    if "new_size" not in inner:
        raise invalid_field("os-extend", inner, "'new_size' is a required property")
    check_keys(inner, ("new_size",), strict=True)
    if inner["new_size"] is None:
        raise invalid_field("os-extend/new_size", None,
                            "None is not of type 'integer', 'string'")
    size = opt_int(inner, "new_size", minimum=1)
    assert size is not None
    return size


async def extend(api: ApiService, req: ApiRequest, vol: Volume, body: Any) -> ApiResponse:
    """``POST /volumes/{id}/action {"os-extend": {"new_size": N}}`` -> 202."""
    env = api.env
    db = env.db
    new_size = _new_size(body)
    attached = req.at_least("3.42") and vol.status == VolumeStatus.IN_USE
    enforce(api, req, "volume:extend_attached_volume" if attached else "volume:extend",
            vol.project_id)
    delta = new_size - vol.size
    if delta <= 0:
        raise InvalidInput(reason="New size for extend must be greater than current size. "
                                  f"(current: {vol.size}, extended: {new_size}).")
    expected = VolumeStatus.IN_USE if attached else VolumeStatus.AVAILABLE
    if vol.status != expected:
        shown = str({"status": str(expected)})
        raise InvalidVolume(reason=f"Volume {vol.id} status must be '{shown}' to extend, "
                                   f"currently {vol.status}.")
    env.quota.check_per_volume(new_size, vol.project_id)
    try:
        reservations = env.quota.reserve(vol.project_id, extend_deltas(api, vol, delta))
    except OverQuota as exc:
        # Cinder reads the plain gigabytes usage even when a per-type key was over.
        usage = exc.usages.get("gigabytes", {"in_use": 0, "reserved": 0})
        quota = exc.quotas.get("gigabytes", env.quota.limit(vol.project_id, "gigabytes"))
        raise VolumeSizeExceedsAvailableQuota(
            name="gigabytes", requested=delta, consumed=usage["reserved"] + usage["in_use"],
            quota=quota) from exc
    vol.previous_status = str(vol.status)
    db.transition(vol, VolumeStatus.EXTENDING, op=Op.EXTEND, actor=ACTOR,
                  reason=f"extend {vol.size}G -> {new_size}G")
    vtype = db.volume_types.get(vol.volume_type_id or "")
    spec = RequestSpec(size=vol.size, volume_id=vol.id,
                       volume_type_name=vtype.name if vtype else None,
                       volume_type_id=vol.volume_type_id,
                       extra_specs=dict(vtype.extra_specs) if vtype else {},
                       availability_zone=vol.availability_zone, operation="extend_volume",
                       attach_status=str(vol.attach_status), multiattach=vol.multiattach,
                       project_id=vol.project_id, user_id=vol.user_id)
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "extend_volume", volume_id=vol.id,
                   new_size=new_size, reservations=reservations, request_spec=spec)
    return ApiResponse(202, None)
