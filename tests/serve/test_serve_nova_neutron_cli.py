"""Nova and Neutron-lite through the real CLIs over HTTP (`openstack`, `nova`).

The network endpoint is given as ``OS_NETWORK_ENDPOINT_OVERRIDE`` (``<served>/networking``)
so these tests do not depend on the Keystone catalog's ``network`` entry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cindersim.serve import ThreadedServer

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "openstack").exists() or not (BIN / "nova").exists(),
                                reason="needs the openstack and nova CLIs (the test extra)")


def _env(srv: ThreadedServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "NOVA"))}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": "demo",
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": "demo",
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne",
                "OS_NETWORK_ENDPOINT_OVERRIDE": f"{srv.base_url}/networking"})
    return env


def _run(srv: ThreadedServer, tool: str, *args: str, ok: bool = True) -> Any:
    done = subprocess.run([str(BIN / tool), *args], check=False, env=_env(srv),
                          capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def _json(srv: ThreadedServer, *args: str) -> Any:
    return json.loads(_run(srv, "openstack", *args, "-f", "json").stdout)


def test_openstack_network_server_and_volume(served: ThreadedServer) -> None:
    net = _json(served, "network", "create", "net1")
    assert net["status"] == "ACTIVE"
    sub = _json(served, "subnet", "create", "--network", "net1", "--subnet-range",
                "10.1.0.0/24", "sub1")
    assert (sub["cidr"], sub["gateway_ip"]) == ("10.1.0.0/24", "10.1.0.1")
    _json(served, "router", "create", "r1")
    _run(served, "openstack", "router", "add", "subnet", "r1", "sub1")
    assert [n["Name"] for n in _json(served, "network", "list")] == ["net1"]
    server = _json(served, "server", "create", "--image", "cirros-0.6.2", "--flavor",
                   "m1.tiny", "--network", "net1", "--wait", "vm1")
    assert server["status"] == "ACTIVE"
    assert "10.1.0." in json.dumps(server["addresses"])
    vol = _json(served, "volume", "create", "--size", "1", "data")
    _run(served, "openstack", "server", "add", "volume", "vm1", vol["id"])
    attached = _json(served, "server", "volume", "list", "vm1")
    assert [a["Volume ID"] for a in attached] == [vol["id"]]
    # Neutron's real codes reach the user: an unknown network is refused, not a 500.
    bad = _run(served, "openstack", "server", "create", "--image", "cirros-0.6.2",
               "--flavor", "m1.tiny", "--network", "nope", "vm2", ok=False)
    assert bad.returncode != 0
    assert "500" not in bad.stderr


def test_openstack_limits_and_quota(served: ThreadedServer) -> None:
    limits = {row["Name"]: row["Value"]
              for row in _json(served, "limits", "show", "--absolute")}
    assert limits["max_total_instances"] == 10
    assert limits["max_total_cores"] == 20
    quota = {row["Resource"]: row["Limit"] for row in _json(served, "quota", "show")}
    assert (quota["instances"], quota["cores"], quota["ram"]) == (10, 20, 51200)
    assert quota["networks"] == 100


def test_nova_cli_list_and_volume_attach(served: ThreadedServer) -> None:
    _json(served, "network", "create", "n")
    _json(served, "subnet", "create", "--network", "n", "--subnet-range", "10.2.0.0/24", "s")
    _json(served, "server", "create", "--image", "cirros-0.6.2", "--flavor", "m1.tiny",
          "--network", "n", "--wait", "vm1")
    listing = _run(served, "nova", "list").stdout
    assert "vm1" in listing
    assert "ACTIVE" in listing
    vol = _json(served, "volume", "create", "--size", "1", "data")
    out = _run(served, "nova", "volume-attach", "vm1", vol["id"]).stdout
    assert "/dev/vdb" in out
    missing = _run(served, "nova", "show", "no-such-server", ok=False)
    assert missing.returncode != 0
    assert "No server with a name or ID" in missing.stderr
