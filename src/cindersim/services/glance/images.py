"""Glance-lite: the image records, their life cycle and the Python face Nova and Cinder use.

An :class:`Image` is one row of Glance's ``images`` table plus its file
(:mod:`.content`).  Its status moves only along Glance's own transition table
(``glance/domain``'s ``valid_state_targets``, :data:`IMAGE_TRANSITIONS`):
``queued`` -> ``saving`` -> ``active``; a failed upload goes back to ``queued``
(v2 deprecates ``killed``, but Nova's failed snapshot still ends there);
``deleted`` is final.  The REST API (``/image/v2``) is :mod:`.api`.

The defaults are a devstack-like pair: ``cirros-0.6.2`` (about 20 MiB of qcow2,
112 MiB virtual) and ``ubuntu-24.04`` (2 GiB, 3.5 GiB virtual), public and
``active``.  Their content is simulated (tagged ``image:<name>``), so the data a
guest boots from, a volume made from the image and an instance snapshot can be
compared exactly; their hashes are those of the synthesized file (constants,
verified by the tests: hashing 2 GiB at every start would cost seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...backends.blocks import BLOCK_SIZE, BlockData, blocks_for_bytes
from ...db import iso_time
from .api import GlanceApi
from .content import FileHashes
from .records import (
    ACTOR,
    DEFAULT_IMAGES,
    IMAGE_TRANSITIONS,
    Image,
    ImageNotFound,
    InvalidImageTransition,
)

if TYPE_CHECKING:
    from ..api.wsgi import ApiResponse
    from ..env import ServiceEnv
    from ..keystone.client import TokenValidator

__all__ = ["ACTOR", "DEFAULT_IMAGES", "IMAGE_TRANSITIONS", "GlanceService", "Image",
           "ImageNotFound", "InvalidImageTransition"]

def _stamp(seconds: float) -> str:
    """Glance shows ``2026-01-01T00:00:00Z`` (seconds, with a zone)."""
    return iso_time(seconds)[:19] + "Z"


class GlanceService:
    """The image registry of one env: records, visibility, life cycle.

    Args:
        env: the env (for ids, the clock, identity and the trace).
        identity: Keystone (keystonemiddleware validates tokens against it).
    """

    def __init__(self, env: ServiceEnv, *, identity: TokenValidator) -> None:
        self.env = env
        self.identity = identity
        self.images: dict[str, Image] = {}
        self.key_manager: Any = None
        """Castellan (``[key_manager]`` of glance-api): set by the cloud with Barbican."""
        for name, size, virtual, min_disk, hashes in DEFAULT_IMAGES:
            image = self.create(name, owner=None, visibility="public", min_disk=min_disk,
                                properties={"os_distro": name.split("-")[0]})
            data = BlockData(blocks_for_bytes(virtual))
            data.write(0, blocks_for_bytes(size), f"image:{name}")
            self._set_status(image, "saving")
            self._finish(image, data, size=size, hashes=hashes)
        self.api = GlanceApi(self)

    # --- the Python face (Nova and Cinder use it) ----------------------------------------
    def now(self) -> str:
        return _stamp(self.env.sim.now())

    def create(self, name: str | None, *, owner: str | None, visibility: str = "private",
               min_disk: int = 0, min_ram: int = 0, disk_format: str | None = "qcow2",
               container_format: str | None = "bare",
               properties: Mapping[str, Any] | None = None, image_id: str | None = None,
               protected: bool = False, os_hidden: bool = False,
               tags: list[str] | None = None) -> Image:
        """``POST /v2/images``: a ``queued`` record without data."""
        now = self.now()
        image = Image(id=image_id or self.env.sim.ids.uuid(), name=name, owner=owner,
                      visibility=visibility, min_disk=min_disk, min_ram=min_ram,
                      disk_format=disk_format, container_format=container_format,
                      properties=dict(properties or {}), protected=protected,
                      os_hidden=os_hidden, tags=list(tags or []),
                      created_at=now, updated_at=now)
        self.images[image.id] = image
        self._trace(image, None, "queued")
        return image

    def upload(self, image_id: str, data: BlockData, *, size: int | None = None) -> Image:
        """Store simulated content: ``queued`` -> ``saving`` -> ``active``.

        *size* is the stored file's size; by default the written blocks (what a
        qcow2 of that disk holds).  The hashes are computed on first need.
        """
        image = self.images[image_id]
        self._set_status(image, "saving")
        self._finish(image, data, size=size, hashes=None)
        return image

    def store_bytes(self, image: Image, *, data: BlockData, size: int, virtual_size: int | None,
                    hashes: FileHashes, payload: bytes | None) -> None:
        """The end of an API upload (already ``saving``): the file is stored, ``active``."""
        image.data = data
        image.size = size
        image.virtual_size = virtual_size
        image.hashes = hashes
        image.payload = payload
        self._set_status(image, "active")

    def activate_without_data(self, image_id: str, properties: Mapping[str, Any]) -> Image:
        """A volume-backed server's snapshot: no file, size 0, only a block device mapping."""
        image = self.images[image_id]
        image.properties.update(properties)
        image.size = 0
        image.virtual_size = None
        self._set_status(image, "active")
        return image

    def _finish(self, image: Image, data: BlockData, *, size: int | None,
                hashes: FileHashes | None) -> None:
        image.data = data
        image.size = size if size is not None else data.written() * BLOCK_SIZE
        image.virtual_size = data.size_bytes
        image.hashes = hashes
        image.payload = None
        self._set_status(image, "active")

    def kill(self, image_id: str) -> None:
        """An upload that failed: Glance's ``killed`` (by way of ``saving``: it had begun)."""
        image = self.images.get(image_id)
        if image is None or image.status in ("killed", "deleted"):
            return
        if image.status == "queued":
            self._set_status(image, "saving")
        self._set_status(image, "killed")

    async def delete_encryption_key(self, path: str, token: str | None) -> None:
        """``ImagesController._delete_encryption_key``: an image Cinder uploaded from an
        encrypted volume names its own key clone; with the deletion policy
        ``on_image_deletion`` Glance deletes that key (as the caller) with the image.
        A failure is only logged: the image is gone either way."""
        parts = [p for p in path.split("/") if p]
        image = self.images.get(parts[-1]) if parts[-2:-1] == ["images"] else None
        km = self.key_manager
        if image is None or km is None:
            return
        key_id = image.properties.get("cinder_encryption_key_id")
        if not key_id or image.properties.get(
                "cinder_encryption_key_deletion_policy") != "on_image_deletion":
            return
        try:
            await km.delete(token, str(key_id))
        except Exception as exc:
            self.env.trace.emit("log", "glance-api", f"could not delete key {key_id}: {exc}",
                                resource=f"image:{image.id}")

    def delete(self, image: Image) -> None:
        """``DELETE /v2/images/{id}``: the record stays, ``deleted``, its file is dropped."""
        self._set_status(image, "deleted")
        image.data = None
        image.payload = None

    def set_status(self, image: Image, status: str) -> None:
        """A status change through Glance's transition table."""
        self._set_status(image, status)

    def _set_status(self, image: Image, status: str) -> None:
        old = image.status
        if status not in IMAGE_TRANSITIONS[old]:
            raise InvalidImageTransition(old, status)
        image.status = status
        image.updated_at = self.now()
        self._trace(image, old, status)

    def _trace(self, image: Image, old: str | None, new: str) -> None:
        trace = self.env.trace
        if trace.recording:
            trace.emit("glance.image", ACTOR, f"image {image.id[:8]} ({image.name}) "
                       f"{old or '∅'} → {new}", resource=f"image:{image.id}", old=old, new=new)

    # --- visibility (Glance's default policy) ----------------------------------------------
    @staticmethod
    def owns(image: Image, project_id: str | None) -> bool:
        return project_id is not None and image.owner == project_id

    def visible(self, image: Image, project_id: str | None, *, admin: bool = False) -> bool:
        """``get_image``: admins, the owner, and anyone for public and community images."""
        return admin or image.visibility in ("public", "community") or self.owns(
            image, project_id)

    def get(self, image_id: str, project_id: str | None = None, *,
            admin: bool = True) -> Image:
        """An image by id; :class:`ImageNotFound` if missing, deleted or not visible."""
        image = self.images.get(image_id)
        if image is None or image.status == "deleted" or not self.visible(
                image, project_id, admin=admin):
            raise ImageNotFound(image_id)
        return image

    def find(self, ref: str, project_id: str | None, *, admin: bool = False) -> Image | None:
        """By id, else by exact name (what Cinder's ``_image_uuid_from_ref`` tries)."""
        ref = ref.rsplit("/", maxsplit=1)[-1]
        try:
            return self.get(ref, project_id, admin=admin)
        except ImageNotFound:
            pass
        named = [i for i in self.images.values()
                 if i.name == ref and i.status != "deleted"
                 and self.visible(i, project_id, admin=admin)]
        return named[0] if len(named) == 1 else None

    def image_data(self, image_id: str) -> BlockData:
        """The content a download returns (what ``fetch_to_raw`` writes)."""
        image = self.images[image_id]
        if image.data is None:
            raise ImageNotFound(image_id)
        return image.data

    # --- REST --------------------------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        """Answer ``/image...`` as glance-api would (see :mod:`.api`)."""
        return await self.api.handle(method, path, headers, body)
