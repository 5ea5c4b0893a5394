"""Slow clients cannot hold the loopback server (issue 12, break 6).

Many connections that send half a request line, half the headers, or a body that never
finishes are answered 408 (or closed) after the server's header/body timeouts, while other
clients keep being served. Timeouts are set to a fraction of a second here; the waits are
bounded ``select`` calls on the sockets (the server closing them is what ends the wait).
"""

from __future__ import annotations

import json
import select
import socket
import time

import httpx

from fakelinear.clock import RealClock
from fakelinear.handler import FakeLinear
from fakelinear.transports.server import ServerThread

VIEWER = b'{"query":"{ viewer { id } }"}'
TIMEOUT = 0.5


def _wait_closed(conn: socket.socket, limit: float) -> bytes:
    """Everything the server sends until it closes the connection (bounded by ``limit``)."""
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([conn], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = conn.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"still open after {limit} s; got {data[:200]!r}")


def test_slow_headers_and_bodies_are_cut_off_and_others_still_served() -> None:
    fake = FakeLinear(seed=5, clock=RealClock(), workspaces=1)
    token = fake.tokens[0]
    with ServerThread(fake, header_timeout=TIMEOUT, body_timeout=TIMEOUT) as server:
        port = server.port
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        half_line = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        half_headers = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        half_body = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        for conn in half_line:
            conn.sendall(b"POST /gra")
        for conn in half_headers:
            conn.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(VIEWER)}\r\n\r\n"
        ).encode()
        for conn in half_body:
            conn.sendall(head + VIEWER[:10])
        started = time.monotonic()
        # Meanwhile a well-behaved client is served at once.
        with httpx.Client(timeout=5) as http:
            r = http.post(server.graphql_url, content=VIEWER, headers={"authorization": token, "content-type": "application/json"})
            assert r.status_code == 200
        for conn in idle:
            assert _wait_closed(conn, 10) == b""  # nothing arrived: closed without a word
        for conn in half_line + half_headers:
            answer = _wait_closed(conn, 10)
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
            body = json.loads(answer.partition(b"\r\n\r\n")[2])
            assert body["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
        for conn in half_body:
            answer = _wait_closed(conn, 10)
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
            assert b"connection: close" in answer.lower()
        assert time.monotonic() - started < 8  # all 160 gone within a few timeouts
        for conn in idle + half_line + half_headers + half_body:
            conn.close()
        # Refused before the API: the body never completed, so nothing is journaled.
        assert all(e.status in (200,) for e in fake.journal.entries())


def _response(conn: socket.socket) -> bytes:
    """One whole HTTP response (headers + Content-Length body), bounded waits."""
    data = b""
    while b"\r\n\r\n" not in data:
        assert select.select([conn], [], [], 5)[0], data
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        assert select.select([conn], [], [], 5)[0], data
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_keep_alive_client_is_not_cut_between_requests() -> None:
    """The header deadline is for a request in progress, not for an idle keep-alive
    connection between requests (uvicorn's keep-alive timeout, 5 s, governs that)."""
    fake = FakeLinear(seed=5, clock=RealClock(), workspaces=1)
    with ServerThread(fake, header_timeout=TIMEOUT, body_timeout=TIMEOUT) as server, socket.create_connection(
        ("127.0.0.1", server.port), timeout=5
    ) as conn:
        conn.sendall(b"GET /_fake/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _response(conn).startswith(b"HTTP/1.1 200")
        # Idle for three header timeouts: nothing arrives, the connection stays open.
        assert select.select([conn], [], [], TIMEOUT * 3)[0] == []
        conn.sendall(b"GET /_fake/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _response(conn).startswith(b"HTTP/1.1 200")
        # A next request that stalls half-way is cut like any other.
        conn.sendall(b"GET /_fake/he")
        assert _wait_closed(conn, 10).startswith(b"HTTP/1.1 408 ")
