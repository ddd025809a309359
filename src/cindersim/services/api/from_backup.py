"""``POST /volumes {"volume": {"backup_id": ...}}`` (3.47): a volume created from a backup.

As Cinder: the backup must be visible to the caller (404 otherwise) and
``available`` ("Originating backup status must be one of 'available' values");
the size defaults to the backup's and may not be smaller; quota and scheduling
are a plain create's.  On the chosen backend the volume manager
(``_create_from_backup``, no driver-assisted path for LVM) creates a blank LV,
sets the backup ``restoring`` and casts ``restore_backup(volume_is_new=True)``
to cinder-backup; the volume stays ``creating`` until the restore ends it
``available``.

``backup_id`` travels with the ``create_volume`` casts to the scheduler and on to
the chosen volume manager; the manager's half is :mod:`cindersim.services.volume.from_backup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume
from ...errors import InvalidBackup, InvalidInput, OverQuota
from ...states import BackupStatus, Op
from ..encryption_keys import clone_encryption_key, create_encryption_key
from ..quota import over_quota_error
from ..scheduler.request_spec import RequestSpec
from .common import opt_int, opt_metadata, opt_str, read_scope
from .views import volume_detail
from .volumes import resolve_availability_zone, resolve_volume_type, spec_is_true
from .wsgi import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["create_from_backup"]

ACTOR = "cinder-api"

async def create_from_backup(api: ApiService, req: ApiRequest, body: dict[str, Any],
                             backup_id: str) -> ApiResponse:
    """The rest of ``POST /volumes`` once ``backup_id`` is known (the body is validated)."""
    env = api.env
    db = env.db
    ctx = req.context
    backup = db.get_backup(backup_id, read_scope(req))
    if backup.status != BackupStatus.AVAILABLE:
        raise InvalidBackup(reason="Originating backup status must be one of 'available' "
                                   "values")
    size = opt_int(body, "size", minimum=1)
    if size is None:
        size = backup.size
    if size < backup.size:
        raise InvalidInput(reason=f"Volume size '{size}'GB cannot be smaller than the backup "
                                  f"size {backup.size}GB. It must be >= backup size.")
    vtype = resolve_volume_type(api, req, opt_str(body, "volume_type"))
    az = resolve_availability_zone(api, opt_str(body, "availability_zone"))
    env.quota.check_per_volume(size, ctx.project_id)
    try:
        reservations = env.quota.reserve(ctx.project_id,
                                           env.quota.volume_deltas(size, vtype.name))
    except OverQuota as exc:
        raise over_quota_error(exc, "volumes", size) from exc
    name = opt_str(body, "name") or opt_str(body, "display_name")
    description = opt_str(body, "description") or opt_str(body, "display_description")
    multiattach = spec_is_true(vtype.extra_specs.get("multiattach"))
    # Cinder makes a new key for the encrypted type, and the restore then swaps it for
    # a clone of the backup's key; the volume starts with that clone here.
    try:
        if vtype.encryption and backup.encryption_key_id:
            key_id = await clone_encryption_key(api.key_manager, ctx.auth_token,
                                                backup.encryption_key_id)
        else:
            key_id = await create_encryption_key(api.key_manager, ctx.auth_token,
                                                 vtype.encryption)
    except Exception:
        env.quota.rollback(reservations)
        raise
    vol = Volume(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                 size=size, availability_zone=az, display_name=name,
                 display_description=description, volume_type_id=vtype.id,
                 metadata=opt_metadata(body) or {}, multiattach=multiattach,
                 encrypted=bool(vtype.encryption), encryption_key_id=key_id)
    db.add(vol, op=Op.CREATE_FROM_SOURCE, actor=ACTOR)
    env.quota.commit(reservations)
    spec = RequestSpec(size=size, volume_id=vol.id, volume_type_name=vtype.name,
                       volume_type_id=vtype.id, extra_specs=dict(vtype.extra_specs),
                       availability_zone=az, multiattach=multiattach,
                       project_id=ctx.project_id, user_id=ctx.user_id)
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "create_volume", volume_id=vol.id,
                   request_spec=spec, filter_properties={}, backup_id=backup.id)
    return ApiResponse(202, {"volume": volume_detail(api, req, vol)})
