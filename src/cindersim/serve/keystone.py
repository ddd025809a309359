"""A minimal Keystone v3 at ``/identity``: what keystoneauth needs to log in.

Real clients (python-openstackclient, openstacksdk, python-cinderclient with a
password) talk to Keystone before Cinder.  This module answers the three steps
they take, over the simulated identity (:class:`~cindersim.identity.IdentityStore`:
users ``admin``, ``demo``, ``alt_demo``, password ``secret``):

1. ``GET /identity`` (300, the version list) and ``GET /identity/v3`` (200, the
   v3 version document).  keystoneauth discovers the API version from these.
2. ``POST /identity/v3/auth/tokens`` with the ``password`` (or ``token``) method
   and a project scope.  Keystone answers **201** with the token in the
   ``X-Subject-Token`` header (keystoneauth takes the token from there) and a
   ``{"token": ...}`` body (without it keystoneauth raises InvalidResponse)
   holding the user, the project, the effective roles and the service catalog.
   Without a scope Keystone scopes the token to the user's default project.
3. The catalog: ``block-storage`` and ``volumev3`` (Cinder's two v3 types) at
   ``{base}/v3/{project_id}``, ``compute`` at ``{base}/compute/v2.1`` and
   ``image`` at ``{base}/image``, ``object-store`` at
   ``{base}/object-store/v1/AUTH_{project_id}`` and ``identity`` at
   ``{base}/identity``; each with public, internal and admin
   endpoints in ``RegionOne``.

``GET /identity/v3/auth/tokens`` (validate ``X-Subject-Token``) and ``DELETE``
(revoke) are there too, under Keystone's default token policies: an admin, the
``service`` role (validate only) or the subject token's own user; anyone else is
403.  Keystone's errors have their own body,
``{"error": {"code": N, "message": ..., "title": ...}}``, not Cinder's faults.

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
import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import Unauthorized
from ..identity import DEFAULT_DOMAIN_ID, DEFAULT_DOMAIN_NAME, TokenInfo
from ..jsonvalues import loads
from ..services.api.wsgi import ApiResponse

if TYPE_CHECKING:
    from ..cloud import Cloud

__all__ = ["KEYSTONE_VERSION", "REGION", "Keystone"]

ACTOR = "keystone"
KEYSTONE_VERSION = "3.14"
"""The v3 minor version advertised (Keystone's ``v3.14``, Ussuri onwards)."""
REGION = "RegionOne"
_MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"
_UPDATED = "2020-04-07T00:00:00Z"


def _keystone_error(status: int, title: str, message: str,
                    headers: Mapping[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status, {"error": {"code": status, "message": message, "title": title}},
                       dict(headers or {}))


def _stable_id(*parts: str) -> str:
    """A fixed 32-hex id for catalog entries (services, endpoints).

    Not drawn from the simulation's rng: serving over HTTP must not shift the
    ids a seed gives to volumes and tokens.
    """
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


class _BadRequest(Exception):
    """A malformed auth body: Keystone's 400 (its JSON-schema validation)."""


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
        return {
            "id": f"v{KEYSTONE_VERSION}", "status": "stable", "updated": _UPDATED,
            "links": [{"rel": "self", "href": f"{self.base_url}/identity/v3/"}],
            "media-types": [{"base": "application/json", "type": _MEDIA_TYPE}],
        }

    def catalog(self, project_id: str) -> list[dict[str, Any]]:
        """The service catalog a token for *project_id* carries."""
        volume_url = f"{self.base_url}/v3/{project_id}"
        services = (
            ("block-storage", "cinder", volume_url),
            ("volumev3", "cinderv3", volume_url),
            ("compute", "nova", f"{self.base_url}/compute/v2.1"),
            ("image", "glance", f"{self.base_url}/image"),
            ("object-store", "swift", f"{self.base_url}/object-store/v1/AUTH_{project_id}"),
            ("identity", "keystone", f"{self.base_url}/identity"),
        )
        catalog = []
        for service_type, name, url in services:
            endpoints = [{"id": _stable_id(service_type, interface), "interface": interface,
                          "region": REGION, "region_id": REGION, "url": url}
                         for interface in ("public", "internal", "admin")]
            catalog.append({"type": service_type, "name": name,
                            "id": _stable_id(service_type), "endpoints": endpoints})
        return catalog

    def token_body(self, info: TokenInfo, methods: list[str]) -> dict[str, Any]:
        """``{"token": ...}`` as Keystone returns it for a project-scoped token."""
        body = info.to_keystone()
        token = body["token"]
        issued = self._wall_clock()
        expires = issued + dt.timedelta(seconds=self._wall_lifetime(info))
        token["methods"] = methods
        token["issued_at"] = _iso(issued)
        token["expires_at"] = _iso(expires)
        token["audit_ids"] = [_stable_id("audit", info.token)[:22]]
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
                     body: bytes) -> ApiResponse:
        """Answer one request under ``/identity`` (*path* has repeated slashes collapsed
        and no query string; *headers* have lowercase names)."""
        rest = path[len("/identity"):].rstrip("/")
        if rest == "":
            if method != "GET":
                return _keystone_error(405, "Method Not Allowed",
                                       "The method specified is not allowed for this resource.")
            return ApiResponse(300, {"versions": {"values": [self.version_document()]}})
        if rest == "/v3":
            if method != "GET":
                return _keystone_error(405, "Method Not Allowed",
                                       "The method specified is not allowed for this resource.")
            return ApiResponse(200, {"version": self.version_document()})
        if rest == "/v3/auth/tokens":
            if method == "POST":
                return self._issue(headers, body)
            if method in {"GET", "HEAD"}:
                return self._validate(method, headers)
            if method == "DELETE":
                return self._revoke(headers)
            return _keystone_error(405, "Method Not Allowed",
                                   "The method specified is not allowed for this resource.")
        return _keystone_error(404, "Not Found", "The resource could not be found.")

    # --- tokens ---------------------------------------------------------------------
    def _issue(self, headers: Mapping[str, str], raw: bytes) -> ApiResponse:
        identity = self.cloud.identity
        try:
            auth = _auth_of(raw)
            methods = auth["identity"]["methods"]
            if "password" in methods:
                user_ref, password = _password_user(auth["identity"])
            elif "token" in methods:
                # Re-scoping: the token authenticates its own user (no password).
                old = auth["identity"].get("token")
                if not isinstance(old, dict) or not isinstance(old.get("id"), str):
                    raise _BadRequest("'id' is a required property")
                user_ref, password = identity.token_info(old["id"]).user.id, None
            else:
                raise _BadRequest(f"Unsupported authentication methods: {methods}")
            project_ref = _project_scope(auth.get("scope"))
        except _BadRequest as exc:
            return _keystone_error(400, "Bad Request", f"Invalid input for field "
                                                       f"'identity': {exc}")
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
                                         now=self.cloud.sim.now())
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
        return _keystone_error(401, "Unauthorized",
                               "The request you have made requires authentication.")

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
                return _keystone_error(404, "Not Found",
                                       f"Could not find token: {subject_ref}.")
        action = _TOKEN_ACTIONS[method]
        if not _token_policy_allows(action, caller, subject):
            return _keystone_error(403, "Forbidden", "You are not authorized to perform "
                                                     f"the requested action: {action}.")
        if subject is None:
            return _keystone_error(404, "Not Found", "No token in the request")
        return subject

    def _validate(self, method: str, headers: Mapping[str, str]) -> ApiResponse:
        subject = self._subject(method, headers)
        if isinstance(subject, ApiResponse):
            return subject
        return ApiResponse(200, self.token_body(subject, ["password"]),
                           {"X-Subject-Token": subject.token})

    def _revoke(self, headers: Mapping[str, str]) -> ApiResponse:
        subject = self._subject("DELETE", headers)
        if isinstance(subject, ApiResponse):
            return subject
        self.cloud.identity.revoke(subject.token)
        return ApiResponse(204)


_TOKEN_ACTIONS = {"HEAD": "identity:check_token", "GET": "identity:validate_token",
                  "DELETE": "identity:revoke_token"}


def _token_policy_allows(action: str, caller: TokenInfo, subject: TokenInfo | None) -> bool:
    """Keystone's default token policies (keystone/common/policies/token.py), without
    the system-scope clause: this Keystone issues project-scoped tokens only."""
    roles = {r.name for r in caller.roles}
    if "admin" in roles:  # rule:admin_required
        return True
    if action == "identity:validate_token" and "service" in roles:  # rule:service_role
        return True
    return subject is not None and subject.user.id == caller.user.id  # rule:token_subject


# --- request parsing ---------------------------------------------------------------
def _auth_of(raw: bytes) -> dict[str, Any]:
    try:
        body = loads(raw) if raw else None  # bounded nesting: too deep is not JSON here
    except (ValueError, UnicodeDecodeError):
        raise _BadRequest("the body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("auth"), dict):
        raise _BadRequest("'auth' is a required property")
    auth: dict[str, Any] = body["auth"]
    identity = auth.get("identity")
    if not isinstance(identity, dict):
        raise _BadRequest("'identity' is a required property")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods or not all(
            isinstance(m, str) for m in methods):
        raise _BadRequest("'methods' is a required property")
    return auth


def _check_domain(ref: Any) -> None:
    """Only the ``Default`` domain exists: any other fails authentication."""
    if ref is None:
        return
    if not isinstance(ref, dict):
        raise _BadRequest("'domain' must be an object")
    domain_id, name = ref.get("id"), ref.get("name")
    for field, value in (("id", domain_id), ("name", name)):
        # Keystone's schema types both as strings (a list here is a 400, not a lookup).
        if value is not None and not isinstance(value, str):
            raise _BadRequest(f"{value!r} is not of type 'string' in 'domain/{field}'")
    if domain_id not in (None, DEFAULT_DOMAIN_ID) or name not in (None, DEFAULT_DOMAIN_NAME):
        raise Unauthorized()


def _password_user(identity: Mapping[str, Any]) -> tuple[str, str]:
    password = identity.get("password")
    if not isinstance(password, dict) or not isinstance(password.get("user"), dict):
        raise _BadRequest("'user' is a required property")
    user = password["user"]
    secret = user.get("password")
    if not isinstance(secret, str):
        raise _BadRequest("'password' is a required property")
    if isinstance(user.get("id"), str):
        return user["id"], secret
    if not isinstance(user.get("name"), str):
        raise _BadRequest("'id' or 'name' is a required property of 'user'")
    # A user named without an id must name its domain (Keystone's rule).
    if user.get("domain") is None:
        raise _BadRequest("Expecting to find domain in user. The server could not comply "
                          "with the request since it is either malformed or otherwise "
                          "incorrect. The client is assumed to be in error.")
    _check_domain(user.get("domain"))
    return user["name"], secret


def _project_scope(scope: Any) -> str | None:
    """The project named by ``scope`` (id or name), or None for an unscoped request."""
    if scope is None:
        return None
    if not isinstance(scope, dict):
        raise _BadRequest("'scope' must be an object")
    project = scope.get("project")
    if project is None:
        # System and domain scopes need role assignments this cloud does not model.
        raise Unauthorized()
    if not isinstance(project, dict):
        raise _BadRequest("'project' must be an object")
    if isinstance(project.get("id"), str):
        return str(project["id"])
    if not isinstance(project.get("name"), str):
        raise _BadRequest("'id' or 'name' is a required property of 'project'")
    if project.get("domain") is None:
        raise _BadRequest("Expecting to find domain in project. The server could not comply "
                          "with the request since it is either malformed or otherwise "
                          "incorrect. The client is assumed to be in error.")
    _check_domain(project.get("domain"))
    return str(project["name"])
