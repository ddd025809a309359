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
"""

from __future__ import annotations

import asyncio
import contextlib
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

__all__ = ["AuthMode", "ServeOptions", "SimServer", "ThreadedServer", "serve"]

T = TypeVar("T")

AuthMode = Literal["keystone", "noauth", "both"]
"""Which ``X-Auth-Token`` values cinder-api accepts (``ApiService.auth_strategy``)."""

_READ_SIZE = 65536
_MAX_HEADER_BYTES = 64 * 1024


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


class SimServer:
    """An HTTP server for one started :class:`~cindersim.Cloud`, on its (paced) loop.

    ``await start()`` binds and returns; ``await close()`` stops accepting, closes
    every connection and waits for their tasks.
    """

    def __init__(self, cloud: Cloud, *, host: str = "127.0.0.1", port: int = 0,
                 auth: AuthMode = "both") -> None:
        self.cloud = cloud
        self.host = host
        self.port = port
        self.auth: AuthMode = auth
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
        try:
            await self._serve_connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing to answer
        except asyncio.CancelledError:
            # Only close() cancels a connection, and the task ends here: asyncio's
            # stream callback would log a cancelled handler task as an error.
            pass
        finally:
            self._writers.discard(writer)
            self._connections.discard(task)
            writer.close()

    async def _serve_connection(self, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        assert self.app is not None
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEADER_BYTES)
        while True:
            try:
                event = await _next_event(conn, reader)
                if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                    return
                if not isinstance(event, h11.Request):
                    return
                body = bytearray()
                while True:
                    part = await _next_event(conn, reader)
                    if isinstance(part, h11.Data):
                        body += part.data
                    elif isinstance(part, h11.EndOfMessage):
                        break
                    else:  # the client closed mid-body
                        return
            except h11.RemoteProtocolError as exc:
                await _send_protocol_error(conn, writer, exc)
                return
            headers: dict[str, str] = {}
            for name, value in event.headers:
                key = name.decode("latin-1")
                text = value.decode("latin-1")
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            response = await self.app(event.method.decode("ascii"),
                                      event.target.decode("latin-1"), headers, bytes(body))
            await _send(conn, writer, response)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await reader.read(_READ_SIZE))


async def _send(conn: h11.Connection, writer: asyncio.StreamWriter,
                response: HttpResponse) -> None:
    headers = [*response.headers, ("Server", "cindersim")]
    out = conn.send(h11.Response(status_code=response.status, headers=headers,
                                 reason=response.reason.encode("ascii")))
    chunks = [out or b""]
    if response.body:
        chunks.append(conn.send(h11.Data(data=response.body)) or b"")
    chunks.append(conn.send(h11.EndOfMessage()) or b"")
    writer.write(b"".join(chunks))
    await writer.drain()


async def _send_protocol_error(conn: h11.Connection, writer: asyncio.StreamWriter,
                               exc: h11.RemoteProtocolError) -> None:
    """A request h11 cannot parse: answer its status hint (400, 431...) and close."""
    if conn.our_state not in {h11.IDLE, h11.SEND_RESPONSE}:
        return
    status = exc.error_status_hint
    body = f'{{"badRequest": {{"code": {status}, "message": "Malformed HTTP request"}}}}'
    response = HttpResponse(status, [("Content-Type", "application/json"),
                                     ("Content-Length", str(len(body))),
                                     ("Connection", "close")], body.encode())
    with contextlib.suppress(h11.LocalProtocolError, ConnectionError):
        await _send(conn, writer, response)


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
                                auth=options.auth)
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
