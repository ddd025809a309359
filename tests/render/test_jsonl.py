"""JSONL: the trace's own bytes, and the seed flows' golden traces.

Each golden file ``tests/golden/<flow>.jsonl`` (create, attach, backup,
restore) is the flow of ``scenarios/<flow>.toml`` (the events from its first
scenario step on, ``seq`` counted from that step, so services added to the
cloud's start-up do not churn it).  After an intended change to the flow, regenerate it with::

    CINDERSIM_REGEN_GOLDEN=1 .venv/bin/pytest tests/render/test_jsonl.py

and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cindersim.render import jsonl, narrate
from cindersim.scenario import load_scenario, run_scenario
from cindersim.trace import TraceEvent, load_jsonl

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "golden"
#: The four seed flows of the documents, each replayed byte for byte.
FLOWS = ("create", "attach", "backup", "restore")


def flow_jsonl(events: list[TraceEvent]) -> str:
    """The events from the first scenario step on, with seq counted from there."""
    start = next(i for i, e in enumerate(events) if e.kind == "scenario")
    base = events[start].seq
    return jsonl(e._replace(seq=e.seq - base) for e in events[start:])


class TestJsonl:
    def test_same_bytes_as_the_trace(self) -> None:
        res = run_scenario(load_scenario(ROOT / "scenarios" / "create.toml"))
        assert jsonl(res.trace.events) == res.trace.to_jsonl()

    def test_a_saved_trace_renders_like_the_live_one(self) -> None:
        res = run_scenario(load_scenario(ROOT / "scenarios" / "demo.toml"))
        loaded = load_jsonl(jsonl(res.trace.events).splitlines())
        assert narrate(loaded) == narrate(res.trace.events)
        assert narrate(loaded, lang="vi") == narrate(res.trace.events, lang="vi")


class TestGolden:
    @pytest.mark.parametrize("flow", FLOWS)
    def test_flow_replays_byte_for_byte(self, flow: str) -> None:
        res = run_scenario(load_scenario(ROOT / "scenarios" / f"{flow}.toml"))
        assert res.ok, res.report()
        text = flow_jsonl(res.trace.events)
        golden = GOLDEN_DIR / f"{flow}.jsonl"
        if os.environ.get("CINDERSIM_REGEN_GOLDEN"):
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8")
        assert text.count("\n") > 20

    @pytest.mark.parametrize("flow", FLOWS)
    def test_golden_holds_the_flow(self, flow: str) -> None:
        """A golden file is the flow it is named after, not an empty or stray trace."""
        events = load_jsonl((GOLDEN_DIR / f"{flow}.jsonl").read_text(encoding="utf-8")
                            .splitlines())
        assert events[0].kind == "scenario"
        assert [e.seq for e in events] == list(range(len(events)))
        actions = {str(e.detail.get("action")) for e in events if e.kind == "scenario"}
        assert {"create": "create_volume", "attach": "attach", "backup": "backup",
                "restore": "restore"}[flow] in actions
