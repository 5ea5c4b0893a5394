"""Loopback transport: the handler core behind starlette + uvicorn.

:func:`create_app` translates ASGI into :class:`fakelinear.http.Request` and back;
:class:`ServerThread` runs it with uvicorn in a background thread (port 0 by default; the
socket is bound before the thread starts, so ``.base_url`` is known at once).

F7 transport faults use real socket behaviour on loopback:

* ``connection_reset``: the TCP connection is aborted with ``SO_LINGER`` 0, which sends a
  RST (clients see "connection reset by peer").
* ``read_timeout``: the response is held until the client gives up and disconnects, or
  until ``read_timeout_hold`` seconds (bounded), then the connection is aborted.
* ``truncated_body``: ``Content-Length`` announces the whole body, half of it is sent,
  then the connection is closed.

Slow clients cannot hold the server: a connection whose request headers are not complete
within ``header_timeout`` seconds is answered 408 (or simply closed when nothing arrived)
and closed; a body not complete within ``body_timeout`` seconds gets a Linear-shaped 408 and
the connection is closed. Idle keep-alive connections close after uvicorn's 5 seconds.

Small requests are answered on the event loop (the fake is CPU-bound and quick; a thread hop
costs about a fifth of a request's CPU). Requests with a large body (at least
``offload_bytes``, 16 KiB) go to a small thread pool, so parsing and validating a big
document does not hold up other clients or the event loop (the fake's own lock serializes
what must be serialized, and execution is bounded by its budget; see
:mod:`fakelinear.handler`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from fakelinear.api import errors as api_errors
from fakelinear.files import write_atomically
from fakelinear.handler import MAX_BODY_BYTES
from fakelinear.http import Request, Response

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_READ_TIMEOUT_HOLD",
    "FakeServer",
    "ServerThread",
    "create_app",
    "guarded_protocol",
    "uvicorn_config",
    "write_ready_file",
]

#: How long a ``read_timeout`` fault holds a response when the client does not give up
#: first. Longer than the Linear client's default 30 s timeout, still bounded.
DEFAULT_READ_TIMEOUT_HOLD = 35.0
#: Seconds a client has to send a request's line and headers.
DEFAULT_HEADER_TIMEOUT = 10.0
#: Seconds a client has to send a request's whole body (at most 1 MiB).
DEFAULT_BODY_TIMEOUT = 30.0
#: Threads answering large requests (the fake's lock serializes state; threads only let
#: parsing big documents overlap with other clients).
DEFAULT_WORKERS = 4
#: Bodies at least this large are answered on the thread pool (small ones inline).
DEFAULT_OFFLOAD_BYTES = 16 * 1024
_RAW_SEND = "fakelinear.raw_send"
_TIMEOUT_BODY = api_errors.dumps(
    {
        "errors": [
            api_errors.linear_error(
                "Request timeout: the request was not received in time.",
                "graphql error",
                "REQUEST_TIMEOUT",
                408,
                "The request took too long to arrive.",
            )
        ]
    }
)


def _raw_transport(scope: dict[str, Any]) -> asyncio.Transport | None:
    # uvicorn's ASGI ``send`` is a bound method of the per-request cycle, which holds the
    # asyncio transport: the only way to misbehave at the socket level from inside ASGI.
    send = scope.get(_RAW_SEND)
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


def _abort(transport: asyncio.Transport | None, reset: bool) -> None:
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                # Linger 0: close() sends RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class _FaultyResponse(StarletteResponse):
    """A starlette response that performs a transport fault instead of a normal send."""

    def __init__(self, response: Response, stopping: threading.Event, hold: float) -> None:
        super().__init__(status_code=response.status)
        self._fake_response = response
        self._stopping = stopping
        self._hold = hold

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        fault = self._fake_response.transport_fault
        transport = _raw_transport(scope)
        raw_send = scope.get(_RAW_SEND, send)
        if fault == "truncated_body" and transport is not None:
            body = self._fake_response.body or b"{}"
            headers = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in self._fake_response.headers.items()
                if k.lower() != "content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await raw_send(
                {"type": "http.response.start", "status": self._fake_response.status, "headers": headers}
            )
            await raw_send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            _abort(transport, reset=False)
        elif fault == "read_timeout":
            await self._hold_until_client_leaves(receive)
            _abort(transport, reset=False)
        else:  # connection_reset (and the fallback for the others without a transport)
            _abort(transport, reset=True)
        # Let uvicorn notice the lost connection before the app returns, so it does not
        # try to answer on a dead socket.
        for _ in range(3):
            await asyncio.sleep(0)

    async def _hold_until_client_leaves(self, receive: Any) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._hold
        waiter = asyncio.ensure_future(receive())
        try:
            while not self._stopping.is_set() and loop.time() < deadline:
                done, _ = await asyncio.wait({waiter}, timeout=0.05)
                if done:
                    message = waiter.result()
                    if message.get("type") == "http.disconnect":
                        return
                    waiter = asyncio.ensure_future(receive())
        finally:
            if not waiter.done():
                waiter.cancel()


async def _read_body(request: StarletteRequest, limit: int) -> bytes:
    # Stop reading past the limit: the handler only needs to know the body is too big.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def _timeout_response() -> StarletteResponse:
    # ``connection: close`` makes uvicorn close the connection after answering, so the
    # rest of a body that never came cannot be mistaken for the next request.
    return StarletteResponse(
        content=_TIMEOUT_BODY,
        status_code=408,
        headers={"content-type": "application/json; charset=utf-8", "connection": "close"},
    )


def create_app(
    fake: Any,
    *,
    read_timeout_hold: float = DEFAULT_READ_TIMEOUT_HOLD,
    stopping: threading.Event | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    executor: ThreadPoolExecutor | None = None,
    offload_bytes: int = DEFAULT_OFFLOAD_BYTES,
) -> Any:
    """An ASGI app serving ``fake`` (GraphQL at ``/graphql``, control API under ``/_fake/``).

    ``stopping`` releases held ``read_timeout`` responses at shutdown; ``body_timeout``
    bounds how long a request body may take to arrive; ``executor`` is the thread pool that
    runs ``fake.handle`` for bodies of at least ``offload_bytes`` (None: everything on the
    event loop).
    """
    stop_event = stopping if stopping is not None else threading.Event()
    limit = getattr(fake, "max_body_bytes", MAX_BODY_BYTES)

    async def endpoint(request: StarletteRequest) -> StarletteResponse:
        try:
            async with asyncio.timeout(body_timeout):
                body = await _read_body(request, limit)
        except TimeoutError:
            return _timeout_response()
        headers: dict[str, str] = {}
        for raw_name, raw_value in request.scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        req = Request(
            method=request.method,
            path=request.url.path,
            headers=headers,
            body=body,
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
        )
        if executor is None or len(body) < offload_bytes:
            resp = fake.handle(req)
        else:
            resp = await asyncio.get_running_loop().run_in_executor(executor, fake.handle, req)
        if resp.transport_fault is not None:
            return _FaultyResponse(resp, stop_event, read_timeout_hold)
        out_headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-length"}
        return StarletteResponse(content=resp.body, status_code=resp.status, headers=out_headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = dict(scope)
            scope[_RAW_SEND] = send
        await app(scope, receive, send)

    asgi.fake = fake  # type: ignore[attr-defined]
    return asgi


class _GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for a request's line and headers.

    uvicorn bounds idle keep-alive connections but not a request whose headers trickle in
    (or never come); this arms a timer whenever the connection waits for request headers and
    disarms it once h11 has them. On expiry: a 408 when part of a request arrived, then the
    connection is closed."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        waiting = self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE
        if not waiting or self.transport.is_closing():
            self._disarm()
        elif self._header_timer is None and (
            self.timeout_keep_alive_task is None or self.conn.trailing_data[0]
        ):
            # Idle between requests is uvicorn's keep-alive timer's job; a partial request
            # (or a new connection) is ours.
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:
            head = (
                "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\n"
                f"content-length: {len(_TIMEOUT_BODY)}\r\nconnection: close\r\n\r\n"
            ).encode()
            with contextlib.suppress(Exception):
                self.transport.write(head + _TIMEOUT_BODY)
        self.transport.close()


def guarded_protocol(header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> type[H11Protocol]:
    """The h11 protocol class for uvicorn with a ``header_timeout`` deadline."""
    return type("GuardedH11Protocol", (_GuardedH11Protocol,), {"header_timeout": header_timeout})


def uvicorn_config(
    app: Any, *, log_level: str = "warning", header_timeout: float = DEFAULT_HEADER_TIMEOUT
) -> uvicorn.Config:
    """The uvicorn configuration fakelinear serves with (loopback and ``fakelinear serve``)."""
    return uvicorn.Config(
        app,
        http=guarded_protocol(header_timeout),
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=True,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def write_ready_file(path: str | os.PathLike[str], content: str) -> None:
    """Write ``content`` to ``path`` atomically (temp file in the same folder + rename), so a
    watcher never reads half of it."""
    write_atomically(path, content)


class FakeServer(uvicorn.Server):
    """uvicorn's server with a hook once it is accepting and a plain exit on SIGTERM/SIGINT.

    uvicorn re-raises the signal it stopped on after a graceful shutdown (exit status 143
    for SIGTERM); a CI step stopping the fake with SIGTERM expects success, so here a signal
    means "shut down gracefully" and nothing more."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``OSError`` when it cannot bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP; without it Nagle + delayed ACK add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """Serve ``fake`` on loopback with uvicorn in a background thread.

    Use as a context manager (or ``start()``/``stop()``); ``base_url`` is
    ``http://HOST:PORT`` (GraphQL at ``base_url + "/graphql"``).
    """

    def __init__(
        self,
        fake: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        read_timeout_hold: float = DEFAULT_READ_TIMEOUT_HOLD,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
        app: Any = None,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.fake = fake
        self.host = host
        self._stopping = threading.Event()
        self._executor = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fakelinear-handler")
            if workers > 0
            else None
        )
        # ``app`` serves another ASGI app the same way (benchmarks' bare baseline).
        self.app = app if app is not None else create_app(
            fake,
            read_timeout_hold=read_timeout_hold,
            stopping=self._stopping,
            body_timeout=body_timeout,
            executor=self._executor,
        )
        self._startup_timeout = startup_timeout
        # Bind now, in the caller's thread: the port is known at once and connections made
        # before uvicorn is fully up wait in the listen backlog instead of failing.
        self._sock = bind_socket(host, port)
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn_config(self.app, log_level=log_level, header_timeout=header_timeout)
        self._server = FakeServer(config)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        """Where Linear clients should POST."""
        return self.base_url + "/graphql"

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc

    def start(self) -> ServerThread:
        """Start serving; returns once uvicorn is accepting (bounded wait)."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name=f"fakelinear-{self.port}", daemon=True)
        self._thread.start()
        ready = threading.Event()
        # Bounded readiness poll: Event.wait returns early on nothing but gives the thread
        # time; we stop as soon as uvicorn reports started (or died).
        for _ in range(int(self._startup_timeout / 0.005)):
            if self._server.started or self._error is not None or not self._thread.is_alive():
                break
            ready.wait(0.005)
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"fakelinear server failed to start: {self._error!r}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port (held responses are released first)."""
        self._stopping.set()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with contextlib.suppress(OSError):
            self._sock.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
