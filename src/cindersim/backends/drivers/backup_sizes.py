"""Size models of the chunked backup driver's objects: compression, MD5, JSON.

The simulator stores no bytes, so what an object would weigh is computed:

* Compression is a deterministic size model (:func:`deflated_size`), since
  there are no bytes to compress: each written block compresses to between
  15% and 85% of 32 KiB, chosen by its fingerprint, except one block in four,
  which is incompressible (already compressed or encrypted data) and costs
  5 bytes more than raw, as a deflate "stored" block does.  Zeros compress
  at deflate's limit of about 1032:1.  A zlib stream adds 6 bytes (2-byte
  header, 4-byte Adler-32).
* The MD5 in the metadata is a model (:func:`model_md5`): MD5 over the
  chunk's length and the fingerprints it carries, so equal data gives equal
  MD5s as it does for real.
* The ``_sha256file`` and ``_metadata`` documents are written with
  ``json.dumps(..., indent=2)``; their sizes are computed from the compact
  encoding (:func:`json_indent2_size`, :func:`metadata_size`).
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Sequence
from typing import Any

from ..blocks import BLOCK_SIZE

__all__ = [
    "block_deflated_size",
    "compressor_name",
    "deflated_size",
    "json_indent2_size",
    "metadata_size",
    "model_md5",
]

_ZLIB_STREAM_OVERHEAD = 6
"""2-byte zlib header + 4-byte Adler-32 trailer."""
_STORED_BLOCK_OVERHEAD = 5
"""A deflate stored block's header (one per ≤65535 bytes, so one per 32 KiB block)."""
_ZERO_RATIO = 1032
"""Deflate's best case: 258-byte matches in a couple of bits, about 1032:1."""


def compressor_name(algorithm: str) -> str | None:
    """``_get_compressor``: the name recorded per object, or None for no compression.

    ``none``/``off``/``no`` disable it; ``zlib``/``gzip``, ``bz2``/``bzip2`` and
    ``zstd`` are accepted (recorded lower-cased, as Cinder records
    ``CONF.backup_compression_algorithm.lower()``); anything else is a
    ``ValueError`` ("unsupported compression algorithm").  All three share the
    zlib size model here.
    """
    name = algorithm.lower()
    if name in ("none", "off", "no"):
        return None
    if name in ("zlib", "gzip", "bz2", "bzip2", "zstd"):
        return name
    raise ValueError(f"unsupported compression algorithm: {algorithm}")


_INCOMPRESSIBLE = BLOCK_SIZE + _STORED_BLOCK_OVERHEAD
_DEFLATED = tuple(BLOCK_SIZE * (15 + n) // 100 for n in range(71))
"""Compressible block sizes: 15% .. 85% of a block, picked by ``(fp >> 2) % 71``."""


def block_deflated_size(fp: int) -> int:
    """Model size of one written 32 KiB block after deflate (see module docstring)."""
    return _INCOMPRESSIBLE if fp & 3 == 0 else _DEFLATED[(fp >> 2) % 71]


def deflated_size(length: int, fps: Sequence[int]) -> int:
    """Model zlib size of *length* bytes whose non-zero 32 KiB blocks have *fps*."""
    zero_bytes = length - len(fps) * BLOCK_SIZE
    table = _DEFLATED
    written = sum([_INCOMPRESSIBLE if fp & 3 == 0 else table[(fp >> 2) % 71] for fp in fps])
    return _ZLIB_STREAM_OVERHEAD + written + -(-zero_bytes // _ZERO_RATIO)


def model_md5(length: int, first_block: int, blocks: Sequence[int],
              fps: Sequence[int]) -> str:
    """MD5 standing in for ``md5(data)``: equal content gives equal digests.

    It covers the length and each non-zero block's position *within* the
    object and fingerprint, so it does not depend on where the data sits in
    the volume, like the MD5 of real bytes.
    """
    h = hashlib.md5(str(length).encode(), usedforsecurity=False)
    if blocks:
        h.update(array("Q", [i - first_block for i in blocks]).tobytes())
        h.update(array("Q", fps).tobytes())
    return h.hexdigest()


def json_indent2_size(obj: Any) -> int:
    """``len(json.dumps(obj, sort_keys=True, indent=2).encode())`` without the slow encoder.

    With ``indent`` set, :mod:`json` falls back to its pure-Python encoder,
    which takes a third of a second for a 1 TiB backup's object list.  The
    compact C encoding with the same separators plus the layout whitespace
    (a newline and ``2 * depth`` spaces before each member and before the
    closing bracket of a non-empty container) has the same length.
    """
    compact = json.dumps(obj, sort_keys=True, separators=(",", ": ")).encode()
    return len(compact) + _layout(obj, 0)




def metadata_size(metadata: dict[str, Any]) -> int:
    """:func:`json_indent2_size` of a ``_metadata`` document, fast for long object lists.

    Every entry of ``objects`` has the same shape, ``{name: {offset, length,
    compression, md5}}``, so its own indentation is a constant 55 bytes, and
    a newline plus 4 spaces precede it: 60 bytes per entry over the compact
    form.  The non-empty list's closing newline, 2 spaces and bracket add 3
    more bytes over the compact list; the rest of the document is measured
    with an empty list (``[]``, 2 bytes, taken back out).
    """
    objects = metadata["objects"]
    if not objects:
        return json_indent2_size(metadata)
    rest = json_indent2_size({**metadata, "objects": []})
    compact = len(json.dumps(objects, sort_keys=True, separators=(",", ": ")).encode())
    return rest - 2 + compact + 60 * len(objects) + 3


def _layout(obj: Any, depth: int) -> int:
    if isinstance(obj, dict):
        members: Any = obj.values()
    elif isinstance(obj, list | tuple):
        members = obj
    else:
        return 0
    n = len(members)
    if not n:
        return 0
    total = n * (1 + 2 * (depth + 1)) + 1 + 2 * depth
    for member in members:
        if isinstance(member, dict | list | tuple):
            total += _layout(member, depth + 1)
    return total

