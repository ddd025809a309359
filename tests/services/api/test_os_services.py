"""/os-services and /os-hosts against cinder/api/v3/services.py and contrib/hosts.py,
checked against Tempest's response schemas (restated in schemas.py)."""

from __future__ import annotations

from typing import Any

from apitest import bad, forbidden, not_found, req, run, schema_errors
from schemas import DISABLE_LOG_REASON, ENABLE_SERVICE, LIST_HOSTS, LIST_SERVICES

from cindersim.cloud import Cloud


def test_list_and_filters() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        out = []
        for query, user in (("", "admin"), ("?host=cinder-1", "admin"),
                            ("?binary=cinder-backup", "admin"), ("", "demo")):
            r = await req(cloud, "GET", f"/os-services{query}", user)
            out.append((r.status, r.json))
        return out

    every, by_host, by_binary, member = run(main)
    assert every[0] == 200
    assert schema_errors(every[1], LIST_SERVICES) == []
    assert {s["binary"] for s in every[1]["services"]} == {
        "cinder-scheduler", "cinder-volume", "cinder-backup"}
    assert all(s["state"] == "up" and s["status"] == "enabled" for s in every[1]["services"])
    assert [s["host"] for s in by_host[1]["services"]] == ["cinder-1@lvmdriver-1"]
    assert [s["binary"] for s in by_binary[1]["services"]] == ["cinder-backup"]
    assert member == (403, forbidden("volume_extension:services:index"))


def test_disable_enable_freeze() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        host = "cinder-1@lvmdriver-1"
        out = []
        for path, body in (
                ("disable-log-reason", {"host": host, "binary": "cinder-volume",
                                        "disabled_reason": "maintenance"}),
                ("enable", {"host": host, "binary": "cinder-volume"}),
                ("disable", {"host": "nowhere", "binary": "cinder-volume"}),
                ("disable", {"host": host}),
                ("freeze", {"host": host}),
                ("freeze", {"host": host}),
                ("thaw", {"host": host}),
                ("freeze", {"host": "nowhere"})):
            r = await req(cloud, "PUT", f"/os-services/{path}", "admin", body)
            out.append((r.status, r.json))
        listed = await req(cloud, "GET", "/os-services?binary=cinder-volume", "admin")
        return [out, listed.json["services"][0]]

    out, row = run(main)
    assert out[0][0] == 200
    assert schema_errors(out[0][1], DISABLE_LOG_REASON) == []
    assert out[0][1]["disabled_reason"] == "maintenance"
    assert out[1] == (200, {"host": "cinder-1@lvmdriver-1", "service": "",
                            "binary": "cinder-volume", "status": "enabled",
                            "disabled": False, "disabled_reason": None})
    assert schema_errors(out[1][1], ENABLE_SERVICE) == []
    assert out[2] == (404, not_found("Service cinder-volume could not be found on host "
                                     "nowhere."))
    assert out[3] == (400, bad("{'host': 'cinder-1@lvmdriver-1'} is not valid under any of "
                               "the given schemas"))
    assert out[4] == (200, None)
    assert out[5] == (400, bad("Invalid input received: No service could be changed: "
                               "frozen in ['cinder-1@lvmdriver-1'] must be False to "
                               "failover."))
    assert out[6] == (200, None)
    assert out[7] == (400, bad("Invalid input received: No service found with host=nowhere"))
    assert (row["frozen"], row["status"], row["disabled_reason"]) == (False, "enabled", "")


def test_log_levels_need_3_32() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        old = await req(cloud, "PUT", "/os-services/get-log", "admin", {})
        put = await req(cloud, "PUT", "/os-services/set-log", "admin",
                        {"binary": "cinder-volume", "prefix": "cinder.volume",
                         "level": "debug"}, version="3.32")
        got = await req(cloud, "PUT", "/os-services/get-log", "admin",
                        {"binary": "cinder-volume"}, version="3.32")
        return [old.status, put.status, got.json]

    old, put, got = run(main)
    assert (old, put) == (404, 202)
    assert got == {"log_levels": [{"host": "cinder-1@lvmdriver-1", "binary": "cinder-volume",
                                   "levels": {"cinder": "INFO", "cinder.volume": "DEBUG"}}]}


def test_hosts() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        listed = await req(cloud, "GET", "/os-hosts", "admin")
        shown = await req(cloud, "GET", "/os-hosts/cinder-1@lvmdriver-1", "admin")
        missing = await req(cloud, "GET", "/os-hosts/scheduler-1", "admin")
        return [listed.json, shown.json, (missing.status, missing.json)]

    listed, shown, missing = run(main)
    assert schema_errors(listed, LIST_HOSTS) == []
    assert shown["host"][0]["resource"]["project"] == "(total)"
    assert missing == (404, not_found("Service cinder-volume could not be found on host "
                                      "scheduler-1."))
