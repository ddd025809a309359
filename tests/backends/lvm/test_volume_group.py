"""The LVM model against lvm2's behaviour (extents, COW, thin pools, reports)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
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
    ThinPoolFullError,
    VolumeGroup,
    parse_size,
    unit_g,
)
from cindersim.backends.lvm.sizes import extents_for

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

    def test_extents_for_rounds_up_to_whole_extents(self) -> None:
        assert extents_for("1g", 4 * MiB) == 256
        assert extents_for("10m", 4 * MiB) == 3
        assert extents_for("10m", 32 * MiB) == 1  # the same text, another PE size
        assert extents_for(0, 4 * MiB) == 1  # never no extent
        assert extents_for(4 * MiB + 1, 4 * MiB) == 2
        for _ in range(2):  # a refusal is not cached as an answer
            with pytest.raises(errors.ProcessExecutionError, match="Invalid argument"):
                extents_for("1q", 4 * MiB)

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


def test_thin_sizes_stay_right_across_many_sizes_and_extent_sizes() -> None:
    """A thin LV's size (and the tallies) come from a per-VG memo of its -V argument:
    right for each VG's own extent size, for ints and texts, and past the memo's bound."""
    for extent_size in (4 * MiB, 32 * MiB):
        vg = make_vg(extent_size=extent_size)
        vg.lvcreate_thin_pool("pool", "8g")
        seen: list[str] = []
        vg.meter.bind(lambda component, op, summary, seconds, detail, seen=seen:
                      seen.append(summary))
        args: list[int | str] = [f"{m}m" for m in range(1, 150)] * 2 + [5 * MiB, "5m", "1g"]
        for n, arg in enumerate(args):
            vg.lvcreate_thin(f"v{n}", arg, "pool")
            expected = extents_for(arg, extent_size) * extent_size
            assert vg.lv_report(f"v{n}").lv_size == expected
            assert len(vg._thin_sizes) <= 64  # bounded
            text = arg if isinstance(arg, str) else f"{arg}b"
            assert seen[-1] == f"lvcreate -T -V {text} -n v{n} cinder-volumes/pool"
        count, _, _, others, _ = recount(vg)
        assert vg.lv_totals()[0] == count
        assert round(vg.lv_totals()[2], 2) == round(others, 2)
        with pytest.raises(errors.ProcessExecutionError):
            vg.lvcreate_thin("bad", "lots", "pool")


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


class TestLazyContent:
    """An LV's data and containers exist only once used (issue 19: memory per volume)."""

    def test_linear_data_comes_on_first_use_at_the_current_size(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        lv = vg._lvs["volume-1"]
        assert lv.data is None  # nothing read or written yet
        vg.lvextend("volume-1", "2g")
        data = vg.data("volume-1")
        assert data.size_blocks == 2 * BLOCKS_PER_GIB  # as if created then grown
        assert vg.data("volume-1") is data
        data.write(0, 4, "x")
        assert data.read(0) != 0

    def test_thin_lv_maps_chunks_into_a_map_of_its_own(self) -> None:
        vg = make_vg()
        vg.lvcreate_thin_pool("cinder-volumes-pool", "5g")
        vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
        vg.lvcreate_thin("volume-2", "1g", "cinder-volumes-pool")
        one, two = vg._lvs["volume-1"], vg._lvs["volume-2"]
        assert one.chunk_map is two.chunk_map  # the shared empty
        vg.data("volume-1").write(0, 1, "x")
        assert len(one.chunk_map) == 1
        assert two.chunk_map == {}
        assert one.pool is vg._lvs["cinder-volumes-pool"].name

    def test_snapshot_of_an_untouched_origin_books_cow_in_its_own_set(self) -> None:
        vg = make_vg()
        vg.lvcreate("volume-1", "1g")
        vg.lvcreate_snapshot("snap-1", "volume-1", "1g")
        origin, snap = vg._lvs["volume-1"], vg._lvs["snap-1"]
        assert origin.snapshots == ["snap-1"]
        vg.data("volume-1").write(0, 1, "y")
        assert len(snap.cow_blocks) == 1
        assert vg._lvs["volume-1"].cow_blocks == set()
        assert vg.data("snap-1").read(0) == 0  # the snapshot kept the zeros


@pytest.mark.parametrize(("name", "stderr"), [
    ("lv", 'Logical Volume "lv" already exists in volume group "cinder-volumes"'),
    ("snapshot_x", 'Names starting "snapshot" are reserved. Please choose a different LV name.'),
    ("a_tmeta", 'Logical volume name "a_tmeta" is invalid.'),
    ("-lead", 'Logical volume name "-lead" is invalid.'),
])
def test_thin_lv_names_are_checked_like_thick_ones(name: str, stderr: str) -> None:
    """lvcreate -T refuses a name in lvm2's words, charged like any failed lvcreate."""
    vg = make_vg()
    vg.lvcreate_thin_pool("pool", "4g")
    vg.lvcreate_thin("lv", "1g", "pool")
    vg.meter.take()
    with pytest.raises(errors.ProcessExecutionError) as info:
        vg.lvcreate_thin(name, "1g", "pool")
    assert info.value.stderr == stderr
    assert info.value.cmd == f"lvcreate -T -V 1g -n {name} cinder-volumes/pool"
    assert vg.meter.take() == vg.meter.costs.lvcreate
    for pool in ("nope", "lv"):  # missing, or not a pool
        with pytest.raises(errors.ProcessExecutionError) as info:
            vg.lvcreate_thin("fine", "1g", pool)
        assert info.value.stderr == f"Thin pool cinder-volumes/{pool} not found."
    assert not vg.exists("fine")


@settings(max_examples=300)
@given(st.text(alphabet="ab-_+.x /svnopatmehkcdgr\n", max_size=14)
       | st.sampled_from(["snapshot", "pvmove1", "a_tdata", "_vorigin", "v_rmeta_x"]))
def test_name_problem_is_lvm2_rules(name: str) -> None:
    """The one-scan fast path never lets through a name the rules refuse."""
    from cindersim.backends.lvm.logical_volume import (  # noqa: PLC0415
        _RESERVED_INFIXES,
        RESERVED_PREFIXES,
        name_problem,
    )
    allowed = (bool(name) and not name.startswith((*RESERVED_PREFIXES, "-"))
               and not any(i in name for i in _RESERVED_INFIXES)
               and all(c.isascii() and (c.isalnum() or c in "+_.-") for c in name))
    assert (name_problem(name) is None) == allowed


def test_plain_names_need_no_infix_scan() -> None:
    """The fast path allows no ``_``: sound only while every reserved infix starts so."""
    from cindersim.backends.lvm.logical_volume import (  # noqa: PLC0415
        _RESERVED_INFIXES,
        PLAIN_NAME_RE,
        name_problem,
    )
    assert all(i.startswith("_") for i in _RESERVED_INFIXES)
    assert PLAIN_NAME_RE.fullmatch("volume-0b7d9a3c-5e2f-4c1a-9d8e-112233445566")
    assert not PLAIN_NAME_RE.fullmatch("_snapshot-1")
    assert name_problem("_snapshot-1") is None  # allowed, by the rules one by one


def test_thin_create_reports_only_to_a_reader() -> None:
    """Without a reader the seconds alone are added; with one, the command line too."""
    seen: list[str] = []
    quiet, loud = make_vg(), make_vg()
    loud.meter.bind(lambda component, op, summary, seconds, detail: seen.append(summary))
    for vg in (quiet, loud):
        vg.lvcreate_thin_pool("pool", "4g")
        vg.meter.take()
        vg.lvcreate_thin("volume-1", "2g", "pool")
        assert vg.meter.take() == vg.meter.costs.lvcreate
    assert seen[-1] == "lvcreate -T -V 2g -n volume-1 cinder-volumes/pool"
    assert quiet.lv_reports() == loud.lv_reports()


class _Reports:
    """A recorder keeping what it is handed; *wanted* answers :attr:`Meter.reports`."""

    def __init__(self, wanted: bool) -> None:
        self.got: list[tuple[str, str, str, float, dict[str, object]]] = []
        self.wanted = lambda: wanted

    def __call__(self, component: str, op: str, summary: str, seconds: float,
                 detail: dict[str, object]) -> None:
        self.got.append((component, op, summary, seconds, detail))


@pytest.mark.parametrize("wanted", [True, False])
def test_a_thin_lvcreate_charges_and_reports_as_meter_charge_would(wanted: bool) -> None:
    """lvcreate_thin adds its cost and reports it itself (Meter.charge inline): the same
    seconds, and the report charge would make, only for a recorder that wants it."""
    vg = make_vg()
    vg.lvcreate_thin_pool("cinder-volumes-pool", "5g")
    seen = _Reports(wanted)
    vg.meter.bind(seen)
    before_pending, before_total = vg.meter.pending, vg.meter.total
    vg.lvcreate_thin("volume-1", "1g", "cinder-volumes-pool")
    cost = vg.meter.costs.lvcreate
    assert vg.meter.pending == before_pending + cost
    assert vg.meter.total == before_total + cost
    cmd = "lvcreate -T -V 1g -n volume-1 cinder-volumes/cinder-volumes-pool"
    expected = [("lvm", "lvcreate", cmd,
                 cost, {"lv": "volume-1", "thin": True, "virtual_size": GiB})]
    assert seen.got == (expected if wanted else [])
