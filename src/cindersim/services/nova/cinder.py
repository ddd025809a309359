"""Nova's Cinder client (``nova/volume/cinder.py``): REST calls to cinder-api.

Nova never uses Cinder's message queue.  Every call is an HTTP request to
cinder-api with the *user's* token, at the microversion Nova asks for (3.44
for the attachments API, which Nova requires since Queens), and Cinder's
errors come back translated the way Nova translates them:

* 404 -> ``VolumeNotFound`` / ``SnapshotNotFound`` / ``VolumeAttachmentNotFound``
  (``translate_volume_exception`` and friends);
* 400 -> ``InvalidInput`` whose reason is cinderclient's text of the error,
  ``"<message> (HTTP 400)"`` (``translate_cinder_exception``);
* 403 -> ``Forbidden``; 413 -> ``OverQuota``; anything else stays a client error.

Requests carry ``X-Cindersim-Actor`` so the trace shows who called
(``nova-api`` or ``nova-compute:<host>``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .model import NovaContext, NovaError, bad_request, forbidden, not_found

if TYPE_CHECKING:
    from ..env import RestEndpoint

__all__ = ["CinderClient", "CinderClientError"]

ATTACH_VERSION = "3.44"
"""Nova's ``cinderclient(context, '3.44')`` for every attachment call."""

ATTACHMENT_DELETE_ATTEMPTS = 5
"""``nova.volume.cinder.API.attachment_delete`` tries this many times on a 500."""


class CinderClientError(Exception):
    """cinderclient's ClientException: the HTTP code and Cinder's fault message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (HTTP {code})")
        self.code = code
        self.message = message


class CinderClient:
    """One caller's view of cinder-api (``actor`` names it in the trace)."""

    def __init__(self, endpoint: RestEndpoint, actor: str) -> None:
        self.endpoint = endpoint
        self.actor = actor

    async def request(self, ctx: NovaContext, method: str, path: str, body: Any = None, *,
                      version: str = "3.0") -> Any:
        """One REST call; raises :class:`CinderClientError` for a 4xx/5xx."""
        headers = {"X-Auth-Token": ctx.auth_token, "Content-Type": "application/json",
                   "Accept": "application/json", "X-Cindersim-Actor": self.actor,
                   "OpenStack-API-Version": f"volume {version}"}
        raw = None if body is None else json.dumps(body)
        r = await self.endpoint(method, f"/v3/{ctx.project_id}{path}", headers, raw)
        if r.status >= 400:
            message = ""
            if isinstance(r.body, dict) and r.body:
                inner = next(iter(r.body.values()))
                if isinstance(inner, dict):
                    message = str(inner.get("message", ""))
            raise CinderClientError(r.status, message)
        return None if r.body is None else json.loads(json.dumps(r.body))

    # --- volumes ------------------------------------------------------------------------------
    async def get(self, ctx: NovaContext, volume_id: str) -> dict[str, Any]:
        try:
            body = await self.request(ctx, "GET", f"/volumes/{volume_id}", version="3.48")
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc
        vol: dict[str, Any] = body["volume"]
        return vol

    async def create(self, ctx: NovaContext, size: int, *, name: str = "",
                     snapshot_id: str | None = None, image_id: str | None = None,
                     volume_type: str | None = None,
                     availability_zone: str | None = None) -> dict[str, Any]:
        """``volume_api.create``: a new volume from nothing, a snapshot or an image."""
        spec: dict[str, Any] = {"size": size, "name": name, "description": ""}
        if snapshot_id is not None:
            spec["snapshot_id"] = snapshot_id
        if image_id is not None:
            spec["imageRef"] = image_id
        if volume_type is not None:
            spec["volume_type"] = volume_type
        if availability_zone is not None:
            spec["availability_zone"] = availability_zone
        try:
            body = await self.request(ctx, "POST", "/volumes", {"volume": spec})
        except CinderClientError as exc:
            raise _translate(exc) from exc
        vol: dict[str, Any] = body["volume"]
        return vol

    async def delete(self, ctx: NovaContext, volume_id: str) -> None:
        try:
            await self.request(ctx, "DELETE", f"/volumes/{volume_id}")
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc

    async def begin_detaching(self, ctx: NovaContext, volume_id: str) -> None:
        """``os-begin_detaching``: Nova marks the volume ``detaching`` before the compute
        call (``compute.api.API._detach_volume``)."""
        try:
            await self.request(ctx, "POST", f"/volumes/{volume_id}/action",
                               {"os-begin_detaching": {}})
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc

    async def roll_detaching(self, ctx: NovaContext, volume_id: str) -> None:
        try:
            await self.request(ctx, "POST", f"/volumes/{volume_id}/action",
                               {"os-roll_detaching": {}})
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc

    async def get_volume_encryption_metadata(self, ctx: NovaContext,
                                             volume_id: str) -> dict[str, Any]:
        """``volumes.get_encryption_metadata``: ``GET /volumes/{id}/encryption``."""
        try:
            body = await self.request(ctx, "GET", f"/volumes/{volume_id}/encryption")
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc
        return dict(body or {})

    # --- snapshots ---------------------------------------------------------------------------
    async def get_snapshot(self, ctx: NovaContext, snapshot_id: str) -> dict[str, Any]:
        try:
            body = await self.request(ctx, "GET", f"/snapshots/{snapshot_id}")
        except CinderClientError as exc:
            if exc.code == 404:
                raise not_found(f"Snapshot {snapshot_id} could not be found.") from exc
            raise _translate(exc) from exc
        snap: dict[str, Any] = body["snapshot"]
        return snap

    async def create_snapshot_force(self, ctx: NovaContext, volume_id: str, name: str,
                                    description: str) -> dict[str, Any]:
        try:
            body = await self.request(ctx, "POST", "/snapshots", {"snapshot": {
                "volume_id": volume_id, "force": True, "name": name,
                "description": description}})
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc
        snap: dict[str, Any] = body["snapshot"]
        return snap

    # --- attachments (3.44) -----------------------------------------------------------------------
    async def attachment_create(self, ctx: NovaContext, volume_id: str,
                                instance_id: str) -> dict[str, Any]:
        """``POST /attachments`` without a connector: the volume becomes ``reserved``."""
        try:
            body = await self.request(ctx, "POST", "/attachments", {"attachment": {
                "volume_uuid": volume_id, "instance_uuid": instance_id}},
                version=ATTACH_VERSION)
        except CinderClientError as exc:
            raise _translate(exc, volume_id=volume_id) from exc
        att: dict[str, Any] = body["attachment"]
        return att

    async def attachment_update(self, ctx: NovaContext, attachment_id: str,
                                connector: dict[str, Any],
                                mountpoint: str | None) -> dict[str, Any]:
        """``PUT /attachments/{id}`` with the connector: Cinder exports and returns
        ``connection_info``."""
        conn = dict(connector)
        if mountpoint is not None:
            conn["mountpoint"] = mountpoint
        try:
            body = await self.request(ctx, "PUT", f"/attachments/{attachment_id}",
                                      {"attachment": {"connector": conn}},
                                      version=ATTACH_VERSION)
        except CinderClientError as exc:
            raise _translate_attachment(exc, attachment_id) from exc
        att: dict[str, Any] = body["attachment"]
        return att

    async def attachment_complete(self, ctx: NovaContext, attachment_id: str) -> None:
        """``POST /attachments/{id}/action {"os-complete": null}``: ``in-use``."""
        try:
            await self.request(ctx, "POST", f"/attachments/{attachment_id}/action",
                               {"os-complete": None}, version=ATTACH_VERSION)
        except CinderClientError as exc:
            raise _translate_attachment(exc, attachment_id) from exc

    async def attachment_delete(self, ctx: NovaContext, attachment_id: str) -> None:
        """``DELETE /attachments/{id}``: Cinder terminates the connection and removes
        the export; the volume's status is recomputed (usually ``available``).

        Nova retries a 500 at once, up to five attempts in all
        (``retrying.retry(stop_max_attempt_number=5)`` on InternalServerError): a
        cinder-volume that was down when the first call timed out gets the next
        one queued, and the volume does not stay ``detaching`` once it is back.
        """
        for attempt in range(1, ATTACHMENT_DELETE_ATTEMPTS + 1):
            try:
                await self.request(ctx, "DELETE", f"/attachments/{attachment_id}",
                                   version=ATTACH_VERSION)
                return
            except CinderClientError as exc:
                if exc.code == 500 and attempt < ATTACHMENT_DELETE_ATTEMPTS:
                    continue
                raise _translate_attachment(exc, attachment_id) from exc


def _translate(exc: CinderClientError, *, volume_id: str | None = None) -> NovaError:
    if exc.code == 404 and volume_id is not None:
        return not_found(f"Volume {volume_id} could not be found.")
    if exc.code == 400:
        return bad_request(f"Invalid input received: {exc}")
    if exc.code == 403:
        return forbidden(str(exc))
    if exc.code == 413:
        return forbidden(f"Quota exceeded for resources: {exc.message}")
    return NovaError(str(exc), exc.code if exc.code < 500 else 500)


def _translate_attachment(exc: CinderClientError, attachment_id: str) -> NovaError:
    if exc.code == 404:
        return not_found(f"Volume attachment {attachment_id} could not be found.")
    return _translate(exc)
