"""cindersim.testing: property-based testing of a simulated Cinder with Hypothesis.

* :class:`CloudStateMachine` - a ``RuleBasedStateMachine`` that drives a whole
  cloud through its REST API, with faults, and checks the invariants after
  every step; failures carry a replayable Python scenario.
* :mod:`~cindersim.testing.invariants` - the invariants as plain functions of a
  cloud, usable in any test.
* :mod:`~cindersim.testing.strategies` - Hypothesis strategies for sizes,
  backend configs, connectors, fault plans and request bodies.
* :func:`load_profile` - the ``ci`` and ``deep`` settings profiles
  (``CINDERSIM_PROFILE=deep``).
"""

from __future__ import annotations

from .digests import content_digest
from .invariants import (
    capacity_agrees,
    exports_match_attachments,
    nothing_transitional,
    quota_matches_existence,
    records_have_storage,
)
from .machine import DEFAULT_MACHINE_CONFIG, CloudStateMachine, Invariant
from .profiles import load_profile, register_profiles
from .replay import StepLog
from .strategies import (
    backend_configs,
    connectors,
    fault_plans,
    request_bodies,
    scenario_steps,
    volume_sizes,
    volume_type_specs,
)

__all__ = [
    "DEFAULT_MACHINE_CONFIG",
    "CloudStateMachine",
    "Invariant",
    "StepLog",
    "backend_configs",
    "capacity_agrees",
    "connectors",
    "content_digest",
    "exports_match_attachments",
    "fault_plans",
    "load_profile",
    "nothing_transitional",
    "quota_matches_existence",
    "records_have_storage",
    "register_profiles",
    "request_bodies",
    "scenario_steps",
    "volume_sizes",
    "volume_type_specs",
]
