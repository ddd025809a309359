"""Cinder's ``CephBackupDriver``: backups as RBD images in a backup pool.

Facts from ``cinder/backup/drivers/ceph.py``:

* the container is ``backup_ceph_pool`` (``backups``) on the cluster of
  ``backup_ceph_conf``, reached as ``backup_ceph_user``.
* **RBD source** (the volume file is an RBD image: the RBD volume driver hands
  the volume itself to a Ceph backup, no temporary clone): a *full* backup
  creates the empty base image ``volume-<vid>.backup.<backup id>``; an
  *incremental* one reuses its parent's base (``service_metadata``
  ``{"base": ...}``) and starts from the parent's snapshot on that base (none:
  ``BackupRBDOperationFailed``).  Either way a new snapshot
  ``backup.<backup id>.snap.<timestamp>`` is taken on the source and
  ``rbd export-diff [--from-snap <parent's>] | rbd import-diff`` moves only the
  changed extents; import-diff leaves the same snapshot on the base, the
  restore point.  ``backup_ceph_max_snapshots > 0`` prunes the oldest source
  snapshots; an incremental whose parent's snapshot was pruned becomes full.
* **non-RBD source** (e.g. an LVM volume read over iSCSI), or a backup of a
  snapshot: a full copy into ``volume-<vid>.backup.<backup id>`` (a snapshot
  backup: ``volume-<vid>.backup.base``) in chunks of
  ``backup_ceph_chunk_size``; an incremental from a non-RBD source fails.
* **restore** reads ``base@<restore point>`` (not a chain: the base's snapshot
  holds the whole state at that backup): a diff restore into an RBD volume
  that is not the backup's own volume and has no extents, else a chunked full
  copy (zeros skipped on a new volume).
* **delete** removes the backup's snapshot from the base and the base once no
  snapshot is left; the source volume's ``backup.*`` snapshot stays (Cinder
  looks for it under the wrong name), until the volume is deleted.
* **metadata** (``_backup_metadata``/``_restore_metadata``): after the data,
  ``BackupDriver.get_metadata``'s JSON (the volume's columns, metadata and
  glance metadata) is written once as the RADOS object ``backup.<id>.meta``
  in the backup pool (a second write is ``VolumeMetadataBackupExists`` ->
  ``BackupOperationError``, and the backup is deleted); a restore reads it
  back for *that* backup only (not the chain) and hands it to
  ``put_metadata``; an unsupported version is ``BackupOperationError``
  "Metadata restore failed due to incompatible version".  Delete removes it
  (``remove_if_exists``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from ... import errors
from ..blocks import BLOCK_SIZE, BlockData, GiB
from ..ceph import CephCluster, CephNetwork, ImageNotFound, Pool, RbdHandle, RbdImage, librbd
from ..costs import Meter
from ..faults import FaultPlan
from .backup_objects import BackupRef, BackupResult, RestoreResult

__all__ = ["BackupRBDOperationFailed", "CephBackupDriver"]


class BackupRBDOperationFailed(errors.BackupDriverException):
    message = "Backup RBD operation failed: %(reason)s"


GetMetadata = Callable[[str], str | None]
"""``BackupDriver.get_metadata``: volume id -> the JSON string to keep."""
PutMetadata = Callable[[str, str], None]
"""``BackupDriver.put_metadata``: (volume id, that JSON string) -> written back."""


class CephBackupDriver:
    """``cinder.backup.drivers.ceph.CephBackupDriver`` on one backup host.

    Args:
        network: the Ceph clusters; ``conf`` names the backup cluster.
        meter: the backup host's meter.
        conf, user, pool, chunk_size, max_snapshots, discard_excess: the
            ``backup_ceph_*`` options and ``restore_discard_excess_bytes``.
    """

    def __init__(self, network: CephNetwork, meter: Meter, *, conf: str = "/etc/ceph/ceph.conf",
                 user: str | None = "cinder", pool: str = "backups",
                 chunk_size: int = 128 * 1024 * 1024, max_snapshots: int = 0,
                 discard_excess: bool = True, faults: FaultPlan | None = None,
                 host: str = "cinder-backup", pool_size: int = 3) -> None:
        self.network = network
        self.meter = meter
        self.conf = conf
        self.user = user
        self.pool_name = pool
        self.chunk_size = chunk_size
        self.max_snapshots = max_snapshots
        self.discard_excess = discard_excess
        self.faults = faults
        self.host = host
        self.cluster: CephCluster = network.cluster_for_conf(conf)
        self.cluster.create_pool(pool, size=pool_size)  # the operator's ``backups`` pool

    # --- names -------------------------------------------------------------------------
    @staticmethod
    def base_name(volume_id: str, backup_id: str | None = None) -> str:
        """``_get_backup_base_name``: the new style per backup, ``.backup.base`` without one."""
        if backup_id is None:
            return f"volume-{volume_id}.backup.base"
        return f"volume-{volume_id}.backup.{backup_id}"

    @staticmethod
    def meta_name(backup_id: str) -> str:
        """``VolumeMetadataBackup.name``."""
        return f"backup.{backup_id}.meta"

    @staticmethod
    def snap_name(backup_id: str, now: float) -> str:
        """``backup.<backup id>.snap.<time.time()>``."""
        return f"backup.{backup_id}.snap.{now:.6f}"

    @staticmethod
    def backup_snaps(img: RbdImage) -> list[str]:
        """``get_backup_snaps``: the image's snapshots named like backup snapshots."""
        return [s.name for s in img.snapshots if s.name.startswith("backup.")
                and ".snap." in s.name]

    def _snap_of(self, img: RbdImage, backup_id: str) -> str | None:
        snaps = [n for n in self.backup_snaps(img) if n.split(".snap.")[0] == f"backup.{backup_id}"]
        if len(snaps) > 1:
            raise errors.BackupDriverException(
                f"Backup should only have one snapshot but instead has {len(snaps)}")
        return snaps[0] if snaps else None

    def _pool(self, purpose: str) -> Pool:
        """``RADOSClient(self, backup.container)``."""
        self.cluster.connect(self.meter, self.user, purpose=purpose)
        return self.cluster.pool(self.pool_name)

    def _fault(self, op: str, volume_id: str, backup_id: str) -> None:
        if self.faults is not None:
            self.faults.check(op, backend=self.host, volume_id=volume_id, backup_id=backup_id)

    # --- backup --------------------------------------------------------------------------
    def backup(self, *, backup_id: str, volume_id: str, volume_file: RbdHandle | BlockData,
               size_gb: int, parent: BackupRef | None = None, snapshot_id: str | None = None,
               now: float = 0.0, get_metadata: GetMetadata | None = None) -> BackupResult:
        """Back the volume file up, then its metadata (``backup_metadata=True``: when
        *get_metadata* is given); returns the record's container and service_metadata."""
        result = self._backup_data(backup_id=backup_id, volume_id=volume_id,
                                   volume_file=volume_file, size_gb=size_gb, parent=parent,
                                   snapshot_id=snapshot_id, now=now)
        if get_metadata is not None:
            json_meta = get_metadata(volume_id)
            if json_meta:
                try:
                    self._set_meta(backup_id, json_meta)
                except errors.BackupOperationError:
                    self.delete_backup(result.ref(backup_id, volume_id))
                    raise
        return result

    def _set_meta(self, backup_id: str, json_meta: str) -> None:
        """``VolumeMetadataBackup.set``: stat, then write the object once."""
        pool = self._pool(f"backup metadata {backup_id[:8]}")
        name = self.meta_name(backup_id)
        if name in pool.rados_objects:
            raise errors.BackupOperationError(
                f"Failed to backup volume metadata - Metadata backup object '{name}' "
                "already exists")
        body = json_meta.encode("utf-8")
        pool.rados_objects[name] = body
        self.meter.charge("rbd", "rados write", self.cluster.costs.image_open,
                          f"rados -p {pool.name} put {name} ({len(body)} bytes)",
                          object=name, bytes=len(body))

    def _backup_data(self, *, backup_id: str, volume_id: str,
                     volume_file: RbdHandle | BlockData, size_gb: int,
                     parent: BackupRef | None, snapshot_id: str | None,
                     now: float) -> BackupResult:
        self._fault("backup", volume_id, backup_id)
        if size_gb == 0:
            raise errors.InvalidInput(reason="Need non-zero volume size")
        length = size_gb * GiB
        if snapshot_id:
            data = volume_file.data if isinstance(volume_file, RbdHandle) else volume_file
            name = self._full_backup(backup_id, volume_id, data, length, snapshot=True)
            return self._result(name, "", size_gb, parent_id=None)
        if isinstance(volume_file, RbdHandle):
            return self._backup_rbd(backup_id, volume_id, volume_file, length, parent, now)
        if parent is not None:
            raise BackupRBDOperationFailed(reason="Cannot do an incremental backup of a non-RBD "
                                                  "volume to Ceph")
        name = self._full_backup(backup_id, volume_id, volume_file, length, snapshot=False)
        return self._result(name, "", size_gb, parent_id=None)

    def _result(self, name: str, metadata: str, size_gb: int, *,
                parent_id: str | None) -> BackupResult:
        """The Ceph driver never sets ``object_count`` (it stays 0 on the record)."""
        img = self.cluster.pool(self.pool_name).images[name]
        return BackupResult(self.pool_name, metadata, 0, img.object_count(),
                            img.data.written() * BLOCK_SIZE, img.stored_blocks() * BLOCK_SIZE,
                            parent_id, size_gb)

    def _backup_rbd(self, backup_id: str, volume_id: str, source: RbdHandle, length: int,
                    parent: BackupRef | None, now: float) -> BackupResult:
        pool = self._pool(f"backup {backup_id[:8]}")
        src = source.image
        from_snap: str | None = None
        base = self.base_name(volume_id, backup_id)
        if parent is not None and parent.service_metadata:
            base = json.loads(parent.service_metadata)["base"]
        if parent is not None and self.max_snapshots > 0 and self._snap_of(src, parent.id) is None:
            # The parent's source snapshot was pruned: "forcing full backup".
            parent = None
            base = self.base_name(volume_id, backup_id)
        created = False
        if parent is None:
            pool.add_image(self.meter, base, length)
            created = True
        else:
            base_img = pool.images.get(base)
            if base_img is None:
                raise BackupRBDOperationFailed(reason=f"Can't find base name image {base}.")
            from_snap = self._snap_of(base_img, parent.id)
            if from_snap is None:
                raise BackupRBDOperationFailed(
                    reason=f"Can't find snapshot from parent {parent.id} and base name image "
                           f"{base}.")
        new_snap = self.snap_name(backup_id, now)
        librbd.create_snap(self.meter, src, new_snap, now=now)
        try:
            if from_snap is not None and src.snapshot(from_snap) is None:
                raise BackupRBDOperationFailed(reason=f"rbd export-diff: snapshot {from_snap} "
                                                      f"not found on {src.name}")
            changes = librbd.diff_blocks(src, new_snap, from_snap)
            librbd.import_diff(self.meter, pool.images[base], changes, new_snap,
                               size_bytes=src.size_bytes, now=now)
        except (BackupRBDOperationFailed, errors.BackendError):
            if created:
                librbd.remove(self.meter, pool, base)
            librbd.remove_snap(self.meter, src, new_snap)
            raise
        if self.max_snapshots > 0:
            for name in self.backup_snaps(src)[:-self.max_snapshots]:
                librbd.remove_snap(self.meter, src, name)
        return self._result(base, json.dumps({"base": base}), length // GiB,
                            parent_id=parent.id if parent is not None else None)

    def _full_backup(self, backup_id: str, volume_id: str, source: BlockData, length: int, *,
                     snapshot: bool) -> str:
        """``_full_backup``: a new image, then ``_transfer_data`` chunk by chunk."""
        pool = self._pool(f"backup {backup_id[:8]}")
        name = self.base_name(volume_id, None if snapshot else backup_id)
        img = pool.add_image(self.meter, name, length)
        self._transfer(source, img.data, length, f"{name} (full copy)", discard_zeros=False)
        return name

    def _transfer(self, src: BlockData, dest: BlockData, length: int, what: str, *,
                  discard_zeros: bool) -> None:
        """Read every chunk of *length*; write it (skipping all-zero chunks when
        *discard_zeros*: a new volume already reads as zeros)."""
        costs = self.cluster.costs
        per_chunk = max(1, self.chunk_size // BLOCK_SIZE)
        total = -(-length // self.chunk_size)
        items = [(i, fp) for i, fp in src.items() if i * BLOCK_SIZE < length]
        if discard_zeros:
            dest.put(items)
        else:
            keep = {i for i, _ in items}
            gone = [(i, 0) for i, _ in dest.items() if i not in keep]
            dest.put(sorted([*items, *gone]))
        written = len({i // per_chunk for i, _ in items}) * self.chunk_size
        self.meter.charge("rbd", "rbd transfer", costs.transfer(length, costs.io_bandwidth)
                          + costs.transfer(min(written, length), costs.io_bandwidth),
                          f"{what}: {total} chunk(s) of {self.chunk_size} bytes read, "
                          f"{min(written, length)} bytes written", chunks=total,
                          bytes=min(written, length))

    # --- restore ---------------------------------------------------------------------------
    def restore(self, chain: Sequence[BackupRef], target: RbdHandle | BlockData, *,
                volume_id: str, size_gb: int, volume_is_new: bool = False,
                put_metadata: PutMetadata | None = None) -> RestoreResult:
        """``_restore_volume`` of ``chain[-1]``, then ``_restore_metadata`` of it."""
        result = self._restore_volume(chain, target, volume_id=volume_id, size_gb=size_gb,
                                      volume_is_new=volume_is_new)
        if put_metadata is not None:
            backup = chain[-1]
            pool = self._pool(f"restore metadata {backup.id[:8]}")
            name = self.meta_name(backup.id)
            body = pool.rados_objects.get(name)
            self.meter.charge("rbd", "rados read", self.cluster.costs.image_open,
                              f"rados -p {pool.name} get {name}"
                              + ("" if body is not None else ": no such object"), object=name)
            if body is not None:
                try:
                    put_metadata(volume_id, body.decode("utf-8"))
                except errors.BackupMetadataUnsupportedVersion as exc:
                    raise errors.BackupOperationError(
                        "Metadata restore failed due to incompatible version") from exc
        return result

    def _restore_volume(self, chain: Sequence[BackupRef], target: RbdHandle | BlockData, *,
                        volume_id: str, size_gb: int, volume_is_new: bool) -> RestoreResult:
        """Diff restore if allowed, else full copy."""
        backup = chain[-1]
        self._fault("restore", volume_id, backup.id)
        pool = self._pool(f"restore {backup.id[:8]}")
        base = (json.loads(backup.service_metadata)["base"] if backup.service_metadata
                else self.base_name(backup.volume_id, backup.id))
        img = pool.images.get(base) or pool.images.get(self.base_name(backup.volume_id))
        if img is None:
            raise ImageNotFound(reason=f"backup image {base} not found")
        point = self._snap_of(img, backup.id)
        length = size_gb * GiB
        if (point is not None and isinstance(target, RbdHandle)
                and volume_id != backup.volume_id and not target.image.own
                and target.image.parent is None):
            changes = librbd.diff_blocks(img, point, None)
            dest = target.image
            dest.data.put(changes)
            nbytes = sum(1 for _, fp in changes if fp) * BLOCK_SIZE
            self.meter.charge("rbd", "rbd import-diff", self.cluster.costs.transfer(
                nbytes, self.cluster.costs.diff_bandwidth),
                f"rbd export-diff {pool.name}/{base}@{point} | rbd import-diff into "
                f"{target.pool}/{dest.name} ({nbytes} bytes)", image=dest.name, bytes=nbytes)
            if dest.size_bytes < length:
                librbd.resize(self.meter, dest, length)
            return RestoreResult((backup.id,), 0, nbytes, None)
        restore_snap = img.snapshot(point) if point is not None else None
        source = restore_snap.data if restore_snap is not None else img.data
        dest_data = target.data if isinstance(target, RbdHandle) else target
        self._transfer(source, dest_data, min(length, source.size_bytes),
                       f"restore {pool.name}/{base}" + (f"@{point}" if point else ""),
                       discard_zeros=volume_is_new)
        return RestoreResult((backup.id,), 0, dest_data.written() * BLOCK_SIZE, None)

    # --- delete ----------------------------------------------------------------------------
    def delete_backup(self, ref: BackupRef) -> int:
        """``_try_delete_base_image``: the backup's snapshot, then the base if bare."""
        self._fault("delete_backup", ref.volume_id, ref.id)
        if not ref.container:
            return 0
        pool = self._pool(f"delete backup {ref.id[:8]}")
        if pool.rados_objects.pop(self.meta_name(ref.id), None) is not None:
            self.meter.charge("rbd", "rados rm", self.cluster.costs.object_remove,
                              f"rados -p {pool.name} rm {self.meta_name(ref.id)}",
                              object=self.meta_name(ref.id))
        base = (json.loads(ref.service_metadata)["base"] if ref.service_metadata
                else self.base_name(ref.volume_id, ref.id))
        img = pool.images.get(base) or pool.images.get(self.base_name(ref.volume_id))
        if img is None:
            return 0  # "not found. Deleting backup metadata."
        snap = self._snap_of(img, ref.id)
        if snap is not None:
            librbd.remove_snap(self.meter, img, snap)
        if self.backup_snaps(img):
            return 1  # the base still holds other backups' restore points
        librbd.remove(self.meter, pool, img.name)
        return 1
