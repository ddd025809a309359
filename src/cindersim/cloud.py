"""A whole simulated OpenStack block-storage cloud, and ``simulate()``.

:class:`Cloud` wires the services of one simulation together: cinder-api,
cinder-scheduler, one cinder-volume per enabled backend (each with its LVM
volume group and iSCSI target host), the database, quotas, identity, the bus
and the fault plan.  Users reach it only the way real users reach Cinder: REST
requests (:meth:`Cloud.request`) with a token, then :meth:`Cloud.settle` to let
virtual time run until the work they started is done.
"""

from __future__ import annotations

import asyncio
import itertools
import json as _json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from .backends.blocks import BlockData
from .backends.ceph import CephNetwork
from .backends.faults import FaultPlan, FaultRule
from .backends.iscsi import IscsiNetwork, TargetHost
from .bus import Bus
from .config import BackendConfig, CloudConfig, load_config
from .db import Database, Project, VolumeType
from .jsonvalues import NotJson, copy_json, copy_json_twice
from .policy import Policy
from .render.summary import BackendCapacity
from .services.api.service import ApiService, ParsedBody
from .services.api.wsgi import StreamResponse
from .services.backup.manager import BackupService
from .services.compute_nova import NovaClient
from .services.env import ServiceEnv
from .services.glance.images import GlanceService
from .services.key_manager import KeyManagerService
from .services.keystone import IdentityStore, default_cloud
from .services.neutron import NeutronService
from .services.nova import NovaService
from .services.quota import QuotaEngine
from .services.scheduler.manager import SchedulerService
from .services.swift import SwiftService, backup_account_of
from .services.volume.manager import VolumeService
from .simulation import Simulation
from .trace import Trace, TraceMode

__all__ = ["Cloud", "Response", "SimulationResult", "simulate"]

T = TypeVar("T")

_QUOTA_OPTIONS = ("quota_volumes", "quota_snapshots", "quota_gigabytes", "quota_backups",
                  "quota_backup_gigabytes", "quota_groups", "per_volume_size_limit",
                  "no_snapshot_gb_quota", "reservation_expire")


_new_tuple: Any = tuple.__new__  # ParsedBody(value) without its Python __new__ frame
_UNREAD: Any = object()
"""A response whose body has not been copied yet (see :class:`_CopiedOnRead`)."""


class Response:
    """What :meth:`Cloud.request` returns: like an HTTP client's response.

    Immutable, compared and shown as the attrs record it used to be (``status``,
    ``json``, ``headers``).  Like an HTTP client that parses its body only when asked,
    a response whose body the trace keeps copies it at the first read of
    :attr:`json`: most callers read only the status, and a full trace keeps every
    body, so copying each at once cost every request a walk nobody used.
    """

    __slots__ = ("headers", "json", "status")
    __match_args__ = ("status", "json", "headers")

    if TYPE_CHECKING:  # read-only to type checkers too, as the frozen record's were
        @property
        def status(self) -> int: ...
        @property
        def json(self) -> Any:
            """The parsed body, or None for an empty body (the caller's own copy)."""
        @property
        def headers(self) -> Mapping[str, str]: ...

    def __init__(self, status: int, json: Any, headers: Mapping[str, str]) -> None:
        # Through the slots' own descriptors (this class refuses setattr): one
        # response per request, and each set costs half object.__setattr__'s.
        _set_status(self, status)
        _set_json(self, json)
        _set_headers(self, headers)

    def __setattr__(self, name: str, value: Any) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return (self.status, self.json, self.headers) == (other.status, other.json,
                                                          other.headers)

    def __hash__(self) -> int:
        return hash((Response, self.status, self.json, self.headers))

    def __repr__(self) -> str:
        return f"Response(status={self.status!r}, json={self.json!r}, headers={self.headers!r})"

    def __reduce__(self) -> tuple[type[Response], tuple[int, Any, Mapping[str, str]]]:
        return Response, (self.status, self.json, self.headers)


_set_status = Response.__dict__["status"].__set__
_get_json = Response.__dict__["json"].__get__
_set_json = Response.__dict__["json"].__set__
_set_headers = Response.__dict__["headers"].__set__
_new_object = object.__new__


class _CopiedOnRead(Response):
    """A :class:`Response` whose body the trace keeps: :attr:`json` copies it at the
    first read (a plain response's ``json`` is its slot: no property on every read).
    What it keeps must never change (a body the trace keeps: trace details are read,
    never written), so the copy is the one an eager copy would have been.  Made by
    :meth:`Cloud.request` (its ``json`` slot None, ``_kept`` the body)."""

    __slots__ = ("_kept",)

    _kept: Any

    @property
    def json(self) -> Any:
        kept = self._kept
        if kept is not _UNREAD:
            _set_json(self, _roundtrip(kept))
            _set_kept(self, _UNREAD)
        return _get_json(self)


_set_kept = _CopiedOnRead.__dict__["_kept"].__set__


class Cloud:
    """One simulated cloud.  Build it with :func:`simulate` (or directly, for tests).

    Args:
        sim: the simulation (loop, rng, trace) it lives in.
        config: a :class:`~cindersim.config.CloudConfig`, a dict, a path, or None.
    """

    def __init__(self, sim: Simulation, config: CloudConfig | Mapping[str, Any] | str | Path
                 | None = None) -> None:
        self.sim = sim
        self.config = load_config(config)
        self.trace: Trace = sim.trace
        self.db = Database(sim.trace, sim.loop.time)
        self.identity: IdentityStore = default_cloud(sim.rng, clock=sim.now)
        for project in self.identity.projects:
            self.db.add(Project(project.id, project.name,
                                is_admin_project=project.name == "admin"))
        # Since Train every volume has a type: the database is born with __DEFAULT__.
        self._default_type = VolumeType(sim.ids.uuid(), self.config.default_volume_type,
                                        description="Default Volume Type")
        self.db.add(self._default_type)
        self.quota = QuotaEngine(self.db, sim.ids, {
            k: self.config.default[k] for k in _QUOTA_OPTIONS})
        self.faults = FaultPlan(sim.rng)
        self.bus = Bus(sim.loop, sim.trace, sim.rng, latency=self.config.bus_latency,
                       call_timeout=float(self.config.rpc_response_timeout))
        sim.at_close(self.bus.close)
        self.iscsi_network = IscsiNetwork()
        self._target_hosts: dict[tuple[str, str, int], TargetHost] = {}
        self.ceph = CephNetwork(sim.rng)
        """The Ceph clusters RBD backends, Ceph backups and computes' librbd reach."""
        self.env = ServiceEnv(sim=sim, trace=sim.trace, bus=self.bus, db=self.db,
                              config=self.config, quota=self.quota, faults=self.faults)
        """What every service shares; each gets only that and the clients it may use."""
        self.glance = GlanceService(self.env, identity=self.identity)
        """Glance-lite: the images Nova boots from and Cinder copies (``/image/v2``)."""
        self.api = ApiService(self.env, policy=Policy(), identity=self.identity,
                              glance=self.glance,
                              # The configured type never changes: a C callable giving
                              # it (the documented constant factory) costs no frame on
                              # every create without a type.
                              default_volume_type=itertools.repeat(self._default_type).__next__)
        self.scheduler = SchedulerService(self.env)
        self.volume_services: dict[str, VolumeService] = {}
        for b in self.config.backends:
            svc = VolumeService(self.env, b, network=self.iscsi_network,
                                shared_target=self.shared_target(b), glance=self.glance,
                                ceph=self.ceph)
            self.volume_services[b.service_host] = svc
            target = getattr(svc.driver, "target", None)  # NFS, FC and RBD drivers have none
            if target is not None:
                self._target_hosts.setdefault(self._portal_key(b), target)
        self.backup = BackupService(self.env, network=self.iscsi_network, ceph=self.ceph)
        self.swift = SwiftService(self.env, identity=self.identity, store=self.backup.store,
                                  account_of=backup_account_of(self._backup_project))
        self.backup.on_container = self.swift.container_made
        """Swift-lite over the backup store (``/object-store/v1/AUTH_<project>``)."""
        self.neutron = NeutronService(self.env, identity=self.identity)
        """Neutron-lite: networks, subnets, ports, routers, security groups (``/networking``)."""
        self.key_manager = KeyManagerService(self.env, identity=self.identity)
        """Barbican-lite: the keys of encrypted volumes (``/key-manager/v1/secrets``)."""
        self.api.key_manager = self.key_manager.client("cinder-api")
        # Cinder's service user ([keystone_authtoken]): the admin of the admin project
        # here; its token is derived, not drawn, so it shifts no id of the seed.
        self.api.service_token = lambda: self.identity.issue_token(
            "admin", "admin", derive_from="cinder-service")
        self.backup.key_manager = self.key_manager.client("cinder-backup")
        for svc in self.volume_services.values():
            svc.key_manager = self.key_manager.client(svc.actor)
        self.glance.key_manager = self.key_manager.client("glance-api")
        self.nova = NovaService(self.env, identity=self.identity, cinder=self.api.handle,
                                glance=self.glance, network=self.iscsi_network,
                                neutron=self.neutron, ceph=self.ceph)
        """nova-api and one nova-compute per ``[simulator] compute_hosts`` (``/compute``)."""
        self.nova.key_manager = self.key_manager.client("nova-compute")
        for svc in self.volume_services.values():  # cinder.compute.nova: Nova's REST API
            svc.nova = NovaClient(self.env, self.nova.api.handle, self._nova_token, svc.actor)
        self.started = False

    def _nova_token(self) -> str:
        """Cinder's ``[nova]`` privileged user's token: the admin, scoped to admin.  The
        token string is derived, not drawn, so telling Nova shifts no id of the run."""
        return self.identity.issue_token("admin", "admin", now=self.sim.now(),
                                         derive_from="cinder [nova] privileged user")

    @property
    def policy(self) -> Policy:
        """cinder-api's policy engine; assign to it to change the rules (a what-if)."""
        return self.api.policy

    @policy.setter
    def policy(self, value: Policy) -> None:
        self.api.policy = value

    def _backup_project(self, backup_id: str) -> str | None:
        """Whose account a backup's objects are in (its project: ``per_user`` auth)."""
        backup = self.db.backups.get(backup_id)
        return backup.project_id if backup is not None else None

    def default_volume_type(self) -> VolumeType:
        """``default_volume_type`` (``__DEFAULT__`` unless configured)."""
        return self._default_type

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Start every service; returns once the first capability reports have arrived."""
        if self.started:
            return
        self.started = True
        self.scheduler.start()
        for svc in self.volume_services.values():
            svc.start()
        self.backup.start()
        self.nova.start()
        await self.bus.quiescent()

    async def settle(self, *, timeout: float | None = None) -> None:
        """Run virtual time until no message is in flight and no service is working.

        Work waiting for a stopped service (or held by a partition) does not
        count: it cannot progress until the what-if changes.  *timeout* bounds
        the virtual seconds spent waiting.
        """
        if timeout is None:
            await self.bus.quiescent()
        else:
            async with asyncio.timeout(timeout):
                await self.bus.quiescent()

    async def advance(self, seconds: float) -> None:
        """Let *seconds* of virtual time pass (periodic reports keep running)."""
        await asyncio.sleep(seconds)

    def shared_target(self, backend: BackendConfig) -> TargetHost | None:
        """Backends on one host with the same portal share that host's tgtd/LIO.

        Returns the target host an earlier backend created for this portal, or
        None (the driver then creates one, registered by :meth:`_note_target`).
        """
        return self._target_hosts.get(self._portal_key(backend))

    @staticmethod
    def _portal_key(backend: BackendConfig) -> tuple[str, str, int]:
        opts = backend.options
        return (str(opts["host"]), str(opts["target_ip_address"]), int(opts["target_port"]))

    # --- the data plane ---------------------------------------------------------------------
    def volume_service_of(self, volume_id: str) -> VolumeService:
        """The cinder-volume that holds *volume_id* (by the volume's ``host``)."""
        vol = self.db.get_volume(volume_id)
        for svc in self.volume_services.values():
            if vol.host is not None and vol.host.split("#")[0] == svc.host:
                return svc
        raise KeyError(f"volume {volume_id} is on no backend")

    def volume_data(self, volume_id: str) -> BlockData:
        """The blocks of a volume (its LV), for users and tests; no service reads them so."""
        return self.volume_service_of(volume_id).driver.volume_data(volume_id)

    def snapshot_data(self, snapshot_id: str) -> BlockData:
        snap = self.db.get_snapshot(snapshot_id)
        return self.volume_service_of(snap.volume_id).driver.snapshot_data(snapshot_id)

    def capacity(self) -> list[BackendCapacity]:
        """Each backend's capacity now, read from its driver (a fresh ``vgs``/``lvs``),
        as ``cinder get-pools`` would show it."""
        out = []
        for host, svc in self.volume_services.items():
            stats = svc.driver.get_volume_stats(refresh=True)
            svc.meter.take()  # reading the figures is not part of the run
            # RBD reports no pools: the stats are the backend's one pool.
            for pool in stats.get("pools") or [stats]:
                out.append(BackendCapacity(
                    backend=host, availability_zone=svc.availability_zone,
                    total_gb=float(pool.get("total_capacity_gb") or 0),
                    free_gb=float(pool.get("free_capacity_gb") or 0),
                    provisioned_gb=float(pool.get("provisioned_capacity_gb") or 0),
                    allocated_gb=float(svc.allocated_capacity_gb),
                    thin=bool(pool.get("thin_provisioning_support")),
                    max_over_subscription_ratio=str(pool.get("max_over_subscription_ratio")),
                    volumes=sum(1 for v in self.db.volumes.values()
                                if (v.host or "").partition("#")[0] == host)))
        return out

    # --- users ------------------------------------------------------------------------------
    def token(self, user: str, project: str | None = None) -> str:
        """A Keystone token for *user* (scoped to its own project by default)."""
        return self.identity.issue_token(user, project or user)

    def project_id(self, name: str) -> str:
        """The id of the project called *name* (``admin``, ``demo``, ``alt_demo`` ...)."""
        project = self.identity.find_project(name)
        if project is None:
            raise KeyError(f"no project {name!r}")
        return project.id

    async def request(self, method: str, path: str, json: Any = None, *, token: str | None = None,
                      headers: Mapping[str, str] | None = None) -> Response:
        """Send a REST request, as a client would: to cinder-api (``/v3/...``), nova-api
        (``/compute/v2.1/...``), Glance (``/image/v2/...``), Swift (``/object-store/...``)
        Neutron (``/networking/v2.0/...``) or Barbican (``/key-manager/v1/...``).

        ``json`` is encoded to a body; ``token`` becomes ``X-Auth-Token``.
        """
        if path.startswith(("/compute/", "/image/", "/object-store/", "/networking/",
                            "/key-manager/")):
            hdrs = {"Content-Type": "application/json", "Accept": "application/json"}
            if token is not None:
                hdrs["X-Auth-Token"] = token
            hdrs.update(headers or {})
            body = None if json is None else _json.dumps(json)
            handle = (self.nova.api.handle if path.startswith("/compute/")
                      else self.glance.handle if path.startswith("/image/")
                      else self.neutron.handle if path.startswith("/networking/")
                      else self.key_manager.handle if path.startswith("/key-manager/")
                      else self.swift.handle)
            r = await handle(method, path, hdrs, body)
            if isinstance(r.body, bytes) or isinstance(r, StreamResponse):
                # a file or a text page: what the client reads
                return Response(r.status, _bytes_body(r.encoded()), dict(r.headers))
        else:
            # The headers cinder-api would read, lower-cased here once: the same dict
            # its handle() would make of the ones above (a later duplicate wins).
            lowered = {"content-type": "application/json", "accept": "application/json"}
            if token is not None:
                lowered["x-auth-token"] = token
            if headers:
                for name, value in headers.items():
                    lowered[name.lower()] = value
            # The body cinder-api gets: a fresh JSON-shaped copy handed over as parsed
            # (the same value as its text parsed), or the text when it is not JSON-shaped.
            # Inline, not a helper: one frame fewer on every request.
            api_body: ParsedBody | str | None
            try:
                if json is None:
                    api_body = None
                elif self.trace.wanted_kinds is not None:  # not a full trace: one copy
                    # (a subscriber that wants api.request has handle_lowered copy it)
                    api_body = _new_tuple(ParsedBody, (copy_json(json), None))
                else:  # a full trace keeps the body too: its copy made in the same walk
                    api_body = _new_tuple(ParsedBody, copy_json_twice(json))
            except NotJson:
                api_body = _json.dumps(json)
            r = await self.api.handle_lowered(method, path, lowered, api_body)
            if r.fresh:  # its headers too are its own (see handle_lowered): kept as they are
                # Made here without a class call or a frame of its own (Response.__init__,
                # _copied_on_read): every request answers through one of the two.
                wanted = self.trace.wanted_kinds  # Trace.wants, inline: on every request
                if wanted is not None and "api.response" not in wanted:
                    # A body built for this response alone, of plain JSON values, that no
                    # trace event holds: already what parsing the response text would give.
                    response = _new_object(Response)
                    _set_json(response, r.body)
                else:  # the trace keeps it and nothing else does: copied if the caller reads it
                    response = _new_object(_CopiedOnRead)
                    _set_json(response, None)
                    _set_kept(response, r.body)
                _set_status(response, r.status)
                _set_headers(response, r.headers)
                return response
        return Response(r.status, _roundtrip(r.body), dict(r.headers))

    # --- what-ifs --------------------------------------------------------------------------------
    def inject(self, rule: FaultRule) -> FaultRule:
        """Make a driver operation fail by rule (see :class:`FaultRule`)."""
        return self.faults.add(rule)


def _roundtrip(body: Any) -> Any:
    """Give callers a copy, as a client parsing the HTTP body would have.

    Bodies are JSON-shaped already, so a structural copy gives what
    ``json.loads(json.dumps(body))`` would, without the text in between; anything
    else (a tuple, a non-string key, another type) takes the real round trip.
    """
    if body is None:
        return None
    try:
        return copy_json(body)
    except NotJson:
        return _json.loads(_json.dumps(body))


def _bytes_body(raw: bytes) -> Any:
    """A raw body as a client would take it: parsed when it is JSON, else the bytes."""
    try:
        return _json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw


@attrs.frozen
class SimulationResult(Generic[T]):
    """What :func:`simulate` returns."""

    value: T
    trace: Trace
    cloud: Cloud

    @property
    def virtual_time(self) -> float:
        return self.cloud.sim.now()


def simulate(main: Callable[[Cloud], Awaitable[T]], *, seed: int = 0,
             config: CloudConfig | Mapping[str, Any] | str | Path | None = None,
             trace_mode: TraceMode = "full", trace_stream: IO[str] | None = None,
             ) -> SimulationResult[T]:
    """Build a cloud, start it, run ``await main(cloud)`` in virtual time, and return.

    The same *seed*, *config* and *main* always give a byte-identical trace.
    """
    sim = Simulation(seed, trace_mode=trace_mode, trace_stream=trace_stream)
    try:
        cloud = Cloud(sim, config)

        async def run() -> T:
            await cloud.start()
            return await main(cloud)

        value = sim.run(run)
    finally:
        sim.close()
    return SimulationResult(value, sim.trace, cloud)
