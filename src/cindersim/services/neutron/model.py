"""Neutron's records and exceptions, as far as a control plane without a data plane needs.

Field names and defaults follow Neutron's API (``neutron-lib``'s
``api/definitions``: ``network``, ``subnet``, ``port``, ``l3``,
``security_group``); the exceptions carry Neutron's type names and HTTP codes
(``neutron_lib/exceptions``), which the API wraps as
``{"NeutronError": {"type", "message", "detail"}}``.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Network", "NeutronError", "Port", "Router", "SecurityGroup", "Subnet"]


class NeutronError(Exception):
    """A Neutron exception: its class name (``type``), message and HTTP code."""

    def __init__(self, kind: str, message: str, code: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"NeutronError": {"type": self.kind, "message": self.message, "detail": ""}}


def not_found(kind: str, rid: str) -> NeutronError:
    """``NetworkNotFound``, ``SubnetNotFound``, ... (404)."""
    noun = {"Network": "Network", "Subnet": "Subnet", "Port": "Port", "Router": "Router",
            "SecurityGroup": "Security group"}[kind]
    return NeutronError(f"{kind}NotFound", f"{noun} {rid} could not be found.", 404)


def bad_request(message: str, kind: str = "HTTPBadRequest") -> NeutronError:
    return NeutronError(kind, message, 400)


def in_use(kind: str, message: str) -> NeutronError:
    """``NetworkInUse``, ``SubnetInUse``, ``RouterInUse`` ... (409)."""
    return NeutronError(kind, message, 409)


@attrs.define(kw_only=True)
class _Base:
    id: str
    name: str
    project_id: str
    description: str = ""
    created_at: str = ""
    updated_at: str = ""
    revision_number: int = 0
    tags: list[str] = attrs.field(factory=list)

    def common(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "tenant_id": self.project_id,
                "project_id": self.project_id, "description": self.description,
                "tags": list(self.tags), "created_at": self.created_at,
                "updated_at": self.updated_at, "revision_number": self.revision_number}


@attrs.define(kw_only=True)
class Network(_Base):
    admin_state_up: bool = True
    shared: bool = False
    external: bool = False
    mtu: int = 1442
    """devstack's ML2/OVN (Geneve) tenant network MTU."""
    port_security_enabled: bool = True
    segmentation_id: int = 0
    subnets: list[str] = attrs.field(factory=list)

    def view(self, admin: bool) -> dict[str, Any]:
        v = {**self.common(), "admin_state_up": self.admin_state_up, "status": "ACTIVE",
             "subnets": list(self.subnets), "shared": self.shared,
             "router:external": self.external, "mtu": self.mtu,
             "port_security_enabled": self.port_security_enabled,
             "availability_zone_hints": [], "availability_zones": [],
             "ipv4_address_scope": None, "ipv6_address_scope": None,
             "is_default": False, "l2_adjacency": True, "qos_policy_id": None,
             "dns_domain": ""}
        if admin:  # the provider extension's attributes are admin-only by policy
            v.update({"provider:network_type": "geneve", "provider:physical_network": None,
                      "provider:segmentation_id": self.segmentation_id})
        return v


@attrs.define(kw_only=True)
class Subnet(_Base):
    network_id: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    allocation_pools: list[dict[str, str]] = attrs.field(factory=list)
    enable_dhcp: bool = True
    dns_nameservers: list[str] = attrs.field(factory=list)
    host_routes: list[dict[str, str]] = attrs.field(factory=list)
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None

    def view(self, admin: bool) -> dict[str, Any]:
        return {**self.common(), "network_id": self.network_id,
                "ip_version": self.ip_version, "cidr": self.cidr,
                "gateway_ip": self.gateway_ip,
                "allocation_pools": [dict(p) for p in self.allocation_pools],
                "enable_dhcp": self.enable_dhcp,
                "dns_nameservers": list(self.dns_nameservers),
                "host_routes": [dict(r) for r in self.host_routes],
                "ipv6_ra_mode": self.ipv6_ra_mode, "ipv6_address_mode": self.ipv6_address_mode,
                "subnetpool_id": None, "service_types": [], "segment_id": None,
                "dns_publish_fixed_ip": False}


@attrs.define(kw_only=True)
class Port(_Base):
    network_id: str
    mac_address: str
    fixed_ips: list[dict[str, str]] = attrs.field(factory=list)
    device_id: str = ""
    device_owner: str = ""
    admin_state_up: bool = True
    security_groups: list[str] = attrs.field(factory=list)
    host: str = ""

    @property
    def status(self) -> str:
        # No data plane: a port is ACTIVE once something owns it (a server's port
        # bound to its host, a router interface), DOWN while it is unbound.
        return "ACTIVE" if self.device_owner else "DOWN"

    def view(self, admin: bool) -> dict[str, Any]:
        v = {**self.common(), "network_id": self.network_id,
             "mac_address": self.mac_address, "admin_state_up": self.admin_state_up,
             "status": self.status, "device_id": self.device_id,
             "device_owner": self.device_owner,
             "fixed_ips": [dict(f) for f in self.fixed_ips],
             "allowed_address_pairs": [], "extra_dhcp_opts": [],
             "security_groups": list(self.security_groups),
             "port_security_enabled": True, "binding:vnic_type": "normal",
             "dns_name": "", "dns_assignment": [], "qos_policy_id": None,
             "qos_network_policy_id": None, "propagate_uplink_status": False}
        if admin:  # the binding extension's host-side attributes are admin-only
            v.update({"binding:host_id": self.host, "binding:profile": {},
                      "binding:vif_type": "ovs" if self.host else "unbound",
                      "binding:vif_details": {}})
        return v


@attrs.define(kw_only=True)
class Router(_Base):
    admin_state_up: bool = True
    external_gateway_info: dict[str, Any] | None = None
    interfaces: list[str] = attrs.field(factory=list)
    """Ids of its ``network:router_interface`` ports."""

    def view(self, admin: bool) -> dict[str, Any]:
        v = {**self.common(), "admin_state_up": self.admin_state_up, "status": "ACTIVE",
             "external_gateway_info": self.external_gateway_info, "routes": [],
             "availability_zone_hints": [], "availability_zones": [], "flavor_id": None,
             "enable_ndp_proxy": None}
        if admin:
            v.update({"distributed": False, "ha": False})
        return v


@attrs.define(kw_only=True)
class SecurityGroup(_Base):
    rules: list[dict[str, Any]] = attrs.field(factory=list)
    stateful: bool = True

    def view(self, admin: bool) -> dict[str, Any]:
        return {**self.common(), "security_group_rules": [dict(r) for r in self.rules],
                "stateful": self.stateful, "shared": False}
