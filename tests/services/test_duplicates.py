"""At-least-once delivery: every RPC method the bus carries, delivered twice, is a no-op
the second time (issue 18, "flows under faults").

The workload of :mod:`duplicate_workload` sends every method of every service's
handler table.  For each ``(topic, method)`` it runs again with that method's
messages duplicated, and the cloud must end where the clean run ended: the same
answers to every request, the same records in the same statuses, the same LVs
and iSCSI targets, the same quota, and every invariant holding.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from duplicate_workload import TWO_BACKENDS, workload

from cindersim.bus import MessageFault
from cindersim.cloud import Cloud, simulate
from cindersim.errors import CinderException
from cindersim.states import check_trace
from cindersim.testing import (
    capacity_agrees,
    exports_match_attachments,
    nothing_transitional,
    quota_matches_existence,
    records_have_storage,
)
from cindersim.testing.machine import _is_cinder_error


def served(cloud: Cloud) -> list[tuple[str, str]]:
    """(topic, method) for every method of every service's handler table."""
    out = [("cinder-scheduler", m) for m in cloud.scheduler.handlers]
    for svc in cloud.volume_services.values():
        out += [("cinder-volume", m) for m in svc.methods]
    out += [("cinder-backup", m) for m in cloud.backup.methods]
    for compute in cloud.nova.computes.values():
        out += [("compute", m) for m in compute.methods]
    return sorted(set(out))


def outcome(cloud: Cloud, api: Any) -> dict[str, Any]:
    """What a user and an operator can see once the workload is done."""
    db = cloud.db
    return {
        "responses": [status for _m, _p, status in api.responses],
        "volumes": sorted((v.status, v.size, v.attach_status) for v in db.volumes.values()),
        "snapshots": sorted(s.status for s in db.snapshots.values()),
        "backups": sorted(b.status for b in db.backups.values()),
        "attachments": len(db.attachments),
        "lvs": {h: sorted(len(n) for n in s.vg.lv_names()) for h, s in
                sorted(cloud.volume_services.items())},
        "targets": sum(len(s.driver.target.targets()) for s in cloud.volume_services.values()),
        "quota": sorted((k[1], r.in_use) for k, r in db.quota_usages.items()),
        "reservations": len(db.reservations),
        "images": len(cloud.glance.images),
        "servers": len(cloud.nova.instances),
    }


def problems(cloud: Cloud) -> list[str]:
    found = capacity_agrees(cloud) + exports_match_attachments(cloud)
    found += quota_matches_existence(cloud) + nothing_transitional(cloud)
    found += records_have_storage(cloud)
    found += [e.summary for e in cloud.trace.events if e.kind == "api.bug"]
    found += [e.summary for e in cloud.trace.events
              if e.kind == "bus.error" and not _is_cinder_error(e.detail.get("error"))]
    found += [str(p) for p in check_trace(cloud.trace.events)]
    return found


def run(faults: list[MessageFault]) -> tuple[dict[str, Any], list[str], Cloud]:
    async def main(cloud: Cloud) -> tuple[dict[str, Any], list[str], Cloud]:
        cloud.bus.faults.extend(faults)
        api = await workload(cloud)
        await cloud.settle()
        return outcome(cloud, api), problems(cloud), cloud

    return simulate(main, config=TWO_BACKENDS).value


BASELINE: dict[str, Any] = {}


def baseline() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    if not BASELINE:
        seen, found, cloud = run([])
        assert found == []
        BASELINE["outcome"], BASELINE["served"] = seen, served(cloud)
        BASELINE["sent"] = dict(cloud.bus.stats.by_method)
    return BASELINE["outcome"], BASELINE["served"]


def _all_methods() -> list[tuple[str, str]]:
    async def main(cloud: Cloud) -> list[tuple[str, str]]:
        return served(cloud)
    return simulate(main, config=TWO_BACKENDS).value


METHODS = _all_methods()


def test_the_workload_sends_every_method() -> None:
    _, methods = baseline()
    assert methods == METHODS
    missing = sorted({m for _t, m in METHODS} - set(BASELINE["sent"]))
    assert missing == []


@pytest.mark.parametrize(("topic", "method"), METHODS, ids=[f"{t}.{m}" for t, m in METHODS])
def test_duplicate_delivery_is_a_no_op(topic: str, method: str) -> None:
    clean, _ = baseline()
    rule = MessageFault(action="duplicate", topic=topic, method=method)
    seen, found, _cloud = run([rule])
    assert rule.fired > 0, f"{topic}.{method} was never sent"
    assert found == []
    assert seen == clean


async def _created_with_copies(cloud: Cloud, times: int) -> str:
    """POST a volume with its first *times* create_volume casts duplicated; settled."""
    cloud.bus.faults.append(MessageFault(action="duplicate", method="create_volume",
                                         times=times))
    pid = cloud.project_id("demo")
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                            token=cloud.token("demo"))
    await cloud.settle()
    vid: str = r.json["volume"]["id"]
    return vid


def test_issue_reproducer_create_volume_duplicated_three_times() -> None:
    """The issue's case: the volume is available with its LV, nothing illegal, and a
    later extend finishes."""
    async def main(cloud: Cloud) -> Any:
        vid = await _created_with_copies(cloud, 3)
        pid = cloud.project_id("demo")
        status = cloud.db.volumes[vid].status
        await cloud.request("POST", f"/v3/{pid}/volumes/{vid}/action",
                            json={"os-extend": {"new_size": 2}}, token=cloud.token("demo"))
        await cloud.settle()
        vol = cloud.db.volumes[vid]
        return status, vol.status, vol.size, problems(cloud), cloud.bus.stats.duplicated

    status, after, size, found, duplicated = simulate(main).value
    assert (status, after, size, found) == ("available", "available", 2, [])
    assert duplicated == 2  # api -> scheduler and scheduler -> volume


def test_a_refused_copy_is_logged_with_the_ids_it_names() -> None:
    # The create entries key a delivery by one id (operator.itemgetter), as others
    # do by a tuple of ids: the log names the id, not its letters.
    async def main(cloud: Cloud) -> tuple[str, list[str]]:
        vid = await _created_with_copies(cloud, 2)
        logs = [e.summary for e in cloud.trace.events
                if e.kind == "log" and e.detail.get("duplicate") == "create_volume"]
        return vid, logs

    vid, logs = simulate(main, trace_mode="full").value
    assert len(logs) == 2
    for summary in logs:  # one at the scheduler, one at the volume service
        assert summary.startswith(f"create_volume for {vid[:8]} not acted on: "), summary


def test_a_fifth_of_all_messages_duplicated() -> None:
    """Duplicating 20% of everything once left iSCSI targets with no attachment."""
    clean, _ = baseline()
    rule = MessageFault(action="duplicate", probability=0.2)
    seen, found, _cloud = run([rule])
    assert rule.fired > 10
    assert found == []
    assert seen == clean


@pytest.mark.parametrize(("topic", "method"), METHODS, ids=[f"{t}.{m}" for t, m in METHODS])
def test_delayed_delivery_changes_nothing(topic: str, method: str) -> None:
    """Every message of the method arrives 20 s late (within rpc_response_timeout): the
    workload settles after each step, so the cloud ends exactly as without the delay."""
    clean, _ = baseline()
    rule = MessageFault(action="delay", topic=topic, method=method, delay=20.0)
    seen, found, _cloud = run([rule])
    assert rule.fired > 0
    assert found == []
    assert seen == clean


CASTS = [(t, m) for t, m in METHODS if m not in {
    "get_pools", "get_manageable_volumes", "get_manageable_snapshots",
    "update_service_capabilities"}]


@pytest.mark.parametrize(("topic", "method"), CASTS, ids=[f"{t}.{m}" for t, m in CASTS])
def test_a_lost_message_breaks_nothing_else(topic: str, method: str) -> None:
    """The first message of the method is lost.  Cinder then leaves the record where the
    API put it (a volume stays ``creating``, a call times out and the API answers 500
    or the caller gives up); that is its outcome, but no service crashes, no status
    moves illegally, capacity and exports stay consistent, and nothing is lost."""
    rule = MessageFault(action="drop", topic=topic, method=method, times=1)

    async def main(cloud: Cloud) -> list[str]:
        cloud.bus.faults.append(rule)
        # The workload stops at the first step that needed the lost message's work.
        with contextlib.suppress(AssertionError, KeyError, CinderException):
            await workload(cloud)
        await cloud.settle()
        found = capacity_agrees(cloud) + records_have_storage(cloud)
        found += [e.summary for e in cloud.trace.events if e.kind == "api.bug"]
        found += [e.summary for e in cloud.trace.events
                  if e.kind == "bus.error" and not _is_cinder_error(e.detail.get("error"))]
        found += [str(p) for p in check_trace(cloud.trace.events)]
        return found

    found = simulate(main, config=TWO_BACKENDS).value
    assert rule.fired == 1
    assert found == []
