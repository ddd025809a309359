"""python-cinderclient against cindersim serve, as users drive it.

Two logins: the ``noauth`` plugin (``X-Auth-Token: user:project``, an admin) and a
Keystone password through ``/identity/v3`` (the catalog's ``block-storage``
entry is the endpoint).  Then the volume life cycle through the client's own
managers, and the errors as the client raises them (413 -> OverLimit, 404 ->
NotFound).  Statuses are polled, as a user's script would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exc
from cinderclient.contrib import noauth
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from cindersim.serve import ThreadedServer
from cindersim.states import check_trace

VERSION = "3.60"


def noauth_client(srv: ThreadedServer, project: str = "demo", version: str = VERSION) -> Any:
    auth = noauth.CinderNoAuthPlugin(user_id=project, project_id=srv.cloud.project_id(project),
                                     endpoint=f"{srv.base_url}/v3")
    return cinder_client.Client(version, session=ks_session.Session(auth=auth))


def keystone_client(srv: ThreadedServer, user: str = "demo") -> Any:
    auth = v3.Password(auth_url=f"{srv.base_url}/identity/v3", username=user,
                       password="secret", project_name=user, user_domain_name="Default",
                       project_domain_name="Default")
    return cinder_client.Client(VERSION, session=ks_session.Session(auth=auth))


def status_is(get: Callable[[], Any], *wanted: str) -> Callable[[], Any]:
    def probe() -> Any:
        obj = get()
        return obj if obj.status in wanted else None

    return probe


def gone(get: Callable[[], Any]) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            get()
        except cinder_exc.NotFound:
            return True
        return False

    return probe


@pytest.fixture(params=["noauth", "keystone"])
def cinder(request: pytest.FixtureRequest, served: ThreadedServer) -> Any:
    if request.param == "noauth":
        return noauth_client(served)
    return keystone_client(served)


def test_volume_life_cycle(cinder: Any, served: ThreadedServer,
                           poll: Callable[..., Any], trace_of: Any) -> None:
    """create, list, show, extend, snapshot, backup, restore, delete."""
    vol = cinder.volumes.create(size=1, name="v1", description="served")
    assert (vol.status, vol.size, vol.name) == ("creating", 1, "v1")
    vol = poll(status_is(lambda: cinder.volumes.get(vol.id), "available", "error"))
    assert vol.status == "available"
    assert vol.description == "served"
    assert [v.id for v in cinder.volumes.list()] == [vol.id]
    assert cinder.volumes.list(search_opts={"name": "nope"}) == []

    cinder.volumes.extend(vol, 2)
    vol = poll(status_is(lambda: cinder.volumes.get(vol.id), "available", "error_extending"))
    assert (vol.status, vol.size) == ("available", 2)

    snap = cinder.volume_snapshots.create(vol.id, name="s1")
    snap = poll(status_is(lambda: cinder.volume_snapshots.get(snap.id), "available", "error"))
    assert (snap.status, snap.volume_id, snap.size) == ("available", vol.id, 2)
    assert [s.id for s in cinder.volume_snapshots.list()] == [snap.id]

    backup = cinder.backups.create(vol.id, name="b1")
    backup = poll(status_is(lambda: cinder.backups.get(backup.id), "available", "error"))
    assert (backup.status, backup.volume_id, backup.size) == ("available", vol.id, 2)
    vol = poll(status_is(lambda: cinder.volumes.get(vol.id), "available"))

    restore = cinder.restores.restore(backup.id, name="restored")
    assert restore.backup_id == backup.id
    restored = poll(status_is(lambda: cinder.volumes.get(restore.volume_id),
                              "available", "error_restoring", "error"))
    assert (restored.status, restored.size) == ("available", 2)
    assert sorted(v.name for v in cinder.volumes.list()) == ["restored", "v1"]

    cinder.volume_snapshots.delete(snap)
    poll(gone(lambda: cinder.volume_snapshots.get(snap.id)))
    cinder.backups.delete(backup)
    poll(gone(lambda: cinder.backups.get(backup.id)))
    for v in (vol, restored):
        cinder.volumes.delete(v)
    for v in (vol, restored):
        poll(gone(lambda v=v: cinder.volumes.get(v.id)))
    assert cinder.volumes.list() == []

    events = trace_of(served)
    assert check_trace(events) == []
    assert sum(e.kind == "api.request" for e in events) > 20


def test_unknown_id_is_not_found(cinder: Any) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(cinder_exc.NotFound) as err:
        cinder.volumes.get(missing)
    assert err.value.code == 404
    assert err.value.message == f"Volume {missing} could not be found."
    with pytest.raises(cinder_exc.NotFound):
        cinder.backups.get(missing)
    with pytest.raises(cinder_exc.NotFound):
        cinder.volume_snapshots.get(missing)


def test_quota_exceeded_is_over_limit_and_creates_nothing(cinder: Any,
                                                          served: ThreadedServer) -> None:
    gigabytes = cinder.quotas.get(served.cloud.project_id("demo")).gigabytes
    assert gigabytes > 0
    with pytest.raises(cinder_exc.OverLimit) as err:
        cinder.volumes.create(size=gigabytes + 1, name="too-big")
    assert err.value.code == 413
    assert "VolumeSizeExceedsAvailableQuota" in err.value.message
    assert cinder.volumes.list() == []


def test_volume_count_quota_is_over_limit(served: ThreadedServer,
                                          poll: Callable[..., Any]) -> None:
    admin = noauth_client(served, "demo")
    pid = served.cloud.project_id("demo")
    admin.quotas.update(pid, volumes=1)
    user = keystone_client(served)
    first = user.volumes.create(size=1)
    poll(status_is(lambda: user.volumes.get(first.id), "available"))
    with pytest.raises(cinder_exc.OverLimit) as err:
        user.volumes.create(size=1)
    assert err.value.message.startswith("VolumeLimitExceeded: ")
    assert [v.id for v in user.volumes.list()] == [first.id]


def test_versions_discovery_and_microversion_downgrade(served: ThreadedServer) -> None:
    """cinderclient's own discovery: it asks for its maximum and settles on ours."""
    auth = noauth.CinderNoAuthPlugin(user_id="demo",
                                     project_id=served.cloud.project_id("demo"),
                                     endpoint=f"{served.base_url}/v3")
    sess = ks_session.Session(auth=auth)
    c = cinder_client.Client("3.0", session=sess)
    server_max = cinder_client.get_server_version(f"{served.base_url}/v3")[1]
    assert str(server_max.get_string()) == "3.71"
    assert c.volumes.list() == []


def test_isolation_between_keystone_projects(served: ThreadedServer,
                                             poll: Callable[..., Any]) -> None:
    demo, alt = keystone_client(served, "demo"), keystone_client(served, "alt_demo")
    vol = demo.volumes.create(size=1, name="mine")
    poll(status_is(lambda: demo.volumes.get(vol.id), "available"))
    assert alt.volumes.list() == []
    with pytest.raises(cinder_exc.NotFound):
        alt.volumes.get(vol.id)
    with pytest.raises(cinder_exc.NotFound):
        alt.volumes.delete(vol.id)

