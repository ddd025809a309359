"""Glance-lite: the image registry Nova boots from and Cinder copies into volumes.

Only what the boot and attach flows need, shaped like Glance's v2 API:

* ``GET /image/v2/images`` -> ``{"images": [...], "schema": "/v2/schemas/images",
  "first": "/v2/images"}``: public images plus the caller's own.
* ``GET /image/v2/images/{id}`` -> the image document (``id``, ``name``,
  ``status``, ``visibility``, ``size``, ``virtual_size``, ``disk_format``,
  ``container_format``, ``min_disk``, ``min_ram``, ``owner``, ``checksum``,
  ``os_hash_algo``/``os_hash_value``, ``protected``, ``tags``, ``created_at``,
  ``updated_at``, ``file``, ``self``, ``schema``, plus any extra properties
  such as a snapshot's ``image_type``/``instance_uuid`` or a volume-backed
  snapshot's ``block_device_mapping``).  A missing image, or another project's
  private one, is Glance's 404 ``No image found with ID <id>``.

The content of an image is a :class:`~cindersim.backends.blocks.BlockData`:
the first ``size`` bytes are written with a tag (``image:<name>``), so the data
a guest boots from, a volume made from the image and an instance snapshot can
all be compared exactly.  The defaults are a devstack-like pair: ``cirros-0.6.2``
(about 20 MiB of qcow2, 112 MiB virtual) and ``ubuntu-24.04`` (about 2 GiB,
3.5 GiB virtual).  Images made by Nova's ``createImage`` are added with
:meth:`GlanceService.create` and filled in with :meth:`GlanceService.upload`,
passing ``queued`` -> ``saving`` -> ``active`` as Glance's image states do.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ...backends.blocks import BLOCK_SIZE, BlockData, GiB, MiB, blocks_for_bytes
from ...db import iso_time
from ...errors import Unauthorized
from ...jsonvalues import loads
from ..api.wsgi import ApiResponse

if TYPE_CHECKING:
    from ...identity import IdentityStore
    from ..env import ServiceEnv

__all__ = ["ACTOR", "DEFAULT_IMAGES", "GlanceService", "Image", "ImageNotFound"]

ACTOR = "glance-api"

DEFAULT_IMAGES: tuple[tuple[str, int, int, int], ...] = (
    # name, size (bytes of the qcow2 file), virtual size (bytes), min_disk (GB)
    ("cirros-0.6.2", 21430272, 112 * MiB, 0),
    ("ubuntu-24.04", 2 * GiB, 3 * GiB + 512 * MiB, 0),
)
"""The images every simulated env starts with (public, ``active``)."""


class ImageNotFound(Exception):
    """No such image, or not visible to the caller (Glance answers 404 for both)."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"No image found with ID {image_id}")
        self.image_id = image_id


@attrs.define(kw_only=True)
class Image:
    """One Glance image record (plus its content)."""

    id: str
    name: str | None
    status: str = "queued"
    """``queued`` -> ``saving`` -> ``active`` (or ``killed``/``deleted``)."""
    visibility: str = "public"
    owner: str | None = None
    size: int | None = None
    """Bytes of the stored file (a qcow2 stores only allocated clusters)."""
    virtual_size: int | None = None
    """Bytes of the disk the image describes."""
    disk_format: str = "qcow2"
    container_format: str = "bare"
    min_disk: int = 0
    min_ram: int = 0
    protected: bool = False
    tags: list[str] = attrs.field(factory=list)
    properties: dict[str, Any] = attrs.field(factory=dict)
    """Extra properties: ``image_type``, ``instance_uuid``, ``block_device_mapping``..."""
    created_at: str = ""
    updated_at: str = ""
    data: BlockData | None = None

    @property
    def checksum(self) -> str | None:
        """Stand-in for Glance's md5/sha512 of the file: a digest of the content."""
        if self.data is None:
            return None
        return hashlib.md5(self.data.digest().encode(), usedforsecurity=False).hexdigest()

    def view(self) -> dict[str, Any]:
        """The image document of ``GET /v2/images/{id}``."""
        doc: dict[str, Any] = {
            "id": self.id, "name": self.name, "status": self.status,
            "visibility": self.visibility, "owner": self.owner, "size": self.size,
            "virtual_size": self.virtual_size, "disk_format": self.disk_format,
            "container_format": self.container_format, "min_disk": self.min_disk,
            "min_ram": self.min_ram, "protected": self.protected, "tags": list(self.tags),
            "checksum": self.checksum,
            "os_hash_algo": "sha512" if self.data is not None else None,
            "os_hash_value": (hashlib.sha512(self.data.digest().encode()).hexdigest()
                              if self.data is not None else None),
            "created_at": self.created_at, "updated_at": self.updated_at,
            "file": f"/v2/images/{self.id}/file", "self": f"/v2/images/{self.id}",
            "schema": "/v2/schemas/image",
        }
        for key, value in self.properties.items():
            doc.setdefault(key, value)
        return doc


def _stamp(seconds: float) -> str:
    """Glance shows ``2026-01-01T00:00:00Z`` (seconds, with a zone)."""
    return iso_time(seconds)[:19] + "Z"


class GlanceService:
    """The image registry of one env, with Glance's v2 read API.

    Args:
        env: the env (for ids, the clock, identity and the trace).
    """

    def __init__(self, env: ServiceEnv, *, identity: IdentityStore) -> None:
        self.env = env
        self.identity = identity
        """Keystone (keystonemiddleware validates tokens against it)."""
        self.images: dict[str, Image] = {}
        for name, size, virtual, min_disk in DEFAULT_IMAGES:
            image = self.create(name, owner=None, visibility="public", min_disk=min_disk,
                                properties={"os_distro": name.split("-")[0]})
            data = BlockData(blocks_for_bytes(virtual))
            data.write(0, blocks_for_bytes(size), f"image:{name}")
            self._finish(image, data, size=size)

    # --- the Python face (Nova and Cinder use it) ----------------------------------------
    def _now(self) -> str:
        return _stamp(self.env.sim.now())

    def create(self, name: str | None, *, owner: str | None, visibility: str = "private",
               min_disk: int = 0, min_ram: int = 0, disk_format: str = "qcow2",
               properties: Mapping[str, Any] | None = None) -> Image:
        """``POST /v2/images``: a ``queued`` record without data."""
        now = self._now()
        image = Image(id=self.env.sim.ids.uuid(), name=name, owner=owner,
                      visibility=visibility, min_disk=min_disk, min_ram=min_ram,
                      disk_format=disk_format, properties=dict(properties or {}),
                      created_at=now, updated_at=now)
        self.images[image.id] = image
        self._trace(image, None, "queued")
        return image

    def upload(self, image_id: str, data: BlockData, *, size: int | None = None) -> Image:
        """``PUT /v2/images/{id}/file``: ``queued`` -> ``saving`` -> ``active``.

        *size* is the stored file's size; by default the written blocks (what a
        qcow2 of that disk holds).
        """
        image = self.images[image_id]
        self._set_status(image, "saving")
        self._finish(image, data, size=size)
        return image

    def activate_without_data(self, image_id: str, properties: Mapping[str, Any]) -> Image:
        """A volume-backed server's snapshot: no file, size 0, only a block device mapping."""
        image = self.images[image_id]
        image.properties.update(properties)
        image.size = 0
        image.virtual_size = None
        self._set_status(image, "active")
        return image

    def _finish(self, image: Image, data: BlockData, *, size: int | None) -> None:
        image.data = data
        image.size = size if size is not None else data.written() * BLOCK_SIZE
        image.virtual_size = data.size_bytes
        self._set_status(image, "active")

    def kill(self, image_id: str) -> None:
        """An upload that failed: Glance's ``killed``."""
        image = self.images.get(image_id)
        if image is not None:
            self._set_status(image, "killed")

    def _set_status(self, image: Image, status: str) -> None:
        old = image.status
        image.status = status
        image.updated_at = self._now()
        self._trace(image, old, status)

    def _trace(self, image: Image, old: str | None, new: str) -> None:
        trace = self.env.trace
        if trace.recording:
            trace.emit("glance.image", ACTOR, f"image {image.id[:8]} ({image.name}) "
                       f"{old or '∅'} → {new}", resource=f"image:{image.id}", old=old, new=new)

    def visible(self, image: Image, project_id: str | None, *, admin: bool = False) -> bool:
        return admin or image.visibility in ("public", "community") or (
            project_id is not None and image.owner == project_id)

    def get(self, image_id: str, project_id: str | None = None, *,
            admin: bool = True) -> Image:
        """An image by id; :class:`ImageNotFound` if missing or not visible."""
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
        """Answer ``/image/v2/...`` as glance-api would (only the reads are modelled)."""
        env = self.env
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        caller = hdrs.get("x-cindersim-actor", "client")
        path_only = path.partition("?")[0]
        if env.trace.recording:
            env.trace.emit("api.request", caller, f"{method} {path_only}", target=ACTOR,
                             method=method, path=path_only, body=_decoded(body))
        if env.config.api_latency > 0:
            await asyncio.sleep(env.config.api_latency)
        response = self._dispatch(method.upper(), path_only, hdrs)
        if env.trace.recording:
            env.trace.emit("api.response", ACTOR, f"{response.status} for {method} {path_only}",
                             target=caller, status=response.status, body=response.body)
        return response

    def _dispatch(self, method: str, path: str, hdrs: Mapping[str, str]) -> ApiResponse:
        try:
            ctx = self.identity.validate(hdrs.get("x-auth-token"))
        except Unauthorized:
            return _error(401, "This server could not verify that you are authorized to "
                               "access the document you requested.")
        parts = [p for p in path.split("/") if p]
        # parts: ["image", "v2", "images", <id>?]
        if parts[:3] != ["image", "v2", "images"] or len(parts) > 4:
            return _error(404, "The resource could not be found.")
        if method != "GET":
            return _error(405, "The method is not allowed for this resource.")
        if len(parts) == 3:
            images = [i.view() for i in self.images.values()
                      if i.status != "deleted"
                      and self.visible(i, ctx.project_id, admin=bool(ctx.is_admin))]
            return ApiResponse(200, {"images": images, "schema": "/v2/schemas/images",
                                     "first": "/v2/images"})
        try:
            image = self.get(parts[3], ctx.project_id, admin=bool(ctx.is_admin))
        except ImageNotFound as exc:
            return _error(404, str(exc))
        return ApiResponse(200, image.view())


_TITLES = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}


def _error(status: int, message: str) -> ApiResponse:
    """webob's JSON error body, which Glance returns for ``Accept: application/json``."""
    title = _TITLES.get(status, "Error")
    return ApiResponse(status, {"code": f"{status} {title}", "title": title,
                                "message": message})


def _decoded(body: bytes | str | None) -> Any:
    if body in (None, b"", ""):
        return None
    try:
        return loads(body)  # bounded nesting (RecursionError is no ValueError)
    except ValueError:
        return str(body)[:200]
