"""Volume transfers through cinder-api (/os-volume-transfer and /volume-transfers), against
cinder/api/contrib/volume_transfer.py, cinder/api/v3/volume_transfer.py and
cinder/transfer/api.py: create, list, show, delete and accept moving ownership and quota."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cindersim.cloud import Cloud, simulate
from cindersim.services.api.transfers import crypt_hash
from cindersim.states import check_trace
from cindersim.testing.invariants import quota_matches_existence

Main = Callable[[Cloud], Awaitable[Any]]


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    assert result.cloud.api.errors_5xx == 0
    return result.value


async def call(cloud: Cloud, user: str, method: str, suffix: str, body: Any = None,
               version: str | None = None) -> Any:
    headers = {"OpenStack-API-Version": f"volume {version}"} if version else None
    return await cloud.request(method, f"/v3/{cloud.project_id(user)}{suffix}", json=body,
                               token=cloud.token(user), headers=headers)


async def volume(cloud: Cloud, user: str = "demo", size: int = 1,
                 vtype: str | None = None) -> str:
    body: dict[str, Any] = {"size": size}
    if vtype:
        body["volume_type"] = vtype
    r = await call(cloud, user, "POST", "/volumes", {"volume": body})
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def snapshot(cloud: Cloud, volume_id: str, user: str = "demo", *,
                   settle: bool = True) -> str:
    r = await call(cloud, user, "POST", "/snapshots", {"snapshot": {"volume_id": volume_id}})
    assert r.status == 202, r.json
    if settle:
        await cloud.settle()
    return str(r.json["snapshot"]["id"])


async def offer(cloud: Cloud, volume_id: str, user: str = "demo", *,
                path: str = "/os-volume-transfer", version: str | None = None,
                **extra: Any) -> dict[str, Any]:
    r = await call(cloud, user, "POST", path,
                   {"transfer": {"volume_id": volume_id, **extra}}, version)
    assert r.status == 202, r.json
    transfer: dict[str, Any] = r.json["transfer"]
    return transfer


def bad(message: str) -> dict[str, Any]:
    return {"badRequest": {"code": 400, "message": message}}


def usage_matches_rows(cloud: Cloud, name: str) -> dict[str, tuple[int, int]]:
    """(quota in_use, what the rows say) for the resources a transfer moves."""
    pid = cloud.project_id(name)
    vols = [v for v in cloud.db.volumes.values() if v.project_id == pid]
    snaps = [s for s in cloud.db.snapshots.values() if s.project_id == pid]
    usage = cloud.quota.usage(pid)
    assert all(u["reserved"] == 0 for u in usage.values())
    return {
        "volumes": (usage["volumes"]["in_use"], len(vols)),
        "gigabytes": (usage["gigabytes"]["in_use"],
                      sum(v.size for v in vols) + sum(s.volume_size for s in snaps)),
        "snapshots": (usage["snapshots"]["in_use"], len(snaps)),
    }


# --- create ---------------------------------------------------------------------------------------
class TestCreate:
    def test_create_at_3_0(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            r = await call(cloud, "demo", "POST", "/os-volume-transfer",
                           {"transfer": {"volume_id": vid, "name": "  gift  "}})
            tr = cloud.db.transfers[r.json["transfer"]["id"]]
            return (vid, r.status, r.json["transfer"], str(cloud.db.volumes[vid].status),
                    tr.salt, tr.crypt_hash, cloud.project_id("demo"))

        vid, status, body, vol_status, salt, stored_hash, demo = run(main)
        assert status == 202
        tid = body["id"]
        assert body == {"id": tid, "created_at": body["created_at"], "name": "gift",
                        "volume_id": vid, "auth_key": body["auth_key"], "links": [
                            {"rel": "self", "href": "http://cinder.example:8776/v3/"
                                                    f"{demo}/os-volume-transfer/{tid}"},
                            {"rel": "bookmark", "href": "http://cinder.example:8776/"
                                                        f"{demo}/os-volume-transfer/{tid}"}]}
        assert vol_status == "awaiting-transfer"
        # Only the salt and the HMAC of the key are stored, as Cinder does.
        assert len(body["auth_key"]) == 16
        assert len(salt) == 8
        assert int(body["auth_key"], 16) >= 0
        assert int(salt, 16) >= 0
        assert stored_hash == crypt_hash(salt, body["auth_key"])
        assert body["auth_key"] not in (salt, stored_hash)

    def test_views_grow_with_microversion(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            body = await offer(cloud, vid, path="/volume-transfers", version="3.57")
            show55 = await call(cloud, "demo", "GET", f"/volume-transfers/{body['id']}",
                                version="3.55")
            return body, show55.json["transfer"], cloud.project_id("demo")

        body, show55, demo = run(main)
        assert body["no_snapshots"] is False
        assert (body["source_project_id"], body["destination_project_id"],
                body["accepted"]) == (demo, None, False)
        assert "auth_key" not in show55
        assert show55["no_snapshots"] is False
        assert "source_project_id" not in show55

    def test_refusals_change_nothing(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            other = await volume(cloud, "alt_demo")
            busy = await volume(cloud)
            await offer(cloud, busy)
            cases = [
                ("demo", "/os-volume-transfer", {"transfer": {"volume_id": other}}, None),
                ("demo", "/os-volume-transfer", {"transfer": {"volume_id": busy}}, None),
                ("demo", "/os-volume-transfer", {"transfer": {"volume_id": "nope"}}, None),
                ("demo", "/os-volume-transfer", {"transfer": {"name": "x"}}, None),
                ("demo", "/os-volume-transfer", {"volume_id": vid}, None),
                ("demo", "/os-volume-transfer",
                 {"transfer": {"volume_id": vid, "name": "   "}}, None),
                ("demo", "/os-volume-transfer",
                 {"transfer": {"volume_id": vid, "no_snapshots": True}}, "3.55"),
                ("demo", "/volume-transfers",
                 {"transfer": {"volume_id": vid, "no_snapshots": True}}, "3.54"),
                ("demo", "/volume-transfers",
                 {"transfer": {"volume_id": vid, "no_snapshots": "maybe"}}, "3.55"),
            ]
            out = []
            for user, path, body, version in cases:
                before = cloud.db.fingerprint()
                r = await call(cloud, user, "POST", path, body, version)
                out.append((r.status, r.json, cloud.db.fingerprint() == before))
            return other, busy, out

        other, _busy, out = run(main)
        assert all(unchanged for *_, unchanged in out)
        got = [(s, b) for s, b, _ in out]
        assert got[:8] == [
            (404, {"itemNotFound": {"code": 404,
                                    "message": f"Volume {other} could not be found."}}),
            (400, bad("Invalid volume: status must be available")),
            (400, bad("Invalid input for field/attribute volume_id. Value: nope. 'nope' is "
                      "not a 'uuid'")),
            (400, bad("'volume_id' is a required property")),
            (400, bad("'transfer' is a required property")),
            (400, bad("Invalid input for field/attribute name. Value:    . '   ' is not valid "
                      "under any of the given schemas")),
            (400, bad("Additional properties are not allowed ('no_snapshots' was "
                      "unexpected)")),
            (400, bad("Additional properties are not allowed ('no_snapshots' was "
                      "unexpected)")),
        ]
        assert got[8][0] == 400
        assert got[8][1]["badRequest"]["message"].startswith(
            "Invalid input for field/attribute no_snapshots. Value: maybe. 'maybe' is not "
            "one of [True, ")

    def test_snapshots_must_be_available_unless_no_snapshots(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            sid = await snapshot(cloud, vid, settle=False)  # still 'creating'
            before = cloud.db.fingerprint()
            r = await call(cloud, "demo", "POST", "/volume-transfers",
                           {"transfer": {"volume_id": vid}}, "3.55")
            refused = (r.status, r.json, cloud.db.fingerprint() == before)
            r = await call(cloud, "demo", "POST", "/volume-transfers",
                           {"transfer": {"volume_id": vid, "no_snapshots": True}}, "3.55")
            await cloud.settle()
            return sid, refused, r.status, r.json["transfer"]["no_snapshots"]

        sid, refused, status, flag = run(main)
        assert refused == (400, bad(f"Invalid snapshot: snapshot: {sid} status must be "
                                    "available"), True)
        assert (status, flag) == (202, True)

    def test_encrypted_volume_needs_volume_transfers_at_3_70(self) -> None:
        async def main(cloud: Cloud) -> Any:
            r = await call(cloud, "admin", "POST", "/types", {"volume_type": {"name": "luks"}})
            tid = r.json["volume_type"]["id"]
            r = await call(cloud, "admin", "POST", f"/types/{tid}/encryption", {"encryption": {
                "provider": "luks", "control_location": "front-end",
                "cipher": "aes-xts-plain64"}})  # no cipher: "Invalid encryption spec"
            assert r.status == 200, r.json
            vid = await volume(cloud, vtype="luks")
            out = []
            for path, version in (("/os-volume-transfer", "3.70"),
                                  ("/volume-transfers", "3.69")):
                before = cloud.db.fingerprint()
                r = await call(cloud, "demo", "POST", path, {"transfer": {"volume_id": vid}},
                               version)
                out.append((r.status, r.json, cloud.db.fingerprint() == before))
            r = await call(cloud, "demo", "POST", "/volume-transfers",
                           {"transfer": {"volume_id": vid}}, "3.70")
            return out, r.status

        out, status = run(main)
        refusal = (400, bad("Invalid volume: transferring encrypted volume is not supported"),
                   True)
        assert out == [refusal, refusal]
        assert status == 202

    def test_awaiting_transfer_blocks_volume_delete(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            await offer(cloud, vid)
            r = await call(cloud, "demo", "DELETE", f"/volumes/{vid}")
            return r.status

        assert run(main) == 400


# --- list / show / delete -----------------------------------------------------------------------
class TestListShowDelete:
    def test_lists_are_per_project(self) -> None:
        async def main(cloud: Cloud) -> Any:
            a = await offer(cloud, await volume(cloud), name="a")
            b = await offer(cloud, await volume(cloud, "alt_demo"), "alt_demo", name="b")
            demo = await call(cloud, "demo", "GET", "/os-volume-transfer")
            detail = await call(cloud, "demo", "GET", "/volume-transfers/detail")
            admin_own = await call(cloud, "admin", "GET", "/os-volume-transfer")
            admin_all = await call(cloud, "admin", "GET", "/os-volume-transfer?all_tenants=1")
            return a, b, demo.json, detail.json, admin_own.json, admin_all.json

        a, _b, demo, detail, admin_own, admin_all = run(main)
        assert demo == {"transfers": [{"id": a["id"], "volume_id": a["volume_id"],
                                       "name": "a", "links": a["links"]}]}
        assert [t["id"] for t in detail["transfers"]] == [a["id"]]
        assert set(detail["transfers"][0]) == {"id", "created_at", "name", "volume_id",
                                               "links"}
        assert admin_own == {"transfers": []}
        assert sorted(t["name"] for t in admin_all["transfers"]) == ["a", "b"]

    def test_show_is_404_to_other_projects(self) -> None:
        async def main(cloud: Cloud) -> Any:
            t = await offer(cloud, await volume(cloud))
            own = await call(cloud, "demo", "GET", f"/os-volume-transfer/{t['id']}")
            other = await call(cloud, "alt_demo", "GET", f"/os-volume-transfer/{t['id']}")
            admin = await call(cloud, "admin", "GET", f"/os-volume-transfer/{t['id']}")
            return t["id"], own.status, other.status, other.json, admin.status

        tid, own, other, body, admin = run(main)
        assert (own, other, admin) == (200, 404, 200)
        assert body == {"itemNotFound": {"code": 404,
                                         "message": f"Transfer {tid} could not be found."}}

    def test_delete_makes_the_volume_available_again(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            t = await offer(cloud, vid)
            before = cloud.db.fingerprint()
            other = await call(cloud, "alt_demo", "DELETE", f"/os-volume-transfer/{t['id']}")
            unchanged = cloud.db.fingerprint() == before
            r = await call(cloud, "demo", "DELETE", f"/os-volume-transfer/{t['id']}")
            again = await call(cloud, "demo", "GET", f"/os-volume-transfer/{t['id']}")
            return (other.status, unchanged, r.status, r.json,
                    str(cloud.db.volumes[vid].status), again.status)

        assert run(main) == (404, True, 202, None, "available", 404)


# --- accept ------------------------------------------------------------------------------
class TestAccept:
    def test_accept_moves_volume_snapshots_and_quota(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud, size=3)
            sids = [await snapshot(cloud, vid), await snapshot(cloud, vid)]
            await volume(cloud, size=2)  # stays with demo
            t = await offer(cloud, vid)
            before = {u: usage_matches_rows(cloud, u) for u in ("demo", "alt_demo")}
            r = await call(cloud, "alt_demo", "POST", f"/os-volume-transfer/{t['id']}/accept",
                           {"accept": {"auth_key": t["auth_key"]}})
            after = {u: usage_matches_rows(cloud, u) for u in ("demo", "alt_demo")}
            assert quota_matches_existence(cloud) == []
            shown = await call(cloud, "alt_demo", "GET", f"/volumes/{vid}")
            snap = await call(cloud, "alt_demo", "GET", f"/snapshots/{sids[0]}")
            gone = await call(cloud, "demo", "GET", f"/volumes/{vid}")
            transfer = await call(cloud, "alt_demo", "GET", f"/os-volume-transfer/{t['id']}")
            alt = cloud.project_id("alt_demo")
            return (t, r.status, r.json, before, after, shown.json["volume"], snap.status,
                    gone.status, transfer.status, alt,
                    [cloud.db.snapshots[s].project_id for s in sids])

        (t, status, body, before, after, vol, snap, gone, transfer, alt,
         snap_owners) = run(main)
        assert status == 202
        assert body == {"transfer": {"id": t["id"], "volume_id": t["volume_id"],
                                     "name": None, "links": body["transfer"]["links"]}}
        assert before["demo"] == {"volumes": (2, 2), "gigabytes": (11, 11),
                                  "snapshots": (2, 2)}
        assert before["alt_demo"] == {"volumes": (0, 0), "gigabytes": (0, 0),
                                      "snapshots": (0, 0)}
        assert after["demo"] == {"volumes": (1, 1), "gigabytes": (2, 2), "snapshots": (0, 0)}
        assert after["alt_demo"] == {"volumes": (1, 1), "gigabytes": (9, 9),
                                     "snapshots": (2, 2)}
        assert vol["status"] == "available"
        assert vol["os-vol-tenant-attr:tenant_id"] == alt
        assert snap_owners == [alt, alt]
        assert (snap, gone, transfer) == (200, 404, 404)

    def test_no_snapshots_leaves_them_and_their_quota_behind(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud, size=3)
            sid = await snapshot(cloud, vid)
            t = await offer(cloud, vid, path="/volume-transfers", version="3.55",
                            no_snapshots=True)
            r = await call(cloud, "alt_demo", "POST", f"/volume-transfers/{t['id']}/accept",
                           {"accept": {"auth_key": t["auth_key"]}}, "3.55")
            return (r.status, usage_matches_rows(cloud, "demo"),
                    usage_matches_rows(cloud, "alt_demo"),
                    cloud.db.snapshots[sid].project_id == cloud.project_id("demo"))

        status, demo, alt, snap_stays = run(main)
        assert status == 202
        assert demo == {"volumes": (0, 0), "gigabytes": (3, 3), "snapshots": (1, 1)}
        assert alt == {"volumes": (1, 1), "gigabytes": (3, 3), "snapshots": (0, 0)}
        assert snap_stays

    def test_per_type_quota_moves_too(self) -> None:
        async def main(cloud: Cloud) -> Any:
            await call(cloud, "admin", "POST", "/types", {"volume_type": {"name": "gold"}})
            vid = await volume(cloud, size=4, vtype="gold")
            t = await offer(cloud, vid)
            await call(cloud, "alt_demo", "POST", f"/os-volume-transfer/{t['id']}/accept",
                       {"accept": {"auth_key": t["auth_key"]}})
            assert quota_matches_existence(cloud) == []
            demo = cloud.quota.usage(cloud.project_id("demo"))
            alt = cloud.quota.usage(cloud.project_id("alt_demo"))
            return ((demo["volumes_gold"]["in_use"], demo["gigabytes_gold"]["in_use"]),
                    (alt["volumes_gold"]["in_use"], alt["gigabytes_gold"]["in_use"]))

        assert run(main) == ((0, 0), (1, 4))

    def test_integer_auth_key_is_compared_as_text(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            t = await offer(cloud, vid)
            tr = cloud.db.transfers[t["id"]]
            tr.crypt_hash = crypt_hash(tr.salt, "12345")  # a key that happens to be digits
            r = await call(cloud, "alt_demo", "POST", f"/os-volume-transfer/{t['id']}/accept",
                           {"accept": {"auth_key": 12345}})
            return r.status

        assert run(main) == 202

    @pytest.mark.parametrize("path", ["/os-volume-transfer", "/volume-transfers"])
    def test_refused_accepts_change_nothing(self, path: str) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud, size=5)
            await snapshot(cloud, vid)
            t = await offer(cloud, vid)
            alt = cloud.project_id("alt_demo")
            accept = f"{path}/{t['id']}/accept"
            out = []

            async def attempt(body: Any, quota: dict[str, int] | None = None) -> None:
                if quota is not None:
                    r = await call(cloud, "admin", "PUT", f"/os-quota-sets/{alt}",
                                   {"quota_set": quota})
                    assert r.status == 200, r.json
                before = cloud.db.fingerprint()
                r = await call(cloud, "alt_demo", "POST", accept, body)
                out.append((r.status, r.json, r.headers.get("Retry-After"),
                            cloud.db.fingerprint() == before))

            good = {"accept": {"auth_key": t["auth_key"]}}
            await attempt({"accept": {"auth_key": "0" * 16}})
            await attempt({"accept": {}})
            await attempt({"accept": {"auth_key": t["auth_key"], "x": 1}})
            await attempt(good, {"gigabytes": 7})  # volume fits (5), its snapshot does not
            await attempt(good, {"gigabytes": 4})
            await attempt(good, {"gigabytes": 1000, "volumes": 0})
            await attempt(good, {"volumes": 10, "snapshots": 0})
            await attempt(good, {"snapshots": 10, "per_volume_gigabytes": 4})
            r = await call(cloud, "demo", "GET", f"/volumes/{vid}")
            return t["id"], out, r.json["volume"]["status"]

        tid, out, status = run(main)
        assert all(unchanged for *_, unchanged in out)
        assert [(s, b, h) for s, b, h, _ in out] == [
            (400, bad(f"Invalid auth key: Attempt to transfer {tid} with invalid auth key."),
             None),
            (400, bad("'auth_key' is a required property"), None),
            (400, bad("Additional properties are not allowed ('x' was unexpected)"), None),
            (413, {"overLimit": {"code": 413, "retryAfter": "0", "message": (
                "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, "
                "quota is 7G and 5G has been consumed.")}}, "0"),
            (413, {"overLimit": {"code": 413, "retryAfter": "0", "message": (
                "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, "
                "quota is 4G and 0G has been consumed.")}}, "0"),
            (413, {"overLimit": {"code": 413, "retryAfter": "0", "message": (
                "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for "
                "quota 'volumes'.")}}, "0"),
            (413, {"overLimit": {"code": 413, "retryAfter": "0", "message": (
                "SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded")}},
             "0"),
            (413, {"overLimit": {"code": 413, "retryAfter": "0", "message": (
                "VolumeSizeExceedsLimit: Requested volume size 5G is larger than maximum "
                "allowed limit 4G.")}}, "0"),
        ]
        assert status == "awaiting-transfer"

    def test_accept_twice_is_404_and_project_less_urls_work(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            t = await offer(cloud, vid, path="/volume-transfers")
            token = cloud.token("alt_demo")
            headers = {"OpenStack-API-Version": "volume 3.67"}
            body = {"accept": {"auth_key": t["auth_key"]}}
            first = await cloud.request("POST", f"/v3/volume-transfers/{t['id']}/accept",
                                        json=body, token=token, headers=headers)
            second = await cloud.request("POST", f"/v3/volume-transfers/{t['id']}/accept",
                                         json=body, token=token, headers=headers)
            return first.status, second.status

        assert run(main) == (202, 404)

    def test_transfer_events_in_the_trace(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await volume(cloud)
            t = await offer(cloud, vid)
            await call(cloud, "alt_demo", "POST", f"/os-volume-transfer/{t['id']}/accept",
                       {"accept": {"auth_key": t["auth_key"]}})
            return vid

        result = simulate(main)
        vid = result.value
        kinds = [e.kind for e in result.trace.events if e.kind.startswith("transfer.")]
        assert kinds == ["transfer.create", "transfer.accept"]
        statuses = [(e.detail["old"], e.detail["new"], e.detail["op"])
                    for e in result.trace.events
                    if e.kind == "status" and e.resource == f"volume:{vid}"
                    and e.detail.get("field") == "status"]
        assert statuses[-2:] == [("available", "awaiting-transfer", "transfer_create"),
                                 ("awaiting-transfer", "available", "transfer_accept")]
        assert check_trace(result.trace.events) == []
