"""Fixtures for the reliability suite: loopback servers (thread or subprocess), GraphQL posts.

Loopback tests bind 127.0.0.1 only and poll with bounded loops; in-process tests never sleep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchmarks.bench_load import NO_TLS
from fakelinear.clock import RealClock
from fakelinear.handler import FakeLinear
from fakelinear.http import Request, Response
from fakelinear.transports.server import ServerThread

CREATE_ISSUE = (
    "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) "
    "{ success lastSyncId issue { id identifier number title } } }"
)


def gql_request(token: str | None, query: str, variables: dict[str, Any] | None = None) -> Request:
    """A ``POST /graphql`` :class:`Request` for the handler seam."""
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = token
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return Request("POST", "/graphql", headers, body, "")


def gql(fake: FakeLinear, token: str | None, query: str, variables: dict[str, Any] | None = None) -> tuple[Response, Any]:
    """Send one GraphQL request through ``fake.handle``; returns (response, parsed body)."""
    response = fake.handle(gql_request(token, query, variables))
    return response, json.loads(response.body)


def assert_linear_error(body: Any) -> dict[str, Any]:
    """``body`` is a Linear-shaped error; returns its first error."""
    assert isinstance(body, dict), body
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    first = errors[0]
    assert isinstance(first.get("message"), str) and first["message"], first
    ext = first.get("extensions")
    assert isinstance(ext, dict), first
    for name in ("code", "type", "statusCode", "userPresentableMessage"):
        assert name in ext, (name, first)
    assert isinstance(ext["code"], str) and ext["code"]
    assert isinstance(ext["statusCode"], int)
    return first


@pytest.fixture
def loopback() -> Iterator[tuple[FakeLinear, str]]:
    """A real-clock fake with 2 workspaces served on 127.0.0.1 by a ServerThread."""
    fake = FakeLinear(seed=3, clock=RealClock(), workspaces=2, plan="unlimited")
    with ServerThread(fake, "127.0.0.1", 0) as server:
        yield fake, server.base_url


@pytest.fixture(scope="module")
def shared_loopback() -> Iterator[tuple[FakeLinear, str]]:
    """Like ``loopback`` but one server per module: the server must survive every test."""
    fake = FakeLinear(seed=3, clock=RealClock(), workspaces=2, plan="unlimited")
    with ServerThread(fake, "127.0.0.1", 0) as server:
        yield fake, server.base_url


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    """A plain httpx client with a short timeout."""
    with httpx.Client(timeout=15.0, verify=NO_TLS) as client:
        yield client
