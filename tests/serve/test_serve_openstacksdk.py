"""openstacksdk (the library under python-openstackclient) against cindersim serve.

The SDK logs in through ``/identity/v3`` with a password, finds Cinder in the
token's catalog, discovers the API at ``/v3/`` and then sends every call with
``OpenStack-API-Version: volume 3.N``.  The no-Keystone path uses the
``admin_token`` plugin with a noauth ``user:project`` token, as the banner's
``cindersim-noauth`` cloud does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openstack
import pytest
from openstack import exceptions as sdk_exc

from cindersim.serve import ThreadedServer
from cindersim.states import check_trace

# The SDK warns about its own deprecations (influxdb, internal parameters).
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]


def password_conn(srv: ThreadedServer, user: str = "demo") -> Any:
    return openstack.connect(
        auth_type="password",
        auth={"auth_url": f"{srv.base_url}/identity/v3", "username": user,
              "password": "secret", "project_name": user, "user_domain_name": "Default",
              "project_domain_name": "Default"},
        region_name="RegionOne", identity_api_version="3",
        load_yaml_config=False, load_envvars=False)


def token_conn(srv: ThreadedServer) -> Any:
    pid = srv.cloud.project_id("demo")
    return openstack.connect(
        auth_type="admin_token",
        auth={"endpoint": f"{srv.base_url}/v3/{pid}", "token": f"demo:{pid}"},
        image_endpoint_override=f"{srv.base_url}/image",
        load_yaml_config=False, load_envvars=False)


@pytest.fixture(params=["password", "admin_token"])
def conn(request: pytest.FixtureRequest, served: ThreadedServer) -> Any:
    c = password_conn(served) if request.param == "password" else token_conn(served)
    yield c
    c.close()


def wait(conn: Any, resource: Any, status: str = "available") -> Any:
    return conn.block_storage.wait_for_status(resource, status, failures=["error"],
                                              interval=0.02, wait=20)


def test_volume_life_cycle(conn: Any, served: ThreadedServer, trace_of: Any) -> None:
    """create, list, show, extend, snapshot, backup, restore, delete."""
    bs = conn.block_storage
    vol = bs.create_volume(size=1, name="v1")
    assert vol.status == "creating"
    vol = wait(conn, vol)
    assert [v.id for v in bs.volumes()] == [vol.id]
    shown = bs.get_volume(vol.id)
    assert (shown.name, shown.size, shown.status) == ("v1", 1, "available")

    bs.extend_volume(vol, 3)
    vol = wait(conn, bs.get_volume(vol.id))
    assert vol.size == 3

    snap = wait(conn, bs.create_snapshot(volume_id=vol.id, name="s1"))
    assert (snap.volume_id, snap.size) == (vol.id, 3)

    backup = wait(conn, bs.create_backup(volume_id=vol.id, name="b1"))
    assert (backup.volume_id, backup.size) == (vol.id, 3)
    wait(conn, bs.get_volume(vol.id))

    restore = bs.restore_backup(backup, name="restored")
    restored = wait(conn, bs.get_volume(restore.volume_id))
    assert (restored.name, restored.size) == ("restored", 3)

    bs.delete_snapshot(snap)
    bs.wait_for_delete(snap, interval=0.02, wait=20)
    bs.delete_backup(backup)
    bs.wait_for_delete(backup, interval=0.02, wait=20)
    for v in (vol, restored):
        bs.delete_volume(v)
    for v in (vol, restored):
        bs.wait_for_delete(v, interval=0.02, wait=20)
    assert list(bs.volumes()) == []

    events = trace_of(served)
    assert check_trace(events) == []
    assert sum(e.kind == "api.request" for e in events) > 10


def test_unknown_id_is_not_found(conn: Any) -> None:
    with pytest.raises(sdk_exc.NotFoundException) as err:
        conn.block_storage.get_volume("00000000-0000-4000-8000-000000000000")
    assert err.value.status_code == 404
    with pytest.raises(sdk_exc.NotFoundException):
        conn.block_storage.find_volume("no-such-volume", ignore_missing=False)


def test_quota_exceeded_is_413(conn: Any, served: ThreadedServer,
                               poll: Callable[..., Any]) -> None:
    with pytest.raises(sdk_exc.HttpException) as err:
        conn.block_storage.create_volume(size=100_000, name="too-big")
    assert err.value.status_code == 413
    assert "VolumeSizeExceedsAvailableQuota" in str(err.value)
    assert list(conn.block_storage.volumes()) == []


def test_sdk_negotiates_the_servers_maximum_microversion(conn: Any) -> None:
    """The SDK reads /v3/ (3.0 to 3.71) and sends 3.71: the reply is echoed with that
    version and shows the 3.65 ``consumes_quota`` field."""
    data = conn.block_storage.get_endpoint_data()
    assert (str(data.min_microversion), str(data.max_microversion)) == ("(3, 0)", "(3, 71)")
    vol = conn.block_storage.create_volume(size=1)
    response = conn.block_storage.get(f"/volumes/{vol.id}", microversion="3.71")
    assert response.headers["OpenStack-API-Version"] == "volume 3.71"
    assert response.json()["volume"]["consumes_quota"] is True
