"""A small Keystone: projects, users, roles, tokens, and Cinder's RequestContext.

What Cinder sees of Keystone is the request context keystonemiddleware builds from
a validated token: user and project ids, the role names, ``is_admin_project``.
Cinder then sets ``is_admin`` from its ``context_is_admin`` rule (``role:admin``).
Facts modelled here:

* Ids are 32 lowercase hex digits (Keystone's ``uuid4().hex``), drawn from the
  simulation's seeded rng, so a seed always yields the same ids and tokens.
* ``keystone-manage bootstrap`` creates the roles ``admin``, ``member`` and
  ``reader`` with implications admin -> member -> reader; a token lists the
  *effective* roles, so an admin's token says ``admin, member, reader``.
* ``is_admin_project`` is True for every token unless an admin project is
  configured (Keystone's ``[resource] admin_project_name``); it is not by default.
* Tokens expire after ``[token] expiration`` = 3600 s.  A missing, unknown,
  revoked or expired token, or bad credentials, is a 401 (:class:`Unauthorized`).
  Tokens are opaque strings shaped like Fernet tokens (``gAAAAAB...``).

The default cloud (:func:`default_cloud`), like a devstack: project ``admin`` with
user ``admin`` holding ``admin``; projects ``demo`` and ``alt_demo``, each with a
user of the same name holding ``member``.  Every default password is
:data:`DEFAULT_PASSWORD` (``secret``).  Ids are minted in this order: roles
(admin, member, reader), projects (admin, demo, alt_demo), users (admin, demo,
alt_demo).

Cinder's ``noauth`` strategy needs no Keystone at all: :func:`noauth_context`.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

from cindersim.errors import Unauthorized

__all__ = [
    "DEFAULT_DOMAIN_ID",
    "DEFAULT_DOMAIN_NAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN_EXPIRATION",
    "IdentityStore",
    "Project",
    "RequestContext",
    "Role",
    "TokenInfo",
    "User",
    "default_cloud",
    "noauth_context",
    "noauth_token",
]

DEFAULT_PASSWORD: Final = "secret"
"""The password of every user in :func:`default_cloud`."""

DEFAULT_DOMAIN_ID: Final = "default"
DEFAULT_DOMAIN_NAME: Final = "Default"
DEFAULT_TOKEN_EXPIRATION: Final = 3600.0
"""Keystone's ``[token] expiration``, seconds."""


def _hex_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


def _roles(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


# --- records ----------------------------------------------------------------------
@attrs.frozen(slots=True)
class Role:
    id: str
    name: str


@attrs.frozen(slots=True)
class Project:
    id: str
    name: str
    domain_id: str = DEFAULT_DOMAIN_ID
    description: str = ""


@attrs.frozen(slots=True)
class User:
    id: str
    name: str
    password: str = attrs.field(repr=False)
    domain_id: str = DEFAULT_DOMAIN_ID
    default_project_id: str | None = None


@attrs.frozen(slots=True, cache_hash=True)
class RequestContext:
    """Cinder's ``cinder.context.RequestContext``, the caller as policy sees it.

    As in Cinder, a context created with ``is_admin=True`` gets the ``admin`` role
    added if it lacks it.
    """

    user_id: str | None
    project_id: str | None
    roles: tuple[str, ...] = attrs.field(default=(), converter=_roles)
    is_admin: bool = False
    auth_token: str | None = attrs.field(default=None, repr=False)
    project_name: str | None = None
    user_name: str | None = None
    is_admin_project: bool = True
    user_domain_id: str | None = DEFAULT_DOMAIN_ID
    project_domain_id: str | None = DEFAULT_DOMAIN_ID
    system_scope: str | None = None
    """``'all'`` for a system-scoped token; Cinder's defaults never need one."""

    def __attrs_post_init__(self) -> None:
        if self.is_admin and "admin" not in self.roles:
            object.__setattr__(self, "roles", (*self.roles, "admin"))

    def elevated(self) -> RequestContext:
        """An admin copy, as the scheduler and managers use for DB reads."""
        return attrs.evolve(self, is_admin=True)

    def to_policy_values(self) -> dict[str, Any]:
        """The credentials a policy check matches against (oslo.context's)."""
        return {
            "user_id": self.user_id, "project_id": self.project_id,
            "roles": list(self.roles), "is_admin": self.is_admin,
            "is_admin_project": self.is_admin_project,
            "user_domain_id": self.user_domain_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": None, "system_scope": self.system_scope,
        }


@attrs.frozen(slots=True)
class TokenInfo:
    """What Keystone knows about an issued token."""

    token: str = attrs.field(repr=False)
    user: User
    project: Project
    roles: tuple[Role, ...]
    issued_at: float | None
    expires_at: float | None
    is_admin_project: bool = True

    def to_keystone(self) -> dict[str, Any]:
        """The ``POST /v3/auth/tokens`` body, without the catalog (the API adds it).

        Times stay virtual seconds; the HTTP layer formats them.
        """
        domain = {"id": DEFAULT_DOMAIN_ID, "name": DEFAULT_DOMAIN_NAME}
        return {"token": {
            "methods": ["password"],
            "user": {"id": self.user.id, "name": self.user.name, "domain": domain},
            "project": {"id": self.project.id, "name": self.project.name,
                        "domain": domain},
            "roles": [{"id": r.id, "name": r.name} for r in self.roles],
            "is_admin_project": self.is_admin_project,
            "issued_at": self.issued_at, "expires_at": self.expires_at,
        }}


# --- the store --------------------------------------------------------------------
class IdentityStore:
    """Projects, users, role assignments and tokens, all ids from *rng*.

    Args:
        rng: the simulation's seeded rng (ids and tokens).
        admin_project_name: Keystone's ``admin_project_name``; None (the default)
            makes every token ``is_admin_project``.
        token_expiration: token lifetime in seconds.
        clock: the simulation's virtual clock (``sim.now``).  With it, a check
            that is not given *now* uses the current virtual time, so a token
            issued with an ``expires_at`` expires for every service that
            validates it (cinder-api, nova-api, Glance, Keystone), not only for
            callers that remember to pass the time.
    """

    def __init__(self, rng: random.Random, *, admin_project_name: str | None = None,
                 token_expiration: float = DEFAULT_TOKEN_EXPIRATION,
                 clock: Callable[[], float] | None = None) -> None:
        self._rng = rng
        self.admin_project_name = admin_project_name
        self.token_expiration = token_expiration
        self.clock = clock
        self._roles: dict[str, Role] = {}           # by name, creation order
        self._implies: dict[str, list[str]] = {}    # prior role -> implied roles
        self._projects: dict[str, Project] = {}     # by id, creation order
        self._users: dict[str, User] = {}           # by id, creation order
        self._grants: dict[tuple[str, str], list[str]] = {}  # (user, project) -> roles
        self._tokens: dict[str, TokenInfo] = {}
        self._contexts: dict[str, tuple[TokenInfo, RequestContext]] = {}
        """The context each token validated to: a pure function of its TokenInfo
        (roles are fixed when the token is issued), and every request asks."""

    # -- administration ---------------------------------------------------------
    def create_role(self, name: str) -> Role:
        if name in self._roles:
            raise ValueError(f"role {name!r} already exists")
        role = Role(_hex_id(self._rng), name)
        self._roles[name] = role
        return role

    def imply_role(self, prior: str, implied: str) -> None:
        """Keystone implied roles: holding *prior* also gives *implied*."""
        for name in (prior, implied):
            if name not in self._roles:
                raise ValueError(f"no role {name!r}")
        self._implies.setdefault(prior, []).append(implied)

    def create_project(self, name: str, *, description: str = "") -> Project:
        if self.find_project(name) is not None:
            raise ValueError(f"project {name!r} already exists")
        project = Project(_hex_id(self._rng), name, description=description)
        self._projects[project.id] = project
        return project

    def create_user(self, name: str, *, password: str = DEFAULT_PASSWORD,
                    default_project: str | None = None) -> User:
        if self.find_user(name) is not None:
            raise ValueError(f"user {name!r} already exists")
        project_id = None if default_project is None else self._project(default_project).id
        user = User(_hex_id(self._rng), name, password, default_project_id=project_id)
        self._users[user.id] = user
        return user

    def grant(self, user: str, project: str, role: str) -> None:
        """Assign *role* to *user* on *project* (names or ids)."""
        if role not in self._roles:
            raise ValueError(f"no role {role!r}")
        key = (self._user(user).id, self._project(project).id)
        roles = self._grants.setdefault(key, [])
        if role not in roles:
            roles.append(role)

    @property
    def projects(self) -> tuple[Project, ...]:
        return tuple(self._projects.values())

    @property
    def users(self) -> tuple[User, ...]:
        return tuple(self._users.values())

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self._roles.values())

    def find_project(self, ref: str) -> Project | None:
        """A project by id, else by name."""
        if ref in self._projects:
            return self._projects[ref]
        return next((p for p in self._projects.values() if p.name == ref), None)

    def find_user(self, ref: str) -> User | None:
        """A user by id, else by name."""
        if ref in self._users:
            return self._users[ref]
        return next((u for u in self._users.values() if u.name == ref), None)

    def _project(self, ref: str) -> Project:
        project = self.find_project(ref)
        if project is None:
            raise ValueError(f"no project {ref!r}")
        return project

    def _user(self, ref: str) -> User:
        user = self.find_user(ref)
        if user is None:
            raise ValueError(f"no user {ref!r}")
        return user

    def effective_roles(self, user: str, project: str) -> tuple[Role, ...]:
        """Direct and implied roles of *user* on *project*, in role creation order."""
        u, p = self.find_user(user), self.find_project(project)
        if u is None or p is None:
            return ()
        held: set[str] = set()
        pending = list(self._grants.get((u.id, p.id), ()))
        while pending:
            name = pending.pop()
            if name not in held:
                held.add(name)
                pending.extend(self._implies.get(name, ()))
        # Membership only: the order comes from role creation, never from the set.
        return tuple(r for name, r in self._roles.items() if name in held)

    # -- tokens -------------------------------------------------------------------
    def issue_token(self, user: str, project: str, password: str | None = None, *,
                    now: float | None = None) -> str:
        """A project-scoped token (``POST /v3/auth/tokens``) for *user* on *project*.

        *user* and *project* are names or ids.  With a *password* it must match;
        ``None`` means the simulation vouches for the user (an internal login).
        Bad credentials or no role on the project are 401, as in Keystone.  With
        *now*, the token expires ``token_expiration`` seconds later.
        """
        u = self.find_user(user)
        p = self.find_project(project)
        if u is None or p is None or (password is not None and password != u.password):
            raise Unauthorized()
        roles = self.effective_roles(u.id, p.id)
        if not roles:
            raise Unauthorized()
        token = self._new_token()
        expires = None if now is None else now + self.token_expiration
        is_admin_project = (self.admin_project_name is None
                            or p.name == self.admin_project_name)
        self._tokens[token] = TokenInfo(token, u, p, roles, now, expires, is_admin_project)
        return token

    def _new_token(self) -> str:
        while True:
            body = base64.urlsafe_b64encode(self._rng.randbytes(132)).decode("ascii")
            token = "gAAAAAB" + body
            if token not in self._tokens:
                return token

    def token_info(self, token: str | None, *, now: float | None = None) -> TokenInfo:
        """The record of a live token; 401 if missing, unknown, revoked or expired.

        Expiry is checked at *now*, else at the store's :attr:`clock` (virtual
        time); a token issued without a time (``expires_at`` None) never expires.
        """
        if not token or type(token) is not str:
            raise Unauthorized()
        info = self._tokens.get(token)
        if info is None:
            raise Unauthorized()
        if info.expires_at is not None:
            if now is None and self.clock is not None:
                now = self.clock()
            if now is not None and now >= info.expires_at:
                raise Unauthorized()
        return info

    def validate(self, token: str | None, *, now: float | None = None) -> RequestContext:
        """What keystonemiddleware + Cinder make of ``X-Auth-Token``.

        ``is_admin`` follows Cinder's default ``context_is_admin`` rule
        (``role:admin``).  Raises :class:`Unauthorized` (401) for a bad token.
        """
        info = self.token_info(token, now=now)
        known = self._contexts.get(info.token)
        if known is not None and known[0] is info:
            return known[1]
        names = tuple(r.name for r in info.roles)
        context = RequestContext(
            user_id=info.user.id, project_id=info.project.id, roles=names,
            is_admin="admin" in names, auth_token=info.token,
            project_name=info.project.name, user_name=info.user.name,
            is_admin_project=info.is_admin_project,
            user_domain_id=info.user.domain_id, project_domain_id=info.project.domain_id)
        self._contexts[info.token] = (info, context)
        return context

    @property
    def token_count(self) -> int:
        """Tokens issued and not revoked (expired ones included)."""
        return len(self._tokens)

    def revoke(self, token: str) -> None:
        """``DELETE /v3/auth/tokens``: the token stops validating."""
        self._tokens.pop(token, None)
        self._contexts.pop(token, None)


def default_cloud(rng: random.Random, *, admin_project_name: str | None = None,
                  token_expiration: float = DEFAULT_TOKEN_EXPIRATION,
                  clock: Callable[[], float] | None = None) -> IdentityStore:
    """The devstack-like default identity (see the module docstring)."""
    store = IdentityStore(rng, admin_project_name=admin_project_name,
                          token_expiration=token_expiration, clock=clock)
    for role in ("admin", "member", "reader"):
        store.create_role(role)
    store.imply_role("admin", "member")
    store.imply_role("member", "reader")
    for name in ("admin", "demo", "alt_demo"):
        store.create_project(name)
    for name, role in (("admin", "admin"), ("demo", "member"), ("alt_demo", "member")):
        store.create_user(name, default_project=name)
        store.grant(name, name, role)
    return store


# --- noauth -----------------------------------------------------------------------
def noauth_token(user_id: str = "admin", project_id: str = "admin") -> str:
    """The ``X-Auth-Token`` Cinder's NoAuthMiddleware returns (with a 204) to a
    request that sent none, built from ``X-Auth-User`` / ``X-Auth-Project-Id``."""
    return f"{user_id}:{project_id}"


def noauth_context(token: str) -> RequestContext:
    """Cinder's ``auth_strategy = noauth``: ``X-Auth-Token: user:project``.

    The project defaults to the user when there is no ``:project``.  Every caller
    is an admin (``is_admin=True``, role ``admin``), so all policies pass and
    GET by id is not scoped to the project; lists still use the project.
    No token string is kept, as in Cinder.
    """
    user_id, _sep, project_id = token.partition(":")
    return RequestContext(user_id=user_id, project_id=project_id or user_id,
                          is_admin=True, user_domain_id=None, project_domain_id=None)
