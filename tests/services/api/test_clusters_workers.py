"""/clusters (3.7) and /workers/cleanup (3.24) against cinder/api/v3/clusters.py and
workers.py: clusters come from the services' ``cluster_name``."""

from __future__ import annotations

import asyncio
from typing import Any

from apitest import UNKNOWN, bad, forbidden, req, run

from cindersim.cloud import Cloud

NOT_FOUND = {"itemNotFound": {"code": 404, "message": "The resource could not be found."}}
CLUSTER = "cl1@lvmdriver-1"


def _cluster_volume_service(cloud: Cloud) -> None:
    for svc in cloud.db.services.values():
        if svc.binary == "cinder-volume":
            svc.cluster_name = CLUSTER


def test_no_cluster_configured_gives_empty_lists() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        out = []
        for method, sub, user, version in (
                ("GET", "/clusters", "admin", "3.7"),
                ("GET", "/clusters/detail", "admin", "3.7"),
                ("GET", "/clusters/nope", "admin", "3.7"),
                ("GET", "/clusters", "admin", "3.6"),
                ("GET", "/clusters", "demo", "3.7")):
            r = await req(cloud, method, sub, user, version=version)
            out.append((r.status, r.json))
        return out

    listed, detail, missing, old, member = run(main)
    assert listed == (200, {"clusters": []})
    assert detail == (200, {"clusters": []})
    assert missing == (404, {"itemNotFound": {"code": 404, "message": (
        "Cluster {'binary': 'cinder-volume', 'name': 'nope'} could not be found.")}})
    assert old == (404, NOT_FOUND)
    assert member == (403, forbidden("clusters:get_all"))


def test_cluster_views_filters_and_disable() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        _cluster_volume_service(cloud)
        out: dict[str, Any] = {}
        for name, (method, sub, user, body, version) in {
            "list": ("GET", "/clusters", "admin", None, "3.7"),
            "list_repl": ("GET", "/clusters", "admin", None, "3.26"),
            "detail": ("GET", "/clusters/detail", "admin", None, "3.7"),
            "show": ("GET", f"/clusters/{CLUSTER}", "admin", None, "3.26"),
            "up": ("GET", "/clusters?is_up=true", "admin", None, "3.7"),
            "down": ("GET", "/clusters?is_up=false", "admin", None, "3.7"),
            "bad_bool": ("GET", "/clusters?is_up=maybe", "admin", None, "3.7"),
            "bad_key": ("GET", "/clusters?frozen=false&colour=red", "admin", None, "3.7"),
            "disable": ("PUT", "/clusters/disable", "admin",
                        {"name": CLUSTER, "disabled_reason": "  swap disks "}, "3.7"),
            "disabled": ("GET", "/clusters?disabled=true", "admin", None, "3.7"),
            "enable": ("PUT", "/clusters/enable", "admin", {"name": CLUSTER}, "3.7"),
            "member_disable": ("PUT", "/clusters/disable", "demo", {"name": CLUSTER}, "3.7"),
            "no_name": ("PUT", "/clusters/enable", "admin", {"binary": "cinder-volume"}, "3.7"),
            "extra": ("PUT", "/clusters/enable", "admin",
                      {"name": CLUSTER, "disabled_reason": "x"}, "3.7"),
            "other_binary": ("PUT", "/clusters/enable", "admin",
                             {"name": CLUSTER, "binary": "cinder-backup"}, "3.7"),
        }.items():
            r = await req(cloud, method, sub, user, body, version=version)
            out[name] = (r.status, r.json)
        return out

    out = run(main)
    assert out["list"] == (200, {"clusters": [{"name": CLUSTER, "binary": "cinder-volume",
                                               "state": "up", "status": "enabled"}]})
    assert out["list_repl"][1]["clusters"][0]["replication_status"] == "disabled"
    detail = out["detail"][1]["clusters"][0]
    assert (detail["num_hosts"], detail["num_down_hosts"]) == (1, 0)
    assert set(detail) == {"name", "binary", "state", "status", "num_hosts", "num_down_hosts",
                           "last_heartbeat", "created_at", "updated_at", "disabled_reason"}
    show = out["show"][1]["cluster"]
    assert (show["frozen"], show["active_backend_id"]) == (False, None)
    assert len(out["up"][1]["clusters"]) == 1
    assert out["down"] == (200, {"clusters": []})
    assert out["bad_bool"] == (400, bad("Value 'maybe' for 'is_up' is not a boolean."))
    # frozen is a filter only from 3.26 (REPLICATION_CLUSTER).
    assert out["bad_key"] == (400, bad("Invalid input received: Invalid filter keys: colour, "
                                       "frozen"))
    assert out["disable"] == (200, {"cluster": {
        "name": CLUSTER, "binary": "cinder-volume", "state": "up", "status": "disabled",
        "disabled_reason": "swap disks"}})
    assert len(out["disabled"][1]["clusters"]) == 1
    assert out["enable"][1]["cluster"]["status"] == "enabled"
    assert out["enable"][1]["cluster"]["disabled_reason"] is None
    assert out["member_disable"] == (403, forbidden("clusters:update"))
    assert out["no_name"] == (400, bad("'name' is a required property"))
    assert out["extra"] == (400, bad("Additional properties are not allowed "
                                     "('disabled_reason' was unexpected)"))
    assert out["other_binary"][0] == 404


def test_workers_cleanup() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        out: dict[str, Any] = {}
        backup = next(s for s in cloud.db.services.values() if s.binary == "cinder-backup")
        cloud.db.service_stopped(backup.binary, backup.host)
        await asyncio.sleep(200)  # past service_down_time
        for name, (user, body, version) in {
            "default": ("admin", {}, "3.24"),
            "up_volume": ("admin", {"is_up": True, "binary": "cinder-volume"}, "3.24"),
            "old": ("admin", {}, "3.23"),
            "member": ("demo", {}, "3.24"),
            "bad_type": ("admin", {"resource_type": "backup"}, "3.24"),
            "no_worker": ("admin", {"resource_id": UNKNOWN}, "3.24"),
            "bad_binary": ("admin", {"binary": "cinder-backup"}, "3.24"),
            "extra": ("admin", {"volume_id": UNKNOWN}, "3.24"),
        }.items():
            r = await req(cloud, "POST", "/workers/cleanup", user, body, version=version)
            out[name] = (r.status, r.json)
        out["backup"] = (backup.id, backup.host)
        return out

    out = run(main)
    status, body = out["default"]
    assert status == 202
    backup_id, backup_host = out["backup"]
    # Only the dead backup service matches is_up=False; it cannot be asked.
    assert body == {"cleaning": [], "unavailable": [
        {"id": backup_id, "host": backup_host, "binary": "cinder-backup",
         "cluster_name": None}]}
    status, body = out["up_volume"]
    assert status == 202
    assert [s["binary"] for s in body["cleaning"]] == ["cinder-volume"]
    assert body["unavailable"] == []
    assert out["old"] == (404, NOT_FOUND)
    assert out["member"] == (403, forbidden("workers:cleanup"))
    assert out["bad_type"] == (400, bad("Invalid input received: Resource type Backup not "
                                        "valid, must be Volume or Snapshot"))
    assert out["no_worker"] == (400, bad(
        "Invalid input received: ('There is no resource with UUID %s pending cleanup.', "
        f"'{UNKNOWN}')"))
    assert out["bad_binary"] == (400, bad(
        "Invalid input for field/attribute binary. Value: cinder-backup. 'cinder-backup' is "
        "not one of ['cinder-volume', 'cinder-scheduler']"))
    assert out["extra"] == (400, bad("Additional properties are not allowed ('volume_id' was "
                                     "unexpected)"))
