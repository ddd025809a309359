"""``/volumes/{volume_id}/metadata[/{key}]`` (``cinder/api/v3/volume_metadata.py``,
``cinder/api/schemas/volume_metadata.py``, ``volume.api`` ``*_volume_metadata``).

* ``GET`` lists ``{"metadata": {...}}``; from 3.15 (``ETAGS``) the answer carries an
  ``Etag``: the MD5 of ``jsonutils.dumps({"metadata": ...})``.
* ``POST`` merges, ``PUT`` replaces (both answer the whole metadata, 200); from 3.15
  ``PUT`` honours ``If-Match`` and answers a bare **412** when no tag matches.
* ``PUT .../{key}`` takes ``{"meta": {key: value}}`` with exactly one property:
  ``400 Request body and URI mismatch`` when it names another key.
* ``GET``/``DELETE .../{key}`` of a missing key: ``404 Volume <id> has no metadata
  with key <key>.``; ``DELETE`` answers 200 with no body.
* A volume in ``maintenance`` or ``uploading`` refuses changes (400 InvalidVolume).
* The volume is fetched first (another project's is a 404), then the policy
  (``volume:*_volume_metadata``) is checked against its project.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...db import Volume
from ...errors import InvalidVolume
from .common import body_of, check_keys, enforce, invalid_field, read_scope
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["check_uri_key", "etag_matches", "etag_of", "meta_item", "metadata_body"]

_VOLUME_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              "-_:. /")
"""``parameter_types.extra_specs``' key pattern ``^[a-zA-Z0-9-_:. /]{1,255}$``."""


def etag_of(metadata: Mapping[str, str]) -> str:
    """MD5 of ``jsonutils.dumps({"metadata": metadata})`` (json's default separators)."""
    return hashlib.md5(json.dumps({"metadata": dict(metadata)}).encode(),
                       usedforsecurity=False).hexdigest()


def etag_matches(req: ApiRequest, metadata: Mapping[str, str]) -> bool:
    """webob's ``If-Match``: no header matches, ``*`` matches, else one of the tags."""
    header = req.headers.get("if-match")
    if header is None:
        return True
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" in tags:
        return True
    wanted = etag_of(metadata)
    return any(t.removeprefix("W/").strip('"') == wanted for t in tags)


def _valid_pairs(field: str, value: Any, key_chars: frozenset[str]) -> dict[str, str]:
    """A ``patternProperties`` object of strings <= 255 characters with no other key."""
    if not isinstance(value, dict):
        raise invalid_field(field, value, f"{value!r} is not of type 'object'")
    bad = [k for k in value if not (0 < len(k) <= 255 and set(k) <= key_chars)]
    if bad:
        listed = ", ".join(repr(k) for k in bad)
        verb = "were" if len(bad) > 1 else "was"
        raise invalid_field(field, value, f"Additional properties are not allowed ({listed} "
                                          f"{verb} unexpected)")
    for k, v in value.items():
        if not isinstance(v, str):
            raise invalid_field(k, v, f"{v!r} is not of type 'string'")
        if len(v) > 255:
            raise invalid_field(k, v, f"{v!r} is too long")
    return dict(value)


def metadata_body(req: ApiRequest, *, key_chars: frozenset[str] = _VOLUME_KEY_CHARS,
                  strict: bool = True) -> dict[str, str]:
    """The ``create``/``update_all`` schema: ``{"metadata": {...}}``."""
    inner = body_of(req, "metadata")
    check_keys(req.body, ("metadata",), strict=strict)
    return _valid_pairs("metadata", inner, key_chars)


def meta_item(req: ApiRequest, key: str, *, key_chars: frozenset[str] = _VOLUME_KEY_CHARS,
              strict: bool = True) -> dict[str, str]:
    """The ``update`` schema (``meta`` with exactly one property) and the URI check."""
    inner = body_of(req, "meta")
    check_keys(req.body, ("meta",), strict=strict)
    if not inner:
        raise invalid_field("meta", inner, "{} does not have enough properties")
    if len(inner) > 1:
        raise invalid_field("meta", inner, f"{inner!r} has too many properties")
    return _valid_pairs("meta", inner, key_chars)


def check_uri_key(meta: Mapping[str, str], key: str) -> None:
    """The controller's own check, after the schema (and, for volumes, the ETag)."""
    if key not in meta:
        raise HTTPError(400, "Request body and URI mismatch")


def _volume(api: ApiService, req: ApiRequest, volume_id: str, action: str) -> Volume:
    vol = api.env.db.get_volume(volume_id, read_scope(req))
    enforce(api, req, action, vol.project_id)
    return vol


def _writable(vol: Volume, verb: str) -> None:
    if str(vol.status) in ("maintenance", "uploading"):
        raise InvalidVolume(reason=f"{verb} volume metadata is not allowed for volumes in "
                                   f"{vol.status} status.")


def _not_found(volume_id: str, key: str) -> HTTPError:
    return HTTPError(404, f"Volume {volume_id} has no metadata with key {key}.")


def _touch(api: ApiService, vol: Volume, summary: str) -> None:
    vol.updated_at = api.env.db.stamp()
    api.env.trace.emit("volume.metadata", "cinder-api", summary, volume_id=vol.id,
                       metadata=dict(vol.metadata))


def _etag_ok(api: ApiService, req: ApiRequest, volume_id: str) -> bool:
    """``_validate_etag``: reads the metadata (so a missing volume is its 404)."""
    if req.headers.get("if-match") is None:
        return True
    vol = _volume(api, req, volume_id, "volume:get_volume_metadata")
    return etag_matches(req, vol.metadata)


@route("GET", "/volumes/{volume_id}/metadata")
async def index(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    vol = _volume(api, req, volume_id, "volume:get_volume_metadata")
    body = {"metadata": dict(vol.metadata)}
    if req.at_least("3.15"):
        return ApiResponse(200, body, {"Etag": etag_of(vol.metadata)})
    return ApiResponse(200, body)


@route("POST", "/volumes/{volume_id}/metadata")
async def create(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    metadata = metadata_body(req)
    vol = _volume(api, req, volume_id, "volume:create_volume_metadata")
    _writable(vol, "Updating")
    vol.metadata = {**vol.metadata, **metadata}
    _touch(api, vol, f"metadata of {vol.id} merged")
    return ApiResponse(200, {"metadata": dict(vol.metadata)})


@route("PUT", "/volumes/{volume_id}/metadata")
async def update_all(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    metadata = metadata_body(req)  # the schema decorator runs before the ETag check
    if req.at_least("3.15") and not _etag_ok(api, req, volume_id):
        return ApiResponse(412, None)
    vol = _volume(api, req, volume_id, "volume:update_volume_metadata")
    _writable(vol, "Updating")
    vol.metadata = metadata
    _touch(api, vol, f"metadata of {vol.id} replaced")
    return ApiResponse(200, {"metadata": dict(vol.metadata)})


@route("GET", "/volumes/{volume_id}/metadata/{key}")
async def show(api: ApiService, req: ApiRequest, volume_id: str, key: str) -> ApiResponse:
    vol = _volume(api, req, volume_id, "volume:get_volume_metadata")
    if key not in vol.metadata:
        raise _not_found(volume_id, key)
    return ApiResponse(200, {"meta": {key: vol.metadata[key]}})


@route("PUT", "/volumes/{volume_id}/metadata/{key}")
async def update(api: ApiService, req: ApiRequest, volume_id: str, key: str) -> ApiResponse:
    meta = meta_item(req, key)
    if req.at_least("3.15") and not _etag_ok(api, req, volume_id):
        return ApiResponse(412, None)
    check_uri_key(meta, key)
    vol = _volume(api, req, volume_id, "volume:update_volume_metadata")
    _writable(vol, "Updating")
    vol.metadata = {**vol.metadata, **meta}
    _touch(api, vol, f"metadata {key} of {vol.id} set")
    return ApiResponse(200, {"meta": meta})


@route("DELETE", "/volumes/{volume_id}/metadata/{key}")
async def delete(api: ApiService, req: ApiRequest, volume_id: str, key: str) -> ApiResponse:
    vol = _volume(api, req, volume_id, "volume:get_volume_metadata")
    if key not in vol.metadata:
        raise _not_found(volume_id, key)
    enforce(api, req, "volume:delete_volume_metadata", vol.project_id)
    _writable(vol, "Deleting")
    vol.metadata = {k: v for k, v in vol.metadata.items() if k != key}
    _touch(api, vol, f"metadata {key} of {vol.id} deleted")
    return ApiResponse(200, None)
