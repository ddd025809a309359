"""The narration's words, in English and in the seed documents' Vietnamese.

Every sentence the narrator prints comes from these tables, keyed by what
happened (a request key such as ``volumes.create``, a bus method, a driver
call), so a translation is a table and a new flow is a few rows.  The wording
follows the five documents in ``shared/seeds``: "cinder-api validates the
request and puts a message on the AMQP queue", "cinder-scheduler ... generates
the candidate list", "Cinder driver tương tác với storage backend"; the
Vietnamese rows reuse their own terms (hàng chờ AMQP, ứng viên node storage,
xác thực, thông tin kết nối, B1...B9).

Keys missing from a table fall back to the ``*.generic`` row; placeholders
missing from a call print as empty text rather than failing, so narration never
breaks on an event with fewer details than expected.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, Literal

from .phrases_ceph import EN_CEPH, VI_CEPH
from .phrases_crypt import CRYPT_EN, CRYPT_VI

__all__ = ["LANGS", "Lang", "phrase"]

Lang = Literal["en", "vi"]
LANGS: tuple[Lang, ...] = ("en", "vi")

_EN: dict[str, str] = {
    # --- headings -----------------------------------------------------------------------
    "title": "cindersim narration",
    "setup": "The cloud starts",
    "setup.services": "{services} start consuming their AMQP queues.",
    "setup.pool": "{host}, AZ {az}, reports pool {pool}: {total} GiB total, {free} GiB free, "
                  "{provisioning} provisioning, over-subscription ratio {mosr}.",
    "section.step": "Step {n}: {action}{label}{params}",
    "section.label": " as {label}",
    "section.request": "Request {n}: {method} {path}",
    "flow": "flow: {flow}",
    "done": "End of run at t={time} s (virtual): {requests} request(s), {messages} message(s), "
            "{ops} backend command(s), {errors} error(s).",
    "queries": "(+{n} read-only backend quer{ies}: {ops})",
    "doc": "documents' step {tag}",
    "legend": "{label} stands for {kind} {id}.",
    "note": "Note (documents vs code)",
    # --- requests (key: collection.verb) ---------------------------------------------------
    "req.volumes.create": "The client asks for a volume through Cinder's REST API "
                          "(python-cinderclient or the dashboard send the same request).",
    "req.volumes.delete": "The client asks cinder-api to delete the volume.",
    "req.volumes.list": "The client lists its volumes.",
    "req.volumes.show": "The client reads the volume (this is how it polls its status).",
    "req.volumes.update": "The client updates the volume's name, description or metadata.",
    "req.volumes.action:os-extend": "The client asks cinder-api to extend the volume.",
    "req.volumes.action:os-reset_status": "An admin resets the status in the database "
                                          "directly (no service is told).",
    "req.volumes.action:os-force_delete": "An admin force-deletes the volume.",
    "req.volumes.action:os-initialize_connection": "The caller passes its connector "
                                                   "(hostname, iSCSI initiator name) and asks "
                                                   "for the connection information.",
    "req.snapshots.create": "The client asks for a snapshot: a point-in-time copy of the "
                            "volume's data, kept on the same storage backend.",
    "req.snapshots.delete": "The client asks cinder-api to delete the snapshot.",
    "req.attachments.create": "The caller asks to attach the volume: cinder-api validates the "
                              "request and reserves the volume for an attachment.",
    "req.attachments.update": "The caller passes the host's connector (hostname, iSCSI "
                              "initiator name, IP) so Cinder can prepare the connection.",
    "req.attachments.action:os-complete": "The caller tells Cinder the host is connected: the "
                                          "attachment is complete.",
    "req.attachments.delete": "The caller detaches the volume: the attachment is deleted.",
    "req.backups.create": "The client asks for a backup of the volume through the REST API.",
    "req.backups.restore": "The client asks to restore a backup through the REST API.",
    "req.backups.delete": "The client asks cinder-api to delete the backup.",
    "req.servers.create": "The client asks Nova's REST API to boot a server.",
    "req.servers.attach_volume": "The client asks to attach the volume through Nova's REST "
                                 "API.",
    "req.os-quota-sets.update": "An admin changes the project's quota.",
    "backend.iscsiadm --login": "{issuer} connects to the storage with the information "
                                "Cinder returned: os-brick logs in to the iSCSI target and "
                                "the kernel gives it a disk.",
    "backend.iscsiadm --logout": "{issuer} disconnects from the storage (iSCSI logout).",
    "backend.mount -t nfs": "{issuer} mounts the NFS share named in the connection "
                            "information.  Unlike iSCSI there is no target, no login and no "
                            "CHAP: the volume is a file on the share, and the host reaches it "
                            "through this one mount.",
    "backend.mount (reuse)": "{issuer} already has the share mounted: the new volume is just "
                             "another file on it, so nothing is mounted again.",
    "backend.umount": "{issuer} unmounts the NFS share: no attachment on this host uses it "
                      "any more.",
    "backend.nova assisted snapshot": "The volume is attached, so Cinder's NFS driver asks "
                                      "Nova to take the snapshot: libvirt switches the guest "
                                      "to a new qcow2 overlay and the old file, frozen, is "
                                      "the snapshot.",
    "backend.cfgenable": "The FC Zone Manager commits the fabric's zone configuration: only "
                         "zoned initiator-target port pairs can see each other.  iSCSI has no "
                         "such step; on FC the switch itself is the gate.",
    "backend.fc device found": "{issuer} found the LUN after rescanning its Fibre Channel "
                               "HBAs: no login as with iSCSI; the fabric's zone and the "
                               "array's LUN mapping make the disk appear.",
    "backend.virsh attach-device": "nova-compute passes the volume device to the hypervisor, "
                                   "which attaches it to the guest VM as a block device.",
    "backend.virsh detach-device": "The hypervisor removes the device from the guest VM.",
    "backend.virsh start": "The hypervisor starts the server.",
    "backend.iscsiadm --rescan": "{issuer} rescans the iSCSI session (os-brick's "
                                 "extend_volume): the host's disk now has the volume's new "
                                 "size.",
    "backend.virsh blockresize": "The hypervisor resizes the guest's disk: the server sees "
                                 "the new size without a reboot.",
    "req.Volume.os-server-external-events.create": "cinder-volume has grown a volume that "
                                                   "servers use: it tells Nova (event "
                                                   "volume-extended, as Cinder's service "
                                                   "user) so their hosts can see the new "
                                                   "size.",
    "send.NovaAPI.external_instance_event": "nova-api has recorded the extend_volume "
                                            "instance action; it hands the event to the "
                                            "server's nova-compute.",
    "req.NovaAPI.volumes.show": "nova-api has validated the request and the user's "
                                "credentials; it calls cinder-api for the volume's "
                                "information.",
    "req.NovaAPI.attachments.create": "nova-api asks cinder-api to reserve the volume for the "
                                      "server (an attachment with no connector yet).",
    "req.NovaAPI.volumes.action:os-begin_detaching": "nova-api marks the volume detaching "
                                                     "before nova-compute disconnects it.",
    "req.NovaCompute.attachments.update": "nova-compute passes its connector (hostname, iSCSI "
                                          "initiator name, IP) and asks cinder-api for the "
                                          "connection information.",
    "req.NovaCompute.attachments.action:os-complete": "nova-compute has connected the "
                                                      "storage and given the guest its "
                                                      "device: it tells Cinder the attachment "
                                                      "is complete.",
    "req.NovaCompute.volumes.show": "nova-compute reads the volume from cinder-api (its "
                                    "status and size).",
    "req.NovaCompute.attachments.delete": "nova-compute has disconnected: it deletes the "
                                          "attachment in Cinder.",
    "req.generic": "{caller} sends {method} {path} to {target}.",
    # --- responses -----------------------------------------------------------------------
    "resp.ok": "{server} answers {caller}: {status}{what}.",
    "resp.error": "{server} refuses: {status} {fault}: {message}",
    "resp.what.volume": " (volume {name} is {state})",
    "resp.what.snapshot": " (snapshot {name} is {state})",
    "resp.what.attachment": " (attachment {name} is {state})",
    "resp.what.backup": " (backup {name})",
    "resp.what.connection": " with the connection information (connection_info)",
    # --- AMQP ----------------------------------------------------------------------------
    "send.CinderAPI.create_volume": "cinder-api validates the request and the user's "
                                    "credentials, then puts a message on the AMQP queue.",
    "send.Scheduler.create_volume": "cinder-scheduler hands the volume to the chosen backend: "
                                    "a message on that cinder-volume's queue.",
    "send.Volume.create_volume": "cinder-volume sends the request back to cinder-scheduler to "
                                 "try another backend.",
    "req.groups.create": "The client asks for a generic volume group (group type, volume types).",
    "send.Scheduler.create_group": "cinder-scheduler found one backend for every volume type of "
                                   "the group and hands the group to its cinder-volume.",
    "send.create_group_snapshot": "cinder-api wrote one snapshot row per volume of the group; "
                                  "cinder-volume snapshots them one by one (LVM's generic "
                                  "group path).",
    "send.delete_volume": "cinder-api has checked the volume can go and set it deleting; it "
                          "puts the message on the queue of the cinder-volume that holds it "
                          "(deletes skip the scheduler).",
    "send.CinderAPI.attachment_update": "cinder-api posts a message to the volume manager "
                                        "over AMQP and waits for the answer (an RPC call).",
    "send.CinderAPI.initialize_connection": "cinder-api posts a message to the volume manager "
                                            "over AMQP and waits for the answer (an RPC call).",
    "send.CinderAPI.attachment_delete": "cinder-api asks the volume manager to end the "
                                        "connection and waits for it (an RPC call).",
    "send.CinderAPI.terminate_connection": "cinder-api asks the volume manager to end the "
                                           "connection.",
    "send.CinderAPI.create_backup": "cinder-api validates the request and posts a message to "
                                    "the backup manager over AMQP.",
    "send.Scheduler.create_backup": "cinder-scheduler hands the backup to the chosen "
                                    "cinder-backup host: a message on its queue.",
    "send.CinderAPI.restore_backup": "cinder-api validates the request and posts a message to "
                                     "the backup manager over AMQP.",
    "send.Backup.initialize_connection": "cinder-backup asks cinder-volume for the volume's "
                                         "connection information (an RPC call): it attaches "
                                         "the volume itself.",
    "send.Backup.get_backup_device": "cinder-backup asks the volume's cinder-volume which "
                                     "device to back up (a cast; the answer comes back as "
                                     "continue_backup).",
    "send.Volume.continue_backup": "cinder-volume names the device to back up (the volume, "
                                   "or a temporary volume it made from the snapshot or "
                                   "cloned from an in-use volume) and hands the backup back "
                                   "to cinder-backup.",
    "send.Backup.secure_file_operations_enabled": "cinder-backup asks cinder-volume whether "
                                                  "the device needs secure file operations "
                                                  "(an RPC call).",
    "send.Backup.delete_volume": "cinder-backup has cinder-volume delete the temporary "
                                 "volume it backed up.",
    "send.Backup.terminate_connection": "cinder-backup asks cinder-volume to end its "
                                        "connection to the volume.",
    "send.Backup.remove_export": "cinder-backup asks cinder-volume to remove the export it "
                                 "made for the backup.",
    "send.generic": "{sender} puts {method} on the AMQP queue {queue} ({kind}).",
    "send.fanout": "(periodic) {sender} reports its capacity to cinder-scheduler: {free} of "
                   "{total} GiB free.",
    "deliver.Scheduler.create_volume": "cinder-scheduler takes the message off the queue: it "
                                       "will generate the candidate list from the current "
                                       "state and the volume criteria (size, availability "
                                       "zone, volume type).",
    "deliver.Volume.create_volume": "cinder-volume reads the message from cinder-scheduler "
                                    "off the queue and works with the backend driver.",
    "deliver.Volume.delete_volume": "cinder-volume reads the message and has the driver "
                                    "remove the volume.",
    "deliver.Volume.attachment_update": "cinder-volume reads the message from the queue and "
                                        "calls the Cinder driver of the volume to be "
                                        "attached.",
    "deliver.Volume.initialize_connection": "cinder-volume reads the message from the queue "
                                            "and calls the Cinder driver of the volume to be "
                                            "attached.",
    "deliver.Backup.create_backup": "cinder-backup reads the message from the queue and "
                                    "fetches the volume to back up from the database.",
    "deliver.Backup.restore_backup": "cinder-backup reads the message from the queue and "
                                     "fetches the backup record and the destination "
                                     "volume's record.",
    "deliver.reply": "{to} reads the reply to {method} from the queue.",
    "deliver.reply.attachment_update": "cinder-api reads the reply from cinder-volume off the "
                                       "queue: it carries the connection information.",
    "deliver.reply.CinderAPI.initialize_connection": "cinder-api reads the reply from "
                                                     "cinder-volume off the queue: it carries "
                                                     "the connection information.",
    "deliver.reply.Backup.initialize_connection": "cinder-backup reads the connection "
                                                  "information and attaches the volume "
                                                  "(os-brick logs in to the iSCSI target).",
    "deliver.Volume.attachment_delete": "cinder-volume reads the message and has the driver "
                                        "end the connection and remove the export.",
    "driver.validate_connector": "The driver checks the connector has what iSCSI needs (the "
                                 "initiator's IQN).",
    "driver.attach_volume": "The driver is told the volume is attached (nothing to do for "
                            "LVM).",
    "driver.detach_volume": "The driver is told the volume is detached (nothing to do for "
                            "LVM).",
    "status.write": "{actor} updates the database.",
    "deliver.generic": "{consumer} takes {method} off the queue.",
    "reply.attachment_update": "cinder-volume posts the response (connection_info) to "
                               "cinder-api through the AMQP queue.",
    "reply.initialize_connection": "cinder-volume posts the response (connection_info) "
                                   "through the AMQP queue.",
    "reply.generic": "{sender} posts the reply to {method} on the AMQP queue{error}.",
    "reply.error": " (an error: {error})",
    "queued": "Nobody consumes {queue}: {method} waits in the queue (depth {depth}). It is "
              "not lost: it is delivered when a consumer comes back.",
    "consumer.stop": "{name} stops (what-if): messages for it wait in its queue.",
    "consumer.start": "{name} starts consuming again; the messages waiting in its queue "
                      "drain in order.",
    "bus.fault": "Fault on the bus: {summary}.",
    "bus.error": "{actor} fails while handling {method}: {error}: {message}",
    "bus.timeout": "{summary} (MessagingTimeout).",
    # --- scheduler, volume, driver -------------------------------------------------------
    "reschedule": "The driver failed on {host} ({error}). cinder-volume deletes what it "
                  "made, clears the host and sends the request back to cinder-scheduler "
                  "(attempt {attempt} used).",
    "driver.create_volume": "The Cinder driver creates the requested volume by talking to "
                            "the storage subsystem (LVM: a logical volume).",
    "driver.create_volume_from_snapshot": "The Cinder driver creates the volume from the "
                                          "snapshot on the same backend.",
    "driver.create_cloned_volume": "The Cinder driver clones the source volume on the same "
                                   "backend.",
    "driver.delete_volume": "The driver removes the logical volume.",
    "driver.remove_export": "The driver removes the volume's iSCSI export, if it has one.",
    "driver.create_export": "The driver exports the volume as an iSCSI target.",
    "driver.ensure_export": "The driver makes sure the volume's iSCSI export exists.",
    "driver.initialize_connection": "The Cinder driver prepares the volume for attachment "
                                    "and returns the connection information (iSCSI IQN, "
                                    "portal, LUN, CHAP credentials).",
    "driver.terminate_connection": "The driver stops letting the host reach the volume.",
    "driver.create_snapshot": "The driver takes the snapshot on the backend (an LVM "
                              "snapshot of the logical volume).",
    "driver.delete_snapshot": "The driver removes the snapshot from the backend.",
    "driver.extend_volume": "The driver grows the logical volume.",
    # NFS (cinder.volume.drivers.nfs.NfsDriver) and the FC array: how they differ from iSCSI
    "driver.create_volume.nfs": "The NFS driver picks a share with room and creates the volume "
                                "as a file on it (sparse raw, or qcow2).",
    "driver.delete_volume.nfs": "The NFS driver deletes the volume's file(s) from the share.",
    "driver.create_export.nfs": "Nothing to export: with NFS the share itself is the export "
                                "(no iSCSI target is created).",
    "driver.remove_export.nfs": "Nothing to remove: NFS has no per-volume export.",
    "driver.initialize_connection.nfs": "The NFS driver returns the connection information: the "
                                        "share's address, the file's name and its format. No "
                                        "IQN, portal or CHAP as with iSCSI.",
    "driver.terminate_connection.nfs": "Nothing to undo on the NFS server: the host unmounts "
                                       "the share itself when no volume uses it.",
    "driver.create_snapshot.nfs": "The NFS driver snapshots by adding a qcow2 overlay on the "
                                  "volume's file; the file below is frozen as the snapshot.",
    "driver.extend_volume.nfs": "The NFS driver resizes the volume's file (qemu-img resize).",
    "driver.create_volume.fibre_channel": "The FC driver asks the array for a new LUN in its "
                                          "pool.",
    "driver.create_export.fibre_channel": "Nothing to export yet: an FC array exposes a LUN by "
                                          "mapping it to a host in initialize_connection.",
    "driver.initialize_connection.fibre_channel": "The FC driver maps the LUN to the host's "
                                                  "WWPNs and returns the array's target WWNs, "
                                                  "the LUN and the initiator-target map; with "
                                                  "zoning_mode = fabric the FC Zone Manager "
                                                  "zones those pairs.  No IQN, portal or CHAP.",
    "driver.terminate_connection.fibre_channel": "The FC driver unmaps the LUN; the zones go "
                                                 "only when the host has no other LUN of the "
                                                 "array mapped.",
    "driver.create_snapshot.fibre_channel": "The FC array takes the snapshot of the LUN.",
    "driver.delete_volume.fibre_channel": "The FC array deletes the LUN.",
    "driver.extend_volume.fibre_channel": "The FC array grows the LUN.",
    "driver.remove_export.fibre_channel": "Nothing to remove: the LUN mapping went with "
                                          "terminate_connection.",
    "driver.backup": "The backup service transfers the volume's data and metadata to the "
                     "backup repository.",
    "driver.backup_volume": "The backup service transfers the volume's data and metadata to "
                            "the backup repository.",
    "driver.restore": "The backup service finds the backup's metadata and data in the "
                      "repository and writes them to the destination volume.",
    "driver.restore_backup": "The backup service finds the backup's metadata and data in the "
                             "repository and writes them to the destination volume.",
    "driver.generic": "{actor} calls the driver: {call}.",
    "driver.error": "The driver call {call} fails: {error}: {message}",
    "driver.fails": "The Cinder driver is asked to {call} on the storage backend, and fails "
                    "({error}): nothing usable is made.",
    "status.settled": "{actor} records the outcome in the database.",
    "status.line": "DB: {kind} {name}: {old} → {new}",
    "status.field": "DB: {kind} {name} {field}: {old} → {new}",
    "status.reason": " ({reason})",
    "api.bug": "SIMULATOR BUG in {actor}: {summary}",
    "generic": "{actor}: {summary}",
    # --- documents vs code ---------------------------------------------------------------
    "note.create_order": "The NetApp guide, the “Cinder workflow” notes and “Cinder” "
                         "(manhnh251995) have cinder-volume take the create request first "
                         "and ask cinder-scheduler for a backend. Cinder's code (since "
                         "Queens) goes cinder-api → cinder-scheduler → cinder-volume, as "
                         "B2→B3→B4 of “Mối quan hệ giữa instance và disk” have it: the "
                         "scheduler picks the backend, writes it to the volume and casts to "
                         "that backend's cinder-volume.",
    "note.create_202": "The documents end with cinder-api reading a reply from the queue and "
                       "answering the client (B6-B9). In the code the request is a cast: "
                       "cinder-api answers 202 with status 'creating' right after queuing "
                       "the message, cinder-volume writes 'available' (or 'error') to the "
                       "database itself, and the client polls GET /volumes/{{id}}.",
    "note.attach_api": "The documents show one attach request. Since Cinder 3.27 (Queens) "
                       "Nova uses the attachments API in three calls: POST /attachments "
                       "reserves the volume, PUT /attachments/{{id}} with the host's connector "
                       "has cinder-volume's driver export the volume and return "
                       "connection_info (an RPC call: the only round trip over AMQP), and "
                       "os-complete marks it in-use once the host is connected.",
    "note.backup_record": "The NetApp guide has cinder-backup create the backup's database record. "
                          "In the code cinder-api creates it (status 'creating') and sets the "
                          "volume 'backing-up' before sending the message; since Ussuri the "
                          "message goes through cinder-scheduler, which picks a cinder-backup "
                          "host.",
    "note.backup_device": "The NetApp guide has cinder-backup call the volume driver's "
                          "backup_volume (or backup_restore). In the code cinder-backup asks "
                          "cinder-volume for the device to back up (get_backup_device, answered "
                          "by a continue_backup cast) and for its connection (RPC calls), "
                          "attaches it itself through os-brick (an iSCSI login) and runs its own "
                          "backup driver over the device's blocks, read through that session.",
    "note.restore_volume": "The NetApp guide has cinder-backup fetch a new or preexisting volume "
                           "record. In the code, given no volume_id, cinder-api itself "
                           "creates the new volume (named restore_backup_<backup id>) like "
                           "any create, through cinder-scheduler and cinder-volume, and looks "
                           "every second until it has left 'creating'; only then does it mark "
                           "the volume 'restoring-backup' and the backup 'restoring' and cast "
                           "restore_backup to cinder-backup, so the client's 202 waits for the "
                           "new volume.",
    "note.deleting": "The status table of the Vietnamese “Cinder Driver” notes describes "
                     "'deleting' as deleted successfully; in Cinder 'deleting' is the state while "
                     "cinder-volume removes the volume, and success removes the row (shown as → "
                     "∅).",

}

_VI: dict[str, str] = {
    "title": "cindersim: tường thuật",
    "setup": "Khởi động đám mây",
    "setup.services": "{services} bắt đầu nhận message từ hàng chờ AMQP của mình.",
    "setup.pool": "{host}, vùng khả dụng {az}, báo cáo pool {pool}: tổng {total} GiB, còn trống "
                  "{free} GiB, cấp phát {provisioning}, tỉ lệ cấp vượt {mosr}.",
    "section.step": "Bước {n}: {action}{label}{params}",
    "section.label": ", đặt tên {label}",
    "section.request": "Yêu cầu {n}: {method} {path}",
    "flow": "luồng: {flow}",
    "done": "Kết thúc ở t={time} s (thời gian ảo): {requests} yêu cầu, {messages} message, {ops} "
            "lệnh trên hệ thống lưu trữ, {errors} lỗi.",
    "queries": "(+{n} lệnh chỉ đọc trên hệ thống lưu trữ: {ops})",
    "doc": "bước {tag} của tài liệu",
    "note": "Ghi chú (tài liệu khác mã nguồn)",
    "req.volumes.create": "Client yêu cầu tạo volume thông qua REST API của Cinder (client dùng "
                          "python-cinderclient hoặc giao diện web).",
    "req.volumes.delete": "Client yêu cầu cinder-api xóa volume.",
    "req.volumes.list": "Client liệt kê các volume của mình.",
    "req.volumes.show": "Client đọc thông tin volume (cách client theo dõi trạng thái).",
    "req.volumes.update": "Client cập nhật tên, mô tả hoặc siêu dữ liệu của volume.",
    "req.volumes.action:os-extend": "Client yêu cầu cinder-api mở rộng volume.",
    "req.volumes.action:os-reset_status": "Quản trị viên đặt lại trạng thái trực tiếp trong cơ sở "
                                          "dữ liệu (không báo cho dịch vụ nào).",
    "req.volumes.action:os-force_delete": "Quản trị viên buộc xóa volume.",
    "req.volumes.action:os-initialize_connection": "Bên gọi truyền connector (thông tin initiator "
                                                   "của host: tên máy, tên iSCSI initiator) và xin "
                                                   "thông tin kết nối.",
    "req.snapshots.create": "Client yêu cầu tạo snapshot: một bản sao tại một thời điểm của dữ "
                            "liệu trong volume, nằm trên cùng hệ thống lưu trữ.",
    "req.snapshots.delete": "Client yêu cầu cinder-api xóa snapshot.",
    "req.attachments.create": "Bên gọi yêu cầu gắn volume: cinder-api xác thực yêu cầu và giữ chỗ "
                              "volume cho một attachment.",
    "req.attachments.update": "Bên gọi truyền connector (thông tin initiator của host: tên máy, "
                              "tên iSCSI initiator, IP) để Cinder chuẩn bị kết nối.",
    "req.attachments.action:os-complete": "Bên gọi báo cho Cinder rằng máy chủ đã kết nối: "
                                          "attachment hoàn tất.",
    "req.attachments.delete": "Bên gọi tháo volume: attachment bị xóa.",
    "req.backups.create": "Client yêu cầu sao lưu volume thông qua REST API.",
    "req.backups.restore": "Client yêu cầu khôi phục một bản backup thông qua REST API.",
    "req.backups.delete": "Client yêu cầu cinder-api xóa bản backup.",
    "req.servers.create": "Client yêu cầu Nova REST API khởi tạo máy ảo.",
    "req.servers.attach_volume": "Client yêu cầu gắn volume thông qua Nova REST API.",
    "req.os-quota-sets.update": "Quản trị viên thay đổi hạn mức (quota) của dự án.",
    "backend.iscsiadm --login": "{issuer} kết nối tới hệ thống lưu trữ bằng thông tin kết nối "
                                "Cinder trả về: os-brick đăng nhập vào iSCSI target và nhân Linux "
                                "cấp một ổ đĩa.",
    "backend.iscsiadm --logout": "{issuer} ngắt kết nối khỏi hệ thống lưu trữ (đăng xuất iSCSI).",
    "backend.mount -t nfs": "{issuer} mount NFS share ghi trong thông tin kết nối.  Khác với "
                            "iSCSI: không có target, không đăng nhập, không CHAP; volume là "
                            "một tệp trên share và host truy cập nó qua chính mount này.",
    "backend.mount (reuse)": "{issuer} đã mount share này: volume mới chỉ là một tệp khác "
                             "trên đó nên không cần mount lại.",
    "backend.umount": "{issuer} gỡ mount NFS share: không còn volume nào trên host này dùng "
                      "nó.",
    "backend.nova assisted snapshot": "Volume đang được gắn nên NFS driver của Cinder nhờ Nova "
                                      "tạo snapshot: libvirt chuyển máy ảo sang một lớp qcow2 "
                                      "mới, tệp cũ được giữ nguyên làm snapshot.",
    "backend.cfgenable": "FC Zone Manager áp dụng cấu hình zone của fabric: chỉ các cặp cổng "
                         "initiator-target cùng zone mới thấy nhau.  iSCSI không có bước này; "
                         "với FC chính switch là cửa kiểm soát.",
    "backend.fc device found": "{issuer} thấy LUN sau khi quét lại các HBA Fibre Channel: "
                               "không đăng nhập như iSCSI; zone của fabric và ánh xạ LUN của "
                               "mảng lưu trữ làm ổ đĩa xuất hiện.",
    "backend.virsh attach-device": "Nova chuyển thiết bị của volume cho hypervisor, hypervisor gắn "
                                   "nó vào máy ảo như một thiết bị khối thực sự.",
    "backend.virsh detach-device": "Hypervisor gỡ thiết bị khỏi máy ảo.",
    "backend.virsh start": "Hypervisor khởi động máy ảo.",
    "backend.iscsiadm --rescan": "{issuer} quét lại phiên iSCSI (extend_volume của "
                                 "os-brick): ổ đĩa trên host nhận kích thước mới của volume.",
    "backend.virsh blockresize": "Hypervisor đổi kích thước ổ đĩa của máy ảo: máy ảo thấy "
                                 "kích thước mới mà không cần khởi động lại.",
    "req.Volume.os-server-external-events.create": "cinder-volume đã mở rộng một volume mà "
                                                   "máy ảo đang dùng: nó báo cho Nova (sự "
                                                   "kiện volume-extended, với tài khoản dịch "
                                                   "vụ của Cinder) để host thấy kích thước "
                                                   "mới.",
    "send.NovaAPI.external_instance_event": "nova-api đã ghi hành động extend_volume của "
                                            "máy ảo; nó chuyển sự kiện cho nova-compute của "
                                            "máy ảo.",
    "req.NovaAPI.volumes.show": "nova-api xác thực yêu cầu và thông tin người dùng; sau khi xác "
                                "thực, gọi cinder-api để lấy thông tin về volume cụ thể.",
    "req.NovaAPI.attachments.create": "nova-api yêu cầu cinder-api giữ chỗ volume cho máy ảo "
                                      "(attachment chưa có connector).",
    "req.NovaAPI.volumes.action:os-begin_detaching": "nova-api đánh dấu volume đang tháo "
                                                     "(detaching) trước khi nova-compute ngắt kết "
                                                     "nối.",
    "req.NovaCompute.attachments.update": "nova-compute truyền connector (thông tin initiator của "
                                          "host: tên máy, tên iSCSI initiator, IP) và xin "
                                          "cinder-api thông tin kết nối.",
    "req.NovaCompute.attachments.action:os-complete": "nova-compute đã kết nối hệ thống lưu trữ và "
                                                      "đưa thiết bị cho máy ảo: báo Cinder "
                                                      "attachment hoàn tất.",
    "req.NovaCompute.volumes.show": "nova-compute đọc thông tin volume từ cinder-api (trạng "
                                    "thái và kích thước).",
    "req.NovaCompute.attachments.delete": "nova-compute đã ngắt kết nối: xóa attachment trong "
                                          "Cinder.",
    "req.generic": "{caller} gửi {method} {path} đến {target}.",
    "resp.ok": "{server} trả lời {caller}: {status}{what}.",
    "resp.error": "{server} từ chối: {status} {fault}: {message}",
    "resp.what.volume": " (volume {name} đang ở trạng thái {state})",
    "resp.what.snapshot": " (snapshot {name} đang ở trạng thái {state})",
    "resp.what.attachment": " (attachment {name} đang ở trạng thái {state})",
    "resp.what.backup": " (backup {name})",
    "resp.what.connection": ", truyền thông tin kết nối (connection_info) trong phản hồi REST",
    "send.CinderAPI.create_volume": "cinder-api kiểm tra yêu cầu hợp lệ và thông tin người dùng, "
                                    "sau đó gửi bản tin đến hàng chờ AMQP.",
    "send.Scheduler.create_volume": "cinder-scheduler giao volume cho backend đã chọn: gửi message "
                                    "vào hàng chờ của cinder-volume đó.",
    "send.Volume.create_volume": "cinder-volume gửi yêu cầu trở lại cinder-scheduler để thử "
                                 "backend khác.",
    "send.delete_volume": "cinder-api đã kiểm tra volume có thể xóa và đặt trạng thái deleting; nó "
                          "gửi message vào hàng chờ của cinder-volume đang giữ volume (việc xóa "
                          "không đi qua cinder-scheduler).",
    "send.CinderAPI.attachment_update": "cinder-api gửi message đến trình quản lý volume qua AMQP "
                                        "và chờ trả lời (RPC call).",
    "send.CinderAPI.initialize_connection": "cinder-api gửi message đến trình quản lý volume qua "
                                            "AMQP và chờ trả lời (RPC call).",
    "send.CinderAPI.attachment_delete": "cinder-api yêu cầu trình quản lý volume ngắt kết nối và "
                                        "chờ (RPC call).",
    "send.CinderAPI.terminate_connection": "cinder-api yêu cầu trình quản lý volume ngắt kết nối.",
    "send.CinderAPI.create_backup": "cinder-api xác thực yêu cầu và gửi message đến trình quản lý "
                                    "backup qua AMQP.",
    "send.Scheduler.create_backup": "cinder-scheduler giao bản backup cho host cinder-backup đã "
                                    "chọn: gửi message vào hàng chờ của nó.",
    "send.CinderAPI.restore_backup": "cinder-api xác thực yêu cầu và gửi message đến trình quản lý "
                                     "backup qua AMQP.",
    "send.Backup.initialize_connection": "cinder-backup hỏi cinder-volume thông tin kết nối của "
                                         "volume (RPC call): nó tự gắn volume.",
    "req.groups.create": "Client yêu cầu tạo một nhóm volume (group type, các volume type).",
    "send.Scheduler.create_group": "cinder-scheduler tìm được một backend cho mọi volume type "
                                   "của nhóm và giao nhóm cho cinder-volume của backend đó.",
    "send.create_group_snapshot": "cinder-api ghi một snapshot cho mỗi volume của nhóm; "
                                  "cinder-volume chụp lần lượt từng cái (đường generic của LVM).",
    "send.Backup.get_backup_device": "cinder-backup hỏi cinder-volume của volume thiết bị "
                                     "nào cần back up (cast; câu trả lời quay lại bằng "
                                     "continue_backup).",
    "send.Volume.continue_backup": "cinder-volume chỉ ra thiết bị cần back up (chính volume, "
                                   "hoặc volume tạm tạo từ snapshot hay clone từ volume "
                                   "in-use) và trả bản backup lại cho cinder-backup.",
    "send.Backup.secure_file_operations_enabled": "cinder-backup hỏi cinder-volume thiết bị "
                                                  "có cần thao tác file an toàn không (RPC "
                                                  "call).",
    "send.Backup.delete_volume": "cinder-backup yêu cầu cinder-volume xóa volume tạm đã "
                                 "được back up.",
    "send.Backup.terminate_connection": "cinder-backup yêu cầu cinder-volume ngắt kết nối tới "
                                        "volume.",
    "send.Backup.remove_export": "cinder-backup yêu cầu cinder-volume gỡ bỏ việc xuất (export) "
                                 "volume đã làm cho lần sao lưu.",
    "send.generic": "{sender} gửi {method} vào hàng chờ AMQP {queue} ({kind}).",
    "send.fanout": "(định kỳ) {sender} báo dung lượng cho cinder-scheduler: còn trống {free} / "
                   "{total} GiB.",
    "deliver.Scheduler.create_volume": "cinder-scheduler đưa message ra khỏi hàng chờ để xác định "
                                       "backend: sinh ra danh sách các ứng viên (node storage) dựa "
                                       "trên trạng thái hiện tại và tiêu chí của volume (kích "
                                       "thước, vùng khả dụng, loại volume).",
    "deliver.Volume.create_volume": "cinder-volume đọc message từ cinder-scheduler gửi về hàng "
                                    "chờ, và làm việc với backend driver được yêu cầu.",
    "deliver.Volume.delete_volume": "cinder-volume đọc message và để driver xóa volume.",
    "deliver.Volume.attachment_update": "cinder-volume đọc message từ hàng chờ, gọi Cinder driver "
                                        "tương ứng với volume cần gắn.",
    "deliver.Volume.initialize_connection": "cinder-volume đọc message từ hàng chờ, gọi Cinder "
                                            "driver tương ứng với volume cần gắn.",
    "deliver.Backup.create_backup": "cinder-backup đọc message từ hàng chờ và lấy thông tin volume "
                                    "cần sao lưu từ cơ sở dữ liệu.",
    "deliver.Backup.restore_backup": "cinder-backup đọc message từ hàng chờ, lấy bản ghi backup và "
                                     "bản ghi volume đích.",
    "deliver.reply": "{to} đọc message trả lời cho {method} từ hàng chờ.",
    "deliver.reply.attachment_update": "cinder-api đọc message trả lời của cinder-volume từ hàng "
                                       "chờ: nó mang thông tin kết nối.",
    "deliver.reply.CinderAPI.initialize_connection": "cinder-api đọc message trả lời của "
                                                     "cinder-volume từ hàng chờ: nó mang thông tin "
                                                     "kết nối.",
    "deliver.reply.Backup.initialize_connection": "cinder-backup đọc thông tin kết nối và tự gắn "
                                                  "volume (os-brick đăng nhập vào iSCSI target).",
    "deliver.Volume.attachment_delete": "cinder-volume đọc message và để driver ngắt kết nối, gỡ "
                                        "bỏ việc xuất volume.",
    "driver.validate_connector": "Driver kiểm tra connector (thông tin initiator của host) có đủ "
                                 "những gì iSCSI cần (IQN của initiator).",
    "driver.attach_volume": "Driver được báo volume đã được gắn (LVM không cần làm gì).",
    "driver.detach_volume": "Driver được báo volume đã được tháo (LVM không cần làm gì).",
    "status.write": "{actor} cập nhật cơ sở dữ liệu.",
    "deliver.generic": "{consumer} lấy {method} ra khỏi hàng chờ.",
    "reply.attachment_update": "cinder-volume gửi thông tin trả lời (connection_info) đến "
                               "cinder-api qua hàng chờ AMQP.",
    "reply.initialize_connection": "cinder-volume gửi thông tin trả lời (connection_info) qua hàng "
                                   "chờ AMQP.",
    "reply.generic": "{sender} gửi message trả lời cho {method} lên hàng chờ AMQP{error}.",
    "reply.error": " (một lỗi: {error})",
    "queued": "Không ai nhận message từ {queue}: {method} nằm chờ trong hàng chờ (độ sâu {depth}). "
              "Message không mất: nó được giao khi có bên nhận trở lại.",
    "consumer.stop": "{name} dừng (giả định thử nghiệm): message gửi cho nó nằm chờ trong hàng "
                     "chờ.",
    "consumer.start": "{name} nhận message trở lại; các message đang chờ được xử lý lần lượt.",
    "bus.fault": "Lỗi trên hệ thống message: {summary}.",
    "bus.error": "{actor} lỗi khi xử lý {method}: {error}: {message}",
    "bus.timeout": "{summary} (MessagingTimeout).",
    "reschedule": "Driver lỗi trên {host} ({error}). cinder-volume xóa phần đã tạo, bỏ máy chủ đó "
                  "và gửi yêu cầu trở lại cinder-scheduler (đã dùng lần thử {attempt}).",
    "driver.create_volume": "Cinder driver tương tác với hệ thống lưu trữ để khởi tạo volume (LVM: "
                            "một logical volume).",
    "driver.create_volume_from_snapshot": "Cinder driver tạo volume từ snapshot trên cùng backend.",
    "driver.create_cloned_volume": "Cinder driver nhân bản volume nguồn trên cùng backend.",
    "driver.delete_volume": "Driver xóa logical volume.",
    "driver.remove_export": "Driver gỡ bỏ iSCSI target đã xuất volume, nếu có.",
    "driver.create_export": "Driver xuất volume thành một iSCSI target.",
    "driver.ensure_export": "Driver bảo đảm iSCSI target của volume tồn tại.",
    "driver.initialize_connection": "Cinder driver chuẩn bị volume cho việc gắn và trả lại thông "
                                    "tin kết nối (IQN, địa chỉ portal, LUN, tài khoản CHAP).",
    "driver.terminate_connection": "Driver ngừng cho phép máy chủ truy cập volume.",
    "driver.create_snapshot": "Driver tạo snapshot trên hệ thống lưu trữ (một LVM snapshot của "
                              "logical volume).",
    "driver.delete_snapshot": "Driver xóa snapshot khỏi hệ thống lưu trữ.",
    "driver.extend_volume": "Driver mở rộng logical volume.",
    "driver.create_volume.nfs": "NFS driver chọn một share còn chỗ và tạo volume thành một tệp "
                                "trên đó (raw thưa hoặc qcow2).",
    "driver.delete_volume.nfs": "NFS driver xóa (các) tệp của volume khỏi share.",
    "driver.create_export.nfs": "Không cần xuất gì: với NFS chính share là điểm xuất (không tạo "
                                "iSCSI target).",
    "driver.remove_export.nfs": "Không có gì để gỡ: NFS không có điểm xuất riêng cho volume.",
    "driver.initialize_connection.nfs": "NFS driver trả lại thông tin kết nối: địa chỉ share, "
                                        "tên tệp và định dạng. Không có IQN, portal hay CHAP như "
                                        "iSCSI.",
    "driver.terminate_connection.nfs": "Không có gì phải hoàn tác trên máy chủ NFS: host tự gỡ "
                                       "mount khi không còn volume nào dùng share.",
    "driver.create_snapshot.nfs": "NFS driver tạo snapshot bằng một lớp qcow2 đặt lên tệp của "
                                  "volume; tệp bên dưới được giữ nguyên làm snapshot.",
    "driver.extend_volume.nfs": "NFS driver mở rộng tệp của volume (qemu-img resize).",
    "driver.create_volume.fibre_channel": "FC driver yêu cầu mảng lưu trữ tạo một LUN mới.",
    "driver.create_export.fibre_channel": "Chưa cần xuất: mảng FC cho host thấy LUN bằng cách "
                                          "ánh xạ LUN cho host trong initialize_connection.",
    "driver.initialize_connection.fibre_channel": "FC driver ánh xạ LUN cho các WWPN của host và "
                                                  "trả lại WWN của cổng mảng, số LUN và "
                                                  "initiator_target_map; với zoning_mode = fabric, "
                                                  "FC Zone Manager tạo zone cho các cặp đó. Không "
                                                  "có IQN, portal hay CHAP.",
    "driver.terminate_connection.fibre_channel": "FC driver bỏ ánh xạ LUN; zone chỉ bị xóa khi "
                                                 "host không còn LUN nào khác của mảng.",
    "driver.create_snapshot.fibre_channel": "Mảng FC chụp snapshot của LUN.",
    "driver.delete_volume.fibre_channel": "Mảng FC xóa LUN.",
    "driver.extend_volume.fibre_channel": "Mảng FC mở rộng LUN.",
    "driver.remove_export.fibre_channel": "Không có gì để gỡ: ánh xạ LUN đã bị bỏ trong "
                                          "terminate_connection.",
    "driver.backup": "Dịch vụ backup chuyển dữ liệu và siêu dữ liệu của volume đến kho lưu bản "
                     "sao.",
    "driver.backup_volume": "Dịch vụ backup chuyển dữ liệu và siêu dữ liệu của volume đến kho lưu "
                            "bản sao.",
    "driver.restore": "Dịch vụ backup tìm siêu dữ liệu và dữ liệu của bản backup trong kho và ghi "
                      "lại vào volume đích.",
    "driver.restore_backup": "Dịch vụ backup tìm siêu dữ liệu và dữ liệu của bản backup trong kho "
                             "và ghi lại vào volume đích.",
    "driver.generic": "{actor} gọi driver: {call}.",
    "driver.error": "Lời gọi driver {call} lỗi: {error}: {message}",
    "status.settled": "{actor} ghi kết quả vào cơ sở dữ liệu.",
    "status.line": "CSDL: {kind} {name}: {old} → {new}",
    "status.field": "CSDL: {kind} {name} {field}: {old} → {new}",
    "status.reason": " ({reason})",
    "api.bug": "LỖI CỦA TRÌNH MÔ PHỎNG trong {actor}: {summary}",
    "generic": "{actor}: {summary}",
    "note.create_order": "Tài liệu NetApp, ghi chú “Cinder workflow” và bài “Cinder” "
                         "(manhnh251995) mô tả cinder-volume nhận yêu cầu tạo volume trước rồi gửi "
                         "message cho cinder-scheduler để xác định backend. Mã nguồn Cinder (từ "
                         "bản Queens) đi theo thứ tự cinder-api → cinder-scheduler → "
                         "cinder-volume, đúng như B2→B3→B4 của “Mối quan hệ giữa instance và "
                         "disk”: cinder-scheduler chọn backend, ghi vào volume rồi gửi message đến "
                         "cinder-volume của backend đó.",
    "note.create_202": "Tài liệu kết thúc bằng việc cinder-api đọc message trả lời từ hàng chờ rồi "
                       "trả lời client (B6-B9). Trong mã nguồn đây là một cast: cinder-api trả lời "
                       "202 với trạng thái 'creating' ngay sau khi gửi message lên hàng chờ; "
                       "cinder-volume tự ghi 'available' (hoặc 'error') vào cơ sở dữ liệu, và "
                       "client hỏi lại bằng GET /volumes/{{id}}.",
    "note.attach_api": "Tài liệu chỉ có một yêu cầu gắn volume. Từ Cinder 3.27 (Queens), Nova dùng "
                       "API attachments với ba lời gọi: POST /attachments giữ chỗ volume, PUT "
                       "/attachments/{{id}} kèm connector (thông tin initiator của host) khiến "
                       "Cinder driver xuất volume và trả lại connection_info (một RPC call: lần "
                       "khứ hồi duy nhất qua AMQP), và os-complete đánh dấu in-use sau khi máy chủ "
                       "đã kết nối.",
    "note.backup_record": "Tài liệu NetApp để cinder-backup tạo bản ghi backup trong cơ sở dữ "
                          "liệu. Trong mã nguồn, cinder-api tạo bản ghi (trạng thái 'creating') và "
                          "đặt volume 'backing-up' trước khi gửi message; từ bản Ussuri message đi "
                          "qua cinder-scheduler để chọn máy chủ cinder-backup.",
    "note.backup_device": "Tài liệu NetApp để cinder-backup gọi phương thức backup_volume (hoặc "
                          "backup_restore) của volume driver. Trong mã nguồn, cinder-backup hỏi "
                          "cinder-volume thiết bị cần back up (get_backup_device, được trả lời "
                          "bằng cast continue_backup) và thông tin kết nối của nó (RPC call), "
                          "tự gắn nó qua os-brick (đăng nhập iSCSI) rồi chạy backup driver của "
                          "mình trên dữ liệu đọc qua session đó.",
    "note.restore_volume": "Tài liệu NetApp để cinder-backup lấy bản ghi của volume mới hoặc "
                           "volume có sẵn. Trong mã nguồn, khi không có volume_id, chính "
                           "cinder-api tạo volume mới (tên restore_backup_<id backup>) như mọi yêu "
                           "cầu tạo volume, qua cinder-scheduler và cinder-volume, và kiểm tra lại "
                           "mỗi giây cho đến khi volume rời trạng thái 'creating'; chỉ khi đó nó "
                           "mới đặt volume 'restoring-backup', backup 'restoring' và cast "
                           "restore_backup đến cinder-backup, nên phản hồi 202 cho client phải chờ "
                           "volume mới.",
    "note.deleting": "Bảng trạng thái trong ghi chú “Cinder Driver” ghi 'Deleting: Volume đã được "
                     "xóa thành công'; trong Cinder 'deleting' là trạng thái trung gian trong lúc "
                     "cinder-volume xóa volume, xóa xong thì bản ghi biến mất (hiển thị → ∅).",
    "legend": "{label} là {kind} {id}.",
    "driver.fails": "Cinder driver được yêu cầu {call} trên hệ thống lưu trữ và thất bại "
                    "({error}): không tạo ra được gì dùng được.",
}

_EN.update(EN_CEPH | CRYPT_EN)  # RBD backends' rows (phrases_ceph.py), encryption's
_VI.update(VI_CEPH | CRYPT_VI)  # (phrases_crypt.py)
_TABLES: dict[str, dict[str, str]] = {"en": _EN, "vi": _VI}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


_FORMATTER = string.Formatter()


def has(lang: str, key: str) -> bool:
    """True when *lang* (or English, its fallback) has a row for *key*."""
    return key in _TABLES.get(lang, _EN) or key in _EN


def phrase(lang: str, key: str, fallback: str | None = None,
           fields: Mapping[str, Any] | None = None) -> str:
    """The row *key* (else *fallback*) of *lang*'s table, with *fields* filled in.

    A language missing a row falls back to English; a missing field prints as
    nothing.  Braces inside values are never interpreted.
    """
    table = _TABLES.get(lang, _EN)
    template = table.get(key)
    if template is None and fallback is not None:
        template = table.get(fallback)
    if template is None:
        template = _EN.get(key) or _EN.get(fallback or "", key)
    return _FORMATTER.vformat(template, (), _Blank(fields or {}))
