"""iSCSI targets (tgt, LIO) and initiators, with CHAP and ACLs, as os-brick meets them.

Holds both ends of an export: CHAP credentials (``chap``), the target, ACL and
session records and ``provider_location`` parsing (``targets``), the portal
registry (``network``), the tgtadm/lioadm target side of a backend
(``target_host``) and the iscsiadm/os-brick initiator of a host
(``initiator``).  May use the kernel (``errors``) and ``backends.costs``;
never ``services/``, the LVM model or the drivers.
"""

from .chap import (
    DEFAULT_PASSWORD_SYMBOLS,
    ChapCredentials,
    generate_password,
    generate_username,
)
from .initiator import IscsiInitiator
from .network import IscsiNetwork
from .target_host import TargetHost
from .targets import (
    DEFAULT_TARGET_PREFIX,
    NodeACL,
    Session,
    Target,
    TargetHelper,
    by_path,
    parse_provider_location,
    scsi_disk_name,
)

__all__ = [
    "DEFAULT_PASSWORD_SYMBOLS",
    "DEFAULT_TARGET_PREFIX",
    "ChapCredentials",
    "IscsiInitiator",
    "IscsiNetwork",
    "NodeACL",
    "Session",
    "Target",
    "TargetHelper",
    "TargetHost",
    "by_path",
    "generate_password",
    "generate_username",
    "parse_provider_location",
    "scsi_disk_name",
]
