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
  a due timer would never fire.  Whenever the clock enters a new binade (at the
  start, at a jump, at :meth:`VirtualTimeLoop.advance`) the resolution widens to
  one ulp of the new time, so deadlines stay exact at any start time and for
  centuries of virtual time.
* In virtual mode the loop keeps its own timer heap of ``(when, seq, timer)``
  tuples and runs its own iteration (:meth:`VirtualTimeLoop._run_once`): a big
  what-if run sets several timers per request (every virtual sleep, every bus
  delivery), and asyncio's ``TimerHandle`` heap compares in Python.  Timers due
  at the same instant fire in the order they were set (asyncio leaves that order
  to the heap's shape; a paced loop's timers keep it too, see
  :class:`_FifoTimer`).  An entry's timer is a handle, the future of a
  :func:`sleep`, or a ``functools.partial`` called as it is when due (the bus's
  message deliveries: nothing cancels them, so they need no handle).
* Real I/O, threads and subprocesses would make a run depend on the world
  outside; in virtual mode they raise :class:`RealIOForbidden`.  *Paced* mode
  (virtual time = wall time x speed) allows them, because a paced simulation is
  one real clients talk to.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import heapq
import math
import operator
import selectors
import time as _walltime
from asyncio import format_helpers
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import SimulationError

__all__ = ["Deadlock", "RealIOForbidden", "VirtualTimeLoop", "sleep", "virtual_loop_factory"]


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
        # Virtual mode never gets here: VirtualTimeLoop._run_once jumps the clock itself.
        return self._real.select(timeout)


class _VirtualHandle(asyncio.Handle):
    """A ``Handle`` for ``call_soon`` built without the debug bookkeeping (a virtual
    loop in debug mode takes asyncio's own path instead): every wake-up of a
    coroutine in a run (a future's callbacks) makes one.  ``__init__`` sets what
    ``Handle.__init__`` sets, inline, and queues the handle: the loop's
    ``call_soon`` *is* this class, bound to the loop (one Python frame per
    wake-up instead of two; it runs hundreds of thousands of times)."""

    __slots__ = ()

    def __init__(self, loop: VirtualTimeLoop, callback: Callable[..., object], *args: Any,
                 context: contextvars.Context | None = None) -> None:
        if loop._closed:  # type: ignore[attr-defined]
            raise RuntimeError("Event loop is closed")
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._loop = loop
        self._context = _copy_context() if context is None else context
        self._source_traceback = None
        self._repr = None
        loop._ready.append(self)  # type: ignore[attr-defined]


class _VirtualTimer(asyncio.TimerHandle):
    """A ``TimerHandle`` (same face: ``when``, ``cancel``, ``cancelled``), built and
    cancelled the same lean way, that puts itself on the loop's heap: the loop's
    ``call_at`` is this class, bound to the loop.  A big run makes hundreds of
    thousands of them (every bus delivery and sleep; ``asyncio.sleep`` cancels
    its timer after every wake-up)."""

    __slots__ = ()

    def __init__(self, loop: VirtualTimeLoop, when: float, callback: Callable[..., object],
                 *args: Any, context: contextvars.Context | None = None) -> None:
        if loop._closed:  # type: ignore[attr-defined]
            raise RuntimeError("Event loop is closed")
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._loop = loop
        self._context = _copy_context() if context is None else context
        self._source_traceback = None
        self._repr = None
        self._when = when
        self._scheduled = True
        loop._timer_seq += 1
        _heappush(loop._timers, (when, loop._timer_seq, self))

    def cancel(self) -> None:
        if self._cancelled:
            return
        loop: Any = self._loop
        if loop._debug:
            super().cancel()
            return
        if self._scheduled:  # what loop._timer_handle_cancelled counts
            loop._timer_cancelled_count += 1
        self._cancelled = True
        self._callback = None  # type: ignore[assignment]
        self._args = None  # type: ignore[assignment]


class _VirtualLater(_VirtualTimer):
    """``call_later``, the same way: the loop's ``call_later`` is this class bound to
    the loop (``asyncio.sleep`` sets one per sleep).  The body is _VirtualTimer's,
    with *when* from *delay*: calling that ``__init__`` would be a frame more."""

    __slots__ = ()

    def __init__(self, loop: VirtualTimeLoop, delay: float,
                 callback: Callable[..., object], *args: Any,
                 context: contextvars.Context | None = None) -> None:
        if loop._closed:  # type: ignore[attr-defined]
            raise RuntimeError("Event loop is closed")
        when = loop._now + delay
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._loop = loop
        self._context = _copy_context() if context is None else context
        self._source_traceback = None
        self._repr = None
        self._when = when
        self._scheduled = True
        loop._timer_seq += 1
        _heappush(loop._timers, (when, loop._timer_seq, self))


class _FifoTimer(asyncio.TimerHandle):
    """A paced loop's timer: asyncio's heap orders its handles by deadline only, so
    two timers due at the same instant could fire in either order; these break
    the tie by the order they were set, as a virtual loop's heap does (the bus's
    messages to one queue must arrive in the order they were sent)."""

    __slots__ = ("_seq",)

    _seq: int

    def __lt__(self, other: asyncio.TimerHandle) -> bool:
        if type(other) is _FifoTimer:
            return (self.when(), self._seq) < (other.when(), other._seq)
        return super().__lt__(other)


_copy_context = contextvars.copy_context
_partial = functools.partial
_set_result_unless_cancelled = asyncio.futures._set_result_unless_cancelled  # type: ignore[attr-defined]
_now_of = operator.attrgetter("_now")
_debug_of = operator.attrgetter("_debug")
_heappush = heapq.heappush

_COMPACT_AT = 100
"""Cancelled timers are dropped from the heap once there are more than this many
and they make up half of it (asyncio's own rule)."""


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time.

    Args:
        start: the virtual time the loop starts at (seconds).
        speed: ``None`` for pure virtual time (jump over idle periods, no real
            I/O); a number for *paced* mode, where virtual time advances at
            ``speed`` virtual seconds per wall second and real I/O is allowed.
    """

    def __init__(self, *, start: float = 0.0, speed: float | None = None) -> None:
        self._timers: list[tuple[float, int, Any]] = []
        # (each entry's timer: a _VirtualTimer, the future of a sleep(), or a
        # functools.partial to call as it is: see call_at_plain)
        self._far: list[tuple[float, int, Any]] = []
        # Long sleeps (a driver's command, a backup's chunk), apart: see _FAR.
        self._timer_seq = 0
        self._jumps_since_poll = 0
        # The bus steps its handlers' coroutines itself; one that awaits a sleep()
        # would be woken through a done callback: set_result asks call_soon for a
        # handle (a Python frame called from C) that the next iteration runs in a
        # copied context.  Instead the bus files a plain waker for the latest
        # sleep()'s future here, and the loop puts it in the ready queue where that
        # handle would have gone: the order of a run's events is the same.  Nothing
        # cancels a sleep a bus handler awaits (no Task holds it); if something did,
        # the waker would still run, at the sleep's end.
        self._last_sleep: Any = None
        self._sleepers: dict[Any, functools.partial[Any]] = {}
        self._next_binade = 0.0
        selector = _VirtualSelector()
        super().__init__(selector)
        if speed is not None and speed <= 0:
            self.close()
            raise ValueError("speed must be > 0")
        selector.loop = self
        self.speed = speed
        self._now = float(start)
        self._exact_at(self._now)
        self._wall_origin = _walltime.monotonic()
        self.jumps = 0
        """How many times the clock jumped to a timer (a cheap activity figure)."""
        self.callbacks = 0
        """Callbacks (timers and ready handles) run in virtual mode: a run's loop events."""
        if speed is None:
            # Future(loop=self) without a Python frame: every sleep and call makes one;
            # call_at and call_soon are the handle classes themselves (see there).
            self.create_future = functools.partial(asyncio.Future, loop=self)  # type: ignore[method-assign]
            self.call_at = functools.partial(_VirtualTimer, self)  # type: ignore[method-assign]
            self.call_later = functools.partial(_VirtualLater, self)  # type: ignore[method-assign]
            # time(), without a Python frame: the bus, the trace and the database
            # stamps read the clock several times per request.
            self.time = functools.partial(_now_of, self)  # type: ignore[method-assign]
            # The C Future asks its loop get_debug() at every creation (every sleep
            # and call makes one): the same, without a Python frame.
            self.get_debug = functools.partial(_debug_of, self)  # type: ignore[method-assign]
        self._lean_call_soon()

    def set_debug(self, enabled: bool) -> None:
        super().set_debug(enabled)
        self._lean_call_soon()

    def _lean_call_soon(self) -> None:
        """``call_soon`` is :class:`_VirtualHandle` bound to the loop in virtual mode,
        asyncio's own (with its debug checks) in debug or paced mode."""
        if getattr(self, "speed", 0) is None and not self._debug:  # type: ignore[attr-defined]
            self.call_soon = functools.partial(_VirtualHandle, self)  # type: ignore[method-assign]
        else:
            self.__dict__.pop("call_soon", None)

    # --- timers and the iteration (virtual mode) --------------------------------
    def call_at(self, when: float, callback: Callable[..., object], *args: Any,  # type: ignore[override]
                context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        # (In virtual mode the instance's call_at, _VirtualTimer bound to the loop, is
        # called instead of this.)
        if self.speed is not None:
            if self._debug:  # type: ignore[attr-defined]
                return super().call_at(when, callback, *args, context=context)
            self._check_closed()  # type: ignore[attr-defined]
            self._timer_seq += 1
            timer = _FifoTimer(when, callback, args, self, context=context)
            timer._seq = self._timer_seq
            heapq.heappush(self._scheduled, timer)  # type: ignore[attr-defined]
            timer._scheduled = True  # type: ignore[attr-defined]
            return timer
        return _VirtualTimer(self, when, callback, *args, context=context)

    def call_at_plain(self, when: float, callback: functools.partial[Any]) -> None:
        """Call *callback* at *when*, with no handle to cancel it and in the loop's
        running context (virtual mode).  The bus delivers every message this way:
        the entry is the partial itself, so nothing but the partial is built.
        Entries due at the same instant run in the order they were set, among
        all the loop's timers."""
        if self.speed is not None:
            self.call_at(when, callback)
            return
        self._timer_seq += 1
        heapq.heappush(self._timers, (when, self._timer_seq, callback))

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any,  # type: ignore[override]
                   context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        # asyncio.sleep's path: BaseEventLoop.call_later is time() + call_at + a debug check.
        if self.speed is not None:
            return super().call_later(delay, callback, *args, context=context)
        return _VirtualLater(self, delay, callback, *args, context=context)

    def call_soon(self, callback: Callable[..., object], *args: Any,  # type: ignore[override]
                  context: contextvars.Context | None = None) -> asyncio.Handle:
        # (In virtual mode, out of debug, the instance's call_soon is called instead.)
        if self.speed is not None or self._debug:  # type: ignore[attr-defined]
            return super().call_soon(callback, *args, context=context)
        return _VirtualHandle(self, callback, *args, context=context)

    def _run_once(self) -> None:
        """Iterations, as asyncio's: take the timers due now, then run what is ready.

        When nothing is ready the clock jumps to the next timer instead of waiting.
        Callbacks queued by the callbacks run here wait for the next iteration,
        exactly as in asyncio.  In virtual mode one call runs iterations until
        :meth:`stop` (``run_forever`` calls this, then looks at ``_stopping``, and
        does nothing else between two calls): a run is millions of iterations, and
        each call would set up its locals again.
        """
        if self.speed is not None:
            super()._run_once()  # type: ignore[misc]
            return
        timers = self._timers
        ready: collections.deque[asyncio.Handle] = self._ready  # type: ignore[attr-defined]
        heappop = heapq.heappop
        future_type = _Future
        plain_type = _partial
        popleft = ready.popleft
        set_unless_cancelled = _set_result_unless_cancelled
        sleepers = self._sleepers
        far = self._far
        heappush = _heappush
        while True:
            if not ready and not self._stopping:  # type: ignore[attr-defined]
                # Nothing is ready: the clock jumps to the next live timer.
                when: float | None
                head: tuple[float, int, Any] | None
                if far and (not timers or far[0][0] <= timers[0][0]):
                    head = far[0]  # the next is a long sleep's end
                else:
                    head = timers[0] if timers else None
                if (head is not None and self._jumps_since_poll < _POLL_EVERY - 1
                        and ((lone := type(head[2]) is plain_type)
                             or (type(head[2]) is future_type and not head[2].done()))):
                    # _next_deadline, inline for its most common cases (a bus message
                    # or a sleep's end is next, and it is not time to look at the
                    # self-pipe)
                    self._jumps_since_poll += 1
                    when = head[0]
                    if when > self._now:
                        self._now = when
                        self.jumps += 1
                        if when >= self._next_binade:
                            self._exact_at(when)
                    # A message due alone (the heap's next two entries, one of which
                    # is the second smallest, are later): the iteration below would
                    # take it to the ready queue and straight back, the only
                    # callback of its turn.  It runs here, in that same place.
                    # (Most of a run's deliveries are alone at their instant.)
                    if lone:
                        end = self._now + self._clock_resolution
                        size = len(timers)
                        if ((size < 2 or timers[1][0] >= end)
                                and (size < 3 or timers[2][0] >= end)
                                and (not far or far[0][0] >= end)):
                            heappop(timers)
                            self.callbacks += 1
                            plain: Any = head[2]
                            try:
                                plain()
                            except (SystemExit, KeyboardInterrupt):
                                raise
                            except BaseException as exc:
                                self._plain_failed(plain, exc)
                            if self._stopping:  # type: ignore[attr-defined]
                                return
                            continue
                else:
                    when = self._next_deadline()
                    if when is not None and when > self._now:
                        self._now = when
                        self.jumps += 1
                        if when >= self._next_binade:
                            self._exact_at(when)
            # (Below the fast path: a lone delivery cancels nothing, and the others
            # come here often enough to keep the heap from filling with the dead.)
            cancelled = self._timer_cancelled_count
            if cancelled > _COMPACT_AT and cancelled * 2 > len(timers):
                self._compact_timers()
            end = self._now + self._clock_resolution
            # Long sleeps due now go first while no timer is due before them (all of
            # them, mostly); the others join the timers' heap, to be taken in order.
            while far and far[0][0] < end:
                if timers and timers[0] < far[0]:
                    heappush(timers, heappop(far))
                else:
                    ready.append(heappop(far)[2])
            while timers and timers[0][0] < end:
                timer: Any = heappop(timers)[2]
                kind = type(timer)
                if kind is not future_type and kind is not plain_type:  # a handle
                    if timer._cancelled:
                        self._timer_cancelled_count -= 1
                    timer._scheduled = False
                ready.append(timer)
            n = len(ready)
            self.callbacks += n
            for _ in range(n):
                h: Any = popleft()
                kind = type(h)
                if kind is plain_type:  # call_at_plain's entry (a bus delivery)
                    try:
                        h()
                    except (SystemExit, KeyboardInterrupt):
                        raise
                    except BaseException as exc:
                        self._plain_failed(h, exc)
                    continue
                if kind is future_type:  # a sleep() is over (see sleep)
                    if not h.done():  # (a cancelled sleeper's future is done)
                        h.set_result(None)
                    # Its plain waker, if it has one (see _sleepers), goes where
                    # set_result puts a done callback's handle: next in line.
                    waker = sleepers.pop(h, None)
                    if waker is not None:
                        ready.append(waker)  # type: ignore[arg-type]
                    continue
                if h._cancelled:
                    continue
                callback = h._callback
                if callback is _wake:  # a paced loop's sleep(): _wake, inline (no frame)
                    future = h._args[0]
                    if not future.done():
                        future.set_result(None)
                    continue
                if callback is set_unless_cancelled and not h._args[0].done():
                    # asyncio.sleep's timer, inline (what it does for a future not done)
                    h._args[0].set_result(h._args[1])
                    continue
                # Handle._run, inline (one frame less per callback of a run).
                try:
                    h._context.run(callback, *h._args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:  # reported as Handle._run reports it
                    self._callback_failed(h, exc)
            if self._stopping:  # type: ignore[attr-defined]
                return

    def _plain_failed(self, plain: functools.partial[Any], exc: BaseException) -> None:
        self.call_exception_handler({"message": f"Exception in callback {plain!r}",
                                     "exception": exc})

    def _callback_failed(self, handle: Any, exc: BaseException) -> None:
        context: dict[str, Any] = {
            "message": "Exception in callback "
                       f"{format_helpers._format_callback_source(handle._callback, handle._args)}",
            "exception": exc,
            "handle": handle,
        }
        if handle._source_traceback:
            context["source_traceback"] = handle._source_traceback
        self.call_exception_handler(context)

    def _next_deadline(self) -> float | None:
        """Nothing is ready: the deadline of the next live timer, for the clock to
        jump to (None: a look at the self-pipe made something ready)."""
        timers = self._timers
        far = self._far
        while True:
            if far and (not timers or far[0][0] <= timers[0][0]):
                _heappush(timers, heapq.heappop(far))
            if not timers:
                break
            head: Any = timers[0][2]
            kind = type(head)
            if kind is _partial:  # call_at_plain's: never cancelled
                break
            if kind is _Future:  # a sleep(): its future
                if not head.done() or head in self._sleepers:
                    # (a done one with a plain waker still wakes it, at its time)
                    break
                heapq.heappop(timers)
                continue
            if head._cancelled:
                self._timer_cancelled_count -= 1
            elif not (head._callback is _wake and head._args[0].done()):
                break
            # A cancelled timer, or the wake-up of a sleep() whose sleeper was
            # cancelled (asyncio.sleep cancels its timer then): neither moves the clock.
            heapq.heappop(timers)[2]._scheduled = False
        # In virtual mode the only registered fd is the loop's self-pipe (signals,
        # call_soon_threadsafe); what it wakes is already in the ready list, so a
        # look every _POLL_EVERY jumps keeps it drained, and a deadlock check always
        # looks, so a pending wake-up is never mistaken for one.
        self._jumps_since_poll += 1
        if not timers or self._jumps_since_poll >= _POLL_EVERY:
            self._jumps_since_poll = 0
            selector: _VirtualSelector = self._selector  # type: ignore[attr-defined]
            self._process_events(selector._real.select(0))  # type: ignore[attr-defined]
            if self._ready:  # type: ignore[attr-defined]
                return None
        if not timers:
            raise Deadlock(
                f"deadlock at virtual time {self._now:.6f}s: no task can run and no timer "
                "is pending (something awaits an event that nothing will set)")
        deadline: float = timers[0][0]
        return deadline

    def _exact_at(self, now: float) -> None:
        """Keep ``when < time() + resolution`` true for a timer due exactly *now*,
        however large the clock grows (see module docstring): every way the clock
        moves (the start, a jump, :meth:`advance`) comes through here.  One ulp is
        the same for every float up to the next power of two, so this is done once
        per binade; ``now + ulp(now)`` is exact, so the test stays ``when <= now``
        and no timer ever fires early by more than asyncio's own 1 ns."""
        if now >= self._next_binade:
            self._clock_resolution = max(self._clock_resolution,  # type: ignore[has-type]
                                         math.ulp(now))
            self._next_binade = 2.0 ** math.frexp(now)[1]

    def _compact_timers(self) -> None:
        live = []
        for entry in self._timers:
            timer: Any = entry[2]
            if type(timer) is _Future or type(timer) is _partial:  # never cancelled
                live.append(entry)
            elif timer._cancelled:
                timer._scheduled = False
            else:
                live.append(entry)
        heapq.heapify(live)
        # In place: the iteration holds the list (see _run_once).
        self._timers[:] = live
        self._timer_cancelled_count = 0

    def close(self) -> None:
        self._timers.clear()
        self._far.clear()
        self._sleepers.clear()
        self._last_sleep = None
        super().close()
        # The bound fast paths refer to the loop: dropped, a closed loop (and the
        # simulation it ran) is freed at once rather than by the cycle collector.
        # The class's own methods answer the same from here on.
        for name in ("create_future", "call_at", "call_later", "call_soon", "time",
                     "get_debug"):
            self.__dict__.pop(name, None)

    # --- the clock -------------------------------------------------------------
    def time(self) -> float:
        if self.speed is not None:
            return self._now + (_walltime.monotonic() - self._wall_origin) * self.speed
        return self._now

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
        self._exact_at(self._now)

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


def sleep(seconds: float) -> Awaitable[None]:
    """``await sleep(s)``: what ``asyncio.sleep(s)`` does, for the simulator's own costs.

    The same timer, set at the same moment, and the same wake-up: a run's order of
    events does not change.  It returns the future itself, so the coroutine that
    awaits it resumes one frame shallower, and nothing cancels the timer when it
    has fired (a cancelled sleeper's timer later finds its future cancelled and
    does nothing, as asyncio's own callback does).  Every request of a what-if
    run pays a few of these.  ``sleep(0)`` (or less) yields once, as asyncio's does.
    """
    if seconds <= 0:
        return asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    if type(loop) is not VirtualTimeLoop or loop.speed is not None:
        future: asyncio.Future[None] = loop.create_future()
        loop.call_at(loop.time() + seconds, _wake, future)
        return future
    # On the loop of a run the heap entry's timer *is* the future: the loop sets
    # its result when the entry comes due, at the place in the iteration a timer
    # running _wake would have had (so a run's order of events is the same), with
    # no handle to build: every request of a what-if run sleeps a few times.  The
    # sleeper resumes in its own context (the future's callbacks keep theirs).
    future = _Future(loop=loop)
    loop._timer_seq += 1
    _heappush(loop._far if seconds >= _FAR else loop._timers,
              (loop._now + seconds, loop._timer_seq, future))
    loop._last_sleep = future
    return future


_Future: Any = asyncio.Future

_FAR = 0.05
"""A sleep this long or longer waits in the loop's second heap (see _run_once)."""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
