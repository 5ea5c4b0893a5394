"""In-process transport for ``requests``: the ``responses`` library routes every
``requests`` call for Linear to ``fake.handle`` (optional extra ``fakelinear[requests]``).

Clients built on ``requests`` (the ``linear-api`` package on PyPI, hand-written scripts) are
intercepted like httpx ones; other hosts pass through untouched. F7 transport faults become
the exceptions ``requests`` raises for a real socket: ``connection_reset`` ->
:class:`requests.ConnectionError`, ``read_timeout`` -> :class:`requests.ReadTimeout`,
``truncated_body`` -> :class:`requests.exceptions.ChunkedEncodingError`.

A test that starts its own ``responses`` mock *inside* this one replaces it for as long as it
runs (``responses`` patches one function): its unmatched Linear calls then fail with
``responses``' ConnectionError (they never reach the network). Route them to the fake with
:func:`add_linear_callbacks` on that mock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from fakelinear.http import Request

__all__ = ["available", "mock_linear_requests", "add_linear_callbacks"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def available() -> bool:
    """True when ``responses`` (and so ``requests``) is installed."""
    try:
        import responses  # noqa: F401
    except ImportError:
        return False
    return True


def _base(base_url: str) -> tuple[str, str]:
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"base_url must be absolute, got {base_url!r}")
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin, parts.path.rstrip("/")


def _url_pattern(base_url: str) -> re.Pattern[str]:
    origin, prefix = _base(base_url)
    host = urlsplit(origin).hostname or ""
    default = ":443" if origin.startswith("https") else ":80"
    netloc = re.escape(urlsplit(origin).netloc)
    if urlsplit(origin).port is None:
        netloc = re.escape(host) + f"(?:{re.escape(default)})?"
    scheme = re.escape(urlsplit(origin).scheme)
    return re.compile(rf"^{scheme}://{netloc}{re.escape(prefix)}(?:[/?#].*)?$", re.IGNORECASE)


def _callback(fake: Any, prefix: str) -> Any:
    import requests

    def answer(prepared: Any) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(prepared.url)
        path = parts.path
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :] or "/"
        body = prepared.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):  # a generator or file: read it like the wire would
            body = b"".join(chunk if isinstance(chunk, bytes) else str(chunk).encode() for chunk in body)
        headers = {k.lower(): v for k, v in prepared.headers.items()}
        response = fake.handle(Request(prepared.method or "GET", path, headers, body, parts.query))
        fault = response.transport_fault
        if fault == "connection_reset":
            raise requests.ConnectionError(
                ConnectionResetError(104, "Connection reset by peer"), request=prepared
            )
        if fault == "read_timeout":
            raise requests.ReadTimeout("Read timed out.", request=prepared)
        if fault == "truncated_body":
            raise requests.exceptions.ChunkedEncodingError(
                f"Connection broken: IncompleteRead({len(response.body) // 2} bytes read, "
                f"{len(response.body) - len(response.body) // 2} more expected)",
                request=prepared,
            )
        out = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return response.status, out, response.body

    return answer


def add_linear_callbacks(rsps: Any, fake: Any, base_url: str = "https://api.linear.app") -> None:
    """Answer every ``requests`` call under ``base_url`` on the ``responses`` mock ``rsps``
    with ``fake`` (any object with ``handle(Request) -> Response``: a ``FakeLinear``)."""
    import responses

    _, prefix = _base(base_url)
    pattern = _url_pattern(base_url)
    callback = _callback(fake, prefix)
    for method in _METHODS:
        rsps.add(responses.CallbackResponse(method=method, url=pattern, callback=callback, content_type=None))


@contextmanager
def mock_linear_requests(fake: Any, base_url: str = "https://api.linear.app") -> Iterator[Any]:
    """Route every ``requests`` call for ``base_url`` to ``fake``; other URLs go on to
    whatever handled them before (the network, or a ``responses`` mock started earlier).
    Yields the ``responses.RequestsMock``."""
    import requests.adapters
    import responses

    pattern = _url_pattern(base_url)
    # Pass other hosts to the send in place *now* (an outer mock, if any), not to the one
    # responses saved at import time.
    rsps = responses.RequestsMock(
        assert_all_requests_are_fired=False, real_adapter_send=requests.adapters.HTTPAdapter.send
    )
    add_linear_callbacks(rsps, fake, base_url)
    rsps.add_passthru(re.compile(rf"^(?!{pattern.pattern[1:]})", re.IGNORECASE))
    with rsps:
        yield rsps
