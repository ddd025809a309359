"""The virtual-time event loop.

An asyncio loop whose ``time()`` is a number we own.  When nothing is ready to
run, instead of sleeping until the next timer it *jumps* to it, so a simulation
of hours finishes in milliseconds and never depends on how fast the machine is.
asyncio's own sleeps, timeouts and futures, and anyio on the asyncio backend,
all read ``loop.time()`` and so all follow the virtual clock.

Three facts shape the implementation (see simulation-notes.md):

* ``BaseEventLoop._run_once`` passes the selector a positive timeout only when
  no callback is ready, so wrapping ``select`` is the single seam we need.  A
  ``None`` timeout there means no timer exists and nothing can ever wake the
  loop: in a closed simulation that is a deadlock, and we raise instead of hang.
* ``_run_once`` fires a timer when ``when < time() + clock_resolution``.  Past
  2**24 s (~194 days) adding 1e-9 to the clock is absorbed by float rounding and
  a due timer would never fire.  Each jump widens the resolution to one ulp of
  the new time, so deadlines stay exact for centuries of virtual time.
* Real I/O, threads and subprocesses would make a run depend on the world
  outside; in virtual mode they raise :class:`RealIOForbidden`.  *Paced* mode
  (virtual time = wall time x speed) allows them, because a paced simulation is
  one real clients talk to.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import selectors
import time as _walltime
from collections.abc import Callable
from typing import Any

from .errors import SimulationError

__all__ = ["Deadlock", "RealIOForbidden", "VirtualTimeLoop", "virtual_loop_factory"]


_SELECT_RESOLUTION = 1e-3
"""Real selectors (epoll, poll) block for whole milliseconds."""


class Deadlock(SimulationError):
    """Nothing is ready and no timer is set: the simulation can never progress."""


class RealIOForbidden(SimulationError):
    """A simulation tried to touch the real world (socket, thread, subprocess)."""


_POLL_EVERY = 64
"""Clock jumps between two looks at the self-pipe in virtual mode."""


class _VirtualSelector(selectors.BaseSelector):
    """Wraps the real selector; turns 'block for t seconds' into a clock jump."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()
        self.loop: VirtualTimeLoop | None = None
        self._jumps_since_poll = 0

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Any:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        loop = self.loop
        assert loop is not None
        if loop.speed is not None:
            # Paced: really wait, but scaled, so virtual time keeps following wall time.
            real_timeout = None if timeout is None else timeout / loop.speed
            if real_timeout is not None and real_timeout < _SELECT_RESOLUTION:
                # epoll/poll block for whole milliseconds (rounded up), and a short
                # sleep oversleeps too: a 2 ms virtual latency at speed 60 would last
                # 60 virtual ms.  Poll without blocking; the loop comes straight back
                # with a shorter timeout until the timer is due.
                return self._real.select(0)
            return self._real.select(real_timeout)
        if timeout == 0:
            # Callbacks are ready.  In virtual mode the only registered fd is
            # the loop's self-pipe (signals, call_soon_threadsafe), so we skip
            # the syscall here and look at it only when the clock would jump.
            return []
        # Before a jump, glance at the self-pipe; a callback another thread or a
        # signal handler queued is already in the ready list, so a cheap look every
        # _POLL_EVERY jumps is enough to keep the pipe drained (and a deadlock check
        # always looks, so a pending wake-up is never mistaken for one).
        self._jumps_since_poll += 1
        if timeout is None or self._jumps_since_poll >= _POLL_EVERY:
            self._jumps_since_poll = 0
            events = self._real.select(0)
            if events:
                return events
        if timeout is None:
            raise Deadlock(
                f"deadlock at virtual time {loop.time():.6f}s: no task can run and no timer "
                "is pending (something awaits an event that nothing will set)")
        loop._advance_to_next_timer()
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time.

    Args:
        start: the virtual time the loop starts at (seconds).
        speed: ``None`` for pure virtual time (jump over idle periods, no real
            I/O); a number for *paced* mode, where virtual time advances at
            ``speed`` virtual seconds per wall second and real I/O is allowed.
    """

    def __init__(self, *, start: float = 0.0, speed: float | None = None) -> None:
        selector = _VirtualSelector()
        super().__init__(selector)
        if speed is not None and speed <= 0:
            self.close()
            raise ValueError("speed must be > 0")
        selector.loop = self
        self.speed = speed
        self._now = float(start)
        self._wall_origin = _walltime.monotonic()
        self.jumps = 0
        """How many times the clock jumped to a timer (a cheap activity figure)."""

    # --- the clock -------------------------------------------------------------
    def time(self) -> float:
        if self.speed is not None:
            return self._now + (_walltime.monotonic() - self._wall_origin) * self.speed
        return self._now

    def _advance_to_next_timer(self) -> None:
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        while scheduled and scheduled[0].cancelled():
            heapq.heappop(scheduled)
        if not scheduled:
            return
        when = scheduled[0].when()
        if when > self._now:
            self._now = when
            self.jumps += 1
            # Keep `when < time() + resolution` true for a timer due exactly now,
            # however large the clock grows (see module docstring).
            ulp = math.ulp(when)
            self._clock_resolution = max(self._clock_resolution, ulp)  # type: ignore[has-type]

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by hand (only while the loop is not running).

        Timers that become due fire on the loop's next iteration.  Use
        ``await asyncio.sleep(seconds)`` from inside a simulation instead.
        """
        if seconds < 0:
            raise ValueError("time only moves forward")
        if self.speed is not None:
            raise SimulationError("cannot advance a paced loop by hand")
        self._now += seconds

    # --- the real world is out of bounds in virtual mode ----------------------
    def _forbid(self, what: str) -> None:
        if self.speed is None:
            raise RealIOForbidden(
                f"{what} is real I/O; a virtual-time simulation may not use it "
                "(model it, or run the simulation in paced mode)")

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:  # type: ignore[override]
        self._forbid("run_in_executor (a thread)")
        return super().run_in_executor(executor, func, *args)

    async def getaddrinfo(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("getaddrinfo")
        return await super().getaddrinfo(*args, **kwargs)

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("create_connection (a socket)")
        return await super().create_connection(*args, **kwargs)

    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("create_server (a socket)")
        return await super().create_server(*args, **kwargs)

    async def create_datagram_endpoint(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("create_datagram_endpoint (a socket)")
        return await super().create_datagram_endpoint(*args, **kwargs)

    async def create_unix_connection(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("create_unix_connection (a socket)")
        return await super().create_unix_connection(*args, **kwargs)

    async def create_unix_server(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("create_unix_server (a socket)")
        return await super().create_unix_server(*args, **kwargs)

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("subprocess_exec")
        return await super().subprocess_exec(*args, **kwargs)

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        self._forbid("subprocess_shell")
        return await super().subprocess_shell(*args, **kwargs)

    def add_reader(self, fd: Any, callback: Any, *args: Any) -> None:  # type: ignore[override]
        self._forbid("add_reader (a file descriptor)")
        super().add_reader(fd, callback, *args)

    def add_writer(self, fd: Any, callback: Any, *args: Any) -> None:  # type: ignore[override]
        self._forbid("add_writer (a file descriptor)")
        super().add_writer(fd, callback, *args)


def virtual_loop_factory(*, start: float = 0.0,
                         speed: float | None = None) -> Callable[[], VirtualTimeLoop]:
    """A ``loop_factory`` for ``asyncio.Runner`` or ``anyio.run(backend_options=...)``."""
    return lambda: VirtualTimeLoop(start=start, speed=speed)
