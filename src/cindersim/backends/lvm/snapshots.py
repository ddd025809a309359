"""Old-style (COW) snapshots: dm-snapshot's exception store and what overflows it.

A COW snapshot (``lvcreate -s -L``) owns a COW area of its own extents.
dm-snapshot stores each overwritten 4 KiB chunk there, plus one header chunk
and one exception-table chunk per 256 data chunks, so an origin-sized COW area
(what Cinder creates) cannot hold a full rewrite of the origin: the snapshot
then becomes *invalid* (``lv_attr`` state ``I``), reads of it fail with EIO and
only ``lvremove`` is left.  The origin keeps working.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...empty import EmptySet
from ..blocks import BLOCK_SIZE
from .data import LvData

if TYPE_CHECKING:
    from .logical_volume import LogicalVolume
    from .volume_group import VolumeGroup

__all__ = [
    "SNAPSHOT_CHUNK_SIZE",
    "SnapshotInvalidError",
    "book_cow",
    "cow_exception_capacity",
    "cow_used_chunks",
]

SNAPSHOT_CHUNK_SIZE = 4 * 1024
"""lvcreate's default COW chunk for old-style snapshots (``-c``)."""
_EXCEPTION_BYTES = 16
"""One on-disk dm-snapshot exception: two 64-bit chunk numbers."""


def cow_exception_capacity(cow_bytes: int, chunk: int = SNAPSHOT_CHUNK_SIZE) -> int:
    """How many data chunks a COW area of *cow_bytes* can hold before it is full.

    dm-snapshot's persistent store: chunk 0 is the header, then areas of one
    exception-table chunk followed by ``chunk/16`` data chunks.
    """
    rest = cow_bytes // chunk - 1
    if rest <= 0:
        return 0
    per_area = chunk // _EXCEPTION_BYTES
    full, partial = divmod(rest, per_area + 1)
    return full * per_area + max(partial - 1, 0)


def cow_used_chunks(exceptions: int, chunk: int = SNAPSHOT_CHUNK_SIZE) -> int:
    """COW chunks in use with *exceptions* data chunks: header, data, exception tables."""
    per_area = chunk // _EXCEPTION_BYTES
    return 1 + exceptions + -(-exceptions // per_area)


class SnapshotInvalidError(OSError):
    """Reading an invalidated COW snapshot: the device returns EIO."""

    def __init__(self, lv_name: str) -> None:
        super().__init__(errno.EIO, f"snapshot {lv_name} is invalid (COW area overflowed)")
        self.lv_name = lv_name


def book_cow(vg: VolumeGroup, snap: LogicalVolume, blocks: Sequence[int], count: int) -> None:
    """Record exceptions in *snap* for the first *count* of *blocks* written to its origin
    (or to the snapshot itself); invalidate it when its COW area overflows."""
    if snap.invalid:
        return
    assert snap.data is not None
    limit = snap.data.size_blocks
    cow = snap.cow_blocks
    if type(cow) is EmptySet and count:  # the shared empty (cindersim.empty): its own set
        cow = snap.cow_blocks = set()
    for n in range(count):
        b = blocks[n]
        if b < limit:
            cow.add(b)
    per_block = BLOCK_SIZE // SNAPSHOT_CHUNK_SIZE
    if len(cow) * per_block > cow_exception_capacity(snap.extents * vg.extent_size):
        snap.invalid = True
        snap.data = LvData(0, vg, snap)  # the preserved data is gone
