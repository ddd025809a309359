"""Tempest 47's volume response schemas (tempest/lib/api_schema/response/volume/),
restated from their facts for the shapes these tests check: which keys, which
types, which are required, and that no other key may appear."""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_LINKS = {"type": "array"}


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False}


LIST_SERVICES = _obj({"services": {"type": "array", "items": _obj({
    "binary": _STR, "disabled_reason": _STR_OR_NULL, "host": _STR,
    "state": {"enum": ["up", "down"]}, "status": {"enum": ["enabled", "disabled"]},
    "frozen": _BOOL, "updated_at": _STR, "zone": _STR, "replication_status": _STR,
    "active_backend_id": _STR_OR_NULL, "backend_state": _STR},
    ["binary", "disabled_reason", "host", "state", "status", "updated_at", "zone"])}},
    ["services"])
ENABLE_SERVICE = _obj({"disabled": _BOOL, "status": {"enum": ["enabled", "disabled"]},
                       "host": _STR, "service": _STR, "binary": _STR,
                       "disabled_reason": _STR_OR_NULL},
                      ["disabled", "status", "host", "service", "binary", "disabled_reason"])
DISABLE_LOG_REASON = ENABLE_SERVICE
LIST_HOSTS = _obj({"hosts": {"type": "array", "items": _obj({
    "service-status": {"enum": ["available", "unavailable"]}, "service": _STR, "zone": _STR,
    "service-state": {"enum": ["enabled", "disabled"]}, "host_name": _STR,
    "last-update": _STR_OR_NULL},
    ["service-status", "service", "zone", "service-state", "host_name", "last-update"])}},
    ["hosts"])
POOLS_DETAIL = _obj({"pools": {"type": "array", "items": _obj({
    "name": _STR, "capabilities": {"type": ["object", "null"], "properties": {
        "updated": _STR_OR_NULL, "QoS_support": _BOOL,
        "total_capacity_gb": {"type": ["number", "string"]}, "volume_backend_name": _STR,
        "free_capacity_gb": {"type": ["number", "string"]}, "driver_version": _STR,
        "reserved_percentage": {"type": "integer"}, "storage_protocol": _STR,
        "vendor_name": _STR, "timestamp": _STR_OR_NULL}}}, ["name", "capabilities"])}},
    ["pools"])
CAPABILITIES = _obj({
    "pool_name": _STR_OR_NULL, "description": _STR_OR_NULL, "volume_backend_name": _STR,
    "namespace": {"type": "string", "pattern": "^OS::Storage::Capabilities::.+$"},
    "visibility": _STR_OR_NULL, "driver_version": _STR, "vendor_name": _STR,
    "properties": {"type": "object"}, "storage_protocol": _STR,
    "replication_targets": {"type": "array"}, "display_name": _STR_OR_NULL},
    ["pool_name", "volume_backend_name", "namespace", "visibility", "driver_version",
     "vendor_name", "properties", "storage_protocol", "replication_targets",
     "display_name", "description"])
EXTENSIONS = _obj({"extensions": {"type": "array", "items": _obj({
    "updated": _STR, "description": _STR, "links": _LINKS, "namespace": _STR, "alias": _STR,
    "name": _STR}, ["updated", "links", "alias", "name", "description"])}}, ["extensions"])
_VOLUME_COMMON = {
    "migration_status": _STR_OR_NULL, "attachments": {"type": "array"}, "links": _LINKS,
    "availability_zone": _STR_OR_NULL, "encrypted": _BOOL, "updated_at": _STR_OR_NULL,
    "replication_status": _STR_OR_NULL, "snapshot_id": _STR_OR_NULL, "id": _STR,
    "size": {"type": "integer"}, "user_id": _STR, "metadata": {"type": "object"},
    "status": _STR, "description": _STR_OR_NULL, "multiattach": _BOOL,
    "source_volid": _STR_OR_NULL, "consistencygroup_id": _STR_OR_NULL, "name": _STR_OR_NULL,
    "bootable": _STR, "created_at": _STR, "volume_type": _STR_OR_NULL,
    "group_id": _STR_OR_NULL, "provider_id": _STR_OR_NULL, "service_uuid": _STR_OR_NULL,
    "shared_targets": _BOOL}
_VOLUME_REQUIRED = ["attachments", "links", "encrypted", "updated_at", "replication_status",
                    "id", "size", "user_id", "availability_zone", "metadata", "status",
                    "description", "multiattach", "consistencygroup_id", "name", "bootable",
                    "created_at", "volume_type", "snapshot_id", "source_volid"]
CREATE_VOLUME = _obj({"volume": _obj(dict(_VOLUME_COMMON), _VOLUME_REQUIRED)}, ["volume"])
SHOW_VOLUME = _obj({"volume": _obj({
    **_VOLUME_COMMON, "os-vol-host-attr:host": _STR_OR_NULL,
    "os-vol-tenant-attr:tenant_id": _STR, "os-vol-mig-status-attr:migstat": _STR_OR_NULL,
    "os-vol-mig-status-attr:name_id": _STR_OR_NULL, "volume_image_metadata": {
        "type": ["object", "null"]}}, _VOLUME_REQUIRED)}, ["volume"])
CREATE_VOLUME_3_61 = _obj({"volume": _obj({**_VOLUME_COMMON, "cluster_name": _STR_OR_NULL},
                                          _VOLUME_REQUIRED)}, ["volume"])
SHOW_VOLUME_3_61 = _obj({"volume": _obj({
    **SHOW_VOLUME["properties"]["volume"]["properties"], "cluster_name": _STR_OR_NULL},
    _VOLUME_REQUIRED)}, ["volume"])
VOLUME_SUMMARY = _obj({"volume-summary": _obj({
    "total_size": {"type": "integer"}, "total_count": {"type": "integer"},
    "metadata": {"type": "object"}}, ["total_size", "total_count"])}, ["volume-summary"])
CREATE_VOLUME_TYPE = _obj({"volume_type": _obj({
    "extra_specs": {"type": "object"}, "name": _STR, "is_public": _BOOL,
    "description": _STR_OR_NULL, "id": _STR, "os-volume-type-access:is_public": _BOOL},
    ["name", "is_public", "id", "description", "os-volume-type-access:is_public"])},
    ["volume_type"])
CREATE_ENCRYPTION = _obj({"encryption": _obj({
    "volume_type_id": _STR, "encryption_id": _STR, "key_size": {"type": ["integer", "null"]},
    "provider": _STR, "control_location": {"enum": ["front-end", "back-end"]},
    "cipher": _STR_OR_NULL}, ["volume_type_id", "encryption_id"])}, ["encryption"])
