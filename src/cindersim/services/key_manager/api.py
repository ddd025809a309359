"""barbican-api's REST face at ``/key-manager`` (devstack's path): the secrets resource.

* ``GET /key-manager`` and ``/key-manager/v1``: the version documents, without a
  token.  With ``OpenStack-API-Version: key-manager 1.1`` (what
  python-barbicanclient sends) the list names ``min_version``/``max_version``
  (1.0-1.2); without it, the 1.0 form (``{"versions": {"values": [...]}}``,
  status ``stable``).  A requested microversion above 1.2 is a 406.
* ``POST /v1/secrets`` (201, ``{"secret_ref"}`` and ``Location``): JSON only (415
  otherwise); the body is checked as ``NewSecretValidator`` checks it.
* ``GET /v1/secrets``: the caller's project's secrets, newest first
  (``created`` descending, as ``get_secret_list`` orders), ``limit`` (default
  10) / ``offset``, filters ``name``, ``alg``, ``mode``, ``bits``,
  ``secret_type``; ``total``, and ``next``/``previous`` links.
* ``GET /v1/secrets/{id}``: the metadata when ``Accept`` is JSON (or absent or
  ``*/*``), else the payload (``secret:decrypt``); ``GET .../payload``: the
  payload, ``application/octet-stream`` unless ``Accept`` says otherwise.
* ``DELETE /v1/secrets/{id}``: 204.

A malformed id is a 404 ("Provided secret id is invalid."), an unknown one a 404
("Secret not found."), another project's secret a 403 (the ``secret_project_match``
rule of Barbican's policies; admins of another project included).  No token:
keystonemiddleware's 401.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse, RawResponse
from .records import BarbicanError, Secret, forbidden, secret_not_found

if TYPE_CHECKING:
    from ..keystone.client import RequestContext
    from . import KeyManagerService

__all__ = ["ACTOR", "KeyManagerApi"]

ACTOR = "barbican-api"
MIN_VERSION, MAX_VERSION = "1.0", "1.2"
SECRET_TYPES = ("symmetric", "passphrase", "private", "public", "certificate", "opaque")
"""``secret_store.SecretType``: the values the secret schema allows."""
CONTENT_TYPES = ("text/plain", "text/plain;charset=utf-8", "text/plain; charset=utf-8",
                 "application/octet-stream", "application/pkcs8", "application/pkix-cert")
"""``mime_types.SUPPORTED``."""
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
_SCHEMA_STRINGS = ("algorithm", "mode", "expiration", "payload", "transport_key_id")


def _invalid(reason: str, prop: str) -> BarbicanError:
    """``InvalidObject`` as ``handle_exceptions`` words it for a create."""
    return BarbicanError(400, f"Secret creation issue seen - Provided object does not match "
                              f"schema 'Secret': {reason}. Invalid property: '{prop}'.")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def _json_accept(hdrs: Mapping[str, str]) -> bool:
    """``is_json_request_accept``: no Accept, ``*/*`` or ``application/json``."""
    accept = hdrs.get("accept", "")
    return not accept or accept in ("*/*", "application/json")


class KeyManagerApi:
    """The REST entry point of one :class:`~cindersim.services.key_manager.KeyManagerService`."""

    def __init__(self, service: KeyManagerService) -> None:
        self.service = service

    @property
    def base(self) -> str:
        return f"{self.service.base_url}/key-manager"

    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        env = self.service.env
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        method = method.upper()
        path_only, _, query = path.partition("?")
        if env.trace.recording:
            # A secret's payload never goes into the trace (it is the key itself).
            env.trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                           method=method, path=path_only,
                           body=f"<{len(body)} bytes>" if body else None)
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        try:
            response = self._dispatch(method, path_only, query, hdrs, body)
        except BarbicanError as exc:
            response = ApiResponse(exc.code, exc.body(), exc.headers)
        response = type(response)(response.status, response.body, {
            **response.headers, "X-Openstack-Request-Id": self.service.next_request_id()})
        if env.trace.recording:
            env.trace.emit("api.response", ACTOR, f"{response.status} for {method} "
                           f"{path_only}", target=caller, status=response.status)
        return response

    # --- routing ------------------------------------------------------------------------------
    def _dispatch(self, method: str, path: str, query: str, hdrs: Mapping[str, str],
                  body: bytes | str | None) -> ApiResponse:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["key-manager"]:
            raise BarbicanError(404, "The resource could not be found.")
        microversion = self._microversion(hdrs)
        if len(parts) == 1:
            self._only(method, "GET")
            return self._versions(microversion)
        if parts[1] != "v1":
            raise BarbicanError(404, "The version you requested wasn't found")
        if len(parts) == 2:
            self._only(method, "GET")
            return ApiResponse(200, {"version": self._v1(microversion)})
        try:
            ctx = self.service.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            return ApiResponse(401, {"error": {
                "code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})
        if parts[2] != "secrets" or len(parts) > 5:
            raise BarbicanError(404, "The resource could not be found.")
        params = dict(parse_qsl(query, keep_blank_values=True))
        if len(parts) == 3:
            if method == "POST":
                return self._create(ctx, hdrs, body)
            self._only(method, "GET")
            return self._list(ctx, params)
        secret = self._lookup(parts[3])
        if len(parts) == 5:
            if parts[4] != "payload":
                raise BarbicanError(404, "The resource could not be found.")
            self._only(method, "GET")
            self._owned(ctx, secret, "Secret payload retrieval")
            return self._payload(secret, hdrs)
        if method == "DELETE":
            self._owned(ctx, secret, "Secret deletion")
            self.service.delete(secret.id)
            return ApiResponse(204)
        self._only(method, "GET", "DELETE")
        self._owned(ctx, secret, "Secret retrieval")
        if _json_accept(hdrs):
            return ApiResponse(200, secret.view(self.base))
        return self._payload(secret, hdrs)  # secret:decrypt

    @staticmethod
    def _only(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise BarbicanError(405, "The method is not allowed for this resource.",
                                {"Allow": ", ".join(allowed)})

    @staticmethod
    def _microversion(hdrs: Mapping[str, str]) -> str | None:
        raw = hdrs.get("openstack-api-version", "")
        service, _, value = raw.strip().partition(" ")
        if service != "key-manager" or not value:
            return None
        value = value.strip()
        if value == "latest":
            return MAX_VERSION
        if value not in ("1.0", "1.1", "1.2"):
            raise BarbicanError(406, f"Version {value} is not supported by the API. Minimum "
                                     f"is {MIN_VERSION} and maximum is {MAX_VERSION}.")
        return value

    def _v1(self, microversion: str | None) -> dict[str, Any]:
        """``V1Controller.get_version_info``: with a microversion above 1.0, the range."""
        links = [{"rel": "self", "href": f"{self.base}/v1/"},
                 {"rel": "describedby", "type": "text/html",
                  "href": "https://docs.openstack.org/"}]
        if microversion in (None, "1.0"):
            return {"id": "v1", "status": "stable", "links": links, "media-types": [
                {"base": "application/json",
                 "type": "application/vnd.openstack.key-manager-v1+json"}]}
        return {"id": "v1", "status": "CURRENT", "min_version": MIN_VERSION,
                "max_version": MAX_VERSION, "links": links}

    def _versions(self, microversion: str | None) -> ApiResponse:
        if microversion in (None, "1.0"):
            return ApiResponse(300, {"versions": {"values": [self._v1(microversion)]}})
        return ApiResponse(300, {"versions": [self._v1(microversion)]})

    def _lookup(self, secret_id: str) -> Secret:
        if not _UUID.match(secret_id):
            raise BarbicanError(404, "Not Found. Provided secret id is invalid.")
        secret = self.service.secrets.get(secret_id)
        if secret is None:
            raise secret_not_found()
        return secret

    @staticmethod
    def _owned(ctx: RequestContext, secret: Secret, operation: str) -> None:
        if ctx.project_id != secret.project_id:
            raise forbidden(operation)

    # --- the secrets controller ---------------------------------------------------------------
    def _create(self, ctx: RequestContext, hdrs: Mapping[str, str],
                raw: bytes | str | None) -> ApiResponse:
        content_type = hdrs.get("content-type", "").split(";")[0].strip()
        if content_type != "application/json":
            raise BarbicanError(415, "Unexpected content type. Expected content types are: "
                                     "['application/json']")
        try:
            data = loads(raw or b"")
        except ValueError as exc:
            raise BarbicanError(400, "Secret creation issue seen - Malformed JSON.") from exc
        if not isinstance(data, dict):
            raise _invalid(f"{data!r} is not of type 'object'", "")
        fields = _validated(data)
        project_id = str(ctx.project_id)
        secret = self.service.store(project_id, ctx.user_id, **fields)
        ref = f"{self.base}/v1/secrets/{secret.id}"
        return ApiResponse(201, {"secret_ref": ref}, {"Location": ref})

    def _list(self, ctx: RequestContext, params: Mapping[str, str]) -> ApiResponse:
        # _clean_paging_values: limit in [1, max_limit_paging = 100] (default 10), offset
        # >= 0; values that are not integers fall back to the defaults.
        limit = min(max(_int(params.get("limit"), 10), 1), 100)
        offset = max(_int(params.get("offset"), 0), 0)
        try:
            bits = int(params.get("bits", "0") or 0)
        except ValueError:  # "if bits is invalid then the default should be used"
            bits = 0
        chosen = [s for s in self.service.secrets.values() if s.project_id == ctx.project_id]
        for key, attr in (("name", "name"), ("alg", "algorithm"), ("mode", "mode"),
                          ("secret_type", "secret_type")):
            if params.get(key):
                chosen = [s for s in chosen if getattr(s, attr) == params[key]]
        if bits:
            chosen = [s for s in chosen if s.bit_length == bits]
        chosen.reverse()  # newest first; creation order is the dict's order
        total = len(chosen)
        page = chosen[offset:offset + limit]
        if not page:
            return ApiResponse(200, {"secrets": [], "total": total})
        body: dict[str, Any] = {"secrets": [s.view(self.base) for s in page]}
        rest = {k: v for k, v in params.items() if k not in ("limit", "offset")}

        def href(at: int) -> str:
            return f"{self.base}/v1/secrets?" + urlencode(
                {**rest, "limit": limit, "offset": at})

        if offset > 0:
            body["previous"] = href(max(offset - limit, 0))
        if offset + limit < total:
            body["next"] = href(offset + limit)
        body["total"] = total
        return ApiResponse(200, body)

    @staticmethod
    def _payload(secret: Secret, hdrs: Mapping[str, str]) -> ApiResponse:
        if secret.payload is None:
            raise BarbicanError(404, "Not Found. Sorry but your secret has no payload.")
        accept = hdrs.get("accept", "")
        if not accept or accept == "*/*":
            accept = "application/octet-stream"
        if accept != (secret.content_type or "application/octet-stream"):
            raise BarbicanError(406, "Secret payload retrieval issue seen - Secret Accept of "
                                     f"{accept} not supported.")
        return RawResponse(200, secret.payload, {"Content-Type": accept})


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    """``NewSecretValidator.validate``: the schema, then the payload's rules."""
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise _invalid(f"{name!r} is not of type 'string', 'null'", "name")
    for key in _SCHEMA_STRINGS:
        if key in data and not isinstance(data[key], str):
            raise _invalid(f"{data[key]!r} is not of type 'string'", key)
    bit_length = data.get("bit_length")
    if bit_length is not None and (isinstance(bit_length, bool) or
                                   not isinstance(bit_length, int)):
        raise _invalid(f"{bit_length!r} is not of type 'integer'", "bit_length")
    if isinstance(bit_length, int) and not 1 <= bit_length <= 32767:
        raise _invalid(f"{bit_length} is less than the minimum of 1" if bit_length < 1 else
                       f"{bit_length} is greater than the maximum of 32767", "bit_length")
    secret_type = data.get("secret_type", "opaque")
    if secret_type not in SECRET_TYPES:
        raise _invalid(f"{secret_type!r} is not one of {list(SECRET_TYPES)!r}", "secret_type")
    encoding = data.get("payload_content_encoding")
    if encoding is not None and encoding != "base64":
        raise _invalid(f"{encoding!r} is not one of ['base64']", "payload_content_encoding")
    content_type = data.get("payload_content_type")
    payload: bytes | None = None
    if "payload" in data:
        if content_type is None:
            raise _invalid("If 'payload' is supplied, 'payload_content_type' must also be "
                           "supplied.", "payload_content_type")
        if content_type not in CONTENT_TYPES:
            raise _invalid(f"payload_content_type is not one of {list(CONTENT_TYPES)!r}",
                           "payload_content_type")
        binary = content_type.startswith("application/")
        if binary != (encoding == "base64"):
            raise _invalid("payload_content_encoding is not one of "
                           f"{['base64'] if binary else []!r}", "payload_content_encoding")
        text = str(data["payload"]).strip()
        if not text:
            raise _invalid("If 'payload' specified, must be non empty", "payload")
        if binary:
            try:
                payload = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _invalid("payload_content_encoding is invalid", "payload") from exc
        else:
            payload = text.encode()
    elif content_type is not None:
        raise _invalid("payload must be provided when payload_content_type is specified",
                       "payload")
    return {"name": name.strip() if isinstance(name, str) else None,
            "algorithm": data.get("algorithm"), "bit_length": bit_length,
            "mode": data.get("mode"), "secret_type": secret_type, "payload": payload,
            "content_type": ("text/plain" if content_type and
                             content_type.startswith("text/plain") else content_type),
            "expiration": data.get("expiration") or None}
