"""Where Ceph clusters are: by ``ceph.conf`` path (Cinder's side) and by monitor address.

Cinder's RBD driver and cinder-backup open a cluster through a configuration
file (``rbd_ceph_conf``, ``backup_ceph_conf``; empty means librados' default
``/etc/ceph/ceph.conf``).  A compute host has no such file for Cinder's
cluster: QEMU's librbd gets the monitors' addresses, the cephx user and the
libvirt secret from the ``connection_info`` and connects to them directly.
Both lookups land on the same :class:`CephCluster`.

:class:`RbdHandle` is an image opened for I/O by a client (os-brick's
``RBDVolumeIOWrapper`` on a backup host, QEMU's librbd for a guest): the
client is a *watcher* of the image while it has it open.
"""

from __future__ import annotations

import random

import attrs

from ... import errors
from ..costs import Meter
from .cluster import CephCluster
from .costs import CephCosts
from .image import ImageData, RbdImage

__all__ = ["DEFAULT_CEPH_CONF", "CephNetwork", "RbdHandle"]

DEFAULT_CEPH_CONF = "/etc/ceph/ceph.conf"


@attrs.define(eq=False)
class RbdHandle:
    """An image open for I/O by *client* (a watcher until closed)."""

    image: RbdImage
    client: str
    pool: str
    user: str | None
    conf: str
    closed: bool = False

    @property
    def rbd_image(self) -> RbdImage:
        """What ``CephBackupDriver._file_is_rbd`` looks for on a volume file."""
        return self.image

    @property
    def data(self) -> ImageData:
        if self.closed:
            raise errors.VolumeBackendAPIException(
                data=f"I/O on closed RBD image {self.pool}/{self.image.name}")
        if self.image.pool.images.get(self.image.name) is not self.image:
            raise errors.VolumeBackendAPIException(
                data=f"RBD image {self.pool}/{self.image.name} no longer exists")
        return self.image.data

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.client in self.image.watchers:
                self.image.watchers.remove(self.client)


class CephNetwork:
    """The Ceph clusters of the simulated world."""

    __slots__ = ("_by_conf", "_by_mon", "costs", "rng")

    def __init__(self, rng: random.Random, costs: CephCosts | None = None) -> None:
        self.rng = rng
        self.costs = costs if costs is not None else CephCosts()
        self._by_conf: dict[str, CephCluster] = {}
        self._by_mon: dict[str, CephCluster] = {}

    @staticmethod
    def conf_path(conf: str) -> str:
        return conf or DEFAULT_CEPH_CONF

    def cluster_for_conf(self, conf: str, *, name: str = "ceph", osds: int = 3,
                         osd_size_gb: int = 100) -> CephCluster:
        """The cluster a ``ceph.conf`` points at; the first user of a path creates it
        (the operator's deployment, sized by the simulator options)."""
        path = self.conf_path(conf)
        cluster = self._by_conf.get(path)
        if cluster is None:
            index = len(self._by_conf)
            mons = tuple(f"192.168.{123 + index}.{n}" for n in (11, 12, 13))
            cluster = CephCluster(name, rng=self.rng, osds=osds, osd_size_gb=osd_size_gb,
                                  mon_hosts=mons, costs=self.costs)
            self._by_conf[path] = cluster
            for host in mons:
                self._by_mon[host] = cluster
        return cluster

    def find_conf(self, conf: str) -> CephCluster | None:
        return self._by_conf.get(self.conf_path(conf))

    def cluster_at(self, hosts: list[str]) -> CephCluster | None:
        """The cluster whose monitors answer at any of *hosts* (librbd tries each)."""
        for host in hosts:
            cluster = self._by_mon.get(host)
            if cluster is not None:
                return cluster
        return None

    def open(self, meter: Meter, cluster: CephCluster, pool: str, name: str, *,
             client: str, user: str | None, conf: str) -> RbdHandle:
        """Connect, open the pool and the image; the client becomes a watcher."""
        cluster.connect(meter, user, purpose=f"{client} opening {pool}/{name}")
        image = cluster.pool(pool).image(name)
        if client not in image.watchers:
            image.watchers.append(client)
        meter.charge("rbd", "rbd open", cluster.costs.image_open,
                     f"{client} opened {pool}/{name} (watcher)", image=name, client=client,
                     host=client)
        return RbdHandle(image, client, pool, user, conf)
