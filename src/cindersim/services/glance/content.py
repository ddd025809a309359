"""The bytes of an image file: ingest (blocks + hashes), the served stream, format sniffing.

An image's content is modelled as a :class:`~cindersim.backends.blocks.BlockData`
(what Nova boots and Cinder copies) plus the two hashes Glance computes once
while the data is stored: ``checksum`` (md5) and ``os_hash_value`` with
``os_hash_algo`` (Glance's ``hashing_algorithm`` option, ``sha512`` by default).

Two kinds of content:

* **Uploaded** (``PUT /v2/images/{id}/file``): the client's bytes.  Each 32 KiB
  block gets a fingerprint derived from its bytes (all-zero blocks stay
  unwritten, like a sparse copy), so equal uploads give equal block maps and a
  replay is byte-identical.  The hashes are the real md5/sha512 of the bytes.
  The bytes themselves are kept only up to :data:`KEEP_BYTES_LIMIT`, so a
  download returns exactly what was uploaded; above it only blocks and hashes
  are kept (the simulator models blocks, not payloads) and a download serves
  the synthesized stream below, which a client checking the hash will reject.
* **Simulated** (the default images, Nova's snapshots): no bytes ever existed.
  The file is *synthesized*: the written blocks in index order (a qcow2 stores
  only allocated clusters), each block an 8-byte pattern of its fingerprint,
  cut to ``size``.  Its hashes are computed over that stream, once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import attrs

from ...backends.blocks import BLOCK_SIZE, BlockData, blocks_for_bytes

__all__ = [
    "HASH_ALGO",
    "KEEP_BYTES_LIMIT",
    "FileHashes",
    "blocks_of_bytes",
    "hash_stream",
    "qcow2_virtual_size",
    "synthesized_stream",
]

HASH_ALGO = "sha512"
"""Glance's default ``[DEFAULT] hashing_algorithm``."""
KEEP_BYTES_LIMIT = 64 * 1024 * 1024
"""Uploads up to this many bytes are kept verbatim (download round-trips exactly)."""
_QCOW2_MAGIC = b"QFI\xfb"
_STREAM_PIECE = 4 * 1024 * 1024


@attrs.frozen
class FileHashes:
    """What Glance records once the data is stored."""

    checksum: str
    """md5 hexdigest of the file (``checksum``)."""
    os_hash_value: str
    """``os_hash_algo`` (sha512) hexdigest of the file."""


def hash_stream(pieces: Iterator[bytes]) -> FileHashes:
    md5 = hashlib.md5(usedforsecurity=False)
    multihash = hashlib.new(HASH_ALGO)
    for piece in pieces:
        md5.update(piece)
        multihash.update(piece)
    return FileHashes(md5.hexdigest(), multihash.hexdigest())


def _block_fingerprint(block: bytes) -> int:
    """A nonzero 64-bit fingerprint of one block's bytes (0 is reserved for zeros)."""
    return int.from_bytes(hashlib.blake2b(block, digest_size=8).digest(), "big") or 1


def blocks_of_bytes(data: bytes, virtual_size: int) -> BlockData:
    """The block map of *data* on a device of *virtual_size* bytes (zero blocks unwritten)."""
    blocks = BlockData(blocks_for_bytes(max(virtual_size, len(data))))
    zero = bytes(BLOCK_SIZE)
    items = []
    for index in range(blocks_for_bytes(len(data))):
        block = data[index * BLOCK_SIZE:(index + 1) * BLOCK_SIZE]
        if block != zero[:len(block)]:
            items.append((index, _block_fingerprint(block)))
    blocks.put(items)
    return blocks


def synthesized_stream(data: BlockData, size: int) -> Iterator[bytes]:
    """The file of a simulated image: written blocks in order, cut to *size* bytes."""
    left = size
    piece: list[bytes] = []
    piece_len = 0
    for _index, fp in data.items():
        if left <= 0:
            break
        block = fp.to_bytes(8, "big") * (BLOCK_SIZE // 8)
        if len(block) > left:
            block = block[:left]
        left -= len(block)
        piece.append(block)
        piece_len += len(block)
        if piece_len >= _STREAM_PIECE:
            yield b"".join(piece)
            piece, piece_len = [], 0
    if left > 0:  # fewer written blocks than the file's size: the rest reads as zeros
        piece.append(bytes(left))
    if piece:
        yield b"".join(piece)


def qcow2_virtual_size(head: bytes) -> int | None:
    """The disk size a qcow2 header declares (bytes 24..31), or None if not qcow2.

    Glance's format inspector reads the same field during upload.
    """
    if len(head) < 32 or not head.startswith(_QCOW2_MAGIC):
        return None
    return int.from_bytes(head[24:32], "big")
