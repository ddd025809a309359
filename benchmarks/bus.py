"""The bus against the bare alternatives, all measured in this run.

One round trip is two virtual hops of 1 ms each, in every variant:

* cindersim ``Bus.call`` (request to a handler, its reply back), trace off and full;
* cindersim ``Bus.cast`` ping-pong: two handlers casting to each other;
* ``asyncio.Queue`` ping-pong on the same virtual-time loop: each side waits
  1 ms (``asyncio.sleep``) and puts on the other's queue;
* ``simpy.Store`` ping-pong: each side ``env.timeout(0.001)`` then ``put``.

Targets (issue 19): call round trip >= 1.0x simpy.Store ping-pong.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from _table import Row, best_rate, now, render

from cindersim.bus import Bus, Message, target_of
from cindersim.simulation import Simulation

N = 30_000
HOP = 0.001


def bus_calls(trace_mode: str, n: int = N) -> float:
    """Round trips per CPU second."""
    with Simulation(seed=1, trace_mode=trace_mode) as sim:  # type: ignore[arg-type]
        bus = Bus(sim.loop, sim.trace, sim.rng, latency=HOP)
        target = target_of("cinder-volume", "h@b")

        async def handler(msg: Message) -> Any:
            return msg.args["n"]

        bus.consume("cinder-volume", handler, server="h@b")

        async def main() -> float:
            t = now()
            for i in range(n):
                await bus.call("api", target, "ping", n=i)
            return now() - t

        elapsed = sim.run(main)
        assert sim.now() > n * 2 * HOP * 0.999, sim.now()
        return n / elapsed


def bus_casts(n: int = N) -> float:
    """Cast ping-pong round trips (two casts) per CPU second."""
    with Simulation(seed=1, trace_mode="off") as sim:
        bus = Bus(sim.loop, sim.trace, sim.rng, latency=HOP)
        ping, pong = target_of("ping"), target_of("pong")
        count = [0]

        async def on_ping(msg: Message) -> None:
            bus.cast("b", pong, "pong", n=msg.args["n"])

        async def on_pong(msg: Message) -> None:
            count[0] += 1
            if msg.args["n"] < n:
                bus.cast("a", ping, "ping", n=msg.args["n"] + 1)

        bus.consume("ping", on_ping)
        bus.consume("pong", on_pong)

        async def main() -> float:
            t = now()
            bus.cast("a", ping, "ping", n=1)
            await bus.quiescent()
            return now() - t

        elapsed = sim.run(main)
        assert count[0] == n, count
        return n / elapsed


def queue_ping_pong(n: int = N) -> float:
    """asyncio.Queue ping-pong on the virtual-time loop: round trips per CPU second."""
    async def main() -> float:
        req: asyncio.Queue[int] = asyncio.Queue()
        rep: asyncio.Queue[int] = asyncio.Queue()

        async def server() -> None:
            while True:
                i = await req.get()
                await asyncio.sleep(HOP)
                rep.put_nowait(i)

        task = asyncio.create_task(server())
        t = now()
        for i in range(n):
            await asyncio.sleep(HOP)
            req.put_nowait(i)
            assert await rep.get() == i
        elapsed = now() - t
        task.cancel()
        return n / elapsed

    with Simulation(seed=1, trace_mode="off") as sim:
        return sim.run(main)


def simpy_ping_pong(n: int = N) -> float | None:
    """simpy.Store ping-pong with the same two 1 ms hops: round trips per CPU second."""
    try:
        import simpy  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    env = simpy.Environment()
    req, rep = simpy.Store(env), simpy.Store(env)

    def server() -> Any:
        while True:
            i = yield req.get()
            yield env.timeout(HOP)
            yield rep.put(i)

    def client() -> Any:
        for i in range(n):
            yield env.timeout(HOP)
            yield req.put(i)
            got = yield rep.get()
            assert got == i

    env.process(server())
    proc = env.process(client())
    t = now()
    env.run(until=proc)
    return n / (now() - t)


def figures() -> list[Row]:
    sp = best_rate(lambda: simpy_ping_pong() or 0.0, label="simpy.Store ping-pong") or None
    queue = best_rate(queue_ping_pong, label="asyncio.Queue ping-pong")
    call_off = best_rate(lambda: bus_calls("off"), label="bus calls, trace off")
    call_full = best_rate(lambda: bus_calls("full"), label="bus calls, trace full")
    casts = best_rate(bus_casts, label="bus cast ping-pong")
    peer, ref = ("simpy.Store ping-pong", sp) if sp else ("asyncio.Queue ping-pong", queue)
    return [
        Row("bus", "call round trips, trace off", call_off, "/CPU s", peer, ref, ">= 1.0x simpy"),
        Row("bus", "call round trips, trace full", call_full, "/CPU s", peer, ref),
        Row("bus", "cast ping-pong round trips", casts, "/CPU s", peer, ref),
        Row("bus", "call round trips, trace off", call_off, "/CPU s", "asyncio.Queue ping-pong",
            queue),
        *([Row("bus", "asyncio.Queue ping-pong (virtual loop)", queue, "/CPU s",
               "simpy.Store ping-pong", sp)] if sp else []),
    ]


if __name__ == "__main__":
    if "--profile" in sys.argv:
        import cProfile
        import pstats
        cProfile.run("bus_calls('off')", "/tmp/bus.prof")
        pstats.Stats("/tmp/bus.prof").sort_stats("tottime").print_stats(12)
    else:
        print(render(figures()))
