"""The HTTP layer of ``cindersim serve``: a request in, a response out, no behaviour.

:class:`HttpApp` turns one parsed HTTP request (method, target, headers, body)
into a call to the service that owns the path and turns its
:class:`~cindersim.services.api.wsgi.ApiResponse` back into status, headers and
bytes.  Everything a client sees of Cinder (versions, microversions, faults,
401s, repeated slashes, trailing-slash ids) is decided by cinder-api's
:meth:`~cindersim.services.api.service.ApiService.handle`; this layer only picks
the service by the path's first segment, as the reverse proxy of a devstack does:

* ``/identity...`` -> the minimal Keystone (:mod:`cindersim.serve.keystone`);
* ``/compute...`` -> nova-api (``cloud.nova.api``), when the cloud runs Nova;
* ``/image...`` -> Glance (``cloud.glance``), when the cloud has one;
* ``/object-store...`` -> Swift-lite (``cloud.swift``), when the cloud has one;
* ``/networking...`` -> Neutron-lite (``cloud.neutron``), when the cloud has one;
* ``/key-manager...`` -> Barbican-lite (``cloud.key_manager``), when the cloud has one;
* ``/_sim/...`` -> the live studio (:mod:`cindersim.studio.live`), no auth;
* anything else -> cinder-api (``/``, ``/v3``, ``/v3/{project_id}/...``).

The path is percent-decoded before routing, as WSGI's ``PATH_INFO`` is (and its
repeated slashes collapsed, except under ``/object-store``: Swift object names may
contain them); the
query string is passed on raw (cinder-api parses it).
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import attrs

from ..services.api.wsgi import ApiResponse, StreamResponse, fault
from ..services.keystone import Keystone
from ..studio.live import PREFIX as STUDIO_PREFIX
from ..studio.live import LiveStudio

if TYPE_CHECKING:
    from ..cloud import Cloud

__all__ = ["HttpApp", "HttpResponse"]

_SLASHES = re.compile(r"/{2,}")
_NO_BODY_STATUSES = frozenset({204, 304})
Handler = Callable[[str, str, Mapping[str, str], bytes | None], Awaitable[ApiResponse]]


@attrs.frozen
class HttpResponse:
    """What goes back on the wire: status, headers (name, value) and the body bytes (or
    the pieces of a streamed body, its length in the headers)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | Iterable[bytes]

    @property
    def reason(self) -> str:
        try:
            return http.HTTPStatus(self.status).phrase
        except ValueError:
            return ""

    def json(self) -> Any:
        body = self.body if isinstance(self.body, bytes) else b"".join(self.body)
        return json.loads(body) if body else None


class HttpApp:
    """Routes HTTP requests to the simulated services of one cloud.

    Args:
        cloud: the (started) cloud to serve.
        base_url: ``http://host:port``, as clients reach the server; used in the
            versions documents' ``self`` links and in the Keystone catalog.
    """

    def __init__(self, cloud: Cloud, base_url: str) -> None:
        self.cloud = cloud
        self.base_url = base_url.rstrip("/")
        cloud.api.base_url = self.base_url
        # Nova's and Neutron's links name the address clients reach (their
        # osapi_compute_link_prefix / the request's host), as cinder-api's do.
        for name in ("nova", "neutron", "key_manager"):
            service = getattr(cloud, name, None)
            if service is not None:
                service.base_url = self.base_url
        glance_url = f"{self.base_url}/image"
        if getattr(cloud, "nova", None) is not None:
            cloud.nova.glance_url = glance_url
        self.keystone = Keystone(cloud, self.base_url)
        self.studio = LiveStudio(cloud.trace)
        self.requests = 0

    def _service(self, prefix: str) -> Handler | None:
        """The REST entry point of the service under ``/compute``, ``/image``,
        ``/object-store`` or ``/networking``, if this
        cloud runs it (they are optional parts of a cloud)."""
        if prefix == "compute":
            owner = getattr(getattr(self.cloud, "nova", None), "api", None)
        elif prefix == "object-store":
            owner = getattr(self.cloud, "swift", None)
        elif prefix == "networking":
            owner = getattr(self.cloud, "neutron", None)
        elif prefix == "key-manager":
            owner = getattr(self.cloud, "key_manager", None)
        else:
            owner = getattr(self.cloud, "glance", None)
        handler = getattr(owner, "handle", None)
        return handler if callable(handler) else None

    async def __call__(self, method: str, target: str, headers: Mapping[str, str],
                       body: bytes) -> HttpResponse:
        """Answer one request.  *headers* must have lowercase names."""
        self.requests += 1
        if target.startswith(("http://", "https://")):  # absolute-form (a proxy's)
            try:
                split = urlsplit(target)
            except ValueError:  # e.g. an unclosed "[" in the host
                return self.encode(_bad_target())
            target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        if not target.startswith("/"):
            # asterisk-form (OPTIONS *) and authority-form (CONNECT host:port) name no
            # resource of these APIs: the web server in front refuses them.
            return self.encode(_bad_target(), head=method == "HEAD")
        raw_path, sep, query = target.partition("?")
        path = _SLASHES.sub("/", unquote(raw_path)) or "/"
        forward = path + sep + query
        prefix = path.split("/", 2)[1]
        if "/" + prefix == STUDIO_PREFIX:
            response = self.studio.handle(method, path, query)
        elif prefix == "identity":
            response = await self.keystone.handle(method, path, headers, body, query)
        elif prefix in {"compute", "image", "object-store", "networking", "key-manager"}:
            if prefix == "object-store":  # Swift object names may hold "//" and a leading "/"
                forward = unquote(raw_path) + sep + query
            service = self._service(prefix)
            if service is None:
                response = fault(404, "The resource could not be found.")
            else:
                response = await service(method, forward, headers, body or None)
        else:
            response = await self.cloud.api.handle(method, forward, headers, body or None)
        return self.encode(response, head=method == "HEAD")

    @staticmethod
    def encode(response: ApiResponse, *, head: bool = False) -> HttpResponse:
        """Serialise a service's response: a JSON body (if any) and its headers."""
        status = response.status
        if isinstance(response, StreamResponse) and status not in _NO_BODY_STATUSES:
            headers = [(k, str(v)) for k, v in response.headers.items()]
            return HttpResponse(status, headers, b"" if head else response.pieces())
        payload = b"" if status in _NO_BODY_STATUSES else response.encoded()
        headers = [(k, str(v)) for k, v in response.headers.items()]
        typed = any(k.lower() == "content-type" for k, _ in headers)
        if payload and not typed:  # files and text pages carry their own type
            headers.append(("Content-Type", "application/json"))
        if status not in _NO_BODY_STATUSES:
            headers.append(("Content-Length", str(len(payload))))
        return HttpResponse(status, headers, b"" if head else payload)


def _bad_target() -> ApiResponse:
    return fault(400, "Malformed request target: it must be an absolute path.")
