"""A small program over loop, bus, ids and trace; prints its JSONL trace.

Run as a script by test_determinism.py in subprocesses with different
PYTHONHASHSEEDs: the output must not change.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from cindersim.bus import Bus, Message, Target
from cindersim.simulation import Simulation


def program(seed: int) -> str:
    with Simulation(seed=seed) as sim:
        bus = Bus(sim.loop, sim.trace, sim.rng, latency=lambda m: 0.001 + sim.rng.random() / 100)
        volumes: dict[str, Any] = {}

        async def volume(msg: Message) -> Any:
            await asyncio.sleep(sim.rng.uniform(0.1, 2.0))
            vid = sim.ids.uuid()
            volumes[vid] = msg.args["size"]
            sim.trace.emit("status", "cinder-volume", f"volume {vid} available",
                           resource=f"volume:{vid}", new="available",
                           tags=sorted({"b", "a", "c"}))
            return vid

        async def scheduler(msg: Message) -> Any:
            await asyncio.sleep(0.05)
            server = f"host{msg.args['size'] % 3}@lvm"
            return await bus.call("cinder-scheduler", Target("cinder-volume", server),
                                  "create_volume", size=msg.args["size"])

        bus.consume("cinder-scheduler", scheduler)
        for i in range(3):
            bus.consume("cinder-volume", volume, server=f"host{i}@lvm")

        async def main() -> None:
            async with asyncio.TaskGroup() as tg:
                for size in range(1, 30):
                    tg.create_task(bus.call("cinder-api", Target("cinder-scheduler"),
                                            "schedule", size=size))
            await bus.quiescent()

        sim.run(main)
        return sim.trace.to_jsonl()


if __name__ == "__main__":
    sys.stdout.write(program(int(sys.argv[1])))
