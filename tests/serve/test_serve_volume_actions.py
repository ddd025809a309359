"""python-cinderclient over HTTP: revert to snapshot and upload to image."""

from __future__ import annotations

from typing import Any

from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from cindersim.serve import ThreadedServer
from cindersim.states import check_trace


def _client(srv: ThreadedServer, version: str) -> Any:
    auth = v3.Password(auth_url=f"{srv.base_url}/identity/v3", username="demo",
                       password="secret", project_name="demo", user_domain_name="Default",
                       project_domain_name="Default")
    return cinder_client.Client(version, session=ks_session.Session(auth=auth))


def _status(get: Any, wanted: str) -> Any:
    return lambda: get().status == wanted


def test_revert_to_snapshot_with_cinderclient(served: ThreadedServer, poll: Any,
                                              trace_of: Any) -> None:
    c = _client(served, "3.40")
    vol = c.volumes.create(size=1, name="r")
    poll(_status(lambda: c.volumes.get(vol.id), "available"))
    snap = c.volume_snapshots.create(vol.id)
    poll(_status(lambda: c.volume_snapshots.get(snap.id), "available"))
    c.volumes.revert_to_snapshot(vol, snap)
    poll(_status(lambda: c.volumes.get(vol.id), "available"))
    assert c.volume_snapshots.get(snap.id).status == "available"
    old = _client(served, "3.39")
    try:
        # The client itself refuses below 3.40; send the raw action at 3.39.
        old.client.post(f"/volumes/{vol.id}/action", body={"revert": {"snapshot_id": snap.id}})
    except cinder_exc.NotFound:
        pass
    else:
        raise AssertionError("revert below 3.40 must be 404")
    events = trace_of(served)
    assert any(e.kind == "bus.send" and e.detail.get("method") == "revert_to_snapshot"
               for e in events)
    assert check_trace(events) == []


def test_upload_to_image_with_cinderclient(served: ThreadedServer, poll: Any,
                                           trace_of: Any) -> None:
    c = _client(served, "3.1")
    vol = c.volumes.create(size=1, name="u")
    poll(_status(lambda: c.volumes.get(vol.id), "available"))
    _, body = c.volumes.upload_to_image(vol, False, "from-volume", "bare", "raw",
                                        visibility="private", protected=False)
    image_id = body["os-volume_upload_image"]["image_id"]
    poll(_status(lambda: c.volumes.get(vol.id), "available"))
    image = served.cloud.glance.images[image_id]
    assert image.name == "from-volume"
    assert image.status == "active"
    events = trace_of(served)
    assert any(e.kind == "glance.image" and e.detail.get("new") == "active"
               and e.resource == f"image:{image_id}" for e in events)
    assert check_trace(events) == []
