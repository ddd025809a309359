"""The message bus: oslo.messaging semantics in virtual time, and its faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cindersim.bus import Bus, Message, MessageFault, Target
from cindersim.clock import sleep
from cindersim.errors import InvalidVolume, MessagingTimeout
from cindersim.messaging import Watched
from cindersim.simulation import Simulation

SCHED = Target("cinder-scheduler")
VOL = Target("cinder-volume", "cinder-1@lvmdriver-1")


def make(latency: float = 0.001) -> tuple[Simulation, Bus]:
    sim = Simulation(seed=1)
    return sim, Bus(sim.loop, sim.trace, sim.rng, latency=latency)


class Recorder:
    def __init__(self, sim: Simulation, name: str) -> None:
        self.sim = sim
        self.name = name
        self.seen: list[tuple[float, str, dict[str, Any]]] = []

    async def __call__(self, msg: Message) -> Any:
        self.seen.append((self.sim.now(), msg.method, dict(msg.args)))
        if msg.method == "boom":
            raise InvalidVolume(reason="bad state")
        if msg.method == "slow":
            await asyncio.sleep(msg.args["seconds"])
        return {"echo": msg.args.get("n"), "by": self.name}


class TestCastAndCall:
    def test_cast_is_delivered_after_latency(self) -> None:
        sim, bus = make(latency=0.5)
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "create_volume", n=1)
            await bus.quiescent()

        sim.run(main)
        assert rec.seen == [(0.5, "create_volume", {"n": 1})]

    def test_call_returns_the_handlers_result_after_two_hops(self) -> None:
        sim, bus = make(latency=0.25)
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)

        async def main() -> tuple[Any, float]:
            r = await bus.call("cinder-api", VOL, "initialize_connection", n=7)
            return r, sim.now()

        assert sim.run(main) == ({"echo": 7, "by": "v"}, 0.5)

    def test_remote_exception_is_reraised_at_caller(self) -> None:
        sim, bus = make()
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)

        async def main() -> None:
            await bus.call("cinder-api", VOL, "boom")

        with pytest.raises(InvalidVolume, match="bad state"):
            sim.run(main)

    def test_cast_handler_error_is_recorded_not_raised(self) -> None:
        sim, bus = make()
        bus.consume("cinder-scheduler", Recorder(sim, "s"))

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "boom")
            await bus.quiescent()

        sim.run(main)
        assert bus.stats.handler_errors == 1
        assert sim.trace.filter(kind="bus.error")[0].detail["error"] == "InvalidVolume"

    def test_call_times_out_with_messaging_timeout(self) -> None:
        sim, bus = make()
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)

        async def main() -> float:
            with pytest.raises(MessagingTimeout):
                await bus.call("cinder-api", VOL, "slow", seconds=120, timeout=60)
            return sim.now()

        assert sim.run(main) == 60.0
        assert bus.stats.timeouts == 1

    def test_calls_time_out_at_their_own_deadlines_whatever_the_order_sent(self) -> None:
        """Shorter timeouts sent after longer ones, equal deadlines, answered calls in
        between: each unanswered call fails at its own deadline, in deadline order
        (then send order), and answered ones never time out."""
        sim, bus = make()
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)
        ended: list[tuple[str, float, str]] = []

        async def one(name: str, seconds: float, timeout: float, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                await bus.call("cinder-api", VOL, "slow", seconds=seconds, timeout=timeout)
                ended.append((name, sim.now(), "answered"))
            except MessagingTimeout:
                ended.append((name, sim.now(), "timeout"))

        async def main() -> None:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(one("a", 100, 60, 0))     # deadline 60
                tg.create_task(one("b", 100, 10, 1))     # deadline 11, sent after a
                tg.create_task(one("c", 1, 60, 2))       # answered at 3.002
                tg.create_task(one("d", 100, 9, 2))      # deadline 11, sent after b
                tg.create_task(one("e", 100, 30, 5))     # deadline 35
                tg.create_task(one("f", 100, 60, 5))     # deadline 65

        sim.run(main)
        assert [(n, round(t, 3), how) for n, t, how in ended] == [
            ("c", 3.002, "answered"), ("b", 11.0, "timeout"), ("d", 11.0, "timeout"),
            ("e", 35.0, "timeout"), ("a", 60.0, "timeout"), ("f", 65.0, "timeout")]
        assert bus.stats.timeouts == 5

    def test_default_call_timeout_is_oslo_rpc_response_timeout(self) -> None:
        _, bus = make()
        assert bus.call_timeout == 60.0

    def test_same_instant_deliveries_keep_send_order(self) -> None:
        sim, bus = make(latency=1.0)
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)

        async def main() -> None:
            for n in range(20):
                bus.cast("cinder-api", SCHED, "m", n=n)
            await bus.quiescent()

        sim.run(main)
        assert [a["n"] for _, _, a in rec.seen] == list(range(20))

    def test_shared_topic_queue_round_robins_between_servers(self) -> None:
        sim, bus = make()
        a, b = Recorder(sim, "a"), Recorder(sim, "b")
        bus.consume("cinder-scheduler", a, server="s1")
        bus.consume("cinder-scheduler", b, server="s2")

        async def main() -> list[str]:
            return [(await bus.call("api", SCHED, "m", n=i))["by"] for i in range(4)]

        assert sim.run(main) == ["a", "b", "a", "b"]


class TestFanoutAndQueues:
    def test_fanout_reaches_every_running_consumer(self) -> None:
        sim, bus = make()
        recs = [Recorder(sim, f"s{i}") for i in range(3)]
        for i, r in enumerate(recs):
            bus.consume("cinder-scheduler", r, server=f"s{i}")
        recs_stopped = bus.consumers()[2]
        recs_stopped.stop()

        async def main() -> None:
            bus.fanout("cinder-volume", "cinder-scheduler", "update_service_capabilities", n=1)
            await bus.quiescent()

        sim.run(main)
        assert [len(r.seen) for r in recs] == [1, 1, 0]

    def test_messages_wait_for_a_consumer_that_starts_later(self) -> None:
        sim, bus = make()
        rec = Recorder(sim, "s")
        consumer = bus.consume("cinder-scheduler", rec, start=False)

        async def main() -> tuple[int, int]:
            for n in range(3):
                bus.cast("cinder-api", SCHED, "create_volume", n=n)
            await asyncio.sleep(10)
            depth_before = bus.depth(SCHED)
            consumer.start()
            await bus.quiescent()
            return depth_before, bus.depth(SCHED)

        assert sim.run(main) == (3, 0)
        assert [(t, a["n"]) for t, _, a in rec.seen] == [(10.0, 0), (10.0, 1), (10.0, 2)]
        assert len(sim.trace.filter(kind="bus.queued")) == 3

    def test_stopped_consumer_queues_then_drains(self) -> None:
        sim, bus = make()
        rec = Recorder(sim, "s")
        consumer = bus.consume("cinder-scheduler", rec)

        async def main() -> int:
            consumer.stop()
            bus.cast("cinder-api", SCHED, "m", n=1)
            await bus.quiescent()
            depth = bus.depth("cinder-scheduler")
            consumer.start()
            await bus.quiescent()
            return depth

        assert sim.run(main) == 1
        assert len(rec.seen) == 1


class TestFaults:
    def test_drop(self) -> None:
        sim, bus = make()
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)
        bus.faults.append(MessageFault(action="drop", method="create_volume", times=1))

        async def main() -> None:
            bus.cast("api", SCHED, "create_volume", n=1)
            bus.cast("api", SCHED, "create_volume", n=2)
            await bus.quiescent()

        sim.run(main)
        assert [a["n"] for _, _, a in rec.seen] == [2]
        assert bus.stats.dropped == 1

    def test_delay(self) -> None:
        sim, bus = make(latency=0.001)
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)
        bus.faults.append(MessageFault(action="delay", delay=30.0))

        async def main() -> None:
            bus.cast("api", SCHED, "m", n=1)
            await bus.quiescent()

        sim.run(main)
        assert rec.seen[0][0] == pytest.approx(30.001)

    def test_duplicate(self) -> None:
        sim, bus = make()
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)
        bus.faults.append(MessageFault(action="duplicate", times=1))

        async def main() -> None:
            bus.cast("api", SCHED, "m", n=1)
            await bus.quiescent()

        sim.run(main)
        assert len(rec.seen) == 2

    def test_duplicated_call_ignores_the_late_reply(self) -> None:
        sim, bus = make()
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)
        bus.faults.append(MessageFault(action="duplicate", kind="call", times=1))

        async def main() -> Any:
            r = await bus.call("api", VOL, "m", n=3)
            await bus.quiescent()
            return r

        assert sim.run(main) == {"echo": 3, "by": "v"}
        assert any(e.detail.get("late") for e in sim.trace.filter(kind="bus.deliver"))

    def test_hold_is_a_partition_until_released(self) -> None:
        sim, bus = make()
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)
        rule = bus.hold("cinder-scheduler")

        async def main() -> tuple[int, int]:
            bus.cast("api", SCHED, "m", n=1)
            await asyncio.sleep(100)
            before = len(rec.seen)
            released = bus.release(rule)
            await bus.quiescent()
            return before, released

        assert sim.run(main) == (0, 1)
        assert rec.seen[0][0] == pytest.approx(100.001)

    def test_probabilistic_faults_replay_from_the_seed(self) -> None:
        def once() -> list[int]:
            sim, bus = make()
            rec = Recorder(sim, "s")
            bus.consume("cinder-scheduler", rec)
            bus.faults.append(MessageFault(action="drop", probability=0.5))

            async def main() -> None:
                for n in range(40):
                    bus.cast("api", SCHED, "m", n=n)
                await bus.quiescent()

            sim.run(main)
            return [a["n"] for _, _, a in rec.seen]

        first = once()
        assert first == once()
        assert 0 < len(first) < 40


class TestObservability:
    def test_counts_and_trace(self) -> None:
        sim, bus = make()
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)

        async def main() -> None:
            await bus.call("api", VOL, "m", n=1)
            bus.cast("api", VOL, "n", n=2)
            await bus.quiescent()

        sim.run(main)
        assert bus.stats.sent == 3  # call, reply, cast
        assert bus.stats.by_method == {"m": 2, "n": 1}
        kinds = [e.kind for e in sim.trace.filter(kind="bus") if e.kind != "bus.consumer"]
        assert kinds == [
            "bus.send", "bus.deliver", "bus.reply", "bus.deliver", "bus.send", "bus.deliver"]
        assert bus.in_flight == 0


class TestHandlersWithoutTasks:
    """Handlers start in the delivery and are driven by the futures they await."""

    def test_a_handler_that_does_not_wait_needs_no_task(self) -> None:
        sim, bus = make()
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)

        async def main() -> int:
            before = len(asyncio.all_tasks())
            bus.cast("cinder-api", SCHED, "create_volume", n=1)
            await asyncio.sleep(0.001)  # the delivery instant: the handler already ran
            assert rec.seen == [(0.001, "create_volume", {"n": 1})]
            return len(asyncio.all_tasks()) - before

        assert sim.run(main) == 0
        sim.close()

    def test_a_waiting_handler_resumes_and_errors_travel_back(self) -> None:
        sim, bus = make(latency=0.5)
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)

        async def main() -> tuple[Any, float, str]:
            slow = await bus.call("cinder-api", VOL, "slow", seconds=3, n=2)
            at = sim.now()
            try:
                await bus.call("cinder-api", VOL, "boom")
            except InvalidVolume as exc:
                return slow, at, type(exc).__name__
            return slow, at, "no error"

        assert sim.run(main) == ({"echo": 2, "by": "v"}, 4.0, "InvalidVolume")
        sim.close()

    def test_a_handler_yielding_a_non_future_fails_loudly(self) -> None:
        sim, bus = make()

        class Odd:
            def __await__(self) -> Any:
                yield "not a future"

        async def handler(msg: Message) -> None:
            await Odd()

        bus.consume("cinder-scheduler", handler)

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "odd")
            await bus.quiescent()

        sim.run(main)
        assert bus.stats.handler_errors == 1
        errors = [e for e in sim.trace.events if e.kind == "bus.error"]
        assert "await futures" in errors[0].detail["message"]
        sim.close()

    def test_a_handler_may_return_a_future_or_refuse_at_once(self) -> None:
        """A handler is any callable returning an awaitable: a future it resolves
        later works like a coroutine; one that raises before returning anything
        (an RPC server without the method) fails the call at the caller."""
        sim, bus = make()

        def later(msg: Message) -> asyncio.Future[Any]:
            fut = sim.loop.create_future()
            sim.loop.call_later(2, fut.set_result, {"late": msg.args["n"]})
            return fut

        def refuses(msg: Message) -> Any:
            raise NotImplementedError(f"no method {msg.method}")

        bus.consume("cinder-volume", later, server=VOL.server)
        bus.consume("cinder-scheduler", refuses)

        async def main() -> tuple[Any, float, str]:
            got = await bus.call("cinder-api", VOL, "x", n=7)
            at = sim.now()
            bus.cast("cinder-api", SCHED, "y")
            await bus.quiescent()
            try:
                await bus.call("cinder-api", SCHED, "z")
            except NotImplementedError as exc:
                return got, at, str(exc)
            return got, at, "answered"

        assert sim.run(main) == ({"late": 7}, 2.002, "no method z")
        assert bus.stats.handler_errors == 1  # the cast: counted, traced, not raised
        assert bus.in_flight == 0
        sim.close()

    def test_close_ends_waiting_handlers_in_delivery_order(self) -> None:
        sim, bus = make()
        ended: list[int] = []

        async def handler(msg: Message) -> None:
            try:
                await asyncio.sleep(3600)
            finally:
                ended.append(msg.args["n"])

        bus.consume("cinder-scheduler", handler)

        async def main() -> None:
            for n in (1, 2, 3):
                bus.cast("cinder-api", SCHED, "wait", n=n)
            await asyncio.sleep(1)

        sim.run(main)
        assert ended == []
        bus.close()
        assert ended == [1, 2, 3]
        assert bus.in_flight == 0
        sim.close()


class _Told(Watched):
    """A Watched that records what it was told, and when."""

    __slots__ = ("log", "sim")

    def __init__(self, coro: Any, sim: Simulation, log: list[tuple[str, Any, float]]) -> None:
        self.coro = coro
        self.sim = sim
        self.log = log

    def then(self, result: Any, error: BaseException | None) -> None:
        self.log.append(("then", type(error).__name__ if error else result, self.sim.now()))


class TestWatchedHandlers:
    """A handler may return a Watched (what the entry guards return): the bus steps its
    coroutine itself and tells it how it ended, before the caller is answered."""

    def test_then_hears_the_result_before_the_caller_and_the_error_too(self) -> None:
        sim, bus = make(latency=0.5)
        log: list[tuple[str, Any, float]] = []

        async def work(msg: Message) -> Any:
            await asyncio.sleep(1)
            if msg.method == "boom":
                raise InvalidVolume(reason="bad state")
            return msg.args["n"] * 2

        bus.consume("cinder-volume", lambda msg: _Told(work(msg), sim, log), server=VOL.server)

        async def main() -> None:
            log.append(("reply", await bus.call("cinder-api", VOL, "double", n=21), sim.now()))
            with pytest.raises(InvalidVolume):
                await bus.call("cinder-api", VOL, "boom", n=0)
            log.append(("raised", None, sim.now()))

        sim.run(main)
        assert log == [("then", 42, 1.5), ("reply", 42, 2.0),
                       ("then", "InvalidVolume", 3.5), ("raised", None, 4.0)]
        assert bus.in_flight == 0
        sim.close()

    def test_close_tells_a_waiting_watched_handler(self) -> None:
        sim, bus = make()
        log: list[tuple[str, Any, float]] = []

        async def work(msg: Message) -> None:
            await asyncio.sleep(3600)

        bus.consume("cinder-scheduler", lambda msg: _Told(work(msg), sim, log))

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "wait")
            await asyncio.sleep(1)

        sim.run(main)
        assert log == []
        bus.close()
        assert log == [("then", "GeneratorExit", 1.0)]
        sim.close()

    def test_a_watched_awaited_outside_the_bus_is_told_too(self) -> None:
        sim, _bus = make()
        log: list[tuple[str, Any, float]] = []

        async def work() -> int:
            await asyncio.sleep(2)
            return 7

        async def main() -> int:
            return await _Told(work(), sim, log)

        assert sim.run(main) == 7
        assert log == [("then", 7, 2.0)]
        sim.close()


class TestCallExpiry:
    def test_a_call_nobody_answered_in_time_is_dropped_unread_when_the_service_returns(
            self) -> None:
        """oslo publishes a call with expiration = its timeout; casts never expire."""
        sim, bus = make()
        rec = Recorder(sim, "v")
        consumer = bus.consume("cinder-volume", rec, server=VOL.server, start=False)

        async def main() -> str:
            bus.cast("cinder-api", VOL, "delete_volume", n=1)
            try:
                await bus.call("cinder-api", VOL, "initialize_connection", timeout=60, n=2)
            except MessagingTimeout:
                outcome = "timed out"
            else:
                outcome = "answered"
            consumer.start()
            await bus.quiescent()
            return outcome

        assert sim.run(main) == "timed out"
        assert [m for _, m, _ in rec.seen] == ["delete_volume"]
        assert bus.stats.expired == 1
        faults = [e for e in sim.trace.events if e.kind == "bus.fault"]
        assert [e.detail["action"] for e in faults] == ["expired"]
        sim.close()

    def test_a_call_delivered_before_its_deadline_runs(self) -> None:
        sim, bus = make(latency=0.5)
        bus.consume("cinder-volume", Recorder(sim, "v"), server=VOL.server)

        async def main() -> Any:
            return await bus.call("cinder-api", VOL, "initialize_connection", timeout=2, n=3)

        assert sim.run(main) == {"echo": 3, "by": "v"}
        assert bus.stats.expired == 0
        sim.close()


class TestLoop:
    def test_a_loop_other_than_the_virtual_one_is_refused(self) -> None:
        # Equal deadlines on asyncio's own heap fire in no set order: messages sent at
        # one instant to one queue could overtake each other.
        loop = asyncio.new_event_loop()
        sim = Simulation(seed=1)
        try:
            with pytest.raises(TypeError, match="VirtualTimeLoop"):
                Bus(loop, sim.trace, sim.rng)
        finally:
            loop.close()
            sim.close()


class TestDeliveryWakeUps:
    """The bus wakes once per message arriving, not once per timer ever armed: a
    handler that sends while being delivered (every cast of a flow) must not leave
    a second, never-cancelled timer behind (the bus once kept its own delivery
    timer and leaked it)."""

    def test_a_message_arrives_at_its_own_instant_not_a_resolution_early(self) -> None:
        # The loop runs what is due within its 1 ns clock resolution of the timer
        # it jumped to, as asyncio does: a message due half a nanosecond after a
        # sleeper's wake-up must still arrive at its own time, after the sleeper.
        sim, bus = make(latency=0.001)
        rec = Recorder(sim, "s")
        bus.consume("cinder-scheduler", rec)
        woke: list[float] = []

        async def main() -> None:
            await asyncio.sleep(1.0)
            bus.cast("api", SCHED, "first", n=1)
            bus.cast("api", SCHED, "second", n=2)
            await asyncio.sleep(0.001 - 5e-10)
            woke.append(sim.now())
            await bus.quiescent()

        sim.run(main)
        due = 1.0 + 0.001
        assert woke == [1.0 + (0.001 - 5e-10)]
        assert woke[0] < due
        assert [(t, m) for t, m, _ in rec.seen] == [(due, "first"), (due, "second")]

    def test_a_handler_that_casts_during_delivery_adds_no_wake_up(self) -> None:
        sim, bus = make(latency=0.001)
        hops: list[int] = []

        async def relay(msg: Message) -> None:
            n = msg.args["n"]
            hops.append(n)
            if n < 200:
                bus.cast("relay", SCHED, "hop", n=n + 1)

        bus.consume("cinder-scheduler", relay)

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "hop", n=0)
            await bus.quiescent()
            # Leaked timers would keep waking after the last delivery.
            await asyncio.sleep(1.0)

        sim.run(main)
        assert hops == list(range(201))
        assert bus.pumps == 201  # one wake-up per delivery instant, none left armed
        sim.close()

    def test_ten_thousand_back_to_back_creates_wake_the_bus_linearly(self) -> None:
        from cindersim import simulate  # noqa: PLC0415 - the whole cloud, this test only

        n = 10_000
        config = {"DEFAULT": {"quota_volumes": -1, "quota_gigabytes": -1},
                  "lvmdriver-1": {"vg_size_gb": 100_000}}

        def bounded(pumps: int, delivered: int) -> bool:
            # At most two wake-ups per delivery: the timer also fires (and re-arms)
            # when its deadline is within asyncio's 1 ns clock resolution of now.
            return pumps <= 2 * delivered + 100

        async def main(cloud: Any) -> tuple[int, int]:
            token, pid = cloud.token("demo"), cloud.project_id("demo")
            bus = cloud.bus
            p0, d0 = bus.pumps, bus.stats.delivered
            for i in range(n):
                r = await cloud.request("POST", f"/v3/{pid}/volumes",
                                        json={"volume": {"size": 1}}, token=token)
                assert r.status == 202, r.json
                # Checked as it goes: leaked timers multiply, and a run with them
                # would take minutes before any final count could be compared.
                assert bounded(bus.pumps - p0, bus.stats.delivered - d0), (
                    i, bus.pumps - p0, bus.stats.delivered - d0)
            await cloud.settle()
            return bus.pumps - p0, bus.stats.delivered - d0

        result = simulate(main, seed=1, config=config, trace_mode="off")
        pumps, delivered = result.value
        statuses = [v.status for v in result.cloud.db.volumes.values()]
        assert len(statuses) == n
        assert set(statuses) == {"available"}
        assert delivered >= 2 * n  # scheduler, then cinder-volume, per create
        assert bounded(pumps, delivered)


class TestHandlerSleeps:
    """A handler that awaits ``cindersim.clock.sleep`` is woken by the loop with no done
    callback (see VirtualTimeLoop._sleepers); the order of a run must not change."""

    def test_woken_where_a_done_callback_would_have_been(self) -> None:
        sim, bus = make(latency=0.5)
        order: list[str] = []

        async def handler(msg: Message) -> None:
            await sleep(1.0)  # due at 1.5, set after the task's (below)
            order.append(f"handler at {sim.now()}")

        bus.consume("cinder-scheduler", handler)

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "work")
            await asyncio.sleep(0.5)  # the delivery happens now, the handler sleeps
            await sleep(1.0)  # due at 1.5 too, set after the handler's sleep
            order.append(f"task at {sim.now()}")
            await bus.quiescent()

        sim.run(main)
        # Both sleeps end at 1.5; the handler's timer was set first, so its wake-up
        # (the waker where its done callback's handle would be) runs first.
        assert order == ["handler at 1.5", "task at 1.5"]
        assert sim.loop._sleepers == {}

    def test_a_waker_runs_in_the_iteration_after_the_timer(self) -> None:
        sim, bus = make(latency=0.5)
        order: list[str] = []

        async def handler(msg: Message) -> None:
            await sleep(1.0)
            order.append("handler")

        bus.consume("cinder-scheduler", handler)

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "work")
            await asyncio.sleep(0.5)
            loop = asyncio.get_running_loop()
            # A plain timer set after the handler's, due at the same instant: it runs
            # in the same iteration as the sleep's end, so before the woken handler
            # (a waker run at once, in place of the future, would come first).
            loop.call_at(1.5, order.append, "timer")
            await bus.quiescent()

        sim.run(main)
        assert order == ["timer", "handler"]

    def test_a_cancelled_sleep_still_wakes_its_handler(self) -> None:
        sim, bus = make(latency=0.5)
        futures: list[asyncio.Future[None]] = []
        outcome: list[tuple[str, float]] = []

        async def handler(msg: Message) -> None:
            fut: Any = sleep(5.0)
            futures.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                outcome.append(("cancelled", sim.now()))

        bus.consume("cinder-scheduler", handler)

        async def main() -> None:
            bus.cast("cinder-api", SCHED, "work")
            await asyncio.sleep(1.0)
            futures[0].cancel()
            await bus.quiescent()

        sim.run(main)
        # Nothing is lost: the handler ends (at its sleep's end) and the bus is idle.
        assert outcome == [("cancelled", 5.5)]
        assert bus.in_flight == 0
