"""Mermaid: a sequence diagram whose participants are declared before use and whose
arrows are well formed."""

from __future__ import annotations

import re
from pathlib import Path

from cindersim.render import mermaid
from cindersim.render._events import PARTICIPANTS
from cindersim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
ARROW = re.compile(r"^(\w+)(->>|-->>)(\w+): (\S.*)$")
NOTE = re.compile(r"^Note over (\w+): (\S.*)$")
PARTICIPANT = re.compile(r"^participant (\w+)(?: as (.+))?$")


def parse(text: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """A strict reader of the subset we emit; raises on anything else."""
    lines = text.splitlines()
    assert lines[0] == "sequenceDiagram"
    declared: list[str] = []
    arrows: list[tuple[str, str, str]] = []
    for raw in lines[1:]:
        line = raw.strip()
        if line in ("autonumber", "") or line.startswith("%%"):
            continue
        if m := PARTICIPANT.match(line):
            assert not arrows, "participants come first"
            declared.append(m.group(1))
            continue
        if m := ARROW.match(line):
            src, kind, dst, text_ = m.groups()
            assert src in declared, f"{src} used before it was declared"
            assert dst in declared, f"{dst} used before it was declared"
            assert ";" not in text_.replace("#59;", "").replace("#35;", "")
            arrows.append((src, kind, dst))
            continue
        m = NOTE.match(line)
        assert m is not None, f"not a sequence diagram line: {line!r}"
        assert m.group(1) in declared
    return declared, arrows


def test_demo_diagram_parses_with_participants_in_order() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "demo.toml"))
    text = mermaid(res.trace.events)
    declared, arrows = parse(text)
    order = [pid for pid, _ in PARTICIPANTS]
    assert declared == sorted(declared, key=order.index)
    assert set(declared) == {a for a, _, _ in arrows} | {b for _, _, b in arrows} | {
        n for n in declared if f"Note over {n}:" in text}
    assert {"Client", "CinderAPI", "AMQP", "Scheduler", "Volume", "LVM", "Target", "Backup",
            "ObjectStore"} <= set(declared)
    assert "participant CinderAPI as cinder-api" in text
    assert ("Client", "->>", "CinderAPI") in arrows
    assert ("CinderAPI", "-->>", "Client") in arrows
    assert ("CinderAPI", "->>", "AMQP") in arrows
    assert ("AMQP", "->>", "Scheduler") in arrows
    assert ("Volume", "-->>", "AMQP") in arrows
    assert ("Volume", "->>", "LVM") in arrows


def test_only_used_participants_are_declared() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "create.toml"))
    declared, _ = parse(mermaid(res.trace.events))
    assert declared == ["Client", "CinderAPI", "AMQP", "Scheduler", "Volume", "LVM"]


def test_text_is_escaped() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "create.toml"))
    text = mermaid(res.trace.events)
    assert "cinder-1@lvmdriver-1#35;lvmdriver-1" in text
    assert "#35;59" not in text
