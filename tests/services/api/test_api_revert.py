"""``revert`` (3.40): the latest snapshot only, statuses, codes, policy and the flow."""

from __future__ import annotations

from typing import Any

import pytest
from helpers_api_b import THICK, action, msg, snapshot, volume

from cindersim.cloud import Cloud, simulate
from cindersim.states import SnapshotStatus, check_trace


def _run(main: Any, config: Any = None) -> Any:
    return simulate(main, config=config)


@pytest.mark.parametrize("config", [None, THICK], ids=["thin", "thick"])
def test_revert_restores_the_snapshot_content(config: Any) -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        cloud.volume_data(vid).write(0, 4, "before")
        before = cloud.volume_data(vid).digest()
        sid = await snapshot(cloud, vid)
        cloud.volume_data(vid).write(0, 8, "after")
        r = await action(cloud, vid, {"revert": {"snapshot_id": sid}})
        mid = (str(cloud.db.volumes[vid].status), str(cloud.db.snapshots[sid].status))
        await cloud.settle()
        return r, mid, cloud, vid, sid, before
    result = _run(main, config)
    r, mid, cloud, vid, sid, before = result.value
    assert r.status == 202
    assert r.json is None
    assert mid == ("reverting", "restoring")
    assert str(cloud.db.volumes[vid].status) == "available"
    assert str(cloud.db.snapshots[sid].status) == "available"
    assert cloud.volume_data(vid).digest() == before
    sends = [(e.actor, e.target) for e in result.trace.events
             if e.kind == "bus.send" and e.detail.get("method") == "revert_to_snapshot"]
    assert len(sends) == 1
    assert sends[0][0] == "cinder-api"
    assert sends[0][1].startswith("cinder-volume.cinder-1@")
    assert check_trace(result.trace.events) == []


def test_revert_refusals() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        out = {"none": await action(cloud, vid, {"revert": {"snapshot_id": None}})}
        first = await snapshot(cloud, vid)
        second = await snapshot(cloud, vid)
        out["old"] = await action(cloud, vid, {"revert": {"snapshot_id": first}})
        out["v339"] = await action(cloud, vid, {"revert": {"snapshot_id": second}},
                                   version="3.39")
        out["other"] = await action(cloud, vid, {"revert": {"snapshot_id": second}},
                                    user="alt_demo")
        cloud.db.snapshots[second].status = SnapshotStatus.ERROR
        out["snap_state"] = await action(cloud, vid, {"revert": {"snapshot_id": second}})
        out["vol_after"] = str(cloud.db.volumes[vid].status)
        out["vol_state"] = await action(cloud, vid, {"revert": {"snapshot_id": second}})
        return vid, first, second, out
    vid, first, _second, out = _run(main).value
    assert out["none"].status == 400
    assert msg(out["none"]) == f"Volume {vid} doesn't have any snapshots."
    assert out["old"].status == 400
    assert msg(out["old"]) == (f"Specified snapshot {first} is None or not the latest one of "
                               f"volume {vid}.")
    assert out["v339"].status == 404
    assert out["other"].status == 404
    assert msg(out["other"]) == f"Volume {vid} could not be found."
    # Two conditional updates in Cinder: the volume stays 'reverting'.
    assert out["snap_state"].status == 409
    assert "Snapshot's status must be 'available'" in msg(out["snap_state"])
    assert out["vol_after"] == "reverting"
    assert out["vol_state"].status == 409
    assert "Volume's status must be 'available'" in msg(out["vol_state"])


def test_revert_policy_can_forbid_members() -> None:
    async def main(cloud: Cloud) -> Any:
        cloud.api.policy = type(cloud.api.policy)(
            overrides={"volume:revert_to_snapshot": "rule:admin_api"})
        vid = await volume(cloud)
        sid = await snapshot(cloud, vid)
        member = await action(cloud, vid, {"revert": {"snapshot_id": sid}})
        admin = await cloud.request(
            "POST", f"/v3/{cloud.project_id('admin')}/volumes/{vid}/action",
            json={"revert": {"snapshot_id": sid}}, token=cloud.token("admin"),
            headers={"OpenStack-API-Version": "volume 3.40"})
        await cloud.settle()
        return member, admin
    member, admin = _run(main).value
    assert member.status == 403
    assert admin.status == 202
