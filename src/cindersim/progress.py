"""Progress of long runs on a terminal: virtual time reached, events per second, ETA.

A what-if run of a million requests takes minutes; an operator wants to know it is
moving and when it will end.  :class:`TerminalProgress` draws one line that redraws
in place (tqdm: small, well kept, no curses)::

    million-requests  41%|████▏     | virtual 2:57:40 of 7:13:20, 523,410 events/s [01:52<02:41]

* **virtual time reached** against the run's horizon (a workload's ``duration``, or
  the sum of a sweep's runs' durations);
* **events/s**: trace events (every step the simulation records, kept or not:
  ``len(trace)``) per wall second since the bar began;
* **ETA**: tqdm's estimate from the virtual seconds reached per wall second, so it
  is (horizon - reached) at the recent pace.

It is shown only when the stream is a terminal (:func:`terminal_progress` gives
None otherwise), so piped and redirected output carries none of it, and it never
writes to stdout or the trace.  It reads the wall clock, for display only: what
it shows never goes back into the simulation, which is why a run with a bar and
one without give the same bytes.  The simulation calls it from code that runs
anyway (the workload driver, the metrics sampler): it schedules nothing on the
loop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import IO, Any, Protocol

__all__ = ["RunProgress", "TerminalProgress", "clock_text", "terminal_progress"]


class RunProgress(Protocol):
    """What a run reports to (:func:`cindersim.scenario.run_scenario`'s ``progress``)."""

    def begin(self, horizon: float) -> None:
        """The run's workload starts; it lasts *horizon* virtual seconds."""
        ...  # pragma: no cover

    def advance(self, reached: float, events: int) -> None:
        """*reached* virtual seconds into the horizon; *events* trace events so far."""
        ...  # pragma: no cover

    def end(self) -> None:
        """The run is over (its horizon reached, the cloud settled)."""
        ...  # pragma: no cover


def clock_text(seconds: float) -> str:
    """Virtual seconds as ``H:MM:SS``, with days in front past one (``3d 04:05:06``)."""
    s = max(0, int(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    hms = f"{hours}:{minutes:02d}:{s:02d}"
    return f"{days}d {hours:02d}:{minutes:02d}:{s:02d}" if days else hms


def _tqdm_class() -> Any:
    from tqdm import tqdm  # noqa: PLC0415  (only a terminal pays for the import)

    class _Bar(tqdm):  # type: ignore[misc]
        # No monitor thread: the bar lives in the simulation's process, which keeps
        # threads out of the run; every redraw comes from the run's own updates.
        monitor_interval = 0

        def __init__(self, *args: Any, figures: str = "", **kwargs: Any) -> None:
            self.figures = figures  # before tqdm's first draw, which reads it
            super().__init__(*args, **kwargs)

        @property
        def format_dict(self) -> dict[str, Any]:
            d: dict[str, Any] = super().format_dict
            d["figures"] = self.figures  # {figures} in bar_format (postfix adds a comma)
            return d

    return _Bar


class TerminalProgress:
    """A redrawn progress line on *stream* (give it a terminal; see :func:`terminal_progress`).

    Usable for one run (:class:`RunProgress`) or several in a row (a sweep): each
    :meth:`begin` adds its horizon to the total, and :meth:`advance` is relative to
    the run in progress.  :meth:`finish` closes the line.

    Args:
        stream: where the line goes (stderr in the CLI).
        label: the line's prefix (the scenario's name).
        mininterval: wall seconds between two redraws at most.
        clock: the wall clock (monotonic seconds); tests give their own.
    """

    def __init__(self, stream: IO[str], label: str = "", *, mininterval: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.label = label
        self.mininterval = mininterval
        self.clock = clock
        self.total = 0.0
        """Virtual seconds of every horizon begun (or :meth:`expect`-ed) so far."""
        self.done = 0.0
        """Virtual seconds of the runs already over."""
        self.events_done = 0
        self.note = ""
        """Shown after the figures (a sweep: ``run 3/8``)."""
        self._reached = 0.0
        self._events = 0
        self._started: float | None = None
        self._last = -math.inf
        self._bar: Any = None
        self._run_open = False
        self._horizon = 0.0
        self._ended_live = False

    # --- RunProgress ------------------------------------------------------------------------
    def begin(self, horizon: float) -> None:
        self._horizon = max(0.0, horizon)
        self.total = max(self.total, self.done + self._horizon)
        self._run_open = True
        self._ended_live = False
        self._reached = 0.0
        self._events = 0
        if self._started is None:
            self._started = self.clock()
        self._draw(force=True)

    def advance(self, reached: float, events: int) -> None:
        now = self.clock()
        if now - self._last < self.mininterval:
            return
        self._reached = reached
        self._events = events
        self._draw(now=now)

    def end(self) -> None:
        if self._run_open:
            self.run_over(self._horizon, self._events)
            self._ended_live = True

    # --- several runs -----------------------------------------------------------------------
    def expect(self, horizon: float) -> None:
        """Add a run still to come to the total (a sweep announces all its runs first)."""
        self.total += max(0.0, horizon)

    def run_over(self, horizon: float, events: int) -> None:
        """A run of *horizon* virtual seconds is over, after *events* trace events (a
        sweep's run that finished elsewhere).  Just after :meth:`end` (the run was
        followed here, live) it only redraws: that run is counted already."""
        if self._ended_live:
            self._ended_live = False
            self._draw(force=True)
            return
        self._run_open = False
        if self._started is None:
            self._started = self.clock()
        self.done = min(self.total, self.done + max(0.0, horizon))
        self.events_done += events
        self._reached = 0.0
        self._events = 0
        self._draw(force=True)

    def show(self) -> None:
        """Draw the line now (a sweep, before its first run finishes)."""
        if self._started is None:
            self._started = self.clock()
        self._draw(force=True)

    def finish(self) -> None:
        """Close the line (idempotent)."""
        if self._bar is not None:
            self._draw(force=True)
            self._bar.close()
            self._bar = None

    # --- drawing -----------------------------------------------------------------------------
    def reached(self) -> float:
        """Virtual seconds reached over every run, at most the total."""
        return min(self.total, self.done + self._reached)

    def events_per_second(self, now: float | None = None) -> float:
        if self._started is None:
            return 0.0
        wall = (self.clock() if now is None else now) - self._started
        return (self.events_done + self._events) / wall if wall > 0 else 0.0

    def text(self, now: float | None = None) -> str:
        """The figures after the bar: virtual time reached of the total, events/s."""
        figures = (f"virtual {clock_text(self.reached())} of {clock_text(self.total)}, "
                   f"{self.events_per_second(now):,.0f} events/s")
        return f"{figures}, {self.note}" if self.note else figures

    def _draw(self, *, now: float | None = None, force: bool = False) -> None:
        now = self.clock() if now is None else now
        if not force and now - self._last < self.mininterval:
            return
        self._last = now
        if self._bar is None:
            self._bar = _tqdm_class()(
                figures=self.text(now), total=self.total or None, file=self.stream,
                desc=self.label or None,
                dynamic_ncols=True, mininterval=0, leave=True, smoothing=0.1,
                bar_format=("{desc}: " if self.label else "")
                + "{percentage:3.0f}%|{bar}| {figures} [{elapsed}<{remaining}]")
        bar = self._bar
        if self.total and bar.total != self.total:
            bar.total = self.total
        bar.figures = self.text(now)
        step = self.reached() - bar.n
        if step > 0:
            bar.update(step)  # tqdm's rate (virtual s per wall s) gives the ETA
        else:
            bar.refresh()


def terminal_progress(stream: IO[str], label: str = "") -> TerminalProgress | None:
    """A :class:`TerminalProgress` on *stream* when it is a terminal, else None (silent)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return None
    return TerminalProgress(stream, label)
