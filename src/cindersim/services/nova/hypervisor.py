"""A libvirt-like hypervisor driver for one compute host.

What ``nova/virt/libvirt/driver.py`` does for the block-storage flows, with
its device naming and its order of steps:

* **spawn**: fetch the image into the host's image cache (``_base``; a second
  server from the same image on the same host does not download again),
  create the instance's root disk ``/var/lib/nova/instances/<uuid>/disk`` as a
  copy-on-write overlay of it, connect every volume through os-brick, define
  the domain ``instance-%08x`` with ``vda`` (root) and ``vdb``, ``vdc`` ... and
  start it.
* **attach_volume**: os-brick ``connect_volume`` (an iSCSI login with the CHAP
  from ``connection_info``: the host gets ``/dev/sdX``), then
  ``attachDeviceFlags``: the guest sees the disk as ``/dev/vdX``.
* **detach_volume**: ``detachDeviceFlags`` from the guest, then os-brick
  ``disconnect_volume`` (logout).
* **destroy**: power off, detach and disconnect every volume, delete the
  instance directory (the ephemeral disk is gone).
* **snapshot**: ``qemu-img convert`` of the root disk, uploaded to Glance.

The guest's disks are :class:`~cindersim.backends.blocks.BlockData`: a local
disk's own, or the volume's LV data reached through the iSCSI session.  A
write through a session the target has dropped fails, as the guest's I/O
would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ...backends.blocks import BlockData, GiB
from ...backends.ceph import CephNetwork, RbdError
from ...backends.connectors import VolumeConnector
from ...backends.costs import Meter
from ...backends.iscsi import IscsiInitiator, Session
from ...errors import CinderException, SimulationError
from .model import NovaError
from .rbd_volume import RbdNetDisk, rbd_net_disk

if TYPE_CHECKING:

    from ..env import ServiceEnv
    from ..glance.client import ImageService

__all__ = ["EncryptedResize", "ExtendVolumeError", "GuestDisk", "GuestIOError",
           "LibvirtDriver", "VolumeConnection", "VolumeSource", "next_device_name"]

SPAWN_SECONDS = 4.0
"""Defining and booting a domain (virsh define + start)."""
ATTACH_DEVICE_SECONDS = 0.3
DETACH_DEVICE_SECONDS = 0.5
DESTROY_SECONDS = 1.0
OVERLAY_SECONDS = 0.1
"""``qemu-img create -f qcow2 -b _base/<hash>`` of the root disk."""
RESCAN_SECONDS = 0.2
"""os-brick ``extend_volume``: ``iscsiadm -m session --rescan`` and reading the new size."""
BLOCK_RESIZE_SECONDS = 0.05
"""``virsh blockresize`` (``virDomainBlockResize``) of a running guest's disk."""


def _vol_key(connection_info: dict[str, Any]) -> str:
    data = connection_info.get("data") or {}
    return str(data.get("volume_id") or data.get("name") or "")


class GuestIOError(OSError):
    """The guest's I/O to a disk failed (no such device, or the session is gone)."""


class ExtendVolumeError(NovaError):
    """``VolumeExtendFailed`` / ``ExtendVolumeNotSupported`` of the libvirt driver."""


def next_device_name(used: list[str], prefix: str = "vd") -> str:
    """``get_next_device_name``: the first free ``/dev/vdX`` (vda, vdb, ... vdz, vdaa)."""
    taken = {u.removeprefix("/dev/") for u in used}
    n = 0
    while True:
        letters = ""
        m = n + 1
        while m > 0:
            m, rem = divmod(m - 1, 26)
            letters = chr(ord("a") + rem) + letters
        name = f"{prefix}{letters}"
        if name not in taken:
            return f"/dev/{name}"
        n += 1


@attrs.define
class GuestDisk:
    """One disk of a domain: a local file, or a volume reached through a session."""

    target: str
    """``vda``, ``vdb`` ... (the guest's ``/dev/<target>``)."""
    kind: str
    """``file`` (a local disk) or ``block`` (an os-brick device)."""
    source: str
    """The file path, or the host device (``/dev/sdX``)."""
    volume_id: str | None = None
    session: Session | None = None
    net: RbdNetDisk | None = None
    """A network disk (``<source protocol='rbd'>``): QEMU's librbd, no host device."""
    data: BlockData | None = None
    """A local disk's content (volumes are read through the env's data plane)."""
    crypt: BlockData | None = None
    """An encrypted volume's plaintext (dm-crypt mapping or QEMU's LUKS layer)."""
    size_bytes: int | None = None
    """The size QEMU presents to the guest: probed when a volume is attached, changed
    only by ``virsh blockresize`` (Cinder growing the LV is not enough: the host must
    rescan and the hypervisor resize, which is what ``volume-extended`` is for)."""
    connection_info: dict[str, Any] | None = None
    """An NFS or FC volume's connection_info (reached through the mount / the HBAs)."""


class EncryptedResize(Protocol):
    """How an attached *encrypted* volume is grown (``_resize_attached_encrypted_volume``).

    Called with the guest disk, the new size of the host's device in bytes and the
    connection_info; returns the size the guest is to see (e.g. after
    ``cryptsetup resize`` and minus the LUKS header) once it has resized the disk.
    """

    def __call__(self, driver: LibvirtDriver, disk: GuestDisk, new_size: int,
                 connection_info: Mapping[str, Any]) -> int: ...


@attrs.frozen
class VolumeSource:
    """What os-brick gave for an NFS or FC volume: a file on a mount, or a SCSI device."""

    kind: str
    """``file`` (NFS: ``<disk type='file'>``) or ``block`` (FC)."""
    path: str
    connection_info: dict[str, Any]


VolumeConnection = Session | RbdNetDisk | VolumeSource
"""What ``connect_volume`` gives: an iSCSI session (host device), an RBD network disk, or
an NFS file / FC device reached through os-brick's other connectors."""


@attrs.define
class Domain:
    name: str
    uuid: str
    running: bool = False
    disks: dict[str, GuestDisk] = attrs.field(factory=dict)


class LibvirtDriver:
    """The virt driver of one compute host.

    Args:
        env: the env (trace, Glance, the volumes' data).
        host: the compute host name.
        initiator: the host's open-iscsi initiator (os-brick's ISCSIConnector).
        meter: where every operation is charged.
    """

    def __init__(self, env: ServiceEnv, host: str, initiator: IscsiInitiator,
                 meter: Meter, *, glance: ImageService,
                 volumes: VolumeConnector | None = None,
                 ceph: CephNetwork | None = None) -> None:
        self.env = env
        self.volumes = volumes
        """The NFS/FC connectors (LibvirtNFSVolumeDriver, LibvirtFibreChannelVolumeDriver)."""
        self.ceph = ceph
        """The Ceph clusters QEMU's librbd can reach (RBD volumes)."""
        self.glance = glance
        self.host = host
        self.initiator = initiator
        self.meter = meter
        self.domains: dict[str, Domain] = {}
        self.local_disks: dict[str, BlockData] = {}
        """``/var/lib/nova/instances/<uuid>/disk`` -> content (the ephemeral disks)."""
        self.image_cache: dict[str, BlockData] = {}
        """``/var/lib/nova/instances/_base``: images downloaded to this host, by id."""
        self.encrypted_resize: EncryptedResize | None = None
        """Growing an attached encrypted volume (cryptsetup / LUKS); None: not supported."""

    component = "libvirt"

    def _charge(self, op: str, seconds: float, summary: str, **detail: Any) -> None:
        self.meter.charge(self.component, op, seconds, summary, host=self.host, **detail)

    # --- images and local disks -----------------------------------------------------------
    def fetch_image(self, image_id: str) -> BlockData:
        """Download into ``_base`` unless already cached (``imagebackend`` cache)."""
        cached = self.image_cache.get(image_id)
        if cached is not None:
            self._charge("image cache hit", 0.0, f"image {image_id[:8]} already in _base",
                         image_id=image_id)
            return cached
        image = self.glance.images[image_id]
        data = self.glance.image_data(image_id)
        size = image.size or 0
        self._charge("glance download", self.meter.costs.transfer(
            size, self.meter.costs.object_bandwidth),
            f"downloaded image {image_id[:8]} ({size} bytes) into _base", image_id=image_id,
            bytes=size)
        self.image_cache[image_id] = data
        return data

    def create_root_disk(self, instance_uuid: str, image_id: str | None, size_gb: int) -> str:
        """The instance's ``disk``: a qcow2 overlay of the cached image (or blank)."""
        path = f"/var/lib/nova/instances/{instance_uuid}/disk"
        base = self.fetch_image(image_id) if image_id else None
        size_blocks = size_gb * (GiB // 32768)
        if base is not None:
            size_blocks = max(size_blocks, base.size_blocks)
        disk = BlockData(size_blocks)
        if base is not None:
            disk.put(base.items())
        self.local_disks[path] = disk
        self._charge("qemu-img create", OVERLAY_SECONDS,
                     f"created {path} ({size_blocks * 32768} bytes) backed by image "
                     f"{(image_id or 'none')[:8]}", path=path)
        return path

    # --- domains ---------------------------------------------------------------------------
    def spawn(self, instance_uuid: str, name: str, disks: list[GuestDisk]) -> Domain:
        """Define and start the domain with its disks."""
        for d in disks:
            if d.session is not None and d.size_bytes is None:
                d.size_bytes = (d.crypt.size_bytes if d.crypt is not None
                                else self._probe(d.session))
        dom = Domain(name, instance_uuid, running=True,
                     disks={d.target: d for d in disks})
        self.domains[instance_uuid] = dom
        listing = ", ".join(f"{d.target}={d.source}" for d in disks)
        self._charge("virsh start", SPAWN_SECONDS, f"started {name} with {listing}",
                     instance=instance_uuid, domain=name)
        return dom

    def connect_volume(self, connection_info: dict[str, Any],
                       instance_uuid: str = "") -> VolumeConnection:
        """The volume driver for ``driver_volume_type``: iSCSI logs in through os-brick
        and returns the session; RBD only describes a network disk (nothing on the host);
        NFS mounts the share (once per share), FC scans the HBAs."""
        if connection_info.get("driver_volume_type") == "rbd":
            disk = rbd_net_disk(connection_info)
            self._charge("rbd network disk", 0.0,
                         f"{disk.name}: network disk via monitors {', '.join(disk.hosts)} "
                         "(no host device, no iSCSI login)", volume_name=disk.name)
            return disk
        if self.volumes is not None and self.volumes.handles(connection_info):
            found = self.volumes.connect_volume(connection_info, (_vol_key(
                connection_info), instance_uuid))
            return VolumeSource(found["type"], found["path"], connection_info)
        data = connection_info["data"]
        self.initiator.connect_volume(data)
        session = self.initiator.session_for(str(data["target_iqn"]),
                                             str(data["target_portal"]))
        if session is None:  # pragma: no cover - connect_volume raised otherwise
            raise SimulationError("os-brick returned without a session")
        return session

    def disconnect_volume(self, connection_info: dict[str, Any],
                          instance_uuid: str = "") -> None:
        """os-brick ``disconnect_volume``: flush, remove the device, log out (RBD: nothing;
        NFS: unmount when no other attachment uses the share)."""
        if connection_info.get("driver_volume_type") == "rbd":
            return
        if self.volumes is not None and self.volumes.handles(connection_info):
            self.volumes.disconnect_volume(connection_info, (_vol_key(connection_info),
                                                             instance_uuid))
            return
        self.initiator.disconnect_volume(connection_info["data"])

    def volume_disk(self, target: str, volume_id: str, conn: VolumeConnection) -> GuestDisk:
        """The domain's ``<disk>`` for a connected volume (``get_config`` of the volume
        driver; QEMU opens an RBD image here)."""
        if isinstance(conn, RbdNetDisk):
            conn.open(self.ceph, self.meter, f"qemu:{self.host}")
            return GuestDisk(target, "network", conn.device, volume_id=volume_id, net=conn)
        if isinstance(conn, VolumeSource):
            return GuestDisk(target, conn.kind, conn.path, volume_id=volume_id,
                             connection_info=conn.connection_info)
        return GuestDisk(target, "block", f"/dev/{conn.device}", volume_id=volume_id,
                         session=conn, size_bytes=self._probe(conn))

    def attach_device(self, instance_uuid: str, target: str, volume_id: str,
                      session: VolumeConnection, *, source: str | None = None,
                      crypt: BlockData | None = None) -> GuestDisk:
        """``attachDeviceFlags``: the host's ``/dev/sdX`` (or the NFS file, or an RBD
        network disk; or, for an encrypted volume, the *source* the encryptor made, with
        its plaintext *crypt*) becomes the guest's ``target``."""
        dom = self._domain(instance_uuid)
        disk = self.volume_disk(target, volume_id, session)
        if crypt is not None:  # the guest sees the plaintext: the LV less any header
            disk.source, disk.crypt, disk.size_bytes = source or disk.source, crypt, \
                crypt.size_bytes
        dom.disks[target] = disk
        self._charge("virsh attach-device", ATTACH_DEVICE_SECONDS,
                     f"{dom.name}: {disk.source} attached as /dev/{target}",
                     instance=instance_uuid, target=target, volume_id=volume_id,
                     device=disk.source)
        return disk

    def detach_device(self, instance_uuid: str, target: str) -> GuestDisk | None:
        dom = self.domains.get(instance_uuid)
        if dom is None:
            return None
        disk = dom.disks.pop(target, None)
        if disk is not None:
            if disk.net is not None:
                disk.net.close()  # QEMU closes the image: no longer a watcher
            self._charge("virsh detach-device", DETACH_DEVICE_SECONDS,
                         f"{dom.name}: /dev/{target} detached", instance=instance_uuid,
                         target=target, volume_id=disk.volume_id)
        return disk

    def destroy(self, instance_uuid: str) -> None:
        """Power off and undefine; delete the instance directory (its local disks)."""
        dom = self.domains.pop(instance_uuid, None)
        for disk in dom.disks.values() if dom is not None else ():
            if disk.net is not None:
                disk.net.close()
        prefix = f"/var/lib/nova/instances/{instance_uuid}/"
        gone = [p for p in self.local_disks if p.startswith(prefix)]
        for path in gone:
            del self.local_disks[path]
        name = dom.name if dom is not None else instance_uuid
        self._charge("virsh destroy", DESTROY_SECONDS,
                     f"destroyed {name}; deleted {len(gone)} local disk(s)",
                     instance=instance_uuid, deleted=gone)

    def snapshot(self, instance_uuid: str) -> BlockData:
        """``qemu-img convert`` of the root disk (the copy a snapshot uploads)."""
        dom = self._domain(instance_uuid)
        root = dom.disks.get("vda")
        if root is None or root.data is None:
            raise SimulationError("only a local root disk can be snapshotted by libvirt")
        copy = root.data.copy()
        nbytes = copy.written() * 32768
        self._charge("qemu-img convert", self.meter.costs.transfer(
            nbytes, self.meter.costs.copy_bandwidth),
            f"{dom.name}: root disk converted for snapshot ({nbytes} bytes)",
            instance=instance_uuid, bytes=nbytes)
        return copy

    def _probe(self, session: Session) -> int | None:
        """The size of the host's ``/dev/sdX`` (what ``blockdev --getsize64`` reads)."""
        try:
            return self.initiator.device_data(session).size_bytes
        except CinderException:
            return None

    def extend_volume(self, instance_uuid: str, connection_info: Mapping[str, Any],
                      volume_id: str, requested_size: int) -> int:
        """``LibvirtDriver.extend_volume``: rescan the host's device, resize the guest's.

        os-brick's ``extend_volume`` rescans the iSCSI session and reads the device's
        new size; for a running guest, the disk whose serial is the volume id is then
        resized with ``virDomainBlockResize`` (an encrypted one through
        :attr:`encrypted_resize`).  Returns the new size in bytes.

        Raises:
            ExtendVolumeError: no session to rescan, or an encrypted volume and no
                way to grow it.
        """
        data = connection_info["data"]
        if connection_info.get("driver_volume_type") == "rbd" or (
                self.volumes is not None and self.volumes.handles(dict(connection_info))):
            return self._extend_other(instance_uuid, connection_info, volume_id,
                                      requested_size)
        try:
            session = self.initiator.connected_session(data)
            new_size = self.initiator.device_data(session).size_bytes
        except CinderException as exc:
            raise ExtendVolumeError(f"Volume {volume_id} could not be extended: Failure to "
                                    f"resize underlying volume on compute. ({exc})") from exc
        # os-brick runs the rescan on the host's initiator, as for the login.
        self.meter.charge(self.initiator.component, "iscsiadm --rescan", RESCAN_SECONDS,
                          f"rescanned {session.iqn}: /dev/{session.device} is now "
                          f"{new_size} bytes (requested {requested_size})", host=self.host,
                          iqn=session.iqn, device=f"/dev/{session.device}", bytes=new_size,
                          volume_id=volume_id)
        return self._resize_guest(instance_uuid, connection_info, volume_id, new_size)

    def _extend_other(self, instance_uuid: str, connection_info: Mapping[str, Any],
                      volume_id: str, requested_size: int) -> int:
        """RBD, NFS and FC volumes: no iSCSI session to rescan.  Nova's network-disk
        driver (RBD) takes the size Cinder asked for (librbd sees the new image size); the
        FC and NFS connectors read the device or file again.  Then the same blockresize."""
        if connection_info.get("driver_volume_type") == "rbd" or self.volumes is None:
            new_size = requested_size
        else:
            try:
                new_size = self.volumes.device_data(dict(connection_info)).size_bytes
            except CinderException as exc:
                raise ExtendVolumeError(f"Volume {volume_id} could not be extended: Failure "
                                        f"to resize underlying volume on compute. ({exc})"
                                        ) from exc
        return self._resize_guest(instance_uuid, connection_info, volume_id, new_size)

    def _resize_guest(self, instance_uuid: str, connection_info: Mapping[str, Any],
                      volume_id: str, new_size: int) -> int:
        """The guest's half: ``virsh blockresize`` of the disk whose serial is the volume
        (an encrypted one through :attr:`encrypted_resize`)."""
        dom = self.domains.get(instance_uuid)
        disk = None if dom is None else next(
            (d for d in dom.disks.values() if d.volume_id == volume_id), None)
        if dom is None or not dom.running or disk is None:
            return new_size  # "Skipping block device resize, guest is not running"
        if connection_info["data"].get("encrypted"):
            if self.encrypted_resize is None:
                raise ExtendVolumeError("Volume size extension is not supported by the "
                                        "hypervisor.")
            disk.size_bytes = self.encrypted_resize(self, disk, new_size, connection_info)
            return new_size
        self.block_resize(dom, disk, new_size)
        return new_size

    def block_resize(self, dom: Domain, disk: GuestDisk, size_bytes: int) -> None:
        """``virsh blockresize``: the guest sees *size_bytes* on that disk from now on."""
        old = disk.size_bytes
        disk.size_bytes = size_bytes
        self._charge("virsh blockresize", BLOCK_RESIZE_SECONDS,
                     f"{dom.name}: /dev/{disk.target} resized from {old} to {size_bytes} "
                     "bytes", instance=dom.uuid, target=disk.target,
                     volume_id=disk.volume_id, old_bytes=old, bytes=size_bytes)

    def disk_size(self, instance_uuid: str, device: str) -> int | None:
        """The size the guest sees at ``device`` (None for a disk never probed)."""
        dom = self.domains.get(instance_uuid)
        disk = dom.disks.get(device.removeprefix("/dev/")) if dom is not None else None
        if disk is None:
            raise GuestIOError(f"no device {device} in the guest")
        if disk.data is not None:
            return disk.data.size_bytes
        return disk.size_bytes

    def _domain(self, instance_uuid: str) -> Domain:
        dom = self.domains.get(instance_uuid)
        if dom is None:
            raise SimulationError(f"no domain for instance {instance_uuid}")
        return dom

    # --- the guest's I/O ---------------------------------------------------------------------
    def disk_data(self, instance_uuid: str, device: str) -> BlockData:
        """What the guest reads and writes at ``device`` (``/dev/vdb`` or ``vdb``)."""
        dom = self.domains.get(instance_uuid)
        target = device.removeprefix("/dev/")
        disk = dom.disks.get(target) if dom is not None else None
        if dom is None or disk is None:
            raise GuestIOError(f"no device {device} in the guest")
        if disk.data is not None:
            return disk.data
        if disk.net is not None:
            try:
                return disk.net.data()
            except (RbdError, CinderException) as exc:
                raise GuestIOError(f"I/O error on {device}: {exc}") from exc
        if disk.connection_info is not None and self.volumes is not None:
            try:
                return self.volumes.device_data(disk.connection_info)
            except CinderException as exc:
                raise GuestIOError(f"I/O error on {device}: {exc}") from exc
        if disk.session is None or not self.initiator.is_logged_in(disk.session):
            raise GuestIOError(f"I/O error on {device}: the iSCSI session is gone")
        # The guest's I/O goes down the session to the target's backing store (the LV).
        try:
            data = self.initiator.device_data(disk.session)
        except CinderException as exc:
            raise GuestIOError(f"I/O error on {device}: {exc}") from exc
        # An encrypted volume: the guest sees the plaintext above the session's LV.
        return data if disk.crypt is None else disk.crypt
