"""Run Tempest's volume API tests against ``cindersim serve`` and summarise them.

``make tempest`` runs ``tempest.api.volume`` and ``cinder_tempest_plugin.api.volume``
in full; ``make tempest-gate`` runs only the ids in ``conformance/passing.txt`` and
fails if any of them does not pass.  Both run this script with the Python of
``.venv-tempest`` (Tempest, stestr and subunit live there), in five steps:

1. a temporary Tempest workspace (``tempest init``), never inside the checkout;
2. ``cindersim serve`` on a free loopback port (``--port 0``; the URL is read
   from the banner) with the gate-like cloud of ``conformance/cindersim.conf``;
3. ``etc/tempest.conf`` written from what the server reports (microversion, image
   and flavor ids), with dynamic credentials: Tempest's admin (``[auth] admin_*``)
   creates a project and user per test class through Keystone's admin API.
   ``--preprovisioned`` writes ``etc/accounts.yaml`` and uses it instead;
4. ``tempest run --serial``;
5. the server stopped, the subunit stream summarised: counts, each failure with
   its first error line (and first refused request), failures grouped by that line,
   and the skip reasons.
"""

from __future__ import annotations

import argparse
import collections
import configparser
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

# Tempest's own packages: run this script with .venv-tempest's Python.
import subunit
import testtools
from oslo_concurrency import opts as oslo_concurrency_options  # its `oslo.config.opts`
from oslo_log import _options as oslo_log_options  # oslo.log's `oslo.config.opts` entry point
from tempest import config as tempest_config

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
SUITES = r"^(tempest\.api\.volume|cinder_tempest_plugin\.api\.volume)\."
PASSWORD = "secret"  # every Keystone-lite user's (cindersim.identity.DEFAULT_PASSWORD)

# Speed: virtual seconds per real second.  Tempest polls every build_interval (an
# integer, >= 1 real second); at 100 a minute of simulated LVM work is 0.6 s, so a
# status has converged by the first poll.  Faster buys nothing and shrinks real-time
# margins: service_down_time (60 virtual s) would be under 0.6 s of a stalled loop.
SPEED = 100
# Keystone-lite counts token lifetime in virtual seconds but reports a wall-clock
# expires_at, which Tempest trusts: give tokens a day of real time.
TOKEN_EXPIRATION = 86400 * SPEED
# Dynamic credentials (the default, as in the gate): Tempest logs in as the admin
# below and creates a project and user per test class through Keystone's admin API
# (GET /domains?name=Default, /roles, POST /projects and /users, PUT role grants,
# DELETE at cleanup).  With --preprovisioned it uses these fixed accounts instead, in
# the order Tempest should hand them out: the primary (demo, member), the alt
# (alt_demo), the admin, and a reader in the primary's project (tests list
# credentials = ['primary', 'project_reader']); demo_reader is added with
# `serve --user`.
ADMIN = ("admin", "admin")
ACCOUNTS = [("demo", "demo", ["member"]), ("alt_demo", "alt_demo", ["member"]),
            ("admin", "admin", ["admin"]), ("demo_reader", "demo", ["reader"])]
EXTRA_USERS = ["demo_reader:demo:reader"]


def log(msg: str) -> None:
    print(f"[tempest] {msg}", flush=True)


# --- the server ---------------------------------------------------------------------
# --backend: the cloud served and what tempest.conf says of it.  nfs is devstack's NFS
# job (devstack-plugin-nfs): storage_protocol = nfs, snapshots on
# (nfs_snapshot_support), no extend of an attached volume (NfsDriver refuses it), no
# manage-existing and no multiattach (the NFS driver offers neither).  rbd is
# devstack-plugin-ceph's job: one RBD backend, TEMPEST_STORAGE_PROTOCOL=ceph, Ceph
# backups; an RBD snapshot is named snapshot-<id> (LVM escapes it to _snapshot-<id>).
BACKENDS: dict[str, dict[str, str]] = {
    "lvm": {"conf": "cindersim.conf", "backend_names": "lvmdriver-1,lvmdriver-2",
            "storage_protocol": "iSCSI", "extend_attached_volume": "True",
            "manage": "True", "multiattach": "True", "multi_backend": "True",
            "snapshot_name": "_snapshot-%s", "backup_driver": ""},
    "nfs": {"conf": "cindersim-nfs.conf", "backend_names": "nfs-1,nfs-2",
            "storage_protocol": "nfs", "extend_attached_volume": "False",
            "manage": "False", "multiattach": "False", "multi_backend": "True",
            "snapshot_name": "_snapshot-%s", "backup_driver": ""},
    "rbd": {"conf": "cindersim-rbd.conf", "backend_names": "ceph",
            "storage_protocol": "ceph", "extend_attached_volume": "True",
            "manage": "True", "multiattach": "True", "multi_backend": "False",
            "snapshot_name": "snapshot-%s", "backup_driver": "ceph"},
}


def start_server(cindersim: str, workspace: Path, *, preprovisioned: bool = False,
                 backend: str = "lvm") -> tuple[subprocess.Popen[bytes], str]:
    extra = EXTRA_USERS if preprovisioned else []
    cmd = [cindersim, "serve", "--port", "0", "--auth", "keystone",
           "--config", str(HERE / BACKENDS[backend]["conf"]), "--speed", str(SPEED),
           "--token-expiration", str(TOKEN_EXPIRATION),
           *[a for u in extra for a in ("--user", u)]]
    with (workspace / "serve.log").open("wb") as out:  # the child keeps its own copy
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = re.search(r"a simulated Cinder at (http://\S+)",
                      (workspace / "serve.log").read_text(errors="replace"))
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    sys.exit(f"cindersim serve did not start:\n{(workspace / 'serve.log').read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def call(url: str, token: str | None = None, body: Any = None) -> tuple[Any, dict[str, str]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data, headers),
                                timeout=30) as r:
        return json.loads(r.read() or b"null"), dict(r.headers)


def discover(base: str) -> dict[str, str]:
    """What tempest.conf needs from the running cloud: cinder's newest microversion,
    two image ids and two flavor ids (ids come from the seed; never hard-code them),
    and whether the catalog has a network service."""
    domain = {"name": "Default"}
    issued, headers = call(f"{base}/identity/v3/auth/tokens", body={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": domain, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": domain}}}})
    token = headers["X-Subject-Token"]
    version = call(f"{base}/v3/", token)[0]["versions"][0]["version"]
    # devstack points image_ref at cirros, the smallest image: the volume tests create
    # 1 GiB volumes from it, and Cinder refuses an image larger than the volume (400).
    listed = call(f"{base}/image/v2/images", token)[0]["images"]
    images = [i["id"] for i in sorted(listed, key=lambda i: (i.get("size") or 0, i["id"]))]
    flavors = [f["id"] for f in call(f"{base}/compute/v2.1/flavors", token)[0]["flavors"]]
    # The Neutron-gated classes (create_default_network: attach, snapshots, backups,
    # extend-attached, snapshot manage) run only when the catalog has a network
    # service; say so from the catalog rather than assume it.  Likewise Swift: with
    # an object-store in the catalog the backups go to Swift-lite and Tempest checks
    # and cleans up their containers through it.
    services = {entry.get("type") for entry in issued["token"].get("catalog", [])}
    return {"max_microversion": version, "image": images[0], "image_alt": images[-1],
            "flavor": flavors[0], "flavor_alt": flavors[-1],
            "neutron": str("network" in services), "swift": str("object-store" in services)}


# --- configuration --------------------------------------------------------------------
def auth_section(etc: Path, *, preprovisioned: bool) -> str:
    """``[auth]``: dynamic credentials made by the admin, or the accounts file."""
    if preprovisioned:
        accounts = "".join(
            f"- username: {u}\n  project_name: {p}\n  password: {PASSWORD}\n"
            f"  domain_name: Default\n  roles: [{', '.join(r)}]\n" for u, p, r in ACCOUNTS)
        (etc / "accounts.yaml").write_text(accounts)
        return f"""\
use_dynamic_credentials = False
test_accounts_file = {etc / 'accounts.yaml'}"""
    user, project = ADMIN
    return f"""\
use_dynamic_credentials = True
admin_username = {user}
admin_password = {PASSWORD}
admin_project_name = {project}
admin_domain_name = Default"""


def write_config(workspace: Path, base: str, found: dict[str, str], *,
                 preprovisioned: bool = False, backend: str = "lvm") -> None:
    """tempest.conf: every option below is checked against tempest/config.py and
    cinder_tempest_plugin/config.py of the pinned versions (oslo.config ignores
    unknown options silently).  Features: what devstack's LVM gate enables."""
    etc = workspace / "etc"
    b = BACKENDS[backend]
    # cinder-backup's driver: the backend's own (rbd: Ceph), else Swift when the catalog
    # has an object store (cindersim.conf's SwiftBackupDriver, devstack's default).
    backup_driver = b["backup_driver"] or ("swift" if found["swift"] == "True" else "ceph")
    conf = f"""\
[DEFAULT]
log_dir = {workspace / 'logs'}
log_file = tempest.log

[oslo_concurrency]
# The pre-provisioned accounts are locked here: the default (/tmp/tempest-lock) is
# shared with any other Tempest run on the machine, whose locks would starve this one.
lock_path = {workspace / 'lock'}

[auth]
{auth_section(etc, preprovisioned=preprovisioned)}
default_credentials_domain_name = Default
create_isolated_networks = False

[identity]
uri_v3 = {base}/identity/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public

[identity-feature-enabled]
api_v2 = False
api_v3 = True

[volume]
catalog_type = block-storage
endpoint_type = publicURL
region = RegionOne
build_interval = 1
build_timeout = 60
min_microversion = 3.0
max_microversion = {found['max_microversion']}
backend_names = {b['backend_names']}
storage_protocol = {b['storage_protocol']}
manage_snapshot_ref = source-name,{b['snapshot_name']}
vendor_name = Open Source
# cinder-backup's driver (cindersim.conf: SwiftBackupDriver, devstack's default).  With
# swift, Tempest gives each backup its own container, checks the backup shows it, and
# deletes the container through the object-store API at cleanup (without an
# object-store: Tempest's default, ceph, which makes no container calls).
backup_driver = {backup_driver}

[volume-feature-enabled]
multi_backend = {b['multi_backend']}
backup = True
snapshot = True
clone = True
extend_attached_volume = {b['extend_attached_volume']}
manage_volume = {b['manage']}
manage_snapshot = {b['manage']}
# registered by cinder-tempest-plugin
volume_revert = True
# consistency_group stays False as in devstack's LVM gate: the LVM driver has no CG
# methods, so with it True the plugin's 4 CG tests fail (the CG goes to error) here
# exactly as they would on a real LVM cloud.

[compute]
image_ref = {found['image']}
image_ref_alt = {found['image_alt']}
flavor_ref = {found['flavor']}
flavor_ref_alt = {found['flavor_alt']}
build_interval = 1
build_timeout = 60
region = RegionOne

[compute-feature-enabled]
volume_multiattach = {b['multiattach']}

[object-storage]
catalog_type = object-store
endpoint_type = publicURL
region = RegionOne

[validation]
run_validation = False

[service_available]
cinder = True
nova = True
glance = True
neutron = {found['neutron']}
swift = {found['swift']}
horizon = False
# registered by cinder-tempest-plugin
barbican = False
"""
    (etc / "tempest.conf").write_text(conf)
    check_options(etc / "tempest.conf")


KEY_MANAGER_OPTIONS = {
    "service_available": ["barbican = True"],
    "volume-feature-enabled": ["extend_attached_encrypted_volume = True"],
    "compute-feature-enabled": ["attach_encrypted_volume = True"],
}
"""``--key-manager``: what a cloud with Barbican enables (issue 23): the encrypted-volume
tests the LVM gate skips without a key manager."""
KEY_MANAGER_SUITES = (r"^(tempest\.api\.volume\.admin\.test_encrypted_volumes_extend\."
                      r"|tempest\.scenario\.test_encrypted_cinder_volumes\."
                      r"|tempest\.scenario\.test_volume_boot_pattern\.TestVolumeBootPattern\."
                      r"test_boot_server_from_encrypted_volume)")


def enable_key_manager(path: Path) -> None:
    """Set the ``--key-manager`` options in tempest.conf: each replaces any line of its
    section that sets the same option, and is added at the section's end."""
    out: list[str] = []
    section = None
    for line in [*path.read_text().splitlines(), "[end]"]:
        if line.startswith("["):
            out += KEY_MANAGER_OPTIONS.get(section or "", [])
            section = line.strip("[]")
        wanted = KEY_MANAGER_OPTIONS.get(section or "", [])
        if any(line.split("=")[0].strip() == w.split("=")[0].strip() for w in wanted):
            continue
        out.append(line)
    path.write_text("\n".join(out[:-1]) + "\n")
    check_options(path)


def check_options(path: Path) -> None:
    """Refuse a tempest.conf with an option Tempest does not know: oslo.config would
    ignore it silently (a misspelt or misplaced option changes nothing, says nothing).
    ``tempest_config.list_opts()`` includes the installed plugins' options."""
    known: dict[str, set[str]] = collections.defaultdict(set)
    for group, opts in [*tempest_config.list_opts(), *oslo_log_options.list_opts(),
                        *oslo_concurrency_options.list_opts()]:
        name = "DEFAULT" if group is None else getattr(group, "name", group)
        known[name].update(opt.dest for opt in opts)
    parser = configparser.ConfigParser(interpolation=None, default_section="(none)")
    parser.read(path)
    unknown = [f"[{section}] {key}" for section in parser.sections()
               for key in parser[section] if key not in known[section]]
    if unknown:
        sys.exit(f"{path}: options Tempest does not know: {', '.join(unknown)}")


# --- results --------------------------------------------------------------------------
def read_results(workspace: Path) -> list[dict[str, Any]]:
    """Per-test outcomes from the last run's subunit stream (stestr's repository)."""
    stream = subprocess.run([str(VENV_BIN / "stestr"), "last", "--subunit"], cwd=workspace,
                            capture_output=True, check=False).stdout
    tests: list[dict[str, Any]] = []
    result = testtools.StreamToDict(tests.append)
    result.startTestRun()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream)).run(result)
    result.stopTestRun()
    return [t for t in tests if t["status"] in {"success", "fail", "skip", "xfail",
                                                 "uxsuccess"}]


def detail(test: dict[str, Any], name: str) -> str:
    content = test["details"].get(name)
    return content.as_text() if content is not None else ""


# ``pkg.mod.SomeError: ...`` or a builtin ``SomeError: ...`` (not ``Details:`` or the
# ``Catalog:`` dump that follow Tempest's messages).
_EXCEPTION = re.compile(r"^((?:[a-z_]\w*\.)+[A-Z]\w*|[A-Z]\w*(?:Error|Exception|Failure|Exit))"
                        r"(?::|$)")


_FAILED_REQUEST = re.compile(r"Request \(.*?\): ([45]\d\d) ([A-Z]+) (\S+)")


def failed_request(test: dict[str, Any]) -> str:
    """The test's first 4xx/5xx request from its log, ids and port elided:
    ``404 GET /v3/{project}/os-services``; empty if none was logged."""
    hits = _FAILED_REQUEST.findall(detail(test, "pythonlogging:''"))
    if not hits:
        return ""
    status, method, url = hits[0]  # later ones are mostly cleanup polling for a 404
    path = re.sub(r"^https?://[^/]+", "", url)
    path = re.sub(r"/[0-9a-f]{32}(?=/|$|\?)", "/{project}", path)
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}", path)
    return f"{status} {method} {path}"


def first_error_line(test: dict[str, Any]) -> str:
    """The last exception line of the traceback (``pkg.SomeError: message``), with
    the ``Details:`` line Tempest adds and, for a schema mismatch, where it failed."""
    lines = detail(test, "traceback").strip().splitlines()
    starts = [i for i, line in enumerate(lines)
              if _EXCEPTION.match(line)]
    if not starts:
        return (lines[-1].strip() if lines else "(no traceback)")[:400]
    rest = lines[starts[-1]:]
    extra = [x.strip() for x in rest[1:] if x.startswith(("Details:", "Failed validating"))]
    request = failed_request(test)
    text = " ".join([rest[0].strip(), *extra])[:300]
    refused = re.search(r"'code': [45]\d\d|response code", text)
    return f"{text} [{request}]" if request and refused else text


def skip_reason(test: dict[str, Any]) -> str:
    return (detail(test, "reason") or "(no reason given)").strip().splitlines()[0][:160]


def summarise(tests: list[dict[str, Any]]) -> tuple[int, int, int]:
    passed = [t for t in tests if t["status"] == "success"]
    failed = [t for t in tests if t["status"] in {"fail", "uxsuccess"}]
    skipped = [t for t in tests if t["status"] in {"skip", "xfail"}]
    print(f"\n== {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped "
          f"({len(tests)} tests)")
    if failed:
        print("\n== failed (test id: first error line)")
        for t in sorted(failed, key=lambda t: t["id"]):
            print(f"FAIL {t['id']}\n     {first_error_line(t)}")
        print("\n== failures by first error line (count: line)")
        causes = collections.Counter(first_error_line(t) for t in failed)
        for cause, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"{n:4d}  {cause}")
    if skipped:
        print("\n== skip reasons (count: reason)")
        reasons = collections.Counter(skip_reason(t) for t in skipped)
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"{n:4d}  {reason}")
    return len(passed), len(failed), len(skipped)


# --- gate -----------------------------------------------------------------------------
def bare_id(test_id: str) -> str:
    """``pkg.Class.test_x[id-...,smoke]`` -> ``pkg.Class.test_x``."""
    return test_id.split("[", 1)[0]


def read_passing(path: Path) -> list[str]:
    lines = (ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines())
    return [ln for ln in lines if ln]


def check_gate(tests: list[dict[str, Any]], wanted: list[str]) -> int:
    """0 if every wanted id ran and passed; else list what did not."""
    outcome = {bare_id(t["id"]): t["status"] for t in tests}
    bad = [(i, outcome.get(i, "not run")) for i in wanted if outcome.get(i) != "success"]
    for test_id, status in bad:
        print(f"GATE {status.upper()}: {test_id}")
    print(f"\n== gate: {len(wanted) - len(bad)}/{len(wanted)} listed tests passed")
    return 1 if bad else 0


# --- main -----------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cindersim", required=True, help="the cindersim executable")
    parser.add_argument("--gate", metavar="LIST", type=Path,
                        help="run only the ids in LIST; fail unless all of them pass")
    parser.add_argument("--regex", default=SUITES, help="tests to run (default: %(default)s)")
    parser.add_argument("--preprovisioned", action="store_true",
                        help="use fixed accounts (etc/accounts.yaml) instead of dynamic "
                             "credentials")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="lvm",
                        help="the cloud to serve: devstack's LVM gate (default), its "
                             "NFS job, or its Ceph job (RBD volumes, Ceph backups)")
    parser.add_argument("--key-manager", action="store_true",
                        help="enable barbican and the encrypted-volume features; without "
                             "--regex/--gate, run the encrypted-volume tests")
    parser.add_argument("--keep", action="store_true",
                        help="keep the workspace (tempest.conf, logs, .stestr) and print it")
    args = parser.parse_args()

    top = Path(tempfile.mkdtemp(prefix="cindersim-tempest-"))
    workspace = top / "ws"
    tempest = str(VENV_BIN / "tempest")
    # --config-dir and --workspace-path keep `tempest init` from creating ~/.tempest.
    (top / "global-etc").mkdir()
    subprocess.run([tempest, "init", "--config-dir", str(top / "global-etc"),
                    "--workspace-path", str(top / "workspaces.yaml"), str(workspace)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc, base = start_server(args.cindersim, workspace, preprovisioned=args.preprovisioned,
                              backend=args.backend)
    try:
        log(f"cindersim serve at {base}; workspace {workspace}")
        write_config(workspace, base, discover(base), preprovisioned=args.preprovisioned,
                     backend=args.backend)
        if args.key_manager:
            enable_key_manager(workspace / "etc" / "tempest.conf")
            if args.regex == SUITES:
                args.regex = KEY_MANAGER_SUITES
        cmd = [tempest, "run", "--serial"]
        if args.gate:
            wanted = read_passing(args.gate)
            include = workspace / "include.txt"
            include.write_text("".join(f"^{re.escape(i)}(\\[|$)\n" for i in wanted))
            cmd += ["--include-list", str(include)]
        else:
            cmd += ["--regex", args.regex]
        started = time.monotonic()
        with (workspace / "tempest-run.log").open("wb") as out:
            subprocess.run(cmd, cwd=workspace, stdout=out, stderr=subprocess.STDOUT,
                           check=False)
        log(f"tempest run took {time.monotonic() - started:.0f} s")
    finally:
        stop_server(proc)
    tests = read_results(workspace)
    summarise(tests)
    status = check_gate(tests, wanted) if args.gate else 0
    if not tests:
        print(f"no results: see {workspace / 'tempest-run.log'}")
        print((workspace / "tempest-run.log").read_text(errors="replace")[-3000:])
        status = 1
    if args.keep or status:
        log(f"workspace kept: {workspace} (etc/tempest.conf, tempest-run.log, "
            f"logs/tempest.log, serve.log)")
    else:
        shutil.rmtree(top, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
