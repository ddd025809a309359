"""``cindersim sweep`` is reachable from the console script."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cindersim.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sweep-example.toml"


def test_sweep_runs_a_grid_from_the_main_command(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status = main(["sweep", str(EXAMPLE), "--set", "fleet.max_over_subscription_ratio=1.0,2.0",
                   "--set", "workload.duration=3h", "--seeds", "1..2", "--jobs", "1",
                   "--out", str(out), "--no-chart", "--quiet"])
    rows = list(csv.DictReader((out / "results.csv").open(encoding="utf-8")))
    assert [(r["fleet.max_over_subscription_ratio"], r["seed"]) for r in rows] == [
        ("1.0", "1"), ("1.0", "2"), ("2.0", "1"), ("2.0", "2")]
    # three hours of a 200-a-day stream: too few creates for the file's own expectation
    assert {r["status"] for r in rows} == {"failed"}
    assert status == 1


def test_sweep_plan_lists_runs_without_running(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["sweep", str(EXAMPLE), "--set", "seed=3,4", "--plan"])
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert '"seed": 3' in lines[0]
    assert '"seed": 4' in lines[1]
