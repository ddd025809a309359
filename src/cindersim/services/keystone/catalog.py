"""Keystone's discovery documents and the service catalog a token carries.

The catalog lists every service this cloud serves, each with ``public``,
``internal`` and ``admin`` endpoints in ``RegionOne`` at the served address:

* ``block-storage`` and ``volumev3`` (Cinder's two v3 types) at
  ``{base}/v3/{project_id}``;
* ``compute`` at ``{base}/compute/v2.1``, ``image`` at ``{base}/image``;
* ``object-store`` at ``{base}/object-store/v1/AUTH_{project_id}``;
* ``network`` at ``{base}/networking``, when the cloud runs Neutron;
* ``key-manager`` (barbican) at ``{base}/key-manager``, when the cloud runs one;
* ``identity`` at ``{base}/identity``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

__all__ = ["KEYSTONE_VERSION", "REGION", "catalog", "stable_id", "version_document"]

KEYSTONE_VERSION: Final = "3.14"
"""The v3 minor version advertised (Keystone's ``v3.14``, Ussuri onwards)."""
REGION: Final = "RegionOne"
MEDIA_TYPE: Final = "application/vnd.openstack.identity-v3+json"
_UPDATED: Final = "2020-04-07T00:00:00Z"


def stable_id(*parts: str) -> str:
    """A fixed 32-hex id for catalog entries (services, endpoints).

    Not drawn from the simulation's rng: serving over HTTP must not shift the
    ids a seed gives to volumes and tokens.
    """
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def version_document(base_url: str) -> dict[str, Any]:
    """The v3 entry, as Keystone's ``GET /v3`` returns it (wrapped in ``version``)."""
    return {
        "id": f"v{KEYSTONE_VERSION}", "status": "stable", "updated": _UPDATED,
        "links": [{"rel": "self", "href": f"{base_url}/identity/v3/"}],
        "media-types": [{"base": "application/json", "type": MEDIA_TYPE}],
    }


def catalog(base_url: str, project_id: str, *, network: bool = False,
            key_manager: bool = False) -> list[dict[str, Any]]:
    """The service catalog of a token scoped to *project_id*."""
    volume_url = f"{base_url}/v3/{project_id}"
    services = [
        ("block-storage", "cinder", volume_url),
        ("volumev3", "cinderv3", volume_url),
        ("compute", "nova", f"{base_url}/compute/v2.1"),
        ("image", "glance", f"{base_url}/image"),
        ("object-store", "swift", f"{base_url}/object-store/v1/AUTH_{project_id}"),
    ]
    if network:
        services.append(("network", "neutron", f"{base_url}/networking"))
    if key_manager:
        services.append(("key-manager", "barbican", f"{base_url}/key-manager"))
    services.append(("identity", "keystone", f"{base_url}/identity"))
    entries = []
    for service_type, name, url in services:
        endpoints = [{"id": stable_id(service_type, interface), "interface": interface,
                      "region": REGION, "region_id": REGION, "url": url}
                     for interface in ("public", "internal", "admin")]
        entries.append({"type": service_type, "name": name,
                        "id": stable_id(service_type), "endpoints": endpoints})
    return entries
