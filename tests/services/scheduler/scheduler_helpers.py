"""Builders shared by the cinder-scheduler unit tests: lone pool states, filter
properties and small host managers."""

from __future__ import annotations

from typing import Any

from cindersim.services.scheduler.filter_scheduler import DEFAULT_CONFIG, SchedulerConfig
from cindersim.services.scheduler.host_manager import BackendState, HostManager
from cindersim.services.scheduler.request_spec import FilterProperties, RequestSpec

VOL = "6b1c7f0e-4f6e-4a5e-9d55-2d2b0cb0b001"
VOL2 = "6b1c7f0e-4f6e-4a5e-9d55-2d2b0cb0b002"


def state(host: str = "c1@lvm", name: str = "p", *, az: str = "nova",
          **caps: Any) -> BackendState:
    d: dict[str, Any] = {"pool_name": name, "total_capacity_gb": 100,
                         "free_capacity_gb": 100, "allocated_capacity_gb": 0,
                         "reserved_percentage": 0, "thin_provisioning_support": False}
    d.update(caps)
    return BackendState.from_pool_report(host, d, availability_zone=az)


def props(size: int = 1, config: SchedulerConfig = DEFAULT_CONFIG, **kw: Any,
          ) -> FilterProperties:
    fp_keys = {"new_size", "retry", "vol_exists_on", "scheduler_hints", "rng",
               "volume_host", "volume_number"}
    fp = {k: kw.pop(k) for k in list(kw) if k in fp_keys}
    return FilterProperties(request_spec=RequestSpec(size=size, **kw), config=config, **fp)


def thin(**caps: Any) -> BackendState:
    return state(thin_provisioning_support=True, **caps)


def manager(*pools: tuple[str, dict[str, Any]], t: float = 0.0) -> HostManager:
    hm = HostManager()
    by_host: dict[str, list[dict[str, Any]]] = {}
    azs: dict[str, str] = {}
    for backend_id, caps in pools:
        host, name = backend_id.split("#")
        d: dict[str, Any] = {"pool_name": name, "total_capacity_gb": 100,
                             "free_capacity_gb": 100, "allocated_capacity_gb": 0,
                             "reserved_percentage": 0, "thin_provisioning_support": False}
        d.update(caps)
        azs[host] = d.pop("az", "nova")
        by_host.setdefault(host, []).append(d)
    for host, ps in by_host.items():
        hm.update_service_capabilities(host, {"volume_backend_name": "lvm", "pools": ps},
                                       timestamp=t, availability_zone=azs[host])
    return hm


def pool(name: str = "lvm", **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"pool_name": name, "total_capacity_gb": 100.0,
                         "free_capacity_gb": 80.0, "allocated_capacity_gb": 20.0,
                         "reserved_percentage": 0, "thin_provisioning_support": False,
                         "thick_provisioning_support": True}
    d.update(kw)
    return d
