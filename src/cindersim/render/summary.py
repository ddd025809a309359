"""The end of a run at a glance: resources, backends, counts, virtual time.

Per resource, the final state comes from the ``status`` events (a record whose
last event ends it is ``deleted``).  Per backend, capacity comes from the
cloud when the caller has it (:meth:`cindersim.Cloud.capacity`: the driver's own stats at
the end of the run, the figures an operator would read with ``cinder
get-pools``); otherwise from the last capability report each cinder-volume
sent cinder-scheduler in the trace, which may be up to a polling interval old.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..trace import TraceEvent
from ._events import is_query, labels_of, short, state_text

__all__ = ["BackendCapacity", "Counts", "ResourceState", "capacity_of", "counts",
           "final_states", "summary"]


@attrs.frozen
class Counts:
    """What happened, counted."""

    requests: int
    responses: Mapping[int, int]
    messages: int
    messages_by_kind: Mapping[str, int]
    delivered: int
    queued: int
    bus_faults: int
    driver_calls: Mapping[str, int]
    backend_ops: int
    backend_queries: int
    errors: int
    errors_by_kind: Mapping[str, int]


def counts(events: Iterable[TraceEvent]) -> Counts:
    """Count requests, messages, driver calls, backend commands and errors.

    Errors are everything that went wrong: driver failures, bus errors and
    timeouts, lost messages, scheduling failures (NoValidBackend), records
    put in an error status, simulator bugs and refused requests (HTTP 4xx/5xx).
    """
    kinds: Counter[str] = Counter()
    responses: Counter[int] = Counter()
    by_msg: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    ops = queries = 0
    for ev in events:
        k = ev.kind
        kinds[k] += 1
        d = ev.detail
        if k == "api.response":
            status = int(d.get("status", 0))
            responses[status] += 1
            if status >= 400:
                errors[f"HTTP {status}"] += 1
        elif k in ("bus.send", "bus.reply"):
            by_msg[str(d.get("msg_kind", "cast"))] += 1
        elif k == "driver":
            calls[str(d.get("call", "?"))] += 1
        elif k == "backend":
            if is_query(ev):
                queries += 1
            else:
                ops += 1
        elif k in ("driver.error", "bus.error", "bus.timeout", "api.bug"):
            errors[k] += 1
        elif k == "bus.fault" and d.get("action") == "drop":
            errors["message lost"] += 1
        elif k == "schedule" and (d.get("decision") or {}).get("error"):
            errors["NoValidBackend"] += 1
        elif k == "status" and str(d.get("new") or "").startswith("error"):
            errors[f"{(ev.resource or '?').partition(':')[0]} → {d.get('new')}"] += 1
    return Counts(
        requests=kinds["api.request"], responses=dict(sorted(responses.items())),
        messages=kinds["bus.send"] + kinds["bus.reply"], messages_by_kind=dict(sorted(
            by_msg.items())), delivered=kinds["bus.deliver"], queued=kinds["bus.queued"],
        bus_faults=kinds["bus.fault"], driver_calls=dict(sorted(calls.items())),
        backend_ops=ops, backend_queries=queries, errors=sum(errors.values()),
        errors_by_kind=dict(sorted(errors.items())))


@attrs.frozen
class ResourceState:
    """A resource's last known state, from the trace."""

    resource: str
    """``volume:<id>``, ``snapshot:<id>`` ..."""
    label: str | None
    status: str
    """The last status, or ``deleted`` when the record ended."""
    fields: Mapping[str, str]
    """Other tracked fields' last values (``attach_status``, ``migration_status``)."""


def final_states(events: Iterable[TraceEvent]) -> list[ResourceState]:
    """Every resource the run touched, in order of first appearance."""
    evs = list(events)
    labels = labels_of(evs)
    last: dict[str, dict[str, Any]] = {}
    for ev in evs:
        if ev.kind != "status" or not ev.resource:
            continue
        fields = last.setdefault(ev.resource, {})
        field = str(ev.detail.get("field", "status"))
        fields[field] = ev.detail.get("new")
        if ev.detail.get("new") is None and field == "status":
            fields["__gone__"] = True
    out = []
    for res, fields in last.items():
        gone = bool(fields.pop("__gone__", False))
        status = "deleted" if gone else state_text(fields.pop("status", None))
        fields.pop("status", None)
        out.append(ResourceState(res, labels.get(res), status,
                                 {k: state_text(v) for k, v in sorted(fields.items())}))
    return out


@attrs.frozen
class BackendCapacity:
    """One backend's capacity (GiB), as ``cinder get-pools`` would show it."""

    backend: str
    availability_zone: str
    total_gb: float
    free_gb: float
    provisioned_gb: float
    allocated_gb: float
    thin: bool
    max_over_subscription_ratio: str
    volumes: int | None = None


def capacity_of(cloud: Any) -> list[BackendCapacity]:
    """Deprecated: use :meth:`cindersim.Cloud.capacity` (renderers read only the trace)."""
    warnings.warn("cindersim.render.capacity_of(cloud) is deprecated; use cloud.capacity()",
                  DeprecationWarning, stacklevel=2)
    result: list[BackendCapacity] = cloud.capacity()
    return result


def capacity_from_trace(events: Iterable[TraceEvent]) -> list[BackendCapacity]:
    """Each backend's last capability report to cinder-scheduler."""
    last: dict[str, tuple[str, Sequence[Mapping[str, Any]]]] = {}
    for ev in events:
        if ev.kind == "bus.send" and ev.detail.get("method") == "update_service_capabilities":
            args = ev.detail.get("args") or {}
            caps = args.get("capabilities") or {}
            # A driver without pools (RBD): the report itself is the one pool.
            pools = caps.get("pools") or ((caps,) if "total_capacity_gb" in caps else ())
            last[str(args.get("host", ev.actor))] = (str(args.get("availability_zone", "?")),
                                                     pools)
    out = []
    for host, (az, pools) in last.items():
        for pool in pools:
            out.append(BackendCapacity(
                backend=host, availability_zone=az,
                total_gb=float(pool.get("total_capacity_gb") or 0),
                free_gb=float(pool.get("free_capacity_gb") or 0),
                provisioned_gb=float(pool.get("provisioned_capacity_gb") or 0),
                allocated_gb=float(pool.get("allocated_capacity_gb") or 0),
                thin=bool(pool.get("thin_provisioning_support")),
                max_over_subscription_ratio=str(pool.get("max_over_subscription_ratio"))))
    return out


def _tally(items: Mapping[Any, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in items.items()) or "none"


def summary(events: Iterable[TraceEvent], *, capacity: Sequence[BackendCapacity] | None = None,
            title: str | None = None) -> str:
    """A plain-text summary of a run.

    Args:
        events: the trace.
        capacity: backend figures from :func:`capacity_of`; without them the last
            capability reports in the trace are used.
        title: an optional first line.
    """
    evs = list(events)
    end = evs[-1].time if evs else 0.0
    lines = [title] if title else []
    lines.append(f"Summary (virtual time {end:.3f} s, {len(evs)} events)")
    lines.append("Resources:")
    states = final_states(evs)
    for st in states:
        kind, _, rid = st.resource.partition(":")
        name = f"{st.label} ({short(rid)})" if st.label else short(rid)
        extra = "".join(f"  {k}={v}" for k, v in st.fields.items())
        lines.append(f"  {kind:<10} {name:<22} {st.status}{extra}")
    if not states:
        lines.append("  (none)")
    caps = list(capacity) if capacity is not None else capacity_from_trace(evs)
    source = "now" if capacity is not None else "last report"
    lines.append(f"Backends ({source}):")
    for b in caps:
        vols = f"  volumes {b.volumes}" if b.volumes is not None else ""
        lines.append(f"  {b.backend}  AZ {b.availability_zone}  "
                     f"{'thin' if b.thin else 'thick'} (mosr {b.max_over_subscription_ratio})"
                     f"  total {b.total_gb:g} GiB  free {b.free_gb:g} GiB  "
                     f"provisioned {b.provisioned_gb:g} GiB  allocated {b.allocated_gb:g} GiB"
                     f"{vols}")
    if not caps:
        lines.append("  (none)")
    c = counts(evs)
    lines.append(f"Requests: {c.requests} ({_tally(c.responses)})")
    lines.append(f"Messages: {c.messages} sent ({_tally(c.messages_by_kind)}), "
                 f"{c.delivered} delivered, {c.queued} queued, {c.bus_faults} bus faults")
    lines.append(f"Driver calls: {sum(c.driver_calls.values())} ({_tally(c.driver_calls)})")
    lines.append(f"Backend commands: {c.backend_ops} (+{c.backend_queries} read-only queries)")
    lines.append(f"Errors: {c.errors} ({_tally(c.errors_by_kind)})")
    return "\n".join(lines) + "\n"
