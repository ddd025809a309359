"""How records look over the API (``cinder/api/v3/views/*.py``).

The volume view renames three internal statuses, shows ``bootable`` as a
string, lists only ``attached`` attachments, and adds fields by microversion
and by role (host and migration status are admin-only).  There is no
``attach_status`` in the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db import Snapshot, Volume, VolumeAttachment
from ...states import VolumeStatus
from .common import admin, link
from .wsgi import ApiRequest

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["VISIBLE_ADMIN_METADATA", "snapshot_detail", "snapshot_summary", "volume_detail",
           "volume_metadata_view", "volume_summary"]

_VIEW_STATUS = {"managing": "creating", "error_managing": "error",
                "error_managing_deleting": "deleting"}
_SHOWN_STATUS: dict[str, str] = {s.value: _VIEW_STATUS.get(s.value, s.value)
                                 for s in VolumeStatus}
"""Each volume status as the view shows it, a plain str (a VolumeStatus finds its
value's entry: a StrEnum member hashes and compares as its value)."""
VISIBLE_ADMIN_METADATA = ("readonly", "attached_mode")
"""``api_utils._visible_admin_metadata_keys``: admin metadata every reader sees."""


def volume_summary(api: ApiService, req: ApiRequest, vol: Volume) -> dict[str, Any]:
    return {"id": vol.id, "name": vol.display_name, "links": link(api, req, "volumes", vol.id)}


def _attachments(api: ApiService, req: ApiRequest, vol: Volume,
                 rows: list[VolumeAttachment]) -> list[dict[str, Any]]:
    """The ``attached`` ones of *rows* (the volume's attachments) as the view lists them."""
    out = []
    for att in rows:
        if att.attach_status != "attached":
            continue
        out.append({"id": vol.id, "attachment_id": att.id, "volume_id": vol.id,
                    "server_id": att.instance_uuid,
                    "host_name": att.attached_host if admin(req) else None,
                    "device": att.mountpoint, "attached_at": att.attach_time})
    return out


def volume_metadata_view(vol: Volume) -> dict[str, str]:
    """``api_utils.add_visible_admin_metadata``: the volume's metadata with the visible
    admin keys (``readonly``, ``attached_mode``) merged in, the admin value winning."""
    meta = dict(vol.metadata)
    for key in VISIBLE_ADMIN_METADATA:
        if key in vol.admin_metadata:
            meta[key] = vol.admin_metadata[key]
    return meta


def volume_detail(api: ApiService, req: ApiRequest, vol: Volume, *,
                  extended: bool = False, admin_meta: bool = False,
                  new: bool = False) -> dict[str, Any]:
    """The v3 detail view (``cinder/api/v3/views/volumes.py``).

    *extended* adds what the ``os-vol-tenant-attr``, ``os-vol-host-attr``,
    ``os-vol-mig-status-attr`` and ``volume_image_metadata`` extensions add: Cinder's
    extensions decorate only ``show`` and ``detail``, so create and update responses go
    without them (Tempest's create/update schemas forbid those keys).
    ``migration_status`` is in the base view for admins, so it is in every response
    an admin gets.

    *admin_meta* merges the visible admin metadata into ``metadata``, as Cinder's
    show, list, update and manage do (``add_visible_admin_metadata``); create does not.

    *new* says *vol* was just created (create's answer): it has no attachments yet,
    so the database is not asked for them.
    """
    db = api.env.db
    vtype = db.volume_types.get(vol.volume_type_id or "")
    is_admin = req.context.is_admin  # admin(req), inline: a view per create
    attachments = None if new else db.attachments_of(vol.id)
    status = vol.status
    # 15 keys at most in the display: CPython builds a larger one key by key.
    d: dict[str, Any] = {
        "id": vol.id,
        "status": _SHOWN_STATUS.get(status) or str(status),
        "size": vol.size,
        "availability_zone": vol.availability_zone,
        "created_at": vol.created_at,
        "updated_at": vol.updated_at,
        "name": vol.display_name,
        "description": vol.display_description,
        "volume_type": vtype.name if vtype is not None else None,
        "snapshot_id": vol.snapshot_id,
        "source_volid": vol.source_volid,
        "metadata": volume_metadata_view(vol) if admin_meta else {**vol.metadata},  # no call
        "links": link(api, req, "volumes", vol.id),
        "user_id": vol.user_id,
        "bootable": "true" if vol.bootable else "false",
    }
    d["encrypted"] = vol.encrypted
    d["replication_status"] = vol.replication_status or "disabled"
    d["consistencygroup_id"] = vol.consistencygroup_id
    d["multiattach"] = vol.multiattach
    d["attachments"] = _attachments(api, req, vol, attachments) if attachments else []
    if is_admin:
        d["migration_status"] = vol.migration_status
    if extended:
        # volume_tenant_attribute is a reader policy (every caller that can see the
        # volume); the host and migration attributes are admin_api.
        d["os-vol-tenant-attr:tenant_id"] = vol.project_id
        if is_admin:
            d["os-vol-host-attr:host"] = vol.host
            d["os-vol-mig-status-attr:migstat"] = vol.migration_status
            d["os-vol-mig-status-attr:name_id"] = None
        # The volume_image_metadata extension (also show/detail only): the volume's
        # volume_glance_metadata rows, when it has any and the caller passes
        # volume_extension:volume_image_metadata:show (checked against the caller's
        # own project, as context.authorize does without a target).
        if vol.glance_metadata and api.policy.check(
                req.context, "volume_extension:volume_image_metadata:show",
                req.context.project_id):
            d["volume_image_metadata"] = dict(vol.glance_metadata)
    # Plain tuple comparisons (a Version is a tuple): this view is built on every create.
    # Each later field comes from 3.13 on, so a 3.0-3.12 request compares once.
    version = req.version
    if version >= (3, 13):
        d["group_id"] = vol.group_id
        if version >= (3, 21) and is_admin:
            d["provider_id"] = None
        if version >= (3, 48):
            d["shared_targets"] = vol.shared_targets
            d["service_uuid"] = vol.service_uuid
        if version >= (3, 61) and is_admin:
            d["cluster_name"] = vol.cluster_name
        if version >= (3, 63):
            d["volume_type_id"] = vol.volume_type_id
        if version >= (3, 64) and vol.encryption_key_id:  # ENCRYPTION_KEY_ID_IN_DETAILS
            d["encryption_key_id"] = vol.encryption_key_id
        if version >= (3, 65):
            d["consumes_quota"] = vol.use_quota
    return d


def snapshot_summary(api: ApiService, req: ApiRequest, snap: Snapshot) -> dict[str, Any]:
    """The base snapshot view (``cinder/api/views/snapshots.py``): ``GET /snapshots``."""
    return {
        "id": snap.id,
        "created_at": snap.created_at,
        "updated_at": snap.updated_at,
        "name": snap.display_name,
        "description": snap.display_description,
        "volume_id": snap.volume_id,
        "status": str(snap.status),
        "size": snap.volume_size,
        "metadata": dict(snap.metadata),
    }


def snapshot_detail(api: ApiService, req: ApiRequest, snap: Snapshot, *,
                    extended: bool = True) -> dict[str, Any]:
    """The v3 detail view: the base fields plus ``group_snapshot_id`` (>=3.14),
    ``user_id`` (>=3.41) and ``consumes_quota`` (>=3.65).

    *extended* adds ``os-extended-snapshot-attributes:progress``/``project_id``:
    Cinder's ExtendedSnapshotAttributes extension decorates only show and the
    detail list, so create and update responses go without them.
    """
    d = snapshot_summary(api, req, snap)
    if extended:
        d["os-extended-snapshot-attributes:progress"] = snap.progress
        d["os-extended-snapshot-attributes:project_id"] = snap.project_id
    if req.at_least("3.14"):
        d["group_snapshot_id"] = snap.group_snapshot_id
    if req.at_least("3.41"):
        d["user_id"] = snap.user_id
    if req.at_least("3.65"):
        d["consumes_quota"] = snap.use_quota
    return d
