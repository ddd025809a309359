"""VolumeService.drive: a driver call's result or error comes after its cost is slept."""

from __future__ import annotations

from typing import Any

import pytest

from cindersim import Cloud, simulate
from cindersim.errors import VolumeBackendAPIException
from cindersim.messaging import Message, Target


def _service(cloud: Cloud) -> Any:
    return next(iter(cloud.volume_services.values()))


def test_a_call_returning_none_is_over_when_its_cost_is_slept() -> None:
    async def main(cloud: Cloud) -> tuple[Any, float]:
        svc = _service(cloud)
        start = cloud.sim.now()
        result = await svc.drive("create_volume", lambda: svc.meter.add(2.5))
        return result, cloud.sim.now() - start

    assert simulate(main, seed=1).value == (None, 2.5)


def test_a_call_returning_a_value_gives_it_after_its_cost() -> None:
    async def main(cloud: Cloud) -> tuple[Any, float]:
        svc = _service(cloud)
        start = cloud.sim.now()

        def fn(a: int, *, b: int) -> dict[str, int]:
            svc.meter.add(1.5)
            return {"sum": a + b}

        result = await svc.drive("initialize_connection", fn, 2, b=3)
        return result, cloud.sim.now() - start

    assert simulate(main, seed=1).value == ({"sum": 5}, 1.5)


def test_a_free_call_returns_at_once() -> None:
    async def main(cloud: Cloud) -> tuple[Any, float, Any, float]:
        svc = _service(cloud)
        start = cloud.sim.now()
        none = await svc.drive("remove_export", lambda: None)
        value = await svc.drive("get_volume_stats", lambda: 7)
        return none, cloud.sim.now() - start, value, cloud.sim.now() - start

    assert simulate(main, seed=1).value == (None, 0.0, 7, 0.0)


def test_a_failing_call_raises_its_error_once_its_cost_is_slept() -> None:
    error = VolumeBackendAPIException(data="lvcreate failed")

    async def main(cloud: Cloud) -> float:
        svc = _service(cloud)
        start = cloud.sim.now()

        def fn() -> None:
            svc.meter.add(4.0)
            raise error

        with pytest.raises(VolumeBackendAPIException) as caught:
            await svc.drive("create_volume", fn)
        assert caught.value is error
        return cloud.sim.now() - start

    result = simulate(main, seed=1, trace_mode="full")
    assert result.value == 4.0
    failed = [e for e in result.trace.events if e.kind == "driver.error"]
    assert [e.detail["call"] for e in failed] == ["create_volume"]


def test_what_was_charged_before_the_call_is_not_slept_by_it() -> None:
    async def main(cloud: Cloud) -> tuple[float, float]:
        svc = _service(cloud)
        svc.meter.add(30.0)  # an earlier command nobody took
        start = cloud.sim.now()
        await svc.drive("extend_volume", lambda: svc.meter.add(0.5))
        return cloud.sim.now() - start, svc.meter.take()

    assert simulate(main, seed=1).value == (0.5, 0.0)


def test_an_unknown_method_is_not_implemented() -> None:
    async def main(cloud: Cloud) -> None:
        svc = _service(cloud)
        msg = Message(id="m1", kind="cast", sender="test", target=Target("cinder-volume"),
                      method="no_such_method", args={}, sent_at=0.0)
        with pytest.raises(NotImplementedError, match="cinder-volume has no method "
                                                      "no_such_method"):
            svc._dispatch(msg)

    simulate(main, seed=1)


def test_driver_events_name_the_call_and_protocol_and_share_one_detail() -> None:
    """Events of one call on one driver kind carry the same (shared, never changed)
    detail; another call or another protocol gets its own."""
    cfg = {"DEFAULT": {"enabled_backends": "lvm-1,nfs-1"},
           "lvm-1": {"volume_driver": "cinder.volume.drivers.lvm.LVMVolumeDriver"},
           "nfs-1": {"volume_driver": "cinder.volume.drivers.nfs.NfsDriver"}}

    async def main(cloud: Cloud) -> None:
        for svc in cloud.volume_services.values():
            for call in ("remove_export", "remove_export", "get_volume_stats"):
                await svc.drive(call, lambda: None, resource="volume:x")

    events = [e for e in simulate(main, seed=1, config=cfg, trace_mode="full").trace.events
              if e.kind == "driver"]
    assert [(e.summary, dict(e.detail)) for e in events] == [
        ("driver.remove_export", {"call": "remove_export"}),
        ("driver.remove_export", {"call": "remove_export"}),
        ("driver.get_volume_stats", {"call": "get_volume_stats"}),
        ("driver.remove_export", {"call": "remove_export", "protocol": "nfs"}),
        ("driver.remove_export", {"call": "remove_export", "protocol": "nfs"}),
        ("driver.get_volume_stats", {"call": "get_volume_stats", "protocol": "nfs"})]
    assert events[0].detail is events[1].detail
    assert events[3].detail is events[4].detail
    assert all(e.resource == "volume:x" for e in events)
