"""Invariants of a simulated cloud, as plain functions returning problems.

Each function takes a :class:`~cindersim.Cloud` and returns a list of
human-readable problems (empty when the invariant holds), so they compose: the
state machine runs them after every step, and a user can call any of them in
an ordinary test.  Numbering follows the testing kit's documentation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeGuard

from ..backends.drivers import LVMVolumeDriver
from ..backends.drivers.rbd import RBDDriver
from ..backends.iscsi import ChapCredentials
from ..backends.lvm import unit_g
from ..states import AttachStatus, BackupStatus, SnapshotStatus, VolumeStatus
from .rbd_invariants import _has_snapshot, _has_volume, rbd_capacity_agrees, rbd_clones_protected

if TYPE_CHECKING:
    from ..cloud import Cloud

__all__ = [
    "TRANSITIONAL_BACKUP",
    "TRANSITIONAL_SNAPSHOT",
    "TRANSITIONAL_VOLUME",
    "capacity_agrees",
    "encryption_keys_owned",
    "exports_match_attachments",
    "nothing_transitional",
    "quota_matches_existence",
    "rbd_capacity_agrees",
    "rbd_clones_protected",
    "records_have_storage",
]

TRANSITIONAL_VOLUME = frozenset({
    VolumeStatus.CREATING, VolumeStatus.DELETING, VolumeStatus.ATTACHING,
    VolumeStatus.DETACHING, VolumeStatus.BACKING_UP, VolumeStatus.RESTORING_BACKUP,
    VolumeStatus.EXTENDING, VolumeStatus.DOWNLOADING, VolumeStatus.UPLOADING,
    VolumeStatus.RETYPING, VolumeStatus.MAINTENANCE})
"""Statuses that mean "a service is still working on it"."""
TRANSITIONAL_SNAPSHOT = frozenset({SnapshotStatus.CREATING, SnapshotStatus.DELETING,
                                   SnapshotStatus.BACKING_UP, SnapshotStatus.RESTORING})
TRANSITIONAL_BACKUP = frozenset({BackupStatus.CREATING, BackupStatus.DELETING,
                                 BackupStatus.RESTORING})


def encryption_keys_owned(cloud: Cloud, *, leaked: Iterable[str] = ()) -> list[str]:
    """(9) Every encrypted volume has exactly one live key of its own project, and no
    key outlives its holder.

    Holders are volumes (``encryption_key_id``), backups (their clone) and images
    Cinder uploaded (``cinder_encryption_key_id``); snapshots share their volume's
    key and own none.  A volume being deleted (or whose key deletion failed) may
    have lost its key already.  *leaked* names keys Cinder itself leaves behind (a
    volume that never reached a backend is destroyed at the API before the key
    deletion), which may live on unheld.
    """
    km = getattr(cloud, "key_manager", None)
    if km is None:
        return []
    problems: list[str] = []
    secrets = km.secrets
    holders: dict[str, list[str]] = {}
    gone = (VolumeStatus.DELETING, VolumeStatus.ERROR_DELETING)
    for vol in cloud.db.volumes.values():
        key = vol.encryption_key_id
        if key is not None:
            holders.setdefault(key, []).append(f"volume {vol.id}")
        if not vol.encrypted or vol.status in gone:
            continue
        if key is None:
            problems.append(f"encrypted volume {vol.id} ({vol.status}) has no key")
        elif key not in secrets:
            problems.append(f"encrypted volume {vol.id} names key {key}, which is gone")
        elif secrets[key].project_id != vol.project_id and \
                vol.status != VolumeStatus.AWAITING_TRANSFER:  # held by Cinder's service
            problems.append(f"volume {vol.id}'s key {key} belongs to another project")
    for backup in cloud.db.backups.values():
        if backup.encryption_key_id is not None:
            holders.setdefault(backup.encryption_key_id, []).append(f"backup {backup.id}")
    for image in cloud.glance.images.values():
        key = image.properties.get("cinder_encryption_key_id")
        if key and image.status != "deleted":
            holders.setdefault(str(key), []).append(f"image {image.id}")
    for key, held_by in holders.items():
        if len(held_by) > 1:
            problems.append(f"key {key} is shared by {', '.join(held_by)}")
    allowed = set(leaked)
    for key in secrets:
        if key not in holders and key not in allowed:
            problems.append(f"key {key} outlived its holder")
    return problems


def _is_lvm(driver: object) -> TypeGuard[LVMVolumeDriver]:
    """LVM's checks (VG extents, iSCSI targets, LVs) apply to LVM backends only."""
    return isinstance(driver, LVMVolumeDriver)


def capacity_agrees(cloud: Cloud) -> list[str]:
    """(2) Extents are conserved in every VG, and the driver's stats agree with it."""
    problems: list[str] = []
    for host, svc in cloud.volume_services.items():
        if not _is_lvm(svc.driver):
            continue  # NFS / FC: backend_invariants checks their storage
        vg = svc.vg
        if vg is None or not isinstance(svc.driver, LVMVolumeDriver):
            problems.extend(rbd_capacity_agrees(cloud, host))
            continue
        if vg.free_count + vg.allocated_extents() != vg.extent_count:
            problems.append(f"{host}: free {vg.free_count} + allocated "
                            f"{vg.allocated_extents()} != total {vg.extent_count} extents")
        stats = svc.driver.get_volume_stats(refresh=True)
        svc.meter.take()
        pool = stats["pools"][0]
        report = vg.vg_report()
        if svc.driver.lvm_type == "thin":
            used, total, _chunk = vg.pool_usage(svc.driver.pool_name)
            if used > total:
                problems.append(f"{host}: thin pool data {used} exceeds the pool {total}")
            want_total = unit_g(vg.lv_report(svc.driver.pool_name).lv_size)
        else:
            want_total = unit_g(report.vg_size)
            if pool["free_capacity_gb"] != unit_g(report.vg_free):
                problems.append(f"{host}: stats free {pool['free_capacity_gb']} != vg_free "
                                f"{unit_g(report.vg_free)}")
        if pool["total_capacity_gb"] != want_total:
            problems.append(f"{host}: stats total {pool['total_capacity_gb']} != {want_total}")
        state_total = _scheduler_total(cloud, host)
        if state_total is not None and state_total != pool["total_capacity_gb"]:
            problems.append(f"{host}: scheduler sees total {state_total}, driver reports "
                            f"{pool['total_capacity_gb']}")
    return problems


def _scheduler_total(cloud: Cloud, host: str) -> float | None:
    for state in cloud.scheduler.host_manager.get_all_backend_states(cloud.sim.now()):
        if state.host == host:
            total = state.total_capacity_gb
            return float(total) if isinstance(total, (int, float)) else None
    return None


def exports_match_attachments(cloud: Cloud, *, unexported: Iterable[str] = (),
                              lingering: Iterable[str] = ()) -> list[str]:
    """(3) A target exists exactly for exported volumes; sessions only for live
    attachments; every target's CHAP is the volume's ``provider_auth``.

    Valid when settled: a backup or restore in flight exports its volume too.
    *unexported* lists attachment ids whose ``attachment_delete`` call timed out:
    cinder-volume may have terminated the connection and removed the export already,
    but cinder-api never ran ``finish_detach``, so Cinder keeps the row ``attached``
    (a retried DELETE finishes it).  Such an attachment may keep its target alive
    and need not have one.  *lingering* lists volume ids whose ``initialize_connection``,
    ``terminate_connection`` or ``remove_export`` call timed out: cinder-backup's
    ``_attach_device`` / ``_detach_device`` then raise before the export is removed, so
    the target stays, as in Cinder.
    """
    problems: list[str] = []
    db = cloud.db
    # Live: connected by cinder-volume.  cinder-api records connection_info when the
    # attachment_update call answers; when the call timed out (the service was stopped
    # and came back just before the deadline) the manager still exported the volume and
    # stored the connector on an 'attaching' attachment, which a DELETE cleans up.
    exported = {a.volume_id for a in db.attachments.values()
                if (a.connection_info is not None or a.connector)
                and a.attach_status in (AttachStatus.ATTACHING, AttachStatus.ATTACHED)}
    maybe, linger = set(unexported), set(lingering)
    required = {a.volume_id for a in db.attachments.values()
                if a.id not in maybe and (a.connection_info is not None or a.connector)
                and a.attach_status in (AttachStatus.ATTACHING, AttachStatus.ATTACHED)}
    for host, svc in cloud.volume_services.items():
        if not _is_lvm(svc.driver):
            continue  # no iSCSI target: RBD has no export, fc_zones_match_attachments covers FC
        target_host = svc.driver.target
        for target in target_host.targets():
            vid = target.volume_id
            vol = db.volumes.get(vid)
            if vol is None:
                problems.append(f"{host}: target {target.iqn} exports a deleted volume")
                continue
            if vid not in exported and vid not in linger:
                problems.append(f"{host}: target {target.iqn} exists but volume {vid[:8]} has "
                                "no live attachment")
            if vol.provider_auth and target.chap is not None:
                want = ChapCredentials.from_provider_auth(vol.provider_auth)
                if (target.chap.username, target.chap.password) != (want.username,
                                                                      want.password):
                    problems.append(f"{host}: target {target.iqn} CHAP differs from the "
                                    "volume's provider_auth")
            attached_initiators = {
                (a.connector or {}).get("initiator") for a in db.attachments_of(vid)
                if a.attach_status in (AttachStatus.ATTACHING, AttachStatus.ATTACHED)}
            for session in target.sessions.values():
                if session.initiator not in attached_initiators:
                    problems.append(f"{host}: session from {session.initiator} on "
                                    f"{target.iqn} has no live attachment")
        for vid in sorted(required):
            vol = db.volumes.get(vid)
            if vol is not None and vol.host and vol.host.split("#")[0] == host and \
                    target_host.target_for(vid) is None:
                problems.append(f"{host}: volume {vid[:8]} is attached but not exported")
    return problems


def quota_matches_existence(cloud: Cloud) -> list[str]:
    """(4) ``in_use`` equals what exists, and no reservation outlives its request."""
    problems: list[str] = []
    db = cloud.db
    expected: dict[tuple[str, str], int] = {}

    def add(project: str, resource: str, n: int) -> None:
        expected[(project, resource)] = expected.get((project, resource), 0) + n

    type_names = {t.id: t.name for t in db.volume_types.values()}
    for v in db.volumes.values():
        if not v.use_quota:
            continue
        add(v.project_id, "volumes", 1)
        add(v.project_id, "gigabytes", v.size)
        tname = type_names.get(v.volume_type_id or "")
        if tname is not None:
            add(v.project_id, f"volumes_{tname}", 1)
            add(v.project_id, f"gigabytes_{tname}", v.size)
    for s in db.snapshots.values():
        if not s.use_quota:
            continue
        add(s.project_id, "snapshots", 1)
        if not cloud.quota.no_snapshot_gb_quota:
            add(s.project_id, "gigabytes", s.volume_size)
        tname = type_names.get(s.volume_type_id or "")
        if tname is not None:
            add(s.project_id, f"snapshots_{tname}", 1)
            if not cloud.quota.no_snapshot_gb_quota:
                add(s.project_id, f"gigabytes_{tname}", s.volume_size)
    for b in db.backups.values():
        add(b.project_id, "backups", 1)
        add(b.project_id, "backup_gigabytes", b.size)
    for g in db.groups.values():  # generic volume groups (issue 16)
        add(g.project_id, "groups", 1)
    keys = sorted(set(expected) | set(db.quota_usages))
    for key in keys:
        row = db.quota_usages.get(key)
        have = row.in_use if row is not None else 0
        want = expected.get(key, 0)
        if have != want:
            problems.append(f"quota {key[1]} of project {key[0][:8]}: in_use {have}, but "
                            f"{want} exist")
    for rid, res in db.reservations.items():
        problems.append(f"reservation {rid[:8]} ({res.resource} {res.delta:+d}) outlived its "
                        "request")
    return problems


def nothing_transitional(cloud: Cloud, *, allowed: Iterable[str] = ()) -> list[str]:
    """(5) Once settled, no record waits in a transitional status.

    *allowed* lists ``kind:id`` resources a fault keeps there on purpose.
    """
    ok = set(allowed)
    problems: list[str] = []
    db = cloud.db
    for v in db.volumes.values():
        if v.status in TRANSITIONAL_VOLUME and f"volume:{v.id}" not in ok:
            problems.append(f"volume {v.id[:8]} still {v.status}")
    for s in db.snapshots.values():
        if s.status in TRANSITIONAL_SNAPSHOT and f"snapshot:{s.id}" not in ok:
            problems.append(f"snapshot {s.id[:8]} still {s.status}")
    for b in db.backups.values():
        if b.status in TRANSITIONAL_BACKUP and f"backup:{b.id}" not in ok:
            problems.append(f"backup {b.id[:8]} still {b.status}")
    return problems


STORED_VOLUME = frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE})
"""Statuses in which a volume's data must be on its backend."""


def records_have_storage(cloud: Cloud, *, allowed: Iterable[str] = ()) -> list[str]:
    """(8) Nothing is lost: an ``available``/``in-use`` volume has its LV on the backend
    its host names, an ``available`` snapshot its LV beside it.

    (The converse does not hold in Cinder: unmanaging leaves the LV behind on purpose.)
    *allowed* lists ``kind:id`` resources an admin reset (an ``os-reset_status`` to
    ``available`` writes the row only).
    """
    ok = set(allowed)
    problems: list[str] = []
    db = cloud.db
    services = cloud.volume_services
    for v in db.volumes.values():
        if v.status not in STORED_VOLUME or f"volume:{v.id}" in ok:
            continue
        svc = services.get((v.host or "").split("#")[0])
        if svc is None:
            problems.append(f"volume {v.id[:8]} is {v.status} on unknown host {v.host}")
        elif not (_is_lvm(svc.driver) or isinstance(svc.driver, RBDDriver)):
            continue  # backend_invariants: a chain on a share, a LUN on the array
        elif not _has_volume(svc.driver, svc.vg, v.id):
            problems.append(f"volume {v.id[:8]} is {v.status} but {svc.host} has no LV for it")
    for s in db.snapshots.values():
        if s.status != SnapshotStatus.AVAILABLE or f"snapshot:{s.id}" in ok:
            continue
        vol = db.volumes.get(s.volume_id)
        svc = services.get(((vol.host if vol else None) or "").split("#")[0])
        if svc is not None and (_is_lvm(svc.driver) or isinstance(svc.driver, RBDDriver)) \
                and not _has_snapshot(svc.driver, svc.vg, s.id, s.volume_id):
            problems.append(f"snapshot {s.id[:8]} is available but {svc.host} has no LV for it")
    return problems
