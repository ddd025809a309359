"""At-least-once delivery: the guards at the managers' RPC entry points.

RabbitMQ delivers a message at least once: a consumer that dies (or loses its
connection) before it acks gets the message again, and the bus's ``duplicate``
fault models exactly that.  Cinder's managers survive it because they act from
the record, not from the message: the API moved the record to the status that
asks for the work (``creating``, ``deleting``, ``extending`` ...) with a
conditional update, and a manager that re-reads the row and finds another
status has nothing to do.  This module gives every service that rule once:

* a :class:`Entry` per RPC method says which record the message names (its
  *key*), from which statuses the handler may act (*check*, a re-read of the
  row), and whether a finished handler must be remembered (*once*: where the
  status cannot tell a repeat, e.g. the scheduler's pass over an ``extending``
  volume, whose status only the volume manager changes);
* while a handler runs for a key, a second delivery with the same key does not
  run again: it waits for the first and answers what the first answered (a
  call's caller takes whichever reply comes first, so the copy must not answer
  sooner with something else);
* a refused copy is traced (kind ``log``, ``duplicate`` = the method) and is a
  no-op: nothing is created, exported, reserved or released twice.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..messaging import Watched

if TYPE_CHECKING:
    from .env import ServiceEnv

__all__ = ["Args", "Entry", "EntryGuards", "Refusal", "status_is"]

Args = Mapping[str, Any]
_Key = tuple[str, Hashable]
"""A method's name and what its entry's *key* gives."""


@attrs.frozen
class Refusal:
    """Why a delivery is not acted on, and what a call gets back (the caller has, as a
    rule, its answer already from the first delivery)."""

    reason: str
    result: Any = None


@attrs.frozen
class Entry:
    """The guard of one RPC method.

    Attributes:
        key: the record(s) a message names, one id or a tuple of ids; two deliveries
            with the same key are the same request as far as the guard is concerned.
            ``operator.itemgetter`` of the argument names is the usual key: it reads
            them without a Python frame, on every delivery.
        check: re-reads the record; returns a :class:`Refusal` when the status says
            there is nothing (more) to do, None to go on.
        once: remember keys that finished, and refuse them later (bounded memory).
    """

    key: Callable[[Args], Hashable]
    check: Callable[[Args], Refusal | None] | None = None
    once: bool = False


class _Running(Watched):
    """One admitted delivery while its handler runs: the bus steps :attr:`coro` itself
    and calls :meth:`then` when it ends (no wrapper coroutine to resume at each of
    the handler's wake-ups); the copies that arrive meanwhile wait in *waiters*."""

    __slots__ = ("guards", "key", "once", "waiters")

    def __init__(self, guards: EntryGuards, key: _Key, once: bool,
                 coro: Awaitable[Any]) -> None:
        self.coro = coro
        self.guards = guards
        self.key = key
        self.once = once
        # The copies' futures: a list only once a copy arrives (almost never).
        self.waiters: list[asyncio.Future[Any]] | None = None

    def then(self, result: Any, error: BaseException | None) -> None:
        # The guard's bookkeeping: the key no longer runs; a ``once`` key is
        # remembered (the oldest forgotten past REMEMBER).
        guards, key = self.guards, self.key
        running = guards._running
        if running.get(key) is self:
            del running[key]
        if self.once and key not in guards._done:
            guards._done.add(key)
            guards._order.append(key)
            if len(guards._order) > guards.REMEMBER:
                guards._done.discard(guards._order.popleft())
        waiters = self.waiters
        if waiters is None:
            return
        if error is None:
            for w in waiters:
                w.set_result(result)
        elif isinstance(error, Exception):
            for w in waiters:
                w.set_exception(error)


_new_running: Any = object.__new__


class EntryGuards:
    """The entry guards of one service (its table, what runs, what finished)."""

    REMEMBER = 4096
    """How many finished ``once`` keys are remembered (oldest forgotten first)."""

    def __init__(self, env: ServiceEnv, actor: str, table: Mapping[str, Entry]) -> None:
        self.env = env
        self.actor = actor
        self.table = dict(table)
        self.refused = 0
        self._running: dict[_Key, _Running] = {}
        self._done: set[_Key] = set()
        self._order: deque[_Key] = deque()

    def wrap(self, methods: Mapping[str, Callable[..., Awaitable[Any]]]
             ) -> dict[str, Callable[..., Awaitable[Any]]]:
        """The same table with every guarded method behind its guard."""
        out: dict[str, Callable[..., Awaitable[Any]]] = {}
        for name, fn in methods.items():
            out[name] = fn if name not in self.table else self._guarded(name, fn)
        return out

    def _guarded(self, name: str, fn: Callable[..., Awaitable[Any]]
                 ) -> Callable[..., Awaitable[Any]]:
        # admit(), specialised to one method: every delivery of a run comes through
        # here, so the entry is looked up once and the common case (nothing running
        # or done for the key, the status allows it) builds one record and no closure.
        entry = self.table[name]
        key_of, check, once = entry.key, entry.check, entry.once
        running, done = self._running, self._done

        def handler(*pos: Any, **args: Any) -> Awaitable[Any]:
            key = (name, key_of(args))  # (a pair: no list built to splice the ids in)
            if key in running or (once and key in done):
                return self.admit(name, args, lambda: fn(*pos, **args))
            if check is not None:
                refusal = check(args)
                if refusal is not None:
                    return self._refuse(name, key, refusal)
            # _Running(self, key, once, coro), without its __init__ frame (called from C);
            # the coroutine first, so that a call that raises leaves nothing running.
            coro = fn(*pos, **args)
            record: _Running = _new_running(_Running)
            record.coro, record.guards, record.key, record.once, record.waiters = \
                coro, self, key, once, None
            running[key] = record
            return record
        return handler

    def admit(self, name: str, args: Args, start: Callable[[], Awaitable[Any]]
              ) -> Awaitable[Any]:
        """Run *start* unless this delivery repeats one running, done, or out of date.

        What runs is returned as a :class:`~cindersim.messaging.Watched`: the bus
        steps its coroutine and tells the guard when it ends; awaited anywhere else
        it does the same through a wrapper.
        """
        entry = self.table[name]
        key = (name, entry.key(args))
        running = self._running.get(key)
        if running is not None:
            self._note(name, key, "the same request is being handled")
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            if running.waiters is None:
                running.waiters = []
            running.waiters.append(fut)
            return fut
        if entry.once and key in self._done:
            return self._refuse(name, key, Refusal("the same request was handled already"))
        if entry.check is not None:
            refusal = entry.check(args)
            if refusal is not None:
                return self._refuse(name, key, refusal)
        record = self._running[key] = _Running(self, key, entry.once, start())
        return record

    async def _refuse(self, name: str, key: _Key, refusal: Refusal) -> Any:
        self._note(name, key, refusal.reason)
        return refusal.result

    def _note(self, name: str, key: _Key, reason: str) -> None:
        self.refused += 1
        trace = self.env.trace
        if trace.wants("log"):
            ids = key[1] if type(key[1]) is tuple else (key[1],)
            what = " ".join(str(k)[:8] for k in ids if k is not None)
            trace.emit("log", self.actor, f"{name} for {what} not acted on: {reason}",
                       duplicate=name, reason=reason)


def status_is(row: Any, *allowed: str, field: str = "status") -> Refusal | None:
    """Refuse unless the row exists and its *field* is one of *allowed*."""
    if row is None:
        return Refusal("the record is gone")
    value = getattr(row, field)
    if value in allowed:
        return None
    return Refusal(f"{field} is {value}, expected {' or '.join(allowed)}")
