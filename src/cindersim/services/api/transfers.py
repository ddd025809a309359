"""Volume transfers: ``/os-volume-transfer`` and ``/volume-transfers``.

Follows ``cinder/api/contrib/volume_transfer.py`` (the ``os-volume-transfer``
extension), ``cinder/api/v3/volume_transfer.py`` (``volume-transfers``, whose
create takes ``no_snapshots`` from 3.55 and may transfer encrypted volumes
from 3.70), ``cinder/api/views/transfers.py``, ``cinder/transfer/api.py`` and
the ``transfer_*`` functions of ``cinder/db/sqlalchemy/api.py``:

* Create: the volume (404 for another project's) must be ``available``, not
  encrypted (unless ``volume-transfers`` at >= 3.70), and, unless
  ``no_snapshots``, every snapshot of it ``available``.  A random 8-character
  salt and 16-character ``auth_key`` (hex) are drawn; only the salt and
  ``HMAC-SHA1(salt, auth_key)`` are stored.  The volume becomes
  ``awaiting-transfer``; 202 with the one response that shows the key.
* Delete (202): the transfer goes and an ``awaiting-transfer`` volume is
  ``available`` again.
* Accept (202, any project that knows the id and key): a wrong key is ``400
  Invalid auth key``; the receiver's ``per_volume_gigabytes`` is checked and
  ``volumes``/``gigabytes`` (plus per-type keys) reserved in the receiving
  project (413 if over), the same released from the donor; unless the
  transfer was made with ``no_snapshots``, the volume's snapshots move too,
  with their ``snapshots``/``gigabytes``.  The volume (and those snapshots)
  change owner, the volume is ``available``, the transfer row is gone.
* Lists and show cover the caller's own project (admins: ``all_tenants``); lists
  page from 3.59 on ``volume-transfers`` (see :func:`_list`);
  views add ``no_snapshots`` from 3.55 and the source/destination/accepted
  history from 3.57.
* Transfers never expire: Cinder stores ``expires_at = None`` ("Transfer expiry
  needs to be implemented").

Checks all run before anything is written, so a refused request changes
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ...db import Transfer, Volume
from ...errors import (
    Invalid,
    InvalidAuthKey,
    InvalidSnapshot,
    InvalidVolume,
    OverQuota,
    TransferNotFound,
    VolumeSizeExceedsAvailableQuota,
)
from ...states import Op, SnapshotStatus, VolumeStatus
from ..encryption_keys import transfer_encryption_key
from ..key_manager.castellan import KeyManagerError
from ..quota import over_quota_error
from .common import admin, enforce, invalid_field, link, read_scope
from .listing import count_param, page_of
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["KEY_LENGTH", "SALT_LENGTH", "crypt_hash"]

ACTOR = "cinder-api"
SALT_LENGTH = 8
"""``volume_transfer_salt_length``."""
KEY_LENGTH = 16
"""``volume_transfer_key_length``."""
_COLLECTION = "os-volume-transfer"
"""The view builder's collection name, used in links on both routes."""
_BOOLEAN_ENUM: tuple[Any, ...] = (
    True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t",
    False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f")


async def _move_key(api: ApiService, vol: Any, src: str | None, dst: str | None,
                    snapshots: list[Any]) -> None:
    """An encrypted volume's key changes hands with it (3.70); a failure is Cinder's
    terse "Key manager error"."""
    try:
        await transfer_encryption_key(api.key_manager, vol, snapshots, src, dst)
    except KeyManagerError as exc:
        raise Invalid(message="Key manager error") from exc


def crypt_hash(salt: str, auth_key: str | int) -> str:
    """``transfer.api._get_crypt_hash``: HMAC-SHA1 of the key under the salt, hex."""
    return hmac.new(str(salt).encode(), str(auth_key).encode(), hashlib.sha1).hexdigest()


def _random_hex(api: ApiService, length: int) -> str:
    """What ``sha224(os.urandom(255)).hexdigest()[:length]`` gives, from the sim's rng."""
    return f"{api.env.sim.rng.getrandbits(4 * length):0{length}x}"


# --- views (cinder/api/views/transfers.py) --------------------------------------------------
def _summary(api: ApiService, req: ApiRequest, tr: Transfer) -> dict[str, Any]:
    return {"id": tr.id, "volume_id": tr.volume_id, "name": tr.display_name,
            "links": link(api, req, _COLLECTION, tr.id)}


def _detail(api: ApiService, req: ApiRequest, tr: Transfer) -> dict[str, Any]:
    d: dict[str, Any] = {"id": tr.id, "created_at": tr.created_at, "name": tr.display_name,
                         "volume_id": tr.volume_id,
                         "links": link(api, req, _COLLECTION, tr.id)}
    if req.at_least("3.55"):
        d["no_snapshots"] = tr.no_snapshots
    if req.at_least("3.57"):
        d["destination_project_id"] = tr.destination_project_id
        d["source_project_id"] = tr.source_project_id
        d["accepted"] = tr.accepted
    return d


# --- schemas (cinder/api/schemas/volume_transfer.py) -----------------------------------------
def _top(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    if key not in body:
        raise HTTPError(400, f"'{key}' is a required property")
    extra = [k for k in body if k != key]
    if extra:
        _additional(extra)
    inner = body[key]
    if not isinstance(inner, dict):
        raise invalid_field(key, inner, f"{inner!r} is not of type 'object'")
    return inner


def _additional(extra: list[str]) -> None:
    listed = ", ".join(repr(k) for k in extra)
    verb = "were" if len(extra) > 1 else "was"
    raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} unexpected)")


def _is_uuid(value: str) -> bool:
    """``uuidutils.is_uuid_like``: parses as a UUID and prints back the same (hyphens optional)."""
    try:
        return str(uuid.UUID(value)).replace("-", "") == value.replace("-", "").lower()
    except (TypeError, ValueError, AttributeError):
        return False


def _create_body(req: ApiRequest, *, with_snapshots: bool) -> tuple[str, str | None, bool]:
    """``create`` (or ``create_v355`` with ``no_snapshots``): volume_id, stripped name, flag."""
    t = _top(req.body, "transfer")
    volume_id = t.get("volume_id")
    if "volume_id" in t and (not isinstance(volume_id, str) or not _is_uuid(volume_id)):
        if not isinstance(volume_id, str):
            raise invalid_field("volume_id", volume_id, f"{volume_id!r} is not of type 'string'")
        raise invalid_field("volume_id", volume_id, f"{volume_id!r} is not a 'uuid'")
    name = t.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()
                             or len(name.strip()) > 255):
        raise invalid_field("name", name, f"{name!r} is not valid under any of the given "
                                          "schemas")
    no_snapshots = False
    if with_snapshots and "no_snapshots" in t:
        value = t["no_snapshots"]
        if not isinstance(value, (bool, str)):
            raise invalid_field("no_snapshots", value,
                                f"{value!r} is not of type 'boolean', 'string'")
        if not any(value == a and type(value) is type(a) for a in _BOOLEAN_ENUM):
            shown = "[" + ", ".join(repr(v) for v in _BOOLEAN_ENUM) + "]"
            raise invalid_field("no_snapshots", value, f"{value!r} is not one of {shown}")
        no_snapshots = value if isinstance(value, bool) else \
            value.lower() in {"true", "1", "on", "yes", "y", "t"}
    if "volume_id" not in t:
        raise HTTPError(400, "'volume_id' is a required property")
    allowed = ("volume_id", "name", "no_snapshots") if with_snapshots else ("volume_id", "name")
    extra = [k for k in t if k not in allowed]
    if extra:
        _additional(extra)
    assert isinstance(volume_id, str)
    return volume_id, name.strip() if name is not None else None, no_snapshots


# --- create -----------------------------------------------------------------------------------
@route("POST", "/os-volume-transfer")
@route("POST", "/volume-transfers")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    """202 with the transfer and its ``auth_key``, the only time the key is shown.

    ``os-volume-transfer`` is the v2 controller: no ``no_snapshots`` and no
    encrypted volumes at any microversion.  ``volume-transfers`` takes
    ``no_snapshots`` from 3.55 and allows encrypted volumes from 3.70.
    """
    db = api.env.db
    v3 = req.path.startswith("/volume-transfers")
    volume_id, name, no_snapshots = _create_body(req, with_snapshots=v3 and req.at_least("3.55"))
    allow_encrypted = v3 and req.at_least("3.70")
    vol = db.get_volume(volume_id, read_scope(req))
    enforce(api, req, "volume:create_transfer", vol.project_id)
    if vol.status != VolumeStatus.AVAILABLE:
        raise InvalidVolume(reason="status must be available")
    if vol.encrypted and not allow_encrypted:
        raise InvalidVolume(reason="transferring encrypted volume is not supported")
    if not no_snapshots:
        for snap in db.snapshots_of(vol.id):
            if snap.status != SnapshotStatus.AVAILABLE:
                raise InvalidSnapshot(reason=f"snapshot: {snap.id} status must be available")
    salt = _random_hex(api, SALT_LENGTH)
    auth_key = _random_hex(api, KEY_LENGTH)
    tr = Transfer(id=api.env.sim.ids.uuid(), volume_id=vol.id, display_name=name, salt=salt,
                  crypt_hash=crypt_hash(salt, auth_key), source_project_id=vol.project_id,
                  no_snapshots=no_snapshots, expires_at=None)
    await _move_key(api, vol, req.context.auth_token, api.service_token(),
                    db.snapshots_of(vol.id))  # key_transfer.transfer_create
    db.add(tr, actor=ACTOR)
    db.transition(vol, VolumeStatus.AWAITING_TRANSFER, op=Op.TRANSFER_CREATE, actor=ACTOR,
                  reason=f"transfer {tr.id}")
    api.env.trace.emit("transfer.create", ACTOR,
                         f"transfer {tr.id[:8]} offers volume {vol.id[:8]} of project "
                         f"{vol.project_id[:8]}", resource=f"transfer:{tr.id}",
                         volume_id=vol.id, source_project_id=vol.project_id,
                         no_snapshots=no_snapshots)
    body = _detail(api, req, tr)
    body["auth_key"] = auth_key
    return ApiResponse(202, {"transfer": body})


# --- list / show ------------------------------------------------------------------------------
_COLUMNS = ("id", "volume_id", "display_name", "salt", "crypt_hash", "expires_at",
            "no_snapshots", "source_project_id", "destination_project_id", "accepted",
            "created_at", "updated_at", "deleted_at", "deleted")
"""The ``transfers`` columns: filters on anything else match nothing."""


def _transfer_rows(api: ApiService, req: ApiRequest, paged: bool) -> list[Transfer]:
    """``transfer_api.get_all``: the caller's project's transfers (admins: every one
    with ``all_tenants``), filtered on columns; at 3.59 sorted/marked/offset/limited
    in the query (``created_at`` desc by default), before it ``created_at, id`` asc."""
    skip = {"marker", "limit", "offset", "sort", "sort_key", "sort_dir"} if paged else set()
    filters = {k: v[-1] for k, v in req.query.items() if k not in skip and v}
    raw_all = filters.pop("all_tenants", "false")
    # strutils.bool_from_string, not strict: anything but a true word is false.
    everyone = admin(req) and raw_all.strip().lower() in {"1", "t", "true", "on", "y", "yes"}
    if everyone:
        rows = list(api.env.db.transfers.values())
    else:
        project = req.context.project_id
        rows = [t for t in api.env.db.transfers.values() if t.source_project_id == project]
    if "name" in filters:
        filters["display_name"] = filters.pop("name")
    for key, want in filters.items():
        if key not in _COLUMNS:
            # is_valid_model_filters fails and the query is None: no transfers at all.
            # Below 3.59 nothing takes limit/offset/marker out of the filters first, so
            # Cinder answers any of them with an empty list; so does the simulator.
            return []
        rows = [t for t in rows if str(getattr(t, key, None)) == want]
    if not paged:
        return sorted(rows, key=lambda t: (t.created_at or "", t.id))
    page = page_of(api, req, rows, collection="os-volume-transfer",
                   field=lambda t, k: getattr(t, k, None), ident=lambda t: t.id,
                   columns=_COLUMNS, aliases={"name": "display_name"},
                   not_found=lambda marker: TransferNotFound(transfer_id=marker))
    return page.items


async def _list(api: ApiService, req: ApiRequest, *, detail: bool) -> ApiResponse:
    """``_get_transfers``.  From 3.59 (``SUPPORT_TRANSFER_PAGINATION``, ``volume-transfers``
    only) the query pages; then ``common.limited`` applies ``offset`` and ``limit`` to
    the result (at 3.59 a second time: Cinder skips ``offset`` items twice).  The next
    link (to ``os-volume-transfer``, the view's collection for both routes) is given
    when the result holds at least ``limit`` transfers, marked with the last shown."""
    enforce(api, req, "volume:get_all_transfers")
    paged = req.path.startswith("/volume-transfers") and req.at_least("3.59")
    rows = _transfer_rows(api, req, paged)
    max_limit = int(api.env.config.default["osapi_max_limit"])
    offset = count_param(req, "offset", 0)
    limit = count_param(req, "limit", max_limit)
    shown = rows[offset:offset + (min(limit, max_limit) or max_limit)]
    view = _detail if detail else _summary
    body: dict[str, Any] = {"transfers": [view(api, req, t) for t in shown]}
    if shown and min(limit, max_limit) <= len(rows):
        params = {k: v[-1] for k, v in req.query.items() if k != "marker"}
        params["marker"] = shown[-1].id
        prefix = f"{api.base_url}/v3" + (f"/{req.project_id}" if req.project_id else "")
        body["transfers_links"] = [{"rel": "next", "href": f"{prefix}/os-volume-transfer?"
                                                           f"{urlencode(params)}"}]
    return ApiResponse(200, body)


@route("GET", "/os-volume-transfer")
@route("GET", "/volume-transfers")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=False)


@route("GET", "/os-volume-transfer/detail")
@route("GET", "/volume-transfers/detail")
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=True)


@route("GET", "/os-volume-transfer/{transfer_id}")
@route("GET", "/volume-transfers/{transfer_id}")
async def show(api: ApiService, req: ApiRequest, transfer_id: str) -> ApiResponse:
    enforce(api, req, "volume:get_transfer")
    tr = api.env.db.get_transfer(transfer_id, read_scope(req))
    return ApiResponse(200, {"transfer": _detail(api, req, tr)})


# --- delete -----------------------------------------------------------------------------------
@route("DELETE", "/os-volume-transfer/{transfer_id}")
@route("DELETE", "/volume-transfers/{transfer_id}")
async def delete(api: ApiService, req: ApiRequest, transfer_id: str) -> ApiResponse:
    """The volume goes back to ``available`` (left alone if it is no longer awaiting)."""
    db = api.env.db
    tr = db.get_transfer(transfer_id, read_scope(req))
    vol = db.get_volume(tr.volume_id)
    enforce(api, req, "volume:delete_transfer", vol.project_id)
    if vol.status == VolumeStatus.AWAITING_TRANSFER:
        await _move_key(api, vol, api.service_token(), req.context.auth_token,
                        db.snapshots_of(vol.id))  # key_transfer.transfer_delete
        db.transition(vol, VolumeStatus.AVAILABLE, op=Op.TRANSFER_DELETE, actor=ACTOR,
                      reason=f"transfer {tr.id} deleted")
    db.remove(tr, actor=ACTOR)
    api.env.trace.emit("transfer.delete", ACTOR, f"transfer {tr.id[:8]} of volume "
                         f"{vol.id[:8]} withdrawn", resource=f"transfer:{tr.id}",
                         volume_id=vol.id)
    return ApiResponse(202, None)


# --- accept -----------------------------------------------------------------------------------
def _accept_body(req: ApiRequest) -> str | int:
    a = _top(req.body, "accept")
    if "auth_key" in a:
        key = a["auth_key"]
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise invalid_field("auth_key", key, f"{key!r} is not of type 'string', 'integer'")
    else:
        raise HTTPError(400, "'auth_key' is a required property")
    extra = [k for k in a if k != "auth_key"]
    if extra:
        _additional(extra)
    value: str | int = a["auth_key"]
    return value


def _check_quota(api: ApiService, project_id: str, deltas: Mapping[str, int], *,
                 resource: str, size: int, pending: Mapping[str, int]) -> None:
    """Would reserving *deltas* (on top of *pending*) go over?  Raise the 413 if so.

    Cinder reserves the volume's quota, then the snapshots' quota on top; when the
    second fails it leaves the first reservation to expire.  Checking both first
    (with the quota engine's own rule) and reserving only when both fit gives the
    same answers while a refused accept changes nothing.
    """
    quota = api.env.quota
    quotas = {r: quota.limit(project_id, r) for r in deltas}
    usages: dict[str, dict[str, int]] = {}
    for r in deltas:
        row = api.env.db.quota_usages.get((project_id, r))
        usages[r] = {"in_use": row.in_use if row else 0,
                     "reserved": (row.reserved if row else 0) + pending.get(r, 0)}
    overs = sorted(r for r, d in deltas.items()
                   if quotas[r] >= 0 and d >= 0
                   and usages[r]["in_use"] + usages[r]["reserved"] + d > quotas[r])
    if not overs:
        return
    error = over_quota_error(OverQuota(overs, quotas, usages), resource, size)
    if isinstance(error, VolumeSizeExceedsAvailableQuota):
        # The accept controller turns this one into HTTPRequestEntityTooLarge with the
        # bare message (no class-name prefix, unlike the fault wrapper's).
        raise HTTPError(413, error.msg, headers={"Retry-After": "0"})
    raise error


@route("POST", "/os-volume-transfer/{transfer_id}/accept")
@route("POST", "/volume-transfers/{transfer_id}/accept")
async def accept(api: ApiService, req: ApiRequest, transfer_id: str) -> ApiResponse:
    """Move the volume (and, unless ``no_snapshots``, its snapshots) and their quota."""
    env = api.env
    db = env.db
    quota = env.quota
    ctx = req.context
    auth_key = _accept_body(req)
    enforce(api, req, "volume:accept_transfer")
    tr = db.get_transfer(transfer_id)  # elevated: the volume still belongs to the donor
    if not hmac.compare_digest(crypt_hash(tr.salt, auth_key), tr.crypt_hash):
        raise InvalidAuthKey(reason=f"Attempt to transfer {transfer_id} with invalid auth key.")
    vol = db.get_volume(tr.volume_id)
    if vol.consistencygroup_id:
        raise InvalidVolume(reason=f"Volume {vol.id} must not be part of a consistency group.")
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason="The volume could not be accepted because it is in "
                                   "maintenance status.")
    if vol.status != VolumeStatus.AWAITING_TRANSFER:
        # Cinder writes 'available' whatever the status; the simulator's state table
        # only knows awaiting-transfer -> available, so anything else is refused.
        raise InvalidVolume(reason=f"Volume status must be awaiting-transfer, not "
                                   f"{vol.status}.")
    quota.check_per_volume(vol.size, ctx.project_id)
    vtype = db.volume_types.get(vol.volume_type_id or "")
    type_name = vtype.name if vtype is not None else None
    donor = vol.project_id
    vol_deltas = quota.volume_deltas(vol.size, type_name)
    snapshots = [] if tr.no_snapshots else db.snapshots_of(vol.id)
    snap_gb = sum(s.volume_size for s in snapshots)
    snap_deltas = quota.snapshot_deltas(snap_gb, type_name, count=len(snapshots))
    _check_quota(api, ctx.project_id, vol_deltas, resource="volumes", size=vol.size,
                 pending={})
    if snapshots:
        _check_quota(api, ctx.project_id, snap_deltas, resource="snapshots", size=snap_gb,
                     pending=vol_deltas)
    await _move_key(api, vol, api.service_token(), ctx.auth_token,
                    db.snapshots_of(vol.id))  # key_transfer.transfer_accept
    held = quota.reserve(ctx.project_id, vol_deltas)
    if snapshots:
        held += quota.reserve(ctx.project_id, snap_deltas)
    released = quota.reserve(donor, {k: -v for k, v in
                                     quota.volume_deltas(vol.size, type_name).items()})
    if snapshots:
        released += quota.reserve(donor, {k: -v for k, v in snap_deltas.items()})
    _move(api, vol, ctx.user_id, ctx.project_id, snapshots)
    db.transition(vol, VolumeStatus.AVAILABLE, op=Op.TRANSFER_ACCEPT, actor=ACTOR,
                  reason=f"transfer {tr.id} accepted")
    tr.destination_project_id = ctx.project_id
    tr.accepted = True
    db.remove(tr, actor=ACTOR)  # Cinder soft-deletes the accepted transfer
    quota.commit(held)
    quota.commit(released)
    env.trace.emit("transfer.accept", ACTOR,
                     f"volume {vol.id[:8]} moved from project {donor[:8]} to "
                     f"{ctx.project_id[:8]}"
                     + (f" with {len(snapshots)} snapshot(s)" if snapshots else ""),
                     resource=f"transfer:{tr.id}", volume_id=vol.id,
                     source_project_id=donor, destination_project_id=ctx.project_id,
                     snapshot_ids=[s.id for s in snapshots], size=vol.size,
                     snapshot_gigabytes=snap_gb)
    return ApiResponse(202, {"transfer": _summary(api, req, tr)})


def _move(api: ApiService, vol: Volume, user_id: str, project_id: str,
          snapshots: list[Any]) -> None:
    """``transfer_accept``: new owner for the volume and the snapshots that go with it."""
    now = api.env.db.stamp()
    vol.user_id = user_id
    vol.project_id = project_id
    vol.updated_at = now
    for snap in snapshots:
        snap.user_id = user_id
        snap.project_id = project_id
        snap.updated_at = now
