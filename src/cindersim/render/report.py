"""One self-contained HTML page of a what-if run, for an operator to attach to a ticket
(``cindersim run FILE --report DIR``): the charts inlined as SVG, the metrics table,
the per-pool summary, the scenario file as run, its seed and the cindersim version.

Nothing is fetched when the page opens (no scripts, no external style sheet), and
the page holds no date: the same run writes the same bytes.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .charts import CHARTS, write_charts

if TYPE_CHECKING:
    from ..metrics import MetricsCollector

__all__ = ["write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0; } svg { max-width: 100%; height: auto; }
"""


def write_report(metrics: MetricsCollector, directory: str | Path, *, name: str,
                 description: str, scenario_text: str, seed: int, version: str,
                 table: str) -> Path:
    """Write ``report.html`` into *directory* and return its path.

    Raises:
        PlotUnavailable: without matplotlib (the charts are the report's heart).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_charts(metrics, tmp, title=name, formats=("svg",))
        svgs = {p.stem: _inline(p.read_text(encoding="utf-8")) for p in written}
    pools = [p for p in metrics.pools() if p.points]
    rows = []
    for p in sorted(pools, key=lambda p: (p.full_s is None, p.full_s or 0.0, p.backend)):
        end = p.points[-1]
        rows.append(
            f"<tr><td>{html.escape(p.backend)}</td><td>{'thin' if p.thin else 'thick'}</td>"
            f"<td>{end.total_gb:,.1f}</td><td>{end.used_gb:,.1f}</td>"
            f"<td>{end.provisioned_gb:,.1f}</td><td>{end.limit_gb:,.1f}</td>"
            f"<td>{'-' if p.full_s is None else _when(p.full_s)}</td>"
            f"<td style='text-align:left'>{html.escape(p.full_reason or '')}</td></tr>")
    figures = "\n".join(f"<figure id='chart-{c}'>{svgs[c]}</figure>" for c in CHARTS
                        if c in svgs)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)}: cindersim what-if</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(name)}</h1>
<p>{html.escape(description)}</p>
<p>seed <b>{seed}</b> &middot; cindersim {html.escape(version)} &middot; virtual time
{metrics.cloud.sim.now():,.3f} s</p>
<h2>Summary</h2>
<pre id="summary">{html.escape(table)}</pre>
<h2>Pools</h2>
<table id="pools"><tr><th>pool</th><th>type</th><th>size GiB</th><th>used GiB</th>
<th>provisioned GiB</th><th>limit GiB</th><th>first refused (virtual time)</th><th>why</th></tr>
{chr(10).join(rows)}
</table>
<h2>Charts</h2>
{figures}
<h2>Scenario</h2>
<pre id="scenario">{html.escape(scenario_text)}</pre>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _when(seconds: float) -> str:
    """Virtual seconds as the unit an operator reads (days for a capacity run)."""
    for div, unit in ((86400.0, "d"), (3600.0, "h"), (60.0, "min")):
        if seconds >= 2 * div:
            return f"{seconds / div:,.1f} {unit}"
    return f"{seconds:,.1f} s"


def _inline(svg: str) -> str:
    """An SVG file's text as an element inside HTML (without its XML prologue)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
