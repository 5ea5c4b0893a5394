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
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from fakelinear.handler import MAX_BODY_BYTES
from fakelinear.http import Request, Response

__all__ = ["create_app", "ServerThread", "DEFAULT_READ_TIMEOUT_HOLD"]

#: How long a ``read_timeout`` fault holds a response when the client does not give up
#: first. Longer than the Linear client's default 30 s timeout, still bounded.
DEFAULT_READ_TIMEOUT_HOLD = 35.0
_RAW_SEND = "fakelinear.raw_send"


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


def create_app(
    fake: Any,
    *,
    read_timeout_hold: float = DEFAULT_READ_TIMEOUT_HOLD,
    stopping: threading.Event | None = None,
) -> Any:
    """An ASGI app serving ``fake`` (GraphQL at ``/graphql``, control API under ``/_fake/``).

    ``stopping`` releases held ``read_timeout`` responses at shutdown.
    """
    stop_event = stopping if stopping is not None else threading.Event()
    limit = getattr(fake, "max_body_bytes", MAX_BODY_BYTES)

    async def endpoint(request: StarletteRequest) -> StarletteResponse:
        body = await _read_body(request, limit)
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
        # The handler is synchronous and takes the fake's one lock; it is CPU-bound and
        # quick, so calling it on the event loop is cheaper than a thread hop.
        resp = fake.handle(req)
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
    ) -> None:
        self.fake = fake
        self.host = host
        self._stopping = threading.Event()
        # ``app`` serves another ASGI app the same way (benchmarks' bare baseline).
        self.app = app if app is not None else create_app(
            fake, read_timeout_hold=read_timeout_hold, stopping=self._stopping
        )
        self._startup_timeout = startup_timeout
        # Bind now, in the caller's thread: the port is known at once and connections made
        # before uvicorn is fully up wait in the listen backlog instead of failing.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP; without it Nagle + delayed ACK add ~40 ms to every response.
        self._sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self._sock.listen(128)
        self._sock.set_inheritable(True)
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level=log_level,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            date_header=True,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
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

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
