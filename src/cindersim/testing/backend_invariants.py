"""Invariants of the NFS and FC backends (issue 22), as plain functions returning problems.

* :func:`nfs_chains_consistent`: each volume's files form one qcow2 chain (base
  first, each overlay backed by the file before it, only the active image
  unfrozen), the ``.info`` file names exactly the volume's live snapshots, and
  every stored volume has a chain on its share and every chain a volume.
* :func:`fc_zones_match_attachments`: with zoning on, the fabric holds a zone
  for exactly the (initiator, target) pairs of hosts that have a LUN mapped, and
  the array maps a LUN to a host exactly for the live attachments there.

Both are meant for a quiescent cloud (nothing in flight), like the storage
checks of :mod:`cindersim.testing.invariants`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from ..backends.drivers.fc_array import FcArrayDriver
from ..backends.drivers.nfs import NfsDriver
from ..backends.fc import friendly_zone_name
from ..states import AttachStatus, SnapshotStatus, VolumeStatus

if TYPE_CHECKING:
    from ..cloud import Cloud

__all__ = ["fc_zones_match_attachments", "nfs_chains_consistent"]

_STORED = frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE})
_LIVE_SNAPSHOT = frozenset({SnapshotStatus.AVAILABLE})
_LIVE_ATTACH = frozenset({AttachStatus.ATTACHING, AttachStatus.ATTACHED})


def nfs_chains_consistent(cloud: Cloud) -> list[str]:
    problems: list[str] = []
    db = cloud.db
    for host, svc in cloud.volume_services.items():
        driver: object = svc.driver  # typed as LVM's by the manager; any driver here
        if not isinstance(driver, NfsDriver):
            continue
        on_backend = {v.id: v for v in db.volumes.values()
                      if (v.host or "").split("#")[0] == host}
        seen: set[str] = set()
        for export, chain in driver.chains():
            vid = chain.volume_name.removeprefix("volume-")
            seen.add(vid)
            vol = on_backend.get(vid)
            if vol is None:
                problems.append(f"{host}: {export}/{chain.volume_name} has no volume")
                continue
            if vol.provider_location != export:
                problems.append(f"{host}: volume {vid[:8]} is on {export} but its "
                                f"provider_location is {vol.provider_location}")
            files = chain.files
            # The base is volume-<id>, or, after Nova pulled it into the active overlay
            # (online delete of the last snapshot), that overlay: never backed by anything.
            if files[0].backing_file is not None or not files[0].name.startswith(
                    chain.volume_name):
                problems.append(f"{host}: {chain.volume_name}'s base is {files[0].name} "
                                f"backed by {files[0].backing_file}")
            for lower, upper in itertools.pairwise(files):
                if upper.backing_file != lower.name or upper.fmt != "qcow2":
                    problems.append(f"{host}: {upper.name} ({upper.fmt}) is backed by "
                                    f"{upper.backing_file}, not {lower.name}")
                if lower.frozen is None:
                    problems.append(f"{host}: {lower.name} backs {upper.name} but is not frozen")
            if chain.active.frozen is not None:
                problems.append(f"{host}: the active image {chain.active.name} is frozen")
            overlays = sorted(f.name for f in files[1:])
            if sorted(set(chain.snap_info.values()) - {files[0].name}) != overlays:
                problems.append(f"{host}: {chain.volume_name}.info maps {chain.snap_info} but "
                                f"the overlays are {overlays}")
            live = sorted(s.id for s in db.snapshots.values()
                          if s.volume_id == vid and s.status in _LIVE_SNAPSHOT)
            missing = [s for s in live if s not in chain.snap_info]
            extra = [s for s in chain.snap_info if s not in {x.id for x in db.snapshots.values()
                                                             if x.volume_id == vid}]
            if missing or extra:
                problems.append(f"{host}: {chain.volume_name}.info lacks snapshots {missing} "
                                f"and holds unknown ones {extra}")
            if chain.data.size_blocks != chain.active.virtual_size_gb * 32768:
                problems.append(f"{host}: {chain.volume_name} is {chain.data.size_blocks} "
                                f"blocks, its active image {chain.active.virtual_size_gb} GiB")
        for vid, vol in on_backend.items():
            if vol.status in _STORED and vid not in seen:
                problems.append(f"{host}: volume {vid[:8]} is {vol.status} but has no file")
    return problems


def fc_zones_match_attachments(cloud: Cloud) -> list[str]:
    problems: list[str] = []
    db = cloud.db
    fabrics_checked: set[int] = set()
    for host, svc in cloud.volume_services.items():
        driver: object = svc.driver
        if not isinstance(driver, FcArrayDriver):
            continue
        array = driver.array
        live: dict[tuple[str, ...], set[str]] = {}  # by the connector's WWPNs
        for a in db.attachments.values():
            vol = db.volumes.get(a.volume_id)
            if (a.attach_status in _LIVE_ATTACH and a.connector and vol is not None
                    and (vol.host or "").split("#")[0] == host):
                live.setdefault(tuple(sorted(a.connector.get("wwpns") or ())), set()).add(
                    driver.volume_name(vol.id))
        for h in array.hosts.values():
            mapped_want = live.get(tuple(sorted(h.wwpns)), set())
            if set(h.luns) != mapped_want:
                problems.append(f"{host}: array maps {sorted(h.luns)} to {h.name}, the live "
                                f"attachments there are {sorted(mapped_want)}")
        fabric = driver.fabric
        if driver.zone_manager is None or id(fabric) in fabrics_checked:
            continue
        fabrics_checked.add(id(fabric))
        want: set[str] = set()
        for fc_svc in cloud.volume_services.values():
            other: object = fc_svc.driver
            if isinstance(other, FcArrayDriver) and other.fabric is fabric:
                for h in other.array.hosts.values():
                    if h.luns:
                        want |= {friendly_zone_name(i, t) for i in h.wwpns
                                 for t in other.array.target_wwpns
                                 if fabric.logged_in(i) and fabric.logged_in(t)}
        have = {z.name for z in fabric.zones()}
        if have != want:
            problems.append(f"{fabric.name}: zones without a live attachment "
                            f"{sorted(have - want)}; attachments without their zone "
                            f"{sorted(want - have)}")
    return problems
