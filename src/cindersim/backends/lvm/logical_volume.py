"""LVs and PVs as the volume group keeps them, and lvm2's rules for LV names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import attrs

from ...empty import EMPTY_DICT, EMPTY_LIST, EMPTY_SET

if TYPE_CHECKING:
    from .data import LvData
    from .thin_pool import PoolState

__all__ = [
    "LV_NAME_RE",
    "PLAIN_NAME_RE",
    "RESERVED_INFIX_RE",
    "RESERVED_PREFIXES",
    "LogicalVolume",
    "LvKind",
    "PhysicalVolume",
    "name_problem",
]

LvKind = Literal["linear", "cow", "pool", "thin", "meta", "spare"]
"""``cow`` is an old-style snapshot; ``meta``/``spare`` are hidden pool metadata LVs."""

RESERVED_PREFIXES = ("snapshot", "pvmove")
_RESERVED_INFIXES = ("_cdata", "_cmeta", "_corig", "_mlog", "_mimage", "_pmspare",
                     "_rimage", "_rmeta", "_tdata", "_tmeta", "_vorigin")
LV_NAME_RE = re.compile(r"[A-Za-z0-9+_.-]+")
"""Characters lvm2 allows in an LV name (checked with ``fullmatch``)."""
RESERVED_INFIX_RE = re.compile("|".join(re.escape(s) for s in _RESERVED_INFIXES))
"""Any reserved infix anywhere in the name (one scan instead of one per infix)."""
PLAIN_NAME_RE = re.compile(
    "(?!" + "|".join(re.escape(p) for p in (*RESERVED_PREFIXES, "-")) + ")"
    + LV_NAME_RE.pattern.replace("_", ""))
"""A name every rule below allows, in one ``fullmatch`` (it never allows more): one
without ``_`` holds no reserved infix (each starts with ``_``), so no scan for them."""


def name_problem(lv_name: str) -> str | None:
    """What lvm2 says of *lv_name* as a new LV's name, or None when it may have it: no
    reserved prefix (``snapshot``, ``pvmove``) or infix (``_tmeta`` ...), only
    ``[A-Za-z0-9+_.-]``, not empty, no leading ``-``."""
    if PLAIN_NAME_RE.fullmatch(lv_name):
        return None  # every volume-<uuid>: the rules one by one only for a name with _
    if lv_name.startswith(RESERVED_PREFIXES):
        prefix = next(p for p in RESERVED_PREFIXES if lv_name.startswith(p))
        return f'Names starting "{prefix}" are reserved. Please choose a different LV name.'
    if not lv_name or RESERVED_INFIX_RE.search(lv_name) or not (
            LV_NAME_RE.fullmatch(lv_name)) or lv_name.startswith("-"):
        return f'Logical volume name "{lv_name}" is invalid.'
    return None


@attrs.define(kw_only=True)
class PhysicalVolume:
    """One PV: its device, its extents and how many of them LVs own."""

    name: str
    dev_size: int
    pe_count: int
    alloc: int = 0


# Not kw_only (the VG names every argument anyway): a keyword-only default is looked up
# in a dict, one per field left out, where a positional one is copied (every create).
@attrs.define(eq=False)
class LogicalVolume:
    """One LV of any kind, visible or hidden; the VG alone changes it."""

    name: str
    kind: LvKind
    size: int
    """Bytes a reader sees (thin: virtual; COW snapshot: origin size at creation)."""
    extents: int = 0
    segments: list[list[int]] = EMPTY_LIST
    """``[pv index, extent count]`` runs, in allocation order.  This and the other
    containers start as shared read-only empties (:mod:`cindersim.empty`): a thin volume
    never has segments, most have no snapshots, and an unwritten one maps no chunk; the
    VG replaces an empty with a fresh container before it adds to it.  They are plain
    defaults, not factories: the object is shared either way, and a default costs the
    generated ``__init__`` no call per field (every create builds one LV)."""
    data: LvData | None = None
    """Created by the VG on first use (:meth:`VolumeGroup._content`) for a linear or thin
    LV, so a volume nobody reads or writes holds no block map; None for pools' LVs."""
    origin: str = ""
    snapshots: list[str] = EMPTY_LIST
    """Names of COW snapshots of this LV (creation order)."""
    pool: str = ""
    chunk_map: dict[int, int] = EMPTY_DICT
    """Thin: virtual chunk index -> physical pool chunk id."""
    cow_blocks: set[int] = EMPTY_SET
    """COW snapshot: blocks with an exception (only its size is ever read)."""
    invalid: bool = False
    active: bool = True
    skip_activation: bool = False
    hidden: bool = False
    pool_state: PoolState | None = None

