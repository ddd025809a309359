"""A volume's encryption key, as every Cinder service handles it (``volume_utils``).

``cinder/volume/volume_utils.py`` has three helpers that cinder-api,
cinder-volume and cinder-backup share; they talk to the key manager through
Castellan with the caller's token (a secret belongs to the user's project):

* :func:`create_encryption_key`: for a type with an ``encryption`` row, a new key
  whose algorithm is the cipher's first word (``aes`` of ``aes-xts-plain64``) and
  whose length is the type's ``key_size``.  A cipher of ``None`` is
  ``InvalidVolumeType`` ("Invalid encryption spec"); any key manager failure is
  ``Invalid`` with the deliberately terse "Key manager error";
* :func:`clone_encryption_key`: ``store(get(id))``, an identical key under a new
  id.  Clones, volumes from snapshots and images, uploaded images and backups
  each get their own copy because every holder deletes its key when it goes;
* :func:`delete_encryption_key`: a key already gone is fine
  (``ManagedObjectNotFoundError`` is ignored); other failures propagate.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import Invalid, InvalidVolumeType
from .key_manager.castellan import KeyManagerError, ManagedObjectNotFoundError

if TYPE_CHECKING:
    from .key_manager.castellan import SymmetricKey

__all__ = ["KeyManagerClient", "clone_encryption_key", "create_encryption_key",
           "delete_encryption_key", "is_encrypted", "transfer_encryption_key"]


class KeyManagerClient(Protocol):
    """Castellan's ``KeyManager`` face (:class:`~cindersim.services.key_manager.KeyManager`)."""

    async def create_key(self, token: str | None, algorithm: str, length: int,
                         name: str | None = None) -> str: ...

    async def store(self, token: str | None, key: SymmetricKey) -> str: ...

    async def get(self, token: str | None, key_id: str) -> SymmetricKey: ...

    async def delete(self, token: str | None, key_id: str) -> None: ...


def is_encrypted(encryption: dict[str, Any] | None) -> bool:
    """``volume_types.is_encrypted``: the type has an ``encryption`` row."""
    return bool(encryption)


async def create_encryption_key(km: KeyManagerClient | None, token: str | None,
                                encryption: dict[str, Any] | None) -> str | None:
    """A new key for a volume of a type with *encryption*; None for a plain type."""
    if not is_encrypted(encryption):
        return None
    assert encryption is not None
    cipher = encryption.get("cipher")
    algorithm = str(cipher).split("-")[0] if cipher else None
    if algorithm is None:
        raise InvalidVolumeType(message="Invalid encryption spec")
    if km is None:  # no [key_manager] backend reachable: Castellan fails to connect
        raise Invalid(message="Key manager error")
    try:
        return await km.create_key(token, algorithm, int(encryption.get("key_size") or 256))
    except KeyManagerError as exc:
        # "purposefully terse, so we don't leak any sensitive details"
        raise Invalid(message="Key manager error") from exc


async def clone_encryption_key(km: KeyManagerClient | None, token: str | None,
                               key_id: str | None) -> str | None:
    """An identical key under a new id (None in, None out)."""
    if key_id is None:
        return None
    if km is None:
        raise Invalid(message="Key manager error")
    return await km.store(token, await km.get(token, key_id))


async def transfer_encryption_key(km: KeyManagerClient | None, vol: Any, snapshots: list[Any],
                                  src_token: str | None, dst_token: str | None) -> None:
    """``KeyTransfer.transfer_key`` (``cinder/keymgr/transfer.py``, 3.70): the key moves
    between projects as a copy stored with *dst_token* and the original deleted with
    *src_token*; the volume and its snapshots name the copy.  A volume offered for
    transfer has its key held by Cinder's service user until it is accepted (moved to
    the recipient) or the transfer is deleted (moved back to the owner)."""
    if km is None or vol.encryption_key_id is None:
        return
    old = vol.encryption_key_id
    new = await km.store(dst_token, await km.get(src_token, old))
    vol.encryption_key_id = new
    for snap in snapshots:
        snap.encryption_key_id = new
    await km.delete(src_token, old)


async def delete_encryption_key(km: KeyManagerClient | None, token: str | None,
                                key_id: str) -> None:
    """Delete a key; one already gone is not an error."""
    if km is None:
        return
    with contextlib.suppress(ManagedObjectNotFoundError):
        await km.delete(token, key_id)
