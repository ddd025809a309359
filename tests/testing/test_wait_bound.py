"""Issue 18: the machine never hangs.  A restore into a new volume while cinder-scheduler
is stopped polls the new volume once a virtual second without end (faithful to
Cinder's backup API, which waits for the volume it created).  The machine's client
gives up on that request after an hour and the server's work goes on: an expected
Cinder outcome.  Any step still running after ``wait_bound`` virtual seconds is a hang,
reported as a finding with its replay."""

from __future__ import annotations

import pytest

from cindersim.testing import CloudStateMachine


class ShortBound(CloudStateMachine):
    wait_bound = 600.0  # ten virtual minutes: shorter than the restore's hour of patience


def _restore_with_the_scheduler_stopped(machine: CloudStateMachine) -> tuple[str, str]:
    vid = machine.create_volume(size=1, user="demo")
    machine.settle()
    bid = machine.create_backup(vid=vid, incremental=False, force=False)
    machine.toggle_service(service="scheduler")
    machine.restore_backup(bid=bid, target_vid=None)
    return vid, bid


def test_a_step_that_cannot_finish_is_reported_with_its_replay() -> None:
    machine = ShortBound()
    try:
        with pytest.raises(AssertionError) as info:
            _restore_with_the_scheduler_stopped(machine)
    finally:
        machine.sim.close()
    text = str(info.value)
    assert "a step did not finish within 0.166667 virtual hours (a hang)" in text
    assert "Replay these steps with:" in text
    assert "cloud.scheduler.stop()" in text
    assert "r = await at_most(cloud.request('POST', " in text


def test_cinders_endless_restore_wait_is_an_expected_outcome() -> None:
    """The client gives up; once the scheduler is back the volume is created and the
    API's poller goes on to restore into it, and every invariant holds."""
    machine = CloudStateMachine()
    try:
        _vid, bid = _restore_with_the_scheduler_stopped(machine)
        db = machine.cloud.db
        new = next(v for v in db.volumes.values() if v.display_name ==
                   f"restore_backup_{bid}")
        waiting = str(new.status)
        assert machine.restoring_later == {new.id}
        machine.restart_everything()
        machine.settle()
        machine.advance(seconds=1.0)  # the poller's next look: the volume is there
        machine.settle()
        machine.check_all()
        assert (waiting, str(db.volumes[new.id].status)) == ("creating", "available")
        assert db.volumes[new.id].metadata.get("src_backup_id") == bid
        assert "r = await at_most(" in machine.log.script()
    finally:
        machine.teardown()
