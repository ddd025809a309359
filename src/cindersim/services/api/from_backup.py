"""``POST /volumes {"volume": {"backup_id": ...}}`` (3.47): a volume created from a backup.

As Cinder: the backup must be visible to the caller (404 otherwise) and
``available`` ("Originating backup status must be one of 'available' values");
the size defaults to the backup's and may not be smaller; quota and scheduling
are a plain create's.  On the chosen backend the volume manager
(``_create_from_backup``, no driver-assisted path for LVM) creates a blank LV,
sets the backup ``restoring`` and casts ``restore_backup(volume_is_new=True)``
to cinder-backup; the volume stays ``creating`` until the restore ends it
``available``.

The manager part wraps the ``create_volume`` method of each cinder-volume: a
volume this module created is recognised by id; every other create goes to the
ordinary flow untouched.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume
from ...errors import CinderException, InvalidBackup, InvalidInput, OverQuota
from ...states import BackupStatus, Op, VolumeStatus
from ..quota import over_quota_error
from ..scheduler.request_spec import RequestSpec
from .common import opt_int, opt_metadata, opt_str, read_scope
from .views import volume_detail
from .volumes import resolve_availability_zone, resolve_volume_type, spec_is_true
from .wsgi import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from ..env import ServiceEnv
    from ..volume.manager import VolumeService
    from .service import ApiService

__all__ = ["create_from_backup", "wrap_service"]

ACTOR = "cinder-api"

_PENDING: weakref.WeakKeyDictionary[ServiceEnv, dict[str, str]] = weakref.WeakKeyDictionary()
"""Per env: volume id -> the backup it is being created from."""


def _pending(env: ServiceEnv) -> dict[str, str]:
    return _PENDING.setdefault(env, {})


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
    vol = Volume(id=env.sim.ids.uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                 size=size, availability_zone=az, display_name=name,
                 display_description=description, volume_type_id=vtype.id,
                 metadata=opt_metadata(body) or {}, multiattach=multiattach,
                 encrypted=bool(vtype.encryption))
    db.add(vol, op=Op.CREATE_FROM_SOURCE, actor=ACTOR)
    env.quota.commit(reservations)
    _pending(env)[vol.id] = backup.id
    spec = RequestSpec(size=size, volume_id=vol.id, volume_type_name=vtype.name,
                       volume_type_id=vtype.id, extra_specs=dict(vtype.extra_specs),
                       availability_zone=az, multiattach=multiattach,
                       project_id=ctx.project_id, user_id=ctx.user_id)
    env.bus.cast(ACTOR, Target("cinder-scheduler"), "create_volume", volume_id=vol.id,
                   request_spec=spec, filter_properties={})
    return ApiResponse(202, {"volume": volume_detail(api, req, vol)})


Method = Callable[..., Awaitable[Any]]


def wrap_service(svc: VolumeService) -> None:
    """Route creates of volumes made from a backup to :func:`_manager_create`."""
    ordinary = svc.methods["create_volume"]

    def create_volume(svc: VolumeService, **kwargs: Any) -> Awaitable[None]:
        # Returns the chosen flow's coroutine (no wrapper frame to resume).
        backup_id = _pending(svc.env).pop(kwargs.get("volume_id", ""), None)
        if backup_id is None:
            return ordinary(svc, **kwargs)
        return _manager_create(svc, kwargs["volume_id"], backup_id)

    svc.methods["create_volume"] = create_volume


async def _manager_create(svc: VolumeService, volume_id: str, backup_id: str) -> None:
    """``_create_from_backup``: blank LV, backup ``restoring``, cast ``restore_backup``."""
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    backup = db.backups.get(backup_id)
    try:
        if backup is None or backup.status != BackupStatus.AVAILABLE:
            raise InvalidBackup(reason=f"backup {backup_id} is no longer available")
        await svc.drive("create_volume", svc.driver.create_volume, vol,
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        if vol.id in db.volumes:
            db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE_FROM_SOURCE, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    if vol.id not in db.volumes:
        return
    svc.allocated_capacity_gb += vol.size
    vol.launched_at = db.stamp()
    if db.backups.get(backup_id) is not backup or backup.status != BackupStatus.AVAILABLE:
        # The backup was deleted while the LV was made (the API lets a delete through:
        # the backup is still 'available' until this point).  Cinder's manager would
        # overwrite 'deleting' with 'restoring' and the restore would then find no
        # backup; here the new volume fails at once, its LV kept like any volume's
        # in error, which a delete removes.
        db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE_FROM_SOURCE, actor=svc.actor,
                      reason=f"InvalidBackup: backup {backup_id} is no longer available")
        return
    db.transition(backup, BackupStatus.RESTORING, op=Op.BACKUP_RESTORE, actor=svc.actor,
                  reason=f"restoring into new volume {vol.id[:8]}")
    env.bus.cast(svc.actor, Target("cinder-backup", backup.host or ""), "restore_backup",
                   backup_id=backup.id, volume_id=vol.id, volume_is_new=True)
