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

Every run goes through the user's path: a scenario file with ``[fleet]`` and
``[workload]`` tables, loaded by ``load_scenario`` and run by ``run_scenario``.
Each measured run is its own process, so peak RSS is that run's alone.

    python benchmarks/scale.py            # everything (a few minutes)
    python benchmarks/scale.py --quick    # 10x smaller, for a smoke test
    python benchmarks/scale.py --repeat 1 # figure 1 once (default: median of 3)
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
    from cindersim.services.scheduler.manager import SchedulerService  # noqa: PLC0415

    spent = [0.0, 0]
    if time_scheduler:
        decide = SchedulerService.decide

        def timed(self: SchedulerService, *args: Any) -> Any:
            t = time.perf_counter()
            try:
                return decide(self, *args)
            finally:
                spent[0] += time.perf_counter() - t
                spent[1] += 1

        SchedulerService.decide = timed  # type: ignore[method-assign]
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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--time-scheduler", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.time_scheduler)
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


if __name__ == "__main__":
    main()
