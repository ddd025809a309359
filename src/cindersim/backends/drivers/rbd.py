"""Cinder's ``RBDDriver`` over the simulated Ceph cluster.

The methods, their librbd calls and their errors follow
``cinder/volume/drivers/rbd.py``:

* names: image ``volume-<id>`` in ``rbd_pool``; a Cinder snapshot is the RBD
  snapshot ``volume-<vid>@snapshot-<id>``, created *and protected* (so it can
  be cloned); a volume cloned from a volume gets a temporary snapshot
  ``<new volume name>.clone_snap`` on the source, protected, and is a COW
  child of it.
* every operation opens its own ``RADOSClient`` (a connection to the monitors).
* ``create_cloned_volume``: with ``rbd_max_clone_depth <= 0`` a deep copy;
  otherwise a clone, flattened when the *source's* chain of
  ``.clone_snap`` parents is already ``rbd_max_clone_depth`` long (then the
  temporary snapshot is unprotected and removed).  Clones of Cinder snapshots
  are not counted in that depth (their parent snap is not a ``.clone_snap``).
* ``delete_volume``: backup snapshots go first; a volume that still has a
  ``.clone_snap`` (clones of it exist) is only renamed ``volume-<id>.deleted``;
  otherwise ``remove``, and if it has snapshots or is busy its children are
  flattened, the remove retried, and as a last resort the image is moved to
  the RBD trash and its parent references cleaned up.
* ``delete_snapshot``: unprotect (if the snapshot has children: flatten them,
  wait ``rados_connection_interval`` and retry), then remove.
* no export, no target: ``initialize_connection`` returns
  ``driver_volume_type = 'rbd'`` with the monitors, the pool/image name and
  cephx auth; the client (QEMU's librbd, os-brick's RBD connector) talks to
  the OSDs itself.
* capacity from ``ceph df`` and ``osd pool get-quota``: free is the pool's
  MAX AVAIL, total (``report_dynamic_total_capacity``) is free + stored;
  no ``pools`` list (the scheduler makes one pool named after the backend).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ... import errors
from ..blocks import BlockData, GiB, MiB
from ..ceph import (
    CephCluster,
    CephNetwork,
    ImageBusy,
    ImageData,
    ImageHasSnapshots,
    ImageNotFound,
    InvalidArgument,
    Pool,
    RbdError,
    RbdImage,
    librbd,
)
from ..costs import Meter
from ..faults import FaultPlan
from . import rbd_manage
from .lvm import AttachmentLike, SnapshotLike, VolumeLike

__all__ = ["BACKUP_SNAP_PREFIX", "RBDConfig", "RBDDriver", "SnapshotIsBusy"]

BACKUP_SNAP_PREFIX = "backup."
"""``backup.<backup id>.snap.<timestamp>``: the Ceph backup driver's source snapshots."""


class SnapshotIsBusy(errors.BackendError):
    """``exception.SnapshotIsBusy``: the volume manager puts the snapshot back
    ``available`` (it is matched by name there)."""

    message = "deleting snapshot %(snapshot_name)s that has dependent volumes"


@attrs.frozen(kw_only=True)
class RBDConfig:
    """The backend's ``cinder.conf`` section for RBD, names and defaults as Cinder's."""

    volume_backend_name: str | None = None
    rbd_cluster_name: str = "ceph"
    rbd_pool: str = "rbd"
    rbd_user: str | None = None
    rbd_ceph_conf: str = ""
    rbd_flatten_volume_from_snapshot: bool = False
    rbd_secret_uuid: str | None = None
    rbd_max_clone_depth: int = 5
    rbd_store_chunk_size: int = 4
    """MiB per RADOS object (order = log2)."""
    rados_connection_retries: int = 3
    rados_connection_interval: int = 5
    report_dynamic_total_capacity: bool = True
    rbd_exclusive_cinder_pool: bool = True
    reserved_percentage: int = 0
    max_over_subscription_ratio: str = attrs.field(default="20.0", converter=str)
    report_discard_supported: bool = False
    volume_name_template: str = "volume-%s"
    snapshot_name_template: str = "snapshot-%s"


class RBDDriver:
    """``cinder.volume.drivers.rbd.RBDDriver``.

    Args:
        config: the backend's options.
        network: where the cluster named by ``rbd_ceph_conf`` is.
        meter: charged by every librados/librbd call.
        faults: the simulation's fault plan.
        hostname, backend: as for the LVM driver (``host@backend`` for faults).
        osds, osd_size_gb, pool_size: the deployment, when this driver is the first to
            use the cluster (simulator facts: the OSDs, the pool's replication size).
    """

    VERSION = "1.3.0"
    STORAGE_PROTOCOL = "ceph"

    def __init__(self, config: RBDConfig, *, network: CephNetwork, meter: Meter,
                 faults: FaultPlan | None = None, hostname: str = "cinder-volume",
                 backend: str | None = None, osds: int = 3, osd_size_gb: int = 100,
                 pool_size: int = 3) -> None:
        self.config = config
        self.network = network
        self.meter = meter
        self.faults = faults
        self.hostname = hostname
        self.backend_name = config.volume_backend_name or "RBD"
        self.backend = backend or f"{hostname}@{self.backend_name}"
        self.cluster: CephCluster = network.cluster_for_conf(
            config.rbd_ceph_conf, name=config.rbd_cluster_name, osds=osds,
            osd_size_gb=osd_size_gb)
        # The operator created the pool before pointing Cinder at it.
        self.cluster.create_pool(config.rbd_pool, size=pool_size)
        self.secret_uuid: str | None = config.rbd_secret_uuid
        self._stats: dict[str, Any] = {}

    # --- names -----------------------------------------------------------------------
    def volume_name(self, volume_id: str) -> str:
        return self.config.volume_name_template % volume_id

    def snapshot_name(self, snapshot_id: str) -> str:
        return self.config.snapshot_name_template % snapshot_id

    @property
    def order(self) -> int:
        return int(math.log2(self.config.rbd_store_chunk_size * MiB))

    @property
    def pool(self) -> Pool:
        return self.cluster.pool(self.config.rbd_pool)

    def image(self, volume_id: str) -> RbdImage:
        return self.pool.image(self.volume_name(volume_id))

    # --- data plane (the manager's own copies, tests) ---------------------------------------
    def volume_data(self, volume_id: str) -> ImageData:
        return self.image(volume_id).data

    def snapshot_data(self, snapshot_id: str) -> BlockData:
        """The snapshot's frozen content (``volume-<vid>@snapshot-<id>``)."""
        for img in self.pool.images.values():
            snap = img.snapshot(self.snapshot_name(snapshot_id))
            if snap is not None:
                return snap.data
        raise ImageNotFound(reason=f"snapshot {self.snapshot_name(snapshot_id)} not found")

    # --- setup -------------------------------------------------------------------------
    def _client(self, purpose: str) -> Pool:
        """``with RADOSClient(self)``: connect and open ``rbd_pool``."""
        self.cluster.connect(self.meter, self.config.rbd_user, purpose=purpose)
        return self.cluster.pool(self.config.rbd_pool)

    def do_setup(self) -> None:
        """``rbd_secret_uuid`` defaults to the cluster's fsid (one connection to read it)."""
        self._fault("do_setup")
        if not self.secret_uuid:
            self.cluster.connect(self.meter, self.config.rbd_user, purpose="get_fsid")
            self.secret_uuid = self.cluster.fsid

    def check_for_setup_error(self) -> None:
        """``rbd_cluster_name`` and ``rbd_pool`` must be set; the cluster must answer."""
        self._fault("check_for_setup_error")
        for attr in ("rbd_cluster_name", "rbd_pool"):
            if not getattr(self.config, attr):
                raise errors.VolumeBackendAPIException(
                    data=f"Invalid configuration value {attr}: {getattr(self.config, attr)!r}")
        try:
            self._client("check_for_setup_error")
        except RbdError as exc:
            raise errors.VolumeBackendAPIException(data=f"Error connecting to ceph cluster: "
                                                        f"{exc}") from exc

    # --- volumes ---------------------------------------------------------------------------
    def create_volume(self, volume: VolumeLike) -> dict[str, Any]:
        """``RBD().create(ioctx, name, size, order)``: thin, no object written."""
        self._fault("create_volume", volume.id)
        pool = self._client(f"create {self.volume_name(volume.id)}")
        pool.add_image(self.meter, self.volume_name(volume.id), volume.size * GiB,
                       order=self.order)
        return {}

    def create_cloned_volume(self, volume: VolumeLike, src_vref: VolumeLike) -> None:
        """COW clone of ``<src>@<dest>.clone_snap``, or a deep copy (depth 0)."""
        self._fault("create_cloned_volume", volume.id, source_volid=src_vref.id)
        src_name = self.volume_name(src_vref.id)
        dest_name = self.volume_name(volume.id)
        if self.config.rbd_max_clone_depth <= 0:
            pool = self._client(f"copy {src_name}")
            librbd.copy(self.meter, pool.image(src_name), pool, dest_name)
            self._extend_if_required(volume, src_vref)
            return
        pool = self._client(f"clone {src_name}")
        src = pool.image(src_name)
        clone_snap = f"{dest_name}.clone_snap"
        librbd.create_snap(self.meter, src, clone_snap)
        librbd.protect_snap(self.meter, src, clone_snap)
        try:
            librbd.clone(self.meter, src, clone_snap, pool, dest_name, order=src.order)
        except RbdError as exc:
            librbd.unprotect_snap(self.meter, src, clone_snap)
            librbd.remove_snap(self.meter, src, clone_snap)
            raise errors.VolumeBackendAPIException(
                data=f"Failed to clone '{src_name}@{clone_snap}' to '{dest_name}', "
                     f"error: {exc}") from exc
        depth = self._clone_depth(src)
        if getattr(volume, "use_quota", True) and depth >= self.config.rbd_max_clone_depth:
            # "maximum clone depth (%d) has been reached - flattening dest volume"
            librbd.flatten(self.meter, pool.image(dest_name))
            librbd.unprotect_snap(self.meter, src, clone_snap)
            librbd.remove_snap(self.meter, src, clone_snap)
        self._extend_if_required(volume, src_vref)

    def create_volume_from_snapshot(self, volume: VolumeLike,
                                    snapshot: SnapshotLike) -> dict[str, Any]:
        """``_clone`` of ``volume-<vid>@snapshot-<id>``; flattened if so configured."""
        self._fault("create_volume_from_snapshot", volume.id, snapshot_id=snapshot.id)
        pool = self._client(f"clone {self.snapshot_name(snapshot.id)}")
        parent = pool.image(self.volume_name(snapshot.volume_id))
        librbd.clone(self.meter, parent, self.snapshot_name(snapshot.id), pool,
                     self.volume_name(volume.id), order=max(parent.order, self.order))
        if getattr(volume, "use_quota", True) and self.config.rbd_flatten_volume_from_snapshot:
            librbd.flatten(self.meter, pool.image(self.volume_name(volume.id)))
        if volume.size > snapshot.volume_size:
            librbd.resize(self.meter, pool.image(self.volume_name(volume.id)), volume.size * GiB)
        return {}

    def extend_volume(self, volume: VolumeLike, new_size: int) -> None:
        """``Image.resize``; any failure is 'Failed to Extend Volume'."""
        self._fault("extend_volume", volume.id)
        try:
            pool = self._client(f"resize {self.volume_name(volume.id)}")
            librbd.resize(self.meter, pool.image(self.volume_name(volume.id)), new_size * GiB)
        except RbdError as exc:
            raise errors.VolumeBackendAPIException(
                data=f"Failed to Extend Volume {self.volume_name(volume.id)}") from exc

    def delete_volume(self, volume: VolumeLike) -> bool | None:
        """See the module text; a missing image is already deleted."""
        self._fault("delete_volume", volume.id)
        pool = self._client(f"delete {self.volume_name(volume.id)}")
        name = self.volume_name(volume.id)
        img = pool.images.get(name)
        if img is None:
            return True  # "volume %s no longer exists in backend"
        for snap in [s for s in img.snapshots if s.name.startswith(BACKUP_SNAP_PREFIX)]:
            librbd.remove_snap(self.meter, img, snap.name)
        clone_snap = next((s.name for s in img.snapshots if s.name.endswith(".clone_snap")),
                          None)
        parent = self._clone_parent(img)
        if clone_snap is not None:
            # Clones of it exist: keep it as a silent volume for them.
            librbd.rename(self.meter, pool, name, f"{name}.deleted")
            return None
        try:
            librbd.remove(self.meter, pool, name)
            return None  # the fast path
        except (ImageHasSnapshots, ImageBusy):
            self._flatten_children(img)
        # _try_remove_volume: utils.retry on ImageBusy and ImageHasSnapshots.
        retries = self.config.rados_connection_retries
        for attempt in range(retries):
            try:
                librbd.remove(self.meter, pool, name)
                return None
            except ImageHasSnapshots:
                if attempt == retries - 1:
                    break  # trash it instead, which works with snapshots
                self._retry_wait(f"rbd rm {name}", attempt)
            except ImageBusy as exc:
                if attempt == retries - 1:
                    raise errors.VolumeIsBusy(
                        "ImageBusy error raised while deleting RBD volume",
                        volume_name=name) from exc
                self._retry_wait(f"rbd rm {name}", attempt)
        librbd.trash_move(self.meter, pool, name)
        if parent is not None:
            self._delete_clone_parent_refs(pool, *parent)
        return None

    def revert_to_snapshot(self, volume: VolumeLike, snapshot: SnapshotLike) -> None:
        """``Image.rollback_to_snap`` (no temporary snapshot: RBD opts out of it)."""
        self._fault("revert_to_snapshot", volume.id, snapshot_id=snapshot.id)
        pool = self._client(f"rollback {self.volume_name(volume.id)}")
        librbd.rollback_to_snap(self.meter, pool.image(self.volume_name(volume.id)),
                                self.snapshot_name(snapshot.id))

    def snapshot_revert_use_temp_snapshot(self) -> bool:
        return False

    # --- snapshots ---------------------------------------------------------------------------
    def create_snapshot(self, snapshot: SnapshotLike) -> None:
        """``create_snap`` then ``protect_snap`` (ready to be cloned)."""
        self._fault("create_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        pool = self._client(f"snapshot {self.snapshot_name(snapshot.id)}")
        img = pool.image(self.volume_name(snapshot.volume_id))
        librbd.create_snap(self.meter, img, self.snapshot_name(snapshot.id))
        librbd.protect_snap(self.meter, img, self.snapshot_name(snapshot.id))

    def delete_snapshot(self, snapshot: SnapshotLike) -> bool | None:
        """Unprotect (flattening children first if it has some), then remove."""
        self._fault("delete_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        name = self.snapshot_name(snapshot.id)
        pool = self._client(f"delete snapshot {name}")
        img = pool.images.get(self.volume_name(snapshot.volume_id))
        if img is None or img.snapshot(name) is None:
            return True  # "Snapshot %s does not exist in backend."
        for attempt in range(self.config.rados_connection_retries):
            try:
                librbd.unprotect_snap(self.meter, img, name)
                break
            except InvalidArgument:
                break  # not protected: fine
            except ImageBusy as exc:
                self._flatten_children(img, name)
                if attempt == self.config.rados_connection_retries - 1:
                    raise SnapshotIsBusy(snapshot_name=name) from exc
                self._retry_wait(f"rbd snap unprotect {name}", attempt)
        librbd.remove_snap(self.meter, img, name)
        return None

    # --- export and connections --------------------------------------------------------------
    def create_export(self, volume: VolumeLike,
                      connector: Mapping[str, Any] | None = None) -> None:
        """Nothing to export: clients reach the OSDs themselves."""
        self._fault("create_export", volume.id)

    def ensure_export(self, volume: VolumeLike) -> None:
        self._fault("ensure_export", volume.id)

    def remove_export(self, volume: VolumeLike) -> None:
        self._fault("remove_export", volume.id)

    def validate_connector(self, connector: Mapping[str, Any]) -> bool:
        """BaseVD's: RBD needs nothing from the connector (no initiator, no WWPNs)."""
        return True

    def initialize_connection(self, volume: VolumeLike,
                              connector: Mapping[str, Any]) -> dict[str, Any]:
        """``ceph mon dump`` for the monitors, then the rbd connection properties."""
        self._fault("initialize_connection", volume.id)
        self.cluster.connect(self.meter, self.config.rbd_user, purpose="mon dump")
        monmap = self.cluster.mon_dump(self.meter)
        hosts, ports = [], []
        for mon in monmap["mons"]:
            host, port = str(mon["addr"]).rsplit("/", 1)[0].rsplit(":", 1)
            hosts.append(host.strip("[]"))
            ports.append(port)
        user = self.config.rbd_user
        return {"driver_volume_type": "rbd", "data": {
            "name": f"{self.config.rbd_pool}/{self.volume_name(volume.id)}",
            "hosts": hosts,
            "ports": ports,
            "cluster_name": self.config.rbd_cluster_name,
            "auth_enabled": user is not None,
            "auth_username": user,
            "secret_type": "ceph",
            "secret_uuid": self.secret_uuid,
            "volume_id": volume.id,
            "discard": True,
        }}

    def terminate_connection(self, volume: VolumeLike, connector: Mapping[str, Any] | None,
                             attachments: Sequence[AttachmentLike] = ()) -> bool:
        """Nothing to undo on the cluster (the client closes its image itself)."""
        self._fault("terminate_connection", volume.id)
        return len(attachments) > 1

    # --- manage / unmanage (rbd_manage.py) -------------------------------------------------
    def manage_existing_object_get_size(self, existing_ref: Mapping[str, Any],
                                        object_type: str) -> int:
        return rbd_manage.manage_existing_object_get_size(self, existing_ref, object_type)

    def manage_existing(self, volume: VolumeLike, existing_ref: Mapping[str, Any], *,
                        already_managed: Callable[[str], bool]) -> None:
        rbd_manage.manage_existing(self, volume, existing_ref, already_managed=already_managed)

    def manage_existing_snapshot(self, snapshot: SnapshotLike,
                                 existing_ref: Mapping[str, Any] | str, *,
                                 already_managed: Callable[[str], bool]) -> None:
        rbd_manage.manage_existing_snapshot(self, snapshot, existing_ref,
                                            already_managed=already_managed)

    def unmanage(self, volume: VolumeLike) -> None:
        """The image stays where it is."""
        self._fault("unmanage", volume.id)

    def unmanage_snapshot(self, snapshot: SnapshotLike) -> None:
        """VolumeDriver's no-op: the RBD snapshot stays."""

    def get_manageable(self, cinder_ids: Sequence[str], resource_type: str) -> list[dict[str, Any]]:
        return rbd_manage.get_manageable(self, cinder_ids, resource_type)

    def update_migrated_volume(self, volume_id: str, new_volume_id: str) -> None:
        rbd_manage.update_migrated_volume(self, volume_id, new_volume_id)

    # --- backups (get_backup_device) ---------------------------------------------------------
    @staticmethod
    def backup_device_is_volume(backup_service: str, snapshot_id: str | None) -> bool:
        """For Ceph-to-Ceph backups the volume itself is the device (no temporary clone),
        so that incremental backups can diff its snapshots."""
        return "backup.drivers.ceph" in backup_service and not snapshot_id

    # --- stats -----------------------------------------------------------------------------------
    def get_volume_stats(self, refresh: bool = False) -> dict[str, Any]:
        if refresh or not self._stats:
            self._fault("get_volume_stats")
            self._update_volume_stats()
        return self._stats

    def pool_capacity(self, meter: Meter | None = None) -> tuple[float, float]:
        """``_get_pool_stats``: ``(free, total)`` GiB, 2 decimals."""
        df = self.cluster.df(meter)
        stats = next(p["stats"] for p in df["pools"] if p["name"] == self.config.rbd_pool)
        used = float(stats.get("stored", stats["bytes_used"]))
        quota = self.pool.quota_max_bytes
        if quota:
            total = float(quota)
            free = float(max(min(total - used, stats["max_avail"]), 0))
        else:
            total = float(df["stats"]["total_bytes"])
            free = float(stats["max_avail"])
        if self.config.report_dynamic_total_capacity:
            total = free + used
        return round(free / GiB, 2), round(total / GiB, 2)

    thin_provisioning = True
    """RBD images are thin (``thin_provisioning_support``)."""

    def capacity_gb(self) -> tuple[float, float, float]:
        """``(total, free, provisioned)`` GiB as ``_update_volume_stats`` reports them,
        read without a command (the metrics sampler: nothing charged)."""
        free, total = self.pool_capacity()
        return total, free, round(sum(i.size_bytes for i in self.pool.images.values()) / GiB, 2)

    def _update_volume_stats(self) -> None:
        location_info = (f"{self.config.rbd_cluster_name}:{self.config.rbd_ceph_conf}:"
                         f"{self.cluster.fsid}:{self.config.rbd_user}:{self.config.rbd_pool}")
        self.cluster.connect(self.meter, self.config.rbd_user, purpose="get_fsid")
        stats: dict[str, Any] = {
            "vendor_name": "Open Source",
            "driver_version": self.VERSION,
            "storage_protocol": self.STORAGE_PROTOCOL,
            "total_capacity_gb": "unknown",
            "free_capacity_gb": "unknown",
            "reserved_percentage": self.config.reserved_percentage,
            "multiattach": True,
            "thin_provisioning_support": True,
            "max_over_subscription_ratio": self.config.max_over_subscription_ratio,
            "location_info": location_info,
            "backend_state": "down",
            "qos_support": True,
            "volume_backend_name": self.config.volume_backend_name or "RBD",
            "replication_enabled": False,
        }
        try:
            self.cluster.connect(self.meter, self.config.rbd_user, purpose="df")
            free, total = self.pool_capacity(self.meter)
            self.cluster.get_quota(self.meter, self.config.rbd_pool)
            stats["free_capacity_gb"], stats["total_capacity_gb"] = free, total
            if not self.config.rbd_exclusive_cinder_pool:
                provisioned = sum(i.size_bytes for i in self.pool.images.values())
                stats["provisioned_capacity_gb"] = math.ceil(provisioned / GiB)
            stats["backend_state"] = "up"
        except RbdError:
            pass  # 'error refreshing volume stats': capacities stay 'unknown'
        self._stats = stats

    # --- internals ---------------------------------------------------------------------------
    def _fault(self, op: str, volume_id: str | None = None, **ctx: Any) -> None:
        faults = self.faults
        if faults is not None and faults.rules:
            faults.check(op, backend=self.backend, volume_id=volume_id, **ctx)

    def _retry_wait(self, what: str, attempt: int) -> None:
        """``utils.retry``'s sleep between attempts (interval, then doubled)."""
        wait = float(self.config.rados_connection_interval * 2 ** attempt)
        self.meter.charge("rbd", "rbd retry", wait, f"{what} busy, retrying in {wait:g}s",
                          attempt=attempt + 1)

    def _extend_if_required(self, volume: VolumeLike, src_vref: VolumeLike) -> None:
        if volume.size != src_vref.size:
            librbd.resize(self.meter, self.image(volume.id), volume.size * GiB)

    def _clone_parent(self, img: RbdImage) -> tuple[RbdImage, str] | None:
        """``_get_clone_info``: the parent only when its snap is ``<img>.clone_snap``."""
        if img.parent is None or img.parent_image is None:
            return None
        base = img.name.removesuffix(".deleted")
        if img.parent.name == f"{base}.clone_snap":
            return img.parent_image, img.parent.name
        return None

    def _clone_depth(self, img: RbdImage) -> int:
        depth = 0
        parent = self._clone_parent(img)
        while parent is not None:
            depth += 1
            parent = self._clone_parent(parent[0])
        return depth

    def _flatten_children(self, img: RbdImage, snap_name: str | None = None) -> None:
        """Flatten the clones of ``img@snap`` (of every snapshot when *snap_name* is None)."""
        snaps = [s for s in img.snapshots if snap_name is None or s.name == snap_name]
        for snap in snaps:
            for child in list(snap.children):
                librbd.flatten(self.meter, child)

    def _delete_clone_parent_refs(self, pool: Pool, parent: RbdImage, snap: str) -> None:
        """Remove the parent's clone snapshot; a ``.deleted`` parent left without
        snapshots goes too, and so on up the chain."""
        grand = self._clone_parent(parent)
        librbd.unprotect_snap(self.meter, parent, snap)
        librbd.remove_snap(self.meter, parent, snap)
        if not parent.snapshots and parent.name.endswith(".deleted"):
            librbd.remove(self.meter, pool, parent.name)
            if grand is not None:
                self._delete_clone_parent_refs(pool, *grand)
