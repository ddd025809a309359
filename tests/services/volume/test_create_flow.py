"""create_volume's bookkeeping on success: the stamps it leaves on the row."""

from __future__ import annotations

import asyncio

from cindersim import Cloud, simulate
from cindersim.states import Op, VolumeStatus


async def _create(cloud: Cloud) -> str:
    pid = cloud.project_id("demo")
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                            token=cloud.token("demo"))
    assert r.status == 202, r.json
    vid: str = r.json["volume"]["id"]
    return vid


def test_a_created_volume_is_launched_when_it_becomes_available() -> None:
    """launched_at is the instant of the change to available (its updated_at), after
    the create's own created_at, as the manager stamps both in one update."""
    async def main(cloud: Cloud) -> tuple[str | None, str | None, str | None]:
        vid = await _create(cloud)
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        assert vol.status == VolumeStatus.AVAILABLE
        return vol.created_at, vol.updated_at, vol.launched_at

    created, updated, launched = simulate(main, seed=1).value
    assert launched == updated
    assert created is not None
    assert launched is not None
    assert created < launched


def test_a_create_finding_its_volume_available_already_still_stamps_launched_at() -> None:
    """An admin's reset to available while the driver ran: the change to available is
    no change (nothing stamps updated_at), and launched_at is still the finish."""
    async def main(cloud: Cloud) -> tuple[str | None, str | None, str]:
        vid = await _create(cloud)
        vol = cloud.db.volumes[vid]
        vg = next(iter(cloud.volume_services.values())).vg
        assert vg is not None
        while not vg.exists(f"volume-{vid}"):  # then the driver's lvcreate is being slept
            await asyncio.sleep(0.001)
        assert vol.status == VolumeStatus.CREATING
        assert vol.launched_at is None
        cloud.db.transition(vol, VolumeStatus.AVAILABLE, op=Op.RESET_STATUS, actor="admin")
        reset_at = vol.updated_at
        await cloud.settle()
        return reset_at, vol.launched_at, cloud.db.stamp()

    reset_at, launched, end = simulate(main, seed=1).value
    assert launched is not None
    assert reset_at is not None
    assert reset_at < launched <= end
