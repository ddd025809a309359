"""Cinder's user messages as services write them (``cinder/message/api.py``
``message_api.create``, ``cinder/message/message_field.py``): shared by every
service that reports a failure to the user (cinder-scheduler's NoValidBackend,
cinder-volume's driver errors ...); cinder-api serves them at ``/messages``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

from ..db import Database, iso_time
from ..db_tables import Message, tables

if TYPE_CHECKING:
    from .env import ServiceEnv

__all__ = ["ACTIONS", "DETAILS", "MESSAGE_TTL", "write_message"]

MESSAGE_TTL: Final = 2_592_000.0
"""``[DEFAULT] message_ttl``: seconds a message is kept."""

ACTIONS: Final[dict[str, str]] = {
    "001": "schedule allocate volume", "002": "attach volume", "003": "copy volume to image",
    "004": "update attachment", "005": "copy image to volume", "006": "unmanage volume",
    "007": "extend volume", "008": "create volume from backend storage",
    "009": "snapshot create", "010": "snapshot delete", "011": "snapshot update",
    "012": "snapshot metadata update", "013": "backup create", "014": "backup delete",
    "015": "backup restore", "016": "reimage volume"}
"""``message_field.Action``: id -> text."""

DETAILS: Final[dict[str, str]] = {
    "001": "An unknown error occurred.",
    "002": "Driver is not initialized at present.",
    "003": "Could not find any available weighted backend.",
    "004": "Failed to upload volume to image at image service.",
    "005": "Volume's attach mode is invalid.",
    "006": "Not enough quota resource for operation.",
    "007": "Image used for creating volume exceeds available space.",
    "008": "Unmanaging encrypted volumes is not supported.",
    "009": "Compute service failed to extend volume.",
    "010": "Volume Driver failed to extend volume.",
}
"""``message_field.Detail``: id -> text (the ones the simulator can produce)."""


def _stable_uuid(*parts: str) -> str:
    """An id derived from what the message is about: writing a message must not draw
    from the simulation's id stream (that would shift every later id of a run)."""
    h = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def write_message(env: ServiceEnv | Database, *, project_id: str, action: str, detail: str,
                  resource_uuid: str | None, resource_type: str = "VOLUME",
                  request_id: str | None = None, level: str = "ERROR",
                  now: float | None = None) -> Message:
    """``message_api.create``: store one user message (and trace it)."""
    db = env if isinstance(env, Database) else env.db
    at = db.now() if now is None else now
    rows = tables(db).messages
    mid = _stable_uuid(project_id, resource_uuid or "", action, detail, repr(at),
                       str(len(rows)))
    msg = Message(id=mid, project_id=project_id,
                  request_id=request_id or f"req-{_stable_uuid('request', mid)}",
                  resource_type=resource_type, resource_uuid=resource_uuid,
                  event_id=f"VOLUME_{resource_type}_{action}_{detail}",
                  message_level=level, action_id=action, detail_id=detail,
                  created_at=iso_time(at), expires_at=iso_time(at + MESSAGE_TTL))
    rows[mid] = msg
    db.trace.emit("message", "cinder", f"user message {msg.event_id} for {resource_uuid}",
                  message_id=mid, project_id=project_id, event_id=msg.event_id,
                  resource_uuid=resource_uuid)
    return msg
