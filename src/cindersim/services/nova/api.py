"""nova-api: ``/compute/v2.1/...`` for servers, volume attachments, createImage and flavors.

Routes (``nova/api/openstack/compute/servers.py``, ``volumes.py``,
``flavors.py``), with Nova's codes:

* ``POST /servers`` 202 (``{"server": {id, links, adminPass, ...}}``),
  ``GET /servers``, ``GET /servers/detail``, ``GET /servers/{id}`` 200,
  ``DELETE /servers/{id}`` 204;
* ``POST /servers/{id}/action`` with ``createImage`` 202 (``{"image_id"}`` from
  2.45, a ``Location`` header before);
* ``GET|POST /servers/{id}/os-volume_attachments`` 200,
  ``GET /servers/{id}/os-volume_attachments/{volume_id}`` 200,
  ``DELETE /servers/{id}/os-volume_attachments/{volume_id}`` 202;
* ``GET /flavors``, ``/flavors/detail``, ``/flavors/{id}``.

Microversions come from ``OpenStack-API-Version: compute 2.N`` (or
``X-OpenStack-Nova-API-Version``); none means 2.1, outside [2.1, 2.96] is 406.
Faults are ``{"badRequest": {"code": 400, "message": ...}}``,
``{"itemNotFound": ...}``, ``{"conflictingRequest": ...}``, ``{"forbidden": ...}``.

Everything is validated before anything is written: a refused request leaves
Nova's and Cinder's records as they were (attachments created for a boot that
then fails validation are deleted again before answering).
"""

from __future__ import annotations

import asyncio
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...backends.blocks import GiB
from ...bus import Target
from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse
from ..glance.client import Image
from .cinder import CinderClient
from .compute import TOPIC
from .model import (
    BlockDeviceMapping,
    Instance,
    NovaContext,
    NovaError,
    bad_request,
    forbidden,
    instance_not_found,
    invalid_bdm,
    invalid_state,
    invalid_volume,
    not_found,
    vm_status,
)

if TYPE_CHECKING:
    from . import NovaService

__all__ = ["ACTOR", "MAX_VERSION", "NovaApi"]

ACTOR = "nova-api"
MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)
BASE = "http://nova.example:8774/compute/v2.1"

_FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                405: "badMethod", 409: "conflictingRequest", 413: "overLimit",
                415: "badMediaType", 429: "overLimit", 501: "notImplemented",
                503: "serviceUnavailable"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")
_SOURCE_TYPES = ("image", "volume", "snapshot", "blank")
_DEST_TYPES = ("local", "volume")
_ATTACHABLE = ("active", "paused", "stopped", "resized", "soft-delete", "suspended")
_SNAPSHOTTABLE = ("active", "stopped", "paused", "suspended")
_COLLECTIONS = ("servers", "flavors")


def _fault(status: int, message: str) -> ApiResponse:
    name = _FAULT_NAMES.get(status, "computeFault")
    return ApiResponse(status, {name: {"code": status, "message": message}})


class _Req:
    """One parsed nova-api request."""

    def __init__(self, ctx: NovaContext, body: Any, version: tuple[int, int]) -> None:
        self.ctx = ctx
        self.body = body
        self.version = version

    def at_least(self, major: int, minor: int) -> bool:
        return self.version >= (major, minor)


class NovaApi:
    """The nova-api service."""

    def __init__(self, nova: NovaService) -> None:
        self.nova = nova
        self.env = nova.env
        self.cinder = CinderClient(nova.cinder_endpoint, ACTOR)

    # --- entry point -----------------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        env = self.env
        trace = env.trace
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        method = method.upper()
        path_only = re.sub(r"/{2,}", "/", path.partition("?")[0])
        parsed: Any = None
        if body not in (None, b"", ""):
            try:
                parsed = loads(body)  # bounded nesting: too deep is malformed
            except ValueError:
                parsed = ...
        if trace.recording:
            trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                       method=method, path=path_only,
                       body=None if parsed is ... else parsed)
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        try:
            if parsed is ...:
                raise bad_request("Malformed request body")
            response = await self._dispatch(method, path_only, hdrs, parsed)
        except NovaError as exc:
            response = _fault(exc.code, exc.message)
        except Exception as exc:  # a simulator bug: answer 500 and record it
            trace.emit("api.bug", ACTOR, f"unhandled {type(exc).__name__}: {exc}",
                       error=type(exc).__name__, message=str(exc))
            response = _fault(500, "Unexpected API Error. Please report this at "
                                   "http://bugs.launchpad.net/nova/ and attach the Nova API "
                                   "log if possible.")
        if trace.recording:
            trace.emit("api.response", ACTOR, f"{response.status} for {method} {path_only}",
                       target=caller, status=response.status, body=response.body)
        return response

    async def _dispatch(self, method: str, path: str, hdrs: Mapping[str, str],
                        body: Any) -> ApiResponse:
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["compute", "v2.1"]:
            return _fault(404, "The resource could not be found.")
        try:
            info = self.nova.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            return ApiResponse(401, {"error": {
                "code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})
        ctx = NovaContext(user_id=str(info.user_id), project_id=str(info.project_id),
                          roles=tuple(info.roles), is_admin=bool(info.is_admin),
                          auth_token=str(hdrs.get("x-auth-token")))
        version = _parse_version(hdrs)
        rest = parts[2:]
        if rest and rest[0] not in _COLLECTIONS and rest[0] == ctx.project_id:
            rest = rest[1:]  # the legacy /v2.1/{project_id}/... form
        req = _Req(ctx, body, version)
        response = await self._route(method, rest, req)
        headers = dict(response.headers)
        headers["OpenStack-API-Version"] = f"compute {version[0]}.{version[1]}"
        headers["X-OpenStack-Nova-API-Version"] = f"{version[0]}.{version[1]}"
        headers["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
        return ApiResponse(response.status, response.body, headers)

    async def _route(self, method: str, rest: list[str], req: _Req) -> ApiResponse:
        n = len(rest)
        if n >= 1 and rest[0] == "flavors":
            if method != "GET":
                return _fault(405, "The method specified is not allowed for this resource.")
            return self._flavors(rest[1:], req)
        if n == 0 or rest[0] != "servers":
            return _fault(404, "The resource could not be found.")
        table: dict[tuple[str, int, str | None], Any] = {
            ("POST", 1, None): self.create_server,
            ("GET", 1, None): self.list_servers,
        }
        if n == 1:
            handler = table.get((method, 1, None))
            return await handler(req) if handler else _fault(
                405, "The method specified is not allowed for this resource.")
        if n == 2 and rest[1] == "detail" and method == "GET":
            return await self.list_servers(req, detail=True)
        server_id = rest[1]
        if n == 2:
            if method == "GET":
                return self.show_server(req, server_id)
            if method == "DELETE":
                return await self.delete_server(req, server_id)
        elif n == 3 and rest[2] == "action" and method == "POST":
            return await self.server_action(req, server_id)
        elif n == 3 and rest[2] == "os-volume_attachments":
            if method == "POST":
                return await self.attach_volume(req, server_id)
            if method == "GET":
                return self.list_attachments(req, server_id)
        elif n == 4 and rest[2] == "os-volume_attachments":
            if method == "GET":
                return self.show_attachment(req, server_id, rest[3])
            if method == "DELETE":
                return await self.detach_volume(req, server_id, rest[3])
        else:
            return _fault(404, "The resource could not be found.")
        return _fault(405, "The method specified is not allowed for this resource.")

    # --- helpers -------------------------------------------------------------------------------
    def _instance(self, req: _Req, server_id: str) -> Instance:
        """``common.get_instance``: another project's server is as missing as none."""
        inst = self.nova.instances.get(server_id)
        if inst is None or (inst.project_id != req.ctx.project_id and not req.ctx.is_admin):
            raise instance_not_found(server_id)
        return inst

    def _links(self, kind: str, rid: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": f"{BASE}/{kind}/{rid}"},
                {"rel": "bookmark", "href": f"{BASE.removesuffix('/v2.1')}/{kind}/{rid}"}]

    def _host_for(self) -> str:
        """nova-scheduler, reduced to its effect: the compute host with the fewest
        instances (ties in configuration order)."""
        counts = dict.fromkeys(self.nova.computes, 0)
        for inst in self.nova.instances.values():
            if inst.host in counts:
                counts[inst.host] += 1
        host = min(counts, key=lambda h: counts[h])
        return host

    # --- flavors --------------------------------------------------------------------------------
    def _flavors(self, rest: list[str], req: _Req) -> ApiResponse:
        flavors = list(self.nova.flavors.values())
        if not rest or rest == ["detail"]:
            if rest:
                return ApiResponse(200, {"flavors": [
                    {"id": f.id, "name": f.name, "vcpus": f.vcpus, "ram": f.ram,
                     "disk": f.disk, "OS-FLV-EXT-DATA:ephemeral": f.ephemeral,
                     "swap": "", "os-flavor-access:is_public": True,
                     "links": self._links("flavors", f.id)} for f in flavors]})
            return ApiResponse(200, {"flavors": [
                {"id": f.id, "name": f.name, "links": self._links("flavors", f.id)}
                for f in flavors]})
        flavor = self.nova.flavors.get(rest[0])
        if flavor is None or len(rest) > 1:
            raise not_found(f"Flavor {rest[0]} could not be found.")
        return ApiResponse(200, {"flavor": {
            "id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ram,
            "disk": flavor.disk, "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral, "swap": "",
            "links": self._links("flavors", flavor.id)}})

    # --- servers: read ---------------------------------------------------------------------------
    def _server_view(self, req: _Req, inst: Instance) -> dict[str, Any]:
        image: Any = ""
        if inst.image_ref:
            image = {"id": inst.image_ref, "links": [
                {"rel": "bookmark", "href": f"{BASE.removesuffix('/v2.1')}/images/"
                                            f"{inst.image_ref}"}]}
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
            "flavor": inst.flavor.view(BASE, req.at_least(2, 47)),
            "created": inst.created_at, "updated": inst.updated_at, "addresses": {},
            "accessIPv4": "", "accessIPv6": "", "links": self._links("servers", inst.uuid),
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

    async def list_servers(self, req: _Req, detail: bool = False) -> ApiResponse:
        mine = [i for i in self.nova.instances.values() if i.project_id == req.ctx.project_id]
        if detail:
            return ApiResponse(200, {"servers": [self._server_view(req, i) for i in mine]})
        return ApiResponse(200, {"servers": [
            {"id": i.uuid, "name": i.display_name, "links": self._links("servers", i.uuid)}
            for i in mine]})

    def show_server(self, req: _Req, server_id: str) -> ApiResponse:
        return ApiResponse(200, {"server": self._server_view(req, self._instance(req, server_id))})

    # --- servers: create ---------------------------------------------------------------------
    async def create_server(self, req: _Req) -> ApiResponse:
        nova = self.nova
        ctx = req.ctx
        server = _body_of(req.body, "server")
        name = server.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise _schema("name", name, "'name' is a required property" if name is None
                          else f"{name!r} is not a valid server name")
        flavor_ref = server.get("flavorRef")
        if flavor_ref is None:
            raise _schema("server", server, "'flavorRef' is a required property")
        flavor = nova.flavors.get(str(flavor_ref).rstrip("/").split("/")[-1])
        if flavor is None:
            raise bad_request(f"Flavor {flavor_ref} could not be found.")
        image_ref = server.get("imageRef") or ""
        if not isinstance(image_ref, str):
            raise _schema("imageRef", image_ref, f"{image_ref!r} is not of type 'string'")
        image_ref = image_ref.rstrip("/").split("/")[-1]
        az = server.get("availability_zone") or nova.availability_zone
        if az != nova.availability_zone:
            raise bad_request("The requested availability zone is not available")
        raw_bdms = server.get("block_device_mapping_v2") or []
        if not isinstance(raw_bdms, list):
            raise _schema("block_device_mapping_v2", raw_bdms, "is not of type 'array'")
        bdms = [_parse_bdm(b) for b in raw_bdms]
        roots = [b for b in bdms if b.boot_index == 0]
        if len(roots) > 1:
            raise invalid_bdm("Boot sequence for the instance and image/block device mapping "
                              "combination is not valid.")
        if not roots and not image_ref:
            raise bad_request("Missing imageRef attribute")
        # --- validation against Glance and Cinder (nothing written yet) -------------------
        image: Image | None = None
        if image_ref and not (roots and roots[0].is_volume):
            image = self._image(req, image_ref)
            image_bdms = image.properties.get("block_device_mapping")
            if image_bdms:
                # A volume-backed server's snapshot: boot its snapshots as volumes.
                bdms = [_parse_bdm(dict(b)) for b in image_bdms] + bdms
                roots = [b for b in bdms if b.boot_index == 0]
                image = None
            else:
                self._check_flavor_fits(flavor, image)
                bdms.insert(0, BlockDeviceMapping(
                    uuid="", instance_uuid="", source_type="image",
                    destination_type="local", boot_index=0, image_id=image.id,
                    delete_on_termination=True))
        volumes: dict[str, dict[str, Any]] = {}
        for bdm in bdms:
            await self._validate_bdm(req, bdm, volumes)
        # --- the instance and its mappings ----------------------------------------------------
        uuid = self.env.sim.ids.uuid()
        now = nova.stamp()
        volume_backed = any(b.is_root and b.is_volume for b in bdms)
        inst = Instance(uuid=uuid, display_name=name, project_id=ctx.project_id,
                        user_id=ctx.user_id, flavor=flavor,
                        image_ref="" if volume_backed else (image.id if image else ""),
                        availability_zone=az, root_device_name="/dev/vda",
                        metadata=dict(server.get("metadata") or {}), created_at=now,
                        updated_at=now, admin_pass=_password(self.env.sim.rng))
        used: list[str] = []
        for bdm in sorted(bdms, key=lambda b: (b.boot_index is None,
                                                b.boot_index if b.boot_index is not None
                                                else 0)):
            bdm.uuid = self.env.sim.ids.uuid()
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
                    att = await self.cinder.attachment_create(ctx, bdm.volume_id, uuid)
                    bdm.attachment_id = str(att["id"])
                    made.append(bdm.attachment_id)
        except NovaError:
            for attachment_id in made:
                await self.cinder.attachment_delete(ctx, attachment_id)
            raise
        inst.instance_name = nova.next_instance_name()
        nova.instances[uuid] = inst
        nova.set_state(inst, ACTOR, vm_state="building", task_state="scheduling")
        host = self._host_for()
        inst.host = inst.node = host
        self.env.trace.emit("schedule", "nova-scheduler", f"nova-scheduler picks {host} "
                              f"for server {uuid[:8]}", resource=f"server:{uuid}", host=host)
        self.env.bus.cast(ACTOR, Target(TOPIC, host), "build_and_run_instance", ctx=ctx,
                            instance_uuid=uuid)
        return ApiResponse(202, {"server": {
            "id": uuid, "links": self._links("servers", uuid), "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}], "adminPass": inst.admin_pass}},
            {"Location": f"{BASE}/servers/{uuid}"})

    def _image(self, req: _Req, image_ref: str) -> Image:
        glance = self.nova.glance
        image = glance.find(image_ref, req.ctx.project_id, admin=req.ctx.is_admin)
        if image is None:
            raise bad_request(f"Image {image_ref} could not be found.")
        if image.status != "active":
            raise bad_request(f"Image {image.id} is not active.")
        return image

    @staticmethod
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

    async def _validate_bdm(self, req: _Req, bdm: BlockDeviceMapping,
                            volumes: dict[str, dict[str, Any]]) -> None:
        """``_validate_bdm``: every source must exist; a root volume must be bootable."""
        ctx = req.ctx
        if bdm.source_type == "volume":
            assert bdm.volume_id is not None
            try:
                vol = await self.cinder.get(ctx, bdm.volume_id)
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
                snap = await self.cinder.get_snapshot(ctx, bdm.snapshot_id)
            except NovaError as exc:
                if exc.code == 404:
                    raise invalid_bdm(f"failed to get snapshot {bdm.snapshot_id}.") from exc
                raise
            if bdm.volume_size is None:
                bdm.volume_size = int(snap["size"])
        elif bdm.source_type == "image" and bdm.is_volume:
            assert bdm.image_id is not None
            image = self.nova.glance.find(bdm.image_id, ctx.project_id, admin=ctx.is_admin)
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

    # --- servers: delete and actions ---------------------------------------------------------
    async def delete_server(self, req: _Req, server_id: str) -> ApiResponse:
        inst = self._instance(req, server_id)
        if inst.task_state == "deleting":
            return ApiResponse(204, None)
        self.nova.set_state(inst, ACTOR, task_state="deleting")
        assert inst.host is not None
        self.env.bus.cast(ACTOR, Target(TOPIC, inst.host), "terminate_instance",
                            ctx=req.ctx, instance_uuid=inst.uuid)
        return ApiResponse(204, None)

    async def server_action(self, req: _Req, server_id: str) -> ApiResponse:
        inst = self._instance(req, server_id)
        body = req.body
        if not isinstance(body, dict) or len(body) != 1:
            raise bad_request("Malformed request body")
        action = next(iter(body))
        if action != "createImage":
            raise bad_request(f"There is no such action: {action}")
        return await self.create_image(req, inst, body["createImage"])

    async def create_image(self, req: _Req, inst: Instance, spec: Any) -> ApiResponse:
        """``createImage``: an instance snapshot; volume-backed servers snapshot their
        volumes in Cinder and get an image holding only a block device mapping."""
        ctx = req.ctx
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or \
                not spec["name"].strip():
            raise _schema("createImage", spec, "'name' is a required property")
        if inst.vm_state not in _SNAPSHOTTABLE:
            raise invalid_state(inst, "createImage")
        if inst.task_state is not None:
            raise invalid_state(inst, "createImage", attr="task_state")
        glance = self.nova.glance
        props: dict[str, Any] = {"image_type": "snapshot", "instance_uuid": inst.uuid,
                                 "user_id": ctx.user_id, "base_image_ref": inst.image_ref,
                                 **{str(k): v for k, v in (spec.get("metadata") or {}).items()}}
        image = glance.create(spec["name"], owner=ctx.project_id, visibility="private",
                              min_disk=inst.flavor.disk, min_ram=inst.flavor.ram,
                              properties=props)
        if inst.is_volume_backed:
            mappings = []
            for bdm in inst.volume_bdms():
                assert bdm.volume_id is not None
                snap = await self.cinder.create_snapshot_force(
                    ctx, bdm.volume_id, f"snapshot for {spec['name']}", "")
                mappings.append({"source_type": "snapshot", "destination_type": "volume",
                                 "snapshot_id": snap["id"], "volume_size": bdm.volume_size,
                                 "boot_index": bdm.boot_index, "device_name": bdm.device_name,
                                 "delete_on_termination": bdm.delete_on_termination})
            glance.activate_without_data(image.id, {
                "block_device_mapping": mappings, "bdm_v2": True,
                "root_device_name": inst.root_device_name})
        else:
            self.nova.set_state(inst, ACTOR, task_state="image_snapshot")
            assert inst.host is not None
            self.env.bus.cast(ACTOR, Target(TOPIC, inst.host), "snapshot_instance", ctx=ctx,
                                instance_uuid=inst.uuid, image_id=image.id)
        location = f"http://glance.example:9292/images/{image.id}"
        if req.at_least(2, 45):
            return ApiResponse(202, {"image_id": image.id})
        return ApiResponse(202, None, {"Location": location})

    # --- volume attachments ------------------------------------------------------------------
    def _attachment_view(self, req: _Req, inst: Instance,
                         bdm: BlockDeviceMapping) -> dict[str, Any]:
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

    def list_attachments(self, req: _Req, server_id: str) -> ApiResponse:
        inst = self._instance(req, server_id)
        return ApiResponse(200, {"volumeAttachments": [
            self._attachment_view(req, inst, b) for b in inst.volume_bdms()]})

    def show_attachment(self, req: _Req, server_id: str, volume_id: str) -> ApiResponse:
        inst = self._instance(req, server_id)
        bdm = inst.bdm_for_volume(volume_id)
        if not inst.volume_bdms():
            raise not_found(f"Instance {server_id} is not attached.")
        if bdm is None:
            raise not_found(f"volume_id not found: {volume_id}")
        return ApiResponse(200, {"volumeAttachment": self._attachment_view(req, inst, bdm)})

    async def attach_volume(self, req: _Req, server_id: str) -> ApiResponse:
        """``compute.api.API.attach_volume`` with the 3.44 attachment flow."""
        ctx = req.ctx
        spec = _body_of(req.body, "volumeAttachment")
        volume_id = spec.get("volumeId")
        if not isinstance(volume_id, str) or not _UUID.match(volume_id):
            raise _schema("volumeId", volume_id, f"{volume_id!r} is not a 'uuid'")
        device = spec.get("device")
        if device is not None and (not isinstance(device, str) or
                                   not re.fullmatch(r"(/dev/)?[a-z]+\d*", device)):
            raise bad_request(f"The supplied device path ({device}) is invalid.")
        tag = spec.get("tag") if req.at_least(2, 49) else None
        delete_on_termination = bool(spec.get("delete_on_termination", False)) \
            if req.at_least(2, 79) else False
        inst = self._instance(req, server_id)
        if inst.vm_state not in _ATTACHABLE:
            raise invalid_state(inst, "attach_volume")
        if inst.task_state is not None:
            raise invalid_state(inst, "attach_volume", attr="task_state")
        vol = await self.cinder.get(ctx, volume_id)
        self._check_volume_already_attached(inst, vol)
        if vol.get("multiattach") and not req.at_least(2, 60):
            raise bad_request("Multiattach volumes are only supported starting with compute "
                              "API version 2.60.")
        assert inst.host is not None
        target = Target(TOPIC, inst.host)
        reserved: dict[str, str] = await self.env.bus.call(
            ACTOR, target, "reserve_block_device_name", instance_uuid=inst.uuid,
            volume_id=volume_id, device=device, tag=tag,
            delete_on_termination=delete_on_termination)
        bdm = next(b for b in inst.bdms if b.uuid == reserved["bdm_uuid"])
        try:
            att = await self.cinder.attachment_create(ctx, volume_id, inst.uuid)
        except NovaError:
            inst.bdms.remove(bdm)  # volume_bdm.destroy()
            raise
        bdm.attachment_id = str(att["id"])
        bdm.volume_size = int(vol["size"])
        self.env.bus.cast(ACTOR, target, "attach_volume", ctx=ctx, instance_uuid=inst.uuid,
                            bdm_uuid=bdm.uuid)
        return ApiResponse(200, {"volumeAttachment": self._attachment_view(req, inst, bdm)})

    def _check_volume_already_attached(self, inst: Instance, vol: dict[str, Any]) -> None:
        """Nova's own guard (``_check_volume_already_attached``) before Cinder's."""
        bdms = self.nova.bdms_of_volume(str(vol["id"]))
        if not bdms:
            return
        if not vol.get("multiattach"):
            uuids = " ".join(b.instance_uuid for b in bdms)
            raise invalid_volume(f"volume {vol['id']} is already attached to instances: "
                                 f"{uuids}")
        if any(b.instance_uuid == inst.uuid for b in bdms):
            raise invalid_volume(f"volume {vol['id']} already attached")

    async def detach_volume(self, req: _Req, server_id: str, volume_id: str) -> ApiResponse:
        ctx = req.ctx
        inst = self._instance(req, server_id)
        if inst.vm_state not in _ATTACHABLE:
            raise invalid_state(inst, "detach_volume")
        if inst.task_state is not None:
            raise invalid_state(inst, "detach_volume", attr="task_state")
        await self.cinder.get(ctx, volume_id)
        if not inst.volume_bdms():
            raise not_found(f"Instance {server_id} is not attached.")
        bdm = inst.bdm_for_volume(volume_id)
        if bdm is None or bdm.attachment_id is None:
            raise not_found(f"volume_id not found: {volume_id}")
        if bdm.is_root:
            raise forbidden("Can't detach root device volume")
        try:
            await self.cinder.begin_detaching(ctx, volume_id)
        except NovaError as exc:
            if exc.code == 400:
                raise invalid_volume(exc.message) from exc
            raise
        assert inst.host is not None
        self.env.bus.cast(ACTOR, Target(TOPIC, inst.host), "detach_volume", ctx=ctx,
                            instance_uuid=inst.uuid, volume_id=volume_id,
                            attachment_id=bdm.attachment_id)
        return ApiResponse(202, None)


# --- request parsing ------------------------------------------------------------------------
def _parse_version(hdrs: Mapping[str, str]) -> tuple[int, int]:
    raw = hdrs.get("openstack-api-version")
    text: str | None = None
    if raw is not None:
        parts = raw.split()
        if len(parts) == 2 and parts[0].lower() == "compute":
            text = parts[1]
    if text is None:
        text = hdrs.get("x-openstack-nova-api-version")
    if text is None:
        return MIN_VERSION
    if text.strip().lower() == "latest":
        return MAX_VERSION
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
    if not m:
        raise bad_request(f"API Version String {text} is of invalid format. Must be of format "
                          "MajorNum.MinorNum.")
    try:
        version = (int(m.group(1)), int(m.group(2)))
    except ValueError:  # over int()'s 4,300-digit limit: not a version string
        raise bad_request(f"API Version String {text} is of invalid format. Must be of "
                          "format MajorNum.MinorNum.") from None
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise NovaError(f"Version {version[0]}.{version[1]} is not supported by the API. "
                        f"Minimum is {MIN_VERSION[0]}.{MIN_VERSION[1]} and maximum is "
                        f"{MAX_VERSION[0]}.{MAX_VERSION[1]}.", 406)
    return version


def _schema(field: str, value: Any, reason: str) -> NovaError:
    return bad_request(f"Invalid input for field/attribute {field}. Value: {value}. {reason}")


def _body_of(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or key not in body:
        raise _schema(key, body, f"'{key}' is a required property")
    inner = body[key]
    if not isinstance(inner, dict):
        raise _schema(key, inner, f"{inner!r} is not of type 'object'")
    return inner


def _parse_bdm(raw: Any) -> BlockDeviceMapping:
    """One ``block_device_mapping_v2`` entry, checked as Nova's schema and
    ``BlockDeviceDict.from_api`` do."""
    if not isinstance(raw, dict):
        raise _schema("block_device_mapping_v2", raw, "is not of type 'object'")
    source = raw.get("source_type")
    dest = raw.get("destination_type") or ("volume" if source in ("volume", "snapshot")
                                           else "local")
    if source not in _SOURCE_TYPES:
        raise _schema("source_type", source, f"{source!r} is not one of "
                                             f"{list(_SOURCE_TYPES)}")
    if dest not in _DEST_TYPES:
        raise _schema("destination_type", dest, f"{dest!r} is not one of {list(_DEST_TYPES)}")
    uuid = raw.get("uuid") or raw.get("snapshot_id") or raw.get("volume_id") or \
        raw.get("image_id")
    if source != "blank" and not (isinstance(uuid, str) and _UUID.match(uuid)):
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
            raise _schema("volume_size", size, "is not of type 'integer'")
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

