"""Nova's volume encryptors on one compute host (``_attach_encryptor``/``_detach_encryptor``).

What ``nova/virt/libvirt/driver.py`` and ``os_brick/encryptors`` do between
os-brick's ``connect_volume`` and libvirt's ``attachDeviceFlags``, when Cinder's
``connection_info`` says ``encrypted: true``:

1. **metadata**: ``GET /volumes/{id}/encryption`` with the user's token
   (``encryptors.get_encryption_metadata``): provider, cipher, key size, control
   location and the ``encryption_key_id``;
2. **key**: Castellan ``get`` of that id from Barbican, with the user's token; the
   passphrase is the key's bytes in hex (``binascii.hexlify``);
3. by provider:

   * ``luks`` (LUKSv1; also its legacy class names): *QEMU decrypts natively*.
     If the device is not LUKS yet (``is_luks``), os-brick's ``_format_volume``
     runs ``cryptsetup luksFormat --type luks1`` (first attach); then a libvirt
     secret holds the passphrase and the guest's disk is the iSCSI device with
     ``<encryption format='luks'>``: no ``/dev/mapper`` device.  Nova checks no
     control location on this path, so a ``back-end`` LUKSv1 type is decrypted
     here too.
   * ``luks2`` (``Luks2Encryptor``) and ``plain`` (``CryptsetupEncryptor``), only
     with ``control_location = front-end`` (``get_volume_encryptor``; otherwise
     the ``NoOpEncryptor`` trusts the backend, and LVM does not encrypt):
     ``cryptsetup luksOpen`` (exit 1 on a device never formatted: ``luksFormat
     --type luks2``, then open again) or ``cryptsetup create``, to
     ``/dev/mapper/crypt-<basename of the device path>``; ``ln --symbolic
     --force`` points the device path at it, so libvirt hands the guest the
     mapper device.
   * anything else at the front end: os-brick cannot load the encryptor class
     ("Error instantiating"), the attach fails.

4. **detach**: the libvirt secret is deleted, or ``cryptsetup luksClose``
   (``remove`` for plain) removes the mapping, before os-brick logs out.
5. **extend** (``volume-extended``): ``cryptsetup resize`` of the mapping (or
   QEMU's LUKS layer follows the device less its payload offset), then ``virsh
   blockresize`` of the guest's disk.  os-brick reads the passphrase from Barbican
   again for the resize; the simulated mapping is already open and needs no key, so
   that request is not made.

Failures (no metadata answer, the key missing or another project's, a bad
passphrase) raise :class:`~cindersim.services.nova.model.NovaError`: the compute
manager rolls the attach back as ``_connect_volume`` does (disconnect, delete the
attachment: the volume is ``available`` again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ...backends.dmcrypt import CryptDevice, CryptError, is_luks, luks_format, luks_open, plain_open
from ...backends.iscsi.targets import by_path
from ..key_manager.castellan import KeyManagerError
from .model import NovaError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ...backends.blocks import BlockData
    from ...backends.costs import Meter
    from .cinder import CinderClient
    from .hypervisor import GuestDisk, LibvirtDriver
    from .model import BlockDeviceMapping, NovaContext

__all__ = ["CryptAttachment", "Encryptors", "provider_format"]

LUKS_FORMAT_SECONDS = 2.0
"""``luksFormat``: cryptsetup benchmarks its PBKDF to ``--iter-time`` (2 s by default)."""
LUKS_OPEN_SECONDS = 2.0
"""Unlocking a key slot runs that PBKDF once more."""
MAPPER_SECONDS = 0.1
"""``cryptsetup create``/``luksClose``/``resize``, ``ln -s``, ``virsh secret-*``."""
LEGACY_PROVIDERS = {
    "nova.volume.encryptors.luks.LuksEncryptor": "luks",
    "nova.volume.encryptors.cryptsetup.CryptsetupEncryptor": "plain",
    "nova.volume.encryptors.nop.NoopEncryptor": None,
    "os_brick.encryptors.luks.LuksEncryptor": "luks",
    "os_brick.encryptors.cryptsetup.CryptsetupEncryptor": "plain",
    "os_brick.encryptors.nop.NoopEncryptor": None,
    "LuksEncryptor": "luks", "CryptsetupEncryptor": "plain", "NoOpEncryptor": None,
}
"""``encryptors.LEGACY_PROVIDER_CLASS_TO_FORMAT_MAP``."""


def provider_format(provider: str | None) -> str | None:
    """A provider as os-brick reads it: legacy class names mapped to their format."""
    if provider in LEGACY_PROVIDERS:
        return LEGACY_PROVIDERS[provider]
    return provider


@attrs.define
class CryptAttachment:
    """What the encryptor left on the host for one attached volume."""

    volume_id: str
    how: str
    """``libvirt-secret`` (QEMU's native LUKSv1) or ``dm-crypt`` (a mapper device)."""
    device: CryptDevice
    """The plaintext the guest reads and writes."""
    source: str
    """The guest disk's source: the device path, or ``/dev/mapper/crypt-...``."""
    metadata: dict[str, Any]


class Encryptors:
    """The encryptors of one compute host (and its libvirt secrets).

    Args:
        host: the compute host (for the trace).
        cinder: nova-compute's Cinder client (the metadata).
        key_manager: Castellan as Nova has it now (None: no key can be fetched).
        meter: where each cryptsetup/virsh step is charged.
    """

    def __init__(self, host: str, cinder: CinderClient, key_manager: Callable[[], Any],
                 meter: Meter) -> None:
        self.host = host
        self.cinder = cinder
        self._key_manager = key_manager
        self.meter = meter
        self.attached: dict[str, CryptAttachment] = {}
        """By volume id: the libvirt secrets and dm-crypt mappings of this host."""

    def _charge(self, component: str, op: str, seconds: float, summary: str,
                **detail: Any) -> None:
        self.meter.charge(component, op, seconds, summary, host=self.host, **detail)

    async def metadata(self, ctx: NovaContext, volume_id: str,
                       connection_info: dict[str, Any]) -> dict[str, Any]:
        """``get_encryption_metadata``: asked only when Cinder says ``encrypted``."""
        if not connection_info.get("data", {}).get("encrypted"):
            return {}
        return await self.cinder.get_volume_encryption_metadata(ctx, volume_id)

    async def attach(self, ctx: NovaContext, bdm: BlockDeviceMapping,
                     connection_info: dict[str, Any], lv: BlockData) -> CryptAttachment | None:
        """``_attach_encryptor``: the plaintext device for the guest, or None (plain)."""
        volume_id = str(bdm.volume_id)
        existing = self.attached.get(volume_id)
        if existing is not None:  # "a libvirt secret ... has been found on the host"
            return existing
        meta = await self.metadata(ctx, volume_id, connection_info)
        if not meta:
            return None
        provider = provider_format(meta.get("provider"))
        native = provider == "luks"  # _allow_native_luksv1
        front_end = str(meta.get("control_location") or "").lower() == "front-end"
        if not native and (not front_end or provider is None):
            return None  # NoOpEncryptor
        if not native and provider not in ("luks2", "plain"):
            raise NovaError(f"Error instantiating {provider}: No module named "
                            f"'{str(provider).rpartition('.')[0] or provider}'", 500)
        passphrase = await self._passphrase(ctx, meta)
        data = connection_info.get("data", {})
        path = by_path(str(data.get("target_portal")), str(data.get("target_iqn")),
                       int(data.get("target_lun", 0)))
        name = "crypt-" + path.rsplit("/", 1)[-1]
        cipher = str(meta.get("cipher") or "aes-xts-plain64")
        key_size = int(meta.get("key_size") or 256)
        try:
            if provider == "plain":
                dev = plain_open(lv, passphrase, name, cipher=cipher, key_size=key_size)
                self._charge("os-brick", "cryptsetup create", MAPPER_SECONDS,
                             f"cryptsetup create {name} over {path} ({cipher}, {key_size} "
                             "bits)", volume_id=volume_id, mapper=f"/dev/mapper/{name}")
            else:
                version = "luks1" if native else "luks2"
                if is_luks(lv) is None:
                    luks_format(lv, passphrase, version=version, cipher=cipher,
                                key_size=key_size, salt=volume_id)
                    self._charge("os-brick", "cryptsetup luksFormat", LUKS_FORMAT_SECONDS,
                                 f"cryptsetup luksFormat --type {version} {path} (not a "
                                 "valid LUKS device yet: formatted for first use)",
                                 volume_id=volume_id,
                                 version=version)
                dev = luks_open(lv, passphrase, name)
                if native:
                    self._charge("libvirt", "virsh secret-define", MAPPER_SECONDS,
                                 f"libvirt secret for volume {volume_id[:8]}: QEMU opens "
                                 f"the LUKS{dev.version[-1]} header of {path} itself",
                                 volume_id=volume_id)
                else:
                    self._charge("os-brick", "cryptsetup luksOpen", LUKS_OPEN_SECONDS,
                                 f"cryptsetup luksOpen {path} {name}", volume_id=volume_id,
                                 mapper=f"/dev/mapper/{name}")
        except CryptError as exc:
            raise NovaError(f"Unexpected error while running command. Command: cryptsetup "
                            f"Exit code: {exc.exit_code} Stderr: '{exc.stderr}'", 500) from exc
        await self.meter.spend()
        source = path if native else f"/dev/mapper/{name}"
        if not native:
            self._charge("os-brick", "ln -s", 0.0, f"ln --symbolic --force {source} {path}",
                         volume_id=volume_id)
        found = CryptAttachment(volume_id, "libvirt-secret" if native else "dm-crypt", dev,
                                source, meta)
        self.attached[volume_id] = found
        return found

    async def _passphrase(self, ctx: NovaContext, meta: dict[str, Any]) -> str:
        key_id = meta.get("encryption_key_id")
        km = self._key_manager()
        if km is None or not key_id:
            raise NovaError("Key manager error: no key manager is configured (or the volume "
                            "has no key)", 500)
        try:
            key = await km.get(ctx.auth_token, str(key_id))
        except KeyManagerError as exc:
            raise NovaError(str(exc), 500) from exc
        return str(key.passphrase())

    def detach(self, volume_id: str | None) -> None:
        """``_detach_encryptor``: delete the libvirt secret, or close the mapping."""
        found = self.attached.pop(volume_id or "", None)
        if found is None:
            return
        if found.how == "libvirt-secret":
            self._charge("libvirt", "virsh secret-undefine", MAPPER_SECONDS,
                         f"libvirt secret of volume {found.volume_id[:8]} deleted",
                         volume_id=found.volume_id)
        else:
            op = "cryptsetup remove" if found.device.version == "plain" else \
                "cryptsetup luksClose"
            self._charge("os-brick", op, MAPPER_SECONDS, f"{op} {found.device.name}",
                         volume_id=found.volume_id)

    def resize(self, volume_id: str) -> int | None:
        """``cryptsetup resize`` (or QEMU's LUKS layer): the plaintext's new size in
        bytes, the device's less the header, or None if the volume is not encrypted."""
        found = self.attached.get(volume_id)
        if found is None:
            return None
        found.device.resize()
        if found.how == "dm-crypt":
            self._charge("os-brick", "cryptsetup resize", MAPPER_SECONDS,
                         f"cryptsetup resize {found.device.name}: "
                         f"{found.device.size_bytes} bytes", volume_id=volume_id)
        return found.device.size_bytes

    def resize_attached(self, driver: LibvirtDriver, disk: GuestDisk, new_size: int,
                        connection_info: Mapping[str, Any]) -> int:
        """``_resize_attached_encrypted_volume``: LUKSv1 natively is the device's new
        size less the payload offset (QEMU's LUKS layer follows); dm-crypt is
        ``cryptsetup resize`` of the mapping (os-brick's ``extend_volume``).  Either
        way the guest's disk is then ``virsh blockresize``d to that size.  A volume
        Nova did not decrypt (back-end control location) grows like a plain one."""
        size = self.resize(str(disk.volume_id))
        if size is None:
            size = new_size
        dom = next((d for d in driver.domains.values() if disk in d.disks.values()), None)
        if dom is not None:
            driver.block_resize(dom, disk, size)
        return size
