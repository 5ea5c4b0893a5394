"""In-process transport: respx routes every httpx request for Linear to ``fake.handle``.

respx patches httpx's transports globally, so any client is intercepted, sync or async,
including clients built deep inside user code. Requests to other hosts pass through
untouched (a loopback server used in the same test keeps working), and respx routers a test
starts itself keep working next to it (see :class:`LinearRouter`).

F7 transport faults become the httpx exceptions a real socket would produce:
``connection_reset`` -> :class:`httpx.ReadError`, ``read_timeout`` -> :class:`httpx.ReadTimeout`,
``truncated_body`` -> :class:`httpx.RemoteProtocolError` (the body was cut short).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from respx.models import AllMockedAssertionError, PassThrough

from fakelinear.http import Request, Response

__all__ = [
    "DEFAULT_BASE_URL",
    "LinearRouter",
    "answer_with",
    "fake_linear",
    "mock_linear",
    "to_httpx_response",
    "to_request",
]

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


class LinearRouter(respx.MockRouter):
    """A respx router that answers one Linear (scheme, host, port, path prefix) with a fake
    and composes with every other respx router active at the same time.

    respx asks its routers in the order they started. This one, usually the first:

    * lets a router started *after* it answer a Linear request when one of that router's
      routes matches it (the innermost mock wins, as users expect); a route that would pass
      the request through, or no matching route, means the fake answers, so a Linear request
      never reaches the network;
    * leaves every other request to the routers started after it and, when there are none,
      passes it through to the network untouched.

    It records no calls: nobody reads them, and recording would keep every request and
    response of a long in-process run alive.
    """

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response], base_url: str) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        parts = urlsplit(base_url)
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"base_url must be absolute, got {base_url!r}")
        self._answer = answer
        self._scheme = parts.scheme
        self._host = (parts.hostname or "").lower()
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._prefix = parts.path.rstrip("/")

    def is_linear(self, request: httpx.Request) -> bool:
        """True when ``request`` goes to the Linear this router answers for."""
        url = request.url
        if url.scheme != self._scheme or url.host.lower() != self._host:
            return False
        if (url.port or (443 if url.scheme == "https" else 80)) != self._port:
            return False
        return not self._prefix or url.path == self._prefix or url.path.startswith(self._prefix + "/")

    def record(self, request: httpx.Request, *, response: Any = None, route: Any = None) -> None:
        return None

    def _later(self) -> list[respx.Router]:
        routers = list(getattr(self.Mocker, "routers", ()) or ())
        return routers[routers.index(self) + 1 :] if self in routers else []

    def _not_ours(self, request: httpx.Request, later: list[respx.Router]) -> None:
        if later:
            # respx moves on to the next router only after this error.
            raise AllMockedAssertionError(f"RESPX: {request!r} not for fakelinear")
        raise PassThrough(f"not for fakelinear: {request!r}", request=request, origin=None)

    def handler(self, request: httpx.Request) -> httpx.Response:
        later = self._later()
        if not self.is_linear(request):
            self._not_ours(request, later)
        for router in reversed(later):  # innermost first
            if _claims(router, request):
                try:
                    return router.handler(request)
                except (PassThrough, AllMockedAssertionError):
                    continue  # it passes: the next router out (maybe a nearer fake) answers
        return self._answer(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        later = self._later()
        if not self.is_linear(request):
            self._not_ours(request, later)
        for router in reversed(later):  # innermost first
            if _claims(router, request):
                try:
                    return await router.async_handler(request)
                except (PassThrough, AllMockedAssertionError):
                    continue
        return self._answer(request)


def _claims(router: respx.Router, request: httpx.Request) -> bool:
    """True when one of ``router``'s routes matches ``request`` (pattern only: no side
    effect runs and nothing is recorded), or ``router`` is another fake's for that URL."""
    if isinstance(router, LinearRouter):
        return router.is_linear(request)
    for route in router.routes:
        pattern = route.pattern
        if not pattern or pattern.match(request):
            return True
    return False


def answer_with(fake: Any, prefix: str = "") -> Callable[[httpx.Request], httpx.Response]:
    """``httpx.Request -> httpx.Response`` through ``fake.handle`` (F7 faults raise)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return to_httpx_response(fake.handle(to_request(request, prefix)), request)

    return answer


@contextmanager
def mock_linear(
    fake: Any = None, base_url: str = DEFAULT_BASE_URL, **fake_kwargs: Any
) -> Iterator[Any]:
    """Route every httpx request for ``base_url`` to ``fake`` (a new ``FakeLinear`` built
    from ``fake_kwargs`` when None) and yield the fake.

    Everything under ``base_url`` is routed, so both ``/graphql`` and the ``/_fake/`` control
    API work through any httpx client, sync or async. Other hosts pass through to the
    network, or to respx routers started inside this block (see :class:`LinearRouter`).
    """
    if fake is None:
        from fakelinear.handler import FakeLinear

        fake = FakeLinear(**fake_kwargs)
    elif fake_kwargs:
        raise TypeError("pass either a fake or FakeLinear keyword arguments, not both")
    prefix = urlsplit(base_url).path.rstrip("/")
    with LinearRouter(answer_with(fake, prefix), base_url):
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
