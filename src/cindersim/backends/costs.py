"""What storage operations cost in virtual seconds, and the meter that adds it up.

Backends are plain synchronous models: they change state at once and *charge*
the meter for the time the real command would have taken.  The service that
called them then sleeps that long in virtual time (``await sleep(meter.take())``).
Every charge is also one backend-operation record, so the trace sees each
``lvcreate`` or ``tgt-admin --update`` exactly once.

The default figures are round numbers of the right order for a small LVM host
(an lvcreate takes a fraction of a second; ``dd`` copies at a few hundred
MiB/s); they are a model to be tuned by scenario files, not measurements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..clock import sleep

if TYPE_CHECKING:
    from ..trace import Trace

__all__ = ["CostModel", "Meter", "OpRecorder", "trace_recorder"]

MiB = 1024 * 1024


class OpRecorder(Protocol):
    """Where a backend operation is reported (the trace, bound to an actor).  *detail*
    is handed over (:meth:`Meter.charge` passes its own fresh ``**detail``): the
    recorder may keep or extend it."""

    def __call__(self, component: str, op: str, summary: str, seconds: float,
                 detail: dict[str, Any]) -> None: ...


@attrs.frozen(kw_only=True)
class CostModel:
    """Virtual durations of backend operations.

    Bandwidths are bytes per virtual second; latencies are virtual seconds.
    """

    lvcreate: float = 0.4
    """``lvcreate`` of a thick or thin LV, or of a snapshot."""
    lvremove: float = 0.3
    lvextend: float = 0.3
    vg_scan: float = 0.05
    """``vgs`` / ``lvs`` report used by stats and setup."""
    lvchange: float = 0.1
    """``lvchange -a y|n`` (activation) or ``-k n`` (clearing the activation-skip flag)."""
    lvconvert: float = 0.3
    """Starting ``lvconvert --merge``; the merge copy itself is charged at copy_bandwidth."""
    zero_bandwidth: float = 500 * MiB
    """``dd if=/dev/zero`` when a thick LV is cleared on delete (volume_clear=zero)."""
    copy_bandwidth: float = 300 * MiB
    """``dd`` between LVs for thick clones and volumes from snapshots."""
    target_create: float = 0.2
    """Writing a tgt config / rtstool create and updating the target."""
    target_remove: float = 0.15
    acl_change: float = 0.05
    """LIO per-initiator ACL add/remove."""
    target_show: float = 0.02
    """A read-only target query (``tgt-admin --show``, ``cinder-rtstool get-targets``)."""
    iscsi_login: float = 0.5
    iscsi_logout: float = 0.2
    object_put_latency: float = 0.02
    object_get_latency: float = 0.01
    object_delete_latency: float = 0.005
    object_bandwidth: float = 200 * MiB
    """Transfer rate into and out of the object store."""
    read_bandwidth: float = 400 * MiB
    """Reading a volume's blocks during a backup."""
    compress_bandwidth: float = 150 * MiB
    """zlib over uncompressed chunk bytes."""
    sha_bandwidth: float = 800 * MiB
    """SHA-256 over every block of the volume."""
    decompress_bandwidth: float = 400 * MiB
    """zlib inflate over restored (uncompressed) bytes; inflate is faster than deflate."""
    restore_write_bandwidth: float = 300 * MiB
    """Writing restored data onto the target volume (like ``dd``)."""

    def transfer(self, nbytes: float, bandwidth: float) -> float:
        """Seconds to move *nbytes* at *bandwidth* bytes per second."""
        return nbytes / bandwidth if nbytes > 0 else 0.0

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in attrs.fields(cls)]


class Meter:
    """Accumulates the virtual seconds a driver call has cost so far.

    A driver method may run several backend operations (lvcreate, then a
    target update); each charges the meter.  The caller takes the total once
    and sleeps through it, so the simulation pays one timer per driver call
    rather than one per operation.
    """

    __slots__ = ("costs", "pending", "record", "reports", "total")

    def __init__(self, costs: CostModel | None = None,
                 record: OpRecorder | None = None) -> None:
        self.costs = costs if costs is not None else CostModel()
        self.reports: Callable[[], bool]
        """Whether a :meth:`charge` would report anywhere (a recorder may say no with a
        ``wanted()`` method); when not, a hot caller may :meth:`add` the seconds alone
        instead of building the summary and detail nobody reads.  Set by :meth:`bind`:
        the recorder's own ``wanted``, called without a frame of the meter's."""
        self.bind(record)
        self.pending = 0.0
        """Seconds charged since the last :meth:`take` (the volume service resets and
        reads it around each driver call itself: see ``VolumeService.drive``)."""
        self.total = 0.0
        """Virtual seconds charged over the meter's life."""

    def charge(self, component: str, op: str, seconds: float, summary: str,
               **detail: Any) -> None:
        """Add *seconds* for one backend operation and report it."""
        self.pending += seconds
        self.total += seconds
        if self.record is not None:
            self.record(component, op, summary, seconds, detail)

    def add(self, seconds: float) -> None:
        """:meth:`charge` without the report (see :attr:`reports`)."""
        self.pending += seconds
        self.total += seconds

    def take(self) -> float:
        """Return the seconds charged since the last take, and reset."""
        pending, self.pending = self.pending, 0.0
        return pending

    async def spend(self) -> None:
        """Sleep, in virtual time, through what was charged since the last take."""
        cost = self.take()
        if cost > 0:
            await sleep(cost)

    def bind(self, record: OpRecorder | None) -> None:
        """Route future reports to *record* (the volume service does this at start)."""
        # A trace recorder's bound __call__: calling the instance goes through the type's
        # call slot, about three times the cost (every backend operation of a full trace).
        self.record = record.__call__ if isinstance(record, _TraceRecorder) else record
        """Where reports go (None: nowhere): a hot caller that added the seconds itself
        and asked :attr:`reports` may hand its report here, as :meth:`charge` would."""
        # What reports() asks, looked up once here rather than at every create's lvcreate.
        self.reports = _never if record is None else getattr(record, "wanted", _always)


def _never() -> bool:
    return False


def _always() -> bool:
    return True


class _TraceRecorder:
    """:func:`trace_recorder`'s recorder."""

    __slots__ = ("host", "trace", "wanted")

    def __init__(self, trace: Trace, host: str) -> None:
        self.trace = trace
        self.host = host
        self.wanted: Callable[[], bool] = trace.wants_now("backend")
        """Whether a report would go anywhere (:attr:`Meter.reports`): ``trace.wants``
        answered without a frame, as every create's lvcreate asks it."""

    def __call__(self, component: str, op: str, summary: str, seconds: float,
                 detail: dict[str, Any]) -> None:
        trace = self.trace
        wanted = trace.wanted_kinds  # Trace.wants, inline: every create's lvcreate asks
        if wanted is None or "backend" in wanted:
            # The charge's own dict, extended and handed over: the keys of
            # {**detail, "op": ..., "seconds": ...}, in that order, without a copy.
            detail["op"] = op
            detail["seconds"] = round(seconds, 9)
            trace.emit_owned("backend", component, summary, detail, self.host)  # (target)


def trace_recorder(trace: Trace, host: str) -> OpRecorder:
    """An :class:`OpRecorder` writing each backend operation to *trace* as one
    ``backend`` event (actor: the component, ``lvm``/``tgtadm``/...; target: *host*)."""
    return _TraceRecorder(trace, host)
