"""The studio's data: built from the trace alone, golden for the four seed flows, and
the state it rebuilds at each step matches what the flow did."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cindersim.render.mermaid import mermaid_flows
from cindersim.render.state import StateTracker, state_text
from cindersim.render.studio import studio_html, studio_model
from cindersim.scenario import load_scenario, run_scenario
from cindersim.trace import TraceEvent

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
FLOWS = ("create", "attach", "backup", "restore")
REGEN = os.environ.get("CINDERSIM_REGEN_GOLDEN") == "1"


def run(name: str) -> tuple[str, list[TraceEvent]]:
    res = run_scenario(load_scenario(ROOT / "scenarios" / f"{name}.toml"))
    return res.scenario.title, list(res.trace.events)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


@pytest.mark.parametrize("flow", FLOWS)
def test_the_viewers_data_of_each_seed_flow_is_golden(flow: str) -> None:
    title, events = run(flow)
    text = dumps(studio_model(events, title=title))
    path = GOLDEN / "studio" / f"{flow}.json"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} changed: review, then CINDERSIM_REGEN_GOLDEN=1")


@pytest.mark.parametrize("flow", FLOWS)
def test_the_mermaid_of_each_flow_is_golden(flow: str) -> None:
    _, events = run(flow)
    d = GOLDEN / "mermaid" / flow
    diagrams = dict(mermaid_flows(events))
    if REGEN:
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.mmd"):
            old.unlink()
        for stem, text in diagrams.items():
            (d / f"{stem}.mmd").write_text(text, encoding="utf-8")
    on_disk = {p.stem: p.read_text(encoding="utf-8") for p in sorted(d.glob("*.mmd"))}
    assert diagrams == on_disk


def _position(model: dict[str, Any], flow: int, tag: str) -> dict[str, Any]:
    return next(s for s in model["flows"][flow]["steps"] if s["tag"] == tag)


def _state_after(model: dict[str, Any], seq: int) -> dict[str, Any]:
    state: dict[str, Any] = model["states"][model["state_at"][str(seq)]]
    return state


def test_create_the_row_is_creating_until_b6_and_the_lv_appears_at_lvcreate() -> None:
    _, events = run("create")
    model = studio_model(events)
    b5, b6 = _position(model, 0, "B5"), _position(model, 0, "B6")
    vol_id = next(e.resource for e in events if e.kind == "status").split(":")[1]
    lv = f"volume-{vol_id}"
    before = _state_after(model, b5["events"][0])
    assert before["records"]["volume"][vol_id]["status"] == "creating"
    assert lv not in before["backends"]["cinder-1@lvmdriver-1"]["lvs"]
    after_b5 = _state_after(model, b5["events"][-1])
    assert after_b5["backends"]["cinder-1@lvmdriver-1"]["lvs"][lv]["kind"] == "thin"
    assert after_b5["records"]["volume"][vol_id]["status"] == "creating"
    assert _state_after(model, b6["events"][-1])["records"]["volume"][vol_id]["status"] == \
        "available"


def test_attach_a_target_with_its_chap_user_and_a_session_then_none() -> None:
    _, events = run("attach")
    tracker = StateTracker()
    seen_session = False
    chap = None
    for ev in events:
        tracker.feed(ev)
        for t in tracker.state["targets"].values():
            seen_session = seen_session or bool(t["sessions"])
            chap = chap or t["chap_user"]
    assert seen_session
    assert chap is not None
    assert len(chap) == 20  # Cinder generates 20-character CHAP users
    assert "in flight" in state_text(tracker.state)


def test_messages_are_in_flight_between_send_and_deliver() -> None:
    _, events = run("create")
    tracker = StateTracker()
    for ev in events:
        tracker.feed(ev)
        if ev.kind == "bus.send" and ev.detail.get("method") == "create_volume":
            assert [m["method"] for m in tracker.state["bus"]["in_flight"]] == ["create_volume"]
        if ev.kind == "bus.deliver" and ev.detail.get("method") == "create_volume":
            assert tracker.state["bus"]["in_flight"] == []


def test_every_step_links_real_code_and_cites_documents_by_title() -> None:
    _, events = run("create")
    model = studio_model(events)
    flow = model["flows"][0]
    assert flow["sources"][0]["title"].startswith("Mối quan hệ")
    assert any(s["url"] and s["url"].startswith("http") for s in flow["sources"])
    links = {c["url"] for s in flow["steps"] for c in s["code"]}
    assert ("https://opendev.org/openstack/cinder/src/branch/master/"
            "cinder/scheduler/filter_scheduler.py") in links
    text = json.dumps(model, ensure_ascii=False)
    for stale in ("seed 0", "[doc ", "shared/seeds"):
        assert stale not in text


def test_the_page_is_self_contained() -> None:
    _, events = run("create")
    page = studio_html(studio_model(events))
    assert page.startswith("<!DOCTYPE html>")
    for remote in ("<script src", 'href="http', "@import", "url(http", "src=\"http"):
        assert remote not in page
    assert "</script>" not in page.split('<script id="model" type="application/json">')[1] \
        .split("</script>")[0]
