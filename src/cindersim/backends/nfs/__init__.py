"""NFS: the servers' exports with Cinder's volume files on them, and the hosts' mounts.

``share`` holds the exports, the volume files (raw or qcow2) and their
snapshot chains; ``client`` the mount state of one host (cinder-volume,
cinder-backup or a compute host).  May use the kernel (``errors``) and
``backends.blocks``/``backends.costs``; never ``services/`` or the drivers.
"""

from .client import MOUNT_SECONDS, UMOUNT_SECONDS, NfsClient, mount_point
from .share import FileData, ImageFile, NfsExports, Share, VolumeChain

__all__ = [
    "MOUNT_SECONDS",
    "UMOUNT_SECONDS",
    "FileData",
    "ImageFile",
    "NfsClient",
    "NfsExports",
    "Share",
    "VolumeChain",
    "mount_point",
]
