"""The step actions: what each ``action`` does to the cloud (its REST calls), the table
of them (:data:`ACTIONS`) and the documented flows they drive (:data:`FLOWS`)."""

from __future__ import annotations

import importlib.util
import json
import pkgutil
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .model import Scenario, Step

if TYPE_CHECKING:
    from ..cloud import Cloud, Response


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
        from ..services import api as api_pkg  # noqa: PLC0415
        from ..services.api.router import Router  # noqa: PLC0415

        router = Router()
        for info in pkgutil.iter_modules(api_pkg.__path__):
            router.add_module(importlib.import_module(f"{api_pkg.__name__}.{info.name}"))
        _ROUTER = router
    from ..services.api.wsgi import MAX_VERSION  # noqa: PLC0415

    method, _, path = need.partition(" ")
    route, _, _ = _ROUTER.match(method, path, MAX_VERSION)
    return route is not None


# --- the state a run's actions share -------------------------------------------------------------
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
    # At 2.89 Nova requires ``networks`` (2.37); scenarios model no data plane.
    server: dict[str, Any] = {"name": str(p.get("name", step.label or "server")),
                              "flavorRef": str(p.get("flavor", "1")), "networks": "none"}
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


async def _transfer(run: _Run, step: Step) -> Response:
    """A volume changes owner (``volume-transfers``, 3.55+ for ``no_snapshots``): the owner
    creates the transfer (the volume goes ``awaiting-transfer``; the only response
    that shows the ``auth_key``), then the receiver (``to``, default ``alt_demo``)
    accepts it with that key: the volume and, unless ``no_snapshots``, its
    snapshots move to the receiver's project, and so does their quota usage (the
    receiver's reserved and committed, the donor's given back).  ``accept = false``
    stops after the create, leaving the volume offered."""
    p = step.params
    body = {"volume_id": run.id(p["volume"]),
            **_opt(p, ("name", "name"), ("no_snapshots", "no_snapshots"))}
    r = await run.call(step, "POST", "/volume-transfers", {"transfer": body})
    if r.status >= 300 or not p.get("accept", True):
        return r
    transfer = r.json["transfer"]
    if step.label:
        run.secrets[step.label] = str(transfer["auth_key"])
    await run.cloud.settle()
    return await run.call(step, "POST", f"/volume-transfers/{transfer['id']}/accept",
                          {"accept": {"auth_key": transfer["auth_key"]}},
                          user=str(p.get("to", "alt_demo")))


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


async def _set_capacity(run: _Run, step: Step) -> None:
    svc = _service(run.cloud, f"cinder-volume:{step.params['backend']}")
    svc.set_capacity(int(step.params["vg_size_gb"]))


_VOL = Param("label:volume", required=True)
#: The users a step can act as (the default identity's: admin, and two members).
USERS = ("admin", "demo", "alt_demo")
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
    Action("transfer", "transfer", "the owner creates a volume transfer, the receiver (to) "
           "accepts it with the auth_key: volume and quota change project", {
               "volume": _VOL, "to": Param("str", choices=USERS), "name": Param("str"),
               "no_snapshots": Param("bool"), "accept": Param("bool")}, produces="transfer",
           run=_transfer, needs=("POST /volume-transfers", "POST /volume-transfers/x/accept")),
    Action("set_capacity", None, "an operator grows (vgextend) or shrinks (vgreduce) a "
           "backend's volume group", {
               "backend": Param("str", required=True),
               "vg_size_gb": Param("int", required=True)}, run=_set_capacity),
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

