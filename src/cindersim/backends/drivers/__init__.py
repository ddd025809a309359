"""Cinder's drivers over the simulated storage: the LVM volume driver, the chunked backup driver.

Holds the volume driver (``lvm``: Cinder's LVMVolumeDriver over ``backends.lvm``
and ``backends.iscsi``) and the chunked backup driver (``chunked_backup``, with
its stored objects in ``backup_objects`` and their size models in
``backup_sizes``).  May use the rest of ``backends/`` and the kernel; never
``services/`` (the managers call the drivers, not the other way round).
"""

from .backup_objects import (
    DEFAULT_SWIFT_CONTAINER,
    DRIVER_VERSION,
    POSIX_FILE_SIZE,
    SHA_BLOCK_SIZE,
    SWIFT_OBJECT_SIZE,
    ZERO_BLOCK_SHA256,
    BackupRef,
    BackupResult,
    Chunk,
    RestoreResult,
    Sha256File,
    backup_chain,
)
from .backup_sizes import block_deflated_size, compressor_name, deflated_size, json_indent2_size
from .chunked_backup import ChunkedBackupDriver
from .lvm import AttachmentLike, LVMConfig, LVMVolumeDriver, SnapshotLike, VolumeLike

__all__ = [
    "DEFAULT_SWIFT_CONTAINER",
    "DRIVER_VERSION",
    "POSIX_FILE_SIZE",
    "SHA_BLOCK_SIZE",
    "SWIFT_OBJECT_SIZE",
    "ZERO_BLOCK_SHA256",
    "AttachmentLike",
    "BackupRef",
    "BackupResult",
    "Chunk",
    "ChunkedBackupDriver",
    "LVMConfig",
    "LVMVolumeDriver",
    "RestoreResult",
    "Sha256File",
    "SnapshotLike",
    "VolumeLike",
    "backup_chain",
    "block_deflated_size",
    "compressor_name",
    "deflated_size",
    "json_indent2_size",
]
