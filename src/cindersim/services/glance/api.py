"""glance-api's REST face at ``/image``: versions, schemas, images and their files.

Routes (Glance's ``glance/api/v2/router.py`` behind the devstack ``/image`` prefix):

* ``/image``, ``/image/`` (any unknown version): 300 with the versions list;
  ``/image/versions``: 200 with the same list (``v2.17`` CURRENT).
* ``GET|POST /image/v2/images``; ``GET|PATCH|DELETE /image/v2/images/{id}``;
  ``GET|PUT /image/v2/images/{id}/file``; ``PUT|DELETE .../tags/{tag}``;
  ``POST .../actions/deactivate|reactivate`` (:mod:`.actions`);
  ``GET /image/v2/schemas/image(s)``.  Another method on a known path is 405
  with ``Allow``; an unknown path is 404.

Errors are webob's: JSON ``{"message": "<explanation><br /><br />\\n\\n\\n",
"code": "404 Not Found", "title": "Not Found"}`` when the client accepts JSON,
else ``text/plain`` (``404 Not Found\\n\\n<explanation>\\n\\n   ``).  A missing or
bad token is keystonemiddleware's 401.  The writes live in :mod:`.writes`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse, StreamResponse
from .actions import ACTIONS, image_action
from .http import GlanceError, RawResponse, Request, webob_error
from .listing import list_images
from .records import ACTOR, Image, ImageNotFound
from .schema import collection_schema, image_schema
from .writes import ImageWrites

if TYPE_CHECKING:
    from ..keystone.client import RequestContext
    from .images import GlanceService

__all__ = ["GlanceApi"]

_VERSIONS = (("2.15", "SUPPORTED"), ("2.9", "SUPPORTED"), ("2.17", "CURRENT"),
             *((f"2.{n}", "SUPPORTED") for n in range(7, -1, -1)))
"""``glance/api/versions.py`` without an image cache dir or multiple stores (its order)."""

class GlanceApi:
    """The REST entry point of one :class:`~.images.GlanceService`."""

    def __init__(self, glance: GlanceService) -> None:
        self.glance = glance
        self.writes = ImageWrites(glance)

    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        env = self.glance.env
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        path_only, _, query = path.partition("?")
        raw = body.encode() if isinstance(body, str) else (body or b"")
        if env.trace.recording:
            env.trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                           method=method, path=path_only, body=_traced(raw, hdrs))
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        try:
            response = self._dispatch(method.upper(), path_only, query, hdrs, raw)
        except _Unauthenticated as exc:
            response = ApiResponse(401, {"error": {
                "code": 401, "title": "Unauthorized", "message": exc.explanation}}, exc.headers)
        except GlanceError as exc:
            response = webob_error(exc.status, exc.explanation, hdrs.get("accept", ""),
                                   exc.headers)
        if method.upper() == "DELETE" and response.status == 204:
            await self.glance.delete_encryption_key(path_only, hdrs.get("x-auth-token"))
        if env.trace.recording:
            shown = None if isinstance(response, RawResponse) else response.body
            env.trace.emit("api.response", ACTOR, f"{response.status} for {method} "
                           f"{path_only}", target=caller, status=response.status, body=shown)
        return response

    # --- routing --------------------------------------------------------------------------
    def _dispatch(self, method: str, path: str, query: str, hdrs: Mapping[str, str],
                  body: bytes) -> ApiResponse:
        parts = [p for p in path.split("/") if p]
        app_url = f"http://{hdrs.get('host', 'localhost')}/image"
        if parts[:1] != ["image"]:
            raise GlanceError(404, "The resource could not be found.")
        if len(parts) > 1 and parts[1] == "versions":
            return ApiResponse(200, self.versions(app_url))
        if len(parts) == 1 or not _known_version(parts[1]):
            return ApiResponse(300, self.versions(app_url))
        ctx = self._authenticate(hdrs, app_url)
        req = Request(method, parts[2:], parse_qsl(query, keep_blank_values=True), hdrs, body,
                      ctx, app_url)
        return self._route(req)

    def _authenticate(self, hdrs: Mapping[str, str], app_url: str) -> RequestContext:
        try:
            return self.glance.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            # keystonemiddleware's rejection, not webob's page.
            raise _Unauthenticated(app_url) from None

    def _route(self, req: Request) -> ApiResponse:
        p, m = req.parts, req.method
        w = self.writes
        if p == ["images"]:
            return _allow(m, {"GET": lambda: self.index(req), "POST": lambda: w.create(req)})
        if len(p) == 2 and p[0] == "images":
            return _allow(m, {"GET": lambda: self.show(req, p[1]),
                              "PATCH": lambda: w.update(req, p[1]),
                              "DELETE": lambda: w.delete(req, p[1])})
        if len(p) == 3 and p[0] == "images" and p[2] == "file":
            return _allow(m, {"GET": lambda: self.download(req, p[1]),
                              "PUT": lambda: w.upload(req, p[1])})
        if len(p) == 4 and p[0] == "images" and p[2] == "actions" and p[3] in ACTIONS:
            return _allow(m, {"POST": lambda: image_action(self.glance, req, p[1], p[3])})
        if len(p) == 4 and p[0] == "images" and p[2] == "tags":
            return _allow(m, {"PUT": lambda: w.tag(req, p[1], p[3], add=True),
                              "DELETE": lambda: w.tag(req, p[1], p[3], add=False)})
        if p == ["schemas", "image"]:
            return _allow(m, {"GET": lambda: ApiResponse(200, image_schema())})
        if p == ["schemas", "images"]:
            return _allow(m, {"GET": lambda: ApiResponse(200, collection_schema())})
        raise GlanceError(404, "The resource could not be found.")

    def versions(self, app_url: str) -> dict[str, Any]:
        href = f"{app_url.rstrip('/')}/v2/"
        return {"versions": [{"id": f"v{v}", "status": s,
                              "links": [{"rel": "self", "href": href}]}
                             for v, s in _VERSIONS]}

    # --- reads ----------------------------------------------------------------------------
    def visible_image(self, req: Request, image_id: str) -> Image:
        try:
            return self.glance.get(image_id, req.ctx.project_id, admin=req.admin)
        except ImageNotFound as exc:
            raise GlanceError(404, str(exc)) from None

    def show(self, req: Request, image_id: str) -> ApiResponse:
        return ApiResponse(200, self.visible_image(req, image_id).view())

    def download(self, req: Request, image_id: str) -> ApiResponse:
        image = self.visible_image(req, image_id)
        if image.status == "deactivated" and not req.admin:
            raise GlanceError(403, "The requested image has been deactivated. "
                                   "Image data download is forbidden.")
        if image.data is None or image.status != "active":
            # No location yet: glance_store's NotFound becomes 204 No Content.
            return ApiResponse(204)
        hashes = image.file_hashes()
        headers = {"Content-Type": "application/octet-stream"}
        if hashes is not None:
            headers["Content-MD5"] = hashes.checksum
        if image.payload is None and image.size:
            # glance_store streams the file (ubuntu-24.04 is 2 GiB): so does the server.
            return StreamResponse(200, image.stream,
                                  {**headers, "Content-Length": str(image.size)})
        return RawResponse(200, b"".join(image.stream()), headers)

    def index(self, req: Request) -> ApiResponse:
        images, next_marker = list_images(self.glance, req)
        params = [(k, v) for k, v in req.query if k != "marker"]
        body: dict[str, Any] = {"images": [i.view() for i in images],
                                "first": "/v2/images", "schema": "/v2/schemas/images"}
        if params:
            body["first"] = f"/v2/images?{urlencode(params)}"
        if next_marker is not None:
            body["next"] = f"/v2/images?{urlencode([*params, ('marker', next_marker)])}"
        return ApiResponse(200, body)


class _Unauthenticated(GlanceError):
    def __init__(self, app_url: str) -> None:
        super().__init__(401, "The request you have made requires authentication.")
        base = app_url.rsplit("/image", 1)[0]
        self.headers = {"WWW-Authenticate": f"Keystone uri=\"{base}/identity\""}


def _known_version(segment: str) -> bool:
    return segment == "v2" or segment in {f"v{v}" for v, _ in _VERSIONS}


def _allow(method: str, handlers: Mapping[str, Any]) -> ApiResponse:
    handler = handlers.get(method)
    if handler is None:
        raise GlanceError(405, "The method is not allowed for this resource.",
                          {"Allow": ", ".join(handlers)})
    result: ApiResponse = handler()
    return result


def _traced(raw: bytes, hdrs: Mapping[str, str]) -> Any:
    if not raw:
        return None
    if "json" not in hdrs.get("content-type", "json"):
        return f"<{len(raw)} bytes>"
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError):
        return f"<{len(raw)} bytes>"
