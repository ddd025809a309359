"""Instance actions through the real CLIs: extend an attached volume with ``openstack
volume set --size``, then watch Nova's ``extend_volume`` action with ``openstack server
event list/show`` and ``nova instance-action-list``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cindersim.serve import ThreadedServer
from conftest import wait_until

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "openstack").exists() or not (BIN / "nova").exists(),
                                reason="needs the openstack and nova CLIs (the test extra)")


def _env(srv: ThreadedServer, user: str = "demo") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "NOVA"))}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": user,
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": user,
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"})
    return env


def _run(srv: ThreadedServer, tool: str, *args: str, user: str = "demo") -> str:
    done = subprocess.run([str(BIN / tool), *args], check=False, env=_env(srv, user),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _json(srv: ThreadedServer, *args: str, user: str = "demo") -> Any:
    return json.loads(_run(srv, "openstack", *args, "-f", "json", user=user))


def test_server_event_list_shows_the_extend(served: ThreadedServer) -> None:
    server = _json(served, "server", "create", "--image", "cirros-0.6.2", "--flavor",
                   "m1.tiny", "--no-network", "--wait", "vm1")
    vol = _json(served, "volume", "create", "--size", "1", "data")
    wait_until(lambda: _json(served, "volume", "show", vol["id"])["status"] == "available")
    _run(served, "openstack", "server", "add", "volume", "vm1", vol["id"])
    wait_until(lambda: _json(served, "volume", "show", vol["id"])["status"] == "in-use")
    _run(served, "openstack", "--os-volume-api-version", "3.42", "volume", "set", "--size",
         "2", vol["id"])
    wait_until(lambda: _json(served, "volume", "show", vol["id"])["size"] == 2)

    def extend_action() -> Any:
        events = _json(served, "server", "event", "list", "vm1")
        return next((e for e in events if e["Action"] == "extend_volume"), None)

    action = wait_until(extend_action)
    assert action["Server ID"] == server["id"]
    assert [e["Action"] for e in _json(served, "server", "event", "list", "vm1")] == [
        "extend_volume", "attach_volume", "create"]

    def finished() -> Any:
        shown = _json(served, "--os-compute-api-version", "2.51", "server", "event", "show",
                      "vm1", action["Request ID"])
        events = shown["events"]
        return events if events and events[0].get("finish_time") else None

    events = wait_until(finished)
    assert [(e["event"], e["result"]) for e in events] == [
        ("compute_extend_volume", "Success")]
    # The legacy client reads the same table.
    listing = _run(served, "nova", "instance-action-list", "vm1")
    assert "extend_volume" in listing
    assert action["Request ID"] in listing
