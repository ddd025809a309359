"""RBD images: thin block devices striped over RADOS objects, with snapshots and layering.

An image is a name in a pool, a size, and an *object size* (``order``: 2^22 =
4 MiB by default, Cinder's ``rbd_store_chunk_size``).  Nothing is allocated at
create: an object exists only once a block in it is written, so an image is
thin by nature and ``ceph df`` counts only what was written.

* **snapshots** are read-only points in time.  A write to an object that a
  snapshot still needs makes RADOS keep the old object (a *clone* object, the
  snapshot's own space); until then the snapshot costs nothing.
* **protect** a snapshot before cloning it (clone v1 requires it, Cinder does
  it always); a protected snapshot cannot be removed, and it cannot be
  unprotected while clones (children) of it exist.
* **layering**: a clone is a new image whose *parent* is ``pool/image@snap``.
  It starts with no objects and reads through to the parent for what it has
  not written (copy-on-write: the first write to an object copies that object
  up from the parent).  **flatten** copies every parent object the child does
  not yet have and cuts the link.

Content is tracked with fingerprints (:class:`ImageData`, a
:class:`~cindersim.backends.blocks.BlockData`) at the 32 KiB block grain; a
clone's map holds its logical content (what a reader sees) while the image
keeps which blocks are its *own* (written since the clone), so space is
counted per image as RADOS would, without layered reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from ..blocks import BLOCK_SIZE, BlockData
from .errors import InvalidArgument

if TYPE_CHECKING:
    from .cluster import Pool

__all__ = ["DEFAULT_ORDER", "ImageData", "RbdImage", "RbdSnapshot"]

DEFAULT_ORDER = 22
"""2^22 bytes = 4 MiB objects (``rbd_store_chunk_size = 4``)."""


class ImageData(BlockData):
    """An image's content; every change first asks the image (space, COW bookkeeping)."""

    __slots__ = ("_image",)

    def __init__(self, size_blocks: int, image: RbdImage,
                 blocks: dict[int, int] | None = None) -> None:
        super().__init__(size_blocks, blocks)
        self._image = image

    def write(self, first: int, count: int, tag: str | int) -> None:
        self._check_range(first, count)
        self._image._touch(range(first, first + count))
        super().write(first, count, tag)

    def put(self, items: Iterable[tuple[int, int]]) -> None:
        todo = list(items)
        for i, _ in todo:
            if not 0 <= i < self.size_blocks:
                raise ValueError(f"block {i} outside device of {self.size_blocks} blocks")
        self._image._touch([i for i, fp in todo if fp or i in self._blocks])
        super().put(todo)

    def discard(self, first: int = 0, count: int | None = None) -> None:
        if count is None:
            count = self.size_blocks - first
        self._check_range(first, count)
        gone = [i for i, _ in self.items_in(first, count)]
        self._image._touch(gone, discard=True)
        super().discard(first, count)

    def copy_from(self, src: BlockData) -> None:
        if any(i >= self.size_blocks for i, _ in src.items()):
            raise ValueError("source data does not fit the target device")
        new = dict(src.items())
        gone = [(i, 0) for i in sorted(self._blocks) if i not in new]
        self.put(sorted([*new.items(), *gone]))

    def resize(self, size_blocks: int) -> None:
        # Only Image.resize changes the size (it also trims the parent overlap).
        self._image._resize_data(size_blocks)

    def _grow(self, size_blocks: int) -> None:
        BlockData.resize(self, size_blocks)


@attrs.define(eq=False)
class RbdSnapshot:
    """``image@name``: a frozen copy of the image's content and of what it owned."""

    name: str
    id: int
    """The snapshot id (``snap_seq``), rising per cluster."""
    size_bytes: int
    data: BlockData
    own: frozenset[int]
    """The image's own blocks when the snapshot was taken (rollback restores them)."""
    protected: bool = False
    children: list[RbdImage] = attrs.field(factory=list)
    """Clones whose parent is this snapshot, in cloning order."""
    preserved: set[int] = attrs.field(factory=set)
    """Blocks RADOS kept for this snapshot because the head overwrote them."""
    timestamp: float = 0.0


@attrs.define(eq=False)
class RbdImage:
    """One RBD image (format 2) in a pool."""

    pool: Pool
    name: str
    id: str
    """The image id (``rbd_id.<name>`` holds it); children refer to parents by id."""
    size_bytes: int
    order: int = DEFAULT_ORDER
    features: tuple[str, ...] = ("layering", "exclusive-lock", "object-map", "fast-diff",
                                 "deep-flatten")
    parent: RbdSnapshot | None = None
    parent_image: RbdImage | None = None
    overlap_bytes: int = 0
    snapshots: list[RbdSnapshot] = attrs.field(factory=list)
    own: set[int] = attrs.field(factory=set)
    """Blocks written into this image's own objects (a clone starts with none)."""
    watchers: list[str] = attrs.field(factory=list)
    """Clients with the image open for I/O (a guest's QEMU, a backup host)."""
    data: ImageData = attrs.field(init=False)
    on_write: Callable[[RbdImage, int], None] | None = None
    """The pool's admission: raises NoSpace before new blocks would overfill the cluster."""

    def __attrs_post_init__(self) -> None:
        self.data = ImageData(self.size_bytes // BLOCK_SIZE, self)

    # --- figures ---------------------------------------------------------------------
    @property
    def object_size(self) -> int:
        return 1 << self.order

    @property
    def blocks_per_object(self) -> int:
        return max(1, self.object_size // BLOCK_SIZE)

    def stored_blocks(self) -> int:
        """Blocks this image holds in RADOS: its own, plus what its snapshots kept."""
        return len(self.own) + sum(len(s.preserved) for s in self.snapshots)

    def object_count(self) -> int:
        """RADOS objects of this image (head objects and snapshot clone objects)."""
        per = self.blocks_per_object
        head = {i // per for i in self.own}
        kept = {(s.id, i // per) for s in self.snapshots for i in s.preserved}
        return len(head) + len(kept)

    def snapshot(self, name: str) -> RbdSnapshot | None:
        return next((s for s in self.snapshots if s.name == name), None)

    def parent_info(self) -> tuple[str, str, str] | None:
        """``Image.parent_info()``: ``(pool, image name, snap name)`` of the parent."""
        if self.parent is None or self.parent_image is None:
            return None
        return (self.parent_image.pool.name, self.parent_image.name, self.parent.name)

    # --- changes (called by the pool's commands and by ImageData) -------------------------
    def _touch(self, blocks: Iterable[int], *, discard: bool = False) -> None:
        """Before blocks change: admit new space, keep snapshot copies, take ownership."""
        blocks = list(blocks)
        if not blocks:
            return
        newest = self.snapshots[-1] if self.snapshots else None
        new_own = [i for i in blocks if i not in self.own] if not discard else []
        kept = [i for i in blocks if i in self.own and newest is not None
                and i not in newest.preserved]
        if self.on_write is not None:
            self.on_write(self, len(new_own) + len(kept))
        if newest is not None:
            newest.preserved.update(kept)
        if discard:
            # A discard in a clone must hide the parent's data: the object stays (zeroed).
            for i in blocks:
                if self.parent is None:
                    self.own.discard(i)
                else:
                    self.own.add(i)
        else:
            self.own.update(new_own)

    def _resize_data(self, size_blocks: int) -> None:
        """Grow only: Cinder never shrinks a volume (librbd could, with allow_shrink)."""
        if size_blocks < self.data.size_blocks:
            raise InvalidArgument(reason=f"{self.name}: shrinking is not modelled")
        self.data._grow(size_blocks)
        self.size_bytes = size_blocks * BLOCK_SIZE
