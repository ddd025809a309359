"""The RPC entry guards (services/idempotency.py) on their own."""

from __future__ import annotations

import asyncio
import operator
from types import SimpleNamespace
from typing import Any

import pytest

from cindersim.services.idempotency import Entry, EntryGuards
from cindersim.trace import Trace


def guards() -> tuple[EntryGuards, dict[str, Any]]:
    env: Any = SimpleNamespace(trace=Trace(mode="off"))

    async def create_volume(volume_id: str) -> str:
        await asyncio.sleep(0)
        return volume_id

    table = {"create_volume": Entry(key=operator.itemgetter("volume_id"))}
    g = EntryGuards(env, "cinder-volume", table)
    return g, g.wrap({"create_volume": create_volume})


def test_a_delivery_is_running_until_its_guard_hears_the_end() -> None:
    g, methods = guards()
    record: Any = methods["create_volume"](volume_id="v1")
    assert g._running == {("create_volume", "v1"): record}
    assert (record.guards, record.once, record.waiters) == (g, False, None)
    record.coro.close()
    record.then("v1", None)
    assert g._running == {}


def test_a_call_that_raises_leaves_nothing_running() -> None:
    g, methods = guards()
    with pytest.raises(TypeError):
        methods["create_volume"](volume_id="v1", unexpected=True)
    assert g._running == {}
    # The same key is admitted afterwards, not taken for a copy of a running one.
    record: Any = methods["create_volume"](volume_id="v1")
    assert g.refused == 0
    record.coro.close()
