"""Glance v2 and Swift-lite through real clients over HTTP: openstacksdk and the
``openstack`` CLI (python-openstackclient), logged in through ``/identity`` and
finding ``image`` and ``object-store`` in the token's catalog."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openstack
import pytest
from openstack import exceptions as sdk_exc

from cindersim.serve import ThreadedServer

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

OPENSTACK = shutil.which("openstack", path=str(Path(sys.executable).parent))


def _conn(srv: ThreadedServer, user: str = "demo") -> Any:
    return openstack.connect(
        auth_type="password",
        auth={"auth_url": f"{srv.base_url}/identity/v3", "username": user,
              "password": "secret", "project_name": user, "user_domain_name": "Default",
              "project_domain_name": "Default"},
        region_name="RegionOne", identity_api_version="3",
        load_yaml_config=False, load_envvars=False)


def _cli(srv: ThreadedServer, *args: str) -> Any:
    """``openstack <args> -f json`` as the demo user; the parsed output (or None)."""
    assert OPENSTACK is not None, "python-openstackclient is in the test extra"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": "demo",
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": "demo",
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"})
    done = subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_sdk_image_create_upload_download_delete(served: ThreadedServer,
                                                 tmp_path: Path) -> None:
    conn = _conn(served)
    data = os.urandom(300_000)
    try:
        # The SDK returns the record of its POST (queued); the PUT of the file follows.
        image = conn.image.create_image(name="sdk-img", data=data, disk_format="raw",
                                        container_format="bare")
        shown = conn.image.get_image(image.id)
        assert shown.status == "active"
        assert shown.checksum == hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert (shown.hash_algo, shown.hash_value) == ("sha512",
                                                       hashlib.sha512(data).hexdigest())
        assert shown.size == len(data)
        assert shown.visibility == "shared"
        # The SDK checks the sha512 of what it downloads against os_hash_value.
        out = tmp_path / "down.raw"
        conn.image.download_image(image, output=str(out))
        assert out.read_bytes() == data
        assert "sdk-img" in [i.name for i in conn.image.images()]
        assert conn.image.find_image("sdk-img").id == image.id
        conn.image.update_image(image, name="renamed", min_disk=1)
        assert conn.image.get_image(image.id).name == "renamed"
        conn.image.delete_image(image)
        with pytest.raises(sdk_exc.NotFoundException):
            conn.image.get_image(image.id)
        # Another project cannot see a shared image it is not a member of.
        other = _conn(served, "alt_demo")
        assert "renamed" not in [i.name for i in other.image.images()]
        other.close()
    finally:
        conn.close()


def test_sdk_pages_through_images(served: ThreadedServer) -> None:
    conn = _conn(served)
    try:
        for n in range(4):
            conn.image.create_image(name=f"p{n}", disk_format="raw", container_format="bare",
                                    allow_duplicates=True)
        names = [i.name for i in conn.image.images(limit=2, sort="name:asc")]
        assert names == ["cirros-0.6.2", "p0", "p1", "p2", "p3", "ubuntu-24.04"]
    finally:
        conn.close()


def test_sdk_lists_a_backups_objects(served: ThreadedServer, poll: Any) -> None:
    conn = _conn(served)
    try:
        bs = conn.block_storage
        vol = bs.wait_for_status(bs.create_volume(size=1), "available", failures=["error"],
                                 interval=0.02, wait=20)
        backup = bs.wait_for_status(bs.create_backup(volume_id=vol.id), "available",
                                    failures=["error"], interval=0.02, wait=20)
        assert [c.name for c in conn.object_store.containers()] == ["volumebackups"]
        names = [o.name for o in conn.object_store.objects("volumebackups")]
        assert all(backup.id in n for n in names)
        assert sum(n.endswith(("_metadata", "_sha256file")) for n in names) == 2
        meta = conn.object_store.download_object(
            next(n for n in names if n.endswith("_metadata")), container="volumebackups")
        assert json.loads(meta)["backup_id"] == backup.id
        conn.object_store.create_container("mine")
        conn.object_store.upload_object(container="mine", name="o", data=b"abc")
        assert conn.object_store.download_object("o", container="mine") == b"abc"
        with pytest.raises(sdk_exc.ConflictException):
            conn.object_store.delete_container("mine")
    finally:
        conn.close()


def test_openstack_cli_images_and_containers(served: ThreadedServer, tmp_path: Path) -> None:
    src = tmp_path / "img.raw"
    src.write_bytes(os.urandom(100_000))
    made = _cli(served, "image", "create", "--disk-format", "raw", "--container-format",
                "bare", "--file", str(src), "cli-img", "-f", "json")
    assert (made["name"], made["status"]) == ("cli-img", "active")
    listed = _cli(served, "image", "list", "-f", "json")
    assert "cli-img" in [i["Name"] for i in listed]
    shown = _cli(served, "image", "show", "cli-img", "-f", "json")
    assert shown["checksum"] == hashlib.md5(src.read_bytes(),
                                            usedforsecurity=False).hexdigest()
    out = tmp_path / "saved.raw"
    _cli(served, "image", "save", "--file", str(out), "cli-img")
    assert out.read_bytes() == src.read_bytes()
    _cli(served, "image", "delete", "cli-img")
    assert "cli-img" not in [i["Name"] for i in _cli(served, "image", "list", "-f", "json")]

    conn = _conn(served)
    try:
        bs = conn.block_storage
        vol = bs.wait_for_status(bs.create_volume(size=1), "available", failures=["error"],
                                 interval=0.02, wait=20)
        backup = bs.wait_for_status(bs.create_backup(volume_id=vol.id), "available",
                                    failures=["error"], interval=0.02, wait=20)
    finally:
        conn.close()
    _cli(served, "container", "create", "c1", "-f", "json")
    assert [c["Name"] for c in _cli(served, "container", "list", "-f", "json")] == [
        "c1", "volumebackups"]
    chunks = [o["Name"] for o in _cli(served, "object", "list", "volumebackups", "-f", "json")]
    assert chunks
    assert all(backup.id in n for n in chunks)
    assert any(n.endswith("_metadata") for n in chunks)
    assert any(n.endswith("_sha256file") for n in chunks)
    _cli(served, "object", "create", "c1", str(src), "-f", "json")
    objects = _cli(served, "object", "list", "c1", "-f", "json")
    assert [o["Name"] for o in objects] == [str(src)]
