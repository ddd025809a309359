"""cindersim serve over real HTTP against a bare h11 server of the same shape.

Both servers are processes of their own on a loopback port (127.0.0.1 only);
the client is a third, speaking HTTP/1.1 keep-alive with h11:

* ``POST /v3/{pid}/volumes`` (create, 202) and ``GET /v3/{pid}/volumes/{id}``
  (show, 200), ``REQUESTS`` of each on one connection, then GET on eight;
* the peer is asyncio streams + h11 answering the same paths with a JSON body of
  the same size and no work: the floor any server on this stack pays;
* requests per wall second and the server's CPU microseconds per request (Linux
  ``/proc``; on a shared machine the CPU cost moves much less than the rate);
* create -> available as a polling client sees it at ``--speed 1000``.

Bounded: a fixed number of requests, a 30 s socket timeout, servers stopped in
``finally``.  Target (issue 8): at least 1,000 requests/s.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h11
from _table import Row, note, render

REQUESTS = 2000


def start(*args: str) -> tuple[subprocess.Popen[str], int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cindersim.serve", "--host", "127.0.0.1",
                             "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    return _banner(proc)


def _banner(proc: subprocess.Popen[str]) -> tuple[subprocess.Popen[str], int, str]:
    assert proc.stdout is not None
    banner = ""
    for line in proc.stdout:
        banner += line
        if line.startswith("Ctrl-C"):
            break
    port = re.search(r"at http://127\.0\.0\.1:(\d+) ", banner)
    pid = re.search(r"demo ([0-9a-f]{32})", banner)
    assert port, banner
    assert pid, banner
    return proc, int(port.group(1)), pid.group(1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)


class Client:
    """One keep-alive connection, noauth token for project demo."""

    def __init__(self, port: int, pid: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.pid = pid
        self.headers = {"X-Auth-Token": f"demo:{pid}", "Accept": "application/json",
                        "Content-Type": "application/json",
                        "OpenStack-API-Version": "volume 3.60"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.conn.request(method, f"/v3/{self.pid}{path}",
                          body=None if body is None else json.dumps(body),
                          headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None

    def create(self) -> str:
        status, body = self.call("POST", "/volumes", {"volume": {"size": 1}})
        assert status == 202, body
        return str(body["volume"]["id"])

    def status(self, vid: str) -> str:
        status, body = self.call("GET", f"/volumes/{vid}")
        assert status == 200, body
        return str(body["volume"]["status"])


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


BARE = r"""
import asyncio, json, sys
import h11

VOLUME = json.dumps({"volume": {"id": "0" * 32, "status": "creating", "size": 1,
                                "name": None, "pad": "x" * int(sys.argv[1])}}).encode()


async def serve(reader, writer):
    conn = h11.Connection(h11.SERVER)
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            if not data:
                break
            conn.receive_data(data)
        elif isinstance(event, h11.Request):
            method = event.method
        elif isinstance(event, h11.EndOfMessage):
            status = 202 if method == b"POST" else 200
            writer.write(conn.send(h11.Response(status_code=status, headers=[
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(VOLUME)))]))
                + conn.send(h11.Data(data=VOLUME)) + conn.send(h11.EndOfMessage()))
            conn.start_next_cycle()
        elif event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
            break
    writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(f"at http://127.0.0.1:{server.sockets[0].getsockname()[1]} demo {'0' * 32}")
    print("Ctrl-C", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def start_bare(body_size: int) -> tuple[subprocess.Popen[str], int, str]:
    proc = subprocess.Popen([sys.executable, "-c", BARE, str(body_size)],
                            stdout=subprocess.PIPE, text=True)
    return _banner(proc)


async def _loop(port: int, method: str, path: str, token: str, n: int,
                body: bytes = b"") -> int:
    """One keep-alive connection sending *n* requests in turn; returns the body size."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
    headers = [("Host", f"127.0.0.1:{port}"), ("X-Auth-Token", token),
               ("Accept", "application/json"), ("OpenStack-API-Version", "volume 3.60")]
    if body:
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    request = h11.Request(method=method, target=path, headers=headers)
    conn = h11.Connection(h11.CLIENT)
    size = 0
    for _ in range(n):
        out = conn.send(request)
        if body:
            out += conn.send(h11.Data(data=body))
        writer.write(out + conn.send(h11.EndOfMessage()))
        status = 0
        size = 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await asyncio.wait_for(reader.read(65536), 30))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                size += len(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
        assert status in (200, 202), status
        conn.start_next_cycle()
    writer.close()
    return size


def rate(proc: subprocess.Popen[str], port: int, method: str, path: str, token: str,
         connections: int, body: bytes = b"") -> tuple[float, float | None, int]:
    """(requests/s, server CPU microseconds per request, response body bytes)."""
    note(f"{method} {path.rsplit('/', 2)[-2] if method == 'GET' else 'create'}, "
         f"{connections} connection(s), port {port}")
    per = REQUESTS // connections

    async def run() -> list[int]:
        return await asyncio.gather(*(_loop(port, method, path, token, per, body)
                                      for _ in range(connections)))

    cpu0 = _cpu_seconds(proc.pid)
    t = time.perf_counter()
    sizes = asyncio.run(run())
    elapsed = time.perf_counter() - t
    cpu1 = _cpu_seconds(proc.pid)
    cpu = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / (per * connections) * 1e6
    return per * connections / elapsed, cpu, sizes[0]


def create_latency(port: int, pid: str, n: int = 30) -> list[float]:
    c = Client(port, pid)
    spans = []
    for _ in range(n):
        t = time.perf_counter()
        vid = c.create()
        while c.status(vid) != "available":
            time.sleep(0.005)
        spans.append(time.perf_counter() - t)
    return spans


CREATE = json.dumps({"volume": {"size": 1}}).encode()


def figures() -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cinder.conf"
        config.write_text("[DEFAULT]\nquota_volumes = -1\nquota_gigabytes = -1\n"
                          "[lvmdriver-1]\nvg_size_gb = 1000000\n", encoding="utf-8")
        proc, port, pid = start("--speed", "60", "--config", str(config))
        try:
            token = f"demo:{pid}"
            setup = Client(port, pid)
            vid = setup.create()
            while setup.status(vid) != "available":
                time.sleep(0.01)
            ours = {
                ("POST create", 1): rate(proc, port, "POST", f"/v3/{pid}/volumes", token, 1,
                                         CREATE),
                ("GET show", 1): rate(proc, port, "GET", f"/v3/{pid}/volumes/{vid}", token, 1),
                ("GET show", 8): rate(proc, port, "GET", f"/v3/{pid}/volumes/{vid}", token, 8),
            }
        finally:
            stop(proc)
        body = ours["GET show", 1][2]
        proc, port, pid = start_bare(max(0, body - 80))
        try:
            bare = {
                ("POST create", 1): rate(proc, port, "POST", f"/v3/{pid}/volumes", "t", 1,
                                         CREATE),
                ("GET show", 1): rate(proc, port, "GET", f"/v3/{pid}/volumes/x", "t", 1),
                ("GET show", 8): rate(proc, port, "GET", f"/v3/{pid}/volumes/x", "t", 8),
            }
        finally:
            stop(proc)
        for (what, conns), (rps, cpu, _) in ours.items():
            brps, bcpu, _ = bare[what, conns]
            label = f"{what}, {conns} keep-alive connection(s)"
            rows.append(Row("serve", f"{label}: requests", rps, "/s", "bare h11 server",
                            brps, ">= 1,000/s"))
            if cpu is not None and bcpu is not None:
                rows.append(Row("serve", f"{label}: server CPU", cpu, "us/request",
                                "bare h11 server", bcpu, higher=False))
        proc, port, pid = start("--speed", "1000", "--config", str(config))
        try:
            spans = create_latency(port, pid)
        finally:
            stop(proc)
    med = statistics.median(spans)
    rows.append(Row("serve", "create -> available at --speed 1000, polled, median", med * 1e3,
                    "ms wall", higher=False))
    return rows


if __name__ == "__main__":
    print(render(figures()))
