"""Cinder's exceptions, as the services and drivers raise them.

The class names and message templates follow ``cinder/exception.py`` (and the
few oslo / os-brick exceptions Cinder lets through), because the API turns them
into HTTP faults whose text users see: ``Invalid*`` is 400, ``*NotFound`` 404,
policy 403, conflicts 409, quota 413.  Wrong state is 400 in Cinder, not 409.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BackendError",
    "BackupDriverException",
    "BackupLimitExceeded",
    "BackupMetadataUnsupportedVersion",
    "BackupNotFound",
    "BackupOperationError",
    "BackupRestoreCancel",
    "CinderException",
    "ConflictNovaUsingAttachment",
    "ISCSITargetAttachFailed",
    "ISCSITargetCreateFailed",
    "ISCSITargetDetachFailed",
    "ISCSITargetRemoveFailed",
    "IllegalTransition",
    "Invalid",
    "InvalidAuthKey",
    "InvalidBackup",
    "InvalidConnectorException",
    "InvalidInput",
    "InvalidName",
    "InvalidSnapshot",
    "InvalidVolume",
    "InvalidVolumeAttachMode",
    "InvalidVolumeType",
    "MessagingTimeout",
    "NoValidBackend",
    "NotAuthorized",
    "NotFound",
    "ObjectStoreFull",
    "OverQuota",
    "PolicyNotAuthorized",
    "ProcessExecutionError",
    "QuotaError",
    "ResourceConflict",
    "SimulationError",
    "SnapshotLimitExceeded",
    "SnapshotNotFound",
    "TransferNotFound",
    "Unauthorized",
    "VolumeAttachmentNotFound",
    "VolumeBackendAPIException",
    "VolumeBackupSizeExceedsAvailableQuota",
    "VolumeDeviceNotFound",
    "VolumeGroupNotFound",
    "VolumeIsBusy",
    "VolumeLimitExceeded",
    "VolumeNotFound",
    "VolumeSizeExceedsAvailableQuota",
    "VolumeSizeExceedsLimit",
    "VolumeTypeAccessExists",
    "VolumeTypeAccessNotFound",
    "VolumeTypeDefaultDeletionError",
    "VolumeTypeEncryptionExists",
    "VolumeTypeEncryptionNotFound",
    "VolumeTypeExists",
    "VolumeTypeExtraSpecsNotFound",
    "VolumeTypeNotFound",
    "VolumeTypeNotFoundByName",
]


class SimulationError(Exception):
    """A bug or misuse of the simulator itself (never a simulated failure)."""


class IllegalTransition(SimulationError):
    """A status change the transition table does not allow.

    Real Cinder guards transitions with atomic conditional updates; in the
    simulator an illegal change means our model of a flow is wrong, so it is
    a bug that raises rather than a user-facing 400.
    """


class CinderException(Exception):
    """Base of Cinder's exceptions: a message template and an HTTP code."""

    message: ClassVar[str] = "An unknown exception occurred."
    code: ClassVar[int] = 500

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError):
                message = self.message
        self.msg = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.msg


# --- 400 -------------------------------------------------------------------
class Invalid(CinderException):
    message = "Unacceptable parameters."
    code = 400


class InvalidInput(Invalid):
    message = "Invalid input received: %(reason)s"


class InvalidVolume(Invalid):
    message = "Invalid volume: %(reason)s"


class InvalidSnapshot(Invalid):
    message = "Invalid snapshot: %(reason)s"


class InvalidBackup(Invalid):
    message = "Invalid backup: %(reason)s"


class BackupOperationError(Invalid):
    message = "An error has occurred during backup operation"


class InvalidVolumeType(Invalid):
    message = "Invalid volume type: %(reason)s"


class InvalidName(Invalid):
    """A JSON-schema ``name`` format failure (blank names); Cinder shows this text alone."""

    message = "An invalid 'name' value was provided. %(reason)s"


class InvalidAuthKey(Invalid):
    """Accepting a transfer with the wrong ``auth_key``."""

    message = "Invalid auth key: %(reason)s"


class VolumeTypeEncryptionExists(Invalid):
    message = "Volume type encryption for type %(type_id)s already exists."


class VolumeTypeDefaultDeletionError(Invalid):
    message = "The volume type %(volume_type_id)s is a default volume type and cannot be deleted."


class InvalidConnectorException(Invalid):
    message = "Connector doesn't have required information: %(missing)s"


# --- 403 / 401 ---------------------------------------------------------------
class NotAuthorized(CinderException):
    message = "Not authorized."
    code = 403


class PolicyNotAuthorized(NotAuthorized):
    message = "Policy doesn't allow %(action)s to be performed."


class Unauthorized(CinderException):
    """401: no, unknown, expired or revoked token, or failed authentication.

    Cinder's own NotAuthorized is 403; a 401 comes from keystonemiddleware (or
    Keystone itself) before any Cinder code runs, with Keystone's message.
    """

    message = "The request you have made requires authentication."
    code = 401


# --- 404 -------------------------------------------------------------------
class NotFound(CinderException):
    message = "Resource could not be found."
    code = 404


class VolumeNotFound(NotFound):
    message = "Volume %(volume_id)s could not be found."


class SnapshotNotFound(NotFound):
    message = "Snapshot %(snapshot_id)s could not be found."


class BackupNotFound(NotFound):
    message = "Backup %(backup_id)s could not be found."


class VolumeTypeNotFound(NotFound):
    message = "Volume type %(volume_type_id)s could not be found."


class VolumeTypeNotFoundByName(VolumeTypeNotFound):
    message = "Volume type with name %(volume_type_name)s could not be found."


class VolumeTypeAccessNotFound(NotFound):
    message = ("Volume type access not found for %(volume_type_id)s / %(project_id)s "
               "combination.")


class VolumeTypeExtraSpecsNotFound(NotFound):
    message = "Volume Type %(volume_type_id)s has no extra specs with key %(extra_specs_key)s."


class VolumeTypeEncryptionNotFound(NotFound):
    message = "Volume type encryption for type %(type_id)s does not exist."


class TransferNotFound(NotFound):
    message = "Transfer %(transfer_id)s could not be found."


class VolumeAttachmentNotFound(NotFound):
    message = "Volume attachment could not be found with filter: %(filter)s."


class VolumeGroupNotFound(CinderException):
    message = "Unable to find Volume Group: %(vg_name)s"


# --- 409 -------------------------------------------------------------------
class ResourceConflict(Invalid):
    message = "Resource conflict: %(reason)s"
    code = 409


class VolumeTypeExists(CinderException):
    """A ``Duplicate`` in Cinder (500 by itself); types_manage turns it into HTTPConflict."""

    message = "Volume Type %(id)s already exists."
    code = 409


class VolumeTypeAccessExists(CinderException):
    """A ``Duplicate`` in Cinder; volume_type_access turns it into HTTPConflict."""

    message = ("Volume type access for %(volume_type_id)s / %(project_id)s combination "
               "already exists.")
    code = 409


class ConflictNovaUsingAttachment(ResourceConflict):
    message = "Detach volume from instance %(instance_id)s using the Compute API"


# --- 413 -------------------------------------------------------------------
class QuotaError(CinderException):
    message = "Quota exceeded: code=%(code)s"
    code = 413


class VolumeSizeExceedsAvailableQuota(QuotaError):
    message = (
        "Requested volume or snapshot exceeds allowed %(name)s quota. Requested "
        "%(requested)sG, quota is %(quota)sG and %(consumed)sG has been consumed."
    )


class VolumeSizeExceedsLimit(QuotaError):
    message = "Requested volume size %(size)dG is larger than maximum allowed limit %(limit)dG."


class VolumeBackupSizeExceedsAvailableQuota(QuotaError):
    message = (
        "Requested backup exceeds allowed Backup gigabytes quota. Requested "
        "%(requested)sG, quota is %(quota)sG and %(consumed)sG has been consumed."
    )


class VolumeLimitExceeded(QuotaError):
    message = "Maximum number of volumes allowed (%(allowed)d) exceeded for quota '%(name)s'."


class SnapshotLimitExceeded(QuotaError):
    message = "Maximum number of snapshots allowed (%(allowed)d) exceeded"


class BackupLimitExceeded(QuotaError):
    message = "Maximum number of backups allowed (%(allowed)d) exceeded"


class OverQuota(CinderException):
    """Raised by the quota engine; the API converts it into one of the 413s."""

    message = "Quota exceeded for resources: %(overs)s"

    def __init__(self, overs: list[str], quotas: dict[str, int],
                 usages: dict[str, dict[str, int]]) -> None:
        self.overs = overs
        self.quotas = quotas
        self.usages = usages
        super().__init__(overs=overs)


# --- backend and service failures (500 when they ever reach the API) -------
class BackendError(CinderException):
    """Base for failures raised inside a storage backend or driver."""


class NoValidBackend(CinderException):
    message = "No valid backend was found. %(reason)s"


class VolumeIsBusy(BackendError):
    message = "deleting volume %(volume_name)s that has snapshot"


class VolumeBackendAPIException(BackendError):
    message = "Bad or unexpected response from the storage volume backend API: %(data)s"


class ProcessExecutionError(BackendError):
    """oslo.concurrency's error for a failed command (what lvcreate raises through brick)."""

    message = (
        "Unexpected error while running command.\nCommand: %(cmd)s\nExit code: "
        "%(exit_code)s\nStdout: %(stdout)r\nStderr: %(stderr)r"
    )

    def __init__(self, cmd: str = "", exit_code: int = 5, stdout: str = "",
                 stderr: str = "") -> None:
        self.cmd = cmd
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(cmd=cmd, exit_code=exit_code, stdout=stdout, stderr=stderr)


class ISCSITargetCreateFailed(BackendError):
    message = "Failed to create iscsi target for volume %(volume_id)s."


class ISCSITargetRemoveFailed(BackendError):
    message = "Failed to remove iscsi target for volume %(volume_id)s."


class ISCSITargetAttachFailed(BackendError):
    message = "Failed to attach iSCSI target for volume %(volume_id)s."


class ISCSITargetDetachFailed(BackendError):
    message = "Failed to detach iSCSI target for volume %(volume_id)s."


class VolumeDeviceNotFound(BackendError):
    """os-brick: the device never appeared after login."""

    message = "Volume device not found at %(device)s."


class BackupDriverException(BackendError):
    message = "Backup driver reported an error: %(reason)s"


class BackupMetadataUnsupportedVersion(BackupDriverException):
    message = "Unsupported backup metadata version requested"


class BackupRestoreCancel(BackendError):
    message = "Canceled backup %(back_id)s restore on volume %(vol_id)s"


class ObjectStoreFull(BackupDriverException):
    """The simulated object store ran out of its configured capacity."""

    message = "Backup driver reported an error: object store %(store)s is full"


class MessagingTimeout(CinderException):
    """oslo.messaging: an RPC ``call`` got no reply in time."""

    message = "Timed out waiting for a reply to message ID %(msg_id)s"


class InvalidVolumeAttachMode(Invalid):
    """``cinder.exception.InvalidVolumeAttachMode`` (400): read-only volume, ``rw`` asked."""

    message = "Invalid attaching mode '%(mode)s' for volume %(volume_id)s."
