"""os-quota-sets and /limits through cinder-api, against cinder/api/contrib/quotas.py,
cinder/api/v3/limits.py and the used-limits extension."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]

FIXED = {"volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
         "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1}
PER_TYPE = {"volumes___DEFAULT__": -1, "gigabytes___DEFAULT__": -1,
            "snapshots___DEFAULT__": -1}


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    return result.value


def qs_path(cloud: Cloud, caller: str, target: str, suffix: str = "") -> str:
    return f"/v3/{cloud.project_id(caller)}/os-quota-sets/{cloud.project_id(target)}{suffix}"


async def create(cloud: Cloud, user: str, size: int) -> Any:
    p = cloud.project_id(user)
    r = await cloud.request("POST", f"/v3/{p}/volumes", json={"volume": {"size": size}},
                            token=cloud.token(user))
    assert r.status == 202, r.json
    return r.json["volume"]["id"]


class TestShow:
    def test_defaults_for_every_resource_with_per_type_keys(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await cloud.request("GET", qs_path(cloud, "demo", "demo"),
                                    token=cloud.token("demo"))
            return r.status, r.json, cloud.project_id("demo")

        status, body, pid = run(main)
        assert status == 200
        assert body == {"quota_set": {"id": pid, **FIXED, **PER_TYPE}}

    def test_usage_true_gives_limit_in_use_reserved(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 3)
            await cloud.settle()
            r = await cloud.request("GET", qs_path(cloud, "demo", "demo", "?usage=true"),
                                    token=cloud.token("demo"))
            return r.status, r.json["quota_set"]

        status, qs = run(main)
        assert status == 200
        assert qs["volumes"] == {"limit": 10, "in_use": 1, "reserved": 0}
        assert qs["gigabytes"] == {"limit": 1000, "in_use": 3, "reserved": 0}
        assert qs["volumes___DEFAULT__"] == {"limit": -1, "in_use": 1, "reserved": 0}
        assert qs["per_volume_gigabytes"] == {"limit": -1, "in_use": 0, "reserved": 0}
        assert isinstance(qs["id"], str)

    def test_usage_must_be_a_boolean(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await cloud.request("GET", qs_path(cloud, "demo", "demo", "?usage=maybe"),
                                    token=cloud.token("demo"))
            return r.status, r.json

        assert run(main) == (400, {"badRequest": {
            "code": 400, "message": "Value 'maybe' for 'usage' is not a boolean."}})

    def test_member_cannot_read_another_project(self) -> None:
        async def main(cloud: Cloud) -> Any:
            out = []
            for suffix in ("", "/defaults", "?usage=true"):
                r = await cloud.request("GET", qs_path(cloud, "demo", "alt_demo", suffix),
                                        token=cloud.token("demo"))
                out.append((r.status, r.json))
            return out

        for status, body in run(main):
            assert status == 403
            assert body == {"forbidden": {"code": 403, "message": "Policy doesn't allow "
                            "volume_extension:quotas:show to be performed."}}

    def test_admin_reads_any_project(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 2)
            r = await cloud.request("GET", qs_path(cloud, "admin", "demo", "?usage=1"),
                                    token=cloud.token("admin"))
            return r.status, r.json["quota_set"]["gigabytes"]

        # Reserved is already committed at the API: in_use counts before scheduling.
        assert run(main) == (200, {"limit": 1000, "in_use": 2, "reserved": 0})

    def test_defaults_route(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                json={"quota_set": {"volumes": 3}}, token=cloud.token("admin"))
            r = await cloud.request("GET", qs_path(cloud, "demo", "demo", "/defaults"),
                                    token=cloud.token("demo"))
            return r.status, r.json, cloud.project_id("demo")

        status, body, pid = run(main)
        assert status == 200
        assert body == {"quota_set": {"id": pid, **FIXED, **PER_TYPE}}

    def test_configured_defaults(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await cloud.request("GET", qs_path(cloud, "demo", "demo", "/defaults"),
                                    token=cloud.token("demo"))
            return r.json["quota_set"]

        qs = run(main, config={"DEFAULT": {"quota_volumes": 4, "quota_gigabytes": 50,
                                           "per_volume_size_limit": 7}})
        assert (qs["volumes"], qs["gigabytes"], qs["per_volume_gigabytes"]) == (4, 50, 7)

    def test_empty_id_is_404(self) -> None:
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            r = await cloud.request("GET", f"/v3/{p}/os-quota-sets/", token=cloud.token("demo"))
            return r.status

        assert run(main) == 404


class TestUpdate:
    def test_admin_sets_limits_and_gets_them_back_without_id(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                    json={"quota_set": {"volumes": 5, "gigabytes": "20",
                                                        "snapshots___DEFAULT__": -1,
                                                        "tenant_id": "x"}},
                                    token=cloud.token("admin"))
            show = await cloud.request("GET", qs_path(cloud, "demo", "demo"),
                                       token=cloud.token("demo"))
            other = await cloud.request("GET", qs_path(cloud, "alt_demo", "alt_demo"),
                                        token=cloud.token("alt_demo"))
            return r, show.json["quota_set"], other.json["quota_set"]

        r, shown, other = run(main)
        assert r.status == 200
        assert r.json == {"quota_set": {**FIXED, **PER_TYPE, "volumes": 5, "gigabytes": 20}}
        assert shown["volumes"] == 5
        assert shown["gigabytes"] == 20
        assert other["volumes"] == 10

    def test_new_limit_is_enforced_with_cinder_413(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                json={"quota_set": {"volumes": 1}}, token=cloud.token("admin"))
            await create(cloud, "demo", 1)
            await cloud.settle()
            p = cloud.project_id("demo")
            before = cloud.db.fingerprint()
            r = await cloud.request("POST", f"/v3/{p}/volumes",
                                    json={"volume": {"size": 1}}, token=cloud.token("demo"))
            return r, before == cloud.db.fingerprint()

        r, unchanged = run(main)
        assert r.status == 413
        assert r.headers["Retry-After"] == "0"
        assert r.json == {"overLimit": {
            "code": 413, "retryAfter": "0",
            "message": "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded "
                       "for quota 'volumes'."}}
        assert unchanged

    @pytest.mark.parametrize(("quota_set", "message"), [
        ({"volumes": 1}, "Quota volumes limit must be equal or greater than existing "
                         "resources. Current usage is 2 and the requested limit is 1."),
        ({"gigabytes": 4}, "Quota gigabytes limit must be equal or greater than existing "
                           "resources. Current usage is 5 and the requested limit is 4."),
        ({"volumes": 20, "gigabytes___DEFAULT__": 0},
         "Quota gigabytes___DEFAULT__ limit must be equal or greater than existing "
         "resources. Current usage is 5 and the requested limit is 0."),
    ])
    def test_limit_below_usage_is_400_and_nothing_changes(self, quota_set: dict[str, int],
                                                          message: str) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 2)
            await create(cloud, "demo", 3)
            await cloud.settle()
            before = cloud.db.fingerprint()
            r = await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                    json={"quota_set": quota_set}, token=cloud.token("admin"))
            return r.status, r.json, before == cloud.db.fingerprint(), \
                cloud.quota.limit(cloud.project_id("demo"), "volumes")

        status, body, unchanged, volumes = run(main)
        assert (status, body) == (400, {"badRequest": {"code": 400, "message": message}})
        assert unchanged
        assert volumes == 10

    def test_minus_one_and_per_volume_are_never_checked_against_usage(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 5)
            r = await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                    json={"quota_set": {"volumes": -1, "gigabytes": 5,
                                                        "per_volume_gigabytes": 1}},
                                    token=cloud.token("admin"))
            return r.status, r.json["quota_set"]

        status, qs = run(main)
        assert status == 200
        assert (qs["volumes"], qs["gigabytes"], qs["per_volume_gigabytes"]) == (-1, 5, 1)

    def test_reserved_counts_toward_usage(self) -> None:
        async def main(cloud: Cloud) -> Any:
            pid = cloud.project_id("demo")
            cloud.quota.reserve(pid, {"volumes": 2})
            r = await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                    json={"quota_set": {"volumes": 1}}, token=cloud.token("admin"))
            return r.status, r.json

        assert run(main) == (400, {"badRequest": {"code": 400, "message": (
            "Quota volumes limit must be equal or greater than existing resources. Current "
            "usage is 2 and the requested limit is 1.")}})

    @pytest.mark.parametrize(("body", "message"), [
        ({"quota_set": {"volume": 5, "bogus": 1}},
         "Invalid input received: Bad key(s) in quota set: volume, bogus"),
        ({"quota_set": {"volumes": -2}}, "volumes must be >= -1"),
        ({"quota_set": {"volumes": 2147483648}}, "volumes must be <= 2147483647"),
        ({"quota_set": {"volumes": "abc"}}, "volumes must be an integer"),
        ({"quota_set": {"volumes": 1.5}}, "volumes must be an integer"),
        ({"quota_set": {"volumes": True}}, "volumes must be an integer"),
        ({"quota_set": {}}, "Invalid input for field/attribute quota_set. Value: {}. {} does "
                            "not have enough properties"),
        ({"quota": {"volumes": 1}}, "'quota_set' is a required property"),
        ({"quota_set": {"volumes": 1}, "x": 1},
         "Additional properties are not allowed ('x' was unexpected)"),
    ])
    def test_schema_errors_are_400_and_change_nothing(self, body: dict[str, Any],
                                                      message: str) -> None:
        async def main(cloud: Cloud) -> Any:
            before = cloud.db.fingerprint()
            r = await cloud.request("PUT", qs_path(cloud, "admin", "demo"), json=body,
                                    token=cloud.token("admin"))
            return r.status, r.json, before == cloud.db.fingerprint()

        status, fault, unchanged = run(main)
        assert (status, fault) == (400, {"badRequest": {"code": 400, "message": message}})
        assert unchanged

    def test_member_is_forbidden_but_schema_runs_first(self) -> None:
        async def main(cloud: Cloud) -> Any:
            good = await cloud.request("PUT", qs_path(cloud, "demo", "demo"),
                                       json={"quota_set": {"volumes": 50}},
                                       token=cloud.token("demo"))
            bad = await cloud.request("PUT", qs_path(cloud, "demo", "demo"),
                                      json={"quota_set": {"nope": 50}},
                                      token=cloud.token("demo"))
            return good.status, good.json, bad.status, \
                cloud.quota.limit(cloud.project_id("demo"), "volumes")

        status, body, bad_status, limit = run(main)
        assert status == 403
        assert body == {"forbidden": {"code": 403, "message": "Policy doesn't allow "
                        "volume_extension:quotas:update to be performed."}}
        assert bad_status == 400
        assert limit == 10


class TestDelete:
    def test_admin_delete_restores_defaults_and_keeps_usage(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 4)
            await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                json={"quota_set": {"volumes": 3, "gigabytes": 40}},
                                token=cloud.token("admin"))
            r = await cloud.request("DELETE", qs_path(cloud, "admin", "demo"),
                                    token=cloud.token("admin"))
            show = await cloud.request("GET", qs_path(cloud, "demo", "demo", "?usage=true"),
                                       token=cloud.token("demo"))
            return r.status, r.json, show.json["quota_set"]

        status, body, qs = run(main)
        assert (status, body) == (200, None)
        assert qs["volumes"] == {"limit": 10, "in_use": 1, "reserved": 0}
        assert qs["gigabytes"] == {"limit": 1000, "in_use": 4, "reserved": 0}

    def test_member_delete_is_403(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                json={"quota_set": {"volumes": 3}}, token=cloud.token("admin"))
            r = await cloud.request("DELETE", qs_path(cloud, "demo", "demo"),
                                    token=cloud.token("demo"))
            return r.status, cloud.quota.limit(cloud.project_id("demo"), "volumes")

        assert run(main) == (403, 3)


class TestLimits:
    def test_absolute_limits_and_used(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 2)
            await create(cloud, "demo", 5)
            await create(cloud, "alt_demo", 9)
            await cloud.settle()
            p = cloud.project_id("demo")
            r = await cloud.request("GET", f"/v3/{p}/limits", token=cloud.token("demo"))
            return r.status, r.json

        status, body = run(main)
        assert status == 200
        assert body == {"limits": {"rate": [], "absolute": {
            "maxTotalVolumes": 10, "maxTotalSnapshots": 10, "maxTotalVolumeGigabytes": 1000,
            "maxTotalBackups": 10, "maxTotalBackupGigabytes": 1000,
            "totalVolumesUsed": 2, "totalGigabytesUsed": 7, "totalSnapshotsUsed": 0,
            "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0}}}

    def test_limits_follow_overrides(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await cloud.request("PUT", qs_path(cloud, "admin", "demo"),
                                json={"quota_set": {"volumes": 2, "backups": -1}},
                                token=cloud.token("admin"))
            p = cloud.project_id("demo")
            r = await cloud.request("GET", f"/v3/{p}/limits", token=cloud.token("demo"))
            return r.json["limits"]["absolute"]

        absolute = run(main)
        assert absolute["maxTotalVolumes"] == 2
        assert absolute["maxTotalBackups"] == -1

    def test_admin_project_id_filter_only_from_3_39(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await create(cloud, "demo", 6)
            a = cloud.project_id("admin")
            d = cloud.project_id("demo")
            out = []
            for version in ("3.38", "3.39"):
                r = await cloud.request("GET", f"/v3/{a}/limits?project_id={d}",
                                        token=cloud.token("admin"),
                                        headers={"OpenStack-API-Version": f"volume {version}"})
                out.append(r.json["limits"]["absolute"]["totalGigabytesUsed"])
            member = await cloud.request(
                "GET", f"/v3/{cloud.project_id('alt_demo')}/limits?project_id={d}",
                token=cloud.token("alt_demo"), headers={"OpenStack-API-Version": "volume 3.39"})
            out.append(member.json["limits"]["absolute"]["totalGigabytesUsed"])
            return out

        assert run(main) == [0, 6, 0]

    def test_project_less_url_from_3_67(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await cloud.request("GET", "/v3/limits", token=cloud.token("demo"),
                                    headers={"OpenStack-API-Version": "volume 3.67"})
            q = await cloud.request("GET", f"/v3/os-quota-sets/{cloud.project_id('demo')}",
                                    token=cloud.token("demo"),
                                    headers={"OpenStack-API-Version": "volume 3.67"})
            old = await cloud.request("GET", "/v3/limits", token=cloud.token("demo"),
                                      headers={"OpenStack-API-Version": "volume 3.66"})
            return r.status, q.status, old.status

        assert run(main) == (200, 200, 404)


class TestUsageMatchesWhatExists:
    def test_after_creates_failures_and_deletes(self) -> None:
        """Usage is recomputed from the rows: errors keep quota, deletes release it."""
        async def main(cloud: Cloud) -> Any:
            p = cloud.project_id("demo")
            tok = cloud.token("demo")
            ids = [await create(cloud, "demo", s) for s in (1, 2, 3)]
            # Too big for the 10 GiB VG: ends in error but keeps its quota.
            await create(cloud, "demo", 50)
            await cloud.settle()
            await cloud.request("DELETE", f"/v3/{p}/volumes/{ids[1]}", token=tok)
            await cloud.settle()
            usage = cloud.quota.usage(p)
            vols = [v for v in cloud.db.volumes.values() if v.project_id == p]
            return usage, vols

        usage, vols = run(main, config={"DEFAULT": {"enabled_backends": "lvm"},
                                        "lvm": {"vg_size_gb": 10, "lvm_type": "default"}})
        assert sorted(str(v.status) for v in vols) == ["available", "available", "error"]
        assert usage["volumes"]["in_use"] == len(vols) == 3
        assert usage["gigabytes"]["in_use"] == sum(v.size for v in vols) == 54
        assert all(u["reserved"] == 0 for u in usage.values())
