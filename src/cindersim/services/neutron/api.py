"""neutron-server's REST face: ``/networking`` (devstack's path for Neutron).

* ``GET /networking`` (and ``/networking/``): the version list, unauthenticated,
  as Neutron's ``versions`` app answers it;
* ``GET /networking/v2.0``: the resource list (needs a token, like every
  ``/v2.0`` path behind keystonemiddleware);
* ``/v2.0/{networks,subnets,ports,routers,security-groups}[/{id}]`` with
  GET/POST/PUT/DELETE (201 create, 200 read/update, 204 delete), list filters
  on any attribute (``?name=x&project_id=y``, repeated = any of) and ``fields``;
* ``PUT /v2.0/routers/{id}/add_router_interface`` and ``remove_router_interface``;
* ``GET /v2.0/extensions[/{alias}]``; ``/v2.0/quotas/{project_id}[/details|/default]``.

Errors are Neutron's ``{"NeutronError": {"type", "message", "detail"}}`` with its
codes: 400 bad input, 401 no token, 403 policy, 404 unknown id, 405, 409 in use.
Writes on other projects' resources are 404 to non-admins (Neutron hides what a
caller may not see), and a non-admin naming another project in a body is 403.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse
from ..keystone.client import RequestContext
from . import resources
from .model import NeutronError, bad_request

if TYPE_CHECKING:
    from . import NeutronService

__all__ = ["ACTOR", "NeutronApi"]

ACTOR = "neutron-server"

EXTENSIONS = (
    ("agent", "agent", "The agent management extension."),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external "
                                "application"),
    ("external-net", "Neutron external network", "Adds external network attribute to "
                                                 "network resource."),
    ("extra_dhcp_opt", "Neutron Extra DHCP options", "Extra options configuration for "
                                                     "DHCP."),
    ("network-ip-availability", "Network IP Availability", "Provides IP availability data "
                                                           "for each network and subnet."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support "
                                                               "for network."),
    ("port-security", "Port Security", "Provides port security"),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id "
                                               "field is enabled."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical "
                                     "networks"),
    ("quotas", "Quota management support", "Expose functions for quotas management per "
                                           "project"),
    ("quota_details", "Quota details management support", "Expose functions for quotas "
                                                          "usage statistics per project"),
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 "
                                    "Neutron networks and access to external networks via "
                                    "a NAT gateway."),
    ("security-group", "security-group", "The security groups extension."),
    ("standard-attr-description", "standard-attr-description", "Extension to add "
                                                               "descriptions to standard "
                                                               "attributes"),
    ("standard-attr-revisions", "Resource revision numbers", "This extension will display "
                                                             "the revision number of "
                                                             "neutron resources."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, "
                          "trunk, network_segment_range, router, network, policy, "
                          "subnetpool, port, security_group, floatingip",
     "Enables to set tag on resources with standard attribute."),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at "
                                                       "fields to all Neutron resources "
                                                       "that have Neutron standard "
                                                       "attributes."),
)
"""The extensions whose attributes and calls this Neutron serves (aliases as Neutron's)."""


class NeutronRequest:
    """One parsed request: who, the body, the query (a list of pairs) and the base URL."""

    def __init__(self, ctx: RequestContext, body: Any, query: list[tuple[str, str]],
                 base: str) -> None:
        self.ctx = ctx
        self.body = body
        self.query = query
        self.base = base

    @property
    def admin(self) -> bool:
        return bool(self.ctx.is_admin)

    @property
    def project_id(self) -> str:
        return str(self.ctx.project_id)


class NeutronApi:
    """The REST entry point of one :class:`~cindersim.services.neutron.NeutronService`."""

    def __init__(self, neutron: NeutronService) -> None:
        self.neutron = neutron

    def versions(self) -> dict[str, Any]:
        return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
            {"rel": "self", "href": f"{self.neutron.base_url}/networking/v2.0/"}]}]}

    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        env = self.neutron.env
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        method = method.upper()
        path_only, _, query = path.partition("?")
        parsed: Any = None
        if body not in (None, b"", ""):
            try:
                parsed = loads(body)
            except ValueError:
                parsed = ...
        if env.trace.recording:
            env.trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                           method=method, path=path_only,
                           body=None if parsed is ... else parsed)
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        request_id = self.neutron.next_request_id()
        try:
            response = self._dispatch(method, path_only, query, hdrs, parsed)
        except NeutronError as exc:
            response = ApiResponse(exc.code, exc.body())
        except Exception as exc:  # a simulator bug: answer 500 and record it
            env.trace.emit("api.bug", ACTOR, f"unhandled {type(exc).__name__}: {exc}",
                           error=type(exc).__name__, message=str(exc))
            response = ApiResponse(500, NeutronError(
                "HTTPInternalServerError", "Request Failed: internal server error while "
                "processing your request.", 500).body())
        response = ApiResponse(response.status, response.body,
                               {**response.headers, "X-Openstack-Request-Id": request_id})
        if env.trace.recording:
            env.trace.emit("api.response", ACTOR, f"{response.status} for {method} "
                           f"{path_only}", target=caller, status=response.status,
                           body=response.body)
        return response

    def _dispatch(self, method: str, path: str, query: str, hdrs: Mapping[str, str],
                  body: Any) -> ApiResponse:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["networking"]:
            raise NeutronError("HTTPNotFound", "The resource could not be found.", 404)
        if len(parts) == 1:
            if method != "GET":
                raise _not_allowed()
            return ApiResponse(200, self.versions())
        if parts[1] != "v2.0":
            raise NeutronError("HTTPNotFound", "The resource could not be found.", 404)
        try:
            ctx = self.neutron.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            return ApiResponse(401, {"error": {
                "code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})
        if body is ...:
            raise bad_request("Malformed request body")
        rest = parts[2:]
        if rest and rest[-1].endswith(".json"):  # neutronclient's legacy format suffix
            rest[-1] = rest[-1].removesuffix(".json")
        req = NeutronRequest(ctx, body, parse_qsl(query, keep_blank_values=True),
                             f"{self.neutron.base_url}/networking/v2.0")
        if not rest:
            if method != "GET":
                raise _not_allowed()
            return ApiResponse(200, {"resources": [
                {"name": name, "collection": coll,
                 "links": [{"rel": "self", "href": f"{req.base}/{coll}"}]}
                for coll, name in (("subnets", "subnet"), ("networks", "network"),
                                   ("ports", "port"), ("routers", "router"),
                                   ("security-groups", "security_group"))]})
        if rest[0] == "extensions":
            return self._extensions(method, rest[1:])
        if rest[0] == "quotas":
            return resources.quotas(self.neutron, method, rest[1:], req)
        return resources.route(self.neutron, method, rest, req)

    def _extensions(self, method: str, rest: list[str]) -> ApiResponse:
        if method != "GET":
            raise _not_allowed()
        views = {alias: {"alias": alias, "name": name, "description": desc,
                         "updated": "2013-01-01T00:00:00-00:00", "links": []}
                 for alias, name, desc in EXTENSIONS}
        if not rest:
            return ApiResponse(200, {"extensions": list(views.values())})
        view = views.get(rest[0])
        if view is None or len(rest) > 1:
            raise NeutronError("HTTPNotFound", f"Extension with alias {rest[0]} does not "
                               "exist", 404)
        return ApiResponse(200, {"extension": view})


def _not_allowed() -> NeutronError:
    return NeutronError("HTTPMethodNotAllowed", "The method is not allowed for this "
                        "resource.", 405)
