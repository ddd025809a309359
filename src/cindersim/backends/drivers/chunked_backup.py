"""Cinder's chunked backup driver (Swift, POSIX, NFS) over block fingerprints.

Real Cinder (``cinder/backup/chunkeddriver.py`` and ``drivers/swift.py``,
``posix.py``, ``nfs.py``) reads the attached volume in *chunks* (Swift 50 MiB,
POSIX/NFS 1999994880 bytes), computes a SHA-256 per 32 KiB block of the whole
volume, compresses each chunk with zlib (a chunk that does not shrink is
stored as is, ``compression: "none"``) and writes it as object
``<prefix>-00001``, ``-00002`` ...  At the end it writes ``<prefix>_sha256file``
(every block's digest) and ``<prefix>_metadata`` (the object list with offset,
uncompressed length, compression and MD5).  An *incremental* backup compares
each block's digest with the parent's at the same index and writes one object
per run of changed blocks (a run never crosses a chunk boundary, because
Cinder compares inside each chunk it has read).  Restore applies the full
backup and then each increment, oldest to newest, each object at its offset.

The simulator keeps the same objects, names, metadata and refusals, but no
bytes:

* A data object's body is a :class:`Chunk`: offset, uncompressed length,
  compression, stored size, a model MD5, and the (block, fingerprint) pairs
  of the non-zero blocks it carries.  Restoring writes those fingerprints and
  zeroes the rest of the object's range, so a restore reproduces the
  volume's :class:`~cindersim.backends.blocks.BlockData` exactly.
* The sha256file body is a :class:`Sha256File` that stores only the non-zero
  blocks; the digest of a zero block is the real SHA-256 of 32 KiB of zeros,
  and any other block's digest is derived from its fingerprint.  A 1 TiB
  volume with 1% written costs ~330,000 entries, not 33 million strings,
  while its *size* in the store is that of the real JSON (~2.4 GB).
* Compression and the metadata MD5 are deterministic models
  (:mod:`.backup_sizes`).  A chunk whose model size is not smaller than its
  length is stored uncompressed, as Cinder does.

Every driver call checks the :class:`~cindersim.backends.faults.FaultPlan`
first (ops ``backup``, ``restore``, ``delete_backup``) and charges the meter
once for its own work (reading, hashing and compressing, or inflating and
writing); the object store charges its PUT/GET/DELETE batches itself.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal

from ... import errors
from ..blocks import BLOCK_SIZE, BlockData, GiB
from ..costs import Meter
from ..faults import FaultPlan
from ..objectstore import ObjectStore, StoredObject
from .backup_objects import (
    DEFAULT_SWIFT_CONTAINER,
    DRIVER_VERSION,
    POSIX_FILE_SIZE,
    SHA_BLOCK_SIZE,
    SWIFT_OBJECT_SIZE,
    BackupRef,
    BackupResult,
    Chunk,
    RestoreResult,
    Sha256File,
)
from .backup_sizes import compressor_name, deflated_size, metadata_size, model_md5

__all__ = ["ChunkedBackupDriver", "GetMetadata", "PutMetadata"]

_MASK = (1 << 64) - 1

Flavour = Literal["swift", "posix"]
GetMetadata = Callable[[str], str | None]
"""``BackupDriver.get_metadata``: volume id -> the JSON string ``_metadata`` keeps."""
PutMetadata = Callable[[str, str], None]
"""``BackupDriver.put_metadata``: (volume id, that JSON string) -> written back."""


def _split(items: Sequence[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``[(i, fp), ...]`` → ``((i, ...), (fp, ...))`` at C speed."""
    return tuple(map(itemgetter(0), items)), tuple(map(itemgetter(1), items))



def _invalid(reason: str) -> errors.InvalidBackup:
    return errors.InvalidBackup(reason=reason)


# --- the driver ------------------------------------------------------------------------
class ChunkedBackupDriver:
    """A chunked backup driver (``SwiftBackupDriver`` / ``PosixBackupDriver`` / NFS).

    Args:
        store: the repository; its flavour picks Swift or POSIX naming and sizes.
        meter: charged once per driver call for the driver's own work.
        chunk_size: object size; defaults to 50 MiB (Swift) or 1999994880 (POSIX).
        sha_block_size: digest granularity; a multiple of the 32 KiB block.
        compression: ``backup_compression_algorithm`` (``zlib`` by default).
        availability_zone: ``storage_availability_zone`` (in Swift prefixes).
        container: ``backup_swift_container`` / ``backup_container``.  For
            POSIX None means the per-backup ``<id[0:2]>/<id[2:4]>/<id>``.
        faults: the simulation's fault plan.
        host: the backup service host, for fault rules (``backend``).
    """

    def __init__(self, store: ObjectStore, meter: Meter, *, chunk_size: int | None = None,
                 sha_block_size: int = SHA_BLOCK_SIZE, compression: str = "zlib",
                 availability_zone: str = "nova", container: str | None = None,
                 faults: FaultPlan | None = None, host: str = "backup") -> None:
        self.store = store
        self.meter = meter
        self.flavour: Flavour = store.flavour
        self.chunk_size = chunk_size if chunk_size is not None else (
            SWIFT_OBJECT_SIZE if self.flavour == "swift" else POSIX_FILE_SIZE)
        if sha_block_size <= 0 or sha_block_size % BLOCK_SIZE:
            raise ValueError(f"sha_block_size must be a multiple of {BLOCK_SIZE}")
        if self.chunk_size <= 0:
            raise ValueError("chunk_size must be > 0")
        self.sha_block_size = sha_block_size
        self.compression = compressor_name(compression)
        self.availability_zone = availability_zone
        self.default_container = container if container is not None else (
            DEFAULT_SWIFT_CONTAINER if self.flavour == "swift" else None)
        self.faults = faults
        self.host = host

    component = "backup-driver"

    # --- naming ----------------------------------------------------------------------
    def container_for(self, backup_id: str, container: str | None = None) -> str:
        """The backup's container: as given, else the configured default.

        POSIX/NFS without one uses ``<id[0:2]>/<id[2:4]>/<id>``
        (``PosixBackupDriver.update_container_name``).
        """
        if container is not None:
            return container
        if self.default_container is not None:
            return self.default_container
        return f"{backup_id[0:2]}/{backup_id[2:4]}/{backup_id}"

    def object_prefix(self, backup_id: str, volume_id: str, now: dt.datetime) -> str:
        """``_generate_object_name_prefix`` at UTC time *now*.

        Swift: ``volume_<vid>/<YYYYMMDDHHMMSS>/az_<az>_backup_<bid>``;
        POSIX/NFS: ``volume_<vid>_<YYYYMMDDHHMMSS>_backup_<bid>``.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
        if self.flavour == "swift":
            return (f"volume_{volume_id}/{stamp}/az_{self.availability_zone}"
                    f"_backup_{backup_id}")
        return f"volume_{volume_id}_{stamp}_backup_{backup_id}"

    @staticmethod
    def metadata_name(prefix: str) -> str:
        return f"{prefix}_metadata"

    @staticmethod
    def sha256file_name(prefix: str) -> str:
        return f"{prefix}_sha256file"

    # --- content keys per SHA block ------------------------------------------------------------
    def _unit_keys(self, items: Sequence[tuple[int, int]],
                   ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Sorted non-zero SHA blocks and their content keys, from sorted block items."""
        k = self.sha_block_size // BLOCK_SIZE
        if k == 1:
            return _split(items)
        groups: dict[int, list[int]] = {}
        for i, fp in items:
            groups.setdefault(i // k, []).extend((i % k, fp))
        units = tuple(groups)
        keys = tuple((hash(tuple(g)) & _MASK) or 1 for g in groups.values())
        return units, keys

    def _chunk(self, offset_block: int, nblocks: int, blocks: Sequence[int],
               fps: Sequence[int], volume_blocks: int) -> Chunk:
        nblocks = min(nblocks, volume_blocks - offset_block)
        length = nblocks * BLOCK_SIZE
        fps_t = tuple(fps)
        if self.compression is None:
            compression, stored = "none", length
        else:
            size = deflated_size(length, fps_t)
            compression, stored = ((self.compression, size) if size < length
                                   else ("none", length))
        return Chunk(offset=offset_block * BLOCK_SIZE, length=length, compression=compression,
                     stored_size=stored,
                     md5=model_md5(length, offset_block, blocks, fps_t),
                     blocks=tuple(blocks), fps=fps_t)

    # --- backup -------------------------------------------------------------------------------
    def backup(self, *, backup_id: str, volume_id: str, volume: BlockData, now: dt.datetime,
               parent: BackupRef | None = None, name: str | None = None,
               description: str | None = None, created_at: dt.datetime | None = None,
               get_metadata: GetMetadata | None = None, container: str | None = None,
               on_prepared: Callable[[str, str], None] | None = None) -> BackupResult:
        """``ChunkedBackupDriver.backup``: full, or incremental against *parent*.

        Args:
            volume: the volume's content now (read, never changed).
            now: UTC time of the run (object prefix timestamp).
            parent: the parent backup for an incremental, None for a full one.
            created_at: the Backup record's ``created_at`` (defaults to *now*).
            get_metadata: ``BackupDriver.get_metadata`` (``backup_metadata=True``):
                called with the volume id once the data objects are written; the
                JSON string it returns is the ``_metadata`` object's
                ``volume_meta``.  If it raises, the objects written are deleted
                and the error goes up (``_backup_metadata``'s handler).
            on_prepared: called with ``(container, service_metadata)`` before any
                data is written, as ``_prepare_backup`` saves them on the
                record, so a backup that fails midway can still be deleted.

        Raises:
            InvalidBackup: chunk size not a multiple of the SHA block size; the
                parent's SHA block size differs; the volume grew since the parent.
            InvalidVolume: a volume of size 0.
            ObjectStoreFull: the store filled up (objects written so far stay).
        """
        if self.faults is not None:
            self.faults.check("backup", backend=self.host, volume_id=volume_id,
                              backup_id=backup_id)
        if self.chunk_size % self.sha_block_size:
            raise _invalid("Chunk size is not multiple of block size for creating hash.")
        size_gib = volume.size_bytes // GiB
        parent_keys: dict[int, int] | None = None
        if parent is not None:
            parent_sha = self._read_sha256file(parent)
            if parent_sha.chunk_size != self.sha_block_size:
                raise _invalid(
                    "Hash block size has changed since the last backup. New hash block size: "
                    f"{self.sha_block_size}. Old hash block size: {parent_sha.chunk_size}. "
                    "Do a full backup.")
            # Cinder compares GiB sizes; simulated volumes may be smaller than
            # 1 GiB, so the digest count of the parent is compared as well.
            grew = size_gib > parent.size or (
                volume.size_bytes > parent_sha.total * parent_sha.chunk_size)
            if grew:
                raise _invalid("Volume size increased since the last backup. Do a full backup.")
            parent_keys = parent_sha.key_map()
        if volume.size_blocks <= 0:
            raise errors.InvalidVolume(reason=f"volume size {size_gib} is invalid.")

        container_name = self.container_for(backup_id, container)
        self.store.put_container(container_name)
        prefix = self.object_prefix(backup_id, volume_id, now)
        if on_prepared is not None:
            on_prepared(container_name, prefix)

        items = volume.items()
        units, keys = self._unit_keys(items)
        if parent_keys is None:
            idx, fps = (units, keys) if self.sha_block_size == BLOCK_SIZE else _split(items)
            del items
            chunks = self._full_chunks(volume, idx, fps)
        else:
            chunks = self._incremental_chunks(volume, units, keys, parent_keys)
        uncompressed = sum(c.length for c in chunks)
        data_stored = sum(c.stored_size for c in chunks)
        costs = self.meter.costs
        seconds = (costs.transfer(volume.size_bytes, costs.read_bandwidth)
                   + costs.transfer(volume.size_bytes, costs.sha_bandwidth)
                   + (costs.transfer(uncompressed, costs.compress_bandwidth)
                      if self.compression is not None else 0.0))
        kind = "incremental" if parent is not None else "full"
        self.meter.charge(self.component, "read+sha256+compress", seconds,
                          f"{kind} backup {backup_id}: read {volume.size_bytes} bytes, "
                          f"{len(chunks)} object(s), {uncompressed} -> {data_stored} bytes",
                          backup_id=backup_id, volume_id=volume_id, kind=kind,
                          objects=len(chunks), uncompressed=uncompressed, stored=data_stored)

        names = [f"{prefix}-{n:05d}" for n in range(1, len(chunks) + 1)]
        self.store.put_many(container_name, [
            (n, c, c.stored_size) for n, c in zip(names, chunks, strict=True)])

        volume_meta: str | None = None
        if get_metadata is not None:
            try:
                volume_meta = get_metadata(volume_id) or None
            except Exception:  # Cinder: whatever goes wrong, clean up and re-raise
                self.store.delete_many(container_name,
                                       self.store.list(container_name, prefix))
                raise
        created = str(created_at if created_at is not None else now)
        sha = Sha256File(version=DRIVER_VERSION, backup_id=backup_id, volume_id=volume_id,
                         backup_name=name, backup_description=description,
                         created_at=created, chunk_size=self.sha_block_size,
                         total=-(-volume.size_bytes // self.sha_block_size),
                         units=units, keys=keys)
        sha_size = sha.json_size()
        self.store.put(container_name, self.sha256file_name(prefix), sha, sha_size)

        metadata: dict[str, Any] = {
            "version": DRIVER_VERSION, "backup_id": backup_id, "volume_id": volume_id,
            "backup_name": name, "backup_description": description, "created_at": created,
            "objects": [{n: c.metadata_entry()} for n, c in zip(names, chunks, strict=True)],
            "parent_id": parent.id if parent is not None else None,
            "volume_meta": volume_meta,
        }
        meta_size = metadata_size(metadata)
        self.store.put(container_name, self.metadata_name(prefix), metadata, meta_size)
        return BackupResult(container=container_name, service_metadata=prefix,
                            object_count=len(chunks) + 1, data_objects=len(chunks),
                            uncompressed_bytes=uncompressed,
                            stored_bytes=data_stored + sha_size + meta_size,
                            parent_id=parent.id if parent is not None else None,
                            size=size_gib)

    def _full_chunks(self, volume: BlockData, idx: Sequence[int],
                     fps: Sequence[int]) -> list[Chunk]:
        """One object per chunk of the whole volume, zeros included."""
        per_chunk = self.chunk_size // BLOCK_SIZE
        total = volume.size_blocks
        chunks: list[Chunk] = []
        a = 0
        for first in range(0, total, per_chunk):
            b = bisect.bisect_left(idx, first + per_chunk, lo=a)
            chunks.append(self._chunk(first, per_chunk, idx[a:b], fps[a:b], total))
            a = b
        return chunks

    def _incremental_chunks(self, volume: BlockData, units: Sequence[int],
                            keys: Sequence[int], parent: dict[int, int]) -> list[Chunk]:
        """One object per run of changed SHA blocks, runs cut at chunk boundaries."""
        k = self.sha_block_size // BLOCK_SIZE
        total_units = -(-volume.size_blocks // k)
        changed: list[int] = []
        for u, key in zip(units, keys, strict=True):
            if parent.pop(u, 0) != key:
                changed.append(u)
        # Blocks the parent had and that are zeros now changed too.
        changed.extend(u for u in parent if u < total_units)
        changed.sort()
        units_per_chunk = self.chunk_size // self.sha_block_size
        chunks: list[Chunk] = []
        start = 0
        while start < len(changed):
            end = start + 1
            first = changed[start]
            while (end < len(changed) and changed[end] == changed[end - 1] + 1
                   and changed[end] // units_per_chunk == first // units_per_chunk):
                end += 1
            count = end - start
            first_block, nblocks = first * k, count * k
            items = volume.items_in(first_block, min(nblocks, volume.size_blocks - first_block))
            chunks.append(self._chunk(first_block, nblocks, [i for i, _ in items],
                                      [fp for _, fp in items], volume.size_blocks))
            start = end
        return chunks

    def _read_sha256file(self, ref: BackupRef) -> Sha256File:
        body = self.store.get(ref.container, self.sha256file_name(ref.service_metadata)).body
        if not isinstance(body, Sha256File):
            raise _invalid(f"sha256file of backup {ref.id} is not readable")
        return body

    def _read_metadata(self, ref: BackupRef) -> dict[str, Any]:
        body = self.store.get(ref.container, self.metadata_name(ref.service_metadata)).body
        if not isinstance(body, dict):
            raise _invalid(f"metadata of backup {ref.id} is not readable")
        return body

    # --- restore ------------------------------------------------------------------------------
    def restore(self, chain: Sequence[BackupRef], target: BlockData, *,
                volume_id: str | None = None,
                put_metadata: PutMetadata | None = None) -> RestoreResult:
        """``ChunkedBackupDriver.restore`` of ``chain[-1]`` into *target*.

        *chain* is the full backup followed by each increment (see
        :func:`backup_chain`).  Each backup's container listing must match its
        metadata's object list, else ``InvalidBackup``.  Each object overwrites
        its byte range of *target* (zeros included); the rest of a larger
        target is left as it was.  After each backup's objects, its
        ``volume_meta`` (if any) goes to *put_metadata* (``BackupDriver.put_metadata``)
        with the target volume's id, so a later backup's saved metadata lands
        over an earlier one's.

        Raises:
            BackupOperationError: *put_metadata* refused the metadata's version.
        """
        if not chain:
            raise ValueError("empty backup chain")
        last = chain[-1]
        if self.faults is not None:
            self.faults.check("restore", backend=self.host,
                              volume_id=volume_id or last.volume_id, backup_id=last.id)
        if chain[0].parent_id:
            raise ValueError(f"chain starts with incremental backup {chain[0].id}")
        for older, newer in itertools.pairwise(chain):
            if newer.parent_id != older.id:
                raise ValueError(f"backup {newer.id} is not a child of {older.id}")
        if target.size_bytes < last.size * GiB:
            raise errors.InvalidVolume(
                reason=f"volume size {target.size_bytes // GiB} is too small to restore "
                       f"backup of size {last.size}.")
        first_meta = self._read_metadata(last)
        self._check_version(first_meta)

        objects_read = 0
        written = 0
        volume_meta: str | None = None
        for ref in chain:
            metadata = self._read_metadata(ref)
            self._check_version(metadata)
            meta_names = [n for entry in metadata["objects"] for n in entry]
            prune = {self.metadata_name(ref.service_metadata),
                     self.sha256file_name(ref.service_metadata)}
            listed = [n for n in self.store.list(ref.container, ref.service_metadata)
                      if n not in prune]
            if sorted(listed) != sorted(meta_names):
                raise _invalid("restore_backup aborted, actual object list does not match "
                               "object list stored in metadata.")
            stored = self.store.get_many(ref.container, meta_names)
            written += self._apply(stored, target, full=not ref.parent_id)
            objects_read += len(stored)
            if metadata.get("volume_meta"):
                volume_meta = metadata["volume_meta"]
                if put_metadata is not None:
                    try:
                        put_metadata(volume_id or last.volume_id, volume_meta)
                    except errors.BackupMetadataUnsupportedVersion:
                        raise errors.BackupOperationError(
                            "Metadata restore failed due to incompatible version.") from None

        costs = self.meter.costs
        self.meter.charge(self.component, "decompress+write",
                          costs.transfer(written, costs.decompress_bandwidth)
                          + costs.transfer(written, costs.restore_write_bandwidth),
                          f"restored backup {last.id} ({len(chain)} in chain): "
                          f"{objects_read} object(s), {written} bytes",
                          backup_id=last.id, volume_id=volume_id or last.volume_id,
                          chain=[r.id for r in chain], objects=objects_read, bytes=written)
        return RestoreResult(backups_applied=tuple(r.id for r in chain),
                             objects_read=objects_read, bytes_written=written,
                             volume_meta=volume_meta)

    @staticmethod
    def _check_version(metadata: Mapping[str, Any]) -> None:
        version = metadata.get("version")
        if version != DRIVER_VERSION:
            raise _invalid(f"No support to restore backup version {version}")

    @staticmethod
    def _apply(stored: Sequence[StoredObject], target: BlockData, *, full: bool) -> int:
        """Write each object's range: zeros everywhere, then its non-zero blocks.

        A full backup's objects tile ``[0, size)``, so that whole range is
        zeroed once instead of object by object (same result, one pass).
        """
        chunks: list[Chunk] = []
        for obj in stored:
            if not isinstance(obj.body, Chunk):
                raise _invalid(f"object {obj.name} is not a backup data object")
            chunks.append(obj.body)
        nbytes = sum(c.length for c in chunks)
        tiled = full and all(
            c.offset == (chunks[n - 1].offset + chunks[n - 1].length if n else 0)
            for n, c in enumerate(chunks))
        if tiled and chunks:
            target.discard(0, chunks[-1].first_block + chunks[-1].block_count)
            target.put(zip(itertools.chain.from_iterable(c.blocks for c in chunks),
                           itertools.chain.from_iterable(c.fps for c in chunks), strict=True))
            return nbytes
        for c in chunks:
            target.discard(c.first_block, c.block_count)
            target.put(zip(c.blocks, c.fps, strict=True))
        return nbytes

    # --- delete --------------------------------------------------------------------------------
    def delete_backup(self, ref: BackupRef) -> int:
        """``ChunkedBackupDriver.delete``: remove every object with the backup's prefix.

        Returns how many objects were deleted (0 if there were none, e.g. for a
        backup that failed before writing anything).
        """
        if self.faults is not None:
            self.faults.check("delete_backup", backend=self.host, volume_id=ref.volume_id,
                              backup_id=ref.id)
        if not ref.container or not ref.service_metadata:
            return 0
        names = self.store.list(ref.container, ref.service_metadata)
        deleted = self.store.delete_many(ref.container, names) if names else 0
        self.meter.charge(self.component, "delete", 0.0,
                          f"deleted backup {ref.id}: {deleted} object(s)",
                          backup_id=ref.id, volume_id=ref.volume_id, objects=deleted)
        return deleted
