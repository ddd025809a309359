"""The shared read-only empties records start with (cindersim.empty)."""

from __future__ import annotations

import copy
import pickle
import random

import pytest

from cindersim.backends.lvm.logical_volume import LogicalVolume
from cindersim.db import Volume
from cindersim.empty import (
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_SET,
    EmptyDict,
    EmptyList,
    EmptySet,
    writable_dict,
)
from cindersim.ids import IdFactory


def test_records_share_one_empty_until_written() -> None:
    ids = IdFactory(random.Random(1))
    a, b = (Volume(ids.uuid(), "p", "u", 1) for _ in range(2))
    assert a.metadata is b.metadata is EMPTY_DICT
    assert a.glance_metadata is EMPTY_DICT
    assert a.admin_metadata is b.admin_metadata is EMPTY_DICT
    lv1, lv2 = (LogicalVolume(name=n, kind="thin", size=1) for n in ("x", "y"))
    assert lv1.segments is lv2.snapshots is EMPTY_LIST
    assert lv1.chunk_map is EMPTY_DICT
    assert lv1.cow_blocks is EMPTY_SET
    a.metadata = {**a.metadata, "k": "v"}
    assert b.metadata == {}
    assert a.metadata == {"k": "v"}


def test_writable_dict_gives_the_record_its_own_once() -> None:
    ids = IdFactory(random.Random(1))
    a, b = (Volume(ids.uuid(), "p", "u", 1) for _ in range(2))
    writable_dict(a, "admin_metadata")["attached_mode"] = "rw"
    assert a.admin_metadata == {"attached_mode": "rw"}
    assert b.admin_metadata is EMPTY_DICT
    assert EMPTY_DICT == {}
    own = a.admin_metadata
    assert writable_dict(a, "admin_metadata") is own  # already its own: kept


@pytest.mark.parametrize("write", [
    lambda d: d.__setitem__("k", "v"), lambda d: d.update(k="v"),
    lambda d: d.setdefault("k", "v"), lambda d: d.__ior__({"k": "v"})])
def test_adding_to_the_shared_dict_fails_loudly(write: object) -> None:
    with pytest.raises(TypeError, match="shared read-only"):
        write(EMPTY_DICT)  # type: ignore[operator]
    assert EMPTY_DICT == {}


def test_adding_to_the_shared_list_and_set_fails_loudly() -> None:
    for write in (lambda: EMPTY_LIST.append(1), lambda: EMPTY_LIST.extend([1]),
                  lambda: EMPTY_LIST.insert(0, 1), lambda: EMPTY_SET.add(1),
                  lambda: EMPTY_SET.update({1})):
        with pytest.raises(TypeError, match="shared read-only"):
            write()
    assert EMPTY_LIST == []
    assert set() == EMPTY_SET


def test_removing_nothing_behaves_as_any_empty_container() -> None:
    assert EMPTY_DICT.pop("k", None) is None
    with pytest.raises(KeyError):
        EMPTY_DICT.pop("k")
    EMPTY_SET.discard(1)
    EMPTY_DICT.clear()
    EMPTY_LIST.clear()
    with pytest.raises(ValueError):
        EMPTY_LIST.remove(1)


def test_copies_stay_read_only_and_empty() -> None:
    for empty in (EMPTY_DICT, EMPTY_LIST, EMPTY_SET):
        for twin in (copy.deepcopy(empty), pickle.loads(pickle.dumps(empty))):
            assert type(twin) is type(empty)
            assert twin == empty
    assert isinstance(copy.copy(EMPTY_DICT), EmptyDict)
    assert isinstance(copy.copy(EMPTY_LIST), EmptyList)
    assert isinstance(copy.copy(EMPTY_SET), EmptySet)
