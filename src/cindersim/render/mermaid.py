"""A Mermaid ``sequenceDiagram`` of a run, which GitHub and most docs render.

Lifelines are the seed documents' boxes (Client, nova-api, nova-compute,
cinder-api, AMQP, cinder-scheduler, cinder-volume, LVM, iSCSI target,
cinder-backup, object store); only those the run used are declared, in that
order, before the first arrow.  Requests and casts are solid arrows
(``A->>B: text``), responses and replies dashed (``A-->>B: text``); every
message goes through the AMQP lifeline, as it does in Cinder.  Status changes,
scheduling decisions, queueing and faults are notes.  Read-only backend
queries and the periodic capability reports are left out: they would drown
the flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..trace import TraceEvent
from ._events import (
    PARTICIPANTS,
    api_path,
    ids_to_names,
    is_query,
    labels_of,
    participant_of,
    sections,
    short,
    state_text,
)

__all__ = ["mermaid"]

_LIMIT = 90
_SPECIAL = re.compile("[#;]")
_ENTITY = {"#": "#35;", ";": "#59;"}


def _text(s: str) -> str:
    """Message text Mermaid will not misparse: no ``;`` or ``#`` (entity codes instead)."""
    s = _SPECIAL.sub(lambda m: _ENTITY[m.group(0)], " ".join(s.split()))
    return s if len(s) <= _LIMIT else s[: _LIMIT - 1] + "…"


class _Diagram:
    def __init__(self, events: list[TraceEvent]) -> None:
        self.events = events
        self.labels = labels_of(events)
        self.used: set[str] = set()
        self.last_service = "Volume"

    def ids(self, text: str) -> str:
        return ids_to_names(text, self.labels)

    def name(self, resource: str | None) -> str:
        if not resource:
            return "?"
        kind, _, rid = resource.partition(":")
        return f"{kind} {self.labels.get(resource) or short(rid)}"

    def arrow(self, src: str | None, dst: str | None, text: str, *, dashed: bool = False) -> str:
        src = src or "CinderAPI"
        dst = dst or "CinderAPI"
        self.used.update((src, dst))
        return f"{src}{'-->>' if dashed else '->>'}{dst}: {_text(self.ids(text))}"

    def note(self, over: str | None, text: str) -> str:
        over = over or "CinderAPI"
        self.used.add(over)
        return f"Note over {over}: {_text(self.ids(text))}"

    def lines_for(self, ev: TraceEvent) -> list[str]:
        k = ev.kind
        d = ev.detail
        method = str(d.get("method", ""))
        p = participant_of(ev.actor)
        if p in ("Volume", "Backup", "NovaCompute") and k in ("bus.deliver", "driver"):
            self.last_service = p
        if k == "api.request":
            return [self.arrow(p or "Client", participant_of(ev.target),
                               f"{method} {api_path(str(d.get('path', '')))}")]
        if k == "api.response":
            return [self.arrow(p, participant_of(ev.target) or "Client",
                               str(d.get("status")), dashed=True)]
        if k == "bus.send" and d.get("msg_kind") != "fanout":
            return [self.arrow(p, "AMQP", f"{d.get('msg_kind')} {method} ({ev.target})")]
        if k == "bus.deliver" and d.get("msg_kind") != "fanout":
            if d.get("msg_kind") == "reply":
                return [self.arrow("AMQP", p, f"reply to {method}", dashed=True)]
            return [self.arrow("AMQP", p, method)]
        if k == "bus.reply":
            what = f" (error {d.get('error')})" if d.get("error") else ""
            return [self.arrow(p, "AMQP", f"reply to {method}{what}", dashed=True)]
        if k == "bus.queued":
            return [self.note("AMQP", f"{method} waits in {ev.target} (depth {d.get('depth')})")]
        if k in ("bus.fault", "bus.timeout", "bus.error"):
            return [self.note("AMQP" if k != "bus.error" else p, ev.summary)]
        if k == "bus.consumer":
            return [self.note(p, f"{ev.actor} {'stops' if d.get('action') == 'stop' else 'starts'}"
                                 " consuming")]
        if k == "schedule":
            decision = d.get("decision") or {}
            chosen = decision.get("chosen")
            return [self.note(p, f"filter and weigh: chooses {chosen}" if chosen
                              else f"NoValidBackend: {decision.get('error')}")]
        if k == "reschedule":
            return [self.note(p, f"reschedule after {d.get('error')}")]
        if k == "driver.error":
            return [self.note(p, f"driver.{d.get('call')} failed: {d.get('error')}")]
        if k == "backend" and not is_query(ev):
            dst = participant_of(ev.actor)
            if ev.actor == "iscsi-initiator":
                src = "Backup" if self.last_service == "Backup" else "NovaCompute"
                return [self.arrow(src, "Target", ev.summary)]
            src = "Backup" if dst == "ObjectStore" else "Volume"
            return [self.arrow(src, dst or "LVM", ev.summary)]
        if k == "status":
            field = d.get("field", "status")
            which = "" if field == "status" else f" {field}"
            return [self.note(p, f"{self.name(ev.resource)}{which}: "
                                 f"{state_text(d.get('old'))} → {state_text(d.get('new'))}")]
        if k == "api.bug":
            return [self.note("CinderAPI", f"BUG: {ev.summary}")]
        return []

    def render(self) -> str:
        body: list[str] = []
        n = 0
        for sec in sections(self.events):
            if sec.header is None:
                continue  # the cloud starting up: reports and queries only
            n += 1
            lines = [line for ev in sec.events for line in self.lines_for(ev)]
            h = sec.header
            if h.kind == "scenario":
                label = h.detail.get("label")
                head = f"Step {n}: {h.detail.get('action')}" + (f" {label}" if label else "")
                body.append(f"%% {_text(head)}")
                if lines:
                    first = lines[0].split("->>")[0].split("-->>")[0]
                    if first.startswith("Note over "):
                        first = first[len("Note over "):].split(":")[0]
                    body.append(self.note(first, head))
            body.extend(lines)
        order = [pid for pid, _ in PARTICIPANTS if pid in self.used]
        out = ["sequenceDiagram", "    autonumber"]
        for pid, shown in PARTICIPANTS:
            if pid in order:
                out.append(f"    participant {pid}" + ("" if pid == shown else f" as {shown}"))
        out.extend(f"    {line}" for line in body)
        return "\n".join(out) + "\n"


def mermaid(events: Iterable[TraceEvent]) -> str:
    """The run as a Mermaid sequence diagram (text starting ``sequenceDiagram``)."""
    return _Diagram(list(events)).render()
