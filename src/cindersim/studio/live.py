"""The live studio: ``cindersim serve`` shows the same viewer at ``/_sim/``.

* ``GET /_sim/`` - the page (the viewer of :mod:`cindersim.render.studio`, in live
  mode: it loads ``model.json`` and polls ``events``);
* ``GET /_sim/model.json`` - the studio model of the events recorded so far;
* ``GET /_sim/events?since=N`` - the events whose ``seq`` is at least N (seq, time,
  kind, actor, summary: no request bodies or message arguments, which hold
  tokens), and ``last_seq``.

Recording starts with the first request under ``/_sim/``: a server that nobody
watches keeps building no events (``serve`` runs its trace ``off`` unless
``--trace`` is given), and a learner opens the page before making requests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

from ..render.studio import studio_html, studio_model
from ..services.api.wsgi import ApiResponse
from ..trace import Trace, TraceEvent

__all__ = ["PREFIX", "LiveStudio"]

PREFIX = "/_sim"
_MAX_EVENTS = 200_000
"""A page that stays open for days would grow without end: past this many events
the oldest half is dropped (the page says so in its title)."""


@attrs.frozen
class _Page(ApiResponse):
    """A response whose body is bytes already (the HTML page)."""

    def encoded(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else b""


class LiveStudio:
    """Records a served cloud's trace on demand and answers ``/_sim/`` requests."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.events: list[TraceEvent] = []
        self.dropped = 0
        self._unsubscribe: Any = None

    def _record(self, ev: TraceEvent) -> None:
        self.events.append(ev)
        if len(self.events) > _MAX_EVENTS:
            half = len(self.events) // 2
            self.dropped += half
            del self.events[:half]

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self.trace.subscribe(self._record)

    def handle(self, method: str, path: str, query: str) -> ApiResponse:
        """Answer one request whose path starts with ``/_sim``."""
        if method not in ("GET", "HEAD"):
            return ApiResponse(405, {"error": "the studio is read-only"}, {"Allow": "GET, HEAD"})
        self.start()
        rest = path[len(PREFIX):]
        if rest == "":
            return ApiResponse(302, None, {"Location": PREFIX + "/"})
        if rest in ("/", "/index.html"):
            page = studio_html(None, live=True).encode()
            return _Page(200, page, {"Content-Type": "text/html; charset=utf-8",
                                     "Cache-Control": "no-store"})
        if rest == "/model.json":
            title = "cindersim serve" + (f" (first {self.dropped} events dropped)"
                                         if self.dropped else "")
            return _Page(200, _json(studio_model(self.events, title=title)),
                         {"Content-Type": "application/json", "Cache-Control": "no-store"})
        if rest == "/events":
            params: Mapping[str, list[str]] = parse_qs(query)
            try:
                since = int(params.get("since", ["0"])[-1])
            except ValueError:
                return ApiResponse(400, {"error": "since must be an integer"})
            rows = [{"seq": e.seq, "t": e.time, "kind": e.kind, "actor": e.actor,
                     "summary": e.summary} for e in self.events if e.seq >= since]
            last = self.events[-1].seq if self.events else -1
            return _Page(200, _json({"events": rows, "last_seq": last}),
                         {"Content-Type": "application/json", "Cache-Control": "no-store"})
        return ApiResponse(404, {"error": f"no such page: {path}"})


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()
