"""``dd`` on LV devices, as Cinder's ``volume_utils.clear_volume`` / ``copy_volume`` run it.

Each call charges the VG's meter once (component ``lvm``, op ``dd``); dd
itself exits 1 on an I/O error (EIO from an invalid snapshot, ENOSPC from a
full thin pool, after dm-thin's queueing delay, which is charged).
"""

from __future__ import annotations

from ... import errors
from ..blocks import BLOCK_SIZE
from .snapshots import SnapshotInvalidError
from .thin_pool import ThinPoolFullError
from .volume_group import VolumeGroup

__all__ = ["dd_copy", "dd_zero"]


def dd_zero(vg: VolumeGroup, lv_name: str, nbytes: int, *, cow: bool = False) -> None:
    """``dd if=/dev/zero of=<dev>[-cow] bs=1M count=<n> oflag=direct``.

    Zeroing the ``-cow`` device of a snapshot (Cinder's delete_snapshot for
    thick) destroys the snapshot's preserved data; it is removed next.
    """
    dev = vg.local_path(lv_name) + ("-cow" if cow else "")
    cmd = f"dd if=/dev/zero of={dev} count={nbytes} iflag=count_bytes oflag=direct"
    lv = vg._get(lv_name, cmd)
    data = vg._content(lv)
    if data is not None and not cow:
        data.discard(0, min(-(-nbytes // BLOCK_SIZE), data.size_blocks))
    costs = vg.meter.costs
    vg.meter.charge("lvm", "dd", costs.transfer(nbytes, costs.zero_bandwidth), cmd,
                    lv=lv_name, bytes=nbytes, zero=True)


def dd_copy(vg: VolumeGroup, src: str, dst: str, nbytes: int, *, sparse: bool = False) -> None:
    """``dd if=<src> of=<dst> count=<n> [conv=sparse]``: copies *nbytes* of content.

    dd reads the whole range either way; *sparse* (used for thin targets)
    skips writing zero blocks, so only written data allocates pool chunks.
    Raises ProcessExecutionError on EIO (invalid snapshot) or ENOSPC (full
    pool, after dm-thin's queueing delay, which is charged).
    """
    cmd = (f"dd if={vg.local_path(src)} of={vg.local_path(dst)} count={nbytes} "
           f"iflag=count_bytes{' conv=sparse' if sparse else ''}")
    costs = vg.meter.costs
    seconds = costs.transfer(nbytes, costs.copy_bandwidth)
    nblocks = -(-nbytes // BLOCK_SIZE)
    vg._get(src, cmd)
    vg._get(dst, cmd)
    try:
        source = vg.data(src)
        target = vg.data(dst)
        if nblocks > target.size_blocks:
            raise vg._error(cmd, f"dd: error writing '{vg.local_path(dst)}': "
                            "No space left on device")
        items = source.items_in(0, nblocks)
        if not sparse:
            have = {i for i, _ in items}
            items = sorted([*items, *((i, 0) for i, _ in target.items_in(0, nblocks)
                                      if i not in have)])
        target.put(items)
    except SnapshotInvalidError as exc:
        vg.meter.charge("lvm", "dd", seconds, cmd, src=src, dst=dst, error="EIO")
        raise errors.ProcessExecutionError(
            cmd=cmd, exit_code=1,
            stderr=f"dd: error reading '{vg.local_path(src)}': Input/output error") from exc
    except ThinPoolFullError as exc:
        vg.meter.charge("lvm", "dd", seconds + exc.stall_seconds, cmd, src=src, dst=dst,
                        error="ENOSPC")
        raise errors.ProcessExecutionError(
            cmd=cmd, exit_code=1,
            stderr=f"dd: error writing '{vg.local_path(dst)}': No space left on device") from exc
    vg.meter.charge("lvm", "dd", seconds, cmd, src=src, dst=dst, bytes=nbytes,
                    sparse=sparse)
