"""Hypothesis settings profiles for the cloud state machine.

* ``ci``: bounded, so the whole suite stays within a few minutes on two cores;
* ``deep``: long runs for people hunting bugs (``CINDERSIM_PROFILE=deep pytest``).

:func:`load_profile` picks the profile named by ``CINDERSIM_PROFILE`` (``ci``
when unset).  Deadlines are off: a step's wall time says nothing in a
virtual-time simulation.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILE_ENV", "load_profile", "register_profiles"]

PROFILE_ENV = "CINDERSIM_PROFILE"


def register_profiles() -> None:
    common = {"deadline": None,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                        HealthCheck.data_too_large]}
    settings.register_profile("ci", max_examples=25, stateful_step_count=30,
                              derandomize=True, print_blob=True, **common)  # type: ignore[arg-type]
    settings.register_profile("deep", max_examples=1000, stateful_step_count=100,
                              print_blob=True, **common)  # type: ignore[arg-type]


def load_profile(default: str = "ci") -> str:
    """Register the profiles and load the one ``CINDERSIM_PROFILE`` names."""
    register_profiles()
    name = os.environ.get(PROFILE_ENV, default)
    settings.load_profile(name)
    return name
