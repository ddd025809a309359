"""An LV's content: block data whose every change the volume group admits first.

Content lives in :class:`LvData`, a :class:`~cindersim.backends.blocks.BlockData`
that reports each write to its VG before it lands, so COW exceptions and thin
chunk mappings follow whatever code writes to a volume (guest I/O, ``dd``,
restores).  A snapshot keeps a copy of its origin's content taken at creation,
which is what a snapshot reads back; the COW and chunk accounting then says
what that costs.  LvData is the VG's own collaborator: it calls the VG's
package-internal ``_admit``, ``_discard`` and ``_pool_full``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ... import errors
from ..blocks import BlockData

if TYPE_CHECKING:
    from .logical_volume import LogicalVolume
    from .volume_group import VolumeGroup

__all__ = ["LvData"]


class LvData(BlockData):
    """An LV's content; every change is first admitted by the volume group.

    Admission does the COW bookkeeping for snapshots of this LV and maps thin
    chunks; a thin LV whose pool runs dry gets the blocks before the failing
    chunk and then :class:`ThinPoolFullError`.  Resizing goes through
    ``lvextend``, never through the data.
    """

    __slots__ = ("_lv", "_vg")

    def __init__(self, size_blocks: int, vg: VolumeGroup, lv: LogicalVolume,
                 blocks: dict[int, int] | None = None) -> None:
        super().__init__(size_blocks, blocks)
        self._vg = vg
        self._lv = lv

    def write(self, first: int, count: int, tag: str | int) -> None:
        self._check_range(first, count)
        admitted = self._vg._admit(self._lv, range(first, first + count))
        super().write(first, admitted, tag)
        if admitted < count:
            raise self._vg._pool_full(self._lv, admitted)

    def put(self, items: Iterable[tuple[int, int]]) -> None:
        todo = list(items)
        size = self.size_blocks
        for i, _ in todo:
            if not 0 <= i < size:
                raise ValueError(f"block {i} outside device of {size} blocks")
        blocks = self._blocks
        touched = [n for n, (i, fp) in enumerate(todo) if fp or i in blocks]
        admitted = self._vg._admit(self._lv, [todo[n][0] for n in touched])
        cut = len(todo) if admitted == len(touched) else touched[admitted]
        super().put(todo[:cut])
        if cut < len(todo):
            raise self._vg._pool_full(self._lv, admitted)

    def discard(self, first: int = 0, count: int | None = None) -> None:
        if count is None:
            count = self.size_blocks - first
        self._check_range(first, count)
        self._vg._discard(self._lv, first, count)

    def copy_from(self, src: BlockData) -> None:
        if any(i >= self.size_blocks for i, _ in src.items()):
            raise ValueError("source data does not fit the target device")
        new = dict(src.items())
        gone = [(i, 0) for i in sorted(self._blocks) if i not in new]
        self.put(sorted([*new.items(), *gone]))

    def resize(self, size_blocks: int) -> None:
        raise errors.SimulationError("an LV's size changes only through lvextend")

    def _zero(self, first: int, count: int) -> None:
        BlockData.discard(self, first, count)

    def _grow(self, size_blocks: int) -> None:
        BlockData.resize(self, size_blocks)
