"""A state machine's steps as a Python scenario that replays them exactly.

A simulation is a pure function of its seed and inputs, so the requests a
failing Hypothesis run made, in order and with the same seed, reproduce the
failure: ids, tokens and timings come out the same.  :class:`StepLog` records
each step as one line of Python and renders a script a user can paste into a
test (or run with ``python``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

import attrs

__all__ = ["StepLog", "at_most", "bounded"]

T = TypeVar("T")


async def at_most(request: Awaitable[T], seconds: float) -> T | None:
    """Await *request* for at most *seconds* of virtual time; past that, return None and
    leave it running, as a client that gave up leaves the server's work going on (the
    machine and its replay both use this, so both interleave the same way)."""
    task = asyncio.ensure_future(request)
    done, _ = await asyncio.wait([task], timeout=seconds)
    return task.result() if done else None


async def bounded(coro: Awaitable[T], seconds: float) -> T:
    """*coro* under a virtual-time deadline (in the step's own task: no new task, so
    the interleaving, and the replay, are the same as without the bound)."""
    async with asyncio.timeout(seconds):
        return await coro


@attrs.define
class StepLog:
    """The steps one machine run took, as lines of Python inside ``async def scenario``."""

    seed: int
    config: Any = None
    lines: list[str] = attrs.Factory(list)

    def request(self, method: str, path: str, body: Any, user: str,
                headers: dict[str, str] | None, patience: float | None = None) -> None:
        args = [repr(method), repr(path)]
        if body is not None:
            args.append(f"json={_py(body)}")
        args.append(f"token=tokens[{user!r}]")
        if headers:
            args.append(f"headers={headers!r}")
        call = f"cloud.request({', '.join(args)})"
        self.lines.append(f"r = await {call}" if patience is None else
                          f"r = await at_most({call}, {patience!r})")

    def code(self, line: str) -> None:
        self.lines.append(line)

    def script(self) -> str:
        body = "\n".join(f"    {line}" for line in self.lines) or "    pass"
        return (
            "import cindersim\n"
            "from cindersim import FaultRule, MessageFault\n"
            "from cindersim.testing.replay import at_most\n\n"
            f"CONFIG = {_py(self.config)}\n\n\n"
            "async def scenario(cloud):\n"
            "    tokens = {u: cloud.token(u) for u in ('demo', 'alt_demo', 'admin')}\n"
            f"{body}\n\n\n"
            f"result = cindersim.simulate(scenario, seed={self.seed}, config=CONFIG)\n")


def _py(value: Any) -> str:
    """A Python literal for JSON-like data (true/false/null spelled the Python way)."""
    return repr(json.loads(json.dumps(value))) if value is not None else "None"
