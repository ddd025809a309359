"""The status glossary is generated from states.py, explains every status, and
docs/statuses.md is its current text."""

from __future__ import annotations

from pathlib import Path

import pytest

from cindersim.cli import main
from cindersim.render.statuses import MACHINES, MEANINGS, glossary_markdown
from cindersim.states import TABLE, machine_states

ROOT = Path(__file__).resolve().parents[2]


def test_docs_statuses_md_is_what_the_command_generates() -> None:
    assert (ROOT / "docs" / "statuses.md").read_text(encoding="utf-8") == glossary_markdown(), (
        "regenerate: .venv/bin/cindersim statuses > docs/statuses.md")


@pytest.mark.parametrize("machine", MACHINES)
def test_every_status_has_a_meaning_in_both_languages(machine: object) -> None:
    for status in machine_states(machine):  # type: ignore[arg-type]
        if status is None:
            continue
        meaning = MEANINGS[(machine, status)]  # type: ignore[index]
        assert meaning["en"]
        assert meaning["vi"]
        assert meaning["en"] != meaning["vi"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_edge_and_its_operations_are_listed(lang: str) -> None:
    text = glossary_markdown(lang)
    for machine in MACHINES:
        assert f"## `{machine.value}`" in text
        for ops in TABLE[machine].values():
            for op in ops:
                assert f"{op}: " in text


def test_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["statuses", "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Bảng thuật ngữ trạng thái")
    assert "| `in-use` | Đang gắn vào ít nhất một máy ảo." in out
