"""The HTTP face of cinder-api: requests, responses, microversions and faults.

These follow ``cinder/api/openstack/wsgi.py`` and ``api_version_request.py``:

* ``OpenStack-API-Version: volume 3.N`` selects the microversion; no header
  means 3.0; ``latest`` means the maximum (3.71); a version outside
  [3.0, 3.71] is 406; a route below its minimum version is 404.  The chosen
  version is echoed in the response with ``Vary: OpenStack-API-Version``.
* A fault body is ``{"<name>": {"code": N, "message": "..."}}`` with the names
  of ``Fault._fault_names`` (400 badRequest, 403 forbidden, 404 itemNotFound,
  409 conflictingRequest, 413 overLimit, ... anything else computeFault);
  quota faults carry ``Retry-After: 0`` and ``retryAfter``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import attrs

from ...empty import EMPTY_DICT
from ...errors import CinderException, QuotaError
from ...ids import uuid_text

__all__ = [
    "MAX_VERSION",
    "MIN_VERSION",
    "ApiRequest",
    "ApiResponse",
    "HTTPError",
    "Version",
    "echoed",
    "fault",
    "fault_from_exception",
    "fresh_response",
    "parse_version_header",
    "version_echo",
    "versioned",
]


class Version(NamedTuple):
    """A microversion ``3.N`` (a tuple, so comparisons are plain and cheap)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Version:
        m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
        if not m:
            raise ValueError(text)
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, text: str) -> bool:
        return self >= _parse_cached(text)


@functools.lru_cache(maxsize=128)
def _parse_cached(text: str) -> Version:
    return Version.parse(text)


MIN_VERSION = Version(3, 0)
MAX_VERSION = Version(3, 71)

_FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                405: "badMethod", 409: "conflictingRequest", 413: "overLimit",
                415: "badMediaType", 501: "notImplemented", 503: "serviceUnavailable"}


class HTTPError(Exception):
    """Raised by controllers for an HTTP-level fault that is not a Cinder exception."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


_UNSET: Any = object()


@attrs.frozen(init=False)
class ApiResponse:
    """What cinder-api answers: status, headers, and a JSON-able body (or None)."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    fresh: bool = attrs.field(default=False, kw_only=True, eq=False, repr=False)
    """The controller built this response and its *body* for this request alone, the
    body of plain JSON types (dict, list, str, int, float, bool, None; no subclass,
    tuple or enum): it is what a client parsing the response text would get, so an
    in-process client may take it as it is (:meth:`cindersim.Cloud.request`, unless
    the trace keeps the body too), and cinder-api adds its headers to it in place
    (:func:`versioned`) rather than copying it."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] = _UNSET,
                 *, fresh: bool = False) -> None:
        # attrs' own __init__ with its defaults, but the fields are set through the
        # slots' descriptors (as cloud.Response's are): the generated frozen __init__
        # binds object.__setattr__ for each field, twice a request.
        _set_status(self, status)
        _set_body(self, body)
        _set_headers(self, {} if headers is _UNSET else headers)
        _set_fresh(self, fresh)

    def encoded(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


_set_status = ApiResponse.__dict__["status"].__set__
_set_body = ApiResponse.__dict__["body"].__set__
_set_headers = ApiResponse.__dict__["headers"].__set__
_set_fresh = ApiResponse.__dict__["fresh"].__set__
_new_object = object.__new__


def fresh_response(status: int, body: Any) -> ApiResponse:
    """``ApiResponse(status, body, fresh=True)`` (see :attr:`ApiResponse.fresh`), made
    without the class call, ``__init__``'s frame and its keyword (a third of the
    cost): what a controller answering on every create returns.  Its headers are
    the shared empty mapping until :func:`versioned` gives it its own."""
    response: ApiResponse = _new_object(ApiResponse)
    _set_status(response, status)
    _set_body(response, body)
    _set_headers(response, EMPTY_DICT)
    _set_fresh(response, True)
    return response


class RawResponse(ApiResponse):
    """A response whose body is bytes as they go on the wire (image files, objects,
    text errors): what Glance and Swift answer where cinder-api answers JSON."""

    def encoded(self) -> bytes:
        body = self.body
        return body if isinstance(body, bytes) else b""


class StreamResponse(RawResponse):
    """A :class:`RawResponse` made piece by piece: ``body`` is a callable returning the
    pieces and ``headers`` carry the ``Content-Length``.  ``cindersim serve`` writes each
    piece as it comes (a 2 GiB image file is never held whole, and other clients are
    answered between pieces); an in-process caller gets the joined bytes."""

    def pieces(self) -> Iterable[bytes]:
        produce: Callable[[], Iterable[bytes]] = self.body
        return produce()

    @property
    def length(self) -> int:
        return int(next(v for k, v in self.headers.items() if k.lower() == "content-length"))

    def encoded(self) -> bytes:
        return b"".join(self.pieces())


class ApiRequest(NamedTuple):
    """One parsed request as the controllers see it.

    * ``context``: the caller's :class:`~cindersim.services.keystone.client.RequestContext`.
    * ``project_id``: the project named in the URL (None for 3.67+ project-less URLs).

    A frozen typed record, as a named tuple: cinder-api builds one per request, and
    a tuple is built in one call where a frozen attrs class sets each of the nine
    fields through ``object.__setattr__`` (several times slower).  A copy with one
    field changed is ``req._replace(body=...)``.
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: Any
    version: Version
    context: Any
    project_id: str | None
    request_bits: int
    """The id cinder-api drew for this request (:meth:`cindersim.ids.IdFactory.draw`):
    see :attr:`request_id`."""

    @property
    def request_id(self) -> str:
        """``req-<uuid>``, as oslo's request_id middleware names a request; its text is
        made only when read (nothing on a create reads it)."""
        return f"req-{uuid_text(self.request_bits)}"

    def q(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter (Cinder reads params as a dict)."""
        values = self.query.get(name)
        return values[-1] if values else default

    def q_bool(self, name: str) -> bool:
        """Cinder's ``strutils.bool_from_string`` on a query parameter, strict."""
        raw = self.q(name)
        if raw is None:
            return False
        low = raw.strip().lower()
        if low in {"1", "t", "true", "on", "y", "yes"}:
            return True
        if low in {"0", "f", "false", "off", "n", "no"}:
            return False
        raise HTTPError(400, f"Invalid value '{raw}' for {name}: Unrecognized value '{raw}', "
                             "acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', "
                             "'on', 't', 'true', 'y', 'yes'")

    def at_least(self, version: str) -> bool:
        # Version.at_least inlined: views ask this several times per request.
        return self.version >= _parse_cached(version)


def versioned(response: ApiResponse, version: Version) -> ApiResponse:
    """*response* with the microversion echoed (``OpenStack-API-Version: volume 3.N``
    and ``Vary: OpenStack-API-Version``, after its own headers), as cinder-api sends
    every response of a versioned request.  A fresh response is cinder-api's alone
    until it answers, so it takes the headers itself: no second response a request."""
    return echoed(response, version_echo(version))


def echoed(response: ApiResponse, echo: str) -> ApiResponse:
    """:func:`versioned` with the header's value already made (:func:`version_echo`):
    cinder-api keeps it with each route's plan, so no request makes it again."""
    headers = {"OpenStack-API-Version": echo, "Vary": "OpenStack-API-Version"}
    if response.headers:
        headers = {**response.headers, **headers}
    if response.fresh:
        _set_headers(response, headers)
        return response
    return ApiResponse(response.status, response.body, headers)


@functools.lru_cache(maxsize=128)  # few versions are ever used
def version_echo(version: Version) -> str:
    """The ``OpenStack-API-Version`` value naming *version*: ``volume 3.N``."""
    return f"volume {version}"


def fault(status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """A Cinder fault response."""
    name = _FAULT_NAMES.get(status, "computeFault")
    inner: dict[str, Any] = {"code": status, "message": message}
    hdrs = dict(headers or {})
    if status == 413:
        hdrs.setdefault("Retry-After", "0")
        inner["retryAfter"] = hdrs["Retry-After"]
    return ApiResponse(status, {name: inner}, hdrs)


def fault_from_exception(exc: CinderException | HTTPError) -> ApiResponse:
    """Map an exception to the fault Cinder's FaultWrapper would produce."""
    if isinstance(exc, HTTPError):
        return fault(exc.status, exc.message, exc.headers)
    code = exc.code if exc.code in _FAULT_NAMES or exc.code >= 500 else 500
    message = str(exc)
    if isinstance(exc, QuotaError):
        # Cinder prefixes quota messages with the exception class name.
        message = f"{type(exc).__name__}: {message}"
    return fault(code, message)


def parse_version_header(headers: Mapping[str, str]) -> Version:
    """The requested microversion; raises HTTPError(406/400) as Cinder does."""
    raw = headers.get("openstack-api-version")
    if raw is None:
        return MIN_VERSION
    if type(raw) is str:
        return _version_of_header(raw)
    return _parse_header_text(raw)


@functools.lru_cache(maxsize=256)  # a pure function of the text (errors are raised, not cached)
def _version_of_header(raw: str) -> Version:
    return _parse_header_text(raw)


def _parse_header_text(raw: str) -> Version:
    text = raw.strip()
    parts = text.split()
    if len(parts) == 2 and parts[0].lower() == "volume":
        text = parts[1]
    elif len(parts) == 1:
        # Cinder requires the service type; without it the header is ignored.
        return MIN_VERSION
    else:
        return MIN_VERSION
    if text.lower() == "latest":
        return MAX_VERSION
    # APIVersionRequest's pattern: no leading zeros, no sign, no spaces.
    if not re.fullmatch(r"([1-9]\d*)\.([1-9]\d*|0)", text):
        raise HTTPError(400, f"API Version String {text} is of invalid format. Must be of "
                             "format MajorNum.MinorNum.")
    try:
        version = Version.parse(text)
    except ValueError:
        # int() refuses more than 4,300 digits (CPython's conversion limit): such a
        # string is not a version any client sends, so it is the format error.
        raise HTTPError(400, f"API Version String {text} is of invalid format. Must be "
                             "of format MajorNum.MinorNum.") from None
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise HTTPError(406, f"Version {version} is not supported by the API. Minimum is "
                             f"{MIN_VERSION} and maximum is {MAX_VERSION}.")
    return version
