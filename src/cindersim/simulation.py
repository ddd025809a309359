"""One simulation: its loop, its clock, its rng, its ids and its trace.

Everything that could make two runs differ lives behind this object.  A run is
a function of (seed, inputs, code): the loop is virtual, randomness comes from
one ``random.Random(seed)``, ids from that rng, and every step is written to
one :class:`~cindersim.trace.Trace` stamped with virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
from collections.abc import Callable, Coroutine, Iterator
from typing import IO, Any, TypeVar

from .clock import VirtualTimeLoop
from .ids import IdFactory
from .periodic import Periodic
from .trace import Trace, TraceMode

__all__ = ["Simulation"]

T = TypeVar("T")

_YOUNG_THRESHOLD = 50_000
"""Allocations between two young-generation collections while a simulation runs.

A run allocates and frees millions of small containers (futures, coroutines,
messages, records) that reference counting reclaims; CPython's default (700)
collects the young generation so often that re-traversing the objects in flight
costs about a tenth of a big what-if run (50,000 halves the collector's time
again against 10,000 on a 100,000-create run).  Spacing the collections does not
change what is collected, only when, and nothing in a run observes that.
"""


@contextlib.contextmanager
def _young_collections_spaced() -> Iterator[None]:
    old = gc.get_threshold()
    if 0 < old[0] < _YOUNG_THRESHOLD:  # 0: the process turned automatic collection off
        gc.set_threshold(_YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _young_walks_only_the_young(phase: str, info: dict[str, Any]) -> None:
    """A ``gc.callbacks`` entry while a virtual-time run goes on (see
    :func:`_long_lived_left_alone`)."""
    if phase != "start":
        return
    if info["generation"] < 2:
        gc.freeze()  # what is alive now moves out of this and later young collections
    else:
        gc.unfreeze()  # a full collection (gc.collect() too) sees everything, as ever


@contextlib.contextmanager
def _long_lived_left_alone() -> Iterator[None]:
    """While a virtual-time run goes on, a young or middle collection does not walk
    again what was alive when it began.

    Almost everything a run keeps lives as long as the run: the records, and in a
    ``full`` trace every event with its detail (about 30 tracked containers per
    volume create).  CPython's collector walks each survivor again in the middle
    generation and then in every full collection: about a tenth of a full-trace run's
    CPU, to find nothing (the benchmark flows and most bundled scenarios leave no
    cyclic garbage in their runs, the others at most a few hundred objects).  So at
    the start of each young or middle collection what is alive is frozen (O(1): the
    collector's lists are spliced), and unfrozen at the start of a full collection
    and when the run ends: cyclic garbage is then reclaimed as usual, later; nothing
    else changes (no run observes the collector).  A process that froze objects
    itself (before a fork), or a run already doing this in another thread, is left
    as it is.
    """
    if gc.get_freeze_count() or _young_walks_only_the_young in gc.callbacks:
        yield
        return
    gc.callbacks.append(_young_walks_only_the_young)
    try:
        yield
    finally:
        gc.callbacks.remove(_young_walks_only_the_young)
        gc.unfreeze()


class Simulation:
    """The determinism kit.

    Args:
        seed: seeds the one rng every random choice and id comes from.
        speed: ``None`` for pure virtual time; a factor for paced mode.
        trace_mode: ``full``, ``metrics`` or ``off`` (see :mod:`cindersim.trace`).
        trace_stream: stream full traces here as JSONL instead of keeping them.

    Use it as a context manager, or call :meth:`close` when done.  :meth:`run`
    may be called many times; the loop (and its clock) persists between calls,
    which is what a Hypothesis state machine needs.
    """

    def __init__(self, seed: int = 0, *, speed: float | None = None,
                 trace_mode: TraceMode = "full", trace_stream: IO[str] | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        """The simulation's only source of randomness."""
        self.ids = IdFactory(self.rng)
        self.loop = VirtualTimeLoop(speed=speed)
        self.trace = Trace(self.loop.time, mode=trace_mode, stream=trace_stream)
        self.periodic = Periodic(self.loop)
        """Looping calls that share timers (capability reports)."""
        self._closers: list[Callable[[], None]] = []
        self._runner = asyncio.Runner(loop_factory=lambda: self.loop)

    def now(self) -> float:
        """Virtual seconds since the start."""
        return self.loop.time()

    def run(self, main: Callable[..., Coroutine[Any, Any, T]] | Coroutine[Any, Any, T],
            *args: Any) -> T:
        """Run a coroutine (or coroutine function with *args*) to completion on the loop."""
        coro: Coroutine[Any, Any, T] = main if asyncio.iscoroutine(main) else main(*args)
        with _young_collections_spaced(), (
                _long_lived_left_alone() if self.loop.speed is None else contextlib.nullcontext()):
            return self._runner.run(coro)

    def close(self) -> None:
        """Close the trace, then what registered with :meth:`at_close`, then the loop
        (cancelling whatever still runs)."""
        self.trace.close()
        for fn in self._closers:
            fn()
        self._closers.clear()
        self._runner.close()

    def at_close(self, fn: Callable[[], None]) -> None:
        """Call *fn* when the simulation closes, after its trace, before its loop."""
        self._closers.append(fn)

    def __enter__(self) -> Simulation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
