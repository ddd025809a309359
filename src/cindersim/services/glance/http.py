"""What glance-api's controllers share: the request, its errors, raw responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ...jsonvalues import loads
from ..api.wsgi import ApiResponse, RawResponse

if TYPE_CHECKING:
    from ..keystone.client import RequestContext

__all__ = ["LIMIT_DEFAULT", "LIMIT_MAX", "GlanceError", "RawResponse", "Request",
           "webob_error"]

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Request Entity Too Large",
           415: "Unsupported Media Type"}
LIMIT_DEFAULT = 25
"""``limit_param_default``."""
LIMIT_MAX = 1000
"""``api_limit_max``."""


class GlanceError(Exception):
    """A webob HTTP error raised by a controller."""

    def __init__(self, status: int, explanation: str,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(explanation)
        self.status = status
        self.explanation = explanation
        self.headers = dict(headers or {})


@attrs.frozen
class Request:
    """One request as the controllers see it."""

    method: str
    parts: list[str]
    """Path segments after ``/image/v2``."""
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes
    ctx: RequestContext
    app_url: str
    """``http://host/image`` (webob's ``application_url``)."""

    @property
    def admin(self) -> bool:
        return bool(self.ctx.is_admin)

    def json(self) -> Any:
        if not self.body:
            raise GlanceError(400, "Body expected in request.")
        try:
            return loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise GlanceError(400, "Malformed JSON in request body.") from None


def webob_error(status: int, explanation: str, accept: str,
                headers: Mapping[str, str] | None = None) -> ApiResponse:
    """webob's error page: JSON for JSON clients, else its plain-text form."""
    title = _TITLES.get(status, "Error")
    hdrs = dict(headers or {})
    if "json" in accept:
        body = {"message": f"{explanation}<br /><br />\n\n\n", "code": f"{status} {title}",
                "title": title}
        return ApiResponse(status, body, hdrs)
    hdrs["Content-Type"] = "text/plain; charset=UTF-8"
    text = f"{status} {title}\n\n{explanation}\n\n   "
    return RawResponse(status, text.encode(), hdrs)
