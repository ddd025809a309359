"""Nova's instance actions: the record of what was asked of a server, and how it went.

``nova/compute/instance_actions.py`` names the actions; ``nova/objects/
instance_action.py`` and ``nova/db/main/api.py`` keep them:

* nova-api writes one **action** per request that changes a server
  (``action_start``): its ``request_id`` is the request's
  ``x-openstack-request-id``, with the caller's user and project and the start
  time; ``updated_at`` starts equal to it.  ``extend_volume`` is the odd one:
  Cinder starts it, through ``os-server-external-events``, so its user and
  project are Cinder's service user's.
* nova-compute's ``@wrap_instance_event(prefix='compute')`` adds one **event**
  per manager method (``compute_attach_volume``, ``compute_extend_volume``,
  ``compute__do_build_and_run_instance`` ...) to the action of the context's
  request id: ``start_time`` and ``host`` when the method starts,
  ``finish_time`` and ``result`` (``Success`` or ``Error``, with the traceback
  and, from 2.84, ``details``) when it ends.  Each event moves the action's
  ``updated_at``; an ``Error`` sets the action's ``message`` to ``Error``.

Actions outlive their server (2.21 lets a caller read a deleted server's), so
the log keeps each server's project beside its actions.  Times are virtual
seconds, shown as Nova shows them (``2026-01-01T00:00:05.000000``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

from ...db import iso_time
from .model import NovaContext

if TYPE_CHECKING:
    from ..env import ServiceEnv

__all__ = ["ActionLog", "EventScope", "InstanceAction", "InstanceActionEvent", "event_name",
           "show_time"]

# nova/compute/instance_actions.py (the ones this Nova performs)
CREATE = "create"
DELETE = "delete"
ATTACH_VOLUME = "attach_volume"
DETACH_VOLUME = "detach_volume"
CREATE_IMAGE = "createImage"
EXTEND_VOLUME = "extend_volume"
RESIZE = "resize"
REVERT_RESIZE = "revertResize"
CONFIRM_RESIZE = "confirmResize"

SUCCESS = "Success"
ERROR = "Error"
"""``EVENT_SUCCESS`` / ``EVENT_ERROR`` of ``nova/objects/instance_action.py``."""


def event_name(method: str) -> str:
    """``wrap_instance_event(prefix='compute')``: ``compute_`` + the method's name."""
    return f"compute_{method}"


@attrs.define(kw_only=True)
class InstanceActionEvent:
    """A row of ``instance_actions_events``."""

    id: int
    event: str
    host: str
    start_time: float
    finish_time: float | None = None
    result: str | None = None
    traceback: str | None = None
    details: str | None = None


@attrs.define(kw_only=True)
class InstanceAction:
    """A row of ``instance_actions`` with its events (oldest first)."""

    id: int
    action: str
    instance_uuid: str
    request_id: str
    user_id: str | None
    project_id: str | None
    start_time: float
    updated_at: float
    message: str | None = None
    events: list[InstanceActionEvent] = attrs.field(factory=list)


class ActionLog:
    """Nova's ``instance_actions`` and ``instance_actions_events`` tables."""

    def __init__(self, env: ServiceEnv) -> None:
        self.env = env
        self._by_instance: dict[str, list[InstanceAction]] = {}
        self._owners: dict[str, str] = {}
        """Instance uuid -> its project, kept after the instance is deleted."""
        self._seq = 0

    def _next_id(self) -> int:
        self._seq += 1
        return self._seq

    # --- reads ----------------------------------------------------------------------------
    def owner(self, instance_uuid: str) -> str | None:
        """The project of a server that has (or had) actions; None if Nova never saw it."""
        return self._owners.get(instance_uuid)

    def actions(self, instance_uuid: str) -> list[InstanceAction]:
        """``actions_get``: newest first (``created_at`` desc, ``id`` desc)."""
        return sorted(self._by_instance.get(instance_uuid, ()),
                      key=lambda a: (a.start_time, a.id), reverse=True)

    def get(self, instance_uuid: str, request_id: str) -> InstanceAction | None:
        """``action_get_by_request_id``: the newest action of that request on the server."""
        for action in self.actions(instance_uuid):
            if action.request_id == request_id:
                return action
        return None

    # --- writes ---------------------------------------------------------------------------
    def start(self, ctx: NovaContext, instance_uuid: str, project_id: str, action: str,
              actor: str) -> InstanceAction:
        """``InstanceAction.action_start`` with the caller's context.

        *project_id* is the server's own project (kept for reads after a delete).
        """
        now = self.env.sim.now()
        record = InstanceAction(id=self._next_id(), action=action,
                                instance_uuid=instance_uuid, request_id=ctx.request_id,
                                user_id=ctx.user_id or None,
                                project_id=ctx.project_id or None, start_time=now,
                                updated_at=now)
        self._owners.setdefault(instance_uuid, project_id)
        self._by_instance.setdefault(instance_uuid, []).append(record)
        trace = self.env.trace
        if trace.recording:
            trace.emit("nova.action", actor, f"instance action {action} of server "
                       f"{instance_uuid[:8]} recorded ({ctx.request_id})",
                       resource=f"server:{instance_uuid}", action=action,
                       request_id=ctx.request_id)
        return record

    def event_start(self, ctx: NovaContext, instance_uuid: str, event: str, host: str,
                    actor: str) -> InstanceActionEvent | None:
        """``InstanceActionEvent.event_start``; None when the request left no action
        (Nova raises ``InstanceActionNotFound`` there; the flows here always have one)."""
        action = self.get(instance_uuid, ctx.request_id)
        if action is None:
            return None
        now = self.env.sim.now()
        record = InstanceActionEvent(id=self._next_id(), event=event, host=host,
                                     start_time=now)
        action.events.append(record)
        action.updated_at = now
        trace = self.env.trace
        if trace.recording:
            trace.emit("nova.action.event", actor, f"{event} started on {host}",
                       resource=f"server:{instance_uuid}", action=action.action,
                       event=event, request_id=ctx.request_id, phase="start")
        return record

    def event_finish(self, ctx: NovaContext, instance_uuid: str, event: str, actor: str,
                     error: BaseException | None = None) -> None:
        """``event_finish_with_failure``: ``Success``, or ``Error`` with what went wrong."""
        action = self.get(instance_uuid, ctx.request_id)
        if action is None:
            return
        record = next((e for e in action.events if e.event == event), None)
        if record is None:
            return
        now = self.env.sim.now()
        record.finish_time = now
        if error is None:
            record.result = SUCCESS
        else:
            record.result = ERROR
            message = str(error) or type(error).__name__
            record.details = message
            # Nova stores the formatted traceback; the simulator's has one frame: the
            # exception itself, as the last line of a Python traceback reads.
            record.traceback = (f"Traceback (most recent call last):\n  {event}\n"
                                f"{type(error).__name__}: {message}\n")
            action.message = ERROR
        action.updated_at = now
        trace = self.env.trace
        if trace.recording:
            trace.emit("nova.action.event", actor, f"{event} finished: {record.result}",
                       resource=f"server:{instance_uuid}", action=action.action,
                       event=event, request_id=ctx.request_id, phase="finish",
                       result=record.result)

    @asynccontextmanager
    async def event(self, ctx: NovaContext, instance_uuid: str, method: str, host: str,
                    actor: str) -> AsyncIterator[EventScope]:
        """``@wrap_instance_event(prefix='compute')`` around one manager method.

        An exception leaving the block finishes the event with ``Error``; so does
        :meth:`EventScope.fail`, for a method that cleans up and returns instead of
        raising (the simulator's manager methods end quietly where Nova re-raises).
        """
        name = event_name(method)
        scope = EventScope()
        self.event_start(ctx, instance_uuid, name, host, actor)
        try:
            yield scope
        except Exception as exc:
            self.event_finish(ctx, instance_uuid, name, actor, exc)
            raise
        self.event_finish(ctx, instance_uuid, name, actor, scope.error)


class EventScope:
    """The event a block runs under; :meth:`fail` marks it failed without raising."""

    def __init__(self) -> None:
        self.error: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        self.error = error


def show_time(seconds: float | None) -> str | None:
    """Nova's datetime in API bodies: ``2026-01-01T00:00:05.000000`` (no zone)."""
    return None if seconds is None else iso_time(seconds)
