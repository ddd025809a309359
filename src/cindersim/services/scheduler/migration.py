"""cinder-scheduler's ``retype`` and ``migrate_volume`` (``SchedulerManager.retype`` /
``migrate_volume`` with ``FilterScheduler.find_retype_backend`` /
``backend_passes_filters``); cinder-volume's half is
:mod:`cindersim.services.volume.migrate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume
from ...errors import NoValidBackend
from ...states import MigrationStatus, Op, VolumeStatus
from ..volume_utils import extract_host
from .filter_scheduler import _weighted_candidates
from .request_spec import RequestSpec

if TYPE_CHECKING:
    from .manager import SchedulerService

__all__ = ["scheduler_migrate", "scheduler_retype"]

SCHED = "cinder-scheduler"


def _weighed(sched: SchedulerService, spec: RequestSpec, vol_exists_on: str | None) -> Any:
    env = sched.env
    sched.refresh_heartbeats()
    sched.decisions += 1
    db = env.db

    def volume_host(vid: str) -> str | None:
        v = db.volumes.get(vid)
        return v.host if v else None

    def volume_number(backend_id: str) -> int:
        return sum(1 for v in db.volumes.values() if v.host == backend_id)

    return _weighted_candidates(sched.host_manager, spec, "find_retype_backend",
                                config=sched.config, now=env.sim.now(), retry=None,
                                new_size=None, vol_exists_on=vol_exists_on,
                                scheduler_hints=None, rng=env.sim.rng,
                                volume_host=volume_host, volume_number=volume_number).decision


def _back_to_previous(sched: SchedulerService, vol: Volume, op: str, actor: str,
                      reason: str) -> None:
    previous = vol.previous_status or VolumeStatus.AVAILABLE
    if vol.status in (VolumeStatus.RETYPING, VolumeStatus.MAINTENANCE):
        sched.env.db.transition(vol, previous, op=op, actor=actor, reason=reason)


async def scheduler_retype(sched: SchedulerService, *, volume_id: str,
                           request_spec: RequestSpec,
                           migration_policy: str, reservations: list[str],
                           old_reservations: list[str]) -> None:
    """``SchedulerManager.retype`` with ``find_retype_backend``."""
    env = sched.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None or vol.host is None:
        env.quota.rollback(reservations + old_reservations)
        return
    decision = _weighed(sched, request_spec, vol.host)
    if env.trace.recording:
        env.trace.emit("schedule", SCHED, decision.narrate(), resource=f"volume:{volume_id}",
                         decision=decision.to_dict())
    weighed = [w.backend_id for w in decision.weighed]
    current = vol.host if extract_host(vol.host, "pool") else None
    chosen: str | None = None
    reason: str | None = None
    if not weighed:
        reason = (f"No valid backends for volume {vol.id} with type "
                  f"{request_spec.volume_type_id}")
    elif vol.host in weighed or (current is None and any(
            extract_host(b) == extract_host(vol.host) for b in weighed)):
        chosen = vol.host
    elif migration_policy == "never":
        reason = (f"Current backend not valid for volume {vol.id} with type "
                  f"{request_spec.volume_type_id}, migration not allowed")
    else:
        chosen = weighed[0]
    if chosen is None:
        error = NoValidBackend(reason=reason or "")
        env.quota.rollback(reservations + old_reservations)
        _back_to_previous(sched, vol, Op.RETYPE, SCHED, f"Failed to schedule_retype: {error}")
        return
    if chosen != vol.host:
        sched.host_manager.consume_from_volume(chosen, vol.size, now=env.sim.now())
    env.bus.cast(SCHED, Target("cinder-volume", extract_host(vol.host)), "retype",
                   volume_id=volume_id, new_type_id=request_spec.volume_type_id, host=chosen,
                   migration_policy=migration_policy, reservations=reservations,
                   old_reservations=old_reservations)


async def scheduler_migrate(sched: SchedulerService, *, volume_id: str, host: str,
                            force_host_copy: bool, request_spec: RequestSpec) -> None:
    """``SchedulerManager.migrate_volume``: the destination must pass the filters."""
    env = sched.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None or vol.host is None:
        return
    decision = sched.check_backend(host, request_spec)
    if env.trace.recording:
        env.trace.emit("schedule", SCHED, decision.narrate(), resource=f"volume:{volume_id}",
                         decision=decision.to_dict())
    error = decision.error()
    if error is not None or decision.chosen is None:
        db.transition(vol, MigrationStatus.ERROR, op=Op.MIGRATE, actor=SCHED,
                      field="migration_status", reason=f"Failed to migrate_volume: {error}")
        _back_to_previous(sched, vol, Op.MIGRATE, SCHED, "migration failed")
        return
    sched.host_manager.consume_from_volume(decision.chosen, vol.size,
                                                     now=env.sim.now())
    env.bus.cast(SCHED, Target("cinder-volume", extract_host(vol.host)), "migrate_volume",
                   volume_id=volume_id, host=decision.chosen, force_host_copy=force_host_copy)


