"""The machine's fingerprint of a volume's data: what guests wrote, not its size."""

from __future__ import annotations

import hashlib

from ..backends.blocks import BlockData

__all__ = ["content_digest"]


def content_digest(data: BlockData, nblocks: int | None = None) -> str:
    """SHA-256 over the non-zero blocks (below *nblocks*): size changes don't count."""
    h = hashlib.sha256()
    for i, fp in data.items():
        if nblocks is not None and i >= nblocks:
            break
        h.update(i.to_bytes(8, "big"))
        h.update(fp.to_bytes(8, "big"))
    return h.hexdigest()
