"""Barbican-lite: the key manager behind encrypted volumes, at ``/key-manager``.

Cinder and Nova never hold a volume's key: they hold its *id*
(``encryption_key_id``, a Barbican secret's UUID) and ask the key manager for the
bytes through Castellan, with the *user's* token, so a secret belongs to the
project that created it and only that project reads or deletes it.

* :mod:`.records`: the secret and Barbican's error bodies;
* :mod:`.api`: barbican-api's REST face, the ``/v1/secrets`` resource (what
  ``openstack secret list/get/store/delete`` and Castellan use);
* :mod:`.castellan`: the client Cinder and Nova use (Castellan's
  ``KeyManager`` interface: ``create_key``, ``store``, ``get``, ``delete``).

The simulator keeps payloads as given; real Barbican encrypts them with a
project KEK before they reach its database (the ``simple_crypto`` plugin).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ...db import iso_time
from .api import KeyManagerApi
from .castellan import KeyManager, KeyManagerError, ManagedObjectNotFoundError, SymmetricKey
from .records import Secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..api.wsgi import ApiResponse
    from ..env import ServiceEnv
    from ..keystone.client import TokenValidator

__all__ = ["KeyManager", "KeyManagerError", "KeyManagerService", "ManagedObjectNotFoundError",
           "Secret", "SymmetricKey"]


class KeyManagerService:
    """Barbican for one env: its secrets and its API."""

    def __init__(self, env: ServiceEnv, *, identity: TokenValidator) -> None:
        self.env = env
        self.identity = identity
        self.base_url = "http://barbican.example:9311"
        """Where clients reach Barbican (``cindersim serve`` sets its own address)."""
        self.secrets: dict[str, Secret] = {}
        """Live secrets by id, in creation order."""
        self.api = KeyManagerApi(self)
        self._requests = 0

    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        return await self.api.handle(method, path, headers, body)

    def next_request_id(self) -> str:
        """``req-<uuid>`` from a counter: request ids must not draw from the id stream."""
        self._requests += 1
        h = hashlib.sha256(f"barbican-request\x1f{self._requests}".encode()).hexdigest()
        return f"req-{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def store(self, project_id: str, creator_id: str | None, **fields: Any) -> Secret:
        """A new secret of *project_id* (``plugin.store_secret``)."""
        stamp = iso_time(self.env.sim.now())[:19]
        secret = Secret(id=self.env.sim.ids.uuid(), project_id=project_id,
                        creator_id=creator_id, created=stamp, updated=stamp, **fields)
        self.secrets[secret.id] = secret
        if self.env.trace.recording:
            self.env.trace.emit("keymgr.store", "barbican-api",
                                f"secret {secret.id[:8]} stored for project "
                                f"{project_id[:8]} ({secret.algorithm or 'opaque'}"
                                f"{'-' + str(secret.bit_length) if secret.bit_length else ''})",
                                resource=f"secret:{secret.id}", project_id=project_id,
                                algorithm=secret.algorithm, bit_length=secret.bit_length)
        return secret

    def delete(self, secret_id: str) -> None:
        secret = self.secrets.pop(secret_id)
        if self.env.trace.recording:
            self.env.trace.emit("keymgr.delete", "barbican-api",
                                f"secret {secret_id[:8]} deleted",
                                resource=f"secret:{secret_id}", project_id=secret.project_id)

    def client(self, actor: str) -> KeyManager:
        """Castellan's ``key_manager.API(CONF)`` for one service (*actor* in the trace)."""
        return KeyManager(self.handle, actor, self.env.sim.rng)
