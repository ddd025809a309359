"""Invariants of the RBD backends of a cloud (the Ceph side of :mod:`.invariants`).

* a clone's parent snapshot is protected while the clone exists, and the
  parent and child records agree (librbd refuses to unprotect a snapshot with
  children; Cinder flattens children before deleting a snapshot);
* the driver's reported capacity is ``ceph df``'s (free = MAX AVAIL, total =
  free + stored) and the cluster never holds more than its full ratio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..backends.drivers import LVMVolumeDriver
from ..backends.drivers.rbd import RBDDriver

if TYPE_CHECKING:
    from ..backends.lvm import VolumeGroup
    from ..cloud import Cloud

__all__ = ["rbd_capacity_agrees", "rbd_clones_protected"]


def _rbd_drivers(cloud: Cloud) -> list[tuple[str, RBDDriver]]:
    return [(host, svc.driver) for host, svc in cloud.volume_services.items()
            if isinstance(svc.driver, RBDDriver)]


def rbd_clones_protected(cloud: Cloud) -> list[str]:
    """Every clone's parent snapshot is protected and lists the clone as a child."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for _host, driver in _rbd_drivers(cloud):
        for pool in driver.cluster.pools.values():
            key = (driver.cluster.fsid, pool.name)
            if key in seen:
                continue
            seen.add(key)
            for img in [*pool.images.values(), *pool.trash.values()]:
                snap = img.parent
                if snap is not None:
                    where = f"{pool.name}/{img.name}"
                    if not snap.protected:
                        problems.append(f"{where}: parent snapshot {snap.name} is not protected")
                    if not any(c is img for c in snap.children):
                        problems.append(f"{where}: parent snapshot {snap.name} does not list it")
                for s in img.snapshots:
                    for child in s.children:
                        if child.parent is not s:
                            problems.append(f"{pool.name}/{img.name}@{s.name}: child "
                                            f"{child.name} has another parent")
                    if s.children and not s.protected:
                        problems.append(f"{pool.name}/{img.name}@{s.name} has children but is "
                                        "not protected")
    return problems


def rbd_capacity_agrees(cloud: Cloud, host: str) -> list[str]:
    """The RBD backend *host*'s stats are ``ceph df``'s; the cluster is below full."""
    svc = cloud.volume_services[host]
    driver = svc.driver
    if not isinstance(driver, RBDDriver):
        return []
    problems: list[str] = []
    stats = driver.get_volume_stats(refresh=True)
    svc.meter.take()
    free, total = driver.pool_capacity()
    if (stats["free_capacity_gb"], stats["total_capacity_gb"]) != (free, total):
        problems.append(f"{host}: stats free/total {stats['free_capacity_gb']}/"
                        f"{stats['total_capacity_gb']} != ceph df {free}/{total}")
    cluster = driver.cluster
    if cluster.raw_used_bytes() > cluster.raw_bytes * cluster.full_ratio:
        problems.append(f"{host}: cluster {cluster.name} holds {cluster.raw_used_bytes()} raw "
                        f"bytes, above its full ratio of {cluster.raw_bytes}")
    return problems


def _has_volume(driver: LVMVolumeDriver | RBDDriver, vg: VolumeGroup | None,
                volume_id: str) -> bool:
    if isinstance(driver, LVMVolumeDriver):
        return vg is not None and vg.exists(driver.volume_name(volume_id))
    return driver.volume_name(volume_id) in driver.pool.images


def _has_snapshot(driver: LVMVolumeDriver | RBDDriver, vg: VolumeGroup | None,
                  snapshot_id: str, volume_id: str) -> bool:
    if isinstance(driver, LVMVolumeDriver):
        return vg is not None and vg.exists(driver.snapshot_lv_name(snapshot_id))
    img = driver.pool.images.get(driver.volume_name(volume_id))
    return img is not None and img.snapshot(driver.snapshot_name(snapshot_id)) is not None
