"""The progress bar of long runs: on a terminal it shows the virtual time reached, events/s
and an ETA; piped, nothing; and with or without it a run's outputs are the same bytes."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from cindersim import cli
from cindersim.progress import TerminalProgress, clock_text, terminal_progress
from cindersim.scenario import load_scenario, run_scenario
from cindersim.sweep.command import main as sweep_main

ROOT = Path(__file__).resolve().parents[1]
ETA = re.compile(r"\[\d\d:\d\d<\d\d:\d\d\]")
"""tqdm's ``[elapsed<remaining]`` once it has a rate (its values are wall time: not read)."""

WORKLOAD = """\
name = "tiny-workload"
description = "Two thin backends, six hours of creates and deletes"
seed = 3

[fleet]
count = 2
lvm_type = "thin"
vg_size_gb = 100
max_over_subscription_ratio = 4.0

[cloud.DEFAULT]
quota_volumes = -1
quota_gigabytes = -1

[workload]
duration = "6h"
metrics_interval = "10m"

[[workload.streams]]
arrivals = { poisson = "600/d" }
sizes = { uniform = [1, 8] }
lifetime = { exponential = "1h" }

[[expect]]
metric = "volume.create.count"
at_least = 100
"""


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(WORKLOAD)
    return p


# --- the bar -----------------------------------------------------------------------------------
def test_clock_text() -> None:
    assert clock_text(0) == "0:00:00"
    assert clock_text(3725.9) == "1:02:05"
    assert clock_text(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3d 04:05:06"


def test_the_bar_shows_virtual_time_events_per_second_and_eta() -> None:
    term = Terminal()
    clock = Clock()
    bar = TerminalProgress(term, "run", clock=clock)
    bar.begin(7200.0)
    clock.t += 10
    bar.advance(1800.0, 50_000)
    line = term.getvalue().split("\r")[-1]
    assert line.startswith("run:  25%|")
    assert "virtual 0:30:00 of 2:00:00, 5,000 events/s [" in line
    assert ETA.search(line)
    bar.advance(1900.0, 60_000)  # within mininterval of the last redraw: not drawn
    assert term.getvalue().split("\r")[-1] == line
    clock.t += 10
    bar.end()
    bar.finish()
    last = term.getvalue().rstrip("\n").split("\r")[-1]
    assert "100%|" in last
    assert "virtual 2:00:00 of 2:00:00" in last
    assert term.getvalue().endswith("\n")


def test_runs_in_a_row_add_up() -> None:
    term = Terminal()
    clock = Clock()
    bar = TerminalProgress(term, "", clock=clock)
    for _ in range(4):
        bar.expect(100.0)
    bar.run_over(100.0, 1000)  # a run that finished in a worker
    bar.begin(100.0)           # one followed here
    clock.t += 1
    bar.advance(50.0, 500)
    assert bar.reached() == 150.0
    assert bar.text().startswith("virtual 0:02:30 of 0:06:40, 1,500 events/s")
    bar.end()
    bar.run_over(100.0, 500)   # the same run, reported again when it returns: once only
    assert bar.reached() == 200.0
    assert bar.events_done == 1500


def test_only_a_terminal_gets_one() -> None:
    assert terminal_progress(io.StringIO()) is None
    assert terminal_progress(object()) is None  # type: ignore[arg-type]
    assert isinstance(terminal_progress(Terminal(), "x"), TerminalProgress)


# --- cindersim run -------------------------------------------------------------------------------
def _run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
             stderr: io.StringIO, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stderr", stderr)
    status = cli.main(list(argv))
    monkeypatch.undo()
    return status, capsys.readouterr().out, stderr.getvalue()


def test_run_on_a_terminal_shows_the_bar_and_changes_no_output(
        scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    outs = {}
    for name, stream in (("tty", Terminal()), ("pipe", io.StringIO())):
        d = tmp_path / name
        d.mkdir()
        status, out, err = _run_cli(capsys, monkeypatch, stream, "run", str(scenario),
                                    "--metrics", str(d / "m"), "--trace", str(d / "t.jsonl"))
        assert status == 0, err
        outs[name] = (out, err, {p.name: p.read_bytes() for p in sorted(d.rglob("*.*"))})
    tty_err, pipe_err = outs["tty"][1], outs["pipe"][1]
    bar = [s for s in tty_err.split("\r") if "virtual" in s]
    assert bar, tty_err
    assert "tiny-workload: 100%|" in bar[-1]
    assert "virtual 6:00:00 of 6:00:00" in bar[-1]
    assert " events/s [" in bar[-1]
    assert any(ETA.search(s) for s in bar)
    assert "\r" not in pipe_err
    assert "events/s" not in pipe_err
    assert outs["tty"][0] == outs["pipe"][0]  # stdout: the summary table, byte for byte
    assert outs["tty"][2] == outs["pipe"][2]  # metrics files and the streamed trace
    assert outs["tty"][2]["t.jsonl"]
    # the verdict lines are the same too, after the bar's line
    assert tty_err.rsplit("\n", 2)[-2] == pipe_err.rstrip("\n").split("\n")[-1]


def test_quiet_gets_no_bar(scenario: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    status, _, err = _run_cli(capsys, monkeypatch, Terminal(), "run", str(scenario),
                              "--quiet")
    assert status == 0
    assert err == ""


def test_a_steps_only_run_gets_no_bar(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    status, _, err = _run_cli(capsys, monkeypatch, Terminal(), "run",
                              str(ROOT / "scenarios" / "create.toml"))
    assert status == 0
    assert "\r" not in err
    assert "events/s" not in err


def test_the_bar_changes_nothing_in_the_run(scenario: Path) -> None:
    sc = load_scenario(scenario)
    plain = run_scenario(sc, trace_mode="full")
    bar = TerminalProgress(Terminal(), "x", mininterval=0)
    shown = run_scenario(sc, trace_mode="full", progress=bar)
    assert shown.trace.digest() == plain.trace.digest()
    assert shown.metrics is not None
    assert plain.metrics is not None
    assert shown.metrics.to_json() == plain.metrics.to_json()
    assert bar.reached() == bar.total == 6 * 3600
    assert bar.events_done == len(shown.trace)


def _pty_run(argv: list[str], cwd: Path) -> tuple[bytes, str]:
    """Run *argv* with stderr on a pseudo-terminal (120 columns); (stdout, stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read()
    assert proc.wait() == 0
    return out, b"".join(chunks).decode()


def test_a_real_terminal_and_a_pipe(scenario: Path, tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "cindersim.cli", "run", str(scenario)]
    out_tty, err_tty = _pty_run(argv, tmp_path)
    piped = subprocess.run(argv, capture_output=True, cwd=tmp_path, check=True)
    assert "tiny-workload: 100%|" in err_tty
    assert "events/s" in err_tty
    assert ETA.search(err_tty)
    assert b"\r" not in piped.stderr
    assert b"events/s" not in piped.stderr
    assert out_tty == piped.stdout


# --- cindersim sweep ---------------------------------------------------------------------------
def test_sweep_bar_and_the_same_table(scenario: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    grid = [str(scenario), "--seeds", "1..2", "--no-chart", "--jobs", "1"]
    assert sweep_main([*grid, "--quiet", "--out", str(tmp_path / "quiet")]) == 0
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert sweep_main([*grid, "--out", str(tmp_path / "bar")]) == 0
    monkeypatch.undo()
    lines = [s for s in term.getvalue().split("\r") if "virtual" in s]
    # --jobs 1 follows each run as it goes: lines inside the first run's six hours
    assert any("virtual 0:" in s and "0/2 runs" in s for s in lines)
    assert "100%|" in lines[-1]
    assert "virtual 12:00:00 of 12:00:00" in lines[-1]
    assert "2/2 runs" in lines[-1]
    for name in ("results.csv", "results.json"):
        assert (tmp_path / "bar" / name).read_bytes() == (tmp_path / "quiet" / name).read_bytes()
