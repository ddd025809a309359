"""cinder-volume's attach and detach methods (``cinder/volume/manager.py``).

Two generations of the same job, both still served by Cinder:

* The **attachments API** (3.27+): ``attachment_update`` creates the export
  and the connection for one reserved attachment and returns its flattened
  ``connection_info``; ``attachment_delete`` terminates that connection and
  removes the export when nothing else shares it.  Both are RPC ``call`` s.
* The **legacy actions**: ``initialize_connection`` / ``terminate_connection``
  (the connection only, no status), ``attach_volume`` (creates the attachment
  row and marks it attached) and ``detach_volume`` (removes the export and the
  attachment).  Also ``call`` s; cinder-backup uses the connection pair too.

What Cinder does in ``_connection_create`` (used by ``attachment_update``), in
order, and its error translation:

1. ``validate_connector``: no ``initiator`` -> ``InvalidInput`` (400 at the API).
2. ``create_export`` (returns ``provider_location``/``provider_auth``, saved
   on the volume); any Cinder error -> ``VolumeBackendAPIException``
   "Create export for volume failed (...)".
3. ``initialize_connection``; a failure removes the export again and raises
   ``VolumeBackendAPIException`` "Driver initialize connection failed ...".
4. ``_parse_connection_options`` adds ``qos_specs``, ``access_mode``,
   ``encrypted`` (and ``discard`` when ``report_discard_supported``).
5. The ``data`` dict is flattened into the connection_info itself (plus
   ``driver_volume_type`` and ``attachment_id``); the attachment becomes
   ``attaching`` and remembers the connector.

Failures in steps 1-3 leave the attachment as it was (``reserved``); only a
failing ``driver.attach_volume`` marks it ``error_attaching``.  On the delete
side a failing ``detach_volume``/``remove_export`` marks the attachment
``error_detaching`` and the API still finishes the detach (it removes the row:
newest Cinder calls ``finish_detach`` at the API unconditionally).  The LVM
driver's ``attach_volume``/``detach_volume`` are the base driver's no-ops; they
are still run through :meth:`VolumeService.drive` with a fault point so a
what-if can fail them.

:meth:`Database.volume_detached` is ``db.volume_detached`` + ``Volume.finish_detach``:
the attachment row goes away and the volume's ``attach_status``/``status`` are
recomputed from the remaining attachments
(:func:`~cindersim.states.statuses_from_attachments`), except that a volume
left ``detached`` keeps its status while it is migrating or ``uploading``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ...db import Volume, VolumeAttachment
from ...empty import writable_dict
from ...errors import (
    CinderException,
    InvalidConnectorException,
    InvalidInput,
    InvalidVolume,
    InvalidVolumeAttachMode,
    VolumeAttachmentNotFound,
    VolumeBackendAPIException,
    VolumeNotFound,
)
from ...states import AttachStatus, Op, VolumeStatus

if TYPE_CHECKING:
    from ..env import ServiceEnv
    from .manager import VolumeService

__all__ = [
    "METHODS",
    "RemoveExportException",
    "attach_volume",
    "attachment_delete",
    "attachment_update",
    "detach_volume",
    "initialize_connection",
    "remove_export",
    "sanitize_hostname",
    "terminate_connection",
]


class RemoveExportException(VolumeBackendAPIException):
    """``cinder.exception.RemoveExportException`` (500): legacy detach could not unexport."""

    message = "Failed to remove export for volume %(volume)s: %(reason)s"


# --- small helpers ----------------------------------------------------------------------
def sanitize_hostname(hostname: str) -> str:
    """``cinder.utils.sanitize_hostname`` (RFC 952/1123), as legacy attach stores host names."""
    name = hostname.encode("latin-1", "ignore").decode("latin-1")
    name = re.sub(r"[ _]", "-", name)
    name = re.sub(r"[^\w.-]+", "", name)
    return name.lower().strip(".-")


def _volume(svc: VolumeService, volume_id: str) -> Volume:
    vol = svc.env.db.volumes.get(volume_id)
    if vol is None:
        raise VolumeNotFound(volume_id=volume_id)
    return vol


def _attachment(svc: VolumeService, attachment_id: str) -> VolumeAttachment:
    att = svc.env.db.attachments.get(attachment_id)
    if att is None:
        raise VolumeAttachmentNotFound(filter=f"attachment_id = {attachment_id}")
    return att


def _noop_driver_call(svc: VolumeService, op: str, volume_id: str) -> Callable[[], None]:
    """A base-driver no-op (``attach_volume``/``detach_volume``) with a fault point."""

    def call() -> None:
        svc.env.faults.check(op, backend=svc.driver.backend, volume_id=volume_id)

    return call


def _save_model_update(svc: VolumeService, vol: Volume, update: Mapping[str, Any] | None) -> None:
    """``volume.update(model_update); volume.save()`` for the export columns."""
    if not update:
        return
    if "provider_location" in update:
        vol.provider_location = update["provider_location"]
    if "provider_auth" in update:
        vol.provider_auth = update["provider_auth"]
    vol.updated_at = svc.env.db.stamp()


def _parse_connection_options(svc: VolumeService, vol: Volume,
                              conn_info: dict[str, Any]) -> dict[str, Any]:
    """``_parse_connection_options``: qos_specs (front-end QoS is not modelled: None),
    ``access_mode`` from the ``attached_mode`` admin metadata, else ``ro`` for a
    read-only volume, else ``rw``; ``encrypted`` and ``discard`` when missing."""
    data = dict(conn_info.get("data") or {})
    data["qos_specs"] = None
    meta = vol.admin_metadata
    access_mode = meta.get("attached_mode")
    if access_mode is None:
        access_mode = "ro" if meta.get("readonly") == "True" else "rw"
    data["access_mode"] = access_mode
    if data.get("encrypted") is None:
        data["encrypted"] = bool(vol.encrypted)
    if data.get("discard") is None and svc.backend.options.get("report_discard_supported"):
        data["discard"] = True
    out = dict(conn_info)
    out["data"] = data
    return out


async def _validate_and_export(svc: VolumeService, vol: Volume,
                               connector: Mapping[str, Any]) -> dict[str, Any]:
    """Steps 1-4 shared by ``initialize_connection`` and ``_connection_create``."""
    res = f"volume:{vol.id}"
    try:
        await svc.drive("validate_connector", svc.driver.validate_connector, connector,
                        resource=res)
    except InvalidConnectorException as err:
        raise InvalidInput(reason=str(err)) from err
    except CinderException as err:
        raise VolumeBackendAPIException(
            data=f"Validate volume connection failed (error: {err}).") from err
    try:
        update = await svc.drive("create_export", svc.driver.create_export, vol, connector,
                                 resource=res)
    except CinderException as ex:
        raise VolumeBackendAPIException(
            data=f"Create export for volume failed ({ex}).") from ex
    _save_model_update(svc, vol, update)
    try:
        conn_info = await svc.drive("initialize_connection", svc.driver.initialize_connection,
                                    vol, connector, resource=res)
    except CinderException as err:
        # Cinder removes the export it just made before giving up (errors there propagate).
        await svc.drive("remove_export", svc.driver.remove_export, vol, resource=res)
        raise VolumeBackendAPIException(
            data=f"Driver initialize connection failed (error: {err}).") from err
    return _parse_connection_options(svc, vol, conn_info)


def _volume_attached(env: ServiceEnv, att: VolumeAttachment, vol: Volume, *,
                     instance_uuid: str | None, host_name: str | None, mountpoint: str | None,
                     mode: str | None, mark_attached: bool, op: str, actor: str) -> None:
    """``db.volume_attached``: fill the attachment in and move both records.

    ``mark_attached`` False (attachments API) gives ``attaching``/``attaching``;
    True (legacy ``os-attach``) gives ``attached`` and ``in-use``/``attached``.
    """
    db = env.db
    att.mountpoint = mountpoint
    att.instance_uuid = instance_uuid
    att.attached_host = host_name
    att.attach_time = db.stamp()
    att.attach_mode = mode
    attach = AttachStatus.ATTACHED if mark_attached else AttachStatus.ATTACHING
    status = VolumeStatus.IN_USE if mark_attached else VolumeStatus.ATTACHING
    db.transition(att, attach, op=op, actor=actor, field="attach_status")
    att.updated_at = db.stamp()
    db.transition(vol, status, op=op, actor=actor)
    db.transition(vol, attach, op=op, actor=actor, field="attach_status")


# --- attachments API --------------------------------------------------------------------
async def attachment_update(svc: VolumeService, *, volume_id: str, connector: dict[str, Any],
                            attachment_id: str) -> dict[str, Any]:
    """Export the volume for *connector* and return the flattened connection_info.

    The mode: the attachment's ``attach_mode`` unless it is ``'null'`` (then the
    connector's ``mode``, default ``rw``), exactly as the manager compares it.
    """
    env = svc.env
    db = env.db
    vol = _volume(svc, volume_id)
    att = _attachment(svc, attachment_id)
    connector = dict(connector)
    mode: str | None = connector.get("mode", "rw")
    if att.attach_mode != "null":
        mode = att.attach_mode
        connector["mode"] = mode
    conn_info = await _validate_and_export(svc, vol, connector)
    data = conn_info.pop("data", {})
    connection_info = dict(data)
    connection_info.update(conn_info)
    if att.id not in db.attachments:  # deleted meanwhile: nothing to record
        raise VolumeAttachmentNotFound(filter=f"attachment_id = {attachment_id}")
    att.connector = dict(connector)
    db.transition(att, AttachStatus.ATTACHING, op=Op.ATTACHMENT_UPDATE, actor=svc.actor,
                  field="attach_status")
    connection_info["attachment_id"] = att.id
    try:
        await svc.drive("attach_volume", _noop_driver_call(svc, "attach_volume", vol.id),
                        resource=f"volume:{vol.id}")
    except CinderException:
        db.transition(att, AttachStatus.ERROR_ATTACHING, op=Op.ATTACHMENT_UPDATE,
                      actor=svc.actor, field="attach_status")
        raise
    _volume_attached(env, att, vol, instance_uuid=att.instance_uuid,
                     host_name=connector.get("host", ""),
                     mountpoint=connector.get("mountpoint", "na"), mode=mode,
                     mark_attached=False, op=Op.ATTACHMENT_UPDATE, actor=svc.actor)
    return connection_info


async def _connection_terminate(svc: VolumeService, vol: Volume,
                                att: VolumeAttachment, force: bool = False) -> bool | None:
    """Terminate the attachment's connection; True if other attachments share the export.

    No stored connector (a shelved-offloaded server never connected): nothing to
    terminate and None, "don't know, don't care", so the export is left alone.
    """
    connector = att.connector
    if not connector and not force:
        return None
    try:
        shared = await svc.drive("terminate_connection", svc.driver.terminate_connection, vol,
                                 connector, svc.env.db.attachments_of(vol.id),
                                 resource=f"volume:{vol.id}")
    except CinderException as err:
        raise VolumeBackendAPIException(
            data=f"Terminate volume connection failed: {err}") from err
    return shared if isinstance(shared, bool) else False


async def attachment_delete(svc: VolumeService, *, attachment_id: str, volume_id: str) -> None:
    """Terminate the connection and remove the export unless another attachment shares it.

    The attachment row itself is removed by the API (``db.volume_detached``).
    """
    vol = _volume(svc, volume_id)
    att = svc.env.db.attachments.get(attachment_id)
    if att is None:
        return
    shared = await _connection_terminate(svc, vol, att)
    try:
        await svc.drive("detach_volume", _noop_driver_call(svc, "detach_volume", vol.id),
                        resource=f"volume:{vol.id}")
        if shared is not None and not shared:
            await svc.drive("remove_export", svc.driver.remove_export, vol,
                            resource=f"volume:{vol.id}")
    except CinderException as exc:
        if att.id in svc.env.db.attachments:
            svc.env.db.transition(att, AttachStatus.ERROR_DETACHING, op=Op.ATTACHMENT_DELETE,
                                    actor=svc.actor, field="attach_status",
                                    reason=f"{type(exc).__name__}: {exc}")


# --- legacy connection calls ----------------------------------------------------------------
async def initialize_connection(svc: VolumeService, *, volume_id: str,
                                connector: dict[str, Any]) -> dict[str, Any]:
    """``{'driver_volume_type': 'iscsi', 'data': {...}}`` for *connector*; no status change."""
    vol = _volume(svc, volume_id)
    return await _validate_and_export(svc, vol, connector)


async def terminate_connection(svc: VolumeService, *, volume_id: str,
                               connector: dict[str, Any] | None, force: bool = False) -> None:
    """Drop *connector*'s access (LIO: its ACL); the export stays (``remove_export`` does that)."""
    vol = _volume(svc, volume_id)
    try:
        await svc.drive("terminate_connection", svc.driver.terminate_connection, vol, connector,
                        svc.env.db.attachments_of(vol.id), resource=f"volume:{vol.id}")
    except CinderException as err:
        raise VolumeBackendAPIException(
            data=f"Terminate volume connection failed: {err}") from err


async def remove_export(svc: VolumeService, *, volume_id: str) -> None:
    """``remove_export`` (what cinder-backup calls after ``terminate_connection``)."""
    vol = _volume(svc, volume_id)
    try:
        await svc.drive("remove_export", svc.driver.remove_export, vol,
                        resource=f"volume:{vol.id}")
    except CinderException as err:
        raise VolumeBackendAPIException(data="Remove volume export failed.") from err


# --- legacy attach / detach -----------------------------------------------------------------
async def attach_volume(svc: VolumeService, *, volume_id: str, instance_uuid: str | None,
                        host_name: str | None, mountpoint: str, mode: str) -> str:
    """``os-attach``: record an attachment and mark it attached; returns its id.

    Already tracked (same instance, or same host without an instance) -> the
    volume is just set ``in-use``.  An ``in-use`` non-multiattach volume that is
    not migrating -> ``InvalidVolume`` "volume is already attached".
    """
    env = svc.env
    db = env.db
    vol = _volume(svc, volume_id)
    meta = vol.admin_metadata
    if vol.status == VolumeStatus.ATTACHING and meta.get("attached_mode") \
            and meta.get("attached_mode") != mode:
        raise InvalidVolume(reason="being attached by different mode")
    host = sanitize_hostname(host_name) if host_name else None
    if instance_uuid:
        mine = [a for a in db.attachments.values() if a.instance_uuid == instance_uuid]
    else:
        mine = [a for a in db.attachments.values() if a.attached_host == host]
    for existing in mine:
        if existing.volume_id == vol.id:
            db.transition(vol, VolumeStatus.IN_USE, op=Op.ATTACH, actor=svc.actor,
                          reason="attachment already tracked")
            return existing.id
    if vol.status == VolumeStatus.IN_USE and not vol.multiattach and not vol.migration_status:
        raise InvalidVolume(reason="volume is already attached")
    # Volume.begin_attach: a new 'attaching' row and the attached_mode admin metadata.
    att = VolumeAttachment(id=env.sim.ids.uuid(), volume_id=vol.id,
                           attach_status=AttachStatus.ATTACHING)
    db.add(att, op=Op.ATTACH, actor=svc.actor)
    meta = writable_dict(vol, "admin_metadata")
    meta["attached_mode"] = mode
    try:
        if meta.get("readonly") == "True" and mode != "ro":
            raise InvalidVolumeAttachMode(mode=mode, volume_id=vol.id)
        await svc.drive("attach_volume", _noop_driver_call(svc, "attach_volume", vol.id),
                        resource=f"volume:{vol.id}")
    except CinderException:
        if att.id in db.attachments:
            db.transition(att, AttachStatus.ERROR_ATTACHING, op=Op.ATTACH, actor=svc.actor,
                          field="attach_status")
        raise
    if att.id not in db.attachments or vol.id not in db.volumes:
        return att.id
    _volume_attached(env, att, vol, instance_uuid=instance_uuid, host_name=host,
                     mountpoint=mountpoint, mode=mode, mark_attached=True, op=Op.ATTACH,
                     actor=svc.actor)
    return att.id


async def detach_volume(svc: VolumeService, *, volume_id: str, attachment_id: str | None = None,
                        op: str = Op.DETACH) -> None:
    """``os-detach`` (and the second half of ``os-force_detach``).

    Picks the attachment (the only one when no id is given; more than one ->
    ``InvalidVolume``; none -> the volume is simply set ``available``/
    ``detached``), runs the driver's detach, removes the export (even when other
    attachments remain: the legacy path does), then ``db.volume_detached``.
    """
    env = svc.env
    db = env.db
    vol = _volume(svc, volume_id)
    if attachment_id:
        att = db.attachments.get(attachment_id)
        if att is None or att.volume_id != vol.id:
            # "Volume detach called, but volume not attached": fix the status and stop.
            env.db.volume_detached(vol, attachment_id, op=op, actor=svc.actor)
            return
    else:
        attachments = db.attachments_of(vol.id)
        if len(attachments) > 1:
            raise InvalidVolume(reason="Detach volume failed: More than one attachment, but "
                                       "no attachment_id provided.")
        if not attachments:
            db.transition(vol, VolumeStatus.AVAILABLE, op=op, actor=svc.actor,
                          reason="detach called, but volume not attached")
            db.transition(vol, AttachStatus.DETACHED, op=op, actor=svc.actor,
                          field="attach_status")
            return
        att = attachments[0]
    try:
        await svc.drive("detach_volume", _noop_driver_call(svc, "detach_volume", vol.id),
                        resource=f"volume:{vol.id}")
    except CinderException:
        if att.id in db.attachments:
            db.transition(att, AttachStatus.ERROR_DETACHING, op=op, actor=svc.actor,
                          field="attach_status")
        raise
    try:
        await svc.drive("remove_export", svc.driver.remove_export, vol,
                        resource=f"volume:{vol.id}")
    except CinderException as ex:
        raise RemoveExportException(volume=vol.id, reason=str(ex)) from ex
    if vol.id in db.volumes:
        env.db.volume_detached(vol, att.id, op=op, actor=svc.actor)


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "attachment_update": attachment_update,
    "attachment_delete": attachment_delete,
    "initialize_connection": initialize_connection,
    "terminate_connection": terminate_connection,
    "remove_export": remove_export,
    "attach_volume": attach_volume,
    "detach_volume": detach_volume,
}
