"""Renderers: pure functions from a list of trace events to text.

* :func:`narrate` - numbered steps in the seed documents' words (English or
  Vietnamese), with every status change and the documents-vs-code notes;
* :func:`mermaid` - a Mermaid ``sequenceDiagram``;
* :func:`summary` - final states, backend capacity, counts, virtual time;
* :func:`jsonl` - the full trace as JSON Lines.

Nothing here runs a simulation or prints: the CLI and tests pass
``result.trace.events`` in and write the text out.
"""

from __future__ import annotations

from .jsonl import jsonl
from .mermaid import mermaid
from .narrate import Block, narrate, narrate_blocks
from .summary import BackendCapacity, Counts, capacity_of, counts, final_states, summary

__all__ = [
    "FORMATS",
    "BackendCapacity",
    "Block",
    "Counts",
    "capacity_of",
    "counts",
    "final_states",
    "jsonl",
    "mermaid",
    "narrate",
    "narrate_blocks",
    "summary",
]

FORMATS: tuple[str, ...] = ("narrate", "jsonl", "mermaid", "summary", "html")
"""The output formats of ``cindersim run``/``demo``."""
