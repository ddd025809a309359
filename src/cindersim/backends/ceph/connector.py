"""os-brick's ``RBDConnector`` on a Cinder host (``os_brick/initiator/connectors/rbd.py``).

cinder-backup (and cinder-volume for a host-assisted copy) reach an RBD volume
without a kernel device: ``connect_volume`` writes a temporary ceph.conf with
the monitors from the connection_info, connects as ``auth_username`` and opens
the image with librbd, returning ``{'path': RBDVolumeIOWrapper}`` -- a file-like
object over the image.  ``disconnect_volume`` closes it.  (``do_local_attach``,
a kernel ``rbd map``, is off by default and not modelled.)
"""

from __future__ import annotations

from typing import Any

from ... import errors
from ..costs import Meter
from .network import CephNetwork, RbdHandle

__all__ = ["RbdConnector"]


class RbdConnector:
    """The RBD connector of one host (its open images, by ``pool/image``)."""

    __slots__ = ("client", "handles", "meter", "network")

    def __init__(self, network: CephNetwork, meter: Meter, client: str) -> None:
        self.network = network
        self.meter = meter
        self.client = client
        self.handles: dict[str, RbdHandle] = {}

    def connect_volume(self, props: dict[str, Any]) -> RbdHandle:
        """``_get_rbd_handle``: malformed properties are a BrickException."""
        try:
            name = str(props["name"])
            pool, image = name.split("/")
            hosts = [str(h) for h in props["hosts"]]
            user = props.get("auth_username")
        except (KeyError, ValueError) as exc:
            raise errors.VolumeBackendAPIException(
                data="Connect volume failed, malformed connection properties.") from exc
        cluster = self.network.cluster_at(hosts)
        if cluster is None:
            raise errors.VolumeBackendAPIException(
                data=f"Error connecting to ceph cluster at {', '.join(hosts)}")
        handle = self.network.open(self.meter, cluster, pool, image, client=self.client,
                                   user=str(user) if user else None,
                                   conf=f"/tmp/brickrbd_{image}")
        self.handles[name] = handle
        return handle

    def handle(self, props: dict[str, Any]) -> RbdHandle:
        handle = self.handles.get(str(props.get("name")))
        if handle is None:
            raise errors.VolumeBackendAPIException(data=f"{props.get('name')} is not connected")
        return handle

    def disconnect_volume(self, props: dict[str, Any]) -> None:
        handle = self.handles.pop(str(props.get("name")), None)
        if handle is not None:
            handle.close()
