"""The ``/v2.0`` collections: networks, subnets, ports, routers, security groups, quotas.

Neutron's API layer (``neutron/api/v2/base.py``) in small: a body must be
``{"<resource>": {...}}`` with known attributes only (400 ``Unrecognized
attribute(s)``), lists filter on attributes and ``fields`` narrows each item,
and a resource of another project is 404 to a non-admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.wsgi import ApiResponse
from .model import Network, NeutronError, Port, Router, SecurityGroup, Subnet, bad_request
from .model import not_found as _nf

if TYPE_CHECKING:
    from . import NeutronService
    from .api import NeutronRequest

__all__ = ["quotas", "route"]

Record = Network | Subnet | Port | Router | SecurityGroup

_COMMON = ("name", "description", "project_id", "tenant_id", "tags")
_ALLOWED = {
    "network": (*_COMMON, "admin_state_up", "shared", "router:external", "mtu",
                "port_security_enabled", "availability_zone_hints", "provider:network_type",
                "provider:physical_network", "provider:segmentation_id", "dns_domain",
                "qos_policy_id", "is_default"),
    "subnet": (*_COMMON, "network_id", "cidr", "ip_version", "gateway_ip", "enable_dhcp",
               "allocation_pools", "dns_nameservers", "host_routes", "ipv6_ra_mode",
               "ipv6_address_mode", "subnetpool_id", "prefixlen", "service_types",
               "segment_id", "use_default_subnetpool", "dns_publish_fixed_ip"),
    "port": (*_COMMON, "network_id", "admin_state_up", "fixed_ips", "device_id",
             "device_owner", "security_groups", "mac_address", "binding:host_id",
             "binding:vnic_type", "binding:profile", "port_security_enabled",
             "allowed_address_pairs", "extra_dhcp_opts", "dns_name", "qos_policy_id"),
    "router": (*_COMMON, "admin_state_up", "external_gateway_info", "distributed", "ha",
               "availability_zone_hints", "flavor_id"),
    "security_group": (*_COMMON, "stateful"),
}
_COLLECTIONS = {"networks": "network", "subnets": "subnet", "ports": "port",
                "routers": "router", "security-groups": "security_group"}
_KINDS = {"network": "Network", "subnet": "Subnet", "port": "Port", "router": "Router",
          "security_group": "SecurityGroup"}
_PAGING = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "verbose"}

QUOTA_DEFAULTS = {"network": 100, "subnet": 100, "subnetpool": -1, "port": 500,
                  "router": 10, "floatingip": 50, "security_group": 10,
                  "security_group_rule": 100, "rbac_policy": 10}
"""``neutron/conf/quota.py`` defaults."""


def _store(neutron: NeutronService, resource: str) -> dict[str, Any]:
    core = neutron.core
    stores: dict[str, dict[str, Any]] = {
        "network": core.networks, "subnet": core.subnets, "port": core.ports,
        "router": core.routers, "security_group": core.security_groups}
    return stores[resource]


def _visible(req: NeutronRequest, record: Record) -> bool:
    if req.admin or record.project_id == req.project_id:
        return True
    return isinstance(record, Network) and (record.shared or record.external)


def _get(neutron: NeutronService, req: NeutronRequest, resource: str, rid: str) -> Any:
    record = _store(neutron, resource).get(rid)
    if record is None or not _visible(req, record):
        raise _nf(_KINDS[resource], rid)
    return record


def _filtered(view: dict[str, Any], req: NeutronRequest) -> dict[str, Any]:
    fields = [v for k, v in req.query if k == "fields"]
    return {k: v for k, v in view.items() if k in fields} if fields else view


def _matches(view: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        value = view.get(key)
        wanted = values
        if isinstance(value, bool):
            value = "true" if value else "false"
            wanted = [w.lower() for w in values]
        if isinstance(value, list):
            if not any(w in [str(v) for v in value] for w in wanted):
                return False
        elif str(value) not in wanted and not (value is None and "" in wanted):
            return False
    return True


def _list(neutron: NeutronService, req: NeutronRequest, resource: str,
          collection: str) -> ApiResponse:
    filters: dict[str, list[str]] = {}
    allowed = set(_ALLOWED[resource]) | {"id", "status", "network_id", "subnets",
                                         "fixed_ips", "mac_address", "revision_number"}
    for key, value in req.query:
        if key in _PAGING:
            continue
        if key not in allowed:
            raise bad_request(f"[{key}] is invalid attribute for filtering")
        filters.setdefault(key, []).append(value)
    if resource == "security_group":
        # The plugin's get_security_groups makes the default group; Neutron's API layer
        # refuses an unknown filter (filter_validation) before calling the plugin.
        neutron.core.ensure_default_security_group(req.project_id)
    items = []
    for record in _store(neutron, resource).values():
        if not _visible(req, record):
            continue
        view = record.view(req.admin)
        if _matches(view, filters):
            items.append(_filtered(view, req))
    return ApiResponse(200, {collection.replace("-", "_"): items})


def _body(req: NeutronRequest, resource: str, *, create: bool) -> dict[str, Any]:
    body = req.body
    if not isinstance(body, dict) or not isinstance(body.get(resource), dict):
        raise bad_request("Resource body required" if body is None else
                          f"Unable to find '{resource}' in request body")
    attrs = dict(body[resource])
    unknown = sorted(k for k in attrs if k not in _ALLOWED[resource])
    if unknown:
        raise bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for key in ("name", "description"):
        if key in attrs and not isinstance(attrs[key], str):
            raise bad_request(f"Invalid input for {key}. Reason: '{attrs[key]}' is not a "
                              "valid string.")
        if key in attrs and len(attrs[key]) > 255:
            raise bad_request(f"Invalid input for {key}. Reason: '{attrs[key]}' exceeds "
                              "maximum length of 255.")
    for key in ("admin_state_up", "shared", "router:external", "enable_dhcp",
                "port_security_enabled"):
        if key in attrs:
            attrs[key] = _boolean(key, attrs[key])
    if create:
        owner = attrs.get("project_id") or attrs.get("tenant_id") or req.project_id
        if not isinstance(owner, str):
            raise bad_request(f"Invalid input for project_id. Reason: '{owner}' is not a "
                              "valid string.")
        if owner != req.project_id and not req.admin:
            raise NeutronError("HTTPForbidden", "Specifying 'project_id' or 'tenant_id' "
                               "other than the authenticated project in request requires "
                               "admin privileges", 403)
        attrs["project_id"] = owner
    elif "project_id" in attrs or "tenant_id" in attrs:
        raise bad_request("Cannot update read-only attribute project_id")
    return attrs


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise bad_request(f"Invalid input for {key}. Reason: '{value}' cannot be converted to "
                      "boolean.")


def _admin_only(req: NeutronRequest, attrs: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in attrs and not req.admin:
            raise NeutronError("HTTPForbidden", f"(rule:create_network:{key}) is "
                               "disallowed by policy", 403)


def _create(neutron: NeutronService, req: NeutronRequest, resource: str) -> Record:
    core = neutron.core
    a = _body(req, resource, create=True)
    owner = a["project_id"]
    name = str(a.get("name", ""))
    desc = str(a.get("description", ""))
    if resource == "network":
        _admin_only(req, a, "shared", "router:external", "provider:network_type")
        mtu = a.get("mtu")
        if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or
                                mtu < 68):
            raise bad_request(f"Invalid input for mtu. Reason: '{mtu}' is not a valid "
                              "integer or is too small.")
        return core.create_network(owner, name, admin_state_up=a.get("admin_state_up", True),
                                   shared=a.get("shared", False),
                                   external=a.get("router:external", False), mtu=mtu,
                                   description=desc)
    if resource == "subnet":
        net = _get(neutron, req, "network", str(a.get("network_id", "")))
        if "ip_version" not in a:
            raise bad_request("Invalid input for ip_version. Reason: 'None' is not in "
                              "[4, 6].")
        if a["ip_version"] not in (4, 6, "4", "6") or isinstance(a["ip_version"], bool):
            raise bad_request(f"Invalid input for ip_version. Reason: '{a['ip_version']}' "
                              "is not in [4, 6].")
        if not isinstance(a.get("cidr"), str):
            raise bad_request("Bad subnet request: a subnetpool must be specified in the "
                              "absence of a cidr.", "BadRequest")
        if net.project_id != owner and not req.admin and not net.shared:
            raise NeutronError("HTTPForbidden", "(rule:create_subnet) is disallowed by "
                               "policy", 403)
        pools = a.get("allocation_pools")
        if pools is not None and not (isinstance(pools, list) and all(
                isinstance(p, dict) and isinstance(p.get("start"), str) and
                isinstance(p.get("end"), str) for p in pools)):
            raise bad_request(f"Invalid input for allocation_pools. Reason: Invalid data "
                              f"format for IP pool: '{pools}'.")
        gw = a.get("gateway_ip", True)
        return core.create_subnet(owner, net, name=name, cidr=a["cidr"],
                                  ip_version=int(a["ip_version"]),
                                  gateway_ip=True if gw is True else gw,
                                  enable_dhcp=a.get("enable_dhcp", True),
                                  allocation_pools=pools,
                                  dns_nameservers=a.get("dns_nameservers"),
                                  description=desc)
    if resource == "port":
        net = _get(neutron, req, "network", str(a.get("network_id", "")))
        fixed = a.get("fixed_ips")
        if fixed is not None and not (isinstance(fixed, list) and
                                      all(isinstance(f, dict) for f in fixed)):
            raise bad_request(f"Invalid input for fixed_ips. Reason: Invalid data format "
                              f"for fixed IP: '{fixed}'.")
        groups = a.get("security_groups")
        if groups is not None:
            if not isinstance(groups, list):
                raise bad_request(f"Invalid input for security_groups. Reason: '{groups}' "
                                  "is not a list.")
            for gid in groups:
                _get(neutron, req, "security_group", str(gid))
        return core.create_port(owner, net, name=name, device_id=str(a.get("device_id", "")),
                                device_owner=str(a.get("device_owner", "")),
                                fixed_ips=fixed, security_groups=groups,
                                admin_state_up=a.get("admin_state_up", True),
                                description=desc)
    if resource == "router":
        gw = a.get("external_gateway_info")
        if gw is not None and not isinstance(gw, dict):
            raise bad_request(f"Invalid input for external_gateway_info. Reason: '{gw}' is "
                              "not a dictionary.")
        return core.create_router(owner, name, admin_state_up=a.get("admin_state_up", True),
                                  external_gateway_info=gw, description=desc)
    core.ensure_default_security_group(owner)
    if name == "default":
        raise NeutronError("SecurityGroupDefaultAlreadyExists",
                           "Default security group already exists.", 409)
    sg = SecurityGroup(id=core.env.sim.ids.uuid(), name=name, project_id=owner,
                       description=desc, created_at=core.stamp(), updated_at=core.stamp(),
                       revision_number=1)
    core.security_groups[sg.id] = sg
    return sg


def _update(neutron: NeutronService, req: NeutronRequest, resource: str,
            record: Record) -> None:
    a = _body(req, resource, create=False)
    for key in ("network_id", "cidr", "ip_version", "mac_address"):
        if key in a:
            raise bad_request(f"Cannot update read-only attribute {key}")
    if isinstance(record, SecurityGroup) and record.name == "default" and \
            a.get("name", "default") != "default":
        raise NeutronError("SecurityGroupCannotUpdateDefault",
                           "Updating default security group not allowed.", 409)
    for key, value in a.items():
        attr = {"router:external": "external"}.get(key, key)
        if attr in ("name", "description", "admin_state_up", "shared", "external",
                    "enable_dhcp", "device_id", "device_owner", "dns_nameservers",
                    "gateway_ip", "mtu") and hasattr(record, attr):
            setattr(record, attr, value)
    neutron.core.touch(record)


def _delete(neutron: NeutronService, req: NeutronRequest, resource: str,
            record: Record) -> None:
    core = neutron.core
    if isinstance(record, Network):
        core.delete_network(record)
    elif isinstance(record, Subnet):
        core.delete_subnet(record)
    elif isinstance(record, Port):
        core.delete_port(record)
    elif isinstance(record, Router):
        core.delete_router(record)
    else:
        core.delete_security_group(record)


def route(neutron: NeutronService, method: str, rest: list[str],
          req: NeutronRequest) -> ApiResponse:
    resource = _COLLECTIONS.get(rest[0])
    if resource is None or len(rest) > 3:
        raise NeutronError("HTTPNotFound", "The resource could not be found.", 404)
    if len(rest) == 1:
        if method == "GET":
            return _list(neutron, req, resource, rest[0])
        if method == "POST":
            record = _create(neutron, req, resource)
            return ApiResponse(201, {resource: record.view(req.admin)})
        raise _not_allowed()
    record = _get(neutron, req, resource, rest[1])
    if len(rest) == 3:
        if resource == "router" and rest[2] in ("add_router_interface",
                                                "remove_router_interface"):
            if method != "PUT":
                raise _not_allowed()
            return _router_interface(neutron, req, record, add=rest[2].startswith("add"))
        raise NeutronError("HTTPNotFound", "The resource could not be found.", 404)
    if method == "GET":
        return ApiResponse(200, {resource: _filtered(record.view(req.admin), req)})
    if method == "PUT":
        _update(neutron, req, resource, record)
        return ApiResponse(200, {resource: record.view(req.admin)})
    if method == "DELETE":
        _delete(neutron, req, resource, record)
        return ApiResponse(204, None)
    raise _not_allowed()


def _router_interface(neutron: NeutronService, req: NeutronRequest, router: Router, *,
                      add: bool) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or not ({"subnet_id", "port_id"} & set(body)):
        raise bad_request("Bad router request: Either subnet_id or port_id must be "
                          "specified.", "BadRequest")
    core = neutron.core
    if "port_id" in body:
        port = _get(neutron, req, "port", str(body["port_id"]))
        subnet_id = port.fixed_ips[0]["subnet_id"] if port.fixed_ips else ""
        if add:
            raise bad_request("Bad router request: attaching an existing port is not "
                              "supported by this Neutron.", "BadRequest")
    else:
        subnet_id = str(body["subnet_id"])
    subnet = _get(neutron, req, "subnet", subnet_id)
    if add:
        port = core.add_router_interface(router, subnet)
    else:
        port = core.remove_router_interface(router, subnet.id)
    return ApiResponse(200, {"id": router.id, "tenant_id": router.project_id,
                             "project_id": router.project_id, "port_id": port.id,
                             "network_id": subnet.network_id, "subnet_id": subnet.id,
                             "subnet_ids": [subnet.id]})


def quotas(neutron: NeutronService, method: str, rest: list[str],
           req: NeutronRequest) -> ApiResponse:
    """``/v2.0/quotas/{project_id}`` (+ ``/details``, ``/default``); PUT/DELETE by admin."""
    if not rest:
        if method != "GET" or not req.admin:
            raise NeutronError("HTTPForbidden", "Only admin can view or configure quota",
                               403)
        return ApiResponse(200, {"quotas": [
            {"project_id": p, "tenant_id": p, **neutron.quota_of(p)}
            for p in neutron.quota_overrides]})
    project = rest[0]
    if project != req.project_id and not req.admin:
        raise NeutronError("HTTPForbidden", "Only admin is authorized to access quotas for "
                           "another project", 403)
    sub = rest[1:]
    if sub == ["default"] and method == "GET":
        return ApiResponse(200, {"quota": dict(QUOTA_DEFAULTS)})
    if sub == ["details"] and method == "GET":
        used = neutron.usage_of(project)
        return ApiResponse(200, {"quota": {
            k: {"limit": v, "used": used.get(k, 0), "reserved": 0}
            for k, v in neutron.quota_of(project).items()}})
    if sub:
        raise NeutronError("HTTPNotFound", "The resource could not be found.", 404)
    if method == "GET":
        return ApiResponse(200, {"quota": neutron.quota_of(project)})
    if not req.admin:
        raise NeutronError("HTTPForbidden", "Only admin can view or configure quota", 403)
    if method == "DELETE":
        neutron.quota_overrides.pop(project, None)
        return ApiResponse(204, None)
    if method != "PUT":
        raise _not_allowed()
    body = req.body
    if not isinstance(body, dict) or not isinstance(body.get("quota"), dict):
        raise bad_request("Unable to find 'quota' in request body")
    changes: dict[str, int] = {}
    for key, value in body["quota"].items():
        if key not in QUOTA_DEFAULTS:
            raise bad_request(f"Unrecognized attribute(s) '{key}'")
        try:
            limit = int(value)
        except (TypeError, ValueError):
            raise bad_request(f"Invalid input for {key}. Reason: '{value}' is not an "
                              "integer.") from None
        if limit < -1:
            raise bad_request(f"Invalid input for {key}. Reason: '{value}' should be >= -1.")
        changes[key] = limit
    neutron.quota_overrides.setdefault(project, {}).update(changes)
    return ApiResponse(200, {"quota": neutron.quota_of(project)})


def _not_allowed() -> NeutronError:
    return NeutronError("HTTPMethodNotAllowed", "The method is not allowed for this "
                        "resource.", 405)
