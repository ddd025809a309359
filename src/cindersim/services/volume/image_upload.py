"""cinder-volume's volume-to-image flows: ``copy_volume_to_image`` (the
``os-volume_upload_image`` action) and ``reimage`` (``os-reimage``, 3.68), from
``cinder/volume/manager.py``.

Upload: the API set the volume ``uploading`` and created the Glance record
(``queued``).  The driver reads the LV and sends it to Glance
(``image_utils.upload_volume``: a ``qemu-img convert`` when the format is not
raw, charged at ``copy_bandwidth``); Glance goes ``saving`` -> ``active``.  A
failure deletes an image still ``queued``/``saving`` (here Glance's ``killed``).
Either way the volume's status is then recomputed from its attachments
(``volume_update_status_based_on_attachment``): ``in-use`` with attachments,
else ``available``.

Re-image: the API set the volume ``downloading`` (``previous_status`` saved)
after checking the image.  The image is written over the volume
(``copy_image_to_volume`` with sparse copies off), the volume's Glance metadata
is replaced by the new image's, and the volume goes back to its previous
status.  A failure leaves ``error``.  (For a ``reserved`` volume Cinder then
tells Nova ``volume-reimaged``; Nova's rebuild waits for that event, which the
simulator records as a trace event only.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...backends.blocks import BLOCK_SIZE, GiB
from ...errors import CinderException
from ...states import Op, VolumeStatus
from .image import ImageCopyFailure, ImageUnacceptable
from .revert import _revert_generic

if TYPE_CHECKING:
    from ..glance.client import Image
    from .manager import VolumeService

__all__ = ["METHODS", "copy_volume_to_image", "glance_metadata_of", "reimage"]


def glance_metadata_of(image: Image) -> dict[str, str]:
    """``_capture_volume_image_metadata``: what a volume remembers of its image
    (every value a string, as ``volume_glance_metadata`` stores them)."""
    meta = {"image_id": image.id, "image_name": image.name or "",
            "checksum": image.checksum or "", "min_disk": str(image.min_disk),
            "min_ram": str(image.min_ram), "size": str(image.size or 0)}
    # Cinder copies a format only when the image has one.
    for key, fmt in (("container_format", image.container_format),
                     ("disk_format", image.disk_format)):
        if fmt is not None:
            meta[key] = fmt
    for key, value in image.properties.items():
        if key not in ("block_device_mapping",):
            meta.setdefault(key, str(value))
    return meta


async def copy_volume_to_image(svc: VolumeService, *, volume_id: str, image_id: str) -> None:
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        svc.glance.kill(image_id)
        return
    image = svc.glance.images.get(image_id)

    def upload_volume() -> None:
        if image is None or image.status not in ("queued", "saving"):
            raise ImageCopyFailure(reason=f"image {image_id} is gone")
        source = svc.driver.volume_data(vol.id)
        nbytes = source.written() * BLOCK_SIZE
        command = ("dd" if image.disk_format == "raw"
                   else f"qemu-img convert -O {image.disk_format}")
        svc.meter.charge("qemu-img", command, svc.meter.costs.transfer(
            nbytes, svc.meter.costs.copy_bandwidth),
            f"volume-{vol.id} sent to image {image_id[:8]} ({nbytes} bytes)",
            image_id=image_id, volume_id=vol.id, bytes=nbytes)
        svc.glance.upload(image_id, source.copy())

    try:
        await svc.drive("copy_volume_to_image", upload_volume, resource=f"volume:{vol.id}")
    except (CinderException, OSError) as exc:
        env.trace.emit("log", svc.actor, f"upload to image {image_id[:8]} failed: {exc}",
                       resource=f"volume:{vol.id}", error=type(exc).__name__)
        if image is not None and image.status in ("queued", "saving"):
            svc.glance.kill(image_id)
    if vol.id in db.volumes and vol.status == VolumeStatus.UPLOADING:
        status = VolumeStatus.IN_USE if db.attachments_of(vol.id) else VolumeStatus.AVAILABLE
        db.transition(vol, status, op=Op.UPLOAD_TO_IMAGE, actor=svc.actor,
                      reason=f"image {image_id[:8]}")


async def reimage(svc: VolumeService, *, volume_id: str, image_id: str,
                  snapshot_id: str | None = None) -> None:
    """*snapshot_id*: the image is a volume-backed server's snapshot; its boot
    snapshot is copied over the volume the generic revert's way."""
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return
    image = svc.glance.images.get(image_id)
    snap = db.snapshots.get(snapshot_id) if snapshot_id else None

    def copy_image_to_volume() -> None:
        if image is None or image.data is None:
            raise ImageCopyFailure(reason=f"image {image_id} has no data")
        source = image.data
        target = svc.driver.volume_data(vol.id)
        if source.size_blocks > target.size_blocks:
            raise ImageUnacceptable(
                image_id=image_id,
                reason=f"Image virtual size is {-(-source.size_bytes // GiB)}GB and doesn't "
                       f"fit in a volume of size {vol.size}GB.")
        nbytes = target.size_blocks * BLOCK_SIZE  # disable_sparse: the whole device
        svc.meter.charge("qemu-img", "qemu-img convert -O raw", svc.meter.costs.transfer(
            nbytes, svc.meter.costs.copy_bandwidth),
            f"image {image_id[:8]} written over volume-{vol.id} ({nbytes} bytes)",
            image_id=image_id, volume_id=vol.id, bytes=nbytes)
        target.discard()
        target.put(source.items())

    try:
        if snap is not None:
            await _revert_generic(svc, vol, snap)
        else:
            await svc.drive("copy_image_to_volume", copy_image_to_volume,
                            resource=f"volume:{vol.id}")
    except (CinderException, OSError) as exc:
        if vol.id in db.volumes and vol.status == VolumeStatus.DOWNLOADING:
            vol.previous_status = str(vol.status)
            db.transition(vol, VolumeStatus.ERROR, op=Op.REIMAGE, actor=svc.actor,
                          reason=f"{type(exc).__name__}: {exc}")
        return
    if vol.id not in db.volumes or vol.status != VolumeStatus.DOWNLOADING:
        return
    assert image is not None
    vol.glance_metadata = glance_metadata_of(image)
    previous = VolumeStatus(vol.previous_status or VolumeStatus.AVAILABLE)
    db.transition(vol, previous, op=Op.REIMAGE, actor=svc.actor,
                  reason=f"re-imaged from {image_id[:8]}")
    if previous == VolumeStatus.RESERVED:
        servers = [a.instance_uuid for a in db.attachments_of(vol.id) if a.instance_uuid]
        env.trace.emit("nova.event", svc.actor, f"volume-reimaged for {vol.id[:8]}",
                       resource=f"volume:{vol.id}", target="nova-api", servers=servers)


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "copy_volume_to_image": copy_volume_to_image,
    "reimage": reimage,
}
