"""Keystone v3 at ``/identity``: what keystoneauth, openstackclient and Tempest's
dynamic credentials call.

1. ``GET /identity`` (300, the version list) and ``GET /identity/v3`` (200, the
   v3 version document): keystoneauth discovers the API version from these.
2. ``POST /identity/v3/auth/tokens`` (``password`` or ``token`` method, project
   scope): **201** with the token in ``X-Subject-Token`` (keystoneauth takes it
   from there) and a ``{"token": ...}`` body (without it keystoneauth raises
   InvalidResponse) with the user, project, effective roles and the catalog
   (:mod:`.catalog`).  ``GET``/``HEAD`` validate ``X-Subject-Token``, ``DELETE``
   revokes it, under Keystone's token policies (:mod:`.policy`).
   ``GET /auth/projects`` and ``GET /auth/catalog`` answer for the caller's token.
3. The admin API: projects, users, domains (:mod:`.resources`), roles, grants
   and role assignments (:mod:`.assignments`), as Tempest's ``cred_client`` and
   ``openstack project/user/role ...`` use them.

Keystone's errors have their own body, ``{"error": {"code", "message", "title"}}``,
not Cinder's faults; a 401 carries ``WWW-Authenticate``.

Token lifetimes: a token expires ``token_expiration`` *virtual* seconds after it
is issued, and every service refuses it from then on (the identity store checks
the simulation's clock).  A client checks ``expires_at`` against *its* wall
clock, so the two timestamps of the token body are wall-clock UTC: the issue
time, and the moment the token expires in virtual time converted at the loop's
``speed`` (an hour at speed 60 is a wall minute), so keystoneauth re-authenticates
in time.  They are presentation only: the trace event for a login does not
carry them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ...errors import Unauthorized
from ..api.wsgi import ApiResponse
from . import assignments, resources
from .catalog import KEYSTONE_VERSION, REGION, catalog, stable_id, version_document
from .http import Call, error_response, listing, parse_query, project_view
from .policy import enforce
from .records import KeystoneError, TokenInfo
from .tokens import BadAuth, auth_of, password_user, project_scope

if TYPE_CHECKING:
    from ...cloud import Cloud

__all__ = ["ACTOR", "KEYSTONE_VERSION", "REGION", "Keystone"]

ACTOR = "keystone"
_TOKEN_ACTIONS = {"HEAD": "identity:check_token", "GET": "identity:validate_token",
                  "DELETE": "identity:revoke_token"}
_ROUTES = {"projects": resources.projects, "users": resources.users,
           "domains": resources.domains, "roles": assignments.roles,
           "role_assignments": assignments.role_assignments}


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


class Keystone:
    """The ``/identity`` endpoints of a served cloud.

    Args:
        cloud: the cloud whose :attr:`~cindersim.Cloud.identity` issues the tokens.
        base_url: ``http://host:port`` as clients reach this server.
        wall_clock: returns the current UTC time, for the token body's
            timestamps only (see the module docstring); injectable for tests.
    """

    def __init__(self, cloud: Cloud, base_url: str, *,
                 wall_clock: Callable[[], dt.datetime] | None = None) -> None:
        self.cloud = cloud
        self.base_url = base_url.rstrip("/")
        self._wall_clock = wall_clock or (lambda: dt.datetime.now(dt.UTC))
        self.tokens_issued = 0

    # --- documents ------------------------------------------------------------------
    def version_document(self) -> dict[str, Any]:
        """The v3 entry, as Keystone's ``GET /v3`` returns it (wrapped in ``version``)."""
        return version_document(self.base_url)

    def catalog(self, project_id: str) -> list[dict[str, Any]]:
        """The service catalog a token for *project_id* carries (``network`` when the
        cloud runs Neutron)."""
        return catalog(self.base_url, project_id,
                       network=getattr(self.cloud, "neutron", None) is not None,
                       key_manager=getattr(self.cloud, "key_manager", None) is not None)

    def token_body(self, info: TokenInfo, methods: list[str] | None = None
                   ) -> dict[str, Any]:
        """``{"token": ...}`` as Keystone returns it for a project-scoped token."""
        body = info.to_keystone()
        token = body["token"]
        issued = self._wall_clock()
        expires = issued + dt.timedelta(seconds=self._wall_lifetime(info))
        if methods is not None:
            token["methods"] = methods
        token["issued_at"] = _iso(issued)
        token["expires_at"] = _iso(expires)
        token["audit_ids"] = [stable_id("audit", info.token)[:22]]
        token["is_domain"] = False
        token["catalog"] = self.catalog(info.project.id)
        return body

    def _wall_lifetime(self, info: TokenInfo) -> float:
        """Wall seconds until *info* expires in virtual time (the loop runs ``speed``
        virtual seconds per wall second), so a client re-authenticates when the
        simulation stops accepting the token, not an hour of wall time later."""
        identity = self.cloud.identity
        if info.expires_at is None:
            return identity.token_expiration
        speed = getattr(self.cloud.sim.loop, "speed", None) or 1.0
        return max(0.0, info.expires_at - self.cloud.sim.now()) / speed

    # --- entry point ----------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: Mapping[str, str],
                     body: bytes, query: str = "") -> ApiResponse:
        """Answer one request under ``/identity`` (*path* has repeated slashes collapsed
        and no query string, which comes as *query*; *headers* have lowercase names)."""
        try:
            return self._route(method, path, headers, body, query)
        except KeystoneError as exc:
            return error_response(exc)
        except Unauthorized:
            return error_response(KeystoneError.unauthorized())

    def _route(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
               query: str) -> ApiResponse:
        rest = path[len("/identity"):].rstrip("/")
        if rest in {"", "/v3"}:
            if method not in {"GET", "HEAD"}:
                raise KeystoneError(405, "The method specified is not allowed for this "
                                         "resource.")
            if rest == "":
                return ApiResponse(300, {"versions": {"values": [self.version_document()]}})
            return ApiResponse(200, {"version": self.version_document()})
        if not rest.startswith("/v3/"):
            raise KeystoneError(404, "The resource could not be found.")
        parts = tuple(rest[len("/v3/"):].split("/"))
        call = Call(method, parts, parse_query(query), headers, body, self.base_url,
                    self.cloud.identity.token_info)
        if parts[0] == "auth":
            return self._auth(call)
        if (parts[0] == "projects" and len(parts) in {5, 6} and parts[2] == "users"
                and parts[4] == "roles"):
            return assignments.grants(call, self.cloud.identity, self._notify(headers))
        handler = _ROUTES.get(parts[0])
        if handler is None:
            raise KeystoneError(404, "The resource could not be found.")
        return handler(call, self.cloud.identity, self._notify(headers))

    def _notify(self, headers: Mapping[str, str]) -> resources.Notify:
        target = headers.get("x-cindersim-actor", "client")

        def notify(kind: str, summary: str, detail: dict[str, Any]) -> None:
            trace = self.cloud.trace
            if trace.recording:
                trace.emit_detail(kind, ACTOR, summary, detail, target=target)
        return notify

    # --- /auth ----------------------------------------------------------------------
    def _auth(self, call: Call) -> ApiResponse:
        method, parts = call.method, call.parts
        if parts == ("auth", "tokens"):
            if method == "POST":
                return self._issue(call.headers, call.raw)
            if method in _TOKEN_ACTIONS:
                subject = self._subject(method, call.headers)
                if isinstance(subject, ApiResponse):
                    return subject
                if method == "DELETE":
                    self.cloud.identity.revoke(subject.token)
                    return ApiResponse(204)
                return ApiResponse(200, self.token_body(subject),
                                   {"X-Subject-Token": subject.token})
            raise KeystoneError(405, "The method specified is not allowed for this "
                                     "resource.")
        if method not in {"GET", "HEAD"}:
            raise KeystoneError(405, "The method specified is not allowed for this "
                                     "resource.")
        caller = call.caller()
        identity = self.cloud.identity
        if parts == ("auth", "projects"):
            return listing(call, "projects", [
                project_view(call, p) for p in identity.projects
                if p.enabled and identity.effective_roles(caller.user.id, p.id)])
        if parts == ("auth", "catalog"):
            return ApiResponse(200, {"catalog": self.catalog(caller.project.id),
                                     "links": {"self": call.url(*parts)}})
        if parts == ("auth", "domains"):
            return listing(call, "domains", [])  # no domain-scoped role assignments
        raise KeystoneError(404, "The resource could not be found.")

    def _issue(self, headers: Mapping[str, str], raw: bytes) -> ApiResponse:
        identity = self.cloud.identity
        try:
            auth = auth_of(raw)
            methods = auth["identity"]["methods"]
            if "password" in methods:
                user_ref, password = password_user(auth["identity"])
            elif "token" in methods:
                # Re-scoping: the token authenticates its own user (no password).
                old = auth["identity"].get("token")
                if not isinstance(old, dict) or not isinstance(old.get("id"), str):
                    raise BadAuth("'id' is a required property")
                user_ref, password = identity.token_info(old["id"]).user.id, None
            else:
                raise BadAuth(f"Unsupported authentication methods: {methods}")
            project_ref = project_scope(auth.get("scope"))
        except BadAuth as exc:
            return error_response(KeystoneError.bad_request(
                f"Invalid input for field 'identity': {exc}"))
        except Unauthorized:
            return self._refused(None)
        user = identity.find_user(user_ref)
        if user is None:
            return self._refused(user_ref)
        if project_ref is None:
            # Keystone scopes an unscoped request to the user's default project.
            project_ref = user.default_project_id
        if project_ref is None:
            return self._refused(user.name)
        try:
            token = identity.issue_token(user.id, project_ref, password,
                                         now=self.cloud.sim.now(), methods=tuple(methods))
        except Unauthorized:
            return self._refused(user.name)
        info = identity.token_info(token)
        self.tokens_issued += 1
        trace = self.cloud.trace
        if trace.recording:
            trace.emit("identity.token", ACTOR,
                       f"token issued to {info.user.name} on project {info.project.name}",
                       target=headers.get("x-cindersim-actor", "client"),
                       user=info.user.name, project=info.project.name,
                       roles=[r.name for r in info.roles])
        return ApiResponse(201, self.token_body(info, list(methods)),
                           {"X-Subject-Token": token})

    def _refused(self, user: str | None) -> ApiResponse:
        trace = self.cloud.trace
        if trace.recording:
            trace.emit("identity.refused", ACTOR,
                       f"authentication failed for {user or 'an unknown user'}", user=user)
        return error_response(KeystoneError.unauthorized())

    def _subject(self, method: str, headers: Mapping[str, str]) -> TokenInfo | ApiResponse:
        """The ``X-Subject-Token`` a validate or revoke may act on, or the refusal.

        As Keystone: the caller's own token first (401), then the subject token
        (404, ``TokenNotFound``), then the policy (403, ``ForbiddenAction``):
        ``identity:check_token`` (HEAD) and ``identity:revoke_token`` (DELETE) are
        ``admin_required or token_subject``; ``identity:validate_token`` (GET)
        also lets the ``service`` role in.  ``token_subject`` means the same
        *user*, so a user may inspect or revoke any of its own tokens.
        """
        identity = self.cloud.identity
        try:
            caller = identity.token_info(headers.get("x-auth-token"))
        except Unauthorized:
            return self._refused(None)
        subject_ref = headers.get("x-subject-token")
        subject: TokenInfo | None = None
        if subject_ref:
            try:
                subject = identity.token_info(subject_ref)
            except Unauthorized:
                raise KeystoneError(404, f"Could not find token: {subject_ref}.") from None
        enforce(_TOKEN_ACTIONS[method], caller,
                {"user_id": None if subject is None else subject.user.id})
        if subject is None:
            raise KeystoneError(404, "No token in the request")
        return subject
