"""The README's extension example, shipped as a test: a subclass of
CloudStateMachine that swaps the scheduler's weighing (stack instead of spread)
and adds an invariant, run under the ci profile with a few examples.

The example's code is copied verbatim from the README; the checks below it
prove the subclass really runs with its config and its invariant (so the
example cannot pass by doing nothing).
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from cindersim import Cloud
from cindersim.testing import CloudStateMachine


# --- the README example ------------------------------------------------------------------
def available_volumes_have_a_host(cloud):  # type: ignore[no-untyped-def]
    return [f"volume {v.id} is available without a host" for v in cloud.db.volumes.values()
            if v.status == "available" and not v.host]


class StackingMachine(CloudStateMachine):
    config = {**CloudStateMachine.config,  # type: ignore[dict-item]
              "DEFAULT": {**CloudStateMachine.config["DEFAULT"],  # type: ignore[index]
                          "capacity_weight_multiplier": -1.0}}   # stack instead of spread
    extra_invariants = (available_volumes_have_a_host,)


TestStacking = StackingMachine.TestCase
# --- end of the README example -----------------------------------------------------------

TestStacking.settings = settings(max_examples=5)  # the loaded (ci) profile, fewer examples

SMALL = settings(max_examples=3, stateful_step_count=12)


def test_the_subclass_runs_on_its_own_config_and_checks_its_invariant() -> None:
    seen: list[tuple[float, int]] = []

    def record(cloud: Cloud) -> list[str]:
        seen.append((cloud.config.capacity_weight_multiplier, len(cloud.db.volumes)))
        return available_volumes_have_a_host(cloud)  # type: ignore[no-untyped-call,no-any-return]

    class Recording(StackingMachine):
        extra_invariants = (record,)

    run_state_machine_as_test(Recording, settings=SMALL)
    assert seen, "the extra invariant never ran"
    assert {m for m, _ in seen} == {-1.0}
    assert StackingMachine.config["thin-1"] == CloudStateMachine.config["thin-1"]  # type: ignore[index]


def test_a_swapped_weigher_stacks_volumes_on_one_backend() -> None:
    """What the example's config changes: with a negative capacity multiplier the
    scheduler picks the backend with the LEAST free space, so two volumes land on
    the same (smaller) backend, where the default spreads them."""

    def hosts_of_two_volumes(machine_cls: type[CloudStateMachine]) -> list[Any]:
        machine = machine_cls()
        try:
            for _ in range(2):
                machine.create_volume(size=1, user="demo")
                machine.settle()
            machine.check_all()
            return sorted(str(v.host).split("#")[0] for v in machine.cloud.db.volumes.values())
        finally:
            machine.sim.close()

    stacked = hosts_of_two_volumes(StackingMachine)
    spread = hosts_of_two_volumes(CloudStateMachine)
    assert stacked == ["cinder-2@thick-1", "cinder-2@thick-1"]
    assert spread != stacked
