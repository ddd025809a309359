"""A workload that sends every RPC method the services serve (for the bus fault tests).

Each step goes through the public REST APIs (cinder-api, nova-api), as a user would;
the cloud settles after each so that the work of one step is done before the next.
"""

from __future__ import annotations

from typing import Any

from cindersim.backends.faults import FaultRule
from cindersim.bus import target_of
from cindersim.cloud import Cloud, Response

C = "/compute/v2.1"
TWO_BACKENDS: dict[str, Any] = {
    "DEFAULT": {"enabled_backends": "fast,slow"},
    "fast": {"host": "cinder-1", "volume_backend_name": "FAST", "vg_size_gb": 20},
    "slow": {"host": "cinder-2", "volume_backend_name": "SLOW", "vg_size_gb": 20,
             "lvm_type": "default", "target_helper": "lioadm"},
}
CONNECTOR = {"initiator": "iqn.1994-05.com.redhat:compute-9", "ip": "192.168.122.29",
             "host": "compute-9", "platform": "x86_64", "os_type": "linux",
             "multipath": False}


class Client:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.responses: list[tuple[str, str, int]] = []

    async def __call__(self, method: str, rest: str, body: Any = None, *, user: str = "demo",
                       version: str = "3.60", settle: bool = True) -> Response:
        cloud = self.cloud
        path = rest if rest.startswith("/compute") else f"/v3/{cloud.project_id(user)}{rest}"
        headers = None if rest.startswith("/compute") else {
            "OpenStack-API-Version": f"volume {version}"}
        r = await cloud.request(method, path, json=body, token=cloud.token(user),
                                headers=headers)
        self.responses.append((method, rest, r.status))
        if r.status >= 500:
            print("500", method, rest, body, r.json)
        if settle:
            await cloud.settle()
        return r

    async def action(self, vid: str, body: Any, *, user: str = "demo",
                     version: str = "3.60") -> Response:
        return await self(
            "POST", f"/volumes/{vid}/action", body, user=user, version=version)


def _id(r: Response, key: str) -> str:
    assert r.status in (200, 202), (r.status, r.json)
    return str(r.json[key]["id"])


async def workload(cloud: Cloud) -> Client:
    """Create, snapshot, clone, extend, attach (three ways), back up, restore, retype,
    migrate, revert, upload, reimage, manage, unmanage, boot, snapshot a server, delete."""
    api = Client(cloud)
    image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
    vid = _id(await api("POST", "/volumes", {"volume": {"size": 1, "name": "a"}}), "volume")
    cloud.volume_data(vid).write(0, 8, "first")
    sid = _id(await api("POST", "/snapshots", {"snapshot": {"volume_id": vid}}), "snapshot")
    clone = _id(await api("POST", "/volumes", {"volume": {"size": 1, "source_volid": vid}}),
                "volume")
    from_snap = _id(await api("POST", "/volumes", {"volume": {"snapshot_id": sid}}), "volume")
    await api.action(vid, {"revert": {"snapshot_id": sid}}, version="3.40")
    await api.action(vid, {"os-extend": {"new_size": 2}})
    # The attachments API (3.44+): reserve, connect, complete, extend in use, delete.
    att = _id(await api("POST", "/attachments", {"attachment": {
        "volume_uuid": clone, "instance_uuid": "00000000-0000-4000-8000-000000000001",
        "connector": CONNECTOR}}), "attachment")
    await api("POST", f"/attachments/{att}/action", {"os-complete": {}})
    await api.action(clone, {"os-extend": {"new_size": 2}})
    await api("DELETE", f"/attachments/{att}")
    # The legacy actions.
    await api.action(from_snap, {"os-reserve": {}})
    await api.action(from_snap, {"os-initialize_connection": {"connector": CONNECTOR}})
    await api.action(from_snap, {"os-attach": {"instance_uuid":
                                               "00000000-0000-4000-8000-000000000002",
                                               "mountpoint": "/dev/vdc"}})
    await api.action(from_snap, {"os-begin_detaching": {}})
    await api.action(from_snap, {"os-terminate_connection": {"connector": CONNECTOR}})
    await api.action(from_snap, {"os-detach": {}})
    # Backups: create, restore into a new volume and into the source, a new volume from it.
    bid = _id(await api("POST", "/backups", {"backup": {"volume_id": vid}}), "backup")
    r = await api("POST", f"/backups/{bid}/restore", {"restore": {}})
    restored = str(r.json["restore"]["volume_id"]) if r.status == 202 else None
    await api("POST", f"/backups/{bid}/restore", {"restore": {"volume_id": vid}})
    from_backup = _id(await api("POST", "/volumes", {"volume": {"backup_id": bid}},
                                version="3.47"), "volume")
    # Types: retype across backends (a migration), then an admin migration back.
    slow = _id(await api("POST", "/types", {"volume_type": {
        "name": "slow", "extra_specs": {"volume_backend_name": "SLOW"}}}, user="admin"),
        "volume_type")
    await api.action(from_backup, {"os-retype": {"new_type": slow,
                                                 "migration_policy": "on-demand"}})
    host = cloud.db.volumes[from_snap].host or ""
    dest = "cinder-1@fast" if host.startswith("cinder-2@slow") else "cinder-2@slow"
    # A migration whose source fails to attach: the destination is cleaned up over RPC
    # (delete_migration_target); then the same migration again, which goes through.
    cloud.inject(FaultRule(op="initialize_connection", backend=host.split("#")[0],
                           volume_id=from_snap))
    await api.action(from_snap, {"os-migrate_volume": {"host": dest}}, user="admin")
    await api.action(from_snap, {"os-migrate_volume": {"host": dest}}, user="admin")
    # Images: upload a volume, reimage it.
    await api.action(clone, {"os-volume_upload_image": {"image_name": "up",
                                                        "disk_format": "raw"}})
    await api.action(clone, {"os-reimage": {"image_id": image, "reimage_reserved": False}},
                     version="3.68")
    # Manage: unmanage a volume and a snapshot, list what can be managed, manage back.
    snap2 = _id(await api("POST", "/snapshots", {"snapshot": {"volume_id": clone}}),
                "snapshot")
    show = await api("GET", f"/volumes/{clone}", user="admin")
    vhost = show.json["volume"]["os-vol-host-attr:host"]
    await api("POST", f"/snapshots/{snap2}/action", {"os-unmanage": {}}, user="admin")
    await api.action(clone, {"os-unmanage": {}}, user="admin")
    await api("GET", f"/manageable_volumes/detail?host={vhost}", user="admin")
    await api("GET", f"/manageable_snapshots/detail?host={vhost}", user="admin")
    m = await api("POST", "/os-volume-manage", {"volume": {
        "host": vhost, "ref": {"source-name": f"volume-{clone}"}}}, user="admin")
    managed = str(m.json["volume"]["id"]) if m.status == 202 else None
    if managed is not None:
        await api("POST", "/os-snapshot-manage", {"snapshot": {
            "volume_id": managed, "ref": {"source-name": f"_snapshot-{snap2}"}}},
            user="admin")
    await api("GET", "/scheduler-stats/get_pools?detail=true", user="admin")
    # Nova: boot from an image, attach and detach a volume, snapshot the server, resize it
    # (reverted, then confirmed), delete.
    r = await api("POST", f"{C}/servers", {"server": {"name": "vm", "imageRef": image,
                                                      "flavorRef": "1"}})
    server = _id(r, "server")
    await api("POST", f"{C}/servers/{server}/os-volume_attachments",
              {"volumeAttachment": {"volumeId": vid}})
    await api.action(vid, {"os-extend": {"new_size": 3}})
    await api("POST", f"{C}/servers/{server}/action", {"createImage": {"name": "snap"}})
    for finish in ("revertResize", "confirmResize"):  # resize with the volume attached
        await api("POST", f"{C}/servers/{server}/action", {"resize": {"flavorRef": "2"}})
        await api("POST", f"{C}/servers/{server}/action", {finish: None})
    await api("DELETE", f"{C}/servers/{server}/os-volume_attachments/{vid}")
    await api("DELETE", f"{C}/servers/{server}")
    await completions(cloud, api, from_snap)
    await groups(api)
    # Clean up everything that can go.
    # Backup records: export one, import it back under its own id once it is gone.
    r = await api("GET", f"/backups/{bid}/export_record", user="admin")
    record = r.json["backup-record"] if r.status == 200 else None
    await api("DELETE", f"/backups/{bid}")
    if record is not None:
        imported = await api("POST", "/backups/import_record",
                             {"backup-record": record}, user="admin")
        if imported.status == 201:
            await api("DELETE", f"/backups/{imported.json['backup']['id']}", user="admin")
    for snap in list(cloud.db.snapshots):
        await api("DELETE", f"/snapshots/{snap}", user="admin")
    for each in [vid, from_snap, restored, from_backup, managed]:
        if each is not None:
            await api("DELETE", f"/volumes/{each}?cascade=true", user="admin")
    return api


async def groups(api: Client) -> None:
    """A group's life: placed by the scheduler, a volume created into it, another added,
    a group snapshot, a group made from it (validate_host_capacity, create_group_from_src),
    then everything deleted with the groups."""
    v = "3.64"
    gt = _id(await api("POST", "/group_types", {"group_type": {"name": "gt"}},
                       user="admin", version=v), "group_type")
    vt = _id(await api("POST", "/types", {"volume_type": {"name": "gvt"}}, user="admin",
                       version=v), "volume_type")
    gid = _id(await api("POST", "/groups", {"group": {"name": "g", "group_type": gt,
                                                      "volume_types": [vt]}}, version=v),
              "group")
    _id(await api("POST", "/volumes", {"volume": {"size": 1, "volume_type": vt,
                                                           "group_id": gid}}, version=v),
                 "volume")
    loose = _id(await api("POST", "/volumes", {"volume": {"size": 1, "volume_type": vt}},
                          version=v), "volume")
    await api("PUT", f"/groups/{gid}", {"group": {"add_volumes": loose}}, version=v)
    gsid = _id(await api("POST", "/group_snapshots", {"group_snapshot": {"group_id": gid}},
                         version=v), "group_snapshot")
    copy = await api("POST", "/groups/action", {"create-from-src": {
        "group_snapshot_id": gsid, "name": "copy"}}, version=v)
    if copy.status == 202:
        await api("POST", f"/groups/{copy.json['group']['id']}/action",
                  {"delete": {"delete-volumes": True}}, version=v)
    await api("DELETE", f"/group_snapshots/{gsid}", version=v)
    await api("POST", f"/groups/{gid}/action", {"delete": {"delete-volumes": True}},
              version=v)


async def completions(cloud: Cloud, api: Client, vid: str) -> None:
    """The completion calls Nova makes back (``os-extend_volume_completion`` after a
    driver that extends through Nova, ``os-migrate_volume_completion`` after a swap).
    No LVM flow leaves a volume waiting for them, so the states they answer are set
    up directly in the database, as such a driver (or Nova's swap) would leave them."""
    db = cloud.db
    vol = db.volumes[vid]
    if vol.status != "available":
        # Cinder's _extend moves only an 'available' volume to 'extending' (conditional
        # update); a lost os-detach leaves this one 'detaching', so no driver could have
        # left it waiting for a completion.
        return
    pid = vol.project_id
    ids = cloud.quota.reserve(pid, {"gigabytes": 1})
    db.transition(vol, "extending", op="extend", actor="test")
    # cinder-api's os-extend_volume_completion casts this (its policy rule is not
    # registered in cindersim yet: the action answers 500, so the cast is sent as it would).
    cloud.bus.cast("cinder-api", target_of("cinder-volume", (vol.host or "").split("#")[0]),
                   "extend_volume_completion", volume_id=vid, new_size=vol.size + 1,
                   reservations=ids, error=False)
    await cloud.settle()
    new = _id(await api("POST", "/volumes", {"volume": {"size": vol.size}}), "volume")
    # A migration's destination is a temporary volume outside quota (use_quota False).
    target = db.volumes[new]
    cloud.quota.release_volume(pid, target.size, target.volume_type_id, True)
    target.use_quota = False
    for step in ("starting", "migrating"):
        db.transition(vol, step, op="migrate", actor="test", field="migration_status")
    db.transition(db.volumes[new], f"target:{vid}", op="migrate", actor="test",
                  field="migration_status")
    await api.action(vid, {"os-migrate_volume_completion": {"new_volume": new}},
                     user="admin")
