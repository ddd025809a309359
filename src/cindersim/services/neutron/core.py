"""Neutron's plugin layer (ML2 + L3 + security groups), without a data plane.

:class:`NeutronCore` holds the records and does what ``neutron.db``'s mixins do
with them: IP allocation from a subnet's pools (``ipam``), MAC addresses in
Neutron's ``fa:16:3e`` base, a project's ``default`` security group made the
first time the project needs one (``_ensure_default_security_group``), router
interfaces as ports owning the subnet's gateway address, and the in-use checks
that refuse deleting a network, subnet or router still in use (409).

Nova reaches it through :class:`~.client.NetworkService` only.  Ids and MACs
come from the simulation's seeded rng, so a run replays byte for byte.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ...db import iso_time
from .model import (
    Network,
    NeutronError,
    Port,
    Router,
    SecurityGroup,
    Subnet,
    bad_request,
    in_use,
    not_found,
)

if TYPE_CHECKING:
    from ..env import ServiceEnv

__all__ = ["NeutronCore"]

ROUTER_INTERFACE = "network:router_interface"
DHCP = "network:dhcp"
_MAC_BASE = "fa:16:3e"


class NeutronCore:
    """Every network, subnet, port, router and security group of one cloud."""

    def __init__(self, env: ServiceEnv) -> None:
        self.env = env
        self.networks: dict[str, Network] = {}
        self.subnets: dict[str, Subnet] = {}
        self.ports: dict[str, Port] = {}
        self.routers: dict[str, Router] = {}
        self.security_groups: dict[str, SecurityGroup] = {}
        self._segment = 0

    # --- helpers -------------------------------------------------------------------------
    def _uuid(self) -> str:
        return self.env.sim.ids.uuid()

    def stamp(self) -> str:
        return iso_time(self.env.sim.now())[:19] + "Z"

    def _trace(self, kind: str, summary: str, resource: str, **detail: Any) -> None:
        trace = self.env.trace
        if trace.recording:
            trace.emit(f"neutron.{kind}", "neutron-server", summary, resource=resource,
                       **detail)

    def touch(self, record: Network | Subnet | Port | Router | SecurityGroup) -> None:
        record.updated_at = self.stamp()
        record.revision_number += 1

    # --- security groups ---------------------------------------------------------------------
    def ensure_default_security_group(self, project_id: str) -> SecurityGroup:
        """``_ensure_default_security_group``: every project has one ``default`` group,
        made with Neutron's four default rules (all egress; ingress from members)."""
        for sg in self.security_groups.values():
            if sg.project_id == project_id and sg.name == "default":
                return sg
        now = self.stamp()
        sg = SecurityGroup(id=self._uuid(), name="default", project_id=project_id,
                           description="Default security group", created_at=now,
                           updated_at=now, revision_number=1)
        for direction, ethertype in (("egress", "IPv4"), ("egress", "IPv6"),
                                     ("ingress", "IPv4"), ("ingress", "IPv6")):
            sg.rules.append({
                "id": self._uuid(), "tenant_id": project_id, "project_id": project_id,
                "security_group_id": sg.id, "direction": direction, "ethertype": ethertype,
                "protocol": None, "port_range_min": None, "port_range_max": None,
                "remote_ip_prefix": None, "remote_address_group_id": None,
                "normalized_cidr": None,
                "remote_group_id": sg.id if direction == "ingress" else None,
                "description": "", "tags": [], "created_at": now, "updated_at": now,
                "revision_number": 0, "belongs_to_default_sg": True})
        self.security_groups[sg.id] = sg
        self._trace("create", f"default security group of project {project_id[:8]}",
                    f"security_group:{sg.id}")
        return sg

    def delete_security_group(self, sg: SecurityGroup) -> None:
        users = [p.id for p in self.ports.values() if sg.id in p.security_groups]
        if users:
            raise in_use("SecurityGroupInUse", f"Security Group {sg.id} in use.")
        del self.security_groups[sg.id]
        self._trace("delete", f"security group {sg.id[:8]} deleted", f"security_group:{sg.id}")

    # --- networks ------------------------------------------------------------------------------
    def create_network(self, project_id: str, name: str, *, admin_state_up: bool = True,
                       shared: bool = False, external: bool = False, mtu: int | None = None,
                       description: str = "") -> Network:
        self.ensure_default_security_group(project_id)
        now = self.stamp()
        self._segment += 1
        net = Network(id=self._uuid(), name=name, project_id=project_id,
                      description=description, admin_state_up=admin_state_up, shared=shared,
                      external=external, mtu=1442 if mtu is None else mtu, created_at=now,
                      updated_at=now, revision_number=1, segmentation_id=self._segment)
        self.networks[net.id] = net
        self._trace("create", f"network {net.id[:8]} ({name}) created", f"network:{net.id}",
                    project_id=project_id)
        return net

    def delete_network(self, net: Network) -> None:
        """``delete_network``: only DHCP ports may remain (they go with it); any other
        port is 409 ``NetworkInUse``."""
        others = [p for p in self.ports.values()
                  if p.network_id == net.id and p.device_owner != DHCP]
        if others:
            raise in_use("NetworkInUse", f"Unable to complete operation on network {net.id}. "
                         "There are one or more ports still in use on the network.")
        for port in [p for p in self.ports.values() if p.network_id == net.id]:
            del self.ports[port.id]
        for sid in net.subnets:
            self.subnets.pop(sid, None)
        del self.networks[net.id]
        self._trace("delete", f"network {net.id[:8]} deleted", f"network:{net.id}")

    # --- subnets -------------------------------------------------------------------------------
    def create_subnet(self, project_id: str, net: Network, *, name: str, cidr: str,
                      ip_version: int, gateway_ip: str | bool | None = True,
                      enable_dhcp: bool = True, allocation_pools: list[dict[str, str]] | None
                      = None, dns_nameservers: list[str] | None = None,
                      description: str = "") -> Subnet:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise bad_request(f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP "
                              "subnet.") from None
        if network.version != ip_version:
            raise bad_request("Invalid input for operation: Cidr and IP version are "
                              "incompatible.", "InvalidInput")
        if network.prefixlen >= network.max_prefixlen - (0 if ip_version == 6 else 1):
            raise bad_request(f"Invalid input for operation: {cidr} is too small a subnet.",
                              "InvalidInput")
        for sid in net.subnets:
            other = self.subnets[sid]
            if ipaddress.ip_network(other.cidr).overlaps(network):
                raise bad_request(f"Invalid input for operation: Requested subnet with cidr: "
                                  f"{network} for network: {net.id} overlaps with another "
                                  "subnet.", "InvalidInput")
        hosts_first = network.network_address + 1
        hosts_last = network.broadcast_address - (1 if ip_version == 4 else 0)
        gw: str | None
        if gateway_ip is True:
            gw = str(hosts_first)
        elif gateway_ip is False or gateway_ip is None:
            gw = None
        else:
            try:
                gw_addr = ipaddress.ip_address(str(gateway_ip))
            except ValueError:
                raise bad_request(f"Invalid input for gateway_ip. Reason: '{gateway_ip}' is "
                                  "not a valid IP address.") from None
            if gw_addr not in network:
                raise bad_request(f"Invalid input for operation: Gateway IP {gateway_ip} "
                                  f"is not in subnet {network}.", "InvalidInput")
            gw = str(gw_addr)
        if allocation_pools is None:
            start = hosts_first + 1 if gw == str(hosts_first) else hosts_first
            allocation_pools = [{"start": str(start), "end": str(hosts_last)}]
        now = self.stamp()
        subnet = Subnet(id=self._uuid(), name=name, project_id=project_id,
                        description=description, network_id=net.id, ip_version=ip_version,
                        cidr=str(network), gateway_ip=gw, allocation_pools=allocation_pools,
                        enable_dhcp=enable_dhcp, dns_nameservers=list(dns_nameservers or []),
                        created_at=now, updated_at=now)
        self.subnets[subnet.id] = subnet
        net.subnets.append(subnet.id)
        self.touch(net)
        self._trace("create", f"subnet {subnet.id[:8]} {subnet.cidr} on network "
                    f"{net.id[:8]}", f"subnet:{subnet.id}", cidr=subnet.cidr)
        return subnet

    def delete_subnet(self, subnet: Subnet) -> None:
        users = [p for p in self.ports.values()
                 if p.device_owner != DHCP and any(f["subnet_id"] == subnet.id
                                                   for f in p.fixed_ips)]
        if users:
            raise in_use("SubnetInUse", f"Unable to complete operation on subnet {subnet.id}: "
                         "One or more ports have an IP allocation from this subnet.")
        net = self.networks.get(subnet.network_id)
        if net is not None and subnet.id in net.subnets:
            net.subnets.remove(subnet.id)
            self.touch(net)
        del self.subnets[subnet.id]
        self._trace("delete", f"subnet {subnet.id[:8]} deleted", f"subnet:{subnet.id}")

    def _allocate_ip(self, subnet: Subnet) -> str:
        used = {f["ip_address"] for p in self.ports.values() for f in p.fixed_ips
                if f["subnet_id"] == subnet.id}
        for pool in subnet.allocation_pools:
            addr = int(ipaddress.ip_address(pool["start"]))
            end = int(ipaddress.ip_address(pool["end"]))
            while addr <= end:
                text = str(ipaddress.ip_address(addr) if subnet.ip_version == 4
                           else ipaddress.IPv6Address(addr))
                if text not in used and text != subnet.gateway_ip:
                    return text
                addr += 1
        raise NeutronError("IpAddressGenerationFailure",
                           f"No more IP addresses available on network {subnet.network_id}.",
                           409)

    # --- ports ---------------------------------------------------------------------------------
    def create_port(self, project_id: str, net: Network, *, name: str = "",
                    device_id: str = "", device_owner: str = "",
                    fixed_ips: list[dict[str, str]] | None = None,
                    security_groups: list[str] | None = None,
                    admin_state_up: bool = True, description: str = "") -> Port:
        """``create_port``: one address from each IPv4/IPv6 subnet of the network (or the
        requested ``fixed_ips``), a MAC, and the project's default group."""
        allocations: list[dict[str, str]] = []
        if fixed_ips is None:
            for net_subnet in net.subnets:
                allocations.append({"subnet_id": net_subnet, "ip_address":
                                    self._allocate_ip(self.subnets[net_subnet])})
        else:
            taken = {f["ip_address"] for p in self.ports.values() for f in p.fixed_ips}
            for req in fixed_ips:
                sid = req.get("subnet_id")
                wanted = self.subnets.get(sid or "")
                if wanted is None or wanted.network_id != net.id:
                    raise bad_request(f"Invalid input for operation: Failed to create port on "
                                      f"network {net.id}, because fixed_ips included invalid "
                                      f"subnet {sid}.", "InvalidInput")
                ip = req.get("ip_address") or self._allocate_ip(wanted)
                if ip in taken:
                    raise NeutronError("IpAddressAlreadyAllocated",
                                       f"IP address {ip} already allocated in subnet {sid}",
                                       409)
                allocations.append({"subnet_id": wanted.id, "ip_address": str(ip)})
        if security_groups is None:
            security_groups = [] if device_owner.startswith("network:") else \
                [self.ensure_default_security_group(project_id).id]
        mac = f"{_MAC_BASE}:" + ":".join(
            f"{self.env.sim.rng.getrandbits(8):02x}" for _ in range(3))
        now = self.stamp()
        port = Port(id=self._uuid(), name=name, project_id=project_id,
                    description=description, network_id=net.id, mac_address=mac,
                    fixed_ips=allocations, device_id=device_id, device_owner=device_owner,
                    admin_state_up=admin_state_up, security_groups=list(security_groups),
                    created_at=now, updated_at=now, revision_number=1)
        self.ports[port.id] = port
        self._trace("create", f"port {port.id[:8]} on network {net.id[:8]}", f"port:{port.id}",
                    device_id=device_id, device_owner=device_owner,
                    fixed_ips=[dict(f) for f in allocations])
        return port

    def delete_port(self, port: Port) -> None:
        if port.device_owner == ROUTER_INTERFACE:
            raise in_use("PortInUse", f"Port {port.id} cannot be deleted directly via the "
                         f"port API: has device owner {ROUTER_INTERFACE}.")
        del self.ports[port.id]
        self._trace("delete", f"port {port.id[:8]} deleted", f"port:{port.id}")

    # --- routers -------------------------------------------------------------------------------
    def create_router(self, project_id: str, name: str, *, admin_state_up: bool = True,
                      external_gateway_info: dict[str, Any] | None = None,
                      description: str = "") -> Router:
        gw_info = None
        if external_gateway_info:
            ext_id = str(external_gateway_info.get("network_id", ""))
            ext = self.networks.get(ext_id)
            if ext is None:
                raise not_found("Network", ext_id)
            if not ext.external:
                raise bad_request(f"Bad router request: Network {ext_id} is not an external "
                                  "network.", "BadRequest")
            gw_info = {"network_id": ext_id, "enable_snat": True, "external_fixed_ips": []}
        now = self.stamp()
        router = Router(id=self._uuid(), name=name, project_id=project_id,
                        description=description, admin_state_up=admin_state_up,
                        external_gateway_info=gw_info, created_at=now, updated_at=now,
                        revision_number=1)
        self.routers[router.id] = router
        self._trace("create", f"router {router.id[:8]} ({name}) created",
                    f"router:{router.id}")
        return router

    def add_router_interface(self, router: Router, subnet: Subnet) -> Port:
        """``add_router_interface`` by subnet: a port holding the subnet's gateway."""
        if subnet.gateway_ip is None:
            raise bad_request(f"Bad router request: Subnet {subnet.id} does not have a "
                              "gateway IP.", "BadRequest")
        for pid in router.interfaces:
            if any(f["subnet_id"] == subnet.id for f in self.ports[pid].fixed_ips):
                raise bad_request(f"Bad router request: Router already has a port on subnet "
                                  f"{subnet.id}.", "BadRequest")
        net = self.networks[subnet.network_id]
        port = self.create_port(router.project_id, net, device_id=router.id,
                                device_owner=ROUTER_INTERFACE,
                                fixed_ips=[{"subnet_id": subnet.id,
                                            "ip_address": subnet.gateway_ip}])
        router.interfaces.append(port.id)
        self.touch(router)
        return port

    def remove_router_interface(self, router: Router, subnet_id: str) -> Port:
        for pid in router.interfaces:
            port = self.ports[pid]
            if any(f["subnet_id"] == subnet_id for f in port.fixed_ips):
                router.interfaces.remove(pid)
                del self.ports[pid]
                self.touch(router)
                self._trace("delete", f"router {router.id[:8]} interface on subnet "
                            f"{subnet_id[:8]} removed", f"port:{pid}")
                return port
        raise NeutronError("RouterInterfaceNotFoundForSubnet",
                           f"Router {router.id} has no interface on subnet {subnet_id}", 404)

    def delete_router(self, router: Router) -> None:
        if router.interfaces:
            raise in_use("RouterInUse", f"Router {router.id} still has ports")
        del self.routers[router.id]
        self._trace("delete", f"router {router.id[:8]} deleted", f"router:{router.id}")
