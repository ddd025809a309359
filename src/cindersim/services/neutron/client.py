"""What Nova may use of Neutron: the calls ``nova.network.neutron`` makes.

Nova reaches Neutron through its API; in this process that is
:class:`NetworkService`, which :class:`~cindersim.services.neutron.NeutronService`
implements.  Nova types against this module only, never Neutron's internals.
"""

from __future__ import annotations

from typing import Protocol

from .model import Network, NeutronError, Port

__all__ = ["Network", "NetworkService", "NeutronError", "Port"]


class NetworkService(Protocol):
    """The network calls Nova makes when it boots and deletes servers."""

    def available_networks(self, project_id: str) -> list[Network]:
        """``_get_available_networks``: the project's own networks, then the shared
        ones (``GET /v2.0/networks?project_id=P`` and ``?shared=true``)."""

    def get_network(self, network_id: str, project_id: str, *,
                    admin: bool = False) -> Network | None:
        """``GET /v2.0/networks/{id}`` as the caller (None if not visible)."""

    def create_port(self, project_id: str, network: Network, *, device_id: str,
                    host: str) -> Port:
        """``POST /v2.0/ports`` then the binding update (``device_owner`` compute:<az>)."""

    def ports_of(self, device_id: str) -> list[Port]:
        """``GET /v2.0/ports?device_id=...``."""

    def delete_port(self, port_id: str) -> None:
        """``DELETE /v2.0/ports/{id}`` (a port already gone is fine)."""
