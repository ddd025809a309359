"""A deliberately broken invariant is caught, shrunk to a few steps, and the replay
script the failure carries reproduces it deterministically.

The "invariant" claims no project ever has two ``available`` volumes: false as
soon as a user creates two volumes and the cloud settles.  Hypothesis must find
that, shrink the run to about that, and print a Python scenario whose replay
shows the same two available volumes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from cindersim import Cloud
from cindersim.testing import CloudStateMachine

MARKER = "Replay these steps with:"


def available_per_project(cloud: Cloud) -> Counter[str]:
    return Counter(v.project_id for v in cloud.db.volumes.values() if v.status == "available")


def at_most_one_available_volume(cloud: Cloud) -> list[str]:
    """Wrong on purpose: nothing in Cinder limits a project to one available volume."""
    return [f"project {p[:8]} has {n} available volumes"
            for p, n in sorted(available_per_project(cloud).items()) if n >= 2]


class BrokenMachine(CloudStateMachine):
    extra_invariants = (at_most_one_available_volume,)


BOUNDED = settings(max_examples=40, stateful_step_count=8, derandomize=True, deadline=None,
                   database=None, print_blob=False, report_multiple_bugs=False,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                          HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def failure() -> AssertionError:
    with pytest.raises(AssertionError) as info:
        run_state_machine_as_test(BrokenMachine, settings=BOUNDED)
    return info.value


def _script(exc: BaseException) -> str:
    text = "\n".join([str(exc), *getattr(exc, "__notes__", [])])
    assert MARKER in text, text
    script = text.split(MARKER, 1)[1].strip("\n")
    end = script.index("result = cindersim.simulate(")
    return script[:script.index("\n", end) + 1]


def test_the_broken_invariant_is_caught(failure: AssertionError) -> None:
    assert "invariants broken" in str(failure)
    assert "available volumes" in str(failure)


def test_the_failure_is_shrunk_to_a_short_replayable_step_list(failure: AssertionError) -> None:
    script = _script(failure)
    requests = [line for line in script.splitlines() if "await cloud.request(" in line]
    assert 2 <= len(requests) <= 6, script
    assert "async def scenario(cloud):" in script
    assert "cindersim.simulate(scenario, seed=0, config=CONFIG)" in script


def test_the_replay_script_reproduces_the_condition(failure: AssertionError) -> None:
    namespace: dict[str, Any] = {"__name__": "replay"}
    exec(compile(_script(failure), "<replay>", "exec"), namespace)
    cloud = namespace["result"].cloud
    assert max(available_per_project(cloud).values()) >= 2
    assert at_most_one_available_volume(cloud) != []
