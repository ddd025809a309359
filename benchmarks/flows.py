"""Complete Cinder flows per wall second, and bus messages per flow.

* create -> available: POST /volumes, scheduler, cinder-volume, lvcreate;
* attach: attachment create -> update with a connector (create_export +
  initialize_connection) -> os-complete, then detach (attachment delete);
* backup -> available and restore -> available (once cinder-backup answers);
* attach + detach through Nova (a server booted from an image, then
  ``POST``/``DELETE /servers/{id}/os-volume_attachments``).

Each figure runs a batch of flows in one simulation with the trace off (the
``metrics`` mode big what-if runs use) and again with the full trace.  Target
(issue 4): at least 2,000 creates/s.  Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from cindersim import Cloud, simulate

CONNECTOR = {"initiator": "iqn.1994-05.com.redhat:compute-1", "ip": "192.168.122.20",
             "host": "compute-1", "platform": "x86_64", "os_type": "linux",
             "multipath": False}
BIG = {"DEFAULT": {"quota_volumes": -1, "quota_gigabytes": -1, "quota_backups": -1,
                   "quota_backup_gigabytes": -1},
       "lvmdriver-1": {"vg_size_gb": 100_000}}


def run(flow: Callable[[Cloud, int], Awaitable[int]], n: int, trace_mode: str
        ) -> tuple[float, float]:
    """Returns (flows per wall second, bus messages per flow)."""
    async def main(cloud: Cloud) -> tuple[float, int]:
        sent0 = cloud.bus.stats.sent
        t = time.perf_counter()
        done = await flow(cloud, n)
        elapsed = time.perf_counter() - t
        return done / elapsed, cloud.bus.stats.sent - sent0

    result = simulate(main, seed=1, config=BIG, trace_mode=trace_mode)  # type: ignore[arg-type]
    rate, messages = result.value
    return rate, messages / n


async def creates(cloud: Cloud, n: int) -> int:
    token, pid = cloud.token("demo"), cloud.project_id("demo")
    for _ in range(n):
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=token)
        assert r.status == 202, r.json
    await cloud.settle()
    return n


async def attaches(cloud: Cloud, n: int) -> int:
    token, pid = cloud.token("demo"), cloud.project_id("demo")
    hdrs = {"OpenStack-API-Version": "volume 3.44"}
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                            token=token)
    vid = r.json["volume"]["id"]
    await cloud.settle()
    for _ in range(n):
        r = await cloud.request("POST", f"/v3/{pid}/attachments", token=token, headers=hdrs,
                                json={"attachment": {"volume_uuid": vid,
                                                     "instance_uuid": cloud.sim.ids.uuid(),
                                                     "connector": CONNECTOR}})
        assert r.status == 200, r.json
        aid = r.json["attachment"]["id"]
        r = await cloud.request("POST", f"/v3/{pid}/attachments/{aid}/action", token=token,
                                headers=hdrs, json={"os-complete": {}})
        assert r.status == 204, r.json
        r = await cloud.request("DELETE", f"/v3/{pid}/attachments/{aid}", token=token,
                                headers=hdrs)
        assert r.status == 200, r.json
    await cloud.settle()
    return n


async def backups(cloud: Cloud, n: int) -> int:
    token, pid = cloud.token("demo"), cloud.project_id("demo")
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                            token=token)
    vid = r.json["volume"]["id"]
    await cloud.settle()
    cloud.volume_data(vid).write(0, 1024, "guest-data")
    ids = []
    for _ in range(n):
        r = await cloud.request("POST", f"/v3/{pid}/backups", token=token,
                                json={"backup": {"volume_id": vid}})
        assert r.status == 202, r.json
        ids.append(r.json["backup"]["id"])
        await cloud.settle()
    return n


async def restores(cloud: Cloud, n: int) -> int:
    token, pid = cloud.token("demo"), cloud.project_id("demo")
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                            token=token)
    vid = r.json["volume"]["id"]
    await cloud.settle()
    cloud.volume_data(vid).write(0, 1024, "guest-data")
    r = await cloud.request("POST", f"/v3/{pid}/backups", token=token,
                            json={"backup": {"volume_id": vid}})
    bid = r.json["backup"]["id"]
    await cloud.settle()
    for _ in range(n):
        r = await cloud.request("POST", f"/v3/{pid}/backups/{bid}/restore", token=token,
                                json={"restore": {"volume_id": vid}})
        assert r.status == 202, r.json
        await cloud.settle()
    return n


async def nova_attaches(cloud: Cloud, n: int) -> int:
    """Attach + detach through Nova: nova-api -> cinder-api (3.44 attachments) ->
    nova-compute's connector, iSCSI login, /dev/vdb; then the detach back."""
    token, pid = cloud.token("demo"), cloud.project_id("demo")
    image = next(i.id for i in cloud.glance.images.values() if i.name == "cirros-0.6.2")
    r = await cloud.request("POST", "/compute/v2.1/servers", token=token, json={"server": {
        "name": "bench", "imageRef": image, "flavorRef": "1"}})
    assert r.status == 202, r.json
    sid = r.json["server"]["id"]
    r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                            token=token)
    vid = r.json["volume"]["id"]
    await cloud.settle()
    for _ in range(n):
        r = await cloud.request("POST", f"/compute/v2.1/servers/{sid}/os-volume_attachments",
                                token=token, json={"volumeAttachment": {"volumeId": vid}})
        assert r.status == 200, r.json
        await cloud.settle()
        r = await cloud.request("DELETE",
                                f"/compute/v2.1/servers/{sid}/os-volume_attachments/{vid}",
                                token=token)
        assert r.status == 202, r.json
        await cloud.settle()
    return n


FLOWS: list[tuple[str, Callable[[Cloud, int], Awaitable[int]], int]] = [
    ("create -> available", creates, 2000),
    ("attach + detach (attachments API)", attaches, 500),
    ("backup -> available", backups, 200),
    ("restore -> available", restores, 200),
    ("attach + detach through Nova", nova_attaches, 200),
]


def main() -> None:
    for name, flow, n in FLOWS:
        try:
            fast, per = run(flow, n, "off")
            full, _ = run(flow, n, "full")
        except Exception as exc:  # a flow not available yet must not hide the others
            print(f"{name:36} n/a ({type(exc).__name__}: {exc})")
            continue
        print(f"{name:36} {fast:>9,.0f}/s (trace off)  {full:>9,.0f}/s (trace full)  "
              f"{per:5.1f} bus messages per flow")


if __name__ == "__main__":
    main()


