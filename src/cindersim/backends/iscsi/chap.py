"""CHAP credentials as Cinder generates and stores them (``provider_auth``)."""

from __future__ import annotations

import random

import attrs

__all__ = [
    "DEFAULT_PASSWORD_SYMBOLS",
    "ChapCredentials",
    "generate_password",
    "generate_username",
]

DEFAULT_PASSWORD_SYMBOLS: tuple[str, str, str] = (
    "23456789",  # no 0 or 1
    "ABCDEFGHJKLMNPQRSTUVWXYZ",  # no I or O
    "abcdefghijkmnopqrstuvwxyz",  # no l
)
"""Cinder's password alphabet (volume_utils.py): visually confusable characters removed."""


def generate_password(rng: random.Random, length: int = 16,
                      symbolgroups: tuple[str, ...] = DEFAULT_PASSWORD_SYMBOLS) -> str:
    """Cinder's ``generate_password`` with the simulation's rng instead of ``os.urandom``.

    Real algorithm (volume_utils.py): one character from each group, shuffle,
    truncate to *length*, fill up with characters from all groups, shuffle again.
    So every group is represented whenever ``length >= len(symbolgroups)``.
    """
    password = [rng.choice(group) for group in symbolgroups]
    rng.shuffle(password)
    password = password[:length]
    symbols = "".join(symbolgroups)
    password.extend(rng.choice(symbols) for _ in range(length - len(password)))
    rng.shuffle(password)
    return "".join(password)


def generate_username(rng: random.Random, length: int = 20,
                      symbolgroups: tuple[str, ...] = DEFAULT_PASSWORD_SYMBOLS) -> str:
    """Cinder's ``generate_username``: a password of 20 characters."""
    return generate_password(rng, length, symbolgroups)


@attrs.frozen
class ChapCredentials:
    """One CHAP user/secret pair (``incominguser`` on tgt, a NodeACL's on LIO)."""

    username: str
    password: str

    @property
    def provider_auth(self) -> str:
        """The volume's ``provider_auth`` column: ``"CHAP <user> <pass>"``."""
        return f"CHAP {self.username} {self.password}"

    @classmethod
    def from_provider_auth(cls, provider_auth: str) -> ChapCredentials:
        """Parse ``provider_auth`` as ``_get_target_chap_auth`` does (``split(' ', 3)[1:]``)."""
        parts = provider_auth.split(" ", 3)
        if len(parts) != 3:
            raise ValueError(f"provider_auth {provider_auth!r} is not 'CHAP <user> <pass>'")
        return cls(parts[1], parts[2])
