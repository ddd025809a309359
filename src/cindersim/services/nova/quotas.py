"""``/os-quota-sets`` and ``/limits`` (``quota_sets.py``, ``limits.py``, ``views/limits.py``).

Nova's legacy (database) quota driver with its defaults (``nova/conf/quota.py``):
``GET /os-quota-sets/{project}`` (the project's reader or an admin),
``/os-quota-sets/{project}/defaults`` and ``/detail`` (``in_use``/``reserved``),
``PUT`` and ``DELETE`` (admin only; ``DELETE`` answers 202).  From 2.36 the
nova-network quotas are left out of responses, from 2.57 the injected-file ones.
``GET /limits``'s ``absolute`` part maps them to ``maxTotal*`` names plus the
``total*Used`` counts.  Usage counts the project's live instances, their vCPUs
and RAM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.wsgi import ApiResponse
from .model import NovaError, bad_request, forbidden
from .wsgi import NovaRequest, not_allowed

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["DEFAULTS", "limits", "quota_sets"]

DEFAULTS: dict[str, int] = {
    "cores": 20, "fixed_ips": -1, "floating_ips": 10, "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255, "injected_files": 5, "instances": 10, "key_pairs": 100,
    "metadata_items": 128, "ram": 51200, "security_group_rules": 20, "security_groups": 10,
    "server_group_members": 10, "server_groups": 10,
}
"""In Nova's order (``QUOTAS.resources`` is sorted by name)."""

_FILTERED_236 = ("fixed_ips", "floating_ips", "security_group_rules", "security_groups")
_FILTERED_257 = (*_FILTERED_236, "injected_files", "injected_file_content_bytes",
                 "injected_file_path_bytes")
_LIMIT_NAMES = {
    "ram": ("maxTotalRAMSize",), "instances": ("maxTotalInstances",),
    "cores": ("maxTotalCores",), "key_pairs": ("maxTotalKeypairs",),
    "floating_ips": ("maxTotalFloatingIps",),
    "metadata_items": ("maxServerMeta", "maxImageMeta"),
    "injected_files": ("maxPersonality",),
    "injected_file_content_bytes": ("maxPersonalitySize",),
    "security_groups": ("maxSecurityGroups",),
    "security_group_rules": ("maxSecurityGroupRules",),
    "server_groups": ("maxServerGroups",), "server_group_members": ("maxServerGroupMembers",),
}
_USED = (("totalRAMUsed", "ram"), ("totalCoresUsed", "cores"),
         ("totalInstancesUsed", "instances"), ("totalFloatingIpsUsed", "floating_ips"),
         ("totalSecurityGroupsUsed", "security_groups"),
         ("totalServerGroupsUsed", "server_groups"))


def _filtered(req: NovaRequest) -> tuple[str, ...]:
    if req.at_least(2, 57):
        return _FILTERED_257
    if req.at_least(2, 36):
        return _FILTERED_236
    return ()


def _limits_of(api: NovaApi, project_id: str) -> dict[str, int]:
    return {**DEFAULTS, **api.nova.quota_overrides.get(project_id, {})}


def _usage_of(api: NovaApi, project_id: str) -> dict[str, int]:
    mine = [i for i in api.nova.instances.values() if i.project_id == project_id]
    return {"instances": len(mine), "cores": sum(i.flavor.vcpus for i in mine),
            "ram": sum(i.flavor.ram for i in mine)}


def _verify_project(api: NovaApi, project_id: str) -> None:
    """``identity.verify_project_id``: Keystone must know the project (400 if not)."""
    if not api.nova.identity.has_project(project_id):
        raise bad_request(f"Project ID {project_id} is not a valid project.")


def _deny(rule: str) -> NovaError:
    return forbidden(f"Policy doesn't allow os_compute_api:os-quota-sets:{rule} to be "
                     "performed.")


def quota_sets(api: NovaApi, method: str, rest: list[str], req: NovaRequest) -> ApiResponse:
    """``/os-quota-sets/{project_id}[/defaults|/detail]``."""
    if not rest or len(rest) > 2:
        return ApiResponse(404, {"itemNotFound": {"code": 404, "message":
                                                  "The resource could not be found."}})
    project_id = rest[0]
    sub = rest[1] if len(rest) == 2 else None
    ctx = req.ctx
    hidden = _filtered(req)
    if sub == "defaults":
        if method != "GET":
            return not_allowed()
        _verify_project(api, project_id)
        return ApiResponse(200, {"quota_set": {"id": project_id, **{
            k: v for k, v in DEFAULTS.items() if k not in hidden}}})
    if sub not in (None, "detail"):
        return ApiResponse(404, {"itemNotFound": {"code": 404, "message":
                                                  "The resource could not be found."}})
    if method == "GET":
        if not ctx.is_admin and ctx.project_id != project_id:
            raise _deny("detail" if sub else "show")
        _verify_project(api, project_id)
        limits_ = _limits_of(api, project_id)
        if sub == "detail":
            used = _usage_of(api, project_id)
            return ApiResponse(200, {"quota_set": {"id": project_id, **{
                k: {"limit": v, "in_use": used.get(k, 0), "reserved": 0}
                for k, v in limits_.items() if k not in hidden}}})
        return ApiResponse(200, {"quota_set": {"id": project_id, **{
            k: v for k, v in limits_.items() if k not in hidden}}})
    if sub is not None:
        return not_allowed()
    if method == "PUT":
        if not ctx.is_admin:
            raise _deny("update")
        _verify_project(api, project_id)
        return _update(api, req, project_id, hidden)
    if method == "DELETE":
        if not ctx.is_admin:
            raise _deny("delete")
        api.nova.quota_overrides.pop(project_id, None)
        return ApiResponse(202, None)
    return not_allowed()


def _update(api: NovaApi, req: NovaRequest, project_id: str,
            hidden: tuple[str, ...]) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or not isinstance(body.get("quota_set"), dict):
        raise bad_request(f"Invalid input for field/attribute quota_set. Value: {body}. "
                          "'quota_set' is a required property")
    spec: dict[str, Any] = body["quota_set"]
    force = str(spec.get("force", "False")).lower() in ("true", "1", "yes", "on", "y", "t")
    used = _usage_of(api, project_id)
    valid: dict[str, int] = {}
    for key, value in spec.items():
        if key == "force":
            continue
        if key not in DEFAULTS or key in hidden:
            raise bad_request(f"Invalid input for field/attribute quota_set. Value: {spec}. "
                              f"Additional properties are not allowed ('{key}' was "
                              "unexpected)")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or \
                not str(value).lstrip("-").isdigit():
            raise bad_request(f"Invalid input for field/attribute {key}. Value: {value}. "
                              f"{value!r} is not of type 'integer', 'string'")
        limit = int(value)
        if limit < -1 or limit > 0x7FFFFFFF:
            bound = "less than the minimum of -1" if limit < -1 else \
                "greater than the maximum of 2147483647"
            raise bad_request(f"Invalid input for field/attribute {key}. Value: {value}. "
                              f"{limit} is {bound}")
        if not force and limit != -1 and limit < used.get(key, 0):
            raise bad_request(f"Quota limit {limit} for {key} must be greater than or equal "
                              f"to already used and reserved {used.get(key, 0)}.")
        valid[key] = limit
    api.nova.quota_overrides.setdefault(project_id, {}).update(valid)
    return ApiResponse(200, {"quota_set": {
        k: v for k, v in _limits_of(api, project_id).items() if k not in hidden}})


def limits(api: NovaApi, method: str, req: NovaRequest) -> ApiResponse:
    """``GET /limits``: the absolute limits and usage (rate limits are gone: ``[]``)."""
    if method != "GET":
        return not_allowed()
    project_id = req.ctx.project_id
    if "tenant_id=" in req.query:
        for pair in req.query.split("&"):
            key, _, wanted = pair.partition("=")
            if key == "tenant_id" and wanted:
                if not req.ctx.is_admin and wanted != project_id:
                    raise forbidden("Policy doesn't allow os_compute_api:limits:"
                                    "other_project to be performed.")
                project_id = wanted
    hidden = _filtered(req)
    quotas = _limits_of(api, project_id)
    used = _usage_of(api, project_id)
    absolute: dict[str, int] = {}
    for name, limit in quotas.items():
        if name in hidden or name not in _LIMIT_NAMES:
            continue
        for shown in _LIMIT_NAMES[name]:
            if shown == "maxImageMeta" and req.at_least(2, 39):
                continue
            absolute[shown] = limit
    for shown, name in _USED:
        if name not in hidden:
            absolute[shown] = used.get(name, 0)
    return ApiResponse(200, {"limits": {"rate": [], "absolute": absolute}})
