"""Sweeps on cluster engines: a Dask LocalCluster and a local Ray instance give the same
results.csv bytes as ``--jobs 1`` for the bundled example; a retried task neither
duplicates nor drops a row; a missing engine is a usage error naming the extra."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sweep_helpers import sweep

from cindersim.sweep import Sweep
from cindersim.sweep.engines import EngineMissing, _need, _Rows

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "sweep-example.toml"
GRID = ["--set", "fleet.max_over_subscription_ratio=1.0,4.0", "--seeds", "1..2", "--no-chart"]


@pytest.fixture(scope="module")
def local_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("local")
    assert sweep([str(EXAMPLE), *GRID, "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    return (out / "results.csv").read_bytes()


@pytest.mark.parametrize("engine", ["dask", "ray"])
def test_an_engine_writes_the_same_bytes_as_jobs_1(engine: str, tmp_path: Path,
                                                   local_bytes: bytes,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed" if engine == "dask" else "ray",
                        reason=f"the {engine} extra is part of the dev install")
    out = tmp_path / engine
    status = sweep([str(EXAMPLE), *GRID, "--engine", engine, "--jobs", "2",
                    "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 0, err
    assert f"on {engine}" in err
    assert ("dask scheduler tcp://" if engine == "dask" else "ray cluster ") in err
    assert "[4/4] " in err  # progress lines (stderr is not a terminal here)
    assert (out / "results.csv").read_bytes() == local_bytes


def test_a_retried_task_neither_duplicates_nor_replaces_a_row() -> None:
    runs = list(Sweep.build(str(EXAMPLE), [], [1, 2]).runs)
    seen: list[int] = []
    rows = _Rows(len(runs), lambda done, total, run, row, s, ev: seen.append(run.index))
    first: dict[str, Any] = {"status": "ok", "n": 1}
    rows.add(runs[1], first, 1.0, 10)
    rows.add(runs[0], {"status": "ok", "n": 0}, 1.0, 10)
    rows.add(runs[1], {"status": "ok", "n": 2}, 1.0, 10)  # the engine ran run 1 again
    assert [r["n"] for r in rows.in_order()] == [0, 1]
    assert seen == [1, 0]


def test_a_missing_engine_names_its_extra() -> None:
    with pytest.raises(EngineMissing, match=r"pip install 'cindersim\[nothing\]'"):
        _need("cindersim_no_such_module", "nothing")


def test_address_needs_an_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert sweep([str(EXAMPLE), *GRID, "--address", "tcp://127.0.0.1:1"]) == 2
    assert "--address goes with --engine dask or ray" in capsys.readouterr().err


class _Terminal:
    """A stream that says it is a terminal (tqdm writes its bar there)."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


def test_a_terminal_gets_a_progress_bar_not_lines() -> None:
    from cindersim.sweep.command import _progress  # noqa: PLC0415

    sw = Sweep.build(str(EXAMPLE), [], [1, 2])
    runs = list(sw.runs)
    term = _Terminal()
    progress, live = _progress(term, sw, runs)  # type: ignore[arg-type]
    assert live is not None  # the bar can follow a run in this process (--jobs 1)
    for done, run in enumerate(runs, 1):
        progress(done, len(runs), run, {"status": "ok"}, 0.1, 5000)
    last = term.text.split("\r")[-1]
    # the virtual time reached of both runs' day, events/s and the ETA
    assert "100%|" in last
    assert "virtual 2d 00:00:00 of 2d 00:00:00" in last
    assert " events/s, 2/2 runs [" in last
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d\]", last)
    assert "[1/2]" not in term.text  # no per-run lines on a terminal


def test_a_terminal_without_a_workload_counts_runs(tmp_path: Path) -> None:
    from cindersim.sweep.command import _progress  # noqa: PLC0415

    steps = Path(__file__).resolve().parents[2] / "scenarios" / "create.toml"
    sw = Sweep.build(str(steps), [], [1, 2])
    term = _Terminal()
    progress, live = _progress(term, sw, list(sw.runs))  # type: ignore[arg-type]
    assert live is None  # no horizon to measure virtual time against
    for done, run in enumerate(sw.runs, 1):
        progress(done, 2, run, {"status": "ok"}, 0.1, 100)
    assert "2/2" in term.text
    assert "virtual" not in term.text
