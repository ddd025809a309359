"""Issue 22: manage/unmanage on NFS and FC backends, never a 500.

NFS answers what Cinder's NfsDriver answers (it is a BaseVD without the manage
methods): an empty manageable list, a manage that is accepted and ends
``error_managing`` (a snapshot: ``error``), an unmanage that ends
``error_unmanaging`` (a snapshot: ``error_deleting``).  The FC array driver
manages LUNs and array snapshots by name, as vendors' FC drivers do.
"""

from __future__ import annotations

from typing import Any

from helpers_api_b import action, call, snapshot, volume

from cindersim.cloud import Cloud, simulate
from cindersim.config import FC_DRIVER, NFS_DRIVER
from cindersim.states import check_trace

NFS = {"DEFAULT": {"enabled_backends": "nfs-1"},
       "nfs-1": {"volume_driver": NFS_DRIVER, "nfs_snapshot_support": True}}
FC = {"DEFAULT": {"enabled_backends": "fc-1", "zoning_mode": "fabric"},
      "fc-1": {"volume_driver": FC_DRIVER}}


async def _host(cloud: Cloud, vid: str) -> str:
    show = await call(cloud, "GET", f"/volumes/{vid}", user="admin")
    return str(show.json["volume"]["os-vol-host-attr:host"])


def test_nfs_manage_answers_as_cinders_nfs_driver() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud, size=1)
        plain = await volume(cloud, size=1)
        sid = await snapshot(cloud, vid)
        host = await _host(cloud, vid)
        lists = [await call(cloud, "GET", f"/manageable_{k}/detail?host={host}", user="admin")
                 for k in ("volumes", "snapshots")]
        legacy = await call(cloud, "GET", f"/os-volume-manage?host={host}", user="admin")
        m = await call(cloud, "POST", "/os-volume-manage", {"volume": {
            "host": host, "ref": {"source-name": f"{host}/volume-x"}}}, user="admin")
        ms = await call(cloud, "POST", "/os-snapshot-manage", {"snapshot": {
            "volume_id": vid, "ref": {"source-name": "x"}}}, user="admin")
        await cloud.settle()
        shown = await call(cloud, "GET", f"/volumes/{m.json['volume']['id']}", user="admin")
        snap_shown = await call(cloud, "GET", f"/snapshots/{ms.json['snapshot']['id']}",
                                user="admin")
        un = await action(cloud, plain, {"os-unmanage": {}}, user="admin")
        uns = await call(cloud, "POST", f"/snapshots/{sid}/action", {"os-unmanage": {}},
                         user="admin")
        await cloud.settle()
        return (lists, legacy, m, ms, shown, snap_shown, un, uns,
                str(cloud.db.volumes[plain].status), str(cloud.db.snapshots[sid].status))
    result = simulate(main, config=NFS)
    lists, legacy, m, ms, shown, snap_shown, un, uns, vstat, sstat = result.value
    assert [r.status for r in lists] == [200, 200]
    assert lists[0].json == {"manageable-volumes": []}
    assert lists[1].json == {"manageable-snapshots": []}
    assert legacy.status == 200
    assert legacy.json == {"manageable-volumes": []}
    assert m.status == 202
    assert ms.status == 202
    assert shown.json["volume"]["status"] == "error"  # error_managing, shown as error
    assert snap_shown.json["snapshot"]["status"] == "error"
    assert un.status == 202
    assert uns.status == 202
    # NfsDriver has no unmanage_snapshot (AttributeError); BaseVD's unmanage raises.
    assert sstat == "error_deleting"
    assert vstat == "error_unmanaging"
    reasons = [e.detail.get("reason", "") for e in result.trace.events
               if e.kind == "status"]
    assert any("'NfsDriver' object has no attribute 'manage_existing_get_size'" in str(r)
               for r in reasons)
    assert check_trace(result.trace.events) == []


def test_fc_manage_by_lun_name_keeps_the_data() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await volume(cloud, size=2)
        sid = await snapshot(cloud, vid)
        cloud.volume_data(vid).write(0, 4, "keep")
        digest = cloud.volume_data(vid).digest()
        host = await _host(cloud, vid)
        uns = await call(cloud, "POST", f"/snapshots/{sid}/action", {"os-unmanage": {}},
                         user="admin")
        await cloud.settle()
        un = await action(cloud, vid, {"os-unmanage": {}}, user="admin")
        await cloud.settle()
        vols = await call(cloud, "GET", f"/manageable_volumes/detail?host={host}",
                          user="admin")
        snaps = await call(cloud, "GET", f"/manageable_snapshots/detail?host={host}",
                           user="admin")
        m = await call(cloud, "POST", "/os-volume-manage", {"volume": {
            "host": host, "ref": {"source-name": f"volume-{vid}"}, "name": "again"}},
            user="admin")
        await cloud.settle()
        new_id = m.json["volume"]["id"]
        ms = await call(cloud, "POST", "/os-snapshot-manage", {"snapshot": {
            "volume_id": new_id, "ref": {"source-name": f"snapshot-{sid}"}}}, user="admin")
        bad = await call(cloud, "POST", "/os-volume-manage", {"volume": {
            "host": host, "ref": {"source-name": "no-such-lun"}}}, user="admin")
        await cloud.settle()
        after = await call(cloud, "GET", f"/manageable_snapshots/detail?host={host}",
                           user="admin")
        return (uns, un, vols, snaps, m, cloud.db.volumes[new_id],
                cloud.volume_data(new_id).digest(), digest, ms,
                cloud.db.snapshots[ms.json["snapshot"]["id"]],
                cloud.db.volumes[bad.json["volume"]["id"]], after, vid, sid, new_id)
    result = simulate(main, config=FC)
    (uns, un, vols, snaps, m, new, new_digest, digest, ms, new_snap, bad, after, vid, sid,
     new_id) = result.value
    assert uns.status == 202
    assert un.status == 202
    assert vols.json["manageable-volumes"] == [{
        "reference": {"source-name": f"volume-{vid}"}, "size": 2, "safe_to_manage": True,
        "reason_not_safe": None, "cinder_id": None, "extra_info": None}]
    assert snaps.json["manageable-snapshots"] == [{
        "reference": {"source-name": f"snapshot-{sid}"}, "size": 2, "safe_to_manage": True,
        "reason_not_safe": None, "extra_info": None, "cinder_id": None,
        "source_reference": {"source-name": f"volume-{vid}"}}]
    assert m.status == 202
    assert str(new.status) == "available"
    assert new.size == 2
    assert new_digest == digest
    assert ms.status == 202
    assert str(new_snap.status) == "available"
    assert str(bad.status) == "error_managing"
    entry = after.json["manageable-snapshots"][0]
    assert entry["reference"] == {"source-name": f"snapshot-{new_snap.id}"}
    assert entry["safe_to_manage"] is False
    assert entry["cinder_id"] == new_snap.id
    assert entry["source_reference"] == {"source-name": f"volume-{new_id}"}
    assert check_trace(result.trace.events) == []
