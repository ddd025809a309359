"""The Vietnamese narration keeps only the agreed English terms.

Kept as they are: service and tool names (cinder-api, nova-compute, os-brick,
LVM, iSCSI ...), Cinder's object names (volume, snapshot, backup, attachment),
the words the documents keep (message, driver, client, backend, host, pool),
AMQP, cast, RPC call, connector and connection_info.  Everything else is
Vietnamese: these words once slipped through and must not come back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cindersim.render import narrate
from cindersim.render.phrases import _VI
from cindersim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
STRAY = ("post message", "request", "storage backend", "cloud", "Admin", "what-if",
         "over-subscription", "RESTful", "guest VM", "dashboard", "metadata", "queue",
         "logout", "user", "project")


@pytest.mark.parametrize("key", sorted(_VI))
def test_no_stray_english_in_a_row(key: str) -> None:
    text = re.sub(r"\{[^}]*\}", "", _VI[key])  # placeholders are filled in later
    text = text.replace("AMQP queue", "")
    for word in STRAY:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), (key, word)


def test_connector_and_connection_info_are_explained() -> None:
    rows = [v for v in _VI.values() if "connector" in v and "(" in v]
    assert any("thông tin initiator của host" in v for v in rows)
    assert any("thông tin kết nối" in v for v in _VI.values())


def test_the_demo_in_vietnamese_cites_documents_not_files() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "demo.toml"))
    text = narrate(res.trace.events, lang="vi")
    assert "Mối quan hệ giữa instance và disk" in text
    for stale in ("seed 0", "shared/seeds", "[doc ", "tài liệu 00"):
        assert stale not in text
    assert re.search(r"v1 là volume [0-9a-f]{8}-", text)


def test_every_english_row_has_a_vietnamese_one() -> None:
    """RBD, NFS and FC flows are narrated in Vietnamese too, not in English fallbacks."""
    from cindersim.render.phrases import _EN  # noqa: PLC0415

    assert sorted(set(_EN) - set(_VI)) == []


def test_the_rbd_attach_in_vietnamese_has_no_english_row() -> None:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "attach-rbd.toml"))
    text = narrate(res.trace.events, lang="vi")
    assert "RBD driver tạo một RBD image" in text
    assert "The RBD driver" not in text
    assert "lvs/vgs" not in text
