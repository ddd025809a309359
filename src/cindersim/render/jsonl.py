"""The full trace as JSON Lines (:meth:`cindersim.trace.Trace.to_jsonl`'s format).

One event per line, keys sorted, compact separators: two runs with the same
seed and inputs give byte-identical output, which is what golden traces and
the determinism check compare.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..trace import TraceEvent, dumps_event

__all__ = ["jsonl"]


def jsonl(events: Iterable[TraceEvent]) -> str:
    """Every event, one JSON object per line (the same bytes as ``Trace.to_jsonl``)."""
    return "".join(dumps_event(e) + "\n" for e in events)
