"""Swift-lite: the object-store API (``/object-store/v1/AUTH_<project>``) over the
simulated cluster cinder-backup writes into.

May use: the kernel, identity, and the object store of ``backends/objectstore``
(read without charging the backup meter); never Cinder's internals (the owner of
a backup's objects comes in as a callable).
"""

from .content import backup_account_of
from .proxy import AccountOf, SwiftService

__all__ = ["AccountOf", "SwiftService", "backup_account_of"]
