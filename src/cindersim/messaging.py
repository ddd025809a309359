"""oslo.messaging's records as the bus carries them: targets, messages, fault rules
and the counters a run reads.  The bus itself is :mod:`cindersim.bus`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Literal, NamedTuple

import attrs

__all__ = ["BusStats", "FaultAction", "Handler", "Message", "MessageFault", "MessageKind",
           "Target", "Watched", "target_of"]

MessageKind = Literal["cast", "call", "fanout", "reply"]
FaultAction = Literal["drop", "delay", "duplicate", "hold"]


@attrs.frozen(slots=True)
class Target:
    """Where a message goes: a topic, optionally narrowed to one server."""

    topic: str
    server: str | None = None
    queue: str = attrs.field(init=False, eq=False, repr=False)
    """The AMQP queue name oslo.messaging uses: ``topic`` or ``topic.server``."""

    @queue.default
    def _queue_name(self) -> str:
        return self.topic if self.server is None else f"{self.topic}.{self.server}"

    def __str__(self) -> str:
        return self.queue


@functools.lru_cache(maxsize=8192)
def target_of(topic: str, server: str | None = None) -> Target:
    """A shared :class:`Target` (they are immutable): the hot paths of a big run send
    to the same few thousand targets hundreds of thousands of times."""
    return Target(topic, server)


class Message(NamedTuple):
    """One message on the bus (a request, a fanout copy or a reply).

    * ``reply_to``: for replies, the id of the call answered.
    * ``error``: for replies, the exception the remote handler raised, re-raised at
      the caller.
    * ``expires``: for calls, when the caller stops waiting.  oslo.messaging's
      rabbit driver publishes a call with ``expiration`` = its timeout, so RabbitMQ
      drops it unread once it expires: a service that comes back never runs a call
      nobody waits for.

    A frozen typed record, as a named tuple: the bus builds one per send (two per
    call), and a tuple is built in one call where a slotted class sets each of
    the ten fields through a descriptor (about five times slower).
    """

    id: str
    kind: MessageKind
    sender: str
    target: Target
    method: str
    args: Mapping[str, Any]
    sent_at: float
    reply_to: str | None = None
    error: BaseException | None = None
    expires: float | None = None


class Watched:
    """A handler's coroutine with what to do when it ends (an RPC entry guard's
    bookkeeping).  A handler may return one instead of its coroutine: the bus
    steps :attr:`coro` itself and calls :meth:`then` with the result or the
    exception before it answers the caller (or, on close, with GeneratorExit);
    a wrapper coroutine around the handler would be one more frame to resume at
    every wake-up of every delivery.  Awaited anywhere else it does the same
    through such a wrapper."""

    __slots__ = ("coro",)

    coro: Awaitable[Any]

    def then(self, result: Any, error: BaseException | None) -> None:
        """Called once, when :attr:`coro` has returned *result* or raised *error*."""
        raise NotImplementedError

    def __await__(self) -> Generator[Any, None, Any]:
        return self._run().__await__()

    async def _run(self) -> Any:
        try:
            result = await self.coro
        except BaseException as exc:
            self.then(None, exc)
            raise
        self.then(result, None)
        return result


Handler = Callable[[Message], Awaitable[Any]]
"""A service's dispatcher: called once per delivered message; it starts at the delivery
and is driven by the futures it awaits (no asyncio Task of its own: use sleeps, futures
and bus calls in it, not asyncio.timeout or anyio cancel scopes)."""


@attrs.define(kw_only=True)
class MessageFault:
    """A rule that interferes with matching messages at send time.

    Attributes:
        action: ``drop`` (lost), ``delay`` (extra ``delay`` seconds), ``duplicate``
            (delivered twice), ``hold`` (kept until :meth:`Bus.release`).
        topic, server, method, sender, kind: match fields; None matches anything.
        times: how many messages to affect; None for all.
        probability: affect each match with this chance (from the simulation rng).
    """

    action: FaultAction
    topic: str | None = None
    server: str | None = None
    method: str | None = None
    sender: str | None = None
    kind: MessageKind | None = None
    times: int | None = None
    probability: float | None = None
    delay: float = 0.0
    fired: int = 0

    def matches(self, msg: Message) -> bool:
        t = msg.target
        return ((self.topic is None or t.topic == self.topic)
                and (self.server is None or t.server == self.server)
                and (self.method is None or msg.method == self.method)
                and (self.sender is None or msg.sender == self.sender)
                and (self.kind is None or msg.kind == self.kind))


@attrs.define
class BusStats:
    """Counters a what-if run reads (and the invariants check)."""

    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    duplicated: int = 0
    delayed: int = 0
    held: int = 0
    timeouts: int = 0
    expired: int = 0
    """Calls dropped unread because their caller had stopped waiting."""
    handler_errors: int = 0
    by_method: dict[str, int] = attrs.Factory(dict)
    by_queue: dict[str, int] = attrs.Factory(dict)
