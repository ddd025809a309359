"""Fibre Channel: a fabric with zones, Cinder's FC Zone Manager, an array, host HBAs.

``fabric`` holds the switch (port logins, the active zone set) and the zone
manager; ``array`` a simulated FC storage array (LUNs, target ports, host
masking); ``hba`` a host's HBAs with os-brick's FibreChannelConnector.  May use
the kernel (``errors``) and ``backends.blocks``/``backends.costs``; never
``services/`` or the drivers.
"""

from .array import ArrayHost, FcArray, Lun
from .fabric import FcFabric, Zone, ZoneManager, ZoneManagerException, friendly_zone_name
from .hba import FcHost, NoFibreChannelVolumeDeviceFound, host_wwns

__all__ = [
    "ArrayHost",
    "FcArray",
    "FcFabric",
    "FcHost",
    "Lun",
    "NoFibreChannelVolumeDeviceFound",
    "Zone",
    "ZoneManager",
    "ZoneManagerException",
    "friendly_zone_name",
    "host_wwns",
]
