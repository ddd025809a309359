"""A large image download is streamed, not built whole (found by the fuzzer's Glance
routes, issue 18): ``GET /image/v2/images/{ubuntu-24.04}/file`` once joined all
2 GiB in the server's memory before the first byte went out, stalling every client.
Glance (glance_store) streams the file; so does ``cindersim serve`` now."""

from __future__ import annotations

import hashlib
import http.client
import json
import resource
import socket
from collections.abc import Iterator

import pytest

from cindersim.serve import ServeOptions, ServerLimits, ThreadedServer

GIB_IN_KIB = 1024 * 1024  # ru_maxrss is in KiB on Linux


@pytest.fixture
def served() -> Iterator[ThreadedServer]:
    limits = ServerLimits(idle_timeout=30.0, request_timeout=30.0, linger=0.2)
    with ThreadedServer(ServeOptions(port=0, speed=100.0, limits=limits)) as srv:
        yield srv


def _token(srv: ThreadedServer) -> str:
    c = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=30)
    try:
        c.request("POST", "/identity/v3/auth/tokens", body=json.dumps({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "demo", "password": "secret", "domain": {"name": "Default"}}}},
            "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}),
            headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        return str(r.getheader("X-Subject-Token"))
    finally:
        c.close()


def _image(srv: ThreadedServer, token: str, name: str) -> dict[str, object]:
    c = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=30)
    try:
        c.request("GET", "/image/v2/images", headers={"X-Auth-Token": token})
        images = json.loads(c.getresponse().read())["images"]
        return dict(next(i for i in images if i["name"] == name))
    finally:
        c.close()


def test_a_streamed_download_is_the_whole_file(served: ThreadedServer) -> None:
    token = _token(served)
    cirros = _image(served, token, "cirros-0.6.2")
    c = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=30)
    try:
        c.request("GET", f"/image/v2/images/{cirros['id']}/file",
                  headers={"X-Auth-Token": token})
        r = c.getresponse()
        data = r.read()
        assert r.status == 200
        assert len(data) == int(str(r.getheader("Content-Length"))) == cirros["size"]
        assert hashlib.md5(data, usedforsecurity=False).hexdigest() == \
            r.getheader("Content-MD5") == cirros["checksum"]
    finally:
        c.close()


def test_a_2_gib_download_is_not_held_whole_and_others_are_answered(
        served: ThreadedServer) -> None:
    token = _token(served)
    ubuntu = _image(served, token, "ubuntu-24.04")
    assert ubuntu["size"] == 2 * 1024**3
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=30) as s:
        s.sendall(f"GET /image/v2/images/{ubuntu['id']}/file HTTP/1.1\r\nHost: h\r\n"
                  f"X-Auth-Token: {token}\r\n\r\n".encode())
        got = b""
        while len(got) < 8 * 1024 * 1024:
            chunk = s.recv(1 << 20)
            assert chunk, "closed mid-download"
            got += chunk
        head = got.partition(b"\r\n\r\n")[0].decode("latin-1")
        assert head.startswith("HTTP/1.1 200")
        assert f"content-length: {2 * 1024**3}" in head.lower()
        # Mid-download (this client stops reading), another client is answered.
        c = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=30)
        try:
            c.request("GET", "/")
            assert c.getresponse().status == 300
        finally:
            c.close()
    # The download was abandoned: the server neither failed nor held the file whole.
    assert served.server.stats.internal_errors == 0
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_after - peak_before < GIB_IN_KIB
