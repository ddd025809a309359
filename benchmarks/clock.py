"""Virtual timers against SimPy's (and salabim's), all measured in this run.

* ``asyncio.sleep`` wake-ups on the virtual-time loop: 100 tasks, each sleeping
  1 virtual second in a loop;
* ``cindersim.clock.sleep`` (what the simulator's own costs use), the same;
* ``loop.call_at`` callbacks: 100 chains, each callback setting the next;
* SimPy ``env.timeout``: 100 processes, each ``yield env.timeout(1)`` in a loop;
* salabim ``hold(1)``: 100 components, when salabim is installed.

Targets (issue 19): a virtual sleep >= 0.5x a SimPy timeout.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from _table import Row, best_rate, note, now, render

from cindersim.clock import VirtualTimeLoop
from cindersim.clock import sleep as clock_sleep

WORKERS = 100
ROUNDS = 1000
EVENTS = WORKERS * ROUNDS


def _on_loop(main: Callable[[], Coroutine[Any, Any, None]]) -> float:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        t = now()
        runner.run(main())
        elapsed = now() - t
        assert runner.get_loop().time() == float(ROUNDS)
    return EVENTS / elapsed


def asyncio_sleeps() -> float:
    async def worker() -> None:
        for _ in range(ROUNDS):
            await asyncio.sleep(1.0)

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(WORKERS)))

    return _on_loop(main)


def clock_sleeps() -> float:
    async def worker() -> None:
        for _ in range(ROUNDS):
            await clock_sleep(1.0)

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(WORKERS)))

    return _on_loop(main)


def call_at_chains() -> float:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        left = [WORKERS]

        def tick(n: int) -> None:
            if n == ROUNDS:
                left[0] -= 1
                if not left[0]:
                    done.set_result(None)
                return
            loop.call_at(loop.time() + 1.0, tick, n + 1)

        for _ in range(WORKERS):
            loop.call_at(1.0, tick, 1)
        await done

    return _on_loop(main)


def simpy_timeouts() -> float | None:
    try:
        import simpy  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    env = simpy.Environment()

    def worker() -> Any:
        for _ in range(ROUNDS):
            yield env.timeout(1.0)

    for _ in range(WORKERS):
        env.process(worker())
    t = now()
    env.run()
    elapsed = now() - t
    assert env.now == ROUNDS
    return EVENTS / elapsed


def salabim_holds() -> float | None:
    try:
        import salabim as sim  # noqa: PLC0415 - optional, a peer only
    except ImportError:
        return None
    sim.yieldless(False)
    env = sim.Environment(trace=False, random_seed=1)

    class Worker(sim.Component):  # type: ignore[misc]
        def process(self) -> Any:
            for _ in range(ROUNDS):
                yield self.hold(1.0)

    for _ in range(WORKERS):
        Worker(env=env)
    t = now()
    env.run()
    return EVENTS / (now() - t)


def figures() -> list[Row]:
    sp = best_rate(lambda: simpy_timeouts() or 0.0, label="SimPy timeouts") or None
    note("salabim holds")
    sal = salabim_holds()
    aio = best_rate(asyncio_sleeps, label="asyncio.sleep")
    lean = best_rate(clock_sleeps, label="clock.sleep")
    chains = best_rate(call_at_chains, label="call_at chains")
    rows = [
        Row("clock", "asyncio.sleep wake-ups", aio, "/CPU s", "SimPy timeouts", sp,
            ">= 0.5x simpy"),
        Row("clock", "cindersim.clock.sleep wake-ups", lean, "/CPU s", "SimPy timeouts", sp,
            ">= 0.5x simpy"),
        Row("clock", "call_at callbacks", chains, "/CPU s", "SimPy timeouts", sp),
    ]
    if sal:
        rows.append(Row("clock", "asyncio.sleep wake-ups", aio, "/CPU s", "salabim holds", sal))
    return rows


if __name__ == "__main__":
    if "--profile" in sys.argv:
        import cProfile
        import pstats
        cProfile.run("asyncio_sleeps()", "/tmp/clock.prof")
        pstats.Stats("/tmp/clock.prof").sort_stats("tottime").print_stats(10)
    else:
        print(render(figures()))
