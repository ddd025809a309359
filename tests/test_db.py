"""The record store: virtual timestamps, project isolation, traced writes, fingerprints."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim.db import (
    Backup,
    Database,
    Project,
    Snapshot,
    Transfer,
    Volume,
    VolumeAttachment,
    VolumeType,
    iso_time,
)
from cindersim.errors import (
    BackupNotFound,
    IllegalTransition,
    NotFound,
    SimulationError,
    SnapshotNotFound,
    VolumeAttachmentNotFound,
    VolumeNotFound,
    VolumeTypeNotFound,
    VolumeTypeNotFoundByName,
)
from cindersim.ids import IdFactory
from cindersim.states import Op, VolumeStatus, check_trace
from cindersim.trace import Trace


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(clock: Clock) -> Database:
    return Database(Trace(clock), clock)


def _vol(ids: IdFactory, project: str = "p1", **kw: object) -> Volume:
    return Volume(ids.uuid(), project, "u1", 1, **kw)  # type: ignore[arg-type]


def test_iso_time_is_virtual_and_cinder_shaped() -> None:
    assert iso_time(0) == "2026-01-01T00:00:00.000000"
    assert iso_time(86400 + 1.5) == "2026-01-02T00:00:01.500000"
    assert iso_time(0.0000004) == "2026-01-01T00:00:00.000000"


def test_add_stamps_and_traces_birth(db: Database, clock: Clock) -> None:
    clock.t = 12.25
    ids = IdFactory(random.Random(1))
    vol = _vol(ids)
    db.add(vol, op=Op.CREATE, actor="cinder-api")
    assert vol.created_at == "2026-01-01T00:00:12.250000"
    [ev] = db.trace.events
    assert ev.resource == f"volume:{vol.id}"
    assert dict(ev.detail) == {"field": "status", "old": None, "new": "creating", "op": "create"}
    with pytest.raises(SimulationError):
        db.add(vol)
    db.add(Project("p1", "demo"))  # no status: no event
    assert len(db.trace.events) == 1


def test_birth_in_an_illegal_status_is_refused(db: Database) -> None:
    vol = _vol(IdFactory(random.Random(2)), status=VolumeStatus.IN_USE)
    with pytest.raises(IllegalTransition):
        db.add(vol)
    assert db.volumes == {}


def test_transition_bumps_updated_at(db: Database, clock: Clock) -> None:
    vol = _vol(IdFactory(random.Random(3)))
    db.add(vol)
    clock.t = 3.0
    assert db.transition(vol, "available", op=Op.CREATE, actor="cinder-volume")
    assert vol.updated_at == "2026-01-01T00:00:03.000000"
    assert vol.status == "available"


def test_remove_traces_death_and_checks_the_edge(db: Database) -> None:
    ids = IdFactory(random.Random(4))
    vol = _vol(ids)
    db.add(vol)
    db.transition(vol, "available", op=Op.CREATE, actor="v")
    snap = Snapshot(ids.uuid(), vol.id, "p1", "u1", 1)
    db.add(snap, op=Op.SNAPSHOT_CREATE)
    with pytest.raises(IllegalTransition):
        db.remove(snap, op=Op.SNAPSHOT_DELETE)  # still creating
    assert snap.id in db.snapshots
    db.transition(snap, "available", op=Op.SNAPSHOT_CREATE, actor="v")
    db.transition(snap, "deleting", op=Op.SNAPSHOT_DELETE, actor="api")
    db.remove(snap, op=Op.SNAPSHOT_DELETE)
    assert db.snapshots == {}
    db.remove(vol, op=Op.DELETE)  # hostless volume: destroyed at the API
    assert db.volumes == {}
    with pytest.raises(SimulationError):
        db.remove(vol)
    assert check_trace(db.trace.events) == []


def test_other_projects_ids_are_404(db: Database) -> None:
    ids = IdFactory(random.Random(5))
    vol = _vol(ids, "p1")
    db.add(vol)
    assert db.get_volume(vol.id) is vol
    assert db.get_volume(vol.id, "p1") is vol
    with pytest.raises(VolumeNotFound) as exc:
        db.get_volume(vol.id, "p2")
    assert str(exc.value) == f"Volume {vol.id} could not be found."
    assert exc.value.code == 404
    with pytest.raises(VolumeNotFound):
        db.get_volume("missing")
    snap = Snapshot(ids.uuid(), vol.id, "p1", "u1", 1)
    db.add(snap, op=Op.SNAPSHOT_CREATE)
    with pytest.raises(SnapshotNotFound):
        db.get_snapshot(snap.id, "p2")
    backup = Backup(ids.uuid(), "p1", "u1", vol.id, 1)
    db.add(backup, op=Op.BACKUP_CREATE)
    assert db.get_backup(backup.id, "p1") is backup
    with pytest.raises(BackupNotFound):
        db.get_backup(backup.id, "p2")
    att = VolumeAttachment(ids.uuid(), vol.id)
    db.add(att, op=Op.ATTACHMENT_CREATE)
    assert db.get_attachment(att.id, "p1") is att
    with pytest.raises(VolumeAttachmentNotFound):
        db.get_attachment(att.id, "p2")
    tr = Transfer(ids.uuid(), vol.id, "t", "salt", "hash", "p1")
    db.add(tr)
    with pytest.raises(NotFound, match="could not be found"):
        db.get_transfer(tr.id, "p2")


def test_volume_types(db: Database) -> None:
    vt = VolumeType("t1", "lvmdriver-1", extra_specs={"volume_backend_name": "lvm"})
    db.add(vt)
    assert db.get_volume_type("t1") is vt
    assert db.get_volume_type_by_name("lvmdriver-1") is vt
    with pytest.raises(VolumeTypeNotFound):
        db.get_volume_type("nope")
    with pytest.raises(VolumeTypeNotFoundByName, match="with name nope"):
        db.get_volume_type_by_name("nope")


def test_list_helpers_keep_creation_order(db: Database) -> None:
    ids = IdFactory(random.Random(6))
    vols = [_vol(ids, p) for p in ("p1", "p2", "p1")]
    for v in vols:
        db.add(v)
    assert db.volumes_of_project("p1") == [vols[0], vols[2]]
    assert db.volumes_of_project(None) == vols
    a1, a2 = VolumeAttachment(ids.uuid(), vols[0].id), VolumeAttachment(ids.uuid(), vols[1].id)
    db.add(a1, op=Op.ATTACHMENT_CREATE)
    db.add(a2, op=Op.ATTACHMENT_CREATE)
    assert db.attachments_of(vols[0].id) == [a1]
    s1 = Snapshot(ids.uuid(), vols[0].id, "p1", "u1", 1)
    db.add(s1, op=Op.SNAPSHOT_CREATE)
    assert db.snapshots_of(vols[0].id) == [s1]
    assert db.snapshots_of(vols[1].id) == []
    full = Backup(ids.uuid(), "p1", "u1", vols[0].id, 1)
    inc = Backup(ids.uuid(), "p1", "u1", vols[0].id, 1, parent_id=full.id)
    db.add(full, op=Op.BACKUP_CREATE)
    db.add(inc, op=Op.BACKUP_CREATE)
    assert db.backups_of(vols[0].id) == [full, inc]
    assert db.children_of(full.id) == [inc]
    assert inc.is_incremental
    assert not full.is_incremental
    assert db.backups_of_project("p2") == []


def test_snapshot_and_fingerprint_see_every_change(db: Database) -> None:
    ids = IdFactory(random.Random(7))
    vol = _vol(ids)
    db.add(vol)
    snap1, fp1 = db.snapshot(), db.fingerprint()
    assert db.snapshot() == snap1
    assert db.fingerprint() == fp1
    vol.metadata = {"k": "v"}  # replaced whole, as every writer does (cindersim.empty)
    assert db.snapshot() != snap1
    assert db.fingerprint() != fp1
    vol.metadata = {}
    assert db.fingerprint() == fp1
    db.quotas["p1"] = {"volumes": 3}
    assert db.fingerprint() != fp1


def test_two_identical_runs_have_identical_fingerprints() -> None:
    def run() -> str:
        db = Database()
        ids = IdFactory(random.Random(42))
        for _ in range(3):
            v = _vol(ids)
            db.add(v)
            db.transition(v, "available", op=Op.CREATE, actor="v")
        return db.fingerprint()

    assert run() == run()


# --- iso_time is byte-identical to the datetime formulation -------------------------------
_REF_EPOCH = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # naive: no zone shown
_CENTURIES = 300 * 366 * 86_400.0


def _reference_iso(seconds: float) -> str:
    """What ``iso_time`` computed before it was made fast (``timedelta`` rounding)."""
    return (_REF_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="microseconds")


def _half_microsecond_neighbours(whole: int, halves: int) -> list[float]:
    """``whole`` s plus ``halves`` half-microseconds, and the doubles either side of it:
    where ``timedelta``'s round-half-even decides, and where ``round(x * 1e6)`` would not."""
    x = whole + halves * 5e-7
    return [x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)]


@given(st.lists(st.floats(min_value=0.0, max_value=_CENTURIES), min_size=1, max_size=20))
def test_iso_time_equals_datetime_for_any_float(xs: list[float]) -> None:
    # A list, not one value: iso_time keeps the last second's text, so calls in sequence
    # (forwards, backwards, across days) must not leak one value's prefix into another.
    assert [iso_time(x) for x in xs] == [_reference_iso(x) for x in xs]


@given(st.integers(min_value=0, max_value=int(_CENTURIES)),
       st.integers(min_value=0, max_value=2_000_001))
def test_iso_time_equals_datetime_near_half_microseconds(whole: int, halves: int) -> None:
    for x in _half_microsecond_neighbours(whole, halves):
        assert iso_time(x) == _reference_iso(x), x


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=10**6))
def test_iso_time_equals_datetime_for_simulation_like_times(ms: int, us: int) -> None:
    """Virtual times are sums of small float costs: milliseconds plus float noise."""
    x = ms / 1000 + us * 1e-9
    assert iso_time(x) == _reference_iso(x)


@pytest.mark.parametrize("x", [
    0.0, -0.0, 0.5e-6, 1.5e-6, 2.5e-6, 0.9999995, 0.99999949999, 59.9999995, 86_399.9999995,
    86_400.0, 1.0 - 2**-53, 2.0**36 - 0.5e-6, 2.0**36, 2.0**36 + 0.5, 1e10 + 0.5e-6,
    -1.0, -0.5e-6, -86_400.5, 0, 7, 86_401, True])
def test_iso_time_edges_equal_datetime(x: float) -> None:
    """Boundaries of the fast path, exact ties, negatives and ints (the fallback)."""
    assert iso_time(x) == _reference_iso(x)


@pytest.mark.parametrize(("x", "exc"), [
    (math.nan, ValueError), (math.inf, OverflowError), (-math.inf, OverflowError),
    (1e12, OverflowError), (-1e12, OverflowError)])
def test_iso_time_fails_like_datetime(x: float, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        _reference_iso(x)
    with pytest.raises(exc):
        iso_time(x)


def test_stamp_follows_the_clock(db: Database, clock: Clock) -> None:
    assert db.stamp() == "2026-01-01T00:00:00.000000"
    clock.t = 3661.25
    assert db.stamp() == db.stamp() == "2026-01-01T01:01:01.250000"
    clock.t = 0.0
    assert db.stamp() == "2026-01-01T00:00:00.000000"


# --- the volume_id indexes agree with a scan ----------------------------------------------
_KINDS = ("attachment", "snapshot", "backup")
_VOLUMES = 4


def _new_row(kind: str, row_id: str, volume_id: str) -> VolumeAttachment | Snapshot | Backup:
    if kind == "attachment":
        return VolumeAttachment(row_id, volume_id)
    if kind == "snapshot":
        return Snapshot(row_id, volume_id, "p1", "u1", 1)
    return Backup(row_id, "p1", "u1", volume_id, 1)


def _add_row(db: Database, row: VolumeAttachment | Snapshot | Backup) -> None:
    op = {VolumeAttachment: Op.ATTACHMENT_CREATE, Snapshot: Op.SNAPSHOT_CREATE,
          Backup: Op.BACKUP_CREATE}[type(row)]
    db.add(row, op=op, actor="test")


def _remove_row(db: Database, row: VolumeAttachment | Snapshot | Backup) -> None:
    """Through each kind's legal end of life (the tables check the edges)."""
    if isinstance(row, VolumeAttachment):
        db.remove(row, op=Op.ATTACHMENT_DELETE)
    elif isinstance(row, Snapshot):
        db.transition(row, "available", op=Op.SNAPSHOT_CREATE, actor="test")
        db.transition(row, "deleting", op=Op.SNAPSHOT_DELETE, actor="test")
        db.remove(row, op=Op.SNAPSHOT_DELETE)
    else:
        db.transition(row, "available", op=Op.BACKUP_CREATE, actor="test")
        db.transition(row, "deleting", op=Op.BACKUP_DELETE, actor="test")
        db.remove(row, op=Op.BACKUP_DELETE)


def _assert_index_matches_scan(db: Database, volume_ids: list[str]) -> None:
    for vid in [*volume_ids, "no-such-volume"]:
        assert db.attachments_of(vid) == [a for a in db.attachments.values()
                                          if a.volume_id == vid]
        assert db.snapshots_of(vid) == [s for s in db.snapshots.values() if s.volume_id == vid]
        assert db.backups_of(vid) == [b for b in db.backups.values() if b.volume_id == vid]
        assert all(a is db.attachments[a.id] for a in db.attachments_of(vid))
        assert all(s is db.snapshots[s.id] for s in db.snapshots_of(vid))
        assert all(b is db.backups[b.id] for b in db.backups_of(vid))


_STEPS = st.lists(st.tuples(st.sampled_from(("add", "remove", "readd")), st.sampled_from(_KINDS),
                            st.integers(0, _VOLUMES - 1), st.integers(0, 10**6)), max_size=60)


@given(_STEPS)
def test_volume_indexes_agree_with_a_scan(steps: list[tuple[str, str, int, int]]) -> None:
    """Random adds, removes and re-adds of a removed id (which lands at the end of the
    table, and so must land at the end of its volume's list too)."""
    db = Database()
    ids = IdFactory(random.Random(9))
    vols = [_vol(ids) for _ in range(_VOLUMES)]
    for v in vols:
        db.add(v)
    volume_ids = [v.id for v in vols]
    live: dict[str, list[VolumeAttachment | Snapshot | Backup]] = {k: [] for k in _KINDS}
    gone: dict[str, list[VolumeAttachment | Snapshot | Backup]] = {k: [] for k in _KINDS}
    for action, kind, vol_index, pick in steps:
        if action == "add":
            row = _new_row(kind, ids.uuid(), volume_ids[vol_index])
            _add_row(db, row)
            live[kind].append(row)
        elif action == "remove" and live[kind]:
            row = live[kind].pop(pick % len(live[kind]))
            _remove_row(db, row)
            gone[kind].append(row)
        elif action == "readd" and gone[kind]:
            old = gone[kind].pop(pick % len(gone[kind]))
            row = _new_row(kind, old.id, old.volume_id)
            _add_row(db, row)
            live[kind].append(row)
        _assert_index_matches_scan(db, volume_ids)
    fp = db.fingerprint()
    db.snapshot()
    assert db.fingerprint() == fp
    _assert_index_matches_scan(db, volume_ids)


def test_a_refused_write_leaves_the_index_alone(db: Database) -> None:
    ids = IdFactory(random.Random(10))
    vol = _vol(ids)
    db.add(vol)
    snap = Snapshot(ids.uuid(), vol.id, "p1", "u1", 1)
    with pytest.raises(IllegalTransition):
        db.add(snap, op=Op.BACKUP_CREATE)  # not a snapshot's birth
    assert db.snapshots_of(vol.id) == []
    db.add(snap, op=Op.SNAPSHOT_CREATE)
    with pytest.raises(SimulationError):
        db.add(attrs.evolve(snap), op=Op.SNAPSHOT_CREATE)  # duplicate id
    with pytest.raises(IllegalTransition):
        db.remove(snap, op=Op.SNAPSHOT_DELETE)  # still creating
    assert db.snapshots_of(vol.id) == [snap]
    with pytest.raises(SimulationError):
        db.remove(attrs.evolve(snap), op=Op.SNAPSHOT_DELETE)  # not the stored row
    assert db.snapshots_of(vol.id) == [snap]


def test_removing_a_row_whose_volume_id_was_reassigned_unindexes_it(db: Database) -> None:
    """Nothing reassigns ``volume_id`` (the class docstring's rule), but if something did,
    removing the row must still drop it from the index rather than leave a ghost."""
    ids = IdFactory(random.Random(11))
    v1, v2 = _vol(ids), _vol(ids)
    db.add(v1)
    db.add(v2)
    a1 = VolumeAttachment(ids.uuid(), v1.id)
    a2 = VolumeAttachment(ids.uuid(), v1.id)
    _add_row(db, a1)
    _add_row(db, a2)
    a1.volume_id = v2.id
    _remove_row(db, a1)
    assert db.attachments_of(v1.id) == [a2]
    assert db.attachments_of(v2.id) == []
    _remove_row(db, a2)
    assert db.attachments_of(v1.id) == []


def test_volume_zones_follow_the_services_as_they_register() -> None:
    """Database.volume_zones is what a scan of the cinder-volume rows gives, in
    registration order, after every registration (a create checks its zone in it)."""
    db = Database()

    def scanned() -> list[str]:
        out: list[str] = []
        for row in db.services.values():
            if row.binary == "cinder-volume" and row.availability_zone not in out:
                out.append(row.availability_zone)
        return out

    steps = [("cinder-volume", "h1@lvm", "nova"), ("cinder-backup", "h1", "backupzone"),
             ("cinder-volume", "h2@lvm", "az2"), ("cinder-volume", "h3@lvm", "nova"),
             ("cinder-scheduler", "h1", "az3"), ("cinder-volume", "h2@lvm", "az9"),
             ("cinder-volume", "h4@nfs", "az4")]
    for binary, host, zone in steps:
        db.register_service(binary, host, topic=binary, availability_zone=zone)
        assert db.volume_zones == scanned()
    assert db.volume_zones == ["nova", "az2", "az4"]
