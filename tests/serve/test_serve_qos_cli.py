"""python-cinderclient over HTTP: QoS specs (``cinder qos-*``), as an admin manages them."""

from __future__ import annotations

from typing import Any

import pytest
from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from cindersim.serve import ThreadedServer


def _client(srv: ThreadedServer, user: str, version: str = "3.71") -> Any:
    auth = v3.Password(auth_url=f"{srv.base_url}/identity/v3", username=user,
                       password="secret", project_name=user, user_domain_name="Default",
                       project_domain_name="Default")
    return cinder_client.Client(version, session=ks_session.Session(auth=auth))


def test_qos_specs_lifecycle_with_cinderclient(served: ThreadedServer) -> None:
    admin = _client(served, "admin")
    qos = admin.qos_specs.create("gold", {"consumer": "front-end", "total_iops_sec": "500"})
    assert qos.consumer == "front-end"
    assert qos.specs == {"total_iops_sec": "500"}
    admin.qos_specs.set_keys(qos.id, {"read_bytes_sec": "1048576"})
    admin.qos_specs.unset_keys(qos.id, ["total_iops_sec"])
    assert admin.qos_specs.get(qos.id).specs == {"read_bytes_sec": "1048576"}
    vtype = admin.volume_types.create("with-qos")
    admin.qos_specs.associate(qos, vtype.id)
    assert [a.id for a in admin.qos_specs.get_associations(qos)] == [vtype.id]
    assert admin.volume_types.get(vtype.id).qos_specs_id == qos.id
    # Cinder refuses to delete specs still associated unless forced (400 "in use").
    with pytest.raises(cinder_exc.BadRequest):
        admin.qos_specs.delete(qos)
    admin.qos_specs.disassociate(qos, vtype.id)
    assert admin.qos_specs.get_associations(qos) == []
    admin.qos_specs.delete(qos)
    assert qos.id not in [q.id for q in admin.qos_specs.list()]


def test_a_member_cannot_manage_qos_specs(served: ThreadedServer) -> None:
    with pytest.raises(cinder_exc.Forbidden):
        _client(served, "demo").qos_specs.create("mine", {"total_iops_sec": "1"})
