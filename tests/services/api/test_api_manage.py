"""Unmanage and manage volumes and snapshots; the manageable lists (3.8)."""

from __future__ import annotations

from typing import Any

from helpers_api_b import action, call, msg, snapshot, volume

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace


def test_unmanage_then_manage_volume_keeps_the_data() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud, size=2)
        cloud.volume_data(vid).write(0, 4, "keep")
        digest = cloud.volume_data(vid).digest()
        show = await call(cloud, "GET", f"/volumes/{vid}", user="admin")
        host = show.json["volume"]["os-vol-host-attr:host"]
        member = await action(cloud, vid, {"os-unmanage": {}})
        r = await action(cloud, vid, {"os-unmanage": {}}, user="admin")
        await cloud.settle()
        gone = vid not in cloud.db.volumes
        listed = await call(cloud, "GET", f"/manageable_volumes/detail?host={host}",
                            user="admin")
        old = await call(cloud, "GET", f"/manageable_volumes?host={host}", user="admin",
                         version="3.7")
        body = {"volume": {"host": host, "ref": {"source-name": f"volume-{vid}"},
                           "name": "again"}}
        m = await call(cloud, "POST", "/os-volume-manage", body, user="admin")
        await cloud.settle()
        new_id = m.json["volume"]["id"]
        again = await call(cloud, "POST", "/os-volume-manage", body, user="admin")
        missing = await call(cloud, "POST", "/os-volume-manage", {"volume": {
            "host": "nohost@x#y", "ref": {"source-name": "x"}}}, user="admin")
        return (member, r, gone, listed, old, m, cloud.db.volumes[new_id],
                cloud.volume_data(new_id).digest(), digest, again, missing, vid)
    result = simulate(main)
    (member, r, gone, listed, old, m, new, new_digest, digest, again, missing,
     vid) = result.value
    assert member.status == 403
    assert r.status == 202
    assert gone
    entries = listed.json["manageable-volumes"]
    mine = [e for e in entries if e["reference"] == {"source-name": f"volume-{vid}"}]
    assert mine == [{"reference": {"source-name": f"volume-{vid}"}, "size": 2,
                     "safe_to_manage": True, "reason_not_safe": None, "cinder_id": None,
                     "extra_info": None}]
    assert old.status == 404
    assert m.status == 202
    assert m.json["volume"]["status"] == "creating"
    assert "os-vol-tenant-attr:tenant_id" not in m.json["volume"]
    assert str(new.status) == "available"
    assert new.size == 2
    assert new.display_name == "again"
    assert new_digest == digest
    # The LV is now named after the new volume: the old name is gone.
    assert again.status == 202
    assert missing.status == 400
    assert msg(missing) == "Host 'nohost@x#y' not found"
    assert check_trace(result.trace.events) == []


def test_unmanage_and_manage_snapshot() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        sid = await snapshot(cloud, vid)
        r = await call(cloud, "POST", f"/snapshots/{sid}/action", {"os-unmanage": {}},
                       user="admin")
        await cloud.settle()
        gone = sid not in cloud.db.snapshots
        m = await call(cloud, "POST", "/os-snapshot-manage", {"snapshot": {
            "volume_id": vid, "ref": {"source-name": f"_snapshot-{sid}"}, "name": "s",
            "metadata": {"a": "b"}}}, user="admin")
        await cloud.settle()
        new = cloud.db.snapshots[m.json["snapshot"]["id"]]
        member = await call(cloud, "POST", "/os-snapshot-manage", {"snapshot": {
            "volume_id": vid, "ref": {"source-name": "x"}}})
        return r, gone, m, new, member
    r, gone, m, new, member = simulate(main).value
    assert r.status == 202
    assert gone
    assert m.status == 202
    assert set(m.json["snapshot"]) == {"id", "created_at", "updated_at", "name", "description",
                                       "volume_id", "status", "size", "metadata"}
    assert str(new.status) == "available"
    assert new.metadata == {"a": "b"}
    assert member.status == 403


def test_update_snapshot_status() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud)
        sid = await snapshot(cloud, vid)
        avail = await call(cloud, "POST", f"/snapshots/{sid}/action",
                           {"os-update_snapshot_status": {"status": "error"}})
        cloud.db.snapshots[sid].status = "creating"  # type: ignore[assignment]
        bad = await call(cloud, "POST", f"/snapshots/{sid}/action",
                         {"os-update_snapshot_status": {"status": "deleting"}})
        ok = await call(cloud, "POST", f"/snapshots/{sid}/action",
                        {"os-update_snapshot_status": {"status": "error",
                                                       "progress": "50%"}})
        return avail, bad, ok, cloud.db.snapshots[sid]
    avail, bad, ok, snap = simulate(main).value
    assert avail.status == 400
    assert msg(avail) == "Snapshot status available not allowed for update_snapshot_status"
    assert bad.status == 400
    assert msg(bad) == ("Provided snapshot status deleting not allowed for snapshot with "
                        "status creating.")
    assert ok.status == 202
    assert str(snap.status) == "error"
    assert snap.progress == "50%"
