"""User messages: ``/messages`` (3.3) and :func:`write_message`, which any service
calls where Cinder's ``message_api.create`` is called (``cinder/api/v3/messages.py``,
``cinder/message/api.py``, ``cinder/message/message_field.py``).

* A message names its resource, an action and a detail; ``event_id`` is
  ``VOLUME_<resource>_<action>_<detail>`` and ``user_message`` is
  ``"<action text>:<detail text>"`` (no space).  It expires ``message_ttl`` (30 days)
  after it is written (``guaranteed_until``).
* List (3.3; sort/marker/limit/offset from 3.5; the ``message`` resource filters
  checked from 3.31), show, delete (**204**): a reader's own project only (another
  project's message is ``404 Message <id> could not be found.``); delete needs member.
* Below 3.3 the routes do not exist (404).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Final

from ...db import Database, iso_time
from .common import enforce, link
from .listing import page_of, query_filters
from .router import route
from .tables import Message, tables
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from ..env import ServiceEnv
    from .service import ApiService

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


def _view(api: ApiService, req: ApiRequest, msg: Message) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": msg.id, "event_id": msg.event_id,
        "user_message": f"{ACTIONS.get(msg.action_id, '')}:{DETAILS.get(msg.detail_id, '')}",
        "message_level": msg.message_level, "created_at": msg.created_at,
        "guaranteed_until": msg.expires_at, "request_id": msg.request_id,
        "links": link(api, req, "messages", msg.id)}
    if msg.resource_type:
        d["resource_type"] = msg.resource_type
    if msg.resource_uuid:
        d["resource_uuid"] = msg.resource_uuid
    return d


def _get(api: ApiService, req: ApiRequest, message_id: str) -> Message:
    msg = tables(api.env.db).messages.get(message_id)
    if msg is None or (not req.context.is_admin and msg.project_id != req.context.project_id):
        raise HTTPError(404, f"Message {message_id} could not be found.")
    return msg


def _live(api: ApiService) -> list[Message]:
    """Messages not yet expired (Cinder's periodic cleanup removes the others)."""
    now = iso_time(api.env.db.now())
    return [m for m in tables(api.env.db).messages.values() if m.expires_at > now]


@route("GET", "/messages", "3.3")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    enforce(api, req, "message:get_all")
    msgs = [m for m in _live(api)
            if req.context.is_admin or m.project_id == req.context.project_id]
    if req.at_least("3.5"):
        filters = query_filters(req, "message") if req.at_least("3.31") else {
            k: v[-1] for k, v in req.query.items() if v}
        msgs = [m for m in msgs if all(str(getattr(m, k, None)) == v
                                       for k, v in filters.items())]
        page = page_of(api, req, msgs, collection="messages",
                       field=lambda m, k: getattr(m, k, None), ident=lambda m: m.id,
                       columns=("id", "created_at", "expires_at", "event_id",
                                "message_level", "resource_type", "resource_uuid",
                                "request_id", "project_id"),
                       not_found=lambda m: HTTPError(404, f"Message {m} could not be found."))
        msgs = page.items
    return ApiResponse(200, {"messages": [_view(api, req, m) for m in msgs]})


@route("GET", "/messages/{message_id}", "3.3")
async def show(api: ApiService, req: ApiRequest, message_id: str) -> ApiResponse:
    msg = _get(api, req, message_id)
    enforce(api, req, "message:get", msg.project_id)
    return ApiResponse(200, {"message": _view(api, req, msg)})


@route("DELETE", "/messages/{message_id}", "3.3")
async def delete(api: ApiService, req: ApiRequest, message_id: str) -> ApiResponse:
    msg = _get(api, req, message_id)
    enforce(api, req, "message:delete", msg.project_id)
    del tables(api.env.db).messages[message_id]
    api.env.trace.emit("message.delete", "cinder-api", f"user message {message_id} deleted",
                       message_id=message_id)
    return ApiResponse(204, None)
