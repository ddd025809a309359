"""``/servers`` reads, delete and actions (``nova/api/openstack/compute/servers.py``,
``views/servers.py``, ``create_backup``/``createImage``).

Boot (``POST /servers``) is :mod:`.boot`.  Codes: list/show 200, delete 204,
``createImage`` 202 (``{"image_id"}`` from 2.45, a ``Location`` header before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ..api.wsgi import ApiResponse
from . import actions, server_resize
from .compute import TOPIC
from .model import Instance, bad_request, invalid_state, vm_status
from .wsgi import NovaRequest, schema_error

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["delete_server", "list_servers", "server_action", "server_view", "show_server"]

_SNAPSHOTTABLE = ("active", "stopped", "paused", "suspended")


def addresses(api: NovaApi, inst: Instance) -> dict[str, list[dict[str, Any]]]:
    """``addresses``: the fixed IPs of the server's ports, by network name
    (``views/addresses.py`` with the OS-EXT-IPS and OS-EXT-IPS-MAC attributes)."""
    neutron = api.nova.neutron
    out: dict[str, list[dict[str, Any]]] = {}
    if neutron is None:
        return out
    for port in neutron.ports_of(inst.uuid):
        net = neutron.get_network(port.network_id, inst.project_id, admin=True)
        name = net.name if net is not None else port.network_id
        for ip in port.fixed_ips:
            out.setdefault(name, []).append({
                "version": 6 if ":" in ip["ip_address"] else 4, "addr": ip["ip_address"],
                "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port.mac_address})
    return out


def server_view(api: NovaApi, req: NovaRequest, inst: Instance) -> dict[str, Any]:
    """One server of ``GET /servers/detail`` and ``GET /servers/{id}``."""
    image: Any = ""
    if inst.image_ref:
        image = {"id": inst.image_ref, "links": [
            {"rel": "bookmark", "href": f"{api.bookmark_base}/images/{inst.image_ref}"}]}
    volumes = []
    for bdm in inst.volume_bdms():
        item: dict[str, Any] = {"id": bdm.volume_id}
        if req.at_least(2, 3):
            item["delete_on_termination"] = bdm.delete_on_termination
        volumes.append(item)
    view: dict[str, Any] = {
        "id": inst.uuid, "name": inst.display_name, "status": vm_status(inst),
        "tenant_id": inst.project_id, "user_id": inst.user_id,
        "metadata": dict(inst.metadata), "hostId": "", "image": image,
        "flavor": inst.flavor.view(api.compute_base, req.at_least(2, 47)),
        "created": inst.created_at, "updated": inst.updated_at,
        "addresses": addresses(api, inst),
        "accessIPv4": "", "accessIPv6": "", "links": api.links("servers", inst.uuid),
        "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": inst.availability_zone,
        "config_drive": "", "key_name": None,
        "OS-SRV-USG:launched_at": inst.launched_at,
        "OS-SRV-USG:terminated_at": inst.terminated_at,
        "OS-EXT-STS:task_state": inst.task_state, "OS-EXT-STS:vm_state": inst.vm_state,
        "OS-EXT-STS:power_state": inst.power_state,
        "os-extended-volumes:volumes_attached": volumes,
        "security_groups": [{"name": "default"}],
    }
    if vm_status(inst) in ("BUILD", "ACTIVE"):
        view["progress"] = 0
    if inst.fault is not None:
        view["fault"] = dict(inst.fault)
    if req.ctx.is_admin:
        view["OS-EXT-SRV-ATTR:host"] = inst.host
        view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = inst.node
        view["OS-EXT-SRV-ATTR:instance_name"] = inst.instance_name
    return view


async def list_servers(api: NovaApi, req: NovaRequest, detail: bool = False) -> ApiResponse:
    mine = [i for i in api.nova.instances.values() if i.project_id == req.ctx.project_id]
    if detail:
        return ApiResponse(200, {"servers": [server_view(api, req, i) for i in mine]})
    return ApiResponse(200, {"servers": [
        {"id": i.uuid, "name": i.display_name, "links": api.links("servers", i.uuid)}
        for i in mine]})


def show_server(api: NovaApi, req: NovaRequest, server_id: str) -> ApiResponse:
    return ApiResponse(200, {"server": server_view(api, req, api.instance(req, server_id))})


async def delete_server(api: NovaApi, req: NovaRequest, server_id: str) -> ApiResponse:
    inst = api.instance(req, server_id)
    if inst.task_state == "deleting":
        return ApiResponse(204, None)
    api.nova.set_state(inst, api.actor, task_state="deleting")
    api.nova.actions.start(req.ctx, inst.uuid, inst.project_id, actions.DELETE, api.actor)
    assert inst.host is not None
    api.env.bus.cast(api.actor, Target(TOPIC, inst.host), "terminate_instance",
                     ctx=req.ctx, instance_uuid=inst.uuid)
    return ApiResponse(204, None)


async def server_action(api: NovaApi, req: NovaRequest, server_id: str) -> ApiResponse:
    inst = api.instance(req, server_id)
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Malformed request body")
    action = next(iter(body))
    if action in server_resize.ACTIONS:
        return await server_resize.ACTIONS[action](api, req, inst, body[action])
    if action != "createImage":
        raise bad_request(f"There is no such action: {action}")
    return await create_image(api, req, inst, body["createImage"])


async def create_image(api: NovaApi, req: NovaRequest, inst: Instance,
                       spec: Any) -> ApiResponse:
    """``createImage``: an instance snapshot; volume-backed servers snapshot their
    volumes in Cinder and get an image holding only a block device mapping."""
    ctx = req.ctx
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or \
            not spec["name"].strip():
        raise schema_error("createImage", spec, "'name' is a required property")
    if inst.vm_state not in _SNAPSHOTTABLE:
        raise invalid_state(inst, "createImage")
    if inst.task_state is not None:
        raise invalid_state(inst, "createImage", attr="task_state")
    glance = api.nova.glance
    props: dict[str, Any] = {"image_type": "snapshot", "instance_uuid": inst.uuid,
                             "user_id": ctx.user_id, "base_image_ref": inst.image_ref,
                             **{str(k): v for k, v in (spec.get("metadata") or {}).items()}}
    image = glance.create(spec["name"], owner=ctx.project_id, visibility="private",
                          min_disk=inst.flavor.disk, min_ram=inst.flavor.ram,
                          properties=props)
    api.nova.actions.start(ctx, inst.uuid, inst.project_id, actions.CREATE_IMAGE, api.actor)
    if inst.is_volume_backed:
        mappings = []
        for bdm in inst.volume_bdms():
            assert bdm.volume_id is not None
            snap = await api.cinder.create_snapshot_force(
                ctx, bdm.volume_id, f"snapshot for {spec['name']}", "")
            mappings.append({"source_type": "snapshot", "destination_type": "volume",
                             "snapshot_id": snap["id"], "volume_size": bdm.volume_size,
                             "boot_index": bdm.boot_index, "device_name": bdm.device_name,
                             "delete_on_termination": bdm.delete_on_termination})
        glance.activate_without_data(image.id, {
            "block_device_mapping": mappings, "bdm_v2": True,
            "root_device_name": inst.root_device_name})
    else:
        api.nova.set_state(inst, api.actor, task_state="image_snapshot")
        assert inst.host is not None
        api.env.bus.cast(api.actor, Target(TOPIC, inst.host), "snapshot_instance", ctx=ctx,
                         instance_uuid=inst.uuid, image_id=image.id)
    if req.at_least(2, 45):
        return ApiResponse(202, {"image_id": image.id})
    return ApiResponse(202, None, {"Location": f"{api.nova.glance_url}/images/{image.id}"})
