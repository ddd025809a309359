"""Periodic calls: one timer per (period, start), callbacks in registration order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cindersim.simulation import Simulation


def test_callbacks_of_one_period_share_a_timer_and_keep_their_order() -> None:
    with Simulation() as sim:
        seen: list[tuple[float, str]] = []

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for name in ("b", "a", "c"):
                sim.periodic.every(60, lambda name=name: seen.append((loop.time(), name)))
            sim.periodic.every(25, lambda: seen.append((loop.time(), "q")))
            await asyncio.sleep(130)
            assert len(loop._timers) == 2  # type: ignore[attr-defined]  # one per period

        sim.run(main)
    assert seen == [(25.0, "q"), (50.0, "q"), (60.0, "b"), (60.0, "a"), (60.0, "c"),
                    (75.0, "q"), (100.0, "q"), (120.0, "b"), (120.0, "a"), (120.0, "c"),
                    (125.0, "q")]


def test_a_failing_callback_is_reported_and_the_others_still_run() -> None:
    with Simulation() as sim:
        ran: list[float] = []
        reported: list[dict[str, Any]] = []

        def boom() -> None:
            raise RuntimeError("report failed")

        async def main() -> None:
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
            sim.periodic.every(10, boom)
            sim.periodic.every(10, lambda: ran.append(loop.time()))
            await asyncio.sleep(25)

        sim.run(main)
    assert ran == [10.0, 20.0]
    assert [str(c["exception"]) for c in reported] == ["report failed"] * 2


def test_the_period_must_be_positive() -> None:
    with Simulation() as sim, pytest.raises(ValueError, match="positive"):
        sim.periodic.every(0, lambda: None)
