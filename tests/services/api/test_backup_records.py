"""Backup export_record / import_record against cinder/api/contrib/backups.py,
cinder/backup/api.py and the backup manager: the record is base64 JSON, an import
writes the row ``creating`` and cinder-backup makes it ``available``."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from apitest import UNKNOWN, bad, create_volume, forbidden, not_found, req, run

from cindersim.cloud import Cloud


def _url(record: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(record).encode()).decode()


async def _available_backup(cloud: Cloud, user: str = "admin") -> tuple[str, str]:
    vid = await create_volume(cloud, user)
    await cloud.settle()
    r = await req(cloud, "POST", "/backups", user, {"backup": {"volume_id": vid}})
    assert r.status == 202, r.json
    await cloud.settle()
    return vid, str(r.json["backup"]["id"])


COPY = "2c2a3c4e-1111-4222-8333-944455556666"


def test_export_import_restore() -> None:
    """The record is exported, then imported under a new id (as onto a rebuilt
    database): the copy points at the same objects, so it restores the data."""

    async def main(cloud: Cloud) -> dict[str, Any]:
        vid, bid = await _available_backup(cloud)
        out: dict[str, Any] = {"vid": vid, "bid": bid}
        r = await req(cloud, "GET", f"/backups/{bid}/export_record", "admin")
        out["export"] = (r.status, r.json)
        out["original"] = (await req(cloud, "GET", f"/backups/{bid}", "admin")).json["backup"]
        r = await req(cloud, "POST", "/backups/import_record", "admin",
                      {"backup-record": r.json["backup-record"]})
        out["import_existing"] = (r.status, r.json)
        service = out["export"][1]["backup-record"]["backup_service"]
        record = json.loads(base64.b64decode(out["export"][1]["backup-record"]["backup_url"]))
        record["id"] = COPY
        r = await req(cloud, "POST", "/backups/import_record", "admin",
                      {"backup-record": {"backup_service": service, "backup_url": _url(record)}})
        out["import"] = (r.status, r.json)
        out["status_at_once"] = str(cloud.db.backups[COPY].status)
        await cloud.settle()
        out["imported"] = (await req(cloud, "GET", f"/backups/{COPY}", "admin")).json["backup"]
        out["of_volume"] = [b.id for b in cloud.db.backups_of(vid)]
        out["quota"] = (await req(cloud, "GET",
                                  f"/os-quota-sets/{cloud.project_id('admin')}?usage=true",
                                  "admin")).json["quota_set"]["backups"]
        r = await req(cloud, "POST", f"/backups/{COPY}/restore", "admin",
                      {"restore": {"volume_id": vid}})
        out["restore"] = r.status
        await cloud.settle()
        out["restored"] = (str(cloud.db.volumes[vid].status),
                           str(cloud.db.backups[COPY].status))
        return out

    out = run(main)
    status, body = out["export"]
    assert status == 200
    assert body["backup-record"]["backup_service"] == \
        "cinder.backup.drivers.swift.SwiftBackupDriver"
    record = json.loads(base64.b64decode(body["backup-record"]["backup_url"]))
    assert next(iter(record)) == "driver_info"
    assert record["driver_info"] == {}
    assert (record["id"], record["volume_id"], record["size"]) == (out["bid"], out["vid"], 1)
    assert record["status"] == "available"
    assert out["import_existing"] == (400, bad("Invalid backup: Backup already exists in "
                                               "database."))
    status, body = out["import"]
    assert status == 201
    assert body["backup"]["id"] == COPY
    assert body["backup"]["name"] is None
    assert out["status_at_once"] == "creating"
    imported, original = out["imported"], out["original"]
    assert imported["status"] == "available"
    for key in ("volume_id", "container", "size", "object_count", "created_at"):
        assert imported[key] == original[key], key
    assert out["of_volume"] == [out["bid"], COPY]
    assert out["quota"]["in_use"] == 2
    assert out["restore"] == 202
    assert out["restored"] == ("available", "available")


def test_export_refusals() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        _, bid = await _available_backup(cloud, "demo")
        out: dict[str, Any] = {"bid": bid}
        r = await req(cloud, "GET", f"/backups/{bid}/export_record", "demo")
        out["member"] = (r.status, r.json)
        r = await req(cloud, "GET", f"/backups/{bid}/export_record", "alt_demo")
        out["other_project"] = (r.status, r.json)
        r = await req(cloud, "GET", f"/backups/{UNKNOWN}/export_record", "admin")
        out["missing"] = (r.status, r.json)
        cloud.db.backups[bid].status = "error"  # as after a failed driver call
        r = await req(cloud, "GET", f"/backups/{bid}/export_record", "admin")
        out["not_available"] = (r.status, r.json)
        return out

    out = run(main)
    assert out["member"] == (403, forbidden("backup:export-import"))
    assert out["other_project"] == (404, not_found(f"Backup {out['bid']} could not be found."))
    assert out["missing"] == (404, not_found(f"Backup {UNKNOWN} could not be found."))
    assert out["not_available"] == (400, bad("Invalid backup: Backup status must be available "
                                             "and not error."))


def test_import_refusals_and_failures() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        out: dict[str, Any] = {}
        good = {"id": UNKNOWN, "size": 1, "display_name": "n", "display_description": None,
                "container": "c", "service_metadata": "p", "object_count": 0}
        cases: dict[str, Any] = {
            "member": ("demo", {"backup-record": {"backup_service": "x",
                                                  "backup_url": _url(good)}}),
            "no_record": ("admin", {"record": {}}),
            "no_url": ("admin", {"backup-record": {"backup_service": "x"}}),
            "extra": ("admin", {"backup-record": {"backup_service": "x", "backup_url": "eA==",
                                                  "more": 1}}),
            "empty_url": ("admin", {"backup-record": {"backup_service": "x",
                                                      "backup_url": ""}}),
            "not_json": ("admin", {"backup-record": {"backup_service": "x",
                                                     "backup_url": _url({})[:0] + "bm9wZQ=="}}),
            "no_id": ("admin", {"backup-record": {"backup_service": "x",
                                                  "backup_url": _url({"size": 1})}}),
            "no_size": ("admin", {"backup-record": {"backup_service": "x",
                                                    "backup_url": _url({"id": UNKNOWN})}}),
        }
        for name, (user, body) in cases.items():
            r = await req(cloud, "POST", "/backups/import_record", user, body)
            out[name] = (r.status, r.json)
        before = len(cloud.db.backups)
        out["rows_unchanged"] = before == 0
        # A record of another backup service: no host can import it, the row is 'error'.
        r = await req(cloud, "POST", "/backups/import_record", "admin",
                      {"backup-record": {"backup_service": "cinder.backup.drivers.nfs",
                                         "backup_url": _url(good)}})
        out["foreign"] = r.status
        await cloud.settle()
        row = cloud.db.backups[UNKNOWN]
        out["foreign_row"] = (row.status, row.fail_reason, row.volume_id)
        # A record missing a required field: decoded, then refused.
        other = "1c2a3c4e-1111-4222-8333-944455556666"
        r = await req(cloud, "POST", "/backups/import_record", "admin",
                      {"backup-record": {"backup_service": "",
                                         "backup_url": _url({"id": other, "size": 2})}})
        out["incomplete"] = r.status
        await cloud.settle()
        row = cloud.db.backups[other]
        out["incomplete_row"] = (row.status, row.fail_reason)
        cloud.backup.stop()
        await asyncio.sleep(200)  # past service_down_time
        r = await req(cloud, "POST", "/backups/import_record", "admin",
                      {"backup-record": {"backup_service": "x", "backup_url": _url(good)}})
        out["no_service"] = (r.status, r.json)
        return out

    out = run(main)
    assert out["member"] == (403, forbidden("backup:backup-import"))
    assert out["no_record"] == (400, bad("'backup-record' is a required property"))
    assert out["no_url"] == (400, bad("Invalid input for field/attribute backup-record. Value: "
                                      "{'backup_service': 'x'}. 'backup_url' is a required "
                                      "property"))
    assert out["extra"][0] == 400
    assert "('more' was unexpected)" in out["extra"][1]["badRequest"]["message"]
    assert out["empty_url"] == (400, bad("Invalid input for field/attribute backup_url. "
                                         "Value: . '' is too short"))
    assert out["not_json"] == (400, bad("Invalid input received: Can't parse backup record."))
    assert out["no_id"] == (400, bad("Invalid input received: Provided backup record is "
                                     "missing an id"))
    assert out["no_size"] == (400, bad("Invalid input received: Provided backup record is "
                                       "missing size attribute"))
    assert out["rows_unchanged"]
    assert out["foreign"] == 201
    assert out["foreign_row"] == (
        "error", "Import record failed, cannot find backup service to perform the import. "
                 "Request service cinder.backup.drivers.nfs.",
        "00000000-0000-0000-0000-000000000000")
    assert out["incomplete"] == 201
    status, reason = out["incomplete_row"]
    assert status == "error"
    assert reason.startswith("Driver successfully decoded imported backup data, but there "
                             "are missing fields (")
    assert out["no_service"] == (503, {"serviceUnavailable": {
        "code": 503, "message": "Service x could not be found."}})


def test_list_paging_count_and_views() -> None:
    """Backups lists page through listing.py; 3.45 count, 3.18/3.56 attributes for
    admins only, ``name`` as a sort key from 3.37."""

    async def main(cloud: Cloud) -> dict[str, Any]:
        vid = await create_volume(cloud, "demo")
        await cloud.settle()
        for name in ("b1", "b2", "b3"):
            r = await req(cloud, "POST", "/backups", "demo",
                          {"backup": {"volume_id": vid, "name": name}})
            assert r.status == 202, r.json
            await cloud.settle()
        out: dict[str, Any] = {}
        for key, (sub, user, version) in {
            "page": ("/backups?sort=name:asc&limit=2&with_count=true", "demo", "3.45"),
            "no_count_old": ("/backups?sort=name:asc&limit=2", "demo", "3.44"),
            "offset": ("/backups/detail?sort=name:asc&offset=2", "demo", "3.45"),
            "name_sort_old": ("/backups?sort=name:asc", "demo", "3.36"),
            "bad_marker": (f"/backups?marker={UNKNOWN}", "demo", "3.45"),
            "member_detail": ("/backups/detail?name=b1", "demo", "3.56"),
            "admin_detail": ("/backups/detail?all_tenants=1&name=b1", "admin", "3.56"),
            "admin_no_column": ("/backups?all_tenants=1&colour=red", "admin", "3.45"),
            "member_bad_filter": ("/backups?colour=red", "demo", "3.45"),
        }.items():
            r = await req(cloud, "GET", sub, user, version=version)
            out[key] = (r.status, r.json)
        out["project"] = cloud.project_id("demo")
        return out

    out = run(main)
    status, body = out["page"]
    assert status == 200
    assert [b["name"] for b in body["backups"]] == ["b1", "b2"]
    assert body["count"] == 3
    (link,) = body["backups_links"]
    assert link["href"].startswith(f"http://cinder.example:8776/v3/{out['project']}/backups?")
    assert "count" not in out["no_count_old"][1]
    assert [b["name"] for b in out["offset"][1]["backups"]] == ["b3"]
    assert out["name_sort_old"] == (400, bad("Invalid input received: Invalid sort key"))
    assert out["bad_marker"] == (404, not_found(f"Backup {UNKNOWN} could not be found."))
    (member,) = out["member_detail"][1]["backups"]
    assert "user_id" not in member
    assert "os-backup-project-attr:project_id" not in member
    (seen,) = out["admin_detail"][1]["backups"]
    assert seen["os-backup-project-attr:project_id"] == out["project"]
    assert isinstance(seen["user_id"], str)
    assert out["admin_no_column"] == (200, {"backups": []})
    assert out["member_bad_filter"] == (400, bad("Invalid filters colour are found in query "
                                                 "options."))
