"""``make bench``: every figure of bus, clock, flows and serve in one table, each
next to its peer measured in the same run (simpy comes with the ``bench`` extra).
On a terminal a progress bar (stderr) says which benchmark and figure is being
measured; redirected, only the table is printed.

``benchmarks/backends.py`` and ``benchmarks/scale.py`` (minutes) run on their own.
"""

from __future__ import annotations

import bus
import clock
import flows
from _table import Row, progress, render

import serve


def main() -> None:
    rows: list[Row] = []
    modules = (bus, clock, flows, serve)
    with progress([m.__name__ for m in modules]) as advance:
        for module in modules:
            advance(module.__name__)
            rows += module.figures()
    print(render(rows))


if __name__ == "__main__":
    main()
