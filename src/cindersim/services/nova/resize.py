"""nova-compute's side of a resize: ``prep_resize`` -> ``resize_instance`` ->
``finish_resize``, then ``revert_resize`` -> ``finish_revert_resize`` or
``confirm_resize`` (``nova/compute/manager.py``, ``nova/virt/libvirt/driver.py``).

Each step is its own RPC cast, as in Nova (destination, source, destination; the
scheduler's destination is the server's own host, devstack's single compute host
with ``allow_resize_to_same_host = True``), each under its
``compute_<method>`` instance-action event:

* ``prep_resize`` (destination): the claim; casts ``resize_instance`` to the source.
* ``resize_instance`` (source): migration ``migrating``, task ``resize_migrating``;
  ``migrate_disk_and_power_off`` refuses to shrink a local root disk (``Unable to
  resize disk down.``: the server rolls back to its vm_state, the event is
  ``Error``), powers the guest off and disconnects every volume (the encryptor's
  secret or mapping first, then os-brick); ``_terminate_volume_connections`` then
  swaps each volume's attachment for a new connector-less one (Cinder's attachment
  API cannot re-point an attachment at another host: ``attachment_create`` then
  ``attachment_delete`` of the old one); migration ``post-migrating``, task
  ``resize_migrated``; casts ``finish_resize`` to the destination.
* ``finish_resize`` (destination): task ``resize_finish``, the new flavor (the old
  one kept); ``_update_volume_attachments`` (``attachment_update`` with this host's
  connector), ``finish_migration`` (os-brick connect, the encryptor, the guest's
  disks, power on), ``_complete_volume_attachments``; migration ``finished``,
  vm_state ``resized`` (``VERIFY_RESIZE``).
* ``revert_resize`` (destination): the guest destroyed there and its volumes
  disconnected, ``_terminate_volume_connections``; casts ``finish_revert_resize``.
* ``finish_revert_resize`` (source): the old flavor back, attachments updated with
  the source's connector, ``finish_revert_migration`` (connect, encryptor, power on),
  attachments completed; migration ``reverted``, vm_state as before the resize.
* ``confirm_resize`` (source): ``confirm_migration`` deletes the ``<uuid>_resize``
  copy; migration ``confirmed``, vm_state as before the resize.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...errors import CinderException
from .model import NovaError

if TYPE_CHECKING:
    from .compute import ComputeManager
    from .model import Instance, NovaContext

__all__ = ["ResizeFlow"]

POWER_OFF_SECONDS = 2.0
"""``virsh shutdown`` (``migrate_disk_and_power_off`` waits for the guest to stop)."""
DISK_COPY_SECONDS = 0.5
"""Moving the instance directory to ``<uuid>_resize`` and copying the disk back (same
host: a local copy of a sparse qcow2 overlay)."""
CLEANUP_SECONDS = 0.2
"""``confirm_migration``: ``rm -rf <uuid>_resize``."""


class ResizeFlow:
    """The resize RPC methods of one nova-compute (see the module docstring)."""

    def __init__(self, compute: ComputeManager) -> None:
        self.compute = compute
        self.nova = compute.nova
        self.env = compute.env

    def methods(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {"prep_resize": self.prep_resize, "resize_instance": self.resize_instance,
                "finish_resize": self.finish_resize, "revert_resize": self.revert_resize,
                "finish_revert_resize": self.finish_revert_resize,
                "confirm_resize": self.confirm_resize}

    # --- plumbing ----------------------------------------------------------------------------
    def _cast(self, ctx: NovaContext, inst: Instance, method: str) -> None:
        assert inst.host is not None
        self.env.bus.cast(self.compute.actor, Target("compute", inst.host), method, ctx=ctx,
                          instance_uuid=inst.uuid)

    def _migration(self, inst: Instance, status: str) -> None:
        old = inst.migration_status
        inst.migration_status = status
        trace = self.env.trace
        if trace.recording:
            trace.emit("nova.migration", self.compute.actor, f"migration of server "
                       f"{inst.uuid[:8]}: {old} → {status}", resource=f"server:{inst.uuid}",
                       status=status, old_status=old)

    def _live(self, instance_uuid: str, task_state: str | None,
              vm_state: str | None = None) -> Instance | None:
        """``instance.save(expected_task_state=...)``: a server deleted meanwhile, or
        in another task (a repeated delivery), is left alone."""
        inst = self.nova.instances.get(instance_uuid)
        if inst is None or inst.task_state != task_state:
            return None
        if vm_state is not None and inst.vm_state != vm_state:
            return None
        return inst

    async def _disconnect_volumes(self, inst: Instance) -> None:
        """``_disconnect_volume`` for each volume: the guest's disk goes, then the
        encryptor (``_detach_encryptor``), then os-brick's ``disconnect_volume``."""
        c = self.compute
        for bdm in inst.volume_bdms():
            c.driver.detach_device(inst.uuid, (bdm.device_name or "").removeprefix("/dev/"))
            c.encryptors.detach(bdm.volume_id)
            if bdm.connection_info is not None:
                c.driver.disconnect_volume(bdm.connection_info, inst.uuid)
            await c.meter.spend()

    async def _terminate_volume_connections(self, ctx: NovaContext, inst: Instance) -> None:
        """A new reserved (connector-less) attachment replaces each volume's old one."""
        c = self.compute
        for bdm in inst.volume_bdms():
            if bdm.attachment_id is None:
                continue
            assert bdm.volume_id is not None
            new = await c.cinder.attachment_create(ctx, bdm.volume_id, inst.uuid)
            await c.cinder.attachment_delete(ctx, bdm.attachment_id)
            bdm.attachment_id = str(new["id"])
            bdm.connection_info = None

    async def _connect_volumes(self, ctx: NovaContext, inst: Instance) -> None:
        """``_update_volume_attachments`` (``attachment_update`` with this host's
        connector), the driver's connect + encryptor + guest disk, then
        ``_complete_volume_attachments``."""
        c = self.compute
        for bdm in inst.volume_bdms():
            if bdm.attachment_id is not None:
                await c._connect_attachment(ctx, bdm)
        for bdm in inst.volume_bdms():
            if bdm.connection_info is None or bdm.volume_id is None:
                continue  # a reserved device name never attached: nothing to connect
            try:
                session = c.driver.connect_volume(bdm.connection_info, inst.uuid)
            finally:
                await c.meter.spend()
            crypt = await c._attach_encryptor(ctx, bdm, session)
            c.driver.attach_device(inst.uuid, (bdm.device_name or "").removeprefix("/dev/"),
                                   bdm.volume_id, session, **crypt)
            await c.meter.spend()
        for bdm in inst.volume_bdms():
            if bdm.attachment_id is not None:
                await c.cinder.attachment_complete(ctx, bdm.attachment_id)

    def _power(self, inst: Instance, on: bool) -> None:
        c = self.compute
        dom = c.driver.domains.get(inst.uuid)
        if dom is not None:
            dom.running = on
        inst.power_state = 1 if on else 4
        op = "virsh start" if on else "virsh shutdown"
        c.meter.charge("libvirt", op, 1.0 if on else POWER_OFF_SECONDS,
                       f"{inst.instance_name} {'started' if on else 'shut down'}",
                       host=c.host, instance=inst.uuid)

    # --- resize ------------------------------------------------------------------------------
    async def prep_resize(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        """Destination: the resource claim (this host has room for any flavor), then
        ``resize_instance`` on the source."""
        inst = self._live(instance_uuid, "resize_prep")
        if inst is None or inst.new_flavor is None:
            return
        async with self.compute._event(ctx, inst, "prep_resize"):
            self.compute._log(f"resize claim for flavor {inst.new_flavor.name} on "
                              f"{self.compute.host} (allow_resize_to_same_host)", inst,
                              flavor=inst.new_flavor.id)
            self._cast(ctx, inst, "resize_instance")

    async def resize_instance(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        """Source: power off, disconnect the volumes, swap their attachments."""
        c = self.compute
        inst = self._live(instance_uuid, "resize_prep")
        if inst is None or inst.new_flavor is None:
            return
        async with c._event(ctx, inst, "resize_instance") as scope, c._lock(instance_uuid):
            self._migration(inst, "migrating")
            self.nova.set_state(inst, c.actor, task_state="resize_migrating")
            if inst.new_flavor.disk < inst.flavor.disk and not inst.is_volume_backed:
                # InstanceFaultRollback(ResizeError): back to where it was, no fault.
                error = NovaError("Resize error: Unable to resize disk down.", 400)
                scope.fail(error)
                self._migration(inst, "error")
                inst.new_flavor = None
                self.nova.set_state(inst, c.actor, task_state=None, reason=str(error))
                return
            inst.old_vm_state = inst.vm_state
            self._power(inst, on=False)
            await c.meter.spend()
            await self._disconnect_volumes(inst)
            c.meter.charge("libvirt", "migrate disk", DISK_COPY_SECONDS,
                           f"instance directory of {inst.instance_name} moved to "
                           f"{inst.uuid}_resize and its disk copied back (same host)",
                           host=c.host, instance=inst.uuid)
            await c.meter.spend()
            await self._terminate_volume_connections(ctx, inst)
            self._migration(inst, "post-migrating")
            self.nova.set_state(inst, c.actor, task_state="resize_migrated")
            self._cast(ctx, inst, "finish_resize")

    async def finish_resize(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        """Destination: the new flavor, the volumes connected here, the guest on."""
        c = self.compute
        inst = self._live(instance_uuid, "resize_migrated")
        if inst is None or inst.new_flavor is None:
            return
        async with c._event(ctx, inst, "finish_resize") as scope, c._lock(instance_uuid):
            self.nova.set_state(inst, c.actor, task_state="resize_finish")
            inst.old_flavor, inst.flavor = inst.flavor, inst.new_flavor
            try:
                await self._connect_volumes(ctx, inst)
            except (NovaError, CinderException) as exc:
                # Nova sets the instance to ERROR when finish_resize fails.
                scope.fail(exc)
                self._migration(inst, "error")
                inst.fault = {"code": 500, "message": str(exc), "created": self.nova.stamp()}
                self.nova.set_state(inst, c.actor, vm_state="error", task_state=None,
                                    reason=str(exc))
                return
            self._power(inst, on=inst.old_vm_state != "stopped")
            await c.meter.spend()
            self._migration(inst, "finished")
            self.nova.set_state(inst, c.actor, vm_state="resized", task_state=None)

    # --- revert ------------------------------------------------------------------------------
    async def revert_resize(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        """Destination: the guest stopped here, volumes disconnected, attachments swapped."""
        c = self.compute
        inst = self._live(instance_uuid, "resize_reverting", "resized")
        if inst is None:
            return
        async with c._event(ctx, inst, "revert_resize"), c._lock(instance_uuid):
            self._power(inst, on=False)
            await c.meter.spend()
            await self._disconnect_volumes(inst)
            await self._terminate_volume_connections(ctx, inst)
            self._cast(ctx, inst, "finish_revert_resize")

    async def finish_revert_resize(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        """Source: the old flavor, the volumes connected again, the guest as it was."""
        c = self.compute
        inst = self._live(instance_uuid, "resize_reverting", "resized")
        if inst is None or inst.old_flavor is None:
            return
        async with c._event(ctx, inst, "finish_revert_resize") as scope, \
                c._lock(instance_uuid):
            inst.flavor, inst.old_flavor, inst.new_flavor = inst.old_flavor, None, None
            c.meter.charge("libvirt", "restore disk", DISK_COPY_SECONDS,
                           f"{inst.uuid}_resize moved back as the instance directory",
                           host=c.host, instance=inst.uuid)
            await c.meter.spend()
            try:
                await self._connect_volumes(ctx, inst)
            except (NovaError, CinderException) as exc:
                scope.fail(exc)
                self._migration(inst, "error")
                self.nova.set_state(inst, c.actor, vm_state="error", task_state=None,
                                    reason=str(exc))
                return
            old_state = inst.old_vm_state or "active"
            self._power(inst, on=old_state != "stopped")
            await c.meter.spend()
            self._migration(inst, "reverted")
            inst.old_vm_state = None
            self.nova.set_state(inst, c.actor, vm_state=old_state, task_state=None)

    # --- confirm -----------------------------------------------------------------------------
    async def confirm_resize(self, *, ctx: NovaContext, instance_uuid: str) -> None:
        """Source: delete the ``_resize`` copy; the server keeps its new flavor."""
        c = self.compute
        inst = self._live(instance_uuid, None, "resized")
        if inst is None or inst.migration_status != "confirming":
            return
        async with c._event(ctx, inst, "confirm_resize"), c._lock(instance_uuid):
            c.meter.charge("libvirt", "confirm migration", CLEANUP_SECONDS,
                           f"deleted {inst.uuid}_resize", host=c.host, instance=inst.uuid)
            await c.meter.spend()
            self._migration(inst, "confirmed")
            inst.old_flavor = inst.new_flavor = None
            old_state = inst.old_vm_state or "active"
            inst.old_vm_state = None
            self.nova.set_state(inst, c.actor, vm_state=old_state, task_state=None)
