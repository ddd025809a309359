"""The entry guards of nova-compute's RPC methods (see :mod:`...idempotency`).

nova-compute saves an instance with ``expected_task_state``: ``snapshot_instance``
goes on only from ``image_snapshot`` (set by nova-api's ``createImage``); a second
delivery finds the task done (``None``) and must not kill the image the first one
uploaded.  The volume and lifecycle methods serialise on the instance lock and
re-read the instance and its block device mappings, so a repeat is already a no-op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..idempotency import Entry, EntryGuards, Refusal

if TYPE_CHECKING:
    from .compute import ComputeManager

__all__ = ["compute_guards"]


def compute_guards(compute: ComputeManager) -> EntryGuards:
    instances = compute.nova.instances

    def snapshot(a: dict[str, object]) -> Refusal | None:
        inst = instances.get(str(a["instance_uuid"]))
        if inst is None:
            return Refusal("the instance is gone")
        if inst.task_state != "image_snapshot":
            return Refusal(f"task_state is {inst.task_state}, expected image_snapshot")
        return None

    table = {"snapshot_instance": Entry(lambda a: (a["instance_uuid"], a["image_id"]),
                                        snapshot)}  # type: ignore[arg-type]
    return EntryGuards(compute.env, compute.actor, table)
