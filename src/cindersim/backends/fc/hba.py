"""A host's FC HBAs and os-brick's ``FibreChannelConnector`` on them.

Facts from ``os_brick/initiator/connectors/fibre_channel.py`` and ``linuxfc.py``:

* ``get_connector_properties`` adds ``wwpns`` and ``wwnns`` (read from
  ``/sys/class/fc_host/host*/port_name``/``node_name``, hex without ``0x``);
* ``connect_volume`` lists the HBAs (none: ``NoFibreChannelHostsFound``),
  computes the possible paths ``/dev/disk/by-path/pci-<pci>-fc-0x<target
  wwn>-lun-<lun>`` for every HBA and target, and polls every 2 seconds: a path
  that exists ends the wait; otherwise it rescans the HBAs (``echo '- - -' >
  /sys/class/scsi_host/hostN/scan``) and tries again, up to
  ``device_scan_attempts`` (3), then ``NoFibreChannelVolumeDeviceFound``;
* ``disconnect_volume`` flushes and deletes the SCSI devices
  (``echo 1 > /sys/block/sdX/device/delete``).

A device appears after a scan only if the fabric lets the HBA's port reach the
target port (a zone, when zoning is on) and the array maps the LUN to one of
the host's WWPNs.  Nothing is logged in to: unlike iSCSI there is no session,
no portal and no CHAP; the fabric's zones and the array's masking are the gates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import errors
from ..blocks import BlockData
from ..costs import Meter
from .array import Lun
from .fabric import FcFabric

__all__ = ["FcHost", "NoFibreChannelVolumeDeviceFound", "host_wwns"]

SCAN_SECONDS = 0.3
"""One ``echo '- - -' > .../scan`` of an HBA (REPORT LUNS to each visible target)."""
POLL_INTERVAL = 2.0
"""os-brick's FixedIntervalLoopingCall(interval=2)."""
DEVICE_DELETE_SECONDS = 0.05
DEVICE_SCAN_ATTEMPTS = 3


class NoFibreChannelHostsFound(errors.BackendError):
    message = "We are unable to locate any Fibre Channel devices."


class NoFibreChannelVolumeDeviceFound(errors.BackendError):
    message = "Unable to find a Fibre Channel volume device."


def host_wwns(index: int, hba: int) -> tuple[str, str]:
    """(WWPN, WWNN) of HBA *hba* of the *index*-th host: Emulex-style, deterministic."""
    return f"10000090fa{index:04x}{hba:02x}", f"20000090fa{index:04x}{hba:02x}"


class FcHost:
    """The HBAs of one host and the devices os-brick found through them."""

    component = "fc-initiator"

    def __init__(self, host: str, index: int, fabric: FcFabric, meter: Meter, *,
                 hbas: int = 2) -> None:
        self.host = host
        self.fabric = fabric
        self.meter = meter
        self.ports = [host_wwns(index, n) for n in range(hbas)]
        for n, (wwpn, _wwnn) in enumerate(self.ports):
            fabric.login(wwpn, f"{host}:host{n}")
        self._devices: dict[tuple[str, str, int], str] = {}
        """(initiator, target, lun) -> by-path name, for devices the scans created."""

    @property
    def wwpns(self) -> list[str]:
        return [p for p, _ in self.ports]

    @property
    def wwnns(self) -> list[str]:
        return [n for _, n in self.ports]

    def connector_properties(self) -> dict[str, Any]:
        return {"wwpns": self.wwpns, "wwnns": self.wwnns}

    def _paths(self, data: Mapping[str, Any]) -> list[tuple[str, str, int]]:
        targets = data.get("target_wwn") or []
        if isinstance(targets, str):
            targets = [targets]
        lun = int(data.get("target_lun", 0))
        itmap = data.get("initiator_target_map") or {}
        out = []
        for wwpn in self.wwpns:
            for target in (itmap.get(wwpn, targets) if itmap else targets):
                out.append((wwpn, str(target), lun))
        return out

    def _by_path(self, initiator: str, target: str, lun: int) -> str:
        pci = f"0000:05:00.{self.wwpns.index(initiator)}"
        return f"/dev/disk/by-path/pci-{pci}-fc-0x{target.lower()}-lun-{lun}"

    def _lun_at(self, initiator: str, target: str, lun: int) -> Lun | None:
        if not self.fabric.can_see(initiator, target):
            return None
        array = self.fabric.array_behind(target)
        return array.visible(initiator, target, lun) if array is not None else None

    def rescan(self) -> int:
        """``echo '- - -' > /sys/class/scsi_host/hostN/scan`` on every HBA; returns how
        many new devices appeared (a LUN reached through a zone and mapped to us)."""
        new = 0
        for n, wwpn in enumerate(self.wwpns):
            found = 0
            for array in self.fabric.arrays():
                for target in array.target_wwpns:
                    for h in array.hosts.values():
                        if wwpn not in h.wwpns:
                            continue
                        for lun_id in h.luns.values():
                            key = (wwpn, target, lun_id)
                            if key not in self._devices and self._lun_at(*key) is not None:
                                self._devices[key] = self._by_path(*key)
                                found += 1
            new += found
            self.meter.charge(self.component, "scsi scan", SCAN_SECONDS,
                              f"echo '- - -' > /sys/class/scsi_host/host{n}/scan: "
                              f"{found} new device(s)", host=self.host, hba=wwpn, found=found)
        return new

    def connect_volume(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Poll for the device, rescanning between polls (see the module notes)."""
        if not self.ports:
            raise NoFibreChannelHostsFound()
        paths = self._paths(data)
        tries = 0
        while True:
            for key in paths:
                if key in self._devices and self._lun_at(*key) is not None:
                    lun = self._lun_at(*key)
                    assert lun is not None
                    self.meter.charge(self.component, "fc device found", 0.0,
                                      f"{self._devices[key]} found after {tries} rescan(s)",
                                      host=self.host, device=self._devices[key], tries=tries)
                    return {"type": "block", "path": self._devices[key], "scsi_wwn": lun.wwn}
            if tries >= DEVICE_SCAN_ATTEMPTS:
                self.meter.charge(self.component, "fc device not found", 0.0,
                                  f"no Fibre Channel device after {tries} rescans",
                                  host=self.host, tries=tries)
                raise NoFibreChannelVolumeDeviceFound()
            self.rescan()
            tries += 1
            self.meter.charge(self.component, "wait", POLL_INTERVAL,
                              f"waiting {POLL_INTERVAL:g} s for the device (try {tries})",
                              host=self.host, tries=tries)

    def disconnect_volume(self, data: Mapping[str, Any]) -> None:
        for key in self._paths(data):
            path = self._devices.pop(key, None)
            if path is not None:
                self.meter.charge(self.component, "scsi delete", DEVICE_DELETE_SECONDS,
                                  f"blockdev --flushbufs; echo 1 > .../device/delete ({path})",
                                  host=self.host, device=path)

    def device_data(self, data: Mapping[str, Any]) -> BlockData:
        """The LUN's blocks through any path still open (a removed zone cuts them)."""
        for key in self._paths(data):
            if key in self._devices:
                lun = self._lun_at(*key)
                if lun is not None:
                    return lun.data
        raise errors.VolumeDeviceNotFound(device=f"fc lun {data.get('target_lun')}")

    def devices(self) -> list[str]:
        return list(self._devices.values())
