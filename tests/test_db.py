"""The record store: virtual timestamps, project isolation, traced writes, fingerprints."""

from __future__ import annotations

import random

import pytest

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
    vol.metadata["k"] = "v"
    assert db.snapshot() != snap1
    assert db.fingerprint() != fp1
    del vol.metadata["k"]
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
