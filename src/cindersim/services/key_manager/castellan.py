"""Castellan's key manager API as Cinder and Nova use it, over Barbican's REST API.

``castellan.key_manager.API(CONF)`` with ``[key_manager] backend = barbican``
(``castellan/key_manager/barbican_key_manager.py``), reduced to the four calls
Cinder and Nova make, each with the caller's token:

* ``create_key(ctx, algorithm, length)`` -> a new secret's UUID (Cinder's
  ``create_encryption_key``: algorithm from the cipher, ``aes`` of
  ``aes-xts-plain64``, length the type's ``key_size``).  Castellan asks Barbican
  for the key through an *order*; this Barbican has no orders, so the client
  makes the bytes (from the simulation's seeded rng) and stores them, which is
  what Castellan's ``store`` does;
* ``store(ctx, key)`` -> the UUID of a new secret holding *key*
  (``clone_encryption_key`` is ``store(get(id))``);
* ``get(ctx, id)`` -> :class:`SymmetricKey` (Nova's encryptor and Cinder's rekey
  turn ``get_encoded()`` into the hex passphrase given to cryptsetup);
* ``delete(ctx, id)``.

Errors as Castellan raises them: a 404 is ``ManagedObjectNotFoundError``, any other
failure ``KeyManagerError`` (a 403 included: Castellan wraps barbicanclient's
``HTTPClientError``).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ..env import RestEndpoint

__all__ = ["KeyManager", "KeyManagerError", "ManagedObjectNotFoundError", "SymmetricKey"]


class KeyManagerError(Exception):
    """``castellan.common.exception.KeyManagerError``: "Key manager error: %(reason)s"."""

    def __init__(self, reason: str, code: int = 500) -> None:
        super().__init__(f"Key manager error: {reason}")
        self.reason = reason
        self.code = code


class ManagedObjectNotFoundError(KeyManagerError):
    """``ManagedObjectNotFoundError``: "Key not found, uuid: %(uuid)s"."""

    def __init__(self, uuid: str) -> None:
        Exception.__init__(self, f"Key not found, uuid: {uuid}")
        self.reason = f"Key not found, uuid: {uuid}"
        self.code = 404
        self.uuid = uuid


@attrs.frozen
class SymmetricKey:
    """``castellan.common.objects.symmetric_key.SymmetricKey``."""

    algorithm: str
    bit_length: int
    key: bytes = attrs.field(repr=False)
    name: str | None = None

    def get_encoded(self) -> bytes:
        return self.key

    def passphrase(self) -> str:
        """What Nova and os-brick give cryptsetup: ``binascii.hexlify(key).decode()``."""
        return self.key.hex()


class KeyManager:
    """One service's Castellan (``actor`` names the caller in the trace).

    Args:
        endpoint: barbican-api's REST entry point.
        actor: ``cinder-api``, ``cinder-volume:<host>``, ``nova-compute:<host>`` ...
        rng: the simulation's seeded rng (key bytes for :meth:`create_key`).
    """

    def __init__(self, endpoint: RestEndpoint, actor: str, rng: random.Random) -> None:
        self.endpoint = endpoint
        self.actor = actor
        self.rng = rng

    async def _request(self, token: str | None, method: str, path: str, body: Any = None,
                       accept: str = "application/json") -> Any:
        headers: Mapping[str, str] = {
            "X-Auth-Token": token or "", "Accept": accept,
            "Content-Type": "application/json", "X-Cindersim-Actor": self.actor,
            "OpenStack-API-Version": "key-manager 1.1"}
        raw = None if body is None else json.dumps(body)
        r = await self.endpoint(method, f"/key-manager/v1{path}", headers, raw)
        if r.status >= 400:
            description = r.body.get("description", "") if isinstance(r.body, dict) else ""
            if r.status == 404 and path.startswith("/secrets/"):
                raise ManagedObjectNotFoundError(path.split("/")[2])
            raise KeyManagerError(f"{r.status} {description}".strip(), r.status)
        return r.body

    async def create_key(self, token: str | None, algorithm: str, length: int,
                         name: str | None = None) -> str:
        """A new random key of *length* bits; its id."""
        key = SymmetricKey(algorithm, length, self.rng.getrandbits(length).to_bytes(
            (length + 7) // 8, "big"), name)
        return await self.store(token, key)

    async def store(self, token: str | None, key: SymmetricKey) -> str:
        body = {"name": key.name, "algorithm": key.algorithm, "bit_length": key.bit_length,
                "secret_type": "symmetric", "payload_content_type": "application/octet-stream",
                "payload_content_encoding": "base64",
                "payload": base64.b64encode(key.key).decode()}
        answer = await self._request(token, "POST", "/secrets", body)
        return str(answer["secret_ref"]).rsplit("/", 1)[-1]

    async def get(self, token: str | None, key_id: str) -> SymmetricKey:
        meta = await self._request(token, "GET", f"/secrets/{key_id}")
        payload = await self._request(token, "GET", f"/secrets/{key_id}/payload",
                                      accept="application/octet-stream")
        return SymmetricKey(str(meta.get("algorithm") or ""), int(meta.get("bit_length") or 0),
                            payload if isinstance(payload, bytes) else b"", meta.get("name"))

    async def delete(self, token: str | None, key_id: str) -> None:
        await self._request(token, "DELETE", f"/secrets/{key_id}")
