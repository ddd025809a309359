"""COW snapshots against lvm2/dm-snapshot: exceptions, overflow, merge."""

from __future__ import annotations

import pytest

from cindersim import errors
from cindersim.backends.blocks import BLOCK_SIZE, GiB, MiB
from cindersim.backends.costs import Meter
from cindersim.backends.lvm import (
    SNAPSHOT_CHUNK_SIZE,
    SnapshotInvalidError,
    VolumeGroup,
    cow_exception_capacity,
)

BLOCKS_PER_GIB = GiB // BLOCK_SIZE


def make_vg(size: int = 10 * GiB, **kw: object) -> VolumeGroup:
    return VolumeGroup(pvs=[("/dev/sdb", size)], meter=Meter(), **kw)  # type: ignore[arg-type]


def conserved(vg: VolumeGroup) -> bool:
    return vg.free_count + vg.allocated_extents() == vg.extent_count


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
