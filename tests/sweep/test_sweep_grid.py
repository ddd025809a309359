"""Sweep grids: --set values and splitting, --seeds, the run order, and validation of every
grid point before anything runs (bad keys and values fail fast with FILE:LINE, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sweep_helpers import sweep, write

from cindersim.scenario import ScenarioError
from cindersim.sweep import Sweep, parse_seeds, parse_set, parse_value, split_values


class TestValues:
    @pytest.mark.parametrize(("text", "value"), [
        ("20", 20), ("1.5", 1.5), ("true", True), ('"a,b"', "a,b"), ("CapacityWeigher",
                                                                    "CapacityWeigher"),
        ('["CapacityWeigher"]', ["CapacityWeigher"]), ("'lit'", "lit"), ("  7 ", 7),
        ("1e3", 1000.0), ("thin", "thin"), ("10d", "10d"),
    ])
    def test_toml_literal_else_string(self, text: str, value: object) -> None:
        got = parse_value(text)
        assert got == value
        assert type(got) is type(value)

    def test_split_outside_quotes_and_brackets(self) -> None:
        assert split_values('1,"a,b",[1,2],{x = 1, y = [3,4]},\'c,d\'') == [
            "1", '"a,b"', "[1,2]", "{x = 1, y = [3,4]}", "'c,d'"]
        assert split_values(r'"a\",b",c') == [r'"a\",b"', "c"]

    @pytest.mark.parametrize(("text", "why"), [
        ("1,,2", "an empty value"), ("", "an empty value"), ("1,", "an empty value"),
        ('"abc,1', "unclosed"), ("[1,2", "unclosed ["), ("1]", "unbalanced"),
        ("[1}", "unbalanced"),
    ])
    def test_split_errors(self, text: str, why: str) -> None:
        with pytest.raises(ValueError, match=r".*") as info:
            split_values(text)
        assert why in str(info.value)

    def test_parse_set_weighers_example(self) -> None:
        key, values = parse_set('cloud.DEFAULT.scheduler_default_weighers='
                                '["CapacityWeigher"],["AllocatedCapacityWeigher"]')
        assert key == "cloud.DEFAULT.scheduler_default_weighers"
        assert values == (["CapacityWeigher"], ["AllocatedCapacityWeigher"])

    def test_parse_set_mixed(self) -> None:
        assert parse_set("fleet.max_over_subscription_ratio=1, 20,2.5") == (
            "fleet.max_over_subscription_ratio", (1, 20, 2.5))
        assert parse_set("workload.streams.0.arrivals.poisson=0.01") == (
            "workload.streams.0.arrivals.poisson", (0.01,))

    @pytest.mark.parametrize(("text", "why"), [
        ("novalue", "expected KEY=V1,V2"), ("=1,2", "not a dotted key"),
        ("a..b=1", "not a dotted key"), ("a b=1", "not a dotted key"),
        ("k=", "an empty value"), ("k=1,1", "value 1 is listed twice"),
        ('k="x",x', "value x is listed twice"),
    ])
    def test_parse_set_errors(self, text: str, why: str) -> None:
        with pytest.raises(ValueError, match=r"^--set") as info:
            parse_set(text)
        assert why in str(info.value)


class TestSeeds:
    @pytest.mark.parametrize(("text", "seeds"), [
        ("1..8", (1, 2, 3, 4, 5, 6, 7, 8)), ("5", (5,)), ("1,3,7", (1, 3, 7)),
        ("0..2,9", (0, 1, 2, 9)), ("4..4", (4,)), (" 2 .. 3 ", (2, 3)),
    ])
    def test_forms(self, text: str, seeds: tuple[int, ...]) -> None:
        assert parse_seeds(text) == seeds

    @pytest.mark.parametrize(("text", "why"), [
        ("8..1", "is empty"), ("x", "not an integer"), ("1,,2", "an empty item"),
        ("-1", ">= 0"), ("1..3,2", "2 is given twice"), ("1.5", "not an integer"),
    ])
    def test_errors(self, text: str, why: str) -> None:
        with pytest.raises(ValueError, match=r"^--seeds") as info:
            parse_seeds(text)
        assert why in str(info.value)


class TestGrid:
    def test_cartesian_product_first_key_outermost_seeds_innermost(self, tmp_path: Path
                                                                   ) -> None:
        path = write(tmp_path)
        sw = Sweep.build(path, [("cloud.lvmdriver-1.vg_size_gb", (8, 20)),
                                ("cloud.lvmdriver-1.lvm_type", ("default", "thin"))],
                         seeds=(3, 4))
        assert sw.name == "tiny"
        assert sw.points == 4
        got = [(r.index, r.point, r.overrides["cloud.lvmdriver-1.vg_size_gb"],
                r.overrides["cloud.lvmdriver-1.lvm_type"], r.seed) for r in sw.runs]
        assert got == [(0, 0, 8, "default", 3), (1, 0, 8, "default", 4),
                       (2, 1, 8, "thin", 3), (3, 1, 8, "thin", 4),
                       (4, 2, 20, "default", 3), (5, 2, 20, "default", 4),
                       (6, 3, 20, "thin", 3), (7, 3, 20, "thin", 4)]
        assert list(sw.runs[2].overrides) == ["cloud.lvmdriver-1.vg_size_gb",
                                              "cloud.lvmdriver-1.lvm_type"]

    def test_without_seeds_each_point_uses_its_scenario_seed(self, tmp_path: Path) -> None:
        path = write(tmp_path)
        assert [r.seed for r in Sweep.build(path, []).runs] == [5]
        sw = Sweep.build(path, [("seed", (11, 12))])
        assert [(r.overrides, r.seed) for r in sw.runs] == [({"seed": 11}, 11),
                                                          ({"seed": 12}, 12)]

    def test_a_key_twice_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="given twice"):
            Sweep.build(write(tmp_path), [("seed", (1,)), ("seed", (2,))])

    def test_every_bad_point_reported_with_file_line(self, tmp_path: Path) -> None:
        path = write(tmp_path)
        with pytest.raises(ScenarioError) as info:
            Sweep.build(path, [("cloud.lvmdriver-1.vg_size_gb", (8, "lots", "many"))])
        lines = str(info.value).splitlines()
        assert len(lines) == 2, lines
        assert lines[0].startswith(f"{path}:8: ")
        assert "(grid point cloud.lvmdriver-1.vg_size_gb=lots)" in lines[0]
        assert "(grid point cloud.lvmdriver-1.vg_size_gb=many)" in lines[1]


class TestCommandValidation:
    def test_bad_value_fails_before_any_run(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.chdir(tmp_path)
        path = write(tmp_path)
        calls: list[object] = []
        monkeypatch.setattr("cindersim.sweep.runner.run_scenario",
                            lambda *a, **k: calls.append(a))
        status = sweep([str(path), "--set", "cloud.lvmdriver-1.vg_size_gb=8,lots",
                        "--seeds", "1..2", "--jobs", "1"])
        err = capsys.readouterr().err
        assert status == 2
        assert err.startswith(f"{path}:8: ")
        assert "grid point cloud.lvmdriver-1.vg_size_gb=lots" in err
        assert calls == []
        assert not (tmp_path / "sweep-tiny").exists()

    def test_unknown_key(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        status = sweep([str(path), "--set", "cloud.lvmdriver-1.vg_sise_gb=8", "--plan"])
        cap = capsys.readouterr()
        assert status == 2
        assert cap.out == ""
        assert f"{path}:" in cap.err
        assert "vg_sise_gb" in cap.err

    @pytest.mark.parametrize(("argv", "why"), [
        (["--set", "k"], "--set 'k': expected KEY=V1,V2"),
        (["--seeds", "3..1"], "--seeds '3..1': the range 3..1 is empty"),
        (["--only", "9", "--seeds", "1..2"], "--only 9: run 9 is not in the grid"),
        (["--only", "x"], "--only 'x'"),
    ])
    def test_usage_errors(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          argv: list[str], why: str) -> None:
        status = sweep([str(write(tmp_path)), *argv])
        assert status == 2
        assert why in capsys.readouterr().err

    def test_no_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert sweep([]) == 2
        assert "give a scenario FILE" in capsys.readouterr().err

    def test_plan_lists_runs_as_json_lines(self, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
        path = write(tmp_path)
        status = sweep([str(path), "--set", 'cloud.lvmdriver-1.lvm_type="default",thin',
                        "--seeds", "1,7", "--plan"])
        out = capsys.readouterr().out
        assert status == 0
        plan = [json.loads(line) for line in out.splitlines()]
        assert plan == [
            {"index": i, "scenario": str(path),
             "overrides": {"cloud.lvmdriver-1.lvm_type": t}, "seed": s}
            for i, (t, s) in enumerate([("default", 1), ("default", 7), ("thin", 1),
                                        ("thin", 7)])]
        assert list(plan[0]) == ["index", "scenario", "overrides", "seed"]
        assert not (tmp_path / "sweep-tiny").exists()
