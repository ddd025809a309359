"""The iSCSI target side of one cinder-volume backend (tgtadm / lioadm).

A cinder-volume backend that uses LVM exports each attached volume through an
iSCSI *target helper* on its own host; the compute host logs in with
``iscsiadm`` (:mod:`.initiator`) and gets a SCSI disk.

* :class:`TargetHost` is the target side of one cinder-volume backend, with the
  ``tgtadm`` (tgtd, the default ``target_helper``) or ``lioadm`` (LIO, through
  ``cinder-rtstool``) flavour.  Its methods are the calls Cinder's target
  classes (``cinder/volume/targets/iscsi.py``, ``tgt.py``, ``lio.py``) make:
  ``create_export``, ``ensure_export``, ``remove_export``,
  ``initialize_connection``, ``terminate_connection``, ``validate_connector``,
  ``extend_target``.
* It listens on its portals (``ip:port``) in an
  :class:`~cindersim.backends.iscsi.network.IscsiNetwork`, where initiators
  find it.

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
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ... import errors
from ..blocks import BlockData
from ..costs import Meter
from .chap import ChapCredentials, generate_password, generate_username
from .network import IscsiNetwork
from .targets import (
    AUTH_FAILED,
    DEFAULT_TARGET_PREFIX,
    ISCSI_ERR_LOGIN,
    ISCSI_ERR_LOGIN_AUTH_FAILED,
    NodeACL,
    Session,
    Target,
    TargetHelper,
    parse_provider_location,
)

__all__ = ["BackingStoreOpener", "TargetHost"]

BackingStoreOpener = Callable[[str], BlockData]
"""Opens one block device of a directory (``/dev/<vg>/``) by its name there (the LV)."""


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
        self._stores: dict[str, BackingStoreOpener] = {}
        """Device directories (``/dev/<vg>/``) and how their devices open."""
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

    # --- the backing stores ------------------------------------------------------------
    def add_backing_store(self, directory: str, opener: BackingStoreOpener) -> None:
        """Make the block devices under *directory* (``/dev/<vg>/``) openable.

        The LVM driver registers its VG here: a target's ``backing-store
        /dev/<vg>/<lv>`` is what tgtd / LIO's block backstore opens, so the
        blocks an initiator reads through a session are that LV's.
        """
        self._stores[directory.rstrip("/") + "/"] = opener

    def open_backing_store(self, device_path: str) -> BlockData:
        """What the target reads and writes for ``device_path``.

        Raises:
            VolumeDeviceNotFound: no registered directory holds that device.
        """
        directory, _, name = device_path.rpartition("/")
        opener = self._stores.get(directory + "/")
        if opener is None or not name:
            raise errors.VolumeDeviceNotFound(device=device_path)
        return opener(name)

    # --- what the initiator's login reaches ---------------------------------------
    def accept_login(self, session: Session, auth_method: str | None,
                     username: str | None, password: str | None) -> tuple[int, str] | None:
        """Decide a login; record the session on success.

        Returns None on success, else ``(iscsiadm exit code, message)``.
        """
        target = self._targets.get(session.iqn)
        if target is None or session.portal not in target.portals:
            return ISCSI_ERR_LOGIN, "encountered non-retryable iSCSI login failure"
        if self.helper == "lioadm":
            acl = target.acl_for(session.initiator)
            if acl is None:
                return ISCSI_ERR_LOGIN_AUTH_FAILED, AUTH_FAILED
            required: ChapCredentials | None = acl.chap
        else:
            required = target.chap
        if required is not None and (
                (auth_method or "").upper() != "CHAP" or username != required.username
                or password != required.password):
            return ISCSI_ERR_LOGIN_AUTH_FAILED, AUTH_FAILED
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

    def session_data(self, session: Session) -> BlockData:
        """The LUN behind a live *session*: the target's backing store.

        Raises:
            VolumeDeviceNotFound: the target no longer holds the session (the
                I/O of a dropped session fails), or its device cannot be opened.
        """
        target = self._targets.get(session.iqn)
        if target is None or session.key not in target.sessions:
            raise errors.VolumeDeviceNotFound(device=f"/dev/{session.device}")
        return self.open_backing_store(target.device_path)

    def lun_of(self, iqn: str) -> tuple[int, str] | None:
        target = self._targets.get(iqn)
        return (target.lun, target.scsi_wwn) if target is not None else None
