"""Neutron-lite: the networking API's control plane (no data plane), at ``/networking``.

* :mod:`.api`: neutron-server's REST entry point (version list, resource list,
  extensions); :mod:`.resources`: the ``/v2.0`` collections and quotas;
* :mod:`.core`: the plugin layer (records, IP allocation, default security groups,
  router interfaces, in-use checks); :mod:`.model`: records and errors;
* :mod:`.client`: the face Nova uses (:class:`NetworkService`).

What it is for: Tempest's dynamic credentials create a network, subnet and router
per test class and delete the project's security groups at cleanup; Nova
attaches a port at boot (``networks``) and shows the server's ``addresses``;
``openstack network/subnet/router ...`` work.  Nothing forwards packets.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .api import NeutronApi
from .client import NetworkService
from .core import NeutronCore
from .model import Network, NeutronError, Port, Router, SecurityGroup, Subnet
from .resources import QUOTA_DEFAULTS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..api.wsgi import ApiResponse
    from ..env import ServiceEnv
    from ..keystone.client import TokenValidator

__all__ = ["NetworkService", "NeutronService"]


class NeutronService:
    """Neutron for one env: the API and the plugin's records."""

    def __init__(self, env: ServiceEnv, *, identity: TokenValidator) -> None:
        self.env = env
        self.identity = identity
        self.base_url = "http://neutron.example:9696"
        """Where clients reach Neutron (``cindersim serve`` sets its own address)."""
        self.core = NeutronCore(env)
        self.quota_overrides: dict[str, dict[str, int]] = {}
        self.api = NeutronApi(self)
        self._requests = 0

    async def handle(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                     body: bytes | str | None = None) -> ApiResponse:
        return await self.api.handle(method, path, headers, body)

    def next_request_id(self) -> str:
        """``req-<uuid>``, derived from a counter: a request id must not draw from the
        simulation's id stream (that would shift every later id of a run)."""
        self._requests += 1
        h = hashlib.sha256(f"neutron-request\x1f{self._requests}".encode()).hexdigest()
        return f"req-{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    # --- quotas -------------------------------------------------------------------------
    def quota_of(self, project_id: str) -> dict[str, int]:
        return {**QUOTA_DEFAULTS, **self.quota_overrides.get(project_id, {})}

    def usage_of(self, project_id: str) -> dict[str, int]:
        core = self.core
        records: dict[str, Iterable[Network | Subnet | Port | Router | SecurityGroup]] = {
            "network": core.networks.values(), "subnet": core.subnets.values(),
            "port": core.ports.values(), "router": core.routers.values(),
            "security_group": core.security_groups.values()}
        used = {k: sum(1 for r in v if r.project_id == project_id)
                for k, v in records.items()}
        used["security_group_rule"] = sum(len(sg.rules) for sg in
                                          core.security_groups.values()
                                          if sg.project_id == project_id)
        return used

    # --- the face Nova uses (NetworkService) -------------------------------------------------
    def available_networks(self, project_id: str) -> list[Network]:
        nets = self.core.networks.values()
        own = [n for n in nets if n.project_id == project_id and not n.external]
        shared = [n for n in nets if n.shared and n.project_id != project_id]
        return own + shared

    def get_network(self, network_id: str, project_id: str, *,
                    admin: bool = False) -> Network | None:
        net = self.core.networks.get(network_id)
        if net is None or not (admin or net.project_id == project_id or net.shared or
                               net.external):
            return None
        return net

    def create_port(self, project_id: str, network: Network, *, device_id: str,
                    host: str) -> Port:
        port = self.core.create_port(project_id, network, device_id=device_id,
                                     device_owner="compute:nova")
        port.host = host
        return port

    def ports_of(self, device_id: str) -> list[Port]:
        return [p for p in self.core.ports.values() if p.device_id == device_id]

    def delete_port(self, port_id: str) -> None:
        port = self.core.ports.get(port_id)
        if port is not None:
            self.core.delete_port(port)


_check: type[NetworkService] = NeutronService  # the face is implemented
__all__ += ["Network", "NeutronError", "Port"]
