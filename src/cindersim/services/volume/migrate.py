"""cinder-volume's retype and migration flows (``VolumeManager.retype``,
``VolumeManager.migrate_volume``, ``_migrate_volume_generic``,
``migrate_volume_completion``); the scheduler's half is
:mod:`cindersim.services.scheduler.migration`.

Retype: the API has reserved ``volumes_<new>``/``gigabytes_<new>`` and a
negative ``volumes_<old>``/``gigabytes_<old>`` and set ``retyping``.  The
scheduler filters every backend for the new type with ``vol_exists_on`` set to
the volume's pool (so the CapacityFilter does not count the volume twice); the
current pool winning means an in-place retype, else the best backend when the
policy is ``on-demand``, else NoValidBackend ("... migration not allowed"), which
puts the volume back to its previous status and rolls both reservations back.
In place, the LVM driver's ``retype`` has nothing to do and returns True.

Generic migration (always host-assisted here; the LVM driver's own
``migrate_volume`` only helps between VGs of one host): ``migrating``; a
temporary volume row (``migration_status`` ``target:<src_id>``, consuming no
quota, in the destination service's availability zone as the ``services``
table gives it) is created on the destination over RPC; the source manager
attaches both volumes to its own host (``initialize_connection`` over RPC for
the destination, locally for the source, then an os-brick iSCSI login each),
``dd``s one device onto the other through the sessions (charged at
``copy_bandwidth``), and detaches both (``terminate_connection`` +
``remove_export``); ``completing``; the destination renames its LV to the
source's name (LVM ``update_migrated_volume``), the ids are swapped -- the
volume keeps its id and gets the destination host -- and the old LV is deleted;
``success``.  Any failure deletes the destination's LV over RPC and leaves the
volume where it was with ``migration_status`` ``error``.  The managers never
touch each other's objects: every step on the destination is an RPC.

Simulator decision: an ``in-use`` volume that needs moving would take Nova's
``swap_volume``; that is not simulated and the migration ends in ``error``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from ...backends.blocks import BLOCK_SIZE, BlockData
from ...backends.drivers import LVMVolumeDriver
from ...bus import Target
from ...db import Volume
from ...errors import CinderException
from ...states import MigrationStatus, Op, VolumeStatus
from ..volume_utils import extract_host
from .attach import initialize_connection, remove_export, terminate_connection

if TYPE_CHECKING:
    from ..env import ServiceEnv
    from .manager import VolumeService

__all__ = ["METHODS"]

SCHED = "cinder-scheduler"


@attrs.frozen
class _LvRef:
    """What the driver needs of a volume (``VolumeLike``) for one LV."""

    id: str
    size: int
    provider_location: str | None = None
    provider_auth: str | None = None


class MigrationError(CinderException):
    message = "Volume migration failed: %(reason)s"


def _back_to_previous(env: ServiceEnv, vol: Volume, op: str, actor: str, reason: str) -> None:
    previous = vol.previous_status or VolumeStatus.AVAILABLE
    if vol.status in (VolumeStatus.RETYPING, VolumeStatus.MAINTENANCE):
        env.db.transition(vol, previous, op=op, actor=actor, reason=reason)


# --- volume manager side --------------------------------------------------------------------
def _service_az(env: ServiceEnv, host: str) -> str:
    """The destination's availability zone, from the ``services`` table (``_get_service``)."""
    for row in env.db.services_of("cinder-volume"):
        if row.host == host:
            return row.availability_zone
    raise MigrationError(reason=f"no volume service for {host}")


async def _attach(svc: VolumeService, vol: Volume, host: str | None) -> dict[str, Any]:
    """``_attach_volume``: ``initialize_connection`` (RPC to *host*, or this manager's
    own when None), then os-brick ``connect_volume`` on this host."""
    if host is None:
        info: dict[str, Any] = await initialize_connection(svc, volume_id=vol.id,
                                                           connector=svc.connector)
    else:
        info = await svc.env.bus.call(svc.actor, Target("cinder-volume", host),
                                      "initialize_connection", volume_id=vol.id,
                                      connector=svc.connector)
    svc.meter.take()
    try:
        if info.get("driver_volume_type") == "rbd":
            svc.rbd.connect_volume(info["data"])  # os-brick's RBD connector: librbd
        elif svc.volumes.handles(info):
            svc.volumes.connect_volume(info, (vol.id, "migration"))
        else:
            svc.initiator.connect_volume(info["data"])
    except CinderException:
        await svc.meter.spend()
        await _detach(svc, vol, info, host)
        raise
    await svc.meter.spend()
    return info


async def _detach(svc: VolumeService, vol: Volume, info: dict[str, Any] | None,
                  host: str | None) -> None:
    """``_detach_volume(force=True)``: os-brick disconnect, then ``terminate_connection``
    and ``remove_export`` (RPC to *host*, or this manager's own)."""
    if info is not None:
        if info.get("driver_volume_type") == "rbd":
            svc.rbd.disconnect_volume(info["data"])
        elif svc.volumes.handles(info):
            svc.volumes.disconnect_volume(info, (vol.id, "migration"))
        else:
            svc.initiator.disconnect_volume(info["data"])
        await svc.meter.spend()
    if host is None:
        await terminate_connection(svc, volume_id=vol.id, connector=svc.connector, force=True)
        await remove_export(svc, volume_id=vol.id)
        return
    target = Target("cinder-volume", host)
    await svc.env.bus.call(svc.actor, target, "terminate_connection", volume_id=vol.id,
                           connector=svc.connector, force=True)
    await svc.env.bus.call(svc.actor, target, "remove_export", volume_id=vol.id)


def _device(svc: VolumeService, info: dict[str, Any]) -> BlockData:
    """The attached device: an iSCSI session's, an RBD image opened by librbd, an NFS file
    through the mount, an FC LUN."""
    if info.get("driver_volume_type") == "rbd":
        return svc.rbd.handle(info["data"]).data
    if svc.volumes.handles(info):
        return svc.volumes.device_data(info)
    return svc.initiator.device_data(svc.initiator.connected_session(info["data"]))


async def _copy_volume_data(svc: VolumeService, src: Volume, dest: Volume,
                            dest_host: str) -> None:
    """``_copy_volume_data(remote='dest')``: attach the destination (over RPC) and the
    source (locally) to this host, ``dd`` one device onto the other, detach both.

    The blocks move through the two iSCSI sessions: read from the source's
    target, written to the destination's.
    """
    dest_info = await _attach(svc, dest, dest_host)
    try:
        src_info = await _attach(svc, src, None)
    except Exception:
        await _detach(svc, dest, dest_info, dest_host)
        raise
    # No await in a finally: a run that ends mid-copy closes this coroutine.
    failure: Exception | None = None
    try:
        source = _device(svc, src_info)
        target = _device(svc, dest_info)

        def copy_volume_data() -> None:
            nbytes = source.written() * BLOCK_SIZE
            svc.meter.charge("dd", "dd if=/dev/sdX of=/dev/sdY bs=1M oflag=direct",
                             svc.meter.costs.transfer(nbytes, svc.meter.costs.copy_bandwidth),
                             f"volume-{src.id} copied to {dest_host} ({nbytes} bytes)",
                             volume_id=src.id, bytes=nbytes)
            target.put(source.items())

        await svc.drive("copy_volume_data", copy_volume_data, resource=f"volume:{src.id}")
    except Exception as exc:
        failure = exc
    for vol, info, host in ((dest, dest_info, dest_host), (src, src_info, None)):
        try:
            await _detach(svc, vol, info, host)
        except Exception as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


async def _generic_migrate(svc: VolumeService, vol: Volume, host: str,
                           new_type_id: str | None, op: str) -> None:
    """``_migrate_volume_generic`` then ``migrate_volume_completion``; raises on failure
    (after cleaning the destination up)."""
    env = svc.env
    db = env.db
    if vol.status == VolumeStatus.IN_USE or db.attachments_of(vol.id):
        raise MigrationError(reason="an attached volume needs Nova's swap_volume, which the "
                                    "simulator does not model")
    dest_host = extract_host(host) or host
    dest_az = _service_az(env, dest_host)
    db.transition(vol, MigrationStatus.MIGRATING, op=op, actor=svc.actor,
                  field="migration_status")
    tmp = Volume(id=env.sim.ids.uuid(), project_id=vol.project_id, user_id=vol.user_id,
                 size=vol.size, host=host, availability_zone=dest_az,
                 display_name=vol.display_name, volume_type_id=new_type_id or vol.volume_type_id,
                 multiattach=vol.multiattach, encrypted=vol.encrypted, bootable=vol.bootable,
                 use_quota=False)
    db.add(tmp, op=Op.MIGRATE, actor=svc.actor)
    db.transition(tmp, f"target:{vol.id}", op=op, actor=svc.actor, field="migration_status")
    dest = Target("cinder-volume", dest_host)
    created = False
    try:
        await env.bus.call(svc.actor, dest, "create_migration_target", volume_id=tmp.id)
        created = True
        await _copy_volume_data(svc, vol, tmp, dest_host)
    except Exception as exc:
        if created:
            with contextlib.suppress(CinderException):
                await env.bus.call(svc.actor, dest, "delete_migration_target",
                                   volume_id=tmp.id)
        if tmp.id in db.volumes:
            db.transition(tmp, None, op=op, actor=svc.actor, field="migration_status")
            db.remove(tmp, op=Op.MIGRATE, actor=svc.actor, reason=str(exc))
        raise
    db.transition(vol, MigrationStatus.COMPLETING, op=op, actor=svc.actor,
                  field="migration_status")
    # migrate_volume_completion: the destination renames its LV to the source's name
    # (update_migrated_volume), the old LV goes (after its export); the row keeps its id
    # and takes the new host.
    try:
        await env.bus.call(svc.actor, dest, "update_migrated_volume", volume_id=vol.id,
                           new_volume_id=tmp.id)
    except CinderException as exc:
        env.trace.emit("log", svc.actor, f"renaming the migrated volume failed: {exc}",
                       resource=f"volume:{vol.id}")
    old = _LvRef(vol.id, vol.size, vol.provider_location, vol.provider_auth)
    try:
        await svc.drive("remove_export", svc.driver.remove_export, old,
                        resource=f"volume:{vol.id}")
        await svc.drive("delete_volume", svc.driver.delete_volume, old,
                        resource=f"volume:{vol.id}")
    except CinderException as exc:
        env.trace.emit("log", svc.actor, f"deleting the migrated source failed: {exc}",
                         resource=f"volume:{vol.id}")
    svc.allocated_capacity_gb = max(0, svc.allocated_capacity_gb - vol.size)
    vol.host = host
    vol.availability_zone = tmp.availability_zone
    vol.provider_location = tmp.provider_location  # finish_volume_migration: the new row's
    vol.provider_auth = None
    db.transition(tmp, None, op=op, actor=svc.actor, field="migration_status")
    db.remove(tmp, op=Op.MIGRATE, actor=svc.actor, reason="ids swapped with the source")
    env.trace.emit("migrate", svc.actor, f"volume {vol.id[:8]} now lives on {host}",
                     resource=f"volume:{vol.id}", host=host)


# --- destination side --------------------------------------------------------------------
async def create_migration_target(svc: VolumeService, *, volume_id: str) -> None:
    """The destination creates the new volume's LV and counts it as its own."""
    db = svc.env.db
    vol = db.get_volume(volume_id)
    # The driver gets the volume row itself, as Cinder's manager passes the volume object:
    # a file driver (NFS) records the share it chose in its provider_location.
    await svc.drive("create_volume", svc.driver.create_volume, vol,
                    resource=f"volume:{volume_id}")
    svc.allocated_capacity_gb += vol.size
    db.transition(vol, VolumeStatus.AVAILABLE, op=Op.MIGRATE, actor=svc.actor)


async def delete_migration_target(svc: VolumeService, *, volume_id: str) -> None:
    """A failed migration: the destination deletes the new volume's LV (and its export)."""
    vol = svc.env.db.get_volume(volume_id)
    lv = _LvRef(volume_id, vol.size, vol.provider_location, vol.provider_auth)
    await svc.drive("remove_export", svc.driver.remove_export, lv,
                    resource=f"volume:{volume_id}")
    await svc.drive("delete_volume", svc.driver.delete_volume, lv,
                    resource=f"volume:{volume_id}")
    svc.allocated_capacity_gb = max(0, svc.allocated_capacity_gb - vol.size)


async def update_migrated_volume(svc: VolumeService, *, volume_id: str,
                                 new_volume_id: str) -> None:
    """LVM ``update_migrated_volume``: ``lvrename volume-<new id> volume-<id>`` so the
    volume keeps its LV name on its new backend (Cinder falls back to ``_name_id``
    when the rename fails; the simulator only logs it)."""
    driver = svc.driver
    own = getattr(driver, "update_migrated_volume", None)  # NFS renames its file, FC its LUN

    def rename() -> None:
        if isinstance(driver, LVMVolumeDriver):
            driver.rename_lv(driver.volume_name(new_volume_id), driver.volume_name(volume_id),
                             already_managed=lambda _id: False)
            # LVM's model update after a rename: provider_location None (the volume takes
            # the new row's columns when the ids are swapped).
            new_row = svc.env.db.volumes.get(new_volume_id)
            if new_row is not None:
                new_row.provider_location = None
        elif own is not None:
            own(volume_id, new_volume_id)  # NFS's model update keeps the new share; RBD renames

    await svc.drive("update_migrated_volume", rename, resource=f"volume:{volume_id}")


async def migrate_volume(svc: VolumeService, *, volume_id: str, host: str,
                         force_host_copy: bool = False, new_type_id: str | None = None,
                         op: str = Op.MIGRATE) -> bool:
    """``VolumeManager.migrate_volume``: generic migration; True on success."""
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        return False
    try:
        await _generic_migrate(svc, vol, host, new_type_id, op)
    except CinderException as exc:
        if vol.id in db.volumes:
            db.transition(vol, MigrationStatus.ERROR, op=op, actor=svc.actor,
                          field="migration_status", reason=f"{type(exc).__name__}: {exc}")
            if op == Op.MIGRATE:
                _back_to_previous(env, vol, op, svc.actor, "migration failed")
        return False
    db.transition(vol, MigrationStatus.SUCCESS, op=op, actor=svc.actor, field="migration_status")
    if op == Op.MIGRATE and vol.status == VolumeStatus.MAINTENANCE:
        _back_to_previous(env, vol, op, svc.actor, "migration done")
    return True


async def retype(svc: VolumeService, *, volume_id: str, new_type_id: str, host: str,
                 migration_policy: str, reservations: list[str],
                 old_reservations: list[str]) -> None:
    """``VolumeManager.retype``: in place through the driver, else migrate."""
    env = svc.env
    db = env.db
    vol = db.volumes.get(volume_id)
    if vol is None:
        env.quota.rollback(reservations + old_reservations)
        return

    def fail(reason: str) -> None:
        env.quota.rollback(reservations + old_reservations)
        _back_to_previous(env, vol, Op.RETYPE, svc.actor, reason)

    if host == vol.host or extract_host(host) == extract_host(vol.host or ""):
        def lvm_retype() -> bool:
            # LVMVolumeDriver.retype: "No action required for LVM volumes."
            return True

        retyped = await svc.drive("retype", lvm_retype, resource=f"volume:{vol.id}")
        if not retyped:
            fail("the driver could not retype in place")
            return
    else:
        if migration_policy == "never":
            fail("Retype requires migration but is not allowed.")
            return
        if db.snapshots_of(vol.id):
            fail("Volume must not have snapshots.")
            return
        db.transition(vol, MigrationStatus.STARTING, op=Op.RETYPE, actor=svc.actor,
                      field="migration_status")
        if not await migrate_volume(svc, volume_id=vol.id, host=host, new_type_id=new_type_id,
                                    op=Op.RETYPE):
            fail("the migration of the retype failed")
            return
    vol.volume_type_id = new_type_id
    env.quota.commit(reservations)
    env.quota.commit(old_reservations)
    _back_to_previous(env, vol, Op.RETYPE, svc.actor, "retyped")


METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "retype": retype,
    "migrate_volume": migrate_volume,
    "create_migration_target": create_migration_target,
    "delete_migration_target": delete_migration_target,
    "update_migrated_volume": update_migrated_volume,
}
