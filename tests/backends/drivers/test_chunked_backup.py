"""Chunked backup driver against the reference (§5) and chunkeddriver.py."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cindersim import errors
from cindersim.backends.blocks import BLOCK_SIZE, BlockData, GiB
from cindersim.backends.costs import Meter
from cindersim.backends.drivers import (
    POSIX_FILE_SIZE,
    SHA_BLOCK_SIZE,
    SWIFT_OBJECT_SIZE,
    ZERO_BLOCK_SHA256,
    BackupRef,
    Chunk,
    ChunkedBackupDriver,
    Sha256File,
    backup_chain,
    compressor_name,
    deflated_size,
)
from cindersim.backends.faults import FaultPlan, FaultRule
from cindersim.backends.objectstore import ObjectStore, StoreFlavour

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
VID = "11111111-2222-4333-8444-555555555555"
BID = "aabbccdd-2222-4333-8444-666666666666"
PER_SWIFT_CHUNK = SWIFT_OBJECT_SIZE // BLOCK_SIZE  # 1600 blocks


def driver(flavour: StoreFlavour = "swift", **kw: Any) -> ChunkedBackupDriver:
    return ChunkedBackupDriver(ObjectStore(Meter(), flavour=flavour), Meter(), **kw)


def bid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def body(d: ChunkedBackupDriver, container: str, name: str) -> Any:
    obj = d.store.peek(container, name)
    assert obj is not None, name
    return obj.body


# --- naming ----------------------------------------------------------------------------
def test_swift_prefix_names_and_object_count() -> None:
    d = driver()
    vol = BlockData.of_gib(1)
    vol.write(0, 3, "x")
    seen: list[tuple[str, str]] = []
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW,
                 on_prepared=lambda c, p: seen.append((c, p)))
    prefix = f"volume_{VID}/20260304050607/az_nova_backup_{BID}"
    assert r.service_metadata == prefix
    assert r.container == "volumebackups"
    assert seen == [("volumebackups", prefix)]
    # 1 GiB in 50 MiB chunks: 20 full chunks and one of 24 MiB.
    names = d.store.list("volumebackups", prefix)
    assert names[:2] == [f"{prefix}-00001", f"{prefix}-00002"]
    assert names[-3:] == [f"{prefix}-00021", f"{prefix}_metadata", f"{prefix}_sha256file"]
    assert r.data_objects == 21
    assert r.object_count == 22  # Cinder stores the next object id
    last = body(d, "volumebackups", f"{prefix}-00021")
    assert isinstance(last, Chunk)
    assert (last.offset, last.length) == (20 * SWIFT_OBJECT_SIZE, 24 * 1024 * 1024)


def test_posix_prefix_container_and_file_size() -> None:
    d = driver("posix")
    assert d.chunk_size == POSIX_FILE_SIZE == 61035 * SHA_BLOCK_SIZE
    vol = BlockData.of_gib(2)
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    assert r.container == f"aa/bb/{BID}"
    assert r.service_metadata == f"volume_{VID}_20260304050607_backup_{BID}"
    assert r.data_objects == 2  # 2 GiB / 1999994880 bytes → 2 files
    assert d.store.list(r.container) == [f"{r.service_metadata}-00001",
                                         f"{r.service_metadata}-00002",
                                         f"{r.service_metadata}_metadata",
                                         f"{r.service_metadata}_sha256file"]


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        driver().object_prefix(BID, VID, dt.datetime(2026, 1, 1))  # noqa: DTZ001


# --- metadata and sha256file ---------------------------------------------------------------
def test_metadata_contents() -> None:
    d = driver()
    vol = BlockData.of_gib(1)
    vol.write(PER_SWIFT_CHUNK + 5, 2, "y")
    meta = json.dumps({"version": 2, "volume-metadata": {"k": "v"}})
    asked: list[str] = []

    def get_metadata(volume_id: str) -> str:
        asked.append(volume_id)
        return meta

    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW, name="nightly",
                 description="d", get_metadata=get_metadata)
    assert asked == [VID]
    m = body(d, r.container, f"{r.service_metadata}_metadata")
    assert set(m) == {"version", "backup_id", "volume_id", "backup_name", "backup_description",
                      "created_at", "objects", "parent_id", "volume_meta"}
    assert m["version"] == "1.0.0"
    assert (m["backup_id"], m["volume_id"]) == (BID, VID)
    assert (m["backup_name"], m["backup_description"]) == ("nightly", "d")
    assert m["created_at"] == "2026-03-04 05:06:07+00:00"
    assert m["parent_id"] is None
    assert m["volume_meta"] == meta
    first = m["objects"][0]
    assert list(first) == [f"{r.service_metadata}-00001"]
    entry = first[f"{r.service_metadata}-00001"]
    assert set(entry) == {"offset", "length", "compression", "md5"}
    assert (entry["offset"], entry["length"]) == (0, SWIFT_OBJECT_SIZE)
    assert entry["compression"] == "zlib"  # all zeros compresses
    second = m["objects"][1][f"{r.service_metadata}-00002"]
    assert second["offset"] == SWIFT_OBJECT_SIZE
    assert second["md5"] != entry["md5"]
    # Stored size is the real JSON's size.
    assert d.store.peek(r.container, f"{r.service_metadata}_metadata").size == len(  # type: ignore[union-attr]
        json.dumps(m, sort_keys=True, indent=2).encode())


def test_restore_puts_each_backups_volume_meta_full_first() -> None:
    """chunkeddriver.restore: put_metadata after each backup of the chain, oldest first,
    with the *target* volume's id; a backup without volume_meta is skipped."""
    d = driver(chunk_size=4 * BLOCK_SIZE)
    vol = BlockData(16)
    metas = [json.dumps({"version": 2, "volume-metadata": {"n": "0"}}), None,
             json.dumps({"version": 2, "volume-metadata": {"n": "2"}})]
    refs: dict[str, BackupRef] = {}
    parent: BackupRef | None = None
    for n, meta in enumerate(metas):
        vol.write(n, 1, f"w{n}")
        r = d.backup(backup_id=bid(n), volume_id=VID, volume=vol, now=NOW, parent=parent,
                     get_metadata=lambda _vid, m=meta: m)
        assert body(d, r.container, f"{r.service_metadata}_metadata")["volume_meta"] == meta
        parent = refs[bid(n)] = r.ref(bid(n), VID)
    put: list[tuple[str, str]] = []
    target = "99999999-0000-4000-8000-000000000000"
    result = d.restore(backup_chain(bid(2), refs.__getitem__), BlockData(16),
                       volume_id=target, put_metadata=lambda v, m: put.append((v, m)))
    assert put == [(target, metas[0]), (target, metas[2])]
    assert result.volume_meta == metas[2]


def test_a_failing_get_metadata_removes_the_objects_written() -> None:
    """_backup_metadata: whatever goes wrong, the backup's objects are deleted, re-raised."""
    d = driver(chunk_size=4 * BLOCK_SIZE)
    vol = BlockData(16)
    vol.write(0, 16, "z")
    keep = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    before = d.store.list(keep.container)

    def broken(_volume_id: str) -> str:
        raise errors.VolumeNotFound(volume_id=VID)

    with pytest.raises(errors.VolumeNotFound):
        d.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW, get_metadata=broken)
    assert d.store.list(keep.container) == before


def test_an_unsupported_metadata_version_fails_the_restore() -> None:
    d = driver(chunk_size=4 * BLOCK_SIZE)
    r = d.backup(backup_id=BID, volume_id=VID, volume=BlockData(16), now=NOW,
                 get_metadata=lambda _v: json.dumps({"version": 3}))

    def put(_volume_id: str, _meta: str) -> None:
        raise errors.BackupMetadataUnsupportedVersion("Unsupported backup metadata version (3)")

    with pytest.raises(errors.BackupOperationError) as exc:
        d.restore([r.ref(BID, VID)], BlockData(16), put_metadata=put)
    assert str(exc.value) == "Metadata restore failed due to incompatible version."


def test_sha256file_is_per_block_of_whole_volume() -> None:
    d = driver(chunk_size=8 * BLOCK_SIZE)
    vol = BlockData(20)
    vol.write(3, 1, "a")
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    sha = body(d, r.container, f"{r.service_metadata}_sha256file")
    assert isinstance(sha, Sha256File)
    doc = sha.to_dict()
    assert doc["chunk_size"] == 32768
    assert len(doc["sha256s"]) == 20
    assert doc["sha256s"][0] == ZERO_BLOCK_SHA256
    assert doc["sha256s"][3] != ZERO_BLOCK_SHA256
    assert sha.sha256(3) == doc["sha256s"][3]
    assert d.store.peek(r.container, f"{r.service_metadata}_sha256file").size == len(  # type: ignore[union-attr]
        json.dumps(doc, sort_keys=True, indent=2).encode())


def test_equal_chunks_have_equal_md5_wherever_they_are() -> None:
    d = driver(chunk_size=4 * BLOCK_SIZE)
    vol = BlockData(12)
    vol.put([(1, 77), (9, 77)])  # same content at the same place in chunks 0 and 2
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    objs = [body(d, r.container, f"{r.service_metadata}-0000{i}") for i in (1, 2, 3)]
    assert objs[0].md5 == objs[2].md5 != objs[1].md5


# --- compression ---------------------------------------------------------------------------
def test_compression_fallback_to_none() -> None:
    incompressible = [4 * n + 4 for n in range(8)]  # fp & 3 == 0
    assert all(fp & 3 == 0 for fp in incompressible)
    assert deflated_size(8 * BLOCK_SIZE, incompressible) > 8 * BLOCK_SIZE
    d = driver(chunk_size=8 * BLOCK_SIZE)
    vol = BlockData(16)
    vol.put(enumerate(incompressible))  # chunk 0: random-looking data; chunk 1: zeros
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    c1 = body(d, r.container, f"{r.service_metadata}-00001")
    c2 = body(d, r.container, f"{r.service_metadata}-00002")
    assert (c1.compression, c1.stored_size) == ("none", 8 * BLOCK_SIZE)
    assert c2.compression == "zlib"
    assert c2.stored_size < 300  # 256 KiB of zeros


def test_compressible_data_shrinks_and_algorithm_names() -> None:
    fps = [4 * n + 1 for n in range(8)]
    assert deflated_size(8 * BLOCK_SIZE, fps) < 8 * BLOCK_SIZE
    assert compressor_name("GZIP") == "gzip"
    assert compressor_name("off") is None
    with pytest.raises(ValueError, match="unsupported compression algorithm"):
        compressor_name("lzma")
    d = driver(chunk_size=8 * BLOCK_SIZE, compression="none")
    vol = BlockData(8)
    vol.put(enumerate(fps))
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    assert body(d, r.container, f"{r.service_metadata}-00001").compression == "none"


# --- incremental ------------------------------------------------------------------------------
def test_incremental_objects_are_changed_runs_cut_at_chunk_boundaries() -> None:
    d = driver(chunk_size=8 * BLOCK_SIZE)
    vol = BlockData(32)
    vol.write(0, 32, "base")
    full = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    vol.write(6, 4, "new")  # blocks 6..9 cross the chunk boundary at 8
    vol.discard(20, 1)  # a block that became zeros changed too
    vol.write(21, 1, "n2")  # adjacent: same run 20..21
    inc = d.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW,
                   parent=full.ref(bid(1), VID))
    m = body(d, inc.container, f"{inc.service_metadata}_metadata")
    ranges = [(e["offset"] // BLOCK_SIZE, e["length"] // BLOCK_SIZE)
              for obj in m["objects"] for e in obj.values()]
    assert ranges == [(6, 2), (8, 2), (20, 2)]
    assert m["parent_id"] == bid(1)
    unchanged = d.backup(backup_id=bid(3), volume_id=VID, volume=vol, now=NOW,
                         parent=inc.ref(bid(2), VID))
    assert unchanged.data_objects == 0


def test_incremental_refused_when_hash_block_size_changed() -> None:
    d = driver(chunk_size=8 * BLOCK_SIZE)
    vol = BlockData(16)
    full = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    d2 = ChunkedBackupDriver(d.store, Meter(), chunk_size=8 * BLOCK_SIZE,
                             sha_block_size=2 * BLOCK_SIZE)
    with pytest.raises(errors.InvalidBackup) as exc:
        d2.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW,
                  parent=full.ref(bid(1), VID))
    assert str(exc.value) == (
        "Invalid backup: Hash block size has changed since the last backup. New hash block "
        "size: 65536. Old hash block size: 32768. Do a full backup.")


def test_incremental_refused_when_volume_grew() -> None:
    d = driver()
    vol = BlockData.of_gib(1)
    full = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    assert full.size == 1
    vol.resize(2 * GiB // BLOCK_SIZE)
    with pytest.raises(errors.InvalidBackup) as exc:
        d.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW,
                 parent=full.ref(bid(1), VID))
    assert str(exc.value) == ("Invalid backup: Volume size increased since the last backup. "
                              "Do a full backup.")


def test_chunk_size_must_be_multiple_of_sha_block() -> None:
    d = driver(chunk_size=3 * BLOCK_SIZE, sha_block_size=2 * BLOCK_SIZE)
    with pytest.raises(errors.InvalidBackup, match="Chunk size is not multiple of block size"):
        d.backup(backup_id=BID, volume_id=VID, volume=BlockData(8), now=NOW)


def test_empty_volume_is_invalid() -> None:
    with pytest.raises(errors.InvalidVolume):
        driver().backup(backup_id=BID, volume_id=VID, volume=BlockData(0), now=NOW)


# --- restore and delete ------------------------------------------------------------------------
def test_restore_refuses_listing_that_does_not_match_metadata() -> None:
    d = driver(chunk_size=4 * BLOCK_SIZE)
    vol = BlockData(16)
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    d.store.delete(r.container, f"{r.service_metadata}-00003")
    with pytest.raises(errors.InvalidBackup) as exc:
        d.restore([r.ref(BID, VID)], BlockData(16))
    assert str(exc.value) == ("Invalid backup: restore_backup aborted, actual object list does "
                              "not match object list stored in metadata.")


def test_restore_target_too_small_and_bad_chains() -> None:
    d = driver()
    r = d.backup(backup_id=BID, volume_id=VID, volume=BlockData.of_gib(2), now=NOW)
    with pytest.raises(errors.InvalidVolume, match="too small"):
        d.restore([r.ref(BID, VID)], BlockData.of_gib(1))
    orphan = BackupRef(bid(9), VID, r.container, r.service_metadata, 2, parent_id=bid(8))
    with pytest.raises(ValueError, match="incremental"):
        d.restore([orphan], BlockData.of_gib(2))


def test_delete_removes_every_object_with_the_prefix() -> None:
    d = driver(chunk_size=4 * BLOCK_SIZE)
    vol = BlockData(16)
    vol.write(0, 16, "z")
    keep = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    usage = d.store.usage_bytes
    gone = d.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW)
    assert d.delete_backup(gone.ref(bid(2), VID)) == 4 + 2
    assert d.store.usage_bytes == usage
    assert d.store.list(keep.container) == d.store.list(keep.container, keep.service_metadata)


def test_store_full_midway_leaves_objects_that_delete_removes() -> None:
    store = ObjectStore(Meter(), capacity_bytes=3 * 4 * BLOCK_SIZE)
    d = ChunkedBackupDriver(store, Meter(), chunk_size=4 * BLOCK_SIZE, compression="none")
    vol = BlockData(32)
    prepared: list[tuple[str, str]] = []
    with pytest.raises(errors.ObjectStoreFull):
        d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW,
                 on_prepared=lambda c, p: prepared.append((c, p)))
    assert store.object_count == 3
    container, prefix = prepared[0]
    assert d.delete_backup(BackupRef(BID, VID, container, prefix, 0)) == 3
    assert store.usage_bytes == 0


def test_faults_fire_with_cinder_exceptions() -> None:
    faults = FaultPlan(random.Random(0), [FaultRule(op="backup"), FaultRule(op="restore"),
                                          FaultRule(op="delete_backup")])
    d = ChunkedBackupDriver(ObjectStore(Meter()), Meter(), faults=faults)
    vol = BlockData.of_gib(1)
    with pytest.raises(errors.BackupDriverException):
        d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    assert d.store.object_count == 0
    r = d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)  # the rule fired once
    with pytest.raises(errors.BackupDriverException):
        d.restore([r.ref(BID, VID)], BlockData.of_gib(1))
    with pytest.raises(errors.BackupDriverException):
        d.delete_backup(r.ref(BID, VID))


def test_costs_are_charged() -> None:
    d = driver()
    vol = BlockData.of_gib(1)
    d.backup(backup_id=BID, volume_id=VID, volume=vol, now=NOW)
    costs = d.meter.costs
    assert d.meter.total == pytest.approx(
        GiB / costs.read_bandwidth + GiB / costs.sha_bandwidth + GiB / costs.compress_bandwidth)
    assert d.store.meter.total > 0


# --- properties --------------------------------------------------------------------------------
writes = st.lists(st.tuples(st.integers(0, 47), st.integers(1, 6), st.booleans()),
                  max_size=8)


def apply(vol: BlockData, ops: list[tuple[int, int, bool]], tag: str) -> None:
    for n, (first, length, zero) in enumerate(ops):
        count = min(length, vol.size_blocks - first)
        if zero:
            vol.discard(first, count)
        else:
            vol.write(first, count, f"{tag}-{n}")


@settings(max_examples=60, deadline=None)
@given(st.lists(writes, min_size=1, max_size=4), st.sampled_from([2, 3, 8]),
       st.sampled_from(["swift", "posix"]))
def test_full_plus_incrementals_restore_each_point_in_time(
        rounds: list[list[tuple[int, int, bool]]], chunk_blocks: int,
        flavour: StoreFlavour) -> None:
    d = driver(flavour, chunk_size=chunk_blocks * BLOCK_SIZE)
    vol = BlockData(48)
    refs: dict[str, BackupRef] = {}
    snapshots: list[BlockData] = []
    parent: BackupRef | None = None
    for n, ops in enumerate(rounds):
        apply(vol, ops, f"r{n}")
        r = d.backup(backup_id=bid(n), volume_id=VID, volume=vol, now=NOW, parent=parent)
        parent = refs[bid(n)] = r.ref(bid(n), VID)
        snapshots.append(vol.copy())
    assert d.store.usage_bytes == sum(d.store.get(c, n).size for c in d.store.containers()
                                      for n in d.store.list(c))
    for n, expected in enumerate(snapshots):
        chain = backup_chain(bid(n), refs.__getitem__)
        assert [r.id for r in chain] == [bid(i) for i in range(n + 1)]
        target = BlockData(48)
        target.write(0, 48, "stale")  # restore overwrites existing data, zeros included
        d.restore(chain, target)
        assert target == expected


@settings(max_examples=30, deadline=None)
@given(writes, writes, st.integers(1, 40))
def test_restore_into_a_larger_volume(first: list[tuple[int, int, bool]],
                                      second: list[tuple[int, int, bool]], extra: int) -> None:
    d = driver(chunk_size=5 * BLOCK_SIZE)
    vol = BlockData(48)
    apply(vol, first, "a")
    full = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    apply(vol, second, "b")
    inc = d.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW,
                   parent=full.ref(bid(1), VID))
    target = BlockData(48 + extra)
    target.write(48, extra, "tail")
    d.restore([full.ref(bid(1), VID), inc.ref(bid(2), VID)], target)
    expected = vol.copy(48 + extra)
    expected.write(48, extra, "tail")  # beyond the backup, the target keeps its data
    assert target == expected


@settings(max_examples=30, deadline=None)
@given(writes, writes)
def test_larger_sha_blocks_round_trip(first: list[tuple[int, int, bool]],
                                      second: list[tuple[int, int, bool]]) -> None:
    """A 64 KiB SHA block: digests and changed runs cover two 32 KiB blocks each."""
    d = driver(chunk_size=8 * BLOCK_SIZE, sha_block_size=2 * BLOCK_SIZE)
    vol = BlockData(48)
    apply(vol, first, "a")
    full = d.backup(backup_id=bid(1), volume_id=VID, volume=vol, now=NOW)
    sha = body(d, full.container, f"{full.service_metadata}_sha256file")
    assert sha.total == 24
    assert len(list(sha.sha256s())) == 24
    apply(vol, second, "b")
    inc = d.backup(backup_id=bid(2), volume_id=VID, volume=vol, now=NOW,
                   parent=full.ref(bid(1), VID))
    m = body(d, inc.container, f"{inc.service_metadata}_metadata")
    assert all(e["offset"] % (2 * BLOCK_SIZE) == 0 and e["length"] % (2 * BLOCK_SIZE) == 0
               for obj in m["objects"] for e in obj.values())
    target = BlockData(48)
    d.restore([full.ref(bid(1), VID), inc.ref(bid(2), VID)], target)
    assert target == vol
