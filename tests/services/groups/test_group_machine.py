"""The cloud state machine with group rules runs clean under the active profile, and
its group invariants catch what they claim to."""

from __future__ import annotations

from typing import Any

from group_helpers import req, run, setup, volume_in

from cindersim.cloud import Cloud
from cindersim.testing.group_rules import GroupStateMachine, group_invariants

TestGroupStateMachine = GroupStateMachine.TestCase


class TestGroupInvariants:
    def test_a_clean_group_passes_and_each_broken_fact_is_reported(self) -> None:
        async def main(cloud: Cloud) -> Any:
            _, vt, gid = await setup(cloud)
            vid = await volume_in(cloud, gid, vt)
            r = await req(cloud, "POST", "/group_snapshots",
                          json={"group_snapshot": {"group_id": gid}})
            gsid = r.json["group_snapshot"]["id"]
            await cloud.settle()
            clean = group_invariants(cloud, {gsid: {vid}})
            wrong_members = group_invariants(cloud, {gsid: set()})
            vol = cloud.db.volumes[vid]
            vol.host = "elsewhere@lvm#pool"
            moved = group_invariants(cloud, {})
            vol.group_id = "0" * 8 + "-0000-4000-8000-" + "0" * 12
            dangling = group_invariants(cloud, {})
            return clean, wrong_members, moved, dangling

        clean, wrong_members, moved, dangling = run(main)
        assert clean == []
        assert len(wrong_members) == 1
        assert "not a member when it was taken" in wrong_members[0]
        assert len(moved) == 1
        assert "is on elsewhere@lvm#pool" in moved[0]
        assert len(dangling) == 1
        assert "which is gone" in dangling[0]
