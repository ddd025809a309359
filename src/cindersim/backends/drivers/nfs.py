"""Cinder's ``NfsDriver`` (``cinder.volume.drivers.nfs.NfsDriver``) over simulated shares.

What ``cinder/volume/drivers/nfs.py`` and ``remotefs.py`` do, in their order:

* ``do_setup`` reads ``nfs_shares_config`` (one ``address:/export [options]``
  a line) and mounts every share on the cinder-volume host under
  ``nfs_mount_point_base`` (``$state_path/mnt``).
* ``create_volume`` picks a share (``_find_share``: the eligible share with the
  least apparent allocation; eligible = used ratio within ``100 -
  reserved_percentage`` and room under ``total * max_over_subscription_ratio``),
  stores it as ``provider_location`` and creates ``volume-<id>`` there: qcow2
  (``nfs_qcow2_volumes``), sparse raw (``nfs_sparsed_volumes``, default) or a
  fully written raw file.  ``admin_metadata['format']`` records the format.
* snapshots (only with ``nfs_snapshot_support``) are qcow2 overlays; an
  attached volume's snapshot is made by Nova (``os-assisted-volume-snapshots``)
  and the attachment's ``connection_info`` then names the new overlay.
* clones always go through a temporary snapshot
  (``_always_use_temp_snap_when_cloning``) and ``qemu-img convert``.
* no export, no target: ``create_export``/``remove_export`` do nothing and
  ``initialize_connection`` answers ``driver_volume_type = 'nfs'`` with
  ``export``, ``name`` (the active image), ``options`` and ``format``.
* ``extend_volume`` refuses an attached volume (bug #1870367).
* the stats aggregate the shares; ``storage_protocol`` is ``nfs``.

Every step charges the backend meter (``qemu-img``, ``truncate``, ``dd``,
``rm``, ``stat``/``du``) so the trace shows what the share went through.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ... import errors
from ...empty import writable_dict
from ..blocks import BLOCK_SIZE, BlockData, GiB
from ..costs import Meter
from ..faults import FaultPlan
from ..nfs import FileData, ImageFile, NfsClient, NfsExports, Share, VolumeChain
from .lvm import AttachmentLike, SnapshotLike, VolumeLike
from .nfs_options import (
    ExtendVolumeError,
    InvalidSnapshot,
    NfsConfig,
    NfsNoSharesMounted,
    NfsNoSuitableShareFound,
    VolumeDriverException,
    parse_shares,
)

__all__ = ["NfsConfig", "NfsDriver", "NfsNoSuitableShareFound", "VolumeDriverException"]

QEMU_IMG_SECONDS = 0.1
"""``qemu-img create``/``info``/``resize``/``rebase`` on a file over NFS."""
SMALL_FILE_SECONDS = 0.02
"""``truncate``, ``rm``, ``chmod``, ``stat -f``, ``du`` and writing the ``.info`` file."""
NOVA_ASSISTED_SECONDS = 1.5
"""An online snapshot: Cinder asks Nova, Nova has libvirt switch the guest to the overlay."""
BLOCKS_PER_GIB = GiB // BLOCK_SIZE


class NfsDriver:
    """``NfsDriver`` (a ``RemoteFSSnapDriverDistributed``) over :class:`NfsExports`.

    Args:
        config: the backend's options.
        exports: the NFS servers of the simulated world.
        meter: charged by every command.
        hostname: the cinder-volume host (its mounts).
        backend: ``host@backend`` for fault matching.
        volume_lookup: the volume row by id (the driver reads a snapshot's
            ``snapshot.volume.status``/``attach_status`` through it).
    """

    VERSION = "1.4.0"
    driver_volume_type = "nfs"
    lvm_type = "nfs"
    """Not LVM: code that branches on LVM's thin/thick sees neither."""

    def __init__(self, config: NfsConfig, *, exports: NfsExports, meter: Meter,
                 faults: FaultPlan | None = None, hostname: str = "cinder-volume",
                 backend: str | None = None,
                 volume_lookup: Callable[[str], Any] | None = None,
                 attachments_of: Callable[[str], Sequence[Any]] | None = None) -> None:
        self.config = config
        self.backend_name = config.volume_backend_name or "Generic_NFS"
        self.hostname = hostname
        self.backend = backend or f"{hostname}@{self.backend_name}"
        self.meter = meter
        self.faults = faults
        self.exports = exports
        self.client = NfsClient(hostname, exports, meter,
                                mount_point_base=config.nfs_mount_point_base,
                                mount_options=config.nfs_mount_options)
        self._lookup = volume_lookup or (lambda _vid: None)
        self._attachments_of = attachments_of or (lambda _vid: ())
        self.shares: dict[str, str | None] = {}
        self._mounted_shares: list[str] = []
        self._stats: dict[str, Any] = {}
        self._ratio = 20.0

    # --- setup ------------------------------------------------------------------------
    def do_setup(self) -> None:
        """Read the shares file and mount every share (a share that fails is skipped)."""
        self._fault("do_setup")
        ratio = self.config.max_over_subscription_ratio
        if ratio == "auto":
            # NfsDriver passes supports_auto=False to get_max_over_subscription_ratio.
            raise VolumeDriverException(
                message="max_over_subscription_ratio 'auto' is not supported by NfsDriver")
        self._ratio = float(ratio)
        self.shares = parse_shares(self.config.nfs_shares)
        for export in self.shares:
            self.exports.export(export, self.config.share_size_gb)
        self._ensure_shares_mounted()

    def check_for_setup_error(self) -> None:
        """RemoteFSDriver: nothing more to check (an empty shares file fails creates)."""
        self._fault("check_for_setup_error")

    def _ensure_shares_mounted(self) -> None:
        """Mount every share, ``nfs_mount_attempts`` tries each, 1 s apart; a share that
        never mounts is left out ("Exception during mounting" is only logged)."""
        mounted = []
        attempts = max(1, self.config.nfs_mount_attempts)
        for export, options in self.shares.items():
            for attempt in range(attempts):
                try:
                    self.client.mount(export, ("cinder-volume", self.backend), options)
                    mounted.append(export)
                    break
                except errors.ProcessExecutionError:
                    if attempt < attempts - 1:
                        self._cmd("retry", f"mount of {export} failed, retrying in 1 s",
                                  1.0, export=export, attempt=attempt + 1)
        self._mounted_shares = mounted

    # --- names -------------------------------------------------------------------------
    def volume_name(self, volume_id: str) -> str:
        return self.config.volume_name_template % volume_id

    def _share(self, volume: VolumeLike) -> Share:
        export = volume.provider_location
        share = self.exports.lookup(export) if export else None
        if share is None:
            raise errors.VolumeBackendAPIException(
                data=f"volume {volume.id} has no share (provider_location {export!r})")
        return share

    def _chain(self, volume_id: str, export: str | None = None) -> VolumeChain:
        name = self.volume_name(volume_id)
        shares = ([self.exports.lookup(export)] if export else
                  [self.exports.lookup(s) for s in self.shares])
        for share in shares:
            if share is not None and name in share.chains:
                return share.chains[name]
        raise errors.VolumeDeviceNotFound(device=name)

    def _chain_for(self, volume_id: str) -> tuple[Share, VolumeChain]:
        name = self.volume_name(volume_id)
        for export in self.shares:
            share = self.exports.lookup(export)
            if share is not None and name in share.chains:
                return share, share.chains[name]
        raise errors.VolumeDeviceNotFound(device=name)

    # --- data plane -----------------------------------------------------------------------
    def volume_data(self, volume_id: str) -> BlockData:
        """The volume's content as its active image shows it."""
        return self._chain(volume_id).data

    def snapshot_data(self, snapshot_id: str) -> BlockData:
        """A snapshot's content: the frozen backing file of its overlay."""
        for export in self.shares:
            share = self.exports.lookup(export)
            for chain in share.chains.values() if share is not None else ():
                forward = chain.snap_info.get(snapshot_id)
                if forward is not None:
                    backing = chain.file(forward).backing_file
                    frozen = chain.file(str(backing)).frozen
                    if frozen is None:
                        raise errors.SimulationError(f"{backing} is active yet backs {forward}")
                    return frozen
        raise errors.VolumeDeviceNotFound(device=f"snapshot {snapshot_id}")

    def chains(self) -> list[tuple[str, VolumeChain]]:
        """Every volume chain on this backend's shares, as ``(export, chain)``."""
        out: list[tuple[str, VolumeChain]] = []
        for export in self.shares:
            share = self.exports.lookup(export)
            if share is not None:
                out.extend((export, c) for c in share.chains.values())
        return out

    # --- capacity --------------------------------------------------------------------------
    def _capacity_info(self, export: str) -> tuple[float, float, float]:
        """``stat -f`` (total, available) and ``du -sb --apparent-size`` (allocated)."""
        share = self.exports.export(export, self.config.share_size_gb)
        self._cmd("stat -f", f"stat -f -c '%S %b %a' ({export})",
                  SMALL_FILE_SECONDS, export=export)
        self._cmd("du", f"du -sb --apparent-size --exclude '*snapshot*' ({export})",
                  SMALL_FILE_SECONDS, export=export)
        return (float(share.total_bytes), float(share.available_bytes()),
                float(share.apparent_bytes(exclude_snapshots=True)))

    def _is_share_eligible(self, export: str, size_gb: int,
                           info: tuple[float, float, float] | None = None) -> bool:
        total, available, allocated = info if info is not None else \
            self._capacity_info(export)
        used_ratio = (100 - self.config.reserved_percentage) / 100.0
        apparent_available = max(0.0, total * self._ratio - allocated)
        if (total - available) / total > used_ratio:
            return False
        if apparent_available <= size_gb * GiB:
            return False
        return not allocated / total >= self._ratio

    def _find_share(self, volume: VolumeLike) -> str:
        if not self._mounted_shares:
            raise NfsNoSharesMounted()
        best: str | None = None
        best_allocated = 0.0
        for export in self._mounted_shares:
            info = self._capacity_info(export)  # one stat + du per share, as _find_share
            if not self._is_share_eligible(export, volume.size, info):
                continue
            allocated = info[2]
            if best is None or best_allocated > allocated:
                best, best_allocated = export, allocated
        if best is None:
            raise NfsNoSuitableShareFound(volume_size=volume.size)
        return best

    # --- volumes ----------------------------------------------------------------------------
    def _new_file(self, share: Share, volume: VolumeLike) -> VolumeChain:
        """``_do_create_volume``: the base file in the format the options ask for."""
        name = self.volume_name(volume.id)
        path = f"{share.export}/{name}"
        size = volume.size
        if self.config.nfs_qcow2_volumes:
            f = ImageFile(name, "qcow2", size)
            self._cmd("qemu-img create", f"qemu-img create -f qcow2 -o preallocation=metadata "
                      f"{path} {size * GiB}", QEMU_IMG_SECONDS, volume_id=volume.id)
        elif self.config.nfs_sparsed_volumes:
            f = ImageFile(name, "raw", size)
            self._cmd("truncate", f"truncate -s {size}G {path}", SMALL_FILE_SECONDS,
                      volume_id=volume.id)
        else:
            f = ImageFile(name, "raw", size, preallocated=True)
            self._cmd("dd", f"dd if=/dev/zero of={path} bs=1M count={size * 1024}",
                      self.meter.costs.transfer(size * GiB, self.meter.costs.zero_bandwidth),
                      volume_id=volume.id, bytes=size * GiB)
        self._cmd("chmod", f"chmod ugo+rw {path}", SMALL_FILE_SECONDS, volume_id=volume.id)
        chain = VolumeChain(name, [f], FileData(size * BLOCKS_PER_GIB, f))
        share.chains[name] = chain
        if isinstance(getattr(volume, "admin_metadata", None), dict):
            writable_dict(volume, "admin_metadata")["format"] = f.fmt
        return chain

    def create_volume(self, volume: VolumeLike) -> dict[str, str]:
        """Pick a share, create the file; returns (and sets) ``provider_location``."""
        self._fault("create_volume", volume.id)
        self._ensure_shares_mounted()
        export = self._find_share(volume)
        volume.provider_location = export  # type: ignore[misc]  # as remotefs does
        self._new_file(self.exports.export(export, self.config.share_size_gb), volume)
        return {"provider_location": export}

    def delete_volume(self, volume: VolumeLike) -> None:
        """``rm -f`` the active image and the ``.info`` file (no provider_location: skip)."""
        self._fault("delete_volume", volume.id)
        if not volume.provider_location:
            return
        share = self.exports.lookup(volume.provider_location)
        name = self.volume_name(volume.id)
        chain = share.chains.pop(name, None) if share is not None else None
        if chain is None:
            return
        if chain.info():
            self._cmd("rm", f"rm -f {name}.info", SMALL_FILE_SECONDS, volume_id=volume.id)
        for f in reversed(chain.files):
            self._cmd("rm", f"rm -f {share.export if share else ''}/{f.name}",
                      SMALL_FILE_SECONDS, volume_id=volume.id)

    def extend_volume(self, volume: VolumeLike, new_size: int) -> None:
        """``qemu-img resize`` of the active image; never while attached."""
        self._fault("extend_volume", volume.id)
        if str(getattr(volume, "attach_status", "")) == "attached":
            raise ExtendVolumeError(reason=f"Cannot extend volume {volume.id} while it is "
                                           "attached.")
        if not self._is_share_eligible(str(volume.provider_location), new_size - volume.size):
            raise ExtendVolumeError(reason=f"Insufficient space to extend volume "
                                           f"{volume.id} to {new_size}G")
        self._resize(self._chain(volume.id, volume.provider_location), new_size, volume.id)

    def _resize(self, chain: VolumeChain, new_size: int, volume_id: str) -> None:
        active = chain.active
        self._cmd("qemu-img resize", f"qemu-img resize -f {active.fmt} {active.name} "
                  f"{new_size}G", QEMU_IMG_SECONDS, volume_id=volume_id)
        for f in chain.files:
            f.virtual_size_gb = max(f.virtual_size_gb, new_size) if f is active else \
                f.virtual_size_gb
        chain.data.resize(new_size * BLOCKS_PER_GIB)

    # --- snapshots ------------------------------------------------------------------------
    def _volume_row(self, volume_id: str) -> Any:
        return self._lookup(volume_id)

    def _attached(self, volume_id: str) -> bool:
        row = self._volume_row(volume_id)
        return row is not None and str(getattr(row, "attach_status", "")) == "attached"

    def create_snapshot(self, snapshot: SnapshotLike) -> None:
        """A qcow2 overlay on the active image (Nova makes it when attached)."""
        self._fault("create_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        if not self.config.nfs_snapshot_support:
            raise VolumeDriverException(
                message="NFS driver snapshot support is disabled in cinder.conf.")
        self._create_snapshot(snapshot)

    def _create_snapshot(self, snapshot: SnapshotLike) -> None:
        row = self._volume_row(snapshot.volume_id)
        status = str(getattr(row, "status", "available"))
        ok = ["available", "in-use", "backing-up"]
        if (getattr(snapshot, "display_name", None) or "").startswith("tmp-snap-"):
            ok.append("downloading")
        if status not in ok:
            raise errors.InvalidVolume(reason=f"Invalid volume state. Acceptable states for "
                                              f"this operation: {ok}. Current volume state: "
                                              f"{status}.")
        _share, chain = self._chain_for(snapshot.volume_id)
        backing = chain.active
        new = ImageFile(f"{chain.volume_name}.{snapshot.id}", "qcow2", backing.virtual_size_gb,
                        backing_file=backing.name)
        cmd = (f"qemu-img create -f qcow2 -o backing_file={backing.name},"
               f"backing_fmt={backing.fmt} {new.name} {backing.virtual_size_gb * GiB}")
        if self._attached(snapshot.volume_id):
            self._cmd("nova assisted snapshot", f"os-assisted-volume-snapshots create: Nova "
                      f"has the guest switch from {backing.name} to {new.name}",
                      NOVA_ASSISTED_SECONDS, volume_id=snapshot.volume_id,
                      snapshot_id=snapshot.id)
            # The attachment's connection_info now names the overlay (qcow2), as
            # _create_snapshot saves it on volume_attachment[0].
            for att in list(self._attachments_of(snapshot.volume_id))[:1]:
                info = getattr(att, "connection_info", None)
                if isinstance(info, dict):
                    info["name"] = new.name
                    info["format"] = "qcow2"
        else:
            self._cmd("qemu-img create", cmd, QEMU_IMG_SECONDS, volume_id=snapshot.volume_id,
                      snapshot_id=snapshot.id, backing_file=backing.name)
        backing.frozen = chain.data.copy()
        chain.files.append(new)
        chain.data.retarget(new)
        chain.snap_info[snapshot.id] = new.name
        self._write_info(chain, snapshot.volume_id)

    def delete_snapshot(self, snapshot: SnapshotLike) -> None:
        """Merge the snapshot's overlay down (``qemu-img commit``), then rebase the next
        overlay onto its base or make the base active again."""
        self._fault("delete_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        try:
            _share, chain = self._chain_for(snapshot.volume_id)
        except errors.VolumeDeviceNotFound:
            return
        forward_name = chain.snap_info.get(snapshot.id)
        if forward_name is None:
            return  # "Snapshot record for %s is not present, allowing snapshot_delete"
        forward = chain.file(forward_name)
        base = chain.file(str(forward.backing_file))
        if self._attached(snapshot.volume_id) and forward is chain.active:
            self._pull_online(chain, snapshot, forward, base)
            return
        # Offline (qemu-img), or online with a newer overlay above (Nova's blockCommit):
        # the overlay is committed down into its base and removed.
        online = self._attached(snapshot.volume_id)
        nbytes = len(forward.allocated) * BLOCK_SIZE
        how = ("nova assisted delete", f"os-assisted-volume-snapshots delete: libvirt "
               f"commits {forward.name} into {base.name}", NOVA_ASSISTED_SECONDS) if online \
            else ("qemu-img commit", f"qemu-img commit {forward.name} (into {base.name})",
                  QEMU_IMG_SECONDS)
        self._cmd(how[0], how[1], how[2] + self.meter.costs.transfer(
            nbytes, self.meter.costs.copy_bandwidth), volume_id=snapshot.volume_id,
            snapshot_id=snapshot.id, bytes=nbytes)
        base.allocated |= forward.allocated
        index = chain.files.index(forward)
        if forward is chain.active:
            base.frozen = None
            chain.data.retarget(base)
        else:
            higher = chain.files[index + 1]
            base.frozen = forward.frozen
            higher.backing_file = base.name
            if not online:
                self._cmd("qemu-img rebase", f"qemu-img rebase -u -b {base.name} "
                          f"{higher.name}", QEMU_IMG_SECONDS, volume_id=snapshot.volume_id)
        chain.files.remove(forward)
        del chain.snap_info[snapshot.id]
        self._cmd("rm", f"rm -f {forward.name}", SMALL_FILE_SECONDS,
                  volume_id=snapshot.volume_id)
        self._write_info(chain, snapshot.volume_id)

    def _pull_online(self, chain: VolumeChain, snapshot: SnapshotLike, forward: ImageFile,
                     base: ImageFile) -> None:
        """``_delete_snapshot_online`` when the snapshot's overlay is the active image: Nova
        pulls the base into it (blockRebase), so the guest's file keeps its name; the base
        file goes, and a snapshot whose overlay was that base now maps to the active file."""
        nbytes = len(base.allocated) * BLOCK_SIZE
        self._cmd("nova assisted delete", f"os-assisted-volume-snapshots delete: libvirt "
                  f"pulls {base.name} into {forward.name}", NOVA_ASSISTED_SECONDS
                  + self.meter.costs.transfer(nbytes, self.meter.costs.copy_bandwidth),
                  volume_id=snapshot.volume_id, snapshot_id=snapshot.id, bytes=nbytes)
        forward.allocated |= base.allocated
        forward.backing_file = base.backing_file
        for snap_id, name in list(chain.snap_info.items()):
            if name == base.name:
                chain.snap_info[snap_id] = forward.name
        chain.files.remove(base)
        del chain.snap_info[snapshot.id]
        self._cmd("rm", f"rm -f {base.name}", SMALL_FILE_SECONDS, volume_id=snapshot.volume_id)
        self._write_info(chain, snapshot.volume_id)

    def _write_info(self, chain: VolumeChain, volume_id: str) -> None:
        self._cmd("write info", f"{chain.volume_name}.info = {json.dumps(chain.info())}",
                  SMALL_FILE_SECONDS, volume_id=volume_id)

    def revert_to_snapshot(self, volume: VolumeLike, snapshot: SnapshotLike) -> None:
        """NfsDriver has no ``RevertToSnapshotMixin``: the manager's generic revert runs."""
        raise NotImplementedError("NfsDriver does not revert in place")

    # --- copies ----------------------------------------------------------------------------
    def _copy_into_new(self, volume: VolumeLike, source: BlockData, src_name: str) -> None:
        """``_find_share`` + ``_do_create_volume`` + ``qemu-img convert`` (+ resize)."""
        self._ensure_shares_mounted()
        export = self._find_share(volume)
        volume.provider_location = export  # type: ignore[misc]
        chain = self._new_file(self.exports.export(export, self.config.share_size_gb), volume)
        fmt = "qcow2" if self.config.nfs_qcow2_volumes else "raw"
        nbytes = source.written() * BLOCK_SIZE
        self._cmd("qemu-img convert", f"qemu-img convert -O {fmt} {src_name} "
                  f"{chain.volume_name}", QEMU_IMG_SECONDS + self.meter.costs.transfer(
                      nbytes, self.meter.costs.copy_bandwidth), volume_id=volume.id, bytes=nbytes)
        chain.data.put(source.items())

    def create_volume_from_snapshot(self, volume: VolumeLike,
                                    snapshot: SnapshotLike) -> dict[str, str]:
        """Convert the snapshot's backing image into a new volume file."""
        self._fault("create_volume_from_snapshot", volume.id, snapshot_id=snapshot.id)
        status = str(getattr(snapshot, "status", "available"))
        if status not in ("available", "backing-up", "restoring"):
            raise InvalidSnapshot(reason=f"Invalid snapshot state: {status}")
        data = self.snapshot_data(snapshot.id)
        self._copy_into_new(volume, data, f"{self.volume_name(snapshot.volume_id)} "
                                          f"(snapshot {snapshot.id})")
        return {"provider_location": str(volume.provider_location)}

    def create_cloned_volume(self, volume: VolumeLike, src_vref: VolumeLike) -> dict[str, str]:
        """A temporary snapshot ``tmp-snap-<id>`` of the source, a convert, its deletion."""
        self._fault("create_cloned_volume", volume.id, source_volid=src_vref.id)
        status = str(getattr(src_vref, "status", "available"))
        if status not in ("available", "backing-up", "downloading"):
            raise errors.InvalidVolume(reason=f"Invalid source volume state: {status}")
        temp = _TempSnapshot(id=f"tmp-{volume.id}", volume_id=src_vref.id,
                             volume_size=src_vref.size, display_name=f"tmp-snap-{volume.id}")
        self._create_snapshot(temp)
        try:
            self._copy_into_new(volume, self.snapshot_data(temp.id),
                                self.volume_name(src_vref.id))
            if volume.size > src_vref.size:
                self._resize(self._chain(volume.id), volume.size, volume.id)
        finally:
            self.delete_snapshot(temp)
        if isinstance(getattr(volume, "admin_metadata", None), dict):
            writable_dict(volume, "admin_metadata")["format"] = \
                "qcow2" if self.config.nfs_qcow2_volumes else "raw"
        return {"provider_location": str(volume.provider_location)}

    def update_migrated_volume(self, volume_id: str, new_volume_id: str) -> None:
        """Rename the migrated file ``volume-<new id>`` to ``volume-<id>`` (``os.rename``)."""
        share, chain = self._chain_for(new_volume_id)
        old, new = self.volume_name(new_volume_id), self.volume_name(volume_id)
        self._cmd("mv", f"mv {old} {new}", SMALL_FILE_SECONDS, volume_id=volume_id)
        del share.chains[old]
        chain.volume_name = new
        for f in chain.files:
            f.name = f.name.replace(old, new)
            f.backing_file = f.backing_file.replace(old, new) if f.backing_file else None
        chain.snap_info = {k: v.replace(old, new) for k, v in chain.snap_info.items()}
        share.chains[new] = chain

    # --- export and connections --------------------------------------------------------------
    def create_export(self, volume: VolumeLike,
                      connector: Mapping[str, Any] | None = None) -> None:
        """RemoteFSDriver: nothing to export (the share is the export)."""
        self._fault("create_export", volume.id)

    def ensure_export(self, volume: VolumeLike) -> None:
        self._fault("ensure_export", volume.id)
        if volume.provider_location:
            self.client.mount(volume.provider_location, ("cinder-volume", self.backend))

    def remove_export(self, volume: VolumeLike) -> None:
        self._fault("remove_export", volume.id)

    def validate_connector(self, connector: Mapping[str, Any]) -> bool:
        """BaseVD: an NFS client needs no initiator name."""
        return True

    def initialize_connection(self, volume: VolumeLike,
                              connector: Mapping[str, Any]) -> dict[str, Any]:
        """``{'driver_volume_type': 'nfs', 'data': {export, name, options, format}}``."""
        self._fault("initialize_connection", volume.id)
        chain = self._chain(volume.id, volume.provider_location)
        active = chain.active
        self._cmd("qemu-img info", f"qemu-img info --force-share {active.name}",
                  SMALL_FILE_SECONDS, volume_id=volume.id)
        if -(-active.virtual_size_gb * GiB // GiB) > volume.size:
            raise errors.InvalidVolume(reason="The volume virtual_size does not match the size "
                                              "in cinder, aborting as we suspect an exploit.")
        data: dict[str, Any] = {"export": volume.provider_location, "name": active.name}
        options = self.shares.get(str(volume.provider_location))
        if options is not None:
            data["options"] = options
        data["format"] = active.fmt
        return {"driver_volume_type": self.driver_volume_type, "data": data,
                "mount_point_base": self.config.nfs_mount_point_base}

    def terminate_connection(self, volume: VolumeLike, connector: Mapping[str, Any] | None,
                             attachments: Sequence[AttachmentLike] = ()) -> bool:
        """RemoteFSDriver: nothing to undo on the server (the host unmounts itself)."""
        self._fault("terminate_connection", volume.id)
        return len(attachments) > 1

    # --- stats -----------------------------------------------------------------------------
    def get_volume_stats(self, refresh: bool = False) -> dict[str, Any]:
        if refresh or not self._stats:
            self._fault("get_volume_stats")
            self._update_volume_stats()
        return self._stats

    @property
    def thin_provisioning(self) -> bool:
        """Sparse files are thin (``nfs_sparsed_volumes``), preallocated ones thick."""
        return self.config.nfs_sparsed_volumes

    def share_capacity_gb(self) -> dict[str, tuple[float, float, float]]:
        """Per mounted share ``(total, free, apparent allocation)`` GiB, read without a
        command (what ``stat -f`` and ``du`` would answer; nothing charged)."""
        out: dict[str, tuple[float, float, float]] = {}
        for export in self._mounted_shares:
            share = self.exports.lookup(export)
            if share is not None:
                out[export] = (share.total_bytes / GiB, share.available_bytes() / GiB,
                               share.apparent_bytes() / GiB)
        return out

    def capacity_gb(self) -> tuple[float, float, float]:
        """``(total, free, provisioned)`` GiB as ``_update_volume_stats`` reports them
        (the metrics sampler: nothing charged)."""
        shares = self.share_capacity_gb()
        total = sum(t for t, _, _ in shares.values())
        free = sum(f for _, f, _ in shares.values())
        if self.thin_provisioning:
            return total, free, round(sum(a for _, _, a in shares.values()), 2)
        return total, free, round(total - free, 2)

    def _update_volume_stats(self) -> None:
        """Totals over the mounted shares; provisioned is ``du --bytes`` when sparse."""
        self._ensure_shares_mounted()
        for export in self._mounted_shares:
            self._capacity_info(export)  # the stat -f and du each share costs
        total_gb, free_gb, provisioned = self.capacity_gb()
        thin = self.thin_provisioning
        pool = {
            # NfsDriver reports no pools: Cinder's host manager makes one pool of the
            # backend, named after it; it is spelled out here for the scheduler.
            "pool_name": self.backend_name,
            "total_capacity_gb": total_gb,
            "free_capacity_gb": free_gb,
            "reserved_percentage": self.config.reserved_percentage,
            "QoS_support": False,
            "provisioned_capacity_gb": provisioned,
            "max_over_subscription_ratio": self._ratio,
            "thin_provisioning_support": thin,
            "thick_provisioning_support": not thin,
            "multiattach": False,
            "backend_state": "up",
        }
        self._stats = {
            "volume_backend_name": self.backend_name,
            "vendor_name": "Open Source",
            "driver_version": self.VERSION,
            "storage_protocol": "nfs",
            "sparse_copy_volume": True,
            "pools": [pool],
            **{k: v for k, v in pool.items() if k != "pool_name"},
        }

    # --- internals ----------------------------------------------------------------------------
    def _cmd(self, op: str, summary: str, seconds: float, **detail: Any) -> None:
        self.meter.charge("nfs", op, seconds, summary, **detail)

    def _fault(self, op: str, volume_id: str | None = None, **ctx: Any) -> None:
        faults = self.faults
        if faults is not None and faults.rules:
            faults.check(op, backend=self.backend, volume_id=volume_id, **ctx)


@attrs.frozen
class _TempSnapshot:
    """The ``tmp-snap-<volume id>`` snapshot a clone is converted from."""

    id: str
    volume_id: str
    volume_size: int
    display_name: str
