"""``/os-quota-sets``: a project's quota limits and usage (``cinder/api/contrib/quotas.py``).

Routes (all under ``/v3/{project_id}``, or bare ``/v3`` from 3.67):

* ``GET /os-quota-sets/{id}`` -> 200 ``{"quota_set": {"id": id, "volumes": 10, ...}}``
  with one key per resource: the fixed ones (volumes, snapshots, gigabytes,
  backups, backup_gigabytes, groups, per_volume_gigabytes) and, for every
  volume type, ``volumes_<t>``, ``gigabytes_<t>`` and ``snapshots_<t>``.
  ``?usage=true`` turns each value into ``{"limit", "in_use", "reserved"}``.
* ``GET /os-quota-sets/{id}/defaults`` -> 200, the configured defaults.
* ``PUT /os-quota-sets/{id}`` (admin) -> 200 ``{"quota_set": {...limits...}}``
  (no ``id`` key in Cinder's answer).
* ``DELETE /os-quota-sets/{id}`` (admin) -> 200 with an empty body: the project's
  overrides are dropped, so its limits are the defaults again; usage stays.

Facts of Cinder kept here:

* Reads use ``volume_extension:quotas:show`` (admin or a reader *of the target
  project*), so a member reading another project's quota gets 403; PUT and
  DELETE are ``admin_api``.
* PUT's JSON schema runs before the policy check (it is a decorator on the
  method): a body with unknown keys is 400 even for a member.  The schema's
  ``quota_set`` format checks each key in order: a value that is not an integer
  in [-1, 2147483647] fails at once (``oslo_utils.strutils.validate_integer``
  messages); unknown keys are reported together afterwards ("Bad key(s) in
  quota set: a, b").  ``id`` and ``tenant_id`` are accepted and ignored.
* A new limit below ``in_use + reserved`` is 400 ("Quota <key> limit must be
  equal or greater than existing resources. ..."), except -1 and
  ``per_volume_gigabytes``, which are never compared with usage.  Every key is
  checked before any is written, so a rejected PUT changes nothing.
* The project id is not checked against Keystone: Cinder answers the defaults
  for any id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import InvalidInput
from .common import enforce
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["defaults", "delete", "show", "update"]

ACTOR = "cinder-api"
NON_QUOTA_KEYS = ("tenant_id", "id")
MAX_INT = 2147483647
"""``cinder.db.MAX_INT``: the largest limit the schema accepts."""

_BOOL_STRINGS = ("1", "t", "true", "on", "y", "yes", "0", "f", "false", "off", "n", "no")


def _usage_param(req: ApiRequest) -> bool:
    """``utils.get_bool_param('usage', params)``: strict, 400 for anything else."""
    raw = req.q("usage")
    if raw is None:
        return False
    if raw.strip().lower() not in _BOOL_STRINGS:
        raise HTTPError(400, f"Value '{raw}' for 'usage' is not a boolean.")
    return raw.strip().lower() in _BOOL_STRINGS[:6]


def _validate_integer(value: Any, name: str) -> int:
    """``oslo_utils.strutils.validate_integer(value, name, -1, MAX_INT)``.

    It converts with ``int(str(value))``, so ``"5"`` is accepted while ``1.5``,
    ``"abc"`` and booleans (``"True"``) are not.
    """
    try:
        number = int(str(value))
    except ValueError:
        raise HTTPError(400, f"{name} must be an integer") from None
    if number < -1:
        raise HTTPError(400, f"{name} must be >= -1")
    if number > MAX_INT:
        raise HTTPError(400, f"{name} must be <= {MAX_INT}")
    return number


def _validate_body(api: ApiService, body: Any) -> dict[str, int]:
    """The ``update_quota`` schema with its ``quota_set`` format checker."""
    if not isinstance(body, dict) or "quota_set" not in body:
        raise HTTPError(400, "'quota_set' is a required property")
    extra = [k for k in body if k != "quota_set"]
    if extra:
        listed = ", ".join(f"'{k}'" for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")
    quota_set = body["quota_set"]
    if not isinstance(quota_set, dict):
        raise HTTPError(400, "Invalid input for field/attribute quota_set. Value: "
                             f"{quota_set!r}. {quota_set!r} is not of type 'object'")
    if not quota_set:
        raise HTTPError(400, "Invalid input for field/attribute quota_set. Value: {}. {} "
                             "does not have enough properties")
    known = set(api.env.quota.resources())
    bad: list[str] = []
    values: dict[str, int] = {}
    for key, value in quota_set.items():
        if key not in known and key not in NON_QUOTA_KEYS:
            bad.append(str(key))
            continue
        if key in NON_QUOTA_KEYS:
            continue
        values[key] = _validate_integer(value, key)
    if bad:
        raise InvalidInput(reason=f"Bad key(s) in quota set: {', '.join(bad)}")
    return values


def _check_id(target_id: str) -> None:
    """``/os-quota-sets/`` (an empty id) names no member: no such resource."""
    if not target_id:
        raise HTTPError(404, "The resource could not be found.")


def _limits(api: ApiService, project_id: str) -> dict[str, Any]:
    return dict(api.env.quota.limits(project_id))


@route("GET", "/os-quota-sets/{target_id}")
async def show(api: ApiService, req: ApiRequest, target_id: str) -> ApiResponse:
    """The project's limits, or with ``?usage=true`` its limits, in_use and reserved."""
    _check_id(target_id)
    enforce(api, req, "volume_extension:quotas:show", target_id)
    quota_set: dict[str, Any]
    if _usage_param(req):
        quota_set = {k: dict(v) for k, v in api.env.quota.usage(target_id).items()}
    else:
        quota_set = _limits(api, target_id)
    quota_set["id"] = target_id
    return ApiResponse(200, {"quota_set": quota_set})


@route("GET", "/os-quota-sets/{target_id}/defaults")
async def defaults(api: ApiService, req: ApiRequest, target_id: str) -> ApiResponse:
    """The configured defaults (``quota_<resource>`` options; per-type ones -1)."""
    enforce(api, req, "volume_extension:quotas:show", target_id)
    quota = api.env.quota
    quota_set: dict[str, Any] = {r: quota.default_limit(r) for r in quota.resources()}
    quota_set["id"] = target_id
    return ApiResponse(200, {"quota_set": quota_set})


@route("PUT", "/os-quota-sets/{target_id}")
async def update(api: ApiService, req: ApiRequest, target_id: str) -> ApiResponse:
    """Set limits (admin).  Schema, then policy, then every usage check, then write."""
    _check_id(target_id)
    values = _validate_body(api, req.body)
    enforce(api, req, "volume_extension:quotas:update", target_id)
    quota = api.env.quota
    usage = quota.usage(target_id)
    for key, value in values.items():
        if key == "per_volume_gigabytes" or value == -1:
            continue
        used = usage[key]["in_use"] + usage[key]["reserved"]
        if value < used:
            raise HTTPError(400, f"Quota {key} limit must be equal or greater than existing "
                                 f"resources. Current usage is {used} and the requested "
                                 f"limit is {value}.")
    quota.update_project(target_id, values)
    api.env.trace.emit("quota.update", ACTOR,
                         f"quota limits of project {target_id[:8]} set: "
                         + ", ".join(f"{k}={v}" for k, v in values.items()),
                         resource=f"project:{target_id}", limits=values)
    return ApiResponse(200, {"quota_set": _limits(api, target_id)})


@route("DELETE", "/os-quota-sets/{target_id}")
async def delete(api: ApiService, req: ApiRequest, target_id: str) -> ApiResponse:
    """Back to the defaults (admin); usage and reservations are kept.  200, no body."""
    _check_id(target_id)
    enforce(api, req, "volume_extension:quotas:delete", target_id)
    api.env.quota.delete_project(target_id)
    api.env.trace.emit("quota.delete", ACTOR,
                         f"quota limits of project {target_id[:8]} reset to defaults",
                         resource=f"project:{target_id}")
    return ApiResponse(200, None)
