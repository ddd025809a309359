"""``/snapshots/{snapshot_id}/metadata[/{key}]`` (``cinder/api/v3/snapshot_metadata.py``,
``cinder/api/schemas/snapshot_metadata.py``, ``volume.api`` ``*_snapshot_metadata``).

Like volume metadata (:mod:`.volume_metadata`) but: no ETags; keys may not hold a
``/`` (``^[a-zA-Z0-9-_:. ]{1,255}$``); the body may carry other top-level keys
(the schemas allow additional properties); no status forbids a change; ``POST``
and ``PUT`` both need ``volume:update_snapshot_metadata``; a missing key is
``404 Snapshot <id> has no metadata with key <key>.``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...db import Snapshot
from .common import enforce, read_scope
from .router import route
from .volume_metadata import check_uri_key, meta_item, metadata_body
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["create", "delete", "index", "show", "update", "update_all"]

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:. ")


def _snapshot(api: ApiService, req: ApiRequest, snapshot_id: str, action: str) -> Snapshot:
    snap = api.env.db.get_snapshot(snapshot_id, read_scope(req))
    enforce(api, req, action, snap.project_id)
    return snap


def _not_found(snapshot_id: str, key: str) -> HTTPError:
    return HTTPError(404, f"Snapshot {snapshot_id} has no metadata with key {key}.")


def _store(api: ApiService, snap: Snapshot, metadata: dict[str, str], summary: str) -> None:
    snap.metadata = metadata
    snap.updated_at = api.env.db.stamp()
    api.env.trace.emit("snapshot.metadata", "cinder-api", summary, snapshot_id=snap.id,
                       metadata=dict(metadata))


@route("GET", "/snapshots/{snapshot_id}/metadata")
async def index(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    snap = _snapshot(api, req, snapshot_id, "volume:get_snapshot_metadata")
    return ApiResponse(200, {"metadata": dict(snap.metadata)})


@route("POST", "/snapshots/{snapshot_id}/metadata")
async def create(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    metadata = metadata_body(req, key_chars=_KEY_CHARS, strict=False)
    snap = _snapshot(api, req, snapshot_id, "volume:update_snapshot_metadata")
    _store(api, snap, {**snap.metadata, **metadata}, f"metadata of {snap.id} merged")
    return ApiResponse(200, {"metadata": dict(snap.metadata)})


@route("PUT", "/snapshots/{snapshot_id}/metadata")
async def update_all(api: ApiService, req: ApiRequest, snapshot_id: str) -> ApiResponse:
    metadata = metadata_body(req, key_chars=_KEY_CHARS, strict=False)
    snap = _snapshot(api, req, snapshot_id, "volume:update_snapshot_metadata")
    _store(api, snap, metadata, f"metadata of {snap.id} replaced")
    return ApiResponse(200, {"metadata": dict(snap.metadata)})


@route("GET", "/snapshots/{snapshot_id}/metadata/{key}")
async def show(api: ApiService, req: ApiRequest, snapshot_id: str, key: str) -> ApiResponse:
    snap = _snapshot(api, req, snapshot_id, "volume:get_snapshot_metadata")
    if key not in snap.metadata:
        raise _not_found(snapshot_id, key)
    return ApiResponse(200, {"meta": {key: snap.metadata[key]}})


@route("PUT", "/snapshots/{snapshot_id}/metadata/{key}")
async def update(api: ApiService, req: ApiRequest, snapshot_id: str, key: str) -> ApiResponse:
    meta = meta_item(req, key, key_chars=_KEY_CHARS, strict=False)
    check_uri_key(meta, key)
    snap = _snapshot(api, req, snapshot_id, "volume:update_snapshot_metadata")
    _store(api, snap, {**snap.metadata, **meta}, f"metadata {key} of {snap.id} set")
    return ApiResponse(200, {"meta": meta})


@route("DELETE", "/snapshots/{snapshot_id}/metadata/{key}")
async def delete(api: ApiService, req: ApiRequest, snapshot_id: str, key: str) -> ApiResponse:
    snap = _snapshot(api, req, snapshot_id, "volume:get_snapshot_metadata")
    if key not in snap.metadata:
        raise _not_found(snapshot_id, key)
    enforce(api, req, "volume:delete_snapshot_metadata", snap.project_id)
    _store(api, snap, {k: v for k, v in snap.metadata.items() if k != key},
           f"metadata {key} of {snap.id} deleted")
    return ApiResponse(200, None)
