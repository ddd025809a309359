"""What ``vgs``, ``lvs`` and ``pvs`` print: one record per row, built from VG state.

Sizes are bytes (``--units b``) and field names are lvm2's; ``lv_attr`` is the
ten-character attribute string (``Vwi-a-tz-k`` ...).  Building rows runs no
command and charges nothing: the VG's ``vgs``/``lvs``/``pvs`` commands charge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from ..blocks import BLOCK_SIZE
from .logical_volume import LogicalVolume, PhysicalVolume
from .snapshots import SNAPSHOT_CHUNK_SIZE, cow_used_chunks

__all__ = [
    "LvReport",
    "PvReport",
    "VgReport",
    "lv_row",
    "lv_rows",
    "pv_rows",
]


@attrs.frozen(kw_only=True)
class VgReport:
    """One ``vgs`` row; sizes in bytes (``--units b``), field names as lvm2's."""

    vg_name: str
    vg_size: int
    vg_free: int
    vg_extent_size: int
    vg_extent_count: int
    vg_free_count: int
    lv_count: int
    """Visible LVs: volumes, snapshots and pools; not hidden metadata LVs."""
    snap_count: int
    """Old-style (COW) snapshots only; thin snapshots are ordinary thin LVs."""
    pv_count: int


@attrs.frozen(kw_only=True)
class LvReport:
    """One ``lvs`` row; sizes in bytes, text fields empty when lvs prints nothing."""

    lv_name: str
    vg_name: str
    lv_size: int
    """Linear: its extents; thin: virtual size; COW snapshot: the COW area; pool: data."""
    lv_attr: str
    origin: str = ""
    data_percent: float | None = None
    """Thin LVs and pools: mapped share; COW snapshots: COW used (100 when invalid)."""
    pool_lv: str = ""


@attrs.frozen(kw_only=True)
class PvReport:
    """One ``pvs`` row."""

    pv_name: str
    vg_name: str
    pv_size: int
    pv_free: int
    pv_pe_count: int
    pv_pe_alloc_count: int


def lv_row(lv: LogicalVolume, vg_name: str, extent_size: int,
           lvs: Mapping[str, LogicalVolume]) -> LvReport:
    """The ``lvs`` row of *lv* in the VG *vg_name* whose LVs are *lvs*."""
    if lv.kind == "linear":
        t = "o" if lv.snapshots else "-"
        state = "a" if lv.active else "-"
        tgt = "s" if lv.snapshots else "-"
        return LvReport(lv_name=lv.name, vg_name=vg_name, lv_size=lv.size,
                        lv_attr=f"{t}wi-{state}-{tgt}---")
    if lv.kind == "cow":
        exc = len(lv.cow_blocks) * (BLOCK_SIZE // SNAPSHOT_CHUNK_SIZE)
        total = lv.extents * extent_size // SNAPSHOT_CHUNK_SIZE
        pct = 100.0 if lv.invalid else round(
            min(100.0, 100.0 * cow_used_chunks(exc) / total), 2)
        state = "I" if lv.invalid else ("a" if lv.active else "-")
        return LvReport(lv_name=lv.name, vg_name=vg_name,
                        lv_size=lv.extents * extent_size, lv_attr=f"swi-{state}-s---",
                        origin=lv.origin, data_percent=pct)
    if lv.kind == "pool":
        st = lv.pool_state
        assert st is not None
        used = len(st.refs)
        health = "D" if used >= st.chunks else "-"
        return LvReport(lv_name=lv.name, vg_name=vg_name, lv_size=lv.size,
                        lv_attr=f"twi-a-tz{health}-",
                        data_percent=round(100.0 * used / st.chunks, 2) if st.chunks else 0.0)
    if lv.kind == "thin":
        st = lvs[lv.pool].pool_state
        assert st is not None
        mapped = len(lv.chunk_map) * st.chunk_size
        state = "a" if lv.active else "-"
        skip = "k" if lv.skip_activation else "-"
        return LvReport(lv_name=lv.name, vg_name=vg_name, lv_size=lv.size,
                        lv_attr=f"Vwi-{state}-tz-{skip}",
                        origin=lv.origin if lv.origin in lvs else "",
                        data_percent=round(min(100.0, 100.0 * mapped / lv.size), 2),
                        pool_lv=lv.pool)
    name = f"[{lv.name}]"
    attr = "ewi-ao----" if lv.kind == "meta" else "ewi-------"
    return LvReport(lv_name=name, vg_name=vg_name, lv_size=lv.size, lv_attr=attr)


def lv_rows(lvs: Mapping[str, LogicalVolume], vg_name: str, extent_size: int, *,
            all_lvs: bool = False) -> list[LvReport]:
    """Rows sorted by LV name, as ``lvs`` sorts them (``-O vg_name,lv_name``)."""
    out: list[LvReport] = []
    for lv in lvs.values():
        if lv.hidden and not all_lvs:
            continue
        if lv.kind == "pool" and all_lvs:
            out.append(LvReport(lv_name=f"[{lv.name}_tdata]", vg_name=vg_name,
                                lv_size=lv.extents * extent_size,
                                lv_attr="Twi-ao----"))
        out.append(lv_row(lv, vg_name, extent_size, lvs))
    return sorted(out, key=lambda r: r.lv_name.strip("[]"))


def pv_rows(pvs: Iterable[PhysicalVolume], vg_name: str, extent_size: int) -> list[PvReport]:
    """One ``pvs`` row per PV, in VG order."""
    return [PvReport(pv_name=pv.name, vg_name=vg_name,
                     pv_size=pv.pe_count * extent_size,
                     pv_free=(pv.pe_count - pv.alloc) * extent_size,
                     pv_pe_count=pv.pe_count, pv_pe_alloc_count=pv.alloc)
            for pv in pvs]
