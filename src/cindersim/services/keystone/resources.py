"""``/v3/projects``, ``/v3/users`` and ``/v3/domains``: Keystone's resource API.

Each handler checks, in Keystone's order: the caller's token (401), the policy
(403, :mod:`.policy`), the body (400), then the objects named (404) and name
uniqueness (409).  Only the ``Default`` domain exists, and this Keystone
keeps it that way: creating, updating or deleting a domain is refused with
``ForbiddenAction`` (403), even for an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api.wsgi import ApiResponse
from .http import (
    Call,
    domain_view,
    listing,
    name_field,
    optional_field,
    project_view,
    user_view,
)
from .identity import IdentityStore
from .policy import enforce
from .records import DEFAULT_DOMAIN_ID, KeystoneError, Project, User

__all__ = ["Notify", "domains", "not_allowed", "project_by_id", "projects", "user_by_id", "users"]

Notify = Callable[[str, str, dict[str, Any]], None]
"""``(kind, summary, detail)``: record an identity change in the trace."""


def _domain_id(identity: IdentityStore, value: Any) -> str:
    if value is ... or value is None:
        return DEFAULT_DOMAIN_ID
    domain = identity.find_domain(value)
    if domain is None or domain.id != value:
        raise KeystoneError.not_found("domain", str(value))
    return domain.id


def _matches(call: Call, record: Any, fields: tuple[str, ...]) -> bool:
    """Keystone's list filters: exact match on each given attribute."""
    for field in fields:
        wanted = call.query.get(field)
        if wanted is None:
            continue
        value = getattr(record, field)
        if isinstance(value, bool):
            if value != call.flag(field):
                return False
        elif str(value) != wanted:
            return False
    return True


# --- domains ---------------------------------------------------------------------------
def domains(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    caller = call.caller()
    if len(call.parts) == 1:
        if call.method == "GET":
            enforce("identity:list_domains", caller, {})
            return listing(call, "domains", [
                domain_view(call, d) for d in identity.domains
                if _matches(call, d, ("name", "enabled"))])
        if call.method == "POST":
            enforce("identity:create_domain", caller, {})
            raise KeystoneError.forbidden("identity:create_domain")
        raise not_allowed()
    domain_id = call.parts[1]
    if len(call.parts) == 2 and call.method in {"GET", "HEAD"}:
        enforce("identity:get_domain", caller, {"domain_id": domain_id})
        domain = identity.find_domain(domain_id)
        if domain is None or domain.id != domain_id:
            raise KeystoneError.not_found("domain", domain_id)
        return ApiResponse(200, {"domain": domain_view(call, domain)})
    if len(call.parts) == 2 and call.method in {"PATCH", "DELETE"}:
        action = "update_domain" if call.method == "PATCH" else "delete_domain"
        enforce(f"identity:{action}", caller, {})
        # The default domain is the only one and holds everything: Keystone refuses
        # to delete an enabled domain (400) and so does this one, always.
        raise KeystoneError.forbidden(f"identity:{action}")
    raise KeystoneError(404, "The resource could not be found.")


# --- projects --------------------------------------------------------------------------
def projects(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    caller = call.caller()
    if len(call.parts) == 1:
        if call.method in {"GET", "HEAD"}:
            enforce("identity:list_projects", caller, {})
            return listing(call, "projects", [
                project_view(call, p) for p in identity.projects
                if _matches(call, p, ("name", "domain_id", "enabled"))
                and call.query.get("parent_id") in (None, p.domain_id)
                and not call.flag("is_domain")])
        if call.method == "POST":
            enforce("identity:create_project", caller, {})
            return _create_project(call, identity, notify)
        raise not_allowed()
    project_id = call.parts[1]
    if len(call.parts) == 2:
        if call.method in {"GET", "HEAD"}:
            enforce("identity:get_project", caller, {"project_id": project_id})
            return ApiResponse(200, {"project": project_view(call, project_by_id(identity,
                                                                            project_id))})
        if call.method == "PATCH":
            enforce("identity:update_project", caller, {})
            return _update_project(call, identity, project_id)
        if call.method == "DELETE":
            enforce("identity:delete_project", caller, {})
            project = project_by_id(identity, project_id)
            identity.delete_project(project.id)
            notify("identity.project.delete", f"project {project.name} deleted",
                   {"project": project.name, "project_id": project.id})
            return ApiResponse(204)
        raise not_allowed()
    raise KeystoneError(404, "The resource could not be found.")


def project_by_id(identity: IdentityStore, project_id: str) -> Project:
    project = identity.find_project(project_id)
    if project is None or project.id != project_id:  # by id only, as Keystone's API
        raise KeystoneError.not_found("project", project_id)
    return project


def _create_project(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    body = call.body("project")
    name = name_field(body, required=True)
    description = optional_field(body, "description", str)
    enabled = optional_field(body, "enabled", bool, nullable=False)
    optional_field(body, "is_domain", bool, nullable=False)
    parent_id = optional_field(body, "parent_id", str)
    domain_id = _domain_id(identity, optional_field(body, "domain_id", str))
    if body.get("is_domain") is True:
        raise KeystoneError.forbidden("identity:create_domain")
    if parent_id not in (..., None, domain_id):
        # Project hierarchies (parent projects) are not modelled.
        project_by_id(identity, parent_id)
        raise KeystoneError.bad_request(
            "Invalid input for field 'parent_id': nested projects are not supported "
            "by this Keystone")
    project = identity.create_project(
        name, description="" if description in (..., None) else description,
        domain_id=domain_id, enabled=True if enabled is ... else enabled)
    notify("identity.project.create", f"project {project.name} created",
           {"project": project.name, "project_id": project.id})
    return ApiResponse(201, {"project": project_view(call, project)})


def _update_project(call: Call, identity: IdentityStore, project_id: str) -> ApiResponse:
    body = call.body("project")
    changes: dict[str, Any] = {}
    name = name_field(body, required=False)
    if name is not None:
        changes["name"] = name
    for key, kind in (("description", str), ("enabled", bool)):
        value = optional_field(body, key, kind, nullable=key == "description")
        if value is not ...:
            changes[key] = "" if value is None else value
    project = project_by_id(identity, project_id)
    if "domain_id" in body and body["domain_id"] != project.domain_id:
        raise KeystoneError.bad_request("Cannot change Domain ID")
    return ApiResponse(200, {"project": project_view(
        call, identity.update_project(project.id, **changes))})


# --- users -------------------------------------------------------------------------------
def users(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    caller = call.caller()
    if len(call.parts) == 1:
        if call.method in {"GET", "HEAD"}:
            enforce("identity:list_users", caller, {})
            return listing(call, "users", [
                user_view(call, u) for u in identity.users
                if _matches(call, u, ("name", "domain_id", "enabled"))])
        if call.method == "POST":
            enforce("identity:create_user", caller, {})
            return _create_user(call, identity, notify)
        raise not_allowed()
    user_id = call.parts[1]
    rest = call.parts[2:]
    if rest == ("projects",) and call.method in {"GET", "HEAD"}:
        enforce("identity:list_user_projects", caller, {"user_id": user_id})
        user = user_by_id(identity, user_id)
        return listing(call, "projects", [
            project_view(call, p) for p in identity.projects
            if identity.effective_roles(user.id, p.id)])
    if rest == ("password",) and call.method == "POST":
        return _change_password(call, identity, user_id)
    if rest:
        raise KeystoneError(404, "The resource could not be found.")
    if call.method in {"GET", "HEAD"}:
        enforce("identity:get_user", caller, {"user_id": user_id})
        return ApiResponse(200, {"user": user_view(call, user_by_id(identity, user_id))})
    if call.method == "PATCH":
        enforce("identity:update_user", caller, {})
        return _update_user(call, identity, user_id)
    if call.method == "DELETE":
        enforce("identity:delete_user", caller, {})
        user = user_by_id(identity, user_id)
        identity.delete_user(user.id)
        notify("identity.user.delete", f"user {user.name} deleted",
               {"user": user.name, "user_id": user.id})
        return ApiResponse(204)
    raise not_allowed()


def user_by_id(identity: IdentityStore, user_id: str) -> User:
    user = identity.find_user(user_id)
    if user is None or user.id != user_id:
        raise KeystoneError.not_found("user", user_id)
    return user


def _user_fields(body: dict[str, Any], identity: IdentityStore) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, kind in (("password", str), ("email", str), ("description", str),
                      ("default_project_id", str), ("enabled", bool)):
        value = optional_field(body, key, kind, nullable=key != "enabled")
        if value is not ...:
            fields[key] = value
    project_id = fields.get("default_project_id")
    if project_id is not None:
        project_by_id(identity, project_id)
    return fields


def _create_user(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    body = call.body("user")
    name = name_field(body, required=True, max_length=255)
    fields = _user_fields(body, identity)
    domain_id = _domain_id(identity, optional_field(body, "domain_id", str))
    user = identity.create_user(
        name, password=fields.get("password"), default_project=fields.get(
            "default_project_id"), domain_id=domain_id, enabled=fields.get("enabled", True),
        email=fields.get("email"), description=fields.get("description"))
    notify("identity.user.create", f"user {user.name} created",
           {"user": user.name, "user_id": user.id})
    return ApiResponse(201, {"user": user_view(call, user)})


def _update_user(call: Call, identity: IdentityStore, user_id: str) -> ApiResponse:
    body = call.body("user")
    changes = _user_fields(body, identity)
    name = name_field(body, required=False, max_length=255)
    if name is not None:
        changes["name"] = name
    user = user_by_id(identity, user_id)
    if "domain_id" in body and body["domain_id"] != user.domain_id:
        raise KeystoneError.bad_request("Cannot change Domain ID")
    return ApiResponse(200, {"user": user_view(call, identity.update_user(user.id,
                                                                          **changes))})


def _change_password(call: Call, identity: IdentityStore, user_id: str) -> ApiResponse:
    """``POST /v3/users/{id}/password``: the user's own call, authenticated by the
    original password rather than by policy (Keystone's ``change_password``)."""
    body = call.body("user")
    for key in ("password", "original_password"):
        if not isinstance(body.get(key), str):
            raise KeystoneError.bad_request(f"'{key}' is a required property")
    user = identity.find_user(user_id)
    if user is None or user.id != user_id or user.password != body["original_password"]:
        raise KeystoneError.unauthorized()
    identity.update_user(user.id, password=body["password"])
    return ApiResponse(204)


def not_allowed() -> KeystoneError:
    return KeystoneError(405, "The method specified is not allowed for this resource.")
