"""Issue 22 over HTTP with the real CLI: ``openstack volume create --type ceph`` lands on
the RBD backend, and ``openstack server add volume`` attaches it as a librbd network
disk (Cinder's connection_info is ``rbd``; the compute host logs in to no target)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cindersim.serve import ServeOptions, ThreadedServer
from cindersim.trace import load_jsonl

BIN = Path(sys.executable).parent
SPEED = 100.0  # as the other serve tests (conftest.SPEED)
pytestmark = pytest.mark.skipif(not (BIN / "openstack").exists(),
                                reason="needs the openstack CLI (the test extra)")
CONFIG = {"DEFAULT": {"enabled_backends": "lvmdriver-1,ceph"},
          "lvmdriver-1": {},
          "ceph": {"volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
                   "volume_backend_name": "ceph", "rbd_pool": "volumes",
                   "rbd_user": "cinder"}}


@pytest.fixture
def served_rbd(tmp_path: Path) -> Iterator[ThreadedServer]:
    with ThreadedServer(ServeOptions(port=0, speed=SPEED, config=CONFIG,
                                     trace=tmp_path / "trace.jsonl")) as srv:
        yield srv


def _run(srv: ThreadedServer, user: str, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "NOVA"))}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": user,
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": user,
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"})
    done = subprocess.run([str(BIN / "openstack"), *args], check=False, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "-f" in args else done.stdout


def test_openstack_volume_create_type_ceph_and_server_add_volume(
        served_rbd: ThreadedServer) -> None:
    srv = served_rbd
    _run(srv, "admin", "volume", "type", "create", "--property",
         "volume_backend_name=ceph", "--public", "ceph")
    vol = _run(srv, "demo", "volume", "create", "--type", "ceph", "--size", "1", "data",
               "-f", "json")
    assert vol["type"] == "ceph"
    server = _run(srv, "demo", "server", "create", "--image", "cirros-0.6.2", "--flavor",
                  "m1.tiny", "--nic", "none", "--wait", "vm1", "-f", "json")
    assert server["status"] == "ACTIVE"
    for _ in range(200):
        shown = _run(srv, "demo", "volume", "show", vol["id"], "-f", "json")
        if shown["status"] == "available":
            break
    assert shown["status"] == "available"
    _run(srv, "demo", "server", "add", "volume", "vm1", vol["id"])
    attached = _run(srv, "demo", "server", "volume", "list", "vm1", "-f", "json")
    assert [a["Volume ID"] for a in attached] == [vol["id"]]
    admin_view = _run(srv, "admin", "volume", "show", vol["id"], "-f", "json")
    assert admin_view["os-vol-host-attr:host"] == "cinder-1@ceph#ceph"
    srv.stop()
    assert srv.options.trace is not None
    events = load_jsonl(Path(srv.options.trace).read_text(encoding="utf-8").splitlines())
    ops = [e.detail.get("op") for e in events if e.kind == "backend"]
    assert "rbd network disk" in ops
    assert "iscsiadm --login" not in ops
    assert any(e.kind == "backend" and e.detail.get("op") == "rbd create"
               and f"volume-{vol['id']}" in e.summary for e in events)
