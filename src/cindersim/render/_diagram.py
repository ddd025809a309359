"""One arrow or note per trace event: the sequence diagram's rows, in either language.

Shared by the Mermaid renderer and the studio's SVG, so the two draw the same
picture.  Rules:

* requests and casts are solid arrows, responses and replies dashed; every
  message goes through the AMQP lifeline, as it does in Cinder;
* a backend command is drawn from the service that ran it (the host in the
  event's ``target`` names it: ``cinder-1@lvmdriver-1`` is a cinder-volume,
  ``compute-1`` a nova-compute, ``backup-1`` a cinder-backup), to the thing it
  acts on (LVM, the iSCSI target, the Ceph cluster, the NFS share, the FC
  array or fabric, the hypervisor, the object store); a
  command acting on its own service (the backup driver compressing) is a note;
* status changes, scheduling decisions, queueing and faults are notes; an event
  that carries no decision (nova-scheduler's pick of a compute host, which has
  no filter report) draws nothing;
* read-only backend queries and the periodic capability reports draw nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ..trace import TraceEvent
from ._events import api_path, ids_to_names, is_query, participant_of, short, state_text

__all__ = ["Row", "hosts_of", "rows_for"]


@attrs.frozen
class Row:
    """One line of a sequence diagram."""

    seq: int
    src: str
    dst: str
    text: str
    dashed: bool = False
    note: bool = False


_VI: dict[str, str] = {
    "reply to": "trả lời",
    "error": "lỗi",
    "waits in": "nằm chờ trong",
    "depth": "độ sâu",
    "chooses": "lọc và tính trọng số: chọn",
    "reschedule after": "lập lịch lại sau lỗi",
    "failed": "lỗi",
    "stops": "ngừng nhận message",
    "starts": "nhận message trở lại",
}


def _w(lang: str, en: str) -> str:
    return _VI.get(en, en) if lang == "vi" else {"chooses": "filter and weigh: chooses",
                                                  "stops": "stops consuming",
                                                  "starts": "starts consuming"}.get(en, en)


def hosts_of(events: Iterable[TraceEvent]) -> dict[str, str]:
    """Which lifeline each host runs, learnt from actors (``nova-compute:compute-1``)
    and queues (``cinder-backup.backup-1``) of the run."""
    hosts: dict[str, str] = {}
    for ev in events:
        head, sep, host = ev.actor.partition(":")
        if sep and host:
            p = participant_of(head)
            if p:
                hosts.setdefault(host, p)
        if ev.kind == "bus.send" and ev.target and "." in ev.target:
            svc, _, host = str(ev.target).partition(".")
            p = participant_of("nova-compute" if svc == "compute" else svc)
            if p and host:
                hosts.setdefault(host, p)
    return hosts


def _issuer(ev: TraceEvent, hosts: dict[str, str]) -> str:
    host = str(ev.detail.get("host") or ev.target or "")
    if host in hosts:
        return hosts[host]
    if ev.actor in ("swift", "posix", "backup-driver"):
        return "Backup"
    if ev.actor in ("libvirt", "iscsi-initiator"):
        return "NovaCompute"
    return "Volume"


def rows_for(ev: TraceEvent, *, labels: dict[str, str], hosts: dict[str, str],
             lang: str = "en") -> list[Row]:
    """The rows *ev* draws (none for most bookkeeping events)."""
    k = ev.kind
    d = ev.detail
    method = str(d.get("method", ""))
    p = participant_of(ev.actor)
    s = ev.seq

    def ids(text: str) -> str:
        return ids_to_names(text, labels)

    def arrow(src: str | None, dst: str | None, text: str, dashed: bool = False) -> Row:
        return Row(s, src or "CinderAPI", dst or "CinderAPI", ids(text), dashed)

    def note(over: str | None, text: str) -> Row:
        o = over or "CinderAPI"
        return Row(s, o, o, ids(text), note=True)

    if k == "api.request":
        return [arrow(p or "Client", participant_of(ev.target),
                      f"{method} {api_path(str(d.get('path', '')))}")]
    if k == "api.response":
        return [arrow(p, participant_of(ev.target) or "Client", str(d.get("status")), True)]
    if k == "bus.send" and d.get("msg_kind") != "fanout":
        return [arrow(p, "AMQP", f"{d.get('msg_kind')} {method} ({ev.target})")]
    if k == "bus.deliver" and d.get("msg_kind") != "fanout":
        if d.get("msg_kind") == "reply":
            return [arrow("AMQP", p, f"{_w(lang, 'reply to')} {method}", True)]
        return [arrow("AMQP", p, method)]
    if k == "bus.reply":
        what = f" ({_w(lang, 'error')} {d.get('error')})" if d.get("error") else ""
        return [arrow(p, "AMQP", f"{_w(lang, 'reply to')} {method}{what}", True)]
    if k == "bus.queued":
        return [note("AMQP", f"{method} {_w(lang, 'waits in')} {ev.target} "
                             f"({_w(lang, 'depth')} {d.get('depth')})")]
    if k in ("bus.fault", "bus.timeout", "bus.error"):
        return [note("AMQP" if k != "bus.error" else p, ev.summary)]
    if k == "bus.consumer":
        word = "stops" if d.get("action") == "stop" else "starts"
        return [note(p, f"{ev.actor} {_w(lang, word)}")]
    if k == "schedule":
        decision = d.get("decision")
        if not isinstance(decision, dict):
            return []  # no filter report: nothing was decided that the diagram can show
        chosen = decision.get("chosen")
        return [note(p, f"{_w(lang, 'chooses')} {chosen}" if chosen
                     else f"NoValidBackend: {decision.get('error')}")]
    if k == "reschedule":
        return [note(p, f"{_w(lang, 'reschedule after')} {d.get('error')}")]
    if k == "driver.error":
        return [note(p, f"driver.{d.get('call')} {_w(lang, 'failed')}: {d.get('error')}")]
    if k == "backend" and not is_query(ev):
        src = _issuer(ev, hosts)
        if ev.actor == "iscsi-initiator":
            dst = "Target"
        elif ev.actor == "fc-initiator":
            dst = src  # os-brick scanning the host's own HBAs: a note over that host
        elif ev.actor in ("libvirt", "hypervisor"):
            dst = "Hypervisor"
        elif ev.actor == "os-brick":  # cryptsetup on the host itself (the encryptors)
            dst = src
        else:
            dst = participant_of(ev.actor) or "LVM"
        if dst == src:
            return [note(src, ev.summary)]
        return [arrow(src, dst, ev.summary)]
    if k == "status":
        field = d.get("field", "status")
        which = "" if field == "status" else f" {field}"
        kind, _, rid = (ev.resource or "?:?").partition(":")
        name = f"{kind} {labels.get(ev.resource or '') or short(rid)}"
        return [note(p, f"{name}{which}: {state_text(d.get('old'))} → "
                        f"{state_text(d.get('new'))}")]
    if k == "api.bug":
        return [note("CinderAPI", f"BUG: {ev.summary}")]
    return []


def flow_rows(events: Sequence[TraceEvent], *, labels: dict[str, str],
              hosts: dict[str, str], lang: str = "en") -> list[Row]:
    """Every row of a slice of the log, in order."""
    return [r for ev in events for r in rows_for(ev, labels=labels, hosts=hosts, lang=lang)]
