"""End-to-end tests of ``os-retype``: in place, by migration (on-demand), the ``never``
refusal, per-type quota moving, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

TWO = {"DEFAULT": {"enabled_backends": "fast,slow"},
       "fast": {"host": "cinder-1", "volume_backend_name": "FAST", "vg_size_gb": 20},
       "slow": {"host": "cinder-2", "volume_backend_name": "SLOW", "vg_size_gb": 20}}
COMBINED = ("Invalid volume: Retype needs volume to be in available or in-use state, not be "
            "part of an active migration or a consistency group, requested type has to be "
            "different that the one from the volume, and for in-use volumes front-end qos "
            "specs cannot change.")


def _p(cloud: Cloud, user: str, rest: str) -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def make_type(cloud: Cloud, name: str, backend: str | None) -> str:
    specs = {"volume_backend_name": backend} if backend else {}
    r = await cloud.request("POST", _p(cloud, "admin", "/types"), token=cloud.token("admin"),
                            json={"volume_type": {"name": name, "extra_specs": specs}})
    assert r.status == 200, r.json
    return str(r.json["volume_type"]["id"])


async def make_volume(cloud: Cloud, vtype: str, size: int = 1) -> str:
    r = await cloud.request("POST", _p(cloud, "demo", "/volumes"), token=cloud.token("demo"),
                            json={"volume": {"size": size, "volume_type": vtype}})
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def retype(cloud: Cloud, vid: str, new_type: Any, policy: str | None = None,
                 user: str = "demo") -> Any:
    inner: dict[str, Any] = {"new_type": new_type}
    if policy is not None:
        inner["migration_policy"] = policy
    return await cloud.request("POST", _p(cloud, user, f"/volumes/{vid}/action"),
                               token=cloud.token(user), json={"os-retype": inner})


def test_retype_in_place_same_backend() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "a", "FAST")
        await make_type(cloud, "b", "FAST")
        vid = await make_volume(cloud, "a")
        cloud.volume_data(vid).write(0, 8, "guest")
        before = cloud.volume_data(vid).copy()
        host = cloud.db.volumes[vid].host
        r = await retype(cloud, vid, "b")
        assert cloud.db.volumes[vid].status == "retyping"
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return r.status, vol.status, vol.host == host, \
            cloud.db.volume_types[vol.volume_type_id or ""].name, \
            cloud.volume_data(vid) == before

    res = simulate(main, config=TWO)
    assert res.value == (202, "available", True, "b", True)
    assert check_trace(res.trace.events) == []


def test_retype_on_demand_migrates_to_matching_backend_and_keeps_data() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "fast", "FAST")
        await make_type(cloud, "slow", "SLOW")
        vid = await make_volume(cloud, "fast", size=2)
        assert (cloud.db.volumes[vid].host or "").startswith("cinder-1@fast")
        cloud.volume_data(vid).write(3, 50, "payload")
        before = cloud.volume_data(vid).copy()
        r = await retype(cloud, vid, "slow", "on-demand")
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        show = await cloud.request("GET", _p(cloud, "demo", f"/volumes/{vid}"),
                                   token=cloud.token("demo"))
        return (r.status, vol.status, vol.host, vol.migration_status,
                show.json["volume"]["volume_type"], cloud.volume_data(vid) == before,
                len(cloud.db.volumes),
                bool(cloud.volume_services["cinder-1@fast"].vg.lvs(f"volume-{vid}")))

    res = simulate(main, config=TWO)
    status, vstatus, host, mstatus, vtype, same, count, left = res.value
    assert (status, vstatus, mstatus, vtype, same, count) == (
        202, "available", "success", "slow", True, 1)
    assert host.startswith("cinder-2@slow#")
    assert left is False
    assert check_trace(res.trace.events) == []


def test_retype_never_policy_refused_by_scheduler_and_rolled_back() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "fast", "FAST")
        await make_type(cloud, "slow", "SLOW")
        vid = await make_volume(cloud, "fast")
        r = await retype(cloud, vid, "slow")  # default policy: never
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return r.status, vol.status, cloud.db.volume_types[vol.volume_type_id or ""].name, \
            vol.host

    res = simulate(main, config=TWO)
    assert res.value[:3] == (202, "available", "fast")
    assert (res.value[3] or "").startswith("cinder-1@fast")
    assert check_trace(res.trace.events) == []
    assert any("migration not allowed" in (e.detail.get("reason") or "")
               for e in res.trace.events if e.kind == "status")


def test_retype_moves_quota_between_per_type_keys() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "a", "FAST")
        await make_type(cloud, "b", "FAST")
        vid = await make_volume(cloud, "a", size=3)
        pid = cloud.project_id("demo")
        r0 = await cloud.request("GET", _p(cloud, "demo", f"/os-quota-sets/{pid}?usage=True"),
                                 token=cloud.token("demo"))
        await retype(cloud, vid, "b")
        await cloud.settle()
        r1 = await cloud.request("GET", _p(cloud, "demo", f"/os-quota-sets/{pid}?usage=True"),
                                 token=cloud.token("demo"))
        keys = ("volumes", "gigabytes", "volumes_a", "gigabytes_a", "volumes_b", "gigabytes_b")
        return ([r0.json["quota_set"][k]["in_use"] for k in keys],
                [r1.json["quota_set"][k]["in_use"] for k in keys],
                [r1.json["quota_set"][k]["reserved"] for k in keys])

    before, after, reserved = simulate(main, config=TWO).value
    assert before == [1, 3, 1, 3, 0, 0]
    assert after == [1, 3, 0, 0, 1, 3]
    assert reserved == [0] * 6


def test_retype_refusals_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "a", "FAST")
        vid = await make_volume(cloud, "a")
        fp = cloud.db.fingerprint()
        out = []
        for body in ({"os-retype": {"new_type": "a"}},
                     {"os-retype": {"new_type": "nope"}},
                     {"os-retype": {"new_type": "a", "migration_policy": "always"}},
                     {"os-retype": {}},
                     {"os-retype": {"new_type": "a", "x": 1}}):
            r = await cloud.request("POST", _p(cloud, "demo", f"/volumes/{vid}/action"),
                                    token=cloud.token("demo"), json=body)
            out.append((r.status, r.json))
        r = await retype(cloud, vid, "a", user="alt_demo")
        out.append((r.status, None))
        await cloud.settle()
        return out, fp == cloud.db.fingerprint()

    out, unchanged = simulate(main, config=TWO).value
    assert out[0] == (400, {"badRequest": {"code": 400, "message": COMBINED}})
    assert out[1] == (404, {"itemNotFound": {"code": 404, "message":
                            "Volume type with name nope could not be found."}})
    assert [s for s, _ in out[2:]] == [400, 400, 400, 404]
    assert unchanged


def test_retype_wrong_status_400() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "a", "FAST")
        await make_type(cloud, "b", "FAST")
        vid = await make_volume(cloud, "a")
        cloud.db.volumes[vid].migration_status = "migrating"
        fp = cloud.db.fingerprint()
        r = await retype(cloud, vid, "b")
        return r.status, r.json, fp == cloud.db.fingerprint(), vid

    status, body, unchanged, vid = simulate(main, config=TWO).value
    assert status == 400
    assert unchanged
    assert body["badRequest"]["message"] == COMBINED
    assert vid


CONNECTOR = {"initiator": "iqn.1994-05.com.redhat:compute-1", "ip": "192.168.122.20",
             "host": "compute-1", "platform": "x86_64", "os_type": "linux",
             "multipath": False}
V344 = {"OpenStack-API-Version": "volume 3.44"}


async def attach(cloud: Cloud, vid: str) -> None:
    r = await cloud.request("POST", _p(cloud, "demo", "/attachments"), token=cloud.token("demo"),
                            headers=V344, json={"attachment": {
                                "volume_uuid": vid, "instance_uuid": cloud.sim.ids.uuid(),
                                "connector": CONNECTOR}})
    assert r.status == 200, r.json
    aid = r.json["attachment"]["id"]
    r = await cloud.request("POST", _p(cloud, "demo", f"/attachments/{aid}/action"),
                            token=cloud.token("demo"), headers=V344, json={"os-complete": {}})
    assert r.status == 204, r.json
    await cloud.settle()


def test_retype_in_use_in_place_stays_in_use() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "a", "FAST")
        await make_type(cloud, "b", "FAST")
        vid = await make_volume(cloud, "a")
        await attach(cloud, vid)
        r = await retype(cloud, vid, "b")
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return r.status, vol.status, cloud.db.volume_types[vol.volume_type_id or ""].name

    res = simulate(main, config=TWO)
    assert res.value == (202, "in-use", "b")
    assert check_trace(res.trace.events) == []


def test_retype_changing_multiattach_of_in_use_volume_refused() -> None:
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "a", "FAST")
        r = await cloud.request("POST", _p(cloud, "admin", "/types"), token=cloud.token("admin"),
                                json={"volume_type": {"name": "multi", "extra_specs": {
                                    "volume_backend_name": "FAST",
                                    "multiattach": "<is> True"}}})
        assert r.status == 200, r.json
        vid = await make_volume(cloud, "a")
        await attach(cloud, vid)
        fp = cloud.db.fingerprint()
        r = await retype(cloud, vid, "multi")
        return r.status, r.json, fp == cloud.db.fingerprint()

    status, body, unchanged = simulate(main, config=TWO).value
    assert status == 400
    assert body["badRequest"]["message"] == (
        "Invalid input received: Invalid volume_type passed, retypes affecting multiattach "
        "are only allowed on available volumes, the specified volume however currently has "
        "a status of: in-use.")
    assert unchanged


def test_retype_needing_migration_of_in_use_volume_fails_and_rolls_back() -> None:
    """The move would take Nova's swap_volume (not simulated): the migration ends in
    error, the volume is back in-use with its old type and its per-type quota."""
    async def main(cloud: Cloud) -> Any:
        await make_type(cloud, "fast", "FAST")
        await make_type(cloud, "slow", "SLOW")
        vid = await make_volume(cloud, "fast", size=2)
        await attach(cloud, vid)
        pid = cloud.project_id("demo")
        r = await retype(cloud, vid, "slow", "on-demand")
        await cloud.settle()
        q = await cloud.request("GET", _p(cloud, "demo", f"/os-quota-sets/{pid}?usage=True"),
                                token=cloud.token("demo"))
        vol = cloud.db.volumes[vid]
        keys = ("gigabytes_fast", "gigabytes_slow")
        return (r.status, vol.status, vol.migration_status,
                cloud.db.volume_types[vol.volume_type_id or ""].name,
                [(q.json["quota_set"][k]["in_use"], q.json["quota_set"][k]["reserved"])
                 for k in keys], len(cloud.db.volumes))

    res = simulate(main, config=TWO)
    assert res.value == (202, "in-use", "error", "fast", [(2, 0), (0, 0)], 1)
    assert check_trace(res.trace.events) == []
