"""The cloud state machine runs clean under the ci profile."""

from __future__ import annotations

from cindersim.testing import CloudStateMachine, load_profile

load_profile()

TestCloudStateMachine = CloudStateMachine.TestCase
