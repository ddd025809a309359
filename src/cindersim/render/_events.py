"""What every renderer needs to know about trace events.

The renderers read nothing but the event log, so the knowledge of *which*
events matter to a reader lives here, once: who an actor is in the seed
documents' picture (participants), which backend commands only read state
(``lvs``, ``vgs``, ``tgt-admin --show``: counted, not narrated), which events
are the cloud starting up, how the log splits into sections (one per scenario
step, or one per client request when no scenario drove the run), and which
flow of the documents a section is (create, attach, backup, restore ...).

Everything is keyed on event kinds and details, never on one scenario, so a
flow that lands tomorrow is narrated reasonably the moment its events exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..trace import TraceEvent

__all__ = [
    "PARTICIPANTS",
    "Section",
    "compact_json",
    "flow_of",
    "ids_to_names",
    "is_query",
    "labels_of",
    "participant_of",
    "sections",
    "short",
    "state_text",
]

#: The lifelines of the seed documents' diagrams, in the order a sequence diagram
#: declares them: (Mermaid id, name shown).
PARTICIPANTS: tuple[tuple[str, str], ...] = (
    ("Client", "Client"),
    ("NovaAPI", "nova-api"),
    ("NovaCompute", "nova-compute"),
    ("Hypervisor", "hypervisor (libvirt)"),
    ("CinderAPI", "cinder-api"),
    ("KeyManager", "barbican (key manager)"),
    ("AMQP", "AMQP"),
    ("Scheduler", "cinder-scheduler"),
    ("Volume", "cinder-volume"),
    ("LVM", "LVM"),
    ("Target", "iSCSI target"),
    ("Ceph", "Ceph cluster (RBD)"),
    ("Share", "NFS share"),
    ("Fabric", "FC fabric (zoning)"),
    ("Array", "FC array"),
    ("Backup", "cinder-backup"),
    ("ObjectStore", "object store"),
)

_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("client", "Client"),
    ("nova-api", "NovaAPI"),
    ("nova-compute", "NovaCompute"),
    ("nova", "NovaCompute"),
    ("hypervisor", "NovaCompute"),
    ("libvirt", "NovaCompute"),
    ("cinder-api", "CinderAPI"),
    ("barbican", "KeyManager"),
    ("cinder-scheduler", "Scheduler"),
    ("cinder-volume", "Volume"),
    ("driver", "Volume"),
    ("cinder-backup", "Backup"),
    ("backup-driver", "Backup"),
    ("lvm", "LVM"),
    ("tgtadm", "Target"),
    ("lioadm", "Target"),
    ("rbd", "Ceph"),  # librbd / librados commands: the Ceph cluster's lifeline
    ("nfs", "Share"),  # the NFS volume driver's file commands and a host's mount
    ("fc-array", "Array"),  # the array's REST calls: create, map, unmap a LUN
    ("fc-zone-manager", "Fabric"),  # the FC Zone Manager's zoning commands
    ("rados", "Ceph"),
    ("iscsi-target", "Target"),
    ("swift", "ObjectStore"),
    ("posix", "ObjectStore"),  # an NFS/POSIX backup store
    ("object", "ObjectStore"),
)


def participant_of(actor: str | None) -> str | None:
    """The lifeline an actor belongs to (``cinder-volume:cinder-1@lvm`` -> ``Volume``).

    The iSCSI initiator is not a lifeline of its own: os-brick runs inside
    whoever connects (nova-compute, or cinder-backup for a backup), so callers
    decide (None here).
    """
    if not actor:
        return None
    a = actor.lower()
    for prefix, pid in _BY_PREFIX:
        if a.startswith(prefix):
            return pid
    return None


# Backend commands that only read state.  cinder-volume runs them constantly
# (every capability report is a vgs and an lvs or two); the narration counts
# them instead of listing them.
_QUERY_OPS = frozenset({"vgs", "lvs", "pvs", "lvdisplay", "vgdisplay", "head", "list",
                        "get", "tgt-admin --show", "cinder-rtstool get-targets",
                        # RBD: connecting to the monitors and their read-only commands
                        "rados connect", "rados mon_command df",
                        "rados mon_command get-quota", "rados mon dump",
                        # NFS: the capacity probes of every create and report, qemu-img info
                        "stat -f", "du", "qemu-img info",
                        # FC: the fabric's name server lookup
                        "nsshow"})


def is_query(ev: TraceEvent) -> bool:
    """A backend event that only read state."""
    op = str(ev.detail.get("op", ""))
    return ev.kind == "backend" and (op in _QUERY_OPS or op.endswith("--show")
                                     or ev.detail.get("outcome") == "skipped")


def short(resource_id: str) -> str:
    """The first 8 characters of a UUID, as Cinder's logs and the summaries print them."""
    return resource_id[:8]


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def ids_to_names(text: str, labels: Mapping[str, str]) -> str:
    """Every UUID in *text* as its scenario label, else its first 8 characters and ``…``."""
    by_id = {r.partition(":")[2]: lbl for r, lbl in labels.items()}
    return _UUID.sub(lambda m: by_id.get(m.group(0), short(m.group(0)) + "…"), text)


def state_text(value: Any) -> str:
    """A status value as text; a record that does not exist is ``∅``."""
    return "∅" if value is None else str(value)


def compact_json(value: Any, limit: int = 110) -> str:
    """One line of JSON, cut at *limit* characters (bodies can be long)."""
    text = json.dumps(value, sort_keys=True, separators=(", ", ": "), ensure_ascii=False,
                      default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@attrs.frozen
class Section:
    """A slice of the log that belongs to one scenario step or one client request."""

    header: TraceEvent | None
    """The ``scenario`` event (or the client's ``api.request``) that opened it; None for
    the cloud's start-up."""
    events: Sequence[TraceEvent]
    flow: str | None
    """Which documented flow this is (``create``, ``attach``, ``backup`` ...), if any."""


def _opens_section(ev: TraceEvent, scripted: bool) -> bool:
    if scripted:
        return ev.kind == "scenario"
    return ev.kind == "api.request" and ev.actor == "client"


def sections(events: Iterable[TraceEvent]) -> list[Section]:
    """Split the log at scenario steps (or, when no scenario drove it, client requests).

    Events before the first boundary are the cloud starting up (header None).
    """
    evs = list(events)
    scripted = any(e.kind == "scenario" for e in evs)
    out: list[Section] = []
    header: TraceEvent | None = None
    current: list[TraceEvent] = []
    for ev in evs:
        if _opens_section(ev, scripted):
            if header is not None or current:
                out.append(Section(header, tuple(current), flow_of(header, current)))
            header, current = ev, ([] if scripted else [ev])
            continue
        current.append(ev)
    if header is not None or current:
        out.append(Section(header, tuple(current), flow_of(header, current)))
    return out


# (method, path regex, action key or None) -> flow.  Paths are matched after the
# ``/v3/{project_id}`` prefix is removed.
_API_FLOWS: tuple[tuple[str, str, str | None, str], ...] = (
    ("POST", r"/volumes$", None, "create"),
    ("DELETE", r"/volumes/[^/]+$", None, "delete"),
    ("POST", r"/volumes/[^/]+/action$", "os-extend", "extend"),
    ("POST", r"/volumes/[^/]+/action$", "os-reset_status", "reset_status"),
    ("POST", r"/volumes/[^/]+/action$", "os-force_delete", "delete"),
    ("POST", r"/volumes/[^/]+/action$", "os-retype", "retype"),
    ("POST", r"/volumes/[^/]+/action$", "os-migrate_volume", "migrate"),
    ("POST", r"/volumes/[^/]+/action$", "os-initialize_connection", "attach"),
    ("POST", r"/volumes/[^/]+/action$", "os-attach", "attach"),
    ("POST", r"/volumes/[^/]+/action$", "os-reserve", "attach"),
    ("POST", r"/volumes/[^/]+/action$", "os-detach", "detach"),
    ("POST", r"/volumes/[^/]+/action$", "os-terminate_connection", "detach"),
    ("POST", r"/snapshots$", None, "snapshot"),
    ("DELETE", r"/snapshots/[^/]+$", None, "delete_snapshot"),
    ("POST", r"/attachments$", None, "attach"),
    ("PUT", r"/attachments/[^/]+$", None, "attach"),
    ("POST", r"/attachments/[^/]+/action$", None, "attach"),
    ("DELETE", r"/attachments/[^/]+$", None, "detach"),
    ("POST", r"/backups$", None, "backup"),
    ("POST", r"/backups/[^/]+/restore$", None, "restore"),
    ("DELETE", r"/backups/[^/]+$", None, "delete_backup"),
    ("POST", r"/servers$", None, "boot"),
    ("POST", r"/servers/[^/]+/os-volume_attachments$", None, "attach"),
    ("DELETE", r"/servers/[^/]+/os-volume_attachments/[^/]+$", None, "detach"),
    ("POST", r"/(os-volume-transfer|volume-transfers)$", None, "transfer"),
)

_PROJECT_PREFIX = re.compile(
    r"^(/compute|/image|/key-manager)?/v\d(\.\d+)?(/[0-9a-f]{32})?(?=/)")


def api_path(path: str) -> str:
    """``/v3/<project>/volumes/x`` -> ``/volumes/x``, ``/compute/v2.1/servers`` ->
    ``/servers`` (the part a reader cares about)."""
    return _PROJECT_PREFIX.sub("", path) or path


def api_flow(ev: TraceEvent) -> str | None:
    """The flow an ``api.request`` starts, from its method, path and action key."""
    method = str(ev.detail.get("method", ""))
    path = api_path(str(ev.detail.get("path", "")))
    body = ev.detail.get("body")
    action = next(iter(body), None) if isinstance(body, Mapping) and body else None
    for m, pattern, key, flow in _API_FLOWS:
        if m == method and re.search(pattern, path) and (key is None or key == action):
            return flow
    return None


def flow_of(header: TraceEvent | None, events: Sequence[TraceEvent]) -> str | None:
    """The documented flow of a section: the scenario step's own, else its first request's."""
    if header is not None and header.kind == "scenario":
        flow = header.detail.get("flow")
        if isinstance(flow, str):
            return flow
    for ev in events:
        if ev.kind == "api.request":
            return api_flow(ev)
    return None


def labels_of(events: Iterable[TraceEvent]) -> dict[str, str]:
    """Scenario labels by resource (``volume:<id>`` -> ``v1``).

    A scenario step that makes something (``as = "v1"``) is followed in the log
    by the birth of that thing; the first birth of the produced kind after the
    step's event is the one its label names.  Derived, so the trace needs no
    event of its own for it.
    """
    labels: dict[str, str] = {}
    pending: tuple[str, str] | None = None
    for ev in events:
        if ev.kind == "scenario":
            label, kind = ev.detail.get("label"), ev.detail.get("produces")
            pending = (str(label), str(kind)) if label and kind else None
            continue
        if (pending is not None and ev.kind == "status" and ev.detail.get("old") is None
                and ev.resource and ev.resource.split(":", 1)[0] == pending[1]
                and ev.resource not in labels):
            labels[ev.resource] = pending[0]
            pending = None
    return labels
