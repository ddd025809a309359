"""Periodic tasks that share a timer: oslo.service's looping calls, grouped.

Every cinder-volume runs its ``_report_driver_status`` every
``backend_stats_polling_interval`` (60 s).  A cloud of 1,000 backends started
together has 1,000 such calls falling due at the same instants; giving each its
own sleeping task keeps 1,000 timers in the loop's heap, and every other timer
of the run pays for them on each push and pop.  Here callbacks with the same
period and the same start share one timer and run in the order they were
registered, which is also a deterministic order for the trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["Periodic"]


class Periodic:
    """Run callbacks every *interval* virtual seconds from when they were registered.

    A callback runs at ``start + n * interval`` for n = 1, 2, ... (no drift), and
    exceptions it raises go to the loop's exception handler, as a looping
    call's would be logged; the others in its group still run.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._groups: dict[tuple[float, float], list[Callable[[], None]]] = {}

    def every(self, interval: float, fn: Callable[[], None]) -> None:
        """Call *fn* every *interval* seconds, the first time *interval* from now."""
        if not interval > 0:
            raise ValueError(f"interval must be a positive number, not {interval!r}")
        key = (float(interval), self._loop.time())
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = []
            self._loop.call_at(key[1] + key[0], self._fire, key, 1)
        group.append(fn)

    def _fire(self, key: tuple[float, float], n: int) -> None:
        interval, start = key
        self._loop.call_at(start + (n + 1) * interval, self._fire, key, n + 1)
        for fn in list(self._groups[key]):
            try:
                fn()
            except Exception as exc:  # a looping call logs the failure and goes on
                self._loop.call_exception_handler({
                    "message": f"periodic task {fn!r} failed", "exception": exc})
