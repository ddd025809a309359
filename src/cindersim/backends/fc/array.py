"""A simulated Fibre Channel storage array: a thin pool of LUNs, target ports, host masking.

Cinder's in-tree LVM driver has no FC target (``target_helper`` offers tgtadm,
lioadm, scstadmin, iscsictl, nvmet, spdk-nvmeof and fake; ``target_protocol``
iscsi, iser, nvmet_rdma, nvmet_tcp), so FC in cindersim is an array, as in a
real deployment: the array's controllers own target ports with WWPNs on the
fabric, its volumes are LUNs in a thin pool, and a LUN becomes visible to a
host when the array *maps* it to a host object (the host's initiator WWPNs) at
a LUN id, which is what every vendor's FC driver does in
``initialize_connection``.
"""

from __future__ import annotations

import attrs

from ... import errors
from ..blocks import BLOCK_SIZE, BlockData, GiB

__all__ = ["ArrayHost", "FcArray", "Lun"]

BLOCKS_PER_GIB = GiB // BLOCK_SIZE


@attrs.define(eq=False)
class Lun:
    name: str
    size_gb: int
    data: BlockData
    wwn: str
    """The LUN's SCSI WWN (NAA), what os-brick reads as ``scsi_wwn``."""


@attrs.define(eq=False)
class ArrayHost:
    """A host object on the array: its initiator WWPNs and the LUNs mapped to it."""

    name: str
    wwpns: tuple[str, ...]
    luns: dict[str, int] = attrs.field(factory=dict)
    """LUN name -> host LUN id."""


class FcArray:
    """One array: ``target_wwpns`` on the fabric, a pool of ``capacity_gb``, LUNs."""

    def __init__(self, name: str, target_wwpns: tuple[str, ...], capacity_gb: int,
                 serial: int) -> None:
        self.name = name
        self.target_wwpns = target_wwpns
        self.capacity_gb = capacity_gb
        self.serial = serial
        self.luns: dict[str, Lun] = {}
        self.snapshots: dict[str, BlockData] = {}
        self.snapshot_sources: dict[str, str] = {}
        """Snapshot name -> the LUN it was taken of (what a listing's source shows)."""
        self.hosts: dict[str, ArrayHost] = {}
        self._next = 1

    def allocated_blocks(self) -> int:
        return (sum(lun.data.written() for lun in self.luns.values())
                + sum(s.written() for s in self.snapshots.values()))

    def used_gb(self) -> float:
        return round(self.allocated_blocks() * BLOCK_SIZE / GiB, 2)

    def provisioned_gb(self) -> int:
        return sum(lun.size_gb for lun in self.luns.values())

    def lun(self, name: str) -> Lun:
        lun = self.luns.get(name)
        if lun is None:
            raise errors.VolumeBackendAPIException(data=f"{self.name}: no LUN {name}")
        return lun

    def create_lun(self, name: str, size_gb: int, content: BlockData | None = None) -> Lun:
        if name in self.luns:
            raise errors.VolumeBackendAPIException(data=f"{self.name}: LUN {name} exists")
        wwn = f"6{self.serial:015x}{self._next:016x}"
        self._next += 1
        data = BlockData(size_gb * BLOCKS_PER_GIB)
        if content is not None:
            data.put(content.items())
        lun = self.luns[name] = Lun(name, size_gb, data, wwn)
        return lun

    def delete_lun(self, name: str) -> bool:
        for host in self.hosts.values():
            if name in host.luns:
                raise errors.VolumeIsBusy(volume_name=name)
        return self.luns.pop(name, None) is not None

    def extend_lun(self, name: str, size_gb: int) -> None:
        lun = self.lun(name)
        lun.size_gb = size_gb
        lun.data.resize(size_gb * BLOCKS_PER_GIB)

    def find_host(self, wwpns: tuple[str, ...]) -> ArrayHost | None:
        """The host object holding any of these WWPNs."""
        for h in self.hosts.values():
            if set(h.wwpns) & set(wwpns):
                return h
        return None

    def host_for(self, host: str, wwpns: tuple[str, ...]) -> ArrayHost:
        """Find the host object holding these WWPNs, or create it (named after *host*)."""
        found = self.find_host(wwpns)
        if found is not None:
            return found
        name, n = host, 1
        while name in self.hosts:  # another initiator set already took the name
            n += 1
            name = f"{host}-{n}"
        h = self.hosts[name] = ArrayHost(name, wwpns)
        return h

    def map_lun(self, host: ArrayHost, lun_name: str) -> int:
        """Map *lun_name* to *host* at the lowest free host LUN id (kept if mapped)."""
        self.lun(lun_name)
        if lun_name in host.luns:
            return host.luns[lun_name]
        used = set(host.luns.values())
        lun_id = next(i for i in range(1, len(used) + 2) if i not in used)
        host.luns[lun_name] = lun_id
        return lun_id

    def unmap_lun(self, host: ArrayHost, lun_name: str) -> bool:
        return host.luns.pop(lun_name, None) is not None

    def visible(self, initiator: str, target: str, lun_id: int) -> Lun | None:
        """The LUN an initiator sees at *lun_id* behind *target* (masking applied)."""
        if target not in self.target_wwpns:
            return None
        for h in self.hosts.values():
            if initiator in h.wwpns:
                for name, lid in h.luns.items():
                    if lid == lun_id:
                        return self.luns.get(name)
        return None
