"""Issue 18: the machine never hangs.  A restore to a new volume while cinder-scheduler
is stopped polls the new volume once a virtual second without end (faithful to
Cinder's backup API, which waits for the volume it created); the machine bounds each
step's virtual time and reports such a step as a finding with its replay."""

from __future__ import annotations

import pytest

from cindersim.testing import CloudStateMachine


class ShortBound(CloudStateMachine):
    wait_bound = 600.0  # ten virtual minutes, so the test is quick


def test_a_step_that_cannot_finish_is_reported_with_its_replay() -> None:
    machine = ShortBound()
    try:
        vid = machine.create_volume(size=1, user="demo")
        machine.settle()
        bid = machine.create_backup(vid=vid, incremental=False, force=False)
        machine.toggle_service(service="scheduler")
        with pytest.raises(AssertionError) as info:
            machine.restore_backup(bid=bid, target_vid=None)
    finally:
        machine.sim.close()
    text = str(info.value)
    assert "a step did not finish within 0.166667 virtual hours (a hang)" in text
    assert "Replay these steps with:" in text
    assert "cloud.scheduler.stop()" in text
    assert f"/backups/{bid}/restore" in text
