"""Mermaid ``sequenceDiagram``s of a run, which GitHub and most docs render.

Lifelines are the seed documents' boxes (Client, nova-api, nova-compute, the
hypervisor, cinder-api, AMQP, cinder-scheduler, cinder-volume, LVM, iSCSI
target, cinder-backup, object store); only those a diagram uses are declared,
in that order, before the first arrow.  What each event draws is decided once
in :mod:`._diagram` (shared with the studio's SVG).

:func:`mermaid_flows` gives one diagram per scenario step (or client request),
which is what a reader wants for a run of several flows; :func:`mermaid` draws
the whole run as one diagram.  ``lang="vi"`` labels the diagram in Vietnamese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..trace import TraceEvent
from ._diagram import Row, flow_rows, hosts_of
from ._events import PARTICIPANTS, Section, labels_of, sections

__all__ = ["mermaid", "mermaid_flows"]

_LIMIT = 90
_SPECIAL = re.compile("[#;]")
_ENTITY = {"#": "#35;", ";": "#59;"}
_SLUG = re.compile(r"[^a-z0-9]+")


def _text(s: str) -> str:
    """Message text Mermaid will not misparse: no ``;`` or ``#`` (entity codes instead)."""
    s = _SPECIAL.sub(lambda m: _ENTITY[m.group(0)], " ".join(s.split()))
    return s if len(s) <= _LIMIT else s[: _LIMIT - 1] + "…"


def _line(row: Row) -> str:
    if row.note:
        return f"Note over {row.src}: {_text(row.text)}"
    return f"{row.src}{'-->>' if row.dashed else '->>'}{row.dst}: {_text(row.text)}"


def _heading(sec: Section, n: int, lang: str) -> str:
    h = sec.header
    assert h is not None
    word = "Bước" if lang == "vi" else "Step"
    if h.kind == "scenario":
        label = h.detail.get("label")
        return f"{word} {n}: {h.detail.get('action')}" + (f" {label}" if label else "")
    word = "Yêu cầu" if lang == "vi" else "Request"
    return f"{word} {n}: {h.detail.get('method', '')} {sec.flow or ''}".rstrip()


def _render(parts: Sequence[tuple[str, list[Row]]]) -> str:
    used: set[str] = set()
    body: list[str] = []
    for head, rows in parts:
        body.append(f"%% {_text(head)}")
        if rows:
            used.add(rows[0].src)
            body.append(f"Note over {rows[0].src}: {_text(head)}")
        for row in rows:
            used.update((row.src, row.dst))
            body.append(_line(row))
    out = ["sequenceDiagram", "    autonumber"]
    for pid, shown in PARTICIPANTS:
        if pid in used:
            out.append(f"    participant {pid}" + ("" if pid == shown else f" as {shown}"))
    out.extend(f"    {line}" for line in body)
    return "\n".join(out) + "\n"


def _parts(events: list[TraceEvent], lang: str) -> list[tuple[Section, str, list[Row]]]:
    labels = labels_of(events)
    hosts = hosts_of(events)
    out: list[tuple[Section, str, list[Row]]] = []
    n = 0
    for sec in sections(events):
        if sec.header is None:
            continue  # the cloud starting up: reports and queries only
        n += 1
        out.append((sec, _heading(sec, n, lang),
                    flow_rows(sec.events, labels=labels, hosts=hosts, lang=lang)))
    return out


def mermaid(events: Iterable[TraceEvent], *, lang: str = "en") -> str:
    """The whole run as one Mermaid sequence diagram (text starting ``sequenceDiagram``)."""
    return _render([(head, rows) for _, head, rows in _parts(list(events), lang)])


def mermaid_flows(events: Iterable[TraceEvent], *, lang: str = "en",
                  ) -> list[tuple[str, str]]:
    """One diagram per scenario step (or client request): ``(file stem, diagram)``.

    The stem is ``NN-action-label`` (``01-create_volume-v1``), so a directory
    of them sorts in the run's order.
    """
    out: list[tuple[str, str]] = []
    for n, (sec, head, rows) in enumerate(_parts(list(events), lang), 1):
        h = sec.header
        assert h is not None
        what = (f"{h.detail.get('action', '')}-{h.detail.get('label') or ''}"
                if h.kind == "scenario" else str(sec.flow or h.detail.get("method", "")))
        stem = f"{n:02d}-" + _SLUG.sub("-", what.lower()).strip("-")
        out.append((stem, _render([(head, rows)])))
    return out
