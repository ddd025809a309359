"""cindersim serve over real HTTP: requests per second, and create -> available as polled.

* ``GET /v3/{pid}/volumes/{id}`` per wall second from a local client in another
  process (the server is ``python -m cindersim.serve`` on a loopback port): one
  keep-alive connection, then eight in parallel (asyncio, h11 parsing the
  replies: http.client's header parsing would be the bottleneck); with no trace
  (the server's default) and with ``--trace`` streaming to a file.  Target
  (issue 8): at least 1,000 requests/s.  The server's CPU time per request
  (Linux ``/proc``) is printed too: on a shared machine the wall-clock rate
  depends on who else runs, the CPU cost much less.
* The latency of create -> available as a polling client sees it at
  ``--speed 1000``: POST, then GET every 5 ms until ``available``; the wall
  time from sending the POST to reading ``available`` (median and 90th
  percentile over 30 volumes), and that span in virtual seconds (x 1000).

Figures only; nothing here asserts on time.
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

GETS = 5000


def start(*args: str) -> tuple[subprocess.Popen[str], int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cindersim.serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, text=True)
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


async def _get_loop(port: int, path: str, token: str, n: int) -> None:
    """One keep-alive connection sending *n* GETs in turn (h11 as the client's parser)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = h11.Request(method="GET", target=path, headers=[
        ("Host", f"127.0.0.1:{port}"), ("X-Auth-Token", token), ("Accept", "application/json"),
        ("OpenStack-API-Version", "volume 3.60")])
    conn = h11.Connection(h11.CLIENT)
    for _ in range(n):
        writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                break
        assert status == 200, status
        conn.start_next_cycle()
    writer.close()


def gets_per_second(proc: subprocess.Popen[str], port: int, pid: str,
                    connections: int) -> tuple[float, float | None]:
    """(requests/s, server CPU microseconds per request) for GET volume."""
    setup = Client(port, pid)
    vid = setup.create()
    while setup.status(vid) != "available":
        time.sleep(0.01)
    per = GETS // connections
    path = f"/v3/{pid}/volumes/{vid}"

    async def run() -> None:
        await asyncio.gather(*(_get_loop(port, path, f"demo:{pid}", per)
                               for _ in range(connections)))

    cpu0 = _cpu_seconds(proc.pid)
    t = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - t
    cpu1 = _cpu_seconds(proc.pid)
    cpu = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / (per * connections) * 1e6
    return per * connections / elapsed, cpu


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


def main() -> None:
    print("cindersim serve over HTTP (server and client in separate processes)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("no trace", ()),
                             ("--trace", ("--trace", str(Path(tmp) / "t.jsonl")))):
            proc, port, pid = start("--speed", "60", *extra)
            try:
                for connections in (1, 8):
                    rate, cpu = gets_per_second(proc, port, pid, connections)
                    cost = "" if cpu is None else (
                        f"; server CPU {cpu:,.0f} us/request = {1e6 / cpu:,.0f} requests/s "
                        "per core")
                    print(f"  GET volume, {label:8}, {connections} connection(s): "
                          f"{rate:6,.0f} requests/s{cost}")
            finally:
                stop(proc)
        config = Path(tmp) / "cinder.conf"
        config.write_text("[DEFAULT]\nquota_volumes = -1\nquota_gigabytes = -1\n",
                          encoding="utf-8")
        proc, port, pid = start("--speed", "1000", "--config", str(config))
        try:
            spans = create_latency(port, pid)
        finally:
            stop(proc)
    med = statistics.median(spans)
    p90 = statistics.quantiles(spans, n=10)[-1]
    print(f"  create -> available at --speed 1000, polled every 5 ms: median {med * 1e3:.1f} ms "
          f"(~{med * 1000:.1f} virtual s), p90 {p90 * 1e3:.1f} ms (~{p90 * 1000:.1f} "
          "virtual s)")


if __name__ == "__main__":
    main()
