"""Glance's image records: the row, its file, its state machine (``glance/domain``).

An :class:`Image` is one row of Glance's ``images`` table plus its file
(:mod:`.content`).  Its status moves only along Glance's own transition table
(:data:`IMAGE_TRANSITIONS`, ``glance.domain.Image.valid_state_targets``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from ...backends.blocks import BlockData, GiB, MiB
from .content import HASH_ALGO, FileHashes, hash_stream, synthesized_stream

__all__ = ["ACTOR", "DEFAULT_IMAGES", "IMAGE_TRANSITIONS", "Image", "ImageNotFound",
           "InvalidImageTransition"]

ACTOR = "glance-api"

DEFAULT_IMAGES: tuple[tuple[str, int, int, int, FileHashes], ...] = (
    # name, size (bytes of the qcow2 file), virtual size (bytes), min_disk (GB), hashes
    ("cirros-0.6.2", 21430272, 112 * MiB, 0, FileHashes(
        "28454ee71df84e11c2a59632c6ec27a7",
        "327102894a74457771125fe6a6a1c1c720fa4fe3e91d373616cecf78e3044560"
        "18da73cdcd1c11cb1c0f21ad2dd9416cc1bd199e088b221dd82f11a20e6e008d")),
    ("ubuntu-24.04", 2 * GiB, 3 * GiB + 512 * MiB, 0, FileHashes(
        "724b82f055fd29e8d739c46b5a809843",
        "2817e74d737c5d3bb0ec83dc5a127562b1c06e676b63625129faebeb8bddab0a"
        "9e1d8cb345400dbb469315e8c3e50be6d92972ac5554644db36eecb1856a573b")),
)
"""The images every simulated env starts with (public, ``active``)."""

IMAGE_TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "queued": ("saving", "uploading", "importing", "active", "deleted"),
    "saving": ("active", "killed", "deleted", "queued"),
    "uploading": ("importing", "queued", "deleted"),
    "importing": ("active", "deleted", "queued"),
    "active": ("pending_delete", "deleted", "deactivated"),
    "killed": ("deleted",),
    "pending_delete": ("deleted", "active"),
    "deleted": (),
    "deactivated": ("active", "deleted"),
}
"""Glance's image state machine (``glance.domain.Image.valid_state_targets``)."""


class ImageNotFound(Exception):
    """No such image, or not visible to the caller (Glance answers 404 for both)."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"No image found with ID {image_id}")
        self.image_id = image_id


class InvalidImageTransition(Exception):
    """Glance's ``InvalidImageStatusTransition``."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(f"Image status transition from {old} to {new} is not allowed")


@attrs.define(kw_only=True)
class Image:
    """One Glance image record (plus its content)."""

    id: str
    name: str | None
    status: str = "queued"
    visibility: str = "shared"
    """Glance v2's default for a new image is ``shared`` (only the owner and members)."""
    owner: str | None = None
    size: int | None = None
    """Bytes of the stored file (a qcow2 stores only allocated clusters)."""
    virtual_size: int | None = None
    """Bytes of the disk the image describes."""
    disk_format: str | None = "qcow2"
    container_format: str | None = "bare"
    min_disk: int = 0
    min_ram: int = 0
    protected: bool = False
    os_hidden: bool = False
    tags: list[str] = attrs.field(factory=list)
    properties: dict[str, Any] = attrs.field(factory=dict)
    """Extra properties: ``image_type``, ``instance_uuid``, ``block_device_mapping``..."""
    created_at: str = ""
    updated_at: str = ""
    data: BlockData | None = None
    hashes: FileHashes | None = None
    """md5/sha512 of the file; computed once when the file is stored (lazily, once,
    for simulated content stored through the Python face)."""
    payload: bytes | None = attrs.field(default=None, repr=False)
    """The uploaded bytes, when small enough to keep (see ``content.KEEP_BYTES_LIMIT``)."""

    @property
    def checksum(self) -> str | None:
        hashes = self.file_hashes()
        return hashes.checksum if hashes is not None else None

    def file_hashes(self) -> FileHashes | None:
        if self.hashes is None and self.data is not None and self.size:
            self.hashes = hash_stream(self.stream())
        return self.hashes

    def stream(self) -> Iterator[bytes]:
        """The file's bytes, as a download returns them."""
        if self.payload is not None:
            yield self.payload
        elif self.data is not None and self.size:
            yield from synthesized_stream(self.data, self.size)

    def view(self) -> dict[str, Any]:
        """The image document of ``GET /v2/images/{id}`` (extra properties, then the base)."""
        hashes = self.file_hashes()
        doc: dict[str, Any] = dict(self.properties)
        doc.update({
            "name": self.name, "disk_format": self.disk_format,
            "container_format": self.container_format, "visibility": self.visibility,
            "size": self.size, "virtual_size": self.virtual_size, "status": self.status,
            "checksum": hashes.checksum if hashes else None, "protected": self.protected,
            "min_ram": self.min_ram, "min_disk": self.min_disk, "owner": self.owner,
            "os_hidden": self.os_hidden,
            "os_hash_algo": HASH_ALGO if hashes else None,
            "os_hash_value": hashes.os_hash_value if hashes else None,
            "id": self.id, "created_at": self.created_at, "updated_at": self.updated_at,
            "tags": list(self.tags), "self": f"/v2/images/{self.id}",
            "file": f"/v2/images/{self.id}/file", "schema": "/v2/schemas/image",
        })
        return doc
