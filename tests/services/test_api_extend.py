"""End-to-end tests of ``os-extend``: checks, quota, scheduler capacity check, manager."""

from __future__ import annotations

from typing import Any

from cindersim.backends.blocks import GiB
from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, simulate
from cindersim.db import VolumeAttachment
from cindersim.services.api.common import read_scope
from cindersim.services.api.extend import extend
from cindersim.services.api.router import Route
from cindersim.services.api.service import ApiService
from cindersim.services.api.wsgi import ApiRequest, ApiResponse, HTTPError, Version
from cindersim.states import AttachStatus, Op, VolumeStatus, check_trace

V342 = {"OpenStack-API-Version": "volume 3.42"}
THICK_SMALL = {"DEFAULT": {"enabled_backends": "lvm"},
               "lvm": {"host": "cinder-1", "lvm_type": "default", "vg_size_gb": 5}}


async def _action_fallback(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    """Stand-in for the actions controller while it does not route ``os-extend`` yet:
    the same 404 scoping, then the :func:`extend` entry point it will call."""
    vol = api.cloud.db.get_volume(volume_id, read_scope(req))
    if not isinstance(req.body, dict) or "os-extend" not in req.body:
        raise HTTPError(400, "There is no such action")
    return await extend(api, req, vol, req.body)


def _ensure_action_route(cloud: Cloud) -> None:
    route, _, _ = cloud.api.router.match("POST", "/volumes/x/action", Version(3, 71))
    if route is None:
        cloud.api.router.add(Route("POST", "/volumes/{volume_id}/action", _action_fallback))


def _path(cloud: Cloud, user: str, rest: str) -> str:
    return f"/v3/{cloud.project_id(user)}{rest}"


async def _volume(cloud: Cloud, size: int = 1, user: str = "demo") -> str:
    _ensure_action_route(cloud)
    r = await cloud.request("POST", _path(cloud, user, "/volumes"),
                            json={"volume": {"size": size}}, token=cloud.token(user))
    assert r.status == 202, r.json
    await cloud.settle()
    return str(r.json["volume"]["id"])


async def _extend(cloud: Cloud, vid: str, new_size: Any, *, user: str = "demo",
                  headers: dict[str, str] | None = None, body: Any = None) -> Any:
    return await cloud.request(
        "POST", _path(cloud, user, f"/volumes/{vid}/action"),
        json=body if body is not None else {"os-extend": {"new_size": new_size}},
        token=cloud.token(user), headers=headers)


def _attach(cloud: Cloud, vid: str) -> None:
    """Test set-up: an attached attachment row, as os-complete would leave it."""
    db = cloud.db
    vol = db.volumes[vid]
    att = VolumeAttachment(id=cloud.sim.ids.uuid(), volume_id=vid, instance_uuid="server-1")
    db.add(att, op=Op.ATTACHMENT_CREATE, actor="test")
    db.transition(att, AttachStatus.ATTACHED, op=Op.ATTACHMENT_COMPLETE, actor="test",
                  field="attach_status")
    db.transition(vol, AttachStatus.ATTACHED, op=Op.ATTACHMENT_COMPLETE, actor="test",
                  field="attach_status")
    db.transition(vol, VolumeStatus.IN_USE, op=Op.ATTACHMENT_COMPLETE, actor="test")


def _gigabytes(cloud: Cloud, user: str = "demo") -> dict[str, int]:
    return cloud.quota.usage(cloud.project_id(user))["gigabytes"]


def _msg(r: Any) -> str:
    return str(next(iter(r.json.values()))["message"])


def test_extend_available_volume_end_to_end() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=1)
        vol = cloud.db.volumes[vid]
        r = await _extend(cloud, vid, 3)
        mid = (str(vol.status), vol.previous_status, vol.size, dict(_gigabytes(cloud)))
        await cloud.settle()
        svc = next(iter(cloud.volume_services.values()))
        return r, mid, vol, dict(_gigabytes(cloud)), svc.driver.volume_data(vid).size_blocks, \
            svc.allocated_capacity_gb
    result = simulate(main)
    r, mid, vol, gigs, blocks, allocated = result.value
    assert r.status == 202
    assert r.json is None
    assert mid == ("extending", "available", 1, {"limit": 1000, "in_use": 1, "reserved": 2})
    assert str(vol.status) == "available"
    assert vol.size == 3
    assert gigs == {"limit": 1000, "in_use": 3, "reserved": 0}
    assert blocks * 32 * 1024 == 3 * GiB
    assert allocated == 3
    sends = [(e.actor, e.target) for e in result.trace.events
             if e.kind == "bus.send" and e.detail.get("method") == "extend_volume"]
    assert sends == [("cinder-api", "cinder-scheduler"),
                     ("cinder-scheduler", "cinder-volume.cinder-1@lvmdriver-1")]
    assert check_trace(result.trace.events) == []


def test_in_use_extend_needs_3_42_and_its_policy() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=1)
        _attach(cloud, vid)
        fp = cloud.db.fingerprint()
        old = await _extend(cloud, vid, 2)
        old_unchanged = cloud.db.fingerprint() == fp
        default_policy = cloud.policy
        cloud.policy = default_policy.with_overrides({"volume:extend_attached_volume": "!"})
        denied = await _extend(cloud, vid, 2, headers=V342)
        denied_unchanged = cloud.db.fingerprint() == fp
        cloud.policy = default_policy
        ok = await _extend(cloud, vid, 2, headers=V342)
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return vid, old, old_unchanged, denied, denied_unchanged, ok, str(vol.status), vol.size
    result = simulate(main)
    vid, old, old_unchanged, denied, denied_unchanged, ok, status, size = result.value
    assert old.status == 400
    assert old.json == {"badRequest": {"code": 400, "message": (
        f"Invalid volume: Volume {vid} status must be '{{'status': 'available'}}' to extend, "
        "currently in-use.")}}
    assert old_unchanged
    assert denied.status == 403
    assert _msg(denied) == "Policy doesn't allow volume:extend_attached_volume to be performed."
    assert denied_unchanged
    assert ok.status == 202
    assert (status, size) == ("in-use", 2)
    assert check_trace(result.trace.events) == []


def test_bad_sizes_and_states_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=2)
        fp = cloud.db.fingerprint()
        out = {
            "same": await _extend(cloud, vid, 2),
            "smaller": await _extend(cloud, vid, "1"),
            "zero": await _extend(cloud, vid, 0),
            "text": await _extend(cloud, vid, "abc"),
            "missing": await _extend(cloud, vid, None, body={"os-extend": {}}),
            "extra": await _extend(cloud, vid, None,
                                   body={"os-extend": {"new_size": 3, "x": 1}}),
            "other_project": await _extend(cloud, vid, 3, user="alt_demo"),
        }
        out["unchanged"] = cloud.db.fingerprint() == fp
        first = await _extend(cloud, vid, 3)
        fp2 = cloud.db.fingerprint()
        out["while_extending"] = await _extend(cloud, vid, 4)
        out["unchanged2"] = cloud.db.fingerprint() == fp2
        await cloud.settle()
        out["first"] = first
        out["vid"] = vid
        return out
    result = simulate(main)
    out = result.value
    vid = out["vid"]
    assert out["same"].json == {"badRequest": {"code": 400, "message": (
        "Invalid input received: New size for extend must be greater than current size. "
        "(current: 2, extended: 2).")}}
    assert _msg(out["smaller"]).endswith("(current: 2, extended: 1).")
    for key in ("zero", "text", "missing", "extra"):
        assert out[key].status == 400, key
    assert "'new_size' is a required property" in _msg(out["missing"])
    assert out["other_project"].json == {"itemNotFound": {
        "code": 404, "message": f"Volume {vid} could not be found."}}
    assert out["unchanged"]
    assert out["first"].status == 202
    assert _msg(out["while_extending"]) == (
        f"Invalid volume: Volume {vid} status must be '{{'status': 'available'}}' to extend, "
        "currently extending.")
    assert out["unchanged2"]
    assert result.cloud.db.volumes[vid].size == 3
    assert check_trace(result.trace.events) == []


def test_quota_and_per_volume_limit_are_413_and_change_nothing() -> None:
    async def main(cloud: Cloud) -> Any:
        pid = cloud.project_id("demo")
        cloud.quota.update_project(pid, {"gigabytes": 6, "per_volume_gigabytes": 10})
        vid = await _volume(cloud, size=2)
        fp = cloud.db.fingerprint()
        over = await _extend(cloud, vid, 7)  # needs +5 with 2 of 6 used
        per_volume = await _extend(cloud, vid, 11)
        unchanged = cloud.db.fingerprint() == fp
        ok = await _extend(cloud, vid, 6)  # +4 fits exactly
        await cloud.settle()
        return over, per_volume, unchanged, ok, cloud.db.volumes[vid].size, \
            dict(_gigabytes(cloud))
    over, per_volume, unchanged, ok, size, gigs = simulate(main).value
    assert over.status == 413
    assert over.headers["Retry-After"] == "0"
    assert over.json == {"overLimit": {"code": 413, "retryAfter": "0", "message": (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
        "gigabytes quota. Requested 5G, quota is 6G and 2G has been consumed.")}}
    assert per_volume.status == 413
    assert _msg(per_volume) == ("VolumeSizeExceedsLimit: Requested volume size 11G is larger "
                                "than maximum allowed limit 10G.")
    assert unchanged
    assert ok.status == 202
    assert size == 6
    assert gigs == {"limit": 6, "in_use": 6, "reserved": 0}


def test_driver_failure_sets_error_extending_and_rolls_back() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=1)
        cloud.inject(FaultRule(op="extend_volume", times=1))
        r = await _extend(cloud, vid, 4)
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        after = (str(vol.status), vol.size, dict(_gigabytes(cloud)))
        # error_extending is a terminal error state: a plain DELETE works.
        d = await cloud.request("DELETE", _path(cloud, "demo", f"/volumes/{vid}"),
                                token=cloud.token("demo"))
        await cloud.settle()
        return r, after, d, vid in cloud.db.volumes, dict(_gigabytes(cloud))
    result = simulate(main)
    r, after, d, exists, gigs = result.value
    assert r.status == 202
    assert after == ("error_extending", 1, {"limit": 1000, "in_use": 1, "reserved": 0})
    assert d.status == 202
    assert not exists
    assert gigs["in_use"] == 0
    assert check_trace(result.trace.events) == []


def test_no_valid_backend_returns_previous_status_and_rolls_back() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=2)  # thick 5 GiB VG: 3 GiB free
        r = await _extend(cloud, vid, 9)
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return r, str(vol.status), vol.previous_status, vol.size, dict(_gigabytes(cloud))
    result = simulate(main, config=THICK_SMALL)
    r, status, previous, size, gigs = result.value
    assert r.status == 202
    assert (status, previous, size) == ("available", None, 2)
    assert gigs == {"limit": 1000, "in_use": 2, "reserved": 0}
    assert not [e for e in result.trace.events
                if e.kind == "driver" and e.detail.get("call") == "extend_volume"]
    schedules = [e for e in result.trace.events if e.kind == "schedule"]
    assert len(schedules) == 2  # the create, then the extend's capacity check
    assert schedules[-1].detail["decision"]["operation"] == "backend_passes_filters"
    assert schedules[-1].detail["decision"]["chosen"] is None
    assert check_trace(result.trace.events) == []


def test_extend_consumes_scheduler_capacity() -> None:
    async def main(cloud: Cloud) -> Any:
        vid = await _volume(cloud, size=1)
        hm = cloud.scheduler.host_manager
        state = hm.get_backend_state("cinder-1@lvm#lvm")
        before = state.allocated_capacity_gb if state is not None else None
        await _extend(cloud, vid, 3)
        await cloud.settle()
        return before, state.allocated_capacity_gb if state is not None else None
    before, after = simulate(main, config=THICK_SMALL).value
    assert before is not None
    assert after == before + 2
