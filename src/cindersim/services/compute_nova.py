"""Cinder's client of Nova (``cinder/compute/nova.py``): REST calls to nova-api.

Cinder talks to Nova only through Nova's API, as novaclient does, with the
``[nova]`` section's privileged user (``privileged_user=True``: devstack
configures Cinder's service credentials there; the simulator's cloud gives the
``admin`` user, who passes Nova's ``service_or_admin`` rule).

* :meth:`NovaClient.extend_volume`: after an attached volume grew, one
  ``volume-extended`` event per server (tag = the volume id) to
  ``POST /os-server-external-events`` at microversion 2.51.
* ``_send_events`` reads the answer as Cinder does: a 404 or any other failure
  is a warning and ``False``; per event, a missing ``code`` is an error
  (``False``) and a code other than 200 a warning.  On ``False`` the caller
  writes the user message ``EXTEND_VOLUME`` / ``NOTIFY_COMPUTE_SERVICE_FAILED``
  ("Compute service failed to extend volume.").

Requests carry ``X-Cindersim-Actor`` so the trace shows which cinder-volume called.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import Unauthorized
from .message_api import write_message

if TYPE_CHECKING:
    from .env import RestEndpoint, ServiceEnv

__all__ = ["EXTEND_VOLUME_VERSION", "NovaClient"]

EXTEND_VOLUME_VERSION = "2.51"
"""``nova.API.extend_volume``: the first microversion that knows ``volume-extended``."""

_EXTEND_VOLUME = "007"
_NOTIFY_COMPUTE_SERVICE_FAILED = "009"
"""``message_field.Action.EXTEND_VOLUME`` and ``Detail.NOTIFY_COMPUTE_SERVICE_FAILED``."""


class NovaClient:
    """One Cinder service's view of nova-api.

    Args:
        env: the deployment (trace, database for user messages).
        endpoint: nova-api's REST endpoint.
        token: the ``[nova]`` privileged user's Keystone token (keystoneauth's
            session: a fresh one when the last expired).
        actor: who calls, in the trace (``cinder-volume:<host@backend>``).
    """

    def __init__(self, env: ServiceEnv, endpoint: RestEndpoint, token: Callable[[], str],
                 actor: str) -> None:
        self.env = env
        self.endpoint = endpoint
        self.token = token
        self.actor = actor

    def _log(self, summary: str, **detail: Any) -> None:
        if self.env.trace.recording:
            self.env.trace.emit("log", self.actor, summary, **detail)

    async def _send_events(self, events: list[dict[str, str]], api_version: str) -> bool:
        try:
            headers = {"X-Auth-Token": self.token(), "Content-Type": "application/json",
                       "Accept": "application/json", "X-Cindersim-Actor": self.actor,
                       "OpenStack-API-Version": f"compute {api_version}",
                       "X-OpenStack-Nova-API-Version": api_version}
        except Unauthorized:
            self._log("Failed to notify nova on events: no token for the [nova] user",
                      events=events)
            return False
        r = await self.endpoint("POST", "/compute/v2.1/os-server-external-events", headers,
                                json.dumps({"events": events}))
        if r.status == 404:
            self._log(f"Nova returned NotFound for events: {events}.", events=events)
            return False
        if r.status >= 400:
            self._log(f"Failed to notify nova on events: {events} (HTTP {r.status}).",
                      events=events, status=r.status)
            return False
        answer = r.body.get("events") if isinstance(r.body, dict) else None
        if not isinstance(answer, list):
            self._log(f"Error response returned from nova: {r.body}.")
            return False
        response_error = False
        for event in answer:
            code = event.get("code") if isinstance(event, dict) else None
            if code is None:
                response_error = True
            elif code != 200:
                self._log(f"Nova event: {event} returned with failed status.", event=event)
            else:
                self._log(f"Nova event response: {event}.", event=event)
        if response_error:
            self._log(f"Error response returned from nova: {answer}.")
            return False
        return True

    async def extend_volume(self, server_ids: list[str], volume_id: str, *,
                            project_id: str) -> bool:
        """Tell Nova the volume grew under *server_ids*; False (and a user message in
        *project_id*, the requester's) when Nova could not be told."""
        events = [{"name": "volume-extended", "server_uuid": server_id, "tag": volume_id}
                  for server_id in server_ids]
        result = await self._send_events(events, EXTEND_VOLUME_VERSION)
        if not result:
            write_message(self.env, project_id=project_id, action=_EXTEND_VOLUME,
                          detail=_NOTIFY_COMPUTE_SERVICE_FAILED, resource_uuid=volume_id)
        return result
