"""``CloudStateMachine``: Hypothesis drives a whole simulated cloud through its API.

Every rule is a user-level action sent through ``cloud.request`` (or a what-if
knob: a driver fault, a stopped service, time passing).  The whole run lives in
one simulation: one virtual-time loop, one seed, no real time.  After every
step the machine checks the invariants of :mod:`cindersim.testing.invariants`
plus its own (legal transitions, no 5xx, rejected requests change nothing,
data only changes by a write or a restore, restores bring back what was backed
up).  When something fails, the exception carries a Python scenario that
replays the exact steps (see :class:`~cindersim.testing.replay.StepLog`).

Extend it by subclassing (add ``@rule``s or ``@invariant``s, or set
``config`` to another cloud) or, without subclassing, by listing extra
invariant functions in ``extra_invariants``::

    class MyMachine(CloudStateMachine):
        config = {"DEFAULT": {"scheduler_default_weighers": "AllocatedCapacityWeigher"}}
        extra_invariants = (my_check,)      # def my_check(cloud) -> list[str]

    TestMyMachine = MyMachine.TestCase
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)

from ..backends.blocks import BLOCK_SIZE, BlockData, GiB
from ..backends.faults import FaultRule
from ..bus import MessageFault
from ..cloud import Cloud, Response
from ..errors import CinderException, SimulationError
from ..simulation import Simulation
from ..states import TransitionChecker
from ..trace import TraceEvent
from .digests import content_digest
from .invariants import (
    capacity_agrees,
    encryption_keys_owned,
    exports_match_attachments,
    nothing_transitional,
    quota_matches_existence,
    records_have_storage,
)
from .outcomes import is_cinder_error as _is_cinder_error
from .outcomes import key_deletion_refused as _key_deletion_refused
from .outcomes import leaves_a_failed_volume as _leaves_a_failed_volume
from .replay import StepLog, at_most, bounded

__all__ = ["DEFAULT_MACHINE_CONFIG", "CloudStateMachine", "Invariant"]

Invariant = Callable[[Cloud], list[str]]
"""A check over the whole cloud: returns problems, empty when it holds."""

DEFAULT_MACHINE_CONFIG: dict[str, Any] = {
    "DEFAULT": {"enabled_backends": "thin-1,thick-1", "quota_volumes": 6,
                "quota_gigabytes": 24, "quota_snapshots": 4, "quota_backups": 4},
    "thin-1": {"host": "cinder-1", "vg_size_gb": 12, "lvm_type": "thin",
               "max_over_subscription_ratio": 1.5},
    "thick-1": {"host": "cinder-2", "vg_size_gb": 8, "lvm_type": "default",
                "target_helper": "lioadm"},
}
"""Small on purpose: capacity, over-subscription and quota limits are reached often."""

CONNECTOR = {"initiator": "iqn.1994-05.com.redhat:compute-1", "ip": "192.168.122.20",
             "host": "compute-1", "platform": "x86_64", "os_type": "linux",
             "multipath": False}
V344 = {"OpenStack-API-Version": "volume 3.44"}
V347 = {"OpenStack-API-Version": "volume 3.47"}
BLOCKS_PER_GIB = GiB // BLOCK_SIZE
BUS_METHODS = ("create_volume", "delete_volume", "create_snapshot", "delete_snapshot",
               "extend_volume", "attachment_update", "attachment_delete",
               "initialize_connection", "terminate_connection", "remove_export",
               "create_backup", "restore_backup", "delete_backup",
               "reserve_block_device_name", "attach_volume", "detach_volume",
               "build_and_run_instance", "terminate_instance")
"""RPC methods the machine's bus faults aim at (those its rules make the cloud send)."""


class CloudStateMachine(RuleBasedStateMachine):
    """A simulated cloud under random, shrinkable sequences of user actions."""

    config: ClassVar[Mapping[str, Any] | None] = DEFAULT_MACHINE_CONFIG
    seed: ClassVar[int] = 0
    extra_invariants: ClassVar[Sequence[Invariant]] = ()
    users: ClassVar[tuple[str, ...]] = ("demo", "alt_demo")
    connector: ClassVar[Mapping[str, Any]] = CONNECTOR
    """The os-brick connector the attach rule sends (a subclass adds FC ``wwpns``)."""

    volumes = Bundle("volumes")
    snapshots = Bundle("snapshots")
    backups = Bundle("backups")
    attachments = Bundle("attachments")
    servers = Bundle("servers")

    def __init__(self) -> None:
        super().__init__()
        self.sim = Simulation(self.seed)
        self.cloud = Cloud(self.sim, self.config)
        self.log = StepLog(self.seed, self.config)
        self.sim.run(self.cloud.start())
        self.tokens = {u: self.cloud.token(u) for u in ("demo", "alt_demo", "admin")}
        self.pids = {u: self.cloud.project_id(u) for u in ("demo", "alt_demo", "admin")}
        self.checker = TransitionChecker()
        self.owner: dict[str, str] = {}
        """Resource id -> the user whose project owns it."""
        self.seen_data: dict[str, str] = {}
        """Volume id -> content digest at the last quiescent check."""
        self.may_change: set[str] = set()
        """Volumes a write or restore may have changed since the last check."""
        self.expected_from_source: dict[str, tuple[str, str]] = {}
        """New volume id -> (source id, the content the source had when it was requested).

        A write to the source before the copy ran drops the expectation: the copy
        then holds whatever the source held at that moment."""
        self.backup_content: dict[str, tuple[str, int]] = {}
        """Backup id -> (content digest of its volume when backed up, blocks)."""
        self.admin_touched: set[str] = set()
        """Resources an admin reset: exempt from the 'nothing transitional' check."""
        self.timed_out: set[str] = set()
        """Resources named by an RPC call that timed out (its service was down): Cinder
        leaves them where the call found them (a volume stays ``detaching`` after
        Nova's five attachment deletes time out), so they are exempt too."""
        self.delete_timed_out: set[str] = set()
        """Attachments whose ``attachment_delete`` call timed out: cinder-volume may have
        removed the export already while cinder-api, which got MessagingTimeout, left
        the row ``attached`` (``finish_detach`` never ran), as Cinder does."""
        self.export_lingers: set[str] = set()
        """Volumes whose connection call timed out after cinder-volume exported them
        (cinder-backup's initialize/terminate_connection): Cinder leaves the target."""
        self.restoring_later: set[str] = set()
        """New volumes of restores whose client gave up: their data may change later."""
        self._calls: dict[str, dict[str, Any]] = {}
        self.stopped: set[str] = set()
        self.faults_injected = 0
        self.dropped = False
        """A message was lost: Cinder leaves records (and quota, exports) where the lost
        message found them, so from then on only the safety invariants are checked."""
        self._instances = 0
        self._failed = False
        self.leaked_keys: set[str] = set()
        """Keys Cinder leaves in Barbican: a volume without a host deleted at the API."""
        self._encrypted_types: set[str] = set()

    def teardown(self) -> None:
        try:
            if not self._failed:  # one failure, reported once (Hypothesis shrinks each)
                self.settle()
                self.check_all()
        finally:
            self.sim.close()

    # --- plumbing ------------------------------------------------------------------------
    def fail(self, problems: Sequence[str]) -> None:
        self._failed = True
        raise AssertionError("invariants broken:\n  " + "\n  ".join(problems) +
                             "\n\nReplay these steps with:\n\n" + self.log.script())

    wait_bound: ClassVar[float] = 6 * 3600.0
    """Virtual seconds one step may take: a step still running then is a hang, reported
    with its replay (nothing in Cinder waits that long without a timeout of its own)."""

    def run(self, coro: Any) -> Any:
        try:
            return self.sim.run(bounded(coro, self.wait_bound))
        except TimeoutError:
            self.fail([f"a step did not finish within {self.wait_bound / 3600:g} virtual "
                       "hours (a hang)"])
        except (SimulationError, AssertionError) as exc:
            exc.add_note("Replay these steps with:\n\n" + self.log.script())
            raise

    def api(self, method: str, path: str, body: Any = None, *, user: str = "demo",
            headers: dict[str, str] | None = None) -> Response:
        """One REST request; checks invariant 7 (no 5xx; a refusal changes nothing)."""
        r = self.api_or_give_up(method, path, body, user=user, headers=headers)
        assert r is not None
        return r

    def api_or_give_up(self, method: str, path: str, body: Any = None, *, user: str = "demo",
                       headers: dict[str, str] | None = None,
                       patience: float | None = None) -> Response | None:
        """:meth:`api`; with *patience*, a request Cinder may hold without end gets that
        many virtual seconds, then the client gives up (None) and the server goes on."""
        self.log.request(method, path, body, user, headers, patience)
        # Only a quiet cloud can prove a refusal wrote nothing: otherwise the services
        # go on working during the request's own virtual latency.
        before = self.cloud.db.fingerprint() if self.quiescent else None
        sent = self.cloud.request(method, path, json=body, token=self.tokens[user],
                                  headers=headers)
        r: Response | None = self.run(sent if patience is None else at_most(sent, patience))
        if r is None:
            return None
        if r.status >= 500 and ((self.faults_injected == 0 and not self.stopped
                                 and not self._names_a_reset(path, body))
                                or self._api_bugs()):
            # Cinder itself answers 500 when a driver fails under an attachment call
            # ("Unable to create attachment ..."); without an injected fault, or when
            # cinder-api hit an exception it does not map (a simulator bug), it is wrong.
            self.fail([f"{method} {path} answered {r.status}: {r.json}"])
        if 400 <= r.status < 500 and before is not None and \
                self.cloud.db.fingerprint() != before and not self.refusal_may_write(r):
            self.fail([f"{method} {path} was refused ({r.status}) but changed the database"])
        return r

    def _names_a_reset(self, path: str, body: Any) -> bool:
        """Whether the request names a volume an admin reset: a host-less volume reset
        to 'available' sends its attachment call to no consumer (Cinder: to any
        backend, whose export fails), and Cinder answers 500 either way."""
        text = path + repr(body)
        return any(key.split(":", 1)[1] in text for key in self.admin_touched)

    def refusal_may_write(self, r: Response) -> bool:
        """A refusal Cinder answers after writing (subclasses add theirs: group_rules)."""
        return _leaves_a_failed_volume(r) or _key_deletion_refused(r)

    def _api_bugs(self) -> bool:
        return self.cloud.api.errors_5xx > 0

    def instance_uuid(self) -> str:
        """A fresh instance id that does not draw on the simulation's rng (a replay
        passes the literal id, so drawing here would shift every later id)."""
        self._instances += 1
        return f"00000000-0000-4000-8000-{self._instances:012d}"

    def url(self, user: str, rest: str) -> str:
        return f"/v3/{self.pids[user]}{rest}"

    @property
    def quiescent(self) -> bool:
        bus = self.cloud.bus
        return bus.in_flight == 0 and bus.held == 0 and not any(bus.depths().values())

    def volume_content(self, vid: str, nblocks: int | None = None) -> str | None:
        vol = self.cloud.db.volumes.get(vid)
        if vol is None or vol.status not in ("available", "in-use"):
            return None
        try:
            return content_digest(self.cloud.volume_data(vid), nblocks)
        except (KeyError, SimulationError, CinderException):
            return None

    # --- volumes --------------------------------------------------------------------------
    @rule(target=volumes, size=st.integers(1, 3), user=st.sampled_from(users))
    def create_volume(self, size: int, user: str) -> Any:
        return self._create_blank(user, {"size": size})

    def _create_blank(self, user: str, volume: dict[str, Any]) -> Any:
        """POST /volumes of a new blank volume: its id (owned by *user*, all zeros
        expected), or no bundle entry when the API refused it."""
        r = self.api("POST", self.url(user, "/volumes"), {"volume": volume}, user=user)
        if r.status != 202:
            return multiple()
        vid = r.json["volume"]["id"]
        self.owner[vid] = user
        self.expected_from_source[vid] = ("", content_digest(BlockData(0)))
        return vid

    @rule(target=volumes, user=st.sampled_from(users),
          provider=st.sampled_from(["luks", "luks2", "plain"]))
    def create_encrypted_volume(self, user: str, provider: str) -> Any:
        """A volume of an encrypted type (made by the admin on first use): its own key."""
        name = f"enc-{provider}"
        if name not in self._encrypted_types:
            self._encrypted_types.add(name)
            r = self.api("POST", self.url("admin", "/types"),
                         {"volume_type": {"name": name}}, user="admin")
            if r.status == 200:
                self.api("POST", self.url("admin", f"/types/{r.json['volume_type']['id']}"
                                                   "/encryption"),
                         {"encryption": {"provider": provider, "cipher": "aes-xts-plain64",
                                         "key_size": 256, "control_location": "front-end"}},
                         user="admin")
        return self._create_blank(user, {"size": 1, "volume_type": name})

    @rule(target=volumes, source=volumes, extra=st.integers(0, 1))
    def clone_volume(self, source: str, extra: int) -> Any:
        user = self.owner[source]
        src = self.cloud.db.volumes.get(source)
        size = (src.size if src else 1) + extra
        expected = self.volume_content(source)
        r = self.api("POST", self.url(user, "/volumes"),
                     {"volume": {"size": size, "source_volid": source}}, user=user)
        if r.status != 202:
            return multiple()
        vid = r.json["volume"]["id"]
        self.owner[vid] = user
        if expected is not None and not (src is not None and src.encryption_key_id):
            # An encrypted clone is re-keyed: its LUKS header (and, for a never-written
            # source, the whole LV: luksFormat) differs from the source's by design.
            self.expected_from_source[vid] = (source, expected)
        return vid

    @rule(target=volumes, snap=snapshots)
    def volume_from_snapshot(self, snap: str) -> Any:
        user = self.owner[snap]
        s = self.cloud.db.snapshots.get(snap)
        expected = None
        if s is not None and s.status == "available":
            try:
                expected = content_digest(self.cloud.snapshot_data(snap))
            except (KeyError, SimulationError):
                expected = None
        r = self.api("POST", self.url(user, "/volumes"), {"volume": {"snapshot_id": snap}},
                     user=user)
        if r.status != 202:
            return multiple()
        vid = r.json["volume"]["id"]
        self.owner[vid] = user
        if expected is not None:
            self.expected_from_source[vid] = (snap, expected)
        return vid

    @rule(target=volumes, bid=backups)
    def volume_from_backup(self, bid: str) -> Any:
        """POST /volumes with backup_id (3.47): the new volume holds the backup's data."""
        user = self.owner[bid]
        r = self.api("POST", self.url(user, "/volumes"), {"volume": {"backup_id": bid}},
                     user=user, headers=V347)
        if r.status != 202:
            return multiple()
        vid = r.json["volume"]["id"]
        self.owner[vid] = user
        if bid in self.backup_content:
            self.expected_from_source[vid] = (bid, self.backup_content[bid][0])
        return vid

    @rule(vid=volumes)
    def transfer_volume(self, vid: str) -> None:
        """The owner offers the volume, the other project accepts it with the auth_key."""
        user = self.owner[vid]
        other = next(u for u in self.users if u != user)
        r = self.api("POST", self.url(user, "/os-volume-transfer"),
                     {"transfer": {"volume_id": vid}}, user=user)
        if r.status != 202:
            return
        tid, key = r.json["transfer"]["id"], r.json["transfer"]["auth_key"]
        r = self.api("POST", self.url(other, f"/os-volume-transfer/{tid}/accept"),
                     {"accept": {"auth_key": key}}, user=other)
        if r.status == 202:
            self.owner[vid] = other
            for snap in self.cloud.db.snapshots_of(vid):
                self.owner[snap.id] = other
        else:
            self.api("DELETE", self.url(user, f"/os-volume-transfer/{tid}"), user=user)

    @rule(vid=volumes, how=st.sampled_from(["normal", "cascade", "force"]))
    def delete_volume(self, vid: str, how: str) -> None:
        user = self.owner[vid]
        vol = self.cloud.db.volumes.get(vid)
        if vol is not None and vol.host is None and vol.encryption_key_id:
            self.leaked_keys.add(vol.encryption_key_id)  # Cinder's own leak (see (9))
        if how == "force" and not self.quiescent:
            # An admin's force-delete skips the status check, so it races whatever a
            # service is doing to the volume (as in Cinder); keep it to a quiet cloud.
            return
        if how == "force":
            self.api("DELETE", self.url("admin", f"/volumes/{vid}?force=true"), user="admin",
                     headers={"OpenStack-API-Version": "volume 3.23"})
        else:
            query = "?cascade=true" if how == "cascade" else ""
            self.api("DELETE", self.url(user, f"/volumes/{vid}{query}"), user=user)

    @rule(vid=volumes, grow=st.integers(1, 2))
    def extend_volume(self, vid: str, grow: int) -> None:
        user = self.owner[vid]
        vol = self.cloud.db.volumes.get(vid)
        new_size = (vol.size if vol else 1) + grow
        self.api("POST", self.url(user, f"/volumes/{vid}/action"),
                 {"os-extend": {"new_size": new_size}}, user=user)

    @rule(vid=volumes, status=st.sampled_from(["available", "error"]))
    def reset_status(self, vid: str, status: str) -> None:
        vol = self.cloud.db.volumes.get(vid)
        if (vol is not None and self.cloud.db.attachments_of(vid)) or not self.quiescent:
            # Resetting an attached volume, or one a service is working on, is an
            # admin's foot-gun (Cinder's managers overwrite it), not an invariant.
            return
        r = self.api("POST", self.url("admin", f"/volumes/{vid}/action"),
                     {"os-reset_status": {"status": status}}, user="admin")
        if r.status == 202:
            self.admin_touched.add(f"volume:{vid}")

    # --- snapshots ------------------------------------------------------------------------
    @rule(target=snapshots, vid=volumes, force=st.booleans())
    def create_snapshot(self, vid: str, force: bool) -> Any:
        user = self.owner[vid]
        r = self.api("POST", self.url(user, "/snapshots"),
                     {"snapshot": {"volume_id": vid, "force": force}}, user=user)
        if r.status != 202:
            return multiple()
        sid = r.json["snapshot"]["id"]
        self.owner[sid] = user
        return sid

    @rule(sid=consumes(snapshots))
    def delete_snapshot(self, sid: str) -> None:
        user = self.owner[sid]
        self.api("DELETE", self.url(user, f"/snapshots/{sid}"), user=user)

    # --- attachments and guest writes -----------------------------------------------------
    @rule(target=attachments, vid=volumes)
    def attach(self, vid: str) -> Any:
        user = self.owner[vid]
        r = self.api("POST", self.url(user, "/attachments"),
                     {"attachment": {"volume_uuid": vid, "instance_uuid": self.instance_uuid(),
                                     "connector": dict(self.connector)}}, user=user,
                     headers=V344)
        if r.status != 200:
            return multiple()
        aid = r.json["attachment"]["id"]
        self.owner[aid] = user
        self.api("POST", self.url(user, f"/attachments/{aid}/action"), {"os-complete": {}},
                 user=user, headers=V344)
        return aid

    @rule(aid=consumes(attachments))
    def detach(self, aid: str) -> None:
        user = self.owner[aid]
        self.api("DELETE", self.url(user, f"/attachments/{aid}"), user=user, headers=V344)

    @rule(aid=attachments, first=st.integers(0, BLOCKS_PER_GIB - 64), count=st.integers(1, 64),
          tag=st.sampled_from(["a", "b", "c"]))
    def guest_write(self, aid: str, first: int, count: int, tag: str) -> None:
        """The guest behind an attachment writes blocks (simulator-side: no API)."""
        att = self.cloud.db.attachments.get(aid)
        if att is None or att.attach_status != "attached":
            return
        vol = self.cloud.db.volumes.get(att.volume_id)
        if vol is None or vol.status != "in-use":
            return
        self.log.code(f"cloud.volume_data({vol.id!r}).write({first}, {count}, {tag!r})")
        self.may_change.add(vol.id)
        # A full thin pool fails the write (dm-thin's ENOSPC): a legal outcome.
        with contextlib.suppress(OSError):
            self.cloud.volume_data(vol.id).write(first, count, tag)
        for new_vid, (source, _) in list(self.expected_from_source.items()):
            if source == vol.id:
                del self.expected_from_source[new_vid]

    # --- servers (Nova) ---------------------------------------------------------------------
    @rule(target=servers, user=st.sampled_from(users),
          root=st.one_of(st.none(), volumes))
    def boot_server(self, user: str, root: str | None) -> Any:
        """Boot from the cirros image (an ephemeral disk) or from a volume (which must be
        bootable, and outlives the server)."""
        server: dict[str, Any] = {"name": "vm", "flavorRef": "1"}
        if root is not None:
            if self.owner.get(root) != user:
                return multiple()
            server["block_device_mapping_v2"] = [{
                "boot_index": 0, "uuid": root, "source_type": "volume",
                "destination_type": "volume", "delete_on_termination": False}]
        else:
            image = self.cloud.glance.find("cirros-0.6.2", None, admin=True)
            server["imageRef"] = image.id if image is not None else "cirros-0.6.2"
        r = self.api("POST", "/compute/v2.1/servers", {"server": server}, user=user)
        if r.status != 202:
            return multiple()
        sid = r.json["server"]["id"]
        self.owner[sid] = user
        return sid

    @rule(sid=consumes(servers))
    def delete_server(self, sid: str) -> None:
        self.api("DELETE", f"/compute/v2.1/servers/{sid}", user=self.owner[sid])

    @rule(sid=servers, vid=volumes)
    def attach_to_server(self, sid: str, vid: str) -> None:
        """Nova's attach flow: reserve, connector, export, iSCSI login, /dev/vdX, complete."""
        user = self.owner[sid]
        if self.owner.get(vid) != user:
            return
        self.api("POST", f"/compute/v2.1/servers/{sid}/os-volume_attachments",
                 {"volumeAttachment": {"volumeId": vid}}, user=user)

    @rule(sid=servers, vid=volumes)
    def detach_from_server(self, sid: str, vid: str) -> None:
        user = self.owner[sid]
        if self.owner.get(vid) != user:
            return
        self.api("DELETE", f"/compute/v2.1/servers/{sid}/os-volume_attachments/{vid}",
                 user=user)

    # --- backups ----------------------------------------------------------------------------
    @rule(target=backups, vid=volumes, incremental=st.booleans(), force=st.booleans())
    def create_backup(self, vid: str, incremental: bool, force: bool) -> Any:
        """Settles afterwards, so the backup reads the content recorded here."""
        user = self.owner[vid]
        vol = self.cloud.db.volumes.get(vid)
        content = self.volume_content(vid)
        r = self.api("POST", self.url(user, "/backups"),
                     {"backup": {"volume_id": vid, "incremental": incremental,
                                 "force": force}}, user=user)
        if r.status != 202:
            return multiple()
        bid = r.json["backup"]["id"]
        self.owner[bid] = user
        if content is not None and vol is not None:
            self.backup_content[bid] = (content, vol.size * BLOCKS_PER_GIB)
        self.settle()
        return bid

    @rule(bid=backups, target_vid=st.one_of(st.none(), volumes))
    def restore_backup(self, bid: str, target_vid: str | None) -> None:
        user = self.owner[bid]
        body: dict[str, Any] = {"restore": {}}
        if target_vid is not None:
            if self.owner.get(target_vid) != user:
                return
            body["restore"]["volume_id"] = target_vid
        # Restoring into a new volume, Cinder's backup API polls it while 'creating',
        # without end when cinder-scheduler or cinder-volume is down (an expected Cinder
        # outcome, not a hang of the simulator): the client gives up after an hour.
        r = self.api_or_give_up("POST", self.url(user, f"/backups/{bid}/restore"), body,
                                user=user, patience=None if target_vid else 3600.0)
        if r is None:
            name = f"restore_backup_{bid}"
            for new in self.cloud.db.volumes.values():
                if new.display_name == name and new.id not in self.owner:
                    self.owner[new.id] = user
                    self.restoring_later.add(new.id)
            return
        if r.status != 202:
            return
        vid = r.json["restore"]["volume_id"]
        self.owner[vid] = user
        self.may_change.add(vid)
        self.settle()
        expected = self.backup_content.get(bid)
        vol = self.cloud.db.volumes.get(vid)
        if expected is None or vol is None or vol.status != "available" or \
                vol.metadata.get("src_backup_id") != bid:
            return
        got = self.volume_content(vid, expected[1])
        if got != expected[0]:
            self.fail([f"restore of backup {bid[:8]} into {vid[:8]} does not reproduce the "
                       "data backed up"])

    @rule(bid=backups)
    def delete_backup(self, bid: str) -> None:
        user = self.owner[bid]
        self.api("DELETE", self.url(user, f"/backups/{bid}"), user=user)

    # --- what-ifs -----------------------------------------------------------------------------
    @rule(op=st.sampled_from(["create_volume", "create_snapshot", "extend_volume",
                              "create_export", "delete_volume", "backup", "restore"]),
          backend=st.sampled_from(["cinder-1@thin-1", "cinder-2@thick-1"]))
    def inject_driver_fault(self, op: str, backend: str) -> None:
        rule_backend = None if op in {"backup", "restore"} else backend
        self.log.code(f"cloud.inject(FaultRule(op={op!r}, backend={rule_backend!r}))")
        self.cloud.inject(FaultRule(op=op, backend=rule_backend))
        self.faults_injected += 1

    @rule(action=st.sampled_from(["duplicate", "duplicate", "delay", "drop"]),
          method=st.sampled_from(BUS_METHODS), times=st.integers(1, 3))
    def inject_bus_fault(self, action: str, method: str, times: int) -> None:
        """AMQP's at-least-once delivery (duplicates), a slow broker (30 s late) and,
        rarer, a lost message."""
        delay = 30.0 if action == "delay" else 0.0
        self.log.code(f"cloud.bus.faults.append(MessageFault(action={action!r}, "
                      f"method={method!r}, times={times}, delay={delay}))")
        self.cloud.bus.faults.append(MessageFault(action=action,  # type: ignore[arg-type]
                                                  method=method, times=times, delay=delay))
        self.faults_injected += 1

    @rule(service=st.sampled_from(["scheduler", "cinder-1@thin-1", "cinder-2@thick-1",
                                   "backup"]))
    def toggle_service(self, service: str) -> None:
        svc: Any = (self.cloud.scheduler if service == "scheduler" else
                    self.cloud.backup if service == "backup" else
                    self.cloud.volume_services[service])
        expr = ("cloud.scheduler" if service == "scheduler" else "cloud.backup"
                if service == "backup" else f"cloud.volume_services[{service!r}]")
        if service in self.stopped:
            self.stopped.discard(service)
            self.log.code(f"{expr}.start()")
            self.run(_start(svc))
        else:
            self.stopped.add(service)
            self.log.code(f"{expr}.stop()")
            svc.stop()

    @rule(seconds=st.sampled_from([1.0, 30.0, 600.0]))
    def advance(self, seconds: float) -> None:
        self.log.code(f"await cloud.advance({seconds})")
        self.run(self.cloud.advance(seconds))

    @rule()
    def settle(self) -> None:
        self.log.code("await cloud.settle()")
        self.run(self.cloud.settle())

    @precondition(lambda self: bool(self.stopped))
    @rule()
    def restart_everything(self) -> None:
        for service in sorted(self.stopped):
            self.toggle_service(service)

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def check_all(self) -> None:
        new_events = self.sim.trace.events[self.checker.seen:]
        self._note_timeouts(new_events)
        problems = self.checker.feed(new_events)
        problems += [f"a service crashed: {e.summary}" for e in new_events
                     if e.kind == "bus.error" and not _is_cinder_error(e.detail.get("error"))]
        if self.quiescent:
            problems += capacity_agrees(self.cloud)
            problems += records_have_storage(self.cloud, allowed=self.admin_touched)
            if not self.dropped:
                problems += exports_match_attachments(self.cloud,
                                                      unexported=self.delete_timed_out,
                                                      lingering=self.export_lingers)
                problems += quota_matches_existence(self.cloud)
                problems += nothing_transitional(self.cloud,
                                                 allowed=self.admin_touched | self.timed_out)
            problems += self._data_unchanged()
            problems += encryption_keys_owned(self.cloud, leaked=self.leaked_keys)
        for check in self.extra_invariants:
            problems += check(self.cloud)
        if problems:
            self.fail(problems)

    def _note_timeouts(self, events: Sequence[TraceEvent]) -> None:
        for e in events:
            if e.kind == "bus.fault" and e.detail.get("action") == "drop":
                self.dropped = True
            elif e.kind == "bus.fault" and e.detail.get("action") == "duplicate" and \
                    e.detail.get("msg_kind") == "call":
                # Both copies of a call run; the caller takes the first reply, and one
                # copy's error fails it while the other's work stays (as on a timeout).
                self._exempt(e.detail.get("method"), self._calls.get(str(e.detail["msg"]), {}))
            elif e.kind == "bus.send" and (e.detail.get("msg_kind") == "call" or
                                           e.detail.get("method") == "get_backup_device"):
                self._calls[str(e.detail.get("msg"))] = dict(e.detail.get("args") or {})
            elif e.kind == "bus.error" and e.detail.get("method") == "get_backup_device":
                # A driver failure there leaves the backup 'creating' and its volume
                # 'backing-up': nothing calls continue_backup back, as in Cinder.
                backup = self.cloud.db.backups.get(
                    str(self._calls.get(str(e.detail["msg"]), {}).get("backup_id")))
                if backup is not None:
                    self._exempt(None, {"backup_id": backup.id, "volume_id": backup.volume_id,
                                        "snapshot_id": backup.snapshot_id})
            elif e.kind == "bus.timeout":
                self._exempt(e.detail.get("method"), self._calls.pop(str(e.detail["msg"]), {}))

    def _exempt(self, method: Any, args: Mapping[str, Any]) -> None:
        """A call whose caller failed (timed out, or a duplicate's error came first)."""
        for key, kind in (("volume_id", "volume"), ("snapshot_id", "snapshot"),
                          ("backup_id", "backup")):
            if args.get(key):
                self.timed_out.add(f"{kind}:{args[key]}")
        if method == "attachment_delete":
            self.delete_timed_out.add(str(args.get("attachment_id")))
        elif method in ("initialize_connection", "terminate_connection", "remove_export",
                        "attachment_update"):
            self.export_lingers.add(str(args.get("volume_id")))

    def _data_unchanged(self) -> list[str]:
        """(6) Data changes only by a guest write or a restore; new volumes hold their
        source's content."""
        problems: list[str] = []
        for vid in list(self.cloud.db.volumes):
            got = self.volume_content(vid)
            if got is None or vid in self.restoring_later:
                continue
            if vid in self.expected_from_source:
                want = self.expected_from_source.pop(vid)[1]
                if got != want and vid not in self.may_change:
                    problems.append(f"volume {vid[:8]} does not hold its source's data")
            elif vid in self.seen_data and self.seen_data[vid] != got and \
                    vid not in self.may_change:
                problems.append(f"volume {vid[:8]}'s data changed without a write or restore")
            self.seen_data[vid] = got
            self.may_change.discard(vid)  # a write to an unreadable volume is kept
        return problems


async def _start(svc: Any) -> None:
    svc.start()
