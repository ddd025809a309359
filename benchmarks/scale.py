"""What-if runs at scale: wall time, peak memory, growth, scheduler cost, sweeps.

Issue 9's targets, each printed as a figure (nothing here asserts on time):

1. **1,000 backends, 100,000 create requests with lifetimes and deletes, trace
   ``metrics``**: under 60 s wall and under 2 GiB peak RSS.
2. **Growth**: wall(100,000 requests) / wall(10,000 requests) at most 12.  The
   same workload at 9,000 and 65,000 creates sends about 10,000 and 100,000
   requests (creates plus the deletes whose lifetimes end within the run).
3. **Scheduler cost per request** no worse than linear in the number of
   backends (measured inside ``SchedulerService.decide``).
4. **A sweep of 8 runs** with ``--jobs 2`` at most 0.65x the wall time of
   ``--jobs 1``.
5. **Memory per live volume** (issue 19): 100,000 volumes created and kept on one
   big backend, trace off; the growth of peak RSS over the cloud before them,
   per volume (target <= 1 KB).
6. With ``--million`` (issue 19, long): **1,000,000 requests on 1,000 backends**
   under 5 minutes and 2 GiB, the wall time per request within 1.2x of the same
   workload's at 10,000 requests, and one run on **10,000 backends**.

Every run goes through the user's path: a scenario file with ``[fleet]`` and
``[workload]`` tables, loaded by ``load_scenario`` and run by ``run_scenario``.
Each measured run is its own process, so peak RSS is that run's alone.

    python benchmarks/scale.py            # everything (a few minutes)
    python benchmarks/scale.py --quick    # 10x smaller, for a smoke test
    python benchmarks/scale.py --repeat 1 # figure 1 once (default: median of 3)
    python benchmarks/scale.py --million  # and figure 6 (many minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# The workload: one tenant creating volumes at a steady rate, each deleted after
# an exponential lifetime; capability reports at Cinder's default 60 s.
SCENARIO = """\
name = "scale"
description = "{backends} thin backends, {creates} creates at {rate}/s with lifetimes"
seed = 1

[cloud.DEFAULT]
quota_volumes = -1
quota_gigabytes = -1

[fleet]
count = {backends}
backends_per_host = 4
vg_size_gb = 10240
lvm_type = "thin"
max_over_subscription_ratio = 20

[workload]
duration = {duration}
metrics_interval = 300

[[workload.streams]]
project = "demo"
arrivals = {{ poisson = {rate} }}
sizes = {{ uniform = [1, 100] }}
lifetime = {{ exponential = {lifetime} }}
mix = {{ create = 1.0 }}
"""


def _scenario(directory: Path, backends: int, creates: int, rate: float,
              lifetime: float) -> Path:
    path = directory / f"scale-{backends}-{creates}.toml"
    path.write_text(SCENARIO.format(backends=backends, creates=creates, rate=rate,
                                    duration=creates / rate, lifetime=lifetime),
                    encoding="utf-8")
    return path


def child(path: str, time_scheduler: bool) -> None:
    """Run one scenario in this (fresh) process and print one JSON line of figures."""
    sys.path.insert(0, str(ROOT / "src"))
    from cindersim.scenario import load_scenario, run_scenario  # noqa: PLC0415
    from cindersim.services.scheduler.filter_scheduler import Placer  # noqa: PLC0415

    spent = [0.0, 0]
    if time_scheduler:
        # The create pass itself (filters, weighers, the index): what the scheduler
        # manager's create_volume asks its Placer, once per decision.
        place = Placer.create_volume

        def timed(self: Placer, *args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return place(self, *args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t
                spent[1] += 1

        Placer.create_volume = timed  # type: ignore[method-assign]
    scenario = load_scenario(path)
    t = time.perf_counter()
    result = run_scenario(scenario)
    wall = time.perf_counter() - t
    metrics = result.metrics
    counts = dict(metrics.counts) if metrics is not None else {}
    summary = metrics.summary() if metrics is not None else {}
    print(json.dumps({
        "wall": wall,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "virtual_s": result.result.virtual_time,
        "requests": sum(v for k, v in counts.items() if k.startswith("http.")),
        "creates_ok": summary.get("volume.create.count"),
        "deletes_ok": summary.get("volume.delete.count"),
        "no_valid_backend": counts.get("error.no_valid_backend", 0),
        "reports": sum(s.reports for s in result.result.cloud.volume_services.values()),
        "decide_us": spent[0] / spent[1] * 1e6 if spent[1] else None,
    }))


def volumes_child(n: int) -> None:
    """Create *n* volumes and keep them (this fresh process); print the peak RSS
    growth per volume, in bytes, as one JSON line."""
    sys.path.insert(0, str(ROOT / "src"))
    import asyncio  # noqa: PLC0415

    from cindersim import Cloud, simulate  # noqa: PLC0415

    config = {"DEFAULT": {"quota_volumes": -1, "quota_gigabytes": -1},
              "lvmdriver-1": {"vg_size_gb": 10 * n, "lvm_type": "thin"}}

    def rss() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    async def main(cloud: Cloud) -> tuple[int, int]:
        token, pid = cloud.token("demo"), cloud.project_id("demo")
        await cloud.settle()
        before = rss()
        for i in range(n):
            r = await cloud.request("POST", f"/v3/{pid}/volumes",
                                    json={"volume": {"size": 1}}, token=token)
            assert r.status == 202, r.json
            if i % 1000 == 999:
                await cloud.settle()
        await cloud.settle()
        await asyncio.sleep(0)
        live = sum(1 for v in cloud.db.volumes.values() if v.status == "available")
        assert live == n, live
        return before, rss()

    before, after = simulate(main, seed=1, config=config, trace_mode="off").value
    print(json.dumps({"volumes": n, "bytes_per_volume": (after - before) / n}))


def measure(path: Path, *, time_scheduler: bool = False) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", str(path)]
                         + (["--time-scheduler"] if time_scheduler else []),
                         check=True, capture_output=True, text=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def sweep_ratio(runs_per_value: int) -> tuple[float, float]:
    """Wall time of an 8-run sweep with jobs 1 and jobs 2 (the CLI's own code path)."""
    sys.path.insert(0, str(ROOT / "src"))
    from cindersim.sweep import Sweep, parse_set, run_sweep  # noqa: PLC0415

    sweep = Sweep.build(str(ROOT / "scenarios" / "sweep-example.toml"),
                        [parse_set("fleet.max_over_subscription_ratio=1.0,2.0")],
                        seeds=range(1, runs_per_value + 1))
    walls = []
    for jobs in (1, 2):
        t = time.perf_counter()
        run_sweep(sweep.runs, jobs=jobs)
        walls.append(time.perf_counter() - t)
    return walls[0], walls[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller runs")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="runs of figure 1 (its wall time varies by a few %% between "
                             "runs on a shared machine; the median is printed)")
    parser.add_argument("--million", action="store_true",
                        help="also figure 6: 1,000,000 requests, and 10,000 backends")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--volumes-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--time-scheduler", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.time_scheduler)
        return
    if args.volumes_child:
        volumes_child(args.volumes_child)
        return
    scale = 10 if args.quick else 1
    rate, lifetime = 20.0, 1800.0
    print(f"machine: {os.cpu_count()} cores; workload: Poisson {rate:g} creates/s, sizes "
          f"1-100 GiB, lifetimes exponential (mean {lifetime:g} s), thin 10 TiB backends "
          "reporting every 60 s, trace mode metrics")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        big_n, small_n = 100_000 // scale, 10_000 // scale
        path = _scenario(d, 1000, big_n, rate, lifetime)
        runs = [measure(path) for _ in range(args.repeat)]
        big = runs[0]
        walls = sorted(r["wall"] for r in runs)
        median = walls[len(walls) // 2]
        spread = (f" (median of {len(walls)} runs: "
                  + ", ".join(f"{w:.1f}" for w in walls) + " s)") if len(walls) > 1 else ""
        print(f"1. 1,000 backends, {big_n:,} creates ({big['requests']:,} requests: "
              f"{big['creates_ok']:,} creates and {big['deletes_ok']:,} deletes done, "
              f"{big['reports']:,} capability reports, {big['virtual_s']:,.0f} virtual s): "
              f"{median:.1f} s wall{spread}, peak RSS "
              f"{max(r['rss_mib'] for r in runs):,.0f} MiB (targets < 60 s, < 2048 MiB)")
        ten = measure(_scenario(d, 1000, 9_000 // scale, rate, lifetime))
        hundred = measure(_scenario(d, 1000, 65_000 // scale, rate, lifetime))
        print(f"2. growth: {ten['requests']:,} requests {ten['wall']:.2f} s, "
              f"{hundred['requests']:,} requests {hundred['wall']:.2f} s: ratio "
              f"{hundred['wall'] / ten['wall']:.1f} for {hundred['requests'] / ten['requests']:.1f}"
              "x the requests (target <= 12 for 10x)")
        print("3. scheduler cost per request (fast path: trace metrics), "
              f"{small_n // 2:,} creates:")
        base = None
        for backends in (10, 100, 1000):
            fig = measure(_scenario(d, backends, small_n // 2, rate, lifetime),
                          time_scheduler=True)
            per = fig["decide_us"]
            base = base or (per, backends)
            growth = per / base[0]
            print(f"   {backends:>5} backends: {per:7.1f} us per decision "
                  f"({growth:.2f}x the {base[1]}-backend cost for {backends / base[1]:g}x "
                  "the backends)")
    one, two = sweep_ratio(4)
    print(f"4. sweep of 8 runs (sweep-example.toml): --jobs 1 {one:.2f} s, --jobs 2 "
          f"{two:.2f} s: ratio {two / one:.2f} (target <= 0.65)")
    n = 100_000 // scale
    out = subprocess.run([sys.executable, __file__, "--volumes-child", str(n)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"5. memory: {n:,} live volumes (trace off): {mem['bytes_per_volume']:,.0f} bytes "
          "of peak RSS per volume (target <= 1,024)")
    if args.million:
        million(rate, lifetime, scale)


def million(rate: float, lifetime: float, scale: int) -> None:
    """Figure 6: the same workload at 10,000 and 1,000,000 requests on 1,000 backends,
    and at 100,000 requests on 10,000 backends (65 creates send about 100 requests:
    the deletes of the volumes whose lifetimes end within the run)."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # Building 1,000 backends costs seconds: the wall time of a run of one create
        # is taken off both, so that the cost per request compares the requests alone.
        setup = measure(_scenario(d, 1000, 1, rate, lifetime))["wall"]
        small = measure(_scenario(d, 1000, 6_500 // scale, rate, lifetime))
        big = measure(_scenario(d, 1000, 650_000 // scale, rate, lifetime))
        per_small = (small["wall"] - setup) / small["requests"] * 1e6
        per_big = (big["wall"] - setup) / big["requests"] * 1e6
        print(f"6. 1,000 backends, {big['requests']:,} requests: {big['wall']:.0f} s wall, "
              f"peak RSS {big['rss_mib']:,.0f} MiB (targets < 300 s, < 2048 MiB); "
              f"{per_big:.0f} us per request against {per_small:.0f} us at "
              f"{small['requests']:,} requests: {per_big / per_small:.2f}x (target <= 1.2; "
              f"the {setup:.1f} s of building the cloud taken off both)")
        wide = measure(_scenario(d, 10_000, 65_000 // scale, rate, lifetime))
        print(f"   10,000 backends, {wide['requests']:,} requests: {wide['wall']:.0f} s wall, "
              f"peak RSS {wide['rss_mib']:,.0f} MiB, "
              f"{wide['wall'] / wide['requests'] * 1e6:.0f} us per request")


if __name__ == "__main__":
    main()
