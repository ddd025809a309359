"""``GroupStateMachine``: the cloud state machine plus generic volume groups.

Rules: create a group, create a volume into it, add and remove volumes, take a
group snapshot, make a group from a group snapshot, delete group snapshots and
groups (with and without ``delete-volumes``).  The base machine's rules keep
running alongside (faults, stopped services, attachments, resets ...).

Invariants (:func:`group_invariants`, checked after every step):

* a volume's ``group_id`` names a live group;
* a group's placed volumes are all on the group's backend (``host@backend``);
* a group snapshot's member snapshots belong to volumes that were the group's
  members when it was taken (recorded by the rule: the snapshot rows made are
  exactly the group's volumes at that moment);
* once quiet, ``groups`` quota ``in_use`` equals the groups that exist (the base
  quota invariant counts them too) and no group or group snapshot waits in a
  transitional status.

Refusals Cinder answers after writing (a group left ``creating`` by "No valid
host", volumes marked ``deleting`` before a group delete is refused) are let
through by :meth:`GroupStateMachine.refusal_may_write`; the rules avoid the one
path where Cinder leaks group quota (an empty source for create-from-source).
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, invariant, multiple, rule

from ..cloud import Cloud, Response
from ..services.volume_utils import extract_host
from .machine import DEFAULT_MACHINE_CONFIG, CloudStateMachine

__all__ = ["GroupStateMachine", "group_invariants"]

V313 = {"OpenStack-API-Version": "volume 3.14"}
_TRANSITIONAL = ("creating", "updating", "deleting")
_WRITES_THEN_REFUSES = ("Invalid Group: No valid host to create group",
                        "Invalid Group: Cannot delete group")


def group_invariants(cloud: Cloud, members_at_snapshot: dict[str, set[str]]) -> list[str]:
    """The structural group invariants (any moment, quiet or not)."""
    db = cloud.db
    problems: list[str] = []
    for vol in db.volumes.values():
        if vol.group_id is not None and vol.group_id not in db.groups:
            problems.append(f"volume {vol.id[:8]} names group {vol.group_id[:8]}, which is gone")
    for group in db.groups.values():
        if group.host is None:
            continue
        backend = extract_host(group.host)
        for vol in db.volumes.values():
            if vol.group_id == group.id and vol.host and extract_host(vol.host) != backend:
                problems.append(f"volume {vol.id[:8]} of group {group.id[:8]} is on "
                                f"{vol.host}, the group on {group.host}")
    for gsid in db.group_snapshots:
        taken = members_at_snapshot.get(gsid)
        if taken is None:
            continue
        for snap in db.snapshots.values():
            if snap.group_snapshot_id == gsid and snap.volume_id not in taken:
                problems.append(f"snapshot {snap.id[:8]} of group snapshot {gsid[:8]} is of "
                                f"volume {snap.volume_id[:8]}, not a member when it was taken")
    return problems


def groups_settled(cloud: Cloud, allowed: set[str]) -> list[str]:
    """Once quiet: nothing transitional (except what an admin or a fault parked)."""
    problems = [f"group {g.id[:8]} still {g.status}" for g in cloud.db.groups.values()
                if g.status in _TRANSITIONAL and f"group:{g.id}" not in allowed]
    problems += [f"group snapshot {g.id[:8]} still {g.status}"
                 for g in cloud.db.group_snapshots.values()
                 if g.status in _TRANSITIONAL and f"group_snapshot:{g.id}" not in allowed]
    return problems


class GroupStateMachine(CloudStateMachine):
    """The cloud machine with groups, group snapshots and groups from snapshots."""

    config: ClassVar[dict[str, Any]] = {
        **DEFAULT_MACHINE_CONFIG,
        "DEFAULT": {**DEFAULT_MACHINE_CONFIG["DEFAULT"], "quota_groups": 3}}

    groups = Bundle("groups")
    group_snapshots = Bundle("group_snapshots")

    def __init__(self) -> None:
        super().__init__()
        r = self.api("POST", self.url("admin", "/group_types"),
                     {"group_type": {"name": "gt"}}, user="admin", headers=V313)
        self.group_type = r.json["group_type"]["id"]
        r = self.api("POST", self.url("admin", "/types"), {"volume_type": {"name": "grp"}},
                     user="admin")
        self.volume_type = r.json["volume_type"]["id"]
        self.members_at_snapshot: dict[str, set[str]] = {}
        self.parked: set[str] = set()
        """Groups a refusal left ``creating`` (Cinder does) or an admin reset."""

    def refusal_may_write(self, r: Response) -> bool:
        body = r.json if isinstance(r.json, dict) else {}
        message = str(body.get("badRequest", {}).get("message", ""))
        return super().refusal_may_write(r) or message.startswith(_WRITES_THEN_REFUSES)

    def _group_call(self, method: str, user: str, rest: str, body: Any = None) -> Response:
        return self.api(method, self.url(user, rest), body, user=user, headers=V313)

    # --- rules ------------------------------------------------------------------------------
    @rule(target=groups, user=st.sampled_from(CloudStateMachine.users))
    def create_group(self, user: str) -> Any:
        r = self._group_call("POST", user, "/groups", {"group": {
            "group_type": self.group_type, "volume_types": [self.volume_type]}})
        if r.status != 202:
            return multiple()
        gid = r.json["group"]["id"]
        self.owner[gid] = user
        return gid

    @rule(target=CloudStateMachine.volumes, gid=groups, size=st.integers(1, 2))
    def create_volume_in_group(self, gid: str, size: int) -> Any:
        group = self.cloud.db.groups.get(gid)
        if group is None or group.status != "available":
            return multiple()  # as Tempest does, wait for the group first
        user = self.owner[gid]
        r = self._group_call("POST", user, "/volumes", {"volume": {
            "size": size, "volume_type": self.volume_type, "group_id": gid}})
        if r.status != 202:
            return multiple()
        vid = r.json["volume"]["id"]
        self.owner[vid] = user
        return vid

    @rule(gid=groups, vid=CloudStateMachine.volumes, add=st.booleans())
    def change_membership(self, gid: str, vid: str, add: bool) -> None:
        user = self.owner[gid]
        key = "add_volumes" if add else "remove_volumes"
        self._group_call("PUT", user, f"/groups/{gid}", {"group": {key: vid}})

    @rule(target=group_snapshots, gid=groups)
    def snapshot_group(self, gid: str) -> Any:
        user = self.owner[gid]
        r = self._group_call("POST", user, "/group_snapshots",
                             {"group_snapshot": {"group_id": gid}})
        if r.status != 202:
            return multiple()
        gsid = r.json["group_snapshot"]["id"]
        db = self.cloud.db
        taken = {s.volume_id for s in db.snapshots.values() if s.group_snapshot_id == gsid}
        members = {v.id for v in db.volumes.values() if v.group_id == gid}
        if taken != members:
            self.fail([f"group snapshot {gsid[:8]} has snapshots of {sorted(taken)}, the "
                       f"group's volumes are {sorted(members)}"])
        self.members_at_snapshot[gsid] = taken
        self.owner[gsid] = user
        return gsid

    @rule(target=groups, gsid=group_snapshots)
    def group_from_snapshot(self, gsid: str) -> Any:
        db = self.cloud.db
        gsnap = db.group_snapshots.get(gsid)
        members = [s for s in db.snapshots.values() if s.group_snapshot_id == gsid]
        if gsnap is None or gsnap.status != "available" or not members:
            return multiple()  # an empty source leaks Cinder's group quota: not this path
        user = self.owner[gsid]
        r = self._group_call("POST", user, "/groups/action",
                             {"create-from-src": {"group_snapshot_id": gsid}})
        if r.status == 400 and "No valid host" in str(r.json):
            self.parked.update(f"group:{g.id}" for g in db.groups.values()
                               if g.group_snapshot_id == gsid)
        if r.status != 202:
            return multiple()
        gid = r.json["group"]["id"]
        self.owner[gid] = user
        return gid

    @rule(gsid=consumes(group_snapshots))
    def delete_group_snapshot(self, gsid: str) -> None:
        self._group_call("DELETE", self.owner[gsid], f"/group_snapshots/{gsid}")

    @rule(gid=consumes(groups), delete_volumes=st.booleans())
    def delete_group(self, gid: str, delete_volumes: bool) -> None:
        self._group_call("POST", self.owner[gid], f"/groups/{gid}/action",
                         {"delete": {"delete-volumes": delete_volumes}})

    @rule(gid=groups, status=st.sampled_from(["available", "error"]))
    def reset_group(self, gid: str, status: str) -> None:
        r = self.api("POST", self.url("admin", f"/groups/{gid}/action"),
                     {"reset_status": {"status": status}}, user="admin",
                     headers={"OpenStack-API-Version": "volume 3.20"})
        if r.status == 202:
            self.parked.add(f"group:{gid}")

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def groups_hold(self) -> None:
        problems = group_invariants(self.cloud, self.members_at_snapshot)
        if self.quiescent:
            problems += groups_settled(self.cloud, self.parked | self.timed_out)
        if problems:
            self.fail(problems)
