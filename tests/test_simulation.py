"""The determinism kit: one rng, ids from it, the loop's clock in the trace."""

from __future__ import annotations

import asyncio
import gc
import random
import re
import uuid
import weakref

import pytest

from cindersim.ids import IdFactory, random_uuid, uuid_text
from cindersim.simulation import _YOUNG_THRESHOLD, Simulation

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class TestSimulation:
    def test_ids_are_uuid_shaped_and_seeded(self) -> None:
        a = [Simulation(seed=3).ids.uuid() for _ in range(2)]
        assert a[0] == a[1]
        assert UUID4.match(a[0])
        assert Simulation(seed=4).ids.uuid() != a[0]

    def test_ids_are_what_uuid_makes_of_the_same_bits(self) -> None:
        a, b = random.Random(11), random.Random(11)
        for _ in range(2000):
            assert random_uuid(a) == str(uuid.UUID(int=b.getrandbits(128), version=4))

    def test_the_factory_mints_what_random_uuid_makes(self) -> None:
        f, r = IdFactory(random.Random(7)), random.Random(7)
        for _ in range(2000):
            assert f.uuid() == random_uuid(r)

    def test_draw_gives_the_bits_of_the_next_uuid(self) -> None:
        f, g = IdFactory(random.Random(5)), IdFactory(random.Random(5))
        for _ in range(200):
            assert uuid_text(f.draw()) == g.uuid()
        assert f.issued == g.issued == 200

    def test_uuid_text_sets_the_version_bits_whatever_the_bits(self) -> None:
        r = random.Random(9)
        for _ in range(200):
            bits = r.getrandbits(128)
            text = uuid_text(bits)
            assert text == str(uuid.UUID(int=bits, version=4))
            assert uuid_text(uuid.UUID(text).int) == text  # set already: kept

    def test_id_factory_counts(self) -> None:
        f = IdFactory(random.Random(1))
        f()
        f.uuid()
        assert f.issued == 2

    def test_skip_leaves_the_rng_where_drawing_the_ids_would(self) -> None:
        for n in (0, 1, 4, 9):
            f, g = IdFactory(random.Random(3)), IdFactory(random.Random(3))
            f.uuid()
            g.uuid()
            for _ in range(n):
                f.uuid()
            g.skip(n)
            assert g.issued == f.issued == n + 1
            assert [g.uuid() for _ in range(5)] == [f.uuid() for _ in range(5)]

    def test_uuid_after_skipped_ids_is_the_id_drawing_them_would_give(self) -> None:
        for n in (0, 1, 2, 4, 9):
            f, g = IdFactory(random.Random(11)), IdFactory(random.Random(11))
            for _ in range(n):
                f.uuid()
            assert g.uuid(n) == f.uuid()
            assert g.issued == f.issued == n + 1
            assert [g.uuid() for _ in range(3)] == [f.uuid() for _ in range(3)]

    def test_run_can_be_called_repeatedly_on_one_clock(self) -> None:
        with Simulation() as sim:
            sim.run(asyncio.sleep, 10)
            sim.run(asyncio.sleep(5))
            assert sim.now() == 15.0

    def test_trace_is_stamped_with_virtual_time(self) -> None:
        with Simulation() as sim:
            async def main() -> None:
                await asyncio.sleep(42)
                sim.trace.emit("k", "a", "late")

            sim.run(main)
            assert sim.trace.events[0].time == 42.0


def test_at_close_runs_after_the_trace_closes_and_before_the_loop() -> None:
    sim = Simulation()
    seen: list[tuple[str, bool]] = []
    sim.at_close(lambda: seen.append((sim.trace.mode, sim.loop.is_closed())))
    sim.run(asyncio.sleep, 1)
    sim.close()
    assert seen == [("off", False)]
    assert sim.loop.is_closed()


def test_young_collections_are_spaced_only_while_a_run_runs() -> None:
    """A big run spends a tenth of its time in young collections at CPython's
    default threshold; the simulation spaces them during run() and restores the
    process's own setting after, also when the run raises."""
    seen: list[tuple[int, int, int]] = []

    async def main() -> None:
        seen.append(gc.get_threshold())

    async def fails() -> None:
        seen.append(gc.get_threshold())
        raise ValueError("boom")

    old = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with Simulation() as sim:
            sim.run(main)
            assert gc.get_threshold() == (700, 10, 10)
            with pytest.raises(ValueError, match="boom"):
                sim.run(fails)
            assert gc.get_threshold() == (700, 10, 10)
        assert seen == [(_YOUNG_THRESHOLD, 10, 10)] * 2
        gc.set_threshold(0, 10, 10)  # collection turned off by the process: left off
        with Simulation() as sim:
            sim.run(main)
        assert seen[-1] == (0, 10, 10)
    finally:
        gc.set_threshold(*old)


class _Cycle:
    """Cyclic garbage once dropped: only the collector reclaims it."""

    def __init__(self) -> None:
        self.me = self


def test_a_young_collection_in_a_run_leaves_what_was_alive_alone() -> None:
    """Objects alive when a young collection starts are frozen out of it (and of
    later young ones); a full collection sees everything again and reclaims the
    cycles among them; the run's end unfreezes whatever is left."""
    seen: dict[str, object] = {}

    async def main() -> None:
        kept = _Cycle()
        gc.collect(0)  # a young collection: what is alive now is frozen first
        seen["frozen while running"] = gc.get_freeze_count()
        seen["kept is tracked"] = gc.is_tracked(kept)
        dropped = weakref.ref(kept)
        del kept
        gc.collect(0)  # frozen: no young collection reclaims the dropped cycle
        seen["young collection reclaims it"] = dropped() is None
        gc.collect()  # a full one unfreezes first, as the process would expect
        seen["full collection reclaims it"] = dropped() is None

    with Simulation() as sim:
        sim.run(main)
        assert gc.get_freeze_count() == 0  # unfrozen at the run's end
    assert seen == {"frozen while running": seen["frozen while running"],
                    "kept is tracked": True, "young collection reclaims it": False,
                    "full collection reclaims it": True}
    frozen = seen["frozen while running"]
    assert isinstance(frozen, int)
    assert frozen > 0


def test_objects_frozen_by_the_process_are_left_frozen() -> None:
    """A process that froze its objects (before a fork) keeps them frozen: the run
    neither adds to them nor unfreezes them."""
    async def main() -> int:
        gc.collect(0)
        return gc.get_freeze_count()

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with Simulation() as sim:
            during = sim.run(main)
        assert before > 0
        assert during == before
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_a_paced_run_does_not_freeze() -> None:
    async def main() -> int:
        gc.collect(0)
        return gc.get_freeze_count()

    with Simulation(speed=1000.0) as sim:
        assert sim.run(main) == 0
