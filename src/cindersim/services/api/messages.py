"""User messages: ``/messages`` (3.3) (``cinder/api/v3/messages.py``); services write
them with :func:`cindersim.services.message_api.write_message`.

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

from typing import TYPE_CHECKING, Any

from ...db import iso_time
from ...db_tables import Message, tables
from ..message_api import ACTIONS, DETAILS
from .common import enforce, link
from .listing import page_of, query_filters
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__: list[str] = []

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
