"""LVM as Cinder's LVM driver drives it: a volume group, thick and thin LVs, snapshots.

Holds lvm2's side only: sizes and extents (``sizes``), the LV/PV records
(``logical_volume``), LV content (``data``), COW snapshots (``snapshots``),
thin pools (``thin_pool``), ``vgs``/``lvs``/``pvs`` rows (``reports``), the
``VolumeGroup`` and its commands (``volume_group``) and ``dd`` on LV devices
(``dd``).  May use the kernel (``errors``) and ``backends.blocks`` /
``backends.costs``; never ``services/`` or the drivers that use it.
"""

from .data import LvData
from .dd import dd_copy, dd_zero
from .logical_volume import LvKind
from .reports import LvReport, PvReport, VgReport
from .sizes import DEFAULT_EXTENT_SIZE, PE_START, parse_size, unit_g
from .snapshots import SNAPSHOT_CHUNK_SIZE, SnapshotInvalidError, cow_exception_capacity
from .thin_pool import NO_SPACE_TIMEOUT, ThinPoolFullError, thin_pool_layout
from .volume_group import DEFAULT_VG_NAME, VolumeGroup

__all__ = [
    "DEFAULT_EXTENT_SIZE",
    "DEFAULT_VG_NAME",
    "NO_SPACE_TIMEOUT",
    "PE_START",
    "SNAPSHOT_CHUNK_SIZE",
    "LvData",
    "LvKind",
    "LvReport",
    "PvReport",
    "SnapshotInvalidError",
    "ThinPoolFullError",
    "VgReport",
    "VolumeGroup",
    "cow_exception_capacity",
    "dd_copy",
    "dd_zero",
    "parse_size",
    "thin_pool_layout",
    "unit_g",
]
