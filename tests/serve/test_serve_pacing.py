"""Paced virtual time at the scale of one HTTP request.

cinder-api sleeps ``api_latency`` (2 virtual ms) per request; at ``--speed 60``
that is 33 real microseconds.  Real selectors block in whole milliseconds, so
handing them such a timeout made every request last at least 1 real ms (60
virtual ms at speed 60) and capped ``cindersim serve`` near 500 requests/s.  The
paced loop now polls without blocking for waits shorter than a millisecond.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cindersim.clock import VirtualTimeLoop


class _SpySelector:
    """Wraps the real selector and records every timeout it is asked to block for."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.timeouts: list[float | None] = []

    def select(self, timeout: float | None = None) -> Any:
        self.timeouts.append(timeout)
        return self.real.select(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_sub_millisecond_paced_waits_never_reach_the_real_selector_as_a_timeout() -> None:
    loop = VirtualTimeLoop(speed=60.0)
    spy = _SpySelector(loop._selector._real)  # type: ignore[attr-defined]
    loop._selector._real = spy  # type: ignore[attr-defined]

    async def main() -> float:
        start = loop.time()
        for _ in range(20):
            await asyncio.sleep(0.002)  # 33 real microseconds each
        return loop.time() - start

    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        elapsed = runner.run(main())
    assert elapsed >= 20 * 0.002
    short = [t for t in spy.timeouts if t is not None and 0 < t < 1e-3]
    assert short == []
    assert 0 in spy.timeouts  # the short waits were polled


def test_long_paced_waits_still_block_scaled() -> None:
    loop = VirtualTimeLoop(speed=1000.0)
    spy = _SpySelector(loop._selector._real)  # type: ignore[attr-defined]
    loop._selector._real = spy  # type: ignore[attr-defined]

    async def main() -> None:
        await asyncio.sleep(5.0)  # 5 real ms

    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        runner.run(main())
    blocking = [t for t in spy.timeouts if t is not None and t >= 1e-3]
    assert blocking  # a real wait, scaled by the speed
    assert max(blocking) <= 5.0 / 1000.0 + 1e-9
