"""``/servers/{id}/os-volume_attachments``: attach, list, show, detach.

``nova/api/openstack/compute/volume_attachments.py`` and
``compute.api.API.attach_volume``/``detach_volume`` with Cinder's 3.44
attachment flow: nova-api validates, reserves a device name on the compute host
(an RPC call), creates the Cinder attachment, then casts ``attach_volume`` to
nova-compute, which connects and updates the attachment.  Codes: list/show
200, attach 200, detach 202.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ..api.wsgi import ApiResponse
from . import actions
from .compute import TOPIC
from .model import (
    BlockDeviceMapping,
    Instance,
    NovaError,
    bad_request,
    forbidden,
    invalid_state,
    invalid_volume,
    not_found,
)
from .wsgi import UUID_RE, NovaRequest, body_of, schema_error

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["ATTACHABLE", "attach_volume", "detach_volume", "list_attachments",
           "show_attachment"]

ATTACHABLE = ("active", "paused", "stopped", "resized", "soft-delete", "suspended")
"""vm_states in which Nova lets a volume be attached or detached."""


def attachment_view(req: NovaRequest, inst: Instance,
                    bdm: BlockDeviceMapping) -> dict[str, Any]:
    """The ``volumeAttachment`` body per microversion (2.70 tag, 2.79
    delete_on_termination, 2.89 attachment_id/bdm_uuid instead of id)."""
    view: dict[str, Any] = {}
    if not req.at_least(2, 89):
        view["id"] = bdm.volume_id
    view.update({"serverId": inst.uuid, "volumeId": bdm.volume_id,
                 "device": bdm.device_name})
    if req.at_least(2, 70):
        view["tag"] = bdm.tag
    if req.at_least(2, 79):
        view["delete_on_termination"] = bdm.delete_on_termination
    if req.at_least(2, 89):
        view["attachment_id"] = bdm.attachment_id
        view["bdm_uuid"] = bdm.uuid
    return view


def list_attachments(api: NovaApi, req: NovaRequest, server_id: str) -> ApiResponse:
    inst = api.instance(req, server_id)
    return ApiResponse(200, {"volumeAttachments": [
        attachment_view(req, inst, b) for b in inst.volume_bdms()]})


def show_attachment(api: NovaApi, req: NovaRequest, server_id: str,
                    volume_id: str) -> ApiResponse:
    inst = api.instance(req, server_id)
    bdm = inst.bdm_for_volume(volume_id)
    if not inst.volume_bdms():
        raise not_found(f"Instance {server_id} is not attached.")
    if bdm is None:
        raise not_found(f"volume_id not found: {volume_id}")
    return ApiResponse(200, {"volumeAttachment": attachment_view(req, inst, bdm)})


async def attach_volume(api: NovaApi, req: NovaRequest, server_id: str) -> ApiResponse:
    """``compute.api.API.attach_volume`` with the 3.44 attachment flow."""
    ctx = req.ctx
    spec = body_of(req.body, "volumeAttachment")
    volume_id = spec.get("volumeId")
    if not isinstance(volume_id, str) or not UUID_RE.match(volume_id):
        raise schema_error("volumeId", volume_id, f"{volume_id!r} is not a 'uuid'")
    device = spec.get("device")
    if device is not None and (not isinstance(device, str) or
                               not re.fullmatch(r"(/dev/)?[a-z]+\d*", device)):
        raise bad_request(f"The supplied device path ({device}) is invalid.")
    tag = spec.get("tag") if req.at_least(2, 49) else None
    delete_on_termination = bool(spec.get("delete_on_termination", False)) \
        if req.at_least(2, 79) else False
    inst = api.instance(req, server_id)
    if inst.vm_state not in ATTACHABLE:
        raise invalid_state(inst, "attach_volume")
    if inst.task_state is not None:
        raise invalid_state(inst, "attach_volume", attr="task_state")
    vol = await api.cinder.get(ctx, volume_id)
    _check_volume_already_attached(api, inst, vol)
    if vol.get("multiattach") and not req.at_least(2, 60):
        raise bad_request("Multiattach volumes are only supported starting with compute "
                          "API version 2.60.")
    assert inst.host is not None
    target = Target(TOPIC, inst.host)
    reserved: dict[str, str] = await api.env.bus.call(
        api.actor, target, "reserve_block_device_name", instance_uuid=inst.uuid,
        volume_id=volume_id, device=device, tag=tag,
        delete_on_termination=delete_on_termination)
    bdm = next(b for b in inst.bdms if b.uuid == reserved["bdm_uuid"])
    try:
        att = await api.cinder.attachment_create(ctx, volume_id, inst.uuid)
    except NovaError:
        inst.bdms.remove(bdm)  # volume_bdm.destroy()
        raise
    bdm.attachment_id = str(att["id"])
    bdm.volume_size = int(vol["size"])
    api.nova.actions.start(ctx, inst.uuid, inst.project_id, actions.ATTACH_VOLUME, api.actor)
    api.env.bus.cast(api.actor, target, "attach_volume", ctx=ctx, instance_uuid=inst.uuid,
                     bdm_uuid=bdm.uuid)
    return ApiResponse(200, {"volumeAttachment": attachment_view(req, inst, bdm)})


def _check_volume_already_attached(api: NovaApi, inst: Instance, vol: dict[str, Any]) -> None:
    """Nova's own guard (``_check_volume_already_attached``) before Cinder's."""
    bdms = api.nova.bdms_of_volume(str(vol["id"]))
    if not bdms:
        return
    if not vol.get("multiattach"):
        uuids = " ".join(b.instance_uuid for b in bdms)
        raise invalid_volume(f"volume {vol['id']} is already attached to instances: "
                             f"{uuids}")
    if any(b.instance_uuid == inst.uuid for b in bdms):
        raise invalid_volume(f"volume {vol['id']} already attached")


async def detach_volume(api: NovaApi, req: NovaRequest, server_id: str,
                        volume_id: str) -> ApiResponse:
    ctx = req.ctx
    inst = api.instance(req, server_id)
    if inst.vm_state not in ATTACHABLE:
        raise invalid_state(inst, "detach_volume")
    if inst.task_state is not None:
        raise invalid_state(inst, "detach_volume", attr="task_state")
    await api.cinder.get(ctx, volume_id)
    if not inst.volume_bdms():
        raise not_found(f"Instance {server_id} is not attached.")
    bdm = inst.bdm_for_volume(volume_id)
    if bdm is None or bdm.attachment_id is None:
        raise not_found(f"volume_id not found: {volume_id}")
    if bdm.is_root:
        raise forbidden("Can't detach root device volume")
    try:
        await api.cinder.begin_detaching(ctx, volume_id)
    except NovaError as exc:
        if exc.code == 400:
            raise invalid_volume(exc.message) from exc
        raise
    assert inst.host is not None
    api.nova.actions.start(ctx, inst.uuid, inst.project_id, actions.DETACH_VOLUME, api.actor)
    api.env.bus.cast(api.actor, Target(TOPIC, inst.host), "detach_volume", ctx=ctx,
                     instance_uuid=inst.uuid, volume_id=volume_id,
                     attachment_id=bdm.attachment_id)
    return ApiResponse(202, None)
