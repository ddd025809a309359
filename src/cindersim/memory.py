"""What a live volume costs the simulation in memory: its records, counted.

A what-if run at scale holds every live volume's state: the database rows
(volume, attachments, snapshots, quota usage ...) and the storage model's
logical volumes.  :func:`record_memory` walks those records and adds up
``sys.getsizeof`` of every object in them (each object once), then divides by
the volumes alive at that moment.

What it counts: the database's tables and indexes (``cloud.db``) and every
backend's storage model (LVM: its LVs, thin pools and their chunk maps; RBD: the
cluster pool's images; NFS: the shares' files; FC: the array's LUNs); within them
the records (attrs classes) and the containers, strings and numbers they hold.
What it does not: the metrics collector's columns, the trace, the asyncio loop,
the services' code and caches (they do not grow with live volumes, or grow with
requests made rather than volumes alive).

Why ``getsizeof`` and not tracemalloc: tracemalloc slows a run about twice and
counts the allocator's view of everything; the walk costs a fraction of a second
per 100,000 records at the end.  The figure is exact for the Python build that
ran it but not the same on another (object sizes differ between versions and
platforms), so the CLI prints it on stderr with the verdict, never in the
metrics files, the summary table or anything a digest covers.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .cloud import Cloud

__all__ = ["RecordMemory", "record_memory", "records_size"]

_LEAVES = (str, bytes, int, float, bool, complex, type(None))
_CONTAINERS = (dict, list, tuple, set, frozenset, bytearray)


@attrs.frozen
class RecordMemory:
    bytes: int
    """``sys.getsizeof`` of every record object, summed (each object once)."""
    live_volumes: int
    """Volume rows in the database when it was measured."""

    @property
    def per_volume(self) -> float | None:
        return self.bytes / self.live_volumes if self.live_volumes else None

    def text(self) -> str:
        """One line for the terminal summary."""
        per = self.per_volume
        figure = f"{per:,.0f} B per live volume" if per is not None else "no live volume"
        return (f"memory: {figure} ({self.bytes / 2**20:,.1f} MiB of database rows and LVM "
                f"records for {self.live_volumes:,} live volume(s); sys.getsizeof, this "
                f"Python {sys.version_info.major}.{sys.version_info.minor})")


def records_size(roots: Iterable[Any]) -> int:
    """Bytes of *roots* and everything they hold, through containers and attrs records
    only (a record's reference to a service, a function or a loop is not followed)."""
    seen: set[int] = set()  # ids: only to count each object once, the sum has no order
    stack = list(roots)
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        if isinstance(obj, _LEAVES):
            seen.add(id(obj))
            total += sys.getsizeof(obj)
            continue
        if isinstance(obj, _CONTAINERS) or attrs.has(type(obj)):
            seen.add(id(obj))
            total += sys.getsizeof(obj)
            if not isinstance(obj, (str, bytes, bytearray)):
                d = getattr(obj, "__dict__", None)
                if d is not None and not isinstance(obj, _CONTAINERS):
                    total += sys.getsizeof(d)  # an unslotted record's attribute dict
                    stack.extend(d.values())
                else:
                    stack.extend(gc.get_referents(obj))
    return total


def record_memory(cloud: Cloud) -> RecordMemory:
    """The records of *cloud* now (see the module's docstring), per live volume."""
    db = cloud.db
    roots: list[Any] = [v for k, v in vars(db).items()
                        if isinstance(v, _CONTAINERS) and not k.startswith("_stamp")]
    for svc in cloud.volume_services.values():
        for model in _storage_models(svc.driver, svc.vg):
            values = (vars(model).values() if hasattr(model, "__dict__") else
                      [getattr(model, f.name) for f in attrs.fields(type(model))])
            roots.extend(v for v in values if isinstance(v, _CONTAINERS))
    return RecordMemory(records_size(roots), len(db.volumes))


def _storage_models(driver: Any, vg: Any) -> list[Any]:
    """The objects holding a backend's storage records: LVM's volume group; an RBD
    backend's cluster pool, an NFS backend's shares, the FC array (NFS and FC
    backends also keep an unused VG, which is not theirs)."""
    from .backends.drivers import LVMVolumeDriver  # noqa: PLC0415

    if isinstance(driver, LVMVolumeDriver):
        return [vg] if vg is not None else []
    if hasattr(driver, "pool") and hasattr(driver, "cluster"):
        return [driver.pool]  # RBD
    if hasattr(driver, "array"):
        return [driver.array]  # FC
    exports = getattr(driver, "exports", None)
    if exports is not None:  # NFS
        return [s for e in getattr(driver, "shares", {})
                if (s := exports.lookup(e)) is not None]
    return []
