"""A Ceph cluster as Cinder sees it: monitors, OSD capacity, replicated pools of RBD images.

Capacity is ``ceph df``'s: the *raw* space is the sum of the OSDs; a pool with
replication ``size = 3`` stores every byte three times, so what a pool can
still take (``MAX AVAIL``) is the raw space left below the cluster's full
ratio divided by the replication size.  ``STORED`` is the bytes clients
wrote (thin: only written objects count), ``USED`` is that times the size.
Pools share the raw space: one pool filling up shrinks every pool's MAX AVAIL
(no stranding per backend, unlike one VG per LVM host).

Every command charges the caller's :class:`~cindersim.backends.costs.Meter`
(a trace ``backend`` event with component ``rbd``/``rados``), so the cost of
an operation lands on whichever service ran it.
"""

from __future__ import annotations

import random
from typing import Any

import attrs

from ..blocks import BLOCK_SIZE, GiB
from ..costs import Meter
from .costs import CephCosts
from .errors import ImageExists, ImageNotFound, NoSpace, ObjectNotFound
from .image import DEFAULT_ORDER, RbdImage

__all__ = ["DEFAULT_FULL_RATIO", "CephCluster", "Pool"]

DEFAULT_FULL_RATIO = 0.95
"""``mon_osd_full_ratio``: above it the cluster sets the full flag and stops writes."""


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:32]}"


@attrs.define(eq=False)
class Pool:
    """A replicated RADOS pool holding RBD images (``rbd_pool``, ``backup_ceph_pool``)."""

    cluster: CephCluster
    name: str
    id: int
    size: int = 3
    """Replicas of every object (``osd pool set <pool> size``)."""
    quota_max_bytes: int = 0
    images: dict[str, RbdImage] = attrs.field(factory=dict)
    trash: dict[str, RbdImage] = attrs.field(factory=dict)
    """Images moved to the RBD trash (still holding their objects), by id."""
    rados_objects: dict[str, bytes] = attrs.field(factory=dict)
    """Plain RADOS objects, not RBD images (the Ceph backup driver's ``backup.<id>.meta``)."""

    def stored_bytes(self) -> int:
        blocks = sum(i.stored_blocks() for i in self.images.values())
        blocks += sum(i.stored_blocks() for i in self.trash.values())
        return blocks * BLOCK_SIZE + sum(len(b) for b in self.rados_objects.values())

    def objects(self) -> int:
        return (sum(i.object_count() for i in self.images.values())
                + sum(i.object_count() for i in self.trash.values())
                + len(self.rados_objects))

    def image(self, name: str) -> RbdImage:
        img = self.images.get(name)
        if img is None:
            raise ImageNotFound(reason=f"error opening image {name}: (2) No such file or "
                                       "directory")
        return img

    def _admit(self, image: RbdImage, new_blocks: int) -> None:
        """An OSD write: refused (ENOSPC) once the cluster would pass its full ratio."""
        if new_blocks <= 0:
            return
        cluster = self.cluster
        need = new_blocks * BLOCK_SIZE * self.size
        if cluster.raw_used_bytes() + need > cluster.raw_bytes * cluster.full_ratio:
            raise NoSpace(reason=f"write to {self.name}/{image.name}: cluster is full "
                                 "(OSD full flag set)")
        if self.quota_max_bytes and self.stored_bytes() + need // self.size > self.quota_max_bytes:
            raise NoSpace(reason=f"write to {self.name}/{image.name}: pool quota exceeded")

    def add_image(self, meter: Meter, name: str, size_bytes: int, *,
                  order: int = DEFAULT_ORDER) -> RbdImage:
        """``RBD.create``: a format-2 image; no object is written (thin)."""
        costs = self.cluster.costs
        if name in self.images:
            meter.charge("rbd", "rbd create", costs.image_create,
                         f"rbd create {self.name}/{name}: (17) File exists", pool=self.name,
                         image=name, error="ImageExists")
            raise ImageExists(reason=f"rbd image {name} already exists")
        img = RbdImage(self, name, self.cluster.next_image_id(), size_bytes, order=order,
                       on_write=self._admit)
        self.images[name] = img
        meter.charge("rbd", "rbd create", costs.image_create,
                     f"rbd create {self.name}/{name} --size {_size(size_bytes)} "
                     f"--object-size {_size(1 << order)}", pool=self.name, image=name,
                     size=size_bytes, order=order)
        return img


def _size(nbytes: int) -> str:
    """``rbd``'s own size text: 10 GiB, 4 MiB, 512 KiB."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale and nbytes % scale == 0:
            return f"{nbytes // scale} {unit}"
    return f"{nbytes} B"


class CephCluster:
    """A cluster: fsid, monitors, OSDs, pools.

    Args:
        name: the cluster name (``rbd_cluster_name``, ``ceph``).
        rng: the simulation's rng (the fsid).
        osds: number of OSDs.
        osd_size_gb: GiB per OSD.
        mon_hosts: the monitors' addresses (``ceph mon dump``).
        costs: the cost model.
    """

    def __init__(self, name: str, *, rng: random.Random, osds: int = 3, osd_size_gb: int = 100,
                 mon_hosts: tuple[str, ...] = ("192.168.122.101",),
                 mon_port: int = 6789, costs: CephCosts | None = None,
                 full_ratio: float = DEFAULT_FULL_RATIO) -> None:
        self.name = name
        self.fsid = _uuid(rng)
        self.osds = osds
        self.osd_size_gb = osd_size_gb
        self.mon_hosts = mon_hosts
        self.mon_port = mon_port
        self.costs = costs if costs is not None else CephCosts()
        self.full_ratio = full_ratio
        self.pools: dict[str, Pool] = {}
        self._image_ids = 0
        self.snap_seq = 0

    @property
    def raw_bytes(self) -> int:
        return self.osds * self.osd_size_gb * GiB

    def raw_used_bytes(self) -> int:
        return sum(p.stored_bytes() * p.size for p in self.pools.values())

    def next_image_id(self) -> str:
        self._image_ids += 1
        return f"{self._image_ids:012x}"

    def next_snap_id(self) -> int:
        self.snap_seq += 1
        return self.snap_seq

    # --- administration (the operator's side, before Cinder runs) ----------------------
    def create_pool(self, name: str, *, size: int = 3, quota_max_bytes: int = 0) -> Pool:
        """``ceph osd pool create <name>; ceph osd pool set <name> size <n>; rbd pool init``."""
        pool = self.pools.get(name)
        if pool is None:
            pool = Pool(self, name, len(self.pools) + 1, size=size,
                        quota_max_bytes=quota_max_bytes)
            self.pools[name] = pool
        return pool

    def pool(self, name: str) -> Pool:
        """``open_ioctx(name)``: ``rados.ObjectNotFound`` for a pool that does not exist."""
        pool = self.pools.get(name)
        if pool is None:
            raise ObjectNotFound(reason=f"error opening pool '{name}'")
        return pool

    # --- monitor commands ------------------------------------------------------------------
    def connect(self, meter: Meter, user: str | None, *, purpose: str = "") -> None:
        """``rados.Rados(conffile, rados_id=user).connect()``: one round trip to a monitor."""
        who = f"client.{user}" if user else "client.admin"
        meter.charge("rados", "rados connect", self.costs.connect,
                     f"{who} connected to cluster {self.name} ({self.fsid[:8]})"
                     + (f" for {purpose}" if purpose else ""), cluster=self.fsid, user=who)

    def df(self, meter: Meter | None = None) -> dict[str, Any]:
        """``ceph df --format json`` (the fields Cinder reads, Nautilus and later names)."""
        if meter is not None:
            meter.charge("rados", "rados mon_command df", self.costs.mon_command,
                         f"ceph df on cluster {self.name}", cluster=self.fsid)
        raw = self.raw_bytes
        used = self.raw_used_bytes()
        room = max(0, int(raw * self.full_ratio) - used)
        pools = []
        for pool in self.pools.values():
            stored = pool.stored_bytes()
            max_avail = room // pool.size
            if pool.quota_max_bytes:
                max_avail = max(0, min(max_avail, pool.quota_max_bytes - stored))
            bytes_used = stored * pool.size
            denom = bytes_used + max_avail * pool.size
            pools.append({"name": pool.name, "id": pool.id, "stats": {
                "stored": stored, "objects": pool.objects(), "bytes_used": bytes_used,
                "percent_used": round(bytes_used / denom, 6) if denom else 0.0,
                "max_avail": max_avail}})
        return {"stats": {"total_bytes": raw, "total_avail_bytes": raw - used,
                          "total_used_raw_bytes": used,
                          "total_used_raw_ratio": round(used / raw, 6) if raw else 0.0},
                "pools": pools}

    def get_quota(self, meter: Meter, pool_name: str) -> dict[str, Any]:
        """``ceph osd pool get-quota <pool> --format json``."""
        meter.charge("rados", "rados mon_command get-quota", self.costs.mon_command,
                     f"ceph osd pool get-quota {pool_name}", cluster=self.fsid)
        pool = self.pool(pool_name)
        return {"pool_name": pool.name, "pool_id": pool.id,
                "quota_max_objects": 0, "quota_max_bytes": pool.quota_max_bytes}

    def mon_dump(self, meter: Meter) -> dict[str, Any]:
        """``ceph mon dump --format json``: the monitors' v1 addresses."""
        meter.charge("rados", "rados mon dump", self.costs.mon_command,
                     f"ceph mon dump on cluster {self.name}", cluster=self.fsid)
        return {"fsid": self.fsid, "mons": [
            {"rank": n, "name": chr(ord("a") + n), "addr": f"{host}:{self.mon_port}/0"}
            for n, host in enumerate(self.mon_hosts)]}
