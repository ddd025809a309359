"""os-brick's connector factory for one host: ``driver_volume_type`` picks the protocol.

``InitiatorConnector.factory(protocol, ...)`` in os-brick, and Nova's
``volume_drivers`` table (``iscsi`` -> LibvirtISCSIVolumeDriver, ``nfs`` ->
LibvirtNFSVolumeDriver, ``fibre_channel`` -> LibvirtFibreChannelVolumeDriver):
the connection_info Cinder returned names its protocol, and the host uses the
matching connector.  The iSCSI side keeps its own sessions (and returns them);
NFS mounts a share, FC scans its HBAs.  ``get_connector_properties`` merges
what every connector knows about the host: the iSCSI initiator name always,
``wwpns``/``wwnns`` when the host has FC HBAs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .. import errors
from .blocks import BlockData
from .costs import Meter
from .fc import FcFabric, FcHost
from .nfs import NfsClient, NfsExports

__all__ = ["StorageNetworks", "VolumeConnector"]


@attrs.define(eq=False)
class StorageNetworks:
    """The non-iSCSI storage networks of one cloud: NFS servers and the FC fabric."""

    nfs: NfsExports = attrs.field(factory=NfsExports)
    fc: FcFabric = attrs.field(factory=FcFabric)
    fc_hosts: list[str] = attrs.field(factory=list)
    """Hosts given HBAs, in order (a host's index makes its WWPNs)."""
    fc_cabled: bool = False
    """True when some backend is an FC array: then every host gets HBAs."""

    def fc_host(self, host: str, meter: Meter) -> FcHost | None:
        if not self.fc_cabled:
            return None
        if host not in self.fc_hosts:
            self.fc_hosts.append(host)
        return FcHost(host, self.fc_hosts.index(host) + 1, self.fc, meter)


class VolumeConnector:
    """The NFS and FC connectors of one host (the iSCSI one stays the caller's).

    Args:
        host: the host name.
        networks: the cloud's storage networks.
        meter: charged by mounts and scans.
        mount_point_base: ``nfs_mount_point_base`` for this host's service.
    """

    def __init__(self, host: str, networks: StorageNetworks, meter: Meter, *,
                 mount_point_base: str, mount_options: str | None = None) -> None:
        self.host = host
        self.nfs = NfsClient(host, networks.nfs, meter, mount_point_base=mount_point_base,
                             mount_options=mount_options)
        self.fc = networks.fc_host(host, meter)

    @staticmethod
    def handles(connection_info: Mapping[str, Any]) -> bool:
        return connection_info.get("driver_volume_type") in ("nfs", "fibre_channel")

    def connector_properties(self) -> dict[str, Any]:
        return self.fc.connector_properties() if self.fc is not None else {}

    def _fc(self) -> FcHost:
        if self.fc is None:
            raise errors.VolumeDeviceNotFound(device=f"{self.host}: no Fibre Channel HBA")
        return self.fc

    def connect_volume(self, connection_info: Mapping[str, Any],
                       user: tuple[str, str]) -> dict[str, str]:
        data = connection_info["data"]
        if connection_info.get("driver_volume_type") == "nfs":
            return self.nfs.connect_volume(data, user)
        return self._fc().connect_volume(data)

    def disconnect_volume(self, connection_info: Mapping[str, Any],
                          user: tuple[str, str]) -> None:
        data = connection_info["data"]
        if connection_info.get("driver_volume_type") == "nfs":
            self.nfs.disconnect_volume(data, user)
        elif self.fc is not None:
            self.fc.disconnect_volume(data)

    def device_data(self, connection_info: Mapping[str, Any]) -> BlockData:
        data = connection_info["data"]
        if connection_info.get("driver_volume_type") == "nfs":
            return self.nfs.device_data(data)
        return self._fc().device_data(data)
