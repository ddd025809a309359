"""The NFS client of one host: mounts shared by every attachment that needs them.

Facts from ``nova/virt/libvirt/volume/mount.py`` (``_HostMountState``) and
``fs.py``/``nfs.py``, and os-brick's ``RemoteFsClient``:

* the mount point is ``<mount_point_base>/<md5 of the export>``
  (``/var/lib/nova/mnt/...`` on a compute host, ``/var/lib/cinder/mnt/...``
  for cinder-volume and cinder-backup);
* a share is mounted once (``mount -t nfs [-o <nfs_mount_options>]
  <export> <mount point>``) and kept while any (volume, instance) pair uses
  it; the last user leaving unmounts it;
* the guest gets no block device of the host: libvirt opens the file
  ``<mount point>/<name>`` (``<disk type='file'>``, driver type = the
  connection_info's ``format``).  No login, no SCSI scan, no per-volume ACL:
  the NFS export's own access rules are the only gate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import attrs

from ... import errors
from ..blocks import BlockData
from ..costs import Meter
from .share import NfsExports

__all__ = ["MOUNT_SECONDS", "UMOUNT_SECONDS", "NfsClient", "mount_point"]

MOUNT_SECONDS = 0.4
"""``mount -t nfs``: an RPC round trip to mountd and the NFS server, plus the kernel."""
UMOUNT_SECONDS = 0.2
OPEN_SECONDS = 0.01
"""``qemu-img info`` / the open of the file through the mount (one GETATTR/LOOKUP)."""


def mount_point(base: str, export: str) -> str:
    """``<base>/<md5(export)>`` as Nova's and os-brick's ``get_hash_str`` name it."""
    return f"{base}/{hashlib.md5(export.encode(), usedforsecurity=False).hexdigest()}"


@attrs.define
class _Mount:
    export: str
    path: str
    options: tuple[str, ...]
    users: list[tuple[str, str]] = attrs.field(factory=list)


class NfsClient:
    """``mount``/``umount`` on one host, reference-counted per (volume, user).

    Args:
        host: the host's name (for the trace).
        exports: the NFS servers reachable from this host.
        meter: charged for every mount, umount and open.
        mount_point_base: ``nfs_mount_point_base`` of the service on this host.
        mount_options: the service's ``nfs_mount_options`` (``-o``), if any.
    """

    component = "nfs-client"

    def __init__(self, host: str, exports: NfsExports, meter: Meter, *,
                 mount_point_base: str, mount_options: str | None = None) -> None:
        self.host = host
        self.exports = exports
        self.meter = meter
        self.mount_point_base = mount_point_base
        self.mount_options = mount_options
        self._mounts: dict[str, _Mount] = {}

    def mounts(self) -> list[str]:
        """Exports mounted on this host, in mount order."""
        return list(self._mounts)

    def users(self, export: str) -> list[tuple[str, str]]:
        m = self._mounts.get(export)
        return list(m.users) if m is not None else []

    def mount(self, export: str, user: tuple[str, str], options: str | None = None) -> str:
        """Mount *export* unless mounted; record *user*; return the mount point.

        Raises:
            ProcessExecutionError: no NFS server exports that path (``mount.nfs:
                access denied`` / no such export), exit 32 as mount(8) gives.
        """
        m = self._mounts.get(export)
        if m is None:
            opts = tuple(o for o in ((f"-o {self.mount_options}" if self.mount_options
                                      else None), options) if o)
            path = mount_point(self.mount_point_base, export)
            cmd = " ".join(["mount -t nfs", *opts, export, path])
            if self.exports.lookup(export) is None:
                self.meter.charge(self.component, "mount -t nfs", MOUNT_SECONDS,
                                  f"{cmd}: access denied by server", host=self.host,
                                  export=export, outcome="failed")
                raise errors.ProcessExecutionError(
                    cmd=cmd, exit_code=32,
                    stderr=f"mount.nfs: access denied by server while mounting {export}")
            m = self._mounts[export] = _Mount(export, path, opts)
            self.meter.charge(self.component, "mount -t nfs", MOUNT_SECONDS,
                              f"mounted {export} on {path}", host=self.host, export=export,
                              mount_point=path, options=" ".join(opts) or None,
                              outcome="mounted")
        elif user not in m.users:
            self.meter.charge(self.component, "mount (reuse)", 0.0,
                              f"{export} already mounted on {m.path}: reused "
                              f"({len(m.users)} other user(s))", host=self.host,
                              export=export, mount_point=m.path, outcome="reused")
        if user not in m.users:
            m.users.append(user)
        return m.path

    def umount(self, export: str, user: tuple[str, str]) -> None:
        """Drop *user*; unmount when nobody uses the share any more."""
        m = self._mounts.get(export)
        if m is None:
            return
        if user in m.users:
            m.users.remove(user)
        if m.users:
            self.meter.charge(self.component, "umount (kept)", 0.0,
                              f"{export} stays mounted: still used by {len(m.users)} "
                              "attachment(s)", host=self.host, export=export,
                              mount_point=m.path, outcome="kept")
            return
        del self._mounts[export]
        self.meter.charge(self.component, "umount", UMOUNT_SECONDS,
                          f"unmounted {m.path} ({export})", host=self.host, export=export,
                          mount_point=m.path, outcome="unmounted")

    # --- os-brick RemoteFsConnector / Nova LibvirtNFSVolumeDriver ---------------------------
    def connect_volume(self, data: Mapping[str, Any], user: tuple[str, str]) -> dict[str, str]:
        """Mount the share and return the file's path (``device_path``)."""
        export = str(data["export"])
        path = self.mount(export, user, data.get("options"))
        return {"type": "file", "path": f"{path}/{data['name']}"}

    def disconnect_volume(self, data: Mapping[str, Any], user: tuple[str, str]) -> None:
        self.umount(str(data["export"]), user)

    def device_data(self, data: Mapping[str, Any]) -> BlockData:
        """The file's content through the mount (the chain's active image).

        Raises:
            VolumeDeviceNotFound: the share is not mounted here, or has no such file.
        """
        export = str(data["export"])
        if export not in self._mounts:
            raise errors.VolumeDeviceNotFound(device=f"{export}/{data['name']} (not mounted)")
        share = self.exports.lookup(export)
        if share is None:
            raise errors.VolumeDeviceNotFound(device=f"{export}/{data['name']}")
        return share.chain_of(str(data["name"])).data
