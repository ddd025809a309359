"""Neutron-lite through its REST API (in process): resources, errors, Tempest's calls."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate

N = "/networking/v2.0"


def _run(main: Any) -> Any:
    return simulate(main, seed=3).value


def test_versions_need_no_token_and_resources_do() -> None:
    async def main(cloud: Cloud) -> Any:
        root = await cloud.request("GET", "/networking/")
        v2 = await cloud.request("GET", N)
        authed = await cloud.request("GET", N, token=cloud.token("demo"))
        return root, v2, authed

    root, v2, authed = _run(main)
    assert root.status == 200
    assert root.json["versions"][0]["id"] == "v2.0"
    assert root.json["versions"][0]["links"][0]["href"].endswith("/networking/v2.0/")
    assert v2.status == 401
    assert {r["collection"] for r in authed.json["resources"]} >= {"networks", "ports"}
    assert authed.headers["X-Openstack-Request-Id"].startswith("req-")


def test_tempest_dynamic_credentials_network_lifecycle() -> None:
    """Network, subnet, router + interface as admin for a project, then the cleanup:
    remove the interface, delete router, subnet, network and the project's
    security groups (found by name=default&project_id=...)."""
    async def main(cloud: Cloud) -> Any:
        admin = cloud.token("admin")
        project = cloud.project_id("demo")
        net = (await cloud.request("POST", f"{N}/networks", {"network": {
            "name": "t-network", "project_id": project}}, token=admin))
        nid = net.json["network"]["id"]
        sub = await cloud.request("POST", f"{N}/subnets", {"subnet": {
            "network_id": nid, "cidr": "10.100.0.0/28", "name": "t-subnet",
            "project_id": project, "ip_version": 4}}, token=admin)
        overlap = await cloud.request("POST", f"{N}/subnets", {"subnet": {
            "network_id": nid, "cidr": "10.100.0.0/28", "ip_version": 4}}, token=admin)
        sid = sub.json["subnet"]["id"]
        router = await cloud.request("POST", f"{N}/routers", {"router": {
            "name": "t-router", "project_id": project}}, token=admin)
        rid = router.json["router"]["id"]
        add = await cloud.request("PUT", f"{N}/routers/{rid}/add_router_interface",
                                  {"subnet_id": sid}, token=admin)
        busy_subnet = await cloud.request("DELETE", f"{N}/subnets/{sid}", token=admin)
        busy_router = await cloud.request("DELETE", f"{N}/routers/{rid}", token=admin)
        remove = await cloud.request("PUT", f"{N}/routers/{rid}/remove_router_interface",
                                     {"subnet_id": sid}, token=admin)
        deletes = [(await cloud.request("DELETE", f"{N}/{kind}/{rid_}", token=admin)).status
                   for kind, rid_ in (("routers", rid), ("subnets", sid), ("networks", nid))]
        groups = await cloud.request(
            "GET", f"{N}/security-groups?name=default&project_id={project}", token=admin)
        sg_deletes = [(await cloud.request("DELETE", f"{N}/security-groups/{g['id']}",
                                           token=admin)).status
                      for g in groups.json["security_groups"]]
        gone = await cloud.request("GET", f"{N}/networks/{nid}", token=admin)
        return net, sub, overlap, add, busy_subnet, busy_router, remove, deletes, groups, \
            sg_deletes, gone

    (net, sub, overlap, add, busy_subnet, busy_router, remove, deletes, groups, sg_deletes,
     gone) = _run(main)
    assert net.status == 201
    assert net.json["network"]["status"] == "ACTIVE"
    assert sub.status == 201
    assert sub.json["subnet"]["gateway_ip"] == "10.100.0.1"
    assert sub.json["subnet"]["allocation_pools"] == [{"start": "10.100.0.2",
                                                       "end": "10.100.0.14"}]
    assert overlap.status == 400
    assert "overlaps with another subnet" in overlap.json["NeutronError"]["message"]
    assert add.status == 200
    assert add.json["subnet_id"] == sub.json["subnet"]["id"]
    assert busy_subnet.status == 409
    assert busy_subnet.json["NeutronError"]["type"] == "SubnetInUse"
    assert busy_router.status == 409
    assert remove.status == 200
    assert deletes == [204, 204, 204]
    assert [g["name"] for g in groups.json["security_groups"]] == ["default"]
    assert len(groups.json["security_groups"][0]["security_group_rules"]) == 4
    assert sg_deletes == [204]
    assert gone.status == 404
    assert gone.json == {"NeutronError": {"type": "NetworkNotFound", "message":
                         f"Network {net.json['network']['id']} could not be found.",
                         "detail": ""}}


def test_bad_input_gets_neutrons_codes() -> None:
    async def main(cloud: Cloud) -> Any:
        t = cloud.token("demo")
        other = cloud.project_id("alt_demo")
        return [
            await cloud.request("POST", f"{N}/networks", {"network": {"bogus": 1}}, token=t),
            await cloud.request("POST", f"{N}/networks", {"nope": {}}, token=t),
            await cloud.request("POST", f"{N}/networks", {"network": {
                "project_id": other}}, token=t),
            await cloud.request("POST", f"{N}/subnets", {"subnet": {
                "network_id": "missing", "cidr": "10.0.0.0/24", "ip_version": 4}}, token=t),
            await cloud.request("GET", f"{N}/networks?colour=blue", token=t),
            await cloud.request("PATCH", f"{N}/networks", token=t),
            await cloud.request("POST", f"{N}/networks", {"network": {
                "admin_state_up": "maybe"}}, token=t),
        ]

    codes = [(r.status, r.json["NeutronError"]["type"]) for r in _run(main)]
    assert codes == [(400, "HTTPBadRequest"), (400, "HTTPBadRequest"), (403, "HTTPForbidden"),
                     (404, "NetworkNotFound"), (400, "HTTPBadRequest"),
                     (405, "HTTPMethodNotAllowed"), (400, "HTTPBadRequest")]


def test_other_projects_resources_are_hidden() -> None:
    async def main(cloud: Cloud) -> Any:
        net = await cloud.request("POST", f"{N}/networks", {"network": {"name": "mine"}},
                                  token=cloud.token("demo"))
        nid = net.json["network"]["id"]
        alt = cloud.token("alt_demo")
        return (await cloud.request("GET", f"{N}/networks/{nid}", token=alt),
                await cloud.request("DELETE", f"{N}/networks/{nid}", token=alt),
                await cloud.request("GET", f"{N}/networks", token=alt))

    show, delete, listing = _run(main)
    assert (show.status, delete.status) == (404, 404)
    assert listing.json == {"networks": []}


def test_a_refused_security_group_list_creates_no_default_group() -> None:
    """Found by the HTTP fuzzer (issue 18): an unknown filter is a 400 from Neutron's
    API layer before the plugin's list, which is what makes the default group."""
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("alt_demo")
        refused = await cloud.request("GET", f"{N}/security-groups?metadata=x", token=tok)
        before = len(cloud.neutron.core.security_groups)
        listed = await cloud.request("GET", f"{N}/security-groups", token=tok)
        return refused, before, listed

    refused, before, listed = _run(main)
    assert refused.status == 400
    assert refused.json["NeutronError"]["message"] == "[metadata] is invalid attribute for " \
                                                     "filtering"
    assert before == 0
    assert [g["name"] for g in listed.json["security_groups"]] == ["default"]
