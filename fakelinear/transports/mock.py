"""In-process transport: respx routes every httpx request for Linear to ``fake.handle``.

respx patches httpx's transports globally, so any client is intercepted, sync or async,
including clients built deep inside user code. Requests to other hosts pass through
untouched (a loopback server used in the same test keeps working).

F7 transport faults become the httpx exceptions a real socket would produce:
``connection_reset`` -> :class:`httpx.ReadError`, ``read_timeout`` -> :class:`httpx.ReadTimeout`,
``truncated_body`` -> :class:`httpx.RemoteProtocolError` (the body was cut short).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from respx.models import SideEffectError

from fakelinear.http import Request, Response

__all__ = ["mock_linear", "fake_linear", "to_request", "to_httpx_response", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "https://api.linear.app"


def to_request(request: httpx.Request, prefix: str = "") -> Request:
    """Translate an httpx request into the handler's :class:`Request`."""
    headers: dict[str, str] = {}
    for name, value in request.headers.multi_items():
        name = name.lower()
        # A repeated header is joined the way HTTP folds it; a doubled Authorization
        # then matches no key, which is the safe answer.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    path = request.url.path
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :] or "/"
    query = request.url.query
    return Request(
        method=request.method,
        path=path,
        headers=headers,
        body=request.content,
        query_string=query.decode("latin-1") if isinstance(query, bytes) else str(query),
    )


def to_httpx_response(response: Response, request: httpx.Request) -> httpx.Response:
    """Translate the handler's :class:`Response` into httpx (raising for F7 faults)."""
    fault = response.transport_fault
    if fault == "connection_reset":
        raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
    if fault == "read_timeout":
        raise httpx.ReadTimeout("timed out", request=request)
    if fault == "truncated_body":
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body: "
            f"received {len(response.body) // 2} bytes, expected {len(response.body)}",
            request=request,
        )
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return httpx.Response(response.status, headers=headers, content=response.body, request=request)


class _FakeRoute(respx.Route):
    """A respx route answered by a fixed callable.

    Same as ``route.mock(side_effect=answer)`` (same pattern matching, exceptions wrapped the
    way respx wraps side-effect errors, so they reach the caller unchanged), without
    respx's per-request ``inspect.getfullargspec`` of the side effect and result checks.
    """

    def __init__(self, answer: Any, **lookups: Any) -> None:
        super().__init__(**lookups)
        self._answer = answer

    def resolve(self, request: httpx.Request, **kwargs: Any) -> Any:
        try:
            return self._answer(request)
        except Exception as error:
            raise SideEffectError(self, origin=error) from error


class _Router(respx.MockRouter):
    """respx's mock router without call recording: ``mock_linear`` never exposes the router,
    so nobody reads ``calls``, and recording would keep every request and response of a
    long in-process run alive (memory and garbage-collector time grow with it)."""

    def record(self, request: httpx.Request, *, response: Any = None, route: Any = None) -> None:
        return None


@contextmanager
def mock_linear(
    fake: Any = None, base_url: str = DEFAULT_BASE_URL, **fake_kwargs: Any
) -> Iterator[Any]:
    """Route every httpx request for ``base_url`` to ``fake`` (a new ``FakeLinear`` built
    from ``fake_kwargs`` when None) and yield the fake.

    Everything under ``base_url`` is routed, so both ``/graphql`` and the ``/_fake/`` control
    API work through any httpx client. Other hosts pass through to the network.
    """
    if fake is None:
        from fakelinear.handler import FakeLinear

        fake = FakeLinear(**fake_kwargs)
    elif fake_kwargs:
        raise TypeError("pass either a fake or FakeLinear keyword arguments, not both")
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"base_url must be absolute, got {base_url!r}")
    prefix = parts.path.rstrip("/")

    def side_effect(request: httpx.Request) -> httpx.Response:
        return to_httpx_response(fake.handle(to_request(request, prefix)), request)

    with _Router(assert_all_called=False, assert_all_mocked=True) as router:
        host = parts.hostname or ""
        port = parts.port
        pattern: dict[str, Any] = {"scheme": parts.scheme, "host": host}
        if port is not None:
            pattern["port"] = port
        if prefix:
            pattern["path__startswith"] = prefix + "/"
        router.add(_FakeRoute(side_effect, **pattern))
        # Everything else goes to the real network (e.g. a loopback server in the same test).
        router.route().pass_through()
        yield fake


def fake_linear(request: Any = None) -> Iterator[Any]:
    """pytest fixture body: a fresh in-process ``FakeLinear`` behind :func:`mock_linear`.

    Registered as a fixture by the testkit plugin (``pytest.fixture(name="fake_linear")``;
    it takes pytest's ``request``). Options can come from
    ``@pytest.mark.fake_linear(seed=..., profile=..., workspaces=...)``.
    """
    kwargs: dict[str, Any] = {}
    node = getattr(request, "node", None)
    marker = node.get_closest_marker("fake_linear") if node is not None else None
    if marker is not None:
        kwargs.update(marker.kwargs)
    with mock_linear(**kwargs) as fake:
        yield fake
