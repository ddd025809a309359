"""The virtual-time loop: time jumps, stays exact for years, and never touches the world."""

from __future__ import annotations

import asyncio
import socket

import anyio
import pytest

from cindersim.clock import Deadlock, RealIOForbidden, VirtualTimeLoop

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

    def test_speed_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            VirtualTimeLoop(speed=0)
