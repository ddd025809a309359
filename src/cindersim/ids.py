"""Identifiers drawn from the simulation's seeded rng.

Real Cinder uses ``uuid.uuid4()``, which reads the OS entropy pool and so can
never replay.  Every id here comes from the one ``random.Random`` a simulation
owns, so the same seed yields the same ids, in every process.
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["IdFactory", "random_uuid", "uuid_text"]


_CLEAR: Final = ~((0xC000 << 48) | (0xF000 << 64))
_SET: Final = (0x8000 << 48) | (4 << 76)
# The 8-4-4-4-12 groups cut out of eight dash-separated groups of four (see random_uuid):
# slice objects made once, not one BUILD_SLICE per cut per id.
_HEAD: Final = slice(None, 4)
_MIDDLE: Final = slice(5, 29)
_NODE_1: Final = slice(30, 34)
_NODE_2: Final = slice(35, None)


def random_uuid(rng: random.Random) -> str:
    """Return a version-4-shaped UUID string built from *rng*.

    The same string ``str(uuid.UUID(int=rng.getrandbits(128), version=4))`` gives
    (RFC 4122 variant and version bits set), formatted directly: a big what-if
    run mints hundreds of thousands of ids, and a volume create six.
    """
    return uuid_text(rng.getrandbits(128))


def uuid_text(bits: int) -> str:
    """The UUID string of 128 random *bits* (what :meth:`IdFactory.draw` gives), with
    the RFC 4122 variant and version bits set here (bits that have them already
    keep them).  ``hex("-", 2)`` (C) gives eight dash-separated groups of four
    digits; joining groups 0-1 and 5-7 makes the 8-4-4-4-12 shape with fewer slices
    than cutting plain hex."""
    s = ((bits & _CLEAR) | _SET).to_bytes(16).hex("-", 2)
    return s[_HEAD] + s[_MIDDLE] + s[_NODE_1] + s[_NODE_2]


class IdFactory:
    """Hands out UUID-shaped ids from one seeded rng.

    Kept as an object (not a module function) so that a simulation can count
    how many ids it minted and so that nothing reaches a global rng by mistake.
    """

    __slots__ = ("_bits", "_rng", "issued")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._bits = rng.getrandbits  # bound once: every id draws, and a create draws three
        self.issued = 0
        """How many ids this factory has produced."""

    def uuid(self, skipped: int = 0) -> str:
        """A fresh UUID-shaped id (:meth:`draw` and :func:`uuid_text`, inline: a volume
        create mints two, and each call costs a frame).

        *skipped*: :meth:`skip` that many first, in the same draw (a create skips its
        reservations' ids right before its volume's id): the high 128 bits of a
        ``128 * (skipped + 1)``-bit draw are what the last of as many 128-bit draws gives
        (see :meth:`skip`)."""
        if skipped > 0:
            self.issued += skipped + 1
            bits = self._bits(128 * skipped + 128) >> 128 * skipped
        else:
            self.issued += 1
            bits = self._bits(128)
        s = ((bits & _CLEAR) | _SET).to_bytes(16).hex("-", 2)
        return s[_HEAD] + s[_MIDDLE] + s[_NODE_1] + s[_NODE_2]

    __call__ = uuid

    def draw(self) -> int:
        """The random bits of the next :meth:`uuid`, drawn and counted as it would,
        without the string (:func:`uuid_text` makes it, and sets the version bits):
        for an id that is seldom read, such as cinder-api's request id (one a request),
        the string is made only when asked for, and every later id stays the one the
        seed gives."""
        self.issued += 1
        return self._bits(128)

    def skip(self, n: int) -> None:
        """Advance the rng exactly as *n* :meth:`uuid` calls would, without making the
        strings: for ids a flow must draw (so every later id stays the one a seed
        gives) but nobody ever sees, such as the reservations a create reserves and
        commits in one step.  CPython's ``getrandbits(k)`` takes ``ceil(k / 32)``
        32-bit Mersenne Twister outputs, low words first, so one ``128 * n``-bit draw
        consumes the very outputs *n* 128-bit draws would (the tests hold this).
        """
        if n > 0:
            self.issued += n
            self._bits(128 * n)
