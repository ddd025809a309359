"""Charts of a what-if run: files written, deterministic, and a clear message without
matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cindersim.metrics import MetricsCollector
from cindersim.render.charts import (
    CHARTS,
    INSTALL_HINT,
    PlotUnavailable,
    require_pyplot,
    write_charts,
)
from cindersim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def outage_metrics() -> MetricsCollector:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "volume-outage.toml"))
    assert res.metrics is not None
    return res.metrics


def test_every_chart_as_png(tmp_path: Path, outage_metrics: MetricsCollector) -> None:
    paths = write_charts(outage_metrics, tmp_path, title="volume-outage")
    assert [p.name for p in paths] == [f"{c}.png" for c in CHARTS]
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == PNG
        assert len(data) > 5000


def test_equal_runs_give_equal_bytes(tmp_path: Path, outage_metrics: MetricsCollector,
                                     ) -> None:
    a = write_charts(outage_metrics, tmp_path / "a", formats=("png", "svg"))
    b = write_charts(outage_metrics, tmp_path / "b", formats=("png", "svg"))
    assert [p.name for p in a] == [p.name for p in b]
    assert {p.suffix for p in a} == {".png", ".svg"}
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name
    svg = (tmp_path / "a" / "capacity.svg").read_text()
    assert "<dc:date>" not in svg
    assert "Matplotlib v" not in svg


def test_many_backends_draw_totals_and_a_band(tmp_path: Path) -> None:
    sc = load_scenario(ROOT / "scenarios" / "weigher-stranding.toml",
                       overrides={"fleet.count": 20, "workload.duration": "6h"})
    res = run_scenario(sc)
    assert res.metrics is not None
    (cap,) = write_charts(res.metrics, tmp_path, formats=("svg",))[:1]
    text = cap.read_text()
    assert "per pool, min..max" in text
    assert "all 20 pools" in text
    assert "cinder-3@lvm-3" not in text  # no panel per pool


def test_without_matplotlib_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                          outage_metrics: MetricsCollector,
                                          tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(PlotUnavailable, match=r"pip install 'cindersim\[plot\]'"):
        require_pyplot()
    with pytest.raises(PlotUnavailable) as info:
        write_charts(outage_metrics, tmp_path)
    assert INSTALL_HINT in str(info.value)
    assert not list(tmp_path.iterdir())


def test_latency_panels_span_whole_decades_with_plain_labels(
        outage_metrics: MetricsCollector) -> None:
    """Nearly constant latencies (a create is 0.40 s give or take a millisecond) read as
    flat lines on a decade, labelled 0.1 and 1, not as a spread under minor labels."""
    import math  # noqa: PLC0415

    from cindersim.render.charts import _latency  # noqa: PLC0415

    plt = require_pyplot()
    fig = _latency(plt, outage_metrics, 60.0)
    try:
        fig.canvas.draw()
        lat = outage_metrics.latency()
        for ax in fig.axes:
            op = ax.get_title()
            low, high = ax.get_ylim()
            assert math.log10(low) == math.floor(math.log10(low))  # powers of ten
            assert math.log10(high) == math.floor(math.log10(high))
            assert low <= lat[op]["p50"] <= high
            labels = {t.get_text() for t in ax.get_yticklabels(minor=True)}
            assert labels <= {""}  # no minor labels
            majors = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
            assert majors
            assert all("\\times" not in s and "^" not in s for s in majors)
    finally:
        plt.close(fig)


def test_charts_of_a_run_where_nothing_failed_say_so(tmp_path: Path) -> None:
    """No error, no refusal, no queue: a sentence each, on the run's time span, not a
    flat zero on a -0.04..0.04 axis or a bar per pool that never filled."""
    from cindersim.render.charts import _errors, _fill, _queues  # noqa: PLC0415

    text = (ROOT / "scenarios" / "sweep-example.toml").read_text().replace(
        'duration = "1d"', 'duration = "2h"').replace("max_over_subscription_ratio = 2.0",
                                                      "max_over_subscription_ratio = 20.0")
    p = tmp_path / "calm.toml"
    p.write_text(text)
    res = run_scenario(load_scenario(p))
    m = res.metrics
    assert m is not None
    assert m.summary()["error.no_valid_backend"] == 0
    plt = require_pyplot()
    end = m.samples[-1].time / 60
    for draw, sentence in ((_errors, "no NoValidBackend, quota or driver error"),
                           (_fill, "none of the 4 pool(s) refused"),
                           (_queues, "no message ever waited")):
        fig = draw(plt, m, 60.0)
        try:
            ax = fig.axes[0]
            texts = [t.get_text() for t in ax.texts]
            assert any(sentence in t for t in texts), (draw.__name__, texts)
            assert not ax.patches  # no bars
            assert ax.get_ylim()[0] >= 0
            assert ax.get_xlim()[1] >= end * 0.99
        finally:
            plt.close(fig)


def test_errors_chart_counts_from_zero_in_whole_numbers() -> None:
    from cindersim.render.charts import _errors  # noqa: PLC0415

    m = run_scenario(load_scenario(ROOT / "scenarios" / "sweep-example.toml")).metrics
    assert m is not None
    assert m.summary()["error.no_valid_backend"] == 14  # creates refused: something to draw
    plt = require_pyplot()
    fig = _errors(plt, m, 3600.0)
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_ylim()[0] == 0
        assert all(float(t).is_integer() for t in ax.get_yticks())
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "no_valid_backend", "quota", "driver"]
    finally:
        plt.close(fig)
