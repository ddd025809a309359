"""``/servers/{id}/os-instance-actions``: what was asked of a server, and how it went
(``nova/api/openstack/compute/instance_actions.py``, its schemas and views).

* ``GET .../os-instance-actions`` (policy ``os-instance-actions:list``, the
  server's project readers or admin): ``{"instanceActions": [...]}``, newest first,
  each with ``action``, ``instance_uuid``, ``request_id``, ``user_id``,
  ``project_id``, ``start_time``, ``message``; from 2.58 ``updated_at``, paging
  (``limit``, ``marker`` = a request id, 400 if unknown), ``changes-since``, a
  ``links`` next link when a page is full, and no other query parameter (400);
  2.66 adds ``changes-before`` (400 when before ``changes-since``).
* ``GET .../os-instance-actions/{request_id}`` (policy ``:show``): one action, 404
  ``Action <id> not found``.  Events (newest first) are shown to admins (policy
  ``:events``) with ``traceback`` at every microversion and, from 2.62,
  ``host``; from 2.51 to anyone allowed to show the action, without
  ``traceback``.  2.62 adds ``hostId`` (sha224 of project + host) for everyone,
  2.84 ``details`` for admins (``:events:details``).

From 2.21 a deleted server's actions stay readable (Nova reads with
``read_deleted='yes'``); before, a deleted server is a 404 like a missing one.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from ..api.wsgi import ApiResponse
from .actions import InstanceAction, InstanceActionEvent, show_time
from .model import bad_request, instance_not_found, not_found
from .wsgi import NovaRequest

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["index", "show"]

MAX_LIMIT = 1000
"""``[api] max_limit``."""


def _owner(api: NovaApi, req: NovaRequest, server_id: str) -> str:
    """The server's project, as ``_get_instance`` finds it (404 otherwise)."""
    inst = api.nova.instances.get(server_id)
    project = inst.project_id if inst is not None else None
    if project is None and req.at_least(2, 21):
        project = api.nova.actions.owner(server_id)
    if project is None or (project != req.ctx.project_id and not req.ctx.is_admin):
        raise instance_not_found(server_id)
    return project


def _action_view(req: NovaRequest, action: InstanceAction) -> dict[str, Any]:
    view: dict[str, Any] = {
        "action": action.action, "instance_uuid": action.instance_uuid,
        "request_id": action.request_id, "user_id": action.user_id,
        "project_id": action.project_id, "start_time": show_time(action.start_time),
        "message": action.message}
    if req.at_least(2, 58):
        view["updated_at"] = show_time(action.updated_at)
    return view


def host_id(host: str, project_id: str) -> str:
    """``utils.generate_hostid``: the host, hashed with the project, so users can tell
    "same host" without learning host names."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def _event_view(req: NovaRequest, event: InstanceActionEvent, project_id: str, *,
                admin: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"event": event.event, "start_time": show_time(event.start_time),
                            "finish_time": show_time(event.finish_time),
                            "result": event.result}
    if admin:
        view["traceback"] = event.traceback
        if req.at_least(2, 62):
            view["host"] = event.host
    if req.at_least(2, 62):
        view["hostId"] = host_id(event.host, project_id)
    if admin and req.at_least(2, 84):
        view["details"] = event.details
    return view


def _query(req: NovaRequest) -> dict[str, str]:
    """The 2.58/2.66 query schema: known keys, each given once."""
    allowed = ["limit", "marker", "changes-since"]
    if req.at_least(2, 66):
        allowed.append("changes-before")
    out: dict[str, str] = {}
    for key, value in parse_qsl(req.query, keep_blank_values=True):
        if key not in allowed:
            raise bad_request(f"Additional properties are not allowed ('{key}' was "
                              "unexpected)")
        if key in out:
            raise bad_request(f"Invalid input for query parameters {key}. Value: "
                              f"{[out[key], value]}. {[out[key], value]} is too long")
        out[key] = value
    return out


def _time_param(key: str, value: str) -> str:
    """A ``date-time`` query value as Nova's stored time text (UTC, microseconds): the
    database compares at microsecond precision, and equal texts are equal times."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Invalid input for query parameters {key}. Value: {value}. "
                          f"'{value}' is not a 'date-time'") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def index(api: NovaApi, req: NovaRequest, server_id: str) -> ApiResponse:
    """``GET /servers/{id}/os-instance-actions`` -> 200."""
    _owner(api, req, server_id)
    actions = api.nova.actions.actions(server_id)
    if not req.at_least(2, 58):
        return ApiResponse(200, {"instanceActions": [_action_view(req, a) for a in actions]})
    params = _query(req)
    limit = MAX_LIMIT
    if "limit" in params:
        raw = params["limit"]
        if not raw.isdigit():
            raise bad_request(f"Invalid input for query parameters limit. Value: {raw}. "
                              f"'{raw}' does not match '^[0-9]*$'")
        limit = min(MAX_LIMIT, int(raw))
    since = before = None
    if "changes-since" in params:
        since = _time_param("changes-since", params["changes-since"])
        actions = [a for a in actions if str(show_time(a.updated_at)) >= since]
    if "changes-before" in params:
        before = _time_param("changes-before", params["changes-before"])
        if since is not None and before < since:
            raise bad_request("The value of changes-since must be less than or equal to "
                              "changes-before.")
        actions = [a for a in actions if str(show_time(a.updated_at)) <= before]
    if "marker" in params:
        marker = params["marker"]
        found = next((i for i, a in enumerate(actions) if a.request_id == marker), None)
        if found is None:
            raise bad_request(f"Marker {marker} could not be found.")
        actions = actions[found + 1:]
    page = actions[:limit]
    body: dict[str, Any] = {"instanceActions": [_action_view(req, a) for a in page]}
    if page and len(page) == limit:
        # _get_collection_links: the request's parameters, sorted, with the last id.
        query = dict(sorted(parse_qsl(req.query, keep_blank_values=True)))
        query["marker"] = page[-1].request_id
        body["links"] = [{"rel": "next", "href": f"{api.compute_base}/servers/{server_id}/"
                                                 f"os-instance-actions?{urlencode(query)}"}]
    return ApiResponse(200, body)


def show(api: NovaApi, req: NovaRequest, server_id: str, request_id: str) -> ApiResponse:
    """``GET /servers/{id}/os-instance-actions/{request_id}`` -> 200."""
    project = _owner(api, req, server_id)
    action = api.nova.actions.get(server_id, request_id)
    if action is None:
        raise not_found(f"Action {request_id} not found")
    view = _action_view(req, action)
    admin = req.ctx.is_admin  # the ``:events`` policy (admin)
    if admin or req.at_least(2, 51):
        events = sorted(action.events, key=lambda e: (e.start_time, e.id), reverse=True)
        view["events"] = [_event_view(req, e, action.project_id or project, admin=admin)
                          for e in events]
    return ApiResponse(200, {"instanceAction": view})
