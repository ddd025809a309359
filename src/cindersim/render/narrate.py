"""Narration: the trace told as numbered steps, in the seed documents' words.

A run is split into sections (one per scenario step, or per client request
when no scenario drove it).  In each section every event that is someone
talking to someone becomes a numbered step: who talks to whom, the message,
and what it means in the documents' vocabulary, tagged with the documented
step it corresponds to (``documents' step B3``) where there is one.  Every database status
change is printed under the step that caused it; a settled outcome written by
a service (``creating → available`` by cinder-volume) is a step of its own.
Backend commands that change something (``lvcreate``, ``tgt-admin --update``,
an iSCSI login, an object PUT) are listed under the driver call that ran
them; read-only queries are only counted.

Where Cinder's code orders a flow differently from the documents (create goes
api → scheduler → volume; the API answers 202 before the volume exists; Nova
attaches in three calls; cinder-api, not cinder-backup, creates the backup
record) the narration says so once, in a clearly labelled note.

Everything is keyed on event kinds, bus methods and driver calls, so a flow
that is added later is narrated by the generic rows until someone adds its
own rows to :mod:`.phrases`.  ``lang="vi"`` narrates in Vietnamese with the
documents' own step labels (B1, B2 ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..trace import TraceEvent
from ._events import (
    Section,
    api_path,
    compact_json,
    ids_to_names,
    is_query,
    labels_of,
    participant_of,
    sections,
    short,
    state_text,
)
from .doc_steps import (
    _cut,
    _doc_tag,
    _failure_of,
    _schedule_vi,
    _settled,
    _wrap,
    request_key,
)
from .phrases import has, phrase
from .sources import cite
from .summary import counts

__all__ = ["DETAILS", "FLOW_STEPS", "Block", "flow_docs", "narrate", "narrate_blocks",
           "request_key"]

DETAILS: tuple[str, ...] = ("docs", "normal", "all")
"""``--detail``: only the documents' steps, every step (the default), or every event."""

#: How the documents number each flow's steps (shown under section headings).
FLOW_STEPS: dict[str, tuple[str, str]] = {
    "create": ("steps B1-B9 as numbered in “Mối quan hệ giữa instance và disk” §6",
               "các bước B1-B9 theo “Mối quan hệ giữa instance và disk” §6"),
    "attach": ("steps B1-B9 as numbered in “Mối quan hệ giữa instance và disk” §7",
               "các bước B1-B9 theo “Mối quan hệ giữa instance và disk” §7"),
    "backup": ("the NetApp guide's backup steps, numbered B1-B9 in its order",
               "các bước backup của tài liệu NetApp, đánh số B1-B9 theo thứ tự"),
    "restore": ("the NetApp guide's restore steps, numbered B1-B9 in its order",
                "các bước restore của tài liệu NetApp, đánh số B1-B9 theo thứ tự"),
}


def flow_docs(flow: str | None, lang: str = "en") -> list[str]:
    """The lines citing the documents of *flow*: how they number it, then each one."""
    lines: list[str] = []
    steps = FLOW_STEPS.get(flow or "")
    if steps:
        lines.append(steps[1] if lang == "vi" else steps[0])
    docs = cite(flow, lang)
    if docs:  # the most detailed one; the studio lists them all
        more = len(docs) - 1
        extra = ((f" (+{more} tài liệu khác)" if lang == "vi" else f" (+{more} more)")
                 if more else "")
        lines.append(docs[0].citation(lang) + extra)
    return lines


#: Settled values: a service writing one of these ends (a part of) a flow.
_STEP_KINDS = frozenset({"api.request", "api.response", "bus.send", "bus.deliver", "bus.reply",
                         "bus.queued", "bus.fault", "bus.error", "bus.timeout", "bus.consumer",
                         "schedule", "reschedule", "driver", "driver.error", "api.bug"})


@attrs.frozen
class Block:
    """One piece of narration: a heading, a step, or a note.

    ``pause`` is True for numbered steps: ``--step`` waits for a key after them.
    """

    text: str
    pause: bool = False
    tag: str | None = None
    """The documents' step (``B3``) a numbered step is, if any."""
    seq: int | None = None
    """The last event the block tells of: the state after it is the state 'now'."""
    section: int = 0
    """Which section (scenario step or request) it belongs to; 0 for the start-up."""
    heading: bool = False


class _Style:
    """ANSI colour, or none (the default: narration must read well without colour)."""

    _CODES: Mapping[str, str] = {"bold": "1", "dim": "2", "who": "36", "db": "33",
                                 "err": "31", "note": "35", "head": "1;34"}

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, what: str, text: str) -> str:
        if not self.color or not text:
            return text
        return f"\x1b[{self._CODES[what]}m{text}\x1b[0m"


@attrs.define
class _Step:
    who: str
    message: str
    meaning: str
    time: float
    tag: str | None = None
    error: bool = False
    lines: list[tuple[str, str]] = attrs.Factory(list)
    queries: int = 0
    query_ops: list[str] = attrs.Factory(list)
    """The distinct read-only commands counted (``vgs``, ``stat -f``, ``rados mon dump``)."""
    owner: str | None = None
    """The lifeline doing the work: status changes it makes are printed under it."""
    db_only: bool = False
    seqs: list[int] = attrs.Factory(list)
    """The events this step tells of, in order."""


class _Narrator:
    def __init__(self, events: Sequence[TraceEvent], lang: str, color: bool,
                 detail: str = "normal") -> None:
        self.events = events
        self.lang = lang
        self.detail = detail
        self.style = _Style(color)
        self.labels = labels_of(events)
        self.notes_done: set[str] = set()
        self.legend_done: set[str] = set()
        self.ceph_actors = {
            ev.actor for ev in events if ev.kind == "bus.send"
            and ev.detail.get("method") == "update_service_capabilities"
            and ((ev.detail.get("args") or {}).get("capabilities") or {}).get(
                "storage_protocol") == "ceph"}
        """The cinder-volume services of RBD backends (from their capability reports)."""
        self.reply_from: dict[str, str] = {}
        """Message id -> the service that replied to it."""

    # --- small helpers ---------------------------------------------------------------
    def t(self, key: str, fallback: str | None = None, **fields: Any) -> str:
        return phrase(self.lang, key, fallback, fields)

    def name(self, resource: str | None) -> str:
        if not resource:
            return "?"
        label = self.labels.get(resource)
        rid = resource.partition(":")[2]
        return f"{label} ({short(rid)})" if label else short(rid)

    def pick(self, base: str, who: str | None, method: str) -> str:
        """The most specific phrase key: ``base.<lifeline>.<method>``, then ``base.<method>``."""
        for key in (f"{base}.{who}.{method}", f"{base}.{method}"):
            if has(self.lang, key):
                return key
        return f"{base}.{method}"

    def ids_to_names(self, text: str) -> str:
        return ids_to_names(text, self.labels)

    @staticmethod
    def actor_name(actor: str | None) -> str:
        if not actor:
            return "?"
        head, sep, host = actor.partition(":")
        return f"{head} ({host})" if sep else actor

    # --- the whole narration -------------------------------------------------------
    def blocks(self, title: str | None) -> list[Block]:
        s = self.style
        out: list[Block] = []
        if title:
            out.append(Block(s("head", title)))
        number = 0
        for sec in sections(self.events):
            if sec.header is None:
                if self.detail != "docs":
                    out.extend(self.setup(sec))
                continue
            number += 1
            out.append(Block("\n" + s("head", self.heading(sec, number)), section=number,
                             heading=True, seq=sec.header.seq))
            out.extend(attrs.evolve(b, section=number) for b in self.section(sec))
        c = counts(self.events)
        end = self.events[-1].time if self.events else 0.0
        out.append(Block("\n" + s("dim", self.t(
            "done", time=f"{end:.3f}", requests=c.requests, messages=c.messages,
            ops=c.backend_ops, errors=c.errors))))
        return out

    def heading(self, sec: Section, n: int) -> str:
        h = sec.header
        assert h is not None
        if h.kind == "scenario":
            label = h.detail.get("label")
            params = h.detail.get("params") or {}
            shown = ", ".join(f"{k}={self.ids_to_names(compact_json(v, 40))}"
                              for k, v in sorted(params.items()))
            text = self.t("section.step", n=n, action=h.detail.get("action", h.summary),
                          label=self.t("section.label", label=label) if label else "",
                          params=f" ({shown})" if shown else "")
        else:
            text = self.t("section.request", n=n, method=h.detail.get("method", ""),
                          path=self.ids_to_names(api_path(str(h.detail.get("path", "")))))
        if sec.flow:
            text += "  [" + self.t("flow", flow=sec.flow) + "]"
            for line in flow_docs(sec.flow, self.lang):
                text += "\n" + _wrap(line, "      ", first="    ")
        legend = self.legend(sec)
        if legend:
            text += "\n" + _wrap(legend, "      ", first="    ")
        return text

    def legend(self, sec: Section) -> str | None:
        """``v1 stands for volume 149818d1-...``: the full id behind a label, once."""
        made = [(r, lbl) for r, lbl in self.labels.items()
                if any(e.resource == r for e in sec.events) and r not in self.legend_done]
        if not made:
            return None
        parts = []
        for resource, label in made:
            self.legend_done.add(resource)
            kind, _, rid = resource.partition(":")
            parts.append(self.t("legend", label=label, kind=kind, id=rid))
        return " ".join(parts)

    def setup(self, sec: Section) -> list[Block]:
        services: list[str] = []
        pools: list[str] = []
        for ev in sec.events:
            if ev.kind == "bus.consumer" and ev.detail.get("action") == "start":
                services.append(ev.actor)
            elif (ev.kind == "bus.send" and ev.detail.get("msg_kind") == "fanout"
                  and ev.detail.get("method") == "update_service_capabilities"):
                args = ev.detail.get("args") or {}
                caps = args.get("capabilities") or {}
                if caps.get("storage_protocol") == "ceph" and not caps.get("pools"):
                    pools.append(self.t(
                        "setup.pool.ceph", host=self.actor_name(ev.actor),
                        az=args.get("availability_zone", "?"),
                        pool=caps.get("volume_backend_name"),
                        total=caps.get("total_capacity_gb"), free=caps.get("free_capacity_gb")))
                for pool in caps.get("pools") or ():
                    thin = pool.get("thin_provisioning_support")
                    pools.append(self.t(
                        "setup.pool", host=self.actor_name(ev.actor),
                        az=args.get("availability_zone", "?"), pool=pool.get("pool_name"),
                        total=pool.get("total_capacity_gb"), free=pool.get("free_capacity_gb"),
                        provisioning="thin" if thin else "thick",
                        mosr=pool.get("max_over_subscription_ratio")))
        if not services and not pools:
            return []
        lines = [self.style("head", self.t("setup"))]
        if services:
            lines.append(_wrap(self.t("setup.services", services=", ".join(services)), "    ",
                               first="  "))
        lines.extend(_wrap(p, "    ", first="  ") for p in pools)
        return [Block("\n".join(lines))]

    def section(self, sec: Section) -> list[Block]:
        out: list[Block] = []
        steps = self.section_steps(sec)
        for n, (step, notes) in enumerate(steps, 1):
            if self.detail == "docs" and not step.tag:
                continue
            last = step.seqs[-1] if step.seqs else None
            out.append(Block(self.render_step(n, step), pause=True, tag=step.tag, seq=last))
            out.extend(Block(note, seq=last) for note in notes)
        return out

    def section_steps(self, sec: Section) -> list[tuple[_Step, list[str]]]:
        """The section's numbered steps (each with the events it tells of) and their notes."""
        steps: list[tuple[_Step, list[str]]] = []
        current: _Step | None = None
        everything = self.detail == "all"
        for i, ev in enumerate(sec.events):
            kind = ev.kind
            if kind == "status":
                line = self.status_line(ev)
                p = participant_of(ev.actor)
                settled = _settled(ev) and p not in (None, "CinderAPI")
                if current is None or current.owner != p or (settled and not (
                        current.db_only and current.time == ev.time)):
                    key = "status.settled" if settled else "status.write"
                    current = _Step(self.actor_name(ev.actor) + " → DB", "",
                                    self.t(key, actor=self.actor_name(ev.actor)),
                                    ev.time, _doc_tag(sec.flow, ev),
                                    error=str(ev.detail.get("new", "")).startswith("error"),
                                    owner=p, db_only=True)
                    steps.append((current, []))
                current.lines.append(("db", line))
                current.seqs.append(ev.seq)
                if str(ev.detail.get("new")) == "deleting":
                    self.note_once("note.deleting", steps)
                continue
            if kind == "backend" and has(self.lang, f"backend.{ev.detail.get('op')}"):
                owner = current.owner if current is not None else None
                host = ev.detail.get("host")
                issuer = f"{ev.actor} ({host})" if host else ev.actor
                current = _Step(issuer, ids_to_names(ev.summary, {}), self.t(
                    f"backend.{ev.detail.get('op')}", issuer=issuer), ev.time,
                    _doc_tag(sec.flow, ev), owner=owner, seqs=[ev.seq])
                steps.append((current, []))
                continue
            if kind == "backend":
                if current is None:
                    continue
                current.seqs.append(ev.seq)
                if is_query(ev) and not everything:
                    current.queries += 1
                    op = str(ev.detail.get("op", ""))
                    if op and op not in current.query_ops:
                        current.query_ops.append(op)
                else:
                    current.lines.append(("dim", f"{ev.actor}: {ids_to_names(ev.summary, {})}"))
                    tag = _doc_tag(sec.flow, ev)
                    if tag and not current.tag:
                        current.tag = tag
                continue
            if kind == "bus.send" and ev.detail.get("msg_kind") == "fanout":
                report = self.fanout_line(ev)
                if report and current is not None:
                    current.lines.append(("dim", report))
                    current.seqs.append(ev.seq)
                continue
            if kind == "bus.deliver" and ev.detail.get("msg_kind") == "fanout":
                if everything and current is not None:
                    current.lines.append(("dim", ev.summary))
                    current.seqs.append(ev.seq)
                continue
            if kind == "log":
                if current is not None:
                    current.lines.append(("dim", f"log {ev.actor}: {ev.summary}"))
                    current.seqs.append(ev.seq)
                continue
            if kind in ("nova.action", "nova.action.event"):  # Nova's bookkeeping rows
                if current is not None:
                    current.lines.append(("dim", f"{self.actor_name(ev.actor)}: "
                                                 f"{ev.summary}"))
                    current.seqs.append(ev.seq)
                continue
            step = self.step(sec, ev)
            if kind == "driver":
                failure = _failure_of(ev, sec.events[i + 1:])
                if failure is not None:
                    step.meaning = self.t("driver.fails", call=ev.detail.get("call"),
                                          error=failure.detail.get("error"))
                    step.error = True
            step.owner = participant_of(ev.target if kind == "api.request" else ev.actor)
            step.seqs.append(ev.seq)
            current = step
            steps.append((step, []))
            self.notes_for(ev, steps)
        return steps

    # --- one step --------------------------------------------------------------------
    def step(self, sec: Section, ev: TraceEvent) -> _Step:
        kind = ev.kind
        d = ev.detail
        tag = _doc_tag(sec.flow, ev)
        method = str(d.get("method", ""))
        p = participant_of(ev.actor)
        if kind == "api.request":
            key = request_key(ev)
            body = d.get("body")
            msg = f"{method} {self.ids_to_names(api_path(str(d.get('path', ''))))}"
            if d.get("query"):
                msg += f"?{d['query']}"
            if body is not None:
                msg += " " + _cut(self.ids_to_names(compact_json(body, 10**6)), 110)
            caller = participant_of(ev.actor)
            key = f"req.{caller}.{key}" if has(self.lang, f"req.{caller}.{key}") else f"req.{key}"
            meaning = self.t(key, "req.generic", caller=self.actor_name(ev.actor),
                             method=method, target=ev.target,
                             path=self.ids_to_names(api_path(str(d.get("path", "")))))
            return _Step(f"{self.actor_name(ev.actor)} → {ev.target}", msg, meaning, ev.time,
                         tag)
        if kind == "api.response":
            return self.response(ev, tag)
        if kind == "bus.send":
            kind_word = str(d.get("msg_kind", "cast"))
            msg = f"{kind_word} {method} → queue {ev.target}"
            fields = {"sender": self.actor_name(ev.actor), "method": method,
                      "queue": ev.target, "kind": kind_word}
            return _Step(f"{self.actor_name(ev.actor)} → AMQP", msg,
                         self.t(self.pick("send", p, method), "send.generic", **fields),
                         ev.time, tag)
        if kind == "bus.deliver":
            if d.get("msg_kind") == "reply":
                key = self.pick("deliver.reply", p, method)
                if self.reply_from.get(str(d.get("msg"))) in self.ceph_actors and has(
                        self.lang, f"{key}.ceph"):
                    key = f"{key}.ceph"  # the answer of an RBD backend: librbd, not iSCSI
                meaning = self.t(key, "deliver.reply",
                                 to=self.actor_name(ev.actor), method=method)
                return _Step(f"AMQP → {self.actor_name(ev.actor)}", f"reply to {method}",
                             meaning, ev.time, tag)
            meaning = self.t(self.pick("deliver", p, method), "deliver.generic",
                             consumer=self.actor_name(ev.actor), method=method)
            return _Step(f"AMQP → {self.actor_name(ev.actor)}", method, meaning, ev.time, tag)
        if kind == "bus.reply":
            self.reply_from[str(d.get("msg"))] = ev.actor
            err = d.get("error")
            meaning = self.t(self.pick("reply", p, method), "reply.generic",
                             sender=self.actor_name(ev.actor), method=method,
                             error=self.t("reply.error", error=err) if err else "")
            return _Step(f"{self.actor_name(ev.actor)} → AMQP", f"reply to {method}",
                         meaning, ev.time, tag, error=bool(err))
        if kind == "bus.queued":
            return _Step(f"AMQP ({ev.target})", method, self.t(
                "queued", queue=ev.target, method=method, depth=d.get("depth")), ev.time, tag)
        if kind == "bus.consumer":
            key = "consumer.stop" if d.get("action") == "stop" else "consumer.start"
            return _Step(self.actor_name(ev.actor), str(d.get("action", "")),
                         self.t(key, name=self.actor_name(ev.actor)), ev.time, tag)
        if kind in ("bus.fault", "bus.timeout"):
            return _Step("AMQP", method, self.t(kind, summary=ev.summary), ev.time, tag,
                         error=True)
        if kind == "bus.error":
            return _Step(self.actor_name(ev.actor), method, self.t(
                "bus.error", actor=self.actor_name(ev.actor), method=method,
                error=d.get("error"), message=d.get("message")), ev.time, tag, error=True)
        if kind == "schedule":
            decision = d.get("decision") or {}
            text = ev.summary if self.lang == "en" or "candidates" not in decision \
                else _schedule_vi(decision)
            return _Step(self.actor_name(ev.actor), str(decision.get("operation", "schedule")),
                         self.ids_to_names(text), ev.time, tag,
                         error=bool(decision.get("error")))
        if kind == "reschedule":
            host = ev.actor.partition(":")[2] or ev.actor
            return _Step(f"{self.actor_name(ev.actor)} → cinder-scheduler", "reschedule",
                         self.t("reschedule", host=host, error=d.get("error"),
                                attempt=d.get("attempt")), ev.time, tag, error=True)
        if kind == "driver":
            call = str(d.get("call", ""))
            target = self.name(ev.resource) if ev.resource else ""
            key = f"driver.{call}"
            proto = d.get("protocol")  # only NFS / FC drivers' events carry it
            if proto and has(self.lang, f"{key}.{proto}"):
                key = f"{key}.{proto}"
            elif ev.actor in self.ceph_actors and has(self.lang, f"{key}.ceph"):
                key = f"{key}.ceph"  # an RBD backend: no export, no target, librbd clients
            return _Step(f"{self.actor_name(ev.actor)} → driver", f"{call} {target}".strip(),
                         self.t(key, "driver.generic",
                                actor=self.actor_name(ev.actor), call=call), ev.time, tag)
        if kind == "driver.error":
            return _Step(f"driver → {self.actor_name(ev.actor)}", str(d.get("error", "")),
                         self.t("driver.error", call=d.get("call"), error=d.get("error"),
                                message=d.get("message")), ev.time, tag, error=True)
        if kind == "api.bug":
            return _Step(self.actor_name(ev.actor), "500", self.t(
                "api.bug", actor=ev.actor, summary=ev.summary), ev.time, tag, error=True)
        target = f" → {ev.target}" if ev.target else ""
        return _Step(f"{self.actor_name(ev.actor)}{target}", ev.kind,
                     self.t("generic", actor=self.actor_name(ev.actor),
                            summary=self.ids_to_names(ev.summary)), ev.time, tag)

    def response(self, ev: TraceEvent, tag: str | None) -> _Step:
        d = ev.detail
        status = int(d.get("status", 0))
        body = d.get("body")
        caller = self.actor_name(ev.target or "client")
        if status >= 400:
            fault, message = "", ""
            if isinstance(body, Mapping) and body:
                fault = str(next(iter(body)))
                inner = body[fault]
                message = str(inner.get("message", "")) if isinstance(inner, Mapping) else ""
            return _Step(f"{ev.actor} → {caller}", str(status), self.t(
                "resp.error", server=ev.actor, status=status, fault=fault,
                message=self.ids_to_names(message)), ev.time, tag, error=True)
        what = ""
        if isinstance(body, Mapping) and len(body) == 1:
            kind, inner = next(iter(body.items()))
            if isinstance(inner, Mapping):
                if inner.get("connection_info"):
                    what = self.t("resp.what.connection")
                elif inner.get("id") and has(self.lang, f"resp.what.{kind}"):
                    rid = str(inner["id"])
                    what = self.t(f"resp.what.{kind}", name=self.name(f"{kind}:{rid}"),
                                  state=inner.get("status", ""))
        return _Step(f"{ev.actor} → {caller}", str(status),
                     self.t("resp.ok", server=ev.actor, caller=self.actor_name(caller),
                            status=status, what=what), ev.time, tag)

    def status_line(self, ev: TraceEvent) -> str:
        d = ev.detail
        kind = (ev.resource or "?").partition(":")[0]
        field = str(d.get("field", "status"))
        key = "status.line" if field == "status" else "status.field"
        line = self.t(key, kind=kind, name=self.name(ev.resource), field=field,
                      old=state_text(d.get("old")), new=state_text(d.get("new")))
        if d.get("reason"):
            line += self.t("status.reason", reason=self.ids_to_names(str(d["reason"])))
        return line

    def fanout_line(self, ev: TraceEvent) -> str | None:
        args = ev.detail.get("args") or {}
        pools = (args.get("capabilities") or {}).get("pools") or []
        if ev.detail.get("method") != "update_service_capabilities" or not pools:
            return None
        free = sum(float(p.get("free_capacity_gb") or 0) for p in pools)
        total = sum(float(p.get("total_capacity_gb") or 0) for p in pools)
        return self.t("send.fanout", sender=self.actor_name(ev.actor), free=f"{free:g}",
                      total=f"{total:g}")

    # --- notes ---------------------------------------------------------------------------
    def notes_for(self, ev: TraceEvent, steps: list[tuple[_Step, list[str]]]) -> None:
        d = ev.detail
        method = d.get("method")
        p = participant_of(ev.actor)
        if ev.kind == "bus.send" and method == "create_volume" and p == "CinderAPI" \
                and str(ev.target).startswith("cinder-scheduler"):
            self.note_once("note.create_order", steps)
        elif ev.kind == "api.response" and d.get("status") == 202 and isinstance(
                d.get("body"), Mapping) and "volume" in d["body"] and (
                str(d["body"]["volume"].get("status")) == "creating"):
            self.note_once("note.create_202", steps)
        elif ev.kind == "api.request" and request_key(ev).startswith("attachments."):
            self.note_once("note.attach_api", steps)
        elif ev.kind == "api.request" and request_key(ev) == "backups.restore" and not (
                isinstance(d.get("body"), Mapping)
                and isinstance(d["body"].get("restore"), Mapping)
                and d["body"]["restore"].get("volume_id")):
            self.note_once("note.restore_volume", steps)
        elif ev.kind == "bus.send" and method == "create_backup":
            self.note_once("note.backup_record", steps)
        elif ev.kind == "bus.send" and p == "Backup" and method in ("get_backup_device",
                                                                    "initialize_connection"):
            self.note_once("note.backup_device", steps)

    def note_once(self, key: str, steps: list[tuple[_Step, list[str]]]) -> None:
        if key in self.notes_done or not steps:
            return
        self.notes_done.add(key)
        head = self.t("note")
        text = _wrap(f"※ {head}: {self.t(key)}", "     ", first="     ")
        steps[-1][1].append(self.style("note", text))

    # --- text ----------------------------------------------------------------------------
    def render_step(self, n: int, step: _Step) -> str:
        s = self.style
        # Plain sequence numbers in both languages: the documents' own labels (B1-B9) are
        # the "[documents' step B3]" tags, and a flow has more steps than the documents' nine, so a
        # "B8" counter next to "[tài liệu B2]" would contradict them.
        number = f"{n}."
        head = f"  {s('bold', f'{number:>4}')} {s('who', step.who)}"
        if step.message:
            head += f"  {step.message}"
        tail = f"t={step.time:.3f} s"
        if step.tag:
            tail = self.t("doc", tag=step.tag) + " · " + tail
        # The bracketed tag wraps as one word ("[t=4.614" / "s]" split across lines reads
        # badly): no-break spaces inside it while wrapping, plain spaces after.
        tag = f"[{tail}]".replace(" ", "\xa0")
        meaning = _wrap(f"{step.meaning}  {tag}", "      ", first="      ").replace("\xa0", " ")
        lines = [head, s("err", meaning) if step.error else meaning]
        for style, text in step.lines:
            lines.append(_wrap("• " + text, "        ", first="      ") if style != "db"
                         else s("db", _wrap("• " + text, "        ", first="      ")))
        if step.queries:
            lines.append(s("dim", "      " + self.t(
                "queries", n=step.queries, ies="y" if step.queries == 1 else "ies",
                ops=", ".join(step.query_ops))))
        return "\n".join(lines)


def narrate_blocks(events: Iterable[TraceEvent], *, lang: str = "en", color: bool = False,
                   title: str | None = None, detail: str = "normal") -> list[Block]:
    """The narration as blocks (headings, numbered steps, notes), for paced output.

    Args:
        events: a trace (``result.trace.events``), in order.
        lang: ``"en"`` or ``"vi"``.
        color: ANSI colour; the caller decides (tty, ``NO_COLOR``).
        title: an optional first line (the scenario's name and description).
        detail: ``docs`` (only the steps the documents number), ``normal``, or
            ``all`` (read-only backend queries and capability reports listed too).
    """
    return _Narrator(list(events), lang, color, detail).blocks(title)


def narrate(events: Iterable[TraceEvent], *, lang: str = "en", color: bool = False,
            title: str | None = None, detail: str = "normal") -> str:
    """The whole narration as plain text (one string ending in a newline)."""
    return "\n".join(b.text for b in narrate_blocks(events, lang=lang, color=color,
                                                     title=title, detail=detail)) + "\n"
