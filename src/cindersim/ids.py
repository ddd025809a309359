"""Identifiers drawn from the simulation's seeded rng.

Real Cinder uses ``uuid.uuid4()``, which reads the OS entropy pool and so can
never replay.  Every id here comes from the one ``random.Random`` a simulation
owns, so the same seed yields the same ids, in every process.
"""

from __future__ import annotations

import random
import uuid

__all__ = ["IdFactory", "random_uuid"]


def random_uuid(rng: random.Random) -> str:
    """Return a version-4-shaped UUID string built from *rng*."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class IdFactory:
    """Hands out UUID-shaped ids from one seeded rng.

    Kept as an object (not a module function) so that a simulation can count
    how many ids it minted and so that nothing reaches a global rng by mistake.
    """

    __slots__ = ("_rng", "issued")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.issued = 0
        """How many ids this factory has produced."""

    def uuid(self) -> str:
        """A fresh UUID-shaped id."""
        self.issued += 1
        return random_uuid(self._rng)

    __call__ = uuid
