"""cinder-api: one entry point for every v3 request.

``handle(method, path, headers, body)`` is what both the Python API
(:meth:`cindersim.Cloud.request`) and the HTTP server call.  It parses the
path (repeated slashes collapsed; ``/v3/{project_id}/...`` and, from 3.67,
``/v3/...``), the microversion and the token, routes to a controller, and maps
every Cinder exception to Cinder's fault.  Each request and response is a trace
event.  An exception that is not a Cinder exception is a simulator bug: it is
answered 500 and recorded, so the property tests can find it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qs

from ...clock import sleep
from ...empty import EMPTY_DICT
from ...errors import CinderException, Unauthorized
from ...jsonvalues import NotJson, copy_json, loads
from ..keystone.client import noauth_context
from .router import Controller, Router
from .wsgi import (
    MAX_VERSION,
    MIN_VERSION,
    ApiRequest,
    ApiResponse,
    HTTPError,
    Version,
    echoed,
    fault,
    fault_from_exception,
    parse_version_header,
    version_echo,
    versioned,
)
from .wsgi import _set_headers as _set_response_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...db import VolumeType
    from ...policy import Policy
    from ..encryption_keys import KeyManagerClient
    from ..env import ServiceEnv
    from ..glance.client import ImageService
    from ..keystone.client import RequestContext, TokenValidator

__all__ = ["ApiService", "ParsedBody", "versions_document"]


class ParsedBody(NamedTuple):
    """A request body a caller in this process already holds as fresh JSON values
    (:meth:`cindersim.Cloud.request`): what parsing its text would give, without
    writing and reading the text.  The API owns the value from then on.

    A named tuple: a hot caller builds it in one C call,
    ``tuple.__new__(ParsedBody, (value, traced))``, where a class with an
    ``__init__`` costs a Python frame on every request."""

    value: Any
    traced: Any = None
    """A second copy of *value* for the full trace, when the caller made one in the
    same walk (:func:`~cindersim.jsonvalues.copy_json_twice`); None: the trace copies
    *value* itself if it keeps the body (a copy of null is null, so a null
    body is never mistaken)."""


Body = bytes | str | ParsedBody | None

ACTOR = "cinder-api"
_MAX_PLANS = 4096
"""Bound of the router's plans (see :meth:`ApiService._plan`)."""
_new_tuple: Any = tuple.__new__
_PROJECTLESS_URLS = Version(3, 67)


class _Answered(Exception):
    """Raised with the answer to a request no controller serves (versions, 401, 404,
    405, a bad project), from anywhere in routing: :meth:`ApiService.handle_lowered`
    sends it as it is."""

    def __init__(self, response: ApiResponse) -> None:
        super().__init__(response.status)
        self.response = response


class _Plan(NamedTuple):
    """How a request's method, path and microversion header route, whatever its token
    or body: what :meth:`ApiService._plan` keeps in the router's plans."""

    method: str
    """The method, upper-cased."""
    path_only: str
    """The path without its query, repeated slashes collapsed (``/`` for none)."""
    query_string: str
    controller: Controller
    sub_path: str
    """The path under ``/v3/{project_id}`` (or ``/v3`` from 3.67)."""
    project_id: str | None
    """The project the URL names (None for a project-less URL)."""
    version: Version
    params: dict[str, str]
    """The path parameters: read only (``**params`` gives each call its own dict)."""
    takes_body: bool
    echo: str
    """The ``OpenStack-API-Version`` header's value for *version* (``volume 3.N``)."""


def versions_document(base_url: str = "http://cinder.example:8776") -> dict[str, Any]:
    """The version list served at ``/`` (300) and ``/v3/`` (200), as cinder/api/versions.py."""
    return {"versions": [{
        "id": "v3.0",
        "status": "CURRENT",
        "version": str(MAX_VERSION),
        "min_version": str(MIN_VERSION),
        "updated": "2023-08-31T00:00:00Z",
        "links": [{"rel": "describedby", "type": "text/html",
                   "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": f"{base_url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }]}


class ApiService:
    """The cinder-api service of one env."""

    def __init__(self, env: ServiceEnv, *, policy: Policy, identity: TokenValidator,
                 glance: ImageService,
                 default_volume_type: Callable[[], VolumeType],
                 base_url: str = "http://cinder.example:8776") -> None:
        self.env = env
        self.policy = policy
        """cinder's policy engine (``cinder/policies/``), cinder-api's alone."""
        self.identity = identity
        """Keystone, as keystonemiddleware asks it to validate a token."""
        self.glance = glance
        """Glance's image API, as Cinder's ``image_service`` uses it."""
        self.key_manager: KeyManagerClient | None = None
        """Castellan (``key_manager.API(CONF)``): the cloud sets it when it runs Barbican."""
        self.service_token: Callable[[], str | None] = lambda: None
        """A token of Cinder's own service user (``[keystone_authtoken]``): what
        ``cinder/keymgr/transfer.py`` holds a transferred volume's key with."""
        self.config_default_type = default_volume_type
        """The configured ``default_volume_type`` (see :meth:`default_volume_type`)."""
        self.base_url = base_url
        self.router = Router()
        from . import (  # noqa: PLC0415
            actions,
            attachments,
            backends,
            backup_records,
            backups,
            cgsnapshots,
            clusters,
            completion,
            consistencygroups,
            default_types,
            extension_detail,
            failover,
            group_snapshots,
            group_types,
            groups,
            limits,
            manage,
            messages,
            migrate,
            os_services,
            qos_specs,
            quota_classes,
            quotas,
            revert,
            snapshot_metadata,
            snapshots,
            transfers,
            types,
            volume_encryption_metadata,
            volume_image,
            volume_list,
            volume_metadata,
            volume_type_encryption,
            volumes,
            workers,
        )

        # volume_list first: its /volumes/detail and /volumes/summary must win over
        # volumes' /volumes/{volume_id}.
        for module in (volume_list, volumes, actions, attachments, snapshots, backups, quotas,
                       limits, types, transfers, volume_metadata, snapshot_metadata,
                       os_services, backends, qos_specs, messages, revert, volume_image,
                       manage, completion, volume_type_encryption, default_types,
                       quota_classes, clusters, workers, backup_records,
                       volume_encryption_metadata, extension_detail, failover, group_types,
                       groups, group_snapshots, consistencygroups, cgsnapshots):
            self.router.add_module(module)
        del migrate  # its actions register with ``actions`` when imported
        # Bound here, where the module is imported anyway: an import statement in
        # default_volume_type() costs an import-machinery lookup on every create.
        self._project_default_type = default_types.project_default_type
        self._draw_id = env.sim.ids.draw  # bound once: a request id per request
        # What every request reads, bound once (env and its config are frozen records;
        # the router empties its plans in place).
        self._trace = env.trace
        self._simulator = env.config.simulator
        self._plans = self.router.plans
        self.requests = 0
        self.errors_5xx = 0
        self._context_of: Callable[[str | None], RequestContext] = identity.validate
        """What makes a request's context of its token under :attr:`auth_strategy`
        (chosen when it is set: every request asks)."""
        self._known_context: Callable[[str | None], RequestContext | None] = getattr(
            identity, "eternal_context", _no_context)
        """What :attr:`_context_of` gives a token at once, or None: under ``keystone``
        a never-expiring token's context (``IdentityStore.eternal_context``, when the
        validator has one), read without validate's frame."""
        self._auth_strategy = "keystone"

    @property
    def auth_strategy(self) -> str:
        """cinder.conf ``auth_strategy``: ``keystone`` (tokens the identity issued),
        ``noauth`` (NoAuthMiddleware: every ``X-Auth-Token`` is ``user[:project]`` and
        the caller is an admin), or ``both`` (``cindersim serve``'s default: a token
        with a ``:`` is noauth, any other must be a Keystone token; Keystone's
        Fernet-like tokens never contain ``:``)."""
        return self._auth_strategy

    @auth_strategy.setter
    def auth_strategy(self, strategy: str) -> None:
        self._auth_strategy = strategy
        keystone = strategy == "keystone"
        self._context_of = self.identity.validate if keystone else self._authenticate
        self._known_context = getattr(self.identity, "eternal_context", _no_context) \
            if keystone else _no_context

    def default_volume_type(self, project_id: str | None = None) -> VolumeType:
        """``volume_types.get_default_volume_type(context)``: *project_id*'s own default
        (3.62 ``default-types``) if it has one, else the configured type (also when no
        project is given: Cinder's call without a context)."""
        db = self.env.db
        # No project default can exist before the API tables do: most creates skip the
        # lookup (existing_tables(db), read without its frame).
        made = db.api_tables
        if made is not None and project_id is not None:
            vtype = self._project_default_type(db, made, project_id)
            if vtype is not None:
                return vtype
        return self.config_default_type()

    # --- entry point -----------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: Body = None) -> ApiResponse:
        """Answer one REST request the way cinder-api would."""
        # Header names are case-insensitive: cinder-api reads them lower-cased.
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        return await self.handle_lowered(method, path, hdrs, body)

    async def handle_lowered(self, method: str, path: str, hdrs: dict[str, str],
                             body: Body = None) -> ApiResponse:
        """:meth:`handle` for a caller that already lower-cased the header names (and
        gives the dict away): :meth:`cindersim.Cloud.request`, on every request.  The
        answer's headers are a dict made for it alone (:func:`versioned`, :func:`fault`,
        or a literal here), so the caller may keep that dict."""
        trace = self._trace
        self.requests += 1
        # How a request routes depends on its method, path and microversion header alone
        # (the router empties its plans when a route is added; all are added before any
        # request): a repeated one is looked up, with what parsing its path gave.
        key: tuple[str, str, Any] | None = (method, path, hdrs.get("openstack-api-version"))
        try:
            plan = self._plans.get(key)
        except TypeError:  # an unhashable header value: routed as any, never remembered
            plan, key = None, None
        if plan is None:
            method = method.upper()
            path_only, query_string = _split_path(path)
        else:
            (method, path_only, query_string, controller, sub, project_id, version, params,
             takes_body, echo) = plan
        wanted = trace.wanted_kinds  # Trace.wants, inline (as the bus does): asked twice a request
        if wanted is None or "api.request" in wanted:
            # (emit_owned with the detail built here: emit's keyword packing, spared.)  A
            # body Cloud.request copied for the trace in the same walk is taken as it is:
            # _body_for_trace's first case, without its frame (every request of a full trace).
            traced = body.traced if type(body) is ParsedBody else None
            trace.emit_owned("api.request", hdrs.get("x-cindersim-actor", "client"),
                             f"{method} {path_only}",
                             {"method": method, "path": path_only, "query": query_string or None,
                              "body": _body_for_trace(body) if traced is None else traced},
                             ACTOR)
        # [simulator] api_latency, read from its table: config.api_latency goes through
        # a failed attribute lookup and CloudConfig.__getattr__ (~0.5 us a request).
        latency = self._simulator["api_latency"]
        if latency > 0:
            await sleep(latency)  # clock.sleep: asyncio.sleep, one frame shallower
        # Routing is inline, not a method: one frame fewer on every request.  An answer
        # no controller gives (versions, 401, 404, 405, a bad project) is raised as
        # _Answered by the helpers below.
        try:
            if plan is None:
                self._unauthenticated(path_only)
            # keystonemiddleware sits before the API router in Cinder's pipeline: a
            # missing or bad token is 401 whatever the microversion or the route.
            token = hdrs.get("x-auth-token")
            try:
                context = self._known_context(token)
            except TypeError:  # an unhashable token: _context_of words the 401
                context = None
            try:
                if context is None:
                    context = self._context_of(token)
            except Unauthorized:
                raise _Answered(_keystone_401(self.base_url)) from None
            if plan is None:
                (method, path_only, query_string, controller, sub, project_id, version, params,
                 takes_body, echo) = self._plan(method, path_only, query_string, hdrs, key)
            # A body Cloud.request hands over parsed is taken as it is (no _parse_body call).
            parsed_body = (body.value if type(body) is ParsedBody else _parse_body(body)) \
                if takes_body else None
            if project_id is not None and project_id != context.project_id:
                # wsgi.Resource._process_stack: the URL's project must be the token's
                # (admins too); only 3.67's project-less URLs skip this.
                raise _Answered(versioned(fault(400, "Malformed request url"), version))
            # ApiRequest(method, path, query, headers, body, version, context, project_id,
            # request_bits), built as the tuple it is: a named tuple's __new__ is a Python
            # function binding nine arguments, on every request.
            req: ApiRequest = _new_tuple(ApiRequest, (
                # (No query: the shared read-only empty dict, ApiRequest.query being a Mapping.)
                method, sub, _parse_query(query_string) if query_string else EMPTY_DICT, hdrs,
                parsed_body, version, context, project_id, self._draw_id()))
            try:
                # No **{} for a route without parameters: it builds two dicts.
                response: ApiResponse = await (controller(self, req, **params) if params
                                  else controller(self, req))
            except (CinderException, HTTPError) as exc:
                response = fault_from_exception(exc)
            if response.fresh and not response.headers:
                # echoed()'s every-create case (a fresh answer with no headers of its
                # own takes the two), without its frame.
                _set_response_headers(response, {"OpenStack-API-Version": echo,
                                                 "Vary": "OpenStack-API-Version"})
            else:
                response = echoed(response, echo)  # versioned(), its header value kept
        except _Answered as answered:
            response = answered.response
        except (CinderException, HTTPError) as exc:
            response = fault_from_exception(exc)
        except Exception as exc:  # a simulator bug: never let it pass silently
            self.errors_5xx += 1
            trace.emit("api.bug", ACTOR, f"unhandled {type(exc).__name__}: {exc}",
                       error=type(exc).__name__, message=str(exc))
            response = fault(500, "The server has either erred or is incapable of performing "
                                  "the requested operation.")
        wanted = trace.wanted_kinds
        if wanted is None or "api.response" in wanted:
            trace.emit_owned("api.response", ACTOR, f"{response.status} for {method} {path_only}",
                             {"status": response.status, "body": response.body},
                             hdrs.get("x-cindersim-actor", "client"))
        return response

    def _unauthenticated(self, path: str) -> None:
        """Raise :class:`_Answered` with what answers *path* before any token is read
        (the version documents, a path outside ``/v3``), if anything does."""
        if path == "/":
            raise _Answered(ApiResponse(300, versions_document(self.base_url)))
        segments = path.split("/")
        # segments[0] == "" (leading slash)
        if len(segments) < 2 or segments[1] != "v3":
            raise _Answered(fault(404, "The resource could not be found."))
        if path in {"/v3", "/v3/"}:
            raise _Answered(ApiResponse(200, versions_document(self.base_url)))

    def _plan(self, method: str, path: str, query_string: str, hdrs: dict[str, str],
              key: tuple[str, str, Any] | None) -> _Plan:
        """How *path* (under ``/v3``, its query apart) routes at the microversion *hdrs*
        ask for, kept in the router's plans under *key* (the request's method, path
        and header as they came; unless None); the 404/405 is raised as
        :class:`_Answered` (406/400 for a bad header as :class:`HTTPError`)."""
        version = parse_version_header(hdrs)
        rest = path.split("/")[2:]
        project_id: str | None
        if rest and rest[0] in self.router.collections:
            # /v3/<collection>...: no project in the URL (accepted from 3.67).
            if version < _PROJECTLESS_URLS:
                raise _Answered(versioned(fault(404, "The resource could not be found."),
                                          version))
            project_id, sub = None, "/" + "/".join(rest)
        else:
            project_id = rest[0] if rest else None
            sub = "/" + "/".join(rest[1:]) if len(rest) > 1 else "/"
        route, params, exists = self.router.match(method, sub, version)
        if route is None:
            if exists:
                raise _Answered(versioned(fault(405, "The method specified is not allowed "
                                                     "for this resource."), version))
            raise _Answered(versioned(fault(404, "The resource could not be found."),
                                      version))
        plan = _Plan(method, path, query_string, route.controller, sub, project_id, version,
                     params, method in {"POST", "PUT"}, version_echo(version))
        if key is not None:
            plans = self.router.plans
            if len(plans) >= _MAX_PLANS:  # paths name ids: a long run must not grow it
                plans.clear()
            plans[key] = plan
        return plan

    def _authenticate(self, token: str | None) -> RequestContext:
        """The caller's context under ``noauth`` or ``both`` (see :attr:`auth_strategy`);
        ``Unauthorized`` for a missing or bad token."""
        strategy = self.auth_strategy
        if token and (strategy == "noauth" or (strategy == "both" and ":" in token)):
            return noauth_context(token)
        return self.identity.validate(token)


def _no_context(token: str | None) -> None:
    """:attr:`ApiService._known_context` outside ``keystone``: nothing known at once."""
    del token


def _split_path(path: str) -> tuple[str, str]:
    """A request's path (repeated slashes collapsed, ``/`` for none) and query string."""
    path_only, _, query_string = path.partition("?")
    if "//" in path_only:
        path_only = re.sub(r"/{2,}", "/", path_only)
    return path_only or "/", query_string


def _keystone_401(base_url: str) -> ApiResponse:
    """keystonemiddleware's rejection (not a Cinder fault): its own ``error`` body and
    a ``WWW-Authenticate`` header naming the identity service."""
    host = base_url.rsplit(":", 1)[0]
    return ApiResponse(401, {"error": {
        "code": 401, "title": "Unauthorized",
        "message": "The request you have made requires authentication."}},
        {"WWW-Authenticate": f"Keystone uri=\"{host}/identity\""})


def _parse_query(query_string: str) -> dict[str, list[str]]:
    """``parse_qs`` (blank values kept), with fresh lists the controller may own."""
    return {k: list(v) for k, v in _parsed_query(query_string).items()}


@functools.lru_cache(maxsize=256)  # clients repeat their query strings (?cascade=True)
def _parsed_query(query_string: str) -> dict[str, list[str]]:
    return parse_qs(query_string, keep_blank_values=True)


def _parse_body(body: Body) -> Any:
    if isinstance(body, ParsedBody):
        return body.value
    if body is None or body in {b"", ""}:
        return None
    try:
        return loads(body)  # bounded nesting: a too-deep body is malformed, not a 500
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, "Malformed request body") from None


def _body_for_trace(body: Body) -> Any:
    if isinstance(body, ParsedBody):  # its own copy: the controller owns the value
        if body.traced is not None:  # made with the value, in the same walk
            return body.traced
        try:
            return copy_json(body.value)  # the JSON round trip's value, without the text
        except NotJson:
            return json.loads(json.dumps(body.value))
    if body is None or body in {b"", ""}:
        return None
    try:
        return loads(body)
    except (ValueError, UnicodeDecodeError):
        return str(body)[:200]
