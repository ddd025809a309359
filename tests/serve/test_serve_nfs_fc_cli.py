"""Issue 22 with the real openstack CLI over HTTP: a volume type per driver kind
(``volume_backend_name``), ``openstack volume create --type nfs`` and ``--type fc``,
``openstack server add volume`` and ``server remove volume``; the connection the
compute host made is an NFS mount or FC devices, never an iSCSI session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cindersim.config import FC_DRIVER, NFS_DRIVER
from cindersim.serve import ServeOptions, ThreadedServer

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "openstack").exists(),
                                reason="needs the openstack CLI (the test extra)")
CONFIG = {"DEFAULT": {"enabled_backends": "nfs-1,fc-1", "zoning_mode": "fabric"},
          "nfs-1": {"volume_driver": NFS_DRIVER, "volume_backend_name": "nfs",
                    "nfs_snapshot_support": True},
          "fc-1": {"volume_driver": FC_DRIVER, "volume_backend_name": "fc"}}


@pytest.fixture
def served() -> Iterator[ThreadedServer]:
    with ThreadedServer(ServeOptions(port=0, speed=100.0, config=CONFIG)) as srv:
        yield srv


def _run(srv: ThreadedServer, *args: str, user: str = "demo") -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": user,
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": user,
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne",
                "OS_VOLUME_API_VERSION": "3.44"})
    done = subprocess.run([str(BIN / "openstack"), *args], check=False, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "-f" in args else done.stdout


def _wait(srv: ThreadedServer, vid: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30  # bounds a hang only; nothing asserts on time
    while True:
        vol: dict[str, Any] = _run(srv, "volume", "show", vid, "-f", "json")
        if vol["status"] == status or time.monotonic() > deadline:
            return vol


def test_volume_create_type_nfs_and_fc_then_server_add_volume(served: ThreadedServer) -> None:
    for name in ("nfs", "fc"):
        _run(served, "volume", "type", "create", "--property",
             f"volume_backend_name={name}", name, "-f", "json", user="admin")
    server = _run(served, "server", "create", "--image", "cirros-0.6.2", "--flavor",
                  "m1.tiny", "--no-network", "--wait", "vm1", "-f", "json")
    assert server["status"] == "ACTIVE"
    vols = {}
    for name in ("nfs", "fc"):
        vol = _run(served, "volume", "create", "--size", "1", "--type", name, name, "-f",
                   "json")
        vols[name] = _wait(served, vol["id"], "available")
        assert vols[name]["type"] == name
        _run(served, "server", "add", "volume", "vm1", vol["id"])
        assert _wait(served, vol["id"], "in-use")["status"] == "in-use"
    attached = _run(served, "server", "volume", "list", "vm1", "-f", "json")
    assert sorted(a["Device"] for a in attached) == ["/dev/vdb", "/dev/vdc"]
    cloud = served.cloud
    kinds = sorted(str((a.connection_info or {}).get("driver_volume_type"))
                   for a in cloud.db.attachments.values())
    assert kinds == ["fibre_channel", "nfs"]
    compute = cloud.nova.computes["compute-1"]
    volumes = compute.driver.volumes
    assert volumes is not None
    assert volumes.nfs.mounts() == ["192.168.122.10:/srv/nfs/nfs-1"]
    assert volumes.fc is not None
    assert volumes.fc.devices()
    assert compute.initiator.sessions() == []  # no iSCSI anywhere
    assert len(cloud.env.storage.fc.zones()) == 4
    for name in ("nfs", "fc"):
        _run(served, "server", "remove", "volume", "vm1", vols[name]["id"])
        assert _wait(served, vols[name]["id"], "available")["status"] == "available"
    assert volumes.nfs.mounts() == []
    assert cloud.env.storage.fc.zones() == []
