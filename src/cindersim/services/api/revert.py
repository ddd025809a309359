"""``revert`` on ``POST /volumes/{id}/action`` (3.40; ``cinder/api/v3/volumes.py``
``revert`` and ``cinder/volume/api.py::revert_to_snapshot``).

Below 3.40 the action does not exist (404).  Then, in Cinder's order:

1. ``{"revert": {"snapshot_id": <string or null>}}`` (other keys are allowed).
2. The volume (404; ``volume:get``).
3. Its latest snapshot by ``created_at`` (any status): none is 400 "Volume <id>
   doesn't have any snapshots."; a ``snapshot_id`` that is missing or not that
   one is 400 "Specified snapshot <s> is None or not the latest one of volume
   <v>."; a volume whose size changed since is 400.
4. Policy ``volume:revert_to_snapshot``.
5. Volume ``available`` -> ``reverting``, else 409 (InvalidVolume turned into
   HTTPConflict); then snapshot ``available`` -> ``restoring``, else 409.  These
   are two separate conditional updates in Cinder: when the snapshot check
   fails the volume stays ``reverting`` (a real Cinder quirk, kept).
6. Cast ``revert_to_snapshot`` to the volume's cinder-volume.  202.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...states import Op, SnapshotStatus, VolumeStatus
from .actions import _get, _target, volume_action
from .common import enforce, invalid_field
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__: list[str] = []

ACTOR = "cinder-api"


@volume_action("revert")
async def _revert(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    if not req.at_least("3.40"):
        raise HTTPError(404, "The resource could not be found.")
    if not isinstance(inner, dict):
        raise invalid_field("revert", inner, f"{inner!r} is not of type 'object'")
    snapshot_id = inner.get("snapshot_id")
    if snapshot_id is not None and not isinstance(snapshot_id, str):
        raise invalid_field("snapshot_id", snapshot_id,
                            f"{snapshot_id!r} is not of type 'string', 'null'")
    db = api.env.db
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume:get", vol.project_id)
    # snapshot_get_latest_for_volume: newest created_at first (ties: the later row).
    snaps = db.snapshots_of(vol.id)
    if not snaps:
        raise HTTPError(400, f"Volume {vol.id} doesn't have any snapshots.")
    order = {s.id: i for i, s in enumerate(snaps)}
    latest = max(snaps, key=lambda s: (s.created_at or "", order[s.id]))
    if snapshot_id is None or snapshot_id != latest.id:
        raise HTTPError(400, f"Specified snapshot {snapshot_id} is None or not the latest one "
                             f"of volume {vol.id}.")
    if vol.size != latest.volume_size:
        raise HTTPError(400, f"Can't revert volume {vol.id} to its latest snapshot "
                             f"{snapshot_id}. The volume size must be equal to the snapshot "
                             "size.")
    enforce(api, req, "volume:revert_to_snapshot", vol.project_id)
    if vol.status != VolumeStatus.AVAILABLE:
        raise HTTPError(409, f"Invalid volume: Can't revert volume {vol.id} to its latest "
                             f"snapshot {latest.id}. Volume's status must be 'available'.")
    db.transition(vol, VolumeStatus.REVERTING, op=Op.REVERT, actor=ACTOR,
                  reason=f"to snapshot {latest.id[:8]}")
    if latest.status != SnapshotStatus.AVAILABLE:
        raise HTTPError(409, f"Invalid snapshot: Can't revert volume {vol.id} to its latest "
                             f"snapshot {latest.id}. Snapshot's status must be 'available'.")
    db.transition(latest, SnapshotStatus.RESTORING, op=Op.REVERT, actor=ACTOR)
    api.env.bus.cast(ACTOR, _target(vol), "revert_to_snapshot", volume_id=vol.id,
                     snapshot_id=latest.id)
    return ApiResponse(202, None)
