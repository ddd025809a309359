"""The learner's studio: one self-contained HTML page that replays a trace.

:func:`studio_model` turns a trace into the data the page shows, all of it
derived from events: per flow (scenario step or client request) its sequence
diagram rows, the narration's steps with the documents' step labels (B1...),
the "documents vs code" notes, links to the Cinder function behind each step,
in English and Vietnamese; and the state after every event (database rows,
LVM, iSCSI targets, the bus), rebuilt by :mod:`.state`.

:func:`studio_html` embeds that model and the viewer (plain JavaScript and CSS
written for cindersim, in ``assets/``) into one file that opens from disk
with no network.  ``cindersim serve`` serves the same page at ``/_sim/`` with
``live=True``: the page then polls ``/_sim/events?since=N`` and reloads the
model from ``/_sim/model.json`` when something happened.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from ..trace import TraceEvent
from ._diagram import flow_rows, hosts_of
from ._events import PARTICIPANTS, api_path, labels_of, participant_of, sections
from .narrate import _Narrator, flow_docs, request_key
from .phrases import phrase
from .sources import cite, code_links
from .state import StateTracker

__all__ = ["studio_html", "studio_model"]

_UI: dict[str, dict[str, str]] = {
    "en": {"prev": "Previous", "next": "Next", "play": "Play", "pause": "Pause",
           "docs_only": "documents' steps only", "all_events": "all events",
           "records": "Database rows", "lvm": "LVM volume group", "targets": "iSCSI targets",
           "backends": "Storage backends", "store_rbd": "Ceph cluster (RBD)",
           "store_nfs": "NFS shares", "store_fc": "FC array", "item_rbd": "RBD image",
           "item_nfs": "file on the share", "item_fc": "LUN", "item_lvm": "LV",
           "store_pool": "pool",
           "bus": "Message bus (AMQP)", "in_flight": "in flight", "none": "none",
           "code": "In Cinder's code", "notes": "Documents vs code", "docs": "Documents",
           "step": "step", "of": "of", "flow": "Flow", "live": "live",
           "events": "Trace events of this step", "legend": "Names", "time": "virtual time",
           "pool": "thin pool", "free": "free", "provisioned": "provisioned",
           "chap": "CHAP user", "acl": "ACL", "sessions": "sessions", "waiting": "waiting",
           "empty": "nothing yet", "doc_step": "documents' step", "kind": "record",
           "name": "name", "size": "size", "reported": "as cinder-volume reported at",
           "unknown": "not in the trace",
           "unknown_why": "the connection_info went in an RPC reply, whose body the trace "
                          "does not keep"},
    "vi": {"prev": "Trước", "next": "Tiếp", "play": "Chạy", "pause": "Dừng",
           "docs_only": "chỉ các bước của tài liệu", "all_events": "mọi sự kiện",
           "records": "Bản ghi trong cơ sở dữ liệu", "lvm": "Volume group LVM",
           "backends": "Hệ thống lưu trữ", "store_rbd": "Cụm Ceph (RBD)",
           "store_nfs": "Các NFS share", "store_fc": "Mảng lưu trữ FC",
           "item_rbd": "RBD image", "item_nfs": "tệp trên share", "item_fc": "LUN",
           "item_lvm": "LV", "store_pool": "pool",
           "targets": "iSCSI target", "bus": "Hàng chờ message (AMQP)",
           "in_flight": "đang chuyển", "none": "không có", "code": "Trong mã nguồn Cinder",
           "notes": "Tài liệu khác mã nguồn", "docs": "Tài liệu", "step": "bước",
           "of": "/", "flow": "Luồng", "live": "trực tiếp",
           "events": "Các sự kiện (trace) của bước",
           "legend": "Tên gọi", "time": "thời gian ảo", "pool": "thin pool",
           "free": "còn trống", "provisioned": "đã cấp phát", "chap": "tài khoản CHAP",
           "acl": "ACL", "sessions": "phiên kết nối", "waiting": "nằm chờ",
           "empty": "chưa có gì", "doc_step": "bước của tài liệu", "kind": "bản ghi",
           "name": "tên", "size": "dung lượng", "reported": "theo báo cáo của cinder-volume lúc",
           "unknown": "không có trong trace",
           "unknown_why": "connection_info nằm trong message trả lời RPC, trace không giữ "
                          "nội dung đó"},
}


def _event_row(ev: TraceEvent) -> dict[str, Any]:
    row: dict[str, Any] = {"seq": ev.seq, "t": round(ev.time, 6), "kind": ev.kind,
                           "actor": ev.actor, "summary": ev.summary}
    if ev.target:
        row["target"] = ev.target
    return row


def studio_model(events: Iterable[TraceEvent], *, title: str | None = None,
                 ) -> dict[str, Any]:
    """Everything the viewer shows, as JSON data (byte-stable for a given trace)."""
    evs = list(events)
    labels = labels_of(evs)
    hosts = hosts_of(evs)
    narrators = {lang: _Narrator(evs, lang, False) for lang in ("en", "vi")}
    by_seq = {e.seq: e for e in evs}
    flows: list[dict[str, Any]] = []
    shown: set[int] = set()
    n = 0
    for sec in sections(evs):
        if sec.header is None:
            continue
        n += 1
        built = {lang: nar.section_steps(sec) for lang, nar in narrators.items()}
        steps: list[dict[str, Any]] = []
        for i, (step, notes) in enumerate(built["en"]):
            vi_step, vi_notes = built["vi"][i]
            first = by_seq[step.seqs[0]] if step.seqs else None
            links = []
            if first is not None:
                key = request_key(first) if first.kind == "api.request" else None
                lifeline = participant_of(first.actor)
                # An RBD driver's events name no protocol: its service reported ceph.
                rbd = first.actor in narrators["en"].ceph_actors
                links = [{"label": c.label, "url": c.url}
                         for c in code_links(first, key, lifeline, protocol="rbd" if rbd
                                             else None)]
            steps.append({
                "tag": step.tag, "who": step.who, "message": step.message,
                "meaning": {"en": step.meaning, "vi": vi_step.meaning},
                "lines": {"en": [t for _, t in step.lines], "vi": [t for _, t in vi_step.lines]},
                "notes": [{"en": _note_text(a), "vi": _note_text(b)}
                          for a, b in zip(notes, vi_notes, strict=True)],
                "error": step.error, "events": step.seqs, "code": links})
            shown.update(step.seqs)
        rows = {lang: flow_rows(sec.events, labels=labels, hosts=hosts, lang=lang)
                for lang in ("en", "vi")}
        h = sec.header
        heading = {lang: _heading(narrators[lang], sec, n) for lang in ("en", "vi")}
        flows.append({
            "n": n, "flow": sec.flow, "title": heading,
            "action": str(h.detail.get("action") or h.detail.get("method") or ""),
            "docs": {lang: flow_docs(sec.flow, lang)[:1] for lang in ("en", "vi")},
            "sources": [{"title": d.title, "author": d.author, "url": d.url}
                        for d in cite(sec.flow)],
            "header": h.seq,
            "rows": [{"seq": r.seq, "src": r.src, "dst": r.dst, "en": r.text,
                      "vi": rows["vi"][j].text, "dashed": r.dashed, "note": r.note}
                     for j, r in enumerate(rows["en"])],
            "steps": steps})
    states, state_at = _states(evs)
    used = {r["src"] for f in flows for r in f["rows"]} | {
        r["dst"] for f in flows for r in f["rows"]}
    return {
        "title": title or "cindersim",
        "participants": [[pid, name] for pid, name in PARTICIPANTS if pid in used],
        "legend": [{"label": lbl, "resource": res} for res, lbl in sorted(
            labels.items(), key=lambda kv: kv[1])],
        "flows": flows,
        "events": [_event_row(e) for e in evs if e.seq in shown or any(
            e.seq == f["header"] for f in flows)],
        "states": states,
        "state_at": state_at,
        "ui": _UI,
        "last_seq": evs[-1].seq if evs else -1,
    }


def _note_text(text: str) -> str:
    """A narration note without its terminal indentation and marker."""
    flat = " ".join(text.split())
    return flat[2:] if flat.startswith("※ ") else flat


def _heading(narrator: _Narrator, sec: Any, n: int) -> str:
    h = sec.header
    if h.kind == "scenario":
        label = h.detail.get("label")
        return phrase(narrator.lang, "section.step", None, {
            "n": n, "action": h.detail.get("action", h.summary),
            "label": phrase(narrator.lang, "section.label", None, {"label": label})
            if label else "", "params": ""})
    return phrase(narrator.lang, "section.request", None, {
        "n": n, "method": h.detail.get("method", ""),
        "path": narrator.ids_to_names(api_path(str(h.detail.get("path", ""))))})


def _states(evs: Sequence[TraceEvent]) -> tuple[list[Any], dict[str, int]]:
    """The distinct pictures, and for every event the index of the one after it."""
    tracker = StateTracker()
    states: list[Any] = [tracker.snapshot()]
    at: dict[str, int] = {}
    for ev in evs:
        if tracker.feed(ev):
            states.append(tracker.snapshot())
        at[str(ev.seq)] = len(states) - 1
    return states, at


def _asset(name: str) -> str:
    return resources.files("cindersim.render").joinpath("assets", name).read_text("utf-8")


def _script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>`` can close it)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def studio_html(model: Mapping[str, Any] | None = None, *, lang: str = "en",
                live: bool = False) -> str:
    """The viewer page: the model inline (or, live, fetched from ``/_sim/``)."""
    page = _asset("viewer.html")
    config = {"lang": lang, "live": live}
    return (page.replace("/*CSS*/", _asset("viewer.css"))
            .replace("/*JS*/", _asset("viewer.js"))
            .replace("/*CONFIG*/null", _script_json(config))
            .replace("/*MODEL*/null", _script_json(model if model is not None else None))
            .replace("{{TITLE}}", _html_escape(str((model or {}).get("title", "cindersim")))))


def _html_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
