"""Cinder's ``LVMVolumeDriver`` over the LVM model and an iSCSI target helper.

The methods, their order of commands and their errors follow
``cinder/volume/drivers/lvm.py`` and ``cinder/brick/local_dev/lvm.py``:

* names: volume ``volume-<id>``; snapshot ``snapshot-<id>`` escaped to
  ``_snapshot-<id>`` because LVM reserves names starting ``snapshot``; thin pool
  ``<vg>-pool``; thick clones go through a temporary ``clone-snap-<new id>``.
* sizes go to LVM as ``"<n>g"`` text, as Cinder's ``_sizestr`` writes them;
  capacities come back as ``vgs``/``lvs --unit=g`` text, 2 decimals, and the
  stats keep that rounding.
* ``lvm_type=auto`` resolves at ``check_for_setup_error``: thin when
  ``<vg>-pool`` exists or the VG has no LVs, else thick ("default").  Thin
  then creates the pool at 95% of the VG's free space if it is missing.
* thick deletes zero the LV first (``volume_clear``), snapshots their ``-cow``
  device; a thick origin with snapshots is ``VolumeIsBusy``; thin is never
  cleared and thin origins delete freely.

Each driver method first asks the :class:`~cindersim.backends.faults.FaultPlan`
(so a what-if can fail it the way real Cinder would fail), then runs its
commands; every command charges the shared :class:`Meter` once, the target
helper's included.  The caller sleeps ``meter.take()`` afterwards.

The data plane: :meth:`volume_data` / :meth:`snapshot_data` are the
:class:`~cindersim.backends.lvm.LvData` of this host's LVs, for the volume
manager's own local copies and for tests.  Other hosts (a guest, cinder-backup,
another backend's migration) reach an LV only through an iSCSI session: the
driver registers ``/dev/<vg>/`` with its target host, whose targets' backing
stores then open as the LVs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

import attrs

from ... import errors
from ..blocks import MiB
from ..costs import Meter
from ..faults import FaultPlan
from ..iscsi import DEFAULT_TARGET_PREFIX, IscsiNetwork, TargetHelper, TargetHost
from ..lvm import DEFAULT_VG_NAME, LvData, VolumeGroup, dd_copy, dd_zero, unit_g

__all__ = [
    "AttachmentLike",
    "LVMConfig",
    "LVMVolumeDriver",
    "SnapshotLike",
    "VolumeLike",
]

LvmType = Literal["auto", "thin", "default"]


class VolumeLike(Protocol):
    """What the driver reads from a volume (``db.Volume`` fits).

    The LV name is not read: like Cinder's ``Volume.name`` it is
    ``volume_name_template % id``.
    """

    @property
    def id(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def provider_location(self) -> str | None: ...
    @property
    def provider_auth(self) -> str | None: ...


class SnapshotLike(Protocol):
    """What the driver reads from a snapshot (``db.Snapshot`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def volume_id(self) -> str: ...
    @property
    def volume_size(self) -> int: ...


class AttachmentLike(Protocol):
    """An attachment as ``terminate_connection`` counts them (``db.VolumeAttachment``)."""

    @property
    def attached_host(self) -> str | None: ...


def _check_ratio(_inst: object, _attr: object, value: str) -> None:
    if value == "auto":
        return
    try:
        ok = float(value) >= 1.0
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("max_over_subscription_ratio must be 'auto' or a number >= 1.0, "
                         f"got {value!r}")


def _check_mirrors(_inst: object, _attr: object, value: int) -> None:
    if value != 0:
        raise ValueError("lvm_mirrors: only 0 is modelled (mirrored LVs are not)")


@attrs.frozen(kw_only=True)
class LVMConfig:
    """The backend's ``cinder.conf`` section, option names and defaults as Cinder's.

    ``max_over_subscription_ratio`` is a string option in Cinder (``'20.0'`` or
    ``'auto'``) and the LVM driver reports it as configured.
    """

    volume_backend_name: str | None = None
    volume_group: str = DEFAULT_VG_NAME
    lvm_type: LvmType = attrs.field(default="auto", validator=attrs.validators.in_(
        ("auto", "thin", "default")))
    lvm_mirrors: int = attrs.field(default=0, validator=_check_mirrors)
    target_helper: TargetHelper = attrs.field(default="tgtadm", validator=attrs.validators.in_(
        ("tgtadm", "lioadm")))
    target_protocol: str = attrs.field(default="iscsi", validator=attrs.validators.in_(
        ("iscsi", "iser")))
    target_ip_address: str = "127.0.0.1"
    """``$my_ip`` in Cinder."""
    target_secondary_ip_addresses: tuple[str, ...] = ()
    target_port: int = 3260
    target_prefix: str = DEFAULT_TARGET_PREFIX
    volume_clear: Literal["zero", "none"] = attrs.field(
        default="zero", validator=attrs.validators.in_(("zero", "none")))
    volume_clear_size: int = attrs.field(default=0, validator=[
        attrs.validators.ge(0), attrs.validators.le(1024)])
    """MiB to clear on delete; 0 means the whole volume."""
    reserved_percentage: int = attrs.field(default=0, validator=[
        attrs.validators.ge(0), attrs.validators.le(100)])
    max_over_subscription_ratio: str = attrs.field(default="20.0", converter=str,
                                                   validator=_check_ratio)
    volume_name_template: str = "volume-%s"
    snapshot_name_template: str = "snapshot-%s"


def _escape_snapshot(name: str) -> str:
    """LVM reserves names starting ``snapshot``: Cinder prefixes ``_``."""
    return "_" + name if name.startswith("snapshot") else name


@attrs.frozen
class _TempSnapshot:
    """The ``clone-snap-<id>`` snapshot a thick clone copies from."""

    id: str
    volume_id: str
    volume_size: int
    name: str


class LVMVolumeDriver:
    """``cinder.volume.drivers.lvm.LVMVolumeDriver`` with an iSCSI target helper.

    Args:
        config: the backend's options.
        volume_groups: the VGs present on this host, by name; the one named
            ``config.volume_group`` is used (missing: setup fails as in Cinder).
        meter: charged by every command; the VG must share it.
        rng: the simulation's rng (CHAP credentials, target serials).
        faults: the simulation's fault plan, or None for none.
        hostname: the host name in ``location_info`` (``socket.gethostname()``).
        backend: ``host@backend`` for fault matching; defaults to
            ``<hostname>@<volume_backend_name or LVM>``.
        target: an existing target host, else one is built from *config*.
        network: where the target's portals listen (for initiators).
    """

    VERSION = "3.0.0"

    def __init__(self, config: LVMConfig, *, volume_groups: Mapping[str, VolumeGroup],
                 meter: Meter, rng: random.Random, faults: FaultPlan | None = None,
                 hostname: str = "cinder-volume", backend: str | None = None,
                 target: TargetHost | None = None, network: IscsiNetwork | None = None) -> None:
        self.config = config
        # Both fixed by the (frozen) config: worked out once, not at every create.
        self.pool_name = f"{config.volume_group}-pool"
        self.volume_name: Callable[[str], str] = config.volume_name_template.__mod__
        """A volume's LV name, ``volume_name_template % id`` (Cinder's ``Volume.name``)."""
        self.lvm_type: LvmType = config.lvm_type
        """Resolved at check_for_setup_error (``auto`` becomes ``thin`` or ``default``)."""
        self.backend_name = config.volume_backend_name or "LVM"
        self.hostname = hostname
        self.backend = backend or f"{hostname}@{self.backend_name}"
        self.meter = meter
        self.faults = faults
        self._volume_groups = volume_groups
        self.vg: VolumeGroup | None = None
        self.target = target if target is not None else TargetHost(
            config.target_helper, config.target_ip_address, target_port=config.target_port,
            target_prefix=config.target_prefix, rng=rng, meter=meter,
            secondary_ip_addresses=config.target_secondary_ip_addresses, network=network,
            name=self.backend, target_protocol=config.target_protocol)
        # What tgtd / LIO open for a target's ``backing-store /dev/<vg>/<lv>``: the LV.
        # Initiators reach a volume's blocks only this way (through a session).
        self.target.add_backing_store(f"/dev/{config.volume_group}/", self._open_export)
        self._stats: dict[str, Any] = {}
        self._sparse_copy_volume = False

    # --- names and paths ---------------------------------------------------------
    def snapshot_lv_name(self, snapshot_id: str) -> str:
        return _escape_snapshot(self.config.snapshot_name_template % snapshot_id)

    def local_path(self, lv_name: str) -> str:
        """``/dev/mapper/<vg>-<lv>`` with ``-`` doubled (what dd and os-brick open)."""
        return self._vg().local_path(lv_name)

    def export_path(self, lv_name: str) -> str:
        """``/dev/<vg>/<lv>``: the backing store given to the target."""
        return f"/dev/{self.config.volume_group}/{lv_name}"

    # --- data plane ----------------------------------------------------------------
    def volume_data(self, volume_id: str) -> LvData:
        """What a guest reads and writes through an attachment; what backup reads."""
        return self._vg().data(self.volume_name(volume_id))

    def snapshot_data(self, snapshot_id: str) -> LvData:
        """A snapshot's preserved content (SnapshotInvalidError once a COW overflowed)."""
        return self._vg().data(self.snapshot_lv_name(snapshot_id))

    def _open_export(self, lv_name: str) -> LvData:
        """Open ``/dev/<vg>/<lv_name>`` for the target (ProcessExecutionError: no such LV)."""
        return self._vg().data(lv_name)

    # --- setup ---------------------------------------------------------------------
    def do_setup(self) -> None:
        """Nothing to do before the checks (LVM inherits BaseVD's no-op)."""
        self._fault("do_setup")

    def check_for_setup_error(self) -> None:
        """Find the VG, resolve ``lvm_type=auto``, create the thin pool if needed.

        Raises:
            VolumeBackendAPIException: the VG does not exist, or the pool could
                not be created (LVM's stderr in the message).
        """
        self._fault("check_for_setup_error")
        vg = self._volume_groups.get(self.config.volume_group)
        if vg is None:
            self.meter.charge("lvm", "vgs", self.meter.costs.vg_scan,
                              f"vgs {self.config.volume_group}: not found")
            # brick raises VolumeGroupNotFound; the driver wraps it.
            raise errors.VolumeBackendAPIException(
                data=f"Volume Group {self.config.volume_group} does not exist")
        if vg.meter is not self.meter:
            raise errors.SimulationError("the VG and the driver must share one Meter")
        self.vg = vg
        vg.vgs()
        if self.lvm_type == "auto":
            has_pool = bool(vg.lvs(self.pool_name))
            self.lvm_type = "thin" if has_pool or not vg.lvs() else "default"
        if self.lvm_type == "thin":
            if not vg.lvs(self.pool_name):
                free_g = unit_g(vg.vgs().vg_free)
                try:
                    vg.lvcreate_thin_pool(self.pool_name, f"{free_g * 0.95}g")
                except errors.ProcessExecutionError as exc:
                    raise errors.VolumeBackendAPIException(
                        data=f"Failed to create thin pool, error message was: {exc.stderr}"
                    ) from exc
            self._sparse_copy_volume = True

    # --- volumes ---------------------------------------------------------------------
    def create_volume(self, volume: VolumeLike) -> None:
        """``lvcreate -n volume-<id> <vg> -L <n>g``, or ``-T -V <n>g ... <vg>/<vg>-pool``."""
        if self.faults is not None and self.faults.rules:  # _fault's test, without its frame
            self._fault("create_volume", volume.id)
        vg = self.vg or self._vg()  # (_vg raises when there is none)
        if self.lvm_type == "thin":
            vg.lvcreate_thin(self.volume_name(volume.id), f"{volume.size}g", self.pool_name)
        else:
            vg.lvcreate(self.volume_name(volume.id), f"{volume.size}g")

    def delete_volume(self, volume: VolumeLike) -> bool | None:
        """Remove the LV; a missing one is already gone (returns True).

        Raises:
            VolumeIsBusy: a thick origin with snapshots (``lv_attr`` starts o/O).
        """
        self._fault("delete_volume", volume.id)
        vg = self._vg()
        name = self.volume_name(volume.id)
        if not vg.lvs(name):
            return True
        if self._lv_has_snapshot(name):
            raise errors.VolumeIsBusy(volume_name=name)
        self._delete_lv(name, volume.size, is_snapshot=False)
        return None

    def extend_volume(self, volume: VolumeLike, new_size: int) -> None:
        """``lvextend -L <n>g``; a thick origin with snapshots is deactivated around it.

        If lvextend fails the origin stays deactivated, as in brick.  The target
        is refreshed afterwards (tgt: only while attached).
        """
        self._fault("extend_volume", volume.id)
        self._extend_lv(self.volume_name(volume.id), new_size)
        attached = str(getattr(volume, "attach_status", "")) == "attached"
        self.target.extend_target(self.volume_name(volume.id), attached)

    def create_cloned_volume(self, volume: VolumeLike, src_vref: VolumeLike) -> None:
        """Thin: a thin snapshot of the source (extended if larger).

        Thick: temporary COW snapshot ``clone-snap-<new id>`` of the source, a new
        LV, ``dd`` of the source size, then the temporary snapshot is deleted
        (also when the copy fails).
        """
        self._fault("create_cloned_volume", volume.id, source_volid=src_vref.id)
        vg = self._vg()
        name = self.volume_name(volume.id)
        src_name = self.volume_name(src_vref.id)
        if self.lvm_type == "thin":
            self._create_lv_snapshot(name, src_name)
            if volume.size > src_vref.size:
                self._extend_lv(name, volume.size)
            vg.lvchange(name, activate=True, permanent=True)
            return
        temp = _TempSnapshot(id=f"tmp-snap-{volume.id}", volume_id=src_vref.id,
                             volume_size=src_vref.size, name=f"clone-snap-{volume.id}")
        self._create_lv_snapshot(temp.name, src_name)
        try:
            vg.lvcreate(name, f"{volume.size}g")  # thick (a thin clone returned above)
            vg.lvchange(temp.name, activate=True)
            dd_copy(vg, temp.name, name, src_vref.size * 1024 * MiB,
                    sparse=self._sparse_copy_volume)
        finally:
            if vg.lvs(temp.name):
                self._delete_lv(temp.name, temp.volume_size, is_snapshot=True)

    def create_volume_from_snapshot(self, volume: VolumeLike, snapshot: SnapshotLike) -> None:
        """Thin: a thin snapshot of the snapshot, extended if larger, activated with ``-k n``.

        Thick: a new LV and a ``dd`` of ``snapshot.volume_size`` GiB from the
        snapshot (an invalidated snapshot fails the dd with EIO).
        """
        self._fault("create_volume_from_snapshot", volume.id, snapshot_id=snapshot.id)
        vg = self._vg()
        name = self.volume_name(volume.id)
        snap_lv = self.snapshot_lv_name(snapshot.id)
        if self.lvm_type == "thin":
            self._create_lv_snapshot(name, snap_lv)
            if volume.size > snapshot.volume_size:
                self._extend_lv(name, volume.size)
            vg.lvchange(snap_lv, activate=True)
            vg.lvchange(name, activate=True, permanent=True)
            return
        vg.lvcreate(name, f"{volume.size}g")  # thick (a thin one returned above)
        vg.lvchange(snap_lv, activate=True)
        dd_copy(vg, snap_lv, name, snapshot.volume_size * 1024 * MiB,
                sparse=self._sparse_copy_volume)

    def revert_to_snapshot(self, volume: VolumeLike, snapshot: SnapshotLike) -> None:
        """Thick: ``lvconvert --merge``, re-activate, re-create the snapshot.

        Raises:
            NotImplementedError: thin (the manager then uses its generic copy).
        """
        self._fault("revert_to_snapshot", volume.id, snapshot_id=snapshot.id)
        if self.lvm_type == "thin":
            raise NotImplementedError("Revert volume to snapshot not implemented for thin LVM.")
        vg = self._vg()
        name = self.volume_name(volume.id)
        vg.lvconvert_merge(self.snapshot_lv_name(snapshot.id))
        vg.lvchange(name, activate=False)
        vg.lvchange(name, activate=True)
        self._create_lv_snapshot(self.snapshot_lv_name(snapshot.id), name)

    # --- snapshots -------------------------------------------------------------------
    def create_snapshot(self, snapshot: SnapshotLike) -> None:
        """``lvcreate --name _snapshot-<id> --snapshot <vg>/volume-<vid> [-L <size>g]``."""
        self._fault("create_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        self._create_lv_snapshot(self.snapshot_lv_name(snapshot.id),
                                 self.volume_name(snapshot.volume_id))

    def delete_snapshot(self, snapshot: SnapshotLike) -> bool | None:
        """Missing: warn and succeed.  Thick: zero the ``-cow`` device, then lvremove."""
        self._fault("delete_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        name = self.snapshot_lv_name(snapshot.id)
        if not self._vg().lvs(name):
            return True
        self._delete_lv(name, snapshot.volume_size, is_snapshot=True)
        return None

    # --- export and connections ---------------------------------------------------------
    def create_export(self, volume: VolumeLike,
                      connector: Mapping[str, Any] | None = None) -> dict[str, str]:
        """Export ``/dev/<vg>/volume-<id>``; returns the model update for the DB."""
        self._fault("create_export", volume.id)
        name = self.volume_name(volume.id)
        info = self.target.create_export(volume.id, name, self.export_path(name),
                                         volume.provider_auth)
        return {"provider_location": info["location"], "provider_auth": info["auth"]}

    def ensure_export(self, volume: VolumeLike) -> None:
        self._fault("ensure_export", volume.id)
        name = self.volume_name(volume.id)
        self.target.ensure_export(volume.id, name, self.export_path(name), volume.provider_auth)

    def remove_export(self, volume: VolumeLike) -> None:
        self._fault("remove_export", volume.id)
        self.target.remove_export(volume.id, self.volume_name(volume.id),
                                  volume.provider_location)

    def validate_connector(self, connector: Mapping[str, Any]) -> bool:
        """The connector needs ``initiator`` (else InvalidConnectorException)."""
        return self.target.validate_connector(connector)

    def initialize_connection(self, volume: VolumeLike,
                              connector: Mapping[str, Any]) -> dict[str, Any]:
        """``{'driver_volume_type': 'iscsi', 'data': {...}}`` as the target helper builds it."""
        self._fault("initialize_connection", volume.id)
        return self.target.initialize_connection(self._target_view(volume), connector)

    def terminate_connection(self, volume: VolumeLike, connector: Mapping[str, Any] | None,
                             attachments: Sequence[AttachmentLike] = ()) -> bool:
        """Drop the initiator's access; True means "keep the export" (other attachments).

        A multiattach volume with another attachment on the same host skips the
        target call, so that host keeps its LIO ACL.
        """
        self._fault("terminate_connection", volume.id)
        if (getattr(volume, "multiattach", False) and connector is not None and sum(
                1 for a in attachments if a.attached_host == connector.get("host")) > 1):
            return True
        if connector is not None:
            self.target.terminate_connection(self._target_view(volume), connector)
        return len(attachments) > 1

    # --- stats ----------------------------------------------------------------------------
    def get_volume_stats(self, refresh: bool = False) -> dict[str, Any]:
        """The capability report; with *refresh* it re-reads ``vgs``/``lvs`` first."""
        if refresh or not self._stats:
            self._fault("get_volume_stats")
            self._update_volume_stats()
        return self._stats

    def _update_volume_stats(self) -> None:
        vg = self._vg()
        report = vg.vgs()
        vg_size, vg_free = unit_g(report.vg_size), unit_g(report.vg_free)
        if self.lvm_type == "thin":
            # update_volume_group_info: every LV's printed size; the pool's own
            # size and data_percent come from a second lvs on the pool.
            _, total, provisioned = vg.lvs_totals()
            provisioned = round(provisioned, 2)
            free = 0.0
            pool_rows = vg.lvs(self.pool_name)
            if pool_rows:
                size = unit_g(pool_rows[0].lv_size)
                pct = pool_rows[0].data_percent or 0.0
                free = round(size - size / 100 * pct, 2)
        else:
            total, free = vg_size, vg_free
            provisioned = round(total - free, 2)
        thin = self.lvm_type == "thin"
        # get_volumes(): one more lvs; nothing changed since vgs counted the LVs.
        vg.charge_lvs()
        total_volumes = report.lv_count
        pool = {
            "pool_name": self.backend_name,
            "total_capacity_gb": total,
            "free_capacity_gb": free,
            "reserved_percentage": self.config.reserved_percentage,
            "location_info": (f"LVMVolumeDriver:{self.hostname}:{self.config.volume_group}"
                              f":{self.lvm_type}:{self.config.lvm_mirrors}"),
            "QoS_support": False,
            "provisioned_capacity_gb": provisioned,
            "max_over_subscription_ratio": self.config.max_over_subscription_ratio,
            "thin_provisioning_support": thin,
            "thick_provisioning_support": not thin,
            "total_volumes": total_volumes,
            "filter_function": None,
            "goodness_function": None,
            "multiattach": True,
            "backend_state": "up",
        }
        self._stats = {
            "volume_backend_name": self.backend_name,
            "vendor_name": "Open Source",
            "driver_version": self.VERSION,
            "storage_protocol": "iSER" if self.config.target_protocol == "iser" else "iSCSI",
            "pools": [pool],
            "shared_targets": False,
            "sparse_copy_volume": self._sparse_copy_volume,
        }

    # --- internals ------------------------------------------------------------------------
    def _vg(self) -> VolumeGroup:
        if self.vg is None:
            raise errors.VolumeBackendAPIException(
                data=f"driver for {self.backend} is not initialised (no volume group)")
        return self.vg

    def _fault(self, op: str, volume_id: str | None = None, **ctx: Any) -> None:
        """Let an injected fault rule fire for this driver call (with no rules in
        force, almost every call of a large run, nothing is even looked up)."""
        faults = self.faults
        if faults is not None and faults.rules:
            faults.check(op, backend=self.backend, volume_id=volume_id, **ctx)

    def _target_view(self, volume: VolumeLike) -> dict[str, Any]:
        return {"id": volume.id, "name": self.volume_name(volume.id),
                "provider_location": volume.provider_location,
                "provider_auth": volume.provider_auth,
                "encryption_key_id": getattr(volume, "encryption_key_id", None) or (
                    "fixed-key" if getattr(volume, "encrypted", False) else None)}

    def _create_lv_snapshot(self, name: str, source: str) -> None:
        """brick ``create_lv_snapshot``: look the source up, then lvcreate.

        The call is wrapped in ``utils.retry(ProcessExecutionError)``: three
        attempts, 1 s then 2 s apart, so a snapshot that cannot be made (no
        space) costs three lvcreates and 3 s of waiting before it fails.
        """
        vg = self._vg()
        rows = vg.lvs(source)
        if not rows:
            raise errors.VolumeDeviceNotFound(device=source)
        size = None if self.lvm_type == "thin" else f"{unit_g(rows[0].lv_size)}g"
        for attempt in range(3):
            try:
                vg.lvcreate_snapshot(name, source, size)
                return
            except errors.ProcessExecutionError:
                if attempt == 2:
                    raise
                wait = float(2 ** attempt)
                self.meter.charge("lvm", "retry", wait,
                                  f"create_lv_snapshot {name} failed, retrying in {wait:g}s",
                                  lv=name, attempt=attempt + 1)

    def _lv_has_snapshot(self, name: str) -> bool:
        rows = self._vg().lvs(name)
        return bool(rows) and rows[0].lv_attr[0] in "oO"

    def _extend_lv(self, name: str, new_size_gb: int) -> None:
        vg = self._vg()
        has_snapshot = self._lv_has_snapshot(name)
        if has_snapshot:
            vg.lvchange(name, activate=False)
        vg.lvextend(name, f"{new_size_gb}g")
        if has_snapshot:
            vg.lvchange(name, activate=True)

    def _delete_lv(self, name: str, size_gb: int, *, is_snapshot: bool) -> None:
        """``_delete_volume``: clear (thick only), then ``lvremove -f``."""
        vg = self._vg()
        if self.config.volume_clear != "none" and self.lvm_type != "thin":
            size_mb = size_gb * 1024
            clear_mb = self.config.volume_clear_size
            if clear_mb == 0 or clear_mb > size_mb:
                clear_mb = size_mb
            dd_zero(vg, name, clear_mb * MiB, cow=is_snapshot)
        vg.lvremove(name)

    # --- manage / unmanage (added for the manage-existing API; cinder/volume/drivers/lvm.py)
    def manage_existing_object_get_size(self, existing_ref: Mapping[str, Any],
                                        object_type: str) -> int:
        """The LV's size in GiB, rounded up (``lvs --units g``).

        Raises:
            ManageExistingInvalidReference: no ``source-name``, or no such LV.
        """
        if "source-name" not in existing_ref:
            raise ManageExistingInvalidReference(
                existing_ref=dict(existing_ref),
                reason="Reference must contain source-name element.")
        lv_name = str(existing_ref["source-name"])
        vg = self._vg()
        reports = vg.lvs(lv_name)
        if not reports:
            raise ManageExistingInvalidReference(
                existing_ref=lv_name, reason="Specified logical volume does not exist.")
        return math.ceil(reports[0].lv_size / (1024 * MiB))

    def manage_existing(self, volume: VolumeLike, existing_ref: Mapping[str, Any],
                        *, already_managed: Callable[[str], bool]) -> None:
        """Rename the LV to the volume's name (``lvrename``).

        *already_managed* is ``check_already_managed_volume``: whether the id in an
        LV named like a Cinder volume is a live volume row.
        """
        self.rename_lv(str(existing_ref["source-name"]), self.volume_name(volume.id),
                       already_managed=already_managed)

    def manage_existing_snapshot(self, snapshot: SnapshotLike,
                                 existing_ref: Mapping[str, Any] | str, *,
                                 already_managed: Callable[[str], bool]) -> None:
        """Rename the LV to the snapshot's (escaped) name."""
        ref = existing_ref if isinstance(existing_ref, Mapping) else {
            "source-name": existing_ref}
        self.rename_lv(str(ref["source-name"]), self.snapshot_lv_name(snapshot.id),
                       already_managed=already_managed)

    def rename_lv(self, old: str, new: str, *, already_managed: Callable[[str], bool]) -> None:
        """``lvrename <vg> <old> <new>`` (brick's ``rename_volume``)."""
        vg = self._vg()
        vg.lvs(old)  # brick's get_volume: one lvs
        vol_id = _id_from_name(self.config.volume_name_template, old)
        if vol_id is not None and already_managed(vol_id):
            raise ManageExistingAlreadyManaged(volume_ref=old)
        if old == new:
            return
        # The VG has no lvrename: the LV record is renamed here.
        lvs = vg._lvs
        cmd = f"lvrename {vg.name} {old} {new}"
        if old not in lvs or new in lvs:
            stderr = (f'Logical Volume "{new}" already exists in volume group "{vg.name}"'
                      if new in lvs else f'Existing logical volume "{old}" not found in '
                                         f'volume group "{vg.name}"')
            self.meter.charge("lvm", "lvrename", self.meter.costs.lvchange, f"{cmd}: {stderr}",
                              error=stderr)
            raise errors.VolumeBackendAPIException(
                data=f"Failed to rename logical volume {old}, error message was: {stderr}")
        self.meter.charge("lvm", "lvrename", self.meter.costs.lvchange, cmd)
        lv = lvs.pop(old)
        lv.name = new
        lvs[new] = lv
        for other in lvs.values():
            if other.origin == old:
                other.origin = new
            other.snapshots = [new if s == old else s for s in other.snapshots]

    def unmanage(self, volume: VolumeLike) -> None:
        """LVM leaves the LV where it is (BaseVD's no-op)."""
        self._fault("unmanage", volume.id)

    def unmanage_snapshot(self, snapshot: SnapshotLike) -> None:
        """VolumeDriver's no-op: the snapshot LV stays."""

    def get_manageable(self, cinder_ids: Sequence[str], resource_type: str) -> list[dict[str, Any]]:
        """``_get_manageable_resource_info`` before pagination: one entry per LV of
        the kind (brick's ``lv_is_snapshot`` reads ``lv_attr[0] == 's'``, so thin
        snapshots are listed as volumes and the thin pool is listed too)."""
        vg = self._vg()
        entries: list[dict[str, Any]] = []
        for report in vg.lvs():
            name = report.lv_name
            is_snap = report.lv_attr.startswith("s")
            if (resource_type == "volume") == is_snap:
                continue
            if resource_type == "volume":
                potential = _id_from_name(self.config.volume_name_template, name)
            else:
                potential = _id_from_name(self.config.snapshot_name_template,
                                          name[1:] if name.startswith("_snapshot") else name)
            info: dict[str, Any] = {"reference": {"source-name": name},
                                    "size": math.ceil(report.lv_size / (1024 * MiB)),
                                    "cinder_id": None, "extra_info": None}
            if potential is not None and potential in cinder_ids:
                info.update(safe_to_manage=False, reason_not_safe="already managed",
                            cinder_id=potential)
            elif self._lv_is_open(name):
                info.update(safe_to_manage=False, reason_not_safe=f"{resource_type} in use")
            else:
                info.update(safe_to_manage=True, reason_not_safe=None)
            if resource_type == "snapshot":
                info["source_reference"] = {"source-name": report.origin}
            entries.append(info)
        return entries

    def _lv_is_open(self, lv_name: str) -> bool:
        """An LV tgtd exports is held open (``lv_attr`` 'o'); so is a pool with thin LVs."""
        vg = self._vg()
        report = vg.lv_report(lv_name)
        if report.lv_attr.startswith("t"):
            return any(r.pool_lv == lv_name for r in vg.lv_reports())
        return self.target.target(self.target.iqn_for(lv_name)) is not None


def _id_from_name(template: str, name: str) -> str | None:
    """``extract_id_from_volume_name`` / ``extract_id_from_snapshot_name``."""
    prefix, _, suffix = template.partition("%s")
    if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix + suffix):
        return name[len(prefix):len(name) - len(suffix)] if suffix else name[len(prefix):]
    return None


class ManageExistingInvalidReference(errors.CinderException):
    message = ("Manage existing volume failed due to invalid backend reference "
               "%(existing_ref)s: %(reason)s")


class ManageExistingAlreadyManaged(errors.CinderException):
    message = "Unable to manage existing volume. Volume %(volume_ref)s already managed."
