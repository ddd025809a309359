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

from .invariants import (
    capacity_agrees,
    exports_match_attachments,
    nothing_transitional,
    quota_matches_existence,
)
from .machine import DEFAULT_MACHINE_CONFIG, CloudStateMachine, Invariant, content_digest
from .profiles import load_profile, register_profiles
from .replay import StepLog

__all__ = [
    "DEFAULT_MACHINE_CONFIG",
    "CloudStateMachine",
    "Invariant",
    "StepLog",
    "capacity_agrees",
    "content_digest",
    "exports_match_attachments",
    "load_profile",
    "nothing_transitional",
    "quota_matches_existence",
    "register_profiles",
]
