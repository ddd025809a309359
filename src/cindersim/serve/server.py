"""The simulated cloud over real HTTP/1.1, on the simulation's own loop.

``cindersim serve`` runs one :class:`~cindersim.Simulation` in *paced* mode
(virtual time = wall time x ``speed``, real sockets allowed; see
:mod:`cindersim.clock`) and an HTTP/1.1 server on the same asyncio loop, so the
services and the server share one thread and one clock: a request is handled
between two simulation steps, exactly as :meth:`~cindersim.Cloud.request`
would be, and the work it starts progresses while the client polls.

HTTP framing is `h11 <https://h11.readthedocs.io>`_'s (keep-alive, pipelining
refusals, ``Content-Length``/chunked bodies, protocol errors as 400): no
hand-written parsing.  One asyncio task per connection; a request's reply is
computed by :class:`~cindersim.serve.app.HttpApp`.

Three ways to run it:

* :func:`serve` - blocking, with Ctrl-C / SIGTERM handling (the CLI);
* :class:`ThreadedServer` - in a background thread, for tests (like moto's
  ``ThreadedMotoServer``): ``with ThreadedServer(port=0) as srv: srv.endpoint``;
* :class:`SimServer` - inside your own coroutine on a paced loop.

Abuse limits (:class:`ServerLimits`), as a front end of real Cinder has them:
a request body over ``max_body_size`` (oslo.middleware's
``max_request_body_size``, 114,688 bytes) is refused 413 without being read; at
most ``max_connections`` connections are served at once (more are answered 503
and closed); a connection with no request under way is closed after
``idle_timeout``, and one whose request (head and body) has not fully arrived
``request_timeout`` after its first byte is answered 408 and closed (slowloris).
These timeouts are *wall-clock* seconds, a network concern of the server and not
of the simulation: they are converted at the loop's ``speed`` so they last the
same real time whatever the pace, and they never appear in the trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import signal
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

import attrs
import h11

from ..cloud import Cloud
from ..config import CloudConfig
from ..simulation import Simulation
from .app import HttpApp, HttpResponse

__all__ = ["AuthMode", "ServeOptions", "ServerLimits", "ServerStats", "SimServer",
           "ThreadedServer", "exposes_noauth", "is_loopback", "serve"]

T = TypeVar("T")
_log = logging.getLogger(__name__)

AuthMode = Literal["keystone", "noauth", "both"]
"""Which ``X-Auth-Token`` values cinder-api accepts (``ApiService.auth_strategy``)."""

_READ_SIZE = 65536
_MAX_HEADER_BYTES = 64 * 1024
_LINGER_BYTES = 16 * 1024 * 1024
"""After a 413, what the server reads and throws away (at most) so that closing does
not reset the connection before the client has read the answer: more than a
loopback connection holds in flight (a client stops sending once it sees the
answer), far less than the bodies the limit is there to refuse."""


@attrs.frozen
class ServerLimits:
    """What one client may take of the server.  Times are wall-clock seconds."""

    max_body_size: int = 114_688
    """Largest request body accepted: oslo.middleware's ``max_request_body_size``
    default (112 KiB), which Cinder's, Nova's and Keystone's pipelines all use."""
    max_upload_size: int = 256 * 2**20
    """Largest body of a data-plane upload: an image file (``PUT /image/v2/images/{id}/
    file``) or an object (``PUT /object-store/...``).  Glance (``image_size_cap``,
    1 TiB) and Swift (``max_file_size``, 5 GiB) stream uploads and are not behind the
    112 KiB limiter; this server holds a body in memory, so it caps them lower."""
    max_connections: int = 512
    """Connections served at once; one more is answered 503 and closed.  Below the
    usual 1,024 open files a process may hold, so the cap, not the kernel, refuses."""
    idle_timeout: float = 60.0
    """A connection with no request under way (a new one, or a kept-alive one
    between requests) is closed after this long."""
    request_timeout: float = 30.0
    """A request must arrive whole (head and body) this long after its first byte,
    else 408 and close; also the longest a response may wait on a client that
    does not read it."""
    linger: float = 2.0
    """After a 413, how long the server keeps discarding what the client still sends
    (at most 16 MiB) before it closes, so the client can read the answer."""

    def __attrs_post_init__(self) -> None:
        if self.max_body_size < 0 or self.max_upload_size < 0 or self.max_connections < 1:
            raise ValueError("max_body_size must be >= 0 and max_connections >= 1")
        if not (self.idle_timeout > 0 and self.request_timeout > 0 and self.linger >= 0):
            raise ValueError("timeouts must be > 0")


@attrs.define
class ServerStats:
    """What the server refused or cut short (for operators and tests)."""

    refused_connections: int = 0
    idle_closed: int = 0
    slow_closed: int = 0
    too_large: int = 0
    internal_errors: int = 0
    largest_body: int = 0
    """The most body bytes one request ever held in memory."""


@attrs.frozen
class ServeOptions:
    """What ``cindersim serve`` is asked to run."""

    host: str = "127.0.0.1"
    port: int = 8776
    """0 picks a free port (tests)."""
    config: CloudConfig | Mapping[str, Any] | str | Path | None = None
    seed: int = 0
    speed: float = 60.0
    """Virtual seconds per wall second (60: a simulated minute per real second)."""
    trace: str | Path | None = None
    """Where to write the JSONL trace; None keeps no trace (a long-lived server
    must not grow without bound)."""
    auth: AuthMode = "both"
    limits: ServerLimits = ServerLimits()


def is_loopback(host: str) -> bool:
    """Whether binding *host* keeps the server on this machine (``localhost`` or a
    loopback address); a wildcard (``0.0.0.0``, ``::``, empty) or any other name
    is reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposes_noauth(options: ServeOptions) -> bool:
    """Whether *options* let anyone who reaches the port act as an admin: noauth
    tokens (``--auth noauth`` or ``both``) on a non-loopback address."""
    return options.auth != "keystone" and not is_loopback(options.host)



class _Timeout(Exception):
    """A wall-clock deadline of the connection passed."""


class _Wire:
    """One connection's socket with wall-clock deadlines on its reads and writes.

    The loop is paced (its clock runs ``speed`` virtual seconds per wall second),
    so a wall delay is ``speed`` times as long in loop seconds.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 limits: ServerLimits) -> None:
        self.reader = reader
        self.writer = writer
        self.limits = limits
        self.loop = asyncio.get_running_loop()
        speed = getattr(self.loop, "speed", None)
        self.scale = float(speed) if speed else 1.0
        self.receiving = False
        """Whether a request has begun to arrive (its deadline is then running)."""
        self.deadline = 0.0

    def wait_for_request(self) -> None:
        """Between requests: the idle timeout runs until the next one begins."""
        self.receiving = False
        self.deadline = self.loop.time() + self.limits.idle_timeout * self.scale

    async def read(self) -> bytes:
        remaining = self.deadline - self.loop.time()
        if remaining <= 0:
            raise _Timeout
        try:
            data = await asyncio.wait_for(self.reader.read(_READ_SIZE), remaining)
        except TimeoutError:
            raise _Timeout from None
        if data and not self.receiving:
            self.receiving = True
            self.deadline = self.loop.time() + self.limits.request_timeout * self.scale
        return data

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        try:
            await asyncio.wait_for(self.writer.drain(),
                                   self.limits.request_timeout * self.scale)
        except TimeoutError:
            raise _Timeout from None

    async def linger(self) -> None:
        """Half-close, then discard what the client still sends (bounded in bytes and
        time) so the close does not reset the connection under the answer."""
        with contextlib.suppress(OSError, RuntimeError):
            if self.writer.can_write_eof():
                self.writer.write_eof()
        deadline = self.loop.time() + self.limits.linger * self.scale
        discarded = 0
        while discarded < _LINGER_BYTES:
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return
            try:
                data = await asyncio.wait_for(self.reader.read(_READ_SIZE), remaining)
            except (TimeoutError, ConnectionError):
                return
            if not data:
                return
            discarded += len(data)


class SimServer:
    """An HTTP server for one started :class:`~cindersim.Cloud`, on its (paced) loop.

    ``await start()`` binds and returns; ``await close()`` stops accepting, closes
    every connection and waits for their tasks.
    """

    def __init__(self, cloud: Cloud, *, host: str = "127.0.0.1", port: int = 0,
                 auth: AuthMode = "both", limits: ServerLimits | None = None) -> None:
        self.cloud = cloud
        self.host = host
        self.port = port
        self.auth: AuthMode = auth
        self.limits = limits or ServerLimits()
        self.stats = ServerStats()
        self.app: HttpApp | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind the socket (port 0: a free one, then readable as :attr:`port`)."""
        self._server = await asyncio.start_server(self._connection, self.host, self.port,
                                                  limit=_READ_SIZE)
        sockets = self._server.sockets
        self.port = int(sockets[0].getsockname()[1])
        self.cloud.api.auth_strategy = self.auth
        self.app = HttpApp(self.cloud, self.base_url)
        if self.auth != "keystone" and not is_loopback(self.host):
            _log.warning("cindersim serve: auth %r on non-loopback %s: anyone who can reach "
                         "it is an admin (noauth tokens)", self.auth, self.base_url)

    async def close(self) -> None:
        """Stop accepting, close open connections, wait for their tasks to end."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # --- one connection ---------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._writers.add(writer)
        wire = _Wire(reader, writer, self.limits)
        try:
            if len(self._connections) > self.limits.max_connections:
                self.stats.refused_connections += 1
                await wire.write(_raw_response(
                    503, {"serviceUnavailable": {
                        "code": 503, "message": "Too many connections; try again later."}},
                    [("Retry-After", "1")]))
                return
            await self._serve_connection(wire)
        except (ConnectionError, asyncio.IncompleteReadError, _Timeout):
            pass  # the client went away, or would not read its answer: nothing to say
        except asyncio.CancelledError:
            # Only close() cancels a connection, and the task ends here: asyncio's
            # stream callback would log a cancelled handler task as an error.
            pass
        except Exception:  # a bug of this server (HTTP framing): logged and counted
            self.stats.internal_errors += 1
            _log.exception("cindersim serve: connection failed")
        finally:
            self._writers.discard(writer)
            self._connections.discard(task)
            writer.close()

    async def _serve_connection(self, wire: _Wire) -> None:
        assert self.app is not None
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEADER_BYTES)
        while True:
            wire.wait_for_request()
            try:
                event = await _next_event(conn, wire)
                if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                    return
                if not isinstance(event, h11.Request):
                    return
                if _head_size(event) > _MAX_HEADER_BYTES:
                    # h11 bounds only a head still arriving; one read can complete a
                    # longer one, so its size is counted here too.
                    await _send_protocol_error(conn, wire, h11.RemoteProtocolError(
                        "request head too large", error_status_hint=431))
                    return
                limit = (self.limits.max_upload_size if _is_upload(event)
                         else self.limits.max_body_size)
                if _content_length(event) > limit:
                    # oslo.middleware's RequestBodySizeLimiter: refused on the header
                    # alone, the body never read.
                    await self._too_large(conn, wire, _TOO_LARGE_DECLARED,
                                          head=event.method == b"HEAD")
                    return
                body = bytearray()
                while True:
                    part = await _next_event(conn, wire)
                    if isinstance(part, h11.Data):
                        body += part.data
                        if len(body) > limit:  # chunked: refused once past the limit
                            await self._too_large(conn, wire, f"Request is too large. "
                                                              f"Larger than {limit}.",
                                                  head=event.method == b"HEAD")
                            return
                    elif isinstance(part, h11.EndOfMessage):
                        break
                    else:  # the client closed mid-body
                        return
            except h11.RemoteProtocolError as exc:
                await _send_protocol_error(conn, wire, exc)
                return
            except _Timeout:
                if wire.receiving:  # a request begun and never finished: slowloris
                    self.stats.slow_closed += 1
                    with contextlib.suppress(ConnectionError, _Timeout):
                        await wire.write(_raw_response(408, {"error": {
                            "code": 408, "title": "Request Timeout",
                            "message": "The request was not received in time."}}))
                else:
                    self.stats.idle_closed += 1
                return
            self.stats.largest_body = max(self.stats.largest_body, len(body))
            response = await self._answer(event, bytes(body))
            await _send(conn, wire, response, head=event.method == b"HEAD")
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    async def _answer(self, event: h11.Request, body: bytes) -> HttpResponse:
        """The app's response; a simulator bug is a logged 500, never a dropped socket."""
        assert self.app is not None
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key = name.decode("latin-1")
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        try:
            return await self.app(event.method.decode("ascii"),
                                  event.target.decode("latin-1"), headers, body)
        except Exception:
            self.stats.internal_errors += 1
            _log.exception("cindersim serve: unhandled error answering %r %r",
                           event.method, event.target[:200])
            payload = json.dumps({"computeFault": {
                "code": 500, "message": "The server has either erred or is incapable of "
                                        "performing the requested operation."}}).encode()
            return HttpResponse(500, [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(payload))),
                                      ("Connection", "close")], payload)

    async def _too_large(self, conn: h11.Connection, wire: _Wire, message: str, *,
                         head: bool) -> None:
        """413 as oslo.middleware raises it: webob's JSON error body, then close."""
        self.stats.too_large += 1
        title = "Request Entity Too Large"
        payload = json.dumps({"message": f"{message}<br /><br />\n\n\n",
                              "code": f"413 {title}", "title": title}).encode()
        response = HttpResponse(413, [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(payload))),
                                      ("Connection", "close")], payload)
        await _send(conn, wire, response, head=head)
        await wire.linger()


# oslo.middleware formats this message for its log only: the answer carries the "%s".
_TOO_LARGE_DECLARED = "Request is too large. Larger than max_request_body_size (%s)."


def _head_size(event: h11.Request) -> int:
    """The request line and header lines as sent (CRLFs included)."""
    size = len(event.method) + len(event.target) + 12  # "M T HTTP/1.1\r\n"
    return size + sum(len(name) + len(value) + 4 for name, value in event.headers)


def _content_length(event: h11.Request) -> int:
    """The declared body length (h11 has checked the header's syntax); 0 if chunked."""
    for name, value in event.headers:
        if name == b"content-length":
            return int(value)
    return 0


async def _next_event(conn: h11.Connection, wire: _Wire) -> Any:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await wire.read())


async def _send(conn: h11.Connection, wire: _Wire, response: HttpResponse, *,
                head: bool = False) -> None:
    """Write *response*; to a HEAD request, its headers only (h11 refuses a body)."""
    headers = [*response.headers, ("Server", "cindersim")]
    out = conn.send(h11.Response(status_code=response.status, headers=headers,
                                 reason=response.reason.encode("ascii")))
    chunks = [out or b""]
    body = response.body
    if isinstance(body, bytes):
        if body and not head:
            chunks.append(conn.send(h11.Data(data=body)) or b"")
    elif not head:  # streamed: a piece at a time
        await wire.write(chunks.pop())
        for piece in body:
            await wire.write(conn.send(h11.Data(data=piece)) or b"")
    chunks.append(conn.send(h11.EndOfMessage()) or b"")
    await wire.write(b"".join(chunks))


def _raw_response(status: int, body: Any, headers: list[tuple[str, str]] | None = None,
                  ) -> bytes:
    """A complete ``Connection: close`` response written outside h11's state machine
    (no request was parsed to answer: a refused connection, a request never finished)."""
    payload = json.dumps(body).encode()
    reason = HttpResponse(status, [], b"").reason
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json",
             f"Content-Length: {len(payload)}", "Connection: close", "Server: cindersim",
             *(f"{k}: {v}" for k, v in headers or [])]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload


async def _send_protocol_error(conn: h11.Connection, wire: _Wire,
                               exc: h11.RemoteProtocolError) -> None:
    """A request h11 cannot parse: answer its status hint (400, 431...) and close."""
    if conn.our_state not in {h11.IDLE, h11.SEND_RESPONSE}:
        return
    # h11's hint: 400, 431 (head too large) or 501 (a transfer coding other than
    # chunked, which RFC 9112 6.1 answers 501 as Apache in front of Cinder does).
    status = exc.error_status_hint
    name = "notImplemented" if status == 501 else "badRequest"
    body = f'{{"{name}": {{"code": {status}, "message": "Malformed HTTP request"}}}}'
    response = HttpResponse(status, [("Content-Type", "application/json"),
                                     ("Content-Length", str(len(body))),
                                     ("Connection", "close")], body.encode())
    with contextlib.suppress(h11.LocalProtocolError, ConnectionError, _Timeout):
        await _send(conn, wire, response)


# --- running a served simulation ------------------------------------------------------
class _Run:
    """One served simulation: its Simulation, Cloud, server and trace file."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self._trace_file: IO[str] | None = None
        if options.trace is not None:
            self._trace_file = Path(options.trace).open("w", encoding="utf-8")  # noqa: SIM115
        self.sim = Simulation(options.seed, speed=options.speed,
                              trace_mode="full" if self._trace_file else "off",
                              trace_stream=self._trace_file)
        try:
            self.cloud = Cloud(self.sim, options.config)
        except BaseException:
            self.close()
            raise
        self.server = SimServer(self.cloud, host=options.host, port=options.port,
                                auth=options.auth, limits=options.limits)
        self.stop_event: asyncio.Event | None = None

    async def main(self, ready: Callable[[SimServer], None] | None,
                   install_signals: bool) -> None:
        self.stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop_event.set)
        try:
            await self.cloud.start()
            await self.server.start()
            if ready is not None:
                ready(self.server)
            await self.stop_event.wait()
        finally:
            await self.server.close()
            if install_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

    @property
    def events_written(self) -> int:
        return len(self.sim.trace) if self._trace_file is not None else 0

    def close(self) -> None:
        """Close the simulation (flushing the trace), then the trace file."""
        self.sim.close()
        if self._trace_file is not None:
            self._trace_file.close()
            self._trace_file = None


def serve(options: ServeOptions, *, ready: Callable[[SimServer], None] | None = None) -> int:
    """Run a served simulation until Ctrl-C or SIGTERM (blocking); returns the
    number of trace events written (0 without ``options.trace``).

    *ready* is called once the server listens (the CLI prints the endpoints).
    Signal handlers are installed only in the main thread.
    """
    run = _Run(options)
    try:
        run.sim.run(run.main(ready, threading.current_thread() is threading.main_thread()))
        written = run.events_written
    finally:
        run.close()
    return written


class ThreadedServer:
    """A served simulation in a background thread (for tests and notebooks).

    The simulation still runs single-threaded, on that thread's loop; use
    :meth:`call` to run a coroutine there (e.g. to read or change the cloud's
    state) instead of touching :attr:`cloud` from another thread.

    ``with ThreadedServer(ServeOptions(port=0)) as srv:`` starts it, waits until it
    listens, and stops it (writing the trace) on exit.
    """

    def __init__(self, options: ServeOptions | None = None) -> None:
        self.options = options or ServeOptions(port=0)
        self._run: _Run | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.events_written = 0

    @property
    def server(self) -> SimServer:
        assert self._run is not None, "not started"
        return self._run.server

    @property
    def cloud(self) -> Cloud:
        assert self._run is not None, "not started"
        return self._run.cloud

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> ThreadedServer:
        self._run = _Run(self.options)
        self._thread = threading.Thread(target=self._target, name="cindersim-serve",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError("cindersim serve failed to start") from self._error
        return self

    def _target(self) -> None:
        run = self._run
        assert run is not None
        try:
            run.sim.run(run.main(lambda _srv: self._ready.set(), False))
        except BaseException as exc:
            self._error = exc
        finally:
            self.events_written = run.events_written
            run.close()
            self._ready.set()

    def call(self, fn: Callable[[Cloud], Coroutine[Any, Any, T]], timeout: float = 30.0) -> T:
        """Run ``await fn(cloud)`` on the server's loop and return its result."""
        run = self._run
        assert run is not None
        future = asyncio.run_coroutine_threadsafe(fn(run.cloud), run.sim.loop)
        return future.result(timeout)

    def stop(self) -> None:
        """Stop serving, write the trace, join the thread."""
        run, thread = self._run, self._thread
        if run is None or thread is None:
            return
        if run.stop_event is not None and thread.is_alive():
            run.sim.loop.call_soon_threadsafe(run.stop_event.set)
        thread.join()
        self._thread = None
        if self._error is not None:
            raise RuntimeError("cindersim serve failed") from self._error

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_upload(event: h11.Request) -> bool:
    """A data-plane upload: an image file or a Swift object (see ``max_upload_size``)."""
    if event.method != b"PUT":
        return False
    path = event.target.partition(b"?")[0]
    return path.startswith(b"/object-store/") or (
        path.startswith(b"/image/") and path.endswith(b"/file"))
