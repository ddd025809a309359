"""A Fibre Channel fabric (one switch) and Cinder's FC Zone Manager on it.

Facts from ``cinder/zonemanager/`` (``fc_zone_manager.py``, ``utils.py``,
``drivers/driver_utils.py``):

* ``zoning_mode = fabric`` turns the zone manager on; FC drivers call
  ``fczm_utils.add_fc_zone(conn_info)`` at the end of
  ``initialize_connection`` and ``remove_fc_zone(conn_info)`` in
  ``terminate_connection``; both act only when ``driver_volume_type`` is
  ``fibre_channel`` and the data carries an ``initiator_target_map``.
* the default ``zoning_policy`` is ``initiator-target``: one zone per
  (initiator WWPN, target WWPN) pair, named ``<zone_name_prefix><initiator
  without colons><target without colons>`` (prefix ``openstack``);
* the manager does not reference-count pairs (``get_zoning_state_ref_count``
  returns 0): it is the *driver* that leaves the map out of
  ``terminate_connection``'s answer while the host still has LUNs mapped, so a
  zone outlives the first of two attachments that use it.

Without zoning (``zoning_mode`` unset) the fabric is taken as zoned by the
administrator beforehand: every initiator sees every target.  With zoning on,
an initiator reaches a target port only through a zone holding both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ... import errors
from ..costs import Meter
from .array import FcArray

__all__ = ["FcFabric", "Zone", "ZoneManager", "ZoneManagerException", "friendly_zone_name"]

ZONE_EDIT_SECONDS = 0.3
"""``zonecreate``/``cfgadd`` (or ``zonedelete``/``cfgremove``) of one zone in the transaction."""
CFG_ENABLE_SECONDS = 1.5
"""``cfgsave`` + ``cfgenable``: the switch commits and distributes the zone set, once per
connection (the Brocade/Cisco zone drivers batch a connection's zones)."""
NAMESERVER_SECONDS = 0.05
"""``nsshow``: the lookup service asks the switch which ports are logged in."""


class ZoneManagerException(errors.BackendError):
    message = "Fibre Channel connection control failure: %(reason)s"


def friendly_zone_name(initiator: str, target: str, prefix: str = "openstack") -> str:
    """``get_friendly_zone_name`` for the ``initiator-target`` policy."""
    return f"{prefix}{initiator.replace(':', '').lower()}{target.replace(':', '').lower()}"


@attrs.frozen
class Zone:
    name: str
    members: tuple[str, str]
    """(initiator WWPN, target WWPN)."""


class FcFabric:
    """One fabric: the ports logged in to it (FLOGI) and its active zone set."""

    def __init__(self, name: str = "fabric_a") -> None:
        self.name = name
        self.zoning = False
        """True once a backend runs the zone manager (``zoning_mode = fabric``)."""
        self._ports: dict[str, str] = {}
        """WWPN -> what owns it (``host:hba`` or ``array:port``), in login order."""
        self._zones: dict[str, Zone] = {}
        self._arrays: dict[str, FcArray] = {}

    def cable_array(self, array: FcArray) -> None:
        """Connect an array's target ports to the switch (they log in)."""
        self._arrays[array.name] = array
        for wwpn in array.target_wwpns:
            self.login(wwpn, f"{array.name}:{wwpn}")

    def array_behind(self, target: str) -> FcArray | None:
        for array in self._arrays.values():
            if target in array.target_wwpns:
                return array
        return None

    def arrays(self) -> list[FcArray]:
        return list(self._arrays.values())

    def login(self, wwpn: str, owner: str) -> None:
        self._ports[wwpn] = owner

    def logged_in(self, wwpn: str) -> bool:
        return wwpn in self._ports

    def owner(self, wwpn: str) -> str | None:
        return self._ports.get(wwpn)

    def zones(self) -> list[Zone]:
        return list(self._zones.values())

    def zone(self, name: str) -> Zone | None:
        return self._zones.get(name)

    def can_see(self, initiator: str, target: str) -> bool:
        """Whether *initiator* reaches *target* (both logged in; zoned if zoning is on)."""
        if initiator not in self._ports or target not in self._ports:
            return False
        if not self.zoning:
            return True
        return any(z.members == (initiator, target) for z in self._zones.values())

    def add_zone(self, zone: Zone) -> bool:
        if zone.name in self._zones:
            return False
        self._zones[zone.name] = zone
        return True

    def delete_zone(self, name: str) -> bool:
        return self._zones.pop(name, None) is not None


class ZoneManager:
    """``ZoneManager.add_connection`` / ``delete_connection`` with the ``initiator-target``
    policy over one fabric (the lookup service finds every target on it)."""

    component = "fc-zone-manager"

    def __init__(self, fabric: FcFabric, meter: Meter, *, zone_name_prefix: str = "openstack",
                 host: str = "") -> None:
        self.fabric = fabric
        self.meter = meter
        self.prefix = zone_name_prefix
        self.host = host
        fabric.zoning = True

    def _pairs(self, conn_info: Mapping[str, Any]) -> list[tuple[str, str]]:
        if conn_info.get("driver_volume_type") != "fibre_channel":
            return []
        itmap = (conn_info.get("data") or {}).get("initiator_target_map") or {}
        return [(i, t) for i, targets in itmap.items() for t in targets]

    def add_connection(self, conn_info: Mapping[str, Any]) -> list[str]:
        """Create the zone of every pair not zoned yet; returns the zones made."""
        made: list[str] = []
        pairs = self._pairs(conn_info)
        if not pairs:
            return made
        self.meter.charge(self.component, "nsshow", NAMESERVER_SECONDS,
                          f"{self.fabric.name}: name server lookup of "
                          f"{len({t for _, t in pairs})} target port(s)", fabric=self.fabric.name)
        for initiator, target in pairs:
            if not self.fabric.logged_in(target):
                raise ZoneManagerException(
                    reason=f"Failed adding connection for fabric={self.fabric.name}: "
                           f"target {target} is not logged in")
            name = friendly_zone_name(initiator, target, self.prefix)
            if self.fabric.add_zone(Zone(name, (initiator, target))):
                made.append(name)
                self.meter.charge(self.component, "zone add", ZONE_EDIT_SECONDS,
                                  f"{self.fabric.name}: zonecreate {name} "
                                  f"({initiator};{target})", fabric=self.fabric.name,
                                  zone=name, initiator=initiator, target=target, host=self.host)
        if made:
            self._enable(f"{len(made)} zone(s) added")
        return made

    def _enable(self, what: str) -> None:
        self.meter.charge(self.component, "cfgenable", CFG_ENABLE_SECONDS,
                          f"{self.fabric.name}: cfgsave; cfgenable ({what}; "
                          f"{len(self.fabric.zones())} zone(s) active)", fabric=self.fabric.name,
                          zones=len(self.fabric.zones()), host=self.host)

    def delete_connection(self, conn_info: Mapping[str, Any]) -> list[str]:
        """Remove the zone of every pair in the map; returns the zones removed."""
        gone: list[str] = []
        for initiator, target in self._pairs(conn_info):
            name = friendly_zone_name(initiator, target, self.prefix)
            if self.fabric.delete_zone(name):
                gone.append(name)
                self.meter.charge(self.component, "zone delete", ZONE_EDIT_SECONDS,
                                  f"{self.fabric.name}: zonedelete {name}",
                                  fabric=self.fabric.name, zone=name, initiator=initiator,
                                  target=target, host=self.host)
        if gone:
            self._enable(f"{len(gone)} zone(s) removed")
        return gone
