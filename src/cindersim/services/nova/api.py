"""nova-api: the entry point and router of ``/compute/...``.

Routes (``nova/api/openstack/compute/routes.py``), each in its own module:

* :mod:`.boot`: ``POST /servers`` 202;
* :mod:`.servers`: ``GET /servers``, ``/servers/detail``, ``/servers/{id}`` 200,
  ``DELETE /servers/{id}`` 204, ``POST /servers/{id}/action`` (``createImage``) 202;
* :mod:`.volume_attachments`: ``GET|POST /servers/{id}/os-volume_attachments`` 200,
  ``GET /servers/{id}/os-volume_attachments/{volume_id}`` 200,
  ``DELETE /servers/{id}/os-volume_attachments/{volume_id}`` 202;
* :mod:`.instance_actions`: ``GET /servers/{id}/os-instance-actions[/{request_id}]`` 200;
* :mod:`.server_external_events`: ``POST /os-server-external-events`` 200/207;
* :mod:`.flavors`: ``GET /flavors``, ``/flavors/detail``, ``/flavors/{id}``;
* :mod:`.quotas`: ``/os-quota-sets/{project_id}[/defaults|/detail]``, ``GET /limits``;
* :mod:`.versions`: ``GET /compute/`` and ``GET /compute/v2.1`` (no token needed).

Every response carries ``x-openstack-request-id`` and its legacy twin
``x-compute-request-id`` (Nova's ``compute_req_id`` middleware, in front of
authentication, so 401s and version documents have them too).

Request plumbing (microversions, faults, body checks) is :mod:`.wsgi`.  A
refused request leaves Nova's and Cinder's records as they were.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse
from . import (
    boot,
    flavors,
    instance_actions,
    quotas,
    server_external_events,
    servers,
    versions,
    volume_attachments,
)
from .cinder import CinderClient
from .model import Instance, NovaContext, NovaError, bad_request, instance_not_found
from .wsgi import MAX_VERSION, NovaRequest, fault, no_such_resource, not_allowed, parse_version

if TYPE_CHECKING:
    from . import NovaService

__all__ = ["ACTOR", "MAX_VERSION", "NovaApi"]

ACTOR = "nova-api"
_COLLECTIONS = ("servers", "flavors", "os-quota-sets", "limits", "os-server-external-events")


class NovaApi:
    """The nova-api service."""

    actor = ACTOR

    def __init__(self, nova: NovaService) -> None:
        self.nova = nova
        self.env = nova.env
        self.cinder = CinderClient(nova.cinder_endpoint, ACTOR)
        self._requests = 0

    def _request_id(self) -> str:
        """``req-<uuid>`` derived from a counter: a request id must not draw from the
        simulation's id stream (that would shift every later id of a run)."""
        self._requests += 1
        h = hashlib.sha256(f"nova-request\x1f{self._requests}".encode()).hexdigest()
        return f"req-{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    # --- addresses ---------------------------------------------------------------------------
    @property
    def compute_base(self) -> str:
        """``<base_url>/compute/v2.1``: the root of the v2.1 API as clients reach it."""
        return f"{self.nova.base_url}/compute/v2.1"

    @property
    def bookmark_base(self) -> str:
        """``<base_url>/compute``: bookmark links carry no version."""
        return f"{self.nova.base_url}/compute"

    def links(self, kind: str, rid: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": f"{self.compute_base}/{kind}/{rid}"},
                {"rel": "bookmark", "href": f"{self.bookmark_base}/{kind}/{rid}"}]

    def instance(self, req: NovaRequest, server_id: str) -> Instance:
        """``common.get_instance``: another project's server is as missing as none."""
        inst = self.nova.instances.get(server_id)
        if inst is None or (inst.project_id != req.ctx.project_id and not req.ctx.is_admin):
            raise instance_not_found(server_id)
        return inst

    # --- entry point -----------------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        env = self.env
        trace = env.trace
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        method = method.upper()
        path_only = re.sub(r"/{2,}", "/", path.partition("?")[0])
        query = path.partition("?")[2]
        parsed: Any = None
        if body not in (None, b"", ""):
            try:
                parsed = loads(body)  # bounded nesting: too deep is malformed
            except ValueError:
                parsed = ...
        if trace.recording:
            trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                       method=method, path=path_only,
                       body=None if parsed is ... else parsed)
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        # compute_req_id runs first: the id exists before the request is handled, so the
        # instance actions the request writes carry it.
        request_id = self._request_id()
        try:
            if parsed is ...:
                raise bad_request("Malformed request body")
            response = await self._dispatch(method, path_only, query, hdrs, parsed,
                                            request_id)
        except NovaError as exc:
            response = fault(exc.code, exc.message)
        except Exception as exc:  # a simulator bug: answer 500 and record it
            trace.emit("api.bug", ACTOR, f"unhandled {type(exc).__name__}: {exc}",
                       error=type(exc).__name__, message=str(exc))
            response = fault(500, "Unexpected API Error. Please report this at "
                                  "http://bugs.launchpad.net/nova/ and attach the Nova API "
                                  "log if possible.")
        response = ApiResponse(response.status, response.body, {
            **response.headers, "x-openstack-request-id": request_id,
            "x-compute-request-id": request_id})
        if trace.recording:
            trace.emit("api.response", ACTOR, f"{response.status} for {method} {path_only}",
                       target=caller, status=response.status, body=response.body)
        return response

    async def _dispatch(self, method: str, path: str, query: str, hdrs: Mapping[str, str],
                        body: Any, request_id: str = "") -> ApiResponse:
        parts = [p for p in path.split("/") if p]
        root = self.bookmark_base
        if parts == ["compute"]:
            if method not in ("GET", "HEAD"):
                return not_allowed()
            return ApiResponse(200, versions.versions_document(root))
        if parts == ["compute", "v2.1"] and not path.endswith("/"):
            # api-paste's oscomputeversion_v2: in front of keystonemiddleware.
            if method not in ("GET", "HEAD"):
                return not_allowed()
            return ApiResponse(200, versions.version_document(root))
        if parts[:2] != ["compute", "v2.1"]:
            return no_such_resource()
        try:
            info = self.nova.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            return ApiResponse(401, {"error": {
                "code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})
        ctx = NovaContext(user_id=str(info.user_id), project_id=str(info.project_id),
                          roles=tuple(info.roles), is_admin=bool(info.is_admin),
                          auth_token=str(hdrs.get("x-auth-token")), request_id=request_id)
        version = parse_version(hdrs)
        rest = parts[2:]
        if rest and rest[0] not in _COLLECTIONS and rest[0] == ctx.project_id:
            rest = rest[1:]  # the legacy /v2.1/{project_id}/... form
        req = NovaRequest(ctx, body, version, query)
        response = await self._route(method, rest, req)
        headers = dict(response.headers)
        headers["OpenStack-API-Version"] = f"compute {version[0]}.{version[1]}"
        headers["X-OpenStack-Nova-API-Version"] = f"{version[0]}.{version[1]}"
        headers["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
        return ApiResponse(response.status, response.body, headers)

    async def _route(self, method: str, rest: list[str], req: NovaRequest) -> ApiResponse:
        n = len(rest)
        if n == 0:
            if method != "GET":
                return not_allowed()
            # routes.py's '' -> versionsV21.show (behind the token, with a version).
            return ApiResponse(200, versions.version_document(self.bookmark_base))
        if rest[0] == "flavors":
            return flavors.flavors(self, method, rest[1:], req)
        if rest[0] == "os-quota-sets":
            return quotas.quota_sets(self, method, rest[1:], req)
        if rest == ["limits"]:
            return quotas.limits(self, method, req)
        if rest == ["os-server-external-events"]:
            if method != "POST":
                return not_allowed()
            return await server_external_events.create(self, req)
        if n == 0 or rest[0] != "servers":
            return no_such_resource()
        if n == 1:
            if method == "POST":
                return await boot.create_server(self, req)
            if method == "GET":
                return await servers.list_servers(self, req)
            return not_allowed()
        if n == 2 and rest[1] == "detail" and method == "GET":
            return await servers.list_servers(self, req, detail=True)
        server_id = rest[1]
        if n == 2:
            if method == "GET":
                return servers.show_server(self, req, server_id)
            if method == "DELETE":
                return await servers.delete_server(self, req, server_id)
        elif n in (3, 4) and rest[2] == "os-instance-actions":
            if method != "GET":
                return not_allowed()
            if n == 3:
                return instance_actions.index(self, req, server_id)
            return instance_actions.show(self, req, server_id, rest[3])
        elif n == 3 and rest[2] == "action" and method == "POST":
            return await servers.server_action(self, req, server_id)
        elif n == 3 and rest[2] == "os-volume_attachments":
            if method == "POST":
                return await volume_attachments.attach_volume(self, req, server_id)
            if method == "GET":
                return volume_attachments.list_attachments(self, req, server_id)
        elif n == 4 and rest[2] == "os-volume_attachments":
            if method == "GET":
                return volume_attachments.show_attachment(self, req, server_id, rest[3])
            if method == "DELETE":
                return await volume_attachments.detach_volume(self, req, server_id, rest[3])
        else:
            return no_such_resource()
        return not_allowed()
