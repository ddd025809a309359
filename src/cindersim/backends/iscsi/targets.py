"""An iSCSI export as both ends see it: targets, LIO NodeACLs, sessions, locations.

* IQN = ``target_prefix + volume.name`` (``iqn.2010-10.org.openstack:volume-<id>``).
* ``provider_location`` = ``"<ip>:<port>,<tid> <iqn> <lun>"``, split again by
  :func:`parse_provider_location` as ``_get_iscsi_properties`` does.
* The iscsiadm exit codes here are the login results os-brick sees.
"""

from __future__ import annotations

from typing import Literal

import attrs

from .chap import ChapCredentials

__all__ = [
    "AUTH_FAILED",
    "DEFAULT_TARGET_PREFIX",
    "ISCSI_ERR_LOGIN",
    "ISCSI_ERR_LOGIN_AUTH_FAILED",
    "ISCSI_ERR_NO_OBJS_FOUND",
    "ISCSI_ERR_TRANS_TIMEOUT",
    "NodeACL",
    "Session",
    "Target",
    "TargetHelper",
    "by_path",
    "parse_provider_location",
    "scsi_disk_name",
]

TargetHelper = Literal["tgtadm", "lioadm"]
"""The two target helpers modelled (``target_helper`` option)."""

DEFAULT_TARGET_PREFIX = "iqn.2010-10.org.openstack:"
"""``target_prefix`` default (cinder/volume/driver.py)."""

# iscsiadm exit codes (open-iscsi include/iscsi_err.h) that os-brick sees.
ISCSI_ERR_TRANS_TIMEOUT = 8
"""Connection timed out: nothing listens on that portal."""
ISCSI_ERR_LOGIN = 19
"""Non-retryable login failure, e.g. the target answered "target not found"."""
ISCSI_ERR_NO_OBJS_FOUND = 21
"""No matching session: os-brick accepts it on logout."""
ISCSI_ERR_LOGIN_AUTH_FAILED = 24
"""Authorization failure: wrong CHAP, or LIO refused an initiator without an ACL."""
AUTH_FAILED = "iSCSI login failed due to authorization failure"


# --- locations and device names ------------------------------------------------
def parse_provider_location(location: str) -> tuple[list[str], str, int]:
    """Split ``provider_location`` as ``_get_iscsi_properties`` does.

    Returns ``(portals, iqn, lun)``: portals are field 0 cut at ``,`` and split
    on ``;``; the IQN is field 1; the LUN is ``int(field 2)``, or 0 when it is
    missing or not a number.
    """
    fields = location.split(" ")
    if len(fields) < 2:
        raise ValueError(f"provider_location {location!r} has no IQN")
    portals = fields[0].split(",")[0].split(";")
    try:
        lun = int(fields[2])
    except (IndexError, ValueError):
        lun = 0
    return portals, fields[1], lun


def by_path(portal: str, iqn: str, lun: int) -> str:
    """The udev symlink os-brick waits for (``_get_device_path``)."""
    return f"/dev/disk/by-path/ip-{portal}-iscsi-{iqn}-lun-{lun}"


def scsi_disk_name(index: int) -> str:
    """Linux ``sd_format_disk_name``: 0 → ``sda``, 25 → ``sdz``, 26 → ``sdaa``, ..."""
    if index < 0:
        raise ValueError("disk index must be >= 0")
    letters = ""
    n = index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return "sd" + letters


# --- target state ---------------------------------------------------------------
@attrs.frozen
class NodeACL:
    """A LIO per-initiator ACL: the initiator's CHAP pair and its mapped LUN (always 0)."""

    initiator: str
    chap: ChapCredentials
    mapped_lun: int = 0


@attrs.frozen
class Session:
    """One logged-in iSCSI session, seen from both ends.

    ``sid`` is the initiator host's session number (``iscsiadm -m session``
    shows it in brackets); ``host`` + ``sid`` identify the session.  The disk
    the session exposes is ``device`` (``/dev/sdX``) and ``path`` (the
    by-path link).
    """

    host: str
    sid: int
    initiator: str
    iqn: str
    portal: str
    lun: int
    device: str
    scsi_wwn: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.host, self.sid)

    @property
    def path(self) -> str:
        return by_path(self.portal, self.iqn, self.lun)


@attrs.define(kw_only=True)
class Target:
    """One exported volume on a :class:`TargetHost` (mutable: sessions and ACLs change).

    Attributes:
        iqn: ``target_prefix + volume_name``.
        tid: the token Cinder writes into ``provider_location`` after the
            portal: tgt's target number as text, or LIO's IQN.
        lun: 1 on tgt, 0 on LIO.
        chap: tgt's ``incominguser`` (None if the target was created without
            CHAP, which ``ensure_export`` does when the volume has no
            ``provider_auth``); on LIO the CHAP pair Cinder passed to
            ``rtstool create``, which only matters through the ACLs.
        acls: LIO NodeACLs by initiator name (always empty on tgt).
        sessions: live sessions by ``(host, sid)``.
    """

    iqn: str
    tid: str
    lun: int
    volume_id: str
    volume_name: str
    device_path: str
    chap: ChapCredentials | None
    portals: tuple[str, ...]
    scsi_wwn: str
    acls: dict[str, NodeACL] = attrs.field(factory=dict)
    sessions: dict[tuple[str, int], Session] = attrs.field(factory=dict)

    @property
    def provider_location(self) -> str:
        """``"<ip>:<port>[;<ip2>:<port>],<tid> <iqn> <lun>"`` (``_iscsi_location``)."""
        return f"{';'.join(self.portals)},{self.tid} {self.iqn} {self.lun}"

    def acl_for(self, initiator: str) -> NodeACL | None:
        """LIO matches ACLs case-insensitively (``node_wwn.lower()`` in rtstool)."""
        wanted = initiator.lower()
        for name, acl in self.acls.items():
            if name.lower() == wanted:
                return acl
        return None
