"""Where the words come from: the seed documents and Cinder's own code.

The narration and the studio cite the five documents a learner reads next to
cindersim by title, author and address (never by a local file name), and link
each step to the function of Cinder (or Nova, or os-brick) that does it, so a
reader can go from "cinder-scheduler takes the message off the queue" to
``cinder/scheduler/manager.py`` in one click.

The documents are kept as published; where their author or address is not
known it says so instead of inventing one.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..trace import TraceEvent

__all__ = ["DOCUMENTS", "FLOW_SOURCES", "CodeLink", "Document", "cite", "code_links"]


@attrs.frozen
class Document:
    """One of the documents the narration follows."""

    key: str
    title: str
    author: str | None
    url: str | None
    note: str = ""
    """Which of its parts the flows use (its own section names and step labels)."""

    def citation(self, lang: str = "en") -> str:
        """``"Title" (author), URL``; an unknown author or address is said plainly."""
        unknown = "không rõ tác giả" if lang == "vi" else "author unknown"
        who = self.author or unknown
        where = self.url or ("không rõ địa chỉ gốc" if lang == "vi" else "source address unknown")
        return f"“{self.title}” ({who}), {where}"


#: The documents, keyed by a short name used only inside cindersim.
DOCUMENTS: Mapping[str, Document] = {
    "netapp": Document(
        "netapp", "OpenStack Deployment and Operations Guide: Cinder Processes",
        "NetApp",
        "http://netapp.github.io/openstack-deploy-ops-guide/icehouse/content/"
        "section_cinder-processes.html",
        "create, attach, backup and restore steps, in order (Apache 2.0)"),
    "instance-disk": Document(
        "instance-disk", "Mối quan hệ giữa instance và disk", None, None,
        "§6 volume creation B1-B9, §7 attach B1-B9; it follows the NetApp guide above"),
    "workflow": Document(
        "workflow", "Cinder workflow", None, None,
        "its references: github.com/trangnth/Timhieu_Openstack (Cinder-Workflow.md), "
        "docs.openstack.org attach_detach_conventions"),
    "manhnh": Document(
        "manhnh", "Cinder", "manhnh251995",
        "https://github.com/manhnh251995/openstackbasic/blob/master/Cinder.md",
        "attach flow and create flow"),
    "driver": Document(
        "driver", "Cinder Driver", None, None,
        "§5 Cinder Driver, the attach flow, the status table"),
}

#: Which documents describe each flow, most detailed first.
FLOW_SOURCES: Mapping[str, tuple[str, ...]] = {
    "create": ("instance-disk", "netapp", "workflow", "manhnh"),
    "attach": ("instance-disk", "netapp", "workflow", "manhnh", "driver"),
    "backup": ("netapp", "driver"),
    "restore": ("netapp", "driver"),
    "boot": ("instance-disk",),
    "snapshot": ("driver",),
    "transfer": ("driver",),
    "migrate": ("driver",),
}


def cite(flow: str | None, lang: str = "en") -> list[Document]:
    """The documents of *flow* (none for a flow they do not describe)."""
    return [DOCUMENTS[k] for k in FLOW_SOURCES.get(flow or "", ())]


# --- links to the code ------------------------------------------------------------------
_CINDER = "https://opendev.org/openstack/cinder/src/branch/master/"
_NOVA = "https://opendev.org/openstack/nova/src/branch/master/"
_BRICK = "https://opendev.org/openstack/os-brick/src/branch/master/"


@attrs.frozen
class CodeLink:
    """A function of the real service, with the address of its file."""

    label: str
    url: str


def _c(path: str, func: str, base: str = _CINDER) -> CodeLink:
    return CodeLink(f"{path.rsplit('/', 1)[-1]}: {func}", base + path)


# Requests: the REST controller and the API layer behind it.
_REQUESTS: Mapping[str, tuple[CodeLink, ...]] = {
    "volumes.create": (_c("cinder/api/v3/volumes.py", "VolumeController.create"),
                       _c("cinder/volume/api.py", "API.create"),
                       _c("cinder/volume/flows/api/create_volume.py", "the API create flow")),
    "volumes.delete": (_c("cinder/api/v3/volumes.py", "VolumeController.delete"),
                       _c("cinder/volume/api.py", "API.delete")),
    "attachments.create": (_c("cinder/api/v3/attachments.py", "AttachmentsController.create"),
                           _c("cinder/volume/api.py", "API.attachment_create")),
    "attachments.update": (_c("cinder/api/v3/attachments.py", "AttachmentsController.update"),
                           _c("cinder/volume/api.py", "API.attachment_update")),
    "attachments.action:os-complete": (
        _c("cinder/api/v3/attachments.py", "AttachmentsController.complete"),),
    "attachments.delete": (_c("cinder/api/v3/attachments.py", "AttachmentsController.delete"),
                           _c("cinder/volume/api.py", "API.attachment_delete")),
    "backups.create": (_c("cinder/api/contrib/backups.py", "BackupsController.create"),
                       _c("cinder/backup/api.py", "API.create")),
    "backups.restore": (_c("cinder/api/contrib/backups.py", "BackupsController.restore"),
                        _c("cinder/backup/api.py", "API.restore")),
    "servers.create": (_c("nova/api/openstack/compute/servers.py", "ServersController.create",
                          _NOVA),),
    "servers.attach_volume": (_c("nova/api/openstack/compute/volumes.py",
                                 "VolumeAttachmentController.create", _NOVA),
                              _c("nova/compute/api.py", "API.attach_volume", _NOVA)),
    "servers.detach_volume": (_c("nova/api/openstack/compute/volumes.py",
                                 "VolumeAttachmentController.delete", _NOVA),),
}

# Bus methods, by the lifeline that handles them.
_HANDLERS: Mapping[tuple[str, str], CodeLink] = {
    ("Scheduler", "create_volume"): _c("cinder/scheduler/manager.py",
                                       "SchedulerManager.create_volume"),
    ("Scheduler", "create_backup"): _c("cinder/scheduler/manager.py",
                                       "SchedulerManager.create_backup"),
    ("Volume", "create_volume"): _c("cinder/volume/manager.py", "VolumeManager.create_volume"),
    ("Volume", "delete_volume"): _c("cinder/volume/manager.py", "VolumeManager.delete_volume"),
    ("Volume", "attachment_update"): _c("cinder/volume/manager.py",
                                        "VolumeManager.attachment_update"),
    ("Volume", "attachment_delete"): _c("cinder/volume/manager.py",
                                        "VolumeManager.attachment_delete"),
    ("Volume", "initialize_connection"): _c("cinder/volume/manager.py",
                                            "VolumeManager.initialize_connection"),
    ("Volume", "terminate_connection"): _c("cinder/volume/manager.py",
                                           "VolumeManager.terminate_connection"),
    ("Volume", "remove_export"): _c("cinder/volume/manager.py", "VolumeManager.remove_export"),
    ("Backup", "create_backup"): _c("cinder/backup/manager.py", "BackupManager.create_backup"),
    ("Backup", "restore_backup"): _c("cinder/backup/manager.py",
                                     "BackupManager.restore_backup"),
    ("NovaCompute", "attach_volume"): _c("nova/compute/manager.py",
                                         "ComputeManager.attach_volume", _NOVA),
    ("NovaCompute", "detach_volume"): _c("nova/compute/manager.py",
                                         "ComputeManager.detach_volume", _NOVA),
    ("NovaCompute", "build_and_run_instance"): _c("nova/compute/manager.py",
                                                  "ComputeManager.build_and_run_instance",
                                                  _NOVA),
}

# Who sends a method: the rpcapi module of the receiving service.
_RPCAPI: Mapping[str, str] = {
    "cinder-scheduler": "cinder/scheduler/rpcapi.py",
    "cinder-volume": "cinder/volume/rpcapi.py",
    "cinder-backup": "cinder/backup/rpcapi.py",
}

_DRIVER: Mapping[str, CodeLink] = {
    "create_volume": _c("cinder/volume/drivers/lvm.py", "LVMVolumeDriver.create_volume"),
    "delete_volume": _c("cinder/volume/drivers/lvm.py", "LVMVolumeDriver.delete_volume"),
    "create_export": _c("cinder/volume/drivers/lvm.py", "LVMVolumeDriver.create_export"),
    "remove_export": _c("cinder/volume/drivers/lvm.py", "LVMVolumeDriver.remove_export"),
    "initialize_connection": _c("cinder/volume/targets/iscsi.py",
                                "ISCSITarget.initialize_connection"),
    "terminate_connection": _c("cinder/volume/drivers/lvm.py",
                               "LVMVolumeDriver.terminate_connection"),
    "create_snapshot": _c("cinder/volume/drivers/lvm.py", "LVMVolumeDriver.create_snapshot"),
    "backup": _c("cinder/backup/chunkeddriver.py", "ChunkedBackupDriver.backup"),
    "restore": _c("cinder/backup/chunkeddriver.py", "ChunkedBackupDriver.restore"),
}

_NFS_OWN = ("create_volume", "delete_volume", "initialize_connection", "create_snapshot",
            "delete_snapshot", "extend_volume", "create_cloned_volume",
            "create_volume_from_snapshot")
_PROTOCOL_DRIVER: Mapping[str, Mapping[str, CodeLink]] = {
    # A driver call on an RBD, NFS or FC backend is that driver's, not LVM's or iSCSI's.
    "rbd": {call: _c("cinder/volume/drivers/rbd.py", f"RBDDriver.{call}") for call in (
        "create_volume", "delete_volume", "create_export", "remove_export", "ensure_export",
        "initialize_connection", "terminate_connection", "create_snapshot",
        "delete_snapshot", "extend_volume", "create_cloned_volume",
        "create_volume_from_snapshot", "revert_to_snapshot")},
    "nfs": {**{call: _c("cinder/volume/drivers/remotefs.py", f"RemoteFSDriver.{call}")
               for call in ("create_export", "remove_export", "ensure_export",
                            "terminate_connection")},
            **{call: _c("cinder/volume/drivers/nfs.py", f"NfsDriver.{call}")
               for call in _NFS_OWN}},
    # The FC array is not a Cinder class: the links are FibreChannelDriver's contract
    # and the Zone Manager's hooks every FC driver calls.
    "fibre_channel": {
        "initialize_connection": _c("cinder/volume/driver.py",
                                    "FibreChannelDriver.initialize_connection"),
        "terminate_connection": _c("cinder/zonemanager/utils.py", "remove_fc_zone")},
}

_BACKEND: Mapping[str, CodeLink] = {
    "lvcreate": _c("cinder/brick/local_dev/lvm.py", "LVM.create_volume"),
    "lvremove": _c("cinder/brick/local_dev/lvm.py", "LVM.delete"),
    "tgt-admin --update": _c("cinder/volume/targets/tgt.py", "TgtAdm.create_iscsi_target"),
    "tgt-admin --force --delete": _c("cinder/volume/targets/tgt.py",
                                     "TgtAdm.remove_iscsi_target"),
    "cinder-rtstool create": _c("cinder/volume/targets/lio.py", "LioAdm.create_iscsi_target"),
    "iscsiadm --login": _c("os_brick/initiator/connectors/iscsi.py",
                           "ISCSIConnector.connect_volume", _BRICK),
    "iscsiadm --logout": _c("os_brick/initiator/connectors/iscsi.py",
                            "ISCSIConnector.disconnect_volume", _BRICK),
    "virsh attach-device": _c("nova/virt/libvirt/driver.py", "LibvirtDriver.attach_volume",
                              _NOVA),
    "virsh detach-device": _c("nova/virt/libvirt/driver.py", "LibvirtDriver.detach_volume",
                              _NOVA),
    "PUT": _c("cinder/backup/drivers/swift.py", "SwiftBackupDriver.put_container / writer"),
    "GET": _c("cinder/backup/drivers/swift.py", "SwiftBackupDriver.get_object_reader"),
}

_SCHEDULE = _c("cinder/scheduler/filter_scheduler.py", "FilterScheduler._schedule")


def code_links(ev: TraceEvent, request_key: str | None, lifeline: str | None,
               *, protocol: str | None = None) -> tuple[CodeLink, ...]:
    """The real functions behind one event (empty when none is known).

    *protocol* names the backend's driver kind when the event does not (``rbd``).
    """
    d = ev.detail
    method = str(d.get("method", ""))
    if ev.kind == "api.request" and request_key:
        return _REQUESTS.get(request_key, ())
    if ev.kind == "schedule" and "decision" in d:
        return (_SCHEDULE,)
    if ev.kind == "bus.deliver" and lifeline and d.get("msg_kind") != "reply":
        link = _HANDLERS.get((lifeline, method))
        return (link,) if link else ()
    if ev.kind == "bus.send" and ev.target:
        service = str(ev.target).split(".", 1)[0]
        path = _RPCAPI.get(service)
        if path:
            cls = {"cinder-scheduler": "SchedulerAPI", "cinder-volume": "VolumeAPI",
                   "cinder-backup": "BackupAPI"}[service]
            return (_c(path, f"{cls}.{method}"),)
    if ev.kind in ("driver", "driver.error"):
        proto = d.get("protocol") or protocol
        if proto in _PROTOCOL_DRIVER:
            link = _PROTOCOL_DRIVER[str(proto)].get(str(d.get("call", "")))
            return (link,) if link else ()
        link = _DRIVER.get(str(d.get("call", "")))
        return (link,) if link else ()
    if ev.kind == "backend":
        link = _BACKEND.get(str(d.get("op", "")))
        return (link,) if link else ()
    return ()
