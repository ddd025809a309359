"""What Ceph operations cost in virtual seconds.

Cinder's RBD driver talks to the cluster over the network (librados): every
``RADOSClient`` connects to the monitors, every image operation is a round
trip or a few to the OSDs.  Metadata operations (create, clone, snapshot,
protect) are quick and independent of the image size -- that is what makes
RBD clones and snapshots cheap next to LVM's ``dd``.  Data movements (flatten,
rollback, copy, export-diff) move objects at the cluster's bandwidth.

Round figures of the right order for a small cluster, to be tuned, not
measurements.  Kept apart from :class:`~cindersim.backends.costs.CostModel`
(LVM's and iSCSI's) so each storage kind owns its own model.
"""

from __future__ import annotations

import attrs

__all__ = ["CephCosts"]

MiB = 1024 * 1024


@attrs.frozen(kw_only=True)
class CephCosts:
    """Virtual durations of librados/librbd operations (seconds; bandwidths in B/s)."""

    connect: float = 0.02
    """``rados.Rados(...).connect()`` + ``open_ioctx``: Cinder connects per operation."""
    mon_command: float = 0.01
    """A monitor command (``df``, ``mon dump``, ``osd pool get-quota``)."""
    image_create: float = 0.05
    image_open: float = 0.005
    image_remove: float = 0.05
    object_remove: float = 0.0005
    """Per RADOS object deleted when an image (or a snapshot's clones) goes."""
    snap_create: float = 0.1
    """``create_snap``: quiesce, write the snapshot context."""
    snap_protect: float = 0.02
    snap_remove: float = 0.05
    clone: float = 0.08
    resize: float = 0.03
    rename: float = 0.02
    flatten_bandwidth: float = 200 * MiB
    """Copy-up of the parent's data into the child's objects."""
    copy_bandwidth: float = 200 * MiB
    """``Image.copy`` (a deep copy when ``rbd_max_clone_depth = 0``)."""
    rollback_bandwidth: float = 250 * MiB
    """``rollback_to_snap`` rewrites every object of the image."""
    diff_bandwidth: float = 300 * MiB
    """``rbd export-diff | rbd import-diff`` of the changed extents."""
    io_bandwidth: float = 400 * MiB
    """librbd reads/writes by a client (a backup host's chunked copy, a restore)."""

    def transfer(self, nbytes: float, bandwidth: float) -> float:
        return nbytes / bandwidth if nbytes > 0 else 0.0
