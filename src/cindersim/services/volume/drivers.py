"""Which driver a backend section runs: ``volume_driver`` as cinder.conf names it.

``LVMVolumeDriver`` is built by the manager itself (its VG and target host are
the manager's collaborators); this module builds the others:
``cinder.volume.drivers.nfs.NfsDriver`` over the cloud's NFS servers and
``cindersim.volume.drivers.fc_array.FcArrayDriver`` (an FC array on the
cloud's fabric, zoned by the FC Zone Manager when ``zoning_mode = fabric``).
An unknown ``volume_driver`` never gets here: the configuration refuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ...backends.connectors import VolumeConnector
from ...backends.drivers.fc_array import FcArrayConfig, FcArrayDriver
from ...backends.drivers.nfs import NfsConfig, NfsDriver
from ...backends.drivers.rbd import RBDConfig, RBDDriver
from ...backends.fc import FcArray
from ...config import FC_DRIVER, NFS_DRIVER, BackendConfig

if TYPE_CHECKING:
    from ...backends.ceph import CephNetwork
    from ...backends.costs import Meter
    from ...backends.drivers import LVMVolumeDriver
    from ..env import ServiceEnv

__all__ = ["build_driver", "build_rbd_driver", "host_connector"]


def _wwpn(serial: int, port: int) -> str:
    return f"50060160{serial:06x}{port:02x}"


def build_driver(env: ServiceEnv, backend: BackendConfig, meter: Meter
                 ) -> LVMVolumeDriver | None:
    """The NFS or FC driver for *backend*, or None for LVM (the manager builds that).

    The result is typed as the LVM driver because the manager's flows call the
    methods every driver has (create/delete/extend/snapshot/clone/export/
    connection/stats/``volume_data``); LVM-only paths (migration's ``lvrename``,
    manage-existing) are LVM's alone.
    """
    opts = backend.options
    kind = opts["volume_driver"]
    storage = env.storage
    if any(b.options["volume_driver"] == FC_DRIVER for b in env.config.backends):
        storage.fc_cabled = True  # the cloud has a SAN: every host gets HBAs
    ratio = str(opts["max_over_subscription_ratio"])
    driver: Any
    if kind == NFS_DRIVER:
        driver = NfsDriver(
            NfsConfig(volume_backend_name=backend.backend_name,
                      nfs_shares=tuple(opts["nfs_shares"] or ()),
                      nfs_shares_config=opts["nfs_shares_config"],
                      nfs_sparsed_volumes=opts["nfs_sparsed_volumes"],
                      nfs_qcow2_volumes=opts["nfs_qcow2_volumes"],
                      nfs_mount_point_base=opts["nfs_mount_point_base"],
                      nfs_mount_options=opts["nfs_mount_options"],
                      nfs_mount_attempts=opts["nfs_mount_attempts"],
                      nfs_snapshot_support=opts["nfs_snapshot_support"],
                      reserved_percentage=opts["reserved_percentage"],
                      max_over_subscription_ratio=ratio,
                      share_size_gb=opts["nfs_share_size_gb"]),
            exports=storage.nfs, meter=meter, faults=env.faults, hostname=opts["host"],
            backend=backend.service_host, volume_lookup=env.db.volumes.get,
            attachments_of=env.db.attachments_of)
    elif kind == FC_DRIVER:
        serial = len(storage.fc.arrays()) + 1
        array = FcArray(f"array-{backend.name}", (_wwpn(serial, 0), _wwpn(serial, 1)),
                        opts["fc_array_size_gb"], serial)
        driver = FcArrayDriver(
            FcArrayConfig(volume_backend_name=backend.backend_name,
                          reserved_percentage=opts["reserved_percentage"],
                          max_over_subscription_ratio=ratio,
                          zoning_mode=env.config.default["zoning_mode"],
                          capacity_gb=opts["fc_array_size_gb"]),
            fabric=storage.fc, array=array, meter=meter, faults=env.faults,
            hostname=opts["host"], backend=backend.service_host)
    else:
        return None
    return cast("LVMVolumeDriver", driver)


def host_connector(env: ServiceEnv, host: str, meter: Meter, *,
                   mount_point_base: str = "/var/lib/cinder/mnt") -> VolumeConnector:
    """The NFS/FC connectors of a Cinder host (cinder-volume's migrations, cinder-backup)."""
    if any(b.options["volume_driver"] == FC_DRIVER for b in env.config.backends):
        env.storage.fc_cabled = True
    return VolumeConnector(host, env.storage, meter, mount_point_base=mount_point_base)


def build_rbd_driver(env: ServiceEnv, backend: BackendConfig, meter: Meter,
                     ceph: CephNetwork) -> RBDDriver:
    """``volume_driver = cinder.volume.drivers.rbd.RBDDriver``: the backend's cluster is
    the one its ``rbd_ceph_conf`` names (created by the first backend naming it)."""
    opts = backend.options
    return RBDDriver(
        RBDConfig(volume_backend_name=backend.backend_name,
                  rbd_cluster_name=opts["rbd_cluster_name"], rbd_pool=opts["rbd_pool"],
                  rbd_user=opts["rbd_user"], rbd_ceph_conf=opts["rbd_ceph_conf"],
                  rbd_flatten_volume_from_snapshot=opts["rbd_flatten_volume_from_snapshot"],
                  rbd_secret_uuid=opts["rbd_secret_uuid"],
                  rbd_max_clone_depth=opts["rbd_max_clone_depth"],
                  rbd_store_chunk_size=opts["rbd_store_chunk_size"],
                  rados_connection_retries=opts["rados_connection_retries"],
                  rados_connection_interval=opts["rados_connection_interval"],
                  report_dynamic_total_capacity=opts["report_dynamic_total_capacity"],
                  rbd_exclusive_cinder_pool=opts["rbd_exclusive_cinder_pool"],
                  reserved_percentage=opts["reserved_percentage"],
                  max_over_subscription_ratio=opts["max_over_subscription_ratio"],
                  report_discard_supported=opts["report_discard_supported"]),
        network=ceph, meter=meter,
        faults=env.faults, hostname=opts["host"], backend=backend.service_host,
        osds=opts["ceph_osds"], osd_size_gb=opts["ceph_osd_size_gb"],
        pool_size=opts["ceph_pool_size"])
