"""LVM as Cinder's LVM driver sees it: PVs, one VG, thick and thin LVs, snapshots.

The model keeps what decides capacity and content, and nothing else:

* **Extents** (:mod:`.sizes`): every allocated LV owns whole physical extents
  of the VG, so sizes round *up* to the PE; a PV loses its first MiB.
* **Thick LVs** are linear: allocated in full at ``lvcreate``, from the PVs in
  order (the ``normal`` policy fills one PV before the next).
* **COW snapshots** (:mod:`.snapshots`) own a COW area of their own extents
  and become invalid when a rewrite of the origin overflows it.
* **Thin pools** (:mod:`.thin_pool`) are a data LV, a metadata LV and the VG's
  spare metadata LV; thin LVs map pool chunks on first write, share them with
  their thin snapshots, and a full pool fails writes, not ``lvcreate -V``.

Content lives in :class:`~.data.LvData`, which the VG admits before each write
lands (COW exceptions, chunk mapping).  Every command charges the
:class:`~cindersim.backends.costs.Meter` exactly once (component ``lvm``); the
pure ``*_report`` methods (:mod:`.reports`) do not, because nothing ran.  ``dd``
on LV devices is :mod:`.dd`.  Not modelled: mirrors/RAID, PV placement beyond
fill order, the data that a new thick LV would expose from a previous LV's
extents (new LVs read zeros), ``snapshot_autoextend`` and
``thin_pool_autoextend`` (both off by default).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ... import errors
from ...empty import EmptyDict
from ..blocks import BLOCK_SIZE, GiB
from ..costs import Meter
from .data import LvData
from .logical_volume import PLAIN_NAME_RE, LogicalVolume, PhysicalVolume, name_problem
from .reports import LvReport, PvReport, VgReport, lv_row, lv_rows, pv_rows
from .sizes import DEFAULT_EXTENT_SIZE, PE_START, extents_for, size_arg, unit_g
from .snapshots import SNAPSHOT_CHUNK_SIZE, SnapshotInvalidError, book_cow, cow_used_chunks
from .thin_pool import (
    NO_SPACE_TIMEOUT,
    THIN_MIN_CHUNK,
    PoolState,
    ThinPoolFullError,
    map_chunks,
    thin_pool_layout,
    unmap_chunks,
    unref,
)

__all__ = ["DEFAULT_VG_NAME", "VolumeGroup"]

DEFAULT_VG_NAME = "cinder-volumes"
"""Cinder's ``volume_group`` default."""


_THIN_CMD = "lvcreate -T -V {} -n {} {}/{}"
"""A thin LV's command line (size, LV, VG, pool): formatted in C, no method frame."""
_plain_name = PLAIN_NAME_RE.fullmatch
"""Whether an LV name is one lvm2 allows without looking further (see :func:`name_problem`)."""


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
                thin_chunk_size < THIN_MIN_CHUNK or thin_chunk_size % BLOCK_SIZE):
            raise ValueError("thin_chunk_size must be >= 64 KiB and a multiple of 32 KiB")
        if not pvs:
            raise ValueError("a volume group needs at least one PV")
        self.name = name
        self.extent_size = extent_size
        self.meter = meter
        self.thin_chunk_size = thin_chunk_size
        self.error_when_full = error_when_full
        self.no_space_timeout = no_space_timeout
        self._pvs = [PhysicalVolume(name=dev, dev_size=size,
                                    pe_count=max(size - PE_START, 0) // extent_size)
                     for dev, size in pvs]
        self._lvs: dict[str, LogicalVolume] = {}
        self._free = sum(pv.pe_count for pv in self._pvs)
        # Running tallies over the visible LVs, kept by _tally so
        # that vg_report, lv_totals and thin_pool_name cost O(1): a capability
        # report runs every 60 s on every backend, whatever its LV count.
        self._n_visible = 0
        self._n_cow = 0
        self._pools: dict[str, LogicalVolume] = {}
        """Thin pools in creation order (the same order as in ``_lvs``)."""
        self._others_cg = 0
        """Sum of ``unit_g`` of the visible non-pool LVs, in hundredths of GiB:
        an exact integer, so the total does not depend on the order of changes."""
        self._thin_sizes: dict[int | str, tuple[int, int, str]] = {}
        """``lvcreate -V`` argument -> (bytes, :func:`_hundredths_g`, :func:`size_arg`) at this
        VG's extent size (set once): every create asks one of a few, and a dict is cheaper
        than two lru caches.  Emptied past 64 sizes."""

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
        data = self._content(lv)
        if data is None:
            raise _fail("dd", f"{lv_name} is not a data volume")
        return data

    def _content(self, lv: LogicalVolume) -> LvData | None:
        """*lv*'s data, created on first use for a linear or thin LV (an empty device
        of its current size: what ``lvcreate`` gives); None for a pool's LVs."""
        data = lv.data
        if data is None and lv.kind in ("linear", "thin"):
            data = lv.data = LvData(lv.size // BLOCK_SIZE, self, lv)
        return data

    def vg_report(self) -> VgReport:
        total = self.extent_count
        return VgReport(
            vg_name=self.name, vg_size=total * self.extent_size,
            vg_free=self._free * self.extent_size, vg_extent_size=self.extent_size,
            vg_extent_count=total, vg_free_count=self._free, lv_count=self._n_visible,
            snap_count=self._n_cow, pv_count=len(self._pvs))

    def lv_report(self, lv_name: str) -> LvReport:
        return lv_row(self._peek(lv_name), self.name, self.extent_size, self._lvs)

    def lv_reports(self, *, all_lvs: bool = False) -> list[LvReport]:
        """Rows sorted by LV name, as ``lvs`` sorts them (``-O vg_name,lv_name``)."""
        return lv_rows(self._lvs, self.name, self.extent_size, all_lvs=all_lvs)

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
        return pv_rows(self._pvs, self.name, self.extent_size)

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
        self._pvs.append(PhysicalVolume(name=device, dev_size=size, pe_count=pe))
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
        return [] if lv is None else [lv_row(lv, self.name, self.extent_size, self._lvs)]

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
        cmd = f"lvcreate -n {lv_name} {self.name} -L {size_arg(size)}"
        self._check_new_name(lv_name, cmd)
        extents = extents_for(size, self.extent_size)
        self._need(extents, cmd)
        lv = LogicalVolume(name=lv_name, kind="linear", size=extents * self.extent_size)
        self._give_extents(lv, extents)
        self._add(lv)  # its data comes on first use (_content)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                          lv=lv_name, extents=extents, thin=False)

    def lvcreate_thin_pool(self, pool_name: str, size: int | str) -> None:
        """``lvcreate -T -L <size> <vg>/<pool>``: data, ``_tmeta`` and the VG's spare."""
        cmd = f"lvcreate -T -L {size_arg(size)} {self.name}/{pool_name}"
        self._check_new_name(pool_name, cmd)
        data_ext = extents_for(size, self.extent_size)
        chunk, meta_ext = thin_pool_layout(data_ext * self.extent_size, self.extent_size,
                                           self.thin_chunk_size)
        spare = self._lvs.get("lvol0_pmspare")
        spare_ext = 0 if spare is not None and spare.extents >= meta_ext else meta_ext
        self._need(data_ext + meta_ext + spare_ext, cmd)
        meta = LogicalVolume(name=f"{pool_name}_tmeta", kind="meta",
                             size=meta_ext * self.extent_size, hidden=True)
        self._give_extents(meta, meta_ext)
        if spare_ext:
            if spare is not None:
                self._drop(spare)
            spare = LogicalVolume(name="lvol0_pmspare", kind="spare",
                                  size=spare_ext * self.extent_size, hidden=True, active=False)
            self._give_extents(spare, spare_ext)
            self._add(spare)
        pool = LogicalVolume(name=pool_name, kind="pool", size=data_ext * self.extent_size,
                             pool_state=PoolState(chunk_size=chunk,
                                                  chunks=data_ext * self.extent_size // chunk,
                                                  meta_lv=meta.name))
        self._give_extents(pool, data_ext)
        self._add(pool)
        self._add(meta)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd, lv=pool_name,
                          extents=data_ext, metadata_extents=meta_ext, chunk_size=chunk)

    def lvcreate_thin(self, lv_name: str, virtual_size: int | str, pool: str) -> None:
        """``lvcreate -T -V <size> -n <lv> <vg>/<pool>``: no extents, no chunks yet."""
        lvs = self._lvs
        p = lvs.get(pool)
        # _new_name_problem's tests, inline (every create comes here): it words a refusal.
        # A plain name (every volume-<uuid>) passes name_problem's first test: no frame.
        if lv_name in lvs or (_plain_name(lv_name) is None and name_problem(lv_name) is not None
                              ) or p is None or p.kind != "pool":
            raise self._error(_THIN_CMD.format(size_arg(virtual_size), lv_name, self.name, pool),
                              self._new_name_problem(lv_name)
                              or f'Thin pool {self.name}/{pool} not found.')
        sized = self._thin_sizes.get(virtual_size)
        if sized is None:  # (an invalid size raises here, as lvcreate refuses it)
            size = extents_for(virtual_size, self.extent_size) * self.extent_size
            if len(self._thin_sizes) >= 64:
                self._thin_sizes.clear()
            sized = self._thin_sizes[virtual_size] = (size, _hundredths_g(size),
                                                      size_arg(virtual_size))
        size = sized[0]
        lv = lvs[lv_name] = LogicalVolume(lv_name, "thin", size)  # data on first use
        # Set after: a keyword to a class call costs a dict, several times a store. The
        # pool LV's own string, shared by all its thin LVs.
        lv.pool = p.name
        # _add then _tally of a visible thin LV (not a pool, not a COW), inline: every
        # create comes here, and the tallies are checked against a recount in the tests.
        self._n_visible += 1
        self._others_cg += sized[1]
        # Meter.charge, inline (every create): the seconds added, and a report made (the
        # command line too) only for a reader, handed to the recorder without charge's frame.
        meter = self.meter
        cost = meter.costs.lvcreate
        meter.pending += cost
        meter.total += cost
        if meter.reports() and meter.record is not None:
            meter.record("lvm", "lvcreate", _THIN_CMD.format(sized[2], lv_name, self.name, pool),
                         cost, {"lv": lv_name, "thin": True, "virtual_size": size})

    def lvcreate_snapshot(self, lv_name: str, origin: str, size: int | str | None = None) -> None:
        """``lvcreate --name <lv> --snapshot <vg>/<origin> [-L <size>]``.

        With a size: an old-style COW snapshot whose COW area is that size (capped
        at what a full rewrite of the origin could use, as lvcreate does).
        Without: a thin snapshot of a thin origin, sharing every chunk, created
        with the activation-skip flag (``k``) and inactive.
        """
        cmd = (f"lvcreate --name {lv_name} --snapshot {self.name}/{origin}"
               + ("" if size is None else f" -L {size_arg(size)}"))
        src = self._lvs.get(origin)
        if src is None or src.hidden:
            raise self._error(cmd, f'Failed to find logical volume "{self.name}/{origin}"')
        self._check_new_name(lv_name, cmd)
        if src.kind == "cow":
            raise self._error(cmd, "Snapshots of snapshots are not supported.")
        if src.kind == "pool":
            raise self._error(cmd, f"Snapshots of thin pool {origin} are not supported.")
        src_data = self._content(src)
        assert src_data is not None
        if size is None:
            if src.kind != "thin":
                raise self._error(cmd, "Please specify either size or extents with snapshots.")
            self._thin_snapshot(lv_name, src)
            self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                              lv=lv_name, origin=origin, thin=True)
            return
        extents = extents_for(size, self.extent_size)
        chunks = -(-src.size // SNAPSHOT_CHUNK_SIZE)
        cap = -(-cow_used_chunks(chunks) * SNAPSHOT_CHUNK_SIZE // self.extent_size)
        extents = min(extents, cap)  # "Reducing COW size ... down to maximum usable size"
        self._need(extents, cmd)
        snap = LogicalVolume(name=lv_name, kind="cow", size=src.size, origin=origin)
        self._give_extents(snap, extents)
        snap.data = LvData(src_data.size_blocks, self, snap, dict(src_data.items()))
        src.snapshots = [*src.snapshots, lv_name]  # never in place: it may be the shared empty
        self._add(snap)
        self.meter.charge("lvm", "lvcreate", self.meter.costs.lvcreate, cmd,
                          lv=lv_name, origin=origin, extents=extents, thin=False)

    def lvextend(self, lv_name: str, new_size: int | str) -> None:
        """``lvextend -L <size> <vg>/<lv>``: grows a linear, thin, COW or pool LV.

        An origin of COW snapshots must be inactive (lvm2: "Snapshot origin
        volumes can be resized only while inactive"), which is why Cinder
        deactivates it around the call.  Snapshots keep their old size.
        """
        cmd = f"lvextend -L {size_arg(new_size)} {self.name}/{lv_name}"
        lv = self._get(lv_name, cmd)
        if lv.hidden:
            raise self._error(cmd, f"Can't resize internal logical volume {lv_name}.")
        if lv.invalid:
            raise self._error(cmd, f"Snapshot {self.name}/{lv_name} is invalid.")
        if lv.snapshots and lv.active:
            raise self._error(cmd, "Snapshot origin volumes can be resized only while inactive: "
                             "try lvchange -an.")
        cur = lv.extents if lv.kind in ("cow", "pool") else lv.size // self.extent_size
        new = extents_for(new_size, self.extent_size)
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
            if lv.data is not None:  # else it is created at the new size on first use
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

    def _get(self, lv_name: str, cmd: str) -> LogicalVolume:
        lv = self._lvs.get(lv_name)
        if lv is None:
            raise self._error(cmd, f'Failed to find logical volume "{self.name}/{lv_name}"')
        return lv

    def _peek(self, lv_name: str) -> LogicalVolume:
        """Look an LV up for inspection: no command, no charge."""
        lv = self._lvs.get(lv_name)
        if lv is None:
            raise _fail("lvs", f'Failed to find logical volume "{self.name}/{lv_name}"')
        return lv

    def _check_new_name(self, lv_name: str, cmd: str) -> None:
        problem = self._new_name_problem(lv_name)
        if problem is not None:
            raise self._error(cmd, problem)

    def _new_name_problem(self, lv_name: str) -> str | None:
        if lv_name in self._lvs:
            return f'Logical Volume "{lv_name}" already exists in volume group "{self.name}"'
        return name_problem(lv_name)

    def _add(self, lv: LogicalVolume) -> None:
        """Put a new LV in the VG (its extents already given) and count it."""
        self._lvs[lv.name] = lv
        if lv.kind == "pool":
            self._pools[lv.name] = lv
        self._tally(lv, 1)

    def _tally(self, lv: LogicalVolume, sign: int) -> None:
        """Count a visible LV into the report tallies (*sign* 1: at creation or after a
        resize) or out of them (-1: at removal or before a resize).

        Pool membership is kept by :meth:`_add`/:meth:`_drop` instead, so a
        resize does not move a pool in creation order; its size is read live.
        """
        if lv.hidden:
            return
        self._n_visible += sign
        kind = lv.kind
        if kind == "cow":
            self._n_cow += sign
            # The lvs size of a COW snapshot is its COW area's.
            self._others_cg += sign * _hundredths_g(lv.extents * self.extent_size)
        elif kind != "pool":
            self._others_cg += sign * _hundredths_g(lv.size)

    def _need(self, extents: int, cmd: str) -> None:
        if extents > self._free:
            raise self._error(cmd, f'Volume group "{self.name}" has insufficient free space '
                             f"({self._free} extents): {extents} required.")

    def _give_extents(self, lv: LogicalVolume, count: int) -> None:
        left = count
        for idx, pv in enumerate(self._pvs):
            take = min(left, pv.pe_count - pv.alloc)
            if take <= 0:
                continue
            pv.alloc += take
            if lv.segments and lv.segments[-1][0] == idx:
                lv.segments[-1][1] += take
            elif lv.segments:
                lv.segments.append([idx, take])
            else:  # the shared empty (cindersim.empty): a list of its own from now on
                lv.segments = [[idx, take]]
            left -= take
            if not left:
                break
        assert left == 0, "caller checked free extents"
        lv.extents += count
        self._free -= count

    def _drop(self, lv: LogicalVolume) -> None:
        """Forget an LV and free its extents and pool chunks (no command, no charge)."""
        for idx, count in lv.segments:
            self._pvs[idx].alloc -= count
        self._free += lv.extents
        if lv.kind == "thin":
            st = self._lvs[lv.pool].pool_state
            assert st is not None
            for phys in lv.chunk_map.values():
                unref(st, phys)
        origin = self._lvs.get(lv.origin) if lv.kind == "cow" else None
        if origin is not None and lv.name in origin.snapshots:
            origin.snapshots.remove(lv.name)
        del self._lvs[lv.name]
        self._tally(lv, -1)
        if lv.kind == "pool":
            del self._pools[lv.name]

    def _remove(self, lv: LogicalVolume) -> None:
        if lv.kind == "pool":
            assert lv.pool_state is not None
            self._drop(self._lvs[lv.pool_state.meta_lv])
            self._drop(lv)
            if self.thin_pool_name() is None and "lvol0_pmspare" in self._lvs:
                self._drop(self._lvs["lvol0_pmspare"])
            return
        self._drop(lv)

    def _thin_snapshot(self, lv_name: str, src: LogicalVolume) -> None:
        st = self._lvs[src.pool].pool_state
        assert st is not None
        src_data = self._content(src)
        assert src_data is not None
        for phys in src.chunk_map.values():
            st.refs[phys] += 1
        snap = LogicalVolume(name=lv_name, kind="thin", size=src.size, pool=src.pool,
                             origin=src.name, chunk_map=dict(src.chunk_map), active=False,
                             skip_activation=True)
        snap.data = LvData(src_data.size_blocks, self, snap, dict(src_data.items()))
        self._add(snap)

    def _admit(self, lv: LogicalVolume, blocks: Sequence[int]) -> int:
        """Book a write of *blocks* (in order) to *lv*; return how many may land."""
        admitted = len(blocks)
        if lv.kind == "thin":
            st = self._lvs[lv.pool].pool_state
            assert st is not None
            cmap = lv.chunk_map
            if type(cmap) is EmptyDict and blocks:  # the shared empty: one of its own
                cmap = lv.chunk_map = {}
            admitted = map_chunks(st, cmap, blocks)
        if lv.snapshots:
            for name in lv.snapshots:
                book_cow(self, self._lvs[name], blocks, admitted)
        if lv.kind == "cow":
            book_cow(self, lv, blocks, admitted)
        return admitted

    def _discard(self, lv: LogicalVolume, first: int, count: int) -> None:
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
            book_cow(self, self._lvs[name], dropped, len(dropped))
        if c1 > c0:
            unmap_chunks(st, lv.chunk_map, c0, c1)
            lv.data._zero(inside.start, len(inside))
        edge = [i for i in touched if i not in inside]
        admitted = self._admit(lv, edge)
        for i in edge[:admitted]:
            lv.data._zero(i, 1)
        if admitted < len(edge):
            raise self._pool_full(lv, admitted)

    def _pool_full(self, lv: LogicalVolume, written: int) -> ThinPoolFullError:
        return ThinPoolFullError(lv.name, lv.pool, written,
                                 0.0 if self.error_when_full else self.no_space_timeout)


@functools.lru_cache(maxsize=1024)  # volumes come in a few sizes; round(x, 2) is slow
def _hundredths_g(nbytes: int) -> int:
    """``unit_g(nbytes)`` in hundredths of a GiB, as an int (what the tallies add up)."""
    return round(unit_g(nbytes) * 100)
