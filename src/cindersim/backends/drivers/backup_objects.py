"""The objects a chunked backup leaves in the store, and the records that name them.

A backup is ``<prefix>-00001``, ``-00002`` ... (each body a :class:`Chunk`),
``<prefix>_sha256file`` (a :class:`Sha256File`) and ``<prefix>_metadata``;
the Backup record keeps the container and prefix (:class:`BackupRef`).
The constants are Cinder's option defaults for those objects' sizes.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from ..blocks import BLOCK_SIZE
from .backup_sizes import json_indent2_size

__all__ = [
    "DEFAULT_SWIFT_CONTAINER",
    "DRIVER_VERSION",
    "POSIX_FILE_SIZE",
    "SHA_BLOCK_SIZE",
    "SWIFT_OBJECT_SIZE",
    "ZERO_BLOCK_SHA256",
    "BackupRef",
    "BackupResult",
    "Chunk",
    "RestoreResult",
    "Sha256File",
    "backup_chain",
]

DRIVER_VERSION = "1.0.0"
"""``ChunkedBackupDriver.DRIVER_VERSION``; restore accepts only this version."""
SWIFT_OBJECT_SIZE = 52428800
"""``backup_swift_object_size`` (50 MiB); also S3 and GCS."""
POSIX_FILE_SIZE = 1999994880
"""``backup_file_size`` for POSIX and NFS (61035 * 32768 bytes, ~1.86 GiB)."""
SHA_BLOCK_SIZE = 32768
"""``backup_swift_block_size`` / ``backup_sha_block_size_bytes``."""
DEFAULT_SWIFT_CONTAINER = "volumebackups"
"""``backup_swift_container``."""

ZERO_BLOCK_SHA256 = hashlib.sha256(bytes(SHA_BLOCK_SIZE)).hexdigest()
"""The real digest of a 32 KiB block of zeros: what most of a sparse volume hashes to."""

# --- object bodies -------------------------------------------------------------------
@attrs.frozen
class Chunk:
    """Body of one data object: a byte range of the volume and what it held.

    ``blocks``/``fps`` list the non-zero 32 KiB blocks in the range (absolute
    block indexes); every other block of the range was zeros.
    """

    offset: int
    """Byte offset in the volume (the metadata's ``offset``)."""
    length: int
    """Uncompressed bytes (the metadata's ``length``)."""
    compression: str
    """``zlib`` (or the configured algorithm), or ``none`` when it did not shrink."""
    stored_size: int
    """Bytes in the object store."""
    md5: str
    blocks: tuple[int, ...] = attrs.field(repr=False)
    fps: tuple[int, ...] = attrs.field(repr=False)

    @property
    def first_block(self) -> int:
        return self.offset // BLOCK_SIZE

    @property
    def block_count(self) -> int:
        return -(-self.length // BLOCK_SIZE)

    def metadata_entry(self) -> dict[str, Any]:
        """``{offset, length, compression, md5}`` as ``_backup_chunk`` records it."""
        return {"offset": self.offset, "length": self.length,
                "compression": self.compression, "md5": self.md5}


@attrs.frozen
class Sha256File:
    """Body of ``<prefix>_sha256file``: one digest per SHA block of the whole volume.

    Stored sparsely: ``units``/``keys`` are the SHA blocks whose content is not
    all zeros, with a content key (the block fingerprint when the SHA block is
    one 32 KiB block).  Every other block's digest is that of zeros.
    """

    version: str
    backup_id: str
    volume_id: str
    backup_name: str | None
    backup_description: str | None
    created_at: str
    chunk_size: int
    """The SHA block size (Cinder names it ``chunk_size`` in this file)."""
    total: int
    """Number of digests (SHA blocks in the volume)."""
    units: tuple[int, ...] = attrs.field(repr=False)
    keys: tuple[int, ...] = attrs.field(repr=False)

    def key_map(self) -> dict[int, int]:
        return dict(zip(self.units, self.keys, strict=True))

    def sha256(self, index: int) -> str:
        """Digest of SHA block *index* (``sha256s[index]``)."""
        if not 0 <= index < self.total:
            raise IndexError(index)
        pos = bisect.bisect_left(self.units, index)
        if pos < len(self.units) and self.units[pos] == index:
            return hashlib.sha256(self.keys[pos].to_bytes(8, "big")).hexdigest()
        if self.chunk_size == SHA_BLOCK_SIZE:
            return ZERO_BLOCK_SHA256
        return hashlib.sha256(bytes(self.chunk_size)).hexdigest()

    def sha256s(self) -> Iterator[str]:
        """Every digest in order (33 million for 1 TiB: iterate, don't listify, big ones)."""
        zero = (ZERO_BLOCK_SHA256 if self.chunk_size == SHA_BLOCK_SIZE
                else hashlib.sha256(bytes(self.chunk_size)).hexdigest())
        keyed = dict(zip(self.units, self.keys, strict=True))
        for i in range(self.total):
            key = keyed.get(i)
            if key is None:
                yield zero
            else:
                yield hashlib.sha256(key.to_bytes(8, "big")).hexdigest()

    def header(self) -> dict[str, Any]:
        return {"version": self.version, "backup_id": self.backup_id,
                "volume_id": self.volume_id, "backup_name": self.backup_name,
                "backup_description": self.backup_description, "created_at": self.created_at,
                "chunk_size": self.chunk_size}

    def to_dict(self) -> dict[str, Any]:
        """The full JSON document (for small volumes: it lists every digest)."""
        return {**self.header(), "sha256s": list(self.sha256s())}

    def json_size(self) -> int:
        """Bytes of ``json.dumps(to_dict(), sort_keys=True, indent=2)``, by arithmetic.

        Each digest is a line ``    "<64 hex>",`` (72 bytes with the newline);
        the list's brackets and last line add 4 bytes over the empty ``[]``.
        """
        empty = json_indent2_size({**self.header(), "sha256s": []})
        return empty if self.total == 0 else empty - 2 + 72 * self.total + 4


@attrs.frozen
class BackupRef:
    """What the driver needs of a Backup record (Cinder passes the whole object)."""

    id: str
    volume_id: str
    container: str
    service_metadata: str
    """The object name prefix."""
    size: int
    """GiB (the volume's size when backed up)."""
    parent_id: str | None = None


@attrs.frozen
class BackupResult:
    """What a backup leaves for the Backup record and the simulator."""

    container: str
    service_metadata: str
    object_count: int
    """What Cinder stores in ``backup.object_count``: the next object number,
    i.e. data objects + 1 (``_finalize_backup`` saves ``object_meta['id']``,
    which starts at 1 and grows once per object written)."""
    data_objects: int
    """Data objects actually written (``-00001`` ...)."""
    uncompressed_bytes: int
    stored_bytes: int
    """Bytes this backup added to the store (data, sha256file and metadata)."""
    parent_id: str | None
    size: int
    """The volume's size in GiB when backed up (the Backup record's ``size``)."""

    def ref(self, backup_id: str, volume_id: str, size: int | None = None) -> BackupRef:
        """The :class:`BackupRef` of this backup, for restores, increments and deletes."""
        return BackupRef(backup_id, volume_id, self.container, self.service_metadata,
                         self.size if size is None else size, self.parent_id)


@attrs.frozen
class RestoreResult:
    """What a restore did."""

    backups_applied: tuple[str, ...]
    objects_read: int
    bytes_written: int
    volume_meta: str | None
    """The ``volume_meta`` of the last backup applied that had one (the manager
    puts it back on the volume)."""


def backup_chain(backup_id: str, lookup: Callable[[str], BackupRef]) -> list[BackupRef]:
    """The chain to restore *backup_id*: full backup first, then each increment."""
    chain = [lookup(backup_id)]
    while chain[-1].parent_id:
        chain.append(lookup(chain[-1].parent_id))
    chain.reverse()
    return chain

