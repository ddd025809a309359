"""``cindersim serve`` as a process: the banner, a request, a clean stop, the trace.

The server runs as ``python -m cindersim.serve`` (what ``cindersim serve`` calls)
on an ephemeral loopback port; the test reads the endpoint from the banner,
talks to it, then stops it with SIGTERM or SIGINT (Ctrl-C) and reads the JSONL
trace it wrote.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cindersim.cli import main as cli_main
from cindersim.serve import main as serve_main
from cindersim.states import check_trace
from cindersim.trace import load_jsonl

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


SERVE = ("cindersim.serve",)
CLI_SERVE = ("cindersim.cli", "serve")


def start(*args: str, entry: tuple[str, ...] = SERVE) -> tuple[subprocess.Popen[str], str]:
    """Start the server; return it and everything it printed up to the banner's end."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", *entry, "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C or SIGTERM stops the server"):
            break
    else:
        proc.wait(10)
        raise AssertionError(f"no banner: {''.join(lines)} {proc.stderr.read()}")  # type: ignore[union-attr]
    return proc, "".join(lines)


def get(port: int, path: str, token: str | None = None) -> tuple[int, object]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"X-Auth-Token": token} if token else {})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


@pytest.mark.parametrize(("entry", "sig"), [(CLI_SERVE, signal.SIGTERM),
                                            (SERVE, signal.SIGINT)])
def test_banner_request_stop_and_trace(tmp_path: Path, entry: tuple[str, ...],
                                       sig: signal.Signals) -> None:
    """``cindersim serve`` (and ``python -m cindersim.serve``) until SIGTERM or Ctrl-C."""
    trace = tmp_path / "serve.jsonl"
    proc, banner = start("--seed", "7", "--speed", "100", "--trace", str(trace), entry=entry)
    try:
        m = re.search(r"a simulated Cinder at http://127\.0\.0\.1:(\d+) \(seed 7, 100 "
                      r"virtual seconds per real second, auth both\)", banner)
        assert m, banner
        port = int(m.group(1))
        demo = re.search(r"demo ([0-9a-f]{32})", banner)
        assert demo, banner
        pid = demo.group(1)
        # The pasteable parts: clouds.yaml with the identity URL, the cinderclient env.
        assert f'auth_url: "http://127.0.0.1:{port}/identity/v3"' in banner
        assert (f"export OS_AUTH_TYPE=noauth CINDER_ENDPOINT=http://127.0.0.1:{port}/v3 "
                f"OS_USER_ID=demo OS_PROJECT_ID={pid}") in banner
        assert f"token: \"demo:{pid}\"" in banner
        assert banner.count('volume_api_version: "3.71"') == 3
        assert banner.count('compute_api_version: "2.96"') == 2
        # What demo has, asked of nova-api and Glance: the flavors and images.
        assert re.search(r"flavors +m1\.tiny \(1\), m1\.small \(2\)", banner), banner
        assert re.search(r"images +\S+ \([0-9a-f-]{36}\)", banner), banner
        assert "    networks     (none)" in banner  # Neutron runs; the demo project has none
        # The two environments are alternatives: each unsets the other's variables.
        keystone_env = banner.index("export OS_AUTH_URL=")
        noauth_env = banner.index("export OS_AUTH_TYPE=noauth")
        assert banner.rindex("unset OS_AUTH_TYPE", 0, keystone_env) < keystone_env
        assert keystone_env < banner.rindex("unset OS_AUTH_URL", 0, noauth_env) < noauth_env
        assert get(port, "/")[0] == 300
        assert get(port, f"/v3/{pid}/volumes", f"demo:{pid}") == (200, {"volumes": []})
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    m = re.search(r"stopped; (\d+) trace events written to (.+)$", out.strip())
    assert m, out
    events = load_jsonl(trace.read_text(encoding="utf-8").splitlines())
    assert len(events) == int(m.group(1)) > 0
    assert [e.seq for e in events] == list(range(len(events)))
    assert [e.summary for e in events if e.kind == "api.request"
            and e.actor != "serve-banner"] == ["GET /", f"GET /v3/{pid}/volumes"]
    # The banner's look at demo's networks, flavors and images is on the record too.
    assert sorted(e.summary for e in events if e.actor == "serve-banner") == [
        "GET /compute/v2.1/flavors", "GET /image/v2/images", "GET /networking/v2.0/networks"]
    assert check_trace(events) == []


def test_port_in_use_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert serve_main(["--port", str(s.getsockname()[1])]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cindersim serve: ")
    assert "address already in use" in err.lower()


def test_bad_config_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "cinder.conf"
    config.write_text("[DEFAULT]\nno_such_option = 1\n", encoding="utf-8")
    assert serve_main(["--port", "0", "--config", str(config)]) == 2
    assert "no_such_option" in capsys.readouterr().err
    assert cli_main(["serve", "--port", "0", "--config", str(config)]) == 2


def test_bad_speed_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        cli_main(["serve", "--speed", "0"])
    assert exit_.value.code == 2


def test_config_file_shapes_the_cloud(tmp_path: Path) -> None:
    config = tmp_path / "cinder.conf"
    config.write_text("[DEFAULT]\nquota_volumes = 4\n", encoding="utf-8")
    proc, banner = start("--config", str(config))
    try:
        m = re.search(r"at http://127\.0\.0\.1:(\d+) ", banner)
        demo = re.search(r"demo ([0-9a-f]{32})", banner)
        assert m
        assert demo
        pid = demo.group(1)
        status, body = get(int(m.group(1)), f"/v3/{pid}/os-quota-sets/{pid}", f"demo:{pid}")
        assert status == 200
        assert body["quota_set"]["volumes"] == 4  # type: ignore[index]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def post(port: int, path: str, body: object) -> tuple[int, object]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("POST", path, body=json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def login(port: int, user: str, project: str) -> tuple[int, object]:
    domain = {"name": "Default"}
    return post(port, "/identity/v3/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": domain, "password": "secret"}}},
        "scope": {"project": {"name": project, "domain": domain}}}})


def test_extra_users_and_token_expiration() -> None:
    """``--user`` adds a Keystone user with its roles (Tempest's pre-provisioned
    reader); ``--token-expiration`` sets the lifetime the token body reports."""
    proc, banner = start("--user", "demo_reader:demo:reader",
                         "--user", "ops:ops_project:member+reader",
                         "--token-expiration", "7200")
    try:
        m = re.search(r"at http://127\.0\.0\.1:(\d+) ", banner)
        assert m
        port = int(m.group(1))
        status, body = login(port, "demo_reader", "demo")
        assert status == 201, body
        token = body["token"]  # type: ignore[index]
        assert [r["name"] for r in token["roles"]] == ["reader"]
        assert token["project"]["name"] == "demo"
        issued, expires = (dt.datetime.fromisoformat(token[k].rstrip("Z"))
                           for k in ("issued_at", "expires_at"))
        # 7,200 virtual seconds, shown as the wall time they last at the default --speed 60.
        assert abs((expires - issued).total_seconds() - 7200 / 60) < 1
        status, body = login(port, "ops", "ops_project")
        assert status == 201, body
        assert {r["name"] for r in body["token"]["roles"]} == {  # type: ignore[index]
            "member", "reader"}
        # Nobody else gained anything: demo_reader holds no role on alt_demo.
        assert login(port, "demo_reader", "alt_demo")[0] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


@pytest.mark.parametrize("spec", ["demo_reader", "a:b", "a:b:", "a::reader", "a:b:c:d"])
def test_bad_user_is_a_usage_error(spec: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli_main(["serve", "--user", spec])
    assert exit_.value.code == 2


def test_unknown_role_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_main(["--port", "0", "--user", "u:p:no_such_role"]) == 2
    assert "no_such_role" in capsys.readouterr().err
