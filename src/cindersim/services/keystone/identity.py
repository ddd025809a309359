"""The identity store: Keystone's projects, users, roles, assignments and tokens.

Facts modelled here:

* Ids are 32 lowercase hex digits (Keystone's ``uuid4().hex``), drawn from the
  simulation's seeded rng, so a seed always yields the same ids and tokens.
* ``keystone-manage bootstrap`` creates the roles ``admin``, ``member`` and
  ``reader`` with implications admin -> member -> reader; a token lists the
  *effective* roles, so an admin's token says ``admin, member, reader``.
  Devstack adds ``service`` (the role services' own users hold).
* Names are unique per domain for projects and users, and unique for roles: a
  duplicate is Keystone's 409 ``Conflict``.
* ``is_admin_project`` is True for every token unless an admin project is
  configured (Keystone's ``[resource] admin_project_name``); it is not by default.
* Tokens expire after ``[token] expiration`` = 3600 s.  A missing, unknown,
  revoked or expired token, or bad credentials, is a 401 (:class:`Unauthorized`).
  Tokens are opaque strings shaped like Fernet tokens (``gAAAAAB...``).
* Keystone revokes tokens when what they vouch for goes away: deleting or
  disabling a project or user, removing a role assignment, deleting a role,
  or changing a user's password invalidates the tokens concerned.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ...errors import Unauthorized
from .context import RequestContext
from .records import (
    DEFAULT_DOMAIN,
    DEFAULT_DOMAIN_ID,
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN_EXPIRATION,
    Domain,
    KeystoneError,
    Project,
    Role,
    TokenInfo,
    User,
)

__all__ = ["Assignment", "IdentityStore", "default_cloud"]

Assignment = tuple[str, str, str]
"""A role assignment: ``(user_id, project_id, role_id)``."""


def _hex_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


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
        self._domains: dict[str, Domain] = {DEFAULT_DOMAIN.id: DEFAULT_DOMAIN}
        self._roles: dict[str, Role] = {}           # by name, creation order
        self._implies: dict[str, list[str]] = {}    # prior role -> implied roles
        self._projects: dict[str, Project] = {}     # by id, creation order
        self._users: dict[str, User] = {}           # by id, creation order
        self._grants: dict[tuple[str, str], list[str]] = {}  # (user, project) -> roles
        self._tokens: dict[str, TokenInfo] = {}
        self._contexts: dict[str, RequestContext] = {}
        """The context each live token that expires validated to: a pure function of
        its TokenInfo (roles are fixed when the token is issued), and every request
        asks.  Only tokens in :attr:`_tokens` with that same TokenInfo are here (and
        in :attr:`_eternal`): :meth:`revoke` and :meth:`issue_token` drop a token's
        entry."""
        self._eternal: dict[str, RequestContext] = {}
        """As :attr:`_contexts`, for the tokens that never expire: their context is
        the answer without a look at the token's record (one dict probe a request)."""
        self.eternal_context: Callable[[str | None], RequestContext | None] = \
            self._eternal.get  # type: ignore[assignment]
        """:meth:`validate`'s answer for a live token that never expires, else None (its
        first step, a C call with no frame: cinder-api asks it on every request).
        Raises TypeError for an unhashable token."""

    # -- roles ------------------------------------------------------------------------
    def create_role(self, name: str, *, description: str | None = None,
                    role_id: str | None = None) -> Role:
        """A new role; *role_id* None draws one from the rng.  409 if the name is taken
        (Keystone compares role names case-insensitively)."""
        if any(r.name.lower() == name.lower() for r in self._roles.values()):
            raise KeystoneError.conflict("role", name, None)
        role = Role(role_id or _hex_id(self._rng), name, description)
        self._roles[name] = role
        return role

    def imply_role(self, prior: str, implied: str) -> None:
        """Keystone implied roles: holding *prior* also gives *implied*."""
        for name in (prior, implied):
            if name not in self._roles:
                raise KeystoneError.not_found("role", name)
        self._implies.setdefault(prior, []).append(implied)

    def find_role(self, ref: str) -> Role | None:
        """A role by id, else by name."""
        for role in self._roles.values():
            if role.id == ref:
                return role
        return self._roles.get(ref)

    def delete_role(self, ref: str) -> Role:
        """Delete a role, its assignments and implications; tokens carrying it die."""
        role = self._role(ref)
        del self._roles[role.name]
        self._implies.pop(role.name, None)
        for implied in self._implies.values():
            while role.name in implied:
                implied.remove(role.name)
        for names in self._grants.values():
            while role.name in names:
                names.remove(role.name)
        self._revoke_where(lambda t: role in t.roles)
        return role

    # -- projects and users -------------------------------------------------------------
    def create_project(self, name: str, *, description: str = "",
                       domain_id: str = DEFAULT_DOMAIN_ID, enabled: bool = True) -> Project:
        self._domain(domain_id)
        if any(p.name == name and p.domain_id == domain_id for p in self._projects.values()):
            raise KeystoneError.conflict("project", name, domain_id)
        project = Project(_hex_id(self._rng), name, domain_id, description, enabled)
        self._projects[project.id] = project
        return project

    def update_project(self, ref: str, **changes: Any) -> Project:
        """Change a project's ``name``, ``description`` or ``enabled``."""
        old = self._project(ref)
        name = changes.get("name", old.name)
        if name != old.name and any(p.name == name and p.domain_id == old.domain_id
                                    for p in self._projects.values()):
            raise KeystoneError.conflict("project", name, old.domain_id)
        new = Project(old.id, name, old.domain_id,
                      changes.get("description", old.description),
                      changes.get("enabled", old.enabled))
        self._projects[old.id] = new
        if not new.enabled:
            self._revoke_where(lambda t: t.project.id == old.id)
        return new

    def delete_project(self, ref: str) -> Project:
        """Delete a project with its role assignments; its tokens are revoked."""
        project = self._project(ref)
        del self._projects[project.id]
        for key in [k for k in self._grants if k[1] == project.id]:
            del self._grants[key]
        self._revoke_where(lambda t: t.project.id == project.id)
        return project

    def create_user(self, name: str, *, password: str | None = DEFAULT_PASSWORD,
                    default_project: str | None = None, domain_id: str = DEFAULT_DOMAIN_ID,
                    enabled: bool = True, email: str | None = None,
                    description: str | None = None) -> User:
        self._domain(domain_id)
        if any(u.name == name and u.domain_id == domain_id for u in self._users.values()):
            raise KeystoneError.conflict("user", name, domain_id)
        project_id = None if default_project is None else self._project(default_project).id
        user = User(_hex_id(self._rng), name, password, domain_id, project_id, enabled,
                    email, description)
        self._users[user.id] = user
        return user

    def update_user(self, ref: str, **changes: Any) -> User:
        """Change ``name``, ``password``, ``default_project_id``, ``enabled``,
        ``email`` or ``description``.  A new password or disabling revokes the
        user's tokens, as Keystone does."""
        old = self._user(ref)
        name = changes.get("name", old.name)
        if name != old.name and any(u.name == name and u.domain_id == old.domain_id
                                    for u in self._users.values()):
            raise KeystoneError.conflict("user", name, old.domain_id)
        new = User(old.id, name, changes.get("password", old.password), old.domain_id,
                   changes.get("default_project_id", old.default_project_id),
                   changes.get("enabled", old.enabled), changes.get("email", old.email),
                   changes.get("description", old.description))
        self._users[old.id] = new
        if new.password != old.password or not new.enabled:
            self._revoke_where(lambda t: t.user.id == old.id)
        return new

    def delete_user(self, ref: str) -> User:
        """Delete a user with its role assignments; its tokens are revoked."""
        user = self._user(ref)
        del self._users[user.id]
        for key in [k for k in self._grants if k[0] == user.id]:
            del self._grants[key]
        self._revoke_where(lambda t: t.user.id == user.id)
        return user

    @property
    def domains(self) -> tuple[Domain, ...]:
        return tuple(self._domains.values())

    @property
    def projects(self) -> tuple[Project, ...]:
        return tuple(self._projects.values())

    @property
    def users(self) -> tuple[User, ...]:
        return tuple(self._users.values())

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self._roles.values())

    def find_domain(self, ref: str) -> Domain | None:
        """A domain by id, else by name."""
        if ref in self._domains:
            return self._domains[ref]
        return next((d for d in self._domains.values() if d.name == ref), None)

    def find_project(self, ref: str) -> Project | None:
        """A project by id, else by name."""
        if ref in self._projects:
            return self._projects[ref]
        return next((p for p in self._projects.values() if p.name == ref), None)

    def has_project(self, project_id: str) -> bool:
        """``GET /v3/projects/{id}`` answers 200 (what Nova's ``verify_project_id`` asks)."""
        return project_id in self._projects

    def find_user(self, ref: str) -> User | None:
        """A user by id, else by name."""
        if ref in self._users:
            return self._users[ref]
        return next((u for u in self._users.values() if u.name == ref), None)

    def _domain(self, ref: str) -> Domain:
        domain = self.find_domain(ref)
        if domain is None:
            raise KeystoneError.not_found("domain", ref)
        return domain

    def _project(self, ref: str) -> Project:
        project = self.find_project(ref)
        if project is None:
            raise KeystoneError.not_found("project", ref)
        return project

    def _user(self, ref: str) -> User:
        user = self.find_user(ref)
        if user is None:
            raise KeystoneError.not_found("user", ref)
        return user

    def _role(self, ref: str) -> Role:
        role = self.find_role(ref)
        if role is None:
            raise KeystoneError.not_found("role", ref)
        return role

    # -- role assignments -------------------------------------------------------------
    def grant(self, user: str, project: str, role: str) -> bool:
        """Assign *role* to *user* on *project* (names or ids); False if it was already."""
        r = self._role(role)
        key = (self._user(user).id, self._project(project).id)
        roles = self._grants.setdefault(key, [])
        if r.name in roles:
            return False
        roles.append(r.name)
        return True

    def has_grant(self, user: str, project: str, role: str) -> bool:
        """Whether *role* is assigned directly (``HEAD .../roles/{role}``)."""
        r = self._role(role)
        key = (self._user(user).id, self._project(project).id)
        return r.name in self._grants.get(key, ())

    def ungrant(self, user: str, project: str, role: str) -> None:
        """Remove a direct assignment (404 ``RoleAssignmentNotFound`` if there is
        none); the user's tokens on that project are revoked."""
        r, u, p = self._role(role), self._user(user), self._project(project)
        roles = self._grants.get((u.id, p.id), [])
        if r.name not in roles:
            raise KeystoneError(404, f"Could not find role assignment with role: {r.id}, "
                                     f"user or group: {u.id}, project, domain, or system: "
                                     f"{p.id}.")
        roles.remove(r.name)
        self._revoke_where(lambda t: t.user.id == u.id and t.project.id == p.id)

    def assignments(self, *, effective: bool = False) -> Iterator[Assignment]:
        """Every role assignment, in assignment order; with *effective*, implied
        roles are listed too (as ``GET /role_assignments?effective``)."""
        for (user_id, project_id), names in self._grants.items():
            if effective:
                for role in self.effective_roles(user_id, project_id):
                    yield user_id, project_id, role.id
            else:
                for name in names:
                    yield user_id, project_id, self._roles[name].id

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
                    now: float | None = None, methods: tuple[str, ...] = ("password",),
                    derive_from: str | None = None) -> str:
        """A project-scoped token (``POST /v3/auth/tokens``) for *user* on *project*.

        *user* and *project* are names or ids.  With a *password* it must match;
        ``None`` means the simulation vouches for the user (an internal login).
        Bad credentials, a disabled user or project, or no role on the project are
        401, as in Keystone.  With *now*, the token expires ``token_expiration``
        seconds later.  With *derive_from*, the token string is derived from it
        instead of drawn from the rng: for looks the simulation takes outside the
        run (the serve banner), which must not shift the seed's ids.
        """
        u = self.find_user(user)
        p = self.find_project(project)
        if u is None or p is None or (password is not None and password != u.password):
            raise Unauthorized()
        if not (u.enabled and p.enabled):
            raise Unauthorized()
        roles = self.effective_roles(u.id, p.id)
        if not roles:
            raise Unauthorized()
        token = (self._new_token() if derive_from is None
                 else "gAAAAAB" + _derived_id("token", derive_from, u.id, p.id))
        expires = None if now is None else now + self.token_expiration
        is_admin_project = (self.admin_project_name is None
                            or p.name == self.admin_project_name)
        self._tokens[token] = TokenInfo(token, u, p, roles, now, expires, is_admin_project,
                                        methods)
        self._contexts.pop(token, None)  # a token derived again: its new record's context
        self._eternal.pop(token, None)
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
        try:
            context = self._eternal.get(token)  # type: ignore[arg-type]
        except TypeError:  # not a string: token_info refuses it
            context = None
        if context is not None:
            return context  # a live token (revoke forgets its context) that never expires
        info = self.token_info(token, now=now)
        context = self._contexts.get(info.token)
        if context is not None:
            return context  # unexpired: the same TokenInfo (issue forgets a reused token's)
        names = tuple(r.name for r in info.roles)
        context = RequestContext(
            user_id=info.user.id, project_id=info.project.id, roles=names,
            is_admin="admin" in names, auth_token=info.token,
            project_name=info.project.name, user_name=info.user.name,
            is_admin_project=info.is_admin_project,
            user_domain_id=info.user.domain_id, project_domain_id=info.project.domain_id)
        (self._eternal if info.expires_at is None else self._contexts)[info.token] = context
        return context

    @property
    def token_count(self) -> int:
        """Tokens issued and not revoked (expired ones included)."""
        return len(self._tokens)

    def revoke(self, token: str) -> None:
        """``DELETE /v3/auth/tokens``: the token stops validating."""
        self._tokens.pop(token, None)
        self._contexts.pop(token, None)
        self._eternal.pop(token, None)

    def _revoke_where(self, doomed: Callable[[TokenInfo], bool]) -> int:
        """Revoke every token *doomed* picks (Keystone's revocation events)."""
        tokens = [t for t, info in self._tokens.items() if doomed(info)]
        for token in tokens:
            self.revoke(token)
        return len(tokens)


def _derived_id(*parts: str) -> str:
    """An id fixed by earlier ids, not drawn from the rng: roles added to the
    bootstrap after the fact must not shift the ids a seed gives to everything
    else (volumes, tokens, the golden traces)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def default_cloud(rng: random.Random, *, admin_project_name: str | None = None,
                  token_expiration: float = DEFAULT_TOKEN_EXPIRATION,
                  clock: Callable[[], float] | None = None) -> IdentityStore:
    """The devstack-like default identity.

    Project ``admin`` with user ``admin`` holding ``admin``; projects ``demo``
    and ``alt_demo``, each with a user of the same name holding ``member``.
    Every password is :data:`DEFAULT_PASSWORD` (``secret``).  Ids are drawn in
    this order: roles (admin, member, reader), projects (admin, demo, alt_demo),
    users (admin, demo, alt_demo).  The ``service`` role devstack adds gets an
    id derived from the admin role's (see :func:`_derived_id`).
    """
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
    admin_role = store.find_role("admin")
    assert admin_role is not None
    store.create_role("service", role_id=_derived_id(admin_role.id, "service"))
    return store
