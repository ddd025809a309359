"""Encrypted volumes through the real CLIs over HTTP: `openstack volume type create
--encryption-provider`, `volume create --type`, `server add volume` and, through
python-barbicanclient's plugin, `openstack secret list/get` against Barbican-lite
(found in the catalog as ``key-manager``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cindersim.serve import ThreadedServer

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(
    not (BIN / "openstack").exists(), reason="needs the openstack CLI (the test extra)")


def _env(srv: ThreadedServer, user: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "NOVA"))}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": user,
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": user,
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"})
    return env


def _run(srv: ThreadedServer, *args: str, user: str = "demo", ok: bool = True) -> Any:
    done = subprocess.run([str(BIN / "openstack"), *args], check=False,
                          env=_env(srv, user), capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def _json(srv: ThreadedServer, *args: str, user: str = "demo") -> Any:
    return json.loads(_run(srv, *args, "-f", "json", user=user).stdout)


def wait_until(probe: Any, tries: int = 200) -> None:
    """Poll as a client would; the count only bounds a hung test."""
    for _ in range(tries):
        if probe():
            return
        time.sleep(0.05)
    raise AssertionError("gave up polling")


def _has_barbican_plugin() -> bool:
    try:
        import barbicanclient  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def test_encrypted_volume_attach_and_secret_list(served: ThreadedServer) -> None:
    vtype = _json(served, "volume", "type", "create", "--encryption-provider", "luks",
                  "--encryption-cipher", "aes-xts-plain64", "--encryption-key-size", "256",
                  "--encryption-control-location", "front-end", "LUKS", user="admin")
    assert vtype["encryption"]["provider"] == "luks"
    vol = _json(served, "volume", "create", "--size", "1", "--type", "LUKS", "secure")
    wait_until(lambda: _json(served, "volume", "show", vol["id"])["status"] == "available")
    shown = _json(served, "--os-volume-api-version", "3.64", "volume", "show", vol["id"])
    key_id = shown["encryption_key_id"]
    assert shown["encrypted"] is True
    assert key_id
    _json(served, "server", "create", "--image", "cirros-0.6.2", "--flavor", "m1.tiny",
          "--nic", "none", "--wait", "vm1")
    _run(served, "server", "add", "volume", "vm1", vol["id"])
    wait_until(lambda: _json(served, "volume", "show", vol["id"])["status"] == "in-use")
    compute = next(iter(served.cloud.nova.computes.values()))
    assert vol["id"] in compute.encryptors.attached
    if _has_barbican_plugin():
        secrets = _json(served, "secret", "list")
        assert [s["Secret href"].rsplit("/", 1)[1] for s in secrets] == [key_id]
        one = _json(served, "secret", "get", secrets[0]["Secret href"])
        assert (one["Algorithm"], one["Bit length"], one["Secret type"]) == (
            "aes", 256, "symmetric")
        # Another project sees none of them, and may not read this one.
        assert _json(served, "secret", "list", user="alt_demo") == []
        refused = _run(served, "secret", "get", secrets[0]["Secret href"], user="alt_demo",
                       ok=False)
        assert refused.returncode != 0
        assert "Forbidden: Secret retrieval attempt not allowed" in refused.stderr
