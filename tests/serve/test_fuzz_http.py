"""A bounded, seeded fuzzer for ``cindersim serve``, over real HTTP on loopback.

Generated requests go to every route of every served API (cinder-api's routes as
its router lists them, nova-api, Keystone with its v3 admin API, Glance v2,
Neutron-lite, Swift-lite; :mod:`fuzz_services` has the last four) with mutated ids,
bodies (wrong types, huge numbers, NaN, deep nesting, invalid UTF-8, a 10 MB
body), headers (microversions, tokens), query strings, and raw-socket
malformations.  After every request:

* no 5xx, and a complete HTTP response (no dropped connection);
* a refused request (4xx) left the cloud's state as it was (Cinder's database
  fingerprint, Nova's instances, the identity's tokens);
* the server still answers.

In CI it sends ``CINDERSIM_FUZZ_REQUESTS`` requests (default 400, a few seconds);
``CINDERSIM_FUZZ_SECONDS=300`` runs a longer profile by time instead, and
``CINDERSIM_FUZZ_SEED`` picks the seed (printed on failure, so a run replays).
"""

from __future__ import annotations

import json
import os
import random
import select
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import fuzz_services
import pytest

from cindersim.serve import ServeOptions, ServerLimits, ThreadedServer

SEED = int(os.environ.get("CINDERSIM_FUZZ_SEED", "0"))
REQUESTS = int(os.environ.get("CINDERSIM_FUZZ_REQUESTS", "400"))
SECONDS = float(os.environ.get("CINDERSIM_FUZZ_SECONDS", "0"))
SPEED = 200.0


# --- a raw HTTP/1.1 client: no validation of what it sends ----------------------------
class Dropped(AssertionError):
    """The server closed or reset the connection without a complete response."""


@attrs.frozen
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool = False
    """A large body (an image file) the fuzzer stopped reading: its connection closes."""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Client:
    """Keep-alive connection(s) to the server, writing requests byte for byte."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def raw(self, data: bytes, *, head: bool = False) -> Reply:
        """Send *data* on the kept-alive connection and read one response."""
        sock = self._connect()
        try:
            send_until_answered(sock, data)
            reply = read_reply(sock, head=head)
        except (OSError, Dropped) as exc:
            self.close()
            raise Dropped(f"no response to {data[:300]!r}: {exc!r}") from exc
        if reply.truncated or reply.headers.get("connection", "").lower() == "close":
            self.close()
        return reply

    def request(self, method: str, target: str, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> Reply:
        lines = [f"{method} {target} HTTP/1.1", "Host: fuzz"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
        return self.raw(data + (body or b""), head=method == "HEAD")


def send_until_answered(sock: socket.socket, data: bytes) -> None:
    """Send *data*, but stop as soon as the server answers (a 413 comes before the
    body is read; a client that kept pushing would only meet a closed socket)."""
    view = memoryview(data)
    sent = 0
    timeout = sock.gettimeout()
    sock.setblocking(False)  # a blocking send would sit on a full buffer past the answer
    try:
        while sent < len(view):
            readable, writable, _ = select.select([sock], [sock], [], 20)
            if readable:
                return
            if not writable:
                raise Dropped("the server neither reads nor answers")
            try:
                sent += sock.send(view[sent:sent + 65536])
            except BlockingIOError:
                continue
    finally:
        sock.settimeout(timeout)


def read_reply(sock: socket.socket, *, head: bool = False) -> Reply:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise Dropped(f"closed after {data[:200]!r}")
        data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(":") for line in lines[1:])}
    length = 0 if head else int(headers.get("content-length", "0"))
    wanted = min(length, LARGEST_READ)
    while len(body) < wanted:
        chunk = sock.recv(65536)
        if not chunk:
            raise Dropped("closed mid-body")
        body += chunk
    return Reply(status, headers, body, truncated=length > LARGEST_READ)


LARGEST_READ = 4 * 1024 * 1024
"""Past this (the 2 GiB ubuntu image), the fuzzer reads the start and hangs up."""


# --- what the fuzzer knows about the cloud ---------------------------------------------
@attrs.define
class World:
    """Ids and tokens that exist, so mutated requests reach past the lookups."""

    demo_project: str
    admin_project: str
    demo_token: str
    admin_token: str
    volume_id: str
    snapshot_id: str
    image_id: str
    server_id: str | None
    cinder_routes: list[tuple[str, str]]
    ids: dict[str, list[str]] = attrs.Factory(dict)
    """Real ids in the other services (:func:`fuzz_services.ids_of`)."""


BUSY = frozenset({"creating", "deleting", "extending", "backing-up", "restoring",
                  "restoring-backup", "downloading", "uploading", "retyping", "reverting",
                  "managing", "unmanaging", "migrating", "starting", "completing",
                  "updating", "maintenance"})
"""Statuses the simulation moves on by itself (work under way).  A client's own
``attaching``/``detaching`` (os-reserve, os-begin_detaching) wait for the client."""


@attrs.frozen
class State:
    """What a refused request must leave as it was, and whether work is under way
    (then the background may change it whatever the request did)."""

    digest: tuple[Any, ...]
    busy: bool


def state_of(srv: ThreadedServer) -> State:
    async def snap(cloud: Any) -> State:
        db = cloud.db
        nova = getattr(cloud, "nova", None)
        instances = () if nova is None else tuple(
            (i.uuid, i.vm_state, i.task_state, i.power_state, len(i.bdms))
            for i in nova.instances.values())
        busy = any(r.status in BUSY for table in (db.volumes, db.snapshots, db.backups)
                   for r in table.values())
        busy = busy or any(v.migration_status in BUSY for v in db.volumes.values())
        busy = busy or any(i[2] is not None for i in instances)
        return State((db.fingerprint(), instances, cloud.identity.token_count,
                      fuzz_services.state_of_others(cloud)), busy)

    return srv.call(snap)


def settle(srv: ThreadedServer) -> State:
    """Wait until the background work a successful request started is done (or
    stuck: a bounded wait, after which refusals are not state-checked while busy)."""
    last = state_of(srv)
    still = 0
    for _ in range(300):
        time.sleep(0.01)
        now = state_of(srv)
        still = still + 1 if now == last else 0
        if still >= 3 and not now.busy:
            return now
        last = now
    return last


def login(client: Client, user: str) -> str:
    body = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": "secret", "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": user, "domain": {"name": "Default"}}}}}).encode()
    reply = client.request("POST", "/identity/v3/auth/tokens",
                           {"Content-Type": "application/json"}, body)
    assert reply.status == 201, reply
    return reply.headers["x-subject-token"]


def wait_status(client: Client, path: str, key: str, token: str, wanted: str) -> None:
    for _ in range(500):
        reply = client.request("GET", path, {"X-Auth-Token": token,
                                             "OpenStack-API-Version": "volume 3.71",
                                             "Accept": "application/json"})
        if reply.status == 200 and reply.json()[key]["status"] == wanted:
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} never became {wanted}")


def build_world(srv: ThreadedServer, client: Client) -> World:
    cloud = srv.cloud
    demo, admin = cloud.project_id("demo"), cloud.project_id("admin")
    demo_token, admin_token = login(client, "demo"), login(client, "admin")
    hdrs = {"X-Auth-Token": demo_token, "Content-Type": "application/json",
            "OpenStack-API-Version": "volume 3.71"}
    reply = client.request("POST", f"/v3/{demo}/volumes", hdrs,
                           json.dumps({"volume": {"size": 1, "name": "fuzz"}}).encode())
    assert reply.status == 202, reply
    volume_id = reply.json()["volume"]["id"]
    wait_status(client, f"/v3/{demo}/volumes/{volume_id}", "volume", demo_token, "available")
    reply = client.request("POST", f"/v3/{demo}/snapshots", hdrs, json.dumps(
        {"snapshot": {"volume_id": volume_id, "name": "fuzz"}}).encode())
    assert reply.status == 202, reply
    snapshot_id = reply.json()["snapshot"]["id"]
    wait_status(client, f"/v3/{demo}/snapshots/{snapshot_id}", "snapshot", demo_token,
                "available")
    images = client.request("GET", "/image/v2/images", {"X-Auth-Token": demo_token}).json()
    # The small default image (the list is Glance's created_at/id order, not by size).
    image_id = next(i["id"] for i in images["images"] if i["name"].startswith("cirros"))
    server_id = None
    if getattr(cloud, "nova", None) is not None:
        reply = client.request("POST", "/compute/v2.1/servers",
                               {"X-Auth-Token": demo_token, "Content-Type": "application/json",
                                # "networks": "none" exists from 2.37 (before, a list).
                                "OpenStack-API-Version": "compute 2.37"},
                               json.dumps({"server": {"name": "fuzz", "imageRef": image_id,
                                                      "flavorRef": "1",
                                                      "networks": "none"}}).encode())
        assert reply.status == 202, reply
        server_id = reply.json()["server"]["id"]
    settle(srv)
    routes = [(r.method, r.template) for r in cloud.api.router.routes]
    return World(demo, admin, demo_token, admin_token, volume_id, snapshot_id, image_id,
                 server_id, routes, srv.call(_ids))


async def _ids(cloud: Any) -> dict[str, list[str]]:
    return fuzz_services.ids_of(cloud)


# --- generators -------------------------------------------------------------------------
NASTY_SCALARS: list[Any] = [
    None, True, False, 0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308,
    "", " ", "0", "-1", "1e400", "true", "null", "x" * 300, "\u0000", "\ud800", "é" * 50,
    "../../etc", "%00", "<script>", "a/b", "\n", [], {}, [1], {"a": 1}, [[[]]],
]
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 5000,
               "1" + "0" * 400, "0.1e-400", "-0"]


def nasty_value(rng: random.Random) -> Any:
    return rng.choice(NASTY_SCALARS)


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """*value* with one leaf (or the whole) replaced by something nasty."""
    if depth > 3 or rng.random() < 0.25 or not isinstance(value, (dict, list)) or not value:
        return nasty_value(rng)
    if isinstance(value, dict):
        out = dict(value)
        key = rng.choice(list(out))
        if rng.random() < 0.15:
            del out[key]
        else:
            out[key] = mutate(rng, out[key], depth + 1)
        if rng.random() < 0.1:
            out[rng.choice(["", "x" * 200, "id", "status"])] = nasty_value(rng)
        return out
    out_list = list(value)
    i = rng.randrange(len(out_list))
    out_list[i] = mutate(rng, out_list[i], depth + 1)
    return out_list


def deep(depth: int, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def body_bytes(rng: random.Random, template: Any) -> bytes | None:
    """A request body: usually a mutation of *template*, sometimes pure garbage."""
    roll = rng.random()
    if roll < 0.55:
        return json.dumps(mutate(rng, template)).encode()
    if roll < 0.62:
        # A raw number JSON's grammar or int() refuses, spliced into the template.
        text = json.dumps(mutate(rng, template, 99))  # a scalar in place of the body...
        return rng.choice([text, json.dumps(template)]).replace(
            "1", rng.choice(RAW_NUMBERS), 1).encode()
    if roll < 0.72:
        return deep(rng.choice([50, 99, 100, 101, 150, 1000, 5000, 50_000]), rng).encode()
    if roll < 0.80:
        return rng.choice([b"\xff\xfe\xfd", b'{"a": "\xc3\x28"}', b"\xef\xbb\xbf{}", b"\x00",
                           b'{"volume": {"name": "\\ud800"}}', b"{", b"[1,]", b"nul"])
    if roll < 0.85:
        return b""
    if roll < 0.88:
        return b"x" * (10 * 1024 * 1024)  # over the body limit: 413, never read
    if roll < 0.92:
        return json.dumps({"k": "v" * 110_000}).encode()  # just under the limit
    return None


def mutated_id(rng: random.Random, real: list[str]) -> str:
    choice = rng.random()
    if choice < 0.5 and real:
        return rng.choice(real)
    return rng.choice([
        "", "0", "-1", "x" * 5000, "%00", "%ff%fe", "%2F", "..", "%20", "é", "%E2%82%AC",
        "00000000-0000-0000-0000-000000000000", "DETAIL", "detail", "null", "1e400",
        "{id}", "%7B%7D", rng.choice(real).upper() if real else "A",
        f"{rng.getrandbits(128):032x}",
    ])


CINDER_BODIES: dict[str, Any] = {
    "volumes": {"volume": {"size": 1, "name": "n", "metadata": {"k": "v"}}},
    "snapshots": {"snapshot": {"volume_id": "V", "name": "n", "force": False}},
    "backups": {"backup": {"volume_id": "V", "name": "n", "incremental": False}},
    "types": {"volume_type": {"name": "t", "extra_specs": {"k": "v"}}},
    "os-volume-transfer": {"transfer": {"volume_id": "V", "name": "n"}},
    "volume-transfers": {"transfer": {"volume_id": "V", "name": "n"}},
    "attachments": {"attachment": {"volume_uuid": "V", "instance_uuid": "I",
                                   "connector": {"host": "h", "initiator": "i"}}},
    "os-quota-sets": {"quota_set": {"volumes": 10, "gigabytes": 100}},
}
ACTION_BODIES: list[Any] = [
    {"os-extend": {"new_size": 2}}, {"os-reset_status": {"status": "available"}},
    {"os-set_bootable": {"bootable": True}}, {"os-update_readonly_flag": {"readonly": True}},
    {"os-reserve": None}, {"os-unreserve": None}, {"os-begin_detaching": None},
    {"os-roll_detaching": None}, {"os-attach": {"instance_uuid": "I", "mountpoint": "/dev/vdb"}},
    {"os-detach": {"attachment_id": "A"}},
    {"os-initialize_connection": {"connector": {"host": "h", "initiator": "i"}}},
    {"os-terminate_connection": {"connector": {"host": "h"}}}, {"os-force_delete": None},
    {"os-force_detach": {"attachment_id": "A", "connector": None}},
    {"os-retype": {"new_type": "lvmdriver-1", "migration_policy": "never"}},
    {"revert": {"snapshot_id": "S"}}, {"os-migrate_volume": {"host": "h@b#p"}},
    {"os-volume_upload_image": {"image_name": "i", "force": False}},
    {"os-set_image_metadata": {"metadata": {"k": "v"}}}, {"os-show_image_metadata": None},
    {"os-reset_status": {"status": "available", "attach_status": "detached"}},
    {"os-force_delete": {}}, {"os-unmanage": None}, {"os-restore": {"volume_id": "V"}},
    {"restore": {"volume_id": "V"}}, {"accept": {"auth_key": "k"}},
]
NOVA_BODIES: list[Any] = [
    {"server": {"name": "s", "imageRef": "IMG", "flavorRef": "1", "networks": "none",
                "block_device_mapping_v2": [{"boot_index": 0, "uuid": "V",
                                             "source_type": "volume",
                                             "destination_type": "volume"}]}},
    {"volumeAttachment": {"volumeId": "V", "device": "/dev/vdb"}},
    {"createImage": {"name": "img", "metadata": {}}},
]
KEYSTONE_BODY = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "demo", "password": "secret", "domain": {"name": "Default"}}}},
    "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}
QUERIES = [
    "", "limit=-1", "limit=0", "limit=1e400", f"limit={'9' * 5000}", "limit=abc",
    "offset=-5", "marker=nope", "sort=name:asc", "sort=:::", "sort_key=%00&sort_dir=up",
    "all_tenants=1", "all_tenants=maybe", "with_count=x", "with_count=true",
    "name=%ff%fe", "metadata=%7B%22a%22%3A1%7D", "metadata={bad", "status=%00",
    "cascade=yes", "cascade=maybe", "force=1", "%ZZ=1", "a=%", "&&&=&", "q" * 3000 + "=1",
    "is_public=none", "glance_metadata=[1]", "detail", "nocatalog", "allow_expired=1",
]


def cinder_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    method, template = rng.choice(w.cinder_routes)
    if rng.random() < 0.1:
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    real = {"volume_id": [w.volume_id], "snapshot_id": [w.snapshot_id],
            "project_id": [w.demo_project, w.admin_project]}

    def fill(name: str) -> str:
        return mutated_id(rng, real.get(name, [w.volume_id, w.snapshot_id]))

    path = template
    while "{" in path:
        start = path.index("{")
        end = path.index("}", start)
        path = path[:start] + fill(path[start + 1:end]) + path[end + 1:]
    project = rng.choice([w.demo_project, w.demo_project, w.admin_project, "", "nope"])
    prefix = rng.choice([f"/v3/{project}", "/v3"]) if rng.random() < 0.9 else "/v3//"
    collection = template.strip("/").split("/")[0]
    if template.endswith("/action"):
        tmpl: Any = rng.choice(ACTION_BODIES)
    else:
        tmpl = CINDER_BODIES.get(collection, {"x": 1})
    tmpl = json.loads(json.dumps(tmpl).replace('"V"', json.dumps(w.volume_id))
                      .replace('"S"', json.dumps(w.snapshot_id)))
    return method, prefix + path, tmpl


def nova_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    sid = mutated_id(rng, [w.server_id] if w.server_id else [])
    vid = mutated_id(rng, [w.volume_id])
    method, path = rng.choice([
        ("GET", "/servers"), ("GET", "/servers/detail"), ("POST", "/servers"),
        ("GET", f"/servers/{sid}"), ("DELETE", f"/servers/{sid}"),
        ("POST", f"/servers/{sid}/action"), ("GET", f"/servers/{sid}/os-volume_attachments"),
        ("POST", f"/servers/{sid}/os-volume_attachments"),
        ("GET", f"/servers/{sid}/os-volume_attachments/{vid}"),
        ("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}"),
        ("GET", "/flavors"), ("GET", "/flavors/detail"), ("GET", f"/flavors/{sid}"),
        ("PUT", f"/servers/{sid}"), ("GET", f"/{w.demo_project}/servers"), ("GET", ""),
    ])
    tmpl = json.loads(json.dumps(rng.choice(NOVA_BODIES)).replace('"V"', json.dumps(
        w.volume_id)).replace('"IMG"', json.dumps(w.image_id)))
    return method, "/compute/v2.1" + path, tmpl


def keystone_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    method, path = rng.choice([
        ("POST", "/identity/v3/auth/tokens"), ("POST", "/identity/v3/auth/tokens"),
        ("GET", "/identity/v3/auth/tokens"), ("HEAD", "/identity/v3/auth/tokens"),
        ("DELETE", "/identity/v3/auth/tokens"), ("GET", "/identity"), ("GET", "/identity/v3"),
        ("POST", "/identity/v3"), ("GET", "/identity/v3/users"),
    ])
    return method, path, KEYSTONE_BODY


def glance_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    return fuzz_services.glance_request(rng, w.ids, mutated_id)


def neutron_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    return fuzz_services.neutron_request(rng, w.ids, w.demo_project, mutated_id)


def swift_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    return fuzz_services.swift_request(rng, w.demo_project, mutated_id)


def keystone_admin_request(rng: random.Random, w: World) -> tuple[str, str, Any]:
    return fuzz_services.keystone_admin_request(rng, w.ids, mutated_id)


def headers_for(rng: random.Random, w: World, path: str) -> dict[str, str]:
    if rng.random() < 0.8:  # mostly a valid caller: the fuzz should get past auth
        token = rng.choice([w.demo_token, w.admin_token, f"demo:{w.demo_project}",
                            f"admin:{w.admin_project}"])
    else:
        token = rng.choice(["", ":", "nope", "x" * 10_000, w.demo_token[:-1],
                            "gAAAAAB" + "A" * 176, "a:b:c", "é:é"])
    headers: dict[str, str] = {"Accept": "application/json"}
    if token or rng.random() < 0.5:
        headers["X-Auth-Token"] = token
    if rng.random() < 0.5:
        service = "compute" if path.startswith("/compute") else "volume"
        minor = rng.choice(["0", "1", "71", "72", "96", "97", "latest", "01", "-1", "1.1",
                            "9" * 4400, "", "x", "\uff11"])  # a fullwidth 1
        major = rng.choice(["3", "2", "3", "2", "0", "03", "9" * 4400])
        headers["OpenStack-API-Version"] = rng.choice([
            f"{service} {major}.{minor}", f"{major}.{minor}", f"{service}", f"{service}  x y",
            f"volume {major}.{minor}, compute {major}.{minor}"])
    if rng.random() < 0.1:
        headers["X-OpenStack-Nova-API-Version"] = rng.choice(["2.1", "2." + "9" * 4400, "x"])
    if rng.random() < 0.15:
        headers["X-Subject-Token"] = rng.choice([w.demo_token, w.admin_token, "nope", ""])
    if rng.random() < 0.2:
        headers["Content-Type"] = rng.choice(["application/json", "text/plain", "", "x/y;;"])
    if path.startswith("/image") and rng.random() < 0.4:
        headers["Content-Type"] = "application/openstack-images-v2.1-json-patch"
    if rng.random() < 0.05:
        headers["X-Cindersim-Actor"] = rng.choice(["", "x" * 1000, "cinder-volume"])
    return headers


GENERATORS: list[Callable[[random.Random, World], tuple[str, str, Any]]] = [
    cinder_request, cinder_request, cinder_request, nova_request, keystone_request,
    keystone_admin_request, glance_request, neutron_request, swift_request]

RAW_MALFORMED: list[bytes] = [
    b"GET / HTTP/1.1\r\n\r\n",  # no Host
    b"GET /\r\n\r\n", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n folded: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
    b"POST /v3 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"0\r\n\r\n",
    b"POST /v3 HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
    b"POST /v3 HTTP/1.1\r\nHost: h\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n",
    b"POST /v3 HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nab",
    b"POST /v3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /v3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET http://[::1/v3 HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET http://h HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET v3 HTTP/1.1\r\nHost: h\r\n\r\n", b"GET /\xff\xfe HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", b"G\x00T / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"get / HTTP/1.1\r\nHost: h\r\n\r\n", b"\r\n\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00",
    b"GET /%  HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
]


# --- the run ------------------------------------------------------------------------------
@attrs.define
class Tally:
    sent: int = 0
    statuses: dict[int, int] = attrs.field(factory=dict)
    raw: int = 0
    refused_checked: int = 0
    unchecked: int = 0

    def count(self, status: int) -> None:
        self.sent += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture
def fuzz_server() -> Iterator[ThreadedServer]:
    limits = ServerLimits(idle_timeout=30.0, request_timeout=30.0, linger=0.2)
    with ThreadedServer(ServeOptions(port=0, speed=SPEED, seed=SEED, limits=limits)) as srv:
        yield srv


def check(reply: Reply, what: str, *, raw: bytes = b"") -> None:
    if reply.status == 501 and b"Transfer-Encoding: gzip" in raw:
        return  # RFC 9112 6.1: an unknown transfer coding is 501, not a server failure
    assert reply.status < 500, f"seed {SEED}: {what} -> {reply.status} {reply.body[:500]!r}"


def one_request(rng: random.Random, srv: ThreadedServer, client: Client, w: World,
                tally: Tally) -> None:
    method, target, template = rng.choice(GENERATORS)(rng, w)
    headers = headers_for(rng, w, target)
    body = body_bytes(rng, template) if method in {"POST", "PUT", "PATCH"} or \
        rng.random() < 0.1 else None
    if rng.random() < 0.3:
        target += "?" + "&".join(rng.choice(QUERIES) for _ in range(rng.randint(1, 3)))
    before = state_of(srv)
    what = f"{method} {target[:200]} {str(headers)[:300]} body={(body or b'')[:120]!r}"
    try:
        reply = client.request(method, target, headers, body)
    except Dropped as exc:
        raise AssertionError(f"seed {SEED}: dropped: {what}: {exc}") from None
    check(reply, what)
    tally.count(reply.status)
    if reply.status == 204 and target.startswith("/identity"):
        # A token was revoked (its owner's or an admin's request): log in again.
        w.demo_token, w.admin_token = login(client, "demo"), login(client, "admin")
    if reply.status >= 400:
        after = state_of(srv)
        if before.busy:
            tally.unchecked += 1  # work under way may change the state meanwhile
        else:
            assert after.digest == before.digest, \
                f"seed {SEED}: refused {reply.status} changed state: {what}"
            tally.refused_checked += 1
    else:
        settle(srv)


def raw_case(rng: random.Random, srv: ThreadedServer, tally: Tally) -> None:
    data = rng.choice(RAW_MALFORMED)
    before = state_of(srv)
    client = Client(srv.server.port)
    try:
        reply = client.raw(data)
    except Dropped as exc:
        raise AssertionError(f"seed {SEED}: dropped raw {data[:120]!r}: {exc}") from None
    finally:
        client.close()
    check(reply, f"raw {data[:120]!r}", raw=data)
    tally.count(reply.status)
    tally.raw += 1
    if reply.status >= 400 and not before.busy:
        assert state_of(srv).digest == before.digest


def still_answers(client: Client) -> None:
    reply = client.request("GET", "/", {"Accept": "application/json"})
    assert reply.status == 300


def test_fuzz_every_api_over_http(fuzz_server: ThreadedServer) -> None:
    srv = fuzz_server
    rng = random.Random(SEED)
    client = Client(srv.server.port)
    tally = Tally()
    try:
        world = build_world(srv, client)
        deadline = time.monotonic() + SECONDS if SECONDS else None
        i = 0
        fresh = time.monotonic()
        while (i < REQUESTS) if deadline is None else (time.monotonic() < deadline):
            i += 1
            if time.monotonic() - fresh > 5:
                # Tokens live an hour of virtual time: 18 wall seconds at speed 200.
                world.demo_token, world.admin_token = login(client, "demo"), login(client,
                                                                                   "admin")
                fresh = time.monotonic()
            if rng.random() < 0.08:
                raw_case(rng, srv, tally)
            else:
                one_request(rng, srv, client, world, tally)
            if i % 50 == 0:
                still_answers(client)
        still_answers(client)
    finally:
        client.close()
    stats = srv.server.stats
    print(f"fuzz seed {SEED}: {tally.sent} requests ({tally.raw} raw), "
          f"{tally.refused_checked} refusals state-checked ({tally.unchecked} not: busy), "
          f"statuses {sorted(tally.statuses.items())}, server {stats}")
    assert stats.internal_errors == 0
    assert srv.cloud.api.errors_5xx == 0
    assert tally.refused_checked > tally.sent // 4  # the checks did run
    assert 413 in tally.statuses
    assert 400 in tally.statuses
