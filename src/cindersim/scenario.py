"""Scenario files: a cloud, a seed, user-level steps, faults and expectations.

A scenario is what a learner replays and an operator asks "what if" with.  It
is a TOML file (``scenarios/*.toml``)::

    name = "create"
    description = "Create a 1 GiB volume and delete it"
    seed = 0
    # microversion = "3.71"        # OpenStack-API-Version of every request

    [cloud]                         # cinder.conf names; see cindersim.config
    [cloud.DEFAULT]
    enabled_backends = "lvm-a,lvm-b"
    [cloud.lvm-a]
    host = "cinder-1"
    vg_size_gb = 10

    [[faults]]                      # what goes wrong, and when
    driver = "create_volume"        # a driver call fails (FaultRule)
    backend = "cinder-1@lvm-a"
    times = 1

    [[steps]]                       # user-level actions, in order
    action = "create_volume"
    as = "v1"                       # a label later steps and expectations use
    size = 1

    [[steps]]
    action = "delete_volume"
    volume = "v1"
    expect_status = 202             # the HTTP status this step must get

    [[expect]]
    resource = "v1"
    status = "deleted"

Steps (``action``; :data:`ACTIONS` lists each with its parameters; ``cindersim
flows`` prints them): ``create_volume`` (size, name, type, az, snapshot /
source / backup labels), ``delete_volume`` (cascade, force), ``extend``,
``create_snapshot``, ``delete_snapshot``, ``attach`` / ``detach`` (through
the attachments API today, through Nova once a ``server`` is given and Nova
exists), ``backup`` (incremental, force), ``restore``, ``delete_backup``,
``reset_status``, ``set_quota``, ``request`` (any REST call), ``advance``
(virtual seconds), ``settle``, ``stop_service`` / ``start_service``.  Every
step may say ``user`` (default ``demo``; ``admin`` for admin actions),
``expect_status`` (else any 2xx is expected) and ``settle = false`` (by default
the runner lets the cloud settle after each step, so flows read one at a
time).  Actions whose flows do not exist yet are refused at validation with
"not yet supported"; enabling one is filling in its row of :data:`ACTIONS`.

Faults (``[[faults]]``, each with optional ``start`` and ``duration`` in
virtual seconds): ``driver = "<op>"`` (``backend``, ``nth``, ``times``,
``always``, ``probability``, ``error``, ``message``); ``message = "drop" |
"delay" | "duplicate" | "hold"`` (``topic``, ``server``, ``method``,
``sender``, ``kind``, ``times``, ``probability``, ``delay``); ``stop_service =
"cinder-scheduler" | "cinder-backup" | "cinder-volume:<host@backend>"``.

Expectations (``[[expect]]``): ``resource = "<label>"`` with ``status``
(``deleted`` when gone), ``attach_status``, ``size``, ``host``,
``availability_zone``; ``count = "volumes" | "snapshots" | "backups" |
"attachments" | "events" | "messages"`` (filters ``status``, ``kind``,
``method``, ``actor``, ``contains``) with ``equals`` / ``at_least`` /
``at_most``; ``capacity = "<host@backend>"`` with ``field`` (``free_gb``,
``total_gb``, ``provisioned_gb``, ``allocated_gb``, ``volumes``) and a
comparison; ``trace_contains = "text"`` / ``trace_lacks = "text"`` (optional
``kind``).

Errors in a file (bad TOML, an unknown key, a wrong type, an unknown label,
an action not supported yet) are reported as ``FILE:LINE: message`` before
anything runs: :class:`ScenarioError`.

**Python scenarios** are for what TOML cannot say.  A ``.py`` file defines
``async def scenario(cloud)`` and optionally ``NAME``, ``DESCRIPTION``,
``SEED`` and ``CLOUD`` (a config dict); a failed ``assert`` is a failed
expectation.  :func:`mark_step` opens a narrated section::

    from cindersim.scenario import mark_step

    DESCRIPTION = "Ten creates race for a 10 GiB backend"
    CLOUD = {"DEFAULT": {}, "lvmdriver-1": {"vg_size_gb": 10, "lvm_type": "default"}}

    async def scenario(cloud):
        token = cloud.token("demo")
        project = cloud.project_id("demo")
        mark_step(cloud, "create_volume", params={"size": 2, "count": 10})
        for _ in range(10):
            await cloud.request("POST", f"/v3/{project}/volumes",
                                json={"volume": {"size": 2}}, token=token)
        await cloud.settle()
        statuses = sorted(str(v.status) for v in cloud.db.volumes.values())
        assert statuses.count("available") == 4, statuses
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import pkgutil
import re
import tomllib
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .backends.faults import DEFAULT_ERRORS, FaultRule
from .bus import MessageFault
from .config import ConfigError, load_config
from .trace import Trace

if TYPE_CHECKING:
    from .cloud import Cloud, Response, SimulationResult

__all__ = [
    "ACTIONS",
    "FLOWS",
    "Action",
    "Param",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "load_scenario",
    "mark_step",
    "run_scenario",
    "scenario_files",
]


# --- errors and positions ---------------------------------------------------------------------
class ScenarioError(Exception):
    """A bad scenario file: every problem as ``FILE:LINE: message``, one per line."""

    def __init__(self, problems: Sequence[tuple[str, int, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"{f}:{line}: {msg}" for f, line, msg in self.problems))


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_PART = re.compile(r'"[^"]*"|\'[^\']*\'|[^.\s]+')


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _KEY_PART.findall(text))


class _Locator:
    """Line numbers for keys, found by scanning the text (tomllib gives none).

    Tables are addressed as paths: ``()`` is the top level, ``("steps", 2)`` the
    third ``[[steps]]``, ``("cloud", "DEFAULT")`` the ``[cloud.DEFAULT]`` table.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.tables: list[tuple[tuple[Any, ...], int, int]] = []  # (path, first, last) 1-based
        counts: dict[tuple[str, ...], int] = {}
        starts: list[tuple[tuple[Any, ...], int]] = [((), 1)]
        for i, line in enumerate(self.lines, 1):
            m = _HEADER.match(line)
            if m is None or line.lstrip().startswith("#"):
                continue
            name = _split_key(m.group(2))
            if m.group(1) == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
                starts.append(((*name, index), i))
            else:
                starts.append((name, i))
        for n, (path, first) in enumerate(starts):
            last = starts[n + 1][1] - 1 if n + 1 < len(starts) else len(self.lines)
            self.tables.append((path, first, last))

    def line(self, path: tuple[Any, ...], key: str | None = None) -> int:
        """The line of *key* in table *path* (or the table's header line)."""
        for tpath, first, last in self.tables:
            if tpath != path:
                continue
            if key is None:
                return first
            pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
            inline = re.compile(rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*=")
            for i in range(first, last + 1):
                if pattern.match(self.lines[i - 1]):
                    return i
            for i in range(first, last + 1):
                if inline.search(self.lines[i - 1]):
                    return i
            return first
        # An inline or dotted form we did not index: the parent table, else line 1.
        return self.line(path[:-1], str(path[-1])) if path else 1


# --- the model ------------------------------------------------------------------------------------
@attrs.frozen
class Step:
    """One ``[[steps]]`` entry."""

    action: str
    params: Mapping[str, Any]
    label: str | None = None
    expect_status: int | None = None
    user: str = "demo"
    settle: bool = True
    line: int = 0
    index: int = 0


@attrs.frozen
class Fault:
    """One ``[[faults]]`` entry: ``kind`` is ``driver``, ``message`` or ``service``."""

    kind: str
    params: Mapping[str, Any]
    start: float = 0.0
    duration: float | None = None
    line: int = 0


@attrs.frozen
class Expectation:
    """One ``[[expect]]`` entry (``kind``: resource, count, capacity, trace)."""

    kind: str
    params: Mapping[str, Any]
    line: int = 0


PythonScenario = Callable[["Cloud"], Awaitable[Any]]


@attrs.frozen
class Scenario:
    """A loaded, validated scenario (TOML, or Python with ``python`` set)."""

    name: str
    description: str
    path: str
    seed: int = 0
    cloud: Any = None
    """What :func:`cindersim.config.load_config` takes: a dict, a path or None."""
    microversion: str = "3.71"
    steps: tuple[Step, ...] = ()
    faults: tuple[Fault, ...] = ()
    expects: tuple[Expectation, ...] = ()
    python: PythonScenario | None = None

    @property
    def title(self) -> str:
        return f"{self.name}: {self.description}" if self.description else self.name


# --- actions ----------------------------------------------------------------------------------
@attrs.frozen
class Param:
    """A step parameter: ``kind`` is ``int``, ``number``, ``str``, ``bool``, ``table``,
    or ``label:<kind>`` (a label made by an earlier step: volume, snapshot ...)."""

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()


Runner = Callable[["_Run", Step], Awaitable["Response | None"]]


@attrs.frozen
class Action:
    """A row of the action table.

    Attributes:
        name: the ``action`` value.
        flow: the documented flow it drives (``create``, ``attach`` ...) or None.
        summary: one line for ``cindersim flows``.
        params: its parameters.
        produces: the kind of resource ``as = "label"`` names, if any.
        run: how it is done (requests to the cloud); None while its flow does
            not exist in cindersim.
        needs: the routes it needs (``"POST /snapshots"``): missing ones make it
            "not yet supported", so an action switches on when its flow lands.
    """

    name: str
    flow: str | None
    summary: str
    params: Mapping[str, Param]
    produces: str | None = None
    run: Runner | None = None
    needs: tuple[str, ...] = ()
    missing: str = ""
    """Why the action is unavailable when ``run`` is None."""

    def unsupported(self) -> str | None:
        """Why this action cannot run in this build, or None."""
        if self.run is None:
            return self.missing or "its flow does not exist in cindersim yet"
        if "nova" in self.needs and not _nova_exists():
            return _NOVA
        absent = [n for n in self.needs if n != "nova" and not _route_exists(n)]
        if absent:
            return f"cinder-api has no {', '.join(absent)} yet"
        return None


_ROUTER: Any = None


def _nova_exists() -> bool:
    """True when this build has Nova (servers, guests, the documented attach flow)."""
    return importlib.util.find_spec("cindersim.services.nova.api") is not None


def _route_exists(need: str) -> bool:
    """True when some cinder-api controller module serves ``METHOD /path``."""
    global _ROUTER  # noqa: PLW0603 - a cache of the controllers' routes
    if _ROUTER is None:
        from .services import api as api_pkg  # noqa: PLC0415
        from .services.api.router import Router  # noqa: PLC0415

        router = Router()
        for info in pkgutil.iter_modules(api_pkg.__path__):
            router.add_module(importlib.import_module(f"{api_pkg.__name__}.{info.name}"))
        _ROUTER = router
    from .services.api.wsgi import MAX_VERSION  # noqa: PLC0415

    method, _, path = need.partition(" ")
    route, _, _ = _ROUTER.match(method, path, MAX_VERSION)
    return route is not None


# --- running ----------------------------------------------------------------------------------
@attrs.define
class _Run:
    """The state of one run: the cloud, labels bound so far, failures."""

    scenario: Scenario
    cloud: Cloud
    labels: dict[str, tuple[str, str]] = attrs.Factory(dict)
    """label -> (kind, id)."""
    secrets: dict[str, str] = attrs.Factory(dict)
    """label -> transfer auth_key."""
    failures: list[tuple[int, str]] = attrs.Factory(list)
    responses: list[tuple[Step, int | None]] = attrs.Factory(list)
    via_nova: dict[str, tuple[str, str]] = attrs.Factory(dict)
    """attachment id -> (server id, volume id) for attachments Nova made."""

    def id(self, label: str) -> str:
        bound = self.labels.get(label)
        if bound is None:
            raise _Unbound(label)
        return bound[1]

    async def call(self, step: Step, method: str, path: str, body: Any = None, *,
                   version: str | None = None, user: str | None = None) -> Response:
        cloud = self.cloud
        who = user or step.user
        project = cloud.project_id(who)
        return await cloud.request(
            method, f"/v3/{project}{path}", json=body, token=cloud.token(who),
            headers={"OpenStack-API-Version": f"volume {version or self.scenario.microversion}"})

    async def nova(self, step: Step, method: str, path: str, body: Any = None) -> Response:
        """A request to nova-api (``/compute/v2.1``) at compute microversion 2.89, which
        shows the Cinder attachment id of a volume attachment."""
        cloud = self.cloud
        return await cloud.request(method, f"/compute/v2.1{path}", json=body,
                                   token=cloud.token(step.user),
                                   headers={"OpenStack-API-Version": "compute 2.89"})


class _Unbound(Exception):
    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


def _opt(params: Mapping[str, Any], *pairs: tuple[str, str]) -> dict[str, Any]:
    """Body fields from step parameters: (parameter, body key) for those given."""
    return {key: params[p] for p, key in pairs if p in params}


async def _create_volume(run: _Run, step: Step) -> Response:
    p = step.params
    body = _opt(p, ("size", "size"), ("name", "name"), ("description", "description"),
                ("type", "volume_type"), ("az", "availability_zone"), ("metadata", "metadata"))
    for param, key in (("snapshot", "snapshot_id"), ("source", "source_volid"),
                       ("backup", "backup_id")):
        if param in p:
            body[key] = run.id(p[param])
    return await run.call(step, "POST", "/volumes", {"volume": body})


async def _delete_volume(run: _Run, step: Step) -> Response:
    p = step.params
    query = "&".join(f"{k}=true" for k in ("cascade", "force") if p.get(k))
    return await run.call(step, "DELETE", f"/volumes/{run.id(p['volume'])}"
                          + (f"?{query}" if query else ""))


async def _extend(run: _Run, step: Step) -> Response:
    p = step.params
    return await run.call(step, "POST", f"/volumes/{run.id(p['volume'])}/action",
                          {"os-extend": {"new_size": p["new_size"]}})


async def _create_snapshot(run: _Run, step: Step) -> Response:
    p = step.params
    body = {"volume_id": run.id(p["volume"]), **_opt(p, ("name", "name"), ("force", "force"),
                                                      ("description", "description"))}
    return await run.call(step, "POST", "/snapshots", {"snapshot": body})


async def _delete_snapshot(run: _Run, step: Step) -> Response:
    return await run.call(step, "DELETE", f"/snapshots/{run.id(step.params['snapshot'])}")


def _connector(host: str, mode: str) -> dict[str, Any]:
    """What os-brick on a compute host sends (``get_connector_properties``)."""
    return {"initiator": f"iqn.1994-05.com.redhat:{host}", "ip": "192.168.122.20",
            "platform": "x86_64", "host": host, "os_type": "linux", "multipath": False,
            "mountpoint": "/dev/vdb", "mode": mode}


async def _attach(run: _Run, step: Step) -> Response:
    """Through Nova when a ``server`` is given (nova-api -> cinder-api -> cinder-volume ->
    connection_info -> iSCSI login -> a guest device), else Nova's three
    attachments-API calls made directly: reserve, connect (connector), complete."""
    p = step.params
    if "server" in p:
        server, volume = run.id(p["server"]), run.id(p["volume"])
        r = await run.nova(step, "POST", f"/servers/{server}/os-volume_attachments",
                           {"volumeAttachment": {"volumeId": volume}})
        att = (r.json or {}).get("volumeAttachment", {}).get("attachment_id") \
            if r.status < 300 else None
        if att:
            run.labels["__last_attachment__"] = ("attachment", str(att))
            run.via_nova[str(att)] = (server, volume)
        return r
    host = str(p.get("host", "compute-1"))
    mode = str(p.get("mode", "rw"))
    instance = str(p.get("instance") or run.cloud.sim.ids.uuid())
    body: dict[str, Any] = {"volume_uuid": run.id(p["volume"]), "instance_uuid": instance,
                            "mode": mode}
    r = await run.call(step, "POST", "/attachments", {"attachment": body})
    if r.status >= 300:
        return r
    att = r.json["attachment"]["id"]
    run.labels["__last_attachment__"] = ("attachment", att)
    r = await run.call(step, "PUT", f"/attachments/{att}",
                       {"attachment": {"connector": _connector(host, mode)}})
    if r.status >= 300:
        return r
    done = await run.call(step, "POST", f"/attachments/{att}/action", {"os-complete": {}})
    return done if done.status >= 300 else r


async def _detach(run: _Run, step: Step) -> Response:
    """Through Nova for an attachment Nova made, else DELETE /attachments/{id}."""
    att = run.id(step.params["attachment"])
    if att in run.via_nova:
        server, volume = run.via_nova[att]
        return await run.nova(step, "DELETE", f"/servers/{server}/os-volume_attachments/"
                                              f"{volume}")
    return await run.call(step, "DELETE", f"/attachments/{att}")


async def _boot_server(run: _Run, step: Step) -> Response:
    """POST /servers: from an image (an ephemeral root disk) or from a volume (boot from
    volume: the volume is the root disk and outlives the server)."""
    p = step.params
    server: dict[str, Any] = {"name": str(p.get("name", step.label or "server")),
                              "flavorRef": str(p.get("flavor", "1"))}
    if "volume" in p:
        server["block_device_mapping_v2"] = [{
            "boot_index": 0, "uuid": run.id(p["volume"]), "source_type": "volume",
            "destination_type": "volume", "delete_on_termination": False}]
    else:
        image = run.cloud.glance.find(str(p.get("image", "cirros-0.6.2")), None, admin=True)
        server["imageRef"] = image.id if image is not None else str(p.get("image"))
    return await run.nova(step, "POST", "/servers", {"server": server})


async def _delete_server(run: _Run, step: Step) -> Response:
    return await run.nova(step, "DELETE", f"/servers/{run.id(step.params['server'])}")


async def _guest_write(run: _Run, step: Step) -> None:
    """Simulator only: the guest writes blocks to one of its disks (``/dev/vdb``)."""
    p = step.params
    run.cloud.nova.guest_write(run.id(p["server"]), str(p.get("device", "/dev/vdb")),
                               int(p.get("offset", 0)), int(p.get("count", 1)),
                               str(p.get("tag", "data")))


async def _backup(run: _Run, step: Step) -> Response:
    p = step.params
    body = {"volume_id": run.id(p["volume"]),
            **_opt(p, ("name", "name"), ("incremental", "incremental"), ("force", "force"),
                   ("container", "container"), ("description", "description"))}
    if "snapshot" in p:
        body["snapshot_id"] = run.id(p["snapshot"])
    return await run.call(step, "POST", "/backups", {"backup": body})


async def _restore(run: _Run, step: Step) -> Response:
    p = step.params
    body = _opt(p, ("name", "name"))
    if "volume" in p:
        body["volume_id"] = run.id(p["volume"])
    return await run.call(step, "POST", f"/backups/{run.id(p['backup'])}/restore",
                          {"restore": body})


async def _delete_backup(run: _Run, step: Step) -> Response:
    return await run.call(step, "DELETE", f"/backups/{run.id(step.params['backup'])}")


_RESET_PATHS = {"volume": "volumes", "snapshot": "snapshots", "backup": "backups"}


async def _reset_status(run: _Run, step: Step) -> Response:
    p = step.params
    kind = next(k for k in ("volume", "snapshot", "backup") if k in p)
    body = _opt(p, ("status", "status"), ("attach_status", "attach_status"))
    return await run.call(step, "POST", f"/{_RESET_PATHS[kind]}/{run.id(p[kind])}/action",
                          {"os-reset_status": body})


async def _set_quota(run: _Run, step: Step) -> Response:
    p = step.params
    project = run.cloud.project_id(str(p.get("project", "demo")))
    return await run.call(step, "PUT", f"/os-quota-sets/{project}",
                          {"quota_set": dict(p["limits"])})


_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)\}")


async def _request(run: _Run, step: Step) -> Response:
    p = step.params

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        return run.cloud.project_id(step.user) if name == "project" else run.id(name)

    path = _PLACEHOLDER.sub(fill, str(p["path"]))
    body = p.get("body")
    if body is not None:
        body = json.loads(_PLACEHOLDER.sub(lambda m: json.dumps(fill(m))[1:-1],
                                           json.dumps(body)))
    return await run.call(step, str(p["method"]).upper(), path, body,
                          version=p.get("microversion"))


async def _advance(run: _Run, step: Step) -> None:
    await run.cloud.advance(float(step.params["seconds"]))


async def _settle(run: _Run, step: Step) -> None:
    await run.cloud.settle()


def _service(cloud: Cloud, name: str) -> Any:
    """The service object a scenario names (validated beforehand)."""
    if name == "cinder-scheduler":
        return cloud.scheduler
    if name == "cinder-backup":
        return cloud.backup
    host = name.removeprefix("cinder-volume:").removeprefix("cinder-volume")
    if not host and len(cloud.volume_services) == 1:
        return next(iter(cloud.volume_services.values()))
    return cloud.volume_services[host]


async def _stop_service(run: _Run, step: Step) -> None:
    _service(run.cloud, str(step.params["service"])).stop()


async def _start_service(run: _Run, step: Step) -> None:
    _service(run.cloud, str(step.params["service"])).start()


_VOL = Param("label:volume", required=True)
_NOVA = "needs Nova (nova-api, nova-compute), which this build does not have"

#: Every step action.  To enable an action whose flow lands later, give its row a
#: ``run`` (and the routes it ``needs``).
ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("create_volume", "create", "POST /volumes: blank, or from a snapshot, volume or "
           "backup", {"size": Param("int"), "name": Param("str"), "description": Param("str"),
                      "type": Param("str"), "az": Param("str"), "metadata": Param("table"),
                      "snapshot": Param("label:snapshot"), "source": Param("label:volume"),
                      "backup": Param("label:backup")},
           produces="volume", run=_create_volume, needs=("POST /volumes",)),
    Action("delete_volume", "delete", "DELETE /volumes/{id} (cascade, force)",
           {"volume": _VOL, "cascade": Param("bool"), "force": Param("bool")},
           run=_delete_volume, needs=("DELETE /volumes/x",)),
    Action("extend", "extend", "os-extend to new_size GiB", {"volume": _VOL, "new_size": Param(
        "int", required=True)}, run=_extend, needs=("POST /volumes/x/action",)),
    Action("create_snapshot", "snapshot", "POST /snapshots", {
        "volume": _VOL, "name": Param("str"), "description": Param("str"),
        "force": Param("bool")}, produces="snapshot", run=_create_snapshot,
        needs=("POST /snapshots",)),
    Action("delete_snapshot", "snapshot", "DELETE /snapshots/{id}", {
        "snapshot": Param("label:snapshot", required=True)}, run=_delete_snapshot,
        needs=("DELETE /snapshots/x",)),
    Action("attach", "attach", "through Nova with a server; else the attachments API: "
           "reserve, connect with the host's connector, complete",
           {"volume": _VOL, "server": Param("label:server"), "host": Param("str"),
            "mode": Param("str", choices=("rw", "ro")), "instance": Param("str")},
           produces="attachment", run=_attach,
           needs=("POST /attachments", "PUT /attachments/x", "POST /attachments/x/action")),
    Action("detach", "detach", "DELETE /attachments/{id}", {
        "attachment": Param("label:attachment", required=True)}, run=_detach,
        needs=("DELETE /attachments/x",)),
    Action("backup", "backup", "POST /backups (full or incremental, force for in-use)", {
        "volume": _VOL, "name": Param("str"), "description": Param("str"),
        "incremental": Param("bool"), "force": Param("bool"), "container": Param("str"),
        "snapshot": Param("label:snapshot")}, produces="backup", run=_backup,
        needs=("POST /backups",)),
    Action("restore", "restore", "POST /backups/{id}/restore (into a new or existing volume)",
           {"backup": Param("label:backup", required=True), "volume": Param("label:volume"),
            "name": Param("str")}, produces="volume", run=_restore,
           needs=("POST /backups/x/restore",)),
    Action("delete_backup", "backup", "DELETE /backups/{id}", {
        "backup": Param("label:backup", required=True)}, run=_delete_backup,
        needs=("DELETE /backups/x",)),
    Action("reset_status", "reset_status", "admin os-reset_status of a volume, snapshot or "
           "backup", {"volume": Param("label:volume"), "snapshot": Param("label:snapshot"),
                      "backup": Param("label:backup"), "status": Param("str"),
                      "attach_status": Param("str")}, run=_reset_status,
           needs=("POST /volumes/x/action",)),
    Action("set_quota", None, "admin PUT /os-quota-sets/{project}", {
        "project": Param("str"), "limits": Param("table", required=True)}, run=_set_quota,
        needs=("PUT /os-quota-sets/x",)),
    Action("request", None, "any REST call: method, path ({label} and {project} filled in), "
           "body", {"method": Param("str", required=True), "path": Param("str", required=True),
                    "body": Param("table"), "microversion": Param("str")}, run=_request),
    Action("advance", None, "let virtual seconds pass", {"seconds": Param(
        "number", required=True)}, run=_advance),
    Action("settle", None, "run until nothing is in flight", {}, run=_settle),
    Action("stop_service", None, "stop a service (its queue fills)", {
        "service": Param("str", required=True)}, run=_stop_service),
    Action("start_service", None, "start a stopped service (its queue drains)", {
        "service": Param("str", required=True)}, run=_start_service),
    Action("boot_server", "boot", "Nova: boot a server from an image or a volume", {
        "image": Param("str"), "volume": Param("label:volume"), "flavor": Param("str"),
        "name": Param("str")}, produces="server", run=_boot_server, needs=("nova",)),
    Action("delete_server", "boot", "Nova: delete a server (a boot volume survives)", {
        "server": Param("label:server", required=True)}, run=_delete_server,
        needs=("nova",)),
    Action("guest_write", None, "the guest writes blocks to a disk (simulator only)", {
        "server": Param("label:server", required=True), "device": Param("str"),
        "offset": Param("int"), "count": Param("int"), "tag": Param("str")},
        run=_guest_write, needs=("nova",)),
    Action("transfer", "transfer", "volume transfer create/accept", {
        "volume": _VOL, "to": Param("str")}, produces="transfer",
        missing="volume transfers are being built (issue 5)"),
    Action("set_capacity", None, "change a backend's capacity", {
        "backend": Param("str", required=True), "vg_size_gb": Param("int", required=True)},
        missing="the LVM model has no vgextend/vgreduce yet"),
)}

#: The documented flows and the actions that drive them (``cindersim flows``).
FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "create": ("client -> cinder-api -> cinder-scheduler -> cinder-volume -> LVM "
               "(seed 001 §6, 000, 002, 003)", ("create_volume",)),
    "delete": ("cinder-api -> cinder-volume: remove export, lvremove", ("delete_volume",)),
    "snapshot": ("point-in-time copy on the same backend (seed 004 §7)",
                 ("create_snapshot", "delete_snapshot")),
    "extend": ("os-extend through the scheduler's capacity check", ("extend",)),
    "attach": ("reserve, connector -> connection_info, iSCSI, complete (seed 001 §7, 000, "
               "002, 003, 004)", ("attach", "detach")),
    "backup": ("cinder-backup to the object store (seed 003, 004)", ("backup",
                                                                     "delete_backup")),
    "restore": ("cinder-backup back into a new or existing volume (seed 003)", ("restore",)),
    "boot": ("Nova servers from image or volume (seed 001 §1-§3)", ("boot_server",
                                                                     "delete_server",
                                                                     "guest_write")),
    "transfer": ("a volume changes owner (seed 004 §7)", ("transfer",)),
}

_COMMON = {"action", "as", "expect_status", "user", "settle"}
_TOP = {"name": "str", "description": "str", "seed": "int", "microversion": "str",
        "cloud": "table|str", "steps": "array", "faults": "array", "expect": "array"}
_FAULT_KEYS = {
    "driver": {"driver", "backend", "nth", "times", "always", "probability", "error",
               "message", "start", "duration"},
    "message": {"message", "topic", "server", "method", "sender", "kind", "times",
                "probability", "delay", "start", "duration"},
    "service": {"stop_service", "start", "duration"},
}
_EXPECT_KEYS = {
    "resource": {"resource", "status", "attach_status", "size", "host", "availability_zone"},
    "count": {"count", "status", "kind", "method", "actor", "contains", "equals", "at_least",
              "at_most"},
    "capacity": {"capacity", "field", "equals", "at_least", "at_most"},
    "trace": {"trace_contains", "trace_lacks", "kind"},
}
_COUNTABLE = ("volumes", "snapshots", "backups", "attachments", "events", "messages")
_CAPACITY_FIELDS = ("free_gb", "total_gb", "provisioned_gb", "allocated_gb", "volumes")
_USERS = ("admin", "demo", "alt_demo")


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "table":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "table|str":
        return isinstance(value, (dict, str))
    return isinstance(value, str)


def _kind_word(kind: str) -> str:
    return {"int": "an integer", "number": "a number", "bool": "true or false",
            "table": "a table", "array": "an array of tables", "table|str": "a table or a path",
            }.get(kind, "a string" if not kind.startswith("label:") else "a label (string)")


# --- loading ----------------------------------------------------------------------------------
class _Validator:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.loc = _Locator(text)
        self.problems: list[tuple[str, int, str]] = []

    def error(self, where: tuple[Any, ...], key: str | None, message: str) -> None:
        self.problems.append((self.path, self.loc.line(where, key), message))

    def check_type(self, where: tuple[Any, ...], key: str, value: Any, kind: str) -> bool:
        if _type_ok(kind, value):
            return True
        self.error(where, key, f"{key} must be {_kind_word(kind)}, not {value!r}")
        return False

    def unknown(self, where: tuple[Any, ...], table: Mapping[str, Any], allowed: set[str],
                what: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(where, key, f"unknown key {key!r} in {what} "
                                       f"(expected one of: {', '.join(sorted(allowed))})")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``.toml`` or ``.py``).

    Raises:
        ScenarioError: every problem found, as ``FILE:LINE: message``.
    """
    p = Path(path)
    shown = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([(shown, 0, f"cannot read: {exc.strerror}")]) from None
    if p.suffix == ".py":
        return _load_python(p, shown)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(m.group(1)) if m else 1
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ScenarioError([(shown, line, f"bad TOML: {msg}")]) from None
    return _validate(data, shown, text, p)


def _validate(data: Mapping[str, Any], shown: str, text: str, p: Path) -> Scenario:
    v = _Validator(shown, text)
    v.unknown((), data, set(_TOP), "the scenario")
    for key, kind in _TOP.items():
        if key in data:
            v.check_type((), key, data[key], kind)
    if "steps" not in data:
        v.error((), None, "a scenario needs [[steps]]")
    cloud = data.get("cloud")
    backends: list[str] = []
    if isinstance(cloud, str):
        cloud = str((p.parent / cloud).resolve()) if not Path(cloud).is_absolute() else cloud
    if isinstance(cloud, (dict, str)):
        try:
            cfg = load_config(cloud)
            backends = [b.service_host for b in cfg.backends]
        except ConfigError as exc:
            _config_error(v, str(exc), cloud)
    else:
        backends = [b.service_host for b in load_config(None).backends]
    labels: dict[str, str] = {}
    steps = []
    for i, raw in enumerate(data.get("steps") or []):
        step = _validate_step(v, i, raw, labels, backends)
        if step is not None:
            steps.append(step)
    faults = [f for i, raw in enumerate(data.get("faults") or [])
              if (f := _validate_fault(v, i, raw, backends)) is not None]
    expects = [e for i, raw in enumerate(data.get("expect") or [])
               if (e := _validate_expect(v, i, raw, labels, backends)) is not None]
    if v.problems:
        raise ScenarioError(v.problems)
    return Scenario(name=str(data.get("name") or p.stem),
                    description=str(data.get("description") or ""), path=shown,
                    seed=int(data.get("seed", 0)), cloud=cloud,
                    microversion=str(data.get("microversion", "3.71")), steps=tuple(steps),
                    faults=tuple(faults), expects=tuple(expects))


def _config_error(v: _Validator, message: str, cloud: Any) -> None:
    """Place a ConfigError (``<dict>: [section] option ...``) on the line of its option."""
    text = re.sub(r"^<dict>: ", "", message)
    m = re.search(r"\[([^\]]+)\] (?:unknown option '([^']+)'|([A-Za-z0-9_]+) = )", text)
    if m is None or not isinstance(cloud, dict):
        v.error((), "cloud", f"[cloud] {text}")
        return
    section, key = m.group(1), m.group(2) or m.group(3)
    flat = not any(isinstance(x, dict) for x in cloud.values())
    where: tuple[Any, ...] = ("cloud",) if flat else ("cloud", section)
    v.error(where, key, f"[cloud] {text}")


def _validate_step(v: _Validator, i: int, raw: Any, labels: dict[str, str],
                   backends: list[str]) -> Step | None:
    where: tuple[Any, ...] = ("steps", i)
    if not isinstance(raw, dict):
        v.error((), "steps", f"step {i + 1} must be a table")
        return None
    name = raw.get("action")
    if not isinstance(name, str):
        v.error(where, "action" if "action" in raw else None,
                f"step {i + 1} needs action = \"...\" (one of: {', '.join(ACTIONS)})")
        return None
    action = ACTIONS.get(name)
    if action is None:
        v.error(where, "action", f"unknown action {name!r} (one of: {', '.join(ACTIONS)})")
        return None
    why = action.unsupported()
    if why is not None:
        v.error(where, "action", f"action {name!r} is not yet supported: {why}")
        return None
    v.unknown(where, raw, _COMMON | set(action.params), f"a {name} step")
    ok = True
    for key, param in action.params.items():
        if key not in raw:
            if param.required:
                v.error(where, None, f"{name} needs {key} = ...")
                ok = False
            continue
        value = raw[key]
        kind = "str" if param.kind.startswith("label:") else param.kind
        if not v.check_type(where, key, value, kind):
            ok = False
            continue
        if param.choices and value not in param.choices:
            v.error(where, key, f"{key} must be one of {', '.join(param.choices)}, "
                                f"not {value!r}")
            ok = False
        if param.kind.startswith("label:"):
            ok = _check_label(v, where, key, value, param.kind[6:], labels) and ok
    for key, kind in (("as", "str"), ("expect_status", "int"), ("user", "str"),
                      ("settle", "bool")):
        if key in raw and not v.check_type(where, key, raw[key], kind):
            ok = False
    if isinstance(raw.get("user"), str) and raw["user"] not in _USERS:
        v.error(where, "user", f"unknown user {raw['user']!r} (one of: {', '.join(_USERS)})")
        ok = False
    if name == "reset_status" and sum(k in raw for k in ("volume", "snapshot", "backup")) != 1:
        v.error(where, "action", "reset_status needs exactly one of volume, snapshot, backup")
        ok = False
    if name in ("stop_service", "start_service") and isinstance(raw.get("service"), str):
        ok = _check_service(v, where, "service", raw["service"], backends) and ok
    label = raw.get("as")
    if isinstance(label, str):
        if action.produces is None:
            v.error(where, "as", f"{name} makes nothing a label could name")
            ok = False
        elif label in labels:
            v.error(where, "as", f"label {label!r} is already used")
            ok = False
        else:
            labels[label] = action.produces
    if name == "request":
        for m in _PLACEHOLDER.finditer(json.dumps([raw.get("path"), raw.get("body")])):
            ref = m.group(1)
            if ref != "project" and ref not in labels:
                v.error(where, "path", f"unknown label {ref!r} in {{{ref}}}")
                ok = False
    if not ok:
        return None
    params = {k: raw[k] for k in action.params if k in raw}
    default_user = "admin" if name in ("reset_status", "set_quota") else "demo"
    return Step(action=name, params=params, label=label, expect_status=raw.get("expect_status"),
                user=str(raw.get("user", default_user)), settle=bool(raw.get("settle", True)),
                line=v.loc.line(where), index=i + 1)


def _check_label(v: _Validator, where: tuple[Any, ...], key: str, value: str, kind: str,
                 labels: Mapping[str, str]) -> bool:
    have = labels.get(value)
    if have is None:
        known = ", ".join(sorted(labels)) or "none yet"
        v.error(where, key, f"unknown label {value!r} (labels defined before this step: "
                            f"{known})")
        return False
    if have != kind:
        v.error(where, key, f"label {value!r} names a {have}, not a {kind}")
        return False
    return True


def _check_service(v: _Validator, where: tuple[Any, ...], key: str, name: str,
                   backends: list[str]) -> bool:
    ok = {"cinder-scheduler", "cinder-backup", *(f"cinder-volume:{b}" for b in backends),
          *backends}
    if len(backends) == 1:
        ok.add("cinder-volume")
    if name in ok:
        return True
    v.error(where, key, f"unknown service {name!r} (one of: {', '.join(sorted(ok))})")
    return False


def _validate_fault(v: _Validator, i: int, raw: Any, backends: list[str]) -> Fault | None:
    where: tuple[Any, ...] = ("faults", i)
    if not isinstance(raw, dict):
        v.error((), "faults", f"fault {i + 1} must be a table")
        return None
    kind = next((k for k, key in (("driver", "driver"), ("message", "message"),
                                  ("service", "stop_service")) if key in raw), None)
    if kind is None:
        v.error(where, None, "a fault needs driver = \"<op>\", message = \"drop|delay|"
                             "duplicate|hold\" or stop_service = \"<service>\"")
        return None
    v.unknown(where, raw, _FAULT_KEYS[kind], f"a {kind} fault")
    types = {"driver": "str", "backend": "str", "nth": "int", "times": "int", "always": "bool",
             "probability": "number", "error": "str", "message": "str", "start": "number",
             "duration": "number", "topic": "str", "server": "str", "method": "str",
             "sender": "str", "kind": "str", "delay": "number", "stop_service": "str"}
    ok = all(v.check_type(where, k, raw[k], types[k]) for k in raw if k in types)
    if not ok:
        return None
    if kind == "driver" and raw["driver"] not in DEFAULT_ERRORS:
        v.error(where, "driver", f"unknown driver operation {raw['driver']!r} (one of: "
                                 f"{', '.join(DEFAULT_ERRORS)})")
        ok = False
    if kind == "driver" and "backend" in raw and raw["backend"] not in backends:
        v.error(where, "backend", f"unknown backend {raw['backend']!r} (one of: "
                                  f"{', '.join(backends)})")
        ok = False
    if kind == "message" and raw["message"] not in ("drop", "delay", "duplicate", "hold"):
        v.error(where, "message", "message must be drop, delay, duplicate or hold")
        ok = False
    if kind == "service":
        ok = _check_service(v, where, "stop_service", raw["stop_service"], backends) and ok
    for key in ("start", "duration"):
        if key in raw and raw[key] < 0:
            v.error(where, key, f"{key} must be >= 0")
            ok = False
    if not ok:
        return None
    params = {k: val for k, val in raw.items() if k not in ("start", "duration")}
    return Fault(kind, params, float(raw.get("start", 0)),
                 float(raw["duration"]) if "duration" in raw else None, v.loc.line(where))


def _validate_expect(v: _Validator, i: int, raw: Any, labels: Mapping[str, str],
                     backends: list[str]) -> Expectation | None:
    where: tuple[Any, ...] = ("expect", i)
    if not isinstance(raw, dict):
        v.error((), "expect", f"expectation {i + 1} must be a table")
        return None
    kind = next((k for k, key in (("resource", "resource"), ("count", "count"),
                                  ("capacity", "capacity"), ("trace", "trace_contains"),
                                  ("trace", "trace_lacks")) if key in raw), None)
    if kind is None:
        v.error(where, None, "an expectation needs resource, count, capacity, trace_contains "
                             "or trace_lacks")
        return None
    v.unknown(where, raw, _EXPECT_KEYS[kind], f"a {kind} expectation")
    types = {"resource": "str", "status": "str", "attach_status": "str", "size": "int",
             "host": "str", "availability_zone": "str", "count": "str", "kind": "str",
             "method": "str", "actor": "str", "contains": "str", "equals": "number",
             "at_least": "number", "at_most": "number", "capacity": "str", "field": "str",
             "trace_contains": "str", "trace_lacks": "str"}
    ok = all(v.check_type(where, k, raw[k], types[k]) for k in raw if k in types)
    if not ok:
        return None
    if kind == "resource":
        if raw["resource"] not in labels:
            v.error(where, "resource", f"unknown label {raw['resource']!r} (labels: "
                                       f"{', '.join(sorted(labels)) or 'none'})")
            ok = False
        if len(raw) == 1:
            v.error(where, "resource", "say what to check: status, attach_status, size, host "
                                       "or availability_zone")
            ok = False
    if kind in ("count", "capacity") and not any(k in raw for k in ("equals", "at_least",
                                                                      "at_most")):
        v.error(where, kind, f"a {kind} expectation needs equals, at_least or at_most")
        ok = False
    if kind == "count" and raw["count"] not in _COUNTABLE:
        v.error(where, "count", f"count must be one of {', '.join(_COUNTABLE)}")
        ok = False
    if kind == "capacity":
        if raw["capacity"] not in backends:
            v.error(where, "capacity", f"unknown backend {raw['capacity']!r} (one of: "
                                       f"{', '.join(backends)})")
            ok = False
        if raw.get("field", "free_gb") not in _CAPACITY_FIELDS:
            v.error(where, "field", f"field must be one of {', '.join(_CAPACITY_FIELDS)}")
            ok = False
    return Expectation(kind, dict(raw), v.loc.line(where)) if ok else None


def _load_python(p: Path, shown: str) -> Scenario:
    """Import a Python scenario file; its ``scenario`` coroutine function is the run."""
    spec = importlib.util.spec_from_file_location(f"cindersim_scenario_{p.stem}", p)
    if spec is None or spec.loader is None:
        raise ScenarioError([(shown, 1, "cannot import this file")])
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ScenarioError([(shown, exc.lineno or 1, f"syntax error: {exc.msg}")]) from None
    except Exception as exc:
        line = _line_in(exc, p)
        raise ScenarioError([(shown, line, f"{type(exc).__name__}: {exc}")]) from None
    fn = getattr(module, "scenario", None)
    if not asyncio.iscoroutinefunction(fn):
        raise ScenarioError([(shown, 1, "a Python scenario defines async def scenario(cloud)")])
    cloud = getattr(module, "CLOUD", None)
    try:
        load_config(cloud)
    except ConfigError as exc:
        raise ScenarioError([(shown, 1, f"CLOUD: {exc}")]) from None
    return Scenario(name=str(getattr(module, "NAME", p.stem)),
                    description=str(getattr(module, "DESCRIPTION", "") or ""), path=shown,
                    seed=int(getattr(module, "SEED", 0)), cloud=cloud, python=fn)


def _line_in(exc: BaseException, p: Path) -> int:
    """The last line of *p* in *exc*'s traceback (where a Python scenario failed)."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == p.resolve() and frame.lineno is not None:
            line = frame.lineno
    return line


# --- running ----------------------------------------------------------------------------------
def mark_step(cloud: Cloud, action: str, *, label: str | None = None,
              params: Mapping[str, Any] | None = None, flow: str | None = None,
              produces: str | None = None) -> None:
    """Open a narrated section (a ``scenario`` trace event) for the work that follows."""
    row = ACTIONS.get(action)
    cloud.trace.emit("scenario", "scenario", f"{action}" + (f" as {label}" if label else ""),
                     action=action, label=label,
                     produces=produces or (row.produces if row else None),
                     flow=flow or (row.flow if row else None), params=dict(params or {}))


@attrs.frozen
class ScenarioResult:
    """What :func:`run_scenario` returns."""

    scenario: Scenario
    result: SimulationResult[Any]
    failures: tuple[tuple[int, str], ...]
    """(line, "expected ..., got ...") for every expectation that did not hold."""
    checked: int

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def trace(self) -> Trace:
        return self.result.trace

    def report(self) -> str:
        """One line for the verdict, then one ``FILE:LINE: ...`` line per failure."""
        s = self.scenario
        verdict = "ok" if self.ok else "FAILED"
        head = (f"{s.path}: {s.name}: {verdict} ({self.checked} expectation(s), "
                f"{len(self.failures)} failed, virtual time {self.result.virtual_time:.3f} s)")
        return "\n".join([head, *(f"{s.path}:{line}: {msg}" for line, msg in self.failures)])


def run_scenario(scenario: Scenario, *, seed: int | None = None) -> ScenarioResult:
    """Run a scenario in a fresh simulated cloud and check its expectations.

    Args:
        scenario: from :func:`load_scenario`.
        seed: overrides the scenario's own seed.
    """
    from .cloud import simulate  # noqa: PLC0415

    run_seed = scenario.seed if seed is None else seed
    state: dict[str, _Run] = {}
    if scenario.python is not None:
        fn = scenario.python
        failures: list[tuple[int, str]] = []

        async def main_py(cloud: Cloud) -> None:
            try:
                await fn(cloud)
            except AssertionError as exc:
                failures.append((_line_in(exc, Path(scenario.path)),
                                 f"assertion failed: {exc}" if str(exc) else "assertion failed"))
            await cloud.settle()

        result = simulate(main_py, seed=run_seed, config=scenario.cloud)
        return ScenarioResult(scenario, result, tuple(failures), 1)

    async def main(cloud: Cloud) -> None:
        run = _Run(scenario, cloud)
        state["run"] = run
        t0 = cloud.sim.now()
        windows = [asyncio.ensure_future(_fault_window(run, f, t0)) for f in scenario.faults]
        for step in scenario.steps:
            await _run_step(run, step)
        for w in windows:
            await w
        await cloud.settle()

    result = simulate(main, seed=run_seed, config=scenario.cloud)
    run = state["run"]
    failures = list(run.failures)
    for exp in scenario.expects:
        msg = _check(run, result, exp)
        if msg is not None:
            failures.append((exp.line, msg))
    checked = len(scenario.expects) + len(scenario.steps)
    return ScenarioResult(scenario, result, tuple(failures), checked)


async def _run_step(run: _Run, step: Step) -> None:
    action = ACTIONS[step.action]
    mark_step(run.cloud, step.action, label=step.label, params=step.params)
    assert action.run is not None  # validated
    try:
        response = await action.run(run, step)
    except _Unbound as exc:
        run.failures.append((step.line, f"step {step.index} ({step.action}) skipped: label "
                                        f"{exc.label!r} was never bound (its step failed)"))
        return
    if response is not None:
        _check_response(run, step, response)
    if step.settle:
        await run.cloud.settle()


def _check_response(run: _Run, step: Step, r: Response) -> None:
    run.responses.append((step, r.status))
    what = f"step {step.index} ({step.action}{' as ' + step.label if step.label else ''})"
    if step.expect_status is not None and r.status != step.expect_status:
        run.failures.append((step.line, f"{what}: expected HTTP {step.expect_status}, got "
                                        f"{r.status}{_fault_text(r)}"))
    elif step.expect_status is None and not 200 <= r.status < 300:
        run.failures.append((step.line, f"{what}: expected a 2xx response, got "
                                        f"{r.status}{_fault_text(r)}"))
    if step.label and 200 <= r.status < 300:
        kind = ACTIONS[step.action].produces or ""
        body = r.json if isinstance(r.json, dict) else {}
        inner = body.get(kind) or body.get("restore") or {}
        rid = inner.get("volume_id") if "restore" in body else inner.get("id")
        if step.action == "attach":
            rid = run.labels.pop("__last_attachment__", ("", ""))[1]
        if rid:
            run.labels[step.label] = (kind, str(rid))
        if isinstance(inner, dict) and inner.get("auth_key"):
            run.secrets[step.label] = str(inner["auth_key"])
    elif step.action == "attach":
        run.labels.pop("__last_attachment__", None)


def _fault_text(r: Response) -> str:
    if isinstance(r.json, dict) and r.json:
        name = next(iter(r.json))
        inner = r.json[name]
        if isinstance(inner, dict) and "message" in inner:
            return f" ({name}: {inner['message']})"
    return ""


async def _fault_window(run: _Run, fault: Fault, t0: float) -> None:
    """Install a fault at its start time and lift it when its window ends."""
    cloud = run.cloud
    wait = t0 + fault.start - cloud.sim.now()
    if wait > 0:
        await asyncio.sleep(wait)
    p = fault.params
    undo: Callable[[], None]
    if fault.kind == "driver":
        rule = cloud.inject(FaultRule(
            op=str(p["driver"]), backend=p.get("backend"), nth=p.get("nth"),
            times=None if p.get("always") else int(p.get("times", 1)),
            probability=p.get("probability"), error=p.get("error"), message=p.get("message")))

        def undo() -> None:
            if rule in cloud.faults.rules:
                cloud.faults.rules.remove(rule)
    elif fault.kind == "message":
        action = str(p["message"])
        mf = MessageFault(action=action, topic=p.get("topic"),  # type: ignore[arg-type]
                          server=p.get("server"), method=p.get("method"),
                          sender=p.get("sender"), kind=p.get("kind"), times=p.get("times"),
                          probability=p.get("probability"), delay=float(p.get("delay", 0.0)))
        cloud.bus.faults.append(mf)

        def undo() -> None:
            if action == "hold":
                cloud.bus.release(mf)
            elif mf in cloud.bus.faults:
                cloud.bus.faults.remove(mf)
    else:
        svc = _service(cloud, str(p["stop_service"]))
        svc.stop()
        undo = svc.start
    if fault.duration is not None:
        await asyncio.sleep(fault.duration)
        undo()


# --- expectations -----------------------------------------------------------------------------
def _compare(exp: Expectation, actual: float, what: str) -> str | None:
    p = exp.params
    if "equals" in p and actual != p["equals"]:
        return f"{what}: expected {p['equals']:g}, got {actual:g}"
    if "at_least" in p and actual < p["at_least"]:
        return f"{what}: expected at least {p['at_least']:g}, got {actual:g}"
    if "at_most" in p and actual > p["at_most"]:
        return f"{what}: expected at most {p['at_most']:g}, got {actual:g}"
    return None


def _check(run: _Run, result: SimulationResult[Any], exp: Expectation) -> str | None:
    """None when *exp* holds, else "what: expected ..., got ..."."""
    cloud = result.cloud
    db = cloud.db
    p = exp.params
    events = result.trace.events
    if exp.kind == "resource":
        label = str(p["resource"])
        bound = run.labels.get(label)
        if bound is None:
            return f"{label}: never created (its step failed), so nothing to check"
        kind, rid = bound
        tables: dict[str, Mapping[str, Any]] = {
            "volume": db.volumes, "snapshot": db.snapshots, "backup": db.backups,
            "attachment": db.attachments}
        table = tables.get(kind, {})
        record = table.get(rid)
        for field in ("status", "attach_status", "size", "host", "availability_zone"):
            if field not in p:
                continue
            want = p[field]
            if record is None:
                got: Any = "deleted"
            else:
                got = getattr(record, field, None)
                if field == "host" and isinstance(got, str):
                    got = got.partition("#")[0]
                    want = str(want).partition("#")[0]
                got = got if isinstance(got, int) else (None if got is None else str(got))
            if got != want:
                return f"{kind} {label} {field}: expected {want!r}, got {got!r}"
        return None
    if exp.kind == "count":
        what = str(p["count"])
        if what in ("volumes", "snapshots", "backups", "attachments"):
            rows = list(getattr(db, what).values())
            if "status" in p:
                field = "attach_status" if what == "attachments" else "status"
                rows = [r for r in rows if str(getattr(r, field)) == p["status"]]
            n = len(rows)
        elif what == "messages":
            n = sum(1 for e in events if e.kind in ("bus.send", "bus.reply")
                    and ("method" not in p or e.detail.get("method") == p["method"]))
        else:
            n = sum(1 for e in events if _event_matches(e, p))
        filters = ", ".join(f"{k}={p[k]!r}" for k in ("status", "kind", "method", "actor",
                                                      "contains") if k in p)
        return _compare(exp, n, f"count of {what}" + (f" ({filters})" if filters else ""))
    if exp.kind == "capacity":
        from .render.summary import capacity_of  # noqa: PLC0415

        field = str(p.get("field", "free_gb"))
        for cap in capacity_of(cloud):
            if cap.backend == p["capacity"]:
                value = getattr(cap, field)
                return _compare(exp, float(value or 0), f"{p['capacity']} {field}")
        return f"{p['capacity']}: no such backend"
    needle = str(p.get("trace_contains", p.get("trace_lacks")))
    found = any(_event_matches(e, {"contains": needle, **({"kind": p["kind"]} if "kind" in p
                                                           else {})}) for e in events)
    if "trace_contains" in p and not found:
        return f"trace: expected an event containing {needle!r}" + (
            f" of kind {p['kind']!r}" if "kind" in p else "") + ", found none"
    if "trace_lacks" in p and found:
        return f"trace: expected no event containing {needle!r}, found one"
    return None


def _event_matches(e: Any, p: Mapping[str, Any]) -> bool:
    if "kind" in p and not str(e.kind).startswith(str(p["kind"])):
        return False
    if "actor" in p and not str(e.actor).startswith(str(p["actor"])):
        return False
    if "method" in p and e.detail.get("method") != p["method"]:
        return False
    if "contains" in p:
        from .trace import dumps_event  # noqa: PLC0415

        return str(p["contains"]) in dumps_event(e)
    return True


def scenario_files(directory: str | Path) -> list[Path]:
    """The scenario files of a directory (``*.toml`` and ``*.py``), sorted by name."""
    d = Path(directory)
    return sorted([*d.glob("*.toml"), *d.glob("*.py")], key=lambda q: q.name)

