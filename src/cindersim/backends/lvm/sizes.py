"""Sizes as lvm2 reads and prints them: extents, ``-L`` arguments, ``--unit=g``.

A volume group is a pool of physical extents (PE, 4 MiB by default,
``vgcreate -s``) gathered from its PVs; every allocated LV owns whole extents,
so sizes round *up* to the PE (``lvcreate -L 10m`` prints "Rounding up size to
full physical extent 12.00 MiB").  Cinder asks for integer GiB, so thick
volumes never round; the thin pool request (0.95 x free, a float) does.  A PV
loses its first MiB to the label and metadata area (``pe_start``), so a 10 GiB
disk gives 2559 extents, not 2560.
"""

from __future__ import annotations

import functools
import re

from ... import errors
from ..blocks import GiB, MiB

__all__ = [
    "DEFAULT_EXTENT_SIZE",
    "PE_START",
    "extents_for",
    "parse_size",
    "size_arg",
    "unit_g",
]

DEFAULT_EXTENT_SIZE = 4 * MiB
"""vgcreate's default physical extent size."""
PE_START = MiB
"""Offset of the first extent on a PV: label plus the default metadata area."""


def unit_g(nbytes: int) -> float:
    """A size as ``lvs``/``vgs --unit=g --nosuffix`` prints it: GiB to 2 places.

    Lower-case units are powers of 1024; Cinder parses this text with
    ``float()``, so the driver's capacity figures carry this rounding.
    """
    return round(nbytes / GiB, 2)


_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([bskmgtp]?)\s*$")
_SIZE_FACTORS = {"b": 1, "s": 512, "": MiB, "k": 1024, "m": MiB, "g": GiB,
                 "t": 1024 * GiB, "p": 1024 * 1024 * GiB}


def parse_size(size: int | str) -> int:
    """Bytes for an ``lvcreate -L``/``-V`` argument (``"1g"``, ``"9.4905g"``) or int bytes.

    Like lvm2, the text is read as a float, scaled, and truncated to whole
    512-byte sectors; the caller then rounds up to extents.  No unit means MiB.
    Only lower-case (binary) units are accepted: Cinder always passes ``<n>g``.
    """
    if isinstance(size, int):
        if size < 0:
            raise ValueError("size must be >= 0")
        return size
    return _parse_text(size)


@functools.lru_cache(maxsize=256)  # Cinder passes the same few "<n>g" texts over and over
def _parse_text(size: str) -> int:
    """:func:`parse_size` of a text (pure; an invalid one raises and is not cached)."""
    m = _SIZE_RE.match(size)
    if m is None:
        raise errors.ProcessExecutionError(
            cmd="lvcreate", exit_code=3, stderr=f'Invalid argument for --size: {size}')
    sectors = int(float(m.group(1)) * _SIZE_FACTORS[m.group(2)] / 512)
    return sectors * 512


@functools.lru_cache(maxsize=1024)  # every create asks it of the same "<n>g" and PE size
def extents_for(size: int | str, extent_size: int) -> int:
    """Extents an LV of *size* (a :func:`parse_size` argument) takes: rounded up to
    whole extents, and never none (lvm2 allocates at least one)."""
    return max(1, -(-parse_size(size) // extent_size))


def size_arg(size: int | str) -> str:
    """A size as it would appear on the command line (ints are bytes)."""
    return size if isinstance(size, str) else f"{size}b"

