"""Narration: the documents' steps and words, every status change, the notes once, vi."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cindersim.render import narrate, narrate_blocks
from cindersim.scenario import load_scenario, run_scenario
from cindersim.trace import TraceEvent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo() -> list[TraceEvent]:
    return list(run_scenario(load_scenario(ROOT / "scenarios" / "demo.toml")).trace.events)


def section(text: str, title: str) -> str:
    start = text.index(title)
    nxt = text.find("\nStep ", start + 1)
    return text[start: nxt if nxt >= 0 else None]


class TestEnglish:
    def test_the_create_flow_in_the_documents_words_and_order(
            self, demo: list[TraceEvent]) -> None:
        create = section(narrate(demo), "Step 1: create_volume as v1")
        expected = [
            ("client → cinder-api  POST /volumes", "[documents' step B1"),
            ("cinder-api → AMQP  cast create_volume → queue cinder-scheduler",
             "cinder-api validates the request and the user's credentials, then puts a message "
             "on the AMQP queue.  [documents' step B2"),
            ("AMQP → cinder-scheduler  create_volume", "[documents' step B3"),
            ("cinder-scheduler  create_volume", "cinder-scheduler filters the candidates:"),
            ("AMQP → cinder-volume (cinder-1@lvmdriver-1)  create_volume", "[documents' step B4"),
            ("→ driver  create_volume v1", "[documents' step B5"),
            ("cinder-volume (cinder-1@lvmdriver-1) → DB", "[documents' step B6"),
        ]
        flat = " ".join(create.split())
        pos = 0
        for who, what in expected:
            i = flat.index(" ".join(who.split()), pos)
            j = flat.index(" ".join(what.split()), i)
            pos = j
        assert "lvcreate -T -V 1g -n volume-" in flat

    def test_every_status_change_is_shown(self, demo: list[TraceEvent]) -> None:
        text = narrate(demo)
        changes = [e for e in demo if e.kind == "status"]
        shown = re.findall(r"DB: \w+ \S+ \(\w+\)(?: \w+)?: \S+ → \S+", text)
        assert len(shown) == len(changes)
        assert re.search(r"DB: volume v1 \(\w{8}\): creating → available", text)
        assert re.search(r"DB: attachment a1 \(\w{8}\) attach_status: reserved → attaching",
                         text)

    def test_documents_vs_code_notes_appear_once_each(self, demo: list[TraceEvent]) -> None:
        text = narrate(demo)
        assert text.count("Note (documents vs code)") == 6
        flat = " ".join(text.split())
        assert flat.count(
            "Cinder's code (since Queens) goes cinder-api → cinder-scheduler → cinder-volume") == 1
        # Why the restore's 202 comes only after a whole create flow.
        assert flat.count("cinder-api itself creates the new volume (named "
                          "restore_backup_<backup id>)") == 1
        twice = demo + demo
        assert narrate(twice).count("Note (documents vs code)") == 6

    def test_attach_backup_and_restore_phrasing(self, demo: list[TraceEvent]) -> None:
        flat = " ".join(narrate(demo).split())
        for words in ("The Cinder driver prepares the volume for attachment and returns the "
                      "connection information",
                      "cinder-volume posts the response (connection_info) to cinder-api through "
                      "the AMQP queue. [documents' step B6",
                      "cinder-backup reads the message from the queue and fetches the volume to "
                      "back up from the database. [documents' step B3",
                      "The backup service transfers the volume's data and metadata to the backup "
                      "repository. [documents' step B6-B7",
                      "The backup service finds the backup's metadata and data in the repository "
                      "and writes them to the destination volume."):
            assert words in flat

    def test_plain_text_without_colour_and_ansi_with_it(self, demo: list[TraceEvent]) -> None:
        assert "\x1b[" not in narrate(demo)
        coloured = narrate(demo, color=True)
        assert "\x1b[33m" in coloured
        assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == narrate(demo)

    def test_blocks_pause_after_numbered_steps_only(self, demo: list[TraceEvent]) -> None:
        blocks = narrate_blocks(demo, title="demo")
        assert blocks[0].text == "demo"
        assert not blocks[0].pause
        steps = [b for b in blocks if b.pause]
        assert all(re.match(r"\s+\d+\. ", b.text) for b in steps)
        assert all(not b.pause for b in blocks if "Note (documents vs code)" in b.text)


class TestLayout:
    @pytest.mark.parametrize("lang", ["en", "vi"])
    def test_a_steps_tag_is_never_split_across_lines(self, demo: list[TraceEvent],
                                                     lang: str) -> None:
        text = narrate(demo, lang=lang)
        assert "\xa0" not in text
        opened = re.findall(r"\[(?:documents' step |bước |t=)[^\]]*\]", text)
        assert len(opened) > 100
        assert [t for t in opened if "\n" in t] == []


class TestVietnamese:
    def test_the_documents_terms_and_b_labels(self, demo: list[TraceEvent]) -> None:
        text = narrate(demo, lang="vi")
        flat = " ".join(text.split())
        assert "Khởi động đám mây" in text
        # Steps are numbered 1., 2. ...; the documents' B-labels are the tags, and a
        # counter never poses as one (attach has more steps than B1-B9).
        assert re.search(r"^\s+1\. client → cinder-api  POST /volumes", text, re.M)
        assert re.search(r"1\. client → cinder-api POST /volumes [^\[]*\[bước B1 của tài liệu ",
                         flat)
        assert not re.search(r"^\s+B\d+ ", text, re.M)
        for words in ("Client yêu cầu tạo volume thông qua REST API của Cinder",
                      "gửi bản tin đến hàng chờ AMQP",
                      "sinh ra danh sách các ứng viên (node storage)",
                      "cinder-volume đọc message từ cinder-scheduler gửi về hàng chờ, và làm "
                      "việc với backend driver được yêu cầu",
                      "Cinder driver tương tác với hệ thống lưu trữ để khởi tạo volume",
                      "Cinder driver chuẩn bị volume cho việc gắn",
                      "[bước B3 của tài liệu", "Ghi chú (tài liệu khác mã nguồn)"):
            assert words in flat
        assert re.search(r"CSDL: volume v1 \(\w{8}\): creating → available", flat)
        assert "The client asks" not in text


class TestGeneric:
    """Events no table knows are still narrated, from their kind and summary."""

    def test_unknown_kinds_methods_and_calls(self) -> None:
        events = [
            TraceEvent(0, 0.0, "api.request", "client", "POST /v3/widgets", target="cinder-api",
                       detail={"method": "POST", "path": f"/v3/{'ab' * 16}/widgets",
                               "body": {"w": 1}}),
            TraceEvent(1, 0.1, "bus.send", "cinder-api", "cast", target="cinder-widget",
                       detail={"method": "make_widget", "msg_kind": "cast"}),
            TraceEvent(2, 0.2, "bus.deliver", "cinder-widget", "recv",
                       detail={"method": "make_widget", "msg_kind": "cast"}),
            TraceEvent(3, 0.3, "driver", "cinder-volume:h@b", "driver.polish",
                       resource="volume:1234567890", detail={"call": "polish"}),
            TraceEvent(4, 0.4, "widget.spin", "cinder-widget", "the widget spins"),
            TraceEvent(5, 0.5, "status", "cinder-widget", "", resource="widget:abcdef123",
                       detail={"field": "status", "old": None, "new": "ready", "op": "x"}),
        ]
        flat = " ".join(narrate(events).split())
        assert "client sends POST /widgets to cinder-api." in flat
        assert "cinder-api puts make_widget on the AMQP queue cinder-widget (cast)." in flat
        assert "cinder-widget takes make_widget off the queue." in flat
        assert "cinder-volume (h@b) calls the driver: polish." in flat
        assert "cinder-widget: the widget spins" in flat
        assert "DB: widget abcdef12: ∅ → ready" in flat
