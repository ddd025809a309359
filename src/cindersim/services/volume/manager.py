"""cinder-volume: one worker per backend, running the volume driver.

The service consumes ``cinder-volume.<host@backend>``; each message runs a
manager method in its own task, as cinder-volume's RPC dispatcher does.  Driver
calls go through :meth:`VolumeService.drive`, which records the call in the
trace, runs the (synchronous) driver, and then sleeps the virtual time its
backend commands cost.  Because the driver never awaits, the cost charged to
the backend's meter during one call belongs to that call alone, even when many
operations run on the backend at once.

The manager methods themselves live beside this module, one flow per module
(:mod:`.create`, and the snapshot/extend and attachment flows), each a
table of ``async def method(svc, **args)``; that keeps this file about the
service and lets a flow be read on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ...backends.blocks import GiB, MiB
from ...backends.ceph import CephNetwork, RbdConnector
from ...backends.costs import Meter, trace_recorder
from ...backends.drivers import LVMConfig, LVMVolumeDriver
from ...backends.drivers.rbd import RBDDriver
from ...backends.iscsi import IscsiInitiator
from ...backends.lvm import VolumeGroup
from ...bus import Consumer, Message
from ...clock import sleep
from ...config import BackendConfig, ConfigError
from .drivers import build_driver, build_rbd_driver, host_connector

if TYPE_CHECKING:
    from ...backends.iscsi import IscsiNetwork, TargetHost
    from ..compute_nova import NovaClient
    from ..encryption_keys import KeyManagerClient
    from ..env import ServiceEnv
    from ..glance.client import ImageService

__all__ = ["TOPIC", "VolumeService"]

TOPIC = "cinder-volume"
BINARY = "cinder-volume"
T = TypeVar("T")
RBD_DRIVER = "cinder.volume.drivers.rbd.RBDDriver"
Method = Callable[..., Awaitable[Any]]


_DRIVER_EVENTS: dict[tuple[str, Any], tuple[str, dict[str, Any]]] = {}
"""(driver call, driver protocol) -> the summary and detail of its ``driver`` events, shared
by all of them (an emitted detail is never changed): no dict nor f-string per driver call
of a full trace.  Bounded: driver methods times protocols."""


class VolumeService:
    """cinder-volume for one backend (``host@backend``).

    Attributes:
        host: ``host@backend``, the server part of the service's queue.
        actor: the name this service has in the trace.
        driver: the LVM/iSCSI driver.
        vg: the volume group under the driver.
    """

    def __init__(self, env: ServiceEnv, backend: BackendConfig, *, network: IscsiNetwork,
                 shared_target: TargetHost | None, glance: ImageService,
                 ceph: CephNetwork | None = None) -> None:
        self.env = env
        self.glance = glance
        """Glance, for create-from-image (Cinder's ``image_service``)."""
        self.nova: NovaClient | None = None
        """Nova's API (``cinder.compute.nova.API``), set by the deployment once Nova
        exists; None: no Nova to tell (a volume service built on its own)."""
        self.backend = backend
        self.host = backend.service_host
        self.actor = f"cinder-volume:{self.host}"
        self.availability_zone = env.config.backend_az(backend)
        self.meter = Meter(env.config.costs, record=trace_recorder(env.trace, self.host))
        opts = backend.options
        ceph = ceph if ceph is not None else CephNetwork(env.sim.rng)
        self.vg: VolumeGroup | None = None
        """The LVM driver's volume group (None for RBD; NFS and FC keep an unused one)."""
        self.driver: LVMVolumeDriver | RBDDriver
        if opts["volume_driver"] == RBD_DRIVER:
            self.driver = build_rbd_driver(env, backend, self.meter, ceph)
        else:
            self.vg = VolumeGroup(opts["volume_group"],
                                  pvs=(("/dev/sdb", opts["vg_size_gb"] * GiB),),
                                  meter=self.meter, extent_size=opts["extent_size_mib"] * MiB)
            other = build_driver(env, backend, self.meter)  # NFS / FC array, else LVM
            self.driver = other if other is not None else LVMVolumeDriver(
                LVMConfig(volume_backend_name=backend.backend_name,
                          volume_group=opts["volume_group"], lvm_type=opts["lvm_type"],
                          target_helper=opts["target_helper"],
                          target_protocol=opts["target_protocol"],
                          target_ip_address=opts["target_ip_address"],
                          target_port=opts["target_port"], target_prefix=opts["target_prefix"],
                          volume_clear=opts["volume_clear"],
                          volume_clear_size=opts["volume_clear_size"],
                          reserved_percentage=opts["reserved_percentage"],
                          max_over_subscription_ratio=opts["max_over_subscription_ratio"]),
                volume_groups={self.vg.name: self.vg}, meter=self.meter, rng=env.sim.rng,
                faults=env.faults, hostname=opts["host"], backend=self.host,
                network=network, target=shared_target)
        # os-brick on the cinder-volume host (``brick_get_connector_properties``): generic
        # migration attaches the source and the destination volume here to copy them.
        # The session label is host@backend, so backends sharing a host keep apart.
        initiator_name = f"iqn.1994-05.com.redhat:{opts['host']}"
        self.initiator = IscsiInitiator(network, self.host, initiator_name, self.meter)
        self.volumes = host_connector(env, self.host, self.meter)
        """os-brick's NFS/FC connectors on this host (generic migration of such volumes)."""
        self.connector: dict[str, Any] = {
            **self.initiator.connector_properties(str(opts["target_ip_address"])),
            **self.volumes.connector_properties(), "host": str(opts["host"])}
        self.rbd = RbdConnector(ceph, self.meter, f"cinder-volume:{self.host}")
        """os-brick's RBD connector here (a host-assisted copy of an RBD volume)."""
        self.allocated_capacity_gb = 0
        env.db.register_service(BINARY, self.host, topic=TOPIC,
                                availability_zone=self.availability_zone,
                                report_interval=float(env.config.default["report_interval"]))
        """Sum of the sizes of the volumes on this backend (the manager's own count)."""
        self.key_manager: KeyManagerClient | None = None
        """Castellan, for re-keying encrypted clones (:mod:`.rekey`): set by the cloud."""
        self.methods: dict[str, Method] = {}
        # The flow modules import this one for its types: import them when a service is built.
        from . import (  # noqa: PLC0415
            attach,
            backup_device,
            completion,
            create,
            groups,
            guards,
            image_upload,
            manage,
            migrate,
            revert,
            snapshots,
        )

        for module in (create, snapshots, attach, migrate, revert, image_upload, manage,
                       completion, backup_device, groups):
            self.methods.update(module.METHODS)
        # At-least-once delivery: each entry acts only from the status it was cast for.
        self.guards = guards.volume_guards(self)
        self.methods = self.guards.wrap(self.methods)
        self.consumer: Consumer | None = None
        self._reporting = False
        self.reports = 0

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.consumer is not None and self.consumer.running

    def start(self) -> None:
        """init_host: set the driver up, start consuming, report capabilities now and then
        every ``backend_stats_polling_interval``."""
        if self.consumer is None:
            self.driver.do_setup()
            self.driver.check_for_setup_error()
            self.meter.take()  # setup happens before the simulation's clock matters
            self.consumer = self.env.bus.consume(TOPIC, self._dispatch, server=self.host,
                                                   name=self.actor)
        else:
            self.consumer.start()
        self.env.db.service_started(BINARY, self.host)
        self.publish_capabilities()
        if not self._reporting:
            self._reporting = True
            interval = float(self.env.config.default["backend_stats_polling_interval"])
            self.env.sim.periodic.every(interval, self._report_tick)

    def stop(self) -> None:
        """The service goes away: its queue fills and its reports stop."""
        if self.consumer is not None:
            self.consumer.stop()
        self.env.db.service_stopped(BINARY, self.host)

    def _report_tick(self) -> None:
        if self.running:
            self.publish_capabilities()

    def publish_capabilities(self) -> None:
        """Fanout the driver's stats (plus allocated_capacity_gb) to every scheduler."""
        stats = dict(self.driver.get_volume_stats(refresh=True))
        self.meter.take()  # a vgs/lvs every minute is not worth a timer of its own
        if "pools" in stats:
            pools = []
            for pool in stats["pools"]:
                p = dict(pool)
                p["allocated_capacity_gb"] = self.allocated_capacity_gb
                pools.append(p)
            stats["pools"] = pools
        else:
            # A driver without pools (RBD): the manager's singleton pool figures go on
            # the report itself (_append_volume_stats).
            stats["allocated_capacity_gb"] = self.allocated_capacity_gb
        self.reports += 1
        self.env.bus.fanout(self.actor, "cinder-scheduler", "update_service_capabilities",
                              service_name="volume", host=self.host, capabilities=stats,
                              timestamp=self.env.sim.now(),
                              availability_zone=self.availability_zone)

    # --- what-ifs ---------------------------------------------------------------------------
    def set_capacity(self, vg_size_gb: int) -> None:
        """An operator grows or shrinks the volume group to *vg_size_gb* GiB of PVs.

        Growing adds a PV (``vgextend``) and, on a thin backend, grows the pool by
        95% of the new space, as Cinder sized it at setup (the rest is left for
        metadata).  Shrinking removes trailing PVs no LV uses (``vgreduce``); a
        PV in use cannot go, as in LVM.  The scheduler learns of it with the next
        capability report (``backend_stats_polling_interval``), as in Cinder.
        """
        vg = self.vg
        if vg is None or not isinstance(self.driver, LVMVolumeDriver):
            raise ConfigError(f"{self.host}: set_capacity resizes an LVM volume group; "
                              "this backend has none")
        sizes = [r.pv_size for r in vg.pv_reports()]
        current = sum(sizes)
        target = vg_size_gb * GiB
        if target > current:
            free_before = vg.free_count
            device = f"/dev/sd{chr(ord('b') + len(sizes))}"
            vg.vgextend(device, target - current)
            if self.driver.lvm_type == "thin":
                added = vg.free_count - free_before
                pool = vg.lv_report(self.driver.pool_name)
                vg.lvextend(self.driver.pool_name,
                            pool.lv_size + int(added * 0.95) * vg.extent_size)
        else:
            for device in reversed(vg.pv_names()):
                if sum(r.pv_size for r in vg.pv_reports()) <= target:
                    break
                vg.vgreduce(device)
        self.meter.take()

    # --- dispatch and driver calls ------------------------------------------------------------
    def _dispatch(self, msg: Message) -> Awaitable[Any]:
        # Hands the bus the method's own coroutine (no frame of its own to resume
        # at every wake-up of a flow).
        try:
            method = self.methods[msg.method]
        except KeyError:
            raise NotImplementedError(f"cinder-volume has no method {msg.method}") from None
        return method(self, **msg.args)

    def drive(self, call: str, fn: Callable[..., T], *args: Any,
              resource: str | None = None, **kwargs: Any) -> Awaitable[T]:
        """Run one driver method, trace it, and sleep through what it cost:
        ``await svc.drive(...)`` gives the method's result.

        The cost is slept even when the call fails: the commands it ran took time.
        The call runs when drive is called (every caller awaits at once), and what
        comes back is what to await: for a method that returns None (create, delete,
        extend: most calls) the sleep's own timer future, so the flow awaiting it
        resumes without a frame of drive's in between (as :func:`~cindersim.clock.sleep`
        does for its callers).
        """
        trace = self.env.trace
        wanted = trace.wanted_kinds  # Trace.wants, inline (as the bus does): every driver call asks
        if wanted is None or "driver" in wanted:
            # NFS and FC drivers name their protocol (the narration says how it differs
            # from iSCSI); LVM's events stay as they were.
            proto = getattr(self.driver, "driver_volume_type", None)
            shared = _DRIVER_EVENTS.get((call, proto))
            if shared is None:
                detail: dict[str, Any] = {"call": call}
                if proto:
                    detail["protocol"] = proto
                shared = _DRIVER_EVENTS[(call, proto)] = (f"driver.{call}", detail)
            trace.emit_owned("driver", self.actor, shared[0], shared[1], "driver",
                             resource)  # (target, resource): no keywords
        meter = self.meter
        meter.pending = 0.0  # take() inline, as below: what ran before is not this call's
        try:
            # (Most calls pass no keywords: no empty dict unpacked into the call.)
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        except Exception as exc:
            cost = meter.take()
            if trace.wants("driver.error"):
                trace.emit("driver.error", self.actor, f"driver.{call} failed: "
                           f"{type(exc).__name__}", resource=resource, call=call,
                           error=type(exc).__name__, message=str(exc))
            return _raise_after(cost, exc)
        cost = meter.pending  # Meter.spend, without its frame (nor take's)
        meter.pending = 0.0
        if result is None and cost > 0:
            slept: Awaitable[Any] = sleep(cost)  # its result is None: the method's
            return slept
        return _return_after(cost, result)


async def _return_after(cost: float, result: T) -> T:
    """*result*, once the *cost* of the call that made it is slept."""
    if cost > 0:
        await sleep(cost)
    return result


async def _raise_after(cost: float, exc: Exception) -> Any:
    """Raise *exc* (a driver call's), once the *cost* of the call is slept."""
    if cost > 0:
        await sleep(cost)
    raise exc
