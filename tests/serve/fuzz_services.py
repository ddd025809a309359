"""The fuzzer's generators for the services served beside Cinder and Nova: Glance v2,
Neutron-lite, Swift-lite and Keystone's v3 admin API (issue 18: "every route of every
served API"), and what a refused request to them must leave unchanged.

Each generator returns ``(method, target, body template)``; the fuzzer mutates the
template.  Destructive requests to Keystone never name the real projects, users or
roles (deleting ``demo`` would end the run, not find a bug); reads do.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Pick = Callable[[random.Random, list[str]], str]
"""``mutated_id``: a real id half the time, else a malformed or unknown one."""


def ids_of(cloud: Any) -> dict[str, list[str]]:
    """Real ids the generators aim at, read once the world is built."""
    core = cloud.neutron.core
    store = cloud.identity
    return {
        "network": sorted(core.networks), "subnet": sorted(core.subnets),
        "port": sorted(core.ports), "router": sorted(core.routers),
        "security_group": sorted(core.security_groups),
        "project": [p.id for p in store._projects.values()],
        "user": [u.id for u in store._users.values()],
        "role": [r.id for r in store._roles.values()],
        "domain": sorted(store._domains),
        "image": sorted(cloud.glance.images),
    }


def state_of_others(cloud: Any) -> tuple[Any, ...]:
    """What a refused request to these services must leave as it was."""
    core = cloud.neutron.core
    store = cloud.identity
    swift = tuple((project, name, c.timestamp, tuple(sorted(c.objects)))
                  for project, containers in sorted(cloud.swift.accounts.items())
                  for name, c in sorted(containers.items()))
    images = tuple((i.id, i.status, i.name, i.visibility, i.size, i.protected, i.os_hidden,
                    tuple(i.tags), repr(sorted(i.properties.items())), i.updated_at)
                   for i in cloud.glance.images.values())
    neutron = tuple(repr(sorted(table.items())) for table in (
        core.networks, core.subnets, core.ports, core.routers, core.security_groups))
    keystone = (repr(store._projects), repr(store._users), repr(store._roles),
                repr(store._domains), repr(sorted(store._grants.items())))
    return swift, images, neutron, keystone


NEUTRON_BODIES: dict[str, Any] = {
    "networks": {"network": {"name": "n", "admin_state_up": True, "shared": False}},
    "subnets": {"subnet": {"network_id": "NET", "cidr": "10.77.0.0/24", "ip_version": 4,
                           "name": "s", "enable_dhcp": True}},
    "ports": {"port": {"network_id": "NET", "name": "p",
                       "fixed_ips": [{"subnet_id": "SUB"}]}},
    "routers": {"router": {"name": "r", "external_gateway_info": {"network_id": "NET"}}},
    "security-groups": {"security_group": {"name": "g", "description": "d"}},
}


def neutron_request(rng: random.Random, ids: dict[str, list[str]], project: str,
                    pick: Pick) -> tuple[str, str, Any]:
    coll = rng.choice(sorted(NEUTRON_BODIES))
    key = {"networks": "network", "subnets": "subnet", "ports": "port",
           "routers": "router", "security-groups": "security_group"}[coll]
    rid = pick(rng, ids[key])
    method, path = rng.choice([
        ("GET", ""), ("GET", "/v2.0"), ("POST", "/v2.0"), ("GET", "/v2.0/extensions"),
        ("GET", f"/v2.0/extensions/{pick(rng, ['router', 'quotas'])}"),
        ("GET", f"/v2.0/{coll}"), ("POST", f"/v2.0/{coll}"), ("POST", f"/v2.0/{coll}"),
        ("GET", f"/v2.0/{coll}/{rid}"), ("PUT", f"/v2.0/{coll}/{rid}"),
        ("DELETE", f"/v2.0/{coll}/{rid}"), ("GET", f"/v2.0/{coll}.json"),
        ("PUT", f"/v2.0/routers/{pick(rng, ids['router'])}/add_router_interface"),
        ("PUT", f"/v2.0/routers/{pick(rng, ids['router'])}/remove_router_interface"),
        ("GET", f"/v2.0/routers/{rid}/nope"), ("GET", "/v2.0/quotas"),
        ("GET", f"/v2.0/quotas/{pick(rng, [project])}"),
        ("PUT", f"/v2.0/quotas/{pick(rng, [project])}"),
        ("DELETE", f"/v2.0/quotas/{pick(rng, [project])}"),
        ("GET", f"/v2.0/quotas/{pick(rng, [project])}/details"), ("GET", "/v3.0/networks"),
    ])
    if path.endswith("_interface"):
        body: Any = rng.choice([{"subnet_id": "SUB"}, {"port_id": "PORT"}])
    elif "/quotas" in path:
        body = {"quota": {"network": 10, "port": 50}}
    else:
        body = NEUTRON_BODIES[coll]
    net, sub, port = (rng.choice(ids[k]) if ids[k] else "x"
                      for k in ("network", "subnet", "port"))
    body = _replace(body, {"NET": net, "SUB": sub, "PORT": port})
    return method, "/networking" + path, body


def swift_request(rng: random.Random, project: str, pick: Pick) -> tuple[str, str, Any]:
    account = rng.choice([f"AUTH_{project}", f"AUTH_{project}", "AUTH_", project,
                          f"AUTH_{pick(rng, [project])}"])
    container = rng.choice(["fuzz", "fuzz", "volumebackups", "c" * 300, "%00", "..", "é",
                            pick(rng, [])])
    obj = rng.choice(["o", "a/b/c", "/lead", "o" * 1100, "%ff", "x?y", pick(rng, [])])
    method = rng.choice(["GET", "HEAD", "PUT", "POST", "DELETE", "COPY", "PATCH"])
    path = rng.choice([
        "/info", "/info/", "/v1", f"/v1/{account}", f"/v1/{account}/{container}",
        f"/v1/{account}/{container}/{obj}", f"/v1/{account}/{container}/{obj}",
        f"/v2/{account}/{container}", f"/v1/{account}/{container}//{obj}"])
    return method, "/object-store" + path, {"data": "x"}


GLANCE_PATCH = [{"op": "replace", "path": "/name", "value": "n"},
                {"op": "add", "path": "/k", "value": "v"}, {"op": "remove", "path": "/k"}]


def glance_request(rng: random.Random, ids: dict[str, list[str]],
                   pick: Pick) -> tuple[str, str, Any]:
    iid = pick(rng, ids["image"])
    tag = rng.choice(["t", "", "x" * 300, "%00", "é"])
    method, path = rng.choice([
        ("GET", ""), ("GET", "/versions"), ("GET", "/v2"), ("GET", "/v9/images"),
        ("GET", "/v2/images"), ("POST", "/v2/images"), ("POST", "/v2/images"),
        ("GET", f"/v2/images/{iid}"), ("PATCH", f"/v2/images/{iid}"),
        ("DELETE", f"/v2/images/{iid}"), ("GET", f"/v2/images/{iid}/file"),
        ("PUT", f"/v2/images/{iid}/file"), ("PUT", f"/v2/images/{iid}/tags/{tag}"),
        ("DELETE", f"/v2/images/{iid}/tags/{tag}"), ("GET", "/v2/schemas/image"),
        ("GET", "/v2/schemas/images"), ("POST", f"/v2/images/{iid}/actions/deactivate"),
    ])
    body: Any = {"name": "x", "disk_format": "raw", "container_format": "bare",
                 "visibility": "private", "tags": ["a"], "k": "v"}
    if method == "PATCH":
        body = GLANCE_PATCH
    return method, "/image" + path, body


KEYSTONE_BODIES: dict[str, Any] = {
    "projects": {"project": {"name": "p", "domain_id": "default", "enabled": True}},
    "users": {"user": {"name": "u", "password": "pw", "domain_id": "default",
                       "default_project_id": "P"}},
    "roles": {"role": {"name": "r"}}, "domains": {"domain": {"name": "d"}},
    "role_assignments": {},
}


def keystone_admin_request(rng: random.Random, ids: dict[str, list[str]],
                           pick: Pick) -> tuple[str, str, Any]:
    coll = rng.choice(sorted(KEYSTONE_BODIES))
    key = {"projects": "project", "users": "user", "roles": "role", "domains": "domain",
           "role_assignments": "project"}[coll]
    method = rng.choice(["GET", "GET", "HEAD", "POST", "PATCH", "DELETE", "PUT"])
    # Only reads name real records: a PATCH/DELETE of demo would end the run.
    real = ids[key] if method in {"GET", "HEAD"} else []
    rid = pick(rng, real)
    project, user = pick(rng, ids["project"]), pick(rng, ids["user"])
    role = pick(rng, ids["role"] if method in {"GET", "HEAD"} else [])
    path = rng.choice([
        f"/{coll}", f"/{coll}", f"/{coll}/{rid}", f"/users/{user}/projects",
        f"/users/{rid}/password", f"/projects/{project}/users/{user}/roles",
        f"/projects/{project}/users/{user}/roles/{role}", "/role_assignments",
        "/role_assignments?scope.project.id=" + project, "/auth/projects", "/auth/catalog"])
    body = _replace(KEYSTONE_BODIES[coll], {"P": rng.choice(ids["project"])})
    if path.endswith("/password"):
        body = {"user": {"password": "new", "original_password": "secret"}}
    return method, "/identity/v3" + path, body


def _replace(template: Any, names: dict[str, str]) -> Any:
    if isinstance(template, dict):
        return {k: _replace(v, names) for k, v in template.items()}
    if isinstance(template, list):
        return [_replace(v, names) for v in template]
    return names.get(template, template) if isinstance(template, str) else template
