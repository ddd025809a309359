"""librbd's and librados' errors, as the ``rbd``/``rados`` Python bindings raise them.

Cinder's RBD driver catches them by class (``rbd.ImageNotFound``,
``rbd.ImageBusy``, ``rbd.ImageHasSnapshots`` ...) and decides what a Cinder
user sees; where it lets one through, cinder-volume treats it as any driver
failure.  They derive from :class:`~cindersim.errors.BackendError` so that the
managers' ``except CinderException`` handles one that escapes, as Cinder's
flows handle any exception from a driver.
"""

from __future__ import annotations

from ...errors import BackendError

__all__ = ["ImageBusy", "ImageExists", "ImageHasSnapshots", "ImageNotFound", "InvalidArgument",
           "NoSpace", "ObjectNotFound", "RbdError"]


class RbdError(BackendError):
    """``rbd.Error``: the base of librbd's errors (the message is librbd's)."""

    message = "%(reason)s"


class ImageNotFound(RbdError):
    """ENOENT: no image (or snapshot) of that name."""


class ImageExists(RbdError):
    """EEXIST: an image of that name is already in the pool."""


class ImageBusy(RbdError):
    """EBUSY: the image has watchers, or a snapshot is protected / has children."""


class ImageHasSnapshots(RbdError):
    """ENOTEMPTY: ``rbd rm`` of an image that still has snapshots."""


class InvalidArgument(RbdError):
    """EINVAL: e.g. unprotecting a snapshot that is not protected, shrinking by resize."""


class NoSpace(RbdError, OSError):
    """ENOSPC: the cluster (or the pool's quota) is full; OSDs refuse writes."""


class ObjectNotFound(RbdError):
    """``rados.ObjectNotFound``: no such pool (``ioctx`` open fails)."""
