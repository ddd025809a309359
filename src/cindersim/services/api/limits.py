"""``GET /limits``: absolute limits and usage (``cinder/api/v3/limits.py``,
``cinder/api/views/limits.py``, ``cinder/api/contrib/used_limits.py``).

Answer: 200 ``{"limits": {"rate": [], "absolute": {...}}}``.  Cinder has no rate
limiting middleware any more, so ``rate`` is always empty.  ``absolute`` holds
the caller's project limits under Nova-style names (``maxTotalVolumes``,
``maxTotalSnapshots``, ``maxTotalVolumeGigabytes``, ``maxTotalBackups``,
``maxTotalBackupGigabytes``) plus, from the used-limits extension, the
``in_use`` counts (``totalVolumesUsed``, ``totalGigabytesUsed``,
``totalSnapshotsUsed``, ``totalBackupsUsed``, ``totalBackupGigabytesUsed``).
Reservations are not counted as used.

From 3.39 an admin may ask about another project with ``?project_id=``; below
3.39, or for non-admins, the parameter is ignored.  The used-limits part is
a soft policy check (``limits_extension:used_limits``): when refused, the
``total*Used`` keys are simply left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import PolicyNotAuthorized
from .common import admin, enforce
from .router import route
from .wsgi import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["ABSOLUTE_NAMES", "USED_NAMES", "index"]

ABSOLUTE_NAMES: dict[str, str] = {
    "gigabytes": "maxTotalVolumeGigabytes",
    "backup_gigabytes": "maxTotalBackupGigabytes",
    "volumes": "maxTotalVolumes",
    "snapshots": "maxTotalSnapshots",
    "backups": "maxTotalBackups",
}
"""Quota resource -> absolute limit name (the limits view builder's table)."""

USED_NAMES: dict[str, str] = {
    "totalVolumesUsed": "volumes",
    "totalGigabytesUsed": "gigabytes",
    "totalSnapshotsUsed": "snapshots",
    "totalBackupsUsed": "backups",
    "totalBackupGigabytesUsed": "backup_gigabytes",
}
"""Used-limit name -> quota resource (``used_limits.py``'s ``quota_map``)."""


def _target_project(req: ApiRequest) -> str:
    project: str = req.context.project_id
    if req.at_least("3.39") and admin(req):
        project = req.q("project_id") or req.q("tenant_id") or project
    return project


@route("GET", "/limits")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    """Absolute limits of the caller's project (or, for an admin at 3.39+, ``project_id``)."""
    project = _target_project(req)
    usage = api.env.quota.usage(project)
    absolute: dict[str, Any] = {}
    for resource, name in ABSOLUTE_NAMES.items():
        if resource in usage:
            absolute[name] = usage[resource]["limit"]
    try:
        enforce(api, req, "limits_extension:used_limits")
    except PolicyNotAuthorized:
        pass  # a soft authorizer: no used limits, no error
    else:
        for name, resource in USED_NAMES.items():
            if resource in usage:
                absolute[name] = usage[resource]["in_use"]
    return ApiResponse(200, {"limits": {"rate": [], "absolute": absolute}})
