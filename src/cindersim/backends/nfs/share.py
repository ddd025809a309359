"""An NFS server's exports, and the volume files Cinder's NFS driver keeps on them.

Facts carried from ``cinder/volume/drivers/remotefs.py`` and ``nfs.py``:

* A volume is one file ``volume-<id>`` in the share's mount point: a sparse raw
  file (``truncate -s <n>G``, ``nfs_sparsed_volumes = True``, the default), a
  regular raw file (``dd if=/dev/zero ... bs=1M``) or, with
  ``nfs_qcow2_volumes``, a qcow2 file (``qemu-img create -f qcow2 -o
  preallocation=metadata``).
* A snapshot never copies: ``qemu-img create -f qcow2 -b <active>`` makes a new
  overlay ``volume-<id>.<snapshot id>`` which becomes the *active* image; the
  snapshot's data is the overlay's backing file, frozen from then on.  The
  ``volume-<id>.info`` JSON file maps ``active`` and every snapshot id to its
  overlay file.
* Deleting a snapshot offline is ``qemu-img commit`` of its overlay into the
  backing file, then a rebase of the next overlay (or the backing file becomes
  active again when the overlay was the active one).
* Capacity comes from the share: ``stat -f`` (blocks used on the server) for
  total/free, ``du --bytes`` for what is provisioned (apparent sizes: a sparse
  raw file counts its full size; an overlay only its own clusters).

The content model: the volume's live content is one :class:`FileData` (the
active image seen through its chain, as qemu presents it to a reader); every
file that stops being active keeps a frozen copy of what it showed then.
Writes to the live data allocate clusters in the active file only, which is
what makes an overlay grow.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ... import errors
from ..blocks import BLOCK_SIZE, BlockData, GiB

__all__ = ["FileData", "ImageFile", "NfsExports", "Share", "VolumeChain"]

BLOCKS_PER_GIB = GiB // BLOCK_SIZE


class FileData(BlockData):
    """A volume's live content; each write allocates its blocks in the active file."""

    __slots__ = ("_on_write",)

    def __init__(self, size_blocks: int, on_write: ImageFile,
                 blocks: dict[int, int] | None = None) -> None:
        super().__init__(size_blocks, blocks)
        self._on_write = on_write

    def retarget(self, active: ImageFile) -> None:
        """The chain has a new active file: later writes allocate in it."""
        self._on_write = active

    def write(self, first: int, count: int, tag: str | int) -> None:
        super().write(first, count, tag)
        self._on_write.allocated.update(range(first, first + count))

    def put(self, items: Iterable[tuple[int, int]]) -> None:
        todo = list(items)
        super().put(todo)
        self._on_write.allocated.update(i for i, _ in todo)

    def copy_from(self, src: BlockData) -> None:
        super().copy_from(src)
        self._on_write.allocated.update(i for i, _ in src.items())


@attrs.define(eq=False)
class ImageFile:
    """One file on the share (a volume's base image or one of its overlays)."""

    name: str
    fmt: str
    """``raw`` or ``qcow2`` (what ``qemu-img info`` reports as file format)."""
    virtual_size_gb: int
    backing_file: str | None = None
    preallocated: bool = False
    """A regular (non-sparse) raw file: every byte is on disk."""
    allocated: set[int] = attrs.field(factory=set)
    """Blocks this file itself holds (an overlay's clusters, a sparse file's extents)."""
    frozen: BlockData | None = None
    """What the file shows once something is layered on it (None while active)."""

    @property
    def virtual_bytes(self) -> int:
        return self.virtual_size_gb * GiB

    def used_bytes(self) -> int:
        """Bytes on the server's disk (``stat -f`` counts these)."""
        if self.preallocated:
            return self.virtual_bytes
        return len(self.allocated) * BLOCK_SIZE

    def apparent_bytes(self) -> int:
        """``du --bytes``: a raw file or a metadata-preallocated base counts its full
        size; an overlay (no preallocation) only the clusters it holds."""
        if self.backing_file is None:
            return self.virtual_bytes
        return len(self.allocated) * BLOCK_SIZE


@attrs.define(eq=False)
class VolumeChain:
    """A volume's files, base first, and its ``volume-<id>.info`` mapping."""

    volume_name: str
    files: list[ImageFile]
    data: FileData
    snap_info: dict[str, str] = attrs.field(factory=dict)
    """Snapshot id -> the overlay created with it (the ``.info`` file, less ``active``)."""

    @property
    def active(self) -> ImageFile:
        return self.files[-1]

    def file(self, name: str) -> ImageFile:
        for f in self.files:
            if f.name == name:
                return f
        raise errors.SimulationError(f"{name} is not in the chain of {self.volume_name}")

    def info(self) -> dict[str, str]:
        """The ``.info`` file as written (empty when the volume is its own file again)."""
        if not self.snap_info and len(self.files) == 1 and \
                self.files[0].name == self.volume_name:
            return {}
        return {"active": self.active.name, **self.snap_info}


@attrs.define(eq=False)
class Share:
    """One export (``address:/path``) with its size and the files on it."""

    export: str
    size_gb: int
    chains: dict[str, VolumeChain] = attrs.field(factory=dict)

    @property
    def total_bytes(self) -> int:
        return self.size_gb * GiB

    def files(self) -> list[ImageFile]:
        return [f for c in self.chains.values() for f in c.files]

    def used_bytes(self) -> int:
        return sum(f.used_bytes() for f in self.files())

    def available_bytes(self) -> int:
        return max(0, self.total_bytes - self.used_bytes())

    def apparent_bytes(self, *, exclude_snapshots: bool = False) -> int:
        """``du -sb --apparent-size`` of the mount point (``--exclude '*snapshot*'``
        matches no overlay name, so the flag changes nothing for this driver)."""
        return sum(f.apparent_bytes() for f in self.files()
                   if not (exclude_snapshots and "snapshot" in f.name))

    def chain_of(self, file_name: str) -> VolumeChain:
        """The volume whose chain holds *file_name* (a reader follows it to the active
        image, as the guest does once Nova switched it to a new overlay)."""
        for chain in self.chains.values():
            if any(f.name == file_name for f in chain.files):
                return chain
        raise errors.VolumeDeviceNotFound(device=f"{self.export}/{file_name}")


class NfsExports:
    """Which share answers at which ``address:/path`` (the NFS servers of the cloud)."""

    __slots__ = ("_shares",)

    def __init__(self) -> None:
        self._shares: dict[str, Share] = {}

    def export(self, export: str, size_gb: int) -> Share:
        """The share at *export*, created with *size_gb* on first use (backends naming
        the same export share it, as two backends on one NFS server would)."""
        share = self._shares.get(export)
        if share is None:
            share = self._shares[export] = Share(export, size_gb)
        return share

    def lookup(self, export: str) -> Share | None:
        return self._shares.get(export)

    def shares(self) -> list[Share]:
        return list(self._shares.values())
