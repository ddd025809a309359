"""The status machines against the reference (§1, §2) and the transition property."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cindersim.db import Backup, Snapshot, Volume, VolumeAttachment
from cindersim.errors import IllegalTransition
from cindersim.states import (
    _PARTS,
    FIELDS_VOLUME_STATUSES,
    TABLE,
    AttachStatus,
    BackupStatus,
    Machine,
    MigrationStatus,
    Op,
    SnapshotStatus,
    VolumeStatus,
    check_trace,
    is_legal,
    legal_targets,
    machine_for,
    machine_states,
    record_created,
    record_destroyed,
    statuses_from_attachments,
    transition,
)
from cindersim.trace import Trace, TraceEvent

V = Machine.VOLUME


# --- exact strings ----------------------------------------------------------------
def test_volume_status_strings_are_cinders() -> None:
    fields_py = {
        "creating", "available", "deleting", "error", "error_deleting", "error_managing",
        "managing", "attaching", "in-use", "detaching", "maintenance", "restoring-backup",
        "error_restoring", "reserved", "awaiting-transfer", "backing-up", "error_backing-up",
        "error_extending", "downloading", "uploading", "retyping", "extending"}
    extras = {"reverting", "unmanaging", "error_unmanaging", "error_managing_deleting",
              "migration_target"}
    assert {s.value for s in FIELDS_VOLUME_STATUSES} == fields_py
    assert {s.value for s in VolumeStatus} == fields_py | extras


def test_other_enums_are_cinders() -> None:
    assert {s.value for s in AttachStatus} == {
        "attached", "attaching", "detached", "reserved", "error_attaching", "error_detaching",
        "deleted"}
    assert {s.value for s in SnapshotStatus} == {
        "error", "available", "creating", "deleting", "deleted", "updating", "error_deleting",
        "unmanaging", "backing-up", "restoring"}
    assert {s.value for s in BackupStatus} == {
        "error", "error_deleting", "creating", "available", "deleting", "deleted", "restoring"}
    assert {"migrating", "error", "success", "completing", "none", "starting"} <= {
        s.value for s in MigrationStatus}


# --- edges the reference states --------------------------------------------------------
@pytest.mark.parametrize("status", ["available", "error", "error_restoring",
                                    "error_extending"])
def test_delete_allowed_from(status: str) -> None:
    assert is_legal(V, status, "deleting", Op.DELETE)
    assert VolumeStatus.DELETING in legal_targets(V, status, Op.FORCE_DELETE)


def test_error_managing_deletes_through_its_own_status() -> None:
    assert legal_targets(V, "error_managing", Op.DELETE) == ("error_managing_deleting", None)
    assert not is_legal(V, "error_managing", "deleting", Op.FORCE_DELETE)


@pytest.mark.parametrize("status", ["in-use", "awaiting-transfer", "creating", "attaching",
                                    "backing-up", "error_deleting", "maintenance"])
def test_delete_refused_without_force(status: str) -> None:
    assert not is_legal(V, status, "deleting", Op.DELETE)
    assert is_legal(V, status, "deleting", Op.FORCE_DELETE)


def test_delete_outcomes() -> None:
    assert is_legal(V, "deleting", "error_deleting", Op.DELETE)
    assert is_legal(V, "deleting", "available", Op.DELETE)  # VolumeIsBusy
    assert is_legal(V, "deleting", None, Op.DELETE)
    assert is_legal(V, "error_managing", "error_managing_deleting", Op.DELETE)
    assert not is_legal(V, "error_deleting", "available", Op.DELETE)


def test_attachments_api_has_no_detaching_step() -> None:
    assert is_legal(V, "available", "reserved", Op.ATTACHMENT_CREATE)
    assert is_legal(V, "downloading", "reserved", Op.ATTACHMENT_CREATE)
    assert not is_legal(V, "creating", "reserved", Op.ATTACHMENT_CREATE)
    assert is_legal(V, "reserved", "attaching", Op.ATTACHMENT_UPDATE)
    assert not is_legal(V, "error", "attaching", Op.ATTACHMENT_UPDATE)  # 409 in Cinder
    assert is_legal(V, "attaching", "in-use", Op.ATTACHMENT_COMPLETE)
    assert is_legal(V, "in-use", "available", Op.ATTACHMENT_DELETE)
    # the only attachment-API edge into 'detaching' is the generic recompute
    assert not any(op.startswith("attachment") for (_, n), ops in TABLE[V].items()
                   for op in ops if n == "detaching" and op != Op.ATTACHMENT_DELETE)
    assert is_legal(Machine.ATTACHMENT, None, "reserved", Op.ATTACHMENT_CREATE)
    assert is_legal(Machine.ATTACHMENT, "reserved", "attaching", Op.ATTACHMENT_UPDATE)
    assert is_legal(Machine.ATTACHMENT, "attaching", "attached", Op.ATTACHMENT_COMPLETE)
    assert is_legal(Machine.ATTACHMENT, "attached", None, Op.ATTACHMENT_DELETE)


def test_legacy_actions() -> None:
    assert is_legal(V, "available", "attaching", Op.RESERVE)
    assert not is_legal(V, "error", "attaching", Op.RESERVE)
    assert is_legal(V, "attaching", "available", Op.UNRESERVE)
    assert is_legal(V, "attaching", "in-use", Op.UNRESERVE)
    assert is_legal(V, "attaching", "in-use", Op.ATTACH)
    assert is_legal(V, "in-use", "detaching", Op.BEGIN_DETACHING)
    assert not is_legal(V, "available", "detaching", Op.BEGIN_DETACHING)
    assert is_legal(V, "detaching", "in-use", Op.ROLL_DETACHING)
    assert is_legal(V, "detaching", "available", Op.DETACH)
    assert is_legal(V, "attaching", "available", Op.TERMINATE_CONNECTION)


def test_extend_backup_restore_transfer_retype_migrate_revert() -> None:
    assert is_legal(V, "in-use", "extending", Op.EXTEND)
    assert not is_legal(V, "error", "extending", Op.EXTEND)
    assert set(legal_targets(V, "extending", Op.EXTEND)) == {
        "available", "in-use", "error_extending"}
    assert set(legal_targets(V, "backing-up", Op.BACKUP_CREATE)) == {"available", "in-use"}
    # error_backing-up is only ever stored in previous_status: no operation enters
    # it; only an admin reset (any fields.py value) can.
    into = {ops for (_, new), ops in TABLE[V].items() if new == "error_backing-up"}
    assert into == {(Op.RESET_STATUS.value,)}
    assert legal_targets(Machine.BACKUP, None, Op.BACKUP_CREATE) == ("creating",)
    assert set(legal_targets(Machine.BACKUP, "creating", Op.BACKUP_CREATE)) == {
        "available", "error"}
    assert is_legal(V, "available", "restoring-backup", Op.BACKUP_RESTORE)
    assert not is_legal(V, "in-use", "restoring-backup", Op.BACKUP_RESTORE)
    assert is_legal(V, "restoring-backup", "error_restoring", Op.BACKUP_RESTORE)
    assert is_legal(Machine.BACKUP, "restoring", "available", Op.BACKUP_RESTORE)
    assert is_legal(V, "available", "awaiting-transfer", Op.TRANSFER_CREATE)
    assert is_legal(V, "awaiting-transfer", "available", Op.TRANSFER_ACCEPT)
    assert is_legal(V, "in-use", "retyping", Op.RETYPE)
    assert is_legal(V, "available", "maintenance", Op.MIGRATE)
    assert is_legal(Machine.VOLUME_MIGRATION, None, "starting", Op.MIGRATE)
    assert not is_legal(Machine.VOLUME_MIGRATION, "migrating", "starting", Op.MIGRATE)
    assert is_legal(Machine.VOLUME_MIGRATION, None, "target:abc", Op.MIGRATE)
    assert is_legal(V, "available", "reverting", Op.REVERT)
    assert is_legal(Machine.SNAPSHOT, "available", "restoring", Op.REVERT)


def test_reset_status_rules() -> None:
    targets = set(legal_targets(V, "error_deleting", Op.RESET_STATUS))
    assert "deleting" not in targets  # the one value the API refuses
    assert {"available", "error", "in-use", "detaching"} <= targets
    assert "reverting" not in targets  # not in fields.VolumeStatus.ALL
    assert set(legal_targets(Machine.VOLUME_ATTACH, "attaching", Op.RESET_STATUS)) >= {
        "attached", "detached"}
    assert set(legal_targets(Machine.BACKUP, "creating", Op.RESET_STATUS)) == {
        "available", "error"}
    assert set(legal_targets(Machine.SNAPSHOT, "deleting", Op.RESET_STATUS)) == (
        set(SnapshotStatus) - {"deleting"})


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TABLE[V][("available", "error")] = ("create",)  # type: ignore[index]


# --- the recompute rule ----------------------------------------------------------------------
@pytest.mark.parametrize(("statuses", "expected"), [
    ([], ("detached", "available")),
    (["attached"], ("attached", "in-use")),
    (["reserved", "attaching"], ("attaching", "attaching")),
    (["reserved"], ("reserved", "reserved")),
    (["error_attaching"], ("detached", "available")),
    (["error_detaching", "detaching", "reserved"], ("detaching", "detaching")),
    (["reserved", "attached", "error_attaching"], ("attached", "in-use")),
])
def test_statuses_from_attachments(statuses: list[str], expected: tuple[str, str]) -> None:
    assert statuses_from_attachments(statuses) == expected


@given(st.lists(st.sampled_from(["attached", "attaching", "reserved", "detaching",
                                 "error_attaching", "error_detaching"])))
def test_recompute_is_order_free_and_lands_on_a_recompute_edge(statuses: list[str]) -> None:
    attach, status = statuses_from_attachments(statuses)
    assert statuses_from_attachments(list(reversed(statuses))) == (attach, status)
    for old in machine_states(V):
        assert is_legal(V, old, status, Op.ATTACHMENT_DELETE)


# --- transition ---------------------------------------------------------------------------------
def _volume(status: VolumeStatus = VolumeStatus.CREATING) -> Volume:
    return Volume(id="1b2c3d4e-0000-4000-8000-000000000000", project_id="p", user_id="u",
                  size=1, status=status)


def test_transition_changes_stamps_and_traces_once() -> None:
    trace = Trace()
    vol = _volume()
    changed = transition(vol, "available", op=Op.CREATE, trace=trace, actor="cinder-volume",
                         now=lambda: "2026-01-01T00:00:05.000000")
    assert changed
    assert vol.status is VolumeStatus.AVAILABLE
    assert vol.updated_at == "2026-01-01T00:00:05.000000"
    [ev] = trace.events
    assert ev.kind == "status"
    assert ev.resource == f"volume:{vol.id}"
    assert ev.summary == "volume 1b2c3d4e creating → available"
    assert dict(ev.detail) == {"field": "status", "old": "creating", "new": "available",
                               "op": "create"}


def test_transition_illegal_raises_and_changes_nothing() -> None:
    trace = Trace()
    vol = _volume(VolumeStatus.IN_USE)
    before = attrs.asdict(vol)
    with pytest.raises(IllegalTransition):
        transition(vol, "deleting", op=Op.DELETE, trace=trace, actor="cinder-api")
    with pytest.raises(IllegalTransition):
        transition(vol, "not-a-status", op=Op.RESET_STATUS, trace=trace, actor="cinder-api")
    with pytest.raises(IllegalTransition):
        transition(vol, "available", op="no-such-op", trace=trace, actor="cinder-api")
    assert attrs.asdict(vol) == before
    assert trace.events == []


def test_same_value_is_a_silent_no_op() -> None:
    trace = Trace()
    vol = _volume(VolumeStatus.IN_USE)
    assert not transition(vol, "in-use", op=Op.ATTACHMENT_DELETE, trace=trace, actor="api")
    assert trace.events == []


def test_other_fields_and_records() -> None:
    trace = Trace()
    vol = _volume(VolumeStatus.AVAILABLE)
    transition(vol, "attaching", op=Op.ATTACHMENT_UPDATE, trace=trace, actor="api",
               field="attach_status")
    assert vol.attach_status is AttachStatus.ATTACHING
    assert trace.events[-1].summary == "volume 1b2c3d4e attach_status detached → attaching"
    transition(vol, "target:xyz", op=Op.MIGRATE, trace=trace, actor="api",
               field="migration_status")
    with pytest.raises(IllegalTransition):
        transition(vol, "available", op=Op.RESET_STATUS, trace=trace, actor="api",
                   field="display_name")
    att = VolumeAttachment(id="a" * 8, volume_id=vol.id)
    record_created(att, op=Op.ATTACHMENT_CREATE, trace=trace, actor="api")
    assert trace.events[-1].resource == "attachment:aaaaaaaa"
    record_destroyed(att, op=Op.ATTACHMENT_DELETE, trace=trace, actor="api")
    assert dict(trace.events[-1].detail)["new"] is None
    snap = Snapshot(id="s", volume_id=vol.id, project_id="p", user_id="u", volume_size=1)
    with pytest.raises(IllegalTransition):
        record_destroyed(snap, op=Op.SNAPSHOT_DELETE, trace=trace, actor="api")  # creating
    backup = Backup(id="b", project_id="p", user_id="u", volume_id=vol.id, size=1)
    with pytest.raises(IllegalTransition):
        record_created(backup, op=Op.SNAPSHOT_CREATE, trace=trace, actor="api")
    assert check_trace(trace.events) == []


def test_a_change_seen_before_is_checked_by_its_op_and_stored_as_the_member() -> None:
    """transition remembers legal changes: a plain string and its member find the same
    entry (and store the member), and the same edge under another op, or from another
    status, is still refused."""
    trace = Trace(mode="off")
    for new in ("available", VolumeStatus.AVAILABLE, "available"):
        vol = _volume()
        assert transition(vol, new, op=Op.CREATE, trace=trace, actor="t")
        assert vol.status is VolumeStatus.AVAILABLE
    vol = _volume()
    with pytest.raises(IllegalTransition):
        transition(vol, "available", op="no-such-op", trace=trace, actor="t")
    vol = _volume(VolumeStatus.IN_USE)
    with pytest.raises(IllegalTransition):
        transition(vol, "available", op=Op.CREATE, trace=trace, actor="t")
    assert vol.status is VolumeStatus.IN_USE
    vol = _volume()
    with pytest.raises(IllegalTransition):  # a field with no machine, even if unknown
        transition(vol, "available", op=Op.CREATE, trace=trace, actor="t", field="nope")
    # migration_status is unbounded: each change is checked, None is a real value.
    for _ in range(2):
        assert transition(vol, "target:abc", op=Op.MIGRATE, trace=trace, actor="t",
                          field="migration_status")
        assert vol.migration_status == "target:abc"
        assert transition(vol, None, op=Op.MIGRATE, trace=trace, actor="t",
                          field="migration_status")
        assert vol.migration_status is None
        assert not transition(vol, None, op=Op.MIGRATE, trace=trace, actor="t",
                              field="migration_status")


def test_a_birth_or_end_seen_before_is_checked_by_its_op_and_status() -> None:
    trace = Trace()
    vol = _volume()
    for _ in range(2):
        record_created(vol, op=Op.CREATE, trace=trace, actor="api")
    backup = Backup(id="b", project_id="p", user_id="u", volume_id=vol.id, size=1)
    record_created(backup, op=Op.BACKUP_CREATE, trace=trace, actor="api")
    with pytest.raises(IllegalTransition):  # the same kind and status under a wrong op
        record_created(backup, op=Op.SNAPSHOT_CREATE, trace=trace, actor="api")
    assert [ev.summary for ev in trace.events] == [
        "volume 1b2c3d4e ∅ → creating", "volume 1b2c3d4e ∅ → creating",
        "backup b ∅ → creating"]
    snap = Snapshot(id="s", volume_id=vol.id, project_id="p", user_id="u", volume_size=1,
                    status=SnapshotStatus.DELETING)
    for _ in range(2):
        record_destroyed(snap, op=Op.SNAPSHOT_DELETE, trace=trace, actor="api")
    with pytest.raises(IllegalTransition):  # the same end under an op that may not
        record_destroyed(snap, op=Op.CREATE, trace=trace, actor="api")
    snap.status = SnapshotStatus.AVAILABLE
    with pytest.raises(IllegalTransition):  # the same op from a status that may not end
        record_destroyed(snap, op=Op.SNAPSHOT_DELETE, trace=trace, actor="api")


# --- check_trace -------------------------------------------------------------------------------
def _ev(seq: int, old: str | None, new: str | None, op: str,
        resource: str = "volume:v1", field: str = "status") -> TraceEvent:
    return TraceEvent(seq, 0.0, "status", "x", "", resource=resource,
                      detail={"field": field, "old": old, "new": new, "op": op})


def test_check_trace_reports_illegal_edges_and_gaps() -> None:
    ok = [_ev(0, None, "creating", "create"), _ev(1, "creating", "available", "create"),
          _ev(2, "available", "deleting", "delete"), _ev(3, "deleting", None, "delete")]
    assert check_trace(ok) == []
    bad = [_ev(0, None, "creating", "create"), _ev(1, "creating", "in-use", "extend"),
           _ev(2, "available", "deleting", "delete"), _ev(3, "deleting", None, "delete"),
           _ev(4, "deleting", "available", "delete")]
    problems = check_trace(bad)
    assert len(problems) == 4
    assert "seq 1" in problems[0]
    assert "last seen" in problems[1]
    assert any("destroyed" in p for p in problems)


# --- the property ------------------------------------------------------------------------------
_OPS = list(Op)


@st.composite
def _requests(draw: st.DrawFn) -> list[tuple[str, str, str | None, str]]:
    n = draw(st.integers(0, 40))
    out: list[tuple[str, str, str | None, str]] = []
    for _ in range(n):
        which = draw(st.sampled_from(["volume", "snapshot", "backup", "attach"]))
        if which == "volume":
            new = draw(st.sampled_from([*VolumeStatus, "bogus"]))
            out.append((which, "status", new, draw(st.sampled_from(_OPS))))
        elif which == "attach":
            out.append((which, "attach_status", draw(st.sampled_from(list(AttachStatus))),
                        draw(st.sampled_from(_OPS))))
        elif which == "snapshot":
            out.append((which, "status", draw(st.sampled_from(list(SnapshotStatus))),
                        draw(st.sampled_from(_OPS))))
        else:
            out.append((which, "status", draw(st.sampled_from(list(BackupStatus))),
                        draw(st.sampled_from(_OPS))))
    return out


@settings(max_examples=300)
@given(_requests(), st.sampled_from(list(VolumeStatus)))
def test_only_legal_transitions_succeed(requests: list[tuple[str, str, str | None, str]],
                                        start: VolumeStatus) -> None:
    trace = Trace()
    vol = _volume(start)
    records: dict[str, Volume | Snapshot | Backup] = {
        "volume": vol, "attach": vol,
        "snapshot": Snapshot(id="s", volume_id=vol.id, project_id="p", user_id="u",
                             volume_size=1, status=SnapshotStatus.AVAILABLE),
        "backup": Backup(id="b", project_id="p", user_id="u", volume_id=vol.id, size=1,
                         status=BackupStatus.AVAILABLE)}
    machines = {"volume": V, "attach": Machine.VOLUME_ATTACH, "snapshot": Machine.SNAPSHOT,
                "backup": Machine.BACKUP}
    for which, field, new, op in requests:
        rec = records[which]
        old = getattr(rec, field)
        before = attrs.asdict(rec)
        n_events = len(trace.events)
        legal = new in machine_states(machines[which]) and is_legal(
            machines[which], old, new, op)
        if legal:
            changed = transition(rec, new, op=op, trace=trace, actor="t", field=field)
            assert getattr(rec, field) == new
            assert len(trace.events) == n_events + (1 if changed else 0)
            assert changed == (old != new)
        else:
            with pytest.raises(IllegalTransition):
                transition(rec, new, op=op, trace=trace, actor="t", field=field)
            assert attrs.asdict(rec) == before
            assert len(trace.events) == n_events
    assert check_trace(trace.events) == []


@given(st.sampled_from(list(Machine)), st.data())
def test_legal_targets_agrees_with_is_legal(machine: Machine, data: st.DataObject) -> None:
    old = data.draw(st.sampled_from(machine_states(machine)))
    op = data.draw(st.one_of(st.none(), st.sampled_from(_OPS)))
    targets = legal_targets(machine, old, op)
    for new in [*machine_states(machine), None]:
        if new == old:
            continue
        assert (new in targets) == is_legal(machine, old, new, op)


def test_every_machine_is_found_by_kind_and_field_and_nothing_else_is() -> None:
    for m in Machine:
        kind, field = m.value.split(".")
        assert machine_for(kind, field) is m
    with pytest.raises(IllegalTransition, match=r"no status machine for snapshot\.attach_status"):
        machine_for("snapshot", "attach_status")


def test_a_repeated_change_reuses_its_parts_and_the_memo_stays_bounded() -> None:
    """The second create's status events are built from the first's remembered parts:
    the same strings, its own id and reason; migration's unbounded values never grow
    the memo past its bound."""
    trace = Trace()
    for vid in ("1b2c3d4e-0000", "9f8e7d6c-1111"):
        vol = _volume()
        vol.id = vid
        transition(vol, VolumeStatus.ERROR, op=Op.CREATE, trace=trace, actor="v",
                   reason="boom" if vid[0] == "9" else None)
    first, second = trace.events
    assert first.summary == "volume 1b2c3d4e creating → error"
    assert second.summary == "volume 9f8e7d6c creating → error"
    assert second.resource == "volume:9f8e7d6c-1111"
    assert dict(first.detail) == {"field": "status", "old": "creating", "new": "error",
                                  "op": "create"}
    assert dict(second.detail) == {**first.detail, "reason": "boom"}
    assert type(second.detail["new"]) is str
    vol = _volume(VolumeStatus.AVAILABLE)
    for n in range(300):
        transition(vol, f"target:{n}", op=Op.MIGRATE, trace=trace, actor="api",
                   field="migration_status")
        transition(vol, None, op=Op.MIGRATE, trace=trace, actor="api",
                   field="migration_status")
        assert len(_PARTS) <= 256
    assert trace.events[-2].summary == "volume 1b2c3d4e migration_status ∅ → target:299"
