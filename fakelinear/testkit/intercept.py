"""Fake mode: every HTTP client the code under test builds talks to the in-process fake.

* httpx, sync and async: a :class:`~fakelinear.transports.mock.LinearRouter` (respx) for
  ``https://api.linear.app``. It composes with respx routers a test starts itself (theirs
  answer what their routes match; other Linear calls reach the fake) and with pytest-httpx
  (see :func:`cooperate_with_httpx_mock`).
* ``requests``: through ``responses`` when it is installed (``fakelinear[requests]``).
* Anything else (aiohttp, urllib, sockets) is *not* intercepted: point such code at
  ``linear_endpoint`` and run it with ``--linear=server``.

Other hosts pass through untouched. Interception starts with the first test that uses the
harness and lasts until the session ends, so session fixtures torn down last are covered too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from fakelinear.transports import requests_mock
from fakelinear.transports.mock import DEFAULT_BASE_URL, LinearRouter, answer_with

__all__ = ["Interception", "cooperate_with_httpx_mock"]


class Interception:
    """The active interception of one session (started once, stopped at session end)."""

    def __init__(self, fake: Any, base_url: str = DEFAULT_BASE_URL) -> None:
        self._stack = ExitStack()
        self.router = LinearRouter(answer_with(fake), base_url)
        self._stack.enter_context(self.router)
        self.requests = requests_mock.available()
        if self.requests:
            self._stack.enter_context(requests_mock.mock_linear_requests(fake, base_url))

    def is_fake_request(self, request: httpx.Request) -> bool:
        """True for a request the fake answers."""
        return self.router.is_linear(request)

    def stop(self) -> None:
        """Stop intercepting."""
        self._stack.close()


def cooperate_with_httpx_mock(item: pytest.Item, is_fake_request: Callable[[httpx.Request], bool]) -> None:
    """A test using pytest-httpx's ``httpx_mock`` mocks every httpx request by default,
    Linear's too (answered with ``TimeoutException: No response can be found``). Unless the
    test chose ``should_mock`` itself, give it one that leaves the fake's requests alone
    (pytest-httpx >= 0.32)."""
    if "httpx_mock" not in getattr(item, "fixturenames", ()):
        return
    if any("should_mock" in m.kwargs for m in item.iter_markers("httpx_mock")):
        return
    item.add_marker(pytest.mark.httpx_mock(should_mock=lambda request: not is_fake_request(request)))


def loopback_matcher(url: str) -> Callable[[httpx.Request], bool]:
    """``request -> bool``: True for requests to the server at ``url`` (server mode)."""
    target = httpx.URL(url)

    def matches(request: httpx.Request) -> bool:
        return request.url.host == target.host and request.url.port == target.port

    return matches
