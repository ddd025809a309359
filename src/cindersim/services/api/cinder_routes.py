"""Cinder's block-storage v3 API as data: every route, every body action, every
microversion -- what :mod:`.reference` compares cindersim's router with.

Derived from openstack/cinder at commit ``ab09bc39dbcd4d5b301f2f5da8fcfd9e5ef1fe8c``
(2026-08-21) by reading:

* ``cinder/api/v3/router.py`` (``mapper.resource`` / ``create_route`` /
  ``connect``) and the ``ResourceExtension`` / ``ControllerExtension`` objects of
  ``cinder/api/contrib/*.py`` (``collection_actions``, ``member_actions``,
  ``parent``), keeping for a ``mapper.resource`` only the standard REST methods
  (index, create, show, update, delete) its controller class defines, plus the
  collection and member routes named there;
* the ``@wsgi.action("<name>")`` decorators of ``cinder/api/v3/*.py`` and
  ``cinder/api/contrib/*.py`` for the body actions (types_manage's ``create`` /
  ``update`` / ``delete`` are left out: they are how that extension supplies the
  ``POST /types``, ``PUT`` and ``DELETE /types/{id}`` routes, not documented
  actions);
* ``@wsgi.Controller.api_version(...)`` for the first microversion of each, with
  ``cinder/api/microversions.py`` for the numbers;
* ``cinder/api/openstack/rest_api_version_history.rst`` for what each microversion
  changes (summarised here in our own words).

Paths are under ``/v3/{project_id}`` (or bare ``/v3`` from 3.67); parameter names
are Cinder's.  The version document routes (``GET /``, ``GET /v3/``) are not
listed: they sit outside the project's API.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ACTIONS", "CINDER_COMMIT", "MICROVERSIONS", "ROUTES"]

CINDER_COMMIT: Final = "ab09bc39dbcd4d5b301f2f5da8fcfd9e5ef1fe8c"

ROUTES: Final[tuple[tuple[str, str, str, str], ...]] = (
    # (method, path, first microversion, where Cinder defines it)
    # volumes (v3/volumes.py)
    ("GET", "/volumes", "3.0", "v3/volumes.py"),
    ("GET", "/volumes/detail", "3.0", "v3/volumes.py"),
    ("GET", "/volumes/summary", "3.12", "v3/volumes.py"),
    ("POST", "/volumes", "3.0", "v3/volumes.py"),
    ("GET", "/volumes/{id}", "3.0", "v3/volumes.py"),
    ("PUT", "/volumes/{id}", "3.0", "v3/volumes.py"),
    ("DELETE", "/volumes/{id}", "3.0", "v3/volumes.py"),
    ("POST", "/volumes/{id}/action", "3.0", "v3/volumes.py + contrib action extensions"),
    # volume metadata (v3/volume_metadata.py)
    ("GET", "/volumes/{volume_id}/metadata", "3.0", "v3/volume_metadata.py"),
    ("POST", "/volumes/{volume_id}/metadata", "3.0", "v3/volume_metadata.py"),
    ("PUT", "/volumes/{volume_id}/metadata", "3.0", "v3/volume_metadata.py"),
    ("GET", "/volumes/{volume_id}/metadata/{key}", "3.0", "v3/volume_metadata.py"),
    ("PUT", "/volumes/{volume_id}/metadata/{key}", "3.0", "v3/volume_metadata.py"),
    ("DELETE", "/volumes/{volume_id}/metadata/{key}", "3.0", "v3/volume_metadata.py"),
    # volume encryption metadata (contrib/volume_encryption_metadata.py)
    ("GET", "/volumes/{volume_id}/encryption", "3.0", "contrib/volume_encryption_metadata.py"),
    ("GET", "/volumes/{volume_id}/encryption/{key}", "3.0",
     "contrib/volume_encryption_metadata.py"),
    # messages (v3/messages.py)
    ("GET", "/messages", "3.3", "v3/messages.py"),
    ("GET", "/messages/{id}", "3.3", "v3/messages.py"),
    ("DELETE", "/messages/{id}", "3.3", "v3/messages.py"),
    # clusters (v3/clusters.py)
    ("GET", "/clusters", "3.7", "v3/clusters.py"),
    ("GET", "/clusters/detail", "3.7", "v3/clusters.py"),
    ("GET", "/clusters/{id}", "3.7", "v3/clusters.py"),
    ("PUT", "/clusters/enable", "3.7", "v3/clusters.py"),
    ("PUT", "/clusters/disable", "3.7", "v3/clusters.py"),
    # volume types (v3/types.py, contrib/types_manage.py)
    ("GET", "/types", "3.0", "v3/types.py"),
    ("GET", "/types/{id}", "3.0", "v3/types.py"),
    ("POST", "/types", "3.0", "contrib/types_manage.py"),
    ("PUT", "/types/{id}", "3.0", "contrib/types_manage.py"),
    ("DELETE", "/types/{id}", "3.0", "contrib/types_manage.py"),
    ("POST", "/types/{id}/action", "3.0", "contrib/volume_type_access.py"),
    # type extra specs (contrib/types_extra_specs.py)
    ("GET", "/types/{type_id}/extra_specs", "3.0", "contrib/types_extra_specs.py"),
    ("POST", "/types/{type_id}/extra_specs", "3.0", "contrib/types_extra_specs.py"),
    ("GET", "/types/{type_id}/extra_specs/{id}", "3.0", "contrib/types_extra_specs.py"),
    ("PUT", "/types/{type_id}/extra_specs/{id}", "3.0", "contrib/types_extra_specs.py"),
    ("DELETE", "/types/{type_id}/extra_specs/{id}", "3.0", "contrib/types_extra_specs.py"),
    # type access (contrib/volume_type_access.py)
    ("GET", "/types/{type_id}/os-volume-type-access", "3.0", "contrib/volume_type_access.py"),
    # type encryption (contrib/volume_type_encryption.py)
    ("GET", "/types/{type_id}/encryption", "3.0", "contrib/volume_type_encryption.py"),
    ("POST", "/types/{type_id}/encryption", "3.0", "contrib/volume_type_encryption.py"),
    ("GET", "/types/{type_id}/encryption/{id}", "3.0", "contrib/volume_type_encryption.py"),
    ("PUT", "/types/{type_id}/encryption/{id}", "3.0", "contrib/volume_type_encryption.py"),
    ("DELETE", "/types/{type_id}/encryption/{id}", "3.0",
     "contrib/volume_type_encryption.py"),
    # default types (v3/default_types.py)
    ("PUT", "/default-types/{id}", "3.62", "v3/default_types.py"),
    ("GET", "/default-types", "3.62", "v3/default_types.py"),
    ("GET", "/default-types/{id}", "3.62", "v3/default_types.py"),
    ("DELETE", "/default-types/{id}", "3.62", "v3/default_types.py"),
    # group types and specs (v3/group_types.py, v3/group_specs.py)
    ("GET", "/group_types", "3.11", "v3/group_types.py"),
    ("POST", "/group_types", "3.11", "v3/group_types.py"),
    ("GET", "/group_types/{id}", "3.11", "v3/group_types.py"),
    ("PUT", "/group_types/{id}", "3.11", "v3/group_types.py"),
    ("DELETE", "/group_types/{id}", "3.11", "v3/group_types.py"),
    ("GET", "/group_types/{group_type_id}/group_specs", "3.11", "v3/group_specs.py"),
    ("POST", "/group_types/{group_type_id}/group_specs", "3.11", "v3/group_specs.py"),
    ("GET", "/group_types/{group_type_id}/group_specs/{id}", "3.11", "v3/group_specs.py"),
    ("PUT", "/group_types/{group_type_id}/group_specs/{id}", "3.11", "v3/group_specs.py"),
    ("DELETE", "/group_types/{group_type_id}/group_specs/{id}", "3.11", "v3/group_specs.py"),
    # groups (v3/groups.py)
    ("GET", "/groups", "3.13", "v3/groups.py"),
    ("GET", "/groups/detail", "3.13", "v3/groups.py"),
    ("POST", "/groups", "3.13", "v3/groups.py"),
    ("GET", "/groups/{id}", "3.13", "v3/groups.py"),
    ("PUT", "/groups/{id}", "3.13", "v3/groups.py"),
    ("POST", "/groups/{id}/action", "3.13", "v3/groups.py"),
    ("POST", "/groups/action", "3.14", "v3/groups.py"),
    # group snapshots (v3/group_snapshots.py)
    ("GET", "/group_snapshots", "3.14", "v3/group_snapshots.py"),
    ("GET", "/group_snapshots/detail", "3.14", "v3/group_snapshots.py"),
    ("POST", "/group_snapshots", "3.14", "v3/group_snapshots.py"),
    ("GET", "/group_snapshots/{id}", "3.14", "v3/group_snapshots.py"),
    ("DELETE", "/group_snapshots/{id}", "3.14", "v3/group_snapshots.py"),
    ("POST", "/group_snapshots/{id}/action", "3.14", "v3/group_snapshots.py"),
    # snapshots (v3/snapshots.py)
    ("GET", "/snapshots", "3.0", "v3/snapshots.py"),
    ("GET", "/snapshots/detail", "3.0", "v3/snapshots.py"),
    ("POST", "/snapshots", "3.0", "v3/snapshots.py"),
    ("GET", "/snapshots/{id}", "3.0", "v3/snapshots.py"),
    ("PUT", "/snapshots/{id}", "3.0", "v3/snapshots.py"),
    ("DELETE", "/snapshots/{id}", "3.0", "v3/snapshots.py"),
    ("POST", "/snapshots/{id}/action", "3.0", "v3/snapshots.py + contrib action extensions"),
    # snapshot metadata (v3/snapshot_metadata.py)
    ("GET", "/snapshots/{snapshot_id}/metadata", "3.0", "v3/snapshot_metadata.py"),
    ("POST", "/snapshots/{snapshot_id}/metadata", "3.0", "v3/snapshot_metadata.py"),
    ("PUT", "/snapshots/{snapshot_id}/metadata", "3.0", "v3/snapshot_metadata.py"),
    ("GET", "/snapshots/{snapshot_id}/metadata/{key}", "3.0", "v3/snapshot_metadata.py"),
    ("PUT", "/snapshots/{snapshot_id}/metadata/{key}", "3.0", "v3/snapshot_metadata.py"),
    ("DELETE", "/snapshots/{snapshot_id}/metadata/{key}", "3.0", "v3/snapshot_metadata.py"),
    # limits (v3/limits.py)
    ("GET", "/limits", "3.0", "v3/limits.py"),
    # consistency groups (v3/consistencygroups.py, contrib/consistencygroups.py)
    ("GET", "/consistencygroups", "3.0", "contrib/consistencygroups.py"),
    ("GET", "/consistencygroups/detail", "3.0", "contrib/consistencygroups.py"),
    ("POST", "/consistencygroups", "3.0", "contrib/consistencygroups.py"),
    ("GET", "/consistencygroups/{id}", "3.0", "contrib/consistencygroups.py"),
    ("POST", "/consistencygroups/create_from_src", "3.0", "contrib/consistencygroups.py"),
    ("POST", "/consistencygroups/{id}/delete", "3.0", "contrib/consistencygroups.py"),
    ("PUT", "/consistencygroups/{id}/update", "3.0", "v3/consistencygroups.py"),
    # cgsnapshots (contrib/cgsnapshots.py)
    ("GET", "/cgsnapshots", "3.0", "contrib/cgsnapshots.py"),
    ("GET", "/cgsnapshots/detail", "3.0", "contrib/cgsnapshots.py"),
    ("POST", "/cgsnapshots", "3.0", "contrib/cgsnapshots.py"),
    ("GET", "/cgsnapshots/{id}", "3.0", "contrib/cgsnapshots.py"),
    ("DELETE", "/cgsnapshots/{id}", "3.0", "contrib/cgsnapshots.py"),
    # manageable resources (v3/volume_manage.py, v3/snapshot_manage.py, contrib)
    ("GET", "/manageable_volumes", "3.8", "v3/volume_manage.py"),
    ("GET", "/manageable_volumes/detail", "3.8", "v3/volume_manage.py"),
    ("POST", "/manageable_volumes", "3.8", "v3/volume_manage.py"),
    ("GET", "/manageable_snapshots", "3.8", "v3/snapshot_manage.py"),
    ("GET", "/manageable_snapshots/detail", "3.8", "v3/snapshot_manage.py"),
    ("POST", "/manageable_snapshots", "3.8", "v3/snapshot_manage.py"),
    ("GET", "/os-volume-manage", "3.0", "contrib/volume_manage.py"),
    ("GET", "/os-volume-manage/detail", "3.0", "contrib/volume_manage.py"),
    ("POST", "/os-volume-manage", "3.0", "contrib/volume_manage.py"),
    ("GET", "/os-snapshot-manage", "3.0", "contrib/snapshot_manage.py"),
    ("GET", "/os-snapshot-manage/detail", "3.0", "contrib/snapshot_manage.py"),
    ("POST", "/os-snapshot-manage", "3.0", "contrib/snapshot_manage.py"),
    # backups (v3/backups.py, contrib/backups.py)
    ("GET", "/backups", "3.0", "contrib/backups.py"),
    ("GET", "/backups/detail", "3.0", "v3/backups.py"),
    ("POST", "/backups", "3.0", "contrib/backups.py"),
    ("GET", "/backups/{id}", "3.0", "v3/backups.py"),
    ("PUT", "/backups/{id}", "3.9", "v3/backups.py"),
    ("DELETE", "/backups/{id}", "3.0", "contrib/backups.py"),
    ("POST", "/backups/{id}/restore", "3.0", "contrib/backups.py"),
    ("GET", "/backups/{id}/export_record", "3.0", "contrib/backups.py"),
    ("POST", "/backups/import_record", "3.0", "contrib/backups.py"),
    ("POST", "/backups/{id}/action", "3.0", "contrib/admin_actions.py"),
    # attachments (v3/attachments.py)
    ("GET", "/attachments", "3.27", "v3/attachments.py"),
    ("GET", "/attachments/detail", "3.27", "v3/attachments.py"),
    ("POST", "/attachments", "3.27", "v3/attachments.py"),
    ("GET", "/attachments/{id}", "3.27", "v3/attachments.py"),
    ("PUT", "/attachments/{id}", "3.27", "v3/attachments.py"),
    ("DELETE", "/attachments/{id}", "3.27", "v3/attachments.py"),
    ("POST", "/attachments/{id}/action", "3.44", "v3/attachments.py"),
    # workers, resource filters (v3/workers.py, v3/resource_filters.py)
    ("POST", "/workers/cleanup", "3.24", "v3/workers.py"),
    ("GET", "/resource_filters", "3.33", "v3/resource_filters.py"),
    # transfers (v3/volume_transfer.py, contrib/volume_transfer.py); volume-transfers is
    # routed at every version (3.55 only adds no_snapshots to its create)
    ("GET", "/volume-transfers", "3.0", "v3/volume_transfer.py"),
    ("GET", "/volume-transfers/detail", "3.0", "v3/volume_transfer.py"),
    ("POST", "/volume-transfers", "3.0", "v3/volume_transfer.py"),
    ("GET", "/volume-transfers/{id}", "3.0", "v3/volume_transfer.py"),
    ("DELETE", "/volume-transfers/{id}", "3.0", "v3/volume_transfer.py"),
    ("POST", "/volume-transfers/{id}/accept", "3.0", "v3/volume_transfer.py"),
    ("GET", "/os-volume-transfer", "3.0", "contrib/volume_transfer.py"),
    ("GET", "/os-volume-transfer/detail", "3.0", "contrib/volume_transfer.py"),
    ("POST", "/os-volume-transfer", "3.0", "contrib/volume_transfer.py"),
    ("GET", "/os-volume-transfer/{id}", "3.0", "contrib/volume_transfer.py"),
    ("DELETE", "/os-volume-transfer/{id}", "3.0", "contrib/volume_transfer.py"),
    ("POST", "/os-volume-transfer/{id}/accept", "3.0", "contrib/volume_transfer.py"),
    # services (v3/services.py, routed in v3/router.py)
    ("GET", "/os-services", "3.0", "v3/services.py"),
    ("PUT", "/os-services/enable", "3.0", "v3/services.py"),
    ("PUT", "/os-services/disable", "3.0", "v3/services.py"),
    ("PUT", "/os-services/disable-log-reason", "3.0", "v3/services.py"),
    ("PUT", "/os-services/get-log", "3.32", "v3/services.py"),
    ("PUT", "/os-services/set-log", "3.32", "v3/services.py"),
    ("PUT", "/os-services/freeze", "3.0", "v3/services.py"),
    ("PUT", "/os-services/thaw", "3.0", "v3/services.py"),
    ("PUT", "/os-services/failover_host", "3.0", "v3/services.py"),
    # hosts, availability zones, capabilities, pools (contrib)
    ("GET", "/os-hosts", "3.0", "contrib/hosts.py"),
    ("GET", "/os-hosts/{id}", "3.0", "contrib/hosts.py"),
    ("PUT", "/os-hosts/{id}", "3.0", "contrib/hosts.py"),
    ("GET", "/os-availability-zone", "3.0", "contrib/availability_zones.py"),
    ("GET", "/capabilities/{id}", "3.0", "contrib/capabilities.py"),
    ("GET", "/scheduler-stats/get_pools", "3.0", "contrib/scheduler_stats.py"),
    # QoS specs (contrib/qos_specs_manage.py)
    ("GET", "/qos-specs", "3.0", "contrib/qos_specs_manage.py"),
    ("POST", "/qos-specs", "3.0", "contrib/qos_specs_manage.py"),
    ("GET", "/qos-specs/{id}", "3.0", "contrib/qos_specs_manage.py"),
    ("PUT", "/qos-specs/{id}", "3.0", "contrib/qos_specs_manage.py"),
    ("DELETE", "/qos-specs/{id}", "3.0", "contrib/qos_specs_manage.py"),
    ("PUT", "/qos-specs/{id}/delete_keys", "3.0", "contrib/qos_specs_manage.py"),
    ("GET", "/qos-specs/{id}/associations", "3.0", "contrib/qos_specs_manage.py"),
    ("GET", "/qos-specs/{id}/associate", "3.0", "contrib/qos_specs_manage.py"),
    ("GET", "/qos-specs/{id}/disassociate", "3.0", "contrib/qos_specs_manage.py"),
    ("GET", "/qos-specs/{id}/disassociate_all", "3.0", "contrib/qos_specs_manage.py"),
    # quotas (contrib/quotas.py, contrib/quota_classes.py)
    ("GET", "/os-quota-sets/{id}", "3.0", "contrib/quotas.py"),
    ("PUT", "/os-quota-sets/{id}", "3.0", "contrib/quotas.py"),
    ("DELETE", "/os-quota-sets/{id}", "3.0", "contrib/quotas.py"),
    ("GET", "/os-quota-sets/{id}/defaults", "3.0", "contrib/quotas.py"),
    ("GET", "/os-quota-class-sets/{id}", "3.0", "contrib/quota_classes.py"),
    ("PUT", "/os-quota-class-sets/{id}", "3.0", "contrib/quota_classes.py"),
    # the extension list (api/extensions.py)
    ("GET", "/extensions", "3.0", "api/extensions.py"),
    ("GET", "/extensions/{id}", "3.0", "api/extensions.py"),
)
"""Every route of cinder-api's v3 router, in the order above."""

ACTIONS: Final[tuple[tuple[str, str, str, str], ...]] = (
    # (action route, action name, first microversion, where Cinder defines it)
    ("/volumes/{id}/action", "os-attach", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-detach", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-reserve", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-unreserve", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-begin_detaching", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-roll_detaching", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-initialize_connection", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-terminate_connection", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-volume_upload_image", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-extend", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-update_readonly_flag", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-retype", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-set_bootable", "3.0", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-reimage", "3.68", "contrib/volume_actions.py"),
    ("/volumes/{id}/action", "os-reset_status", "3.0", "contrib/admin_actions.py"),
    ("/volumes/{id}/action", "os-force_detach", "3.0", "contrib/admin_actions.py"),
    ("/volumes/{id}/action", "os-migrate_volume", "3.0", "contrib/admin_actions.py"),
    ("/volumes/{id}/action", "os-migrate_volume_completion", "3.0",
     "contrib/admin_actions.py"),
    # Not gated in the code: 3.71 only announces it (Nova checks for it).
    ("/volumes/{id}/action", "os-extend_volume_completion", "3.0",
     "contrib/admin_actions.py"),
    ("/volumes/{id}/action", "os-force_delete", "3.0", "contrib/admin_actions.py"),
    ("/volumes/{id}/action", "os-set_image_metadata", "3.0", "contrib/volume_image_metadata.py"),
    ("/volumes/{id}/action", "os-show_image_metadata", "3.0",
     "contrib/volume_image_metadata.py"),
    ("/volumes/{id}/action", "os-unset_image_metadata", "3.0",
     "contrib/volume_image_metadata.py"),
    ("/volumes/{id}/action", "os-unmanage", "3.0", "contrib/volume_unmanage.py"),
    ("/volumes/{id}/action", "revert", "3.40", "v3/volumes.py"),
    ("/snapshots/{id}/action", "os-reset_status", "3.0", "contrib/admin_actions.py"),
    ("/snapshots/{id}/action", "os-force_delete", "3.0", "contrib/admin_actions.py"),
    ("/snapshots/{id}/action", "os-update_snapshot_status", "3.0",
     "contrib/snapshot_actions.py"),
    ("/snapshots/{id}/action", "os-unmanage", "3.0", "contrib/snapshot_unmanage.py"),
    ("/backups/{id}/action", "os-reset_status", "3.0", "contrib/admin_actions.py"),
    ("/backups/{id}/action", "os-force_delete", "3.0", "contrib/admin_actions.py"),
    ("/types/{id}/action", "addProjectAccess", "3.0", "contrib/volume_type_access.py"),
    ("/types/{id}/action", "removeProjectAccess", "3.0", "contrib/volume_type_access.py"),
    ("/attachments/{id}/action", "os-complete", "3.44", "v3/attachments.py"),
    ("/groups/{id}/action", "delete", "3.13", "v3/groups.py"),
    ("/groups/{id}/action", "reset_status", "3.20", "v3/groups.py"),
    ("/groups/{id}/action", "enable_replication", "3.38", "v3/groups.py"),
    ("/groups/{id}/action", "disable_replication", "3.38", "v3/groups.py"),
    ("/groups/{id}/action", "failover_replication", "3.38", "v3/groups.py"),
    ("/groups/{id}/action", "list_replication_targets", "3.38", "v3/groups.py"),
    ("/groups/action", "create-from-src", "3.14", "v3/groups.py"),
    ("/group_snapshots/{id}/action", "reset_status", "3.19", "v3/group_snapshots.py"),
)
"""Every ``@wsgi.action`` body action (``{"<name>": {...}}`` on the route)."""

MICROVERSIONS: Final[tuple[tuple[str, str], ...]] = (
    ("3.0", "The v3 API as it began (the v2 API at /v3)."),
    ("3.1", "os-volume_upload_image takes protected and visibility."),
    ("3.2", "The bootable filter of volume lists is parsed strictly as a boolean."),
    ("3.3", "/messages (user messages) appears."),
    ("3.4", "Volume lists take a glance_metadata filter."),
    ("3.5", "/messages lists page (marker, limit, sort)."),
    ("3.6", "Consistency group update accepts an empty name or description."),
    ("3.7", "/clusters appears; services show cluster."),
    ("3.8", "manageable_volumes and manageable_snapshots replace the os-*-manage extensions."),
    ("3.9", "Backups can be updated (PUT /backups/{id}: name, description)."),
    ("3.10", "Volume lists take a group_id filter."),
    ("3.11", "Group types and group specs appear."),
    ("3.12", "GET /volumes/summary appears."),
    ("3.13", "Generic volume groups appear (create, list, show, update, delete)."),
    ("3.14", "Group snapshots and create-group-from-source appear."),
    ("3.15", "Volume metadata responses carry an ETag; If-Match guards updates."),
    ("3.16", "os-migrate_volume takes a cluster instead of a host."),
    ("3.17", "Manageable listings take a cluster."),
    ("3.18", "Backups show os-backup-project-attr:project_id (to admins)."),
    ("3.19", "Group snapshots take reset_status."),
    ("3.20", "Groups take reset_status."),
    ("3.21", "Volume details show provider_id to admins."),
    ("3.22", "Snapshot lists filter on metadata."),
    ("3.23", "Volume delete takes force."),
    ("3.24", "POST /workers/cleanup appears."),
    ("3.25", "Groups show their volumes (list_volume)."),
    ("3.26", "Services: failover takes a cluster; freeze/thaw take a cluster; clusters and "
             "services show replication fields."),
    ("3.27", "The attachments API (new attach flow) appears."),
    ("3.28", "get_pools takes filters."),
    ("3.29", "Group snapshot lists filter, sort and page."),
    ("3.30", "Snapshot lists sort by name."),
    ("3.31", "List filters are checked against resource_filters.json."),
    ("3.32", "os-services get-log and set-log appear."),
    ("3.33", "GET /resource_filters appears."),
    ("3.34", "Lists take like-filters (key~=value)."),
    ("3.35", "get_pools takes a volume_type filter."),
    ("3.36", "The volume summary includes metadata."),
    ("3.37", "Backup lists sort by name."),
    ("3.38", "Group replication actions appear."),
    ("3.39", "Limits take a project_id filter (admins)."),
    ("3.40", "The revert-to-snapshot volume action appears."),
    ("3.41", "Snapshots show user_id."),
    ("3.42", "os-extend accepts in-use volumes."),
    ("3.43", "Backups take and show metadata."),
    ("3.44", "Attachments take os-complete."),
    ("3.45", "Volume, snapshot and backup lists return count with with_count."),
    ("3.46", "Creating a volume from an image may make an image-volume cache entry; "
             "imageRef semantics for Glance-backed volumes."),
    ("3.47", "Volumes can be created from a backup (backup_id)."),
    ("3.48", "Volumes show shared_targets and service_uuid."),
    ("3.49", "Services show backend_state."),
    ("3.50", "Marker: the service supports multiattach volumes."),
    ("3.51", "Backup create takes availability_zone."),
    ("3.52", "Type lists filter on extra_specs (non-admins too); RESKEY:availability_zones "
             "is reserved."),
    ("3.53", "Volume API bodies are validated by JSON schema (unknown keys refused)."),
    ("3.54", "Attachment create takes mode."),
    ("3.55", "volume-transfers create takes no_snapshots (snapshots may stay behind)."),
    ("3.56", "Backups show user_id (to admins)."),
    ("3.57", "Transfers show source/destination project and accepted."),
    ("3.58", "Groups and group snapshots show project_id."),
    ("3.59", "Transfer lists page and sort."),
    ("3.60", "Volume lists take created_at/updated_at time comparison filters."),
    ("3.61", "Volume details show cluster_name to admins."),
    ("3.62", "Per-project default volume types (/default-types) appear."),
    ("3.63", "Volume details show volume_type_id."),
    ("3.64", "Volume and backup details show encryption_key_id."),
    ("3.65", "Volumes and snapshots show consumes_quota; lists filter on it."),
    ("3.66", "Snapshots of in-use volumes need no force flag (force=False refused)."),
    ("3.67", "API URLs may leave out the project id."),
    ("3.68", "The os-reimage volume action appears."),
    ("3.69", "shared_targets becomes a tristate (true/false/null)."),
    ("3.70", "Encrypted volumes may be transferred."),
    ("3.71", "Announces the os-extend_volume_completion volume action (which the code "
             "does not gate)."),
)
"""Each microversion and what it changes (after ``rest_api_version_history.rst``)."""
