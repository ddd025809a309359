"""librbd's image operations, as Cinder's drivers call them through the ``rbd`` binding.

Each function is one librbd call (``RBD().clone``, ``Image.create_snap``,
``Image.flatten`` ...), with librbd's rules and errors:

* ``remove`` refuses an image with snapshots (``ImageHasSnapshots``) or with
  watchers (``ImageBusy``); ``trash_move`` takes one with snapshots.
* ``remove_snap`` refuses a protected snapshot (``ImageBusy``);
  ``unprotect_snap`` refuses one with children (``ImageBusy``) and one that is
  not protected (``InvalidArgument``).
* ``clone`` needs a protected snapshot of an image with the layering feature
  (clone v1, which Cinder's protect calls follow).
* ``flatten`` copies up what the child does not own and detaches it from
  its parent snapshot, whose children list shrinks.

Each charges the caller's meter: metadata calls a fixed time, data moves by
bytes at the cluster's bandwidths.
"""

from __future__ import annotations

from ..blocks import BLOCK_SIZE, BlockData
from ..costs import Meter
from .cluster import Pool, _size
from .errors import ImageBusy, ImageExists, ImageHasSnapshots, ImageNotFound, InvalidArgument
from .image import RbdImage, RbdSnapshot

__all__ = ["clone", "copy", "create_snap", "diff_blocks", "flatten", "import_diff",
           "list_children", "protect_snap", "remove", "remove_snap", "rename", "resize",
           "rollback_to_snap", "trash_move", "unprotect_snap"]


def _where(img: RbdImage) -> str:
    return f"{img.pool.name}/{img.name}"


def _snap(img: RbdImage, name: str) -> RbdSnapshot:
    snap = img.snapshot(name)
    if snap is None:
        raise ImageNotFound(reason=f"snapshot {_where(img)}@{name} does not exist")
    return snap


def create_snap(meter: Meter, img: RbdImage, name: str, *, now: float = 0.0) -> RbdSnapshot:
    """``Image.create_snap``: freeze the content; no data is copied."""
    costs = img.pool.cluster.costs
    if img.snapshot(name) is not None:
        meter.charge("rbd", "rbd snap create", costs.snap_create,
                     f"rbd snap create {_where(img)}@{name}: (17) File exists",
                     image=img.name, snap=name, error="ImageExists")
        raise ImageExists(reason=f"snapshot {_where(img)}@{name} already exists")
    snap = RbdSnapshot(name, img.pool.cluster.next_snap_id(), img.size_bytes,
                       BlockData(img.data.size_blocks, dict(img.data.items())),
                       frozenset(img.own), timestamp=now)
    img.snapshots.append(snap)
    meter.charge("rbd", "rbd snap create", costs.snap_create,
                 f"rbd snap create {_where(img)}@{name}", image=img.name, snap=name)
    return snap


def protect_snap(meter: Meter, img: RbdImage, name: str) -> None:
    """``Image.protect_snap``: the snapshot can now be cloned and cannot be removed."""
    snap = _snap(img, name)
    if snap.protected:
        raise ImageBusy(reason=f"snapshot {_where(img)}@{name} is already protected")
    snap.protected = True
    meter.charge("rbd", "rbd snap protect", img.pool.cluster.costs.snap_protect,
                 f"rbd snap protect {_where(img)}@{name}", image=img.name, snap=name)


def unprotect_snap(meter: Meter, img: RbdImage, name: str) -> None:
    """``Image.unprotect_snap``: refused while clones of the snapshot exist."""
    snap = _snap(img, name)
    cost = img.pool.cluster.costs.snap_protect
    if not snap.protected:
        meter.charge("rbd", "rbd snap unprotect", cost,
                     f"rbd snap unprotect {_where(img)}@{name}: (22) Invalid argument",
                     image=img.name, snap=name, error="InvalidArgument")
        raise InvalidArgument(reason=f"snapshot {_where(img)}@{name} is not protected")
    if snap.children:
        kids = ", ".join(_where(c) for c in snap.children)
        meter.charge("rbd", "rbd snap unprotect", cost,
                     f"rbd snap unprotect {_where(img)}@{name}: (16) Device or resource busy "
                     f"(children: {kids})", image=img.name, snap=name, error="ImageBusy")
        raise ImageBusy(reason=f"snapshot {_where(img)}@{name} has children: {kids}")
    snap.protected = False
    meter.charge("rbd", "rbd snap unprotect", cost, f"rbd snap unprotect {_where(img)}@{name}",
                 image=img.name, snap=name)


def remove_snap(meter: Meter, img: RbdImage, name: str) -> None:
    """``Image.remove_snap``: refused for a protected snapshot; its kept objects go."""
    snap = _snap(img, name)
    costs = img.pool.cluster.costs
    if snap.protected:
        meter.charge("rbd", "rbd snap rm", costs.snap_remove,
                     f"rbd snap rm {_where(img)}@{name}: (16) Device or resource busy "
                     "(snapshot is protected)", image=img.name, snap=name, error="ImageBusy")
        raise ImageBusy(reason=f"snapshot {_where(img)}@{name} is protected from removal")
    index = img.snapshots.index(snap)
    img.snapshots.remove(snap)
    # RADOS trims the snapshot's clone objects, unless an older snapshot still needs
    # that content: the older one then keeps it.
    if index > 0:
        older = img.snapshots[index - 1]
        older.preserved.update(i for i in snap.preserved if i in older.own or
                               i in older.preserved)
    per = img.blocks_per_object
    objects = len({i // per for i in snap.preserved})
    meter.charge("rbd", "rbd snap rm", costs.snap_remove + objects * costs.object_remove,
                 f"rbd snap rm {_where(img)}@{name} ({objects} objects trimmed)",
                 image=img.name, snap=name)


def rollback_to_snap(meter: Meter, img: RbdImage, name: str) -> None:
    """``Image.rollback_to_snap``: rewrite every object of the image from the snapshot."""
    snap = _snap(img, name)
    costs = img.pool.cluster.costs
    changed = [i for i in img.own | set(dict(snap.data.items()))
               if img.data.read(i) != snap.data.read(i)]
    img._touch(changed)
    img.data._blocks = dict(snap.data.items())
    img.own = set(snap.own) | set(changed)
    meter.charge("rbd", "rbd snap rollback",
                 costs.transfer(img.size_bytes, costs.rollback_bandwidth),
                 f"rbd snap rollback {_where(img)}@{name} ({_size(img.size_bytes)} rewritten)",
                 image=img.name, snap=name, bytes=img.size_bytes)


def resize(meter: Meter, img: RbdImage, size_bytes: int) -> None:
    """``Image.resize``: grow the image (objects appear only when written)."""
    img.data.resize(size_bytes // BLOCK_SIZE)
    meter.charge("rbd", "rbd resize", img.pool.cluster.costs.resize,
                 f"rbd resize {_where(img)} --size {_size(size_bytes)}", image=img.name,
                 size=size_bytes)


def clone(meter: Meter, parent: RbdImage, snap_name: str, dest: Pool, name: str, *,
          order: int | None = None) -> RbdImage:
    """``RBD().clone``: a copy-on-write child of ``parent@snap`` (no data copied)."""
    snap = _snap(parent, snap_name)
    costs = parent.pool.cluster.costs
    if not snap.protected:
        meter.charge("rbd", "rbd clone", costs.clone,
                     f"rbd clone {_where(parent)}@{snap_name} {dest.name}/{name}: (22) "
                     "Invalid argument (parent snapshot must be protected)", image=name,
                     error="InvalidArgument")
        raise InvalidArgument(reason=f"parent snapshot {_where(parent)}@{snap_name} must be "
                                     "protected")
    if name in dest.images:
        raise ImageExists(reason=f"rbd image {name} already exists")
    child = RbdImage(dest, name, dest.cluster.next_image_id(), snap.size_bytes,
                     order=order if order is not None else parent.order, on_write=dest._admit,
                     parent=snap, parent_image=parent, overlap_bytes=snap.size_bytes)
    child.data._blocks = dict(snap.data.items())
    dest.images[name] = child
    snap.children.append(child)
    meter.charge("rbd", "rbd clone", costs.clone,
                 f"rbd clone {_where(parent)}@{snap_name} {dest.name}/{name}", image=name,
                 parent=f"{_where(parent)}@{snap_name}")
    return child


def flatten(meter: Meter, img: RbdImage) -> None:
    """``Image.flatten``: copy up every parent block the child does not own, detach."""
    snap = img.parent
    costs = img.pool.cluster.costs
    if snap is None:
        meter.charge("rbd", "rbd flatten", costs.image_open,
                     f"rbd flatten {_where(img)}: image has no parent", image=img.name)
        return
    limit = img.overlap_bytes // BLOCK_SIZE
    up = [i for i, _ in snap.data.items() if i < limit and i not in img.own]
    img._touch(up)
    img.own.update(up)
    snap.children.remove(img)
    parent_name = f"{_where(img.parent_image)}@{snap.name}" if img.parent_image else snap.name
    img.parent = img.parent_image = None
    img.overlap_bytes = 0
    nbytes = len(up) * BLOCK_SIZE
    meter.charge("rbd", "rbd flatten", costs.image_open + costs.transfer(
        nbytes, costs.flatten_bandwidth),
        f"rbd flatten {_where(img)} ({nbytes} bytes copied up from {parent_name})",
        image=img.name, bytes=nbytes)


def copy(meter: Meter, src: RbdImage, dest: Pool, name: str) -> RbdImage:
    """``Image.copy``: a deep copy of the content into a new, independent image."""
    costs = src.pool.cluster.costs
    img = dest.add_image(meter, name, src.size_bytes, order=src.order)
    img.data.put(src.data.items())
    nbytes = img.data.written() * BLOCK_SIZE
    meter.charge("rbd", "rbd copy", costs.transfer(nbytes, costs.copy_bandwidth),
                 f"rbd cp {_where(src)} {dest.name}/{name} ({nbytes} bytes)", image=name,
                 bytes=nbytes)
    return img


def list_children(img: RbdImage, snap_name: str | None = None) -> list[tuple[str, str]]:
    """``Image.list_children``: ``(pool, image)`` of the clones of the set snapshot."""
    if snap_name is None:
        return []
    return [(c.pool.name, c.name) for c in _snap(img, snap_name).children]


def remove(meter: Meter, pool: Pool, name: str) -> None:
    """``RBD().remove``: delete the image and its objects."""
    costs = pool.cluster.costs
    img = pool.images.get(name)
    if img is None:
        meter.charge("rbd", "rbd rm", costs.image_open, f"rbd rm {pool.name}/{name}: (2) No such "
                     "file or directory", image=name, error="ImageNotFound")
        raise ImageNotFound(reason=f"image {pool.name}/{name} does not exist")
    if img.snapshots:
        meter.charge("rbd", "rbd rm", costs.image_open,
                     f"rbd rm {pool.name}/{name}: image has snapshots - not removing",
                     image=name, error="ImageHasSnapshots")
        raise ImageHasSnapshots(reason=f"image {pool.name}/{name} has snapshots")
    if img.watchers:
        meter.charge("rbd", "rbd rm", costs.image_open,
                     f"rbd rm {pool.name}/{name}: image still has watchers "
                     f"({', '.join(img.watchers)})", image=name, error="ImageBusy")
        raise ImageBusy(reason=f"image {pool.name}/{name} still has watchers")
    objects = img.object_count()
    del pool.images[name]
    if img.parent is not None:
        img.parent.children.remove(img)
    meter.charge("rbd", "rbd rm", costs.image_remove + objects * costs.object_remove,
                 f"rbd rm {pool.name}/{name} ({objects} objects)", image=name)


def trash_move(meter: Meter, pool: Pool, name: str, delay: int = 0) -> None:
    """``RBD().trash_move``: out of the listing (its objects stay until purged)."""
    img = pool.image(name)
    if img.watchers:
        raise ImageBusy(reason=f"image {pool.name}/{name} still has watchers")
    del pool.images[name]
    pool.trash[img.id] = img
    meter.charge("rbd", "rbd trash mv", pool.cluster.costs.rename,
                 f"rbd trash mv {pool.name}/{name} (id {img.id}, delay {delay}s)", image=name)


def rename(meter: Meter, pool: Pool, old: str, new: str) -> None:
    """``RBD().rename``: children keep their link (they refer to the parent by id)."""
    img = pool.image(old)
    if new in pool.images:
        raise ImageExists(reason=f"rbd image {new} already exists")
    del pool.images[old]
    img.name = new
    pool.images[new] = img
    meter.charge("rbd", "rbd rename", pool.cluster.costs.rename,
                 f"rbd mv {pool.name}/{old} {pool.name}/{new}", image=new, old=old)


def diff_blocks(img: RbdImage, snap_name: str, from_snap: str | None) -> list[tuple[int, int]]:
    """``rbd export-diff [--from-snap A] image@B``: the extents that changed from A to B
    (everything written, when there is no A), with their content at B."""
    end = _snap(img, snap_name).data
    if from_snap is None:
        return end.items()
    start = _snap(img, from_snap).data
    keys = {i for i, _ in end.items()} | {i for i, _ in start.items()}
    return [(i, end.read(i)) for i in sorted(keys) if end.read(i) != start.read(i)]


def import_diff(meter: Meter, img: RbdImage, changes: list[tuple[int, int]], end_snap: str, *,
                size_bytes: int, now: float = 0.0) -> None:
    """``rbd import-diff``: apply the extents, resize to the diff's size, then create the
    diff's end snapshot on the destination (how the next diff finds its start)."""
    costs = img.pool.cluster.costs
    if size_bytes > img.size_bytes:
        img.data.resize(size_bytes // BLOCK_SIZE)
    img.data.put(changes)
    nbytes = sum(1 for _, fp in changes if fp) * BLOCK_SIZE
    meter.charge("rbd", "rbd import-diff", costs.transfer(nbytes, costs.diff_bandwidth),
                 f"rbd export-diff | rbd import-diff into {_where(img)} ({nbytes} bytes, "
                 f"{len(changes)} extents)", image=img.name, bytes=nbytes)
    create_snap(meter, img, end_snap, now=now)
