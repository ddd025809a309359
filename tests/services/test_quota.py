"""The quota engine against reference §5 and cinder/quota_utils.py."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cindersim.db import Database, VolumeType
from cindersim.errors import (
    BackupLimitExceeded,
    InvalidInput,
    OverQuota,
    SnapshotLimitExceeded,
    VolumeBackupSizeExceedsAvailableQuota,
    VolumeLimitExceeded,
    VolumeSizeExceedsAvailableQuota,
    VolumeSizeExceedsLimit,
)
from cindersim.ids import IdFactory
from cindersim.services.quota import (
    GroupLimitExceeded,
    QuotaEngine,
    QuotaResourceUnknown,
    UnexpectedOverQuota,
    over_quota_error,
)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _engine(config: dict[str, int | bool] | None = None,
            clock: Clock | None = None) -> QuotaEngine:
    db = Database(clock=clock or Clock())
    return QuotaEngine(db, IdFactory(random.Random(0)), config)


def test_defaults() -> None:
    q = _engine()
    q.db.add(VolumeType("t", "lvm"))
    assert q.limits("p") == {
        "volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
        "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1,
        "volumes_lvm": -1, "gigabytes_lvm": -1, "snapshots_lvm": -1}


def test_config_and_project_overrides() -> None:
    q = _engine({"quota_volumes": 3, "per_volume_size_limit": 50})
    assert q.limit("p", "volumes") == 3
    assert q.limit("p", "per_volume_gigabytes") == 50
    q.update_project("p", {"volumes": 5})
    assert q.limit("p", "volumes") == 5
    assert q.limit("other", "volumes") == 3
    q.delete_project("p")
    assert q.limit("p", "volumes") == 3
    with pytest.raises(ValueError, match="unknown quota option"):
        _engine({"quota_volume": 1})


def test_reserve_commit_rollback() -> None:
    q = _engine()
    ids = q.reserve("p", {"volumes": 1, "gigabytes": 10})
    assert len(ids) == 2
    assert q.usage("p")["gigabytes"] == {"limit": 1000, "in_use": 0, "reserved": 10}
    q.commit(ids)
    assert q.usage("p")["gigabytes"] == {"limit": 1000, "in_use": 10, "reserved": 0}
    assert q.db.reservations == {}
    q.commit(ids)  # already gone: nothing happens
    assert q.usage("p")["gigabytes"]["in_use"] == 10
    ids = q.reserve("p", {"gigabytes": 5})
    q.rollback(ids)
    assert q.usage("p")["gigabytes"] == {"limit": 1000, "in_use": 10, "reserved": 0}
    # delete: a negative delta never raises reserved and is always allowed
    q.update_project("p", {"gigabytes": 10})
    ids = q.reserve("p", {"volumes": -1, "gigabytes": -10})
    assert q.usage("p")["gigabytes"]["reserved"] == 0
    q.commit(ids)
    assert q.usage("p")["gigabytes"]["in_use"] == 0
    assert q.usage("p")["volumes"]["in_use"] == 0


def test_over_quota_changes_nothing_and_reports_sorted_overs() -> None:
    q = _engine({"quota_volumes": 1, "quota_gigabytes": 10})
    q.commit(q.reserve("p", {"volumes": 1, "gigabytes": 8}))
    before = q.db.fingerprint()
    with pytest.raises(OverQuota) as info:
        q.reserve("p", {"volumes": 1, "gigabytes": 5})
    exc = info.value
    assert exc.overs == ["gigabytes", "volumes"]
    assert exc.quotas == {"volumes": 1, "gigabytes": 10}
    assert exc.usages["gigabytes"] == {"in_use": 8, "reserved": 0}
    assert q.db.fingerprint() == before
    # exactly at the limit is fine: over means > limit
    q.commit(q.reserve("p", {"gigabytes": 2}))
    with pytest.raises(OverQuota):
        q.reserve("p", {"gigabytes": 1})
    # once usage is above a (lowered) limit, even a zero delta is over (delta >= 0),
    # while a negative one is always allowed
    q.defaults["gigabytes"] = 5
    with pytest.raises(OverQuota):
        q.reserve("p", {"gigabytes": 0})
    q.rollback(q.reserve("p", {"gigabytes": -1}))


def test_fresh_project_rejection_writes_no_usage_rows() -> None:
    q = _engine({"quota_gigabytes": 1})
    with pytest.raises(OverQuota):
        q.reserve("p", {"gigabytes": 2})
    assert q.db.quota_usages == {}


def test_unknown_resource() -> None:
    q = _engine()
    with pytest.raises(QuotaResourceUnknown):
        q.reserve("p", {"volumes_nosuchtype": 1})
    with pytest.raises(QuotaResourceUnknown):
        q.reserve("p", {"per_volume_gigabytes": 1})  # a limit check, never reserved
    lvm = VolumeType("t", "lvm")
    q.db.add(lvm)
    q.rollback(q.reserve("p", q.volume_deltas(1, "lvm")))
    with pytest.raises(QuotaResourceUnknown) as info:
        q.reserve("p", {"volumes_zz": 1, "volumes": 1, "gigabytes_aa": 1, "volumes_lvm": 1})
    assert "['gigabytes_aa', 'volumes_zz']" in str(info.value)
    lvm.name = "renamed"  # per-type resources follow the type's current name
    with pytest.raises(QuotaResourceUnknown):
        q.reserve("p", q.volume_deltas(1, "lvm"))
    q.rollback(q.reserve("p", q.volume_deltas(1, "renamed")))


def test_per_type_resources_follow_the_table_at_once() -> None:
    """Per-type resources are looked up in a map the engine keeps across reserves:
    a type deleted, renamed, or replaced by another under its name must be seen on the
    very next reserve (each check of that map is needed: removing one fails here)."""
    q = _engine()
    lvm, ceph = VolumeType("t1", "lvm"), VolumeType("t2", "ceph")
    q.db.add(lvm)
    q.db.add(ceph)
    q.reserve_committed("p", q.volume_deltas(1, "lvm"))  # both types' resources mapped
    q.reserve_committed("p", q.volume_deltas(1, "ceph"))
    q.db.remove(ceph)  # deleted: its resources are gone
    with pytest.raises(QuotaResourceUnknown):
        q.reserve_committed("p", q.volume_deltas(1, "ceph"))
    lvm.name = "fast"  # renamed in place: the old name is gone, the new one known
    with pytest.raises(QuotaResourceUnknown):
        q.reserve_committed("p", q.volume_deltas(1, "lvm"))
    q.reserve_committed("p", q.volume_deltas(1, "fast"))
    other = VolumeType("t3", "lvm")  # a new type takes the old name
    q.db.add(other)
    q.reserve_committed("p", q.volume_deltas(1, "lvm"))
    q.db.remove(other)
    q.db.add(ceph)  # the same row back: known again
    q.reserve_committed("p", q.volume_deltas(1, "ceph"))
    assert q.db.quota_usages[("p", "volumes_ceph")].in_use == 2
    assert q.db.quota_usages[("p", "volumes_fast")].in_use == 1


def test_per_type_resources() -> None:
    q = _engine()
    q.db.add(VolumeType("t", "lvm"))
    q.update_project("p", {"volumes_lvm": 1})
    deltas = q.volume_deltas(5, "lvm")
    assert deltas == {"volumes": 1, "gigabytes": 5, "volumes_lvm": 1, "gigabytes_lvm": 5}
    q.commit(q.reserve("p", deltas))
    with pytest.raises(OverQuota) as info:
        q.reserve("p", q.volume_deltas(5, "lvm"))
    assert info.value.overs == ["volumes_lvm"]
    err = over_quota_error(info.value, "volumes", 5)
    assert isinstance(err, VolumeLimitExceeded)
    assert str(err) == "Maximum number of volumes allowed (1) exceeded for quota 'volumes_lvm'."


def test_snapshot_deltas_follow_no_snapshot_gb_quota() -> None:
    assert _engine().snapshot_deltas(3) == {"snapshots": 1, "gigabytes": 3}
    assert _engine({"no_snapshot_gb_quota": True}).snapshot_deltas(3, "lvm") == {
        "snapshots": 1, "snapshots_lvm": 1}
    assert QuotaEngine.backup_deltas(4) == {"backups": 1, "backup_gigabytes": 4}


def test_expire_rolls_back_old_reservations() -> None:
    clock = Clock()
    q = _engine(clock=clock)
    old = q.reserve("p", {"gigabytes": 4})
    clock.t = 100.0
    new = q.reserve("p", {"gigabytes": 1})  # expires at 86500
    assert q.expire(86400.0) == []  # expire < now, strictly
    assert q.expire(86400.5) == old
    assert q.usage("p")["gigabytes"]["reserved"] == 1
    assert list(q.db.reservations) == new


# --- the 413 choice -------------------------------------------------------------------------
def _over(overs: list[str], quotas: dict[str, int], used: int = 9) -> OverQuota:
    return OverQuota(overs, quotas, {o: {"in_use": used, "reserved": 1} for o in overs})


def test_over_quota_error_classes_and_messages() -> None:
    err = over_quota_error(_over(["gigabytes", "volumes"], {"gigabytes": 10, "volumes": 10}),
                           "volumes", 5)
    assert isinstance(err, VolumeSizeExceedsAvailableQuota)
    assert err.code == 413
    assert str(err) == ("Requested volume or snapshot exceeds allowed gigabytes quota. "
                        "Requested 5G, quota is 10G and 10G has been consumed.")
    err = over_quota_error(_over(["volumes"], {"volumes": 10}), "volumes", 1)
    assert str(err) == "Maximum number of volumes allowed (10) exceeded for quota 'volumes'."
    err = over_quota_error(_over(["snapshots"], {"snapshots": 10}), "snapshots", 1)
    assert isinstance(err, SnapshotLimitExceeded)
    assert str(err) == "Maximum number of snapshots allowed (10) exceeded"
    err = over_quota_error(_over(["backups"], {"backups": 10}), "backups", 1)
    assert isinstance(err, BackupLimitExceeded)
    err = over_quota_error(_over(["backup_gigabytes"], {"backup_gigabytes": 10}), "backups", 3)
    assert isinstance(err, VolumeBackupSizeExceedsAvailableQuota)
    assert "Requested 3G, quota is 10G and 10G" in str(err)
    err = over_quota_error(_over(["gigabytes"], {"gigabytes": 10}), "gigabytes", 2)  # extend
    assert isinstance(err, VolumeSizeExceedsAvailableQuota)
    err = over_quota_error(_over(["groups"], {"groups": 10}), "groups")
    assert isinstance(err, GroupLimitExceeded)
    err = over_quota_error(_over(["snapshots"], {"snapshots": 10}), "volumes", 1)
    assert isinstance(err, UnexpectedOverQuota)
    assert str(err) == "Unexpected over quota on snapshots."


def test_per_volume_limit() -> None:
    q = _engine({"per_volume_size_limit": 100})
    q.check_per_volume(100)
    with pytest.raises(VolumeSizeExceedsLimit) as info:
        q.check_per_volume(101)
    assert str(info.value) == ("Requested volume size 101G is larger than maximum allowed "
                               "limit 100G.")
    _engine().check_per_volume(10**6)  # -1: unlimited


def test_commit_volume_checks_the_per_volume_limit_first() -> None:
    """commit_volume(..., per_volume=True) is check_per_volume then the commit: over the
    limit (config, class default or project override) it raises and changes nothing."""
    q = _engine({"per_volume_size_limit": 100})
    q.db.add(VolumeType("t", "lvm"))
    issued = q.ids.issued
    with pytest.raises(VolumeSizeExceedsLimit) as info:
        q.commit_volume("p", 101, "lvm", 1, True)
    assert str(info.value) == ("Requested volume size 101G is larger than maximum allowed "
                               "limit 100G.")
    assert (q.ids.issued, q.db.quota_usages) == (issued, {})
    q.commit_volume("p", 101, "lvm")  # not asked: only the quotas count
    q.commit_volume("p", 100, "lvm", 1, True)
    assert q.db.quota_usages[("p", "gigabytes")].in_use == 201
    q.class_defaults["per_volume_gigabytes"] = 10
    with pytest.raises(VolumeSizeExceedsLimit):
        q.commit_volume("p", 11, "lvm", 1, True)
    q.update_project("p", {"per_volume_gigabytes": 20})
    q.commit_volume("p", 11, "lvm", 1, True)
    with pytest.raises(VolumeSizeExceedsLimit):
        q.commit_volume("p", 21, None, 1, True)  # the typeless plan too
    with pytest.raises(VolumeSizeExceedsLimit):
        q.commit_volume("p", 21, "unknown", 1, True)  # the general path too
    assert q.db.quota_usages[("p", "gigabytes")].in_use == 212


def test_update_validation() -> None:
    q = _engine()
    q.commit(q.reserve("p", {"volumes": 3}))
    q.reserve("p", {"volumes": 2})
    before = q.db.fingerprint()
    with pytest.raises(InvalidInput) as info:
        q.update_project("p", {"snapshots": 1, "volumes": 4})
    assert str(info.value) == ("Quota volumes limit must be equal or greater than existing "
                               "resources. Current usage is 5 and the requested limit is 4.")
    assert info.value.code == 400
    assert q.db.fingerprint() == before  # validation happens before any write
    with pytest.raises(InvalidInput, match="Bad key"):
        q.update_project("p", {"volume": 4})
    with pytest.raises(InvalidInput):
        q.update_project("p", {"volumes": -2})
    with pytest.raises(InvalidInput):
        q.update_project("p", {"volumes": "5"})
    assert q.update_project("p", {"volumes": 5, "per_volume_gigabytes": 0})["volumes"] == 5
    assert q.update_project("p", {"volumes": -1})["volumes"] == -1


# --- properties ------------------------------------------------------------------------------
_RES = ["volumes", "gigabytes", "snapshots"]
_actions = st.lists(st.one_of(
    st.tuples(st.just("reserve"), st.dictionaries(st.sampled_from(_RES),
                                                  st.integers(-20, 20), min_size=1)),
    st.tuples(st.just("commit"), st.integers(0, 30)),
    st.tuples(st.just("rollback"), st.integers(0, 30)),
    st.tuples(st.just("expire"), st.integers(0, 30)),
), max_size=40)


@settings(max_examples=200)
@given(_actions, st.integers(-1, 30))
def test_usage_never_negative_and_reserved_matches_reservations(
        actions: list[tuple[str, object]], limit: int) -> None:
    clock = Clock()
    q = _engine({"quota_volumes": limit, "quota_gigabytes": limit, "quota_snapshots": limit},
                clock)
    outstanding: list[list[str]] = []
    for kind, arg in actions:
        clock.t += 1000.0
        if kind == "reserve":
            assert isinstance(arg, dict)
            before = q.db.fingerprint()
            refused: OverQuota | None = None
            try:
                outstanding.append(q.reserve("p", arg, expire=5000))
            except OverQuota as exc:
                refused = exc
            if refused is not None:
                assert refused.overs
                assert q.db.fingerprint() == before
        elif outstanding:
            assert isinstance(arg, int)
            batch = outstanding.pop(arg % len(outstanding))
            if kind == "commit":
                q.commit(batch)
            elif kind == "rollback":
                q.rollback(batch)
            else:
                q.expire()
        for res in _RES:
            row = q.db.quota_usages.get(("p", res))
            if row is None:
                continue
            assert row.in_use >= 0
            assert row.reserved >= 0
            held = sum(r.delta for r in q.db.reservations.values()
                       if r.resource == res and r.delta > 0)
            assert row.reserved == held
            if limit >= 0:
                assert row.reserved + row.in_use <= max(limit, row.in_use)


def test_reserve_rows_ids_and_expiry_are_exact() -> None:
    """Pins what the reserve fast path writes: one uuid per resource drawn in deltas
    order (the same ids an IdFactory with the same seed gives), a usage row created
    only where none existed (ids in deltas order), one expiry for the whole call."""
    clock = Clock()
    clock.t = 50.0
    q = _engine({"reservation_expire": 100}, clock=clock)
    q.db.add(VolumeType("t", "lvm"))
    q.update_project("p", {"gigabytes_lvm": 30})
    q.commit(q.reserve("p", {"gigabytes": 4}))  # gigabytes has a row; the others do not
    expected = IdFactory(random.Random(0))
    first = expected.uuid()
    deltas = q.volume_deltas(6, "lvm")
    ids = q.reserve("p", deltas)
    assert first not in ids
    assert ids == [expected.uuid() for _ in deltas]
    rows = q.db.quota_usages
    assert [(r.resource, r.id) for r in rows.values()] == [
        ("gigabytes", 1), ("volumes", 2), ("volumes_lvm", 3), ("gigabytes_lvm", 4)]
    assert [(v.resource, v.delta, v.expire, v.usage_id)
            for v in q.db.reservations.values()] == [
        ("volumes", 1, 150.0, 2), ("gigabytes", 6, 150.0, 1),
        ("volumes_lvm", 1, 150.0, 3), ("gigabytes_lvm", 6, 150.0, 4)]
    q.commit(ids)
    with pytest.raises(OverQuota) as info:
        q.reserve("p", q.volume_deltas(30, "lvm"), expire=5)
    assert info.value.overs == ["gigabytes_lvm"]
    assert info.value.quotas == {"volumes": 10, "gigabytes": 1000, "volumes_lvm": -1,
                                 "gigabytes_lvm": 30}
    assert info.value.usages == {"volumes": {"in_use": 1, "reserved": 0},
                                 "gigabytes": {"in_use": 10, "reserved": 0},
                                 "volumes_lvm": {"in_use": 1, "reserved": 0},
                                 "gigabytes_lvm": {"in_use": 6, "reserved": 0}}
    ids = q.reserve("p", {"gigabytes_lvm": -6, "volumes": 0}, expire=5)
    assert [v.expire for v in q.db.reservations.values()] == [55.0, 55.0]
    q.commit(ids)
    assert (rows[("p", "gigabytes_lvm")].in_use, rows[("p", "volumes")].in_use) == (0, 1)


_committed_deltas = st.dictionaries(st.sampled_from(_RES), st.integers(-12, 12), min_size=1,
                                    max_size=len(_RES))


@settings(max_examples=200)
@given(st.lists(_committed_deltas, max_size=12), st.integers(-1, 20))
def test_reserve_committed_is_reserve_then_commit(batches: list[dict[str, int]],
                                                  limit: int) -> None:
    """The fused call leaves what reserve + commit leave: the same usage rows (ids,
    in_use clamped at zero, nothing reserved), no reservation rows, the same ids
    drawn (so the next id matches), and the same OverQuota with nothing written."""
    config: dict[str, int | bool] = {"quota_volumes": limit, "quota_gigabytes": limit,
                                     "quota_snapshots": limit}
    two, fused = _engine(config), _engine(config)
    for deltas in batches:
        errors: list[tuple[list[str], dict[str, int], dict[str, dict[str, int]]] | None] = []
        for q in (two, fused):
            before = q.db.fingerprint()
            try:
                if q is two:
                    q.commit(q.reserve("p", deltas))
                else:
                    q.reserve_committed("p", deltas)
                errors.append(None)
            except OverQuota as exc:
                assert q.db.fingerprint() == before
                errors.append((exc.overs, exc.quotas, exc.usages))
        assert errors[0] == errors[1]
        assert two.db.fingerprint() == fused.db.fingerprint()
        assert fused.db.reservations == {}
        assert two.ids.uuid() == fused.ids.uuid()


# --- commit_volume: the per-(project, type) plan ------------------------------------------------
def test_commit_volume_plans_follow_the_table_at_once() -> None:
    """A plan is kept per (project, type name): a type deleted, renamed, or replaced by
    another under its name is seen on the very next call (removing any check of the
    plan fails here: usage would land on a gone type's resources)."""
    q = _engine()
    lvm, ceph = VolumeType("t1", "lvm"), VolumeType("t2", "ceph")
    q.db.add(lvm)
    q.db.add(ceph)
    q.commit_volume("p", 1, "lvm")  # plans made
    q.commit_volume("p", 1, "ceph")
    q.db.remove(ceph)  # deleted: its resources are gone
    with pytest.raises(QuotaResourceUnknown):
        q.commit_volume("p", 1, "ceph")
    lvm.name = "fast"  # renamed in place: the old name is gone, the new one known
    with pytest.raises(QuotaResourceUnknown):
        q.commit_volume("p", 1, "lvm")
    q.commit_volume("p", 2, "fast")
    other = VolumeType("t3", "lvm")  # a new type takes the old name
    q.db.add(other)
    q.commit_volume("p", 1, "lvm")
    q.db.remove(other)
    q.db.add(ceph)  # the same row back: known again
    q.commit_volume("p", 1, "ceph")
    rows = q.db.quota_usages
    assert rows[("p", "volumes_ceph")].in_use == 2
    assert rows[("p", "gigabytes_fast")].in_use == 2
    assert rows[("p", "volumes_lvm")].in_use == 2  # the first lvm's, then the new one's
    assert rows[("p", "volumes")].in_use == 5
    assert q.db.reservations == {}


@pytest.mark.parametrize("type_name", ["lvm", None, "unknown-then-known"])
def test_commit_volume_deferred_ids_are_drawn_with_the_next_uuid(type_name: str | None) -> None:
    """defer_ids leaves the reservations' ids undrawn and says how many: uuid(that many)
    is then the id the plain commit's next uuid() gives, and the rows are the same (the
    general path, before a plan exists, draws them itself and returns 0)."""
    plain, deferred = _engine(), _engine()
    for q in (plain, deferred):
        q.db.add(VolumeType("t", "lvm"))
    name = "lvm" if type_name is not None else None
    if type_name == "unknown-then-known":  # a plan-less general path: nothing deferred
        for q in (plain, deferred):
            q._volume_plans.clear()
        deferred._volume_plan = lambda *_: None  # type: ignore[method-assign]
    plain.commit_volume("p", 3, name)
    skipped = deferred.commit_volume("p", 3, name, 1, True, True)
    expected = 0 if type_name == "unknown-then-known" else 4 if name else 2
    assert skipped == expected
    assert deferred.ids.uuid(skipped) == plain.ids.uuid()
    assert deferred.ids.issued == plain.ids.issued
    assert deferred.db.fingerprint() == plain.db.fingerprint()
    with pytest.raises(OverQuota):  # refused: nothing drawn, nothing to defer
        deferred.commit_volume("p", 10**6, name, 1, False, True)
    assert deferred.ids.uuid() == plain.ids.uuid()


def test_commit_volume_sees_limit_changes_at_once() -> None:
    """Limits are read on every call: an admin's project, class or config change
    counts from the very next create (and a plan made before does not hide it)."""
    q = _engine()
    q.db.add(VolumeType("t", "lvm"))
    q.commit_volume("p", 1, "lvm")
    q.update_project("p", {"volumes_lvm": 1})
    before = q.db.fingerprint()
    with pytest.raises(OverQuota) as info:
        q.commit_volume("p", 1, "lvm")
    assert info.value.overs == ["volumes_lvm"]
    assert info.value.quotas == {"volumes": 10, "gigabytes": 1000, "volumes_lvm": 1,
                                 "gigabytes_lvm": -1}
    assert q.db.fingerprint() == before
    q.delete_project("p")
    q.commit_volume("p", 1, "lvm")
    q.class_defaults["gigabytes"] = 2
    with pytest.raises(OverQuota) as info:
        q.commit_volume("p", 1, "lvm")
    assert info.value.overs == ["gigabytes"]
    q.class_defaults.clear()
    q.defaults["volumes"] = 2
    with pytest.raises(OverQuota):
        q.commit_volume("p", 1, None)
    q.commit_volume("p", -1, None, count=-1)  # a release is always allowed
    q.commit_volume("p", 1, None)


def test_commit_volume_plans_are_bounded() -> None:
    q = _engine()
    q.db.add(VolumeType("t", "lvm"))
    for i in range(5000):
        q.commit_volume(f"p{i}", 1, "lvm")
    assert 0 < len(q._volume_plans) <= 4096
    assert q.db.quota_usages[("p4999", "volumes_lvm")].in_use == 1


_types = st.sampled_from([None, "lvm", "ceph", "gone"])


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["p", "q"]), st.integers(-3, 6), _types,
                          st.sampled_from([1, -1])), max_size=12),
       st.integers(-1, 12))
def test_commit_volume_is_reserve_committed_of_volume_deltas(
        calls: list[tuple[str, int, str | None, int]], limit: int) -> None:
    """commit_volume leaves what reserve_committed(volume_deltas(...)) leaves: the same
    rows, the same ids drawn, the same errors with nothing written."""
    config: dict[str, int | bool] = {"quota_volumes": limit, "quota_gigabytes": limit}
    plain, planned = _engine(config), _engine(config)
    for q in (plain, planned):
        q.db.add(VolumeType("t1", "lvm"))
        q.db.add(VolumeType("t2", "ceph"))
        q.update_project("q", {"gigabytes_ceph": limit})
    for project, size, type_name, count in calls:
        outcomes: list[object] = []
        for q in (plain, planned):
            before = q.db.fingerprint()
            try:
                if q is plain:
                    q.reserve_committed(project, q.volume_deltas(size, type_name, count))
                else:
                    q.commit_volume(project, size, type_name, count)
                outcomes.append(None)
            except OverQuota as exc:
                assert q.db.fingerprint() == before
                outcomes.append((exc.overs, exc.quotas, exc.usages))
            except QuotaResourceUnknown as exc:
                assert q.db.fingerprint() == before
                outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1]
        assert plain.db.fingerprint() == planned.db.fingerprint()
        assert plain.ids.uuid() == planned.ids.uuid()


def test_nothing_to_reserve_is_a_no_op() -> None:
    q = _engine()
    assert q.reserve("p", {}) == []
    q.reserve_committed("p", {})
    assert q.db.quota_usages == {}
    assert q.db.reservations == {}
