"""cinder-scheduler: places volumes with the FilterScheduler, over the bus.

The decisions themselves are pure functions in :mod:`.filter_scheduler` over the
:class:`~.host_manager.HostManager`; this module is the service around them:
it consumes the ``cinder-scheduler`` topic, keeps the host manager fed from the
volume services' fanout capability reports, writes the chosen host to the
volume row and casts the work on to that ``cinder-volume`` (Cinder's RPC order
since Queens: api -> scheduler -> volume, for plain creates, clones and creates
from snapshots alike).  A NoValidBackend leaves the volume in ``error``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...bus import Consumer, Target, target_of
from ...states import Op, SnapshotStatus, VolumeStatus
from ..volume_utils import extract_host
from . import backups, groups, migration
from .filter_scheduler import (
    Placement,
    Placer,
    SchedulerConfig,
    SchedulingDecision,
    backend_passes_filters,
    volume_type_predicate,
)
from .guards import scheduler_guards
from .host_manager import HostManager
from .placement import PlacementIndex
from .request_spec import RequestSpec, RetryRecord
from .shared_parts import SharedParts

if TYPE_CHECKING:
    from ...db import Volume
    from ..env import ServiceEnv

__all__ = ["ACTOR", "TOPIC", "SchedulerService"]

ACTOR = "cinder-scheduler"
TOPIC = "cinder-scheduler"
BINARY = "cinder-scheduler"
SERVER = "scheduler-1"
"""The scheduler's host: the server of its queue and its ``services`` row."""

Handler = Callable[..., Awaitable[Any]]


class _VolumeServiceLiveness:
    """Service liveness as the scheduler reads it from the ``services`` table: a running
    cinder-volume writes a heartbeat every ``report_interval`` (10 s), so it is up."""

    def __init__(self, env: ServiceEnv) -> None:
        self._services = env.db.services
        # A service starts or stops only with its consumer: the bus's count of those
        # changes says when the table may have changed.  (Read in C, without a frame of
        # ours: every scheduling pass asks.)
        self.epoch: Callable[[], int] = functools.partial(getattr, env.bus, "consumer_epoch")

    def running(self, host: str) -> bool:
        row = self._services.get(("cinder-volume", host))
        return row is not None and row.stopped_at is None


class SchedulerService:
    """The cinder-scheduler service of one env."""

    def __init__(self, env: ServiceEnv, *, config: SchedulerConfig | None = None) -> None:
        self.env = env
        opts = env.config.default
        self.config = config if config is not None else SchedulerConfig.from_options({
            "scheduler_default_filters": opts["scheduler_default_filters"],
            "scheduler_default_weighers": opts["scheduler_default_weighers"],
            "scheduler_max_attempts": opts["scheduler_max_attempts"],
            "capacity_weight_multiplier": opts["capacity_weight_multiplier"],
            "allocated_capacity_weight_multiplier": opts["allocated_capacity_weight_multiplier"],
            "volume_number_multiplier": opts["volume_number_multiplier"],
        })
        self.host_manager = HostManager(
            max_over_subscription_ratio="20.0",
            service_down_time=float(opts["service_down_time"]),
            liveness=_VolumeServiceLiveness(env))
        self.placement = PlacementIndex(self.host_manager)
        self._placer = Placer(self.placement, rng=env.sim.rng, volume_host=self._volume_host,
                              volume_number=self._volume_number)
        self._bus = env.bus
        self._clock = env.sim.loop.time
        """The virtual clock (``sim.now``), bound once as the trace binds it."""
        self._wants_schedule = env.trace.wants_now("schedule")
        """``trace.wants('schedule')``, answered in C and kept current by the trace."""
        self._liveness_epoch: int | None = None
        self._casts: dict[str, tuple[RetryRecord | None, Target, dict[str, Any]]] = {}
        """Pool id -> what a create placed there was last cast on with (see
        :meth:`_cast_to`)."""
        self._running_at_refresh: list[str] = []
        self._last_refresh = 0.0
        self.handlers: dict[str, Handler] = {
            "create_volume": self.create_volume,
            "update_service_capabilities": self.update_service_capabilities,
            "extend_volume": self.extend_volume,
            "create_snapshot": self.create_snapshot,
            "create_backup": self._create_backup,
            "retype": self._retype,
            "migrate_volume": self._migrate_volume,
            "get_pools": self.get_pools,
            **groups.handlers(self),  # create_group, validate_host_capacity (groups.py)
        }
        # At-least-once delivery: each entry acts once per request, from its status.
        self.guards = scheduler_guards(self)
        self.handlers = self.guards.wrap(self.handlers)
        self.consumer: Consumer | None = None
        self.decisions = 0
        self.shared_parts = SharedParts()
        """What consecutive ``schedule`` events' decisions share (see :mod:`.shared_parts`)."""
        env.db.register_service(BINARY, SERVER, topic=TOPIC,
                                availability_zone=str(opts["storage_availability_zone"]),
                                report_interval=float(opts["report_interval"]))

    def start(self) -> None:
        """Start consuming (and register the services the scheduler knows of)."""
        if self.consumer is None:
            self.consumer = self.env.bus.serve(TOPIC, self.handlers, server=SERVER,
                                                 name=ACTOR)
        else:
            self.consumer.start()
        self.env.db.service_started(BINARY, SERVER)

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
        self.env.db.service_stopped(BINARY, SERVER)

    # --- flows of their own modules --------------------------------------------------
    async def _create_backup(self, **kwargs: Any) -> None:
        await backups.create_backup(self, **kwargs)

    async def _retype(self, **kwargs: Any) -> None:
        await migration.scheduler_retype(self, **kwargs)

    async def _migrate_volume(self, **kwargs: Any) -> None:
        await migration.scheduler_migrate(self, **kwargs)

    # --- capability reports ----------------------------------------------------------
    async def get_pools(self, *, filters: dict[str, Any] | None = None,
                        extra_specs: dict[str, Any] | None = None,
                        backend: str | None = None) -> list[dict[str, Any]]:
        """``scheduler_rpcapi.get_pools`` (a call): the live pools as last reported,
        ``name`` matched exactly, other filters against the capabilities, and
        *extra_specs* (the ``volume_type`` filter, 3.35) through the configured filters.
        *backend* (``host@backend``) narrows the answer to one backend's pools, which
        is how cinder-api reads a backend's capabilities here."""
        wanted = dict(filters or {})
        name = wanted.pop("name", None)
        predicate = (volume_type_predicate(extra_specs, config=self.config)
                     if extra_specs is not None else None)
        pools = self.host_manager.get_pools(self.env.sim.now(), name=name, filters=wanted,
                                            predicate=predicate)
        if backend is not None:
            pools = [p for p in pools if extract_host(p["name"]) == backend]
        return pools

    async def update_service_capabilities(self, *, service_name: str, host: str,
                                          capabilities: dict[str, Any], timestamp: float,
                                          availability_zone: str) -> None:
        """A volume service's fanout report (every backend_stats_polling_interval)."""
        hm = self.host_manager
        now = self.env.sim.now()
        hm.register_service(host, availability_zone=availability_zone, now=now)
        hm.service_heartbeat(host, now)
        hm.update_service_capabilities(host, capabilities, timestamp=timestamp,
                                       availability_zone=availability_zone)

    def refresh_heartbeats(self) -> float:
        """Services write a heartbeat every report_interval (10 s) while they run.

        Rather than a timer per service every 10 s, a running service is taken to
        have just reported; a stopped one keeps its last heartbeat and so goes
        down ``service_down_time`` (60 s) after it stopped, as in Cinder.  Returns
        the virtual time now (the time of the pass that asked).
        """
        # A running service is up (HostManager asks the liveness below); all that
        # is left to do is to give a service that stopped since the last pass the
        # heartbeat it had then -- and only when some service started or stopped.
        now = self._clock()
        if self._bus.consumer_epoch != self._liveness_epoch:
            self._started_or_stopped()
        self._last_refresh = now
        return now

    def _started_or_stopped(self) -> None:
        """Some service started or stopped since the last pass: one that stopped keeps
        the heartbeat of that pass (it was running then)."""
        services = self.env.db.services
        for host in self._running_at_refresh:
            row = services.get(("cinder-volume", host))
            if row is None or row.stopped_at is not None:
                self.host_manager.service_heartbeat(host, self._last_refresh)
        self._running_at_refresh = [
            row.host for row in services.values()
            if row.binary == "cinder-volume" and row.stopped_at is None]
        self._liveness_epoch = self._bus.consumer_epoch

    # --- scheduling ------------------------------------------------------------------
    def _volume_host(self, vid: str) -> str | None:
        """Volume id -> its host (the affinity filters ask the DB)."""
        vol = self.env.db.volumes.get(vid)
        return vol.host if vol else None

    def _volume_number(self, backend_id: str) -> int:
        """Backend id -> volumes there (VolumeNumberWeigher's DB count)."""
        return sum(1 for v in self.env.db.volumes.values() if v.host == backend_id)

    async def create_volume(self, *, volume_id: str, request_spec: RequestSpec,
                            filter_properties: dict[str, Any],
                            backup_id: str | None = None,
                            auth_token: str | None = None) -> None:
        """Filter, weigh, pick; write the host; cast create_volume to that backend.

        ``auth_token`` (the RPC context's, sent only for an encrypted clone) goes on
        with it: cinder-volume re-keys the clone as the user.

        ``backup_id`` (3.47, ``scheduler_rpcapi.create_volume``'s own argument) rides
        along to the volume manager, which then restores the backup into the volume.
        """
        env = self.env
        vol = env.db.volumes.get(volume_id)
        if vol is None:  # deleted while the message waited in the queue
            return
        # No retry record yet: the first pass starts one (num_attempts 1), unless
        # scheduler_max_attempts = 1 disables rescheduling.
        retry = RetryRecord.from_dict(filter_properties.get("retry")) if filter_properties \
            else None  # (a first pass's filter properties are empty)
        wanted = self._wants_schedule()  # every create asks
        # The pass itself, here rather than in a method of its own (every create).
        now = self.refresh_heartbeats()
        self.decisions += 1
        # The full decision record (every filter's and weigher's verdict on every pool)
        # is for readers of the trace; without one, the index finds the same pool
        # without weighing them all (for a configuration it can answer).  Without a
        # record wanted, a pool it finds comes back as a bare Placement.
        # (no hints, then recorded: a full trace wants every kind, so the mode is asked
        # only when the record is)
        decision = self._placer.create_volume(request_spec, retry, now, self.config, wanted,
                                              None, wanted and env.trace.mode == "full")
        zone: str | None
        if isinstance(decision, Placement):  # no record wanted, and the index found a pool
            backend_id, zone, carried = decision
        else:
            if wanted:
                summary, detail = decision.traced(self.shared_parts)
                env.trace.emit_owned("schedule", ACTOR, summary, {"decision": detail}, None,
                                     f"volume:{volume_id}")  # (target, resource)
            chosen = decision.chosen  # None exactly when decision.error() is one
            if chosen is None:
                error = decision.error()
                assert error is not None
                self._no_backend(vol, error)
                return
            backend_id, zone, carried = chosen, decision.chosen_zone, decision.retry
        vol.host = backend_id
        if zone is None:
            zone = self._backend_az(backend_id)
        vol.availability_zone = zone or vol.availability_zone
        cast = self._casts.get(backend_id)
        if cast is None or cast[0] is not carried or filter_properties:
            cast = self._cast_to(backend_id, filter_properties, carried)
        _, target, props = cast
        if backup_id is None and auth_token is None:
            # Most creates: plain keywords, which reach **args without a dict of ours
            # unpacked on the way (half the cost of the call).
            env.bus.cast(ACTOR, target, "create_volume", volume_id=volume_id,
                         request_spec=request_spec, filter_properties=props,
                         allow_reschedule=carried is not None)
            return
        args: dict[str, Any] = {"volume_id": volume_id, "request_spec": request_spec,
                                "filter_properties": props,
                                "allow_reschedule": carried is not None}
        if backup_id is not None:  # goes on only when given, as auth_token
            args["backup_id"] = backup_id
        if auth_token is not None:
            args["auth_token"] = auth_token
        env.bus.cast(ACTOR, target, "create_volume", **args)

    def _cast_to(self, backend_id: str, filter_properties: dict[str, Any],
                 carried: RetryRecord | None,
                 ) -> tuple[RetryRecord | None, Target, dict[str, Any]]:
        """(*carried*, the queue of *backend_id*'s service, the filter properties cast on
        there).  Those of a pass that started with none are kept per pool while the same
        record is carried on from it (a first pass's is one per pool:
        ``first_attempt_on``): nothing changes a message's filter properties
        (cinder-volume copies them to reschedule), so the casts share one dict, and a
        full trace keeps it once."""
        cast = self._casts.get(backend_id)
        target = cast[1] if cast is not None else target_of(
            "cinder-volume", extract_host(backend_id) or backend_id)
        cast = (carried, target, {**filter_properties, "retry": carried.to_dict()
                                  if carried is not None else None})
        if not filter_properties:
            self._casts[backend_id] = cast
        return cast

    def _no_backend(self, vol: Volume, error: Exception) -> None:
        """The pass found no backend: the volume goes to ``error``."""
        env = self.env
        env.db.transition(vol, VolumeStatus.ERROR, op=Op.CREATE, actor=ACTOR, reason=str(error))
        # The filter scheduler's _set_volume_state_and_notify writes the user
        # message SCHEDULE_ALLOCATE_VOLUME / NO_BACKEND_AVAILABLE (VOLUME_VOLUME_001_003).
        from ...errors import NoValidBackend  # noqa: PLC0415
        from ..message_api import write_message  # noqa: PLC0415

        write_message(env, project_id=vol.project_id, action="001",
                      detail="003" if isinstance(error, NoValidBackend) else "001",
                      resource_uuid=vol.id)

    def _backend_az(self, backend_id: str) -> str | None:
        state = self.host_manager.get_backend_state(backend_id)
        return getattr(state, "availability_zone", None) if state is not None else None

    # --- capacity checks on a volume's own backend (extend, snapshot) --------------------
    def check_backend(self, backend: str, request_spec: RequestSpec,
                      new_size: int | None = None) -> SchedulingDecision:
        """``FilterScheduler.backend_passes_filters`` against *backend* (``host@backend``)."""
        now = self.refresh_heartbeats()
        self.decisions += 1
        index = None if self.env.trace.mode == "full" else self.placement
        return backend_passes_filters(self.host_manager, backend, request_spec,
                                      config=self.config, now=now,
                                      new_size=new_size, rng=self.env.sim.rng,
                                      volume_host=self._volume_host,
                                      volume_number=self._volume_number, index=index)

    async def extend_volume(self, *, volume_id: str, new_size: int, reservations: list[str],
                            request_spec: RequestSpec) -> None:
        """SchedulerManager.extend_volume (Ocata+): can the volume's backend hold
        ``new_size - size`` more?  Yes: consume the delta there and cast
        ``extend_volume`` to that cinder-volume.  NoValidBackend: roll the quota
        reservation back and return the volume to its ``previous_status``."""
        env = self.env
        db = env.db
        vol = db.volumes.get(volume_id)
        if vol is None or vol.host is None:
            env.quota.rollback(reservations)
            return
        backend = extract_host(vol.host) or vol.host
        decision = self.check_backend(backend, request_spec, new_size=new_size)
        if env.trace.wants("schedule"):
            env.trace.emit("schedule", ACTOR, decision.narrate(),
                             resource=f"volume:{volume_id}", decision=decision.to_dict())
        error = decision.error()
        if error is not None or decision.chosen is None:
            env.quota.rollback(reservations)
            previous = vol.previous_status or VolumeStatus.AVAILABLE
            vol.previous_status = None
            db.transition(vol, previous, op=Op.EXTEND, actor=ACTOR,
                          reason=f"Failed to schedule_extend_volume: {error}")
            return
        self.host_manager.consume_from_volume(decision.chosen, new_size - vol.size,
                                              now=env.sim.now())
        env.bus.cast(ACTOR, target_of("cinder-volume", backend), "extend_volume",
                       volume_id=volume_id, new_size=new_size, reservations=reservations)

    async def create_snapshot(self, *, snapshot_id: str, volume_id: str, backend: str,
                              request_spec: RequestSpec) -> None:
        """SchedulerManager.create_snapshot (Queens+): only a capacity check of the
        volume's backend for the snapshot's size; on success consume it there and cast
        ``create_snapshot`` to that cinder-volume, else the snapshot goes to ``error``."""
        env = self.env
        db = env.db
        snap = db.snapshots.get(snapshot_id)
        if snap is None:
            return
        decision = self.check_backend(backend, request_spec)
        env.trace.emit("schedule", ACTOR, decision.narrate(),
                         resource=f"snapshot:{snapshot_id}", decision=decision.to_dict())
        error = decision.error()
        if error is not None or decision.chosen is None:
            db.transition(snap, SnapshotStatus.ERROR, op=Op.SNAPSHOT_CREATE, actor=ACTOR,
                          reason=f"Failed to schedule_create_snapshot: {error}")
            return
        self.host_manager.consume_from_volume(decision.chosen, request_spec.size,
                                              now=env.sim.now())
        env.bus.cast(ACTOR, target_of("cinder-volume", backend), "create_snapshot",
                       snapshot_id=snapshot_id, volume_id=volume_id)
