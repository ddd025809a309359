"""Block content as fingerprints: what a volume holds, without holding bytes.

A real volume is a run of bytes; a simulated one is a sparse map from block
index to a 64-bit *fingerprint* of that block's content.  Unwritten blocks read
as zeros and cost no memory, so a 1 TiB volume with 1% written holds about
330,000 entries.  Guests write through an attachment; copies, clones,
snapshots, backups and restores move fingerprints.  Two devices hold the same
data exactly when their maps are equal, which is how tests prove that a
restore brought back what the guest wrote.

The block is 32 KiB, the SHA-256 block of Cinder's chunked backup driver
(``backup_swift_block_size``), so backup digests map one-to-one onto blocks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

__all__ = ["BLOCK_SIZE", "BlockData", "GiB", "MiB", "blocks_for_bytes", "content_fingerprint"]

MiB = 1024 * 1024
GiB = 1024 * MiB
BLOCK_SIZE = 32 * 1024
"""Bytes per block (Cinder's backup SHA block size, 32768)."""

_MASK = (1 << 64) - 1


def blocks_for_bytes(nbytes: int) -> int:
    """How many whole blocks cover *nbytes* (rounding up)."""
    return -(-nbytes // BLOCK_SIZE)


def _tag_seed(tag: str | int) -> int:
    if isinstance(tag, int):
        return tag & _MASK
    return int.from_bytes(hashlib.sha256(tag.encode()).digest()[:8], "big")


def content_fingerprint(tag: str | int, block: int) -> int:
    """The fingerprint a guest write with *tag* leaves in *block*.

    Python's hash of a tuple of ints: fast (C), and deterministic across
    processes and ``PYTHONHASHSEED`` values (only str/bytes hashing is salted).
    Never 0, because 0 means "zeros / never written".
    """
    return (hash((_tag_seed(tag), block)) & _MASK) or 1


class BlockData:
    """Sparse content of one block device (an LV, a backup restore target, ...).

    Args:
        size_blocks: device size in blocks; writes beyond it are refused.
    """

    __slots__ = ("_blocks", "size_blocks")

    def __init__(self, size_blocks: int, blocks: dict[int, int] | None = None) -> None:
        if size_blocks < 0:
            raise ValueError("size_blocks must be >= 0")
        self.size_blocks = size_blocks
        self._blocks: dict[int, int] = blocks if blocks is not None else {}

    @classmethod
    def of_gib(cls, size_gib: int) -> BlockData:
        return cls(size_gib * (GiB // BLOCK_SIZE))

    # --- reading ---------------------------------------------------------------
    @property
    def size_bytes(self) -> int:
        return self.size_blocks * BLOCK_SIZE

    def read(self, block: int) -> int:
        """Fingerprint of *block* (0 for zeros)."""
        return self._blocks.get(block, 0)

    def written(self) -> int:
        """Number of non-zero blocks (what thin provisioning would allocate)."""
        return len(self._blocks)

    def items(self) -> list[tuple[int, int]]:
        """All non-zero blocks as sorted ``(index, fingerprint)`` pairs."""
        return sorted(self._blocks.items())

    def items_in(self, first: int, count: int) -> list[tuple[int, int]]:
        """Non-zero blocks in ``[first, first+count)``, sorted."""
        end = first + count
        if count * 4 < len(self._blocks):
            get = self._blocks.get
            return [(i, fp) for i in range(first, end) if (fp := get(i, 0))]
        return sorted((i, fp) for i, fp in self._blocks.items() if first <= i < end)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.items())

    def digest(self) -> str:
        """SHA-256 over size and content: equal digests mean equal data."""
        h = hashlib.sha256(str(self.size_blocks).encode())
        for i, fp in self.items():
            h.update(i.to_bytes(8, "big"))
            h.update(fp.to_bytes(8, "big"))
        return h.hexdigest()

    def same_content(self, other: BlockData) -> bool:
        """True when both read identically over this device's size (zeros included)."""
        return self._blocks == other._blocks

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlockData):
            return NotImplemented
        return self.size_blocks == other.size_blocks and self._blocks == other._blocks

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"BlockData(size_blocks={self.size_blocks}, written={len(self._blocks)})"

    # --- writing ---------------------------------------------------------------
    def _check_range(self, first: int, count: int) -> None:
        if first < 0 or count < 0 or first + count > self.size_blocks:
            raise ValueError(
                f"blocks [{first}, {first + count}) outside device of {self.size_blocks} blocks")

    def write(self, first: int, count: int, tag: str | int) -> None:
        """A guest write of *count* blocks from *first*, content named by *tag*."""
        self._check_range(first, count)
        seed = _tag_seed(tag)
        self._blocks.update({i: (hash((seed, i)) & _MASK) or 1
                             for i in range(first, first + count)})

    def put(self, items: Iterable[tuple[int, int]]) -> None:
        """Store fingerprints as they are (a copy or restore, not a new write)."""
        blocks = self._blocks
        size = self.size_blocks
        for i, fp in items:
            if not 0 <= i < size:
                raise ValueError(f"block {i} outside device of {size} blocks")
            if fp:
                blocks[i] = fp
            else:
                blocks.pop(i, None)

    def discard(self, first: int = 0, count: int | None = None) -> None:
        """Zero a range (``dd if=/dev/zero``, or a discard)."""
        if count is None:
            count = self.size_blocks - first
        self._check_range(first, count)
        if first == 0 and count == self.size_blocks:
            self._blocks.clear()
            return
        for i, _ in self.items_in(first, count):
            del self._blocks[i]

    def resize(self, size_blocks: int) -> None:
        """Grow (extend) the device; shrinking is refused, as Cinder refuses it."""
        if size_blocks < self.size_blocks:
            raise ValueError("block devices only grow")
        self.size_blocks = size_blocks

    def copy(self, size_blocks: int | None = None) -> BlockData:
        """An independent copy, optionally on a larger device."""
        size = self.size_blocks if size_blocks is None else size_blocks
        if size < self.size_blocks and any(i >= size for i in self._blocks):
            raise ValueError("copy target smaller than the written data")
        return BlockData(size, dict(self._blocks))

    def copy_from(self, src: BlockData) -> None:
        """Replace this device's content with *src*'s (``dd`` from src)."""
        if any(i >= self.size_blocks for i in src._blocks):
            raise ValueError("source data does not fit the target device")
        self._blocks = dict(src._blocks)
