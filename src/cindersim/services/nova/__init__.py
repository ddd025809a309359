"""Nova, as far as block storage needs it: nova-api, nova-compute and a libvirt-like driver.

* :mod:`.api`: nova-api's REST face (``/compute/v2.1/...``): servers, volume
  attachments, ``createImage``, flavors.  It validates, talks to cinder-api over
  REST with the user's token (:mod:`.cinder`) and to nova-compute over the bus
  (topic ``compute``, server = the compute host).
* :mod:`.compute`: nova-compute, one per ``[simulator] compute_hosts``.
* :mod:`.hypervisor`: the libvirt driver: domains, guest disks, os-brick.
* :mod:`.actions`: the instance actions and their events (``os-instance-actions``).

:class:`NovaService` holds Nova's own database (instances and their block
device mappings) and the simulator-only guest I/O calls:
:meth:`NovaService.guest_write`, :meth:`NovaService.guest_read` and
:meth:`NovaService.disk_digest`.  Those have no REST equivalent in Nova (a
real guest writes from inside the VM); they are how a scenario makes a guest
write data that backups, snapshots and restores then carry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...backends.blocks import BlockData
from ...db import iso_time
from .actions import ActionLog
from .api import NovaApi
from .compute import ComputeManager
from .hypervisor import GuestIOError
from .model import FLAVORS, BlockDeviceMapping, Flavor, Instance, NovaError

if TYPE_CHECKING:
    from ...backends.ceph import CephNetwork
    from ...backends.iscsi import IscsiNetwork
    from ..env import RestEndpoint, ServiceEnv
    from ..glance.client import ImageService
    from ..key_manager.castellan import KeyManager
    from ..keystone.client import TokenValidator
    from ..neutron.client import NetworkService

__all__ = ["BlockDeviceMapping", "ComputeManager", "Flavor", "GuestIOError", "Instance",
           "NovaError", "NovaService"]


class _Unset:
    """Marks "leave task_state as it is" (None is a real task_state: no task)."""


_UNSET = _Unset()


class NovaService:
    """Nova for one env: the API, one compute manager per host, and Nova's records."""

    def __init__(self, env: ServiceEnv, *, identity: TokenValidator, cinder: RestEndpoint,
                 glance: ImageService, network: IscsiNetwork,
                 neutron: NetworkService | None = None, ceph: CephNetwork | None = None) -> None:
        self.env = env
        self.identity = identity
        """Keystone (keystonemiddleware validates tokens against it)."""
        self.cinder_endpoint = cinder
        """cinder-api's REST endpoint: Nova's ``nova.volume.cinder`` talks only to it."""
        self.glance = glance
        """Glance's image API (``nova.image.glance``)."""
        self.key_manager: KeyManager | None = None
        """Castellan (``[key_manager] backend = barbican``): the cloud sets it when it runs
        Barbican; without one an encrypted volume cannot be attached."""
        self.network = network
        """The storage network the compute hosts' initiators log in over."""
        self.ceph = ceph
        """The Ceph clusters the hosts' QEMU reaches RBD volumes in (librbd)."""
        self.neutron = neutron
        """Neutron's API (``nova.network.neutron``), or None: a cloud without networking,
        where servers boot with no ports."""
        self.quota_overrides: dict[str, dict[str, int]] = {}
        """``quotas`` rows: per-project limits an admin set (``os-quota-sets`` PUT)."""
        self.base_url = "http://nova.example:8774"
        """Where clients reach Nova (``cindersim serve`` sets its own address): the
        links of every response start with it, as ``osapi_compute_link_prefix``'s."""
        self.glance_url = "http://glance.example:9292"
        """Glance's address in ``Location`` headers (``glance.generate_image_url``)."""
        sim_opts = env.config.simulator
        self.availability_zone = str(sim_opts["compute_availability_zone"] or "nova")
        self.flavors: dict[str, Flavor] = {f.id: f for f in FLAVORS}
        self.instances: dict[str, Instance] = {}
        """Live instances (deleted ones are removed), in creation order."""
        self.computes: dict[str, ComputeManager] = {}
        for n, host in enumerate(sim_opts["compute_hosts"]):
            # Compute hosts sit beside the default my_ip (192.168.122.10): .21, .22, ...
            self.computes[host] = ComputeManager(self, host, f"192.168.122.{21 + n}")
        self.actions = ActionLog(env)
        """``instance_actions`` and their events (``os-instance-actions``)."""
        self.api = NovaApi(self)
        self._instance_seq = 0

    def start(self) -> None:
        for compute in self.computes.values():
            compute.start()

    # --- records ------------------------------------------------------------------------------
    def stamp(self) -> str:
        """Nova's timestamps: ``2026-01-01T00:00:00Z``."""
        return iso_time(self.env.sim.now())[:19] + "Z"

    def next_instance_name(self) -> str:
        """libvirt's domain name: ``instance-%08x`` of the instances row id."""
        self._instance_seq += 1
        return f"instance-{self._instance_seq:08x}"

    def set_state(self, inst: Instance, actor: str, *, vm_state: str | None = None,
                  task_state: str | _Unset | None = _UNSET,
                  reason: str | None = None) -> None:
        """Change vm_state and/or task_state; one ``nova.state`` trace event."""
        old = (inst.vm_state, inst.task_state)
        if vm_state is not None:
            inst.vm_state = vm_state
        if not isinstance(task_state, _Unset):
            inst.task_state = task_state
        new = (inst.vm_state, inst.task_state)
        if new == old:
            return
        inst.updated_at = self.stamp()
        trace = self.env.trace
        if trace.recording:
            extra = {} if reason is None else {"reason": reason}
            trace.emit("nova.state", actor, f"server {inst.uuid[:8]} {old[0]}/{old[1]} → "
                       f"{new[0]}/{new[1]}", resource=f"server:{inst.uuid}",
                       vm_state=new[0], task_state=new[1], old_vm_state=old[0],
                       old_task_state=old[1], **extra)

    def bdms_of_volume(self, volume_id: str) -> list[BlockDeviceMapping]:
        """``BlockDeviceMappingList.get_by_volume``: every live instance's BDM of it."""
        return [b for inst in self.instances.values() for b in inst.bdms
                if b.volume_id == volume_id]

    def get_server_volume(self, instance_uuid: str, volume_id: str) -> BlockDeviceMapping | None:
        """What Cinder asks Nova before letting a user delete an attachment Nova uses."""
        inst = self.instances.get(instance_uuid)
        return inst.bdm_for_volume(volume_id) if inst is not None else None

    # --- simulator-only guest I/O ----------------------------------------------------------------
    def _disk(self, server_id: str, device: str) -> BlockData:
        inst = self.instances.get(server_id)
        if inst is None or inst.host is None:
            raise GuestIOError(f"no running server {server_id}")
        return self.computes[inst.host].driver.disk_data(inst.uuid, device)

    def guest_write(self, server_id: str, device: str = "/dev/vdb", offset_blocks: int = 0,
                    count: int = 1, tag: str | int = "data") -> None:
        """**Simulator only**: the guest writes *count* 32 KiB blocks at *offset_blocks*.

        A local disk is written directly; a volume is written through its iSCSI
        session into the target's backing store, the volume's LV.  Raises
        :class:`GuestIOError` if the device is not in the guest or its session
        is gone, and the LVM errors of a full thin pool.
        """
        data = self._disk(server_id, device)
        data.write(offset_blocks, count, tag)
        trace = self.env.trace
        if trace.recording:
            trace.emit("guest.write", f"guest:{server_id[:8]}", f"guest writes {count} "
                       f"block(s) at {offset_blocks} of {device}", resource=f"server:{server_id}",
                       device=device, offset_blocks=offset_blocks, count=count, tag=tag)

    def guest_read(self, server_id: str, device: str = "/dev/vdb", block: int = 0) -> int:
        """**Simulator only**: the fingerprint of one block as the guest reads it (0 = zeros)."""
        return self._disk(server_id, device).read(block)

    def disk_digest(self, server_id: str, device: str = "/dev/vda") -> str:
        """**Simulator only**: a digest of everything on a guest disk (equal = same data)."""
        return self._disk(server_id, device).digest()

    def disk_size(self, server_id: str, device: str = "/dev/vdb") -> int | None:
        """**Simulator only**: the size in bytes the guest sees at *device* (what
        ``blockdev --getsize64`` would print inside it)."""
        inst = self.instances.get(server_id)
        if inst is None or inst.host is None:
            raise GuestIOError(f"no running server {server_id}")
        return self.computes[inst.host].driver.disk_size(inst.uuid, device)

    def disk_data(self, server_id: str, device: str = "/dev/vda") -> BlockData:
        """**Simulator only**: the BlockData behind a guest disk."""
        return self._disk(server_id, device)
