"""The initiator side of iSCSI: open-iscsi's ``iscsiadm`` as os-brick drives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ... import errors
from ..blocks import BlockData
from ..costs import Meter
from .network import IscsiNetwork
from .targets import (
    ISCSI_ERR_NO_OBJS_FOUND,
    ISCSI_ERR_TRANS_TIMEOUT,
    Session,
    by_path,
    scsi_disk_name,
)

__all__ = ["IscsiInitiator"]


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
            failure: tuple[int, str] | None = (ISCSI_ERR_TRANS_TIMEOUT, "connection timed out")
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
                          + ("" if alive else f" (exit {ISCSI_ERR_NO_OBJS_FOUND}: no session)"),
                          host=self.host, iqn=session.iqn, portal=session.portal,
                          sid=session.sid, device=session.device,
                          outcome="logged out" if alive else "no session")

    def device_data(self, session: Session) -> BlockData:
        """What reading or writing the session's ``/dev/sdX`` reaches.

        The I/O travels the session: to the target host behind its portal, to
        the target of its IQN, to that target's backing store (the LV whose
        ``/dev/<vg>/<lv>`` path the export was created with).  Nothing else
        leads to a volume's blocks from another host.

        Raises:
            VolumeDeviceNotFound: the session is not (or no longer) logged in
                at both ends; the device's I/O fails.
        """
        host = self.network.host_at(session.portal)
        if host is None or not self.is_logged_in(session):
            raise errors.VolumeDeviceNotFound(device=f"/dev/{session.device}")
        return host.session_data(session)

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

    def connected_session(self, data: Mapping[str, Any]) -> Session:
        """The session ``connect_volume`` made for connection *data*.

        Raises:
            VolumeDeviceNotFound: no session to that target and portal.
        """
        iqn, portal = str(data["target_iqn"]), str(data["target_portal"])
        session = self._sessions.get((iqn, portal))
        if session is None:
            raise errors.VolumeDeviceNotFound(
                device=by_path(portal, iqn, int(data.get("target_lun", 0))))
        return session

    def disconnect_volume(self, data: Mapping[str, Any]) -> None:
        """``ISCSIConnector.disconnect_volume``: remove the device, log out of the portal."""
        session = self._sessions.get((str(data["target_iqn"]), str(data["target_portal"])))
        if session is not None:
            self.logout(session)
