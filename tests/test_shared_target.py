"""Backends on one host share that host's target daemon (one portal, one tgtd/LIO)."""

from __future__ import annotations

from cindersim import Cloud, simulate

CONFIG = {"DEFAULT": {"enabled_backends": "a,b,c"},
          "a": {"host": "cinder-1"}, "b": {"host": "cinder-1", "volume_group": "vg-b"},
          "c": {"host": "cinder-2"}}


def test_backends_on_one_host_share_a_target_host_and_others_get_their_own() -> None:
    async def main(cloud: Cloud) -> list[str]:
        return [svc.driver.target.name for svc in cloud.volume_services.values()]

    result = simulate(main, config=CONFIG)
    svcs = list(result.cloud.volume_services.values())
    assert svcs[0].driver.target is svcs[1].driver.target
    assert svcs[2].driver.target is not svcs[0].driver.target
    portals = result.cloud.iscsi_network.portals()
    assert portals == ["192.168.122.10:3260", "192.168.122.11:3260"]
