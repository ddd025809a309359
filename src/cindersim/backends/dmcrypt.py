"""dm-crypt and LUKS over a block device: ciphertext below, plaintext above.

What ``cryptsetup`` does to a device, in the fingerprint model of
:mod:`~cindersim.backends.blocks`:

* ``luksFormat --type luks1|luks2``: writes a header at the start of the device
  (block 0 holds the ``LUKS\\xba\\xbe`` magic and version, block 1 a key slot: the
  volume's *master key* wrapped with the passphrase, block 2 the master key's
  digest).  The encrypted payload starts after the header: 2 MiB for LUKS1
  (4096 sectors), 16 MiB for LUKS2, so the opened device is that much smaller.
* ``isLuks``: is the magic there?  (exit 1 when not.)
* ``luksOpen`` (and ``open --type luks2``): unwraps the master key with the
  passphrase and checks it against the digest; a wrong passphrase is exit 2, "No
  key available with this passphrase."; a device without a header is exit 1.
  The mapping ``/dev/mapper/<name>`` is a :class:`CryptDevice`.
* ``luksChangeKey``: rewraps the same master key with a new passphrase; the data
  is not touched (how Cinder re-keys a clone).
* ``create`` (the ``plain`` provider): no header; the passphrase is the key and
  the mapping starts at block 0.  A wrong passphrase opens fine and reads garbage.

Through the mapping a block's fingerprint is XORed with a keystream of the master
key and the block number (the role of aes-xts with the sector as tweak): a guest
write lands on the LV as ciphertext, reads back through the mapping as the
plaintext, and reading the LV directly does not give the plaintext.  Blocks the LV
has never had written read as zeros through the mapping too (real dm-crypt would
return random-looking plaintext there; the sparse model keeps them empty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .blocks import BLOCK_SIZE, BlockData, MiB, content_fingerprint

__all__ = ["CryptDevice", "CryptError", "is_luks", "luks_change_key", "luks_format",
           "luks_open", "payload_offset", "plain_open"]

_MASK = (1 << 64) - 1
_HEADER_BLOCKS = {"luks1": 2 * MiB // BLOCK_SIZE, "luks2": 16 * MiB // BLOCK_SIZE}
"""The payload offset of each LUKS version, in blocks (cryptsetup's defaults)."""


class CryptError(Exception):
    """``cryptsetup`` exiting non-zero (``ProcessExecutionError``): code and stderr."""

    def __init__(self, exit_code: int, stderr: str) -> None:
        super().__init__(f"cryptsetup exit code {exit_code}: {stderr}")
        self.exit_code = exit_code
        self.stderr = stderr


def _h(*parts: str | int) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") or 1


def _magic(version: str) -> int:
    return _h("LUKS\xba\xbe", version)


def payload_offset(version: str) -> int:
    """Blocks before the encrypted payload of a LUKS *version* (``luks1``/``luks2``)."""
    return _HEADER_BLOCKS[version]


def is_luks(device: BlockData) -> str | None:
    """``cryptsetup isLuks``: the header's version (``luks1``/``luks2``), or None."""
    first = device.read(0)
    for version in _HEADER_BLOCKS:
        if first == _magic(version):
            return version
    return None


def luks_format(device: BlockData, passphrase: str, *, version: str = "luks1",
                cipher: str = "aes-xts-plain64", key_size: int = 256, salt: str = "") -> None:
    """``cryptsetup --batch-mode luksFormat --type <version>``: a new header and master
    key (derived from *salt*, the device's identity, and the passphrase: this
    simulator has no /dev/urandom).  Whatever the device held is unreadable after."""
    offset = payload_offset(version)
    if device.size_blocks <= offset:
        raise CryptError(1, f"Device is too small. (LUKS{version[-1]} requires at least "
                            f"{offset * BLOCK_SIZE} bytes.)")
    master = _h("master-key", salt, passphrase, cipher, key_size)
    device.put([(0, _magic(version)), (1, master ^ _h("slot", passphrase)),
                (2, _h("digest", master))])


def _unwrap(device: BlockData, passphrase: str) -> tuple[str, int]:
    version = is_luks(device)
    if version is None:
        raise CryptError(1, "Device is not a valid LUKS device.")
    master = device.read(1) ^ _h("slot", passphrase)
    if device.read(2) != _h("digest", master):
        raise CryptError(2, "No key available with this passphrase.")
    return version, master


def luks_open(device: BlockData, passphrase: str, name: str) -> CryptDevice:
    """``cryptsetup luksOpen --key-file=- <device> <name>``."""
    version, master = _unwrap(device, passphrase)
    return CryptDevice(device, name, master, payload_offset(version), version)


def luks_change_key(device: BlockData, passphrase: str, new_passphrase: str) -> None:
    """``cryptsetup luksChangeKey``: the same master key under a new passphrase."""
    _, master = _unwrap(device, passphrase)
    device.put([(1, master ^ _h("slot", new_passphrase))])


def plain_open(device: BlockData, passphrase: str, name: str, *,
               cipher: str = "aes-xts-plain64", key_size: int = 256) -> CryptDevice:
    """``cryptsetup create --key-file=- [--cipher] [--key-size] <name> <device>``."""
    return CryptDevice(device, name, _h("plain-key", passphrase, cipher, key_size), 0, "plain")


class CryptDevice(BlockData):
    """``/dev/mapper/<name>``: the plaintext view of an encrypted device.

    Reads decrypt the blocks of the device below, writes encrypt into it; nothing is
    stored here.  ``size_blocks`` is the device's minus the header, as of the last
    :meth:`resize` (``cryptsetup resize`` after the device grew).
    """

    __slots__ = ("_key", "_offset", "below", "name", "version")

    def __init__(self, below: BlockData, name: str, key: int, offset: int,
                 version: str) -> None:
        super().__init__(below.size_blocks - offset)
        self.below = below
        self.name = name
        self.version = version
        self._key = key
        self._offset = offset

    def _stream(self, block: int) -> int:
        return content_fingerprint(self._key, block)

    def read(self, block: int) -> int:
        ct = self.below.read(block + self._offset)
        return ct ^ self._stream(block) if ct else 0

    def items(self) -> list[tuple[int, int]]:
        off = self._offset
        return [(i - off, ct ^ self._stream(i - off)) for i, ct in self.below.items()
                if i >= off]

    def items_in(self, first: int, count: int) -> list[tuple[int, int]]:
        off = self._offset
        return [(i - off, ct ^ self._stream(i - off))
                for i, ct in self.below.items_in(first + off, count)]

    def written(self) -> int:
        return len(self.items())

    def same_content(self, other: BlockData) -> bool:
        return dict(self.items()) == dict(other.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlockData):
            return NotImplemented
        return self.size_blocks == other.size_blocks and self.same_content(other)

    __hash__ = None  # mutable, as BlockData

    def __repr__(self) -> str:
        return (f"CryptDevice({self.name!r}, {self.version}, size_blocks={self.size_blocks}, "
                f"over {self.below!r})")

    def write(self, first: int, count: int, tag: str | int) -> None:
        self._check_range(first, count)
        self.put((i, content_fingerprint(tag, i)) for i in range(first, first + count))

    def put(self, items: Iterable[tuple[int, int]]) -> None:
        off = self._offset
        size = self.size_blocks
        out = []
        for i, fp in items:
            if not 0 <= i < size:
                raise ValueError(f"block {i} outside device of {size} blocks")
            out.append((i + off, fp ^ self._stream(i) if fp else 0))
        self.below.put(out)

    def discard(self, first: int = 0, count: int | None = None) -> None:
        if count is None:
            count = self.size_blocks - first
        self._check_range(first, count)
        self.below.discard(first + self._offset, count)

    def resize(self, size_blocks: int | None = None) -> None:
        """``cryptsetup resize <name>``: follow the device below (it only grows)."""
        new = self.below.size_blocks - self._offset if size_blocks is None else size_blocks
        if new < self.size_blocks:
            raise ValueError("block devices only grow")
        self.size_blocks = new

    def copy(self, size_blocks: int | None = None) -> BlockData:
        """The plaintext, as ``dd`` from the mapping reads it."""
        return BlockData(self.size_blocks if size_blocks is None else size_blocks,
                         dict(self.items()))

    def copy_from(self, src: BlockData) -> None:
        self.below.discard(self._offset, self.size_blocks)
        self.put(src.items())
