"""Bus throughput against the bare alternatives a what-if user might pick.

Prints, in one run:
* RPC ``call`` round trips per wall second through cindersim's bus (trace on
  and off);
* the same request/reply over a bare anyio memory object stream on the same
  virtual-time loop (the floor any bus on asyncio pays);
* a simpy.Store ping-pong, when simpy is installed (``pip install -e '.[bench]'``);
* wall seconds to simulate one virtual day of a service that wakes every second.

Targets (issue 2): bus >= 1/3 of the bare figure and >= 50,000 round trips/s;
one virtual day in < 1 s.  Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio

from cindersim.bus import Bus, Message, Target
from cindersim.clock import VirtualTimeLoop
from cindersim.simulation import Simulation

N = 50_000


def best_of(fn: Any, repeat: int = 3) -> float:
    return min(fn() for _ in range(repeat))


def bus_round_trips(trace_mode: str) -> float:
    with Simulation(seed=1, trace_mode=trace_mode) as sim:  # type: ignore[arg-type]
        bus = Bus(sim.loop, sim.trace, sim.rng, latency=0.001)
        target = Target("cinder-volume", "h@b")

        async def handler(msg: Message) -> Any:
            return msg.args["n"]

        bus.consume("cinder-volume", handler, server="h@b")

        async def main() -> float:
            t = time.perf_counter()
            for n in range(N):
                await bus.call("api", target, "ping", n=n)
            return time.perf_counter() - t

        return N / sim.run(main)


def bare_anyio_round_trips() -> float:
    async def main() -> float:
        req_s, req_r = anyio.create_memory_object_stream[int](0)
        rep_s, rep_r = anyio.create_memory_object_stream[int](0)

        async def server() -> None:
            async for n in req_r:
                await anyio.sleep(0.001)
                await rep_s.send(n)

        async with anyio.create_task_group() as tg:
            tg.start_soon(server)
            t = time.perf_counter()
            for n in range(N):
                await req_s.send(n)
                await rep_r.receive()
            elapsed = time.perf_counter() - t
            tg.cancel_scope.cancel()
        return N / elapsed

    result: float = anyio.run(main, backend="asyncio",
                              backend_options={"loop_factory": VirtualTimeLoop})
    return result


def simpy_round_trips() -> float | None:
    try:
        import simpy  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    env = simpy.Environment()
    req, rep = simpy.Store(env), simpy.Store(env)

    def server() -> Any:
        while True:
            n = yield req.get()
            yield env.timeout(0.001)
            yield rep.put(n)

    def client() -> Any:
        for n in range(N):
            yield req.put(n)
            yield rep.get()

    env.process(server())
    proc = env.process(client())
    t = time.perf_counter()
    env.run(until=proc)
    return N / (time.perf_counter() - t)


def one_virtual_day() -> float:
    async def service() -> None:
        for _ in range(86_400):
            await asyncio.sleep(1.0)

    t = time.perf_counter()
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        runner.run(service())
    return time.perf_counter() - t


def main() -> None:
    bus_off = best_of(lambda: bus_round_trips("off"))
    bus_full = best_of(lambda: bus_round_trips("full"))
    bare = best_of(bare_anyio_round_trips)
    sp = simpy_round_trips()
    print(f"bus call round trips/s (trace off):  {bus_off:>10,.0f}")
    print(f"bus call round trips/s (trace full): {bus_full:>10,.0f}")
    print(f"bare anyio stream round trips/s:     {bare:>10,.0f}")
    print(f"bus / bare (trace off):              {bus_off / bare:>10.2f}   (target >= 0.33)")
    if sp is None:
        print("simpy.Store ping-pong round trips/s:        n/a (pip install -e '.[bench]')")
    else:
        print(f"simpy.Store ping-pong round trips/s: {sp:>10,.0f}")
    day = best_of(one_virtual_day)
    print(f"one virtual day, 1 wake-up/s:        {day:>10.3f} s wall   (target < 1 s)")


if __name__ == "__main__":
    main()
