"""LVM as Cinder's LVM driver sees it: PVs, one VG, thick and thin LVs, snapshots.

The model keeps what decides capacity and content, and nothing else:

* **Extents.**  A volume group is a pool of physical extents (PE, 4 MiB by
  default, ``vgcreate -s``) gathered from its PVs; every allocated LV owns whole
  extents, so sizes round *up* to the PE (``lvcreate -L 10m`` prints "Rounding
  up size to full physical extent 12.00 MiB").  Cinder asks for integer GiB, so
  thick volumes never round; the thin pool request (0.95 x free, a float) does.
  A PV loses its first MiB to the label and metadata area (``pe_start``), so a
  10 GiB disk gives 2559 extents, not 2560.
* **Thick LVs** are linear: allocated in full at ``lvcreate``, from the PVs in
  order (the ``normal`` policy fills one PV before the next).
* **COW snapshots** (``lvcreate -s -L``) own a COW area of their own extents.
  dm-snapshot stores each overwritten 4 KiB chunk there, plus one header chunk
  and one exception-table chunk per 256 data chunks, so an origin-sized COW
  area (what Cinder creates) cannot hold a full rewrite of the origin: the
  snapshot then becomes *invalid* (``lv_attr`` state ``I``), reads of it fail
  with EIO and only ``lvremove`` is left.  The origin keeps working.
* **Thin pools** are a data LV plus a metadata LV (``[pool_tmeta]``) plus one
  spare metadata LV per VG (``[lvol0_pmspare]``), all from VG extents; that is
  why Cinder leaves 5% of the VG free.  Thin LVs have a virtual size and own no
  extents; pool chunks are mapped on first write and shared between a thin LV
  and its thin snapshots until one side writes (then the writer gets a new
  chunk).  Discards of whole chunks unmap them.
* **A full thin pool** does not stop ``lvcreate -V`` (virtual sizes may exceed
  the pool); it stops *writes*.  By default dm-thin queues them for
  ``no_space_timeout`` (60 s) and then fails them; with ``--errorwhenfull y``
  it fails them at once.  A synchronous model cannot queue, so a write that
  needs a chunk the pool does not have stores the blocks before it, then
  raises :class:`ThinPoolFullError` carrying ``stall_seconds`` (60 or 0): the
  caller (an attachment, a restore, a ``dd``) sleeps that long in virtual time
  and sees the error, exactly as a guest sees its I/O hang and then fail.
  Removing or discarding LVs frees chunks and writes succeed again.

Content lives in :class:`LvData`, a :class:`BlockData` that reports each write
to the VG before it lands, so COW exceptions and thin chunk mappings follow
whatever code writes to a volume (guest I/O, ``dd``, restores).  A snapshot
keeps a copy of its origin's content taken at creation, which is what a
snapshot reads back; the COW and chunk accounting then says what that costs.

Every command charges the :class:`~cindersim.backends.costs.Meter` exactly once
(component ``lvm``); the pure ``*_report`` methods do not, because nothing ran.
Not modelled: mirrors/RAID, PV placement beyond fill order, the data that a
new thick LV would expose from a previous LV's extents (new LVs read zeros),
``snapshot_autoextend`` and ``thin_pool_autoextend`` (both off by default).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

from ... import errors
from ..blocks import BLOCK_SIZE, BlockData, GiB, MiB
from ..costs import Meter

__all__ = [
    "DEFAULT_EXTENT_SIZE",
    "DEFAULT_VG_NAME",
    "NO_SPACE_TIMEOUT",
    "PE_START",
    "SNAPSHOT_CHUNK_SIZE",
    "LvData",
    "LvKind",
    "LvReport",
    "PvReport",
    "SnapshotInvalidError",
    "ThinPoolFullError",
    "VgReport",
    "VolumeGroup",
    "cow_exception_capacity",
    "parse_size",
    "thin_pool_layout",
    "unit_g",
]

DEFAULT_VG_NAME = "cinder-volumes"
"""Cinder's ``volume_group`` default."""
DEFAULT_EXTENT_SIZE = 4 * MiB
"""vgcreate's default physical extent size."""
PE_START = MiB
"""Offset of the first extent on a PV: label plus the default metadata area."""
SNAPSHOT_CHUNK_SIZE = 4 * 1024
"""lvcreate's default COW chunk for old-style snapshots (``-c``)."""
_EXCEPTION_BYTES = 16
"""One on-disk dm-snapshot exception: two 64-bit chunk numbers."""
NO_SPACE_TIMEOUT = 60.0
"""dm-thin's ``no_space_timeout`` module parameter: seconds a full pool queues I/O."""

_THIN_MIN_CHUNK = 64 * 1024
_THIN_OPTIMAL_METADATA = 128 * MiB
_THIN_MIN_METADATA = 2 * MiB
_THIN_MAX_METADATA = 16 * GiB
_THIN_MAPPING_BYTES = 64
"""lvm2's metadata estimate: 64 bytes of btree per mapped pool chunk."""

LvKind = Literal["linear", "cow", "pool", "thin", "meta", "spare"]
"""``cow`` is an old-style snapshot; ``meta``/``spare`` are hidden pool metadata LVs."""

_RESERVED_PREFIXES = ("snapshot", "pvmove")
_RESERVED_INFIXES = ("_cdata", "_cmeta", "_corig", "_mlog", "_mimage", "_pmspare",
                     "_rimage", "_rmeta", "_tdata", "_tmeta", "_vorigin")
_LV_NAME_RE = re.compile(r"[A-Za-z0-9+_.-]+")
"""Characters lvm2 allows in an LV name (checked with ``fullmatch``)."""
_RESERVED_INFIX_RE = re.compile("|".join(re.escape(s) for s in _RESERVED_INFIXES))
"""Any reserved infix anywhere in the name (one scan instead of one per infix)."""


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
    m = _SIZE_RE.match(size)
    if m is None:
        raise errors.ProcessExecutionError(
            cmd="lvcreate", exit_code=3, stderr=f'Invalid argument for --size: {size}')
    sectors = int(float(m.group(1)) * _SIZE_FACTORS[m.group(2)] / 512)
    return sectors * 512


def cow_exception_capacity(cow_bytes: int, chunk: int = SNAPSHOT_CHUNK_SIZE) -> int:
    """How many data chunks a COW area of *cow_bytes* can hold before it is full.

    dm-snapshot's persistent store: chunk 0 is the header, then areas of one
    exception-table chunk followed by ``chunk/16`` data chunks.
    """
    rest = cow_bytes // chunk - 1
    if rest <= 0:
        return 0
    per_area = chunk // _EXCEPTION_BYTES
    full, partial = divmod(rest, per_area + 1)
    return full * per_area + max(partial - 1, 0)


def _cow_used_chunks(exceptions: int, chunk: int = SNAPSHOT_CHUNK_SIZE) -> int:
    per_area = chunk // _EXCEPTION_BYTES
    return 1 + exceptions + -(-exceptions // per_area)


def thin_pool_layout(data_bytes: int, extent_size: int,
                     chunk_size: int | None = None) -> tuple[int, int]:
    """``(chunk_size, metadata_extents)`` lvm2 picks for a pool of *data_bytes*.

    Without ``--chunksize`` lvm2 starts at 64 KiB and doubles the chunk until
    the estimated metadata (64 bytes per chunk) fits 128 MiB; the metadata LV is
    that estimate clamped to [2 MiB, 16 GiB] and rounded up to extents.  This
    follows lvm2's defaults in outline; the exact estimate varies by release
    (approximate).
    """
    chunk = chunk_size or _THIN_MIN_CHUNK
    if chunk_size is None:
        while data_bytes // chunk * _THIN_MAPPING_BYTES > _THIN_OPTIMAL_METADATA and chunk < GiB:
            chunk *= 2
    meta = data_bytes // chunk * _THIN_MAPPING_BYTES
    meta = min(max(meta, _THIN_MIN_METADATA), _THIN_MAX_METADATA)
    return chunk, -(-meta // extent_size)


class ThinPoolFullError(OSError):
    """A write needed a pool chunk and the thin pool had none (ENOSPC).

    The blocks before the failing chunk were stored.  ``stall_seconds`` is how
    long dm-thin queued the I/O before failing it (``no_space_timeout``, or 0
    with ``--errorwhenfull y``); callers charge it as virtual time.
    """

    def __init__(self, lv_name: str, pool_name: str, blocks_written: int,
                 stall_seconds: float) -> None:
        super().__init__(errno.ENOSPC, f"thin pool {pool_name} is out of data space "
                                       f"(write to {lv_name} failed)")
        self.lv_name = lv_name
        self.pool_name = pool_name
        self.blocks_written = blocks_written
        self.stall_seconds = stall_seconds


class SnapshotInvalidError(OSError):
    """Reading an invalidated COW snapshot: the device returns EIO."""

    def __init__(self, lv_name: str) -> None:
        super().__init__(errno.EIO, f"snapshot {lv_name} is invalid (COW area overflowed)")
        self.lv_name = lv_name


# --- reports ------------------------------------------------------------------
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


# --- state --------------------------------------------------------------------
@attrs.define(kw_only=True)
class _PV:
    name: str
    dev_size: int
    pe_count: int
    alloc: int = 0


@attrs.define(kw_only=True, eq=False)
class _Pool:
    chunk_size: int
    chunks: int
    """Data chunks the pool holds."""
    refs: dict[int, int] = attrs.Factory(dict)
    """Physical chunk id -> number of thin LVs mapping it."""
    next_chunk: int = 0
    meta_lv: str = ""


@attrs.define(kw_only=True, eq=False)
class _LV:
    name: str
    kind: LvKind
    size: int
    """Bytes a reader sees (thin: virtual; COW snapshot: origin size at creation)."""
    extents: int = 0
    segments: list[list[int]] = attrs.Factory(list)
    """``[pv index, extent count]`` runs, in allocation order."""
    data: LvData | None = None
    origin: str = ""
    snapshots: list[str] = attrs.Factory(list)
    """Names of COW snapshots of this LV (creation order)."""
    pool: str = ""
    chunk_map: dict[int, int] = attrs.Factory(dict)
    """Thin: virtual chunk index -> physical pool chunk id."""
    cow_blocks: set[int] = attrs.Factory(set)
    """COW snapshot: blocks with an exception (only its size is ever read)."""
    invalid: bool = False
    active: bool = True
    skip_activation: bool = False
    hidden: bool = False
    pool_state: _Pool | None = None


class LvData(BlockData):
    """An LV's content; every change is first admitted by the volume group.

    Admission does the COW bookkeeping for snapshots of this LV and maps thin
    chunks; a thin LV whose pool runs dry gets the blocks before the failing
    chunk and then :class:`ThinPoolFullError`.  Resizing goes through
    ``lvextend``, never through the data.
    """

    __slots__ = ("_lv", "_vg")

    def __init__(self, size_blocks: int, vg: VolumeGroup, lv: _LV,
                 blocks: dict[int, int] | None = None) -> None:
        super().__init__(size_blocks, blocks)
        self._vg = vg
        self._lv = lv

    def write(self, first: int, count: int, tag: str | int) -> None:
        self._check_range(first, count)
        admitted = self._vg._admit(self._lv, range(first, first + count))
        super().write(first, admitted, tag)
        if admitted < count:
            raise self._vg._pool_full(self._lv, admitted)

    def put(self, items: Iterable[tuple[int, int]]) -> None:
        todo = list(items)
        size = self.size_blocks
        for i, _ in todo:
            if not 0 <= i < size:
                raise ValueError(f"block {i} outside device of {size} blocks")
        blocks = self._blocks
        touched = [n for n, (i, fp) in enumerate(todo) if fp or i in blocks]
        admitted = self._vg._admit(self._lv, [todo[n][0] for n in touched])
        cut = len(todo) if admitted == len(touched) else touched[admitted]
        super().put(todo[:cut])
        if cut < len(todo):
            raise self._vg._pool_full(self._lv, admitted)

    def discard(self, first: int = 0, count: int | None = None) -> None:
        if count is None:
            count = self.size_blocks - first
        self._check_range(first, count)
        self._vg._discard(self._lv, first, count)

    def copy_from(self, src: BlockData) -> None:
        if any(i >= self.size_blocks for i, _ in src.items()):
            raise ValueError("source data does not fit the target device")
        new = dict(src.items())
        gone = [(i, 0) for i in sorted(self._blocks) if i not in new]
        self.put(sorted([*new.items(), *gone]))

    def resize(self, size_blocks: int) -> None:
        raise errors.SimulationError("an LV's size changes only through lvextend")

    def _zero(self, first: int, count: int) -> None:
        BlockData.discard(self, first, count)

    def _grow(self, size_blocks: int) -> None:
        BlockData.resize(self, size_blocks)


def _arg(size: int | str) -> str:
    """A size as it would appear on the command line (ints are bytes)."""
    return size if isinstance(size, str) else f"{size}b"


def _fail(cmd: str, stderr: str, exit_code: int = 5) -> errors.ProcessExecutionError:
    # lvm2 commands exit 5 (ECMD_FAILED) on these errors; brick re-raises as is.
    return errors.ProcessExecutionError(cmd=cmd, exit_code=exit_code, stderr=stderr)


class VolumeGroup:
    """One LVM volume group on a set of PVs, with its LVs and their content.

    Args:
        name: VG name (Cinder's ``volume_group``).
        pvs: ``(device, size in bytes)`` for each PV, in order.
        meter: where every command's cost and trace record go.
        extent_size: the PE size, a power of two (``vgcreate -s``).
        thin_chunk_size: pool chunk size; None lets lvm2 choose (64 KiB up).
        error_when_full: the pool's ``--errorwhenfull``; False queues I/O for
            ``no_space_timeout`` seconds before failing it.
        no_space_timeout: dm-thin's module parameter, 60 s.
    """

    def __init__(self, name: str = DEFAULT_VG_NAME,
                 pvs: Sequence[tuple[str, int]] = (("/dev/sdb", 100 * GiB),), *,
                 meter: Meter, extent_size: int = DEFAULT_EXTENT_SIZE,
                 thin_chunk_size: int | None = None, error_when_full: bool = False,
                 no_space_timeout: float = NO_SPACE_TIMEOUT) -> None:
        if extent_size < 1024 or extent_size & (extent_size - 1):
            raise ValueError("extent_size must be a power of two >= 1 KiB")
        if thin_chunk_size is not None and (
                thin_chunk_size < _THIN_MIN_CHUNK or thin_chunk_size % BLOCK_SIZE):
            raise ValueError("thin_chunk_size must be >= 64 KiB and a multiple of 32 KiB")
        if not pvs:
            raise ValueError("a volume group needs at least one PV")
        self.name = name
        self.extent_size = extent_size
        self.meter = meter
        self.thin_chunk_size = thin_chunk_size
        self.error_when_full = error_when_full
        self.no_space_timeout = no_space_timeout
        self._pvs = [_PV(name=dev, dev_size=size,
                         pe_count=max(size - PE_START, 0) // extent_size) for dev, size in pvs]
        self._lvs: dict[str, _LV] = {}
        self._free = sum(pv.pe_count for pv in self._pvs)
        # Running tallies over the visible LVs, kept by _tally so
        # that vg_report, lv_totals and thin_pool_name cost O(1): a capability
        # report runs every 60 s on every backend, whatever its LV count.
        self._n_visible = 0
        self._n_cow = 0
        self._pools: dict[str, _LV] = {}
        """Thin pools in creation order (the same order as in ``_lvs``)."""
        self._others_cg = 0
        """Sum of ``unit_g`` of the visible non-pool LVs, in hundredths of GiB:
        an exact integer, so the total does not depend on the order of changes."""

    # --- inspection (no command runs, nothing is charged) ----------------------
    @property
    def extent_count(self) -> int:
        total = 0
        for pv in self._pvs:
            total += pv.pe_count
        return total

    @property
    def free_count(self) -> int:
        return self._free

    def exists(self, lv_name: str) -> bool:
        return lv_name in self._lvs

    def lv_names(self, *, all_lvs: bool = False) -> list[str]:
        """LV names in creation order; hidden metadata LVs only with *all_lvs*."""
        return [n for n, lv in self._lvs.items() if all_lvs or not lv.hidden]

    def allocated_extents(self) -> int:
        """Extents owned by LVs of every kind (linear, COW, pool data and metadata)."""
        return sum(lv.extents for lv in self._lvs.values())

    def thin_pool_name(self) -> str | None:
        """The VG's thin pool, if any (Cinder uses one, ``<vg>-pool``)."""
        return next(iter(self._pools), None)

    def pool_usage(self, pool: str) -> tuple[int, int, int]:
        """``(used chunks, total chunks, chunk size)`` of a thin pool."""
        st = self._peek(pool).pool_state
        if st is None:
            raise _fail("lvs", f'Logical volume {self.name}/{pool} is not a thin pool.')
        return len(st.refs), st.chunks, st.chunk_size

    def is_invalid(self, lv_name: str) -> bool:
        return self._peek(lv_name).invalid

    def data(self, lv_name: str) -> LvData:
        """The LV's content (what a reader of ``/dev/<vg>/<lv>`` sees).

        Raises:
            SnapshotInvalidError: the LV is an invalidated COW snapshot.
            ProcessExecutionError: no such LV, or it holds no data (a pool).
        """
        lv = self._peek(lv_name)
        if lv.invalid:
            raise SnapshotInvalidError(lv_name)
        if lv.data is None:
            raise _fail("dd", f"{lv_name} is not a data volume")
        return lv.data

    def vg_report(self) -> VgReport:
        total = self.extent_count
        return VgReport(
            vg_name=self.name, vg_size=total * self.extent_size,
            vg_free=self._free * self.extent_size, vg_extent_size=self.extent_size,
            vg_extent_count=total, vg_free_count=self._free, lv_count=self._n_visible,
            snap_count=self._n_cow, pv_count=len(self._pvs))

    def lv_report(self, lv_name: str) -> LvReport:
        return self._report(self._peek(lv_name))

    def lv_reports(self, *, all_lvs: bool = False) -> list[LvReport]:
        """Rows sorted by LV name, as ``lvs`` sorts them (``-O vg_name,lv_name``)."""
        out: list[LvReport] = []
        for lv in self._lvs.values():
            if lv.hidden and not all_lvs:
                continue
            if lv.kind == "pool" and all_lvs:
                out.append(LvReport(lv_name=f"[{lv.name}_tdata]", vg_name=self.name,
                                    lv_size=lv.extents * self.extent_size,
                                    lv_attr="Twi-ao----"))
            out.append(self._report(lv))
        return sorted(out, key=lambda r: r.lv_name.strip("[]"))

    def lv_totals(self) -> tuple[int, float, float]:
        """``(visible LVs, pool size, sum of the other LVs' sizes)``, GiB as ``lvs`` prints them.

        What a caller summing every ``lvs`` row gets (each size rounded to two
        places first, as Cinder parses the printed text), without building the
        rows: a capability report of a backend with thousands of LVs runs every
        60 s, so it must not cost thousands of report objects, nor a loop over
        the LVs.  The sum is exact (kept in hundredths), so it equals the
        rounded float sum of the rows, ``round(sum, 2)``, as Cinder computes
        ``provisioned_capacity_gb``.  With more than one pool, the pool size is
        the last pool's, as a loop assigning each pool row in turn would leave.
        """
        pool_gb = unit_g(next(reversed(self._pools.values())).size) if self._pools else 0.0
        return self._n_visible, pool_gb, self._others_cg / 100

    def pv_reports(self) -> list[PvReport]:
        return [PvReport(pv_name=pv.name, vg_name=self.name,
                         pv_size=pv.pe_count * self.extent_size,
                         pv_free=(pv.pe_count - pv.alloc) * self.extent_size,
                         pv_pe_count=pv.pe_count, pv_pe_alloc_count=pv.alloc)
                for pv in self._pvs]

    # --- report commands (charged) ---------------------------------------------
    def vgs(self) -> VgReport:
        """``vgs <vg>``."""
        self.meter.charge("lvm", "vgs", self.meter.costs.vg_scan, f"vgs {self.name}")
        return self.vg_report()

    def vgextend(self, device: str, size: int) -> None:
        """``vgextend <vg> <device>``: add a PV of *size* bytes; its extents become free.

        lvm2 refuses a device that already belongs to the VG.
        """
        cmd = f"vgextend {self.name} {device}"
        if any(pv.name == device for pv in self._pvs):
            raise self._error(cmd, f"Physical volume '{device}' is already in volume group "
                                   f"'{self.name}'")
        pe = max(size - PE_START, 0) // self.extent_size
        self._pvs.append(_PV(name=device, dev_size=size, pe_count=pe))
        self._free += pe
        self.meter.charge("lvm", "vgextend", self.meter.costs.lvextend, cmd, pv=device,
                          extents=pe)

    def vgreduce(self, device: str) -> None:
        """``vgreduce <vg> <device>``: remove a PV no LV uses (lvm2 refuses one in use)."""
        cmd = f"vgreduce {self.name} {device}"
        idx = next((i for i, pv in enumerate(self._pvs) if pv.name == device), None)
        if idx is None:
            raise self._error(cmd, f"Physical Volume \"{device}\" not found in Volume Group "
                                   f"\"{self.name}\".")
        pv = self._pvs[idx]
        if pv.alloc or len(self._pvs) == 1:
            raise self._error(cmd, f"Physical volume \"{device}\" still in use")
        # LV segments index PVs by position: only a trailing PV can go without renumbering.
        if idx != len(self._pvs) - 1:
            raise self._error(cmd, f"Physical volume \"{device}\" still in use")
        self._pvs.pop()
        self._free -= pv.pe_count
        self.meter.charge("lvm", "vgreduce", self.meter.costs.lvextend, cmd, pv=device)

    def pv_names(self) -> list[str]:
        return [pv.name for pv in self._pvs]

    def lvs(self, lv_name: str | None = None, *, all_lvs: bool = False) -> list[LvReport]:
        """``lvs [-a] <vg>[/<lv>]``; an unknown LV gives an empty list (brick's "not found")."""
        target = self.name if lv_name is None else f"{self.name}/{lv_name}"
        self.meter.charge("lvm", "lvs", self.meter.costs.vg_scan,
                          f"lvs {'-a ' if all_lvs else ''}{target}")
        if lv_name is None:
            return self.lv_reports(all_lvs=all_lvs)
        lv = self._lvs.get(lv_name)
        return [] if lv is None else [self._report(lv)]

    def lvs_totals(self) -> tuple[int, float, float]:
        """``lvs <vg>`` read only for its totals (see :meth:`lv_totals`); charged as ``lvs``."""
        self.charge_lvs()
        return self.lv_totals()

    def charge_lvs(self) -> None:
        """Charge an ``lvs <vg>`` whose answer the caller already holds (nothing changed
        in between: the driver runs two in a row for one capability report)."""
        self.meter.charge("lvm", "lvs", self.meter.costs.vg_scan, f"lvs {self.name}")

    def pvs(self) -> list[PvReport]:
        self.meter.charge("lvm", "pvs", self.meter.costs.vg_scan, "pvs")
        return self.pv_reports()

    # --- LV commands -------------------------------------------------------------
    def lvcreate(self, lv_name: str, size: int | str) -> None:
        """``lvcreate -n <lv> <vg> -L <size>``: a thick (linear) LV."""
        cmd = f"lvcreate -n {lv_name} {self.name} -L {_arg(size)}"
        self._check_new_name(lv_name, cmd)
        extents = self._extents_for(parse_size(size))
        self._need(extents, cmd)
        lv = _LV(name=lv_name, kind="linear", size=extents * self.extent_size)
        self._give_extents(lv, extents)
        lv.data = LvData(lv.size // BLOCK_SIZE, self, lv)
        self._add(lv)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                          lv=lv_name, extents=extents, thin=False)

    def lvcreate_thin_pool(self, pool_name: str, size: int | str) -> None:
        """``lvcreate -T -L <size> <vg>/<pool>``: data, ``_tmeta`` and the VG's spare."""
        cmd = f"lvcreate -T -L {_arg(size)} {self.name}/{pool_name}"
        self._check_new_name(pool_name, cmd)
        data_ext = self._extents_for(parse_size(size))
        chunk, meta_ext = thin_pool_layout(data_ext * self.extent_size, self.extent_size,
                                           self.thin_chunk_size)
        spare = self._lvs.get("lvol0_pmspare")
        spare_ext = 0 if spare is not None and spare.extents >= meta_ext else meta_ext
        self._need(data_ext + meta_ext + spare_ext, cmd)
        meta = _LV(name=f"{pool_name}_tmeta", kind="meta", size=meta_ext * self.extent_size,
                   hidden=True)
        self._give_extents(meta, meta_ext)
        if spare_ext:
            if spare is not None:
                self._drop(spare)
            spare = _LV(name="lvol0_pmspare", kind="spare",
                        size=spare_ext * self.extent_size, hidden=True, active=False)
            self._give_extents(spare, spare_ext)
            self._add(spare)
        pool = _LV(name=pool_name, kind="pool", size=data_ext * self.extent_size,
                   pool_state=_Pool(chunk_size=chunk,
                                    chunks=data_ext * self.extent_size // chunk,
                                    meta_lv=meta.name))
        self._give_extents(pool, data_ext)
        self._add(pool)
        self._add(meta)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd, lv=pool_name,
                          extents=data_ext, metadata_extents=meta_ext, chunk_size=chunk)

    def lvcreate_thin(self, lv_name: str, virtual_size: int | str, pool: str) -> None:
        """``lvcreate -T -V <size> -n <lv> <vg>/<pool>``: no extents, no chunks yet."""
        cmd = f"lvcreate -T -V {_arg(virtual_size)} -n {lv_name} {self.name}/{pool}"
        self._check_new_name(lv_name, cmd)
        p = self._lvs.get(pool)
        if p is None or p.kind != "pool":
            raise self._error(cmd, f'Thin pool {self.name}/{pool} not found.')
        size = self._extents_for(parse_size(virtual_size)) * self.extent_size
        lv = _LV(name=lv_name, kind="thin", size=size, pool=pool)
        lv.data = LvData(size // BLOCK_SIZE, self, lv)
        self._add(lv)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                          lv=lv_name, thin=True, virtual_size=size)

    def lvcreate_snapshot(self, lv_name: str, origin: str, size: int | str | None = None) -> None:
        """``lvcreate --name <lv> --snapshot <vg>/<origin> [-L <size>]``.

        With a size: an old-style COW snapshot whose COW area is that size (capped
        at what a full rewrite of the origin could use, as lvcreate does).
        Without: a thin snapshot of a thin origin, sharing every chunk, created
        with the activation-skip flag (``k``) and inactive.
        """
        cmd = (f"lvcreate --name {lv_name} --snapshot {self.name}/{origin}"
               + ("" if size is None else f" -L {_arg(size)}"))
        src = self._lvs.get(origin)
        if src is None or src.hidden:
            raise self._error(cmd, f'Failed to find logical volume "{self.name}/{origin}"')
        self._check_new_name(lv_name, cmd)
        if src.kind == "cow":
            raise self._error(cmd, "Snapshots of snapshots are not supported.")
        if src.kind == "pool":
            raise self._error(cmd, f"Snapshots of thin pool {origin} are not supported.")
        assert src.data is not None
        if size is None:
            if src.kind != "thin":
                raise self._error(cmd, "Please specify either size or extents with snapshots.")
            self._thin_snapshot(lv_name, src)
            self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                              lv=lv_name, origin=origin, thin=True)
            return
        extents = self._extents_for(parse_size(size))
        chunks = -(-src.size // SNAPSHOT_CHUNK_SIZE)
        cap = -(-_cow_used_chunks(chunks) * SNAPSHOT_CHUNK_SIZE // self.extent_size)
        extents = min(extents, cap)  # "Reducing COW size ... down to maximum usable size"
        self._need(extents, cmd)
        snap = _LV(name=lv_name, kind="cow", size=src.size, origin=origin)
        self._give_extents(snap, extents)
        snap.data = LvData(src.data.size_blocks, self, snap, dict(src.data.items()))
        src.snapshots.append(lv_name)
        self._add(snap)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                          lv=lv_name, origin=origin, extents=extents, thin=False)

    def lvextend(self, lv_name: str, new_size: int | str) -> None:
        """``lvextend -L <size> <vg>/<lv>``: grows a linear, thin, COW or pool LV.

        An origin of COW snapshots must be inactive (lvm2: "Snapshot origin
        volumes can be resized only while inactive"), which is why Cinder
        deactivates it around the call.  Snapshots keep their old size.
        """
        cmd = f"lvextend -L {_arg(new_size)} {self.name}/{lv_name}"
        lv = self._get(lv_name, cmd)
        if lv.hidden:
            raise self._error(cmd, f"Can't resize internal logical volume {lv_name}.")
        if lv.invalid:
            raise self._error(cmd, f"Snapshot {self.name}/{lv_name} is invalid.")
        if lv.snapshots and lv.active:
            raise self._error(cmd, "Snapshot origin volumes can be resized only while inactive: "
                             "try lvchange -an.")
        cur = lv.extents if lv.kind in ("cow", "pool") else lv.size // self.extent_size
        new = self._extents_for(parse_size(new_size))
        if new == cur:
            raise self._error(cmd, f"New size ({new} extents) matches existing size "
                                   f"({cur} extents).")
        if new < cur:
            raise self._error(cmd, f"New size given ({new} extents) not larger than existing "
                             f"size ({cur} extents)")
        grow = new - cur
        if lv.kind in ("linear", "cow", "pool") and grow > self._free:
            raise self._error(cmd, f"Insufficient free space: {grow} extents needed, but only "
                             f"{self._free} available")
        self._tally(lv, -1)  # its size changes: out of the tallies, back in below
        if lv.kind in ("linear", "cow", "pool"):
            self._give_extents(lv, grow)
        if lv.kind == "pool":
            assert lv.pool_state is not None
            lv.size = lv.extents * self.extent_size
            lv.pool_state.chunks = lv.size // lv.pool_state.chunk_size
        elif lv.kind in ("linear", "thin"):
            lv.size = new * self.extent_size
            assert lv.data is not None
            lv.data._grow(lv.size // BLOCK_SIZE)
        self._tally(lv, 1)
        self.meter.charge("lvm", "lvextend", self.meter.costs.lvextend, cmd,
                          lv=lv_name, extents=new)

    def lvremove(self, lv_name: str, *, with_dependents: bool = False) -> None:
        """``lvremove -f <vg>/<lv>``.

        An origin with COW snapshots, or a pool with thin LVs, is refused unless
        *with_dependents* (lvm2 itself prompts "Removing origin ... will also
        remove N snapshots(s)" and with ``-f`` takes them too; Cinder never gets
        there because it checks for snapshots first and raises VolumeIsBusy).
        Thin origins go freely: their thin snapshots keep their own mappings.
        """
        cmd = f"lvremove -f {self.name}/{lv_name}"
        lv = self._get(lv_name, cmd)
        if lv.hidden:
            raise self._error(cmd, f"Can't remove internal logical volume {lv_name}.")
        deps = list(lv.snapshots) if lv.kind != "pool" else [
            n for n, o in self._lvs.items() if o.kind == "thin" and o.pool == lv_name]
        if deps and not with_dependents:
            what = "snapshots(s)" if lv.kind != "pool" else "thin volume(s)"
            raise self._error(cmd, f"Removing {lv_name} would also remove {len(deps)} {what}; "
                             f'Logical volume "{lv_name}" not removed.')
        for dep in deps:
            self._remove(self._lvs[dep])
        self._remove(lv)
        self.meter.charge("lvm", "lvremove", self.meter.costs.lvremove, cmd,
                          lv=lv_name, dependents=deps)

    def lvchange(self, lv_name: str, *, activate: bool, ignore_skip: bool = True,
                 permanent: bool = False) -> None:
        """``lvchange -a y|n [-K] [-k n] <vg>/<lv>``.

        Deactivating an origin deactivates its COW snapshots with it.  A thin
        snapshot carries the skip flag and activates only with ``-K``;
        *permanent* (``-k n``) clears the flag, as Cinder does for volumes it
        makes from thin snapshots.
        """
        flags = ("-a y" if activate else "-a n") + (" -K" if activate and ignore_skip else "")
        flags += " -k n" if permanent else ""
        cmd = f"lvchange {flags} {self.name}/{lv_name}"
        lv = self._get(lv_name, cmd)
        if permanent:
            lv.skip_activation = False
        # lvm2 silently leaves a skip-flagged LV inactive unless -K is given.
        if not (activate and lv.skip_activation and not ignore_skip):
            lv.active = activate
            for s in lv.snapshots:
                self._lvs[s].active = activate
        self.meter.charge("lvm", "lvchange", self.meter.costs.lvchange, cmd, lv=lv_name,
                          active=lv.active)

    def lvconvert_merge(self, snapshot: str) -> None:
        """``lvconvert --merge <vg>/<snapshot>``: roll the origin back, drop the snapshot.

        The merge copies the snapshot's exceptions back into the origin; those
        writes go through the origin, so its other snapshots take COW for them.
        """
        cmd = f"lvconvert --merge {self.name}/{snapshot}"
        snap = self._get(snapshot, cmd)
        if snap.kind != "cow":
            raise self._error(cmd, f"{self.name}/{snapshot} is not a mergeable snapshot.")
        if snap.invalid:
            raise self._error(cmd, f"Unable to merge invalidated snapshot {self.name}/{snapshot}.")
        origin = self._lvs[snap.origin]
        assert origin.data is not None
        assert snap.data is not None
        # Every block that differs between the two carries an exception.
        changed = [(i, snap.data.read(i)) for i in sorted(snap.cow_blocks)]
        copied = len(snap.cow_blocks) * BLOCK_SIZE
        origin.snapshots.remove(snapshot)
        origin.data.put(changed)
        self._drop(snap)
        costs = self.meter.costs
        self.meter.charge("lvm", "lvconvert", costs.lvconvert
                          + costs.transfer(copied, costs.copy_bandwidth), cmd,
                          lv=snapshot, origin=origin.name, bytes=copied)

    # --- dd (volume_utils.clear_volume / copy_volume) ---------------------------
    def dd_zero(self, lv_name: str, nbytes: int, *, cow: bool = False) -> None:
        """``dd if=/dev/zero of=<dev>[-cow] bs=1M count=<n> oflag=direct``.

        Zeroing the ``-cow`` device of a snapshot (Cinder's delete_snapshot for
        thick) destroys the snapshot's preserved data; it is removed next.
        """
        dev = self.local_path(lv_name) + ("-cow" if cow else "")
        cmd = f"dd if=/dev/zero of={dev} count={nbytes} iflag=count_bytes oflag=direct"
        lv = self._get(lv_name, cmd)
        if lv.data is not None and not cow:
            lv.data.discard(0, min(-(-nbytes // BLOCK_SIZE), lv.data.size_blocks))
        costs = self.meter.costs
        self.meter.charge("lvm", "dd", costs.transfer(nbytes, costs.zero_bandwidth), cmd,
                          lv=lv_name, bytes=nbytes, zero=True)

    def dd_copy(self, src: str, dst: str, nbytes: int, *, sparse: bool = False) -> None:
        """``dd if=<src> of=<dst> count=<n> [conv=sparse]``: copies *nbytes* of content.

        dd reads the whole range either way; *sparse* (used for thin targets)
        skips writing zero blocks, so only written data allocates pool chunks.
        Raises ProcessExecutionError on EIO (invalid snapshot) or ENOSPC (full
        pool, after dm-thin's queueing delay, which is charged).
        """
        cmd = (f"dd if={self.local_path(src)} of={self.local_path(dst)} count={nbytes} "
               f"iflag=count_bytes{' conv=sparse' if sparse else ''}")
        costs = self.meter.costs
        seconds = costs.transfer(nbytes, costs.copy_bandwidth)
        nblocks = -(-nbytes // BLOCK_SIZE)
        self._get(src, cmd)
        self._get(dst, cmd)
        try:
            source = self.data(src)
            target = self.data(dst)
            if nblocks > target.size_blocks:
                raise self._error(cmd, f"dd: error writing '{self.local_path(dst)}': "
                                 "No space left on device")
            items = source.items_in(0, nblocks)
            if not sparse:
                have = {i for i, _ in items}
                items = sorted([*items, *((i, 0) for i, _ in target.items_in(0, nblocks)
                                          if i not in have)])
            target.put(items)
        except SnapshotInvalidError as exc:
            self.meter.charge("lvm", "dd", seconds, cmd, src=src, dst=dst, error="EIO")
            raise _fail(cmd, f"dd: error reading '{self.local_path(src)}': "
                             "Input/output error", exit_code=1) from exc
        except ThinPoolFullError as exc:
            self.meter.charge("lvm", "dd", seconds + exc.stall_seconds, cmd, src=src, dst=dst,
                              error="ENOSPC")
            raise _fail(cmd, f"dd: error writing '{self.local_path(dst)}': "
                             "No space left on device", exit_code=1) from exc
        self.meter.charge("lvm", "dd", seconds, cmd, src=src, dst=dst, bytes=nbytes,
                          sparse=sparse)

    def local_path(self, lv_name: str) -> str:
        """``/dev/mapper/<vg>-<lv>`` with each ``-`` in either name doubled."""
        return f"/dev/mapper/{self.name.replace('-', '--')}-{lv_name.replace('-', '--')}"

    # --- internals ---------------------------------------------------------------
    _OP_COST = {"lvcreate": "lvcreate", "lvremove": "lvremove", "lvextend": "lvextend",
                "lvchange": "lvchange", "lvconvert": "lvconvert", "lvs": "vg_scan"}

    def _error(self, cmd: str, stderr: str, exit_code: int = 5) -> errors.ProcessExecutionError:
        """A failed command: it still ran, so it charges its usual latency once."""
        op = cmd.split(" ", 1)[0]
        field = self._OP_COST.get(op)
        seconds = float(getattr(self.meter.costs, field)) if field else 0.0
        self.meter.charge("lvm", op, seconds, f"{cmd}: {stderr}", error=stderr)
        return _fail(cmd, stderr, exit_code)

    def _get(self, lv_name: str, cmd: str) -> _LV:
        lv = self._lvs.get(lv_name)
        if lv is None:
            raise self._error(cmd, f'Failed to find logical volume "{self.name}/{lv_name}"')
        return lv

    def _peek(self, lv_name: str) -> _LV:
        """Look an LV up for inspection: no command, no charge."""
        lv = self._lvs.get(lv_name)
        if lv is None:
            raise _fail("lvs", f'Failed to find logical volume "{self.name}/{lv_name}"')
        return lv

    def _check_new_name(self, lv_name: str, cmd: str) -> None:
        if lv_name in self._lvs:
            raise self._error(cmd, f'Logical Volume "{lv_name}" already exists in volume group '
                             f'"{self.name}"')
        if lv_name.startswith(_RESERVED_PREFIXES):
            prefix = next(p for p in _RESERVED_PREFIXES if lv_name.startswith(p))
            raise self._error(cmd, f'Names starting "{prefix}" are reserved. '
                             "Please choose a different LV name.")
        if not lv_name or _RESERVED_INFIX_RE.search(lv_name) or not (
                _LV_NAME_RE.fullmatch(lv_name)) or lv_name.startswith("-"):
            raise self._error(cmd, f'Logical volume name "{lv_name}" is invalid.')

    def _add(self, lv: _LV) -> None:
        """Put a new LV in the VG (its extents already given) and count it."""
        self._lvs[lv.name] = lv
        if lv.kind == "pool":
            self._pools[lv.name] = lv
        self._tally(lv, 1)

    def _size_cg(self, lv: _LV) -> int:
        """The LV's ``lvs`` size (COW: its COW area) as ``unit_g`` prints it, in hundredths."""
        size = lv.extents * self.extent_size if lv.kind == "cow" else lv.size
        return round(unit_g(size) * 100)

    def _tally(self, lv: _LV, sign: int) -> None:
        """Count a visible LV into the report tallies (*sign* 1: at creation or after a
        resize) or out of them (-1: at removal or before a resize).

        Pool membership is kept by :meth:`_add`/:meth:`_drop` instead, so a
        resize does not move a pool in creation order; its size is read live.
        """
        if lv.hidden:
            return
        self._n_visible += sign
        if lv.kind == "cow":
            self._n_cow += sign
        if lv.kind != "pool":
            self._others_cg += sign * self._size_cg(lv)

    def _extents_for(self, nbytes: int) -> int:
        return max(1, -(-nbytes // self.extent_size))

    def _need(self, extents: int, cmd: str) -> None:
        if extents > self._free:
            raise self._error(cmd, f'Volume group "{self.name}" has insufficient free space '
                             f"({self._free} extents): {extents} required.")

    def _give_extents(self, lv: _LV, count: int) -> None:
        left = count
        for idx, pv in enumerate(self._pvs):
            take = min(left, pv.pe_count - pv.alloc)
            if take <= 0:
                continue
            pv.alloc += take
            if lv.segments and lv.segments[-1][0] == idx:
                lv.segments[-1][1] += take
            else:
                lv.segments.append([idx, take])
            left -= take
            if not left:
                break
        assert left == 0, "caller checked free extents"
        lv.extents += count
        self._free -= count

    def _drop(self, lv: _LV) -> None:
        """Forget an LV and free its extents and pool chunks (no command, no charge)."""
        for idx, count in lv.segments:
            self._pvs[idx].alloc -= count
        self._free += lv.extents
        if lv.kind == "thin":
            st = self._lvs[lv.pool].pool_state
            assert st is not None
            for phys in lv.chunk_map.values():
                self._unref(st, phys)
        origin = self._lvs.get(lv.origin) if lv.kind == "cow" else None
        if origin is not None and lv.name in origin.snapshots:
            origin.snapshots.remove(lv.name)
        del self._lvs[lv.name]
        self._tally(lv, -1)
        if lv.kind == "pool":
            del self._pools[lv.name]

    def _remove(self, lv: _LV) -> None:
        if lv.kind == "pool":
            assert lv.pool_state is not None
            self._drop(self._lvs[lv.pool_state.meta_lv])
            self._drop(lv)
            if self.thin_pool_name() is None and "lvol0_pmspare" in self._lvs:
                self._drop(self._lvs["lvol0_pmspare"])
            return
        self._drop(lv)

    @staticmethod
    def _unref(st: _Pool, phys: int) -> None:
        n = st.refs[phys] - 1
        if n:
            st.refs[phys] = n
        else:
            del st.refs[phys]

    def _thin_snapshot(self, lv_name: str, src: _LV) -> None:
        st = self._lvs[src.pool].pool_state
        assert st is not None
        assert src.data is not None
        for phys in src.chunk_map.values():
            st.refs[phys] += 1
        snap = _LV(name=lv_name, kind="thin", size=src.size, pool=src.pool, origin=src.name,
                   chunk_map=dict(src.chunk_map), active=False, skip_activation=True)
        snap.data = LvData(src.data.size_blocks, self, snap, dict(src.data.items()))
        self._add(snap)

    def _admit(self, lv: _LV, blocks: Sequence[int]) -> int:
        """Book a write of *blocks* (in order) to *lv*; return how many may land."""
        admitted = len(blocks)
        if lv.kind == "thin":
            admitted = self._map_chunks(lv, blocks)
        if lv.snapshots:
            for name in lv.snapshots:
                self._cow(self._lvs[name], blocks, admitted)
        if lv.kind == "cow":
            self._cow(lv, blocks, admitted)
        return admitted

    def _cow(self, snap: _LV, blocks: Sequence[int], count: int) -> None:
        if snap.invalid:
            return
        assert snap.data is not None
        limit = snap.data.size_blocks
        cow = snap.cow_blocks
        for n in range(count):
            b = blocks[n]
            if b < limit:
                cow.add(b)
        per_block = BLOCK_SIZE // SNAPSHOT_CHUNK_SIZE
        if len(cow) * per_block > cow_exception_capacity(snap.extents * self.extent_size):
            snap.invalid = True
            snap.data = LvData(0, self, snap)  # the preserved data is gone

    def _map_chunks(self, lv: _LV, blocks: Sequence[int]) -> int:
        st = self._lvs[lv.pool].pool_state
        assert st is not None
        per_chunk = st.chunk_size // BLOCK_SIZE
        cmap = lv.chunk_map
        refs = st.refs
        done: set[int] = set()
        for n, b in enumerate(blocks):
            c = b // per_chunk
            if c in done:
                continue
            phys = cmap.get(c)
            if phys is None or refs[phys] > 1:
                if len(refs) >= st.chunks:
                    return n
                if phys is not None:
                    refs[phys] -= 1
                cmap[c] = new = st.next_chunk
                st.next_chunk += 1
                refs[new] = 1
            done.add(c)
        return len(blocks)

    def _discard(self, lv: _LV, first: int, count: int) -> None:
        assert lv.data is not None
        if lv.kind != "thin":
            touched = [i for i, _ in lv.data.items_in(first, count)]
            self._admit(lv, touched)
            lv.data._zero(first, count)
            return
        st = self._lvs[lv.pool].pool_state
        assert st is not None
        per_chunk = st.chunk_size // BLOCK_SIZE
        # Whole chunks inside the range are unmapped (dm-thin discard); the
        # partial chunks at either end are zero-writes through the normal path.
        c0, c1 = -(-first // per_chunk), (first + count) // per_chunk
        inside = range(c0 * per_chunk, max(c1, c0) * per_chunk)
        touched = [i for i, _ in lv.data.items_in(first, count)]
        dropped = [i for i in touched if i in inside]
        for name in lv.snapshots:
            self._cow(self._lvs[name], dropped, len(dropped))
        if c1 > c0:
            cmap = lv.chunk_map
            gone = (list(range(c0, c1)) if c1 - c0 <= len(cmap)
                    else [c for c in cmap if c0 <= c < c1])
            for c in gone:
                phys = cmap.pop(c, None)
                if phys is not None:
                    self._unref(st, phys)
            lv.data._zero(inside.start, len(inside))
        edge = [i for i in touched if i not in inside]
        admitted = self._admit(lv, edge)
        for i in edge[:admitted]:
            lv.data._zero(i, 1)
        if admitted < len(edge):
            raise self._pool_full(lv, admitted)

    def _pool_full(self, lv: _LV, written: int) -> ThinPoolFullError:
        return ThinPoolFullError(lv.name, lv.pool, written,
                                 0.0 if self.error_when_full else self.no_space_timeout)

    def _report(self, lv: _LV) -> LvReport:
        if lv.kind == "linear":
            t = "o" if lv.snapshots else "-"
            state = "a" if lv.active else "-"
            tgt = "s" if lv.snapshots else "-"
            return LvReport(lv_name=lv.name, vg_name=self.name, lv_size=lv.size,
                            lv_attr=f"{t}wi-{state}-{tgt}---")
        if lv.kind == "cow":
            exc = len(lv.cow_blocks) * (BLOCK_SIZE // SNAPSHOT_CHUNK_SIZE)
            total = lv.extents * self.extent_size // SNAPSHOT_CHUNK_SIZE
            pct = 100.0 if lv.invalid else round(
                min(100.0, 100.0 * _cow_used_chunks(exc) / total), 2)
            state = "I" if lv.invalid else ("a" if lv.active else "-")
            return LvReport(lv_name=lv.name, vg_name=self.name,
                            lv_size=lv.extents * self.extent_size, lv_attr=f"swi-{state}-s---",
                            origin=lv.origin, data_percent=pct)
        if lv.kind == "pool":
            st = lv.pool_state
            assert st is not None
            used = len(st.refs)
            health = "D" if used >= st.chunks else "-"
            return LvReport(lv_name=lv.name, vg_name=self.name, lv_size=lv.size,
                            lv_attr=f"twi-a-tz{health}-",
                            data_percent=round(100.0 * used / st.chunks, 2) if st.chunks else 0.0)
        if lv.kind == "thin":
            st = self._lvs[lv.pool].pool_state
            assert st is not None
            mapped = len(lv.chunk_map) * st.chunk_size
            state = "a" if lv.active else "-"
            skip = "k" if lv.skip_activation else "-"
            return LvReport(lv_name=lv.name, vg_name=self.name, lv_size=lv.size,
                            lv_attr=f"Vwi-{state}-tz-{skip}",
                            origin=lv.origin if lv.origin in self._lvs else "",
                            data_percent=round(min(100.0, 100.0 * mapped / lv.size), 2),
                            pool_lv=lv.pool)
        name = f"[{lv.name}]"
        attr = "ewi-ao----" if lv.kind == "meta" else "ewi-------"
        return LvReport(lv_name=name, vg_name=self.name, lv_size=lv.size, lv_attr=attr)
