"""One row per figure, its peer measured in the same run, and the ratio.

Every benchmark module has ``figures() -> list[Row]``; run alone it prints its
own table, ``benchmarks/all.py`` (``make bench``) prints one table of them all.
Figures only: nothing asserts on time.  In-process figures count CPU seconds of
this process (:func:`now`), not wall seconds: on a shared 2-core machine the wall
clock of one run swings by +-30 % with the neighbours' load, the CPU time by a few
per cent, and a peer run in the same process is measured the same way.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

import attrs


@attrs.frozen
class Row:
    """``value`` in ``unit``; ``higher`` says which way is better.  ``ratio`` is
    value / peer, or how many peer units one of ours costs when ``per_peer``."""

    bench: str
    figure: str
    value: float
    unit: str
    peer: str = ""
    peer_value: float | None = None
    target: str = ""
    higher: bool = True

    @property
    def ratio(self) -> float | None:
        if self.peer_value is None or not self.peer_value:
            return None
        return self.value / self.peer_value


now = time.process_time
"""The benchmarks' clock: CPU seconds of this process (single-threaded work)."""


_open: list[Any] = []
"""The bar :func:`progress` opened (``make bench`` on a terminal), if any."""


@contextlib.contextmanager
def progress(steps: list[str], out: IO[str] | None = None) -> Iterator[Callable[[str], None]]:
    """A progress bar over *steps* (the benchmark modules) on a terminal, nothing
    otherwise; yields ``advance(step)``, to call as each step starts.  While the
    bar is open, :func:`note` shows what is being measured (``make bench`` runs
    for a minute or more, silently otherwise).  tqdm: the sweep's bar uses it too."""
    err = sys.stderr if out is None else out
    if not err.isatty():
        yield lambda step: None
        return
    from tqdm import tqdm  # noqa: PLC0415 - a dependency, needed on a terminal only

    bar = tqdm(total=len(steps), file=err, unit="bench", dynamic_ncols=True, leave=False)
    started = [False]

    def advance(step: str) -> None:
        if started[0]:
            bar.update(1)
        started[0] = True
        bar.set_description_str(step)

    _open.append(bar)
    try:
        yield advance
    finally:
        _open.remove(bar)
        bar.close()


def note(what: str) -> None:
    """Show *what* is being measured on the bar, when one is open."""
    for bar in _open:
        bar.set_postfix_str(what)


def timed(fn: Callable[[], Any]) -> float:
    """Wall seconds of one call, the collector quiet (as the simulation keeps it)."""
    gc.collect()
    t = now()
    fn()
    return now() - t


def best(fn: Callable[[], float], repeat: int = 5, label: str = "") -> float:
    """The best of *repeat* calls of a *cost* (time per thing: the lowest is the
    least disturbed by the neighbours' load).  Rates go through :func:`best_rate`."""
    return min(_repeated(fn, repeat, label))


def best_rate(fn: Callable[[], float], repeat: int = 5, label: str = "") -> float:
    """The best of *repeat* calls of a *rate* (things per second: the highest)."""
    return max(_repeated(fn, repeat, label))


def _repeated(fn: Callable[[], float], repeat: int, label: str) -> list[float]:
    out = []
    for i in range(repeat):
        if label:
            note(f"{label} ({i + 1}/{repeat})")
        # The garbage of the runs before (a run's objects form cycles) is collected
        # here, not by a full collection in the middle of the next measured run.
        gc.collect()
        out.append(fn())
    return out


def _num(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def render(rows: list[Row]) -> str:
    head = ("bench", "figure", "value", "unit", "peer (same run)", "peer value", "ratio",
            "target")
    body = []
    for r in rows:
        ratio = r.ratio
        body.append((r.bench, r.figure, _num(r.value), r.unit, r.peer,
                     "" if r.peer_value is None else _num(r.peer_value),
                     "" if ratio is None else f"{ratio:.2f}x", r.target))
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        cells = [str(c).rjust(w) if i in (2, 5, 6) else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(b, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
