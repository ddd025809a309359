"""cinder-backup: chunked backups into an object store, restores, deletes.

The flows follow ``cinder/backup/api.py`` and ``cinder/backup/manager.py``:

* **create**: the API (validation, quota, volume or snapshot ``backing-up``,
  backup ``creating``) casts to cinder-scheduler, which since Ussuri picks the
  backup host and casts ``create_backup`` to it.  The manager checks the
  statuses and casts ``get_backup_device`` to the volume's cinder-volume, which
  picks the device (the volume; a temporary volume made from the snapshot, or
  a temporary clone of an in-use volume: ``backup_use_temp_snapshot=False``)
  and casts ``continue_backup`` back.  The manager then attaches the device
  the way Cinder does -- an ``initialize_connection`` RPC, an iSCSI login from
  the backup host with the target's CHAP credentials -- reads its blocks
  through that session into the object store, detaches
  (``terminate_connection`` + ``remove_export``), has the temporary volume
  deleted (a ``delete_volume`` cast), and puts the volume (its previous status)
  or the snapshot (``available``) back whatever happened.  The backup ends
  ``available`` or ``error`` with ``fail_reason``.
* **restore**: the API sets backup ``restoring`` and volume ``restoring-backup``;
  the manager asks cinder-volume ``secure_file_operations_enabled``, attaches
  the target volume, writes the chain (full backup first, then each increment)
  through the session, and after each backup's data the volume metadata it
  saved (:mod:`.metadata`: user metadata, image metadata, the name of a volume
  the API made for the restore), detaches, and adds ``src_backup_id`` when the
  target is not the backup's own volume; both end ``available``, or the volume
  ``error_restoring`` and the backup ``available`` on failure.
* **delete**: ``deleting``, the objects removed, the row destroyed and the quota
  given back; a driver error leaves ``error``.

cinder-backup never touches cinder-volume's objects: every block it reads or
writes travels its own initiator's iSCSI session to the target's backing store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...backends.blocks import GiB
from ...backends.ceph import CephNetwork, RbdConnector, RbdHandle
from ...backends.connectors import VolumeConnector
from ...backends.costs import Meter, trace_recorder
from ...backends.drivers import BackupRef, ChunkedBackupDriver, backup_chain
from ...backends.drivers.ceph_backup import CephBackupDriver
from ...backends.iscsi import IscsiInitiator
from ...backends.objectstore import ObjectStore
from ...bus import Consumer, Target
from ...config import FC_DRIVER
from ...db import EPOCH, Backup, Volume
from ...errors import CinderException
from ...states import BackupStatus, Op, SnapshotStatus, VolumeStatus
from ..encryption_keys import KeyManagerClient, clone_encryption_key, delete_encryption_key
from ..key_manager.castellan import KeyManagerError
from ..volume_utils import extract_host
from .guards import backup_guards
from .metadata import BackupMetadataAPI
from .records import record_methods

if TYPE_CHECKING:
    from ...backends.blocks import BlockData
    from ...backends.iscsi import IscsiNetwork
    from ..env import ServiceEnv

__all__ = ["ACTOR", "TOPIC", "BackupService"]

ACTOR = "cinder-backup"
TOPIC = "cinder-backup"
BINARY = "cinder-backup"
CEPH_BACKUP_DRIVER = "cinder.backup.drivers.ceph.CephBackupDriver"
Method = Callable[..., Awaitable[Any]]


class BackupService:
    """The cinder-backup service (one host; its store is the Swift-like object store)."""

    def __init__(self, env: ServiceEnv, *, network: IscsiNetwork,
                 ceph: CephNetwork | None = None) -> None:
        self.env = env
        opts = env.config.default
        sim_opts = env.config.simulator
        self.host = str(sim_opts["backup_host"])
        self.actor = ACTOR
        self.availability_zone = str(opts["storage_availability_zone"])
        self.meter = Meter(env.config.costs, record=trace_recorder(env.trace, self.host))
        posix = "posix" in str(opts["backup_driver"]) or "nfs" in str(opts["backup_driver"])
        capacity = int(sim_opts["object_store_capacity_gb"]) * GiB or None
        self.store = ObjectStore(self.meter, flavour="posix" if posix else "swift",
                                 name="object-store", capacity_bytes=capacity)
        self.driver = ChunkedBackupDriver(
            self.store, self.meter,
            chunk_size=int(opts["backup_file_size"] if posix else opts["backup_swift_object_size"]),
            sha_block_size=int(opts["backup_sha_block_size_bytes"] if posix
                               else opts["backup_swift_block_size"]),
            compression=str(opts["backup_compression_algorithm"]),
            availability_zone=self.availability_zone,
            container=None if posix else str(opts["backup_swift_container"]),
            faults=env.faults, host=self.host)
        self.on_container: Callable[[str, str], None] | None = None
        """Told ``(project id, container)`` when the Swift driver has PUT a container:
        the swift driver writes with the user's token (``backup_swift_auth =
        per_user``), so the container is made in the backup's project's account and
        stays there after the backup is deleted (the object-store API shows it)."""
        self.metadata_api = BackupMetadataAPI(env.db)
        """``BackupDriver.backup_meta_api``: the volume metadata kept in ``_metadata``."""
        self.ceph_driver: CephBackupDriver | None = None
        """``backup_driver = ...ceph.CephBackupDriver``: backups as RBD images instead."""
        ceph = ceph if ceph is not None else CephNetwork(env.sim.rng)
        if str(opts["backup_driver"]) == CEPH_BACKUP_DRIVER:
            self.ceph_driver = CephBackupDriver(
                ceph, self.meter, conf=str(opts["backup_ceph_conf"]),
                user=opts["backup_ceph_user"], pool=str(opts["backup_ceph_pool"]),
                chunk_size=int(opts["backup_ceph_chunk_size"]),
                max_snapshots=int(opts["backup_ceph_max_snapshots"]),
                discard_excess=bool(opts["restore_discard_excess_bytes"]),
                faults=env.faults, host=self.host)
        self.driver_name = ("cinder.backup.drivers.swift.SwiftBackupDriver"
                            if self.ceph_driver is None else CEPH_BACKUP_DRIVER)
        """What ``backup.service`` records (export/import compare it)."""
        self.rbd = RbdConnector(ceph, self.meter, f"cinder-backup:{self.host}")
        """os-brick's RBD connector on this host (RBD volumes: librbd, no iSCSI)."""
        self.initiator_name = f"iqn.1994-05.com.redhat:{self.host}"
        self.initiator = IscsiInitiator(network, self.host, self.initiator_name,
                                        self.meter)
        env.storage.fc_cabled = env.storage.fc_cabled or any(
            b.options["volume_driver"] == FC_DRIVER for b in env.config.backends)
        self.volumes = VolumeConnector(self.host, env.storage, self.meter,
                                       mount_point_base="/var/lib/cinder/mnt")
        """os-brick's NFS/FC connectors: an NFS volume is read through a mount here."""
        self.connector = {**self.initiator.connector_properties(str(opts["my_ip"])),
                          **self.volumes.connector_properties(),
                          "host": self.host, "initiator": self.initiator_name}
        self.key_manager: KeyManagerClient | None = None
        """Castellan, as cinder-backup's ``key_manager.API(CONF)``: set by the cloud."""
        self.methods: dict[str, Method] = {
            "create_backup": self.create_backup,
            "continue_backup": self.continue_backup,
            "restore_backup": self.restore_backup,
            "delete_backup": self.delete_backup,
            **record_methods(self),  # export_record, import_record (records.py)
        }
        self.methods = backup_guards(self).wrap(self.methods)  # at-least-once delivery
        self.consumer: Consumer | None = None
        env.db.register_service(BINARY, self.host, topic=TOPIC,
                                availability_zone=self.availability_zone,
                                report_interval=float(opts["report_interval"]))

    # --- lifecycle --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.consumer is not None and self.consumer.running

    def start(self) -> None:
        if self.consumer is None:
            self.consumer = self.env.bus.serve(TOPIC, self.methods, server=self.host,
                                                 name=self.actor)
        else:
            self.consumer.start()
        self.env.db.service_started(BINARY, self.host)

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
        self.env.db.service_stopped(BINARY, self.host)

    def _driver_call(self, call: str, resource: str) -> None:
        if self.env.trace.recording:
            self.env.trace.emit("driver", self.actor, f"backup driver.{call}",
                                  target="backup-driver", resource=resource, call=call)

    # --- attaching a volume to the backup host (os-brick) ---------------------------------
    async def _attach(self, vol: Volume) -> dict[str, Any]:
        """``_attach_volume``: ``initialize_connection`` over RPC, then an iSCSI login
        with the CHAP it returned; a failed login terminates the connection again."""
        env = self.env
        target = Target("cinder-volume", extract_host(vol.host or ""))
        info: dict[str, Any] = await env.bus.call(self.actor, target, "initialize_connection",
                                                    volume_id=vol.id, connector=self.connector)
        self.meter.take()
        try:
            if info.get("driver_volume_type") == "rbd":
                self.rbd.connect_volume(info["data"])
            elif self.volumes.handles(info):
                self.volumes.connect_volume(info, (vol.id, "cinder-backup"))
            else:
                self.initiator.connect_volume(info["data"])
        except CinderException:
            await self.meter.spend()
            with contextlib.suppress(CinderException):  # "acceptable", Cinder logs it
                await env.bus.call(self.actor, target, "terminate_connection",
                                   volume_id=vol.id, connector=self.connector, force=True)
            raise
        await self.meter.spend()
        return info

    def _device(self, info: dict[str, Any]) -> BlockData:
        """The attached ``/dev/sdX``: its blocks are reached through the iSCSI session
        (an RBD volume: through the librbd handle; NFS / FC: the mount / the HBAs)."""
        if info.get("driver_volume_type") == "rbd":
            return self.rbd.handle(info["data"]).data
        if self.volumes.handles(info):
            return self.volumes.device_data(info)
        return self.initiator.device_data(self.initiator.connected_session(info["data"]))

    def _volume_file(self, info: dict[str, Any]) -> RbdHandle | BlockData:
        """What the Ceph backup driver is given: the RBD handle itself, so it can diff."""
        if info.get("driver_volume_type") == "rbd":
            return self.rbd.handle(info["data"])
        return self._device(info)

    async def _detach(self, vol: Volume, info: dict[str, Any]) -> None:
        """``_detach_device(force=True)``: os-brick disconnect, ``terminate_connection``,
        ``remove_export`` (the device is never a guest's export: an in-use volume is
        backed up through a temporary clone)."""
        env = self.env
        if info.get("driver_volume_type") == "rbd":
            self.rbd.disconnect_volume(info["data"])
        elif self.volumes.handles(info):
            self.volumes.disconnect_volume(info, (vol.id, "cinder-backup"))
        else:
            self.initiator.disconnect_volume(info["data"])
        await self.meter.spend()
        target = Target("cinder-volume", extract_host(vol.host or ""))
        await env.bus.call(self.actor, target, "terminate_connection", volume_id=vol.id,
                             connector=self.connector, force=True)
        await env.bus.call(self.actor, target, "remove_export", volume_id=vol.id)

    # --- create -------------------------------------------------------------------------------
    async def create_backup(self, *, backup_id: str) -> None:
        """Check the statuses, then ask cinder-volume for the device (``_start_backup``).

        ``get_backup_device`` is a cast: cinder-volume answers by casting
        ``continue_backup`` here.  While cinder-volume is down the cast waits in
        its queue and the backup stays ``creating``, as in Cinder.
        """
        env = self.env
        db = env.db
        backup = db.backups.get(backup_id)
        if backup is None:
            return
        vol = db.volumes.get(backup.volume_id)
        snap = db.snapshots.get(backup.snapshot_id) if backup.snapshot_id else None
        if vol is None:
            reason = "volume is gone"
        elif backup.snapshot_id and (snap is None or snap.status != SnapshotStatus.BACKING_UP):
            reason = ("Create backup aborted, expected snapshot status backing-up but got "
                      f"{snap.status if snap is not None else 'deleted'}.")
        elif not backup.snapshot_id and vol.status != VolumeStatus.BACKING_UP:
            reason = ("Create backup aborted, expected volume status backing-up but got "
                      f"{vol.status}.")
        elif backup.status != BackupStatus.CREATING:
            return  # deleted meanwhile (Cinder: InvalidBackup, the backup left alone)
        else:
            reason = ""
        if reason:
            backup.fail_reason = reason
            db.transition(backup, BackupStatus.ERROR, op=Op.BACKUP_CREATE, actor=self.actor,
                          reason=reason)
            return
        assert vol is not None
        backup.host = self.host
        backup.service = self.driver_name
        env.bus.cast(self.actor, Target("cinder-volume", extract_host(vol.host or "")),
                     "get_backup_device", backup_id=backup.id)

    async def continue_backup(self, *, backup_id: str, backup_device: dict[str, Any]) -> None:
        """cinder-volume's callback: attach the device, back it up, detach, clean up."""
        env = self.env
        db = env.db
        backup = db.backups.get(backup_id)
        if backup is None:
            return
        vol = db.volumes.get(backup.volume_id)
        device = db.volumes.get(str(backup_device["device_id"]))
        if vol is None or device is None:
            backup.fail_reason = "volume is gone"
            db.transition(backup, BackupStatus.ERROR, op=Op.BACKUP_CREATE, actor=self.actor,
                          reason=backup.fail_reason)
            return
        previous = vol.previous_status or VolumeStatus.AVAILABLE
        failure: CinderException | None = None
        # No await in a finally: a run that ends mid-backup closes this coroutine.
        try:
            info = await self._attach(device)
        except CinderException as exc:
            failure, info = exc, None
        if info is not None:
            try:
                data = self._device(info)
                parent = self._ref(backup.parent_id) if backup.parent_id else None
                self._driver_call("backup", f"backup:{backup.id}")
                self.meter.take()

                def prepared(container: str, prefix: str) -> None:
                    backup.container, backup.service_metadata = container, prefix
                    if self.on_container is not None and self.store.flavour == "swift":
                        self.on_container(backup.project_id, container)

                try:
                    if self.ceph_driver is not None:
                        result = self.ceph_driver.backup(
                            backup_id=backup.id, volume_id=vol.id,
                            volume_file=self._volume_file(info), size_gb=vol.size,
                            parent=parent, snapshot_id=backup.snapshot_id, now=env.sim.now(),
                            get_metadata=self.metadata_api.get)
                    else:
                        # _create_container: the container the user asked for, else
                        # backup_swift_container.
                        result = self.driver.backup(
                            backup_id=backup.id, volume_id=vol.id, volume=data,
                            now=_aware(env), parent=parent, name=backup.display_name,
                            description=backup.display_description, on_prepared=prepared,
                            get_metadata=self.metadata_api.get, container=backup.container)
                finally:
                    await self.meter.spend()
                backup.container = result.container
                backup.service_metadata = result.service_metadata
                backup.object_count = result.object_count
            except CinderException as exc:
                failure = exc
            try:
                await self._detach(device, info)
            except CinderException as exc:
                failure = failure or exc
        await self._delete_temp_volume(backup)
        if failure is not None:
            self._restore_source(vol, backup.snapshot_id, previous, "error_backing-up")
            backup.fail_reason = f"{type(failure).__name__}: {failure}"
            db.transition(backup, BackupStatus.ERROR, op=Op.BACKUP_CREATE, actor=self.actor,
                          reason=backup.fail_reason)
            return
        # _finish_backup
        self._restore_source(vol, backup.snapshot_id, previous, "backing-up")
        if backup.parent_id and backup.parent_id in db.backups:
            db.backups[backup.parent_id].num_dependent_backups += 1
        db.transition(backup, BackupStatus.AVAILABLE, op=Op.BACKUP_CREATE, actor=self.actor)

    async def _delete_temp_volume(self, backup: Backup) -> None:
        """``_cleanup_temp_volumes_snapshots_when_backup_created``: cast ``delete_volume``
        of the temporary volume to its cinder-volume."""
        temp = self.env.db.volumes.get(backup.temp_volume_id or "")
        if temp is not None:
            self.env.bus.cast(self.actor, Target("cinder-volume", extract_host(temp.host or "")),
                              "delete_volume", volume_id=temp.id)
        backup.temp_volume_id = None

    def _restore_source(self, vol: Volume, snapshot_id: str | None, previous: str,
                        previous_status: str) -> None:
        """Put the snapshot (``available``) or the volume (its previous status) back."""
        db = self.env.db
        if snapshot_id:
            snap = db.snapshots.get(snapshot_id)
            if snap is not None and snap.status == SnapshotStatus.BACKING_UP:
                db.transition(snap, SnapshotStatus.AVAILABLE, op=Op.BACKUP_CREATE,
                              actor=self.actor)
            return
        if vol.id in db.volumes and vol.status == VolumeStatus.BACKING_UP:
            vol.previous_status = previous_status
            db.transition(vol, previous, op=Op.BACKUP_CREATE, actor=self.actor)

    def _ref(self, backup_id: str) -> BackupRef:
        b = self.env.db.backups[backup_id]
        return BackupRef(b.id, b.volume_id, b.container or "", b.service_metadata or "",
                         b.size, b.parent_id)

    # --- restore ---------------------------------------------------------------------------------
    async def restore_backup(self, *, backup_id: str, volume_id: str,
                             volume_is_new: bool = False,
                             auth_token: str | None = None) -> None:
        """``_run_restore``: ``secure_file_operations_enabled`` and the attach go to the
        volume's cinder-volume over RPC (a stopped one times the call out: the volume
        ends ``error_restoring``); the chain is written through the iSCSI session."""
        env = self.env
        db = env.db
        backup = db.backups.get(backup_id)
        vol = db.volumes.get(volume_id)
        if backup is None or vol is None:
            return
        info: dict[str, Any] | None = None
        orig_key = vol.encryption_key_id  # _run_restore: before the metadata overwrites it
        try:
            await env.bus.call(self.actor, Target("cinder-volume", extract_host(vol.host or "")),
                               "secure_file_operations_enabled", volume_id=vol.id)
            info = await self._attach(vol)
            chain = backup_chain(backup.id, self._ref)
            target = self._device(info)
            self._driver_call("restore", f"backup:{backup.id}")
            self.meter.take()
            try:
                if self.ceph_driver is not None:
                    self.ceph_driver.restore(chain, self._volume_file(info), volume_id=vol.id,
                                             size_gb=vol.size,
                                             volume_is_new=vol.status == VolumeStatus.CREATING,
                                             put_metadata=self.metadata_api.put)
                else:
                    self.driver.restore(chain, target, volume_id=vol.id,
                                        put_metadata=self.metadata_api.put)
            finally:
                await self.meter.spend()
        except CinderException as exc:
            if info is not None:
                await self._safe_detach(vol, info)
            # A volume being created from the backup (3.47) was never usable: 'error'.
            # A restore target goes 'error_restoring' (the reference notes that Cinder's
            # own check for a new volume compares the wrong object, so this is what it does).
            failed = (VolumeStatus.ERROR if vol.status == VolumeStatus.CREATING
                      else VolumeStatus.ERROR_RESTORING)
            db.transition(vol, failed, op=Op.BACKUP_RESTORE, actor=self.actor,
                          reason=f"{type(exc).__name__}: {exc}")
            db.transition(backup, BackupStatus.AVAILABLE, op=Op.BACKUP_RESTORE, actor=self.actor)
            return
        await self._safe_detach(vol, info)
        await self._rekey_restored(backup, vol, orig_key, auth_token)
        # The driver wrote the backup's saved metadata over the target's (so a
        # restore into the source volume itself brings back the metadata it had).
        # src_backup_id is added only for another volume, or when the metadata just
        # restored names another backup: a restore into the source leaves it out.
        old_src = vol.metadata.get("src_backup_id")
        if backup.volume_id != vol.id or (old_src and old_src != backup.id):
            vol.metadata = {**vol.metadata, "src_backup_id": backup.id}
        if vol.status == VolumeStatus.CREATING:  # a volume made from the backup (3.47)
            vol.launched_at = db.stamp()
        db.transition(vol, VolumeStatus.AVAILABLE, op=Op.BACKUP_RESTORE, actor=self.actor)
        db.transition(backup, BackupStatus.AVAILABLE, op=Op.BACKUP_RESTORE, actor=self.actor)

    async def _rekey_restored(self, backup: Backup, vol: Volume, orig_key: str | None,
                              auth_token: str | None) -> None:
        """``_run_restore``'s housekeeping.  The restored base metadata names the key
        the backed-up volume had; when that differs from the target's own key, the
        target's key is deleted and the volume gets its own clone of the backup's
        ("every restored volume has a unique key ID").  A backup without a key
        (of a plain volume) leaves the target with none, as in Cinder."""
        restored = vol.encryption_key_id
        if restored == orig_key:
            return
        if auth_token is None:
            # A volume created from the backup (3.47): cinder-api already gave it a clone
            # of the backup's key, the end state of this housekeeping; keep that one.
            vol.encryption_key_id = orig_key
            return
        km = self.key_manager
        try:
            if orig_key is not None:
                await delete_encryption_key(km, auth_token, orig_key)
            if backup.encryption_key_id is None:  # a backup from before the key copy
                backup.encryption_key_id = restored
            vol.encryption_key_id = await clone_encryption_key(km, auth_token,
                                                               backup.encryption_key_id)
        except (KeyManagerError, CinderException) as exc:
            self.env.trace.emit("log", self.actor, f"re-keying the restored volume failed: "
                                f"{exc}", resource=f"volume:{vol.id}")

    async def _safe_detach(self, vol: Volume, info: dict[str, Any]) -> None:
        try:
            await self._detach(vol, info)
        except CinderException as exc:
            self.env.trace.emit("log", self.actor, f"detach after restore failed: {exc}",
                                  resource=f"volume:{vol.id}")

    # --- delete --------------------------------------------------------------------------
    async def delete_backup(self, *, backup_id: str, auth_token: str | None = None) -> None:
        env = self.env
        db = env.db
        backup = db.backups.get(backup_id)
        if backup is None:
            return
        self._driver_call("delete_backup", f"backup:{backup.id}")
        self.meter.take()
        try:
            try:
                if self.ceph_driver is not None:
                    self.ceph_driver.delete_backup(self._ref(backup.id))
                else:
                    self.driver.delete_backup(self._ref(backup.id))
            finally:
                await self.meter.spend()
        except CinderException as exc:
            backup.fail_reason = f"{type(exc).__name__}: {exc}"
            db.transition(backup, BackupStatus.ERROR, op=Op.BACKUP_DELETE, actor=self.actor,
                          reason=backup.fail_reason)
            return
        release_backup_quota(env, backup)
        if backup.encryption_key_id is not None:
            try:
                await delete_encryption_key(self.key_manager, auth_token,
                                            backup.encryption_key_id)
            except KeyManagerError as exc:
                env.trace.emit("log", self.actor, f"could not delete the backup's key: {exc}",
                               resource=f"backup:{backup.id}")
            backup.encryption_key_id = None
        if backup.parent_id and backup.parent_id in db.backups:
            parent = db.backups[backup.parent_id]
            parent.num_dependent_backups = max(0, parent.num_dependent_backups - 1)
        db.remove(backup, op=Op.BACKUP_DELETE, actor=self.actor)


def release_backup_quota(env: ServiceEnv, backup: Backup) -> None:
    ids = env.quota.reserve(backup.project_id, env.quota.backup_deltas(-backup.size,
                                                                            count=-1))
    env.quota.commit(ids)


def _aware(env: ServiceEnv) -> dt.datetime:
    """The virtual now as an aware UTC datetime (object prefixes carry a timestamp)."""
    return EPOCH + dt.timedelta(seconds=env.sim.now())



