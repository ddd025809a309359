"""The cindersim command: exit codes, formats, colour rules, --step and determinism."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cindersim import cli
from cindersim.trace import load_jsonl

ROOT = Path(__file__).resolve().parents[1]
CREATE = str(ROOT / "scenarios" / "create.toml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


class TestExitCodes:
    def test_zero_when_every_expectation_holds(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, err = run(capsys, "run", CREATE)
        assert status == 0
        assert "Step 1: create_volume as v1" in out
        assert err == f"{CREATE}: create: ok (6 expectation(s), 0 failed, virtual time " \
                      "0.828 s)\n"

    def test_one_with_an_expected_vs_actual_report(self, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
        bad = tmp_path / "bad.toml"
        bad.write_text((ROOT / "scenarios" / "create.toml").read_text().replace(
            'status = "deleted"', 'status = "available"'))
        status, out, err = run(capsys, "run", "--quiet", str(bad))
        assert status == 1
        assert out == ""
        assert err.splitlines()[1] == (f"{bad}:18: volume v1 status: expected 'available', "
                                       "got 'deleted'")

    def test_two_for_a_bad_file_and_nothing_runs(self, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        bad = tmp_path / "bad.toml"
        bad.write_text('[[steps]]\naction = "create_volume"\nsize = -\n')
        status, out, err = run(capsys, "run", CREATE, str(bad))
        assert status == 2
        assert out == ""
        assert err == f"{bad}:3: bad TOML: Invalid value\n"

    def test_bad_usage_is_two(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as info:
            cli.main(["run", CREATE, "--format", "pdf"])
        assert info.value.code == 2


class TestFormats:
    def test_jsonl_is_the_trace(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, _ = run(capsys, "run", "--format", "jsonl", CREATE)
        assert status == 0
        events = load_jsonl(out.splitlines())
        assert events[0].seq == 0
        assert [e.seq for e in events] == list(range(len(events)))

    def test_mermaid_and_summary(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "run", "--format", "mermaid", CREATE)
        # two scenario steps: one diagram each, as Markdown fenced blocks
        assert out.startswith("## 01-create-volume-v1\n\n```mermaid\nsequenceDiagram\n"
                              "    autonumber\n    participant Client\n")
        assert "## 02-delete-volume\n" in out
        _, out, _ = run(capsys, "run", "--format", "summary", CREATE)
        assert out.startswith("create: Create a 1 GiB volume")
        assert "Backends (now):" in out

    def test_out_writes_a_file_and_quiet_keeps_stdout_empty(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        target = tmp_path / "trace.mmd"
        status, out, err = run(capsys, "run", "--format", "mermaid", "--out", str(target),
                               "--quiet", CREATE)
        assert status == 0
        assert out == err == ""
        assert target.read_text().startswith("sequenceDiagram")

    def test_vietnamese(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "run", "--lang", "vi", CREATE)
        assert "Bước 1: create_volume" in out
        assert "hàng chờ AMQP" in " ".join(out.split())


class TestColour:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    def test_auto_colours_a_terminal_unless_no_color(self,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("NO_COLOR", raising=False)
        assert cli._use_color("auto", self.Tty())
        assert not cli._use_color("auto", io.StringIO())
        monkeypatch.setenv("NO_COLOR", "1")
        assert not cli._use_color("auto", self.Tty())
        monkeypatch.setenv("NO_COLOR", "")
        assert cli._use_color("auto", self.Tty())
        assert cli._use_color("always", io.StringIO())
        assert not cli._use_color("never", self.Tty())

    def test_no_color_output_is_plain(self, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setenv("NO_COLOR", "1")
        _, out, _ = run(capsys, "run", CREATE)
        assert "\x1b[" not in out
        _, out, _ = run(capsys, "run", "--color", "always", CREATE)
        assert "\x1b[1;34m" in out


class TestStep:
    def test_pauses_after_each_step_only_on_a_terminal(
            self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        class Keys(io.StringIO):
            def isatty(self) -> bool:
                return True

        keys = Keys("\n" * 100)
        monkeypatch.setattr(sys, "stdin", keys)
        status, out, err = run(capsys, "run", "--step", CREATE)
        assert status == 0
        pauses = err.count("[Enter]")
        steps = len(re.findall(r"^\s+\d+\. ", out, re.M))
        assert steps == 16
        # one stop per documents' step: B3 (take, decide, cast) is three steps, one stop
        assert pauses == 14
        assert keys.tell() == pauses

        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        _, _, err = run(capsys, "run", "--step", CREATE)
        assert "[Enter]" not in err


class TestListings:
    def test_flows(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, _ = run(capsys, "flows")
        assert status == 0
        assert "  create     ready    client -> cinder-api -> cinder-scheduler" in out
        assert "  create_volume    POST /volumes" in out

    def test_scenarios(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, _ = run(capsys, "scenarios")
        assert status == 0
        assert "  demo.toml                    The four seed flows on the default cloud" in out
        assert out.count("\n") == len(list((ROOT / "scenarios").glob("*.toml")))


def test_demo_jsonl_is_identical_across_runs_and_hash_seeds() -> None:
    outs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-m", "cindersim.cli", "demo", "--format",
                               "jsonl"], capture_output=True, env=env, check=True, cwd=ROOT)
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert outs[0].count(b"\n") > 100


OUTAGE = str(ROOT / "scenarios" / "volume-outage.toml")
TINY_WORKLOAD = """
name = "tiny"
description = "three creates"
[fleet]
count = 12
vg_size_gb = 10
lvm_type = "default"
[workload]
duration = 300
metrics_interval = 100
[[workload.streams]]
arrivals = { bursts = { every = 100, size = 1 } }
sizes = { fixed = 2 }
"""


class TestWorkloadRuns:
    """``cindersim run`` on a [workload] scenario: metrics table, files, charts, trace."""

    def tiny(self, tmp_path: Path, extra: str = "") -> str:
        p = tmp_path / "tiny.toml"
        p.write_text(TINY_WORKLOAD + extra)
        return str(p)

    def test_summary_is_the_default_with_totals_and_the_fullest_backends(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, err = run(capsys, "run", self.tiny(tmp_path))
        assert status == 0
        assert out.startswith("Metrics: tiny: three creates\n")
        assert "  requests 3: ok 3, failed 0 (by status: 202 x3)\n" in out
        assert "  errors: no_valid_backend 0, quota 0, driver 0\n" in out
        assert re.search(r"  volume\.create +3 +0 +0\.402 +0\.402 +0\.402 +0\.402\n", out)
        assert ("  capacity at 300.001 s (GiB), 12 pool(s): total 120.0, physically free "
                "114.0, provisioned 6.0, volumes 3\n") in out
        assert "  every pool can still take a 2 GiB create\n" in out
        assert "  the 10 fullest of 12 pools (by share of their limit promised):\n" in out
        rows = [line for line in out.splitlines() if re.match(r"  cinder-\d+@lvm-\d+ ", line)]
        assert len(rows) == 10
        assert [r.split()[2] for r in rows[:3]] == ["2.0"] * 3  # the three used ones first
        assert err.startswith(f"{tmp_path / 'tiny.toml'}: tiny: ok")

    def test_metrics_and_plot_directories(self, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        status, _, _ = run(capsys, "run", "--quiet", "--metrics", str(tmp_path / "m"),
                           "--plot", str(tmp_path / "p"), self.tiny(tmp_path))
        assert status == 0
        assert sorted(f.name for f in (tmp_path / "m").iterdir()) == [
            "capacity.csv", "counts.csv", "errors.csv", "latency.csv", "metrics.json",
            "queues.csv", "summary.csv"]
        data = json.loads((tmp_path / "m" / "metrics.json").read_text())
        assert data["summary"]["volume.create.count"] == 3
        assert data["counts"] == {"http.202": 3, "scheduled": 3}
        pngs = sorted(f.name for f in (tmp_path / "p").glob("*.png"))
        assert pngs == ["capacity.png", "errors.png", "fill.png", "latency.png", "queues.png"]
        for f in (tmp_path / "p").glob("*.png"):
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_without_matplotlib_the_run_completes_and_says_how_to_install(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
        status, out, err = run(capsys, "run", "--plot", str(tmp_path / "p"),
                               self.tiny(tmp_path))
        assert status == 0
        assert out.startswith("Metrics: tiny")
        assert "cindersim: no charts: charts need matplotlib" in err
        assert "pip install 'cindersim[plot]'" in err
        assert not list((tmp_path / "p").glob("*.png")) if (tmp_path / "p").exists() else True

    def test_trace_modes_and_formats(self, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
        tiny = self.tiny(tmp_path)
        status, _, err = run(capsys, "run", "--format", "narrate", "--trace-mode", "metrics",
                             tiny)
        assert status == 2
        assert err == (f"cindersim: {tiny}: --format narrate renders the trace's events, but "
                       "--trace-mode metrics keeps none in memory; use --format summary\n")
        status, _, err = run(capsys, "run", "--trace", str(tmp_path / "t.jsonl"),
                             "--trace-mode", "off", tiny)
        assert status == 2
        assert "--trace writes the full trace; it cannot go with --trace-mode off" in err
        # narrate on a workload scenario keeps the trace (full) by itself
        status, out, _ = run(capsys, "run", "--format", "jsonl", tiny)
        assert status == 0
        assert len(load_jsonl(out.splitlines())) > 10
        status, out, _ = run(capsys, "run", "--trace", str(tmp_path / "t.jsonl"), tiny)
        assert status == 0
        assert out.startswith("Metrics: tiny")
        events = load_jsonl((tmp_path / "t.jsonl").read_text().splitlines())
        assert sum(1 for e in events if e.kind == "api.response") == 3

    def test_a_trace_expectation_without_the_trace_is_a_failure_not_a_pass(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        tiny = self.tiny(tmp_path, '[[expect]]\ntrace_lacks = "NoValidBackend"\n')
        status, _, err = run(capsys, "run", "--quiet", tiny)
        assert status == 1
        assert (f"{tiny}:14: trace_lacks reads the trace, but trace mode 'metrics' keeps no "
                "events") in err
        status, _, _ = run(capsys, "run", "--quiet", "--trace-mode", "full", tiny)
        assert status == 0
        status, _, err = run(capsys, "run", "--quiet", "--trace", str(tmp_path / "t.jsonl"),
                             tiny)
        assert status == 1
        assert "the trace was streamed to a file" in err

    def test_metrics_on_a_steps_only_scenario_says_there_are_none(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        status, _out, err = run(capsys, "run", "--quiet", "--metrics", str(tmp_path / "m"),
                               CREATE)
        assert status == 0
        assert f"{CREATE}: no metrics: the scenario has no [workload]\n" in err
        assert not (tmp_path / "m").exists()

    def test_the_outage_scenario_summary(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, _ = run(capsys, "run", OUTAGE)
        assert status == 0
        assert "queues: peak depth 13 (cinder-volume.cinder-0@lvm-0 at " in out


def test_a_steps_only_scenario_needs_its_trace_to_be_shown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "run", "--format", "summary", "--trace-mode", "metrics",
                           CREATE)
    assert status == 2
    assert out == ""
    assert err == (f"cindersim: {CREATE}: --format summary renders the trace's events, but "
                   "--trace-mode metrics keeps none in memory; without a [workload] there "
                   "are no metrics to show instead\n")
    status, _, err = run(capsys, "run", "--trace", str(tmp_path / "t.jsonl"), CREATE)
    assert status == 2
    assert "--trace streams it to a file" in err
