"""Where chunked backups land: a Swift-like object store, or a POSIX/NFS directory tree.

Cinder's chunked backup drivers only need a handful of calls from their
repository: create a container (idempotent), write an object, read it, list
names by prefix, delete.  This module models them for the two families the
reference describes:

* ``swift`` (also what S3/GCS look like): a flat namespace of *containers*
  (default ``volumebackups``) holding named objects.  Names may contain ``/``
  (Cinder's prefix is ``volume_<vid>/<timestamp>/az_<az>_backup_<bid>``).
  Swift's default constraints: object names up to 1024 bytes, container
  names up to 256 bytes without ``/``, single objects up to 5 GiB + 2 bytes
  (``MAX_FILE_SIZE`` = 5368709122), otherwise the PUT fails.  A full
  cluster answers 507 Insufficient Storage.
* ``posix`` (the POSIX and NFS backup drivers): the container is a
  directory under the backup mount (Cinder uses ``<bid[0:2]>/<bid[2:4]>/<bid>``),
  objects are files in it.  A file name is one path component: at most 255
  bytes (``NAME_MAX``) and no ``/`` (Cinder's POSIX prefix is
  ``volume_<vid>_<timestamp>_backup_<bid>``, flat).  A full file system
  fails the write with ``ENOSPC``.  Listing order from ``os.listdir`` is
  arbitrary; the simulator sorts names so runs replay.

Objects do not hold bytes.  Each holds a small *body* chosen by its writer
(the backup driver stores an attrs value describing a chunk, or a JSON-able
dict for ``_metadata``) and its *size* in bytes, which is what capacity,
usage and transfer costs are computed from.  The store never looks inside a
body.

Capacity is optional (``capacity_bytes``); a write that would exceed it raises
:class:`~cindersim.errors.ObjectStoreFull`, which is a
``BackupDriverException`` like the driver errors real Cinder turns a 507 or
``ENOSPC`` into.  Batched writes store objects one by one, so when the store
fills up in the middle of a backup the earlier chunks stay behind, as they do
in real Swift until the failed backup is deleted.

Every call charges the :class:`~cindersim.backends.costs.Meter` once: latency
per object plus bytes over ``object_bandwidth``.  The ``*_many`` calls charge
once for the whole batch, so a 1 TiB backup is a handful of trace events, not
twenty thousand.
"""

from __future__ import annotations

import bisect
import builtins
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

from .. import errors
from .costs import Meter

__all__ = [
    "SWIFT_MAX_FILE_SIZE",
    "ObjectStore",
    "StoreFlavour",
    "StoredObject",
]

StoreFlavour = Literal["swift", "posix"]

SWIFT_MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024 + 2
"""Swift's default ``max_file_size`` constraint (5 GiB + 2 bytes)."""
SWIFT_MAX_OBJECT_NAME_LENGTH = 1024
SWIFT_MAX_CONTAINER_NAME_LENGTH = 256
POSIX_NAME_MAX = 255
"""Longest file name (one path component) on Linux file systems."""


@attrs.frozen
class StoredObject:
    """One object: its name, its size in bytes and the writer's body."""

    container: str
    name: str
    size: int
    body: object = attrs.field(eq=False, repr=False)


class ObjectStore:
    """A Swift cluster or a POSIX/NFS backup mount, as the backup driver sees it.

    Args:
        meter: charged once per call.
        flavour: ``"swift"`` or ``"posix"`` (naming limits and trace component).
        name: label for traces and errors (``swift``, ``nfs:/backups`` ...).
        capacity_bytes: total space; None means unlimited.
    """

    def __init__(self, meter: Meter, *, flavour: StoreFlavour = "swift",
                 name: str | None = None, capacity_bytes: int | None = None) -> None:
        if flavour not in ("swift", "posix"):
            raise ValueError(f"unknown object store flavour {flavour!r}")
        if capacity_bytes is not None and capacity_bytes < 0:
            raise ValueError("capacity_bytes must be >= 0")
        self.meter = meter
        self.flavour: StoreFlavour = flavour
        self.name = name or flavour
        self.capacity_bytes = capacity_bytes
        self._containers: dict[str, dict[str, StoredObject]] = {}
        self._sorted: dict[str, list[str] | None] = {}
        """Per container, the sorted name list (None = stale, rebuilt on listing)."""
        self._usage = 0
        self._count = 0

    # --- accounting -----------------------------------------------------------
    @property
    def component(self) -> str:
        return self.flavour

    @property
    def usage_bytes(self) -> int:
        """Bytes held by all objects in all containers."""
        return self._usage

    @property
    def object_count(self) -> int:
        return self._count

    @property
    def free_bytes(self) -> int | None:
        return None if self.capacity_bytes is None else self.capacity_bytes - self._usage

    def containers(self) -> list[str]:
        return sorted(self._containers)

    def container_usage(self, container: str) -> int:
        return sum(o.size for o in self._containers.get(container, {}).values())

    def container_count(self, container: str) -> int:
        return len(self._containers.get(container, {}))

    # --- naming rules --------------------------------------------------------------------
    def _check_container_name(self, container: str) -> None:
        if not container:
            raise errors.BackupDriverException(reason="empty container name")
        if self.flavour == "swift":
            if "/" in container or len(container.encode()) > SWIFT_MAX_CONTAINER_NAME_LENGTH:
                raise errors.BackupDriverException(
                    reason=f"Swift: 400 Bad Request: invalid container name {container!r}")
        elif any(len(part.encode()) > POSIX_NAME_MAX for part in container.split("/")):
            raise errors.BackupDriverException(
                reason=f"[Errno 36] File name too long: {container!r}")

    def _check_object(self, name: str, size: int) -> None:
        if size < 0:
            raise ValueError("object size must be >= 0")
        if self.flavour == "swift":
            if not name or len(name.encode()) > SWIFT_MAX_OBJECT_NAME_LENGTH:
                raise errors.BackupDriverException(
                    reason=f"Swift: 400 Bad Request: object name too long ({name[:40]}...)")
            if size > SWIFT_MAX_FILE_SIZE:
                raise errors.BackupDriverException(
                    reason=f"Swift: 413 Request Entity Too Large: {name} is {size} bytes")
        else:
            if not name or "/" in name:
                raise errors.BackupDriverException(
                    reason=f"[Errno 2] No such file or directory: {name!r}")
            if len(name.encode()) > POSIX_NAME_MAX:
                raise errors.BackupDriverException(
                    reason=f"[Errno 36] File name too long: {name[:40]}...")

    def _full(self, name: str) -> errors.ObjectStoreFull:
        text = ("507 Insufficient Storage" if self.flavour == "swift"
                else "[Errno 28] No space left on device")
        return errors.ObjectStoreFull(
            f"Backup driver reported an error: object store {self.name} is full: {text} "
            f"writing {name}", store=self.name)

    def _transfer(self, count: int, nbytes: int, latency: float) -> float:
        costs = self.meter.costs
        return count * latency + costs.transfer(nbytes, costs.object_bandwidth)

    # --- containers -----------------------------------------------------------
    def put_container(self, container: str) -> bool:
        """Create *container* if needed (``put_container``: no failure if it exists).

        Returns True when it was created.
        """
        self._check_container_name(container)
        created = container not in self._containers
        if created:
            self._containers[container] = {}
            self._sorted[container] = []
        op = "PUT container" if self.flavour == "swift" else "mkdir -p"
        self.meter.charge(self.component, op, self.meter.costs.object_put_latency,
                          f"container {container} " + ("created" if created else "exists"),
                          store=self.name, container=container, created=created)
        return created

    def _objects(self, container: str) -> dict[str, StoredObject]:
        objects = self._containers.get(container)
        if objects is None:
            raise errors.NotFound(f"container {container} not found in {self.name}")
        return objects

    # --- writes ---------------------------------------------------------------
    def _store(self, container: str, objects: dict[str, StoredObject], name: str,
               size: int, body: object) -> None:
        self._check_object(name, size)
        old = objects.get(name)
        delta = size - (old.size if old is not None else 0)
        if self.capacity_bytes is not None and self._usage + delta > self.capacity_bytes:
            raise self._full(name)
        objects[name] = StoredObject(container, name, size, body)
        self._usage += delta
        if old is None:
            self._count += 1
            self._sorted[container] = None

    def put(self, container: str, name: str, body: object, size: int) -> None:
        """Write (or overwrite) one object."""
        self.put_many(container, [(name, body, size)])

    def put_many(self, container: str, items: Iterable[tuple[str, object, int]]) -> int:
        """Write objects in order; one charge for the batch.  Returns how many were written.

        If the store fills up, the objects written before stay and
        ``ObjectStoreFull`` is raised after charging for them.
        """
        objects = self._objects(container)
        written = 0
        nbytes = 0
        first = ""
        try:
            for name, body, size in items:
                self._store(container, objects, name, size, body)
                if not written:
                    first = name
                written += 1
                nbytes += size
        finally:
            op = "PUT" if self.flavour == "swift" else "write"
            self.meter.charge(
                self.component, op,
                self._transfer(written, nbytes, self.meter.costs.object_put_latency),
                f"wrote {written} object(s), {nbytes} bytes to {container}"
                + (f" ({first}...)" if written > 1 else f" ({first})" if written else ""),
                store=self.name, container=container, objects=written, bytes=nbytes)
        return written

    # --- reads ----------------------------------------------------------------
    def get(self, container: str, name: str) -> StoredObject:
        """Read one object; a missing one is ``NotFound`` (Swift 404, ``ENOENT``)."""
        return self.get_many(container, [name])[0]

    def get_many(self, container: str, names: Sequence[str]) -> list[StoredObject]:
        """Read objects in order; one charge for the batch."""
        objects = self._containers.get(container, {})
        found: list[StoredObject] = []
        missing = None
        for name in names:
            obj = objects.get(name)
            if obj is None:
                missing = name
                break
            found.append(obj)
        nbytes = sum(o.size for o in found)
        op = "GET" if self.flavour == "swift" else "read"
        self.meter.charge(self.component, op,
                          self._transfer(len(found), nbytes, self.meter.costs.object_get_latency),
                          f"read {len(found)} object(s), {nbytes} bytes from {container}"
                          + (f"; {missing} not found" if missing is not None else ""),
                          store=self.name, container=container, objects=len(found),
                          bytes=nbytes)
        if missing is not None:
            raise errors.NotFound(f"object {missing} not found in {self.name}/{container}")
        return found

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Names starting with *prefix*, sorted (Swift listings are; POSIX is sorted here)."""
        names = self._names(container, prefix)
        op = "GET container" if self.flavour == "swift" else "listdir"
        self.meter.charge(self.component, op, self.meter.costs.object_get_latency,
                          f"listed {len(names)} object(s) under {prefix!r} in {container}",
                          store=self.name, container=container, prefix=prefix,
                          objects=len(names))
        return names

    def _names(self, container: str, prefix: str) -> builtins.list[str]:
        objects = self._containers.get(container)
        if objects is None:
            return []
        ordered = self._sorted.get(container)
        if ordered is None:
            ordered = sorted(objects)
            self._sorted[container] = ordered
        if not prefix:
            return list(ordered)
        start = bisect.bisect_left(ordered, prefix)
        end = start
        while end < len(ordered) and ordered[end].startswith(prefix):
            end += 1
        return ordered[start:end]

    def peek(self, container: str, name: str) -> StoredObject | None:
        """Inspect an object without a charge (tests, narration); not a driver call."""
        return self._containers.get(container, {}).get(name)

    # --- deletes --------------------------------------------------------------
    def delete(self, container: str, name: str) -> None:
        """Delete one object; a missing one is ``NotFound`` (Swift 404, ``ENOENT``)."""
        self.delete_many(container, [name])

    def delete_many(self, container: str, names: Sequence[str]) -> int:
        """Delete objects in order; one charge.  Returns how many were deleted."""
        objects = self._containers.get(container, {})
        deleted = 0
        nbytes = 0
        missing = None
        for name in names:
            obj = objects.pop(name, None)
            if obj is None:
                missing = name
                break
            deleted += 1
            nbytes += obj.size
        if deleted:
            self._usage -= nbytes
            self._count -= deleted
            self._sorted[container] = None
        op = "DELETE" if self.flavour == "swift" else "unlink"
        self.meter.charge(self.component, op,
                          deleted * self.meter.costs.object_delete_latency,
                          f"deleted {deleted} object(s), {nbytes} bytes from {container}"
                          + (f"; {missing} not found" if missing is not None else ""),
                          store=self.name, container=container, objects=deleted, bytes=nbytes)
        if missing is not None:
            raise errors.NotFound(f"object {missing} not found in {self.name}/{container}")
        return deleted
