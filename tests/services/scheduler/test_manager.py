"""Create through the whole cloud: API -> scheduler -> volume, against the
FilterScheduler, the manager's reschedule, quotas and the what-ifs (reference §2, §4, §5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cindersim.backends.faults import FaultRule
from cindersim.cloud import Cloud, simulate
from cindersim.states import check_trace

Main = Callable[[Cloud], Awaitable[Any]]


def two_backends(**extra: Any) -> dict[str, Any]:
    """Two LVM backends on two hosts (each host has its own iSCSI portal address)."""
    cfg: dict[str, Any] = {
        "DEFAULT": {"enabled_backends": "a,b"},
        "a": {"host": "h1", "vg_size_gb": 200, "target_ip_address": "10.0.0.1"},
        "b": {"host": "h2", "vg_size_gb": 100, "target_ip_address": "10.0.0.2"},
    }
    for section, options in extra.items():
        cfg[section] = {**cfg.get(section, {}), **options}
    return cfg


def run(main: Main, **kw: Any) -> Any:
    result = simulate(main, **kw)
    assert check_trace(result.trace.events) == []
    return result


async def create(cloud: Cloud, size: int = 1, user: str = "demo", **volume: Any) -> str:
    p = cloud.project_id(user)
    r = await cloud.request("POST", f"/v3/{p}/volumes",
                            json={"volume": {"size": size, **volume}}, token=cloud.token(user))
    assert r.status == 202, r.json
    vid: str = r.json["volume"]["id"]
    return vid


def status_events(result: Any, vid: str) -> list[tuple[str, str]]:
    return [(e.actor, str(e.detail["new"])) for e in result.trace.events
            if e.kind == "status" and e.resource == f"volume:{vid}"]


class TestPlacement:
    def test_rpc_order_api_scheduler_volume(self) -> None:
        async def main(cloud: Cloud) -> str:
            vid = await create(cloud)
            await cloud.settle()
            return vid

        result = run(main)
        vid = result.value
        sends = [(e.actor, e.detail.get("method")) for e in result.trace.events
                 if e.kind == "bus.send" and e.detail.get("method") == "create_volume"]
        assert sends == [("cinder-api", "create_volume"),
                         ("cinder-scheduler", "create_volume")]
        assert status_events(result, vid) == [("cinder-api", "creating"),
                                              ("cinder-volume:cinder-1@lvmdriver-1",
                                               "available")]
        assert result.cloud.db.volumes[vid].host == "cinder-1@lvmdriver-1#lvmdriver-1"

    def test_capacity_weigher_spreads_to_most_free(self) -> None:
        async def main(cloud: Cloud) -> list[str | None]:
            ids = [await create(cloud, 60), await create(cloud, 60), await create(cloud, 60)]
            await cloud.settle()
            return [cloud.db.volumes[v].host for v in ids]

        config = two_backends(a={"lvm_type": "default"}, b={"lvm_type": "default"})
        # a has 200 GiB, b 100: a, then a (140 free > 100), then b (100 > 80).
        assert run(main, config=config).value == ["h1@a#a", "h1@a#a", "h2@b#b"]

    def test_two_azs_place_by_requested_az(self) -> None:
        async def main(cloud: Cloud) -> Any:
            in_b = await create(cloud, availability_zone="az-b")
            in_a = await create(cloud, availability_zone="az-a")
            await cloud.settle()
            vols = cloud.db.volumes
            p = cloud.project_id("demo")
            bad = await cloud.request("POST", f"/v3/{p}/volumes",
                                      json={"volume": {"size": 1}},
                                      token=cloud.token("demo"))
            return [(vols[v].host, vols[v].availability_zone, str(vols[v].status))
                    for v in (in_b, in_a)], bad.status, bad.json

        config = two_backends(a={"backend_availability_zone": "az-a"},
                              b={"backend_availability_zone": "az-b"})
        placed, status, body = run(main, config=config).value
        assert placed == [("h2@b#b", "az-b", "available"), ("h1@a#a", "az-a", "available")]
        # No AZ asked: the default storage_availability_zone (nova) has no backend here.
        assert (status, body) == (400, {"badRequest": {
            "code": 400, "message": "Availability zone 'nova' is invalid."}})

    def test_default_az_from_config(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud)
            await cloud.settle()
            return cloud.db.volumes[vid].host, cloud.db.volumes[vid].availability_zone

        config = two_backends(DEFAULT={"default_availability_zone": "az-b"},
                              a={"backend_availability_zone": "az-a"},
                              b={"backend_availability_zone": "az-b"})
        assert run(main, config=config).value == ("h2@b#b", "az-b")

    def test_create_guard_acts_on_an_unplaced_creating_volume_only(self) -> None:
        async def main(cloud: Cloud) -> list[str | None]:
            vid = await create(cloud)
            check = cloud.scheduler.guards.table["create_volume"].check
            vol = cloud.db.volumes[vid]
            verdicts = [check({"volume_id": vid})]  # creating, not placed yet: acts
            vol.host = "h9@b#b"  # as if a first delivery placed it (no await till undone)
            verdicts.append(check({"volume_id": vid}))
            vol.host = None
            await cloud.settle()
            verdicts.append(check({"volume_id": vid}))
            verdicts.append(check({"volume_id": "gone"}))
            return [None if v is None else v.reason for v in verdicts]

        assert run(main).value == [None, "the volume is placed on h9@b#b already",
                                   "status is available, expected creating",
                                   "the record is gone"]


class TestNoValidBackend:
    def test_capacity_exhausted_is_error_with_novalidbackend_in_trace(self) -> None:
        async def main(cloud: Cloud) -> Any:
            vid = await create(cloud, 50)
            await cloud.settle()
            p = cloud.project_id("demo")
            return vid, str(cloud.db.volumes[vid].status), cloud.quota.usage(p)

        result = run(main, config={"DEFAULT": {"enabled_backends": "lvm"},
                                   "lvm": {"vg_size_gb": 10, "lvm_type": "default"}})
        vid, status, usage = result.value
        assert status == "error"
        (event,) = [e for e in result.trace.events if e.kind == "status"
                    and e.resource == f"volume:{vid}" and e.detail["new"] == "error"]
        assert event.actor == "cinder-scheduler"
        assert "No valid backend was found" in event.detail["reason"]
        decisions = [e for e in result.trace.events if e.kind == "schedule"]
        assert "CapacityFilter rejects" in decisions[-1].summary
        # Quota was committed at the API: an error volume keeps it until deleted.
        assert usage["gigabytes"]["in_use"] == 50
        assert not any(e.kind.startswith("driver") for e in result.trace.events
                       if e.resource == f"volume:{vid}")

    def test_thin_over_subscription_limit(self) -> None:
        async def main(cloud: Cloud) -> list[str]:
            out = []
            for _ in range(3):
                vid = await create(cloud, 8)
                await cloud.settle()
                out.append(str(cloud.db.volumes[vid].status))
            return out

        thin = {"DEFAULT": {"enabled_backends": "t"},
                "t": {"vg_size_gb": 10, "lvm_type": "thin", "max_over_subscription_ratio": 2.0}}
        # 16 GiB fit on a 10 GiB VG thanks to the ratio; 24 do not.
        assert run(main, config=thin).value == ["available", "available", "error"]
        thin["t"]["max_over_subscription_ratio"] = 1.0
        assert run(main, config=thin).value == ["available", "error", "error"]


class TestReschedule:
    def test_driver_fault_reschedules_to_the_other_backend(self) -> None:
        """With RetryFilter enabled the second attempt skips the backend that failed."""
        async def main(cloud: Cloud) -> str:
            cloud.inject(FaultRule(op="create_volume", backend="h1@a", times=1))
            vid = await create(cloud)
            await cloud.settle()
            return vid

        config = two_backends(DEFAULT={"scheduler_default_filters": (
            "AvailabilityZoneFilter,CapacityFilter,CapabilitiesFilter,RetryFilter")})
        result = run(main, config=config)
        vid = result.value
        vol = result.cloud.db.volumes[vid]
        assert (str(vol.status), vol.host) == ("available", "h2@b#b")
        (resched,) = [e for e in result.trace.events if e.kind == "reschedule"]
        assert resched.actor == "cinder-volume:h1@a"
        assert "ProcessExecutionError" in resched.detail["error"]
        assert status_events(result, vid) == [("cinder-api", "creating"),
                                              ("cinder-volume:h2@b", "available")]
        # The partial volume on h1 was deleted before trying elsewhere.
        drivers = [(e.actor, e.summary) for e in result.trace.events if e.kind == "driver"]
        assert drivers[:3] == [("cinder-volume:h1@a", "driver.create_volume"),
                               ("cinder-volume:h1@a", "driver.delete_volume"),
                               ("cinder-volume:h2@b", "driver.create_volume")]

    def test_default_filters_may_pick_the_same_backend_again(self) -> None:
        """No RetryFilter by default: the weigher still prefers the roomier backend."""
        async def main(cloud: Cloud) -> Any:
            cloud.inject(FaultRule(op="create_volume", backend="h1@a", times=1))
            vid = await create(cloud)
            await cloud.settle()
            return str(cloud.db.volumes[vid].status), cloud.db.volumes[vid].host

        result = run(main, config=two_backends())
        assert result.value == ("available", "h1@a#a")
        assert len([e for e in result.trace.events if e.kind == "reschedule"]) == 1

    def test_persistent_fault_exhausts_attempts(self) -> None:
        async def main(cloud: Cloud) -> str:
            cloud.inject(FaultRule(op="create_volume", times=None))
            vid = await create(cloud)
            await cloud.settle()
            return vid

        result = run(main)
        vid = result.value
        assert str(result.cloud.db.volumes[vid].status) == "error"
        # Three driver attempts, each rescheduled by the manager; the fourth
        # scheduling pass is over scheduler_max_attempts and errors the volume.
        creates = [e for e in result.trace.events
                   if e.kind == "driver" and e.summary == "driver.create_volume"]
        assert len(creates) == 3
        assert len([e for e in result.trace.events if e.kind == "reschedule"]) == 3
        assert len([e for e in result.trace.events if e.kind == "schedule"]) == 4
        (last,) = [e for e in result.trace.events if e.kind == "status"
                   and e.detail["new"] == "error"]
        assert last.actor == "cinder-scheduler"
        assert "Exceeded max scheduling attempts 3" in last.detail["reason"]

    def test_max_attempts_one_turns_rescheduling_off(self) -> None:
        async def main(cloud: Cloud) -> str:
            cloud.inject(FaultRule(op="create_volume", times=1))
            vid = await create(cloud)
            await cloud.settle()
            return vid

        result = run(main, config={"DEFAULT": {"scheduler_max_attempts": 1}})
        vol = result.cloud.db.volumes[result.value]
        assert str(vol.status) == "error"
        assert [e for e in result.trace.events if e.kind == "reschedule"] == []


class TestStoppedScheduler:
    def test_requests_queue_then_drain(self) -> None:
        async def main(cloud: Cloud) -> Any:
            cloud.scheduler.stop()
            ids = [await create(cloud, s) for s in (1, 2, 3)]
            await cloud.settle()
            depth = cloud.bus.depth("cinder-scheduler")
            waiting = [(str(cloud.db.volumes[v].status), cloud.db.volumes[v].host)
                       for v in ids]
            cloud.scheduler.start()
            await cloud.settle()
            done = [str(cloud.db.volumes[v].status) for v in ids]
            return depth, waiting, done, cloud.bus.depth("cinder-scheduler")

        depth, waiting, done, after = run(main).value
        assert depth == 3
        assert waiting == [("creating", None)] * 3
        assert done == ["available"] * 3
        assert after == 0

    def test_stopped_volume_service_keeps_its_queue(self) -> None:
        async def main(cloud: Cloud) -> Any:
            svc = cloud.volume_services["cinder-1@lvmdriver-1"]
            svc.stop()
            vid = await create(cloud)
            await cloud.settle()
            depth = cloud.bus.depth("cinder-volume.cinder-1@lvmdriver-1")
            status = str(cloud.db.volumes[vid].status)
            svc.start()
            await cloud.settle()
            return depth, status, str(cloud.db.volumes[vid].status)

        assert run(main).value == (1, "creating", "available")


class TestQuotaMatchesRows:
    def test_mixed_sequence(self) -> None:
        """After creates, 413s, NoValidBackend, driver errors and deletes, each
        project's in_use equals what its rows add up to and nothing stays reserved."""
        async def main(cloud: Cloud) -> Any:
            ok = [await create(cloud, s) for s in (1, 2, 3)]
            too_big = await create(cloud, 40)                      # NoValidBackend -> error
            await cloud.settle()
            cloud.inject(FaultRule(op="create_volume", times=None))
            broken = await create(cloud, 2)                        # driver errors -> error
            await cloud.settle()
            cloud.faults.clear()
            p = cloud.project_id("demo")
            over = await cloud.request("POST", f"/v3/{p}/volumes",
                                       json={"volume": {"size": 900}},
                                       token=cloud.token("demo"))   # 413
            await create(cloud, 1, "alt_demo")
            for vid in (ok[1], too_big):
                r = await cloud.request("DELETE", f"/v3/{p}/volumes/{vid}",
                                        token=cloud.token("demo"))
                assert r.status == 202
            await cloud.settle()
            return over.status, str(cloud.db.volumes[broken].status)

        result = run(main, config={"DEFAULT": {"enabled_backends": "lvm",
                                               "quota_gigabytes": 100},
                                   "lvm": {"vg_size_gb": 20}})
        assert result.value == (413, "error")
        cloud = result.cloud
        for name in ("demo", "alt_demo", "admin"):
            pid = cloud.project_id(name)
            rows = [v for v in cloud.db.volumes.values() if v.project_id == pid]
            usage = cloud.quota.usage(pid)
            assert usage["volumes"]["in_use"] == len(rows)
            assert usage["gigabytes"]["in_use"] == sum(v.size for v in rows)
            assert usage["volumes___DEFAULT__"]["in_use"] == len(rows)
            assert all(u["reserved"] == 0 for u in usage.values())
        assert sorted(v.size for v in cloud.db.volumes.values()
                      if v.project_id == cloud.project_id("demo")) == [1, 2, 3]


class TestDeterminism:
    @staticmethod
    async def program(cloud: Cloud) -> None:
        cloud.inject(FaultRule(op="create_volume", probability=0.5))
        ids = [await create(cloud, s) for s in (1, 5, 2, 7)]
        await cloud.settle()
        p = cloud.project_id("demo")
        for vid in ids[:2]:
            await cloud.request("DELETE", f"/v3/{p}/volumes/{vid}", token=cloud.token("demo"))
        await cloud.advance(120)
        await cloud.settle()

    def test_same_program_same_trace(self) -> None:
        a = run(self.program, seed=7, config=two_backends())
        b = run(self.program, seed=7, config=two_backends())
        assert a.trace.to_jsonl() == b.trace.to_jsonl()
        assert a.cloud.db.fingerprint() == b.cloud.db.fingerprint()

    def test_another_seed_differs(self) -> None:
        a = run(self.program, seed=7, config=two_backends())
        c = run(self.program, seed=8, config=two_backends())
        assert a.trace.to_jsonl() != c.trace.to_jsonl()


class TestCastFilterProperties:
    """What the scheduler casts on to cinder-volume carries the retry record of the pass
    that placed the volume; the casts of first passes to one pool share one dict."""

    def test_each_cast_carries_its_own_pass_record(self) -> None:
        async def main(cloud: Cloud) -> list[str]:
            cloud.inject(FaultRule(op="create_volume", backend="h1@a", times=1))
            ids = [await create(cloud, 60)]  # fails once on h1@a, placed there again
            await cloud.settle()
            ids += [await create(cloud, 60), await create(cloud, 60)]  # h1@a, then h2@b
            await cloud.settle()
            return ids

        config = two_backends(a={"lvm_type": "default"}, b={"lvm_type": "default"})
        result = run(main, config=config)
        casts = [(e.detail["args"]["volume_id"], e.detail["args"]["filter_properties"])
                 for e in result.trace.events if e.kind == "bus.send"
                 and e.actor == "cinder-scheduler" and e.detail["method"] == "create_volume"]

        def retry(attempts: int, *pools: str) -> dict[str, Any]:
            return {"retry": {"num_attempts": attempts, "backends": list(pools),
                              "hosts": list(pools)}}

        first, second, third = result.value
        assert casts == [(first, retry(1, "h1@a#a")), (first, retry(2, "h1@a#a", "h1@a#a")),
                         (second, retry(1, "h1@a#a")), (third, retry(1, "h2@b#b"))]
        assert casts[0][1] is casts[2][1]  # one pool, a first pass each: one dict
        assert casts[1][1] is not casts[0][1]
        assert [str(result.cloud.db.volumes[v].status) for v in result.value] == \
            ["available"] * 3


class TestScheduleEvents:
    def test_a_subscriber_added_mid_run_gets_the_schedule_events_of_later_creates(self) -> None:
        """Without a full trace, whether a create builds its ``schedule`` event follows
        the trace's subscribers as they come and go (the scheduler asks once per create)."""
        seen: list[str | None] = []

        async def main(cloud: Cloud) -> str:
            await create(cloud)
            await cloud.settle()
            unsubscribe = cloud.sim.trace.subscribe(lambda e: seen.append(e.resource),
                                                    kinds=["schedule"])
            vid = await create(cloud)
            await cloud.settle()
            unsubscribe()
            await create(cloud)
            await cloud.settle()
            return vid

        result = simulate(main, trace_mode="off")
        assert seen == [f"volume:{result.value}"]
