"""``/attachments`` (microversion 3.27+): the new attach/detach API
(``cinder/api/v3/attachments.py``, ``cinder/volume/api.py`` ``attachment_*``).

* ``POST /attachments`` ``{"attachment": {volume_uuid*, instance_uuid, connector,
  mode (3.54)}}`` -> **200**.  After the schema check, a volume whose status
  contains "error" is refused (400); then the reserve: a non-multiattach volume
  must be ``available`` or ``downloading`` (multiattach: also ``in-use``) and
  becomes ``reserved``, unless the same instance already has an attachment and
  the volume is ``in-use``/``reserved`` (a migrating server re-reserves; the
  status then stays).  The attachment is born ``reserved``.  With a connector
  the API goes straight on to ``attachment_update`` over RPC; any other Cinder
  error from there is a 500 "Unable to create attachment for volume (...)."
* ``PUT /attachments/{id}`` ``{"attachment": {"connector": {...}}}`` -> 200: a
  volume in an error state -> 409; a non-multiattach volume with more than one
  attachment of which one is connected -> 409; then an RPC ``call`` to
  ``attachment_update`` (export + connection, attachment and volume
  ``attaching``); other errors -> 500 "Unable to update attachment.(...).".
* ``POST /attachments/{id}/action`` ``{"os-complete": {}}`` (3.44) -> 204:
  attachment ``attached``, volume ``in-use``/``attached``, unconditionally.
* ``DELETE /attachments/{id}`` -> 200 ``{"attachments": [remaining summaries]}``:
  a ``reserved`` attachment is just dropped; otherwise an RPC ``call`` to
  ``attachment_delete`` (terminate + remove export); then the API's
  ``db.volume_detached`` removes the row and recomputes the volume (no ``detaching``).
  Cinder's "is Nova still using it" check (409) needs Nova, which is not
  simulated: the deletion is always allowed.
* ``GET /attachments``, ``/attachments/detail``, ``/attachments/{id}``.

The create/update responses show the attachment object the API held, which
Cinder does not refresh after the RPC: ``status`` is still ``reserved`` there
even though the database (and a following GET) says ``attaching``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume, VolumeAttachment
from ...errors import CinderException, InvalidVolume, NotAuthorized, ResourceConflict
from ...states import AttachStatus, Op, VolumeStatus
from ..volume_utils import extract_host
from .common import (
    admin,
    body_of,
    check_keys,
    enforce,
    invalid_field,
    list_body,
    paginate,
    read_scope,
)
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["attachment_detail", "attachment_summary", "is_uuid_like"]

ACTOR = "cinder-api"
NEW_ATTACH = "3.27"
ATTACHMENT_COMPLETION = "3.44"
ATTACHMENT_CREATE_MODE_ARG = "3.54"
_FILTERS = ("volume_id", "status", "instance_id", "attach_status")
_SORT_FIELDS = ("created_at", "updated_at", "id", "attach_status", "volume_id",
                "instance_uuid", "attach_time")


# --- views (cinder/api/v3/views/attachments.py) -----------------------------------------------
def attachment_summary(att: VolumeAttachment) -> dict[str, Any]:
    return {"id": att.id, "status": str(att.attach_status), "instance": att.instance_uuid,
            "volume_id": att.volume_id}


def attachment_detail(att: VolumeAttachment) -> dict[str, Any]:
    """The summary plus times (``''`` when unset, as ``_normalize`` gives), mode and info."""
    d = attachment_summary(att)
    d.update(attached_at=att.attach_time or "", detached_at=att.detach_time or "",
             attach_mode=att.attach_mode, connection_info=att.connection_info)
    return d


def is_uuid_like(value: Any) -> bool:
    """``oslo_utils.uuidutils.is_uuid_like``: what the schemas' ``uuid`` format accepts."""
    if not isinstance(value, str):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    wanted = value.lower().replace("urn:", "").replace("uuid:", "").strip("{}").replace("-", "")
    return parsed.hex == wanted


def _uuid_field(obj: dict[str, Any], key: str, *, nullable: bool = False) -> str | None:
    if key not in obj:
        return None
    value = obj[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid_field(key, value, f"{value!r} is not of type 'string'")
    if not is_uuid_like(value):
        raise invalid_field(key, value, f"{value!r} is not a 'uuid'")
    return value


def _volume_host_target(vol: Volume) -> Target:
    return Target("cinder-volume", extract_host(vol.host or ""))


def _error_status(status: str) -> bool:
    return "error" in status


# --- create ---------------------------------------------------------------------------------
def _reserve(api: ApiService, req: ApiRequest, vol: Volume,
             instance_uuid: str | None) -> VolumeAttachment:
    """``_attachment_reserve``: the conditional update to ``reserved`` and the new row."""
    env = api.env
    db = env.db
    if vol.multiattach and vol.status == VolumeStatus.IN_USE and vol.bootable:
        enforce(api, req, "volume:multiattach_bootable_volume", vol.project_id)
    expected = ((VolumeStatus.AVAILABLE, VolumeStatus.IN_USE, VolumeStatus.DOWNLOADING)
                if vol.multiattach else (VolumeStatus.AVAILABLE, VolumeStatus.DOWNLOADING))
    reserve = vol.status in expected
    if not reserve:
        override = bool(instance_uuid) and vol.status in (VolumeStatus.IN_USE,
                                                          VolumeStatus.RESERVED) and any(
            a.instance_uuid == instance_uuid for a in db.attachments_of(vol.id))
        if not override:
            raise InvalidVolume(reason=f"Volume {vol.id} status must be "
                                       f"{' or '.join(str(s) for s in expected)} to reserve, "
                                       f"but the current status is {vol.status}.")
    att = VolumeAttachment(id=env.sim.ids.uuid(), volume_id=vol.id,
                           instance_uuid=instance_uuid, attach_status=AttachStatus.RESERVED)
    if reserve:
        db.transition(vol, VolumeStatus.RESERVED, op=Op.ATTACHMENT_CREATE, actor=ACTOR,
                      reason=f"attachment {att.id[:8]}")
    db.add(att, op=Op.ATTACHMENT_CREATE, actor=ACTOR)
    return att


@route("POST", "/attachments", min_version=NEW_ATTACH)
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    body = body_of(req, "attachment")
    if isinstance(req.body, dict):
        check_keys(req.body, ("attachment",), strict=True)
    with_mode = req.at_least(ATTACHMENT_CREATE_MODE_ARG)
    allowed = ("instance_uuid", "connector", "volume_uuid", "mode") if with_mode else (
        "instance_uuid", "connector", "volume_uuid")
    check_keys(body, allowed, strict=True)
    if "volume_uuid" not in body:
        raise invalid_field("attachment", body, "'volume_uuid' is a required property")
    volume_uuid = _uuid_field(body, "volume_uuid")
    instance_uuid = _uuid_field(body, "instance_uuid")
    connector = body.get("connector")
    if connector is not None and not isinstance(connector, dict):
        raise invalid_field("connector", connector,
                            f"{connector!r} is not of type 'object', 'null'")
    mode = "null"
    if with_mode and "mode" in body:
        mode = body["mode"]
        if mode not in ("rw", "ro"):
            raise invalid_field("mode", mode, f"{mode!r} is not one of ['rw', 'ro']")
    assert volume_uuid is not None
    vol = db.get_volume(volume_uuid, read_scope(req))
    enforce(api, req, "volume:attachment_create", vol.project_id)
    if _error_status(str(vol.status)):
        raise InvalidVolume(reason="Volume attachments can not be created if the volume is in "
                                   f"an error state. The Volume {vol.id} currently has a "
                                   f"status of: {vol.status} ")
    att = _reserve(api, req, vol, instance_uuid)
    shown = attachment_detail(att)  # the object the API holds; Cinder never refreshes it
    connection_info: dict[str, Any] = {}
    if connector:
        try:
            connection_info = await env.bus.call(
                ACTOR, _volume_host_target(vol), "attachment_update", volume_id=vol.id,
                connector=dict(connector), attachment_id=att.id)
        except (NotAuthorized, InvalidVolume):
            raise
        except CinderException as ex:
            raise HTTPError(500, f"Unable to create attachment for volume ({ex}).") from ex
    if att.id in db.attachments:
        att.connection_info = connection_info
        # Read-only via admin metadata still wins over the mode argument (deprecated).
        att.attach_mode = "ro" if vol.admin_metadata.get("readonly") == "True" else mode
        att.updated_at = db.stamp()
        shown["attach_mode"] = att.attach_mode
    shown["connection_info"] = connection_info
    return ApiResponse(200, {"attachment": shown})


# --- read -----------------------------------------------------------------------------------
def _listed(api: ApiService, req: ApiRequest) -> list[VolumeAttachment]:
    db = api.env.db
    project = None if admin(req) and "all_tenants" in req.query else req.context.project_id
    visible = {v.id for v in db.volumes_of_project(project)}
    out = [a for a in db.attachments.values() if a.volume_id in visible]
    for key in _FILTERS:
        want = req.q(key)
        if want is None:
            continue
        if key == "volume_id":
            out = [a for a in out if a.volume_id == want]
        elif key == "instance_id":
            out = [a for a in out if a.instance_uuid == want]
        else:  # 'status' and 'attach_status' both name the attachment's attach_status
            out = [a for a in out if str(a.attach_status) == want]
    return out


def _field(att: VolumeAttachment, key: str) -> Any:
    return getattr(att, key, None)


async def _list(api: ApiService, req: ApiRequest, *, detail: bool) -> ApiResponse:
    atts = _listed(api, req)
    page, links = paginate(api, req, atts, collection="attachments", field=_field,
                           ident=lambda a: a.id, sort_fields=_SORT_FIELDS)
    view = attachment_detail if detail else attachment_summary
    return ApiResponse(200, list_body(req, "attachments", [view(a) for a in page], links,
                                      len(atts), countable=False))


@route("GET", "/attachments", min_version=NEW_ATTACH)
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=False)


@route("GET", "/attachments/detail", min_version=NEW_ATTACH)
async def detail(api: ApiService, req: ApiRequest) -> ApiResponse:
    return await _list(api, req, detail=True)


@route("GET", "/attachments/{attachment_id}", min_version=NEW_ATTACH)
async def show(api: ApiService, req: ApiRequest, attachment_id: str) -> ApiResponse:
    att = api.env.db.get_attachment(attachment_id, read_scope(req))
    return ApiResponse(200, {"attachment": attachment_detail(att)})


# --- update ---------------------------------------------------------------------------------
def _check_update(vol: Volume, attachments: list[VolumeAttachment]) -> None:
    """The two 409s of ``attachment_update`` (error state; a second connected host)."""
    if _error_status(str(vol.status)):
        raise ResourceConflict(reason="Volume attachments can not be updated if the volume is "
                                      f"in an error state. The Volume {vol.id} currently has "
                                      f"a status of: {vol.status} ")
    if len(attachments) > 1 and not vol.multiattach and any(
            a.connection_info for a in attachments):
        raise ResourceConflict(reason=f"duplicate connectors detected on volume {vol.id}")


@route("PUT", "/attachments/{attachment_id}", min_version=NEW_ATTACH)
async def update(api: ApiService, req: ApiRequest, attachment_id: str) -> ApiResponse:
    env = api.env
    db = env.db
    body = body_of(req, "attachment")
    if isinstance(req.body, dict):
        check_keys(req.body, ("attachment",), strict=True)
    check_keys(body, ("connector",), strict=True)
    if "connector" not in body:
        raise invalid_field("attachment", body, "'connector' is a required property")
    connector = body["connector"]
    if not isinstance(connector, dict):
        raise invalid_field("connector", connector, f"{connector!r} is not of type 'object'")
    if not connector:
        raise invalid_field("connector", connector, "{} does not have enough properties")
    att = db.get_attachment(attachment_id, read_scope(req))
    vol = db.get_volume(att.volume_id)
    enforce(api, req, "volume:attachment_update", vol.project_id)
    _check_update(vol, db.attachments_of(vol.id))
    shown = attachment_detail(att)
    try:
        connection_info = await env.bus.call(
            ACTOR, _volume_host_target(vol), "attachment_update", volume_id=vol.id,
            connector=dict(connector), attachment_id=att.id)
    except NotAuthorized:
        raise
    except CinderException as ex:
        raise HTTPError(500, f"Unable to update attachment.({ex}).") from ex
    if att.id in db.attachments:
        att.connection_info = connection_info
        att.updated_at = db.stamp()
    shown["connection_info"] = connection_info
    return ApiResponse(200, {"attachment": shown})


# --- complete -------------------------------------------------------------------------------
@route("POST", "/attachments/{attachment_id}/action", min_version=ATTACHMENT_COMPLETION)
async def action(api: ApiService, req: ApiRequest, attachment_id: str) -> ApiResponse:
    """Only ``os-complete`` exists: mark the attachment attached and the volume in-use."""
    db = api.env.db
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise HTTPError(400, "Malformed request body")
    name = next(iter(body))
    if name != "os-complete":
        raise HTTPError(400, f"There is no such action: {name}")
    att = db.get_attachment(attachment_id, read_scope(req))
    vol = db.get_volume(att.volume_id)
    enforce(api, req, "volume:attachment_complete", vol.project_id)
    db.transition(att, AttachStatus.ATTACHED, op=Op.ATTACHMENT_COMPLETE, actor=ACTOR,
                  field="attach_status")
    att.updated_at = db.stamp()
    db.transition(vol, VolumeStatus.IN_USE, op=Op.ATTACHMENT_COMPLETE, actor=ACTOR)
    db.transition(vol, AttachStatus.ATTACHED, op=Op.ATTACHMENT_COMPLETE, actor=ACTOR,
                  field="attach_status")
    return ApiResponse(204, None)


# --- delete ---------------------------------------------------------------------------------
@route("DELETE", "/attachments/{attachment_id}", min_version=NEW_ATTACH)
async def delete(api: ApiService, req: ApiRequest, attachment_id: str) -> ApiResponse:
    env = api.env
    db = env.db
    att = db.get_attachment(attachment_id, read_scope(req))
    vol = db.get_volume(att.volume_id)
    enforce(api, req, "volume:attachment_delete", vol.project_id)
    if att.attach_status != AttachStatus.RESERVED:
        await env.bus.call(ACTOR, _volume_host_target(vol), "attachment_delete",
                             attachment_id=att.id, volume_id=vol.id)
    if vol.id in db.volumes:
        env.db.volume_detached(vol, att.id, op=Op.ATTACHMENT_DELETE, actor=ACTOR)
    remaining = db.attachments_of(vol.id)
    return ApiResponse(200, {"attachments": [attachment_summary(a) for a in remaining]})
