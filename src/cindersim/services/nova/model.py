"""Nova's records and exceptions, as far as the block-storage flows need them.

Records follow Nova's objects (``nova/objects/instance.py``,
``block_device.py``, ``flavor.py``) with their field names; exceptions follow
``nova/exception.py`` with the message templates and the HTTP codes the API
layer maps them to (``nova/api/openstack/compute/servers.py``, ``volumes.py``).
Nova keeps its own database: nothing here lives in Cinder's.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = [
    "FLAVORS",
    "BlockDeviceMapping",
    "Flavor",
    "Instance",
    "NovaContext",
    "NovaError",
    "vm_status",
]


# --- exceptions ----------------------------------------------------------------------
class NovaError(Exception):
    """A Nova exception already mapped to its HTTP code and fault message."""

    code = 400

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


def bad_request(message: str) -> NovaError:
    return NovaError(message, 400)


def not_found(message: str) -> NovaError:
    return NovaError(message, 404)


def conflict(message: str) -> NovaError:
    return NovaError(message, 409)


def forbidden(message: str) -> NovaError:
    return NovaError(message, 403)


def instance_not_found(instance_id: str) -> NovaError:
    """``InstanceNotFound``: ``Instance %(instance_id)s could not be found.`` (404)."""
    return not_found(f"Instance {instance_id} could not be found.")


def invalid_state(instance: Instance, method: str, attr: str = "vm_state") -> NovaError:
    """``raise_http_conflict_for_instance_invalid_state`` (409)."""
    state = instance.vm_state if attr == "vm_state" else instance.task_state
    return conflict(f"Cannot '{method}' instance {instance.uuid} while it is in {attr} "
                    f"{state}")


def invalid_volume(reason: str) -> NovaError:
    """``InvalidVolume``: ``Invalid volume: %(reason)s`` (400)."""
    return bad_request(f"Invalid volume: {reason}")


def invalid_input(reason: str) -> NovaError:
    """``InvalidInput``: ``Invalid input received: %(reason)s`` (400)."""
    return bad_request(f"Invalid input received: {reason}")


def invalid_bdm(details: str) -> NovaError:
    """``InvalidBDM*``: ``Block Device Mapping is Invalid: %(details)s`` (400)."""
    return bad_request(f"Block Device Mapping is Invalid: {details}")


# --- context -----------------------------------------------------------------------------
@attrs.frozen
class NovaContext:
    """Nova's RequestContext: who asked, and the token Nova forwards to Cinder.

    Nova talks to Cinder's REST API *as the user* (``cinderclient`` built from
    the context's token), from nova-api and from nova-compute alike.
    """

    user_id: str
    project_id: str
    roles: tuple[str, ...]
    is_admin: bool
    auth_token: str
    request_id: str = ""
    """The nova-api request this context came from (``x-openstack-request-id``): the
    context travels with every cast, and nova-compute files its instance-action events
    under it."""


# --- flavors -------------------------------------------------------------------------------
@attrs.frozen
class Flavor:
    """A Nova flavor: ``disk`` is the root disk in GB (0 = the image's size)."""

    id: str
    name: str
    vcpus: int
    ram: int
    """MiB."""
    disk: int
    ephemeral: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True

    def view(self, base: str, microversion_247: bool) -> dict[str, Any]:
        if microversion_247:
            return {"vcpus": self.vcpus, "ram": self.ram, "disk": self.disk,
                    "ephemeral": self.ephemeral, "swap": self.swap,
                    "original_name": self.name, "extra_specs": {}}
        return {"id": self.id, "links": [{"rel": "bookmark",
                                          "href": f"{base}/flavors/{self.id}"}]}


FLAVORS: tuple[Flavor, ...] = (
    Flavor("1", "m1.tiny", 1, 512, 1),
    Flavor("2", "m1.small", 1, 2048, 20),
    Flavor("3", "m1.medium", 2, 4096, 40),
    Flavor("4", "m1.large", 4, 8192, 80),
    Flavor("42", "m1.nano", 1, 128, 1),
    Flavor("84", "m1.micro", 1, 192, 1),
    Flavor("c1", "cirros256", 1, 256, 1),
    Flavor("d1", "ds512M", 1, 512, 5),
)
"""devstack's flavors (ids as devstack creates them)."""


# --- instances and block device mappings ------------------------------------------------------
@attrs.define(kw_only=True)
class BlockDeviceMapping:
    """A row of ``block_device_mapping`` (BDM v2 fields)."""

    uuid: str
    instance_uuid: str
    source_type: str
    """``image``, ``volume``, ``snapshot`` or ``blank``."""
    destination_type: str
    """``local`` (a disk on the hypervisor) or ``volume`` (a Cinder volume)."""
    boot_index: int | None = None
    device_name: str | None = None
    volume_id: str | None = None
    snapshot_id: str | None = None
    image_id: str | None = None
    volume_size: int | None = None
    delete_on_termination: bool = False
    attachment_id: str | None = None
    connection_info: dict[str, Any] | None = None
    disk_bus: str | None = "virtio"
    device_type: str | None = "disk"
    tag: str | None = None
    volume_type: str | None = None

    @property
    def is_root(self) -> bool:
        return self.boot_index == 0

    @property
    def is_volume(self) -> bool:
        return self.destination_type == "volume"


@attrs.define(kw_only=True)
class Instance:
    """A row of ``instances``: vm_state/task_state/power_state as Nova keeps them."""

    uuid: str
    display_name: str
    project_id: str
    user_id: str
    flavor: Flavor
    image_ref: str
    """The image booted from; ``""`` for a server booted from a volume."""
    availability_zone: str
    host: str | None = None
    node: str | None = None
    instance_name: str = ""
    """libvirt's domain name, ``instance-%08x`` of the row id."""
    vm_state: str = "building"
    task_state: str | None = "scheduling"
    power_state: int = 0
    root_device_name: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)
    created_at: str = ""
    updated_at: str = ""
    launched_at: str | None = None
    terminated_at: str | None = None
    fault: dict[str, Any] | None = None
    admin_pass: str = ""
    bdms: list[BlockDeviceMapping] = attrs.field(factory=list)
    old_flavor: Flavor | None = None
    """The flavor before a resize, kept until it is confirmed or reverted."""
    new_flavor: Flavor | None = None
    """The flavor a resize goes to, from ``resize`` until it finishes or reverts."""
    old_vm_state: str | None = None
    """``system_metadata['old_vm_state']``: what a revert or confirm returns the server
    to (``active``, or ``stopped`` for a server resized while off)."""
    migration_status: str | None = None
    """The status of the server's latest ``migrations`` row (``pre-migrating``,
    ``migrating``, ``post-migrating``, ``finished``, ``reverting``, ``reverted``,
    ``confirming``, ``confirmed``, ``error``), None if it never moved."""

    def volume_bdms(self) -> list[BlockDeviceMapping]:
        return [b for b in self.bdms if b.is_volume and b.volume_id is not None]

    def bdm_for_volume(self, volume_id: str) -> BlockDeviceMapping | None:
        for bdm in self.bdms:
            if bdm.volume_id == volume_id:
                return bdm
        return None

    @property
    def is_volume_backed(self) -> bool:
        return any(b.is_root and b.is_volume for b in self.bdms)


_STATUS = {"building": "BUILD", "active": "ACTIVE", "error": "ERROR", "deleted": "DELETED",
           "stopped": "SHUTOFF", "paused": "PAUSED", "suspended": "SUSPENDED",
           "soft-delete": "SOFT_DELETED", "shelved": "SHELVED",
           "shelved_offloaded": "SHELVED_OFFLOADED"}


_RESIZING = ("resize_prep", "resize_migrating", "resize_migrated", "resize_finish")
"""The task states ``_STATE_MAP`` shows as ``RESIZE`` (under ``active`` and ``stopped``)."""


def vm_status(instance: Instance) -> str:
    """The API status (``nova/api/openstack/common.py`` state map, simplified): a resize
    in flight is ``RESIZE``; ``resized`` waits as ``VERIFY_RESIZE`` and reverts as
    ``REVERT_RESIZE``."""
    if instance.vm_state in ("active", "stopped") and instance.task_state in _RESIZING:
        return "RESIZE"
    if instance.vm_state == "resized":
        return "REVERT_RESIZE" if instance.task_state == "resize_reverting" else \
            "VERIFY_RESIZE"
    return _STATUS.get(instance.vm_state, "UNKNOWN")
