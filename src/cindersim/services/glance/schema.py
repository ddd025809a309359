"""Glance's image schema (``GET /v2/schemas/image``) and the checks it implies.

Facts (``glance/api/v2/images.py``, ``glance/common/config.py``):

* base properties and their JSON types; extra properties must be strings
  (the schema is *permissive*: ``additionalProperties: {"type": "string"}``);
* ``disk_format`` in ``ami ari aki vhd vhdx vmdk raw qcow2 vdi iso ploop`` and
  ``container_format`` in ``ami ari aki bare ovf ova docker compressed`` (or null);
* read-only attributes (403 ``Attribute 'x' is read-only.``), reserved ones
  (``location``, ``deleted``, ``deleted_at`` and the ``os_glance`` namespace:
  403 ``Attribute 'x' is reserved.``);
* a value that does not fit is 400 ``Provided object does not match schema
  'image': <reason>``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "BASE_PROPERTIES",
    "CONTAINER_FORMATS",
    "DISK_FORMATS",
    "READ_ONLY",
    "SchemaError",
    "check_reserved",
    "check_value",
    "collection_schema",
    "image_schema",
]

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("community", "public", "private", "shared")
STATUSES = ("queued", "saving", "active", "killed", "deleted", "uploading", "importing",
            "pending_delete", "deactivated")

READ_ONLY = ("created_at", "updated_at", "status", "checksum", "size", "virtual_size",
             "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value")
"""``RequestDeserializer._readonly_properties`` (``id`` is settable only at create)."""
DISALLOWED_AT_CREATE = ("direct_url", "self", "file", "schema", "stores")
RESERVED = ("location", "deleted", "deleted_at")
RESERVED_NAMESPACE = "os_glance"

_UUID = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
         "-([0-9a-fA-F]){12}$")

BASE_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "description": "An identifier for the image", "pattern": _UUID},
    "name": {"type": ["null", "string"], "description": "Descriptive name for the image",
             "maxLength": 255},
    "status": {"type": "string", "readOnly": True, "description": "Status of the image",
               "enum": list(STATUSES)},
    "visibility": {"type": "string", "description": "Scope of image accessibility",
                   "enum": list(VISIBILITIES)},
    "protected": {"type": "boolean",
                  "description": "If true, image will not be deletable."},
    "os_hidden": {"type": "boolean", "description": "If true, image will not appear in "
                                                    "default image list response."},
    "checksum": {"type": ["null", "string"], "readOnly": True,
                 "description": "md5 hash of image contents.", "maxLength": 32},
    "os_hash_algo": {"type": ["null", "string"], "readOnly": True,
                     "description": "Algorithm to calculate the os_hash_value",
                     "maxLength": 64},
    "os_hash_value": {"type": ["null", "string"], "readOnly": True,
                      "description": "Hexdigest of the image contents using the algorithm "
                                     "specified by the os_hash_algo", "maxLength": 128},
    "owner": {"type": ["null", "string"], "description": "Owner of the image",
              "maxLength": 255},
    "size": {"type": ["null", "integer"], "readOnly": True,
             "description": "Size of image file in bytes"},
    "virtual_size": {"type": ["null", "integer"], "readOnly": True,
                     "description": "Virtual size of image in bytes"},
    "container_format": {"type": ["null", "string"], "description": "Format of the container",
                         "enum": [None, *CONTAINER_FORMATS]},
    "disk_format": {"type": ["null", "string"], "description": "Format of the disk",
                    "enum": [None, *DISK_FORMATS]},
    "created_at": {"type": "string", "readOnly": True,
                   "description": "Date and time of image registration"},
    "updated_at": {"type": "string", "readOnly": True,
                   "description": "Date and time of the last image modification"},
    "tags": {"type": "array", "description": "List of strings related to the image",
             "items": {"type": "string", "maxLength": 255}},
    "direct_url": {"type": "string", "readOnly": True,
                   "description": "URL to access the image file kept in external store"},
    "min_ram": {"type": "integer",
                "description": "Amount of ram (in MB) required to boot image."},
    "min_disk": {"type": "integer",
                 "description": "Amount of disk space (in GB) required to boot image."},
    "self": {"type": "string", "readOnly": True, "description": "An image self url"},
    "file": {"type": "string", "readOnly": True, "description": "An image file url"},
    "schema": {"type": "string", "readOnly": True, "description": "An image schema url"},
}


class SchemaError(Exception):
    """A property value the schema refuses (400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Provided object does not match schema 'image': {reason}")


def image_schema() -> dict[str, Any]:
    return {
        "name": "image", "properties": BASE_PROPERTIES,
        "additionalProperties": {"type": "string"},
        "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def collection_schema() -> dict[str, Any]:
    return {
        "name": "images",
        "properties": {"images": {"type": "array", "items": image_schema()},
                       "schema": {"type": "string"}, "first": {"type": "string"},
                       "next": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def check_reserved(key: str) -> str | None:
    """The 403 message for a reserved attribute, or None."""
    if key in RESERVED or key.startswith(RESERVED_NAMESPACE):
        return f"Attribute '{key}' is reserved."
    return None


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "boolean": (bool,), "array": (list,),
    "null": (type(None),),
}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def check_value(key: str, value: Any) -> None:
    """Validate one property value as the image schema would; raises :class:`SchemaError`."""
    spec = BASE_PROPERTIES.get(key)
    if spec is None:  # an extra property: additionalProperties {"type": "string"}
        if not isinstance(value, str):
            raise SchemaError(f"{value!r} is not of type 'string'")
        return
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    if not any(_is(value, k) for k in kinds):
        raise SchemaError(f"{value!r} is not of type "
                          + ", ".join(repr(k) for k in kinds))
    if "enum" in spec and value not in spec["enum"]:
        raise SchemaError(f"{value!r} is not one of {spec['enum']!r}")
    if isinstance(value, str) and len(value) > spec.get("maxLength", len(value)):
        raise SchemaError(f"{value!r} is too long")
    if key == "tags":
        for tag in value:
            if not isinstance(tag, str):
                raise SchemaError(f"{tag!r} is not of type 'string'")
            if len(tag) > 255:
                raise SchemaError(f"{tag!r} is too long")
    if key == "id" and not re.match(spec["pattern"], value):
        raise SchemaError(f"{value!r} does not match {spec['pattern']!r}")
