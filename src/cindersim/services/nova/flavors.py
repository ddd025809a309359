"""``/flavors``: list, detail, show, create and delete (``nova/api/openstack/compute/
flavors.py``, ``schemas/flavors.py``, ``nova/compute/flavors.py``).

devstack's set (:data:`~.model.FLAVORS`) is there from the start.  ``POST /flavors``
(admin: policy ``os_compute_api:os-flavor-manage:create``) answers 200 with the new
flavor, 409 ``FlavorExists``/``FlavorIdExists`` for a taken name or id, and makes a
uuid the id when none is given.  ``DELETE /flavors/{id}`` (admin) answers 202; servers
keep their embedded copy of a deleted flavor, as Nova's instances do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..api.wsgi import ApiResponse
from .model import Flavor, NovaError, forbidden, not_found
from .wsgi import NovaRequest, body_of, not_allowed, schema_error

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["flavors"]


def _detail(api: NovaApi, f: Flavor) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "vcpus": f.vcpus, "ram": f.ram, "disk": f.disk,
            "OS-FLV-EXT-DATA:ephemeral": f.ephemeral, "swap": "",
            "os-flavor-access:is_public": f.is_public, "links": api.links("flavors", f.id)}


_ID_RE = re.compile(r"^(?! )[a-zA-Z0-9. _-]+(?<! )$")
_MAX_INT = 2147483647
"""``nova.db.constants.MAX_INT``: the schema's maximum for ram, vcpus and disks."""
_FIELDS = frozenset({"name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral",
                     "swap", "rxtx_factor", "os-flavor-access:is_public"})


def _policy(action: str) -> NovaError:
    return forbidden(f"Policy doesn't allow os_compute_api:os-flavor-manage:{action} to be "
                     "performed.")


def _int_param(vals: dict[str, Any], key: str, minimum: int) -> int:
    """``flavor_param_positive``/``_non_negative``: an integer or a digits-only string."""
    raw = vals.get(key, 0)
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise schema_error(f"flavor/{key}", raw, f"{raw!r} is not of type 'integer', "
                                                 "'string'")
    if isinstance(raw, str) and not re.fullmatch(r"[0-9]+", raw):
        raise schema_error(f"flavor/{key}", raw, f"{raw!r} does not match '^[0-9]*$'")
    value = int(raw)
    if value < minimum:
        raise schema_error(f"flavor/{key}", raw, f"{raw} is less than the minimum of "
                                                 f"{minimum}")
    if value > _MAX_INT:
        raise schema_error(f"flavor/{key}", raw, f"{raw} is greater than the maximum of "
                                                 f"{_MAX_INT}")
    return value


def create_flavor(api: NovaApi, req: NovaRequest) -> ApiResponse:
    """``FlavorManageController._create``: the schema, then ``flavors.create``."""
    if not req.ctx.is_admin:
        raise _policy("create")
    vals = body_of(req.body, "flavor")
    for key in ("name", "ram", "vcpus", "disk"):
        if key not in vals:
            raise schema_error("flavor", vals, f"'{key}' is a required property")
    extra = sorted(set(vals) - _FIELDS)
    if extra:
        raise schema_error("flavor", vals, "Additional properties are not allowed ("
                           + ", ".join(repr(k) for k in extra)
                           + (" was" if len(extra) == 1 else " were") + " unexpected)")
    name = vals["name"]
    if not isinstance(name, str) or not 1 <= len(name) <= 255 or name != name.strip():
        raise schema_error("flavor/name", name, "Invalid name: leading and trailing "
                           "whitespace, an empty name or one over 255 characters")
    flavor_id = vals.get("id")
    if flavor_id is not None:
        if isinstance(flavor_id, bool) or not isinstance(flavor_id, (str, int, float)) or \
                not _ID_RE.match(str(flavor_id)) or len(str(flavor_id)) > 255:
            raise schema_error("flavor/id", flavor_id, f"{flavor_id!r} does not match "
                               f"'{_ID_RE.pattern}'")
        flavor_id = str(flavor_id)
    ram = _int_param(vals, "ram", 1)
    vcpus = _int_param(vals, "vcpus", 1)
    disk = _int_param(vals, "disk", 0)
    ephemeral = _int_param(vals, "OS-FLV-EXT-DATA:ephemeral", 0)
    swap = _int_param(vals, "swap", 0)
    is_public = vals.get("os-flavor-access:is_public", True)
    if not isinstance(is_public, bool):
        raise schema_error("flavor/os-flavor-access:is_public", is_public,
                           f"{is_public!r} is not of type 'boolean'")
    rxtx = vals.get("rxtx_factor", 1.0)
    try:
        rxtx_factor = float(rxtx)
    except (TypeError, ValueError):
        raise schema_error("flavor/rxtx_factor", rxtx, f"{rxtx!r} is not of type "
                           "'number', 'string'") from None
    if not rxtx_factor > 0:
        raise schema_error("flavor/rxtx_factor", rxtx, f"{rxtx} is less than or equal to "
                           "the minimum of 0")
    nova = api.nova
    # flavors.create -> Flavor.create: the name is unique, then the flavorid.
    if any(f.name == name for f in nova.flavors.values()):
        raise NovaError(f"Flavor with name {name} already exists.", 409)
    if flavor_id is None:
        flavor_id = nova.env.sim.ids.uuid()
    elif flavor_id in nova.flavors:
        raise NovaError(f"Flavor with ID {flavor_id} already exists.", 409)
    flavor = Flavor(flavor_id, name, vcpus, ram, disk, ephemeral=ephemeral, swap=swap,
                    rxtx_factor=rxtx_factor, is_public=is_public)
    nova.flavors[flavor_id] = flavor
    trace = nova.env.trace
    if trace.recording:
        trace.emit("nova.flavor", api.actor, f"flavor {name} ({flavor_id}) created",
                   resource=f"flavor:{flavor_id}", vcpus=vcpus, ram=ram, disk=disk)
    return ApiResponse(200, {"flavor": _detail(api, flavor)})


def delete_flavor(api: NovaApi, req: NovaRequest, flavor_id: str) -> ApiResponse:
    """``FlavorManageController._delete``: 202, or 404 for an unknown id."""
    if not req.ctx.is_admin:
        raise _policy("delete")
    if api.nova.flavors.pop(flavor_id, None) is None:
        raise not_found(f"Flavor {flavor_id} could not be found.")
    return ApiResponse(202, None)


def flavors(api: NovaApi, method: str, rest: list[str], req: NovaRequest) -> ApiResponse:
    """``GET /flavors``, ``/flavors/detail`` and ``/flavors/{id}``; ``POST /flavors``;
    ``DELETE /flavors/{id}``."""
    if method == "POST" and not rest:
        return create_flavor(api, req)
    if method == "DELETE" and len(rest) == 1:
        return delete_flavor(api, req, rest[0])
    if method != "GET":
        return not_allowed()
    all_flavors = list(api.nova.flavors.values())
    if not rest:
        return ApiResponse(200, {"flavors": [
            {"id": f.id, "name": f.name, "links": api.links("flavors", f.id)}
            for f in all_flavors]})
    if rest == ["detail"]:
        return ApiResponse(200, {"flavors": [_detail(api, f) for f in all_flavors]})
    flavor = api.nova.flavors.get(rest[0])
    if flavor is None or len(rest) > 1:
        raise not_found(f"Flavor {rest[0]} could not be found.")
    view = _detail(api, flavor)
    del view["os-flavor-access:is_public"]
    return ApiResponse(200, {"flavor": view})
