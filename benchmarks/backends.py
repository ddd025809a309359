"""Backend model benchmarks: how fast and how lean the storage models are.

Each ``bench_*`` function prints its figures; nothing here asserts timing.
Run with ``python benchmarks/backends.py`` (``make bench`` runs every script).
Other parts of the suite add their own functions to :data:`BENCHMARKS`.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import time
import tracemalloc
from collections.abc import Callable

from cindersim.backends.blocks import BlockData, GiB
from cindersim.backends.costs import Meter
from cindersim.backends.drivers import ChunkedBackupDriver, LVMConfig, LVMVolumeDriver
from cindersim.backends.lvm import VolumeGroup
from cindersim.backends.objectstore import ObjectStore
from cindersim.db import Volume

TiB = 1024 * GiB
MiB = 1024 * 1024


def _sparse_tib_volume(seed: int = 1, fraction: float = 0.01) -> BlockData:
    """1 TiB with *fraction* of its 32 KiB blocks written, in 1 MiB (32-block) extents."""
    rng = random.Random(seed)
    volume = BlockData.of_gib(1024)
    extent = 32
    target = int(volume.size_blocks * fraction)
    n = 0
    while volume.written() < target:
        first = rng.randrange(0, volume.size_blocks - extent)
        volume.write(first, extent, n)
        n += 1
    return volume


def _backup_and_restore(volume: BlockData) -> tuple[BlockData, ChunkedBackupDriver]:
    store = ObjectStore(Meter())
    driver = ChunkedBackupDriver(store, Meter())
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    vid, bid = "0" * 8 + "-1111-4111-8111-" + "1" * 12, "b" * 8 + "-2222-4222-8222-" + "2" * 12
    result = driver.backup(backup_id=bid, volume_id=vid, volume=volume, now=now)
    target = BlockData(volume.size_blocks)
    driver.restore([result.ref(bid, vid, volume.size_bytes // GiB)], target)
    return target, driver


def bench_backup() -> None:
    """Full backup then restore of a 1 TiB volume with 1% of its blocks written.

    Targets: under 1 s wall time and under 200 MiB of extra peak memory.
    """
    volume = _sparse_tib_volume()
    gc.collect()
    start = time.perf_counter()
    target, driver = _backup_and_restore(volume)
    elapsed = time.perf_counter() - start
    same = target == volume
    store = driver.store
    print(f"backup+restore 1 TiB, {volume.written()} blocks written (1%): "
          f"{elapsed:.3f} s wall, {store.object_count} objects, "
          f"{store.usage_bytes / GiB:.2f} GiB stored, restore identical: {same}")
    del target, driver
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    kept = _backup_and_restore(volume)  # held so the peak includes everything it built
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    print(f"backup+restore 1 TiB: peak {(peak - base) / MiB:.1f} MiB above the source volume "
          f"(tracemalloc; includes the restored copy and the store)")


def _lvm_rates(thin: bool, count: int) -> tuple[float, float, float, float]:
    """(model create/s, model delete/s, driver create/s, driver delete/s) for *count* LVs."""
    disk = (count + 64) * GiB  # room for every LV thick, plus the pool's metadata
    vg = VolumeGroup(pvs=[("/dev/sdb", disk)], meter=Meter())
    pool = "cinder-volumes-pool"
    if thin:
        vg.lvcreate_thin_pool(pool, "64g")
    names = [f"volume-{i:08d}" for i in range(count)]
    start = time.perf_counter()
    for name in names:
        if thin:
            vg.lvcreate_thin(name, "1g", pool)
        else:
            vg.lvcreate(name, "1g")
    made = time.perf_counter() - start
    start = time.perf_counter()
    for name in names:
        vg.lvremove(name)
    removed = time.perf_counter() - start

    meter = Meter()
    vg = VolumeGroup(pvs=[("/dev/sdb", disk)], meter=meter)
    driver = LVMVolumeDriver(LVMConfig(lvm_type="thin" if thin else "default"),
                             volume_groups={vg.name: vg}, meter=meter, rng=random.Random(1))
    driver.check_for_setup_error()
    volumes = [Volume(id=f"{i:08d}", project_id="p", user_id="u", size=1) for i in range(count)]
    start = time.perf_counter()
    for v in volumes:
        driver.create_volume(v)
    d_made = time.perf_counter() - start
    start = time.perf_counter()
    for v in volumes:
        driver.delete_volume(v)
    d_removed = time.perf_counter() - start
    return count / made, count / removed, count / d_made, count / d_removed


def bench_lvm() -> None:
    """Create then delete 10,000 LVs in one VG, thick and thin (best of 3).

    Model: bare ``lvcreate``/``lvremove``.  Driver: ``create_volume`` /
    ``delete_volume`` with their lookups (and, thick, the ``volume_clear`` dd).
    """
    count = 10_000
    for thin in (False, True):
        best = [0.0, 0.0, 0.0, 0.0]
        for _ in range(3):
            gc.collect()
            best = [max(a, b) for a, b in zip(best, _lvm_rates(thin, count), strict=True)]
        kind = "thin " if thin else "thick"
        print(f"lvm {kind} x{count}: lvcreate {best[0]:,.0f}/s, lvremove {best[1]:,.0f}/s; "
              f"driver create_volume {best[2]:,.0f}/s, delete_volume {best[3]:,.0f}/s")


BENCHMARKS: list[Callable[[], None]] = [bench_backup, bench_lvm]
"""Run in order by :func:`main`; other helpers append their own (``bench_lvm``)."""


def main() -> None:
    for bench in BENCHMARKS:
        print(f"-- {bench.__name__}")
        bench()


if __name__ == "__main__":
    main()
