"""``GET /extensions/{alias}`` (``cinder/api/extensions.py``' ``show``): one loaded
extension by its alias, ``404`` for any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends import EXTENSIONS
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService


@route("GET", "/extensions/{alias}")
async def show(api: ApiService, req: ApiRequest, alias: str) -> ApiResponse:
    for name, known, updated, doc in EXTENSIONS:
        if known == alias:
            return ApiResponse(200, {"extension": {"name": name, "alias": known,
                                                   "description": doc, "updated": updated,
                                                   "links": []}})
    raise HTTPError(404, "The resource could not be found.")
