"""The metrics of a what-if run as a text table (``cindersim run``'s default output for a
workload scenario): latency per operation, outcomes by reason, and per pool what it
promised against its limit and when it stopped accepting creates."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .metrics import ERROR_REASONS

if TYPE_CHECKING:
    from .metrics import MetricsCollector
    from .pools import PoolHistory

__all__ = ["metrics_table"]


def _dur(seconds: float) -> str:
    """Virtual seconds as a short human figure (``90 s``, ``2.5 h``, ``3.2 d``)."""
    for div, unit in ((604800.0, "w"), (86400.0, "d"), (3600.0, "h"), (60.0, "min")):
        if seconds >= 2 * div:
            return f"{seconds / div:.1f} {unit}"
    return f"{seconds:.3f} s"


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "-" if value is None or math.isnan(value) else format(value, fmt)


def _promised(pool: PoolHistory) -> float:
    """Sort key: the share of its limit a pool has promised at the end (fullest first)."""
    last = pool.points[-1]
    return last.provisioned_gb / last.limit_gb if last.limit_gb > 0 else math.inf


def metrics_table(m: MetricsCollector, *, title: str = "", top: int = 10) -> str:
    """The metrics as a text table: latency per operation, counts by reason, the pools
    (every pool for a few; for many, the *top* that filled first or are fullest), queues."""
    s = m.summary()
    lines = [f"Metrics: {title}" if title else "Metrics"]
    start = float(s["workload_start_s"] or 0.0)
    end = float(s["end_s"] or 0.0)
    lines.append(f"  virtual time {start:.3f} .. {end:.3f} s ({_dur(end - start)} of workload), "
                 f"{s['samples']} samples every {_dur(m.interval)}")
    by_status = ", ".join(f"{k[5:]} x{n}" for k, n in sorted(m.counts.items())
                          if k.startswith("http."))
    lines.append(f"  requests {s['requests']}: ok {s['requests.ok']}, failed "
                 f"{s['requests.failed']}" + (f" (by status: {by_status})" if by_status else ""))
    errs = []
    for reason in ERROR_REASONS:
        first = m.first.get(reason)
        errs.append(f"{reason} {s[f'error.{reason}']}"
                    + (f" (first at {first:.3f} s = {_dur(first - start)} in)"
                       if first is not None else ""))
    lines.append("  errors: " + ", ".join(errs))
    drivers = [(k[13:], n) for k, n in sorted(m.counts.items()) if k.startswith("error.driver.")]
    if drivers:
        lines.append("  driver errors by call: " + ", ".join(f"{c} {n}" for c, n in drivers))
    lines.append("")
    lat = m.latency()
    lines.append(f"  {'latency (virtual s)':<28}{'count':>7}{'errors':>7}{'p50':>10}{'p95':>10}"
                 f"{'p99':>10}{'max':>10}")
    for op, row in lat.items():
        lines.append(f"  {op:<28}{int(row['count']):>7}{int(row['errors']):>7}"
                     f"{_num(row['p50']):>10}{_num(row['p95']):>10}{_num(row['p99']):>10}"
                     f"{_num(row['max']):>10}")
    if not lat:
        lines.append("  (no operation finished)")
    lines.append("")
    if m.samples:
        last = m.samples[-1]
        lines.append(f"  capacity at {last.time:.3f} s (GiB), {len(last.backends)} pool(s): "
                     f"total {_num(s['capacity.total_gb'], '.1f')}, physically free "
                     f"{_num(s['capacity.free_gb'], '.1f')}, provisioned "
                     f"{_num(s['capacity.provisioned_gb'], '.1f')}, volumes {s['volumes']}")
        lines.extend(_pools(m, s, start, top))
        lines.append("")
        peak, where, when = m.queue_peak
        lines.append(f"  queues: peak depth {peak}"
                     + (f" ({where} at {when:.3f} s)" if peak else ""))
    return "\n".join(lines) + "\n"


def _pools(m: MetricsCollector, s: dict[str, float | int | None], start: float,
           top: int) -> list[str]:
    pools = [p for p in m.pools() if p.points]
    lines = []
    median = s["median_request_gb"]
    full = [p for p in pools if p.full_s is not None]
    if median is not None and full:
        first = min(full, key=lambda p: (p.full_s or 0.0, p.backend))
        lines.append(f"  first pool to refuse a {median:g} GiB create (the median request): "
                     f"{first.backend} at {_dur((first.full_s or 0.0) - start)} in: "
                     f"{first.full_reason}")
        stranded = s["stranded_free_gb"]
        if stranded:
            lines.append(f"  stranded: {_num(stranded, '.1f')} GiB physically free on "
                         f"{s['backends_full']} pool(s) that refuse the median request "
                         "(their limit, not their disks, is spent)")
    elif median is not None:
        lines.append(f"  every pool can still take a {median:g} GiB create")
    shown = pools
    if len(pools) > top:
        shown = sorted(pools, key=lambda p: (p.full_s is None, p.full_s or 0.0,
                                             -_promised(p), p.backend))[:top]
        lines.append(f"  the {top} of {len(pools)} pools that filled first, then the fullest "
                     "by share of their limit promised:" if full else
                     f"  the {top} fullest of {len(pools)} pools (by share of their limit "
                     "promised):")
    lines.append(f"  {'pool':<28}{'total':>9}{'used':>9}{'provisioned':>13}{'limit':>10}"
                 f"{'full at':>12}  why")
    for p in shown:
        end = p.points[-1]
        at = "-" if p.full_s is None else _dur(p.full_s - start)
        lines.append(f"  {p.backend:<28}{end.total_gb:>9.1f}{end.used_gb:>9.1f}"
                     f"{end.provisioned_gb:>13.1f}{end.limit_gb:>10.1f}{at:>12}  "
                     f"{(p.full_reason or '').split(':')[0]}")
    return lines
