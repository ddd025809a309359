"""The virtual-time loop: time jumps, stays exact for years, and never touches the world."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import math
import operator
import random
import socket
from typing import Any

import anyio
import pytest

from cindersim import clock
from cindersim.clock import Deadlock, RealIOForbidden, VirtualTimeLoop
from cindersim.clock import sleep as clock_sleep

DAY = 86400.0
YEAR = 365 * DAY


def run(coro_fn, *args):
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro_fn(*args))


class TestVirtualTime:
    def test_starts_at_zero(self) -> None:
        async def main() -> float:
            return asyncio.get_running_loop().time()

        assert run(main) == 0.0

    def test_thirty_days_of_sleep_end_at_thirty_days(self) -> None:
        async def main() -> float:
            for _ in range(30):
                await asyncio.sleep(DAY)
            return asyncio.get_running_loop().time()

        assert run(main) == 30 * DAY

    @pytest.mark.parametrize("delay", [1.0, 0.25, 1e-3, 7.5, 3600.0])
    def test_timers_fire_exactly_after_ten_years(self, delay: float) -> None:
        """Past 2**24 s CPython's 1e-9 timer slack is absorbed by rounding; we must not hang."""
        async def main() -> tuple[float, float]:
            loop = asyncio.get_running_loop()
            await asyncio.sleep(10 * YEAR)
            start = loop.time()
            fired: list[float] = []
            loop.call_at(start + delay, lambda: fired.append(loop.time()))
            await asyncio.sleep(delay * 2)
            return start + delay, fired[0]

        due, fired_at = run(main)
        assert fired_at == due

    def test_many_wakeups_past_the_float_slack_boundary(self) -> None:
        async def main() -> float:
            loop = asyncio.get_running_loop()
            await asyncio.sleep(2.0**24 - 5)
            for _ in range(20):
                await asyncio.sleep(1.0)
            return loop.time()

        assert run(main) == 2.0**24 + 15

    def test_equal_deadlines_all_fire_at_that_time(self) -> None:
        async def main() -> list[float]:
            loop = asyncio.get_running_loop()
            seen: list[float] = []

            async def sleeper() -> None:
                await asyncio.sleep(5)
                seen.append(loop.time())

            await asyncio.gather(*(sleeper() for _ in range(12)))
            return seen

        assert run(main) == [5.0] * 12

    def test_anyio_primitives_follow_the_virtual_clock(self) -> None:
        async def main() -> tuple[float, bool, float]:
            async with anyio.create_task_group() as tg:
                tg.start_soon(anyio.sleep, 50)
            t_group = anyio.current_time()
            with anyio.move_on_after(3) as scope:
                await anyio.sleep(10)
            send, recv = anyio.create_memory_object_stream[int](1)
            async with send, recv:
                await send.send(1)
                with anyio.fail_after(1):
                    await recv.receive()
            return t_group, scope.cancelled_caught, anyio.current_time()

        result = anyio.run(main, backend="asyncio",
                           backend_options={"loop_factory": VirtualTimeLoop})
        assert result == (50.0, True, 53.0)

    def test_timeout_raises_in_virtual_time(self) -> None:
        async def main() -> float:
            loop = asyncio.get_running_loop()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(30):
                    await asyncio.sleep(3600)
            return loop.time()

        assert run(main) == 30.0


    def test_timers_due_at_one_instant_fire_in_the_order_they_were_set(self) -> None:
        loop = VirtualTimeLoop()
        seen: list[int] = []
        try:
            for i in range(50):
                loop.call_at(5.0 if i % 2 else 3.0, seen.append, i)
            loop.call_at(9.0, loop.stop)
            loop.run_forever()
        finally:
            loop.close()
        assert seen == list(range(0, 50, 2)) + list(range(1, 50, 2))
        assert loop.time() == 9.0

    def test_callbacks_queued_by_a_timer_run_on_the_next_iteration(self) -> None:
        """asyncio's rule, which the loop's own iteration keeps: a timer's call_soon
        runs after every other callback already due in the same iteration."""
        loop = VirtualTimeLoop()
        seen: list[str] = []
        try:
            loop.call_at(1.0, lambda: (seen.append("a"), loop.call_soon(seen.append, "a-soon")))
            loop.call_at(1.0, seen.append, "b")
            loop.call_at(2.0, loop.stop)
            loop.run_forever()
        finally:
            loop.close()
        assert seen == ["a", "b", "a-soon"]

    def test_cancelled_timers_never_fire_and_do_not_pile_up(self) -> None:
        async def main() -> tuple[int, float]:
            loop = asyncio.get_running_loop()
            fired: list[int] = []
            for i in range(1000):
                h = loop.call_later(10 + i, fired.append, i)
                if i % 10:
                    h.cancel()
            await asyncio.sleep(0)
            # More than half the heap is cancelled: the next iteration drops them.
            pending = len(loop._timers)  # type: ignore[attr-defined]
            await asyncio.sleep(2000)
            return len(fired), pending

        fired, pending = run(main)
        assert fired == 100
        assert pending <= 101


    @pytest.mark.parametrize("delays", [(0.5, 0.5, 0.25, 1.0), (0.0, 0.1, 0.0, 0.1),
                                        (3.0, 1e-9, 2.0, 3.0)])
    def test_clock_sleep_wakes_in_asyncio_sleeps_order(self, delays: tuple[float, ...]) -> None:
        """clock.sleep is a cheaper asyncio.sleep: same timers, same wake-up order."""
        def program(nap):
            async def main() -> list[tuple[float, int, int]]:
                loop = asyncio.get_running_loop()
                seen: list[tuple[float, int, int]] = []

                async def sleeper(i: int) -> None:
                    for step, d in enumerate(delays[i:] + delays[:i]):
                        await nap(d)
                        seen.append((loop.time(), i, step))

                await asyncio.gather(*(sleeper(i) for i in range(len(delays))))
                return seen
            return main

        assert run(program(clock_sleep)) == run(program(asyncio.sleep))

    def test_a_cancelled_clock_sleep_does_not_wake_or_stop_the_clock(self) -> None:
        async def main() -> tuple[bool, float]:
            task = asyncio.ensure_future(clock_sleep(10))
            await asyncio.sleep(1)
            task.cancel()
            await asyncio.sleep(0)
            await asyncio.sleep(20)  # the stale timer fires at 10 and does nothing
            return task.cancelled(), asyncio.get_running_loop().time()

        assert run(main) == (True, 21.0)


    def test_a_cancelled_clock_sleep_does_not_move_the_clock(self) -> None:
        """As with asyncio.sleep (which cancels its timer): a deadlock after the
        sleeper was cancelled is found at the time it happens, not at the stale wake-up."""
        async def main(nap) -> None:
            task = asyncio.ensure_future(nap(10))
            await asyncio.sleep(1)
            task.cancel()
            await asyncio.Event().wait()

        for nap in (asyncio.sleep, clock_sleep):
            with pytest.raises(Deadlock, match=r"at virtual time 1\.000000s"):
                run(main, nap)


class TestLongSleeps:
    """A long sleep() waits in a second heap (clock._FAR); it keeps its place among the
    timers due at the same instant: the order they were set in."""

    def test_a_long_sleep_ends_between_the_timers_set_before_and_after_it(self) -> None:
        async def main() -> list[tuple[str, bool]]:
            loop = asyncio.get_running_loop()
            seen: list[tuple[str, bool]] = []
            loop.call_at(1.0, lambda: seen.append(("before", fut.done())))
            fut: Any = clock_sleep(1.0)
            loop.call_at(1.0, lambda: seen.append(("after", fut.done())))
            await fut
            return seen

        assert run(main) == [("before", False), ("after", True)]

    def test_a_message_due_with_a_long_sleep_is_not_run_alone_before_it(self) -> None:
        async def main() -> list[bool]:
            loop = asyncio.get_running_loop()
            seen: list[bool] = []
            fut: Any = clock_sleep(1.0)
            loop.call_at_plain(1.0, functools.partial(lambda: seen.append(fut.done())))
            await fut
            return seen

        assert run(main) == [True]

    def test_a_long_sleep_before_a_message_ends_at_its_own_time(self) -> None:
        async def main() -> tuple[float, list[float]]:
            loop = asyncio.get_running_loop()
            seen: list[float] = []
            loop.call_at_plain(2.0, functools.partial(lambda: seen.append(loop.time())))
            await clock_sleep(1.0)
            woke = loop.time()
            await clock_sleep(2.0)
            return woke, seen

        assert run(main) == (1.0, [2.0])

    def test_a_long_sleep_within_the_clock_resolution_of_a_message_ends_with_it(
            self) -> None:
        # asyncio runs every timer due before now + clock resolution (1 ns) in the same
        # iteration: the message is not alone at its instant, and the sleeper wakes at
        # the message's time, as it would with one heap.
        async def main() -> float:
            loop = asyncio.get_running_loop()
            loop.call_at_plain(1.0, functools.partial(int))
            await clock_sleep(1.0 + 1e-10)
            return loop.time()

        assert run(main) == 1.0

    def test_the_clock_jumps_to_a_long_sleep_before_later_timers(self) -> None:
        async def main() -> list[tuple[str, float]]:
            loop = asyncio.get_running_loop()
            seen: list[tuple[str, float]] = []
            loop.call_at(0.5, seen.append, ("cancelled", 0.5)).cancel()
            loop.call_at(3.0, lambda: seen.append(("timer", loop.time())))
            await clock_sleep(2.0)
            seen.append(("sleeper", loop.time()))
            await clock_sleep(2.0)
            return seen

        assert run(main) == [("sleeper", 2.0), ("timer", 3.0)]


def _mixed_timers(seed: int) -> list[tuple[str, float]]:
    """What a random mix of sleeps, timers, messages and cancellations records."""
    rng = random.Random(seed)
    seen: list[tuple[str, float]] = []

    async def sleeper(name: str, naps: list[float]) -> None:
        for nap in naps:
            await clock_sleep(nap)
            seen.append((name, asyncio.get_running_loop().time()))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tasks = []
        for i in range(40):
            what = rng.choice(("sleeper", "timer", "message", "cancelled"))
            when = rng.choice((0.5, 1.0, 1.0 + 1e-10, 2.0)) * rng.choice((0.25, 1, 3))
            if what == "sleeper":
                naps = [rng.choice((0.01, 0.03125, 0.05, 0.25, 1.0)) for _ in range(3)]
                tasks.append(asyncio.ensure_future(sleeper(f"s{i}", naps)))
            elif what == "timer":
                loop.call_at(when, lambda i=i: seen.append((f"t{i}", loop.time())))
            elif what == "message":
                loop.call_at_plain(when, functools.partial(
                    lambda i=i: seen.append((f"m{i}", loop.time()))))
            else:
                loop.call_at(when, seen.append, (f"c{i}", when)).cancel()
            if rng.random() < 0.3:
                await clock_sleep(rng.choice((0.02, 0.3)))
        for task in tasks:
            await task

    run(main)
    return seen


@pytest.mark.parametrize("seed", range(30))
def test_long_sleeps_apart_change_no_order(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second heap is invisible: with every sleep in the first one (as before it
    existed) a random run records the same events at the same times, in order."""
    two_heaps = _mixed_timers(seed)
    monkeypatch.setattr(clock, "_FAR", math.inf)
    one_heap = _mixed_timers(seed)
    assert two_heaps == one_heap
    assert len(one_heap) > 20


class TestLeanHandles:
    """In virtual mode call_soon and call_at are the loop's handle classes bound to it;
    they must keep asyncio's contract (order, contexts, cancel, closed loop, debug)."""

    def test_call_soon_and_call_at_keep_order_context_and_cancel(self) -> None:
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="none")

        async def main() -> list[tuple[str, str]]:
            loop = asyncio.get_running_loop()
            seen: list[tuple[str, str]] = []
            ctx = contextvars.copy_context()
            ctx.run(var.set, "given")
            var.set("caller")
            for name in ("a", "b", "c"):
                loop.call_soon(lambda n=name: seen.append((n, var.get())))
            loop.call_soon(lambda: seen.append(("ctx", var.get())), context=ctx)
            loop.call_soon(seen.append, ("x", "cancelled")).cancel()
            at = loop.call_at(5.0, lambda: seen.append(("at", var.get())))
            assert isinstance(at, asyncio.TimerHandle)
            assert at.when() == 5.0
            loop.call_at(4.0, seen.append, ("gone", "")).cancel()
            loop.call_later(1.0, lambda: seen.append(("later", str(loop.time()))))
            await asyncio.sleep(10)
            return seen

        assert run(main) == [("a", "caller"), ("b", "caller"), ("c", "caller"),
                             ("ctx", "given"), ("later", "1.0"), ("at", "caller")]

    def test_debug_mode_takes_asyncios_own_call_soon_and_back(self) -> None:
        loop = VirtualTimeLoop()
        try:
            lean = loop.call_soon(lambda: None)
            loop.set_debug(True)
            debug = loop.call_soon(lambda: None)
            loop.set_debug(False)
            again = loop.call_soon(lambda: None)
            assert type(lean) is type(again)
            assert type(debug) is asyncio.Handle
            assert type(lean) is not asyncio.Handle
        finally:
            loop.close()

    def test_plain_entries_take_their_turn_among_timers_and_sleeps(self) -> None:
        async def main() -> list[str]:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, VirtualTimeLoop)
            seen: list[str] = []

            async def sleeper(name: str) -> None:
                await clock_sleep(5.0)
                seen.append(name)

            loop.call_at_plain(5.0, functools.partial(seen.append, "plain 1"))
            loop.call_at(5.0, seen.append, "timer")
            task = asyncio.ensure_future(sleeper("sleep"))
            await asyncio.sleep(0)  # the sleeper sets its timer now
            loop.call_at_plain(5.0, functools.partial(seen.append, "plain 2"))
            loop.call_at_plain(3.0, functools.partial(seen.append, "plain at 3"))
            await asyncio.sleep(10)
            assert task.done()
            return seen

        # (the sleeper's wake-up runs its coroutine an iteration later, as asyncio's)
        assert run(main) == ["plain at 3", "plain 1", "timer", "plain 2", "sleep"]

    @pytest.mark.parametrize("later_at", [[], [7.0], [7.0, 8.0]])
    def test_plain_entries_due_together_run_before_what_the_first_queues(
            self, later_at: list[float]) -> None:
        # Two deliveries due at one instant are one turn, as asyncio takes every due
        # timer before running any: what the first queues with call_soon runs after
        # the second, wherever the second sits in the heap (the loop takes a lone
        # delivery straight from the heap, and must not take one of two that way).
        async def main() -> list[str]:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, VirtualTimeLoop)
            seen: list[str] = []

            def first() -> None:
                seen.append("first")
                loop.call_soon(seen.append, "queued by first")

            loop.call_at_plain(5.0, functools.partial(first))
            for when in later_at:  # pushes the second entry further down the heap
                loop.call_at_plain(when, functools.partial(seen.append, f"at {when:g}"))
            loop.call_at_plain(5.0, functools.partial(seen.append, "second"))
            loop.call_at_plain(6.0, functools.partial(first))  # alone at its instant
            await asyncio.sleep(10)
            return seen

        assert run(main)[:5] == ["first", "second", "queued by first",
                                 "first", "queued by first"]

    @pytest.mark.parametrize("together", [False, True])
    def test_a_failing_plain_entry_is_reported_alone_or_not(self, together: bool) -> None:
        reported: list[dict[str, Any]] = []
        seen: list[str] = []

        async def main() -> float:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, VirtualTimeLoop)
            loop.set_exception_handler(lambda _loop, context: reported.append(context))
            loop.call_at_plain(1.0, functools.partial(operator.truediv, 1, 0))
            if together:
                loop.call_at_plain(1.0, functools.partial(seen.append, "after"))
            await asyncio.sleep(2.0)
            return loop.time()

        assert run(main) == 2.0
        assert [type(c["exception"]) for c in reported] == [ZeroDivisionError]
        assert "truediv" in reported[0]["message"]
        assert seen == (["after"] if together else [])

    def test_a_failing_plain_entry_is_reported_and_the_loop_goes_on(self) -> None:
        reported: list[dict[str, Any]] = []

        async def main() -> float:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, VirtualTimeLoop)
            loop.set_exception_handler(lambda _loop, context: reported.append(context))
            loop.call_at_plain(1.0, functools.partial(operator.truediv, 1, 0))
            await asyncio.sleep(2.0)
            return loop.time()

        assert run(main) == 2.0
        assert [type(c["exception"]) for c in reported] == [ZeroDivisionError]
        assert "truediv" in reported[0]["message"]

    def test_a_closed_loop_refuses_callbacks_and_timers(self) -> None:
        loop = VirtualTimeLoop()
        loop.close()
        for schedule in (lambda: loop.call_soon(print), lambda: loop.call_at(1.0, print),
                         lambda: loop.call_later(1.0, print)):
            with pytest.raises(RuntimeError, match="closed"):
                schedule()

    def test_time_follows_advance(self) -> None:
        loop = VirtualTimeLoop(start=3.0)
        try:
            assert loop.time() == 3.0
            loop.advance(2.5)
            assert loop.time() == 5.5
        finally:
            loop.close()


class TestDeadlockAndIO:
    def test_waiting_on_nothing_is_a_deadlock(self) -> None:
        async def main() -> None:
            await asyncio.get_running_loop().create_future()

        with pytest.raises(Deadlock, match="deadlock at virtual time"):
            run(main)

    def test_sockets_are_refused(self) -> None:
        async def main() -> None:
            await asyncio.open_connection("127.0.0.1", 9)

        with pytest.raises(RealIOForbidden, match="real I/O"):
            run(main)

    def test_threads_are_refused(self) -> None:
        async def main() -> None:
            await asyncio.to_thread(lambda: None)

        with pytest.raises(RealIOForbidden):
            run(main)

    def test_file_descriptors_are_refused(self) -> None:
        a, b = socket.socketpair()
        try:
            async def main() -> None:
                asyncio.get_running_loop().add_reader(a.fileno(), lambda: None)

            with pytest.raises(RealIOForbidden):
                run(main)
        finally:
            a.close()
            b.close()


class TestPaced:
    def test_paced_time_follows_wall_time_times_speed(self) -> None:
        async def main() -> float:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await asyncio.sleep(50.0)  # 50 virtual s at speed 1000 = 50 ms wall
            return loop.time() - t0

        with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(speed=1000.0)) as runner:
            elapsed = runner.run(main())
        assert elapsed >= 50.0

    def test_paced_allows_real_sockets(self) -> None:
        async def main() -> bytes:
            async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                w.write(await r.readline())
                await w.drain()
                w.close()

            server = await asyncio.start_server(echo, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"hi\n")
            line = await reader.readline()
            writer.close()
            server.close()
            return line

        with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(speed=10.0)) as runner:
            assert runner.run(main()) == b"hi\n"

    def test_paced_timers_due_at_one_instant_fire_in_the_order_they_were_set(self) -> None:
        # asyncio's own heap compares deadlines only: equal ones come out in an
        # order the heap's shape decides, and the bus's messages to one queue
        # would overtake each other.
        async def main() -> list[int]:
            loop = asyncio.get_running_loop()
            seen: list[int] = []
            when = loop.time() + 0.5
            for i in range(50):
                loop.call_at(when + (0.25 if i % 3 else 0.0), seen.append, i)
            await asyncio.sleep(1.0)
            return seen

        with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(speed=100.0)) as runner:
            seen = runner.run(main())
        assert seen == [i for i in range(50) if i % 3 == 0] + [i for i in range(50) if i % 3]

    def test_speed_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            VirtualTimeLoop(speed=0)


class _Bounded(VirtualTimeLoop):
    """A virtual loop that fails, instead of spinning forever, when its clock freezes
    (the symptom of a timer that is due and never fires: every iteration finds
    nothing ready and asks for a jump that does not move the clock)."""

    def _next_deadline(self) -> float | None:
        self.iterations = getattr(self, "iterations", 0) + 1
        if self.iterations > 100_000:
            raise AssertionError(f"the loop spins at virtual time {self.time()!r}")
        return super()._next_deadline()


FAR = [2.0**24, 2.0**24 + 0.5, 2.0**40, 1e12]
"""Past 2**24 s, asyncio's 1 ns timer slack is absorbed by rounding."""


def run_far(coro_fn, *, start: float = 0.0, advance: float = 0.0):
    loop = _Bounded(start=start)
    loop.advance(advance)
    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        return runner.run(coro_fn())


async def _due_now_sleeps_and_call_soon() -> tuple[float, list[float], float, float]:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    fired: list[float] = []
    loop.call_at(t0, lambda: fired.append(loop.time()))       # due exactly now
    loop.call_at(t0 - 1.0, lambda: fired.append(loop.time()))  # overdue
    loop.call_soon(lambda: fired.append(loop.time()))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await asyncio.sleep(1e-12)  # shorter than one ulp: due now
    t1 = loop.time()
    await asyncio.sleep(1.0)
    await clock_sleep(0.5)
    return t0, fired, t1, loop.time()


class TestFarClock:
    """Issue 18: the clock is exact and live at any start time and after any advance."""

    @pytest.mark.parametrize("start", FAR)
    def test_a_loop_started_far_out_fires_what_is_due_now(self, start: float) -> None:
        t0, fired, t1, end = run_far(_due_now_sleeps_and_call_soon, start=start)
        assert t0 == start
        assert fired == [start, start, start]
        assert t1 == start
        assert end == start + 1.0 + 0.5

    @pytest.mark.parametrize("far", FAR)
    def test_a_loop_advanced_far_out_fires_what_is_due_now(self, far: float) -> None:
        t0, fired, t1, end = run_far(_due_now_sleeps_and_call_soon, advance=far)
        assert t0 == far
        assert fired == [far, far, far]
        assert t1 == far
        assert end == far + 1.0 + 0.5

    @pytest.mark.parametrize("far", FAR)
    def test_advancing_a_far_clock_again_stays_live(self, far: float) -> None:
        loop = _Bounded(start=far)

        async def step() -> float:
            fired: list[float] = []
            now = loop.time()
            loop.call_at(now, lambda: fired.append(loop.time()))
            await asyncio.sleep(0.25)
            assert fired == [now]
            return loop.time()

        with asyncio.Runner(loop_factory=lambda: loop) as runner:
            first = runner.run(step())
            loop.advance(far)  # doubles the clock: a new binade, a coarser ulp
            second = runner.run(step())
        assert first == far + 0.25
        assert second == (far + 0.25 + far) + 0.25

    @pytest.mark.parametrize("start", FAR)
    def test_equal_far_deadlines_fire_once_each_in_order(self, start: float) -> None:
        async def main() -> list[int]:
            loop = asyncio.get_running_loop()
            order: list[int] = []
            when = loop.time() + 3.0
            for i in range(12):
                loop.call_at(when, order.append, i)
            await asyncio.sleep(4.0)
            return order

        assert run_far(main, start=start) == list(range(12))

    @pytest.mark.parametrize("start", [2.0**24, 2.0**40, 1e12])
    def test_a_paced_loop_started_far_out_fires_what_is_due_now(self, start: float) -> None:
        async def main() -> bool:
            loop = asyncio.get_running_loop()
            fired = asyncio.Event()
            loop.call_at(loop.time(), fired.set)
            await asyncio.wait_for(fired.wait(), 5.0)
            return fired.is_set()

        loop = VirtualTimeLoop(start=start, speed=1.0)
        with asyncio.Runner(loop_factory=lambda: loop) as runner:
            assert runner.run(main())
