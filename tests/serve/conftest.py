"""Fixtures for the serve tests: a served cloud on an ephemeral loopback port.

The server runs in a background thread (``ThreadedServer``) with its own paced
loop; the tests are its HTTP clients.  Speed 100 keeps flows quick in real time
while leaving cinder's RPC timeout (60 virtual seconds) at 0.6 real seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cindersim.serve import ServeOptions, ThreadedServer
from cindersim.trace import TraceEvent, load_jsonl

SPEED = 100.0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ThreadedServer]:
    """A served cloud whose trace streams to ``tmp_path/trace.jsonl``."""
    with ThreadedServer(ServeOptions(port=0, speed=SPEED,
                                     trace=tmp_path / "trace.jsonl")) as srv:
        yield srv


def stopped_trace(srv: ThreadedServer) -> list[TraceEvent]:
    """Stop the server (which completes its trace file) and read the file back."""
    srv.stop()
    assert srv.options.trace is not None
    events = load_jsonl(Path(srv.options.trace).read_text(encoding="utf-8").splitlines())
    assert len(events) == srv.events_written > 0
    return events


@pytest.fixture
def trace_of() -> Callable[[ThreadedServer], list[TraceEvent]]:
    return stopped_trace


def wait_until(probe: Callable[[], Any], *, timeout: float = 20.0,
               interval: float = 0.02) -> Any:
    """Poll *probe* until it returns something truthy (a client polling a status).

    The timeout only bounds a hung test; no assertion depends on how long it took.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up polling {probe}")
        time.sleep(interval)


@pytest.fixture
def poll() -> Callable[..., Any]:
    return wait_until
