"""Per-pool what-if answers: the over-subscription limit each pool may promise, when each
pool first refused a create and why, the charts drawn from those figures (read from the
figure's data, not its pixels), the HTML report, and ``[[expect]]`` on a pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from cindersim.metrics import metrics_table
from cindersim.render.charts import CHARTS, _capacity, require_pyplot
from cindersim.render.report import write_report
from cindersim.scenario import ScenarioError, load_scenario, run_scenario

SCENARIO = """
name = "two-pools"
description = "a small and a big thin pool at over-subscription 2, fixed 4 GiB creates"
seed = 3

[cloud.DEFAULT]
enabled_backends = "small,big"
quota_volumes = -1
quota_gigabytes = -1
[cloud.small]
host = "cinder-1"
vg_size_gb = 10
lvm_type = "thin"
max_over_subscription_ratio = 2.0
[cloud.big]
host = "cinder-2"
vg_size_gb = 20
lvm_type = "thin"
max_over_subscription_ratio = 2.0

[workload]
duration = 3000
metrics_interval = 100

[[workload.streams]]
arrivals = { bursts = { every = 100, size = 1 } }
sizes = { fixed = 4 }
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> object:
    path = tmp_path_factory.mktemp("pools") / "two-pools.toml"
    path.write_text(SCENARIO)
    res = run_scenario(load_scenario(path))
    assert res.metrics is not None
    return res


def test_the_limit_is_the_ratio_times_what_is_not_reserved(result: object) -> None:
    pools = {p.backend: p for p in result.metrics.pools()}  # type: ignore[attr-defined]
    assert sorted(pools) == ["cinder-1@small", "cinder-2@big"]
    for pool in pools.values():
        assert pool.thin
        for point in pool.points:
            assert point.limit_gb == pytest.approx(2.0 * point.total_gb)  # reserved 0 %
            assert point.used_gb == pytest.approx(0.0)  # thin LVs nobody wrote


def test_each_pool_is_full_at_the_first_sample_that_cannot_promise_the_request(
        result: object) -> None:
    m = result.metrics  # type: ignore[attr-defined]
    size = 4.0
    by_series = {}
    for pool in m.pools():
        first = next((p for p in pool.points if p.provisioned_gb + size > p.limit_gb), None)
        by_series[pool.backend] = None if first is None else first.time
        assert pool.full_s == by_series[pool.backend]
        if pool.full_s is not None:
            assert pool.full_reason.startswith("over-subscription:")
    small, big = by_series["cinder-1@small"], by_series["cinder-2@big"]
    assert small is not None
    assert big is None or small < big  # the small pool fills first
    assert m.pool_metric("cinder-1@small", "pool_full_s") == small
    assert m.pool_metric("cinder-2@big", "pool_limit_gb") == pytest.approx(
        2.0 * m.pools()[1].points[-1].total_gb)


def test_the_capacity_chart_draws_the_limit_and_marks_the_moment(result: object) -> None:

    plt = require_pyplot()
    m = result.metrics  # type: ignore[attr-defined]
    fig = _capacity(plt, m, 1.0)
    try:
        for ax, pool in zip(fig.axes, m.pools(), strict=False):
            lines = {line.get_label(): line for line in ax.get_lines()}
            limit = lines["limit (ratio x size)"]
            assert list(limit.get_ydata()) == pytest.approx([p.limit_gb for p in pool.points])
            marks = [line for label, line in lines.items() if label.startswith("_")]
            if pool.full_s is not None:
                assert any(list(mk.get_xdata()) == [pool.full_s] * 2 for mk in marks)
    finally:
        plt.close(fig)


def test_the_report_holds_every_chart_the_summary_and_the_scenario(
        result: object, tmp_path: Path) -> None:

    m = result.metrics  # type: ignore[attr-defined]
    path = write_report(m, tmp_path, name="two-pools", description="d",
                        scenario_text=SCENARIO, seed=3, version="test",
                        table=metrics_table(m, title="two-pools"))
    page = path.read_text()
    for chart in CHARTS:
        assert f"<figure id='chart-{chart}'><svg" in page
    assert "first pool to refuse a 4 GiB create" in page
    assert "cinder-1@small" in page
    assert "max_over_subscription_ratio = 2.0" in page
    again = write_report(m, tmp_path / "again", name="two-pools", description="d",
                         scenario_text=SCENARIO, seed=3, version="test",
                         table=metrics_table(m, title="two-pools"))
    assert again.read_bytes() == path.read_bytes()


def test_an_expectation_names_a_pool(tmp_path: Path) -> None:
    path = tmp_path / "expect.toml"
    path.write_text(SCENARIO + """
[[expect]]
metric = "pool_full_s"
pool = "cinder-1@small"
at_most = 1500

[[expect]]
metric = "pool_limit_gb"
pool = "cinder-2@big"
at_least = 30
""")
    res = run_scenario(load_scenario(path))
    assert res.ok, res.report()
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO + '\n[[expect]]\nmetric = "pool_full_s"\nequals = 1\n')
    with pytest.raises(ScenarioError, match="per-pool metric: name the pool"):
        load_scenario(bad)
