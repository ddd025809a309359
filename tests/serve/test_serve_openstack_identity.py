"""The ``openstack`` CLI's identity commands against the served Keystone, and the
commands of other services that find a project by name through it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cindersim.serve import ThreadedServer
from cindersim.serve.banner import banner

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

OPENSTACK = shutil.which("openstack", path=str(Path(sys.executable).parent))


def _run(srv: ThreadedServer, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert OPENSTACK is not None, "python-openstackclient is in the test extra"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": user,
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": user,
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"})
    return subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _cli(srv: ThreadedServer, *args: str, user: str = "admin") -> Any:
    done = _run(srv, user, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_openstack_projects_users_roles(served: ThreadedServer) -> None:
    made = _cli(served, "project", "create", "--description", "from osc", "osc-p",
                "-f", "json")
    assert (made["name"], made["domain_id"], made["enabled"]) == ("osc-p", "default", True)
    names = [p["Name"] for p in _cli(served, "project", "list", "-f", "json")]
    assert names == ["admin", "demo", "alt_demo", "osc-p"]
    user = _cli(served, "user", "create", "--password", "pw", "--project", "osc-p",
                "osc-u", "-f", "json")
    assert (user["name"], user["default_project_id"]) == ("osc-u", made["id"])
    _cli(served, "role", "add", "--project", "osc-p", "--user", "osc-u", "member")
    listed = _cli(served, "role", "assignment", "list", "--project", "osc-p", "--names",
                  "-f", "json")
    assert [(a["Role"], a["User"], a["Project"]) for a in listed] == [
        ("member", "osc-u@Default", "osc-p@Default")]
    everyone = _cli(served, "role", "assignment", "list", "-f", "json")
    assert len(everyone) == 4
    # A duplicate is Keystone's 409, which the CLI reports as a failure.
    dup = _run(served, "admin", "project", "create", "osc-p")
    assert dup.returncode != 0
    assert "409" in dup.stderr
    # A member is refused the admin API (403), not answered with a 500.
    refused = _run(served, "demo", "project", "create", "nope")
    assert refused.returncode != 0
    assert "403" in refused.stderr
    _cli(served, "project", "delete", "osc-p")
    assert "osc-p" not in [p["Name"] for p in _cli(served, "project", "list", "-f", "json")]


def test_volume_commands_find_a_new_project_by_name(served: ThreadedServer) -> None:
    _cli(served, "project", "create", "vol-p", "-f", "json")
    _cli(served, "user", "create", "--password", "secret", "--project", "vol-p", "vol-p",
         "-f", "json")
    _cli(served, "role", "add", "--project", "vol-p", "--user", "vol-p", "member")
    vtype = _cli(served, "volume", "type", "create", "--private", "gold", "-f", "json")
    _cli(served, "volume", "type", "set", "--project", "vol-p", "gold")
    shown = _cli(served, "volume", "type", "show", "gold", "-f", "json")
    project_id = served.cloud.project_id("vol-p")
    assert project_id in str(shown["access_project_ids"])
    quota = _cli(served, "quota", "show", "--volume", "vol-p", "-f", "json")
    by_resource = {q["Resource"]: q["Limit"] for q in quota} if isinstance(
        quota, list) else quota
    assert by_resource["volumes"] == 10
    assert by_resource["gigabytes"] == 1000
    # The new project's user sees the private type and creates a volume with it.
    made = _cli(served, "volume", "create", "--size", "1", "--type", vtype["id"], "v1",
                "-f", "json", user="vol-p")
    assert made["type"] == "gold"


def test_the_banners_clouds_yaml_works_with_openstack(served: ThreadedServer,
                                                      tmp_path: Path) -> None:
    """The printed clouds.yaml, pasted as is: the CLI logs in and asks for 3.71."""
    text = banner(served.server, served.options)
    start = text.index("clouds:\n")
    end = text.index("\n\n", start)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(text[start:end] + "\n", encoding="utf-8")
    assert OPENSTACK is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    done = subprocess.run([OPENSTACK, "--os-cloud", "cindersim", "volume", "create", "--size",
                           "1", "pasted", "-f", "json", "--debug"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout[done.stdout.index("{"):])["name"] == "pasted"
    assert "OpenStack-API-Version: volume 3.71" in done.stderr
