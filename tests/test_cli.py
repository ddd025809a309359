"""The cindersim command: exit codes, formats, colour rules, --step and determinism."""

from __future__ import annotations

import io
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
        assert out.startswith("sequenceDiagram\n    autonumber\n    participant Client\n")
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
        assert pauses == steps == 16
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
