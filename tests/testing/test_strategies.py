"""cindersim.testing.strategies generate what they promise: configs that load and run,
types and connectors cinder-api accepts, fault rules over real driver operations,
JSON-encodable request bodies and step lists the scenario loader validates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cindersim
from cindersim.backends.faults import DEFAULT_ERRORS
from cindersim.scenario import ScenarioError, load_scenario
from cindersim.states import check_trace
from cindersim.testing.strategies import (
    BACKUP_DRIVER_OPS,
    backend_configs,
    connectors,
    fault_plans,
    request_bodies,
    scenario_steps,
    volume_sizes,
    volume_type_specs,
)

V344 = {"OpenStack-API-Version": "volume 3.44"}


@given(volume_sizes())
def test_volume_sizes_are_whole_gib_of_at_least_one(size: int) -> None:
    assert isinstance(size, int)
    assert 1 <= size <= 16


@given(backend_configs())
def test_every_backend_config_loads(config: dict[str, Any]) -> None:
    cfg = cindersim.load_config(config)
    names = config["DEFAULT"]["enabled_backends"].split(",")
    assert 1 <= len(cfg.backends) <= 3
    assert [b.name for b in cfg.backends] == names
    for b in cfg.backends:
        assert b.lvm_type in ("default", "thin", "auto")
        assert b.target_helper in ("tgtadm", "lioadm")
    by_host: dict[str, set[str]] = {}
    for b in cfg.backends:
        by_host.setdefault(b.host, set()).add(b.target_helper)
    assert all(len(helpers) == 1 for helpers in by_host.values()), by_host


@settings(max_examples=10)
@given(backend_configs(), volume_sizes(1, 2))
def test_a_generated_cloud_starts_and_answers_a_create(config: dict[str, Any],
                                                       size: int) -> None:
    async def main(cloud: cindersim.Cloud) -> int:
        r = await cloud.request("POST", f"/v3/{cloud.project_id('demo')}/volumes",
                                json={"volume": {"size": size}}, token=cloud.token("demo"))
        await cloud.settle()
        return r.status

    result = cindersim.simulate(main, config=config)
    # 413 when a drawn quota is smaller than the volume; else accepted.
    assert result.value in (202, 413)
    assert result.cloud.api.errors_5xx == 0
    if result.value == 202:
        (vol,) = result.cloud.db.volumes.values()
        # available, or error when no backend had room (no valid backend was found)
        assert vol.status in ("available", "error")


@given(volume_type_specs(("lvm-a", "lvm-b")))
def test_type_specs_use_cinder_keys_and_syntax(specs: dict[str, str]) -> None:
    assert set(specs) <= {"volume_backend_name", "provisioning:type", "multiattach"}
    assert specs.get("volume_backend_name", "lvm-a") in ("lvm-a", "lvm-b")
    assert specs.get("provisioning:type", "thin") in ("thin", "thick")
    assert specs.get("multiattach", "<is> True") == "<is> True"


@settings(max_examples=8)
@given(volume_type_specs())
def test_cinder_api_accepts_a_type_with_generated_specs(specs: dict[str, str]) -> None:
    async def main(cloud: cindersim.Cloud) -> tuple[int, Any]:
        r = await cloud.request("POST", f"/v3/{cloud.project_id('admin')}/types",
                                json={"volume_type": {"name": "gold", "extra_specs": specs}},
                                token=cloud.token("admin"))
        return r.status, r.json

    result = cindersim.simulate(main)
    status, body = result.value
    assert status == 200, body
    assert body["volume_type"]["extra_specs"] == specs


@settings(max_examples=8)
@given(connectors())
def test_an_attachment_with_a_generated_connector_connects(connector: dict[str, Any]) -> None:
    async def main(cloud: cindersim.Cloud) -> tuple[int, Any]:
        base = f"/v3/{cloud.project_id('demo')}"
        token = cloud.token("demo")
        r = await cloud.request("POST", f"{base}/volumes", json={"volume": {"size": 1}},
                                token=token)
        await cloud.settle()
        vid = r.json["volume"]["id"]
        r = await cloud.request("POST", f"{base}/attachments", headers=V344, token=token,
                                json={"attachment": {"volume_uuid": vid,
                                                     "instance_uuid": "00000000-0000-4000-"
                                                                      "8000-000000000001",
                                                     "connector": connector}})
        return r.status, r.json

    status, body = cindersim.simulate(main).value
    assert status == 200, body
    info = body["attachment"]["connection_info"]
    assert info["target_iqn"].startswith("iqn.2010-10.org.openstack:")


@given(fault_plans(("cinder-1@a", "cinder-2@b")))
def test_fault_plans_name_real_driver_operations(rules: list[cindersim.FaultRule]) -> None:
    assert len(rules) <= 3
    for rule in rules:
        assert rule.op in DEFAULT_ERRORS
        if rule.op in BACKUP_DRIVER_OPS:
            assert rule.backend is None
        else:
            assert rule.backend in (None, "cinder-1@a", "cinder-2@b")


@settings(max_examples=10)
@given(fault_plans())
def test_a_fault_plan_fails_operations_without_crashing_a_service(
        rules: list[cindersim.FaultRule]) -> None:
    async def main(cloud: cindersim.Cloud) -> list[str]:
        for rule in rules:
            cloud.inject(rule)
        base = f"/v3/{cloud.project_id('demo')}"
        token = cloud.token("demo")
        r = await cloud.request("POST", f"{base}/volumes", json={"volume": {"size": 1}},
                                token=token)
        await cloud.settle()
        vid = r.json["volume"]["id"]
        await cloud.request("POST", f"{base}/snapshots", token=token,
                            json={"snapshot": {"volume_id": vid}})
        await cloud.settle()
        return sorted(str(v.status) for v in cloud.db.volumes.values())

    result = cindersim.simulate(main)
    assert result.value in (["available"], ["error"])
    assert [e.summary for e in result.trace.events if e.kind == "api.bug"] == []
    assert check_trace(result.trace.events) == []


@given(request_bodies())
def test_request_bodies_are_json(body: Any) -> None:
    assert json.loads(json.dumps(body)) == body


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def _toml(steps: list[dict[str, Any]]) -> str:
    out = ['name = "generated"', ""]
    for step in steps:
        out.append("[[steps]]")
        out += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in step.items()]
        out.append("")
    return "\n".join(out)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario_steps())
def test_scenario_steps_validate_as_a_scenario_file(tmp_path: Path,
                                                    steps: list[dict[str, Any]]) -> None:
    path = tmp_path / "generated.toml"
    path.write_text(_toml(steps))
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:  # pragma: no cover - the failure is the message
        pytest.fail(f"{exc}\n\n{_toml(steps)}")
    assert [s.action for s in scenario.steps] == [s["action"] for s in steps]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=10)
@given(st.data())
def test_scenario_steps_for_several_backends_name_their_services(tmp_path: Path,
                                                                 data: st.DataObject) -> None:
    steps = data.draw(scenario_steps(("cinder-1@a", "cinder-2@b"), min_steps=5))
    cloud = ('[cloud.DEFAULT]\nenabled_backends = "a,b"\n[cloud.a]\nhost = "cinder-1"\n'
             '[cloud.b]\nhost = "cinder-2"\n')
    path = tmp_path / "two.toml"
    path.write_text(_toml(steps) + "\n" + cloud)
    scenario = load_scenario(path)
    assert cindersim.load_config(scenario.cloud).backends[1].service_host == "cinder-2@b"
    assert len(scenario.steps) == len(steps) >= 5


def test_a_wrong_step_list_is_refused_by_the_same_loader(tmp_path: Path) -> None:
    """The validation test above can fail: an undefined label is an error."""
    path = tmp_path / "bad.toml"
    path.write_text(_toml([{"action": "extend", "volume": "v9", "new_size": 2}]))
    with pytest.raises(ScenarioError, match="unknown label 'v9'"):
        load_scenario(path)
