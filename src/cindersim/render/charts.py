"""Charts of a what-if run, drawn with matplotlib (the optional ``plot`` extra).

:func:`write_charts` draws a :class:`~cindersim.metrics.MetricsCollector`'s
samples into files (``cindersim run FILE --plot DIR``):

* ``capacity.png`` - free and provisioned GiB over virtual time: one line per
  backend for a few backends; for many, the totals plus the per-backend free
  capacity as a min..max band around the median (1,000 lines read as noise);
* ``queues.png`` - bus queue depth over time (the deepest queues, plus the
  total of all cinder-volume queues);
* ``latency.png`` - p50/p95/p99 of ``volume.create`` (and p95 of the other
  operations) per sample interval, by when the operation finished;
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

__all__ = ["CHARTS", "INSTALL_HINT", "PlotUnavailable", "require_pyplot", "write_charts"]

INSTALL_HINT = "pip install 'cindersim[plot]'"

CHARTS = ("capacity", "queues", "latency", "errors")
"""The charts :func:`write_charts` draws, by file stem."""

MANY_BACKENDS = 8
"""Above this many backends the capacity chart shows totals and a band, not lines."""

_RC = {"svg.hashsalt": "cindersim", "svg.fonttype": "path", "path.simplify": True,
       "figure.max_open_warning": 0}


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
    drawers = {"capacity": _capacity, "queues": _queues, "latency": _latency,
               "errors": _errors}
    times = [s.time for s in metrics.samples]
    div, unit = _time_axis(times)
    with plt.rc_context(_RC):
        for name in CHARTS:
            fig = drawers[name](plt, metrics, div)
            try:
                for ax in fig.axes:
                    ax.set_xlabel(f"virtual time ({unit})")
                    ax.grid(True, alpha=0.3)
                fig.suptitle(f"{title}: {name}" if title else name, fontsize=10)
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
    samples = m.samples
    xs = [s.time / div for s in samples]
    names = [b.backend for b in samples[-1].backends] if samples else []
    if len(names) <= MANY_BACKENDS:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for i, name in enumerate(names):
            free = [s.backends[i].free_capacity_gb for s in samples]
            prov = [s.backends[i].provisioned_capacity_gb for s in samples]
            (line,) = ax.plot(xs, free, label=f"{name} free")
            ax.plot(xs, prov, linestyle="--", color=line.get_color(),
                    label=f"{name} provisioned")
        if names:
            total = [s.backends[0].total_capacity_gb for s in samples]
            ax.plot(xs, total, color="black", linewidth=0.8, linestyle=":",
                    label=f"{names[0]} total")
        ax.set_ylabel("GiB")
        ax.legend(fontsize=7, ncol=2)
        return fig
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    for field, label in (("total_capacity_gb", "total"), ("free_capacity_gb", "free"),
                         ("provisioned_capacity_gb", "provisioned")):
        top.plot(xs, [sum(getattr(b, field) for b in s.backends) for s in samples],
                 label=label)
    top.set_ylabel(f"GiB, all {len(names)} backends")
    top.legend(fontsize=8)
    lo, mid, hi = [], [], []
    for s in samples:
        free = sorted(b.free_capacity_gb for b in s.backends)
        lo.append(free[0])
        hi.append(free[-1])
        mid.append(free[len(free) // 2])
    bottom.fill_between(xs, lo, hi, alpha=0.3, label="free per backend, min..max")
    bottom.plot(xs, mid, label="free per backend, median")
    bottom.set_ylabel("GiB per backend")
    bottom.legend(fontsize=8)
    return fig


def _queues(plt: Any, m: MetricsCollector, div: float) -> Any:
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
    volume_total = [sum(d for q, d in s.queues if q.startswith("cinder-volume")) for s in samples]
    ax.plot(xs, volume_total, color="black", linewidth=0.8, linestyle=":",
            label="all cinder-volume queues")
    ax.set_ylabel("messages waiting")
    ax.legend(fontsize=7)
    return fig


def _buckets(m: MetricsCollector) -> list[float]:
    edges = [s.time for s in m.samples]
    return edges if edges else [0.0]


def _latency(plt: Any, m: MetricsCollector, div: float) -> Any:
    from ..metrics import LATENCY_OPS, percentile  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(8, 4.5))
    edges = _buckets(m)
    by_op: dict[str, list[list[float]]] = {}
    for span in m.spans:
        i = _bucket_of(edges, span.end)
        by_op.setdefault(span.operation, [[] for _ in edges])[i].append(span.latency)
    xs = [t / div for t in edges]
    create = by_op.get("volume.create")
    if create is not None:
        for p, style in ((50, "-"), (95, "--"), (99, ":")):
            ys = [percentile(b, p) if b else float("nan") for b in create]
            ax.plot(xs, ys, linestyle=style, marker=".", label=f"volume.create p{p}")
    for op in LATENCY_OPS[1:]:
        if op in by_op:
            ys = [percentile(b, 95) if b else float("nan") for b in by_op[op]]
            ax.plot(xs, ys, marker=".", linewidth=0.8, label=f"{op} p95")
    ax.set_ylabel("latency (virtual s), per sample interval")
    if by_op:
        ax.legend(fontsize=7)
    return fig


def _bucket_of(edges: Sequence[float], t: float) -> int:
    """The sample interval closing at or after *t* (its index), the last one past the end."""
    import bisect  # noqa: PLC0415

    return min(bisect.bisect_left(edges, t), len(edges) - 1)


def _errors(plt: Any, m: MetricsCollector, div: float) -> Any:
    from ..metrics import ERROR_REASONS  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [s.time / div for s in m.samples]
    for reason in ERROR_REASONS:
        ys = [dict(s.errors).get(reason, 0) for s in m.samples]
        ax.step(xs, ys, where="pre", label=reason)
    ax.set_ylabel("errors per sample interval")
    ax.legend(fontsize=8)
    return fig
