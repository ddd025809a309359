"""The cloud state machine runs clean under the active profile (``ci`` unless
``CINDERSIM_PROFILE`` says otherwise; see tests/conftest.py)."""

from __future__ import annotations

from cindersim.testing import CloudStateMachine

TestCloudStateMachine = CloudStateMachine.TestCase
