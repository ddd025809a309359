"""Ceph as Cinder's RBD drivers use it: a cluster of replicated pools of RBD images.

Holds the cluster and its ``ceph df`` (``cluster``), images, snapshots and
layering (``image``), librbd's operations (``librbd``), librbd/librados
errors (``errors``), the cost model (``costs``) and where clusters are found
(``network``).  May use ``backends.blocks``/``backends.costs`` and the kernel;
never ``services/`` or the drivers that use it.
"""

from . import librbd
from .cluster import DEFAULT_FULL_RATIO, CephCluster, Pool
from .connector import RbdConnector
from .costs import CephCosts
from .errors import (
    ImageBusy,
    ImageExists,
    ImageHasSnapshots,
    ImageNotFound,
    InvalidArgument,
    NoSpace,
    ObjectNotFound,
    RbdError,
)
from .image import DEFAULT_ORDER, ImageData, RbdImage, RbdSnapshot
from .network import DEFAULT_CEPH_CONF, CephNetwork, RbdHandle

__all__ = [
    "DEFAULT_CEPH_CONF",
    "DEFAULT_FULL_RATIO",
    "DEFAULT_ORDER",
    "CephCluster",
    "CephCosts",
    "CephNetwork",
    "ImageBusy",
    "ImageData",
    "ImageExists",
    "ImageHasSnapshots",
    "ImageNotFound",
    "InvalidArgument",
    "NoSpace",
    "ObjectNotFound",
    "Pool",
    "RbdConnector",
    "RbdError",
    "RbdHandle",
    "RbdImage",
    "RbdSnapshot",
    "librbd",
]
