"""Volumes from Glance images: the API's checks and cinder-volume's download.

API side (``cinder/api/v3/volumes.py`` ``_image_uuid_from_ref`` and
``cinder/volume/flows/api/create_volume.py`` ``_check_image_metadata``):

* ``imageRef`` may be an id, a URL ending in the id, or a unique name, looked
  up as the caller (a private image of another project is invisible); no match
  is 400 ``Invalid image identifier or unable to access requested image.``
* the image must be ``active``; its size rounded up to GB must fit the volume
  (``Size of specified image XGB is larger than volume size YGB.``) and so must
  its ``min_disk`` -- all ``InvalidInput`` (400), before anything is written.

Manager side (``cinder/volume/flows/manager/create_volume.py``
``_create_from_image_download``): the driver creates a blank volume, the
volume becomes ``downloading``, ``copy_image_to_volume`` fetches the image and
converts it into the LV (``fetch_to_raw``: charged at ``copy_bandwidth``), and
``_handle_bootable_volume_glance_meta`` makes the volume ``bootable``.  An
image whose virtual size does not fit is ``ImageUnacceptable``; copy failures
are among the errors Cinder never reschedules, so they end in ``error``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...backends.blocks import BLOCK_SIZE, GiB
from ...errors import CinderException, Invalid, InvalidInput
from ...states import Op, VolumeStatus

if TYPE_CHECKING:
    from ...cloud import Cloud
    from ...db import Volume
    from ..glance.images import Image
    from .manager import VolumeService

__all__ = ["ImageUnacceptable", "check_image_metadata", "create_from_image", "image_from_ref"]


class ImageUnacceptable(Invalid):
    message = "Image %(image_id)s is unacceptable: %(reason)s"


class ImageCopyFailure(CinderException):
    message = "Failed to copy image to volume: %(reason)s"


def image_from_ref(cloud: Cloud, image_ref: str, project_id: str | None,
                   is_admin: bool) -> Image:
    """``_image_uuid_from_ref``: by id (or URL), else by unique name, as the caller."""
    image = cloud.glance.find(image_ref, project_id, admin=is_admin)
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


async def create_from_image(svc: VolumeService, vol: Volume, image_id: str) -> bool:
    """Create the LV, go ``downloading``, copy the image in, mark it bootable.

    A failure of the blank create propagates (the manager may reschedule it);
    a failure of the copy puts the volume in ``error`` here and returns False.
    """
    cloud = svc.cloud
    await svc.drive("create_volume", svc.driver.create_volume, vol, resource=f"volume:{vol.id}")
    if vol.id not in cloud.db.volumes:
        return False
    cloud.db.transition(vol, VolumeStatus.DOWNLOADING, op=Op.CREATE_FROM_SOURCE,
                        actor=svc.actor, reason=f"copying image {image_id[:8]}")

    def copy_image_to_volume() -> None:
        image = cloud.glance.images.get(image_id)
        if image is None or image.data is None:
            raise ImageCopyFailure(reason=f"image {image_id} has no data")
        source = image.data
        target = svc.driver.volume_data(vol.id)
        if source.size_blocks > target.size_blocks:
            raise ImageUnacceptable(
                image_id=image_id,
                reason=f"Image virtual size is {-(-source.size_bytes // GiB)}GB and doesn't "
                       f"fit in a volume of size {vol.size}GB.")
        nbytes = source.written() * BLOCK_SIZE
        svc.meter.charge("qemu-img", "qemu-img convert", svc.meter.costs.transfer(
            nbytes, svc.meter.costs.copy_bandwidth),
            f"image {image_id[:8]} fetched and written to volume-{vol.id} ({nbytes} bytes)",
            image_id=image_id, volume_id=vol.id, bytes=nbytes)
        try:
            target.put(source.items())
        except OSError as exc:  # a thin pool that fills up during the copy
            raise ImageCopyFailure(reason=str(exc)) from exc

    try:
        await svc.drive("copy_image_to_volume", copy_image_to_volume,
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        if vol.id in cloud.db.volumes:
            cloud.db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE_FROM_SOURCE,
                                actor=svc.actor, reason=f"{type(exc).__name__}: {exc}")
        return False
    vol.bootable = True
    return vol.id in cloud.db.volumes
