"""A backup keeps its volume's metadata in ``_metadata``; a restore writes it back.

``BackupMetadataAPI`` (cinder/backup/driver.py), ``ChunkedBackupDriver.restore``'s
``put_metadata`` and the manager's ``src_backup_id`` (cinder/backup/manager.py).
Tempest's ``test_volume_backup_create_get_detailed_list_restore_delete`` checks the
restored volume carries the source's metadata.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cindersim import Cloud, simulate
from cindersim.errors import BackupMetadataUnsupportedVersion, VolumeNotFound
from cindersim.services.backup.metadata import BackupMetadataAPI
from cindersim.states import check_trace

BIG = {"DEFAULT": {"quota_volumes": 20, "quota_backups": 20}}
META = {"vol-meta1": "value1", "vol-meta2": "value2", "vol-meta3": "value3"}


async def _volume(cloud: Cloud, **body: Any) -> str:
    pid = cloud.project_id("demo")
    r = await cloud.request("POST", f"/v3/{pid}/volumes",
                            json={"volume": {"size": 1, **body}}, token=cloud.token("demo"))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _call(cloud: Cloud, method: str, path: str, body: Any = None) -> Any:
    pid = cloud.project_id("demo")
    r = await cloud.request(method, f"/v3/{pid}{path}", json=body, token=cloud.token("demo"))
    await cloud.settle()
    return r


async def _backup(cloud: Cloud, vid: str, **extra: Any) -> str:
    r = await _call(cloud, "POST", "/backups", {"backup": {"volume_id": vid, **extra}})
    assert r.status == 202, r.json
    return str(r.json["backup"]["id"])


def _saved(cloud: Cloud, backup_id: str) -> dict[str, Any]:
    """The ``volume_meta`` of the backup's ``_metadata`` object, decoded."""
    backup = cloud.db.backups[backup_id]
    stored = cloud.backup.store.peek(backup.container or "",
                                     f"{backup.service_metadata}_metadata")
    assert stored is not None
    meta = stored.body["volume_meta"]  # type: ignore[index]
    assert isinstance(meta, str)  # a JSON string inside the JSON document, as Cinder's
    decoded: dict[str, Any] = json.loads(meta)
    return decoded


def test_the_metadata_object_keeps_base_user_and_image_metadata() -> None:
    async def main(cloud: Cloud) -> Any:
        image = next(i for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        vid = await _volume(cloud, name="src", description="the source", metadata=META,
                            imageRef=image.id)
        bid = await _backup(cloud, vid, name="b1")
        return vid, image.id, _saved(cloud, bid)

    vid, image_id, saved = simulate(main, config=BIG).value
    assert set(saved) == {"version", "volume-base-metadata", "volume-metadata",
                          "volume-glance-metadata"}
    assert saved["version"] == 2
    assert saved["volume-metadata"] == META
    assert saved["volume-glance-metadata"]["image_id"] == image_id
    base = saved["volume-base-metadata"]
    # The row as it was while backed up: its columns, not the metadata tables.
    assert (base["id"], base["display_name"], base["status"]) == (vid, "src", "backing-up")
    assert "metadata" not in base
    assert "glance_metadata" not in base


def test_restore_to_a_new_volume_brings_the_source_metadata_name_and_bootable() -> None:
    async def main(cloud: Cloud) -> Any:
        image = next(i for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
        vid = await _volume(cloud, name="src", description="the source", metadata=META,
                            imageRef=image.id)
        bid = await _backup(cloud, vid)
        r = await _call(cloud, "POST", f"/backups/{bid}/restore", {"restore": {}})
        assert r.status == 202, r.json
        assert r.json["restore"]["volume_name"] == f"restore_backup_{bid}"
        shown = await _call(cloud, "GET", f"/volumes/{r.json['restore']['volume_id']}")
        return bid, image.id, shown.json["volume"], cloud.trace.events

    bid, image_id, vol, events = simulate(main, config=BIG).value
    assert vol["status"] == "available"
    assert vol["metadata"] == {**META, "src_backup_id": bid}
    # The API named the volume restore_backup_<id>: the source's name replaces it.
    assert (vol["name"], vol["description"]) == ("src", "the source")
    assert vol["bootable"] == "true"
    assert vol["volume_image_metadata"]["image_id"] == image_id
    assert check_trace(events) == []


def test_restore_into_the_source_volume_puts_its_old_metadata_back() -> None:
    """Restore replaces the metadata (delete=True) and adds no src_backup_id for the
    backup's own volume."""
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, name="src", metadata=META)
        bid = await _backup(cloud, vid)
        r = await _call(cloud, "PUT", f"/volumes/{vid}/metadata",
                        {"metadata": {"later": "x"}})
        assert r.status == 200, r.json
        await _call(cloud, "PUT", f"/volumes/{vid}", {"volume": {"name": "renamed"}})
        r = await _call(cloud, "POST", f"/backups/{bid}/restore", {"restore": {"volume_id": vid}})
        assert r.status == 202, r.json
        return (await _call(cloud, "GET", f"/volumes/{vid}")).json["volume"]

    vol = simulate(main, config=BIG).value
    assert vol["metadata"] == META
    assert vol["name"] == "renamed"  # a named target keeps its name
    assert vol["bootable"] == "false"


def test_restore_into_another_named_volume_replaces_its_metadata_keeps_its_name() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, name="src", metadata=META)
        bid = await _backup(cloud, src)
        dst = await _volume(cloud, name="dst", metadata={"own": "1"})
        r = await _call(cloud, "POST", f"/backups/{bid}/restore", {"restore": {"volume_id": dst}})
        assert r.status == 202, r.json
        return bid, (await _call(cloud, "GET", f"/volumes/{dst}")).json["volume"]

    bid, vol = simulate(main, config=BIG).value
    assert vol["metadata"] == {**META, "src_backup_id": bid}
    assert vol["name"] == "dst"


def test_a_source_without_metadata_leaves_the_targets_own() -> None:
    """No ``volume-metadata`` part saved: nothing to put, the target keeps its keys."""
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud)
        bid = await _backup(cloud, src)
        dst = await _volume(cloud, name="dst", metadata={"own": "1"})
        await _call(cloud, "POST", f"/backups/{bid}/restore", {"restore": {"volume_id": dst}})
        return bid, _saved(cloud, bid), (await _call(cloud, "GET", f"/volumes/{dst}")).json

    bid, saved, shown = simulate(main, config=BIG).value
    assert "volume-metadata" not in saved
    assert shown["volume"]["metadata"] == {"own": "1", "src_backup_id": bid}


def test_an_incremental_restore_applies_each_backups_metadata_in_order() -> None:
    async def main(cloud: Cloud) -> Any:
        src = await _volume(cloud, name="src", metadata={"a": "1"})
        full = await _backup(cloud, src)
        await _call(cloud, "PUT", f"/volumes/{src}/metadata", {"metadata": {"b": "2"}})
        incr = await _backup(cloud, src, incremental=True)
        r = await _call(cloud, "POST", f"/backups/{incr}/restore", {"restore": {}})
        new = r.json["restore"]["volume_id"]
        return full, incr, (await _call(cloud, "GET", f"/volumes/{new}")).json["volume"]

    full, incr, vol = simulate(main, config=BIG).value
    assert full != incr
    assert vol["metadata"] == {"b": "2", "src_backup_id": incr}


def test_unsupported_version_and_a_missing_volume_are_refused() -> None:
    async def main(cloud: Cloud) -> None:
        vid = await _volume(cloud)
        with pytest.raises(BackupMetadataUnsupportedVersion):
            BackupMetadataAPI(cloud.db).put(vid, json.dumps({"version": 7}))
        with pytest.raises(VolumeNotFound):
            BackupMetadataAPI(cloud.db).get("00000000-0000-4000-8000-000000000000")

    simulate(main)
