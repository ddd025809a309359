"""``POST /volumes/{id}/action``: the volume actions
(``cinder/api/contrib/volume_actions.py``, ``cinder/api/contrib/admin_actions.py``
and the matching methods of ``cinder/volume/api.py``).

Dispatch is Cinder's: the body must have exactly one key (else 400 "Malformed
request body"), an unknown key is 400 "There is no such action: <key>", then
the action's schema is checked, then the volume is fetched (404 for a missing
or another project's id), then the policy (403).  Every check runs before any
write, so a refused request changes nothing.

Legacy attach flow, all on this route:

=========================== ============================================ ====
``os-reserve``              ``available`` (multiattach: or ``in-use``)   202
                            -> ``attaching``, else 400
``os-initialize_connection`` RPC ``call``; ``{"connection_info": {...}}`` 200
``os-attach``               RPC ``call``: attachment row, ``in-use``      202
``os-begin_detaching``      ``in-use`` + ``attached`` -> ``detaching``    202
``os-roll_detaching``       ``detaching`` -> ``in-use`` (else nothing)    202
``os-terminate_connection`` RPC ``call``, then ``os-unreserve``           202
``os-unreserve``            ``attaching`` -> ``in-use``/``available``    202
``os-detach``               RPC ``call``: export removed, recomputed      202
=========================== ============================================ ====

``maintenance`` blocks ``os-attach``, ``os-detach`` and
``os-initialize_connection`` (and ``os-set_bootable`` through the update).

Admin actions: ``os-reset_status`` (any status but ``deleting``;
``attach_status`` only ``attached``/``detached``, and ``detached`` drops every
attachment; ``in-use`` needs attachments; ``migration_status``),
``os-force_delete`` (the delete checks without the status one),
``os-force_detach`` (terminate + unreserve, then detach).  Plus
``os-set_bootable`` (200), ``os-update_readonly_flag`` (``available`` only) and
``os-extend`` (:mod:`.extend`).

Other modules may add actions with :func:`volume_action`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ...bus import Target
from ...db import Volume
from ...empty import writable_dict
from ...errors import (
    InvalidInput,
    InvalidVolume,
    InvalidVolumeAttachMode,
    VolumeBackendAPIException,
)
from ...states import (
    FIELDS_VOLUME_STATUSES,
    AttachStatus,
    MigrationStatus,
    Op,
    VolumeStatus,
)
from ..volume_utils import extract_host
from .attachments import is_uuid_like
from .common import enforce, invalid_field, read_scope
from .router import route
from .volumes import delete_volume
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["ACTIONS", "volume_action"]

ACTOR = "cinder-api"
_AVAILABLE_MIGRATION_STATUS = (None, "deleting", "error", "success")
_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}

Action = Callable[["ApiService", ApiRequest, str, Any], Awaitable[ApiResponse]]
"""``async def handler(api, req, volume_id, inner_body) -> ApiResponse``."""

ACTIONS: dict[str, Action] = {}
"""Action name -> handler.  Filled below; other modules may register more."""


def volume_action(name: str) -> Callable[[Action], Action]:
    """Register a handler for ``{"<name>": ...}`` on ``POST /volumes/{id}/action``."""

    def mark(fn: Action) -> Action:
        ACTIONS[name] = fn
        return fn

    return mark


@route("POST", "/volumes/{volume_id}/action")
async def action(api: ApiService, req: ApiRequest, volume_id: str) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise HTTPError(400, "Malformed request body")
    name = next(iter(body))
    handler = ACTIONS.get(name)
    if handler is None:
        raise HTTPError(400, f"There is no such action: {name}")
    return await handler(api, req, volume_id, body[name])


# --- shared bits --------------------------------------------------------------------------
def _get(api: ApiService, req: ApiRequest, volume_id: str) -> Volume:
    """``volume_api.get``: 404 for a missing or another project's volume."""
    vol = api.env.db.get_volume(volume_id, read_scope(req))
    return vol


def _target(vol: Volume) -> Target:
    return Target("cinder-volume", extract_host(vol.host or ""))


def _object(name: str, inner: Any, allowed: tuple[str, ...], *,
            nullable: bool = False) -> dict[str, Any]:
    """The action's value as a dict with only *allowed* keys (Cinder's action schemas)."""
    if inner is None and nullable:
        return {}
    if not isinstance(inner, dict):
        kinds = "'object', 'null'" if nullable else "'object'"
        raise invalid_field(name, inner, f"{inner!r} is not of type {kinds}")
    extra = [k for k in inner if k not in allowed]
    if extra:
        listed = ", ".join(f"'{k}'" for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")
    return inner


def _required(name: str, inner: Mapping[str, Any], key: str) -> Any:
    if key not in inner:
        raise invalid_field(name, inner, f"'{key}' is a required property")
    return inner[key]


def _boolean(key: str, value: Any) -> bool:
    """``parameter_types.boolean`` then ``bool_from_string(strict=True)``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise invalid_field(key, value, f"{value!r} is not one of [True, 'True', 'TRUE', 'true', "
                                    "'1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', "
                                    "False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', "
                                    "'off', 'NO', 'No', 'no', 'n', 'f']")


def _not_in_maintenance(vol: Volume, what: str) -> None:
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason=f"The volume {what} in maintenance mode.")


def _unreserve(api: ApiService, vol: Volume, op: str) -> None:
    """``unreserve_volume``: ``attaching`` -> ``in-use`` with attachments, else ``available``;
    any other status: nothing to do."""
    if vol.status != VolumeStatus.ATTACHING:
        return
    new = VolumeStatus.IN_USE if api.env.db.attachments_of(vol.id) else VolumeStatus.AVAILABLE
    api.env.db.transition(vol, new, op=op, actor=ACTOR)


async def _terminate(api: ApiService, vol: Volume, connector: Any, op: str) -> None:
    """``volume_api.terminate_connection``: RPC, then unreserve; a backend error is 500."""
    try:
        await api.env.bus.call(ACTOR, _target(vol), "terminate_connection", volume_id=vol.id,
                                 connector=connector, force=False)
    except VolumeBackendAPIException as exc:
        raise HTTPError(500, "Unable to terminate volume connection from backend.") from exc
    if vol.id in api.env.db.volumes:
        _unreserve(api, vol, op)


# --- legacy attach flow ----------------------------------------------------------------------
@volume_action("os-reserve")
async def _reserve(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:reserve", vol.project_id)
    expected = ((VolumeStatus.AVAILABLE, VolumeStatus.IN_USE) if vol.multiattach
                else (VolumeStatus.AVAILABLE,))
    if vol.status not in expected:
        raise InvalidVolume(reason=f"Volume status must be "
                                   f"{' or '.join(str(s) for s in expected)} to reserve, but "
                                   f"the status is {vol.status}.")
    api.env.db.transition(vol, VolumeStatus.ATTACHING, op=Op.RESERVE, actor=ACTOR)
    return ApiResponse(202, None)


@volume_action("os-unreserve")
async def _unreserve_action(api: ApiService, req: ApiRequest, volume_id: str,
                            inner: Any) -> ApiResponse:
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:unreserve", vol.project_id)
    _unreserve(api, vol, Op.UNRESERVE)
    return ApiResponse(202, None)


@volume_action("os-initialize_connection")
async def _initialize_connection(api: ApiService, req: ApiRequest, volume_id: str,
                                 inner: Any) -> ApiResponse:
    body = _object("os-initialize_connection", inner, ("connector",))
    connector = _required("os-initialize_connection", body, "connector")
    if not isinstance(connector, (dict, str)):
        raise invalid_field("connector", connector,
                            f"{connector!r} is not of type 'object', 'string'")
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:initialize_connection", vol.project_id)
    _not_in_maintenance(vol, "connection cannot be initialized")
    if not isinstance(connector, dict):
        # The schema lets a string through; no driver can read one (os-brick sends a dict).
        raise InvalidInput(reason="Connector doesn't have required information: initiator")
    try:
        info = await api.env.bus.call(ACTOR, _target(vol), "initialize_connection",
                                        volume_id=vol.id, connector=dict(connector))
    except InvalidInput as err:
        raise HTTPError(400, str(err)) from err
    except VolumeBackendAPIException as err:
        raise HTTPError(500, "Unable to fetch connection information from backend.") from err
    return ApiResponse(200, {"connection_info": info})


@volume_action("os-attach")
async def _attach(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    name = "os-attach"
    body = _object(name, inner, ("instance_uuid", "mountpoint", "host_name", "mode"))
    mountpoint = _required(name, body, "mountpoint")
    if not isinstance(mountpoint, str):
        raise invalid_field("mountpoint", mountpoint, f"{mountpoint!r} is not of type 'string'")
    if not 1 <= len(mountpoint) <= 255:
        raise invalid_field("mountpoint", mountpoint, f"{mountpoint!r} is too "
                                                      + ("short" if not mountpoint else "long"))
    if "instance_uuid" not in body and "host_name" not in body:
        raise invalid_field(name, body, f"{body!r} is not valid under any of the given schemas")
    instance_uuid = body.get("instance_uuid")
    if "instance_uuid" in body and not is_uuid_like(instance_uuid):
        raise invalid_field("instance_uuid", instance_uuid, f"{instance_uuid!r} is not a 'uuid'")
    host_name = body.get("host_name")
    if "host_name" in body and not isinstance(host_name, str):
        raise invalid_field("host_name", host_name, f"{host_name!r} is not of type 'string'")
    if isinstance(host_name, str) and len(host_name) > 255:
        raise invalid_field("host_name", host_name, f"{host_name!r} is too long")
    mode = body.get("mode", "rw")
    if mode not in ("rw", "ro"):
        raise invalid_field("mode", mode, f"{mode!r} is not one of ['rw', 'ro']")
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:attach", vol.project_id)
    _not_in_maintenance(vol, "cannot be attached")
    # update_volume_admin_metadata({'readonly': 'False'}, update=False): add if missing.
    readonly = vol.admin_metadata.get("readonly")
    if readonly is None:
        readonly = writable_dict(vol, "admin_metadata")["readonly"] = "False"
    if readonly == "True" and mode != "ro":
        raise InvalidVolumeAttachMode(mode=mode, volume_id=vol.id)
    await api.env.bus.call(ACTOR, _target(vol), "attach_volume", volume_id=vol.id,
                             instance_uuid=instance_uuid, host_name=host_name,
                             mountpoint=mountpoint, mode=mode)
    return ApiResponse(202, None)


@volume_action("os-begin_detaching")
async def _begin_detaching(api: ApiService, req: ApiRequest, volume_id: str,
                           inner: Any) -> ApiResponse:
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:begin_detaching", vol.project_id)
    migrating = vol.migration_status not in _AVAILABLE_MIGRATION_STATUS
    if (vol.status == VolumeStatus.IN_USE and vol.attach_status == AttachStatus.ATTACHED
            and not migrating):
        api.env.db.transition(vol, VolumeStatus.DETACHING, op=Op.BEGIN_DETACHING,
                                actor=ACTOR)
    elif not migrating:
        # A migrating volume silently stays as it is (its migration_status hides it).
        raise InvalidVolume(reason="Unable to detach volume. Volume status must be 'in-use' "
                                   "and attach_status must be 'attached' to detach.")
    return ApiResponse(202, None)


@volume_action("os-roll_detaching")
async def _roll_detaching(api: ApiService, req: ApiRequest, volume_id: str,
                          inner: Any) -> ApiResponse:
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:roll_detaching", vol.project_id)
    if vol.status == VolumeStatus.DETACHING:
        api.env.db.transition(vol, VolumeStatus.IN_USE, op=Op.ROLL_DETACHING, actor=ACTOR)
    return ApiResponse(202, None)


@volume_action("os-terminate_connection")
async def _terminate_connection(api: ApiService, req: ApiRequest, volume_id: str,
                                inner: Any) -> ApiResponse:
    body = _object("os-terminate_connection", inner, ("connector",))
    connector = _required("os-terminate_connection", body, "connector")
    if connector is not None and not isinstance(connector, (dict, str)):
        raise invalid_field("connector", connector,
                            f"{connector!r} is not of type 'string', 'object', 'null'")
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:terminate_connection", vol.project_id)
    enforce(api, req, "volume_extension:volume_actions:unreserve", vol.project_id)
    await _terminate(api, vol, dict(connector) if isinstance(connector, dict) else None,
                     Op.TERMINATE_CONNECTION)
    return ApiResponse(202, None)


@volume_action("os-detach")
async def _detach(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    body = _object("os-detach", inner, ("attachment_id",), nullable=True)
    attachment_id = body.get("attachment_id")
    if attachment_id is not None and not is_uuid_like(attachment_id):
        raise invalid_field("attachment_id", attachment_id, f"{attachment_id!r} is not a 'uuid'")
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_actions:detach", vol.project_id)
    _not_in_maintenance(vol, "cannot be detached")
    await api.env.bus.call(ACTOR, _target(vol), "detach_volume", volume_id=vol.id,
                             attachment_id=attachment_id, op=str(Op.DETACH))
    return ApiResponse(202, None)


# --- admin actions ----------------------------------------------------------------------------
_VALID_ATTACH = (AttachStatus.ATTACHED, AttachStatus.DETACHED)
_VALID_MIGRATION = ("migrating", "error", "success", "completing", "none", "starting")
_VALID_STATUS = frozenset(str(s) for s in FIELDS_VOLUME_STATUSES)


def _reset_update(inner: Any) -> dict[str, Any]:
    """``VolumeAdminController.validate_update``: what to write, or the 400s."""
    if not isinstance(inner, dict):
        raise HTTPError(400, "Must specify 'status', 'attach_status' or 'migration_status' "
                             "for update.")
    update: dict[str, Any] = {}
    valid = False
    status, attach, migration = (inner.get("status"), inner.get("attach_status"),
                                 inner.get("migration_status"))
    if status:
        valid = True
        if not isinstance(status, str):
            raise HTTPError(400, "Must specify 'status'")
        update["status"] = status.lower()
        if update["status"] not in _VALID_STATUS:
            raise HTTPError(400, "Must specify a valid status")
    if attach:
        valid = True
        update["attach_status"] = str(attach).lower()
        if update["attach_status"] not in _VALID_ATTACH:
            raise HTTPError(400, "Must specify a valid attach status")
    if migration:
        valid = True
        update["migration_status"] = str(migration).lower()
        if update["migration_status"] not in _VALID_MIGRATION:
            raise HTTPError(400, "Must specify a valid migration status")
        if update["migration_status"] == MigrationStatus.NONE:
            update["migration_status"] = None
    if not valid:
        raise HTTPError(400, "Must specify 'status', 'attach_status' or 'migration_status' "
                             "for update.")
    return update


@volume_action("os-reset_status")
async def _reset_status(api: ApiService, req: ApiRequest, volume_id: str,
                        inner: Any) -> ApiResponse:
    """A direct DB write; ``attach_status: detached`` then detaches every attachment."""
    env = api.env
    db = env.db
    update = _reset_update(inner)
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:reset_status", vol.project_id)
    # Cinder means to refuse 'deleting', 'error_deleting' and 'detaching', but a missing
    # comma glues the last two into one string, so only 'deleting' is refused.
    if update.get("status") == VolumeStatus.DELETING:
        raise HTTPError(400, f"Cannot reset-state to {update['status']}")
    if update.get("status") == VolumeStatus.IN_USE and not db.attachments_of(vol.id):
        raise HTTPError(400, "Cannot reset-state to in-use because volume does not have any "
                             "attachments.")
    op = Op.RESET_STATUS
    if "status" in update:
        db.transition(vol, VolumeStatus(update["status"]), op=op, actor=ACTOR,
                      reason="os-reset_status")
    if "attach_status" in update:
        db.transition(vol, AttachStatus(update["attach_status"]), op=op, actor=ACTOR,
                      field="attach_status", reason="os-reset_status")
    if "migration_status" in update:
        db.transition(vol, update["migration_status"], op=op, actor=ACTOR,
                      field="migration_status", reason="os-reset_status")
    vol.updated_at = db.stamp()
    if update.get("attach_status") == AttachStatus.DETACHED:
        # _clean_volume_attachment: volume_detached for each, which recomputes the status.
        for att in db.attachments_of(vol.id):
            env.db.volume_detached(vol, att.id, op=op, actor=ACTOR)
        vol.admin_metadata.pop("attached_mode", None)
    return ApiResponse(202, None)


@volume_action("os-force_delete")
async def _force_delete(api: ApiService, req: ApiRequest, volume_id: str,
                        inner: Any) -> ApiResponse:
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:force_delete", vol.project_id)
    enforce(api, req, "volume:delete", vol.project_id)
    await delete_volume(api, vol, cascade=False, force=True, token=req.context.auth_token)
    return ApiResponse(202, None)


@volume_action("os-force_detach")
async def _force_detach(api: ApiService, req: ApiRequest, volume_id: str,
                        inner: Any) -> ApiResponse:
    """Terminate (+ unreserve) then detach, for a volume whose server is gone."""
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume_extension:volume_admin_actions:force_detach", vol.project_id)
    if not isinstance(inner, dict):
        raise HTTPError(400, f"Invalid value '{inner}' for os-force_detach.")
    connector = inner.get("connector")
    attachment_id = inner.get("attachment_id")
    await _terminate(api, vol, dict(connector) if isinstance(connector, dict) else None,
                     Op.FORCE_DETACH)
    if vol.id in api.env.db.volumes:
        await api.env.bus.call(ACTOR, _target(vol), "detach_volume", volume_id=vol.id,
                                 attachment_id=attachment_id, op=str(Op.FORCE_DETACH))
    return ApiResponse(202, None)


# --- flags ------------------------------------------------------------------------------------
@volume_action("os-set_bootable")
async def _set_bootable(api: ApiService, req: ApiRequest, volume_id: str,
                        inner: Any) -> ApiResponse:
    """``volume_api.update(bootable=...)``: policy ``volume:update``; 200 with no body."""
    body = _object("os-set_bootable", inner, ("bootable",))
    bootable = _boolean("bootable", _required("os-set_bootable", body, "bootable"))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume:update", vol.project_id)
    if vol.status == VolumeStatus.MAINTENANCE:
        raise InvalidVolume(reason="The volume cannot be updated during maintenance.")
    vol.bootable = bootable
    vol.updated_at = api.env.db.stamp()
    return ApiResponse(200, None)


@volume_action("os-update_readonly_flag")
async def _update_readonly_flag(api: ApiService, req: ApiRequest, volume_id: str,
                                inner: Any) -> ApiResponse:
    body = _object("os-update_readonly_flag", inner, ("readonly",))
    readonly = _boolean("readonly", _required("os-update_readonly_flag", body, "readonly"))
    vol = _get(api, req, volume_id)
    enforce(api, req, "volume:update_readonly_flag", vol.project_id)
    if vol.status != VolumeStatus.AVAILABLE:
        raise InvalidVolume(reason=f"Volume {vol.id} status must be available to update "
                                   f"readonly flag, but current status is: {vol.status}.")
    writable_dict(vol, "admin_metadata")["readonly"] = str(readonly)
    vol.updated_at = api.env.db.stamp()
    return ApiResponse(202, None)


@volume_action("os-extend")
async def _extend(api: ApiService, req: ApiRequest, volume_id: str, inner: Any) -> ApiResponse:
    from .extend import extend  # noqa: PLC0415 - its own module, loaded when first used

    vol = _get(api, req, volume_id)
    return await extend(api, req, vol, {"os-extend": inner})
