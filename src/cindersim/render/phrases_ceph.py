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
                        "rồi đọc ghi trực tiếp với các OSD (và theo dõi image, là một "
                        "watcher, trong lúc mở nó).",
    "setup.pool.ceph": "{host}, vùng khả dụng {az}, báo cáo backend {pool} (RBD, không có danh "
                       "sách pool: scheduler coi cả backend là một pool): tổng {total} GiB, còn "
                       "trống {free} GiB theo ceph df (MAX AVAIL: dung lượng thô dưới ngưỡng đầy "
                       "chia cho số bản sao của pool), cấp phát mỏng (thin).",
    "driver.create_volume.ceph": "RBD driver tạo một RBD image trong pool Ceph (rbd create): "
                                 "cấp phát mỏng, chưa có object nào cho đến khi có dữ liệu được "
                                 "ghi.",
    "driver.create_volume_from_snapshot.ceph": "RBD driver clone snapshot đã được bảo vệ: image "
                                               "mới là con copy-on-write của nó, không sao chép "
                                               "dữ liệu (rbd clone).",
    "driver.create_cloned_volume.ceph": "RBD driver chụp snapshot của volume nguồn "
                                        "(<volume mới>.clone_snap), bảo vệ snapshot đó rồi clone "
                                        "copy-on-write; khi chuỗi clone của nguồn chạm "
                                        "rbd_max_clone_depth thì bản clone được làm phẳng "
                                        "(flatten).",
    "driver.delete_volume.ceph": "RBD driver xóa image (image còn clone con thì chỉ được đổi "
                                 "tên thành <tên>.deleted để giữ cho chúng).",
    "driver.create_snapshot.ceph": "RBD driver tạo một RBD snapshot và bảo vệ nó (protect) để "
                                   "có thể clone volume từ nó.",
    "driver.delete_snapshot.ceph": "RBD driver bỏ bảo vệ snapshot (trước đó làm phẳng các clone "
                                   "của nó: snapshot còn con thì không bỏ bảo vệ được) rồi xóa "
                                   "nó.",
    "driver.extend_volume.ceph": "RBD driver đổi kích thước image (chỉ sửa siêu dữ liệu: cấp "
                                 "phát mỏng).",
    "driver.revert_to_snapshot.ceph": "RBD driver đưa image về trạng thái của snapshot (mọi "
                                      "object được ghi lại).",
    "driver.validate_connector.ceph": "RBD driver không cần gì từ connector: không tên "
                                      "initiator, không WWPN.",
    "driver.remove_export.ceph": "Không có gì để gỡ: volume RBD không được xuất.",
    "driver.ensure_export.ceph": "Không có gì để bảo đảm: volume RBD không được xuất.",
    "driver.terminate_connection.ceph": "Không có gì phải hoàn tác trên cụm Ceph: máy khách tự "
                                        "đóng image.",
    "driver.attach_volume.ceph": "Driver được báo volume đã được gắn (RBD không cần làm gì).",
    "driver.detach_volume.ceph": "Driver được báo volume đã được tháo (RBD không cần làm gì).",
    "deliver.reply.Backup.initialize_connection.ceph": "cinder-backup đọc thông tin kết nối "
                                                       "(rbd: các monitor, pool/image, người "
                                                       "dùng cephx) và mở volume bằng RBD "
                                                       "connector của os-brick (librbd): không "
                                                       "đăng nhập iSCSI.",
    "backend.rbd clone": "Một clone copy-on-write: image con đọc dữ liệu của snapshot cha cho "
                         "đến khi nó ghi object của riêng mình.",
    "backend.rbd flatten": "Làm phẳng (flatten): image con sao chép lên phần dữ liệu của cha mà "
                           "nó chưa có và không còn phụ thuộc vào snapshot cha.",
    "backend.rbd import-diff": "Chỉ những vùng thay đổi từ snapshot backup trước mới được "
                               "chuyển (rbd export-diff | rbd import-diff); đích giữ cùng "
                               "snapshot đó làm điểm khôi phục.",
}
