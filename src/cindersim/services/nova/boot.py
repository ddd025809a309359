"""``POST /servers``: boot a server (``servers.py`` ``create`` and ``compute.api.API.create``).

Everything is validated before anything is written: the name, flavor, image,
availability zone and every ``block_device_mapping_v2`` entry against Glance and
Cinder.  Then the instance row and its mappings are made, every existing volume
is reserved with a Cinder attachment (``_check_attach_and_reserve_volume``; on a
failure the attachments already made are deleted again before answering), the
scheduler's choice is recorded and ``build_and_run_instance`` is cast to the
compute host.  Answers 202 with ``{"server": {id, links, adminPass, ...}}``.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from ...backends.blocks import GiB
from ...bus import Target
from ..api.wsgi import ApiResponse
from ..glance.client import Image
from ..neutron.client import Network
from . import actions
from .compute import TOPIC
from .model import BlockDeviceMapping, Instance, NovaError, bad_request, conflict, invalid_bdm
from .wsgi import UUID_RE, NovaRequest, body_of, schema_error

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["create_server", "parse_bdm"]

_SOURCE_TYPES = ("image", "volume", "snapshot", "blank")
_DEST_TYPES = ("local", "volume")


def _requested_networks(api: NovaApi, req: NovaRequest,
                        server: dict[str, Any]) -> list[Network]:
    """``networks`` as ``servers.py`` and ``validate_networks`` check it.

    From 2.37 it is required: ``"none"``, ``"auto"`` (the project's one available
    network; several are 409 ``NetworkAmbiguous``; none would need Neutron's
    auto-allocated topology, which this Neutron lacks: 400) or a list of
    ``{"uuid": ...}``.  Before 2.37 it may be left out, which behaves like
    ``auto`` except that no network at all boots the server without one.
    """
    neutron = api.nova.neutron
    ctx = req.ctx
    if "networks" not in server:
        if req.at_least(2, 37):
            raise schema_error("server", server, "'networks' is a required property")
        requested: Any = None
    else:
        requested = server["networks"]
    if requested == "none" and req.at_least(2, 37):
        return []
    if requested is None or (requested == "auto" and req.at_least(2, 37)):
        available = neutron.available_networks(ctx.project_id) if neutron else []
        if len(available) > 1:
            raise conflict("Multiple possible networks found, use a Network ID to be more "
                           "specific.")
        if not available:
            if requested == "auto":
                raise bad_request(f"Unable to automatically allocate a network for project "
                                  f"{ctx.project_id}")
            return []
        nets = available
    elif isinstance(requested, list):
        nets = []
        for item in requested:
            if not isinstance(item, dict) or set(item) - {"uuid", "port", "fixed_ip", "tag"}:
                raise schema_error("networks", requested,
                                   f"{item!r} is not valid under any of the given schemas")
            if "port" in item:
                raise bad_request("Booting with a pre-made port is not supported by "
                                  "cindersim's Nova; request the network by uuid.")
            net_id = item.get("uuid")
            if not isinstance(net_id, str) or not UUID_RE.match(net_id):
                raise schema_error("networks[0].uuid", net_id, f"{net_id!r} is not a 'uuid'")
            net = neutron.get_network(net_id, ctx.project_id, admin=ctx.is_admin) \
                if neutron else None
            if net is None:
                raise bad_request(f"Network {net_id} could not be found.")
            nets.append(net)
    else:
        allowed = "['none', 'auto']" if req.at_least(2, 37) else "'array'"
        raise schema_error("networks", requested,
                           f"{requested!r} is not valid under any of the given schemas "
                           f"({allowed})")
    for net in nets:
        if not net.subnets:
            raise bad_request(f"Network {net.id} requires a subnet in order to boot "
                              "instances on.")
    return nets


def _host_for(api: NovaApi) -> str:
    """nova-scheduler, reduced to its effect: the compute host with the fewest
    instances (ties in configuration order)."""
    counts = dict.fromkeys(api.nova.computes, 0)
    for inst in api.nova.instances.values():
        if inst.host in counts:
            counts[inst.host] += 1
    return min(counts, key=lambda h: counts[h])


async def create_server(api: NovaApi, req: NovaRequest) -> ApiResponse:
    nova = api.nova
    ctx = req.ctx
    server = body_of(req.body, "server")
    name = server.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise schema_error("name", name, "'name' is a required property" if name is None
                      else f"{name!r} is not a valid server name")
    flavor_ref = server.get("flavorRef")
    if flavor_ref is None:
        raise schema_error("server", server, "'flavorRef' is a required property")
    flavor = nova.flavors.get(str(flavor_ref).rstrip("/").split("/")[-1])
    if flavor is None:
        raise bad_request(f"Flavor {flavor_ref} could not be found.")
    image_ref = server.get("imageRef") or ""
    if not isinstance(image_ref, str):
        raise schema_error("imageRef", image_ref, f"{image_ref!r} is not of type 'string'")
    image_ref = image_ref.rstrip("/").split("/")[-1]
    networks = _requested_networks(api, req, server)
    az = server.get("availability_zone") or nova.availability_zone
    if az != nova.availability_zone:
        raise bad_request("The requested availability zone is not available")
    raw_bdms = server.get("block_device_mapping_v2") or []
    if not isinstance(raw_bdms, list):
        raise schema_error("block_device_mapping_v2", raw_bdms, "is not of type 'array'")
    bdms = [parse_bdm(b) for b in raw_bdms]
    roots = [b for b in bdms if b.boot_index == 0]
    if len(roots) > 1:
        raise invalid_bdm("Boot sequence for the instance and image/block device mapping "
                          "combination is not valid.")
    if not roots and not image_ref:
        raise bad_request("Missing imageRef attribute")
    # --- validation against Glance and Cinder (nothing written yet) -------------------
    image: Image | None = None
    if image_ref and not (roots and roots[0].is_volume):
        image = _image(api, req, image_ref)
        image_bdms = image.properties.get("block_device_mapping")
        if image_bdms:
            # A volume-backed server's snapshot: boot its snapshots as volumes.
            bdms = [parse_bdm(dict(b)) for b in image_bdms] + bdms
            roots = [b for b in bdms if b.boot_index == 0]
            image = None
        else:
            _check_flavor_fits(flavor, image)
            bdms.insert(0, BlockDeviceMapping(
                uuid="", instance_uuid="", source_type="image",
                destination_type="local", boot_index=0, image_id=image.id,
                delete_on_termination=True))
    volumes: dict[str, dict[str, Any]] = {}
    for bdm in bdms:
        await _validate_bdm(api, req, bdm, volumes)
    # --- the instance and its mappings ----------------------------------------------------
    uuid = api.env.sim.ids.uuid()
    now = nova.stamp()
    volume_backed = any(b.is_root and b.is_volume for b in bdms)
    inst = Instance(uuid=uuid, display_name=name, project_id=ctx.project_id,
                    user_id=ctx.user_id, flavor=flavor,
                    image_ref="" if volume_backed else (image.id if image else ""),
                    availability_zone=az, root_device_name="/dev/vda",
                    metadata=dict(server.get("metadata") or {}), created_at=now,
                    updated_at=now, admin_pass=_password(api.env.sim.rng))
    used: list[str] = []
    for bdm in sorted(bdms, key=lambda b: (b.boot_index is None,
                                            b.boot_index if b.boot_index is not None
                                            else 0)):
        bdm.uuid = api.env.sim.ids.uuid()
        bdm.instance_uuid = uuid
        if bdm.is_root:
            bdm.device_name = "/dev/vda"
        else:
            from .hypervisor import next_device_name  # noqa: PLC0415

            bdm.device_name = next_device_name(["/dev/vda", *used])
        used.append(bdm.device_name)
        inst.bdms.append(bdm)
    # _check_attach_and_reserve_volume for every existing volume, at the API.
    made: list[str] = []
    try:
        for bdm in inst.bdms:
            if bdm.source_type == "volume" and bdm.volume_id is not None:
                att = await api.cinder.attachment_create(ctx, bdm.volume_id, uuid)
                bdm.attachment_id = str(att["id"])
                made.append(bdm.attachment_id)
    except NovaError:
        for attachment_id in made:
            await api.cinder.attachment_delete(ctx, attachment_id)
        raise
    inst.instance_name = nova.next_instance_name()
    nova.instances[uuid] = inst
    nova.set_state(inst, api.actor, vm_state="building", task_state="scheduling")
    nova.actions.start(ctx, uuid, inst.project_id, actions.CREATE, api.actor)
    host = _host_for(api)
    inst.host = inst.node = host
    if nova.neutron is not None:
        # allocate_for_instance, reduced to its effect: one port per requested network,
        # bound to the host (nova-compute does it in Nova; no data plane here).
        for net in networks:
            nova.neutron.create_port(ctx.project_id, net, device_id=uuid, host=host)
    api.env.trace.emit("schedule", "nova-scheduler", f"nova-scheduler picks {host} "
                          f"for server {uuid[:8]}", resource=f"server:{uuid}", host=host)
    api.env.bus.cast(api.actor, Target(TOPIC, host), "build_and_run_instance", ctx=ctx,
                        instance_uuid=uuid)
    return ApiResponse(202, {"server": {
        "id": uuid, "links": api.links("servers", uuid), "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}], "adminPass": inst.admin_pass}},
        {"Location": f"{api.compute_base}/servers/{uuid}"})

def _image(api: NovaApi, req: NovaRequest, image_ref: str) -> Image:
    glance = api.nova.glance
    image = glance.find(image_ref, req.ctx.project_id, admin=req.ctx.is_admin)
    if image is None:
        raise bad_request(f"Image {image_ref} could not be found.")
    if image.status != "active":
        raise bad_request(f"Image {image.id} is not active.")
    return image

def _check_flavor_fits(flavor: Any, image: Image) -> None:
    """``_check_requested_image`` for a local root disk (flavor disk 0 = image size)."""
    if flavor.disk == 0:
        return
    flavor_bytes = flavor.disk * GiB
    size = int(image.size or 0)
    if size > flavor_bytes:
        raise bad_request(f"Flavor's disk is too small for requested image. Flavor disk "
                          f"is {flavor_bytes} bytes, image is {size} bytes.")
    if image.min_disk * GiB > flavor_bytes:
        raise bad_request(f"Flavor's disk is smaller than the minimum size specified in "
                          f"image metadata. Flavor disk is {flavor_bytes} bytes, minimum "
                          f"size is {image.min_disk * GiB} bytes.")

async def _validate_bdm(api: NovaApi, req: NovaRequest,
                        bdm: BlockDeviceMapping, volumes: dict[str, dict[str, Any]]) -> None:
    """``_validate_bdm``: every source must exist; a root volume must be bootable."""
    ctx = req.ctx
    if bdm.source_type == "volume":
        assert bdm.volume_id is not None
        try:
            vol = await api.cinder.get(ctx, bdm.volume_id)
        except NovaError as exc:
            if exc.code == 404:
                raise invalid_bdm(f"failed to get volume {bdm.volume_id}.") from exc
            raise
        if bdm.is_root and vol.get("bootable") not in (True, "true"):
            raise bad_request(f"Block Device {bdm.volume_id} is not bootable.")
        if vol.get("multiattach") and not req.at_least(2, 60):
            raise bad_request("Multiattach volumes are only supported starting with "
                              "compute API version 2.60.")
        bdm.volume_size = int(vol["size"])
        volumes[bdm.volume_id] = vol
    elif bdm.source_type == "snapshot":
        assert bdm.snapshot_id is not None
        try:
            snap = await api.cinder.get_snapshot(ctx, bdm.snapshot_id)
        except NovaError as exc:
            if exc.code == 404:
                raise invalid_bdm(f"failed to get snapshot {bdm.snapshot_id}.") from exc
            raise
        if bdm.volume_size is None:
            bdm.volume_size = int(snap["size"])
    elif bdm.source_type == "image" and bdm.is_volume:
        assert bdm.image_id is not None
        image = api.nova.glance.find(bdm.image_id, ctx.project_id, admin=ctx.is_admin)
        if image is None:
            raise invalid_bdm(f"failed to get image {bdm.image_id}.")
        if not bdm.volume_size:
            raise invalid_bdm("Images with destination_type 'volume' need to have a "
                              "non-zero size specified")
        need = max(int(image.size or 0), image.min_disk * GiB)
        if bdm.volume_size * GiB < need:
            raise bad_request(f"Volume is smaller than the minimum size specified in image "
                              f"metadata. Volume size is {bdm.volume_size * GiB} bytes, "
                              f"minimum size is {need} bytes.")
    elif bdm.source_type == "blank" and bdm.is_volume and not bdm.volume_size:
        raise invalid_bdm("Blank volumes (source: 'blank', dest: 'volume') need to have "
                          "non-zero size")


def parse_bdm(raw: Any) -> BlockDeviceMapping:
    """One ``block_device_mapping_v2`` entry, checked as Nova's schema and
    ``BlockDeviceDict.from_api`` do."""
    if not isinstance(raw, dict):
        raise schema_error("block_device_mapping_v2", raw, "is not of type 'object'")
    source = raw.get("source_type")
    dest = raw.get("destination_type") or ("volume" if source in ("volume", "snapshot")
                                           else "local")
    if source not in _SOURCE_TYPES:
        raise schema_error("source_type", source, f"{source!r} is not one of "
                                             f"{list(_SOURCE_TYPES)}")
    if dest not in _DEST_TYPES:
        raise schema_error("destination_type", dest, f"{dest!r} is not one of {list(_DEST_TYPES)}")
    uuid = raw.get("uuid") or raw.get("snapshot_id") or raw.get("volume_id") or \
        raw.get("image_id")
    if source != "blank" and not (isinstance(uuid, str) and UUID_RE.match(uuid)):
        raise invalid_bdm("Missing device UUID.")
    boot_index = raw.get("boot_index")
    if boot_index is not None:
        try:
            boot_index = int(boot_index)
        except (TypeError, ValueError):
            raise invalid_bdm("Boot index is invalid.") from None
        if boot_index < 0:
            boot_index = None
    size = raw.get("volume_size")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, str)) or \
                not str(size).isdigit():
            raise schema_error("volume_size", size, "is not of type 'integer'")
        size = int(size)
    if (source == "volume" and dest != "volume") or (source == "snapshot" and dest != "volume"):
        raise invalid_bdm("Mapping image to local is not supported.")
    return BlockDeviceMapping(
        uuid="", instance_uuid="", source_type=source, destination_type=dest,
        boot_index=boot_index, volume_size=size,
        volume_id=uuid if source == "volume" else None,
        snapshot_id=uuid if source == "snapshot" else None,
        image_id=uuid if source == "image" else None,
        delete_on_termination=bool(raw.get("delete_on_termination", False)),
        tag=raw.get("tag"), volume_type=raw.get("volume_type"))


def _password(rng: Any) -> str:
    """``utils.generate_password``-like admin password (12 characters)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(12))

