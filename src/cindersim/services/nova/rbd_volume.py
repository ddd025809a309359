"""Nova's RBD volume path: ``LibvirtNetVolumeDriver`` (``nova/virt/libvirt/volume/net.py``).

An RBD volume never becomes a device of the compute host.  Where an iSCSI
volume needs os-brick to log in to a target and wait for ``/dev/sdX``, the
libvirt driver for ``driver_volume_type = 'rbd'`` does nothing on the host at
``connect_volume``: it writes a *network* disk into the domain XML --
``<disk type='network'><source protocol='rbd' name='<pool>/volume-<id>'>`` with
one ``<host>`` per Ceph monitor from the connection_info, and
``<auth username='<rbd_user>'><secret type='ceph' uuid='<secret_uuid>'/>``
(the libvirt secret holding the cephx key, defined on the host beforehand) --
and QEMU's own librbd opens the image when the device is attached: it asks the
monitors for the cluster map and then reads and writes the OSDs directly.

So there is no iSCSI login, no SCSI scan, no multipath and no host block device
to clean up; detaching closes the image in QEMU (the watcher goes away) and
``disconnect_volume`` has nothing to do either.
"""

from __future__ import annotations

from typing import Any

import attrs

from ...backends.blocks import BlockData
from ...backends.ceph import CephNetwork, RbdError, RbdHandle
from ...backends.costs import Meter
from .model import NovaError

__all__ = ["RbdNetDisk", "rbd_net_disk"]


@attrs.define(eq=False)
class RbdNetDisk:
    """The ``<disk type='network'>`` of one RBD volume in a domain (QEMU's librbd)."""

    name: str
    """``<pool>/<image>`` (``source name``)."""
    hosts: tuple[str, ...]
    ports: tuple[str, ...]
    auth_username: str | None
    secret_uuid: str | None
    cluster_name: str
    handle: RbdHandle | None = None

    @property
    def device(self) -> str:
        """How the trace names the disk's source (there is no ``/dev`` node on the host)."""
        return f"rbd:{self.name}"

    def open(self, ceph: CephNetwork | None, meter: Meter, client: str) -> RbdHandle:
        """QEMU opens the image through librbd: monitors first, then the OSDs."""
        cluster = ceph.cluster_at(list(self.hosts)) if ceph is not None else None
        if ceph is None or cluster is None:
            raise NovaError(f"Unable to connect to Ceph monitors {', '.join(self.hosts)} for "
                            f"{self.name}", 500)
        pool, _, image = self.name.partition("/")
        try:
            self.handle = ceph.open(meter, cluster, pool, image, client=client,
                                    user=self.auth_username, conf="")
        except RbdError as exc:
            raise NovaError(f"librbd could not open {self.name}: {exc}", 500) from exc
        return self.handle

    def data(self) -> BlockData:
        if self.handle is None:
            raise RbdError(reason=f"{self.name} is not open")
        return self.handle.data

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def rbd_net_disk(connection_info: dict[str, Any]) -> RbdNetDisk:
    """``_get_net_config`` + ``_set_auth_config_rbd``: the network disk's source and auth.

    With ``auth_enabled`` the username and secret come from Cinder's connection_info
    (``rbd_user``, ``rbd_secret_uuid``); Nova's own ``[libvirt] rbd_user`` /
    ``rbd_secret_uuid`` are only a fallback, not modelled.
    """
    data = connection_info.get("data") or {}
    if not data.get("name"):
        raise NovaError("Invalid connection_info for an rbd volume: no name", 500)
    auth = bool(data.get("auth_enabled"))
    return RbdNetDisk(str(data["name"]), tuple(str(h) for h in data.get("hosts") or ()),
                      tuple(str(p) for p in data.get("ports") or ()),
                      str(data["auth_username"]) if auth and data.get("auth_username") else None,
                      str(data["secret_uuid"]) if auth and data.get("secret_uuid") else None,
                      str(data.get("cluster_name") or "ceph"))
