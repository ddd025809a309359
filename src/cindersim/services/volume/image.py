"""Volumes from Glance images: cinder-volume's download (the API's checks are in
:mod:`cindersim.services.api.image_refs`).

``cinder/volume/flows/manager/create_volume.py``
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
from ...errors import CinderException, Invalid
from ...states import Op, VolumeStatus

if TYPE_CHECKING:
    from ...db import Volume
    from .manager import VolumeService

__all__ = ["ImageUnacceptable", "create_from_image"]


class ImageUnacceptable(Invalid):
    message = "Image %(image_id)s is unacceptable: %(reason)s"


class ImageCopyFailure(CinderException):
    message = "Failed to copy image to volume: %(reason)s"


async def create_from_image(svc: VolumeService, vol: Volume, image_id: str) -> bool:
    """Create the LV, go ``downloading``, copy the image in, mark it bootable.

    A failure of the blank create propagates (the manager may reschedule it);
    a failure of the copy puts the volume in ``error`` here and returns False.
    """
    env = svc.env
    await svc.drive("create_volume", svc.driver.create_volume, vol, resource=f"volume:{vol.id}")
    if vol.id not in env.db.volumes:
        return False
    env.db.transition(vol, VolumeStatus.DOWNLOADING, op=Op.CREATE_FROM_SOURCE,
                        actor=svc.actor, reason=f"copying image {image_id[:8]}")

    def copy_image_to_volume() -> None:
        image = svc.glance.images.get(image_id)
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
        if vol.id in env.db.volumes:
            env.db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE_FROM_SOURCE,
                                actor=svc.actor, reason=f"{type(exc).__name__}: {exc}")
        return False
    vol.bootable = True
    # _capture_volume_image_metadata: what os-show_image_metadata and the views show.
    image = svc.glance.images.get(image_id)
    if image is not None:
        from .image_upload import glance_metadata_of  # noqa: PLC0415 - it imports this module

        vol.glance_metadata = glance_metadata_of(image)
    return vol.id in env.db.volumes
