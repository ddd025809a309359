"""The long what-if (``long = true``): a million requests on 1,000 backends.  The suite
never runs it whole (minutes of wall time); it checks the file describes that run, that
``cindersim scenarios`` marks it, and runs a scaled-down copy of it to the end, with the
memory per live volume its summary prints."""

from __future__ import annotations

import gc
import random
import sys

import attrs
import pytest

from cindersim import cli
from cindersim.memory import RecordMemory, record_memory, records_size
from cindersim.scenario import load_scenario, run_scenario, scenario_files
from scenario_files import SCENARIOS, write

MILLION = SCENARIOS / "million-requests.toml"
SCALED = {"workload.duration": "600s", "fleet.count": 10}
"""The same file at 1/43 of its duration and 1/100 of its fleet."""


def test_long_scenarios_are_marked(capsys: pytest.CaptureFixture[str]) -> None:
    longs = [p.name for p in scenario_files(SCENARIOS) if load_scenario(p).long]
    assert longs == ["million-requests.toml"]
    assert cli.main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "  million-requests.toml        [long] 1,000 thin backends" in out
    assert "[long]" not in out.replace("million-requests.toml        [long]", "")


def test_long_must_be_a_boolean(tmp_path: pytest.TempPathFactory) -> None:
    p = write(tmp_path, 'name = "x"\nlong = "yes"\n[[steps]]\naction = "create_volume"\n'
                        'size = 1\n')  # type: ignore[arg-type]
    with pytest.raises(Exception, match="long"):
        load_scenario(p)


def test_the_file_asks_a_million_requests_of_1000_backends() -> None:
    sc = load_scenario(MILLION)
    assert sc.long
    assert isinstance(sc.cloud, dict)
    assert len(sc.cloud["DEFAULT"]["enabled_backends"].split(",")) == 1000
    assert sc.workload is not None
    # A million operation records: collect the young generation as seldom as a
    # simulation does (cindersim.simulation), or the collector re-walks them for long.
    old = gc.get_threshold()
    gc.set_threshold(50_000, *old[1:])
    try:
        ops = sc.workload.workload.generate(random.Random(sc.seed))
    finally:
        gc.set_threshold(*old)
    assert len(ops) == 1_005_175  # every one a request: a create or its lifetime's delete
    assert {op.kind for op in ops} == {"create", "delete"}
    wanted = {e.params["metric"]: e.params for e in sc.expects}
    assert wanted["requests"]["at_least"] == 1_000_000 <= len(ops)


def test_a_scaled_down_copy_runs_to_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    sc = load_scenario(MILLION, overrides=SCALED)
    assert sc.workload is not None
    ops = sc.workload.workload.generate(random.Random(sc.seed))
    # Scaled down, the million becomes "every request the workload made reached cinder-api".
    expects = tuple(attrs.evolve(e, params={"metric": "requests", "equals": len(ops)})
                    if e.params.get("metric") == "requests" else e for e in sc.expects)
    res = run_scenario(attrs.evolve(sc, expects=expects))
    assert res.failures == ()
    assert res.metrics is not None
    summary = res.metrics.summary()
    assert summary["requests"] == len(ops) > 10_000
    assert summary["backends"] == 10
    assert summary["end_s"] >= 600
    mem = record_memory(res.result.cloud)
    assert mem.live_volumes == summary["volumes"] > 0
    per = mem.per_volume
    assert per is not None
    assert 300 < per < 20_000  # a volume row and an LV: about 1.6 KB on CPython 3.11


def test_the_cli_prints_memory_for_a_long_scenario_on_stderr_only(
        tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    text = MILLION.read_text().replace('duration = "26000s"', 'duration = "120s"').replace(
        "count = 1000 ", "count = 4 ").replace("at_least = 1000000", "at_least = 1")
    p = write(tmp_path, text, "million-scaled.toml")  # type: ignore[arg-type]
    assert cli.main(["run", str(p)]) == 0
    out, err = capsys.readouterr()
    assert "memory" not in out  # the summary table on stdout stays build-independent
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"{p}: memory: ")
    assert " B per live volume (" in line
    assert "live volume(s); sys.getsizeof" in line
    assert cli.main(["run", str(p), "--quiet"]) == 0
    assert "memory" not in capsys.readouterr().err


# --- the accounting ----------------------------------------------------------------------------
@attrs.define
class _Row:
    name: str
    sizes: list[int]
    owner: object = None


def test_records_size_counts_each_object_once_through_records_only() -> None:
    shared = [1000, 2000]
    total = records_size([[shared, shared]])
    assert total == (sys.getsizeof([shared, shared]) + sys.getsizeof(shared)
                     + sys.getsizeof(1000) + sys.getsizeof(2000))
    class Service:  # not a record: not followed, not counted
        big = list(range(10_000))

    row = _Row("vol-1", [5], Service())
    assert records_size([row]) == (sys.getsizeof(row) + sys.getsizeof("vol-1")
                                   + sys.getsizeof([5]) + sys.getsizeof(5))


def test_record_memory_text() -> None:
    assert RecordMemory(3_000_000, 2000).text().startswith(
        "memory: 1,500 B per live volume (2.9 MiB of database rows and LVM records for "
        "2,000 live volume(s)")
    assert RecordMemory(100, 0).per_volume is None
    assert "no live volume" in RecordMemory(100, 0).text()
