"""nova-api: version discovery, quotas, limits, request ids and networks at boot."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate

C = "/compute/v2.1"
N = "/networking/v2.0"
V = {"OpenStack-API-Version": "compute 2.89"}


def _run(main: Any) -> Any:
    return simulate(main, seed=5).value


def test_version_documents_without_a_token() -> None:
    async def main(cloud: Cloud) -> Any:
        return (await cloud.request("GET", "/compute/"), await cloud.request("GET", C),
                await cloud.request("GET", f"{C}/servers"))

    root, v21, servers = _run(main)
    assert root.status == v21.status == 200
    assert [v["id"] for v in root.json["versions"]] == ["v2.0", "v2.1"]
    doc = v21.json["version"]
    assert (doc["min_version"], doc["version"], doc["status"]) == ("2.1", "2.96", "CURRENT")
    assert doc["links"][0] == {"rel": "self", "href": "http://nova.example:8774/compute/v2.1/"}
    assert servers.status == 401
    for r in (root, v21, servers):
        assert r.headers["x-openstack-request-id"].startswith("req-")
        assert r.headers["x-compute-request-id"] == r.headers["x-openstack-request-id"]
    assert root.headers["x-openstack-request-id"] != v21.headers["x-openstack-request-id"]


def test_quota_sets_and_limits() -> None:
    async def main(cloud: Cloud) -> Any:
        demo, admin = cloud.token("demo"), cloud.token("admin")
        p = cloud.project_id("demo")
        return {
            "show": await cloud.request("GET", f"{C}/os-quota-sets/{p}", token=demo),
            "defaults": await cloud.request("GET", f"{C}/os-quota-sets/{p}/defaults",
                                            token=demo),
            "user_put": await cloud.request("PUT", f"{C}/os-quota-sets/{p}",
                                            {"quota_set": {"instances": 3}}, token=demo),
            "put": await cloud.request("PUT", f"{C}/os-quota-sets/{p}",
                                       {"quota_set": {"instances": 3, "cores": "7"}},
                                       token=admin),
            "bad": await cloud.request("PUT", f"{C}/os-quota-sets/{p}",
                                       {"quota_set": {"instances": "x"}}, token=admin),
            "unknown": await cloud.request("PUT", f"{C}/os-quota-sets/{p}",
                                           {"quota_set": {"wheels": 3}}, token=admin),
            "nobody": await cloud.request("GET", f"{C}/os-quota-sets/nobody", token=admin),
            "alt": await cloud.request("GET", f"{C}/os-quota-sets/{p}",
                                       token=cloud.token("alt_demo")),
            "v257": await cloud.request("GET", f"{C}/os-quota-sets/{p}", token=demo,
                                        headers={"OpenStack-API-Version": "compute 2.57"}),
            "limits": await cloud.request("GET", f"{C}/limits", token=demo),
        }

    r = _run(main)
    assert r["show"].status == 200
    assert r["show"].json["quota_set"]["instances"] == 10
    assert r["defaults"].json["quota_set"]["ram"] == 51200
    assert r["user_put"].status == 403
    assert r["put"].status == 200
    assert (r["put"].json["quota_set"]["instances"], r["put"].json["quota_set"]["cores"]) \
        == (3, 7)
    assert "id" not in r["put"].json["quota_set"]
    assert (r["bad"].status, r["unknown"].status, r["nobody"].status) == (400, 400, 400)
    assert r["alt"].status == 403
    assert "injected_files" not in r["v257"].json["quota_set"]
    absolute = r["limits"].json["limits"]["absolute"]
    assert (absolute["maxTotalInstances"], absolute["maxTotalCores"]) == (3, 7)
    assert absolute["totalInstancesUsed"] == 0
    assert r["limits"].json["limits"]["rate"] == []


async def _net(cloud: Cloud, name: str, cidr: str | None = "10.9.0.0/24") -> str:
    t = cloud.token("demo")
    net = await cloud.request("POST", f"{N}/networks", {"network": {"name": name}}, token=t)
    nid: str = net.json["network"]["id"]
    if cidr:
        await cloud.request("POST", f"{N}/subnets", {"subnet": {
            "network_id": nid, "cidr": cidr, "ip_version": 4}}, token=t)
    return nid


def _server(cloud: Cloud, networks: Any = None, *, omit: bool = False) -> dict[str, Any]:
    image = cloud.glance.find("cirros-0.6.2", None, admin=True)
    assert image is not None
    body: dict[str, Any] = {"name": "vm", "flavorRef": "1", "imageRef": image.id}
    if not omit:
        body["networks"] = networks
    return {"server": body}


def test_boot_on_a_network_shows_addresses_and_frees_the_port() -> None:
    async def main(cloud: Cloud) -> Any:
        t = cloud.token("demo")
        nid = await _net(cloud, "private")
        boot = await cloud.request("POST", f"{C}/servers", _server(cloud, [{"uuid": nid}]),
                                   token=t, headers=V)
        sid = boot.json["server"]["id"]
        await cloud.settle()
        shown = await cloud.request("GET", f"{C}/servers/{sid}", token=t, headers=V)
        ports = await cloud.request("GET", f"{N}/ports?device_id={sid}", token=t)
        await cloud.request("DELETE", f"{C}/servers/{sid}", token=t, headers=V)
        await cloud.settle()
        after = await cloud.request("GET", f"{N}/ports?device_id={sid}", token=t)
        return boot, shown, ports, after

    boot, shown, ports, after = _run(main)
    assert boot.status == 202
    assert boot.headers["x-openstack-request-id"].startswith("req-")
    (addr,) = shown.json["server"]["addresses"]["private"]
    assert (addr["addr"], addr["version"], addr["OS-EXT-IPS:type"]) == ("10.9.0.2", 4, "fixed")
    (port,) = ports.json["ports"]
    assert (port["device_owner"], port["mac_address"]) == ("compute:nova",
                                                           addr["OS-EXT-IPS-MAC:mac_addr"])
    assert after.json["ports"] == []


def test_networks_request_semantics() -> None:
    async def main(cloud: Cloud) -> Any:
        t = cloud.token("demo")
        out = {}
        out["missing_237"] = await cloud.request("POST", f"{C}/servers",
                                                 _server(cloud, omit=True), token=t, headers=V)
        out["auto_none"] = await cloud.request("POST", f"{C}/servers", _server(cloud, "auto"),
                                               token=t, headers=V)
        out["bogus"] = await cloud.request("POST", f"{C}/servers", _server(cloud, "some"),
                                           token=t, headers=V)
        out["unknown_net"] = await cloud.request(
            "POST", f"{C}/servers",
            _server(cloud, [{"uuid": "6f3c1c2e-2b8a-4f43-9c53-0d5e8d7c1a11"}]),
            token=t, headers=V)
        bare = await _net(cloud, "bare", None)
        out["no_subnet"] = await cloud.request("POST", f"{C}/servers",
                                               _server(cloud, [{"uuid": bare}]), token=t,
                                               headers=V)
        await cloud.request("DELETE", f"{N}/networks/{bare}", token=t)
        await _net(cloud, "only")
        out["auto_one"] = await cloud.request("POST", f"{C}/servers", _server(cloud, "auto"),
                                              token=t, headers=V)
        await _net(cloud, "second", "10.8.0.0/24")
        out["auto_two"] = await cloud.request("POST", f"{C}/servers", _server(cloud, "auto"),
                                              token=t, headers=V)
        out["none"] = await cloud.request("POST", f"{C}/servers", _server(cloud, "none"),
                                          token=t, headers=V)
        out["old_absent_two"] = await cloud.request("POST", f"{C}/servers",
                                                    _server(cloud, omit=True), token=t)
        return out

    r = _run(main)
    assert {k: v.status for k, v in r.items()} == {
        "missing_237": 400, "auto_none": 400, "bogus": 400, "unknown_net": 400,
        "no_subnet": 400, "auto_one": 202, "auto_two": 409, "none": 202,
        "old_absent_two": 409}
    assert "'networks' is a required property" in r["missing_237"].json["badRequest"]["message"]
    assert "Multiple possible networks" in r["auto_two"].json["conflictingRequest"]["message"]
