"""The narration's rows for encrypted volumes (issue 23), in English and Vietnamese.

Kept apart from :mod:`.phrases` (which merges them) so each module stays small: the
requests to Barbican and for ``/volumes/{id}/encryption``, and the cryptsetup and
libvirt-secret steps of Nova's encryptors.
"""

from __future__ import annotations

__all__ = ["CRYPT_EN", "CRYPT_VI"]

CRYPT_EN: dict[str, str] = {
    "req.NovaCompute.volumes.encryption": "nova-compute asks cinder-api for the volume's "
                                          "encryption metadata: provider, cipher, key size, "
                                          "control location and encryption_key_id.",
    "req.secrets.create": "{caller} stores a new key in Barbican (Castellan's create_key or "
                          "store): the secret belongs to the caller's project; Cinder keeps "
                          "only its id (encryption_key_id).",
    "req.secrets.show": "{caller} reads the secret's metadata in Barbican.",
    "req.secrets.payload": "{caller} fetches the key itself from Barbican with the user's "
                           "token; the passphrase is the key's bytes in hex.",
    "req.secrets.delete": "{caller} deletes the key in Barbican: without it nobody can "
                          "decrypt the volume's data again.",
    "req.secrets.list": "{caller} lists its project's secrets in Barbican.",
    "backend.cryptsetup luksFormat": "{issuer} formats the device with LUKS on first use "
                                     "(cryptsetup luksFormat): a header at the start of the "
                                     "volume, encrypted data after it.",
    "backend.cryptsetup luksOpen": "{issuer} opens the LUKS device with the passphrase: "
                                   "dm-crypt makes /dev/mapper/crypt-..., which the guest "
                                   "gets; the guest sees plaintext, the LV holds ciphertext.",
    "backend.cryptsetup create": "{issuer} maps the device with plain dm-crypt (cryptsetup "
                                 "create): no header, the passphrase is the key.",
    "backend.virsh secret-define": "{issuer} keeps the passphrase as a libvirt secret: QEMU "
                                   "decrypts LUKSv1 itself, with no /dev/mapper device.",
    "backend.virsh secret-undefine": "{issuer} deletes the volume's libvirt secret on detach.",
    "backend.cryptsetup luksClose": "{issuer} closes the dm-crypt mapping before the iSCSI "
                                    "logout.",
    "backend.cryptsetup remove": "{issuer} removes the plain dm-crypt mapping.",
    "backend.cryptsetup resize": "{issuer} grows the dm-crypt mapping to the volume's new "
                                 "size (cryptsetup resize).",
}

CRYPT_VI: dict[str, str] = {
    "req.NovaCompute.volumes.encryption": "nova-compute hỏi cinder-api thông tin mã hóa của "
                                          "volume: provider, cipher, key size, control "
                                          "location và encryption_key_id.",
    "req.secrets.create": "{caller} lưu một khóa mới vào Barbican (create_key hoặc store của "
                          "Castellan): secret thuộc về dự án của người gọi; Cinder chỉ giữ "
                          "ID của nó (encryption_key_id).",
    "req.secrets.show": "{caller} đọc thông tin của secret trong Barbican.",
    "req.secrets.payload": "{caller} lấy chính khóa từ Barbican bằng token của người dùng; "
                           "passphrase là các byte của khóa ở dạng hex.",
    "req.secrets.delete": "{caller} xóa khóa trong Barbican: không còn khóa thì không ai giải "
                          "mã được dữ liệu của volume nữa.",
    "req.secrets.list": "{caller} liệt kê các secret của dự án mình trong Barbican.",
    "backend.cryptsetup luksFormat": "{issuer} định dạng thiết bị bằng LUKS ở lần dùng đầu tiên "
                                     "(cryptsetup luksFormat): header ở đầu volume, dữ liệu "
                                     "mã hóa phía sau.",
    "backend.cryptsetup luksOpen": "{issuer} mở thiết bị LUKS bằng passphrase: dm-crypt tạo "
                                   "/dev/mapper/crypt-... và máy ảo nhận thiết bị này; máy "
                                   "ảo thấy dữ liệu rõ, còn LV chỉ chứa dữ liệu đã mã hóa.",
    "backend.cryptsetup create": "{issuer} ánh xạ thiết bị bằng dm-crypt kiểu plain "
                                 "(cryptsetup create): không có header, passphrase chính là "
                                 "khóa.",
    "backend.virsh secret-define": "{issuer} lưu passphrase thành libvirt secret: với LUKSv1, "
                                   "QEMU tự giải mã, không cần thiết bị /dev/mapper.",
    "backend.virsh secret-undefine": "{issuer} xóa libvirt secret của volume khi tháo volume.",
    "backend.cryptsetup luksClose": "{issuer} đóng ánh xạ dm-crypt trước khi đăng xuất iSCSI.",
    "backend.cryptsetup remove": "{issuer} gỡ ánh xạ dm-crypt kiểu plain.",
    "backend.cryptsetup resize": "{issuer} mở rộng ánh xạ dm-crypt theo kích thước mới của "
                                 "volume (cryptsetup resize).",
}
