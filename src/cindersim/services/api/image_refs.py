"""cinder-api's checks of a volume's source image.

``cinder/api/v3/volumes.py`` ``_image_uuid_from_ref`` and
``cinder/volume/flows/api/create_volume.py`` ``_check_image_metadata``:

* ``imageRef`` may be an id, a URL ending in the id, or a unique name, looked
  up as the caller (a private image of another project is invisible); no match
  is 400 ``Invalid image identifier or unable to access requested image.``
* the image must be ``active``; its size rounded up to GB must fit the volume
  (``Size of specified image XGB is larger than volume size YGB.``) and so must
  its ``min_disk`` -- all ``InvalidInput`` (400), before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...backends.blocks import GiB
from ...errors import InvalidInput

if TYPE_CHECKING:
    from ..glance.client import Image, ImageService

__all__ = ["check_image_metadata", "image_from_ref"]


def image_from_ref(glance: ImageService, image_ref: str, project_id: str | None,
                   is_admin: bool) -> Image:
    """``_image_uuid_from_ref``: by id (or URL), else by unique name, as the caller."""
    image = glance.find(image_ref, project_id, admin=is_admin)
    if image is None:
        raise InvalidInput(reason="Invalid image identifier or unable to access requested "
                                  "image.")
    return image


def check_image_metadata(image: Image, size: int) -> None:
    """``_check_image_metadata``: active, file size and min_disk within the volume."""
    if image.status != "active":
        raise InvalidInput(reason=f"Image {image.id} is not active.")
    image_gb = -(-int(image.size or 0) // GiB)
    if image_gb > size:
        raise InvalidInput(reason=f"Size of specified image {image_gb}GB is larger than volume "
                                  f"size {size}GB.")
    if image.min_disk > size:
        raise InvalidInput(reason=f"Volume size {size}GB cannot be smaller than the image "
                                  f"minDisk size {image.min_disk}GB.")
