"""``GET /volumes/{id}/encryption[/{key}]`` (``cinder/api/contrib/
volume_encryption_metadata.py`` and ``db.volume_encryption_metadata_get``).

* ``volume_extension:volume_encryption_metadata`` (readers of the volume's
  project); another project's volume is a 404.
* The answer is ``{"encryption_key_id": ...}`` plus, when the volume's type is
  encrypted, ``control_location``, ``cipher``, ``key_size`` and ``provider``;
  ``.../encryption/{key}`` answers that one value.  An unknown key is a
  ``KeyError`` in Cinder (a 500); the simulator answers 404.
* ``encryption_key_id`` names the volume's Barbican secret (null for a plain
  volume): what Nova's encryptor fetches from the key manager at attach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import enforce, read_scope
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService


def _metadata(api: ApiService, req: ApiRequest, volume_id: str) -> dict[str, Any]:
    vol = api.env.db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "volume_extension:volume_encryption_metadata", vol.project_id)
    values: dict[str, Any] = {"encryption_key_id": vol.encryption_key_id}
    vtype = api.env.db.volume_types.get(vol.volume_type_id or "")
    if vtype is not None and vtype.encryption:
        for key in ("control_location", "cipher", "key_size", "provider"):
            values[key] = vtype.encryption.get(key)
    return values


@route("GET", "/volumes/{volume_id}/encryption")
async def index(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    return ApiResponse(200, _metadata(api, req, volume_id))


@route("GET", "/volumes/{volume_id}/encryption/{key}")
async def show(api: ApiService, req: ApiRequest, volume_id: str, key: str) -> ApiResponse:
    values = _metadata(api, req, volume_id)
    if key not in values:
        raise HTTPError(404, "The resource could not be found.")
    return ApiResponse(200, values[key])
