"""What Nova and Cinder may use of Glance: the image API's face (``glanceclient``'s role).

Cinder's ``image_service`` and Nova's ``nova.image.glance`` reach Glance through its
API; in this process that is :class:`ImageService`, which
:class:`~cindersim.services.glance.images.GlanceService` implements.  Other services
type against this module only, never Glance's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .images import Image, ImageNotFound

if TYPE_CHECKING:
    from ...backends.blocks import BlockData

__all__ = ["Image", "ImageNotFound", "ImageService"]


class ImageService(Protocol):
    """The image calls Nova and Cinder make."""

    @property
    def images(self) -> Mapping[str, Image]:
        """Every image record by id (``GET /v2/images/{id}`` as an admin)."""

    def find(self, ref: str, project_id: str | None, *, admin: bool = False) -> Image | None:
        """By id (or a URL ending in it), else by unique name, as the caller sees them."""

    def get(self, image_id: str, project_id: str | None = None, *,
            admin: bool = True) -> Image:
        """``GET /v2/images/{id}`` as the caller: :class:`ImageNotFound` if not visible."""

    def create(self, name: str | None, *, owner: str | None, visibility: str = "private",
               min_disk: int = 0, min_ram: int = 0, disk_format: str = "qcow2",
               properties: Mapping[str, Any] | None = None) -> Image:
        """``POST /v2/images``: a ``queued`` record."""

    def upload(self, image_id: str, data: BlockData, *, size: int | None = None) -> Image:
        """``PUT /v2/images/{id}/file``."""

    def activate_without_data(self, image_id: str, properties: Mapping[str, Any]) -> Image:
        """A volume-backed server's snapshot: active with a block device mapping only."""

    def kill(self, image_id: str) -> None:
        """An upload that failed."""

    def image_data(self, image_id: str) -> BlockData:
        """``GET /v2/images/{id}/file``."""
