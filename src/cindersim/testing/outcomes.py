"""Outcomes the state machine accepts because real Cinder produces them: refusals that
write first, and failures that are Cinder exceptions rather than simulator bugs."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..cloud import Response

__all__ = ["is_cinder_error", "key_deletion_refused", "leaves_a_failed_volume"]


def key_deletion_refused(r: Response) -> bool:
    """Cinder marks the volume ``error_deleting`` before it answers 400 for a key the
    key manager would not delete (an admin deleting another project's volume)."""
    return r.status == 400 and "Unable to delete encryption key" in str(r.json)


def leaves_a_failed_volume(r: Response) -> bool:
    """A restore to a new volume whose creation failed is refused (400) after the volume
    was made: Cinder's backup API leaves that volume in ``error``."""
    body = r.json if isinstance(r.json, dict) else {}
    message = str(body.get("badRequest", {}).get("message", ""))
    return r.status == 400 and message.startswith("Invalid volume: Error while creating volume")


def is_cinder_error(name: Any) -> bool:
    """A handler may fail with a Cinder exception (a simulated failure); anything
    else reaching the bus (IllegalTransition, TypeError ...) is a simulator bug."""
    cls = getattr(errors, str(name), None)
    return (isinstance(cls, type) and issubclass(cls, errors.CinderException)) or \
        str(name) in _MODULE_CINDER_ERRORS


_MODULE_CINDER_ERRORS = frozenset({"InvalidVolumeAttachMode", "RemoveExportException",
                                   "ImageUnacceptable", "GroupLimitExceeded",
                                   "UnexpectedOverQuota", "QuotaResourceUnknown"})
"""Cinder exceptions defined beside the flow that raises them rather than in errors.py."""
