"""cinder-scheduler's group work: ``FilterScheduler.schedule_create_group`` and
``SchedulerManager.validate_host_capacity``.

Group placement (``_get_weighted_candidates_generic_group``): one filter-and-weigh
pass per volume type of the group (size 0, the type's extra specs, the group's
zone), each pass's survivors kept only if an earlier pass also found their
*backend* (``host@backend``, pools ignored), then the same intersection with a pass
for the group type.  The group type's ``group_specs`` are not extra specs, so the
CapabilitiesFilter lets every backend through that pass: what places a group is
that every volume type fits one backend.  The best of what is left (the first
volume type's order) becomes the group's host, ``host@backend#pool``; nothing is
consumed.  None left: NoValidBackend, and the group goes to ``error``.

``validate_host_capacity`` (an RPC call from create-from-source) answers whether
the source's backend passes the filters for the total size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import target_of
from ...group_states import GroupStatus
from ...states import Op
from ..volume_utils import extract_host
from .filter_scheduler import NO_WEIGHED_BACKENDS, _weighted_candidates
from .request_spec import RequestSpec

if TYPE_CHECKING:
    from .manager import Handler, SchedulerService

__all__ = ["handlers", "place_group"]

ACTOR = "cinder-scheduler"


def place_group(sched: SchedulerService, request_specs: list[RequestSpec],
                group_spec: RequestSpec) -> tuple[str | None, list[list[str]]]:
    """The chosen pool (or None) and each pass's weighed pools, best first."""
    sched.refresh_heartbeats()
    sched.decisions += 1
    env = sched.env
    now = env.sim.now()
    passes: list[list[str]] = []
    for spec in [*request_specs, group_spec]:
        run = _weighted_candidates(sched.host_manager, spec, "create_group",
                                   config=sched.config, now=now, retry=None, new_size=None,
                                   vol_exists_on=None, scheduler_hints=None,
                                   rng=env.sim.rng, volume_host=None, volume_number=None)
        passes.append([w.backend_id for w in run.decision.weighed])
    if not request_specs:
        return None, passes
    kept = passes[0]
    for other in passes[1:]:
        # _find_valid_backends keeps one entry per matching pair: duplicates stay.
        kept = [b for b in kept for o in other if extract_host(o) == extract_host(b)]
    return (kept[0] if kept else None), passes


async def create_group(sched: SchedulerService, *, group_id: str,
                       request_specs: list[RequestSpec]) -> None:
    env = sched.env
    db = env.db
    group = db.groups.get(group_id)
    if group is None:
        return
    group_spec = RequestSpec(size=0, group_id=group.id,
                             availability_zone=group.availability_zone,
                             project_id=group.project_id, user_id=group.user_id)
    chosen, passes = place_group(sched, request_specs, group_spec)
    names = [s.volume_type_name for s in request_specs]
    if env.trace.wants("schedule"):
        env.trace.emit("schedule", ACTOR, f"group {group.id[:8]}: "
                       + (f"placed on {chosen}" if chosen else
                          f"no backend fits every volume type ({NO_WEIGHED_BACKENDS})"),
                       resource=f"group:{group.id}", volume_types=names, passes=passes,
                       chosen=chosen)
    if group.id not in db.groups:
        return
    if chosen is None:
        db.transition(group, GroupStatus.ERROR, op=Op.GROUP_CREATE, actor=ACTOR,
                      reason=f"NoValidBackend: {NO_WEIGHED_BACKENDS}")
        return
    group.host = chosen  # driver.generic_group_update_db
    group.updated_at = db.stamp()
    env.bus.cast(ACTOR, target_of("cinder-volume", extract_host(chosen)), "create_group",
                 group_id=group.id)


async def validate_host_capacity(sched: SchedulerService, *, backend: str,
                                 request_spec: RequestSpec) -> bool:
    decision = sched.check_backend(backend, request_spec)
    return decision.ok


def handlers(sched: SchedulerService) -> dict[str, Handler]:
    """The scheduler's group methods, bound to *sched*."""

    async def _create_group(**kwargs: Any) -> None:
        await create_group(sched, **kwargs)

    async def _validate(**kwargs: Any) -> bool:
        return await validate_host_capacity(sched, **kwargs)

    return {"create_group": _create_group, "validate_host_capacity": _validate}
