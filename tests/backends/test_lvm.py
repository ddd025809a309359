"""The LVM model against lvm2's behaviour (extents, COW, thin pools, reports)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from cindersim import errors
from cindersim.backends.blocks import BLOCK_SIZE, BlockData, GiB, MiB
from cindersim.backends.costs import Meter
from cindersim.backends.lvm import (
    SNAPSHOT_CHUNK_SIZE,
    SnapshotInvalidError,
    ThinPoolFullError,
    VolumeGroup,
    cow_exception_capacity,
    parse_size,
    thin_pool_layout,
    unit_g,
)

BLOCKS_PER_GIB = GiB // BLOCK_SIZE


def make_vg(size: int = 10 * GiB, **kw: object) -> VolumeGroup:
    return VolumeGroup(pvs=[("/dev/sdb", size)], meter=Meter(), **kw)  # type: ignore[arg-type]


def conserved(vg: VolumeGroup) -> bool:
    return vg.free_count + vg.allocated_extents() == vg.extent_count


class TestExtents:
    """Sizes round up to whole physical extents; PVs lose their first MiB."""

    def test_pv_loses_pe_start(self) -> None:
        vg = make_vg(10 * GiB)
        report = vg.vg_report()
        assert report.vg_extent_count == (10 * 1024 - 1) // 4
        assert report.vg_size == report.vg_extent_count * 4 * MiB
        assert report.vg_extent_size == 4 * MiB

    def test_10m_rounds_to_12m(self) -> None:
        vg = make_vg()
        vg.lvcreate("lv", "10m")
        assert vg.lv_report("lv").lv_size == 12 * MiB

    def test_950m_rounds_to_952m(self) -> None:
        vg = make_vg()
        vg.lvcreate("lv", "950m")
        assert vg.lv_report("lv").lv_size == 952 * MiB

    def test_integer_gib_never_rounds(self) -> None:
        vg = make_vg()
        vg.lvcreate("lv", "3g")
        assert vg.lv_report("lv").lv_size == 3 * GiB
        assert vg.vg_report().vg_free_count == vg.extent_count - 3 * 256

    def test_extent_size_is_configurable(self) -> None:
        vg = make_vg(extent_size=32 * MiB)
        vg.lvcreate("lv", "10m")
        assert vg.lv_report("lv").lv_size == 32 * MiB

    def test_parse_size_truncates_to_sectors(self) -> None:
        assert parse_size("1g") == GiB
        assert parse_size("0.5k") == 512
        assert parse_size("0.7k") == 512
        assert parse_size(4096) == 4096

    def test_fills_pvs_in_order(self) -> None:
        vg = VolumeGroup(pvs=[("/dev/sdb", GiB + MiB), ("/dev/sdc", GiB + MiB)], meter=Meter())
        vg.lvcreate("lv", "1500m")
        pvs = vg.pv_reports()
        assert [p.pv_pe_alloc_count for p in pvs] == [256, 375 - 256]
        assert conserved(vg)


class TestErrors:
    def test_out_of_space_message(self) -> None:
        vg = make_vg(10 * GiB)
        free = vg.free_count
        with pytest.raises(errors.ProcessExecutionError) as info:
            vg.lvcreate("volume-big", "100g")
        assert info.value.stderr == (
            f'Volume group "cinder-volumes" has insufficient free space ({free} extents): '
            "25600 required.")
        assert not vg.exists("volume-big")
        assert vg.free_count == free

    def test_reserved_snapshot_prefix(self) -> None:
        vg = make_vg()
        with pytest.raises(errors.ProcessExecutionError, match="reserved"):
            vg.lvcreate("snapshot-1", "1g")
        vg.lvcreate("_snapshot-1", "1g")

    def test_duplicate_name(self) -> None:
        vg = make_vg()
        vg.lvcreate("lv", "1g")
        with pytest.raises(errors.ProcessExecutionError, match="already exists"):
            vg.lvcreate("lv", "1g")

    def test_failed_command_still_charges_once(self) -> None:
        vg = make_vg()
        with pytest.raises(errors.ProcessExecutionError):
            vg.lvcreate("big", "100g")
        assert vg.meter.take() == vg.meter.costs.lvcreate

    def test_lvextend_shortage_message(self) -> None:
        vg = make_vg(2 * GiB)
        vg.lvcreate("lv", "1g")
        with pytest.raises(errors.ProcessExecutionError, match="Insufficient free space: 256 "):
            vg.lvextend("lv", "2g")


class TestCowSnapshots:
    """Old-style snapshots: COW area of their own, data frozen, invalid when full."""

    def test_snapshot_owns_its_cow_extents(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        before = vg.free_count
        vg.lvcreate_snapshot("_snapshot-1", "volume-1", "1g")
        assert before - vg.free_count == 256
        assert vg.lv_report("volume-1").lv_attr.startswith("o")
        snap = vg.lv_report("_snapshot-1")
        assert snap.lv_attr.startswith("s")
        assert snap.origin == "volume-1"
        assert vg.vg_report().snap_count == 1

    def test_snapshot_keeps_the_old_data(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.data("volume-1").write(0, 64, "before")
        frozen = vg.data("volume-1").copy()
        vg.lvcreate_snapshot("_snapshot-1", "volume-1", "1g")
        vg.data("volume-1").write(0, 64, "after")
        assert vg.data("_snapshot-1").same_content(frozen)
        assert not vg.data("volume-1").same_content(frozen)

    def test_full_rewrite_overflows_an_origin_sized_cow(self) -> None:
        """Header and exception tables need room too, so an origin-sized COW cannot
        hold a rewrite of every chunk of the origin."""
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("_snapshot-1", "volume-1", "1g")
        capacity = cow_exception_capacity(GiB)
        assert capacity < GiB // SNAPSHOT_CHUNK_SIZE
        per_block = BLOCK_SIZE // SNAPSHOT_CHUNK_SIZE
        fits = capacity // per_block
        vg.data("volume-1").write(0, fits, "x")
        assert not vg.is_invalid("_snapshot-1")
        assert vg.lv_report("_snapshot-1").data_percent == pytest.approx(100.0, abs=0.5)
        vg.data("volume-1").write(fits, 1, "x")
        assert vg.is_invalid("_snapshot-1")
        assert vg.lv_report("_snapshot-1").lv_attr[4] == "I"
        with pytest.raises(SnapshotInvalidError):
            vg.data("_snapshot-1")
        # The origin keeps working and the COW extents stay until lvremove.
        vg.data("volume-1").write(0, 1, "y")
        assert conserved(vg)

    def test_small_cow_invalidates_early(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("s1", "volume-1", "4m")
        vg.data("volume-1").write(0, 4 * MiB // BLOCK_SIZE, "x")
        assert vg.is_invalid("s1")

    def test_rewriting_same_blocks_costs_nothing_more(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("s1", "volume-1", "8m")
        for _ in range(50):
            vg.data("volume-1").write(0, 16, "x")
        assert not vg.is_invalid("s1")

    def test_cow_size_is_capped_at_maximum_usable(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("s1", "volume-1", "2g")
        assert vg.lv_report("s1").lv_size < 2 * GiB
        assert vg.lv_report("s1").lv_size >= GiB

    def test_lvremove_refused_with_snapshot(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("s1", "volume-1", "1g")
        with pytest.raises(errors.ProcessExecutionError, match="not removed"):
            vg.lvremove("volume-1")
        vg.lvremove("volume-1", with_dependents=True)
        assert vg.lv_names() == []
        assert vg.free_count == vg.extent_count

    def test_extend_origin_needs_deactivation(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("s1", "volume-1", "1g")
        with pytest.raises(errors.ProcessExecutionError, match="inactive"):
            vg.lvextend("volume-1", "2g")
        vg.lvchange("volume-1", activate=False)
        vg.lvextend("volume-1", "2g")
        vg.lvchange("volume-1", activate=True)
        assert vg.lv_report("volume-1").lv_size == 2 * GiB
        assert vg.data("s1").size_blocks == BLOCKS_PER_GIB

    def test_merge_rolls_back_and_drops_snapshot(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.data("volume-1").write(0, 10, "a")
        before = vg.data("volume-1").copy()
        vg.lvcreate_snapshot("s1", "volume-1", "1g")
        vg.data("volume-1").write(5, 20, "b")
        vg.lvconvert_merge("s1")
        assert vg.data("volume-1").same_content(before)
        assert not vg.exists("s1")
        assert conserved(vg)

    def test_snapshot_of_snapshot_refused(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("s1", "volume-1", "1g")
        with pytest.raises(errors.ProcessExecutionError, match="not supported"):
            vg.lvcreate_snapshot("s2", "s1", "1g")


class TestThin:
    """Thin pools map chunks on first write and share them with thin snapshots."""

    def pool_vg(self, size: int = 10 * GiB, **kw: object) -> VolumeGroup:
        vg = make_vg(size, **kw)
        vg.lvcreate_thin_pool("cinder-volumes-pool", f"{unit_g(vg.vg_report().vg_free) * 0.95}g")
        return vg

    def test_pool_takes_data_metadata_and_spare(self) -> None:
        vg = self.pool_vg()
        pool = vg.lv_report("cinder-volumes-pool")
        assert pool.lv_attr.startswith("t")
        hidden = {r.lv_name for r in vg.lv_reports(all_lvs=True)} - set(vg.lv_names())
        assert hidden == {"[cinder-volumes-pool_tdata]", "[cinder-volumes-pool_tmeta]",
                          "[lvol0_pmspare]"}
        _, meta_ext = thin_pool_layout(pool.lv_size, vg.extent_size)
        assert vg.allocated_extents() == pool.lv_size // vg.extent_size + 2 * meta_ext
        assert vg.vg_report().lv_count == 1
        assert conserved(vg)

    def test_pool_at_95_percent_rounds_to_extents(self) -> None:
        vg = make_vg(10 * GiB)
        free_g = unit_g(vg.vg_report().vg_free)
        vg.lvcreate_thin_pool("cinder-volumes-pool", f"{free_g * 0.95}g")
        want = -(-int(free_g * 0.95 * GiB) // vg.extent_size) * vg.extent_size
        assert vg.lv_report("cinder-volumes-pool").lv_size == want

    def test_thin_lv_allocates_on_write(self) -> None:
        vg = self.pool_vg()
        vg.lvcreate_thin("volume-1", "100g", "cinder-volumes-pool")  # exceeds the pool
        assert vg.pool_usage("cinder-volumes-pool")[0] == 0
        vg.data("volume-1").write(0, 4, "x")  # 4 x 32 KiB = 2 chunks of 64 KiB
        used, _, chunk = vg.pool_usage("cinder-volumes-pool")
        assert chunk == 64 * 1024
        assert used == 2
        assert vg.lv_report("volume-1").pool_lv == "cinder-volumes-pool"

    def test_snapshot_shares_until_written(self) -> None:
        vg = self.pool_vg()
        vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
        vg.data("volume-1").write(0, 20, "x")  # 10 chunks
        vg.lvcreate_snapshot("_snapshot-1", "volume-1")
        assert vg.pool_usage("cinder-volumes-pool")[0] == 10
        assert vg.lv_report("_snapshot-1").lv_attr == "Vwi---tz-k"
        vg.data("volume-1").write(0, 1, "y")  # breaks sharing of one chunk
        assert vg.pool_usage("cinder-volumes-pool")[0] == 11
        vg.lvremove("volume-1")  # thin origins go freely
        assert vg.pool_usage("cinder-volumes-pool")[0] == 10
        assert vg.data("_snapshot-1").written() == 20

    def test_discard_unmaps_whole_chunks(self) -> None:
        vg = self.pool_vg()
        vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
        vg.data("volume-1").write(0, 8, "x")
        vg.data("volume-1").discard(1, 6)  # chunks 1 and 2 whole; 0 and 3 partial
        assert vg.pool_usage("cinder-volumes-pool")[0] == 2
        assert vg.data("volume-1").items_in(0, 8)[0][0] == 0

    def test_full_pool_fails_writes_after_queueing(self) -> None:
        vg = self.pool_vg(1 * GiB)
        _, chunks, chunk = vg.pool_usage("cinder-volumes-pool")
        vg.lvcreate_thin("volume-1", "10g", "cinder-volumes-pool")
        per_chunk = chunk // BLOCK_SIZE
        with pytest.raises(ThinPoolFullError) as info:
            vg.data("volume-1").write(0, (chunks + 1) * per_chunk, "x")
        assert info.value.stall_seconds == 60.0
        assert info.value.blocks_written == chunks * per_chunk
        assert vg.data("volume-1").written() == chunks * per_chunk
        assert vg.pool_usage("cinder-volumes-pool")[0] == chunks
        assert vg.lv_report("cinder-volumes-pool").lv_attr[8] == "D"
        assert vg.lv_report("cinder-volumes-pool").data_percent == 100.0
        # lvcreate -V still works on a full pool; removing frees space.
        vg.lvcreate_thin("volume-2", "1g", "cinder-volumes-pool")
        vg.lvremove("volume-1")
        vg.data("volume-2").write(0, 1, "y")

    def test_error_when_full_fails_at_once(self) -> None:
        vg = self.pool_vg(1 * GiB, error_when_full=True)
        _, chunks, chunk = vg.pool_usage("cinder-volumes-pool")
        vg.lvcreate_thin("volume-1", "10g", "cinder-volumes-pool")
        with pytest.raises(ThinPoolFullError) as info:
            vg.data("volume-1").write(0, (chunks + 1) * (chunk // BLOCK_SIZE), "x")
        assert info.value.stall_seconds == 0.0

    def test_copy_from_allocates_only_written_data(self) -> None:
        vg = self.pool_vg()
        vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
        src = BlockData(BLOCKS_PER_GIB)
        src.write(100, 2, "z")
        vg.data("volume-1").copy_from(src)
        assert vg.pool_usage("cinder-volumes-pool")[0] == 1
        assert vg.data("volume-1").same_content(src)

    def test_resizing_data_directly_is_refused(self) -> None:
        vg = self.pool_vg()
        vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
        with pytest.raises(errors.SimulationError):
            vg.data("volume-1").resize(2 * BLOCKS_PER_GIB)

    def test_pool_removal_takes_the_spare(self) -> None:
        vg = self.pool_vg()
        vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
        with pytest.raises(errors.ProcessExecutionError):
            vg.lvremove("cinder-volumes-pool")
        vg.lvremove("cinder-volumes-pool", with_dependents=True)
        assert vg.lv_names(all_lvs=True) == []
        assert vg.free_count == vg.extent_count


class TestReports:
    def test_lvs_sorted_and_charged(self) -> None:
        vg = make_vg()
        vg.lvcreate("b", "1g")
        vg.lvcreate("a", "1g")
        vg.meter.take()
        assert [r.lv_name for r in vg.lvs()] == ["a", "b"]
        assert vg.meter.take() == vg.meter.costs.vg_scan
        assert vg.lvs("missing") == []

    def test_unit_g_is_two_decimals(self) -> None:
        assert unit_g(10 * GiB - 4 * MiB) == 10.0
        assert unit_g(GiB // 3) == 0.33

    def test_local_path_doubles_dashes(self) -> None:
        vg = make_vg()
        assert vg.local_path("volume-1") == "/dev/mapper/cinder--volumes-volume--1"


# --- properties -------------------------------------------------------------------
SIZES_G = st.integers(min_value=1, max_value=3)


def refused_for_space(vg: VolumeGroup, call: Callable[[], None], text: str) -> bool:
    """Run an LVM command; a failure must be the out-of-space one (return True)."""
    before = vg.free_count
    failure: errors.ProcessExecutionError | None = None
    try:
        call()
    except errors.ProcessExecutionError as exc:
        failure = exc
    if failure is None:
        return False
    assert text in failure.stderr
    assert vg.free_count == before  # a refused command allocates nothing
    return True


class LvmMachine(RuleBasedStateMachine):
    """Random lvcreate/extend/snapshot/write/remove sequences on one VG with a pool."""

    def __init__(self) -> None:
        super().__init__()
        self.vg = VolumeGroup(pvs=[("/dev/sdb", 12 * GiB), ("/dev/sdc", 6 * GiB)],
                              meter=Meter(), thin_chunk_size=256 * 1024)
        self.vg.lvcreate_thin_pool("cinder-volumes-pool", "64m")  # fills within a run
        self.n = 0
        self.frozen: dict[str, BlockData] = {}
        """Snapshot -> the origin's content when it was taken."""

    def _name(self) -> str:
        self.n += 1
        return f"lv{self.n}"

    def _data_lvs(self, kinds: str) -> list[str]:
        """Volumes (not snapshots: Cinder never writes those) of the given lv_attr types."""
        out = []
        for r in self.vg.lv_reports():
            if r.lv_attr[0] in kinds and r.lv_name not in self.frozen:
                out.append(r.lv_name)
        return out

    @rule(size=SIZES_G)
    def create_thick(self, size: int) -> None:
        name = self._name()
        free = self.vg.free_count
        refused = refused_for_space(self.vg, lambda: self.vg.lvcreate(name, f"{size}g"),
                                    "insufficient free space")
        assert refused == (size * 256 > free)

    @rule(size=st.integers(min_value=1, max_value=50))
    def create_thin(self, size: int) -> None:
        self.vg.lvcreate_thin(self._name(), f"{size}g", "cinder-volumes-pool")

    @precondition(lambda self: self._data_lvs("-oV"))
    @rule(data=st.data(), cow=st.sampled_from([None, "4m", "64m", "1g"]))
    def snapshot(self, data: st.DataObject, cow: str | None) -> None:
        origin = data.draw(st.sampled_from(self._data_lvs("-oV")))
        name = self._name()
        thin = self.vg.lv_report(origin).lv_attr[0] == "V"
        if refused_for_space(
                self.vg, lambda: self.vg.lvcreate_snapshot(name, origin,
                                                           None if thin else (cow or "1g")),
                "insufficient free space"):
            return
        self.frozen[name] = self.vg.data(origin).copy()

    @precondition(lambda self: self._data_lvs("-oV"))
    @rule(data=st.data(), first=st.integers(0, 10**6), count=st.integers(1, 6000),
          tag=st.integers(1, 5))
    def write(self, data: st.DataObject, first: int, count: int, tag: int) -> None:
        name = data.draw(st.sampled_from(self._data_lvs("-oV")))
        lv = self.vg.data(name)
        first %= lv.size_blocks
        count = min(count, lv.size_blocks - first)
        with contextlib.suppress(ThinPoolFullError):
            lv.write(first, count, tag)

    @precondition(lambda self: self._data_lvs("-oV"))
    @rule(data=st.data(), first=st.integers(0, 200), count=st.integers(1, 64))
    def discard(self, data: st.DataObject, first: int, count: int) -> None:
        name = data.draw(st.sampled_from(self._data_lvs("-oV")))
        with contextlib.suppress(ThinPoolFullError):
            self.vg.data(name).discard(first, count)

    @precondition(lambda self: self._data_lvs("-oV"))
    @rule(data=st.data(), grow=SIZES_G)
    def extend(self, data: st.DataObject, grow: int) -> None:
        name = data.draw(st.sampled_from(self._data_lvs("-oV")))
        new = self.vg.lv_report(name).lv_size // GiB + grow
        has_snaps = self.vg.lv_report(name).lv_attr[0] == "o"
        if has_snaps:
            self.vg.lvchange(name, activate=False)
        refused_for_space(self.vg, lambda: self.vg.lvextend(name, f"{new}g"),
                          "Insufficient free space")
        if has_snaps:
            self.vg.lvchange(name, activate=True)

    @precondition(lambda self: self.vg.lv_names())
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        names = [n for n in self.vg.lv_names() if n != "cinder-volumes-pool"]
        if not names:
            return
        name = data.draw(st.sampled_from(names))
        with_snaps = self.vg.lv_report(name).lv_attr[0] == "o"
        self.vg.lvremove(name, with_dependents=with_snaps)
        for gone in [n for n in self.frozen if not self.vg.exists(n)]:
            del self.frozen[gone]

    @invariant()
    def extents_are_conserved(self) -> None:
        vg = self.vg
        assert vg.free_count + vg.allocated_extents() == vg.extent_count
        assert sum(p.pv_pe_alloc_count for p in vg.pv_reports()) == vg.allocated_extents()
        assert all(0 <= p.pv_pe_alloc_count <= p.pv_pe_count for p in vg.pv_reports())

    @invariant()
    def pool_data_never_exceeds_the_pool(self) -> None:
        used, chunks, _ = self.vg.pool_usage("cinder-volumes-pool")
        assert used <= chunks
        assert self.vg.lv_report("cinder-volumes-pool").data_percent <= 100.0  # type: ignore[operator]

    @invariant()
    def snapshots_keep_their_data(self) -> None:
        for name, frozen in self.frozen.items():
            if self.vg.is_invalid(name):
                continue
            assert self.vg.data(name).same_content(frozen), name

    @invariant()
    def vgs_agrees_with_lvs(self) -> None:
        report = self.vg.vg_report()
        assert report.lv_count == len(self.vg.lv_reports())
        assert report.snap_count == sum(1 for r in self.vg.lv_reports() if r.lv_attr[0] == "s")
        assert report.vg_free == report.vg_free_count * report.vg_extent_size


TestLvmMachine = LvmMachine.TestCase
TestLvmMachine.settings = settings(max_examples=80, stateful_step_count=40, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])


class TestVgExtendReduce:
    """Operators grow and shrink a VG with vgextend / vgreduce (the capacity what-if)."""

    def test_vgextend_adds_free_extents_and_vgreduce_removes_an_unused_pv(self) -> None:
        from cindersim.backends.costs import Meter  # noqa: PLC0415
        from cindersim.backends.lvm import VolumeGroup  # noqa: PLC0415

        vg = VolumeGroup(meter=Meter())
        total, free = vg.extent_count, vg.free_count
        vg.vgextend("/dev/sdc", 10 * 1024**3)
        assert vg.extent_count == total + (10 * 1024**3 - 1024**2) // (4 * 1024**2)
        assert vg.free_count - free == vg.extent_count - total
        vg.vgreduce("/dev/sdc")
        assert (vg.extent_count, vg.free_count) == (total, free)

    def test_a_pv_in_use_or_the_last_pv_cannot_be_removed(self) -> None:
        import pytest  # noqa: PLC0415

        from cindersim.backends.costs import Meter  # noqa: PLC0415
        from cindersim.backends.lvm import VolumeGroup  # noqa: PLC0415
        from cindersim.errors import ProcessExecutionError  # noqa: PLC0415

        vg = VolumeGroup(pvs=(("/dev/sdb", 4 * 1024**3),), meter=Meter())
        vg.vgextend("/dev/sdc", 4 * 1024**3)
        vg.lvcreate("volume-a", "6g")  # spills onto /dev/sdc
        with pytest.raises(ProcessExecutionError, match="still in use"):
            vg.vgreduce("/dev/sdc")
        with pytest.raises(ProcessExecutionError, match="already in volume group"):
            vg.vgextend("/dev/sdc", 1024**3)


def test_set_capacity_grows_a_thin_pool_with_the_vg() -> None:
    from cindersim import Cloud, simulate  # noqa: PLC0415

    async def main(cloud: Cloud) -> tuple[float, float]:
        svc = next(iter(cloud.volume_services.values()))
        before = svc.driver.get_volume_stats(refresh=True)["pools"][0]["total_capacity_gb"]
        svc.set_capacity(200)
        after = svc.driver.get_volume_stats(refresh=True)["pools"][0]["total_capacity_gb"]
        return before, after

    before, after = simulate(main).value
    assert before == 95.0
    assert 189 < after < 191  # the pool grew by 95% of the added 100 GiB


def test_lv_totals_equal_the_sums_over_lvs_rows() -> None:
    """The capability report's shortcut must give what summing every ``lvs`` row gives."""
    vg = VolumeGroup(pvs=[("/dev/sdb", 50 * GiB)], meter=Meter())
    vg.lvcreate_thin_pool("cinder-volumes-pool", "40g")
    vg.lvcreate_thin("thin-a", "3g", "cinder-volumes-pool")
    vg.lvcreate_thin("thin-b", "1.5g", "cinder-volumes-pool")
    vg.lvcreate("thick", "2g")
    vg.lvcreate_snapshot("snap", "thick", "1g")
    vg.lvextend("thin-a", "5g")
    vg.lvremove("thin-b")
    rows = vg.lv_reports()
    count, pool_gb, others = vg.lv_totals()
    assert count == len(rows) == 4
    assert pool_gb == next(unit_g(r.lv_size) for r in rows if r.lv_name == "cinder-volumes-pool")
    assert round(others, 2) == round(sum(unit_g(r.lv_size) for r in rows
                                         if r.lv_name != "cinder-volumes-pool"), 2) == 5 + 2 + 1
    vg.meter.take()
    assert vg.lvs_totals() == (count, pool_gb, others)
    assert vg.meter.take() == vg.meter.costs.vg_scan  # charged like any lvs


@pytest.mark.parametrize(("name", "stderr"), [
    ("lv", 'Logical Volume "lv" already exists in volume group "cinder-volumes"'),
    ("snapshot_x", 'Names starting "snapshot" are reserved. Please choose a different LV name.'),
    ("pvmove0", 'Names starting "pvmove" are reserved. Please choose a different LV name.'),
    ("", 'Logical volume name "" is invalid.'),
    ("a_tmeta", 'Logical volume name "a_tmeta" is invalid.'),
    ("x_pmspare_y", 'Logical volume name "x_pmspare_y" is invalid.'),
    ("bad name", 'Logical volume name "bad name" is invalid.'),
    ("bad/name", 'Logical volume name "bad/name" is invalid.'),
    ("-lead", 'Logical volume name "-lead" is invalid.'),
])
def test_new_lv_name_checks_in_lvm2_order(name: str, stderr: str) -> None:
    """Duplicate first, then reserved prefixes, then reserved infixes and characters."""
    vg = make_vg()
    vg.lvcreate("lv", "1g")
    with pytest.raises(errors.ProcessExecutionError) as info:
        vg.lvcreate(name, "1g")
    assert info.value.stderr == stderr
    assert vg.lv_names() == ["lv"]


@pytest.mark.parametrize("name", ["ok", "a.b+c_d-e", "_snapshot", "x-"])
def test_valid_lv_names_are_accepted(name: str) -> None:
    vg = make_vg()
    vg.lvcreate(name, "1g")
    assert vg.exists(name)


def recount(vg: VolumeGroup) -> tuple[int, int, float, float, str | None]:
    """``(LVs, COW snapshots, pool GiB, others GiB, first pool)`` from every visible row.

    The loops VolumeGroup ran before it kept tallies: visible LVs in creation
    order, each size as ``lvs`` prints it (COW snapshots: the COW area), the
    pool size from the last pool seen, the others summed as floats.
    """
    rows = [vg.lv_report(n) for n in vg.lv_names()]
    pools = [r for r in rows if r.lv_attr[0] == "t"]
    others = 0.0
    for r in rows:
        if r.lv_attr[0] != "t":
            others += unit_g(r.lv_size)
    return (len(rows), sum(1 for r in rows if r.lv_attr[0] == "s"),
            unit_g(pools[-1].lv_size) if pools else 0.0, others,
            pools[0].lv_name if pools else None)


MIB_SIZES = st.integers(min_value=1, max_value=2500)


class TallyMachine(RuleBasedStateMachine):
    """Every LV-changing command, checked against a recount after each step.

    ``vg_report``, ``lv_totals`` and ``thin_pool_name`` read running tallies;
    a command path that forgot to update them shows up here as a mismatch.
    Sizes are in MiB so that the printed GiB carry real two-decimal rounding.
    """

    def __init__(self) -> None:
        super().__init__()
        self.vg = make_vg()
        self.n = 0

    @initialize(extent=st.sampled_from([4 * MiB, 64 * 1024, 32 * MiB]),
                pvs=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=3))
    def build(self, extent: int, pvs: list[int]) -> None:
        self.vg = VolumeGroup(pvs=[(f"/dev/sd{chr(98 + i)}", g * GiB) for i, g in enumerate(pvs)],
                              meter=Meter(), extent_size=extent)

    def _name(self, prefix: str = "lv") -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _rows(self, kinds: str) -> list[str]:
        return [n for n in self.vg.lv_names() if self.vg.lv_report(n).lv_attr[0] in kinds]

    @rule(size=MIB_SIZES)
    def create_thick(self, size: int) -> None:
        with contextlib.suppress(errors.ProcessExecutionError):
            self.vg.lvcreate(self._name(), f"{size}m")

    @rule(size=MIB_SIZES)
    def create_pool(self, size: int) -> None:
        with contextlib.suppress(errors.ProcessExecutionError):
            self.vg.lvcreate_thin_pool(self._name("pool"), f"{size}m")

    @precondition(lambda self: self._rows("t"))
    @rule(data=st.data(), size=st.integers(min_value=1, max_value=200_000))
    def create_thin(self, data: st.DataObject, size: int) -> None:
        pool = data.draw(st.sampled_from(self._rows("t")))
        self.vg.lvcreate_thin(self._name(), f"{size}m", pool)

    @precondition(lambda self: self._rows("-oV"))
    @rule(data=st.data(), cow=MIB_SIZES)
    def snapshot(self, data: st.DataObject, cow: int) -> None:
        origin = data.draw(st.sampled_from(self._rows("-oV")))
        thin = self.vg.lv_report(origin).lv_attr[0] == "V"
        with contextlib.suppress(errors.ProcessExecutionError):
            self.vg.lvcreate_snapshot(self._name(), origin, None if thin else f"{cow}m")

    @precondition(lambda self: self._rows("o"))
    @rule(data=st.data())
    def overflow_cow(self, data: st.DataObject) -> None:
        """Rewrite a thick origin whole: small COW areas become invalid (sizes stay)."""
        lv = self.vg.data(data.draw(st.sampled_from(self._rows("o"))))
        lv.write(0, lv.size_blocks, 7)

    @precondition(lambda self: self.vg.lv_names())
    @rule(data=st.data(), grow=MIB_SIZES)
    def extend(self, data: st.DataObject, grow: int) -> None:
        name = data.draw(st.sampled_from(self.vg.lv_names()))
        report = self.vg.lv_report(name)
        origin = report.lv_attr[0] == "o"
        if origin:
            self.vg.lvchange(name, activate=False)
        with contextlib.suppress(errors.ProcessExecutionError):
            self.vg.lvextend(name, f"{report.lv_size // MiB + grow}m")
        if origin:
            self.vg.lvchange(name, activate=True)

    @precondition(lambda self: self._rows("s"))
    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        with contextlib.suppress(errors.ProcessExecutionError):  # invalid snapshots refuse
            self.vg.lvconvert_merge(data.draw(st.sampled_from(self._rows("s"))))

    @precondition(lambda self: self.vg.lv_names())
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        self.vg.lvremove(data.draw(st.sampled_from(self.vg.lv_names())), with_dependents=True)

    @invariant()
    def tallies_equal_a_recount(self) -> None:
        count, snaps, pool_gb, others, first_pool = recount(self.vg)
        report = self.vg.vg_report()
        assert (report.lv_count, report.snap_count) == (count, snaps)
        assert self.vg.thin_pool_name() == first_pool
        t_count, t_pool, t_others = self.vg.lv_totals()
        assert (t_count, t_pool) == (count, pool_gb)
        # What Cinder keeps (round(provisioned, 2)) is equal; the tally itself
        # is the exact two-place sum, so it is already that rounded value.
        assert t_others == round(others, 2) == round(t_others, 2)
        exact = sum(round(unit_g(self.vg.lv_report(n).lv_size) * 100)
                    for n in self.vg.lv_names() if self.vg.lv_report(n).lv_attr[0] != "t")
        assert t_others == exact / 100


TestTallyMachine = TallyMachine.TestCase
TestTallyMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
