"""Narration names documents by title and address, says which id a label stands for,
and tells a failing driver call as failing."""

from __future__ import annotations

import re
from pathlib import Path

from cindersim.render import narrate
from cindersim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]


def text_of(name: str, lang: str = "en", detail: str = "normal") -> str:
    res = run_scenario(load_scenario(ROOT / "scenarios" / f"{name}.toml"))
    return narrate(res.trace.events, lang=lang, detail=detail)


def test_documents_are_cited_by_title_and_address() -> None:
    text = " ".join(text_of("backup").split())
    assert "“OpenStack Deployment and Operations Guide: Cinder Processes” (NetApp), http" in text
    for stale in ("seed 0", "Seed 0", "shared/seeds", "[doc ", "§6 (B1-B9), 000"):
        assert stale not in text


def test_a_label_is_tied_to_its_full_id_once() -> None:
    text = text_of("create")
    lines = re.findall(r"v1 stands for volume ([0-9a-f-]{36})\.", text)
    assert len(lines) == 1


def test_a_failing_driver_call_is_told_as_failing() -> None:
    text = " ".join(text_of("reschedule").split())
    step = re.search(r"→ driver create_volume v1 \(\w{8}\) (.*?)\[", text)
    assert step is not None
    assert "fails" in step.group(1)
    assert "creates the requested volume" not in step.group(1)


def test_detail_levels() -> None:
    docs, normal, every = (text_of("create", detail=d) for d in ("docs", "normal", "all"))
    assert len(docs) < len(normal) < len(every)
    assert "read-only backend quer" in normal
    assert "lvs cinder-volumes" in every
    assert all("documents' step" in block for block in re.split(r"\n(?=\s+\d+\. )", docs)[1:])
