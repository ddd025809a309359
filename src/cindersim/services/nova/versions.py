"""Nova's version discovery: ``GET /compute/`` and ``GET /compute/v2.1``.

``nova/api/openstack/compute/versions.py``, ``versionsV21.py`` and
``views/versions.py``: not under microversion control and in front of
keystonemiddleware (api-paste's ``oscomputeversions`` and ``oscomputeversion_v2``
pipelines), so they need no token.  ``version``/``min_version`` are the range
this nova-api serves (:data:`~.wsgi.MIN_VERSION`, :data:`~.wsgi.MAX_VERSION`);
clients (novaclient, openstacksdk) negotiate the request microversion from them.
"""

from __future__ import annotations

from typing import Any

from .wsgi import MAX_VERSION, MIN_VERSION

__all__ = ["version_document", "versions_document"]

_DOCS = "http://docs.openstack.org/"


def _entries() -> dict[str, dict[str, Any]]:
    return {
        "v2.0": {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "",
                 "updated": "2025-07-04T12:00:00Z",
                 "links": [{"rel": "describedby", "type": "text/html", "href": _DOCS}],
                 "media-types": [{"base": "application/json",
                                  "type": "application/vnd.openstack.compute+json;version=2"}]},
        "v2.1": {"id": "v2.1", "status": "CURRENT",
                 "version": f"{MAX_VERSION[0]}.{MAX_VERSION[1]}",
                 "min_version": f"{MIN_VERSION[0]}.{MIN_VERSION[1]}",
                 "updated": "2013-07-23T11:33:21Z",
                 "links": [{"rel": "describedby", "type": "text/html", "href": _DOCS}],
                 "media-types": [{"base": "application/json",
                                  "type": "application/vnd.openstack.compute+json;"
                                          "version=2.1"}]},
    }


def versions_document(compute_root: str) -> dict[str, Any]:
    """``GET /compute/`` (200): every API version, each with its ``self`` link."""
    out = []
    for vid, entry in sorted(_entries().items()):
        path = "v2.1" if vid == "v2.1" else "v2"
        out.append({"id": entry["id"], "status": entry["status"],
                    "version": entry["version"], "min_version": entry["min_version"],
                    "updated": entry["updated"],
                    "links": [{"rel": "self", "href": f"{compute_root}/{path}/"}]})
    return {"versions": out}


def version_document(compute_root: str) -> dict[str, Any]:
    """``GET /compute/v2.1`` (200): the v2.1 entry with its ``self`` link first."""
    entry = _entries()["v2.1"]
    entry["links"].insert(0, {"rel": "self", "href": f"{compute_root}/v2.1/"})
    return {"version": entry}
