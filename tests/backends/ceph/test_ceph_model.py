"""The simulated Ceph cluster: ceph df's raw/usable figures, thin images, snapshots,
protect/unprotect, layering (COW clones, flatten) and librbd's refusals."""

from __future__ import annotations

import random

import pytest

from cindersim.backends.blocks import BLOCK_SIZE, GiB
from cindersim.backends.ceph import (
    CephNetwork,
    ImageBusy,
    ImageHasSnapshots,
    InvalidArgument,
    NoSpace,
    librbd,
)
from cindersim.backends.costs import Meter


def _pool(osds: int = 3, osd_size_gb: int = 10, size: int = 3):  # type: ignore[no-untyped-def]
    net = CephNetwork(random.Random(1))
    cluster = net.cluster_for_conf("", osds=osds, osd_size_gb=osd_size_gb)
    return net, cluster, cluster.create_pool("volumes", size=size), Meter()


def test_df_raw_versus_usable_and_thin_images() -> None:
    _, cluster, pool, meter = _pool()
    img = pool.add_image(meter, "volume-a", 5 * GiB)
    df = cluster.df()
    stats = df["pools"][0]["stats"]
    assert df["stats"]["total_bytes"] == 30 * GiB  # raw: 3 OSDs x 10 GiB
    assert stats["stored"] == 0
    assert stats["objects"] == 0
    assert stats["max_avail"] == int(30 * GiB * 0.95) // 3  # usable = raw below full / size
    img.data.write(0, 128, "x")  # 4 MiB: one RADOS object
    stats = cluster.df()["pools"][0]["stats"]
    assert stats["stored"] == 128 * BLOCK_SIZE
    assert stats["bytes_used"] == 3 * 128 * BLOCK_SIZE  # three replicas
    assert stats["objects"] == 1
    assert cluster.df()["stats"]["total_used_raw_bytes"] == 3 * 128 * BLOCK_SIZE


def test_pools_share_the_raw_space() -> None:
    _, cluster, pool, meter = _pool()
    other = cluster.create_pool("backups", size=2)
    before = {p["name"]: p["stats"]["max_avail"] for p in cluster.df()["pools"]}
    pool.add_image(meter, "v", GiB).data.write(0, 1000, "x")
    after = {p["name"]: p["stats"]["max_avail"] for p in cluster.df()["pools"]}
    assert after["backups"] < before["backups"]  # one pool's writes shrink every pool
    assert other.stored_bytes() == 0


def test_full_cluster_refuses_writes() -> None:
    _, _, pool, meter = _pool(osds=1, osd_size_gb=1, size=1)
    img = pool.add_image(meter, "v", 2 * GiB)
    with pytest.raises(NoSpace):
        img.data.write(0, GiB // BLOCK_SIZE, "x")  # 1 GiB > 95% of the 1 GiB cluster


def test_snapshot_keeps_overwritten_blocks_and_rollback_restores() -> None:
    _, _, pool, meter = _pool()
    img = pool.add_image(meter, "v", GiB)
    img.data.write(0, 10, "old")
    snap = librbd.create_snap(meter, img, "s1")
    assert img.stored_blocks() == 10  # a snapshot costs nothing until the head diverges
    img.data.write(0, 4, "new")
    assert snap.preserved == {0, 1, 2, 3}
    assert img.stored_blocks() == 14
    librbd.rollback_to_snap(meter, img, "s1")
    assert img.data.same_content(snap.data)


def test_layering_protect_clone_unprotect_flatten() -> None:
    _, _, pool, meter = _pool()
    parent = pool.add_image(meter, "parent", GiB)
    parent.data.write(0, 256, "base")
    librbd.create_snap(meter, parent, "s")
    with pytest.raises(InvalidArgument):  # clone v1 needs a protected snapshot
        librbd.clone(meter, parent, "s", pool, "child")
    librbd.protect_snap(meter, parent, "s")
    child = librbd.clone(meter, parent, "s", pool, "child")
    assert child.parent_info() == ("volumes", "parent", "s")
    assert child.data.same_content(parent.data)  # reads through to the parent
    assert child.stored_blocks() == 0  # copy-on-write: nothing of its own
    child.data.write(0, 1, "mine")
    assert child.stored_blocks() == 1
    with pytest.raises(ImageBusy):
        librbd.unprotect_snap(meter, parent, "s")  # children exist
    with pytest.raises(ImageBusy):
        librbd.remove_snap(meter, parent, "s")  # protected
    with pytest.raises(ImageHasSnapshots):
        librbd.remove(meter, pool, "parent")
    librbd.flatten(meter, child)
    assert child.parent is None
    assert child.stored_blocks() == 256
    librbd.unprotect_snap(meter, parent, "s")
    librbd.remove_snap(meter, parent, "s")
    librbd.remove(meter, pool, "parent")
    assert child.data.read(5) != 0  # the flattened child kept its data


def test_watchers_block_removal() -> None:
    net, cluster, pool, meter = _pool()
    pool.add_image(meter, "v", GiB)
    handle = net.open(meter, cluster, "volumes", "v", client="qemu:compute-1", user="cinder",
                      conf="")
    with pytest.raises(ImageBusy):
        librbd.remove(meter, pool, "v")
    handle.close()
    librbd.remove(meter, pool, "v")


def test_export_diff_between_snapshots() -> None:
    _, _, pool, meter = _pool()
    img = pool.add_image(meter, "v", GiB)
    img.data.write(0, 10, "a")
    librbd.create_snap(meter, img, "s1")
    img.data.write(5, 10, "b")
    librbd.create_snap(meter, img, "s2")
    assert [i for i, _ in librbd.diff_blocks(img, "s2", "s1")] == list(range(5, 15))
    assert len(librbd.diff_blocks(img, "s2", None)) == 15
