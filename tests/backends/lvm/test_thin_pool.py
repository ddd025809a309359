"""Thin pools against lvm2/dm-thin: chunks, sharing, full pools, discards."""

from __future__ import annotations

import pytest

from cindersim import errors
from cindersim.backends.blocks import BLOCK_SIZE, BlockData, GiB
from cindersim.backends.costs import Meter
from cindersim.backends.lvm import (
    ThinPoolFullError,
    VolumeGroup,
    thin_pool_layout,
    unit_g,
)

BLOCKS_PER_GIB = GiB // BLOCK_SIZE


def make_vg(size: int = 10 * GiB, **kw: object) -> VolumeGroup:
    return VolumeGroup(pvs=[("/dev/sdb", size)], meter=Meter(), **kw)  # type: ignore[arg-type]


def conserved(vg: VolumeGroup) -> bool:
    return vg.free_count + vg.allocated_extents() == vg.extent_count


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
