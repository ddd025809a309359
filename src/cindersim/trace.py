"""The one event log.

Every request, bus message, status change, driver call and backend operation
becomes one :class:`TraceEvent`.  Narration, JSON Lines, Mermaid diagrams,
summaries and metrics are all *renderers* of this log: nothing in cindersim
prints.  Events carry a sequence number and the virtual time, never wall time,
so two runs with the same seed produce byte-identical JSONL.

structlog is the logging face: :meth:`Trace.logger` returns a structlog logger
whose events land here (kind ``log``) instead of on a stream.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import IO, Any, Literal, NamedTuple

import attrs
import structlog

__all__ = ["Trace", "TraceEvent", "TraceMode", "dumps_event", "load_jsonl"]

TraceMode = Literal["full", "metrics", "off"]
"""``full`` keeps (or streams) every event; ``metrics`` only feeds subscribers;
``off`` drops everything but the sequence counter."""


class _EventFields(NamedTuple):
    seq: int
    time: float
    kind: str
    actor: str
    summary: str
    target: str | None = None
    resource: str | None = None
    detail: Mapping[str, Any] = {}
    """(TraceEvent's constructor always gives a fresh dict: this one is never used.)"""


class TraceEvent(_EventFields):
    """One step of a simulation, as it happened in virtual time.

    * ``seq``: position in the log, from 0; the total order of everything that
      happened.
    * ``time``: virtual seconds since the simulation started.
    * ``kind``: what sort of step: ``api.request``, ``bus.send``, ``bus.deliver``,
      ``status``, ``driver``, ``backend``, ``log`` ...
    * ``actor``: who did it: ``cinder-api``, ``cinder-volume@cinder-1@lvmdriver-1``,
      ``lvm`` ...
    * ``summary``: one short human sentence.
    * ``target``: who it was addressed to, for messages and calls.
    * ``resource``: what it concerns, as ``kind:id`` (``volume:1b2c...``).
    * ``detail``: structured facts, JSON-serialisable (the constructor keeps a copy
      of the mapping it is given).

    A frozen typed record, as a named tuple: a full trace builds one per step,
    and a tuple is built in one call where a slotted class sets each field
    through a descriptor (about five times slower).
    """

    __slots__ = ()

    def __new__(cls, seq: int, time: float, kind: str, actor: str, summary: str,
                target: str | None = None, resource: str | None = None,
                detail: Mapping[str, Any] | None = None) -> TraceEvent:
        ev: TraceEvent = _new(cls, (seq, time, kind, actor, summary, target, resource,
                                    dict(detail) if detail else {}))
        return ev

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "seq": self.seq, "time": self.time, "kind": self.kind, "actor": self.actor,
            "summary": self.summary,
        }
        if self.target is not None:
            d["target"] = self.target
        if self.resource is not None:
            d["resource"] = self.resource
        if self.detail:
            d["detail"] = self.detail
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TraceEvent:
        return cls(seq=int(d["seq"]), time=float(d["time"]), kind=str(d["kind"]),
                   actor=str(d["actor"]), summary=str(d["summary"]),
                   target=d.get("target"), resource=d.get("resource"),
                   detail=d.get("detail") or {})


_new: Any = tuple.__new__


def dumps_event(event: TraceEvent) -> str:
    """One JSONL line: sorted keys, compact, so equal traces are equal bytes."""
    return json.dumps(event.to_dict(), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=_json_default)


def _json_default(obj: Any) -> Any:
    if attrs.has(type(obj)):
        return attrs.asdict(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, (tuple, bytes)):
        return list(obj) if isinstance(obj, tuple) else obj.hex()
    return str(obj)


def load_jsonl(lines: Iterable[str]) -> list[TraceEvent]:
    """Parse a JSONL trace back into events (blank lines ignored)."""
    return [TraceEvent.from_dict(json.loads(line)) for line in lines if line.strip()]


Subscriber = Callable[[TraceEvent], None]


class Trace:
    """The event log of one simulation.

    Args:
        now: the virtual clock (``loop.time``); the trace never reads wall time.
        mode: see :data:`TraceMode`.
        stream: in ``full`` mode, write each event as a JSONL line here instead
            of keeping it in memory (for runs too big to hold).
    """

    def __init__(self, now: Callable[[], float] = lambda: 0.0, *, mode: TraceMode = "full",
                 stream: IO[str] | None = None) -> None:
        self._now = now
        self._stream = stream
        self.events: list[TraceEvent] = []
        """Events kept in memory (``full`` mode without a stream)."""
        self._seq = 0
        self._routes: list[tuple[Subscriber, frozenset[str] | None]] = []
        """Each subscriber with the kinds it wants (None: every kind)."""
        self.wanted_kinds: frozenset[str] | None = None
        """Kinds an event of which would go anywhere (None: every kind): a full trace
        keeps them all, otherwise only subscribers' kinds are built.  Read-only: what
        :meth:`wants` answers, for hot paths that ask on every step without the call
        (``k is None or kind in k``); the mode and :meth:`subscribe` set it."""
        self._keeps = False
        """Whether events go to :attr:`events` (``full`` mode without a stream)."""
        self._keep_only = False
        """:attr:`_keeps`, and no subscriber: an event only goes to :attr:`events` (the
        usual full trace, whose every step asks)."""
        self._answers: dict[str, bool] = {}
        """:meth:`wants` of each kind given to :meth:`wants_now`, kept current."""
        self.mode = mode

    @property
    def mode(self) -> TraceMode:
        """See :data:`TraceMode`; :meth:`close` sets ``off``.  Setting it decides,
        once, which events are built and whether they are kept."""
        return self._mode

    @mode.setter
    def mode(self, value: TraceMode) -> None:
        self._mode: TraceMode = value
        self._keeps = value == "full" and self._stream is None
        self._rewant()

    def __len__(self) -> int:
        return self._seq

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def close(self) -> None:
        """Stop recording (kept events stay readable).

        A simulation closes its trace before shutting its loop down, so that
        whatever runs during shutdown (task cancellation, in set order) cannot
        reach the log and make two runs differ.
        """
        self.mode = "off"
        self._routes = []
        self.wanted_kinds = frozenset()
        self._reanswer()
        if self._stream is not None:
            self._stream.flush()

    @property
    def recording(self) -> bool:
        """False when events would go nowhere: callers may skip building them."""
        return self.mode == "full" or bool(self._routes)

    def wants(self, kind: str) -> bool:
        """Whether an event of *kind* would go anywhere (callers on hot paths ask
        before building one: a ``metrics`` run needs a few kinds, not every step)."""
        wanted = self.wanted_kinds
        return wanted is None or kind in wanted

    def wants_now(self, kind: str) -> Callable[[], bool]:
        """:meth:`wants` of *kind*, as a callable of no argument that stays current
        (through mode changes, subscribers and :meth:`close`) and answers in C, with no
        Python frame: for a caller that asks on every step (a backend's cost meter)."""
        self._answers[kind] = self.wants(kind)
        return functools.partial(self._answers.__getitem__, kind)

    def _reanswer(self) -> None:
        answers = self._answers
        for kind in answers:
            answers[kind] = self.wants(kind)

    def subscribe(self, fn: Subscriber, *, kinds: Iterable[str] | None = None,
                  ) -> Callable[[], None]:
        """Call *fn* with every future event (of *kinds* only, when given; outside
        ``full`` mode the others are then not even built); returns an unsubscribe
        function."""
        route = (fn, None if kinds is None else frozenset(kinds))
        self._routes = [*self._routes, route]
        self._rewant()

        def unsubscribe() -> None:
            self._routes = [r for r in self._routes if r is not route]
            self._rewant()

        return unsubscribe

    def _rewant(self) -> None:
        wanted: frozenset[str] | None = frozenset()
        for _, kinds in self._routes:
            wanted = None if kinds is None or wanted is None else wanted | kinds
        self.wanted_kinds = None if self.mode == "full" else wanted
        self._keep_only = self._keeps and not self._routes
        self._reanswer()

    def skip(self) -> None:
        """Count an event nobody wants without building it (as :meth:`emit` does when
        :meth:`wants` is false): sequence numbers stay those of a run that built it."""
        self._seq += 1

    def emit_detail(self, kind: str, actor: str, summary: str, detail: Mapping[str, Any], *,
                    target: str | None = None, resource: str | None = None) -> TraceEvent | None:
        """Like :meth:`emit`, with the detail as a mapping (any keys, even ``kind``)."""
        wanted = self.wanted_kinds  # wants(), inline: the copy is made only for a kept event
        if wanted is not None and kind not in wanted:
            self._seq += 1
            return None
        return self.emit_owned(kind, actor, summary, dict(detail) if detail else {},
                               target, resource)

    def emit(self, kind: str, actor: str, summary: str, *, target: str | None = None,
             resource: str | None = None, **detail: Any) -> TraceEvent | None:
        """Record one event at the current virtual time and return it."""
        # **detail is a fresh dict of this call's own: the event keeps it as it is.
        return self.emit_owned(kind, actor, summary, detail, target, resource)

    def emit_owned(self, kind: str, actor: str, summary: str, detail: dict[str, Any],
                   target: str | None = None, resource: str | None = None,
                   ) -> TraceEvent | None:
        """Like :meth:`emit_detail`, handing *detail* over: the event keeps this very
        dict, so the caller must build it for the event and never change it after
        (the bus does, for every message it traces).  Events may share one such dict
        (the status events of one change do): nothing changes an event's detail once
        it is emitted.

        Every event is made here, in the frame that records it (every step of a full
        trace comes through): the tuple is built directly, and the *detail* dict is
        kept and shown to the subscribers, not copied (the public constructor copies,
        since its callers may keep and change what they pass).
        """
        seq = self._seq
        self._seq += 1
        wanted = self.wanted_kinds  # wants(), inline: every step of a run asks
        if wanted is not None and kind not in wanted:
            return None
        ev: TraceEvent = _new(TraceEvent, (seq, self._now(), kind, actor, summary, target,
                                           resource, detail))
        if self._keep_only:
            self.events.append(ev)
            return ev
        if self._keeps:
            self.events.append(ev)
        elif self._mode == "full" and self._stream is not None:
            self._stream.write(dumps_event(ev) + "\n")
        routes = self._routes
        if routes:
            for fn, kinds in routes:
                if kinds is None or kind in kinds:
                    fn(ev)
        return ev

    # --- reading -------------------------------------------------------------
    def filter(self, *, kind: str | None = None, actor: str | None = None,
               resource: str | None = None, prefix: bool = True) -> list[TraceEvent]:
        """Events matching every given field.

        With ``prefix`` (default), ``kind="bus"`` matches ``bus.send`` and
        ``bus.deliver``, and ``actor="cinder-volume"`` matches every backend's worker.
        """
        def ok(value: str | None, want: str | None) -> bool:
            if want is None:
                return True
            if value is None:
                return False
            return value.startswith(want) if prefix else value == want

        return [e for e in self.events
                if ok(e.kind, kind) and ok(e.actor, actor) and ok(e.resource, resource)]

    def to_jsonl(self) -> str:
        """The kept events as JSON Lines."""
        return "".join(dumps_event(e) + "\n" for e in self.events)

    def write_jsonl(self, fp: IO[str]) -> None:
        for e in self.events:
            fp.write(dumps_event(e) + "\n")

    def digest(self) -> str:
        """SHA-256 of the JSONL form: equal digests mean identical runs."""
        h = hashlib.sha256()
        for e in self.events:
            h.update(dumps_event(e).encode())
            h.update(b"\n")
        return h.hexdigest()

    # --- structlog face ---------------------------------------------------------
    def logger(self, actor: str, **bound: Any) -> Any:
        """A structlog logger whose events are written to this trace as ``log`` events."""
        return structlog.wrap_logger(
            _Sink(),
            processors=[_TraceProcessor(self, actor)],
            wrapper_class=structlog.BoundLogger,
            cache_logger_on_first_use=False,
            context_class=dict,
            **bound,
        )


class _Sink:
    """A structlog 'logger' that is never reached: the processor drops every event."""

    def msg(self, *args: Any, **kw: Any) -> None:  # pragma: no cover - unreachable
        return None

    log = debug = info = warning = error = critical = exception = msg


class _TraceProcessor:
    """The last structlog processor: turns the event dict into a trace event."""

    def __init__(self, trace: Trace, actor: str) -> None:
        self._trace = trace
        self._actor = actor

    def __call__(self, _logger: Any, method: str,
                 event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
        ed = dict(event_dict)
        summary = str(ed.pop("event", ""))
        target = ed.pop("target", None)
        resource = ed.pop("resource", None)
        self._trace.emit("log", self._actor, summary, target=target, resource=resource,
                         level=method, **ed)
        raise structlog.DropEvent
