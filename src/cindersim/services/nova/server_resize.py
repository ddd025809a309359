"""``resize``, ``revertResize`` and ``confirmResize`` server actions
(``nova/api/openstack/compute/servers.py``, ``nova/compute/api.py``).

* ``resize`` (202): ``check_instance_state(vm_state=[active, stopped])`` with no task
  (else 409); the flavor must exist (400 ``Flavor %s could not be found.``), differ
  from the current one (400 ``When resizing, instances must change flavor!``) and not
  take a local-disk server to a zero-disk flavor (400 ``CannotResizeDisk``).  nova-api
  sets ``resize_prep``, records the ``resize`` action and a ``pre-migrating``
  migration, and casts ``prep_resize`` to the destination compute host.  The
  scheduler's choice is the server's own host: devstack runs one compute host with
  ``allow_resize_to_same_host = True``.
* ``revertResize`` (202) and ``confirmResize`` (204): only a ``resized`` server with
  no task (409 otherwise); without a ``finished`` migration Nova answers 400
  ``Instance has not been resized.``.  Revert sets ``resize_reverting`` and casts
  ``revert_resize`` to the destination; confirm marks the migration ``confirming``
  and casts ``confirm_resize`` to the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ..api.wsgi import ApiResponse
from . import actions
from .compute import TOPIC
from .model import Instance, bad_request, invalid_state
from .wsgi import NovaRequest, schema_error

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["confirm_resize", "resize", "revert_resize"]

RESIZE = actions.RESIZE
REVERT_RESIZE = actions.REVERT_RESIZE
CONFIRM_RESIZE = actions.CONFIRM_RESIZE


def _check_state(inst: Instance, method: str, vm_states: tuple[str, ...]) -> None:
    """``@check_instance_state``: the vm_state listed and no task in progress."""
    if inst.vm_state not in vm_states:
        raise invalid_state(inst, method)
    if inst.task_state is not None:
        raise invalid_state(inst, method, attr="task_state")


def _cast(api: NovaApi, inst: Instance, method: str, req: NovaRequest) -> None:
    assert inst.host is not None
    api.env.bus.cast(api.actor, Target(TOPIC, inst.host), method, ctx=req.ctx,
                     instance_uuid=inst.uuid)


def _migration(api: NovaApi, inst: Instance, status: str) -> None:
    old = inst.migration_status
    inst.migration_status = status
    trace = api.env.trace
    if trace.recording:
        trace.emit("nova.migration", api.actor, f"migration of server {inst.uuid[:8]}: "
                   f"{old} → {status}", resource=f"server:{inst.uuid}", status=status,
                   old_status=old)


async def resize(api: NovaApi, req: NovaRequest, inst: Instance, spec: Any) -> ApiResponse:
    """``ServersController._resize`` -> ``compute_api.resize``."""
    if not isinstance(spec, dict) or "flavorRef" not in spec:
        raise schema_error("resize", spec, "'flavorRef' is a required property")
    extra = sorted(set(spec) - {"flavorRef", "OS-DCF:diskConfig"})
    if extra:
        raise schema_error("resize", spec, "Additional properties are not allowed ("
                           + ", ".join(repr(k) for k in extra)
                           + (" was" if len(extra) == 1 else " were") + " unexpected)")
    ref = spec["flavorRef"]
    if isinstance(ref, bool) or not isinstance(ref, (str, int)) or str(ref) == "":
        raise schema_error("resize/flavorRef", ref, f"{ref!r} is not of type 'string', "
                           "'integer'")
    flavor_id = str(ref)
    _check_state(inst, RESIZE, ("active", "stopped"))
    new = api.nova.flavors.get(flavor_id)
    if new is None:
        raise bad_request(f"Flavor {flavor_id} could not be found.")
    if new.disk == 0 and inst.flavor.disk != 0 and not inst.is_volume_backed:
        raise bad_request("Server disk was unable to be resized because: Resize to zero "
                          "disk flavor is not allowed.")
    if new.id == inst.flavor.id:
        raise bad_request("When resizing, instances must change flavor!")
    api.nova.set_state(inst, api.actor, task_state="resize_prep")
    inst.new_flavor = new
    _migration(api, inst, "pre-migrating")
    api.nova.actions.start(req.ctx, inst.uuid, inst.project_id, RESIZE, api.actor)
    _cast(api, inst, "prep_resize", req)
    return ApiResponse(202, None)


def _check_resized(inst: Instance, method: str) -> None:
    _check_state(inst, method, ("resized",))
    if inst.migration_status != "finished":  # MigrationNotFoundByStatus
        raise bad_request("Instance has not been resized.")


async def revert_resize(api: NovaApi, req: NovaRequest, inst: Instance,
                        spec: Any) -> ApiResponse:
    """``ServersController._revert_resize`` -> ``compute_api.revert_resize``."""
    del spec  # the schema's ``'revertResize': {}`` takes any value (clients send {} or null)
    _check_resized(inst, REVERT_RESIZE)
    if inst.old_flavor is None:
        raise bad_request("Flavor used by the instance could not be found.")
    api.nova.set_state(inst, api.actor, task_state="resize_reverting")
    _migration(api, inst, "reverting")
    api.nova.actions.start(req.ctx, inst.uuid, inst.project_id, REVERT_RESIZE, api.actor)
    _cast(api, inst, "revert_resize", req)
    return ApiResponse(202, None)


async def confirm_resize(api: NovaApi, req: NovaRequest, inst: Instance,
                         spec: Any) -> ApiResponse:
    """``ServersController._confirm_resize`` -> ``compute_api.confirm_resize``."""
    del spec  # ``'confirmResize': {}``: any value, as for revertResize
    _check_resized(inst, CONFIRM_RESIZE)
    _migration(api, inst, "confirming")
    api.nova.actions.start(req.ctx, inst.uuid, inst.project_id, CONFIRM_RESIZE, api.actor)
    _cast(api, inst, "confirm_resize", req)
    return ApiResponse(204, None)


ACTIONS = {RESIZE: resize, REVERT_RESIZE: revert_resize, CONFIRM_RESIZE: confirm_resize}
"""The action handlers :func:`.servers.server_action` dispatches to."""
