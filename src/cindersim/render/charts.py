"""Charts of a what-if run, drawn with matplotlib (the optional ``plot`` extra).

:func:`write_charts` draws a :class:`~cindersim.metrics.MetricsCollector`'s
samples into files (``cindersim run FILE --plot DIR``):

* ``capacity.png`` - per pool, GiB provisioned against the limit the CapacityFilter
  allows (thin: ``max_over_subscription_ratio`` x (total - reserved)) and GiB
  physically used, with the moment the pool first refused a create; for many pools,
  the totals and each pool's share of its limit as a min..max band;
* ``fill.png`` - when each pool first refused a create of the median size;
* ``queues.png`` - depth of the queues that ever held a message;
* ``latency.png`` - p50/p95/p99 per sample interval, one panel per operation, log axis;
* ``errors.png`` - NoValidBackend, quota and driver errors per sample interval:
  when failures start.

Files are deterministic: no date or software version in the metadata, and a
fixed ``svg.hashsalt`` so SVG ids do not change between equal runs.

Without matplotlib nothing else in cindersim changes: :func:`require_pyplot`
raises :class:`PlotUnavailable`, whose message says how to install it, and
the CLI prints that and carries on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..metrics import MetricsCollector
    from ..pools import PoolHistory

__all__ = ["CHARTS", "INSTALL_HINT", "PlotUnavailable", "require_pyplot", "write_charts"]

INSTALL_HINT = "pip install 'cindersim[plot]'"

CHARTS = ("capacity", "fill", "queues", "latency", "errors")
"""The charts :func:`write_charts` draws, by file stem."""

MANY_BACKENDS = 8
"""Above this many backends the capacity chart shows totals and a band, not lines."""

_RC = {"svg.hashsalt": "cindersim", "svg.fonttype": "path", "path.simplify": True,
       "figure.max_open_warning": 0}


_TITLES = {
    "capacity": "capacity per pool: provisioned vs the over-subscription limit vs used",
    "fill": "when each pool first refused a create of the median requested size",
    "queues": "bus queue depth (queues that ever held a message)",
    "latency": "latency per operation, p50/p95/p99 per sample interval (virtual s, log)",
    "errors": "failed requests per sample interval, by reason",
}


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed (or cannot be imported)."""


def require_pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (files only, no display).

    Raises:
        PlotUnavailable: matplotlib is missing; the message names
            ``pip install 'cindersim[plot]'``.
    """
    try:
        import matplotlib  # noqa: PLC0415 (optional extra)

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as exc:
        raise PlotUnavailable(
            f"charts need matplotlib, which is not installed ({exc}): "
            f"{INSTALL_HINT}") from None
    return plt


def _metadata(fmt: str) -> dict[str, Any]:
    """No software version or date in the file, so equal runs give equal charts."""
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": None, "Producer": None}
    return {"Software": None}


def _time_axis(times: Sequence[float]) -> tuple[float, str]:
    """(divisor, unit) so the x axis reads in seconds, minutes, hours or days."""
    span = (max(times) - min(times)) if times else 0.0
    for div, unit, above in ((86400.0, "days", 3 * 86400), (3600.0, "hours", 3 * 3600),
                             (60.0, "minutes", 3 * 60)):
        if span >= above:
            return div, unit
    return 1.0, "seconds"


def write_charts(metrics: MetricsCollector, directory: str | Path, *, title: str = "",
                 formats: Sequence[str] = ("png",)) -> list[Path]:
    """Draw the four charts of *metrics* into *directory*; the files written, in order.

    Raises:
        PlotUnavailable: without matplotlib.
    """
    plt = require_pyplot()
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    drawers = {"capacity": _capacity, "fill": _fill, "queues": _queues,
               "latency": _latency, "errors": _errors}
    times = [s.time for s in metrics.samples]
    div, unit = _time_axis(times)
    with plt.rc_context(_RC):
        for name in CHARTS:
            fig = drawers[name](plt, metrics, div)
            try:
                for ax in fig.axes:
                    if name == "fill":
                        ax.set_xlabel(f"first refused a create, virtual time ({unit})")
                    elif ax.get_subplotspec() is None or ax.get_subplotspec().is_last_row():
                        ax.set_xlabel(f"virtual time ({unit})")
                    ax.grid(True, alpha=0.3)
                fig.suptitle(f"{title}\n{_TITLES[name]}" if title else _TITLES[name],
                             fontsize=9)
                fig.tight_layout()
                for fmt in formats:
                    path = out_dir / f"{name}.{fmt}"
                    fig.savefig(path, format=fmt, dpi=100, metadata=_metadata(fmt))
                    written.append(path)
            finally:
                plt.close(fig)
    return written


# --- the charts -------------------------------------------------------------------------------
def _capacity(plt: Any, m: MetricsCollector, div: float) -> Any:
    """Per pool: GiB provisioned against the limit the CapacityFilter allows (thin:
    max_over_subscription_ratio x (total - reserved)) and physically used; a dotted line
    where the pool first refused a create of the median size.  Thin pools are refused
    at their limit long before their disks fill, so free space alone would say nothing."""
    pools = [p for p in m.pools() if p.points]
    if len(pools) <= MANY_BACKENDS:
        cols = 2 if len(pools) > 1 else 1
        rows = max(1, -(-len(pools) // cols))
        fig, axes = plt.subplots(rows, cols, figsize=(8, 2.6 * rows + 0.8), sharex=True,
                                 squeeze=False)
        flat = [ax for row in axes for ax in row]
        for ax, pool in zip(flat, pools, strict=False):
            _pool_panel(ax, pool, div)
        for ax in flat[len(pools):]:
            ax.set_visible(False)
        flat[0].legend(fontsize=7)
        return fig
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    xs = [p.time / div for p in pools[0].points]
    n = min(len(p.points) for p in pools)
    series = {key: [sum(getattr(p.points[i], key) for p in pools) for i in range(n)]
              for key in ("provisioned_gb", "limit_gb", "used_gb", "total_gb")}
    scale, unit = _size_unit(max((max(v, default=0.0) for v in series.values()), default=0.0))
    for key, label, style in (("provisioned_gb", "provisioned", "-"),
                              ("limit_gb", "limit (what may be promised)", "--"),
                              ("used_gb", "physically used", "-"),
                              ("total_gb", "physical size", ":")):
        top.plot(xs[:n], [v / scale for v in series[key]], linestyle=style, label=label)
    top.set_ylabel(f"{unit}, all {len(pools)} pools")
    top.legend(fontsize=8)
    shares = [[p.points[i].provisioned_gb / p.points[i].limit_gb * 100
               if p.points[i].limit_gb > 0 else 100.0 for p in pools] for i in range(n)]
    bottom.fill_between(xs[:n], [min(v) for v in shares], [max(v) for v in shares],
                        alpha=0.3, label="per pool, min..max")
    bottom.plot(xs[:n], [sorted(v)[len(v) // 2] for v in shares], label="per pool, median")
    bottom.axhline(100, color="red", linewidth=0.8, linestyle="--", label="the limit")
    first = min((p.full_s for p in pools if p.full_s is not None), default=None)
    if first is not None:
        bottom.axvline(first / div, color="red", linewidth=0.8, linestyle=":",
                       label="first pool refuses")
    bottom.set_ylabel("% of its limit provisioned")
    bottom.legend(fontsize=8)
    return fig


def _size_unit(peak_gb: float) -> tuple[float, str]:
    """(divisor, unit): TiB once figures pass 10,000 GiB, so no axis reads '1e6'."""
    return (1024.0, "TiB") if peak_gb >= 10_000 else (1.0, "GiB")


def _pool_panel(ax: Any, pool: PoolHistory, div: float) -> None:
    xs = [p.time / div for p in pool.points]
    scale, unit = _size_unit(max(max(p.limit_gb, p.provisioned_gb) for p in pool.points))
    ax.plot(xs, [p.provisioned_gb / scale for p in pool.points], label="provisioned")
    ax.plot(xs, [p.limit_gb / scale for p in pool.points], linestyle="--", color="red",
            label="limit" + (" (ratio x size)" if pool.thin else ""))
    ax.plot(xs, [p.used_gb / scale for p in pool.points], label="physically used")
    ax.plot(xs, [p.total_gb / scale for p in pool.points], linestyle=":", color="black",
            linewidth=0.8, label="physical size")
    if pool.full_s is not None:
        ax.axvline(pool.full_s / div, color="red", linewidth=0.8, linestyle=":")
    ax.set_title(f"{pool.backend} ({'thin' if pool.thin else 'thick'})", fontsize=8)
    ax.set_ylabel(unit)


def _fill(plt: Any, m: MetricsCollector, div: float) -> Any:
    """When each pool first refused a create of the median size (pools that never did
    run to the end of the run, hatched), earliest first."""
    pools = [p for p in m.pools() if p.points]
    end = m.samples[-1].time / div if m.samples else 0.0
    order = sorted(pools, key=lambda p: (p.full_s is None, p.full_s or 0.0, p.backend))
    if all(p.full_s is None for p in pools):
        # Thirty identical hatched bars would say less than one sentence.
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.text(0.5, 0.5, f"none of the {len(pools)} pool(s) refused a create of the "
                          "median requested size by the end of the run",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_xlim(0, end or 1.0)
        ax.set_yticks([])
        return fig
    shown = order[:30]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.25 * max(1, len(shown))))
    ys = list(range(len(shown)))
    labelled: set[bool] = set()
    for y, pool in zip(ys, shown, strict=True):
        never = pool.full_s is None
        label = None if never in labelled else ("never refused (bar: the run's end)" if never
                                                else "first refused")
        labelled.add(never)
        if never:
            ax.barh(y, end, color="lightgrey", hatch="//", edgecolor="grey", label=label)
        else:
            ax.barh(y, (pool.full_s or 0.0) / div, color="tab:red", label=label)
    ax.set_yticks(ys, [p.backend for p in shown], fontsize=7)
    ax.invert_yaxis()
    ax.legend(fontsize=7, loc="lower right")
    ax.set_ylabel("pool" + (f" (first 30 of {len(pools)})" if len(pools) > 30 else ""))
    return fig


def _queues(plt: Any, m: MetricsCollector, div: float) -> Any:
    """Depth of the queues that ever held a message (an idle queue draws nothing)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    samples = m.samples
    xs = [s.time / div for s in samples]
    peaks: dict[str, int] = {}
    for s in samples:
        for q, d in s.queues:
            peaks[q] = max(peaks.get(q, 0), d)
    deepest = sorted((q for q in peaks if peaks[q] > 0), key=lambda q: (-peaks[q], q))[:6]
    for q in deepest:
        ax.plot(xs, [dict(s.queues).get(q, 0) for s in samples], label=q)
    if deepest:
        ax.legend(fontsize=7)
        ax.set_ylim(bottom=0)
    else:
        ax.text(0.5, 0.5, "no message ever waited in a queue", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
        if xs:  # the run's span, not matplotlib's empty 0..1
            ax.set_xlim(xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1)
    ax.set_ylabel("messages waiting")
    return fig


def _buckets(m: MetricsCollector) -> list[float]:
    edges = [s.time for s in m.samples]
    return edges if edges else [0.0]


def _latency(plt: Any, m: MetricsCollector, div: float) -> Any:
    """p50/p95/p99 per sample interval, one panel per operation, on a log axis: a 0.4 s
    create and a 200 s delete read on one scale."""
    from ..metrics import percentile  # noqa: PLC0415

    edges = _buckets(m)
    by_op: dict[str, list[list[float]]] = {}
    for span in m.spans:
        i = _bucket_of(edges, span.end)
        by_op.setdefault(span.operation, [[] for _ in edges])[i].append(span.latency)
    ops = sorted(by_op)
    fig, axes = plt.subplots(max(1, len(ops)), 1, figsize=(8, 1.2 + 2.0 * max(1, len(ops))),
                             sharex=True, squeeze=False)
    xs = [t / div for t in edges]
    for ax, op in zip([row[0] for row in axes], ops, strict=False):
        shown: list[float] = []
        for p, style in ((50, "-"), (95, "--"), (99, ":")):
            ys = [percentile(b, p) if b else float("nan") for b in by_op[op]]
            ax.plot(xs, ys, linestyle=style, marker=".", label=f"p{p}")
            shown.extend(ys)
        ax.set_yscale("log")
        _whole_decades(ax, shown)
        ax.set_title(op, fontsize=8)
        ax.set_ylabel("virtual s")
        ax.legend(fontsize=7)
    if not ops:
        axes[0][0].text(0.5, 0.5, "no operation finished", ha="center", va="center",
                        transform=axes[0][0].transAxes)
    return fig


def _whole_decades(ax: Any, values: Sequence[float]) -> None:
    """A log axis from the power of ten below the smallest value to the one above the
    largest, labelled 0.1, 1, 10 ...: latencies that hardly vary (0.402 s to 0.420 s)
    then read as the flat lines they are, where matplotlib's own limits would spread
    them over the panel under minor ticks all labelled 4.02x10^-1."""
    import math  # noqa: PLC0415

    from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: PLC0415

    pos = [v for v in values if math.isfinite(v) and v > 0]
    if not pos:
        return
    low = 10.0 ** math.floor(math.log10(min(pos)))
    high = 10.0 ** math.ceil(math.log10(max(pos)))
    ax.set_ylim(low, high if high > low else low * 10)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _bucket_of(edges: Sequence[float], t: float) -> int:
    """The sample interval closing at or after *t* (its index), the last one past the end."""
    import bisect  # noqa: PLC0415

    return min(bisect.bisect_left(edges, t), len(edges) - 1)


def _errors(plt: Any, m: MetricsCollector, div: float) -> Any:
    from ..metrics import ERROR_REASONS  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [s.time / div for s in m.samples]
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    total = 0
    for reason in ERROR_REASONS:
        ys = [dict(s.errors).get(reason, 0) for s in m.samples]
        total += sum(ys)
        ax.step(xs, ys, where="pre", label=reason)
    ax.set_ylabel("errors per sample interval")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.02 errors
    if total:
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    else:  # not a y axis from -0.04 to 0.04 around a flat zero
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, "no NoValidBackend, quota or driver error",
                ha="center", va="center", transform=ax.transAxes)
    return fig
