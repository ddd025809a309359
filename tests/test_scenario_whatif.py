"""What-if scenarios: [fleet] and [workload] tables, overrides, metrics in runs."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from cindersim import states
from cindersim.metrics import SUMMARY_KEYS
from cindersim.scenario import load_scenario, run_scenario
from cindersim.scenario.whatif import (
    default_interval,
    parse_duration,
    parse_override_value,
    parse_rate,
)
from cindersim.workload import (
    Bursts,
    DailyCurve,
    EmpiricalSize,
    ExponentialLifetime,
    FixedLifetime,
    FixedSize,
    LogNormalSize,
    Operation,
    OperationMix,
    PoissonArrivals,
    UniformSize,
)
from scenario_files import SCENARIOS, errors_of, write

# One thick 10 GiB backend, 3 creates of 2 GiB at 0, 100 and 200 s into the workload.
# Latencies come from the config: a create is "creating" when cinder-api writes the row,
# then two bus hops (api -> scheduler -> volume, bus_latency each) and one lvcreate.
TINY = """
    name = "tiny"
    description = "three creates, by hand"
    seed = 5
    [cloud.simulator]
    bus_latency = 0.01
    [cloud.costs]
    lvcreate = 2.0
    [fleet]
    count = 1
    vg_size_gb = 10
    lvm_type = "default"
    [workload]
    duration = 300
    metrics_interval = 100
    [[workload.streams]]
    project = "demo"
    arrivals = { bursts = { every = 100, size = 1 } }
    sizes = { fixed = 2 }
    [[expect]]
    metric = "volume.create.count"
    equals = 3
    [[expect]]
    metric = "http.202"
    equals = 3
    """


class TestHandComputed:
    def test_three_creates_exact_counts_latency_and_capacity(self, tmp_path: Path) -> None:
        sc = load_scenario(write(tmp_path, TINY))
        assert sc.workload is not None
        assert sc.workload.metrics_interval == 100
        assert sc.workload.workload.streams[0].arrivals == Bursts(every=100, size=1)
        assert sc.workload.workload.streams[0].sizes == FixedSize(2)
        res = run_scenario(sc)
        assert res.ok, res.report()
        assert res.trace_mode == "metrics"
        assert res.trace.events == []
        m = res.metrics
        assert m is not None
        assert m.counts == {"http.202": 3, "scheduled": 3}
        assert [s.operation for s in m.spans] == ["volume.create"] * 3
        for span in m.spans:
            assert span.latency == pytest.approx(2 * 0.01 + 2.0, abs=1e-9)
            assert span.final == "available"
        t0 = m.started
        assert t0 is not None
        # cinder-api writes the row api_latency (0.002 s) after the request is sent
        assert [s.start - t0 for s in m.spans] == pytest.approx([0.002, 100.002, 200.002],
                                                                abs=1e-6)
        # Samples at the workload's start and every 100 s; the last at its end.
        times = [round(s.time - t0, 6) for s in m.samples]
        assert times == [0.0, 100.0, 200.0, 300.0]
        caps = [(b.total_capacity_gb, b.free_capacity_gb, b.provisioned_capacity_gb,
                 b.allocated_capacity_gb, b.volumes)
                for s in m.samples for b in s.backends]
        assert caps == [(10.0, 10.0, 0.0, 0.0, 0), (10.0, 8.0, 2.0, 2.0, 1),
                        (10.0, 6.0, 4.0, 4.0, 2), (10.0, 4.0, 6.0, 6.0, 3)]
        assert [s.backends[0].backend for s in m.samples] == ["cinder-0@lvm-0"] * 4
        assert [dict(s.errors) for s in m.samples] == [
            {"no_valid_backend": 0, "quota": 0, "driver": 0}] * 4
        s = m.summary()
        assert list(s) == list(SUMMARY_KEYS)
        assert s["requests"] == s["requests.ok"] == 3
        assert s["requests.failed"] == 0
        assert s["volume.create.count"] == 3
        assert s["volume.create.p50"] == s["volume.create.p99"] == 2.02
        assert s["volume.delete.count"] == 0
        assert s["volume.delete.p50"] is None
        assert s["first_no_valid_backend_s"] is None
        assert (s["capacity.total_gb"], s["capacity.free_gb"], s["volumes"]) == (10.0, 4.0, 3)
        assert s["median_request_gb"] == 2
        assert (s["backends_full"], s["stranded_free_gb"]) == (0, 0)

    def test_no_valid_backend_time_and_stranded_space(self, tmp_path: Path) -> None:
        # 4 GiB creates on a 10 GiB thick backend: two fit, the third (at 200 s) finds no
        # backend, leaving 2 GiB free that no 4 GiB request can use.
        p = write(tmp_path, TINY.replace("fixed = 2", "fixed = 4").replace(
            'metric = "http.202"\n    equals = 3',
            'metric = "error.no_valid_backend"\n    equals = 1'))
        res = run_scenario(load_scenario(p))
        m = res.metrics
        assert m is not None
        s = m.summary()
        assert s["error.no_valid_backend"] == 1
        assert res.ok, res.report()
        assert m.started is not None
        assert s["first_no_valid_backend_s"] is not None
        assert s["first_no_valid_backend_s"] - m.started == pytest.approx(200.0 + 0.002 + 0.01)
        assert s["volume.create.errors"] == 1
        assert (s["backends_full"], s["stranded_free_gb"]) == (1, 2.0)
        assert [dict(x.errors)["no_valid_backend"] for x in m.samples] == [0, 0, 0, 1]

    def test_a_metric_expectation_that_fails_says_expected_and_got(self, tmp_path: Path,
                                                                  ) -> None:
        p = write(tmp_path, TINY.replace("equals = 3\n    [[expect]]", "equals = 4\n    "
                                         "[[expect]]", 1))
        res = run_scenario(load_scenario(p))
        assert res.failures == ((19, "metric volume.create.count: expected 4, got 3"),)


class TestDeterminism:
    def test_same_seed_same_operations_and_metrics_bytes(self) -> None:
        sc = load_scenario(SCENARIOS / "volume-outage.toml")
        assert sc.workload is not None
        ops = sc.workload.workload.generate(random.Random(1))
        assert ops == sc.workload.workload.generate(random.Random(1))
        assert ops != sc.workload.workload.generate(random.Random(2))
        assert all(isinstance(o, Operation) for o in ops)
        a, b = run_scenario(sc), run_scenario(sc)
        assert a.metrics is not None
        assert b.metrics is not None
        assert a.metrics.to_json() == b.metrics.to_json()
        assert a.metrics.summary_csv() == b.metrics.summary_csv()
        c = run_scenario(sc, seed=2)
        assert c.metrics is not None
        assert c.metrics.to_json() != a.metrics.to_json()

    def test_full_trace_mode_gives_the_same_metrics(self, tmp_path: Path) -> None:
        sc = load_scenario(write(tmp_path, TINY))
        a = run_scenario(sc)
        b = run_scenario(sc, trace_mode="full")
        assert a.metrics is not None
        assert b.metrics is not None
        assert b.trace.events  # kept
        assert a.metrics.to_json() == b.metrics.to_json()


class TestOverrides:
    def test_dotted_paths_set_values_before_validation(self, tmp_path: Path) -> None:
        p = write(tmp_path, TINY)
        sc = load_scenario(p, overrides={
            "seed": 9, "fleet.count": 3, "fleet.max_over_subscription_ratio": 10,
            "cloud.DEFAULT.scheduler_default_weighers": "CapacityWeigher",
            "workload.streams.0.arrivals": {"poisson": 0.5},
            "workload.streams.0.sizes.fixed": 3})
        assert sc.seed == 9
        assert sc.cloud["DEFAULT"]["enabled_backends"] == "lvm-0,lvm-1,lvm-2"
        assert sc.cloud["DEFAULT"]["scheduler_default_weighers"] == "CapacityWeigher"
        assert sc.cloud["lvm-2"]["max_over_subscription_ratio"] == 10
        assert sc.workload is not None
        stream = sc.workload.workload.streams[0]
        assert stream.sizes == FixedSize(3)
        assert stream.arrivals.rate == 0.5  # type: ignore[attr-defined]
        # the file itself is untouched: loading again gives the original
        assert load_scenario(p).seed == 5

    def test_unknown_paths_name_the_key(self, tmp_path: Path) -> None:
        p = write(tmp_path, TINY)
        assert errors_of(p, overrides={"workload.streams.3.project": "demo"}) == [
            f"{p}:0: override 'workload.streams.3.project': no item '3' in workload.streams "
            "(1 item(s), counted from 0)"]
        assert errors_of(p, overrides={"seed.x": 1}) == [
            f"{p}:0: override 'seed.x': seed is 5, not a table: there is no key 'x' in it"]
        assert errors_of(p, overrides={"fleet.max_over_subscription_ration": 3}) == [
            f"{p}:8: unknown key 'max_over_subscription_ration' in [fleet] (its own keys: "
            "availability_zones, backends_per_host, count, host_prefix, name_prefix; or any "
            "backend option of cinder.conf: backend_availability_zone, ceph_osd_size_gb, "
            "ceph_osds, ceph_pool_size, extent_size_mib, fc_array_size_gb, lvm_mirrors, "
            "lvm_type, max_over_subscription_ratio, nfs_mount_attempts, nfs_mount_options, "
            "nfs_mount_point_base, nfs_qcow2_volumes, nfs_share_size_gb, nfs_shares, "
            "nfs_shares_config, nfs_snapshot_support, nfs_sparsed_volumes, "
            "rados_connection_interval, rados_connection_retries, rbd_ceph_conf, "
            "rbd_cluster_name, rbd_exclusive_cinder_pool, rbd_flatten_volume_from_snapshot, "
            "rbd_max_clone_depth, rbd_pool, rbd_secret_uuid, rbd_store_chunk_size, rbd_user, "
            "report_discard_supported, report_dynamic_total_capacity, reserved_percentage, "
            "target_helper, target_ip_address, target_port, target_prefix, target_protocol, "
            "vg_size_gb, volume_backend_name, volume_clear, volume_clear_size, "
            "volume_driver, volume_group) (set by override "
            "fleet.max_over_subscription_ration)"]
        assert errors_of(p, overrides={"workload.duration": "forever"}) == [
            f"{p}:13: duration must be a positive number of seconds or \"<n>s|m|h|d|w\", "
            "not 'forever' (set by override workload.duration)"]
        assert errors_of(p, overrides={"colour": "red"})[0].startswith(
            f"{p}:1: unknown key 'colour' in the scenario")

    def test_override_values_parse_as_toml_or_stay_text(self) -> None:
        assert parse_override_value("0.5") == 0.5
        assert parse_override_value("20") == 20
        assert parse_override_value("true") is True
        assert parse_override_value("[1, 2]") == [1, 2]
        assert parse_override_value("{ poisson = 0.1 }") == {"poisson": 0.1}
        assert parse_override_value("CapacityWeigher") == "CapacityWeigher"
        assert parse_override_value("3d") == "3d"
        assert parse_override_value('"20"') == "20"

    def test_python_scenarios_take_no_overrides(self, tmp_path: Path) -> None:
        p = write(tmp_path, "async def scenario(cloud):\n    pass\n", "s.py")
        assert errors_of(p, overrides={"seed": 1}) == [
            f"{p}:0: overrides apply to TOML scenarios only, not seed"]


class TestFleet:
    def test_expansion_names_hosts_zones_and_merge(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "f"
            [cloud.DEFAULT]
            enabled_backends = "extra"
            [cloud.extra]
            host = "other"
            [cloud.be-1]
            vg_size_gb = 7
            [fleet]
            count = 3
            name_prefix = "be"
            host_prefix = "node"
            backends_per_host = 2
            vg_size_gb = 50
            availability_zones = ["az1", "az2"]
            [[steps]]
            action = "settle"
            """)
        sc = load_scenario(p)
        cloud = sc.cloud
        assert cloud["DEFAULT"]["enabled_backends"] == "be-0,be-1,be-2,extra"
        assert [(cloud[n]["host"], cloud[n]["backend_availability_zone"], cloud[n]["vg_size_gb"])
                for n in ("be-0", "be-1", "be-2")] == [
            ("node-0", "az1", 50), ("node-0", "az2", 7), ("node-1", "az1", 50)]
        res = run_scenario(sc)
        assert res.ok
        assert sorted(res.result.cloud.volume_services) == [
            "node-0@be-0", "node-0@be-1", "node-1@be-2", "other@extra"]

    def test_bad_fleet_and_workload_tables(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "bad"
            [fleet]
            count = 0
            host = "x"
            lvm_type = "fat"
            availability_zones = []
            [workload]
            duration = "2 fortnights"
            metrics_interval = -5
            speed = 3
            [[workload.streams]]
            project = "nobody"
            arrivals = { poisson = 0.1, bursts = { every = 1, size = 1 } }
            sizes = { uniform = [10, 1] }
            lifetime = { forever = true }
            mix = { create = 1, resize = 1 }
            [[workload.streams]]
            arrivals = { bursts = { every = "1h" } }
            sizes = { lognormal = { mu = 1 } }
            [[expect]]
            metric = "latency_of_everything"
            at_least = 1
            """)
        assert errors_of(p) == [
            f"{p}:3: count must be >= 1, not 0",
            f"{p}:4: a fleet's hosts come from host_prefix and backends_per_host; host cannot "
            "be set",
            f"{p}:5: [fleet] lvm_type = 'fat': must be one of auto, default, thin",
            f"{p}:6: availability_zones must be a non-empty array of zone names",
            f"{p}:21: unknown metric 'latency_of_everything' (one of: "
            f"{', '.join(SUMMARY_KEYS)}; or a count: http.<status>, error.<reason>, "
            "error.driver.<call>, scheduled; or per pool: pool_full_s, pool_provisioned_gb, "
            "pool_limit_gb, pool_used_gb, pool_total_gb)",
            f"{p}:10: unknown key 'speed' in [workload] (expected one of: duration, "
            "metrics_interval, streams)",
            f"{p}:8: duration must be a positive number of seconds or \"<n>s|m|h|d|w\", not "
            "'2 fortnights'",
            f"{p}:9: metrics_interval must be a positive number of seconds or "
            "\"<n>s|m|h|d|w\", not -5",
            f"{p}:12: unknown project 'nobody' (one of: admin, demo, alt_demo)",
            f"{p}:13: arrivals must have exactly one of: poisson, bursts, daily",
            f"{p}:14: sizes: high (1) must be >= low (10)",
            f"{p}:15: lifetime must have exactly one of: fixed, exponential (unknown: "
            "'forever')",
            f"{p}:16: mix: unknown operation kind 'resize'; expected one of ('create', "
            "'attach', 'snapshot', 'backup', 'extend', 'delete')",
            f"{p}:18: bursts needs every and size (optional spread, start)",
            f"{p}:19: sizes: lognormal must be {{ mu = ..., sigma = ... }} (optional max, GiB)",
        ]

    def test_a_workload_makes_steps_optional_and_metric_needs_a_workload(
            self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "x"
            [[expect]]
            metric = "requests"
            at_least = 1
            """)
        assert errors_of(p) == [
            f"{p}:1: a scenario needs [[steps]] (or a [workload])",
            f"{p}:1: metric expectations need a [workload] (metrics are collected while it "
            "runs)"]


class TestTraceModes:
    def test_trace_reading_expectations_fail_clearly_without_events(
            self, tmp_path: Path) -> None:
        p = write(tmp_path, TINY + """
            [[expect]]
            count = "events"
            kind = "status"
            at_least = 1
            [[expect]]
            trace_contains = "available"
            """)
        sc = load_scenario(p)
        res = run_scenario(sc)
        assert res.failures == (
            (26, "count of events reads the trace, but trace mode 'metrics' keeps no events: "
                 "run with --trace-mode full (and without --trace), or check a metric "
                 "instead"),
            (30, "trace_contains reads the trace, but trace mode 'metrics' keeps no events: "
                 "run with --trace-mode full (and without --trace), or check a metric "
                 "instead"))
        assert run_scenario(sc, trace_mode="full").ok

    def test_a_streamed_trace_is_jsonl_and_not_in_memory(self, tmp_path: Path) -> None:
        sc = load_scenario(SCENARIOS / "create.toml")
        buf = io.StringIO()
        res = run_scenario(sc, trace_stream=buf)
        assert res.trace.events == []
        lines = buf.getvalue().splitlines()
        assert lines
        assert all(json.loads(x)["kind"] for x in lines)
        assert not res.ok  # create.toml counts events: it says why it cannot
        assert "the trace was streamed to a file" in res.report()
        assert res.metrics is None


def test_value_parsers_and_default_interval() -> None:
    assert parse_duration("14d") == 14 * 86400
    assert parse_duration("1.5h") == 5400
    assert parse_duration(90) == 90.0
    assert parse_duration("90") == 90.0
    assert parse_duration("2w") == 1209600
    assert parse_duration("soon") is None
    assert parse_duration(-1) is None
    assert parse_duration(True) is None
    assert parse_rate(0.5) == 0.5
    assert parse_rate("60/h") == pytest.approx(1 / 60)
    assert parse_rate("100/d") == pytest.approx(100 / 86400)
    assert parse_rate(0) is None
    assert parse_rate("fast") is None
    assert default_interval(3600) == 60
    assert default_interval(14 * 86400) == 7200
    assert default_interval(365 * 86400) == 86400 * 2


def test_a_fleet_of_300_hosts_gets_300_portals(tmp_path: Path) -> None:
    """cinder.conf's $my_ip plus one per host wraps after 255 hosts; a fleet has its
    own storage network instead, so the cloud starts."""
    p = write(tmp_path, """
        name = "wide"
        [fleet]
        count = 300
        vg_size_gb = 10
        [[steps]]
        action = "create_volume"
        as = "v"
        size = 1
        [[expect]]
        resource = "v"
        status = "available"
        """)
    sc = load_scenario(p)
    ips = [sc.cloud[f"lvm-{i}"]["target_ip_address"] for i in range(300)]
    assert len(set(ips)) == 300
    assert ips[:2] == ["10.0.0.1", "10.0.0.2"]
    assert ips[299] == "10.0.1.44"
    res = run_scenario(sc)
    assert res.ok, res.report()
    assert len(res.result.cloud.volume_services) == 300


def test_every_distribution_form_loads(tmp_path: Path) -> None:
    p = write(tmp_path, """
        name = "forms"
        [workload]
        duration = "1w"
        [[workload.streams]]
        project = "alt_demo"
        volume_type = "fast"
        arrivals = { daily = [0, 0, 0, 0, 0, 0, "10/h", "20/h", "30/h", "30/h", "30/h", "30/h",
                              "30/h", "30/h", "30/h", "30/h", "30/h", "20/h", "10/h", 0, 0, 0, 0,
                              0] }
        sizes = { lognormal = { mu = 3, sigma = 1, max = 500 } }
        lifetime = { fixed = "90m" }
        extend_by = { uniform = [1, 5] }
        [[workload.streams]]
        arrivals = { bursts = { every = "1h", size = 20, spread = "1m", start = "30m" } }
        sizes = { empirical = [1, 10, 100], weights = [5, 3, 1] }
        lifetime = { exponential = "3d" }
        mix = { create = 0.7, attach = 0.1, snapshot = 0.05, backup = 0.05, delete = 0.05 }
        [[workload.streams]]
        arrivals = { poisson = 0.001 }
        """)
    sc = load_scenario(p)
    assert sc.workload is not None
    assert sc.workload.workload.duration == 604800
    assert sc.workload.metrics_interval == 3600  # 1 w / 200 = 3024 s -> 1 h
    a, b, c = sc.workload.workload.streams
    assert (a.project, a.volume_type) == ("alt_demo", "fast")
    assert isinstance(a.arrivals, DailyCurve)
    assert a.arrivals.hourly[7] == pytest.approx(20 / 3600)
    assert a.sizes == LogNormalSize(3.0, 1.0, 500)
    assert a.lifetimes == FixedLifetime(5400)
    assert a.extend_by == UniformSize(1, 5)
    assert a.mix == OperationMix({"create": 1.0})
    assert b.arrivals == Bursts(every=3600, size=20, spread=60, start=1800)
    assert b.sizes == EmpiricalSize((1, 10, 100), (5, 3, 1))
    assert b.lifetimes == ExponentialLifetime(259200)
    assert dict(b.mix.weights)["attach"] == 0.1
    assert (c.project, c.arrivals, c.sizes, c.lifetimes) == (
        "demo", PoissonArrivals(0.001), FixedSize(1), None)


def test_a_stream_sub_table_error_points_at_its_own_header(tmp_path: Path) -> None:
    p = write(tmp_path, """
        name = "sub"
        [workload]
        duration = "1h"
        [[workload.streams]]
        arrivals = { poisson = "30/h" }
        [workload.streams.mix]
        create = 0.8
        extend = 0.2
        [[workload.streams]]
        arrivals = { poisson = "30/h" }
        [workload.streams.mix]
        create = 0.8
        shrink = 0.2
        """)
    assert errors_of(p) == [
        f"{p}:11: mix: unknown operation kind 'shrink'; expected one of ('create', 'attach', "
        "'snapshot', 'backup', 'extend', 'delete')"]
    ok = write(tmp_path, p.read_text().replace("shrink", "delete"), "ok.toml")
    sc = load_scenario(ok)
    assert sc.workload is not None
    assert [dict(s.mix.weights) for s in sc.workload.workload.streams] == [
        {"create": 0.8, "extend": 0.2}, {"create": 0.8, "delete": 0.2}]


@pytest.mark.parametrize("name", ["volume-outage", "weigher-stranding"])
def test_workload_runs_follow_the_state_machine_and_trace_mode_changes_no_metric(
        name: str) -> None:
    sc = load_scenario(SCENARIOS / f"{name}.toml", overrides={"workload.duration": "2h"})
    full = run_scenario(sc, trace_mode="full")
    assert states.check_trace(full.trace.events) == []
    lean = run_scenario(sc)
    assert full.metrics is not None
    assert lean.metrics is not None
    assert full.metrics.to_json() == lean.metrics.to_json()
