"""Re-keying a clone of an encrypted volume (``CreateVolumeFromSpecTask._rekey_volume``).

cinder-api gave the clone a *copy* of its source's key (same bytes, new id), and
the driver copied the source's LV, LUKS header included.  So that two volumes do
not share key material, cinder-volume then attaches the clone to its own host
(iSCSI is among ``REKEY_SUPPORTED_CONNECTORS``), makes a new key and:

* if the LV already holds LUKS (the source was attached once, so Nova formatted
  it): ``cryptsetup luksChangeKey`` from the copied key's passphrase to the new
  one (the master key and the data stay);
* else (never written): ``cryptsetup luksFormat --type luks1`` with the new key;

then deletes the copied key.  ``check_encryption_provider`` comes first and
accepts only the ``luks`` provider: a clone of a ``luks2`` or ``plain`` volume
fails here ("Provider luks2 not supported."), as it does in Cinder on LVM.  The
keys are handled with the requesting user's token, which the RPC carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...backends.dmcrypt import CryptError, is_luks, luks_change_key, luks_format
from ...errors import VolumeBackendAPIException
from ..encryption_keys import create_encryption_key, delete_encryption_key
from ..key_manager.castellan import KeyManagerError

if TYPE_CHECKING:
    from ...db import Volume
    from .manager import VolumeService

__all__ = ["rekey_volume"]

LEGACY_LUKS = ("nova.volume.encryptors.luks.LuksEncryptor",
               "os_brick.encryptors.luks.LuksEncryptor", "LuksEncryptor")
REKEY_SECONDS = 2.0
"""luksChangeKey / luksFormat: cryptsetup's PBKDF iteration time dominates."""


async def rekey_volume(svc: VolumeService, vol: Volume, token: str | None) -> None:
    """Give the clone *vol* a key of its own (raises ``VolumeBackendAPIException``)."""
    km = svc.key_manager
    vtype = svc.env.db.volume_types.get(vol.volume_type_id or "")
    encryption = vtype.encryption if vtype is not None else None
    if km is None or token is None or not encryption or vol.encryption_key_id is None:
        return  # RekeyNotSupported: the clone keeps the copied key
    provider = encryption.get("provider")
    if provider in LEGACY_LUKS:
        provider = "luks"
    if provider != "luks":
        raise VolumeBackendAPIException(data=f"Provider {provider} not supported.")
    if not encryption.get("cipher") or not encryption.get("key_size"):
        raise VolumeBackendAPIException(
            data='encryption spec must contain "cipher" and "key_size"')
    lv = svc.driver.volume_data(vol.id)
    new_id: str | None = None
    try:
        source = await km.get(token, vol.encryption_key_id)
        new_id = await create_encryption_key(km, token, encryption)
        assert new_id is not None
        new = await km.get(token, new_id)
        if is_luks(lv) is not None:
            luks_change_key(lv, source.passphrase(), new.passphrase())
            what = "cryptsetup luksChangeKey"
        else:
            luks_format(lv, new.passphrase(), version="luks1",
                        cipher=str(encryption["cipher"]), key_size=int(encryption["key_size"]),
                        salt=vol.id)
            what = "cryptsetup luksFormat"
        svc.meter.charge("cryptsetup", what, REKEY_SECONDS,
                         f"{what} of volume {vol.id[:8]}: re-keyed from the copied key "
                         f"{vol.encryption_key_id[:8]} to its own {new_id[:8]}",
                         host=svc.host, volume_id=vol.id)
        await svc.meter.spend()
    except (KeyManagerError, CryptError) as exc:
        if new_id is not None:  # "Remove newly cloned key since it will not be used."
            await delete_encryption_key(km, token, new_id)
        raise VolumeBackendAPIException(data=f"rekey failed: {exc}") from exc
    copied, vol.encryption_key_id = vol.encryption_key_id, new_id
    await delete_encryption_key(km, token, copied)
