"""Metrics on small hand-computable workloads, in trace mode ``metrics``."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

import pytest

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, simulate
from cindersim.metrics import MetricsCollector, percentile
from cindersim.workload import (
    ExponentialLifetime,
    FixedSize,
    OperationMix,
    PoissonArrivals,
    Stream,
    UniformSize,
    Workload,
    drive,
)

THICK_10 = {"lvmdriver-1": {"vg_size_gb": 10, "lvm_type": "default"}}


async def _create(cloud: Cloud, size: int) -> int:
    r = await cloud.request("POST", f"/v3/{cloud.project_id('demo')}/volumes",
                            json={"volume": {"size": size}}, token=cloud.token("demo"))
    return r.status


def test_percentile_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 99) == 10
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert percentile([5, 1, 3], 0) == 1
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1], 101)


def test_three_creates_on_the_default_cloud() -> None:
    async def main(cloud: Cloud) -> MetricsCollector:
        m = MetricsCollector(cloud, interval=10)
        m.start()
        statuses = [await _create(cloud, s) for s in (1, 2, 3)]
        assert statuses == [202, 202, 202]
        await cloud.settle()
        m.sample()
        await cloud.advance(25)
        m.stop()
        return m

    result = simulate(main, seed=1, trace_mode="metrics")
    m = result.value
    assert result.trace.events == []  # metrics mode keeps no log; the collector still saw it
    first, settled = m.samples[0], m.samples[1]
    assert [round(s.time, 3) for s in m.samples[2:]] == [10.001, 20.001]
    (b0,) = first.backends
    (b1,) = settled.backends
    # The default backend is thin on a 100 GiB VG: the pool takes 0.95 of it.
    assert b0.backend == b1.backend == "cinder-1@lvmdriver-1"
    assert (b0.total_capacity_gb, b0.provisioned_capacity_gb, b0.volumes) == (95.0, 0.0, 0)
    assert (b1.total_capacity_gb, b1.provisioned_capacity_gb) == (95.0, 6.0)
    assert b1.free_capacity_gb == 95.0  # thin: nothing written yet
    assert (b1.allocated_capacity_gb, b1.volumes) == (6.0, 3)
    assert m.counts == {"http.202": 3, "scheduled": 3}
    lat = m.latency()
    assert list(lat) == ["volume.create"]
    assert lat["volume.create"]["count"] == 3
    assert lat["volume.create"]["errors"] == 0
    spans = [s.latency for s in m.spans]
    assert lat["volume.create"]["p50"] == percentile(spans, 50)
    assert all(x > 0 for x in spans)
    assert all(s.final == "available" for s in m.spans)
    assert dict(settled.queues)["cinder-volume.cinder-1@lvmdriver-1"] == 0


def test_thick_capacity_quota_and_no_valid_backend() -> None:
    async def main(cloud: Cloud) -> MetricsCollector:
        m = MetricsCollector(cloud)
        m.attach()
        assert await _create(cloud, 4) == 202
        assert await _create(cloud, 100000) == 413   # over the 1000 GiB quota
        await cloud.settle()
        assert await _create(cloud, 8) == 202        # accepted, but no backend fits
        await cloud.settle()
        m.sample()
        return m

    m = simulate(main, seed=2, config=THICK_10, trace_mode="metrics").value
    (b,) = m.samples[-1].backends
    # Thick: a 10 GiB PV holds 2559 extents of 4 MiB = 9.996 GiB; one 4 GiB LV is used.
    assert b.total_capacity_gb == 10.0
    assert b.provisioned_capacity_gb == 4.0
    assert b.free_capacity_gb == 6.0
    assert b.volumes == 1
    assert m.counts["error.quota"] == 1
    assert m.counts["http.413"] == 1
    assert m.counts["http.202"] == 2
    assert m.counts["error.no_valid_backend"] == 1
    assert "error.driver" not in m.counts
    finals = sorted((s.final or "") for s in m.spans)
    assert finals == ["available", "error"]
    assert m.latency()["volume.create"]["errors"] == 1


def test_driver_errors_are_counted_by_call() -> None:
    async def main(cloud: Cloud) -> MetricsCollector:
        m = MetricsCollector(cloud)
        m.attach()
        cloud.inject(FaultRule(op="create_volume", backend="cinder-1@lvmdriver-1", times=1))
        assert await _create(cloud, 1) == 202
        await cloud.settle()
        return m

    m = simulate(main, seed=3, trace_mode="metrics").value
    assert m.counts["error.driver"] == 1
    assert m.counts["error.driver.create_volume"] == 1


def test_exports_and_determinism(tmp_path: Path) -> None:
    workload = Workload([Stream("demo", PoissonArrivals(0.5), FixedSize(1))], duration=30)

    def run(seed: int) -> MetricsCollector:
        ops = workload.generate(random.Random(seed))

        async def main(cloud: Cloud) -> MetricsCollector:
            m = MetricsCollector(cloud, interval=5)
            m.start()
            await drive(cloud, ops)
            await cloud.settle()
            m.sample()
            m.stop()
            return m

        return simulate(main, seed=seed, trace_mode="metrics").value

    a, b = run(4), run(4)
    assert a.to_json() == b.to_json()
    assert a.capacity_csv() == b.capacity_csv()
    assert a.to_json() != run(5).to_json()
    data = json.loads(a.to_json())
    creates = data["counts"]["http.202"]
    assert data["latency"]["volume.create"]["count"] == creates
    rows = list(csv.DictReader(io.StringIO(a.latency_csv())))
    assert len(rows) == creates
    assert {r["final"] for r in rows} == {"available"}
    paths = a.write(tmp_path / "out")
    assert sorted(p.name for p in paths) == ["capacity.csv", "counts.csv", "errors.csv",
                                             "latency.csv", "metrics.json", "queues.csv",
                                             "summary.csv"]
    cap = list(csv.DictReader(io.StringIO((tmp_path / "out" / "capacity.csv").read_text())))
    assert len(cap) == len(a.samples)
    assert int(cap[-1]["volumes"]) == creates
    assert float(cap[-1]["provisioned_capacity_gb"]) == float(creates)


def test_interval_must_be_positive() -> None:
    async def main(cloud: Cloud) -> None:
        with pytest.raises(ValueError, match="interval"):
            MetricsCollector(cloud, interval=0)

    simulate(main)


def test_the_queue_peak_is_exact_between_samples() -> None:
    """Three creates wait for a stopped cinder-volume and drain before the next sample."""
    async def main(cloud: Cloud) -> MetricsCollector:
        m = MetricsCollector(cloud, interval=1000.0)
        m.start()
        svc = next(iter(cloud.volume_services.values()))
        svc.stop()
        token, pid = cloud.token("demo"), cloud.project_id("demo")
        for _ in range(3):
            r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                    token=token)
            assert r.status == 202
        await cloud.advance(20)
        svc.start()
        await cloud.advance(1000)
        m.stop()
        return m

    m = simulate(main, trace_mode="metrics").value
    assert max(d for s in m.samples for _, d in s.queues) == 0  # no sample saw the queue
    depth, queue, _when = m.queue_peak
    assert (depth, queue) == (3, "cinder-volume.cinder-1@lvmdriver-1")
    assert m.summary()["queue.peak"] == 3


def test_spans_latency_and_csv_agree_on_a_mixed_run() -> None:
    """The collector keeps finished spans as columns: ``spans``, ``latency()`` and
    ``latency_csv()`` must all say what the span objects say (errors included)."""
    workload = Workload([Stream("demo", PoissonArrivals(0.5), UniformSize(1, 4),
                                ExponentialLifetime(20.0),
                                OperationMix({"create": 3, "extend": 1, "snapshot": 1,
                                              "delete": 1}))], duration=120)
    ops = workload.generate(random.Random(11))

    async def main(cloud: Cloud) -> MetricsCollector:
        m = MetricsCollector(cloud, interval=30)
        m.start()
        await drive(cloud, ops)  # a 10 GiB backend: some creates find no backend
        await cloud.settle()
        m.stop()
        return m

    m = simulate(main, seed=11, config=THICK_10, trace_mode="metrics").value
    spans = m.spans
    assert {s.operation for s in spans} >= {"volume.create", "volume.delete",
                                            "volume.extend"}
    assert any(not s.ok for s in spans)
    assert spans == m.spans
    assert spans is not m.spans
    by_op: dict[str, list[float]] = {}
    for s in spans:
        by_op.setdefault(s.operation, []).append(s.latency)
    lat = m.latency()
    assert sorted(lat) == sorted(by_op)
    for op, xs in by_op.items():
        assert lat[op]["count"] == len(xs)
        assert lat[op]["errors"] == sum(1 for s in spans if s.operation == op and not s.ok)
        assert lat[op]["mean"] == sum(xs) / len(xs)
        assert lat[op]["p95"] == percentile(xs, 95)
        assert lat[op]["max"] == max(xs)
    rows = list(csv.reader(io.StringIO(m.latency_csv())))[1:]
    assert rows == [[s.operation, s.resource, str(s.start), str(s.end), str(s.latency),
                     s.final or ""] for s in spans]
