"""Suite-wide settings: the Hypothesis profile named by CINDERSIM_PROFILE (``ci`` by default).

``CINDERSIM_PROFILE=deep make test`` runs every property test and the cloud state
machine far longer, for bug hunting.
"""

from __future__ import annotations

from cindersim.testing import load_profile

load_profile()
