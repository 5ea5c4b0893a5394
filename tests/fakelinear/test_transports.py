"""Transports translate bytes only: tested with a stub handler, so no model is involved.

Covers: request/response translation both ways, interception of every httpx client (sync,
async, built deep inside other code), pass-through of other hosts, and F7 transport faults
(httpx exceptions in-process, real socket behaviour on loopback).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from fakelinear.http import Request, Response
from fakelinear.transports.mock import mock_linear, to_request
from fakelinear.transports.server import ServerThread, create_app


class EchoFake:
    """Answers every request with what it received; or with a configured transport fault."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.fault: str | None = None
        self.max_body_bytes = 1024 * 1024

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        body = json.dumps(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "auth": request.header("authorization"),
                "ct": request.header("content-type"),
                "len": len(request.body),
                "padding": "x" * 2000,
            }
        ).encode()
        return Response(
            status=201,
            headers={"content-type": "application/json", "x-custom": "yes"},
            body=body,
            transport_fault=self.fault,  # type: ignore[arg-type]
        )


def _user_code_deep_inside(url: str) -> int:
    # Stands in for a library that builds its own client; nothing here knows about mocks.
    with httpx.Client(timeout=5) as client:
        return client.post(url, json={"query": "{ viewer { id } }"}, headers={"Authorization": "k"}).status_code


def test_inprocess_intercepts_sync_async_and_deep_clients() -> None:
    fake = EchoFake()
    with mock_linear(fake) as yielded:
        assert yielded is fake
        r = httpx.post(
            "https://api.linear.app/graphql?x=1",
            content=b'{"query":"{viewer{id}}"}',
            headers={"Authorization": "lin_api_abc", "Content-Type": "application/json"},
        )
        assert r.status_code == 201
        assert r.headers["x-custom"] == "yes"
        got = r.json()
        assert got["path"] == "/graphql" and got["query"] == "x=1" and got["auth"] == "lin_api_abc"
        assert got["ct"] == "application/json" and got["len"] == len(b'{"query":"{viewer{id}}"}')
        assert _user_code_deep_inside("https://api.linear.app/graphql") == 201

        async def go() -> int:
            async with httpx.AsyncClient() as client:
                resp = await client.post("https://api.linear.app/graphql", json={"query": "{x}"})
                return resp.status_code

        assert asyncio.run(go()) == 201
    assert len(fake.requests) == 3
    # Outside the context nothing is intercepted any more (no request reaches the fake).
    assert len(fake.requests) == 3


def test_inprocess_custom_base_url_with_prefix() -> None:
    fake = EchoFake()
    with mock_linear(fake, base_url="http://linear.test:8080/api"):
        r = httpx.post("http://linear.test:8080/api/graphql", json={})
        assert r.json()["path"] == "/graphql"


def test_inprocess_builds_its_own_fake_from_kwargs() -> None:
    pytest.importorskip("fakelinear.api")
    with mock_linear(seed=3, workspaces=2) as fake:
        assert len(fake.tokens) == 2


def test_inprocess_rejects_relative_base_url() -> None:
    with pytest.raises(ValueError), mock_linear(EchoFake(), base_url="/graphql"):
        pass


def test_other_hosts_pass_through_while_mocked() -> None:
    # A loopback server used inside a mock_linear block is reached for real.
    inner = EchoFake()
    with ServerThread(inner) as server, mock_linear(EchoFake()):
        r = httpx.post(server.base_url + "/graphql", json={})
        assert r.status_code == 201
    assert len(inner.requests) == 1


def test_to_request_joins_repeated_headers() -> None:
    req = httpx.Request(
        "POST", "https://api.linear.app/graphql", headers=[("Authorization", "a"), ("Authorization", "b")]
    )
    assert to_request(req).headers["authorization"] == "a, b"


@pytest.mark.parametrize(
    ("fault", "exc"),
    [
        ("connection_reset", httpx.ReadError),
        ("read_timeout", httpx.ReadTimeout),
        ("truncated_body", httpx.RemoteProtocolError),
    ],
)
def test_inprocess_transport_faults_raise_httpx_errors(fault: str, exc: type[Exception]) -> None:
    fake = EchoFake()
    fake.fault = fault
    with mock_linear(fake), pytest.raises(exc):
        httpx.post("https://api.linear.app/graphql", json={})


@pytest.mark.parametrize(
    ("fault", "exc"),
    [
        ("connection_reset", (httpx.ReadError, httpx.RemoteProtocolError)),
        ("read_timeout", (httpx.ReadTimeout,)),
        ("truncated_body", (httpx.RemoteProtocolError,)),
    ],
)
def test_loopback_transport_faults_are_real_socket_behaviour(
    fault: str, exc: tuple[type[Exception], ...]
) -> None:
    fake = EchoFake()
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url) as client:
        fake.fault = fault
        with pytest.raises(exc):
            client.post("/graphql", json={}, timeout=0.3)
        # The server keeps serving after every fault.
        fake.fault = None
        assert client.post("/graphql", json={}).status_code == 201


def test_loopback_connection_reset_is_a_reset() -> None:
    fake = EchoFake()
    fake.fault = "connection_reset"
    with ServerThread(fake) as server, pytest.raises(httpx.ReadError) as info:
        httpx.post(server.base_url + "/graphql", json={}, timeout=5)
    assert "reset" in str(info.value).lower() or "104" in str(info.value)


def test_loopback_read_timeout_hold_is_bounded() -> None:
    fake = EchoFake()
    fake.fault = "read_timeout"
    # A client more patient than the hold sees the connection dropped, not a hang.
    with ServerThread(fake, read_timeout_hold=0.2) as server, pytest.raises(
        (httpx.RemoteProtocolError, httpx.ReadError)
    ):
        httpx.post(server.base_url + "/graphql", json={}, timeout=10)


def test_loopback_stop_releases_held_responses() -> None:
    fake = EchoFake()
    fake.fault = "read_timeout"
    server = ServerThread(fake).start()

    async def go() -> Any:
        async with httpx.AsyncClient(timeout=30) as client:
            task = asyncio.ensure_future(client.post(server.base_url + "/graphql", json={}))
            for _ in range(2000):  # bounded: wait until the server has the request
                if fake.requests:
                    break
                await asyncio.sleep(0.005)
            await asyncio.to_thread(server.stop)
            with pytest.raises(httpx.HTTPError):
                await task

    asyncio.run(go())


def test_loopback_translation_and_base_url() -> None:
    fake = EchoFake()
    with ServerThread(fake) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.port > 0
        assert server.graphql_url == server.base_url + "/graphql"
        r = httpx.post(
            server.base_url + "/graphql?a=b",
            content=b"{}",
            headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
        )
        got = r.json()
        assert r.status_code == 201 and r.headers["x-custom"] == "yes"
        assert got == {**got, "path": "/graphql", "query": "a=b", "auth": "Bearer t", "len": 2}


def test_loopback_oversized_body_is_cut_at_the_limit() -> None:
    fake = EchoFake()
    fake.max_body_bytes = 1000
    with ServerThread(fake) as server:
        r = httpx.post(server.base_url + "/graphql", content=b"x" * 5_000_000)
        assert r.status_code == 201
        # The transport stops reading just past the limit (the handler then answers 413).
        assert 1000 < r.json()["len"] < 5_000_000


def test_create_app_is_plain_asgi() -> None:
    fake = EchoFake()
    app = create_app(fake)
    assert callable(app)
    assert app.fake is fake  # type: ignore[attr-defined]


def test_server_binds_fixed_port_error() -> None:
    with ServerThread(EchoFake()) as server, pytest.raises(OSError):
        ServerThread(EchoFake(), port=server.port)


def test_fake_linear_fixture_function(request: pytest.FixtureRequest) -> None:
    from fakelinear.transports.mock import fake_linear

    gen = fake_linear(request)
    fake = next(gen)
    try:
        r = httpx.post(
            "https://api.linear.app/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Authorization": fake.tokens[0]},
        )
        assert r.status_code == 200 and r.json()["data"]["viewer"]["id"]
    finally:
        gen.close()


def test_composes_with_respx_routers_started_inside() -> None:
    import respx

    fake = EchoFake()
    with mock_linear(fake):
        with respx.mock(assert_all_called=False) as user:
            user.get("https://example.test/a").respond(200, text="mocked by the test")
            explicit = user.post("https://api.linear.app/graphql", params={"mine": "1"}).respond(299)
            assert httpx.get("https://example.test/a").text == "mocked by the test"
            # A Linear request the test's router does not match reaches the fake...
            assert httpx.post("https://api.linear.app/graphql", json={}).status_code == 201
            # ...and one it matches is the test's to answer (the innermost mock wins).
            assert httpx.post("https://api.linear.app/graphql?mine=1", json={}).status_code == 299
            assert explicit.call_count == 1
            # The test's router still asserts on hosts it does not mock.
            with pytest.raises(respx.models.AllMockedAssertionError):
                httpx.get("https://unmocked.test/")
        with respx.mock() as user:
            user.route().pass_through()  # a catch-all pass-through never sends Linear out
            assert httpx.post("https://api.linear.app/graphql", json={}).status_code == 201

            async def go() -> int:
                async with httpx.AsyncClient() as client:
                    return (await client.post("https://api.linear.app/graphql", json={})).status_code

            assert asyncio.run(go()) == 201
    assert len(fake.requests) == 3


def test_a_pass_through_reaches_the_nearest_fake_not_an_outer_one() -> None:
    """An outer ``mock_linear`` (the plugin's session-wide one, say) must not answer what an
    inner ``mock_linear`` owns when a router started inside both passes the request on."""
    import respx

    outer, inner = EchoFake(), EchoFake()
    with mock_linear(outer), mock_linear(inner), respx.mock() as user:
        user.route().pass_through()
        assert httpx.post("https://api.linear.app/graphql", json={}).status_code == 201

        async def go() -> int:
            async with httpx.AsyncClient() as client:
                return (await client.post("https://api.linear.app/graphql", json={})).status_code

        assert asyncio.run(go()) == 201
    assert (len(inner.requests), len(outer.requests)) == (2, 0)


def test_requests_clients_are_intercepted_and_other_hosts_pass() -> None:
    requests = pytest.importorskip("requests")
    from fakelinear.transports.requests_mock import mock_linear_requests

    fake, inner = EchoFake(), EchoFake()
    with ServerThread(inner) as server, mock_linear_requests(fake):
        r = requests.post("https://api.linear.app/graphql?x=2", json={"query": "{ viewer { id } }"},
                          headers={"Authorization": "lin_api_abc"}, timeout=5)
        assert r.status_code == 201 and r.headers["x-custom"] == "yes"
        got = r.json()
        assert got["path"] == "/graphql" and got["query"] == "x=2" and got["auth"] == "lin_api_abc"
        assert requests.post(server.base_url + "/graphql", json={}, timeout=5).status_code == 201
        for fault, exc in (("connection_reset", requests.ConnectionError), ("read_timeout", requests.ReadTimeout),
                           ("truncated_body", requests.exceptions.ChunkedEncodingError)):
            fake.fault = fault
            with pytest.raises(exc):
                requests.post("https://api.linear.app/graphql", json={}, timeout=5)
    assert len(inner.requests) == 1 and len(fake.requests) == 4


def test_nested_mock_linear_wins_for_its_own_requests() -> None:
    outer, inner = EchoFake(), EchoFake()
    with mock_linear(outer):
        with mock_linear(inner):
            httpx.post("https://api.linear.app/graphql", json={})
        httpx.post("https://api.linear.app/graphql", json={})
    assert len(inner.requests) == 1 and len(outer.requests) == 1
