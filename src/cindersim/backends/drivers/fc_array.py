"""A Fibre Channel array driver (``cindersim.volume.drivers.fc_array.FcArrayDriver``).

Not a Cinder class: Cinder's FC drivers all talk to a vendor's array, and its
LVM driver cannot export over FC (no FC ``target_helper``).  This driver is
shaped like them (``driver.FibreChannelDriver``):

* ``validate_connector`` needs ``wwpns`` (``InvalidConnectorException``);
* ``create_export``/``remove_export`` do nothing: the array's LUN mapping is
  the export, made in ``initialize_connection``;
* ``initialize_connection`` finds or creates the host object for the
  connector's WWPNs, maps the LUN at a free host LUN id and answers
  ``driver_volume_type = 'fibre_channel'`` with ``target_discovered``,
  ``target_wwn`` (the array's ports), ``target_lun`` and
  ``initiator_target_map``, then calls ``fczm_utils.add_fc_zone``;
* ``terminate_connection`` unmaps the LUN; only when the host has no other LUN
  mapped does it return the ``initiator_target_map`` and call
  ``remove_fc_zone`` (vendors' drivers do this so that a zone still used by
  another attachment of the same host stays);
* snapshots and clones are array-side copies on the thin pool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ... import errors
from ..blocks import BLOCK_SIZE, BlockData
from ..costs import Meter
from ..faults import FaultPlan
from ..fc import FcArray, FcFabric, ZoneManager
from . import fc_manage
from .lvm import AttachmentLike, SnapshotLike, VolumeLike

__all__ = ["FC_DRIVER", "FcArrayConfig", "FcArrayDriver"]

FC_DRIVER = "cindersim.volume.drivers.fc_array.FcArrayDriver"
ARRAY_CALL_SECONDS = 0.15
"""One REST call to the array's management interface (create, map, unmap ...)."""


@attrs.frozen(kw_only=True)
class FcArrayConfig:
    volume_backend_name: str | None = None
    reserved_percentage: int = 0
    max_over_subscription_ratio: str = "20.0"
    zoning_mode: str | None = None
    capacity_gb: int = 100
    """Simulated hardware: the array pool's usable size."""
    volume_name_template: str = "volume-%s"


class FcArrayDriver:
    """The FC array driver (see the module notes)."""

    VERSION = "1.0.0"
    driver_volume_type = "fibre_channel"
    lvm_type = "fc-array"
    """Not LVM: code that branches on LVM's thin/thick sees neither."""

    def __init__(self, config: FcArrayConfig, *, fabric: FcFabric, array: FcArray,
                 meter: Meter, faults: FaultPlan | None = None,
                 hostname: str = "cinder-volume", backend: str | None = None) -> None:
        self.config = config
        self.backend_name = config.volume_backend_name or "FC_Array"
        self.hostname = hostname
        self.backend = backend or f"{hostname}@{self.backend_name}"
        self.meter = meter
        self.faults = faults
        self.fabric = fabric
        self.array = array
        fabric.cable_array(array)
        self.zone_manager = (ZoneManager(fabric, meter, host=hostname)
                             if config.zoning_mode == "fabric" else None)
        self._stats: dict[str, Any] = {}

    def volume_name(self, volume_id: str) -> str:
        return self.config.volume_name_template % volume_id

    def _snap_name(self, snapshot_id: str) -> str:
        return f"snapshot-{snapshot_id}"

    # --- setup / data plane --------------------------------------------------------------
    def do_setup(self) -> None:
        self._fault("do_setup")

    def check_for_setup_error(self) -> None:
        self._fault("check_for_setup_error")

    def volume_data(self, volume_id: str) -> BlockData:
        return self.array.lun(self.volume_name(volume_id)).data

    def snapshot_data(self, snapshot_id: str) -> BlockData:
        snap = self.array.snapshots.get(self._snap_name(snapshot_id))
        if snap is None:
            raise errors.VolumeDeviceNotFound(device=self._snap_name(snapshot_id))
        return snap

    # --- volumes ----------------------------------------------------------------------------
    def create_volume(self, volume: VolumeLike) -> None:
        self._fault("create_volume", volume.id)
        self._call("create volume", f"create LUN {self.volume_name(volume.id)} "
                   f"({volume.size} GiB, thin)", volume_id=volume.id)
        self.array.create_lun(self.volume_name(volume.id), volume.size)

    def delete_volume(self, volume: VolumeLike) -> None:
        self._fault("delete_volume", volume.id)
        name = self.volume_name(volume.id)
        if name in self.array.luns:
            self._call("delete volume", f"delete LUN {name}", volume_id=volume.id)
            self.array.delete_lun(name)

    def extend_volume(self, volume: VolumeLike, new_size: int) -> None:
        self._fault("extend_volume", volume.id)
        self._call("extend volume", f"extend LUN {self.volume_name(volume.id)} to "
                   f"{new_size} GiB", volume_id=volume.id)
        self.array.extend_lun(self.volume_name(volume.id), new_size)

    def _copy(self, volume: VolumeLike, source: BlockData, what: str) -> None:
        nbytes = source.written() * BLOCK_SIZE
        self._call("copy", f"array-side copy of {what} into LUN {self.volume_name(volume.id)} "
                   f"({nbytes} bytes)", extra=self.meter.costs.transfer(
                       nbytes, self.meter.costs.copy_bandwidth), volume_id=volume.id,
                   bytes=nbytes)
        self.array.create_lun(self.volume_name(volume.id), volume.size, source)

    def create_cloned_volume(self, volume: VolumeLike, src_vref: VolumeLike) -> None:
        self._fault("create_cloned_volume", volume.id, source_volid=src_vref.id)
        self._copy(volume, self.volume_data(src_vref.id), self.volume_name(src_vref.id))

    def create_volume_from_snapshot(self, volume: VolumeLike, snapshot: SnapshotLike) -> None:
        self._fault("create_volume_from_snapshot", volume.id, snapshot_id=snapshot.id)
        self._copy(volume, self.snapshot_data(snapshot.id), self._snap_name(snapshot.id))

    def create_snapshot(self, snapshot: SnapshotLike) -> None:
        self._fault("create_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        self._call("create snapshot", f"snapshot {self._snap_name(snapshot.id)} of LUN "
                   f"{self.volume_name(snapshot.volume_id)}", volume_id=snapshot.volume_id)
        self.array.snapshots[self._snap_name(snapshot.id)] = \
            self.volume_data(snapshot.volume_id).copy()
        self.array.snapshot_sources[self._snap_name(snapshot.id)] = \
            self.volume_name(snapshot.volume_id)

    def delete_snapshot(self, snapshot: SnapshotLike) -> None:
        self._fault("delete_snapshot", snapshot.volume_id, snapshot_id=snapshot.id)
        self.array.snapshot_sources.pop(self._snap_name(snapshot.id), None)
        if self.array.snapshots.pop(self._snap_name(snapshot.id), None) is not None:
            self._call("delete snapshot", f"delete snapshot {self._snap_name(snapshot.id)}",
                       volume_id=snapshot.volume_id)

    def revert_to_snapshot(self, volume: VolumeLike, snapshot: SnapshotLike) -> None:
        self._fault("revert_to_snapshot", volume.id, snapshot_id=snapshot.id)
        self._call("revert", f"restore LUN {self.volume_name(volume.id)} from "
                   f"{self._snap_name(snapshot.id)}", volume_id=volume.id)
        self.volume_data(volume.id).copy_from(self.snapshot_data(snapshot.id))

    def update_migrated_volume(self, volume_id: str, new_volume_id: str) -> None:
        """Rename the migrated LUN to the volume's own name on the array."""
        fc_manage.rename_lun(self, self.volume_name(new_volume_id),
                             self.volume_name(volume_id), volume_id=volume_id)

    # --- manage / unmanage (fc_manage.py) ---------------------------------------------------
    def manage_existing_object_get_size(self, existing_ref: Mapping[str, Any],
                                        object_type: str) -> int:
        return fc_manage.manage_existing_object_get_size(self, existing_ref, object_type)

    def manage_existing(self, volume: VolumeLike, existing_ref: Mapping[str, Any], *,
                        already_managed: Callable[[str], bool]) -> None:
        fc_manage.manage_existing(self, volume, existing_ref, already_managed=already_managed)

    def manage_existing_snapshot(self, snapshot: SnapshotLike,
                                 existing_ref: Mapping[str, Any] | str, *,
                                 already_managed: Callable[[str], bool]) -> None:
        fc_manage.manage_existing_snapshot(self, snapshot, existing_ref,
                                           already_managed=already_managed)

    def unmanage(self, volume: VolumeLike) -> None:
        """The LUN stays on the array (VolumeDriver's no-op)."""
        self._fault("unmanage", volume.id)

    def unmanage_snapshot(self, snapshot: SnapshotLike) -> None:
        """The array snapshot stays."""

    def get_manageable(self, cinder_ids: Sequence[str], resource_type: str) -> list[dict[str, Any]]:
        return fc_manage.get_manageable(self, cinder_ids, resource_type)

    # --- export and connections ----------------------------------------------------------
    def create_export(self, volume: VolumeLike,
                      connector: Mapping[str, Any] | None = None) -> None:
        self._fault("create_export", volume.id)

    def ensure_export(self, volume: VolumeLike) -> None:
        self._fault("ensure_export", volume.id)

    def remove_export(self, volume: VolumeLike) -> None:
        self._fault("remove_export", volume.id)

    def validate_connector(self, connector: Mapping[str, Any]) -> bool:
        """``FibreChannelDriver.validate_connector``: the connector needs ``wwpns``."""
        if not connector.get("wwpns"):
            raise errors.InvalidConnectorException(missing="wwpns")
        return True

    def _itmap(self, wwpns: Sequence[str]) -> dict[str, list[str]]:
        """The lookup service's answer: each initiator with every array port on its fabric."""
        targets = [t for t in self.array.target_wwpns if self.fabric.logged_in(t)]
        return {w: list(targets) for w in wwpns if self.fabric.logged_in(w)}

    def initialize_connection(self, volume: VolumeLike,
                              connector: Mapping[str, Any]) -> dict[str, Any]:
        self._fault("initialize_connection", volume.id)
        wwpns = tuple(str(w) for w in connector.get("wwpns") or ())
        host = self.array.host_for(str(connector.get("host") or wwpns[0]), wwpns)
        name = self.volume_name(volume.id)
        lun_id = self.array.map_lun(host, name)
        self._call("map", f"map LUN {name} to host {host.name} at LUN {lun_id}",
                   volume_id=volume.id, array_host=host.name, lun=lun_id)
        conn = {"driver_volume_type": "fibre_channel",
                "data": {"target_discovered": True, "target_lun": lun_id,
                         "target_wwn": list(self.array.target_wwpns),
                         "initiator_target_map": self._itmap(wwpns),
                         "volume_id": volume.id}}
        if self.zone_manager is not None:  # fczm_utils.add_fc_zone(conn)
            self.zone_manager.add_connection(conn)
        return conn

    def terminate_connection(self, volume: VolumeLike, connector: Mapping[str, Any] | None,
                             attachments: Sequence[AttachmentLike] = ()) -> bool:
        self._fault("terminate_connection", volume.id)
        if connector is None:
            return len(attachments) > 1
        wwpns = tuple(str(w) for w in connector.get("wwpns") or ())
        same_host = sum(1 for a in attachments if a.attached_host == connector.get("host"))
        if getattr(volume, "multiattach", False) and same_host > 1:
            return True
        host = self.array.find_host(wwpns) if wwpns else None
        name = self.volume_name(volume.id)
        if host is not None and self.array.unmap_lun(host, name):
            self._call("unmap", f"unmap LUN {name} from host {host.name}",
                       volume_id=volume.id, array_host=host.name)
        data: dict[str, Any] = {}
        if host is not None and not host.luns:
            # The host has no LUN left: its zones can go (remove_fc_zone).
            data = {"target_wwn": list(self.array.target_wwpns),
                    "initiator_target_map": self._itmap(wwpns)}
            if self.zone_manager is not None:
                self.zone_manager.delete_connection(
                    {"driver_volume_type": "fibre_channel", "data": data})
        return len(attachments) > 1

    # --- stats ----------------------------------------------------------------------------
    thin_provisioning = True
    """The array's pool is thin: a LUN takes space as it is written."""

    def capacity_gb(self) -> tuple[float, float, float]:
        """``(total, free, provisioned)`` GiB as :meth:`get_volume_stats` reports them,
        read without an array call (the metrics sampler: nothing charged)."""
        total = float(self.config.capacity_gb)
        return (total, round(total - self.array.used_gb(), 2),
                float(self.array.provisioned_gb()))

    def get_volume_stats(self, refresh: bool = False) -> dict[str, Any]:
        if refresh or not self._stats:
            self._fault("get_volume_stats")
            total, free, provisioned = self.capacity_gb()
            pool = {
                "pool_name": self.backend_name,
                "total_capacity_gb": total,
                "free_capacity_gb": free,
                "provisioned_capacity_gb": provisioned,
                "reserved_percentage": self.config.reserved_percentage,
                "max_over_subscription_ratio": self.config.max_over_subscription_ratio,
                "thin_provisioning_support": True,
                "thick_provisioning_support": False,
                "QoS_support": False,
                "multiattach": True,
                "backend_state": "up",
            }
            self._stats = {"volume_backend_name": self.backend_name,
                           "vendor_name": "cindersim", "driver_version": self.VERSION,
                           "storage_protocol": "FC", "pools": [pool]}
        return self._stats

    # --- internals ------------------------------------------------------------------------
    def _call(self, op: str, summary: str, *, extra: float = 0.0, **detail: Any) -> None:
        self.meter.charge("fc-array", op, ARRAY_CALL_SECONDS + extra,
                          f"{self.array.name}: {summary}", **detail)

    def _fault(self, op: str, volume_id: str | None = None, **ctx: Any) -> None:
        faults = self.faults
        if faults is not None and faults.rules:
            faults.check(op, backend=self.backend, volume_id=volume_id, **ctx)
