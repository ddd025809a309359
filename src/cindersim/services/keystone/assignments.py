"""``/v3/roles``, grants and ``/v3/role_assignments``.

* ``GET/POST /roles``, ``GET/PATCH/DELETE /roles/{id}``: admin only.
  ``?name=`` filters the list (openstackclient finds a role by name that way).
* ``PUT/HEAD/GET/DELETE /projects/{p}/users/{u}/roles/{r}``: a grant; 204 for
  each (``HEAD``/``GET`` 404 when the role is not assigned), admin only.
  ``GET /projects/{p}/users/{u}/roles`` lists the directly assigned roles.
* ``GET /role_assignments`` with ``user.id``, ``role.id``, ``scope.project.id``,
  ``group.id``, ``scope.domain.id``, ``scope.system``, ``effective`` and
  ``include_names``; groups and domain or system grants are not modelled, so
  filtering on them lists nothing.
"""

from __future__ import annotations

from typing import Any

from ..api.wsgi import ApiResponse
from .http import Call, domain_ref, listing, name_field, optional_field, role_view
from .identity import IdentityStore
from .policy import enforce
from .records import KeystoneError, Role
from .resources import Notify, not_allowed, project_by_id, user_by_id

__all__ = ["grants", "role_assignments", "roles"]


def roles(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    caller = call.caller()
    if len(call.parts) == 1:
        if call.method in {"GET", "HEAD"}:
            enforce("identity:list_roles", caller, {})
            name = call.query.get("name")
            return listing(call, "roles", [role_view(call, r) for r in identity.roles
                                           if name is None or r.name == name])
        if call.method == "POST":
            enforce("identity:create_role", caller, {})
            body = call.body("role")
            role_name = name_field(body, required=True, max_length=255)
            description = optional_field(body, "description", str)
            role = identity.create_role(
                role_name, description=None if description is ... else description)
            notify("identity.role.create", f"role {role.name} created",
                   {"role": role.name, "role_id": role.id})
            return ApiResponse(201, {"role": role_view(call, role)})
        raise not_allowed()
    if len(call.parts) != 2:
        raise KeystoneError(404, "The resource could not be found.")
    role_id = call.parts[1]
    if call.method in {"GET", "HEAD"}:
        enforce("identity:get_role", caller, {})
        return ApiResponse(200, {"role": role_view(call, _role(identity, role_id))})
    if call.method == "DELETE":
        enforce("identity:delete_role", caller, {})
        role = _role(identity, role_id)
        identity.delete_role(role.id)
        notify("identity.role.delete", f"role {role.name} deleted",
               {"role": role.name, "role_id": role.id})
        return ApiResponse(204)
    if call.method == "PATCH":
        enforce("identity:update_role", caller, {})
        role = _role(identity, role_id)
        body = call.body("role")
        if name_field(body, required=False, max_length=255) not in (None, role.name):
            # Renaming would change what every policy's role:<name> check means.
            raise KeystoneError.bad_request("Invalid input for field 'name': renaming a "
                                            "role is not supported by this Keystone")
        return ApiResponse(200, {"role": role_view(call, role)})
    raise not_allowed()


def _role(identity: IdentityStore, role_id: str) -> Role:
    role = identity.find_role(role_id)
    if role is None or role.id != role_id:
        raise KeystoneError.not_found("role", role_id)
    return role


def grants(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    """``/projects/{p}/users/{u}/roles[/{r}]``."""
    caller = call.caller()
    project_id, user_id = call.parts[1], call.parts[3]
    if len(call.parts) == 5:
        if call.method not in {"GET", "HEAD"}:
            raise not_allowed()
        enforce("identity:list_grants", caller, {})
        project, user = project_by_id(identity, project_id), user_by_id(identity, user_id)
        held = {r for _u, _p, r in identity.assignments()
                if (_u, _p) == (user.id, project.id)}
        return listing(call, "roles", [role_view(call, r) for r in identity.roles
                                       if r.id in held])
    role_id = call.parts[5]
    action = {"PUT": "create_grant", "HEAD": "check_grant", "GET": "check_grant",
              "DELETE": "revoke_grant"}.get(call.method)
    if action is None:
        raise not_allowed()
    enforce(f"identity:{action}", caller, {})
    project, user = project_by_id(identity, project_id), user_by_id(identity, user_id)
    role = _role(identity, role_id)
    if call.method == "PUT":
        if identity.grant(user.id, project.id, role.id):
            notify("identity.grant", f"role {role.name} granted to {user.name} on "
                                     f"project {project.name}",
                   {"user": user.name, "project": project.name, "role": role.name})
        return ApiResponse(204)
    if call.method == "DELETE":
        identity.ungrant(user.id, project.id, role.id)
        notify("identity.revoke_grant", f"role {role.name} removed from {user.name} on "
                                        f"project {project.name}",
               {"user": user.name, "project": project.name, "role": role.name})
        return ApiResponse(204)
    if not identity.has_grant(user.id, project.id, role.id):
        raise KeystoneError(404, f"Could not find role assignment with role: {role.id}, "
                                 f"user or group: {user.id}, project, domain, or system: "
                                 f"{project.id}.")
    return ApiResponse(204)


def role_assignments(call: Call, identity: IdentityStore, notify: Notify) -> ApiResponse:
    """``GET /v3/role_assignments`` (``identity:list_role_assignments``)."""
    caller = call.caller()
    if len(call.parts) != 1:
        raise KeystoneError(404, "The resource could not be found.")
    if call.method not in {"GET", "HEAD"}:
        raise not_allowed()
    enforce("identity:list_role_assignments", caller, {})
    q = call.query
    if "scope.project.id" in q and "scope.domain.id" in q:
        raise KeystoneError.bad_request(
            "Specify a domain or project, not both")
    names = call.flag("include_names")
    if any(k in q for k in ("group.id", "scope.domain.id", "scope.system")):
        return listing(call, "role_assignments", [])  # none such here
    items = []
    for user_id, project_id, role_id in identity.assignments(effective=call.flag("effective")):
        if q.get("user.id") not in (None, user_id) or q.get("role.id") not in (None, role_id):
            continue
        if q.get("scope.project.id") not in (None, project_id):
            continue
        items.append(_assignment_view(call, identity, user_id, project_id, role_id, names))
    return listing(call, "role_assignments", items)


def _assignment_view(call: Call, identity: IdentityStore, user_id: str, project_id: str,
                     role_id: str, names: bool) -> dict[str, Any]:
    role: dict[str, Any] = {"id": role_id}
    user: dict[str, Any] = {"id": user_id}
    project: dict[str, Any] = {"id": project_id}
    if names:
        r, u, p = (identity.find_role(role_id), identity.find_user(user_id),
                   identity.find_project(project_id))
        if r is not None:
            role["name"] = r.name
        if u is not None:
            user.update(name=u.name, domain=domain_ref(u.domain_id))
        if p is not None:
            project.update(name=p.name, domain=domain_ref(p.domain_id))
    return {"role": role, "user": user, "scope": {"project": project},
            "links": {"assignment": call.url("projects", project_id, "users", user_id,
                                             "roles", role_id)}}
