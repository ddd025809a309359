"""How trace events map to the documents' steps and read as sentences: the request
keys, the documents' step tags (B1...B9), failures, wrapping (used by
:mod:`.narrate` and the studio)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from ..trace import TraceEvent
from ._events import (
    api_path,
    participant_of,
)

__all__ = ["request_key"]

_TRANSITIONAL = frozenset({
    "creating", "deleting", "attaching", "detaching", "extending", "backing-up",
    "restoring-backup", "restoring", "reserved", "downloading", "uploading", "retyping",
    "maintenance", "awaiting-transfer", "managing", "reverting", "updating", "unmanaging"})

_WIDTH = 100


def request_key(ev: TraceEvent) -> str:
    """``volumes.create``, ``attachments.action:os-complete``, ``backups.restore`` ...

    The key of a REST request for the phrase tables: the collection, then what
    is done to it.
    """
    method = str(ev.detail.get("method", ""))
    parts = [p for p in api_path(str(ev.detail.get("path", ""))).split("/") if p]
    if not parts:
        return "root"
    coll = parts[0]
    body = ev.detail.get("body")
    if len(parts) >= 3 and parts[-1] == "action":
        action = next(iter(body), "") if isinstance(body, Mapping) and body else ""
        return f"{coll}.action:{action}"
    if coll == "servers" and len(parts) >= 3 and parts[2] == "os-volume_attachments":
        return "servers.attach_volume" if method == "POST" else "servers.detach_volume"
    if len(parts) >= 3:
        return f"{coll}.{parts[-1]}"
    verb = {"POST": "create", "PUT": "update", "DELETE": "delete"}.get(method)
    if verb is None:
        verb = "show" if len(parts) == 2 and parts[1] != "detail" else "list"
    return f"{coll}.{verb}"


def _settled(ev: TraceEvent) -> bool:
    new = ev.detail.get("new")
    return new is None or str(new) not in _TRANSITIONAL


def _doc_tag(flow: str | None, ev: TraceEvent) -> str | None:
    """The documents' step of an event: the B-labels of "Mối quan hệ giữa instance và disk"
    for create and attach, the NetApp guide's backup and restore steps in order."""
    if flow is None:
        return None
    k = ev.kind
    d = ev.detail
    method = d.get("method")
    p = participant_of(ev.actor)
    call = str(d.get("call", ""))
    if flow == "create":
        if k == "api.request" and request_key(ev) == "volumes.create":
            return "B1"
        if k == "bus.send" and method == "create_volume":
            return "B2" if p == "CinderAPI" else "B3" if p == "Scheduler" else None
        if (k == "bus.deliver" and method == "create_volume" and p == "Scheduler") \
                or k == "schedule":
            return "B3"
        if k == "bus.deliver" and method == "create_volume" and p == "Volume":
            return "B4"
        if k == "driver" and call.startswith("create_"):
            return "B5"
        if k == "status" and p == "Volume":
            return "B6"
        if k == "api.response" and d.get("status") == 202:
            return "B8-B9"
        return None
    connect = ("attachment_update", "initialize_connection")
    if flow == "attach":
        if k == "api.request":
            return "B1" if ev.target == "nova-api" else None if p == "NovaCompute" else "B2"
        if k == "bus.send" and method in connect:
            return "B3"
        if k == "bus.deliver" and method in connect:
            return "B4" if p == "Volume" else "B7"
        if k == "driver" and call in ("initialize_connection", "create_export"):
            return "B5"
        if k == "bus.reply" and method in connect:
            return "B6"
        if k == "api.response" and _carries_connection_info(d.get("body")):
            return "B7"
        if k == "backend" and ev.actor == "iscsi-initiator":
            return "B8"
        if p == "NovaCompute" and "/dev/" in ev.summary:
            return "B9"
        return None
    if flow in ("backup", "restore"):
        first = "create_backup" if flow == "backup" else "restore_backup"
        if k == "api.request":
            return "B1"
        if k == "bus.send" and method == first and p == "CinderAPI":
            return "B2"
        if k == "bus.deliver" and method == first and p == "Backup":
            return "B3"
        if k == "bus.send" and p == "Backup" and method in ("initialize_connection",
                                                            "get_backup_device"):
            return "B4"
        if (k == "driver" and call in ("initialize_connection", "create_export")) or (
                k == "backend" and ev.actor == "iscsi-initiator"):
            return "B5"
        if k == "driver" and call in ("backup", "backup_volume", "restore", "restore_backup"):
            return "B6-B7"
        if k == "status" and p == "Backup":
            return "B8"
        if k == "api.response" and d.get("status") == 202:
            return "B9"
    return None



def _carries_connection_info(body: Any) -> bool:
    """A response body with a (non-empty) connection_info: B7, the answer to Nova."""
    if not isinstance(body, Mapping):
        return False
    return any(isinstance(inner, Mapping) and bool(inner.get("connection_info"))
               for inner in body.values())


def _failure_of(ev: TraceEvent, after: Sequence[TraceEvent]) -> TraceEvent | None:
    """The ``driver.error`` that ends the driver call *ev*, if the call failed."""
    call = ev.detail.get("call")
    for later in after:
        if later.kind == "driver.error" and later.actor == ev.actor:
            return later if later.detail.get("call") == call else None
        if later.kind == "driver" and later.actor == ev.actor:
            return None
    return None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(text: str, indent: str, *, first: str = "") -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _schedule_vi(decision: Mapping[str, Any]) -> str:
    """The scheduler's decision in the documents' Vietnamese (from the decision detail)."""
    parts: list[str] = []
    if decision.get("previous_error"):
        parts.append(f"Lần thử trước lỗi ({decision['previous_error']}).")
    reverted = decision.get("reverted")
    if reverted:
        parts.append(f"cinder-scheduler trả lại {reverted[1]} GiB cho {reverted[0]}.")
    cands = list(decision.get("candidates") or [])
    down = list(decision.get("down_hosts") or [])
    down_text = f"; không xét (service down): {', '.join(down)}" if down else ""
    parts.append(f"cinder-scheduler sinh ra danh sách các ứng viên (node storage): "
                 f"{len(cands)} pool ({', '.join(cands) or 'không có'}){down_text}.")
    for f in decision.get("filters") or ():
        rejected = f" loại {', '.join(f['rejected'])} và" if f.get("rejected") else ""
        parts.append(f"{f['name']}{rejected} giữ lại {len(f.get('passed') or [])}.")
    for w in decision.get("weighers") or ():
        weights = ", ".join(f"{b}={v['normalized']:.3f}"
                            for b, v in (w.get("weights") or {}).items())
        parts.append(f"{w['name']} (hệ số {w.get('multiplier')}) cho trọng số {weights}.")
    chosen = decision.get("chosen")
    if chosen:
        gb = decision.get("consumed_gb")
        parts.append(f"Chọn {chosen}" + (f" và trừ {gb:g} GiB ở đó." if gb else "."))
    else:
        parts.append(f"Không có backend phù hợp: {decision.get('error')}.")
    return " ".join(parts)
