"""The ``openstack`` CLI over HTTP across Cinder, Glance and Swift-lite: volumes from
images and images from volumes, a backup's ``_metadata`` object carrying the volume's
metadata, and Glance's deactivate/reactivate (``openstack image set --deactivate``)."""

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

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

OPENSTACK = shutil.which("openstack", path=str(Path(sys.executable).parent))


def _run(srv: ThreadedServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``openstack <args>`` as the demo user (Cinder API 3.71)."""
    assert OPENSTACK is not None, "python-openstackclient is in the test extra"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": f"{srv.base_url}/identity/v3", "OS_USERNAME": "demo",
                "OS_PASSWORD": "secret", "OS_PROJECT_NAME": "demo",
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne",
                "OS_VOLUME_API_VERSION": "3.71"})
    return subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _cli(srv: ThreadedServer, *args: str) -> Any:
    """The parsed ``-f json`` output of a command that must succeed (or None)."""
    done = _run(srv, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def _status(srv: ThreadedServer, kind: str, ref: str, wanted: str) -> dict[str, Any]:
    """Poll ``openstack <kind> show`` until *wanted* (a client polling, as users do).
    Each CLI run takes about a second; the bound only stops a hung test."""
    for _ in range(60):
        shown: dict[str, Any] = _cli(srv, *kind.split(), "show", ref, "-f", "json")
        assert shown["status"] not in ("error", "killed"), shown
        if shown["status"] == wanted:
            return shown
    raise AssertionError(f"{kind} {ref} never reached {wanted}: {shown}")


def test_volume_from_image_and_image_from_volume(served: ThreadedServer) -> None:
    image = _cli(served, "image", "show", "cirros-0.6.2", "-f", "json")
    made = _cli(served, "volume", "create", "--image", "cirros-0.6.2", "--size", "1",
                "from-img", "-f", "json")
    vol = _status(served, "volume", made["id"], "available")
    assert vol["bootable"] is True
    assert vol["volume_image_metadata"]["image_id"] == image["id"]
    assert vol["volume_image_metadata"]["image_name"] == "cirros-0.6.2"

    # os-volume_upload_image: the volume goes uploading and back, the image active.
    uploaded = _cli(served, "image", "create", "--volume", "from-img", "--disk-format", "raw",
                    "--container-format", "bare", "img-from-vol", "-f", "json")
    # OSC prints Cinder's os-volume_upload_image answer: the volume, the new image's id.
    assert (uploaded["id"], uploaded["status"]) == (made["id"], "uploading")
    new = _status(served, "image", "img-from-vol", "active")
    assert new["id"] == uploaded["image_id"]
    assert new["disk_format"] == "raw"
    assert _status(served, "volume", made["id"], "available")["id"] == made["id"]


def test_backup_metadata_object_in_swift(served: ThreadedServer, tmp_path: Path) -> None:
    made = _cli(served, "volume", "create", "--size", "1", "--property", "vol-meta1=value1",
                "--property", "vol-meta2=value2", "backed", "-f", "json")
    _status(served, "volume", made["id"], "available")
    backup = _cli(served, "volume", "backup", "create", "--name", "b1", "backed", "-f", "json")
    _status(served, "volume backup", backup["id"], "available")

    assert [c["Name"] for c in _cli(served, "container", "list", "-f", "json")] == [
        "volumebackups"]
    names = [o["Name"] for o in _cli(served, "object", "list", "volumebackups", "-f", "json")]
    meta_name = next(n for n in names if n.endswith("_metadata"))
    assert backup["id"] in meta_name
    saved = tmp_path / "metadata.json"
    _cli(served, "object", "save", "--file", str(saved), "volumebackups", meta_name)
    document = json.loads(saved.read_text())
    assert document["backup_id"] == backup["id"]
    volume_meta = json.loads(document["volume_meta"])  # a JSON string, as Cinder writes
    assert volume_meta["version"] == 2
    assert volume_meta["volume-metadata"] == {"vol-meta1": "value1", "vol-meta2": "value2"}
    assert volume_meta["volume-base-metadata"]["display_name"] == "backed"

    # The restore to a new volume (named by the user: the backup's name does not
    # replace it) brings the metadata back.
    restored = _cli(served, "volume", "backup", "restore", backup["id"], "restored",
                    "-f", "json")
    vol = _status(served, "volume", restored["volume_id"], "available")
    assert vol["name"] == "restored"
    assert vol["properties"] == {"vol-meta1": "value1", "vol-meta2": "value2",
                                 "src_backup_id": backup["id"]}


def test_image_deactivate_and_activate(served: ThreadedServer, tmp_path: Path) -> None:
    src = tmp_path / "img.raw"
    src.write_bytes(os.urandom(4096))
    _cli(served, "image", "create", "--disk-format", "raw", "--container-format", "bare",
         "--file", str(src), "--private", "togglable", "-f", "json")
    _cli(served, "image", "set", "--deactivate", "togglable")
    assert _cli(served, "image", "show", "togglable", "-f", "json")["status"] == "deactivated"
    refused = _run(served, "volume", "create", "--image", "togglable", "--size", "1", "nope")
    assert refused.returncode != 0
    assert "is not active" in refused.stderr
    denied = _run(served, "image", "save", "--file", str(tmp_path / "out"), "togglable")
    assert denied.returncode != 0
    _cli(served, "image", "set", "--activate", "togglable")
    assert _cli(served, "image", "show", "togglable", "-f", "json")["status"] == "active"
    _cli(served, "image", "save", "--file", str(tmp_path / "out"), "togglable")
    assert (tmp_path / "out").read_bytes() == src.read_bytes()
