"""nova-compute: one per ``[simulator] compute_hosts``, consuming ``compute.<host>``.

The flows follow ``nova/compute/manager.py`` and ``nova/virt/block_device.py``
with the Cinder >= 3.44 attachment API:

* ``reserve_block_device_name`` (an RPC *call* from nova-api): pick the next
  free ``/dev/vdX`` and create the BDM.
* ``attach_volume`` (cast): build the os-brick connector (host, ip, initiator
  ``iqn.1994-05.com.redhat:<host>``, platform ``x86_64``, os_type ``linux``,
  multipath False) -> ``attachment_update`` (PUT /attachments/{id}: Cinder
  exports the volume and returns ``connection_info``) -> os-brick
  ``connect_volume`` (iSCSI login with the CHAP of connection_info:
  ``/dev/sdX``) -> libvirt attaches it to the guest (``/dev/vdb``) ->
  ``attachment_complete`` (``in-use``).  A failure disconnects, deletes the
  attachment and destroys the BDM, as ``_attach_volume`` does.
* ``detach_volume`` (cast): detach from the guest, os-brick disconnect
  (logout), ``attachment_delete`` (Cinder terminates the connection and removes
  the export: ``available``), destroy the BDM.
* ``build_and_run_instance`` (cast): ``_prep_block_device`` creates volumes for
  snapshot/image/blank sources (``volume_api.create``, then polls until
  ``available`` as ``_await_block_device_map_created`` does), makes the
  attachments and connects them (``attachment_update`` + ``attachment_complete``
  before spawn, as ``DriverVolumeBlockDevice.attach`` does with
  ``do_driver_attach=False``); spawn then logs in to every volume and boots.
* ``terminate_instance`` (cast): destroy the domain (power off, disconnect the
  volumes, delete the local disks), ``attachment_delete`` for every volume,
  then delete the volumes marked ``delete_on_termination``.
* ``snapshot_instance`` (cast): the root disk copied and uploaded to Glance.
* ``external_instance_event`` (cast from ``os-server-external-events``):
  ``volume-extended`` runs ``extend_volume``: read the volume's new size from
  Cinder, os-brick rescans the host's device, libvirt resizes the guest's disk.

Each RPC method runs under ``@wrap_instance_event(prefix='compute')``: an event
``compute_<method>`` on the instance action of the request (:mod:`.actions`).

Each instance's operations are serialised by a per-instance lock, as
``@utils.synchronized(instance.uuid)`` does in the real manager.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from ...backends.blocks import GiB
from ...backends.connectors import VolumeConnector
from ...backends.costs import Meter, trace_recorder
from ...backends.iscsi import IscsiInitiator, Session
from ...bus import Consumer
from ...errors import CinderException
from .actions import EventScope
from .cinder import CinderClient
from .encryptors import Encryptors
from .guards import compute_guards
from .hypervisor import GuestDisk, LibvirtDriver, VolumeConnection, next_device_name
from .model import BlockDeviceMapping, Instance, NovaContext, NovaError
from .resize import ResizeFlow

if TYPE_CHECKING:
    from . import NovaService

__all__ = ["TOPIC", "ComputeManager"]

TOPIC = "compute"
ALLOCATE_RETRIES = 60
"""``[DEFAULT] block_device_allocate_retries``."""
ALLOCATE_INTERVAL = 3.0
"""``[DEFAULT] block_device_allocate_retries_interval`` (seconds)."""


class ComputeManager:
    """nova-compute on one host, with its libvirt driver and iSCSI initiator."""

    def __init__(self, nova: NovaService, host: str, ip: str) -> None:
        self.nova = nova
        self.env = nova.env
        self.host = host
        self.ip = ip
        self.actor = f"nova-compute:{host}"
        self.initiator_name = f"iqn.1994-05.com.redhat:{host}"
        self.meter = Meter(self.env.config.costs,
                           record=trace_recorder(self.env.trace, self.host))
        self.initiator = IscsiInitiator(nova.network, host, self.initiator_name,
                                        self.meter)
        self.driver = LibvirtDriver(self.env, host, self.initiator, self.meter, glance=nova.glance,
                                    volumes=VolumeConnector(host, self.env.storage, self.meter,
                                                            mount_point_base="/var/lib/nova/mnt"),
                                    ceph=nova.ceph)
        self.cinder = CinderClient(nova.cinder_endpoint, self.actor)
        self.encryptors = Encryptors(host, self.cinder, lambda: nova.key_manager, self.meter)
        self.driver.encrypted_resize = self.encryptors.resize_attached
        self.consumer: Consumer | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self.methods: dict[str, Callable[..., Awaitable[Any]]] = {
            "reserve_block_device_name": self.reserve_block_device_name,
            "attach_volume": self.attach_volume,
            "detach_volume": self.detach_volume,
            "build_and_run_instance": self.build_and_run_instance,
            "terminate_instance": self.terminate_instance,
            "snapshot_instance": self.snapshot_instance,
            "external_instance_event": self.external_instance_event,
            **ResizeFlow(self).methods(),  # resize, revert, confirm (:mod:`.resize`)
        }
        self.methods = compute_guards(self).wrap(self.methods)  # at-least-once delivery

    # --- lifecycle and plumbing -----------------------------------------------------------
    def start(self) -> None:
        if self.consumer is None:
            self.consumer = self.env.bus.serve(TOPIC, self.methods, server=self.host,
                                                 name=self.actor)
        else:
            self.consumer.start()

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()

    def _lock(self, instance_uuid: str) -> asyncio.Lock:
        lock = self._locks.get(instance_uuid)
        if lock is None:
            lock = self._locks[instance_uuid] = asyncio.Lock()
        return lock

    def _log(self, summary: str, instance: Instance, **detail: Any) -> None:
        if self.env.trace.recording:
            self.env.trace.emit("log", self.actor, summary,
                                  resource=f"server:{instance.uuid}", **detail)

    def _event(self, ctx: NovaContext, inst: Instance,
               method: str) -> AbstractAsyncContextManager[EventScope]:
        """``@wrap_instance_event(prefix='compute')``: the method's instance-action event."""
        return self.nova.actions.event(ctx, inst.uuid, method, self.host, self.actor)

    def connector(self) -> dict[str, Any]:
        """``virt_driver.get_volume_connector`` -> os-brick ``get_connector_properties``
        (libvirt passes ``enforce_multipath=True``; it matters only with multipath)."""
        props = self.initiator.connector_properties(self.ip, multipath=False,
                                                    enforce_multipath=True)
        assert self.driver.volumes is not None
        return {**props, **self.driver.volumes.connector_properties()}

    # --- attach ------------------------------------------------------------------------------
    async def reserve_block_device_name(self, *, instance_uuid: str, volume_id: str,
                                        device: str | None = None, tag: str | None = None,
                                        delete_on_termination: bool = False) -> dict[str, str]:
        """Pick the guest device and create the BDM (``reserve_block_device_name``).

        libvirt cannot honour a requested name (the guest kernel names disks),
        so a supplied ``device`` is ignored, as the libvirt driver does.
        """
        inst = self.nova.instances[instance_uuid]
        async with self._lock(instance_uuid):
            used = [b.device_name for b in inst.bdms if b.device_name]
            if inst.root_device_name:
                used.append(inst.root_device_name)
            name = next_device_name(used)
            if device and device != name:
                self._log(f"ignoring supplied device name {device}: libvirt uses {name}",
                          inst, requested=device, device=name)
            bdm = BlockDeviceMapping(uuid=self.env.sim.ids.uuid(), instance_uuid=inst.uuid,
                                     source_type="volume", destination_type="volume",
                                     device_name=name, volume_id=volume_id, tag=tag,
                                     delete_on_termination=delete_on_termination)
            inst.bdms.append(bdm)
            return {"bdm_uuid": bdm.uuid, "device_name": name}

    async def _connect_attachment(self, ctx: NovaContext, bdm: BlockDeviceMapping) -> None:
        """``attachment_update`` with this host's connector: Cinder's connection_info."""
        assert bdm.attachment_id is not None
        att = await self.cinder.attachment_update(ctx, bdm.attachment_id, self.connector(),
                                                  bdm.device_name)
        bdm.connection_info = legacy_connection_info(att.get("connection_info") or {})

    async def attach_volume(self, *, ctx: NovaContext, instance_uuid: str,
                            bdm_uuid: str) -> None:
        inst = self.nova.instances.get(instance_uuid)
        if inst is None:
            return
        async with self._event(ctx, inst, "attach_volume") as scope, self._lock(instance_uuid):
            bdm = next((b for b in inst.bdms if b.uuid == bdm_uuid), None)
            if bdm is None or bdm.volume_id is None or bdm.attachment_id is None:
                return
            session: VolumeConnection | None = None
            try:
                await self._connect_attachment(ctx, bdm)
                assert bdm.connection_info is not None
                try:
                    session = self.driver.connect_volume(bdm.connection_info, inst.uuid)
                finally:
                    await self.meter.spend()
                crypt = await self._attach_encryptor(ctx, bdm, session)
                self.driver.attach_device(inst.uuid, _target(bdm), bdm.volume_id, session,
                                          **crypt)
                await self.meter.spend()
                await self.cinder.attachment_complete(ctx, bdm.attachment_id)
            except (NovaError, CinderException) as exc:
                scope.fail(exc)
                self._log(f"attach of volume {bdm.volume_id} failed: {exc}", inst,
                          volume_id=bdm.volume_id, error=type(exc).__name__)
                if session is not None and bdm.connection_info is not None:
                    self.driver.detach_device(inst.uuid, _target(bdm))
                    self.encryptors.detach(bdm.volume_id)
                    self.driver.disconnect_volume(bdm.connection_info, inst.uuid)
                    await self.meter.spend()
                await self._delete_attachment(ctx, inst, bdm)
                inst.bdms.remove(bdm)

    async def _attach_encryptor(self, ctx: NovaContext, bdm: BlockDeviceMapping,
                                session: VolumeConnection) -> dict[str, Any]:
        """``_connect_volume`` -> ``_attach_encryptor``: for an encrypted volume, the
        source and plaintext :meth:`LibvirtDriver.attach_device` hands the guest.
        Only an iSCSI session's device is decrypted here (the LVM gate's path);
        NFS, FC and RBD volumes attach as they are."""
        assert bdm.connection_info is not None
        if not isinstance(session, Session):
            return {}
        found = await self.encryptors.attach(ctx, bdm, bdm.connection_info,
                                             self.initiator.device_data(session))
        return {} if found is None else {"source": found.source, "crypt": found.device}

    # --- detach ------------------------------------------------------------------------------
    async def detach_volume(self, *, ctx: NovaContext, instance_uuid: str, volume_id: str,
                            attachment_id: str | None = None) -> None:
        inst = self.nova.instances.get(instance_uuid)
        if inst is None:
            return
        async with self._event(ctx, inst, "detach_volume"), self._lock(instance_uuid):
            bdm = inst.bdm_for_volume(volume_id)
            if bdm is None:
                return
            self.driver.detach_device(inst.uuid, _target(bdm))
            self.encryptors.detach(bdm.volume_id)
            await self.meter.spend()
            if bdm.connection_info is not None:
                self.driver.disconnect_volume(bdm.connection_info, inst.uuid)
                await self.meter.spend()
            await self._delete_attachment(ctx, inst, bdm)
            inst.bdms.remove(bdm)

    async def _delete_attachment(self, ctx: NovaContext, inst: Instance,
                                 bdm: BlockDeviceMapping) -> None:
        if bdm.attachment_id is None:
            return
        try:
            await self.cinder.attachment_delete(ctx, bdm.attachment_id)
        except NovaError as exc:
            self._log(f"attachment_delete {bdm.attachment_id} failed: {exc}", inst,
                      attachment_id=bdm.attachment_id)
        bdm.attachment_id = None

    # --- build -------------------------------------------------------------------------------
    async def build_and_run_instance(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        nova = self.nova
        inst = nova.instances.get(instance_uuid)
        if inst is None:
            return
        async with self._event(ctx, inst, "_do_build_and_run_instance") as scope, \
                self._lock(instance_uuid):
            if inst.task_state == "deleting":
                return
            inst.host = inst.node = self.host
            try:
                nova.set_state(inst, self.actor, task_state="block_device_mapping")
                await self._prep_block_devices(ctx, inst)
                if inst.task_state == "deleting":
                    return
                nova.set_state(inst, self.actor, task_state="spawning")
                await self._spawn(inst, ctx)
            except (NovaError, CinderException) as exc:
                scope.fail(exc)
                if inst.task_state == "deleting":
                    return
                inst.fault = {"code": 500, "message": f"Build of instance {inst.uuid} aborted: "
                                                      f"{exc}", "created": nova.stamp()}
                nova.set_state(inst, self.actor, vm_state="error", task_state=None,
                               reason=str(exc))
                return
            if inst.task_state == "deleting":
                return
            inst.power_state = 1
            inst.launched_at = nova.stamp()
            nova.set_state(inst, self.actor, vm_state="active", task_state=None)

    async def _prep_block_devices(self, ctx: NovaContext, inst: Instance) -> None:
        for bdm in inst.bdms:
            if not bdm.is_volume:
                continue
            if bdm.volume_id is None:
                await self._create_volume(ctx, inst, bdm)
            if bdm.attachment_id is None:
                assert bdm.volume_id is not None
                att = await self.cinder.attachment_create(ctx, bdm.volume_id, inst.uuid)
                bdm.attachment_id = att["id"]
            await self._connect_attachment(ctx, bdm)
            assert bdm.attachment_id is not None
            await self.cinder.attachment_complete(ctx, bdm.attachment_id)

    async def _create_volume(self, ctx: NovaContext, inst: Instance,
                             bdm: BlockDeviceMapping) -> None:
        """``DriverSnapshot/Image/BlankBlockDevice.attach``: create, then wait."""
        size = bdm.volume_size or 0
        name = f"{inst.uuid}-{bdm.source_type}" if bdm.source_type != "blank" else ""
        vol = await self.cinder.create(
            ctx, size, name=name, volume_type=bdm.volume_type,
            snapshot_id=bdm.snapshot_id if bdm.source_type == "snapshot" else None,
            image_id=bdm.image_id if bdm.source_type == "image" else None)
        bdm.volume_id = str(vol["id"])
        await self._await_volume_created(ctx, inst, bdm.volume_id)

    async def _await_volume_created(self, ctx: NovaContext, inst: Instance,
                                    volume_id: str) -> None:
        """Poll Cinder until ``available``; ``error`` or too long is VolumeNotCreated."""
        status = "creating"
        attempt = 0
        while attempt < ALLOCATE_RETRIES:
            attempt += 1
            vol = await self.cinder.get(ctx, volume_id)
            status = str(vol["status"])
            if status == "available":
                return
            if status == "error":
                break
            await asyncio.sleep(ALLOCATE_INTERVAL)
        raise NovaError(f"Volume {volume_id} did not finish being created even after we "
                        f"waited {int(attempt * ALLOCATE_INTERVAL)} seconds or {attempt} "
                        f"attempts. And its status is {status}.", 500)

    async def _spawn(self, inst: Instance, ctx: NovaContext | None = None) -> None:
        """Root disk (unless the root is a volume), log in to every volume, boot."""
        disks: list[GuestDisk] = []
        if not inst.is_volume_backed:
            path = self.driver.create_root_disk(inst.uuid, inst.image_ref or None,
                                                inst.flavor.disk)
            await self.meter.spend()
            disks.append(GuestDisk("vda", "file", path, data=self.driver.local_disks[path]))
        for bdm in inst.volume_bdms():
            assert bdm.connection_info is not None
            assert bdm.volume_id is not None
            try:
                session = self.driver.connect_volume(bdm.connection_info, inst.uuid)
            finally:
                await self.meter.spend()
            disk = self.driver.volume_disk(_target(bdm), bdm.volume_id, session)
            crypt = {} if ctx is None else await self._attach_encryptor(ctx, bdm, session)
            if crypt:
                disk.source, disk.crypt = crypt["source"], crypt["crypt"]
                disk.size_bytes = crypt["crypt"].size_bytes
            disks.append(disk)
        disks.sort(key=lambda d: (len(d.target), d.target))
        self.driver.spawn(inst.uuid, inst.instance_name, disks)
        await self.meter.spend()

    # --- terminate ------------------------------------------------------------------------
    async def terminate_instance(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        nova = self.nova
        inst = nova.instances.get(instance_uuid)
        if inst is None:
            return
        async with self._event(ctx, inst, "terminate_instance"), self._lock(instance_uuid):
            # _shutdown_instance: the driver destroys the domain and disconnects volumes.
            self.driver.destroy(inst.uuid)
            for bdm in inst.volume_bdms():
                self.encryptors.detach(bdm.volume_id)
                if bdm.connection_info is not None:
                    self.driver.disconnect_volume(bdm.connection_info, inst.uuid)
            await self.meter.spend()
            for bdm in inst.volume_bdms():
                await self._delete_attachment(ctx, inst, bdm)
            # _cleanup_volumes: only the ones marked delete_on_termination.
            for bdm in inst.volume_bdms():
                if bdm.delete_on_termination and bdm.volume_id is not None:
                    try:
                        await self.cinder.delete(ctx, bdm.volume_id)
                    except NovaError as exc:
                        self._log(f"could not delete volume {bdm.volume_id}: {exc}", inst,
                                  volume_id=bdm.volume_id)
            if nova.neutron is not None:  # deallocate_for_instance: the server's ports go
                for port in nova.neutron.ports_of(inst.uuid):
                    nova.neutron.delete_port(port.id)
            inst.power_state = 0
            inst.terminated_at = nova.stamp()
            nova.set_state(inst, self.actor, vm_state="deleted", task_state=None)
            nova.instances.pop(inst.uuid, None)
        self._locks.pop(instance_uuid, None)

    # --- external events ---------------------------------------------------------------------
    async def external_instance_event(self, *, ctx: NovaContext,
                                      events: list[dict[str, Any]]) -> None:
        """What Nova's manager does with each event nova-api accepted for this host.

        ``volume-extended`` runs :meth:`extend_volume`; the others have nothing here to
        refresh or wake (no network info cache, no waiter), as in Nova when no thread
        waits for the event.
        """
        for event in events:
            inst = self.nova.instances.get(str(event["server_uuid"]))
            if inst is None:
                continue
            if event["name"] == "volume-extended":
                await self.extend_volume(ctx=ctx, instance=inst,
                                         extended_volume_id=str(event["tag"]))
            else:
                self._log(f"event {event['name']}:{event.get('tag')} has no waiter", inst,
                          event=event["name"], tag=event.get("tag"))

    async def extend_volume(self, *, ctx: NovaContext, instance: Instance,
                            extended_volume_id: str) -> None:
        """``ComputeManager.extend_volume``: let the host and the guest see the new size.

        Not under the instance lock (Nova's method takes none).  A volume no longer
        attached, or attached without connection_info, is a warning and a successful
        event; a failure of the driver is the event's ``Error``.
        """
        inst = instance
        async with self._event(ctx, inst, "extend_volume") as scope:
            bdm = inst.bdm_for_volume(extended_volume_id)
            if bdm is None:
                self._log(f"Extend volume failed, volume {extended_volume_id} is not "
                          "attached to instance.", inst, volume_id=extended_volume_id)
                return
            try:
                volume = await self.cinder.get(ctx, extended_volume_id)
            except NovaError as exc:
                scope.fail(exc)
                self._log(f"Extend volume failed: {exc}", inst, volume_id=extended_volume_id)
                return
            if bdm.connection_info is None:
                self._log(f"Extend volume failed, attached volume {extended_volume_id} has "
                          "no connection_info", inst, volume_id=extended_volume_id)
                return
            bdm.volume_size = int(volume["size"])
            try:
                self.driver.extend_volume(inst.uuid, bdm.connection_info, extended_volume_id,
                                          bdm.volume_size * GiB)
            except (NovaError, CinderException) as exc:
                scope.fail(exc)
                self._log(f"Extend volume failed, volume_id={extended_volume_id}, reason: "
                          f"{exc}", inst, volume_id=extended_volume_id,
                          error=type(exc).__name__)
            finally:
                await self.meter.spend()

    # --- snapshot ----------------------------------------------------------------------------
    async def snapshot_instance(self, *, ctx: NovaContext, instance_uuid: str,
                                image_id: str) -> None:
        nova = self.nova
        inst = nova.instances.get(instance_uuid)
        if inst is None:
            return
        async with self._event(ctx, inst, "snapshot_instance"), self._lock(instance_uuid):
            nova.set_state(inst, self.actor, task_state="image_pending_upload")
            try:
                data = self.driver.snapshot(inst.uuid)
                await self.meter.spend()
                nova.set_state(inst, self.actor, task_state="image_uploading")
                nbytes = data.written() * 32768
                self.meter.charge("glance", "image upload", self.meter.costs.transfer(
                    nbytes, self.meter.costs.object_bandwidth),
                    f"uploaded snapshot image {image_id[:8]} ({nbytes} bytes)",
                    image_id=image_id, bytes=nbytes)
                await self.meter.spend()
                self.nova.glance.upload(image_id, data)
            except Exception:
                self.nova.glance.kill(image_id)
                raise
            finally:
                nova.set_state(inst, self.actor, task_state=None)


def _target(bdm: BlockDeviceMapping) -> str:
    return (bdm.device_name or "").removeprefix("/dev/")


def legacy_connection_info(conn: dict[str, Any]) -> dict[str, Any]:
    """Nova's ``_translate_attachment_ref``: Cinder's attachment API returns a flat
    connection_info; Nova rebuilds ``{"driver_volume_type", "data"}`` from it."""
    if "data" in conn:
        return dict(conn)
    data = dict(conn)
    data.pop("attachment_id", None)
    kind = data.pop("driver_volume_type", None)
    return {"driver_volume_type": kind, "data": data}
