"""The in-memory message bus, modelled on oslo.messaging as Cinder uses it.

Cinder's services talk over AMQP through oslo.messaging RPC:

* a **target** is ``(topic, server)``: ``cinder-scheduler``, ``cinder-volume``
  with server ``cinder-1@lvmdriver-1``, ``cinder-backup``;
* ``cast`` is fire-and-forget, ``call`` waits for the reply (and raises
  ``MessagingTimeout`` after ``rpc_response_timeout``, 60 s by default), and
  ``fanout`` copies a message to every live consumer of a topic (the volume
  services' capability reports reach every scheduler that way);
* messages to a queue nobody consumes *wait there*, which is why a stopped
  cinder-scheduler is a real what-if: requests pile up, then drain.

Every message takes a small, non-zero virtual latency.  Each delivery is an
entry of the loop's own timer heap (:meth:`VirtualTimeLoop.call_at_plain`),
which keeps equal deadlines in the order they were set (asyncio's heap does
not; the paced loop's timers are made to), so messages due at the same instant
arrive in the order they were sent.

Faults are rules matched at send time: drop, delay, duplicate, or hold (a
partition: messages wait until released).
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import random
import types
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, NamedTuple

from .call_deadlines import CallDeadlines
from .clock import VirtualTimeLoop
from .errors import MessagingTimeout
from .messaging import (
    BusStats,
    Handler,
    Message,
    MessageFault,
    MessageKind,
    Target,
    Watched,
    target_of,
)
from .trace import Trace

_heappush = heapq.heappush
_partial = functools.partial
_new_tuple: Any = tuple.__new__
_Coroutine = types.CoroutineType

__all__ = [
    "Bus",
    "BusStats",
    "Consumer",
    "Handler",
    "Message",
    "MessageFault",
    "Target",
    "target_of",
]

class Consumer:
    """A service's subscription to a topic (and its own server queue).

    Created by :meth:`Bus.consume`.  Stopping it leaves messages waiting in
    its queues; starting it again drains them in order.
    """

    def __init__(self, bus: Bus, topic: str, server: str | None, handler: Handler,
                 name: str) -> None:
        self.bus = bus
        self.topic = topic
        self.server = server
        self.handler = handler
        self.name = name
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    @running.setter
    def running(self, value: bool) -> None:
        if value != self._running:
            self._running = value
            self.bus.consumer_epoch += 1

    @property
    def queues(self) -> list[str]:
        shared = Target(self.topic).queue
        return [shared] if self.server is None else [shared, Target(self.topic, self.server).queue]

    def start(self) -> None:
        if not self.running:
            self.running = True
            self.bus._consumer_started(self)

    def stop(self) -> None:
        self.running = False
        self.bus._trace_note(self.name, f"{self.name} stops consuming", action="stop")

    def __repr__(self) -> str:
        return f"Consumer({self.name!r}, running={self.running})"


class _Queue:
    __slots__ = ("consumers", "messages", "name", "next")

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages: deque[Message] = deque()
        self.consumers: list[Consumer] = []
        self.next = 0

    def pick(self) -> Consumer | None:
        """Round-robin over running consumers (RabbitMQ's behaviour on a shared queue)."""
        consumers = self.consumers
        if len(consumers) == 1:
            only = consumers[0]
            return only if only._running else None
        live = [c for c in consumers if c._running]
        if not live:
            return None
        c = live[self.next % len(live)]
        self.next += 1
        return c


class _Job(NamedTuple):
    """One delivered message being handled: what to answer when its coroutine ends.
    (A named tuple: built in one C call for each handler that waits.)"""

    key: int
    consumer: Consumer
    msg: Message
    coro: Coroutine[Any, Any, Any]
    watched: Watched | None
    """Told when the coroutine ends, before the caller is answered."""


async def _awaiting(awaitable: Awaitable[Any]) -> Any:
    """A handler that returned an awaitable other than a coroutine (a future)."""
    return await awaitable


class Bus:
    """The message bus of one simulation.

    Args:
        loop: the simulation's loop, a :class:`~cindersim.clock.VirtualTimeLoop` (virtual
            or paced): its timers due at one instant fire in the order they were set,
            and messages rely on it to arrive in the order they were sent.
        trace: where sends, deliveries, replies and faults are recorded.
        rng: the simulation rng (for probabilistic faults and latency jitter).
        latency: seconds per hop, or a function of the message.
        call_timeout: oslo's ``rpc_response_timeout`` (60 s).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, trace: Trace, rng: random.Random, *,
                 latency: float | Callable[[Message], float] = 0.001,
                 call_timeout: float = 60.0) -> None:
        if not isinstance(loop, VirtualTimeLoop):
            # asyncio's own heap may fire equal deadlines in any order.
            raise TypeError(f"the bus needs a VirtualTimeLoop, not {type(loop).__name__}")
        self._loop = loop
        self._trace = trace
        self._rng = rng
        self.latency = latency
        self.call_timeout = call_timeout
        self.stats = BusStats()
        self.consumer_epoch = 0
        """Bumped whenever a consumer starts or stops: who watches service liveness
        (the scheduler's heartbeats) need look again only when it moved."""
        self.faults: list[MessageFault] = []
        self._queues: dict[str, _Queue] = {}
        self._consumers: list[Consumer] = []
        self._by_topic: dict[str, list[Consumer]] = {}
        self._seq = 0
        self._msg_seq = 0
        self._wire = 0
        """Messages sent and not yet arrived."""
        self._virtual = type(loop) is VirtualTimeLoop and loop.speed is None
        self.pumps = 0
        """Wake-ups of the bus: one per message arriving, and one more each time the
        loop takes a message a resolution early (a regression guard: leaked delivery
        timers once woke it millions of times)."""
        self._calls: dict[str, tuple[asyncio.Future[Any], Message]] = {}
        """Calls waiting for their reply, by message id: the caller's future and the
        call (for its timeout event)."""
        self._deadlines = CallDeadlines()
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._deadline_when = 0.0
        self._tasks: dict[int, _Job] = {}
        """Handlers started and not finished, by delivery order."""
        self._closing = False
        self._held: list[Message] = []
        self._idle: asyncio.Event | None = None

    # --- consumers ---------------------------------------------------------------
    def consume(self, topic: str, handler: Handler, *, server: str | None = None,
                name: str | None = None, start: bool = True) -> Consumer:
        """Subscribe *handler* to *topic* (and to ``topic.server`` when given)."""
        c = Consumer(self, topic, server, handler,
                     name or (topic if server is None else f"{topic}@{server}"))
        self._consumers.append(c)
        self._by_topic.setdefault(topic, []).append(c)
        for q in c.queues:
            self._queue(q).consumers.append(c)
        if start:
            c.start()
        return c

    def serve(self, topic: str, methods: Mapping[str, Callable[..., Awaitable[Any]]], *,
              server: str | None = None, name: str | None = None,
              start: bool = True) -> Consumer:
        """Consume *topic* with an RPC dispatcher: ``methods[msg.method](**msg.args)``.

        This is oslo.messaging's RPC server over an endpoint: the table is read at
        each message, so methods added later (a flow installed after start) are
        served; an unknown method raises at the caller, as oslo's
        ``UnsupportedVersion``/``NoSuchMethod`` would.
        """
        label = name or (topic if server is None else f"{topic}@{server}")

        def dispatch(msg: Message) -> Awaitable[Any]:
            # The method's own coroutine: no dispatcher frame to resume at each wake-up.
            method = methods.get(msg.method)
            if method is None:
                raise NotImplementedError(f"{label} has no method {msg.method}")
            return method(**msg.args)

        return self.consume(topic, dispatch, server=server, name=label, start=start)

    def _queue(self, name: str) -> _Queue:
        q = self._queues.get(name)
        if q is None:
            q = self._queues[name] = _Queue(name)
        return q

    def _consumer_started(self, consumer: Consumer) -> None:
        self._trace_note(consumer.name, f"{consumer.name} starts consuming", action="start")
        for qname in consumer.queues:
            q = self._queue(qname)
            while q.messages:
                c = q.pick()
                if c is None:
                    break
                self._dispatch(c, q.messages.popleft())

    # --- sending -----------------------------------------------------------------
    def cast(self, sender: str, target: Target, method: str, **args: Any) -> Message:
        """Send and forget (oslo ``cast``)."""
        return self._send("cast", sender, target, method, args)

    def fanout(self, sender: str, topic: str, method: str, **args: Any) -> Message:
        """Copy to every running consumer of *topic* (oslo ``fanout=True`` cast)."""
        return self._send("fanout", sender, Target(topic), method, args)

    async def call(self, sender: str, target: Target, method: str, *,
                   timeout: float | None = None, **args: Any) -> Any:
        """Send and wait for the reply; the remote handler's exception is re-raised here."""
        fut: asyncio.Future[Any] = self._loop.create_future()
        msg = self._send("call", sender, target, method, args, None, None,
                         self.call_timeout if timeout is None else timeout)
        self._calls[msg.id] = (fut, msg)
        when: float = msg.expires  # type: ignore[assignment]
        # _arm_deadline, inline (every call comes through)
        self._seq += 1
        self._deadlines.add(when, self._seq, msg.id)
        if self._deadline_timer is None or when < self._deadline_when:
            self._arm_deadline(when)
        try:
            return await fut
        finally:
            self._calls.pop(msg.id, None)

    # Call timeouts share one armed timer rather than a timer per call: almost every
    # call is answered long before its deadline, and creating and cancelling a
    # TimerHandle per call is a large share of a round trip (see call_deadlines).
    def _arm_deadline(self, when: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self._deadline_when = when
        self._deadline_timer = self._loop.call_at(when, self._expire_calls)

    def _expire_calls(self) -> None:
        self._deadline_timer = None
        now = self._loop.time()
        calls, deadlines = self._calls, self._deadlines
        while (head := deadlines.head()) is not None and (
                head[0] <= now or head[2] not in calls):
            deadlines.pop()
            entry = calls.pop(head[2], None)
            if entry is None:
                continue
            fut, msg = entry
            if not fut.done():
                self.stats.timeouts += 1
                self._emit("bus.timeout", msg.sender, f"{msg.sender}: no reply to {msg.method} "
                           f"from {msg.target} in time", msg, target=str(msg.target))
                fut.set_exception(MessagingTimeout(msg_id=msg.id))
        if head is not None:
            self._deadline_when = head[0]
            self._deadline_timer = self._loop.call_at(self._deadline_when, self._expire_calls)

    def _latency(self, msg: Message) -> float:
        lat = self.latency
        return lat(msg) if callable(lat) else lat

    def _send(self, kind: MessageKind, sender: str, target: Target, method: str,
              args: Mapping[str, Any], reply_to: str | None = None,
              error: BaseException | None = None, timeout: float | None = None) -> Message:
        now = self._loop.time()
        self._msg_seq += 1
        # Message(...) without the named tuple's Python __new__ frame: every message
        # of a run is built here.
        msg: Message = _new_tuple(Message, (
            "msg-%06d" % self._msg_seq,  # noqa: UP031 (faster than a format spec)
            kind, sender, target, method, args, now, reply_to, error,
            None if timeout is None else now + timeout))
        stats = self.stats
        stats.sent += 1
        by_method = stats.by_method
        by_method[method] = by_method.get(method, 0) + 1
        wanted = self._trace.wanted_kinds  # Trace.wants, inline (see there)
        event = "bus.reply" if kind == "reply" else "bus.send"
        if wanted is None or event in wanted:
            # _emit's detail, built here (every message of a full trace comes through)
            detail: dict[str, Any] = {"msg": msg.id, "method": method, "msg_kind": kind}
            if kind == "reply":
                what = "error" if error is not None else "result"
                summary = f"{sender} replies to {method} ({what})"
            else:
                summary = f"{sender} {kind}s {method} to {target.queue}"
                # args is the sender's keyword arguments, a dict of this message's own
                # that nothing changes (handlers get a copy): the event keeps it, uncopied.
                detail["args"] = args
            self._trace.emit_owned(event, sender, summary, detail, target.queue)
        lat = self.latency
        delay = lat if type(lat) is float else self._latency(msg)
        if not self.faults:
            # _schedule, inline: every message of a run comes through here.
            self._wire += 1
            when = now + delay
            if self._virtual:  # VirtualTimeLoop.call_at_plain, inline
                loop: Any = self._loop
                loop._timer_seq += 1
                _heappush(loop._timers, (when, loop._timer_seq,
                                         _partial(self._arrive, when, msg)))
            else:
                self._loop.call_at(when, self._arrive, when, msg)
            return msg
        copies = 1
        for rule in self.faults:
            if not rule.matches(msg):
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.fired += 1
            if rule.action == "drop":
                stats.dropped += 1
                self._emit("bus.fault", sender, f"message {msg.id} ({method}) to {target} is lost",
                           msg, target=str(target), action="drop")
                return msg
            if rule.action == "hold":
                stats.held += 1
                self._held.append(msg)
                self._emit("bus.fault", sender, f"message {msg.id} ({method}) to {target} is "
                           "held by a partition", msg, target=str(target), action="hold")
                return msg
            if rule.action == "delay":
                stats.delayed += 1
                delay += rule.delay
                self._emit("bus.fault", sender, f"message {msg.id} ({method}) delayed "
                           f"{rule.delay:g}s", msg, target=str(target), action="delay")
            elif rule.action == "duplicate":
                stats.duplicated += 1
                copies += 1
                self._emit("bus.fault", sender, f"message {msg.id} ({method}) duplicated",
                           msg, target=str(target), action="duplicate")
        for _ in range(copies):
            self._schedule(now + delay, msg)
        return msg

    # --- holding (partitions) ------------------------------------------------------
    def hold(self, topic: str, server: str | None = None, **match: Any) -> MessageFault:
        """Partition a target: its messages wait until :meth:`release`."""
        rule = MessageFault(action="hold", topic=topic, server=server, **match)
        self.faults.append(rule)
        return rule

    def release(self, rule: MessageFault | None = None) -> int:
        """Lift a hold (or all holds) and send the held messages on, in order."""
        self.faults = [f for f in self.faults
                       if not (f.action == "hold" and (rule is None or f is rule))]
        keep: list[Message] = []
        out: list[Message] = []
        for m in self._held:
            still = any(f.action == "hold" and f.matches(m) for f in self.faults)
            (keep if still else out).append(m)
        self._held = keep
        now = self._loop.time()
        for m in out:
            self._schedule(now + self._latency(m), m)
        return len(out)

    # --- delivery --------------------------------------------------------------------
    def _schedule(self, when: float, msg: Message) -> None:
        self._wire += 1
        if self._virtual:
            self._loop.call_at_plain(when, _partial(self._arrive, when, msg))
        else:
            self._loop.call_at(when, self._arrive, when, msg)

    def _arrive(self, when: float, msg: Message) -> None:
        self.pumps += 1
        if when > self._loop.time():
            # The loop runs a timer up to its clock resolution (1 ns) early, as
            # asyncio does; a message arrives at its own instant, not an ulp
            # before it (its events carry that time).  It waits for it, after what
            # is already due then.
            self._schedule(when, msg)
            self._wire -= 1
            return
        self._wire -= 1
        kind = msg.kind
        if kind == "reply":
            waiting = self._calls.get(msg.reply_to or "")
            fut = None if waiting is None else waiting[0]
            self.stats.delivered += 1
            wanted = self._trace.wanted_kinds
            traced = wanted is None or "bus.deliver" in wanted
            if fut is None or fut.done():
                if traced:
                    self._emit("bus.deliver", msg.target.topic,
                               f"late reply to {msg.method} ignored", msg, late=True)
            else:
                if traced:
                    self._emit("bus.deliver", msg.target.topic,
                               f"{msg.target.topic} receives the reply to {msg.method}", msg)
                if msg.error is not None:
                    fut.set_exception(msg.error)
                else:
                    fut.set_result(msg.args.get("result"))
        elif kind == "fanout":
            live = [c for c in self._by_topic.get(msg.target.topic, ()) if c.running]
            if not live:
                self._emit("bus.fault", msg.sender, f"fanout {msg.method} to {msg.target.topic} "
                           "reached no consumer", msg, action="no-consumer")
            for each in live:
                self._dispatch(each, msg)
        else:
            q = self._queues.get(msg.target.queue)
            if q is None:
                q = self._queue(msg.target.queue)
            consumers = q.consumers
            # _Queue.pick, inline for a queue with one consumer (a backend's own
            # queue, a reply queue): almost every delivery of a run.
            if len(consumers) == 1:
                c: Consumer | None = consumers[0] if consumers[0]._running else None
            else:
                c = q.pick()
            if c is None:
                q.messages.append(msg)
                self._emit("bus.queued", msg.sender, f"{msg.method} waits in queue {q.name} "
                           f"(no consumer running; depth {len(q.messages)})", msg,
                           target=q.name, depth=len(q.messages))
            else:
                self._dispatch(c, msg)
        if self._idle is not None:
            self._check_idle()

    def _dispatch(self, consumer: Consumer, msg: Message) -> None:
        if msg.expires is not None and self._loop.time() >= msg.expires:
            # RabbitMQ drops an expired message when it reaches the head of its queue.
            self.stats.expired += 1
            self._emit("bus.fault", msg.sender, f"{msg.method} to {msg.target} expired unread "
                       "(its caller stopped waiting)", msg, target=str(msg.target),
                       action="expired")
            return
        stats = self.stats
        stats.delivered += 1
        qname = msg.target.queue
        by_queue = stats.by_queue
        by_queue[qname] = by_queue.get(qname, 0) + 1
        wanted = self._trace.wanted_kinds
        if wanted is None or "bus.deliver" in wanted:
            self._trace.emit_owned(
                "bus.deliver", consumer.name,
                f"{consumer.name} receives {msg.method} from {msg.sender}",
                {"msg": msg.id, "method": msg.method, "msg_kind": msg.kind})
        # The handler's first step runs here, before any job record exists: most
        # handlers of a big run return in it (a _Job, its registration and its
        # removal would be a third of a call round trip's bookkeeping).  The key is
        # taken first all the same, so that handlers that wait are closed in
        # delivery order whatever their first steps started.
        self._seq += 1
        key = self._seq
        try:
            awaitable = consumer.handler(msg)
        except Exception as exc:  # the dispatcher refused it (an unknown method)
            self._handled(consumer.name, msg, None, exc)
            self._check_idle()
            return
        watched: Watched | None = None
        if type(awaitable) is not _Coroutine:
            if isinstance(awaitable, Watched):
                watched = awaitable
                awaitable = awaitable.coro
            if type(awaitable) is not _Coroutine:
                awaitable = _awaiting(awaitable)
        coro: Coroutine[Any, Any, Any] = awaitable
        try:
            yielded = coro.send(None)
        except StopIteration as stop:
            if watched is not None:
                watched.then(stop.value, None)
            if msg.kind == "call":
                self._send("reply", consumer.name, target_of(msg.sender), msg.method,
                           {"result": stop.value}, msg.id)
            if self._idle is not None:
                self._check_idle()
            return
        except Exception as error:  # the remote side of an RPC: errors travel back
            if watched is not None:
                watched.then(None, error)
            self._handled(consumer.name, msg, None, error)
            self._check_idle()
            return
        except BaseException as stop:
            if watched is not None:
                watched.then(None, stop)
            self._check_idle()
            raise
        job: _Job = _new_tuple(_Job, (key, consumer, msg, coro, watched))
        self._tasks[key] = job
        self._park(job, yielded)

    # A delivered message's handler starts at once, in the delivery, and is driven
    # from then on by the futures it awaits -- what an asyncio Task would do, without
    # a Task per message and the loop iteration before its first step (most
    # handlers of a big run finish in that first step).  The bus steps the
    # handler's own coroutine (no wrapper frame to resume at each wake-up) and
    # answers the caller when it ends.  Handlers are plain coroutines awaiting
    # futures and sleeps; asyncio.current_task() is None in them.
    def _resume(self, job: _Job, _done: Any = None, exc: BaseException | None = None) -> None:
        # (_done: the future it awaited, as a done callback gets it; its result is
        # what the coroutine reads when it resumes.)
        coro = job.coro
        try:
            yielded = coro.send(None) if exc is None else coro.throw(exc)
        except StopIteration as stop:
            # _forget and _handled, inline for a handler that returned: forget it, tell
            # its guard, answer a call.
            if not self._closing:
                self._tasks.pop(job.key, None)
            if job.watched is not None:
                job.watched.then(stop.value, None)
            msg = job.msg
            if msg.kind == "call":
                self._send("reply", job.consumer.name, target_of(msg.sender), msg.method,
                           {"result": stop.value}, msg.id)
            if self._idle is not None:
                self._check_idle()
            return
        except Exception as error:  # the remote side of an RPC: errors travel back
            self._failed(job, error)
            return
        except BaseException as stop:
            self._forget(job)
            if job.watched is not None:
                job.watched.then(None, stop)
            self._check_idle()
            raise
        self._park(job, yielded)

    def _park(self, job: _Job, yielded: Any) -> None:
        """The handler yielded: resume it when what it awaits is done."""
        if yielded is None:  # a bare yield (asyncio.sleep(0)): go on next iteration
            self._loop.call_soon(self._resume, job)
        elif getattr(yielded, "_asyncio_future_blocking", False):
            yielded._asyncio_future_blocking = False
            waker = _partial(self._resume, job)
            loop: Any = self._loop
            if self._virtual and yielded is loop._last_sleep:
                # A sleep()'s future (most waits of a run): woken by the loop with
                # no done callback (see VirtualTimeLoop._sleepers).
                loop._last_sleep = None
                loop._sleepers[yielded] = waker
            else:
                yielded.add_done_callback(waker)
        else:
            self._loop.call_soon(self._resume, job, None, RuntimeError(
                f"bus handler yielded {yielded!r}: await futures, not other objects"))

    def _failed(self, job: _Job, error: Exception) -> None:
        self._forget(job)
        if job.watched is not None:
            job.watched.then(None, error)
        self._handled(job.consumer.name, job.msg, None, error)
        self._check_idle()

    def _forget(self, job: _Job) -> None:
        if not self._closing:
            self._tasks.pop(job.key, None)

    def _handled(self, name: str, msg: Message, result: Any, error: Exception | None) -> None:
        """Reply to a call (result or error); a cast's error is counted and traced."""
        # (oslo replies go to the caller's private reply queue: target_of(sender))
        if error is None:
            if msg.kind == "call":
                self._send("reply", name, target_of(msg.sender), msg.method,
                           {"result": result}, msg.id)
        elif msg.kind == "call":
            self._send("reply", name, target_of(msg.sender), msg.method, {},
                       msg.id, error)
        else:
            self.stats.handler_errors += 1
            self._emit("bus.error", name, f"{name} failed handling {msg.method}: "
                       f"{type(error).__name__}: {error}", msg,
                       error=type(error).__name__, message=str(error))

    def close(self) -> None:
        """Close handlers still waiting (a stopped simulation), oldest first, so that
        nothing of theirs runs later, at garbage collection."""
        self._closing = True
        for key in sorted(self._tasks):
            job = self._tasks.get(key)
            if job is not None:
                job.coro.close()
                if job.watched is not None:
                    job.watched.then(None, GeneratorExit())
        self._tasks.clear()

    # --- observing -------------------------------------------------------------------
    def depth(self, queue: Target | str) -> int:
        """Messages waiting in a queue (no running consumer took them)."""
        name = queue.queue if isinstance(queue, Target) else queue
        q = self._queues.get(name)
        return len(q.messages) if q else 0

    def depths(self) -> dict[str, int]:
        """Waiting messages per queue, sorted by queue name."""
        return {n: len(q.messages) for n, q in sorted(self._queues.items())}

    @property
    def in_flight(self) -> int:
        """Messages on the wire plus handlers still running."""
        return self._wire + len(self._tasks)

    @property
    def held(self) -> int:
        return len(self._held)

    def consumers(self) -> list[Consumer]:
        return list(self._consumers)

    async def quiescent(self) -> None:
        """Wait until nothing is on the wire and no handler runs.

        Messages waiting for a stopped consumer, or held by a partition, do not
        count: they are work nobody can do until the what-if changes.
        """
        while self.in_flight:
            if self._idle is None:
                self._idle = asyncio.Event()
            await self._idle.wait()

    def _check_idle(self) -> None:
        # Dropped once set, so that after a settle every later delivery does not
        # count what is in flight again for a waiter that is gone.
        idle = self._idle
        if idle is not None and not self.in_flight:
            self._idle = None
            idle.set()

    # --- trace helpers -----------------------------------------------------------------
    def _emit(self, kind: str, actor: str, summary: str, msg: Message, *,
              target: str | None = None, **detail: Any) -> None:
        trace = self._trace
        if not trace.wants(kind):
            return
        d = {"msg": msg.id, "method": msg.method, "msg_kind": msg.kind}
        for k, v in detail.items():
            if v is not None:
                d[k] = v
        trace.emit_owned(kind, actor, summary, d, target=target)

    def _trace_note(self, actor: str, summary: str, **detail: Any) -> None:
        if self._trace.wants("bus.consumer"):
            self._trace.emit("bus.consumer", actor, summary, **detail)


