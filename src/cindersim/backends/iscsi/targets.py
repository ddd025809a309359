"""iSCSI targets (tgtadm / lioadm) and the initiator side (os-brick / iscsiadm).

A cinder-volume backend that uses LVM exports each attached volume through an
iSCSI *target helper* on its own host; the compute host logs in with
``iscsiadm`` and gets a SCSI disk.  This module models both ends:

* :class:`TargetHost` is the target side of one cinder-volume backend, with the
  ``tgtadm`` (tgtd, the default ``target_helper``) or ``lioadm`` (LIO, through
  ``cinder-rtstool``) flavour.  Its methods are the calls Cinder's target
  classes (``cinder/volume/targets/iscsi.py``, ``tgt.py``, ``lio.py``) make:
  ``create_export``, ``ensure_export``, ``remove_export``,
  ``initialize_connection``, ``terminate_connection``, ``validate_connector``,
  ``extend_target``.
* :class:`IscsiInitiator` is the initiator of one compute host: ``login`` /
  ``logout`` (``iscsiadm --login`` / ``--logout``) and the os-brick-like
  ``connect_volume`` / ``disconnect_volume`` that return the device.
* :class:`IscsiNetwork` connects them: targets listen on portals
  (``ip:port``), initiators reach a target host through its portal.

Facts carried from the real code (details in each method):

* IQN = ``target_prefix + volume.name`` (``iqn.2010-10.org.openstack:volume-<id>``).
* ``provider_location`` = ``"<ip>:<port>,<tid> <iqn> <lun>"``.  tgt's tid is the
  number from ``tgt-admin --show``; ``tgt-admin --update`` gives a new target
  ``max(existing tids) + 1`` (freed low tids are not reused while a higher one
  exists).  LIO has no numeric tid: Cinder puts the line from
  ``cinder-rtstool get-targets`` there, which is the IQN itself.
* LUN 1 on tgt (LUN 0 is the tgt controller), LUN 0 on LIO.
* CHAP is always generated (20-char user, 16-char password) unless the volume
  already has ``provider_auth``.  tgt puts it on the target (``incominguser``)
  and binds the target to ALL initiators (tgt-admin adds ``-I ALL`` when the
  config has no ``initiator-address``), so any initiator with the right CHAP
  gets in.  LIO's TPG has ``authentication=1`` and no demo mode, so only an
  initiator with a NodeACL (added by ``initialize_connection``) can log in, with
  the CHAP credentials stored in that ACL.
* Removal: ``tgt-admin --force --delete <iqn>`` unbinds the ACLs, deletes every
  connection and then the target, so live sessions are dropped;
  ``cinder-rtstool delete`` deletes the LIO target, which tears its sessions
  down too.  Deleting a LIO NodeACL (``terminate_connection``) also ends that
  initiator's sessions.

Everything here is synchronous: state changes at once and each command that
would run charges the :class:`~cindersim.backends.costs.Meter` exactly once.
Calls that run no command (tgt's ``terminate_connection``,
``validate_connector``) charge nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ... import errors
from ..costs import Meter

__all__ = [
    "DEFAULT_PASSWORD_SYMBOLS",
    "DEFAULT_TARGET_PREFIX",
    "ChapCredentials",
    "IscsiInitiator",
    "IscsiNetwork",
    "NodeACL",
    "Session",
    "Target",
    "TargetHelper",
    "TargetHost",
    "by_path",
    "generate_password",
    "generate_username",
    "parse_provider_location",
    "scsi_disk_name",
]

TargetHelper = Literal["tgtadm", "lioadm"]
"""The two target helpers modelled (``target_helper`` option)."""

DEFAULT_TARGET_PREFIX = "iqn.2010-10.org.openstack:"
"""``target_prefix`` default (cinder/volume/driver.py)."""

DEFAULT_PASSWORD_SYMBOLS: tuple[str, str, str] = (
    "23456789",  # no 0 or 1
    "ABCDEFGHJKLMNPQRSTUVWXYZ",  # no I or O
    "abcdefghijkmnopqrstuvwxyz",  # no l
)
"""Cinder's password alphabet (volume_utils.py): visually confusable characters removed."""

# iscsiadm exit codes (open-iscsi include/iscsi_err.h) that os-brick sees.
_ISCSI_ERR_TRANS_TIMEOUT = 8
"""Connection timed out: nothing listens on that portal."""
_ISCSI_ERR_LOGIN = 19
"""Non-retryable login failure, e.g. the target answered "target not found"."""
_ISCSI_ERR_NO_OBJS_FOUND = 21
"""No matching session: os-brick accepts it on logout."""
_ISCSI_ERR_LOGIN_AUTH_FAILED = 24
"""Authorization failure: wrong CHAP, or LIO refused an initiator without an ACL."""
_AUTH_FAILED = "iSCSI login failed due to authorization failure"


# --- CHAP ---------------------------------------------------------------------
def generate_password(rng: random.Random, length: int = 16,
                      symbolgroups: tuple[str, ...] = DEFAULT_PASSWORD_SYMBOLS) -> str:
    """Cinder's ``generate_password`` with the simulation's rng instead of ``os.urandom``.

    Real algorithm (volume_utils.py): one character from each group, shuffle,
    truncate to *length*, fill up with characters from all groups, shuffle again.
    So every group is represented whenever ``length >= len(symbolgroups)``.
    """
    password = [rng.choice(group) for group in symbolgroups]
    rng.shuffle(password)
    password = password[:length]
    symbols = "".join(symbolgroups)
    password.extend(rng.choice(symbols) for _ in range(length - len(password)))
    rng.shuffle(password)
    return "".join(password)


def generate_username(rng: random.Random, length: int = 20,
                      symbolgroups: tuple[str, ...] = DEFAULT_PASSWORD_SYMBOLS) -> str:
    """Cinder's ``generate_username``: a password of 20 characters."""
    return generate_password(rng, length, symbolgroups)


@attrs.frozen
class ChapCredentials:
    """One CHAP user/secret pair (``incominguser`` on tgt, a NodeACL's on LIO)."""

    username: str
    password: str

    @property
    def provider_auth(self) -> str:
        """The volume's ``provider_auth`` column: ``"CHAP <user> <pass>"``."""
        return f"CHAP {self.username} {self.password}"

    @classmethod
    def from_provider_auth(cls, provider_auth: str) -> ChapCredentials:
        """Parse ``provider_auth`` as ``_get_target_chap_auth`` does (``split(' ', 3)[1:]``)."""
        parts = provider_auth.split(" ", 3)
        if len(parts) != 3:
            raise ValueError(f"provider_auth {provider_auth!r} is not 'CHAP <user> <pass>'")
        return cls(parts[1], parts[2])


# --- locations and device names ------------------------------------------------
def parse_provider_location(location: str) -> tuple[list[str], str, int]:
    """Split ``provider_location`` as ``_get_iscsi_properties`` does.

    Returns ``(portals, iqn, lun)``: portals are field 0 cut at ``,`` and split
    on ``;``; the IQN is field 1; the LUN is ``int(field 2)``, or 0 when it is
    missing or not a number.
    """
    fields = location.split(" ")
    if len(fields) < 2:
        raise ValueError(f"provider_location {location!r} has no IQN")
    portals = fields[0].split(",")[0].split(";")
    try:
        lun = int(fields[2])
    except (IndexError, ValueError):
        lun = 0
    return portals, fields[1], lun


def by_path(portal: str, iqn: str, lun: int) -> str:
    """The udev symlink os-brick waits for (``_get_device_path``)."""
    return f"/dev/disk/by-path/ip-{portal}-iscsi-{iqn}-lun-{lun}"


def scsi_disk_name(index: int) -> str:
    """Linux ``sd_format_disk_name``: 0 → ``sda``, 25 → ``sdz``, 26 → ``sdaa``, ..."""
    if index < 0:
        raise ValueError("disk index must be >= 0")
    letters = ""
    n = index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return "sd" + letters


# --- target state ---------------------------------------------------------------
@attrs.frozen
class NodeACL:
    """A LIO per-initiator ACL: the initiator's CHAP pair and its mapped LUN (always 0)."""

    initiator: str
    chap: ChapCredentials
    mapped_lun: int = 0


@attrs.frozen
class Session:
    """One logged-in iSCSI session, seen from both ends.

    ``sid`` is the initiator host's session number (``iscsiadm -m session``
    shows it in brackets); ``host`` + ``sid`` identify the session.  The disk
    the session exposes is ``device`` (``/dev/sdX``) and ``path`` (the
    by-path link).
    """

    host: str
    sid: int
    initiator: str
    iqn: str
    portal: str
    lun: int
    device: str
    scsi_wwn: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.host, self.sid)

    @property
    def path(self) -> str:
        return by_path(self.portal, self.iqn, self.lun)


@attrs.define(kw_only=True)
class Target:
    """One exported volume on a :class:`TargetHost` (mutable: sessions and ACLs change).

    Attributes:
        iqn: ``target_prefix + volume_name``.
        tid: the token Cinder writes into ``provider_location`` after the
            portal: tgt's target number as text, or LIO's IQN.
        lun: 1 on tgt, 0 on LIO.
        chap: tgt's ``incominguser`` (None if the target was created without
            CHAP, which ``ensure_export`` does when the volume has no
            ``provider_auth``); on LIO the CHAP pair Cinder passed to
            ``rtstool create``, which only matters through the ACLs.
        acls: LIO NodeACLs by initiator name (always empty on tgt).
        sessions: live sessions by ``(host, sid)``.
    """

    iqn: str
    tid: str
    lun: int
    volume_id: str
    volume_name: str
    device_path: str
    chap: ChapCredentials | None
    portals: tuple[str, ...]
    scsi_wwn: str
    acls: dict[str, NodeACL] = attrs.field(factory=dict)
    sessions: dict[tuple[str, int], Session] = attrs.field(factory=dict)

    @property
    def provider_location(self) -> str:
        """``"<ip>:<port>[;<ip2>:<port>],<tid> <iqn> <lun>"`` (``_iscsi_location``)."""
        return f"{';'.join(self.portals)},{self.tid} {self.iqn} {self.lun}"

    def acl_for(self, initiator: str) -> NodeACL | None:
        """LIO matches ACLs case-insensitively (``node_wwn.lower()`` in rtstool)."""
        wanted = initiator.lower()
        for name, acl in self.acls.items():
            if name.lower() == wanted:
                return acl
        return None


@attrs.frozen
class _TargetConfig:
    """What survives a target daemon restart: tgt's ``volumes_dir`` file, LIO's saveconfig."""

    iqn: str
    volume_id: str
    volume_name: str
    device_path: str
    chap: ChapCredentials | None
    scsi_wwn: str
    tid: str = ""
    acls: tuple[NodeACL, ...] = ()


def _sanitize_host(ip: str) -> str:
    """IPv6 addresses are bracketed in portals (``volume_utils.sanitize_host``)."""
    return f"[{ip}]" if ":" in ip and not ip.startswith("[") else ip


# --- the network ------------------------------------------------------------------
class IscsiNetwork:
    """Which target host listens on which portal (``ip:port``).

    A :class:`TargetHost` registers its portals here; an
    :class:`IscsiInitiator` finds the target host behind a portal.  A portal
    nobody listens on behaves like an unreachable address: the login times out.
    """

    __slots__ = ("_hosts",)

    def __init__(self) -> None:
        self._hosts: dict[str, TargetHost] = {}

    def listen(self, portal: str, host: TargetHost) -> None:
        other = self._hosts.get(portal)
        if other is not None and other is not host:
            raise errors.SimulationError(f"portal {portal} is already served by {other.name}")
        self._hosts[portal] = host

    def unlisten(self, portal: str) -> None:
        self._hosts.pop(portal, None)

    def host_at(self, portal: str) -> TargetHost | None:
        return self._hosts.get(portal)

    def portals(self) -> list[str]:
        return list(self._hosts)


# --- the target side ----------------------------------------------------------------
class TargetHost:
    """The iSCSI target helper of one cinder-volume backend.

    Args:
        helper: ``"tgtadm"`` (tgtd) or ``"lioadm"`` (LIO via cinder-rtstool).
        target_ip_address: ``target_ip_address`` (``$my_ip``).
        target_port: ``target_port`` (3260).
        target_prefix: ``target_prefix``.
        rng: the simulation's rng, for CHAP credentials and LIO unit serials.
        meter: charged once per command.
        secondary_ip_addresses: ``target_secondary_ip_addresses``; they add
            portals to ``provider_location`` and make ``initialize_connection``
            return the plural keys.
        network: where the portals are registered so initiators can log in.
        name: a label for errors and traces (defaults to the first portal).
        target_protocol: ``iscsi`` or ``iser``; only echoed as
            ``driver_volume_type``.
    """

    def __init__(self, helper: TargetHelper, target_ip_address: str, *,
                 target_port: int = 3260, target_prefix: str = DEFAULT_TARGET_PREFIX,
                 rng: random.Random, meter: Meter,
                 secondary_ip_addresses: tuple[str, ...] = (),
                 network: IscsiNetwork | None = None, name: str | None = None,
                 target_protocol: str = "iscsi") -> None:
        if helper not in ("tgtadm", "lioadm"):
            raise ValueError(f"unsupported target helper {helper!r}")
        self.helper: TargetHelper = helper
        self.target_ip_address = target_ip_address
        self.target_port = target_port
        self.target_prefix = target_prefix
        self.target_protocol = target_protocol
        self._rng = rng
        self.meter = meter
        self.portals: tuple[str, ...] = tuple(
            f"{_sanitize_host(ip)}:{target_port}"
            for ip in (target_ip_address, *secondary_ip_addresses))
        self.name = name or self.portals[0]
        self._targets: dict[str, Target] = {}
        self._persisted: dict[str, _TargetConfig] = {}
        """tgt: ``volumes_dir/<volume_name>`` files; LIO: the last ``rtstool save``."""
        self._network = network
        if network is not None:
            for portal in self.portals:
                network.listen(portal, self)

    # --- naming --------------------------------------------------------------
    @property
    def component(self) -> str:
        """Trace component: the helper name (``tgtadm`` / ``lioadm``)."""
        return self.helper

    @property
    def lun(self) -> int:
        """tgt: LUN 0 is the controller, the volume is LUN 1.  LIO: LUN 0."""
        return 1 if self.helper == "tgtadm" else 0

    def iqn_for(self, volume_name: str) -> str:
        return f"{self.target_prefix}{volume_name}"

    # --- queries ---------------------------------------------------------------
    def targets(self) -> list[Target]:
        """Live targets in creation order."""
        return list(self._targets.values())

    def target(self, iqn: str) -> Target | None:
        return self._targets.get(iqn)

    def target_for(self, volume_id: str) -> Target | None:
        """The live target exporting *volume_id*, if any."""
        for target in self._targets.values():
            if target.volume_id == volume_id:
                return target
        return None

    def sessions(self, iqn: str | None = None) -> list[Session]:
        """Live sessions of one target (by IQN) or of every target."""
        if iqn is not None:
            target = self._targets.get(iqn)
            return list(target.sessions.values()) if target is not None else []
        return [s for t in self._targets.values() for s in t.sessions.values()]

    def session_alive(self, session: Session) -> bool:
        target = self._targets.get(session.iqn)
        return target is not None and session.key in target.sessions

    def persisted(self) -> list[str]:
        """IQNs whose configuration would survive a restart (volumes_dir files / saveconfig)."""
        return list(self._persisted)

    # --- internals -------------------------------------------------------------
    def _next_tid(self) -> int:
        """``tgt-admin --update``: ``find_max_tid() + 1`` over the live targets."""
        return max((int(t.tid) for t in self._targets.values()), default=0) + 1

    def _wwn(self) -> str:
        """A SCSI WWN for the LUN (model, **unconfirmed** format).

        LIO reports NAA ``6001405`` + the storage object's random unit serial;
        tgt derives its id from the target and LUN.  Only its stability per
        target matters to the simulator.
        """
        return "36001405" + f"{self._rng.getrandbits(100):025x}"

    def _add_target(self, cfg: _TargetConfig, tid: str) -> Target:
        target = Target(iqn=cfg.iqn, tid=tid, lun=self.lun, volume_id=cfg.volume_id,
                        volume_name=cfg.volume_name, device_path=cfg.device_path,
                        chap=cfg.chap, portals=self.portals, scsi_wwn=cfg.scsi_wwn,
                        acls={a.initiator: a for a in cfg.acls})
        self._targets[cfg.iqn] = target
        return target

    def _lio_save(self) -> None:
        """``cinder-rtstool save``: the whole live configuration replaces the saved one."""
        self._persisted = {
            t.iqn: _TargetConfig(iqn=t.iqn, volume_id=t.volume_id, volume_name=t.volume_name,
                                 device_path=t.device_path, chap=t.chap, scsi_wwn=t.scsi_wwn,
                                 tid=t.tid, acls=tuple(t.acls.values()))
            for t in self._targets.values()}

    def _tgt_update(self, cfg: _TargetConfig) -> tuple[Target, str]:
        """``tgt-admin --update <iqn>`` after writing the volumes_dir file.

        New target: tid ``max + 1``.  Existing target without sessions: deleted
        and re-added from the file with the same tid.  Existing target with
        sessions (and no ``--force``): "in use, it won't be updated", so the
        old settings stay in force.
        """
        self._persisted[cfg.iqn] = cfg
        existing = self._targets.get(cfg.iqn)
        if existing is None:
            return self._add_target(cfg, str(self._next_tid())), "created"
        if existing.sessions:
            return existing, "in use, not updated"
        return self._add_target(cfg, existing.tid), "re-created"

    # --- Cinder's target calls ----------------------------------------------------
    def create_export(self, volume_id: str, volume_name: str, device_path: str,
                      provider_auth: str | None = None) -> dict[str, str]:
        """``ISCSITarget.create_export``: export the LV, return ``location`` and ``auth``.

        CHAP: reused from *provider_auth* (the DB column) when set, else
        freshly generated from the rng (username 20, password 16 characters).
        """
        iqn = self.iqn_for(volume_name)
        if provider_auth:
            chap = ChapCredentials.from_provider_auth(provider_auth)
        else:
            chap = ChapCredentials(generate_username(self._rng), generate_password(self._rng))
        if self.helper == "tgtadm":
            old = self._targets.get(iqn)
            wwn = old.scsi_wwn if old is not None else self._wwn()
            cfg = _TargetConfig(iqn=iqn, volume_id=volume_id, volume_name=volume_name,
                                device_path=device_path, chap=chap, scsi_wwn=wwn)
            target, outcome = self._tgt_update(cfg)
            self.meter.charge(self.component, "tgt-admin --update", self.meter.costs.target_create,
                              f"target {target.tid} {iqn} {outcome}", iqn=iqn, tid=target.tid,
                              volume_id=volume_id, outcome=outcome)
        else:
            target_or_none = self._targets.get(iqn)
            if target_or_none is None:
                cfg = _TargetConfig(iqn=iqn, volume_id=volume_id, volume_name=volume_name,
                                    device_path=device_path, chap=chap, scsi_wwn=self._wwn())
                target = self._add_target(cfg, iqn)
                outcome = "created"
            else:
                # rtstool create returns early when the storage object exists.
                target, outcome = target_or_none, "already exists"
            self._lio_save()
            self.meter.charge(self.component, "cinder-rtstool create",
                              self.meter.costs.target_create, f"target {iqn} {outcome}",
                              iqn=iqn, volume_id=volume_id, outcome=outcome)
        return {"location": target.provider_location, "auth": chap.provider_auth}

    def ensure_export(self, volume_id: str, volume_name: str, device_path: str,
                      provider_auth: str | None = None) -> None:
        """``ensure_export`` at service start.

        tgt re-runs the create with the DB's CHAP (none if ``provider_auth``
        is empty: the target then has no ``incominguser``) and ignores the
        exit code.  LIO restores the saved configuration only when no target
        exists at all, and otherwise does nothing.
        """
        iqn = self.iqn_for(volume_name)
        if self.helper == "tgtadm":
            chap = ChapCredentials.from_provider_auth(provider_auth) if provider_auth else None
            old = self._targets.get(iqn)
            saved = self._persisted.get(iqn)
            wwn = old.scsi_wwn if old else (saved.scsi_wwn if saved else self._wwn())
            cfg = _TargetConfig(iqn=iqn, volume_id=volume_id, volume_name=volume_name,
                                device_path=device_path, chap=chap, scsi_wwn=wwn)
            target, outcome = self._tgt_update(cfg)
            self.meter.charge(self.component, "tgt-admin --update", self.meter.costs.target_create,
                              f"ensure target {target.tid} {iqn}: {outcome}", iqn=iqn,
                              tid=target.tid, volume_id=volume_id, outcome=outcome)
            return
        if self._targets:
            self.meter.charge(self.component, "cinder-rtstool get-targets",
                              self.meter.costs.target_show,
                              f"ensure {iqn}: targets exist, skipping", iqn=iqn,
                              volume_id=volume_id)
            return
        restored = self._lio_restore()
        self.meter.charge(self.component, "cinder-rtstool restore", self.meter.costs.target_create,
                          f"restored {restored} target(s) from saved configuration",
                          iqn=iqn, volume_id=volume_id, restored=restored)

    def _lio_restore(self) -> int:
        for cfg in self._persisted.values():
            if cfg.iqn not in self._targets:
                self._add_target(cfg, cfg.tid or cfg.iqn)
        return len(self._persisted)

    def remove_export(self, volume_id: str, volume_name: str,
                      provider_location: str | None) -> None:
        """``ISCSITarget.remove_export``: tolerate a missing target, drop live sessions.

        Cinder first looks the IQN of ``provider_location`` up on the target
        (``show_target``); no location or no target means "skip".  tgt also
        skips when the volumes_dir file is gone.  Otherwise tgt runs
        ``tgt-admin --force --delete`` (sessions are disconnected, then the
        target deleted, then the file removed) and LIO ``cinder-rtstool delete``
        (target and storage object deleted, sessions end) plus ``save``.
        """
        costs = self.meter.costs
        iqn = parse_provider_location(provider_location)[1] if provider_location else None
        target = self._targets.get(iqn) if iqn is not None else None
        show = "tgt-admin --show" if self.helper == "tgtadm" else "cinder-rtstool get-targets"
        if target is None:
            self.meter.charge(self.component, show, costs.target_show,
                              f"no target for volume {volume_id}, skipping remove_export",
                              iqn=iqn, volume_id=volume_id, outcome="skipped")
            return
        if self.helper == "tgtadm":
            if volume_name not in {c.volume_name for c in self._persisted.values()}:
                self.meter.charge(self.component, show, costs.target_show,
                                  f"no volumes_dir file for {volume_name}, nothing to remove",
                                  iqn=target.iqn, volume_id=volume_id, outcome="no file")
                return
            dropped = len(target.sessions)
            del self._targets[target.iqn]
            self._persisted.pop(target.iqn, None)
            self.meter.charge(self.component, "tgt-admin --force --delete", costs.target_remove,
                              f"deleted target {target.tid} {target.iqn}"
                              + (f", dropped {dropped} session(s)" if dropped else ""),
                              iqn=target.iqn, tid=target.tid, volume_id=volume_id,
                              sessions_dropped=dropped)
            return
        dropped = len(target.sessions)
        del self._targets[target.iqn]
        self._lio_save()
        self.meter.charge(self.component, "cinder-rtstool delete", costs.target_remove,
                          f"deleted target {target.iqn}"
                          + (f", dropped {dropped} session(s)" if dropped else ""),
                          iqn=target.iqn, volume_id=volume_id, sessions_dropped=dropped)

    def validate_connector(self, connector: Mapping[str, Any]) -> bool:
        """The connector must carry ``initiator`` (else ``InvalidConnectorException``)."""
        if "initiator" not in connector:
            raise errors.InvalidConnectorException(missing="initiator")
        return True

    def initialize_connection(self, volume: Mapping[str, Any],
                              connector: Mapping[str, Any]) -> dict[str, Any]:
        """Connection info for one attachment (``ISCSITarget.initialize_connection``).

        *volume* needs ``id``, ``provider_location`` and ``provider_auth``;
        ``encryption_key_id`` and ``provider_geometry`` are read if present.
        On LIO the initiator first gets a NodeACL with the volume's CHAP pair and
        mapped LUN 0 (``cinder-rtstool add-initiator``; an existing ACL for that
        initiator is kept as is), then the configuration is saved.  The
        manager adds ``qos_specs``, ``access_mode``, ``discard`` ... on top.
        """
        if self.helper == "lioadm":
            self._lio_add_initiator(volume, connector)
        return {"driver_volume_type": self.target_protocol,
                "data": self._iscsi_properties(volume, bool(connector.get("multipath")))}

    def _lio_add_initiator(self, volume: Mapping[str, Any],
                           connector: Mapping[str, Any]) -> None:
        volume_id = str(volume["id"])
        location = volume.get("provider_location")
        auth = volume.get("provider_auth")
        iqn = parse_provider_location(location)[1] if location else ""
        target = self._targets.get(iqn)
        initiator = str(connector["initiator"])
        if target is None or not auth:
            # rtstool: "Could not find target" → exit 1 → ISCSITargetAttachFailed.
            self.meter.charge(self.component, "cinder-rtstool add-initiator",
                              self.meter.costs.acl_change,
                              f"add-initiator {initiator} failed: no target {iqn}",
                              iqn=iqn, initiator=initiator, volume_id=volume_id,
                              outcome="failed")
            raise errors.ISCSITargetAttachFailed(volume_id=volume_id)
        chap = ChapCredentials.from_provider_auth(str(auth))
        if target.acl_for(initiator) is None:
            target.acls[initiator] = NodeACL(initiator, chap, 0)
            outcome = "added"
        else:
            outcome = "exists"
        self._lio_save()
        self.meter.charge(self.component, "cinder-rtstool add-initiator",
                          self.meter.costs.acl_change, f"ACL {initiator} on {iqn}: {outcome}",
                          iqn=iqn, initiator=initiator, volume_id=volume_id, outcome=outcome)

    def _iscsi_properties(self, volume: Mapping[str, Any], multipath: bool) -> dict[str, Any]:
        """``_get_iscsi_properties``, key for key and in the same order.

        A stored ``provider_location`` gives ``target_discovered=False``.  The
        discovery fallback (``iscsiadm -m discovery``) is modelled by looking the
        volume's target up here; no target → ``InvalidVolume``.
        """
        props: dict[str, Any] = {}
        location = volume.get("provider_location")
        if location:
            props["target_discovered"] = False
        else:
            found = self.target_for(str(volume["id"]))
            if found is None:
                raise errors.InvalidVolume(
                    reason=f"Could not find iSCSI export for volume {volume.get('name', '')}")
            location = found.provider_location
            props["target_discovered"] = True
        portals, iqn, lun = parse_provider_location(str(location))
        if len(portals) > 1 or multipath:
            props["target_portals"] = portals
            props["target_iqns"] = [iqn] * len(portals)
            props["target_luns"] = [lun] * len(portals)
        props["target_portal"] = portals[0]
        props["target_iqn"] = iqn
        props["target_lun"] = lun
        props["volume_id"] = volume["id"]
        auth = volume.get("provider_auth")
        if auth:
            method, user, secret = str(auth).split()
            props["auth_method"] = method
            props["auth_username"] = user
            props["auth_password"] = secret
        geometry = volume.get("provider_geometry")
        if geometry:
            physical, logical = str(geometry).split()
            props["physical_block_size"] = physical
            props["logical_block_size"] = logical
        props["encrypted"] = volume.get("encryption_key_id") is not None
        return props

    def terminate_connection(self, volume: Mapping[str, Any],
                             connector: Mapping[str, Any]) -> None:
        """tgt: nothing (no per-initiator state).  LIO: delete the initiator's ACL.

        LIO skips a volume without ``provider_location``; a missing target is
        ``ISCSITargetDetachFailed``; a missing ACL is fine ("ACL not found.
        Continuing.").  Deleting the ACL ends that initiator's sessions on the
        target (the kernel shuts an ACL's sessions down before freeing it).
        """
        if self.helper == "tgtadm":
            return
        location = volume.get("provider_location")
        volume_id = str(volume["id"])
        if not location:
            return
        iqn = parse_provider_location(str(location))[1]
        initiator = str(connector["initiator"])
        target = self._targets.get(iqn)
        if target is None:
            self.meter.charge(self.component, "cinder-rtstool delete-initiator",
                              self.meter.costs.acl_change,
                              f"delete-initiator {initiator} failed: no target {iqn}",
                              iqn=iqn, initiator=initiator, volume_id=volume_id,
                              outcome="failed")
            raise errors.ISCSITargetDetachFailed(volume_id=volume_id)
        acl = target.acl_for(initiator)
        dropped = 0
        if acl is not None:
            del target.acls[acl.initiator]
            gone = [k for k, s in target.sessions.items()
                    if s.initiator.lower() == acl.initiator.lower()]
            for key in gone:
                del target.sessions[key]
            dropped = len(gone)
        self._lio_save()
        self.meter.charge(self.component, "cinder-rtstool delete-initiator",
                          self.meter.costs.acl_change,
                          f"ACL {initiator} on {iqn}: "
                          + ("deleted" if acl is not None else "not found, continuing")
                          + (f", dropped {dropped} session(s)" if dropped else ""),
                          iqn=iqn, initiator=initiator, volume_id=volume_id,
                          outcome="deleted" if acl is not None else "not found",
                          sessions_dropped=dropped)

    def extend_target(self, volume_name: str, attached: bool) -> None:
        """Make a grown LV visible (``extend_target``).

        tgt, only while the volume is attached: ``tgt-admin --update <iqn> -f``
        re-creates the target with the same tid.  Sessions are cut and iscsid
        logs back in by itself (error recovery), so they are kept here.
        LIO runs nothing: the block backstore follows the LV's size.
        """
        if self.helper != "tgtadm" or not attached:
            return
        iqn = self.iqn_for(volume_name)
        target = self._targets.get(iqn)
        self.meter.charge(self.component, "tgt-admin --update -f", self.meter.costs.target_create,
                          f"refreshed target {iqn} after extend", iqn=iqn,
                          tid=target.tid if target is not None else None)

    def restart(self, reload: bool | None = None) -> None:
        """The target daemon restarts (or the host reboots): every session ends.

        Args:
            reload: whether persisted targets come back by themselves.  By
                default tgt reloads (the tgt service runs ``tgt-admin -e`` on
                start, and Cinder's ``include volumes_dir/*`` makes its files
                part of targets.conf; targets come back in IQN order with tids
                1, 2, ...) while LIO does not (the ``target`` restore service
                is usually not enabled; Cinder's ``ensure_export`` restores).
                Both defaults are **unconfirmed** deployment choices.
        """
        if reload is None:
            reload = self.helper == "tgtadm"
        self._targets = {}
        if reload:
            if self.helper == "tgtadm":
                for n, iqn in enumerate(sorted(self._persisted), start=1):
                    self._add_target(self._persisted[iqn], str(n))
            else:
                self._lio_restore()
        self.meter.charge(self.component, "restart", 0.0,
                          f"{self.helper} restarted, {len(self._targets)} target(s) reloaded",
                          reloaded=len(self._targets))

    # --- what the initiator's login reaches ---------------------------------------
    def accept_login(self, session: Session, auth_method: str | None,
                     username: str | None, password: str | None) -> tuple[int, str] | None:
        """Decide a login; record the session on success.

        Returns None on success, else ``(iscsiadm exit code, message)``.
        """
        target = self._targets.get(session.iqn)
        if target is None or session.portal not in target.portals:
            return _ISCSI_ERR_LOGIN, "encountered non-retryable iSCSI login failure"
        if self.helper == "lioadm":
            acl = target.acl_for(session.initiator)
            if acl is None:
                return _ISCSI_ERR_LOGIN_AUTH_FAILED, _AUTH_FAILED
            required: ChapCredentials | None = acl.chap
        else:
            required = target.chap
        if required is not None and (
                (auth_method or "").upper() != "CHAP" or username != required.username
                or password != required.password):
            return _ISCSI_ERR_LOGIN_AUTH_FAILED, _AUTH_FAILED
        target.sessions[session.key] = attrs.evolve(session, lun=target.lun,
                                                    scsi_wwn=target.scsi_wwn)
        return None

    def drop_session(self, session: Session) -> bool:
        """Remove a session (logout); False if the target no longer has it."""
        target = self._targets.get(session.iqn)
        if target is None or session.key not in target.sessions:
            return False
        del target.sessions[session.key]
        return True

    def lun_of(self, iqn: str) -> tuple[int, str] | None:
        target = self._targets.get(iqn)
        return (target.lun, target.scsi_wwn) if target is not None else None


# --- the initiator side --------------------------------------------------------------
class IscsiInitiator:
    """The open-iscsi initiator of one (compute) host, driven the way os-brick drives it.

    Args:
        network: where portals are looked up.
        host: host name (part of the session identity).
        initiator: the ``InitiatorName=`` of ``/etc/iscsi/initiatorname.iscsi``.
        meter: charged once per ``iscsiadm`` login / logout.
        local_disks: SCSI disks the host already has (``sda``... taken by them);
            0 by default, as for a compute node whose root disk is ``vda``.
    """

    def __init__(self, network: IscsiNetwork, host: str, initiator: str, meter: Meter, *,
                 local_disks: int = 0) -> None:
        self.network = network
        self.host = host
        self.initiator = initiator
        self.meter = meter
        self._next_sid = 1
        self._local_disks = local_disks
        self._sessions: dict[tuple[str, str], Session] = {}
        """Live sessions by ``(iqn, portal)``."""

    component = "iscsi-initiator"

    # --- queries --------------------------------------------------------------
    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def session_for(self, iqn: str, portal: str) -> Session | None:
        return self._sessions.get((iqn, portal))

    def devices(self) -> list[str]:
        """``/dev/sdX`` names in use by iSCSI sessions, in login order."""
        return [s.device for s in self._sessions.values()]

    def is_logged_in(self, session: Session) -> bool:
        """True while both ends still hold the session."""
        host = self.network.host_at(session.portal)
        return (self._sessions.get((session.iqn, session.portal)) == session
                and host is not None and host.session_alive(session))

    def _free_disk(self) -> str:
        """Linux gives a new sd disk the lowest free index (``ida_alloc`` in sd_probe)."""
        used = {s.device for s in self._sessions.values()}
        index = self._local_disks
        while scsi_disk_name(index) in used:
            index += 1
        return scsi_disk_name(index)

    # --- iscsiadm ---------------------------------------------------------------
    def login(self, iqn: str, portal: str, auth_method: str | None = None,
              username: str | None = None, password: str | None = None, *,
              initiator: str | None = None) -> Session:
        """``iscsiadm -m node -T <iqn> -p <portal> --login`` (node record set up first).

        An existing session is returned as is (exit code 15, which os-brick
        accepts).  Failures raise ``ProcessExecutionError`` with iscsiadm's exit
        code: 8 when nothing listens on the portal, 19 when the target is not
        there, 24 on an authorization failure (wrong CHAP, or LIO without an ACL
        for this initiator).  *initiator* overrides the host's initiator name
        (to model a misconfigured ``initiatorname.iscsi``).
        """
        costs = self.meter.costs
        cmd = f"iscsiadm -m node -T {iqn} -p {portal} --login"
        existing = self._sessions.get((iqn, portal))
        if existing is not None and self.is_logged_in(existing):
            self.meter.charge(self.component, "iscsiadm --login", costs.target_show,
                              f"session {existing.sid} to {iqn} already exists",
                              host=self.host, iqn=iqn, portal=portal, sid=existing.sid,
                              outcome="exists")
            return existing
        if existing is not None:
            # A session the target dropped: iscsid gave up on it; forget it.
            del self._sessions[(iqn, portal)]
        name = initiator or self.initiator
        target_host = self.network.host_at(portal)
        session = Session(host=self.host, sid=self._next_sid, initiator=name, iqn=iqn,
                          portal=portal, lun=0, device=self._free_disk(), scsi_wwn="")
        if target_host is None:
            failure: tuple[int, str] | None = (_ISCSI_ERR_TRANS_TIMEOUT, "connection timed out")
        else:
            failure = target_host.accept_login(session, auth_method, username, password)
        if failure is not None:
            code, text = failure
            self.meter.charge(self.component, "iscsiadm --login", costs.iscsi_login,
                              f"login to {iqn} at {portal} failed ({code} - {text})",
                              host=self.host, iqn=iqn, portal=portal, exit_code=code,
                              outcome="failed")
            raise errors.ProcessExecutionError(
                cmd=cmd, exit_code=code,
                stderr=(f"iscsiadm: Could not login to [iface: default, target: {iqn}, "
                        f"portal: {portal}].\niscsiadm: initiator reported error "
                        f"({code} - {text})"))
        assert target_host is not None
        lun_info = target_host.lun_of(iqn)
        assert lun_info is not None
        session = attrs.evolve(session, lun=lun_info[0], scsi_wwn=lun_info[1])
        self._next_sid += 1
        self._sessions[(iqn, portal)] = session
        self.meter.charge(self.component, "iscsiadm --login", costs.iscsi_login,
                          f"logged in to {iqn} at {portal}: {session.device}",
                          host=self.host, iqn=iqn, portal=portal, sid=session.sid,
                          device=session.device, outcome="logged in")
        return session

    def logout(self, session: Session) -> None:
        """``iscsiadm --logout`` (then ``--op delete`` of the node record).

        A session the target already dropped logs out with exit code 21,
        which os-brick accepts: the local device goes away all the same.
        """
        mine = self._sessions.get((session.iqn, session.portal))
        if mine is not None and mine.key == session.key:
            del self._sessions[(session.iqn, session.portal)]
        target_host = self.network.host_at(session.portal)
        alive = target_host is not None and target_host.drop_session(session)
        self.meter.charge(self.component, "iscsiadm --logout", self.meter.costs.iscsi_logout,
                          f"logged out of {session.iqn} ({session.device})"
                          + ("" if alive else f" (exit {_ISCSI_ERR_NO_OBJS_FOUND}: no session)"),
                          host=self.host, iqn=session.iqn, portal=session.portal,
                          sid=session.sid, device=session.device,
                          outcome="logged out" if alive else "no session")

    # --- os-brick -------------------------------------------------------------------
    def connector_properties(self, ip: str, *, multipath: bool = False,
                             enforce_multipath: bool = False) -> dict[str, Any]:
        """``get_connector_properties`` for this host (no platform facts leak in)."""
        return {"platform": "x86_64", "os_type": "linux", "ip": ip, "host": self.host,
                "multipath": multipath, "enforce_multipath": enforce_multipath,
                "initiator": self.initiator, "do_local_attach": False}

    def connect_volume(self, data: Mapping[str, Any]) -> dict[str, str]:
        """``ISCSIConnector.connect_volume`` (single path): log in, return the device.

        Any login failure ends, as in os-brick after its cleanup, in
        ``VolumeDeviceNotFound``; the iscsiadm error is its ``__cause__``.
        """
        iqn = str(data["target_iqn"])
        portal = str(data["target_portal"])
        try:
            session = self.login(iqn, portal, data.get("auth_method"),
                                 data.get("auth_username"), data.get("auth_password"))
        except errors.ProcessExecutionError as exc:
            raise errors.VolumeDeviceNotFound(
                device=by_path(portal, iqn, int(data.get("target_lun", 0)))) from exc
        return {"type": "block", "scsi_wwn": session.scsi_wwn, "path": f"/dev/{session.device}"}

    def disconnect_volume(self, data: Mapping[str, Any]) -> None:
        """``ISCSIConnector.disconnect_volume``: remove the device, log out of the portal."""
        session = self._sessions.get((str(data["target_iqn"]), str(data["target_portal"])))
        if session is not None:
            self.logout(session)
