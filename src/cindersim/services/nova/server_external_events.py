"""``POST /os-server-external-events``: other services tell Nova something happened
to a server (``nova/api/openstack/compute/server_external_events.py``, its schema,
``nova/policies/server_external_events.py``, ``compute/api.py``
``external_instance_event``).

Cinder sends ``volume-extended`` (tag = the volume id) at microversion 2.51 after
it grew an attached volume; Neutron sends ``network-*``.  What Nova does:

1. The body schema: ``{"events": [{"name", "server_uuid", "status"?, "tag"?}, ...]}``,
   at least one event, nothing else; ``name`` from the microversion's list
   (``volume-extended`` from 2.51, ``power-update`` 2.76,
   ``accelerator-request-bound`` 2.82, ``volume-reimaged`` 2.93); ``status``
   ``failed``/``completed``/``in-progress``; ``tag`` at most 255 characters.  400.
2. Policy ``os_compute_api:os-server-external-events:create``: the ``service`` role
   or admin, else 403.
3. Each event gets its own ``code`` and ``status`` in the answer: 404 ``failed``
   for a server the caller cannot see, 400 for a tag-required event
   (``volume-extended``, ``power-update``, ``accelerator-request-bound``)
   without a tag, 422 for a server with no host yet, else 200 ``completed``.
   The answer is 200 if every event was accepted, 207 otherwise.
4. Accepted ``volume-extended`` events start the ``extend_volume`` instance
   action (under the caller's request id, user and project), then the events go
   to each server's nova-compute in one ``external_instance_event`` cast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bus import Target
from ..api.wsgi import ApiResponse
from . import actions
from .compute import TOPIC
from .model import bad_request, forbidden
from .wsgi import UUID_RE, NovaRequest, schema_error

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["EVENT_NAMES", "create", "event_names"]

EVENT_NAMES: tuple[tuple[tuple[int, int], str], ...] = (
    ((2, 0), "network-changed"), ((2, 0), "network-vif-plugged"),
    ((2, 0), "network-vif-unplugged"), ((2, 0), "network-vif-deleted"),
    ((2, 51), "volume-extended"), ((2, 76), "power-update"),
    ((2, 82), "accelerator-request-bound"), ((2, 93), "volume-reimaged"))
"""Each event name and the microversion that allowed it (``create_v251`` ...)."""

STATUSES = ("failed", "completed", "in-progress")
"""``nova/objects/external_event.py`` ``EVENT_STATUSES``."""

TAG_REQUIRED = ("volume-extended", "power-update", "accelerator-request-bound")


def event_names(req: NovaRequest) -> list[str]:
    return [name for since, name in EVENT_NAMES if req.version >= since]


def _validate(req: NovaRequest) -> list[dict[str, Any]]:
    """The request schema of the caller's microversion; 400 with Nova's wording."""
    body = req.body
    if not isinstance(body, dict):
        raise bad_request(f"{body!r} is not of type 'object'")
    extra = [k for k in body if k != "events"]
    if extra:
        raise bad_request(f"Additional properties are not allowed ({extra[0]!r} was "
                          "unexpected)")
    if "events" not in body:
        raise bad_request("'events' is a required property")
    events = body["events"]
    if not isinstance(events, list):
        raise schema_error("events", events, f"{events!r} is not of type 'array'")
    if not events:
        raise schema_error("events", events, "[] should be non-empty")
    names = event_names(req)
    for n, event in enumerate(events):
        if not isinstance(event, dict):
            raise schema_error(str(n), event, f"{event!r} is not of type 'object'")
        unknown = [k for k in event if k not in ("name", "server_uuid", "status", "tag")]
        if unknown:
            raise schema_error(str(n), event, "Additional properties are not allowed "
                                              f"({unknown[0]!r} was unexpected)")
        for key in ("name", "server_uuid"):
            if key not in event:
                raise schema_error(str(n), event, f"{key!r} is a required property")
        name = event["name"]
        if not isinstance(name, str):
            raise schema_error("name", name, f"{name!r} is not of type 'string'")
        if name not in names:
            raise schema_error("name", name, f"{name!r} is not one of {names!r}")
        uuid = event["server_uuid"]
        if not isinstance(uuid, str):
            raise schema_error("server_uuid", uuid, f"{uuid!r} is not of type 'string'")
        if not UUID_RE.match(uuid):
            raise schema_error("server_uuid", uuid, f"{uuid!r} is not a 'uuid'")
        if "status" in event:
            status = event["status"]
            if not isinstance(status, str):
                raise schema_error("status", status, f"{status!r} is not of type 'string'")
            if status not in STATUSES:
                raise schema_error("status", status,
                                   f"{status!r} is not one of {list(STATUSES)!r}")
        if "tag" in event:
            tag = event["tag"]
            if not isinstance(tag, str):
                raise schema_error("tag", tag, f"{tag!r} is not of type 'string'")
            if len(tag) > 255:
                raise schema_error("tag", tag, f"{tag!r} is too long")
    return events


async def create(api: NovaApi, req: NovaRequest) -> ApiResponse:
    """``POST /os-server-external-events`` -> 200 or 207 (per-event codes)."""
    events = _validate(req)
    ctx = req.ctx
    if not (ctx.is_admin or "service" in ctx.roles):
        raise forbidden("Policy doesn't allow os_compute_api:os-server-external-events:create "
                        "to be performed.")
    nova = api.nova
    response_events: list[dict[str, Any]] = []
    accepted: dict[str, list[dict[str, Any]]] = {}  # host -> events, in request order
    result = 200
    for given in events:
        event = dict(given)
        response_events.append(event)
        inst = nova.instances.get(event["server_uuid"])
        if inst is not None and not ctx.is_admin and inst.project_id != ctx.project_id:
            inst = None  # a non-admin context reads only its own project's instances
        if inst is None:
            event["status"], event["code"] = "failed", 404
            result = 207
        elif event["name"] in TAG_REQUIRED and event.get("tag") is None:
            event["status"], event["code"] = "failed", 400
            result = 207
        elif inst.host:
            event["status"], event["code"] = "completed", 200
            accepted.setdefault(inst.host, []).append({
                "name": event["name"], "server_uuid": inst.uuid,
                "status": str(given.get("status", "completed")), "tag": event.get("tag")})
            if event["name"] == "volume-extended":
                # A user-initiated extend, begun in Cinder: the action lets the user
                # watch it to the end (instance_actions.EXTEND_VOLUME).
                nova.actions.start(ctx, inst.uuid, inst.project_id, actions.EXTEND_VOLUME,
                                   api.actor)
        else:
            event["status"], event["code"] = "failed", 422
            result = 207
    for host, host_events in accepted.items():
        api.env.bus.cast(api.actor, Target(TOPIC, host), "external_instance_event", ctx=ctx,
                         events=host_events)
    return ApiResponse(result, {"events": response_events})
