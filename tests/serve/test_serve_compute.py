"""Nova through cindersim serve: boot a server and attach a volume with openstacksdk.

The documented attach flow driven from a client: Keystone login, the catalog's
``compute`` entry (``/compute/v2.1``), ``POST /servers``, then
``os-volume_attachments`` create/list/delete while Cinder shows the volume
``in-use`` with the attachment and back to ``available``.
"""

from __future__ import annotations

from typing import Any

import openstack
import pytest

from cindersim.serve import ThreadedServer
from cindersim.states import check_trace

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]


@pytest.fixture
def conn(served: ThreadedServer) -> Any:
    if getattr(served.cloud, "nova", None) is None:
        pytest.skip("this cloud has no Nova yet")
    c = openstack.connect(
        auth_type="password",
        auth={"auth_url": f"{served.base_url}/identity/v3", "username": "demo",
              "password": "secret", "project_name": "demo", "user_domain_name": "Default",
              "project_domain_name": "Default"},
        region_name="RegionOne", load_yaml_config=False, load_envvars=False)
    yield c
    c.close()


def test_attach_and_detach_a_volume_by_server(conn: Any, served: ThreadedServer,
                                             trace_of: Any) -> None:
    images = conn.session.get(f"{served.base_url}/image/v2/images").json()["images"]
    image = next(i for i in images if i["name"].startswith("cirros"))
    flavor = next(f for f in conn.compute.flavors() if f.name == "m1.tiny")
    server = conn.compute.create_server(name="vm1", image_id=image["id"],
                                        flavor_id=flavor.id, networks="none")
    server = conn.compute.wait_for_server(server, interval=0.02, wait=20)
    assert server.status == "ACTIVE"
    bs = conn.block_storage
    vol = bs.wait_for_status(bs.create_volume(size=1, name="data"), "available",
                             interval=0.02, wait=20)

    attachment = conn.compute.create_volume_attachment(server, volume_id=vol.id)
    assert (attachment.volume_id, attachment.device) == (vol.id, "/dev/vdb")
    vol = bs.wait_for_status(vol, "in-use", interval=0.02, wait=20)
    (att,) = vol.attachments
    assert (att["server_id"], att["device"]) == (server.id, "/dev/vdb")
    assert [a.volume_id for a in conn.compute.volume_attachments(server)] == [vol.id]

    conn.compute.delete_volume_attachment(server, vol.id)
    vol = bs.wait_for_status(vol, "available", interval=0.02, wait=20)
    assert vol.attachments == []
    assert list(conn.compute.volume_attachments(server)) == []

    events = trace_of(served)
    assert check_trace(events) == []
    assert sum(e.kind == "api.request" for e in events) > 10


def test_compute_needs_a_keystone_token(conn: Any, served: ThreadedServer) -> None:
    """/compute goes to nova-api, which checks the token as keystonemiddleware does."""
    import http.client  # noqa: PLC0415

    c = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=10)
    try:
        c.request("GET", "/compute/v2.1/servers")
        r = c.getresponse()
        assert r.status == 401
        assert b'"code": 401' in r.read()
    finally:
        c.close()
