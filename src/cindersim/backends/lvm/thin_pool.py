"""Thin pools: chunk size, metadata layout, chunk sharing, and what a full pool does.

A thin pool is a data LV plus a metadata LV (``[pool_tmeta]``) plus one spare
metadata LV per VG (``[lvol0_pmspare]``), all from VG extents; that is why
Cinder leaves 5% of the VG free.  Thin LVs have a virtual size and own no
extents; pool chunks are mapped on first write and shared between a thin LV and
its thin snapshots until one side writes (then the writer gets a new chunk).
Discards of whole chunks unmap them.

A full thin pool does not stop ``lvcreate -V`` (virtual sizes may exceed the
pool); it stops *writes*.  By default dm-thin queues them for
``no_space_timeout`` (60 s) and then fails them; with ``--errorwhenfull y`` it
fails them at once.  A synchronous model cannot queue, so a write that needs a
chunk the pool does not have stores the blocks before it, then raises
:class:`ThinPoolFullError` carrying ``stall_seconds`` (60 or 0): the caller (an
attachment, a restore, a ``dd``) sleeps that long in virtual time and sees the
error, exactly as a guest sees its I/O hang and then fail.  Removing or
discarding LVs frees chunks and writes succeed again.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

import attrs

from ..blocks import BLOCK_SIZE, GiB, MiB

__all__ = [
    "NO_SPACE_TIMEOUT",
    "THIN_MIN_CHUNK",
    "PoolState",
    "ThinPoolFullError",
    "map_chunks",
    "thin_pool_layout",
    "unmap_chunks",
    "unref",
]

NO_SPACE_TIMEOUT = 60.0
"""dm-thin's ``no_space_timeout`` module parameter: seconds a full pool queues I/O."""

THIN_MIN_CHUNK = 64 * 1024
_THIN_OPTIMAL_METADATA = 128 * MiB
_THIN_MIN_METADATA = 2 * MiB
_THIN_MAX_METADATA = 16 * GiB
_THIN_MAPPING_BYTES = 64
"""lvm2's metadata estimate: 64 bytes of btree per mapped pool chunk."""


def thin_pool_layout(data_bytes: int, extent_size: int,
                     chunk_size: int | None = None) -> tuple[int, int]:
    """``(chunk_size, metadata_extents)`` lvm2 picks for a pool of *data_bytes*.

    Without ``--chunksize`` lvm2 starts at 64 KiB and doubles the chunk until
    the estimated metadata (64 bytes per chunk) fits 128 MiB; the metadata LV is
    that estimate clamped to [2 MiB, 16 GiB] and rounded up to extents.  This
    follows lvm2's defaults in outline; the exact estimate varies by release
    (approximate).
    """
    chunk = chunk_size or THIN_MIN_CHUNK
    if chunk_size is None:
        while data_bytes // chunk * _THIN_MAPPING_BYTES > _THIN_OPTIMAL_METADATA and chunk < GiB:
            chunk *= 2
    meta = data_bytes // chunk * _THIN_MAPPING_BYTES
    meta = min(max(meta, _THIN_MIN_METADATA), _THIN_MAX_METADATA)
    return chunk, -(-meta // extent_size)


class ThinPoolFullError(OSError):
    """A write needed a pool chunk and the thin pool had none (ENOSPC).

    The blocks before the failing chunk were stored.  ``stall_seconds`` is how
    long dm-thin queued the I/O before failing it (``no_space_timeout``, or 0
    with ``--errorwhenfull y``); callers charge it as virtual time.
    """

    def __init__(self, lv_name: str, pool_name: str, blocks_written: int,
                 stall_seconds: float) -> None:
        super().__init__(errno.ENOSPC, f"thin pool {pool_name} is out of data space "
                                       f"(write to {lv_name} failed)")
        self.lv_name = lv_name
        self.pool_name = pool_name
        self.blocks_written = blocks_written
        self.stall_seconds = stall_seconds


@attrs.define(kw_only=True, eq=False)
class PoolState:
    """A thin pool's data chunks and who maps them (kept on the pool's LV)."""

    chunk_size: int
    chunks: int
    """Data chunks the pool holds."""
    refs: dict[int, int] = attrs.Factory(dict)
    """Physical chunk id -> number of thin LVs mapping it."""
    next_chunk: int = 0
    meta_lv: str = ""


def unref(st: PoolState, phys: int) -> None:
    """One thin LV less maps physical chunk *phys*; the last one frees it."""
    n = st.refs[phys] - 1
    if n:
        st.refs[phys] = n
    else:
        del st.refs[phys]


def map_chunks(st: PoolState, cmap: dict[int, int], blocks: Sequence[int]) -> int:
    """Map the chunks a write of *blocks* (in order) needs in a thin LV's *cmap*.

    A shared chunk is broken (the writer gets a new one).  Returns how many of
    *blocks* may land: all of them, or those before the first chunk the full
    pool could not give.
    """
    per_chunk = st.chunk_size // BLOCK_SIZE
    refs = st.refs
    done: set[int] = set()
    for n, b in enumerate(blocks):
        c = b // per_chunk
        if c in done:
            continue
        phys = cmap.get(c)
        if phys is None or refs[phys] > 1:
            if len(refs) >= st.chunks:
                return n
            if phys is not None:
                refs[phys] -= 1
            cmap[c] = new = st.next_chunk
            st.next_chunk += 1
            refs[new] = 1
        done.add(c)
    return len(blocks)


def unmap_chunks(st: PoolState, cmap: dict[int, int], c0: int, c1: int) -> None:
    """dm-thin discard: unmap the virtual chunks ``c0 .. c1-1`` of a thin LV."""
    gone = (list(range(c0, c1)) if c1 - c0 <= len(cmap)
            else [c for c in cmap if c0 <= c < c1])
    for c in gone:
        phys = cmap.pop(c, None)
        if phys is not None:
            unref(st, phys)
