"""The options and errors of Cinder's NfsDriver (``nfs_opts`` in ``cinder/volume/drivers/nfs.py``).

Option names and defaults are cinder.conf's; ``nfs_shares`` stands for the
lines of the ``nfs_shares_config`` file and ``share_size_gb`` is simulated
hardware (the size of each exported file system).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ... import errors

__all__ = ["ExtendVolumeError", "InvalidSnapshot", "NfsConfig", "NfsNoSharesMounted",
           "NfsNoSuitableShareFound", "VolumeDriverException", "parse_shares"]


class VolumeDriverException(errors.BackendError):
    message = "Volume driver reported an error: %(message)s"


class NfsNoSharesMounted(errors.BackendError):
    message = "No mounted NFS shares found"


class NfsNoSuitableShareFound(errors.BackendError):
    message = "There is no share which can host %(volume_size)sG"


class ExtendVolumeError(errors.BackendError):
    message = "Error extending volume: %(reason)s"


class InvalidSnapshot(errors.Invalid):
    message = "Invalid snapshot: %(reason)s"


@attrs.frozen(kw_only=True)
class NfsConfig:
    """The backend's ``nfs_*`` options (names and defaults as Cinder's)."""

    volume_backend_name: str | None = None
    nfs_shares: tuple[str, ...] = ()
    """The lines of ``nfs_shares_config`` (``address:/export [mount options]``)."""
    nfs_shares_config: str = "/etc/cinder/nfs_shares"
    nfs_sparsed_volumes: bool = True
    nfs_qcow2_volumes: bool = False
    nfs_mount_point_base: str = "/var/lib/cinder/mnt"
    nfs_mount_options: str | None = None
    nfs_mount_attempts: int = 3
    nfs_snapshot_support: bool = False
    reserved_percentage: int = 0
    max_over_subscription_ratio: str = "20.0"
    share_size_gb: int = 100
    """Simulated hardware: the size of each exported file system."""
    volume_name_template: str = "volume-%s"


def parse_shares(lines: Sequence[str]) -> dict[str, str | None]:
    """``_load_shares_config``: ``export [options]`` per line, ``#`` comments skipped."""
    shares: dict[str, str | None] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        export, _, options = line.partition(" ")
        shares[export.strip()] = options.strip() or None
    return shares
