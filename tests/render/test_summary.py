"""Summary: final states per resource, capacity per backend, counts, virtual time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cindersim.render import capacity_of, counts, final_states, summary
from cindersim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_final_states_counts_and_capacity_of_a_failed_create() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "capacity-exhausted.toml"))
    events = res.trace.events
    states = {(s.label, s.status) for s in final_states(events)}
    assert states == {("big", "available"), ("too-big", "error")}
    c = counts(events)
    assert c.requests == 2
    assert dict(c.responses) == {202: 2}
    assert dict(c.errors_by_kind) == {"NoValidBackend": 1, "volume → error": 1}
    assert dict(c.driver_calls) == {"create_volume": 1}
    caps = res.result.cloud.capacity()
    with pytest.deprecated_call():
        assert capacity_of(res.result.cloud) == caps
    assert [(b.backend, b.allocated_gb, b.volumes, b.thin) for b in caps] == [
        ("cinder-1@lvmdriver-1", 6.0, 1, False)]
    text = summary(events, capacity=caps, title="t")
    lines = text.splitlines()
    assert lines[:3] == [
        "t", f"Summary (virtual time {events[-1].time:.3f} s, {len(events)} events)",
        "Resources:"]
    assert re.fullmatch(r"  volume     big \(\w{8}\)         available", lines[3])
    assert "Backends (now):" in text
    assert "Errors: 2 (NoValidBackend: 1, volume → error: 1)" in text


def test_without_a_cloud_the_last_report_is_used() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "create.toml"))
    text = summary(res.trace.events)
    assert "Backends (last report):" in text
    assert "cinder-1@lvmdriver-1  AZ nova  thin (mosr 20.0)  total 95 GiB" in text
    assert re.search(r"^  volume     v1 \(\w{8}\)          deleted$", text, re.M)
