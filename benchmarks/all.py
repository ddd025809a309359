"""``make bench``: every figure of bus, clock, flows and serve in one table, each
next to its peer measured in the same run (simpy comes with the ``bench`` extra).

``benchmarks/backends.py`` and ``benchmarks/scale.py`` (minutes) run on their own.
"""

from __future__ import annotations

import bus
import clock
import flows
from _table import Row, render

import serve


def main() -> None:
    rows: list[Row] = []
    for module in (bus, clock, flows, serve):
        rows += module.figures()
    print(render(rows))


if __name__ == "__main__":
    main()
