"""The comparison chart of a sweep: one metric, mean over seeds per grid point, with the
min..max over seeds as error bars.

Layout: with no ``--set`` key, one point; with one key, its values along the x
axis; with two or more, the second key along the x axis and one line per
combination of the others (the first key's values, in the order given).  The
x axis is categorical (the values as given), so strings, numbers and lists
all plot.  Runs that raised, and rows without the metric, are left out of the
means; a grid point with none left is not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..render.charts import require_pyplot
from .grid import show_value
from .table import SweepTable

__all__ = ["PREFERRED_METRICS", "aggregate", "choose_metric", "write_chart"]

PREFERRED_METRICS = ("volume.create.p95", "error.no_valid_backend", "stranded_free_gb",
                     "first_no_valid_backend_s", "requests.failed", "capacity.free_gb")
"""Default ``--metric``: the first of these whose values differ between the sweep's rows
(a flat line answers nothing), else the first of these present, else the first summary
column with numbers, else ``virtual_time_s``."""


def choose_metric(table: SweepTable, wanted: str | None = None) -> str | None:
    """The metric to chart: *wanted* if it has numbers, else a default (see
    :data:`PREFERRED_METRICS`); None when *wanted* has none or nothing does."""
    numeric = table.numeric_columns()
    if wanted is not None:
        return wanted if wanted in numeric else None
    present = [m for m in PREFERRED_METRICS if m in numeric]
    for name in present:
        if len({repr(table.value(r, name)) for r in table.rows}) > 1:
            return name
    if present:
        return present[0]
    summary = [c for c in numeric if c not in ("virtual_time_s", "failed_expectations")]
    if summary:
        return summary[0]
    return "virtual_time_s" if "virtual_time_s" in numeric else None


def aggregate(table: SweepTable, metric: str) -> dict[int, tuple[float, float, float, int]]:
    """Per grid point: (mean, min, max, n) of *metric* over its seeds' usable rows."""
    by_point: dict[int, list[float]] = {}
    for row in table.rows:
        v = table.value(row, metric)
        if row.get("status") == "error" or not isinstance(v, (int, float)) \
                or isinstance(v, bool):
            continue
        by_point.setdefault(int(row["point"]), []).append(float(v))
    return {p: (sum(xs) / len(xs), min(xs), max(xs), len(xs))
            for p, xs in sorted(by_point.items())}


def _series(table: SweepTable) -> tuple[str, list[str], list[tuple[str, list[int | None]]]]:
    """(x label, x tick labels, [(series label, grid point at each x or None)])."""
    keys = table.keys
    points: dict[tuple[str, ...], int] = {}
    for row in table.rows:
        combo = tuple(show_value(row["overrides"].get(k)) for k in keys)
        points.setdefault(combo, int(row["point"]))
    if not keys:
        return "", [table.name], [("", [0] if points else [None])]
    x = 1 if len(keys) >= 2 else 0
    xs: list[str] = []
    lines: list[str] = []
    for combo in sorted(points, key=lambda c: points[c]):
        if combo[x] not in xs:
            xs.append(combo[x])
        rest = ", ".join(f"{keys[i]}={combo[i]}" for i in range(len(keys)) if i != x)
        if rest not in lines:
            lines.append(rest)
    out = []
    for line in lines:
        at: list[int | None] = []
        for xv in xs:
            match = [p for c, p in points.items()
                     if c[x] == xv and ", ".join(f"{keys[i]}={c[i]}" for i in range(len(keys))
                                                 if i != x) == line]
            at.append(match[0] if match else None)
        out.append((line, at))
    return keys[x], xs, out


def write_chart(table: SweepTable, metric: str, path: str | Path) -> Path:
    """Draw the comparison chart of *metric* into *path* (PNG, or SVG by its suffix).

    Raises:
        PlotUnavailable: matplotlib is not installed (the message says
            ``pip install 'cindersim[plot]'``).
    """
    plt = require_pyplot()
    stats = aggregate(table, metric)
    xlabel, xs, series = _series(table)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(xs) + 3), 4.5))
    try:
        positions = list(range(len(xs)))
        for label, at in series:
            pts = [(i, stats[p]) for i, p in zip(positions, at, strict=True)
                   if p is not None and p in stats]
            if not pts:
                continue
            px = [i for i, _ in pts]
            mean = [s[0] for _, s in pts]
            low = [max(0.0, s[0] - s[1]) for _, s in pts]
            high = [max(0.0, s[2] - s[0]) for _, s in pts]
            ax.errorbar(px, mean, yerr=[low, high], marker="o", capsize=4,
                        linestyle="-" if len(xs) > 1 else "none", label=label or None)
        ax.set_xticks(positions)
        tilt = max(map(len, xs), default=0) > 12
        ax.set_xticklabels(_short(xs), rotation=20 if tilt else 0,
                           ha="right" if tilt else "center")
        ax.set_xlabel(xlabel or "scenario")
        ax.set_ylabel(metric)
        seeds = sorted({int(r["seed"]) for r in table.rows if r.get("seed") is not None})
        ax.set_title(f"{table.name}: {metric}\nmean over {len(seeds)} seed(s), bars min..max",
                     fontsize=10)
        if any(label for label, _ in series):
            ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=100, metadata=_metadata(out))
    finally:
        plt.close(fig)
    return out


def _short(labels: Sequence[str], width: int = 28) -> list[str]:
    return [s if len(s) <= width else s[: width - 1] + "…" for s in labels]


def _metadata(path: Path) -> dict[str, Any]:
    """No software version or date in the file, so equal sweeps give equal charts."""
    if path.suffix.lower() == ".svg":
        return {"Date": None, "Creator": None}
    return {"Software": None}
