"""``/flavors``: the flavor list, detail and show (``nova/api/openstack/compute/flavors.py``).

Flavors are read-only here (devstack's set, :data:`~.model.FLAVORS`): only GET
is routed, anything else is 405.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.wsgi import ApiResponse
from .model import Flavor, not_found
from .wsgi import NovaRequest, not_allowed

if TYPE_CHECKING:
    from .api import NovaApi

__all__ = ["flavors"]


def _detail(api: NovaApi, f: Flavor) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "vcpus": f.vcpus, "ram": f.ram, "disk": f.disk,
            "OS-FLV-EXT-DATA:ephemeral": f.ephemeral, "swap": "",
            "os-flavor-access:is_public": True, "links": api.links("flavors", f.id)}


def flavors(api: NovaApi, method: str, rest: list[str], req: NovaRequest) -> ApiResponse:
    """``GET /flavors``, ``/flavors/detail`` and ``/flavors/{id}``."""
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
