"""The Swift-like / POSIX object store: naming limits, capacity, usage, listings, charges."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim import errors
from cindersim.backends.costs import Meter
from cindersim.backends.objectstore import SWIFT_MAX_FILE_SIZE, ObjectStore


class Recorder:
    def __init__(self) -> None:
        self.ops: list[tuple[str, str, float]] = []

    def __call__(self, component: str, op: str, summary: str, seconds: float,
                 detail: dict[str, Any]) -> None:
        self.ops.append((component, op, seconds))


def test_put_get_list_delete() -> None:
    store = ObjectStore(Meter())
    assert store.put_container("c")
    assert not store.put_container("c")  # idempotent
    store.put_many("c", [("p/b-00002", "two", 20), ("p/b-00001", "one", 10), ("q", "x", 1)])
    assert store.list("c", "p/b") == ["p/b-00001", "p/b-00002"]
    assert store.list("c") == ["p/b-00001", "p/b-00002", "q"]
    assert store.get("c", "p/b-00001").body == "one"
    assert store.usage_bytes == 31
    assert store.object_count == 3
    store.put("c", "q", "y", 5)  # overwrite
    assert store.usage_bytes == 35
    assert store.object_count == 3
    assert store.delete_many("c", ["p/b-00001", "p/b-00002"]) == 2
    assert store.usage_bytes == 5
    assert store.list("c", "p/") == []
    with pytest.raises(errors.NotFound):
        store.get("c", "p/b-00001")
    with pytest.raises(errors.NotFound):
        store.delete("c", "nope")


def test_capacity_full_keeps_earlier_objects() -> None:
    rec = Recorder()
    store = ObjectStore(Meter(record=rec), capacity_bytes=100)
    store.put_container("c")
    with pytest.raises(errors.ObjectStoreFull) as exc:
        store.put_many("c", [(f"o{i}", None, 40) for i in range(4)])
    assert isinstance(exc.value, errors.BackupDriverException)
    assert "507 Insufficient Storage" in str(exc.value)
    assert [op for _, op, _ in rec.ops] == ["PUT container", "PUT"]  # partial batch charged
    assert store.list("c") == ["o0", "o1"]
    assert store.usage_bytes == 80
    assert store.free_bytes == 20


def test_posix_full_is_enospc() -> None:
    store = ObjectStore(Meter(), flavour="posix", capacity_bytes=10)
    store.put_container("ab/cd/abcd")
    with pytest.raises(errors.ObjectStoreFull, match="No space left on device"):
        store.put("ab/cd/abcd", "f", None, 11)


def test_swift_limits() -> None:
    store = ObjectStore(Meter())
    with pytest.raises(errors.BackupDriverException):
        store.put_container("a/b")
    store.put_container("c")
    store.put("c", "volume_x/2026/az_nova_backup_y-00001", None, 1)  # '/' fine in names
    with pytest.raises(errors.BackupDriverException, match="name too long"):
        store.put("c", "n" * 1025, None, 1)
    with pytest.raises(errors.BackupDriverException, match="413"):
        store.put("c", "big", None, SWIFT_MAX_FILE_SIZE + 1)
    store.put("c", "max", None, SWIFT_MAX_FILE_SIZE)


def test_posix_limits() -> None:
    store = ObjectStore(Meter(), flavour="posix")
    store.put_container("ab/cd/abcdef")  # nested directories are fine
    with pytest.raises(errors.BackupDriverException):
        store.put("ab/cd/abcdef", "a/b", None, 1)
    with pytest.raises(errors.BackupDriverException, match="File name too long"):
        store.put("ab/cd/abcdef", "n" * 256, None, 1)
    store.put("ab/cd/abcdef", "n" * 255, None, 1)


def test_each_call_charges_once_with_latency_and_bandwidth() -> None:
    rec = Recorder()
    meter = Meter(record=rec)
    store = ObjectStore(meter)
    store.put_container("c")
    store.put_many("c", [("a", None, 200 * 1024 * 1024), ("b", None, 0)])
    store.get_many("c", ["a", "b"])
    store.list("c")
    store.delete_many("c", ["a", "b"])
    costs = meter.costs
    assert [op for _, op, _ in rec.ops] == ["PUT container", "PUT", "GET", "GET container",
                                           "DELETE"]
    assert rec.ops[1][2] == pytest.approx(2 * costs.object_put_latency + 1.0)
    assert rec.ops[2][2] == pytest.approx(2 * costs.object_get_latency + 1.0)
    assert rec.ops[4][2] == pytest.approx(2 * costs.object_delete_latency)


ops = st.lists(st.tuples(st.sampled_from(["put", "delete"]),
                         st.sampled_from(["a", "b", "p-1", "p-2", "p-10"]),
                         st.integers(min_value=0, max_value=10_000)), max_size=40)


@given(ops)
def test_usage_is_the_sum_of_object_sizes(steps: list[tuple[str, str, int]]) -> None:
    store = ObjectStore(Meter(), capacity_bytes=25_000)
    store.put_container("c")
    model: dict[str, int] = {}
    for op, name, size in steps:
        if op == "put":
            try:
                store.put("c", name, None, size)
                model[name] = size
            except errors.ObjectStoreFull:
                assert sum(model.values()) - model.get(name, 0) + size > 25_000
        elif name in model:
            store.delete("c", name)
            del model[name]
        else:
            with pytest.raises(errors.NotFound):
                store.delete("c", name)
    assert store.usage_bytes == sum(model.values())
    assert store.usage_bytes == sum(store.get("c", n).size for n in store.list("c"))
    assert store.object_count == len(model)
    assert store.list("c") == sorted(model)
    assert store.list("c", "p-1") == sorted(n for n in model if n.startswith("p-1"))
