"""swift-proxy's account, container and object API over the simulated cluster.

Routes (``/object-store`` is the devstack prefix; Swift's path is
``/v1/<account>/<container>/<object>``):

* ``/object-store/info``: the cluster's constraints (``GET``, no token).
* account ``AUTH_<project_id>``: ``GET`` (containers; ``format=json`` or
  ``Accept: application/json`` for JSON, else names as ``text/plain``, 204 when
  empty), ``HEAD`` (204, ``X-Account-Container-Count``/``-Object-Count``/
  ``-Bytes-Used``);
* container: ``GET`` (objects; ``prefix``, ``delimiter``, ``marker``,
  ``end_marker``, ``limit`` up to 10000 else 412, ``reverse``), ``HEAD`` (204,
  ``X-Container-Object-Count``/``-Bytes-Used``), ``PUT`` (201 created, 202
  exists), ``DELETE`` (204; 409 when not empty; 404 when missing);
* object: ``GET``/``HEAD`` (200, ``ETag``, ``Content-Length``, ``Content-Type``,
  ``X-Timestamp``, ``Last-Modified``), ``PUT`` (201, ``ETag`` = md5 of the body;
  404 without the container), ``DELETE`` (204; 404 when missing).

Every answer carries ``X-Trans-Id``/``X-Openstack-Request-Id``.  With
keystoneauth, a token reaches only the account of its own project (403
otherwise; 401 without a valid token).  Errors are Swift's small HTML pages
(400s from constraints are ``text/plain``).

Which account holds what: cinder-backup's Swift driver writes with the user's
token (``backup_swift_auth = per_user``), so a backup's chunks, ``_sha256file``
and ``_metadata`` live in the backup's project's account.  The simulated store
has one namespace of containers, so the account view keeps the objects whose
owner (:data:`AccountOf`, the backup's project) is the account's project.
Objects and containers made through this API are kept here, per account, and so
are the containers cinder-backup creates (:meth:`SwiftService.container_made`),
which outlive the backups in them as in Swift.
Reads of the store never charge its meter (it is cinder-backup's clock); a
DELETE of a backup object through the API is a real store delete.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import attrs

from ...backends.objectstore import (
    SWIFT_MAX_CONTAINER_NAME_LENGTH,
    SWIFT_MAX_FILE_SIZE,
    SWIFT_MAX_OBJECT_NAME_LENGTH,
    ObjectStore,
)
from ...db import EPOCH
from ...errors import Unauthorized
from ..api.wsgi import RawResponse
from .content import ApiObject, EtagCache, served_bytes

if TYPE_CHECKING:
    from ..api.wsgi import ApiResponse
    from ..env import ServiceEnv
    from ..keystone.client import TokenValidator

__all__ = ["ACTOR", "AccountOf", "SwiftService"]

ACTOR = "swift-proxy"
AccountOf = Callable[[str, str], str | None]
"""``(container, object name) -> project id`` of an object cinder-backup wrote."""
LISTING_LIMIT = 10000
"""``container_listing_limit`` / ``account_listing_limit``."""
_HTML = "text/html; charset=UTF-8"
_PAGES = {401: ("Unauthorized", "This server could not verify that you are authorized to "
                                "access the document you requested."),
          403: ("Forbidden", "Access was denied to this resource."),
          404: ("Not Found", "The resource could not be found."),
          405: ("Method Not Allowed", "The method is not allowed for this resource."),
          409: ("Conflict", "There was a conflict when trying to complete your request."),
          413: ("Request Entity Too Large", "The body of your request was too large for "
                                            "this server.")}


@attrs.define
class _Container:
    timestamp: float
    objects: dict[str, ApiObject] = attrs.field(factory=dict)


@attrs.frozen
class _Entry:
    """One object as a listing shows it."""

    name: str
    size: int
    etag: str
    content_type: str
    timestamp: float


class _SwiftError(Exception):
    def __init__(self, status: int, text: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(text or str(status))
        self.status = status
        self.text = text
        self.headers = dict(headers or {})


class SwiftService:
    """The object-store API of one env.

    Args:
        env: the env (clock, trace).
        identity: Keystone (tokens).
        store: the cluster cinder-backup writes into (``cloud.backup.store``).
        account_of: owner of a store object (see :data:`AccountOf`).
    """

    def __init__(self, env: ServiceEnv, *, identity: TokenValidator, store: ObjectStore,
                 account_of: AccountOf) -> None:
        self.env = env
        self.identity = identity
        self.store = store
        self.account_of = account_of
        self.accounts: dict[str, dict[str, _Container]] = {}
        """Per project, the containers made through the API (with their objects)."""
        self._etags = EtagCache()
        self._transactions = 0

    # --- entry point --------------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        env = self.env
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        path_only, _, query = path.partition("?")
        raw = body.encode() if isinstance(body, str) else (body or b"")
        if env.trace.recording:
            env.trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                           method=method, path=path_only,
                           body=f"<{len(raw)} bytes>" if raw else None)
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        self._transactions += 1
        trans = f"tx{self._transactions:021x}-{int(self._epoch_now()):010x}"
        try:
            response = self._dispatch(method.upper(), path_only, dict(parse_qsl(
                query, keep_blank_values=True)), hdrs, raw)
        except _SwiftError as exc:
            response = _error(exc)
        response = RawResponse(response.status, response.body, {
            **response.headers, "X-Trans-Id": trans, "X-Openstack-Request-Id": trans})
        if env.trace.recording:
            env.trace.emit("api.response", ACTOR, f"{response.status} for {method} "
                           f"{path_only}", target=caller, status=response.status)
        return response

    def _epoch_now(self) -> float:
        return EPOCH.timestamp() + self.env.sim.now()

    def _dispatch(self, method: str, path: str, query: Mapping[str, str],
                  hdrs: Mapping[str, str], body: bytes) -> ApiResponse:
        rest = path[len("/object-store"):]
        if rest.rstrip("/") == "/info":
            if method not in ("GET", "HEAD"):
                raise _SwiftError(405, headers={"Allow": "GET, HEAD"})
            return _json(200, self.info())
        version, _, tail = rest.lstrip("/").partition("/")
        account, _, tail = tail.partition("/")
        container, _, obj = tail.partition("/")
        if version != "v1" or not account:
            raise _SwiftError(404)
        project = self._authorize(account, hdrs)
        if not container:
            return self._account(method, project, query, hdrs)
        if len(container.encode()) > SWIFT_MAX_CONTAINER_NAME_LENGTH:
            raise _SwiftError(400, f"Container name length of {len(container.encode())} "
                                   f"longer than {SWIFT_MAX_CONTAINER_NAME_LENGTH}")
        if not obj:
            return self._container(method, project, container, query, hdrs)
        if len(obj.encode()) > SWIFT_MAX_OBJECT_NAME_LENGTH:
            raise _SwiftError(400, f"Object name length of {len(obj.encode())} longer than "
                                   f"{SWIFT_MAX_OBJECT_NAME_LENGTH}")
        return self._object(method, project, container, obj, hdrs, body)

    def _authorize(self, account: str, hdrs: Mapping[str, str]) -> str:
        try:
            ctx = self.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            raise _SwiftError(401) from None
        if not account.startswith("AUTH_") or account[5:] != ctx.project_id:
            raise _SwiftError(403)
        return account[5:]

    def container_made(self, project: str, container: str) -> None:
        """cinder-backup's Swift driver PUT *container* into *project*'s account (with the
        user's token): it is listed there, empty or not, until someone deletes it."""
        self.accounts.setdefault(project, {}).setdefault(container,
                                                         _Container(self._epoch_now()))

    def info(self) -> dict[str, Any]:
        return {"swift": {"version": "2.35.0", "max_file_size": SWIFT_MAX_FILE_SIZE,
                          "max_object_name_length": SWIFT_MAX_OBJECT_NAME_LENGTH,
                          "max_container_name_length": SWIFT_MAX_CONTAINER_NAME_LENGTH,
                          "container_listing_limit": LISTING_LIMIT,
                          "account_listing_limit": LISTING_LIMIT,
                          "max_meta_name_length": 128, "max_meta_value_length": 256},
                "tempurl": {"methods": ["GET", "HEAD", "PUT", "POST", "DELETE"]}}

    # --- the account's view --------------------------------------------------------------
    def _store_entries(self, project: str, container: str) -> list[_Entry]:
        store = self.store
        if container not in store.containers():
            return []
        entries = []
        for name in store._names(container, ""):
            obj = store.peek(container, name)
            if obj is None or self.account_of(container, name) != project:
                continue
            entries.append(_Entry(name, obj.size, self._etags.etag(obj),
                                  "application/octet-stream", _stamp_of(name)))
        return entries

    def _entries(self, project: str, container: str) -> list[_Entry] | None:
        """The container's objects, sorted by name; None when it does not exist."""
        own = self.accounts.get(project, {}).get(container)
        entries = {e.name: e for e in self._store_entries(project, container)}
        if own is None and not entries:
            return None
        if own is not None:
            for name, o in own.objects.items():
                entries[name] = _Entry(name, len(o.data), o.etag, o.content_type, o.timestamp)
        return [entries[n] for n in sorted(entries)]

    def _container_names(self, project: str) -> list[str]:
        names = set(self.accounts.get(project, {}))
        names.update(c for c in self.store.containers() if self._store_entries(project, c))
        return sorted(names)

    # --- account -----------------------------------------------------------------------
    def _account(self, method: str, project: str, query: Mapping[str, str],
                 hdrs: Mapping[str, str]) -> ApiResponse:
        if method not in ("GET", "HEAD"):
            raise _SwiftError(405, headers={"Allow": "GET, HEAD"})
        containers: list[dict[str, Any]] = []
        for name in self._container_names(project):
            entries = self._entries(project, name) or []
            own = self.accounts.get(project, {}).get(name)
            stamp = own.timestamp if own is not None else min(
                (e.timestamp for e in entries), default=EPOCH.timestamp())
            containers.append({"name": name, "count": len(entries),
                               "bytes": sum(e.size for e in entries),
                               "last_modified": _iso(stamp)})
        headers = {
            "X-Account-Container-Count": str(len(containers)),
            "X-Account-Object-Count": str(sum(int(c["count"]) for c in containers)),
            "X-Account-Bytes-Used": str(sum(int(c["bytes"]) for c in containers)),
            "X-Timestamp": f"{EPOCH.timestamp():.5f}", "Accept-Ranges": "bytes",
        }
        if method == "HEAD":
            return RawResponse(204, None, headers)
        return _listing(_page(containers, query), query, hdrs, headers)

    # --- container -----------------------------------------------------------------------
    def _container(self, method: str, project: str, container: str,
                   query: Mapping[str, str], hdrs: Mapping[str, str]) -> ApiResponse:
        if method == "PUT":
            account = self.accounts.setdefault(project, {})
            if container in account or self._store_entries(project, container):
                return RawResponse(202, None, {"Content-Type": _HTML})
            account[container] = _Container(self._epoch_now())
            return RawResponse(201, None, {"Content-Type": _HTML})
        if method not in ("GET", "HEAD", "DELETE"):
            raise _SwiftError(405, headers={"Allow": "DELETE, GET, HEAD, PUT"})
        entries = self._entries(project, container)
        if entries is None:
            raise _SwiftError(404)
        if method == "DELETE":
            if entries:
                raise _SwiftError(409)
            self.accounts.get(project, {}).pop(container, None)
            return RawResponse(204, None, {"Content-Type": _HTML})
        own = self.accounts.get(project, {}).get(container)
        stamp = own.timestamp if own is not None else min(e.timestamp for e in entries)
        headers = {"X-Container-Object-Count": str(len(entries)),
                   "X-Container-Bytes-Used": str(sum(e.size for e in entries)),
                   "X-Timestamp": f"{stamp:.5f}", "X-Storage-Policy": "Policy-0",
                   "Accept-Ranges": "bytes"}
        if method == "HEAD":
            return RawResponse(204, None, headers)
        rows: list[dict[str, Any]] = [
            {"hash": e.etag, "last_modified": _iso(e.timestamp), "bytes": e.size,
             "name": e.name, "content_type": e.content_type} for e in entries]
        prefix = query.get("prefix", "")
        rows = [r for r in rows if r["name"].startswith(prefix)]
        delimiter = query.get("delimiter")
        if delimiter:
            rows = _fold(rows, prefix, delimiter)
        return _listing(_page(rows, query), query, hdrs, headers)

    # --- object --------------------------------------------------------------------------
    def _object(self, method: str, project: str, container: str, name: str,
                hdrs: Mapping[str, str], body: bytes) -> ApiResponse:
        own = self.accounts.get(project, {}).get(container)
        stored = self.store.peek(container, name)
        if stored is not None and self.account_of(container, name) != project:
            stored = None
        if method == "PUT":
            if own is None:
                if not self._store_entries(project, container):
                    raise _SwiftError(404)
                own = self.accounts.setdefault(project, {}).setdefault(
                    container, _Container(self._epoch_now()))
            if len(body) > SWIFT_MAX_FILE_SIZE:
                raise _SwiftError(413)
            etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
            sent = hdrs.get("etag", "").strip('"')
            if sent and sent != etag:
                raise _SwiftError(422, "Unprocessable Entity")
            if stored is not None:  # the API write replaces what the driver wrote
                self.store.delete(container, name)
            now = self._epoch_now()
            own.objects[name] = ApiObject(body, etag, hdrs.get(
                "content-type", "application/octet-stream"), now)
            return RawResponse(201, None, {"ETag": etag, "Content-Type": _HTML,
                                           "Last-Modified": _http_date(now)})
        if method not in ("GET", "HEAD", "DELETE"):
            raise _SwiftError(405, headers={"Allow": "DELETE, GET, HEAD, PUT"})
        api_obj = own.objects.get(name) if own is not None else None
        if api_obj is None and stored is None:
            raise _SwiftError(404)
        if method == "DELETE":
            if api_obj is not None and own is not None:
                del own.objects[name]
            else:
                self.store.delete(container, name)
            return RawResponse(204, None, {"Content-Type": _HTML})
        if api_obj is not None:
            data, etag = api_obj.data, api_obj.etag
            content_type, stamp = api_obj.content_type, api_obj.timestamp
        else:
            assert stored is not None
            data, etag = served_bytes(stored), self._etags.etag(stored)
            content_type, stamp = "application/octet-stream", _stamp_of(name)
        return RawResponse(200, data, {
            "Content-Type": content_type, "ETag": etag, "X-Timestamp": f"{stamp:.5f}",
            "Last-Modified": _http_date(stamp), "Accept-Ranges": "bytes"})


# --- helpers ---------------------------------------------------------------------------------
def _error(exc: _SwiftError) -> ApiResponse:
    if exc.text is not None:
        return RawResponse(exc.status, exc.text.encode(), {
            **exc.headers, "Content-Type": "text/plain; charset=UTF-8"})
    title, text = _PAGES.get(exc.status, ("Error", ""))
    page = f"<html><h1>{title}</h1><p>{text}</p></html>"
    return RawResponse(exc.status, page.encode(), {**exc.headers, "Content-Type": _HTML})


def _json(status: int, body: Any) -> ApiResponse:
    return RawResponse(status, json.dumps(body).encode(),
                       {"Content-Type": "application/json; charset=utf-8"})


def _wants_json(query: Mapping[str, str], hdrs: Mapping[str, str]) -> bool:
    fmt = query.get("format", "").lower()
    if fmt:
        return fmt == "json"
    return "application/json" in hdrs.get("accept", "")


def _page(rows: list[dict[str, Any]], query: Mapping[str, str]) -> list[dict[str, Any]]:
    try:
        limit = int(query.get("limit", LISTING_LIMIT))
    except ValueError:
        raise _SwiftError(412, "Value of limit must be a positive integer") from None
    if limit < 0:
        raise _SwiftError(412, "Value of limit must be a positive integer")
    if limit > LISTING_LIMIT:
        raise _SwiftError(412, f"Maximum limit is {LISTING_LIMIT}")
    if query.get("reverse", "").lower() in ("1", "true", "yes", "on", "t", "y"):
        rows = rows[::-1]
        marker, end = query.get("marker"), query.get("end_marker")
        rows = [r for r in rows if (not marker or _row_key(r) < marker)
                and (not end or _row_key(r) > end)]
    else:
        marker, end = query.get("marker"), query.get("end_marker")
        rows = [r for r in rows if (not marker or _row_key(r) > marker)
                and (not end or _row_key(r) < end)]
    return rows[:limit]


def _row_key(row: Mapping[str, Any]) -> str:
    return str(row.get("name", row.get("subdir", "")))


def _fold(rows: list[dict[str, Any]], prefix: str, delimiter: str) -> list[dict[str, Any]]:
    """``delimiter``: names with the delimiter after the prefix fold into ``subdir`` rows."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        rest = row["name"][len(prefix):]
        cut = rest.find(delimiter)
        if cut < 0:
            out.append(row)
            continue
        subdir = prefix + rest[:cut + len(delimiter)]
        if subdir not in seen:
            seen.add(subdir)
            out.append({"subdir": subdir})
    return out


def _listing(rows: list[dict[str, Any]], query: Mapping[str, str], hdrs: Mapping[str, str],
             headers: Mapping[str, str]) -> ApiResponse:
    if _wants_json(query, hdrs):
        return RawResponse(200, json.dumps(rows).encode(), {
            **headers, "Content-Type": "application/json; charset=utf-8"})
    if not rows:
        return RawResponse(204, None, {**headers, "Content-Type": "text/plain; charset=utf-8"})
    text = "".join(f"{r.get('name', r.get('subdir'))}\n" for r in rows)
    return RawResponse(200, text.encode(), {
        **headers, "Content-Type": "text/plain; charset=utf-8"})


def _stamp_of(name: str) -> float:
    """When cinder-backup wrote *name*: the ``YYYYMMDDHHMMSS`` of its prefix, else the epoch."""
    for part in name.split("/"):
        if len(part) == 14 and part.isdigit():
            try:
                when = dt.datetime.strptime(part, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
            except ValueError:
                continue
            return when.timestamp()
    return EPOCH.timestamp()


def _iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _http_date(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
