"""The narration's words for RBD (Ceph) backends, beside :mod:`.phrases`' LVM/iSCSI rows.

A driver call on a backend that reported ``storage_protocol = ceph`` is told with the
``driver.<call>.ceph`` row when there is one; the ``backend.<op>`` rows tell the
librbd/libvirt commands.  The point they all make: an RBD volume is never exported
nor logged in to -- the client (QEMU, os-brick) talks to the Ceph monitors and OSDs
itself, with the monitors' addresses and a cephx identity from connection_info.
"""

from __future__ import annotations

__all__ = ["EN_CEPH", "VI_CEPH"]

EN_CEPH: dict[str, str] = {
    "setup.pool.ceph": "{host}, AZ {az}, reports backend {pool} (RBD, no pools list: the "
                       "scheduler makes one pool of it): {total} GiB total, {free} GiB free "
                       "from ceph df (MAX AVAIL: raw space below the full ratio divided by "
                       "the pool's replication size), thin provisioning.",
    "driver.create_volume.ceph": "The RBD driver creates an RBD image in the Ceph pool (rbd "
                                 "create): thin, no object exists until something is written.",
    "driver.create_volume_from_snapshot.ceph": "The RBD driver clones the protected snapshot: "
                                               "the new image is a copy-on-write child of it, "
                                               "no data is copied (rbd clone).",
    "driver.create_cloned_volume.ceph": "The RBD driver snapshots the source "
                                        "(<new volume>.clone_snap), protects that snapshot and "
                                        "clones it copy-on-write; once the source's clone chain "
                                        "reaches rbd_max_clone_depth the clone is flattened.",
    "driver.delete_volume.ceph": "The RBD driver removes the image (one that still has clones "
                                 "is only renamed <name>.deleted, for them).",
    "driver.create_snapshot.ceph": "The RBD driver takes an RBD snapshot and protects it, so "
                                   "that volumes can be cloned from it.",
    "driver.delete_snapshot.ceph": "The RBD driver unprotects the snapshot (flattening clones "
                                   "of it first: a snapshot with children cannot be "
                                   "unprotected) and removes it.",
    "driver.extend_volume.ceph": "The RBD driver resizes the image (metadata only: thin).",
    "driver.revert_to_snapshot.ceph": "The RBD driver rolls the image back to the snapshot "
                                      "(every object is rewritten).",
    "driver.validate_connector.ceph": "The RBD driver needs nothing from the connector: no "
                                      "initiator name, no WWPN.",
    "driver.create_export.ceph": "Nothing to export: an RBD volume sits behind no target; "
                                 "clients reach the Ceph OSDs directly.",
    "driver.remove_export.ceph": "Nothing to remove: RBD volumes have no export.",
    "driver.ensure_export.ceph": "Nothing to ensure: RBD volumes have no export.",
    "driver.initialize_connection.ceph": "The RBD driver returns driver_volume_type 'rbd': "
                                         "the Ceph monitors' addresses (ceph mon dump), the "
                                         "pool/image name, the cephx user and the libvirt "
                                         "secret UUID -- where iSCSI returns a target IQN, a "
                                         "portal, a LUN and CHAP credentials.",
    "driver.terminate_connection.ceph": "Nothing to undo on the cluster: the client closes "
                                        "the image itself.",
    "driver.attach_volume.ceph": "The driver is told the volume is attached (nothing to do "
                                 "for RBD).",
    "driver.detach_volume.ceph": "The driver is told the volume is detached (nothing to do "
                                 "for RBD).",
    "deliver.reply.Backup.initialize_connection.ceph": "cinder-backup reads the connection "
                                                       "information (rbd: monitors, pool/image, "
                                                       "cephx user) and opens the volume with "
                                                       "os-brick's RBD connector (librbd): no "
                                                       "iSCSI login.",
    "backend.rbd network disk": "{issuer} logs in nowhere: for driver_volume_type 'rbd' "
                                "libvirt's volume driver writes a network disk (protocol rbd, "
                                "the monitors, the cephx secret) into the guest's definition. "
                                "Unlike iSCSI there is no session and no /dev/sdX on the host.",
    "backend.rbd open": "{issuer} opens the image with librbd: it gets the cluster map from "
                        "the Ceph monitors, then reads and writes the OSDs directly (and is a "
                        "watcher of the image while it has it open).",
    "backend.rbd clone": "A copy-on-write clone: the child image reads the parent snapshot's "
                         "data until it writes its own objects.",
    "backend.rbd flatten": "Flatten: the child copies up the parent's data it does not have "
                           "and no longer depends on the parent snapshot.",
    "backend.rbd import-diff": "Only the extents that changed since the previous backup "
                               "snapshot travel (rbd export-diff | rbd import-diff); the "
                               "destination keeps the same snapshot as its restore point.",
}

VI_CEPH: dict[str, str] = {
    "driver.initialize_connection.ceph": "RBD driver trả lại driver_volume_type 'rbd': địa chỉ "
                                         "các Ceph monitor, tên pool/image, người dùng cephx và "
                                         "UUID của libvirt secret -- thay cho IQN, portal, LUN "
                                         "và CHAP của iSCSI.",
    "driver.create_export.ceph": "Không cần xuất volume: volume RBD không nằm sau target nào; "
                                 "máy khách nói chuyện trực tiếp với các OSD của Ceph.",
    "backend.rbd network disk": "{issuer} không đăng nhập vào đâu cả: với driver_volume_type "
                                "'rbd', libvirt ghi một network disk (giao thức rbd, các "
                                "monitor, secret cephx) vào cấu hình máy ảo. Khác với iSCSI, "
                                "máy chủ không có session và không có /dev/sdX.",
    "backend.rbd open": "{issuer} mở image bằng librbd: lấy bản đồ cụm từ các Ceph monitor, "
                        "rồi đọc ghi trực tiếp với các OSD.",
}
