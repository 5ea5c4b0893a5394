"""Run the same test in-process (respx) and on loopback (real HTTP): the ``linear_http`` fixture.

Usage::

    def test_something(linear_http):
        data = linear_http.data("mutation($i: TeamCreateInput!) { teamCreate(input: $i) { success } }",
                                {"i": {"name": "Eng"}})
        assert linear_http.fake.journal.entries(operation="teamCreate")

The fake is configurable per test with ``@pytest.mark.fake_linear(seed=1, profile="storm",
workspaces=2, ...)`` (any ``FakeLinear`` keyword), or build one yourself with
``linear_http_factory(mode, **fake_kwargs)``. Nothing here sleeps: the loopback server's
socket is bound before the server thread starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from fakelinear.handler import FakeLinear
from fakelinear.transports.mock import mock_linear
from fakelinear.transports.server import ServerThread

MODES = ["inprocess", "loopback"]
INPROCESS_BASE_URL = "https://api.linear.app"


@dataclass
class LinearHTTP:
    """An httpx client pointed at a fake Linear, plus the fake itself."""

    mode: str
    fake: FakeLinear
    client: httpx.Client
    base_url: str
    server: ServerThread | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def token(self) -> str:
        """The first workspace's API key."""
        return self.fake.tokens[0]

    @property
    def graphql_url(self) -> str:
        return self.base_url + "/graphql"

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """POST one GraphQL operation (``Authorization: <key>``, the first key by default)."""
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        h = {"Authorization": token if token is not None else self.token}
        h.update(headers or {})
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.client.post("/graphql", json=payload, headers=h, **kwargs)

    def raw(self, body: bytes, headers: dict[str, str] | None = None, method: str = "POST", path: str = "/graphql") -> httpx.Response:
        """Send exact bytes (hostile-input tests)."""
        return self.client.request(method, path, content=body, headers=headers or {})

    def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """POST and return ``data``, failing the test on any error."""
        response = self.post(query, variables, **kw)
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), (response.status_code, body)
        return body["data"]

    def control(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """Call the control API (``path`` like ``/_fake/state``)."""
        return self.client.request(method, path, **kw)

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


@contextlib.contextmanager
def open_linear_http(mode: str, fake: FakeLinear | None = None, **fake_kwargs: Any) -> Iterator[LinearHTTP]:
    """A :class:`LinearHTTP` for ``mode`` ("inprocess" or "loopback"), closed on exit."""
    if fake is None:
        fake = FakeLinear(**fake_kwargs)
    with contextlib.ExitStack() as stack:
        if mode == "inprocess":
            stack.enter_context(mock_linear(fake, base_url=INPROCESS_BASE_URL))
            base_url = INPROCESS_BASE_URL
            server = None
        elif mode == "loopback":
            server = stack.enter_context(ServerThread(fake))
            base_url = server.base_url
        else:
            raise ValueError(f"unknown mode {mode!r}")
        client = stack.enter_context(httpx.Client(base_url=base_url, timeout=10.0))
        yield LinearHTTP(mode=mode, fake=fake, client=client, base_url=base_url, server=server)


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("fake_linear")
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture(params=MODES)
def linear_http(request: pytest.FixtureRequest) -> Iterator[LinearHTTP]:
    """The same test, once in-process and once on loopback (``request.param``)."""
    kwargs = {"workspaces": 2, **_marker_kwargs(request)}
    with open_linear_http(request.param, **kwargs) as lh:
        yield lh


@pytest.fixture
def linear_http_factory() -> Iterator[Callable[..., LinearHTTP]]:
    """Build extra :class:`LinearHTTP` handles: ``linear_http_factory("loopback", seed=3)``."""
    with contextlib.ExitStack() as stack:

        def make(mode: str, fake: FakeLinear | None = None, **fake_kwargs: Any) -> LinearHTTP:
            return stack.enter_context(open_linear_http(mode, fake, **fake_kwargs))

        yield make
