"""Sweep runs: the same table bytes whatever --jobs is (in-process or a fork pool), a run
that raises becomes an error row, --only + --collect rebuild the full sweep's table, and
the comparison chart (or, without matplotlib, a message and the tables anyway)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from sweep_helpers import sweep, write

from cindersim.sweep import Sweep, SweepTable, run_one, run_sweep

RAISES = """
DESCRIPTION = "raises at seed 2"

async def scenario(cloud):
    token = cloud.token("demo")
    project = cloud.project_id("demo")
    await cloud.request("POST", f"/v3/{project}/volumes", json={"volume": {"size": 1}},
                        token=token)
    await cloud.settle()
    if cloud.sim.seed == 2:
        raise RuntimeError("boom at seed 2")
    assert cloud.sim.seed != 3, "seed 3 fails its assert"
"""

GRID = ["--set", "cloud.lvmdriver-1.vg_size_gb=8,20", "--set",
        'cloud.lvmdriver-1.lvm_type="default",thin', "--seeds", "1..2"]
PNG = b"\x89PNG\r\n\x1a\n"


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


class TestIdentity:
    def test_same_bytes_for_jobs_1_and_2(self, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        one, two = tmp_path / "one", tmp_path / "two"
        s1 = sweep([str(path), *GRID, "--jobs", "1", "--out", str(one), "--no-chart"])
        s2 = sweep([str(path), *GRID, "--jobs", "2", "--out", str(two), "--no-chart"])
        err = capsys.readouterr().err
        assert (s1, s2) == (1, 1)  # the 8 GiB thick backend cannot hold b: failed rows
        assert "[8/8] " in err
        assert (one / "results.csv").read_bytes() == (two / "results.csv").read_bytes()
        assert (one / "results.json").read_bytes() == (two / "results.json").read_bytes()
        rows = rows_of(one / "results.csv")
        assert list(rows[0])[:9] == ["run", "point", "cloud.lvmdriver-1.vg_size_gb",
                                     "cloud.lvmdriver-1.lvm_type", "seed", "status",
                                     "failed_expectations", "virtual_time_s", "error"]
        assert [(r["run"], r["point"], r["cloud.lvmdriver-1.vg_size_gb"],
                 r["cloud.lvmdriver-1.lvm_type"], r["seed"], r["status"]) for r in rows] == [
            ("0", "0", "8", "default", "1", "failed"), ("1", "0", "8", "default", "2", "failed"),
            ("2", "1", "8", "thin", "1", "ok"), ("3", "1", "8", "thin", "2", "ok"),
            ("4", "2", "20", "default", "1", "ok"), ("5", "2", "20", "default", "2", "ok"),
            ("6", "3", "20", "thin", "1", "ok"), ("7", "3", "20", "thin", "2", "ok")]
        assert all(float(r["virtual_time_s"]) > 0 for r in rows)
        doc = json.loads((one / "results.json").read_text())
        assert doc["total"] == 8
        assert doc["rows"][0]["failures"][0].startswith(f"{path}:20: volume b status")

    def test_in_process_equals_pool(self, tmp_path: Path) -> None:
        path = write(tmp_path)
        sw = Sweep.build(path, [("cloud.lvmdriver-1.vg_size_gb", (8, 12, 20))], seeds=(1, 2))
        seen: list[int] = []
        pooled = run_sweep(sw.runs, jobs=2, progress=lambda d, t, r, row, s, ev: seen.append(d))
        local = run_sweep(sw.runs, jobs=1)
        assert pooled == local
        assert [r["run"] for r in pooled] == list(range(6))
        assert seen == [1, 2, 3, 4, 5, 6]
        one = run_one(path, {"cloud.lvmdriver-1.vg_size_gb": 12}, 2)
        assert {k: v for k, v in pooled[3].items() if k not in ("run", "point")} == one

    def test_run_one_resolves_the_scenario_seed(self, tmp_path: Path) -> None:
        row = run_one(write(tmp_path))
        assert row["seed"] == 5
        assert row["status"] == "ok"
        assert row["error"] is None
        assert row == run_one(write(tmp_path), {}, 5)


class TestFailures:
    def test_a_raising_run_is_an_error_row_and_the_sweep_goes_on(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path, RAISES, "raises.py")
        out = tmp_path / "out"
        status = sweep([str(path), "--seeds", "1..3", "--jobs", "2", "--out", str(out),
                        "--no-chart"])
        err = capsys.readouterr().err
        assert status == 1
        rows = rows_of(out / "results.csv")
        assert [(r["seed"], r["status"]) for r in rows] == [("1", "ok"), ("2", "error"),
                                                           ("3", "failed")]
        assert rows[1]["error"] == "RuntimeError: boom at seed 2"
        assert rows[0]["error"] == rows[2]["error"] == ""
        assert "seed=2: error (RuntimeError: boom at seed 2)" in err
        assert "run 1 (error): RuntimeError: boom at seed 2" in err

    def test_a_dead_worker_is_an_error_row(self, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
        """A worker killed mid-run (here: os._exit) costs rows, not the sweep."""
        path = write(tmp_path, """
            import os

            async def scenario(cloud):
                if cloud.sim.seed == 2:
                    os._exit(3)
            """, "dies.py")
        out = tmp_path / "out"
        status = sweep([str(path), "--seeds", "1..3", "--jobs", "2", "--out", str(out),
                        "--no-chart", "--quiet"])
        assert status == 1
        rows = rows_of(out / "results.csv")
        assert [r["run"] for r in rows] == ["0", "1", "2"]
        assert rows[1]["status"] == "error"
        assert rows[1]["error"].startswith("BrokenProcessPool: a worker process died")
        assert {r["status"] for r in rows} <= {"ok", "error"}

    def test_a_seed_key_is_the_seed_column(self, tmp_path: Path) -> None:
        path = write(tmp_path)
        out = tmp_path / "o"
        assert sweep([str(path), "--set", "seed=3,4", "--jobs", "1", "--quiet", "--out",
                      str(out), "--no-chart"]) == 0
        rows = rows_of(out / "results.csv")
        assert list(rows[0])[:4] == ["run", "point", "seed", "status"]
        assert [r["seed"] for r in rows] == ["3", "4"]

    def test_all_ok_exits_0(self, tmp_path: Path) -> None:
        path = write(tmp_path)
        assert sweep([str(path), "--seeds", "1,2", "--jobs", "1", "--quiet", "--out",
                      str(tmp_path / "o"), "--no-chart"]) == 0


class TestCluster:
    def test_only_and_collect_rebuild_the_full_table(self, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
        path = write(tmp_path)
        full, parts = tmp_path / "full", tmp_path / "parts"
        sweep([str(path), *GRID, "--jobs", "2", "--out", str(full), "--no-chart"])
        capsys.readouterr()
        # three "array tasks" write into two directories, out of order, one run twice
        assert sweep([str(path), *GRID, "--only", "7,0..2", "--jobs", "1", "--out",
                      str(parts / "a"), "--quiet"]) == 1
        assert sweep([str(path), *GRID, "--only", "3..6", "--out", str(parts / "b"),
                      "--quiet"]) == 0
        assert sweep([str(path), *GRID, "--only", "2", "--out", str(parts / "b"),
                      "--quiet"]) == 0
        assert sorted(p.name for p in (parts / "a").iterdir()) == [
            "row-000000.json", "row-000001.json", "row-000002.json", "row-000007.json"]
        assert not (parts / "a" / "results.csv").exists()
        capsys.readouterr()
        status = sweep(["--collect", str(parts / "a"), str(parts / "b"), "--out",
                        str(tmp_path / "merged"), "--no-chart"])
        assert status == 1  # runs 0 and 1 failed their expectation, as in the full sweep
        assert (tmp_path / "merged" / "results.csv").read_bytes() == \
            (full / "results.csv").read_bytes()
        assert (tmp_path / "merged" / "results.json").read_bytes() == \
            (full / "results.json").read_bytes()

    def test_collect_reports_missing_runs(self, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        rows = tmp_path / "rows"
        assert sweep([str(path), "--seeds", "1..4", "--only", "1,3", "--out", str(rows),
                      "--quiet"]) == 0
        capsys.readouterr()
        assert sweep(["--collect", str(rows), "--no-chart"]) == 1
        assert "2 of 4 run(s) missing: 0, 2" in capsys.readouterr().err
        assert [r["run"] for r in rows_of(rows / "results.csv")] == ["1", "3"]

    def test_collect_refuses_rows_of_another_sweep(self, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        sweep([str(path), "--seeds", "1..2", "--only", "0", "--out", str(tmp_path / "a"),
               "--quiet"])
        sweep([str(path), "--seeds", "1..3", "--only", "1", "--out", str(tmp_path / "b"),
               "--quiet"])
        capsys.readouterr()
        assert sweep(["--collect", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
        assert "a row of another sweep" in capsys.readouterr().err
        assert sweep(["--collect", str(tmp_path / "nothing")]) == 2
        assert sweep(["--collect", str(tmp_path)]) == 2
        assert "no row files" in capsys.readouterr().err

    def test_collect_takes_no_scenario(self, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        assert sweep([str(write(tmp_path)), "--collect", str(tmp_path)]) == 2
        assert "--collect takes row directories only" in capsys.readouterr().err


class TestChart:
    def test_comparison_png(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        out = tmp_path / "out"
        sweep([str(path), *GRID, "--jobs", "1", "--out", str(out), "--quiet"])
        png = out / "comparison.png"
        assert png.read_bytes()[:8] == PNG
        assert f"{png} (virtual_time_s)" in capsys.readouterr().err

    def test_one_key_and_a_chosen_metric(self, tmp_path: Path) -> None:
        path = write(tmp_path)
        out = tmp_path / "out"
        sweep([str(path), "--set", "cloud.lvmdriver-1.vg_size_gb=8,20", "--seeds", "1..2",
               "--jobs", "1", "--out", str(out), "--quiet", "--metric",
               "failed_expectations"])
        assert (out / "comparison.png").read_bytes()[:8] == PNG

    def test_unknown_metric_costs_only_the_chart(self, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        out = tmp_path / "out"
        status = sweep([str(write(tmp_path)), "--jobs", "1", "--out", str(out), "--quiet",
                        "--metric", "nope"])
        assert status == 0
        assert (out / "results.csv").exists()
        assert not (out / "comparison.png").exists()
        assert "--metric nope has no numbers (numeric columns: virtual_time_s, " \
               "failed_expectations)" in capsys.readouterr().err

    def test_without_matplotlib_the_tables_and_a_message(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        out = tmp_path / "out"
        for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
            monkeypatch.setitem(sys.modules, name, None)
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        status = sweep([str(path), "--seeds", "1..2", "--jobs", "1", "--out", str(out),
                        "--quiet"])
        err = capsys.readouterr().err
        assert status == 0
        assert (out / "results.csv").exists()
        assert not (out / "comparison.png").exists()
        assert "pip install 'cindersim[plot]'" in err
        assert len([line for line in err.splitlines() if "cindersim[plot]" in line]) == 1

    def test_table_value_lookup(self) -> None:
        table = SweepTable("s.toml", "s", ("k",), 1, ({
            "run": 0, "point": 0, "overrides": {"k": 1.5}, "seed": 1, "status": "ok",
            "failed_expectations": 0, "failures": [], "virtual_time_s": 0.1,
            "summary": {"volume.create.p95": 2.0, "n": None}, "error": None},))
        assert table.columns() == ["run", "point", "k", "seed", "status",
                                   "failed_expectations", "virtual_time_s", "n",
                                   "volume.create.p95", "error"]
        assert table.to_csv().splitlines()[1] == "0,0,1.5,1,ok,0,0.1,,2.0,"

    def test_mean_rounding_above_the_max_still_draws(self, tmp_path: Path) -> None:
        """Three equal floats can average a hair above their max; the error bar is 0."""
        from cindersim.sweep import aggregate, write_chart  # noqa: PLC0415

        v = 0.40800000000000003
        rows = tuple({"run": i, "point": 0, "overrides": {"k": 1}, "seed": i, "status": "ok",
                      "failed_expectations": 0, "failures": [], "virtual_time_s": v,
                      "summary": {}, "error": None} for i in range(3))
        table = SweepTable("s.toml", "s", ("k",), 3, rows)
        mean, low, high, n = aggregate(table, "virtual_time_s")[0]
        assert (low, high, n) == (v, v, 3)
        assert mean > high  # the float case the chart must survive
        out = write_chart(table, "virtual_time_s", tmp_path / "c.png")
        assert out.read_bytes()[:8] == PNG


WORKLOAD = """
name = "wl"
description = "two thin 20 GiB backends, two hours of creates and deletes"
seed = 1

[fleet]
count = 2
lvm_type = "thin"
vg_size_gb = 20
max_over_subscription_ratio = 1.0

[cloud.DEFAULT]
quota_volumes = -1
quota_gigabytes = -1

[workload]
duration = "2h"

[[workload.streams]]
arrivals = { poisson = "30/h" }
sizes = { uniform = [1, 4] }
lifetime = { exponential = "1h" }
"""


class TestWorkloadSweep:
    """A workload scenario: the metrics summary becomes columns, the same bytes either way."""

    def test_summary_columns_identity_and_default_metric(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path, WORKLOAD, "wl.toml")
        grid = ["--set", "fleet.max_over_subscription_ratio=1.0,2.0", "--seeds", "1..2"]
        one, two = tmp_path / "one", tmp_path / "two"
        assert sweep([str(path), *grid, "--jobs", "1", "--out", str(one), "--quiet"]) == 0
        assert sweep([str(path), *grid, "--jobs", "2", "--out", str(two), "--quiet"]) == 0
        err = capsys.readouterr().err
        assert (one / "results.csv").read_bytes() == (two / "results.csv").read_bytes()
        rows = rows_of(one / "results.csv")
        cols = list(rows[0])
        summary = cols[cols.index("virtual_time_s") + 1:-1]
        assert summary == sorted(summary)
        assert {"volume.create.p95", "error.no_valid_backend", "stranded_free_gb",
                "first_no_valid_backend_s"} <= set(summary)
        nvb = {(r["fleet.max_over_subscription_ratio"], r["seed"]):
               int(r["error.no_valid_backend"]) for r in rows}
        assert nvb[("1.0", "1")] > nvb[("2.0", "1")]  # promising more refuses fewer
        assert rows[0]["seed"] != rows[1]["seed"]
        assert (rows[0]["first_no_valid_backend_s"], rows[0]["volume.create.count"]) != \
            (rows[1]["first_no_valid_backend_s"], rows[1]["volume.create.count"])
        # volume.create.p95 is the same everywhere, so the chart shows what differs
        assert f"{one / 'comparison.png'} (error.no_valid_backend)" in err
        assert (one / "comparison.png").read_bytes()[:8] == PNG


def test_bundled_example_plans(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[2] / "scenarios" / "sweep-example.toml"
    status = sweep([str(example), "--set", "fleet.max_over_subscription_ratio=1.0,2.0,4.0",
                    "--set", 'cloud.DEFAULT.scheduler_default_weighers=["CapacityWeigher"],'
                    '["AllocatedCapacityWeigher"]', "--seeds", "1..4", "--plan"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(lines) == 24
    assert json.loads(lines[5])["overrides"] == {
        "fleet.max_over_subscription_ratio": 1.0,
        "cloud.DEFAULT.scheduler_default_weighers": ["AllocatedCapacityWeigher"]}


def test_python_hand_off_in_any_order_gives_the_cli_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What docs/sweeps.md shows for Dask and Ray: run_one per run, anywhere, any order."""
    path = write(tmp_path)
    out = tmp_path / "cli"
    sweep([str(path), *GRID, "--jobs", "2", "--out", str(out), "--no-chart", "--quiet"])
    sw = Sweep.build(path, [("cloud.lvmdriver-1.vg_size_gb", (8, 20)),
                            ("cloud.lvmdriver-1.lvm_type", ("default", "thin"))], seeds=(1, 2))
    rows = [r.row(run_one(r.scenario, dict(r.overrides), r.seed)) for r in reversed(sw.runs)]
    assert SweepTable.of(sw, rows).to_csv() == (out / "results.csv").read_text()
