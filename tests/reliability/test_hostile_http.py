"""Hostile HTTP input against the loopback server: each case gets a clear Linear-shaped
error (``errors[].extensions`` with code/type/statusCode/userPresentableMessage) and the
server keeps serving afterwards."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from fakelinear.handler import FakeLinear
from tests.reliability.conftest import assert_linear_error

VIEWER = b'{"query":"{ viewer { id } }"}'
JSON = "application/json"
Key = Callable[[str], str | bytes | None]


@dataclass(frozen=True)
class Case:
    """One hostile request: body, content type, how to derive the Authorization header."""

    name: str
    body: bytes
    status: int
    code: str
    content_type: str | None = JSON
    key: Key = field(default=lambda t: t)
    method: str = "POST"
    path: str = "/graphql"


def _nested_list(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _deep_query(depth: int) -> bytes:
    q = "{ viewer " + "{ organization " * depth + "{ id }" + " }" * depth + " }"
    return json.dumps({"query": q}).encode()


CASES = [
    Case("not json", b"this is not json", 400, "BAD_REQUEST"),
    Case("empty body", b"", 400, "BAD_REQUEST"),
    Case("truncated json", b'{"query": "{ viewer', 400, "BAD_REQUEST"),
    Case("json number", b"42", 400, "BAD_REQUEST"),
    Case("json string", b'"{ viewer { id } }"', 400, "BAD_REQUEST"),
    Case("json null", b"null", 400, "BAD_REQUEST"),
    Case("object without query", b'{"variables": {}}', 400, "BAD_REQUEST"),
    Case("query not a string", b'{"query": ["{ viewer { id } }"]}', 400, "BAD_REQUEST"),
    Case("variables not an object", b'{"query": "{ viewer { id } }", "variables": [1]}', 400, "BAD_USER_INPUT"),
    Case("operationName not a string", b'{"query": "{ viewer { id } }", "operationName": 7}', 400, "BAD_USER_INPUT"),
    Case("batch array", b'[{"query": "{ viewer { id } }"}, {"query": "{ viewer { id } }"}]', 400, "BAD_REQUEST"),
    Case("huge body", b'{"query": "{ viewer { id } }", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413, "PAYLOAD_TOO_LARGE"),
    Case(
        "10k nested lists in variables",
        b'{"query": "{ viewer { id } }", "variables": {"x": ' + _nested_list(10_000) + b"}}",
        400,
        "BAD_REQUEST",
    ),
    Case("deeply nested query", _deep_query(5_000), 400, "GRAPHQL_PARSE_FAILED"),
    Case("syntax error", b'{"query": "{ viewer { id "}', 400, "GRAPHQL_PARSE_FAILED"),
    Case("unknown field", b'{"query": "{ viewer { nope } }"}', 400, "GRAPHQL_VALIDATION_FAILED"),
    Case("wrong content type text/plain", VIEWER, 400, "BAD_REQUEST", content_type="text/plain"),
    Case("form content type", b"query=%7B%20viewer%20%7B%20id%20%7D%20%7D", 400, "BAD_REQUEST", content_type="application/x-www-form-urlencoded"),
    Case("no content type", VIEWER, 400, "BAD_REQUEST", content_type=None),
    Case(
        "unknown operation name",
        b'{"query": "query A { viewer { id } }", "operationName": "Nope"}',
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "variables of the wrong type",
        b'{"query": "query Q($id: String!) { issue(id: $id) { id } }", "variables": {"id": 42}}',
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "missing required variable",
        b'{"query": "query Q($id: String!) { issue(id: $id) { id } }"}',
        400,
        "BAD_USER_INPUT",
    ),
    Case("non-UTF-8 bytes", b'{"query": "{ viewer { id } }", "x": "\xff\xfe\xc3"}', 400, "BAD_REQUEST"),
    Case("latin-1 query", '{"query": "{ viewer { id } } # caf\xe9"}'.encode("latin-1"), 400, "BAD_REQUEST"),
    # Regression: a lone surrogate made the body hash raise (HTTP 500) before the fix in
    # fakelinear/faults/context.py (encode with "surrogatepass").
    Case("lone surrogate in the query", b'{"query": "{ viewer { id } } # \\ud800"}', 400, "GRAPHQL_PARSE_FAILED"),
    Case("lone surrogate in a string", b'{"query": "{ issue(id: \\"\\udfff\\") { id } }"}', 400, "GRAPHQL_PARSE_FAILED"),
    Case("GET /graphql", b"", 405, "METHOD_NOT_ALLOWED", method="GET"),
    Case("unknown path", VIEWER, 404, "NOT_FOUND", path="/graphql/../../etc/passwd"),
    Case("no key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: None),
    Case("unknown key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: "lin_api_" + "x" * 40),
    Case("key plus junk", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: t + " extra"),
    Case("two keys folded", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: f"{t}, {t}"),
    Case("quoted key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: f'"{t}"'),
    Case("sql in key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: "' OR 1=1 --"),
    Case("encoded CRLF in key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: t + "%0d%0aX-Admin:%20true"),
    Case("latin-1 bytes in key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: b"\xff\xfe" + t.encode()),
    Case("10 KB key", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: t * 200),
    Case("Bearer alone", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: "Bearer"),
    Case("Bearer with spaces", VIEWER, 401, "AUTHENTICATION_ERROR", key=lambda t: "Bearer a b\tc"),
]


def _assert_still_serving(http: httpx.Client, base_url: str, token: str) -> None:
    r = http.post(base_url + "/graphql", content=VIEWER, headers={"authorization": token, "content-type": JSON})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["viewer"]["id"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_request_gets_linear_error_and_server_keeps_serving(
    shared_loopback: tuple[FakeLinear, str], http_client: httpx.Client, case: Case
) -> None:
    fake, base_url = shared_loopback
    token = fake.tokens[0]
    headers: dict[str, str | bytes] = {}
    if case.content_type is not None:
        headers["content-type"] = case.content_type
    key = case.key(token)
    if key is not None:
        headers["authorization"] = key
    r = http_client.request(case.method, base_url + case.path, content=case.body, headers=headers)
    assert r.status_code == case.status, r.text[:500]
    assert r.status_code < 500
    if case.code:
        first = assert_linear_error(r.json())
        assert first["extensions"]["code"] == case.code, first
        assert first["extensions"]["statusCode"] in (case.status, 400)
    else:  # accepted: valid data
        assert "data" in r.json() and not r.json().get("errors"), r.text[:500]
    assert "Traceback" not in r.text and "File \"" not in r.text
    assert token not in r.text
    _assert_still_serving(http_client, base_url, token)


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        for _ in range(1000):  # bounded read loop
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


@pytest.mark.parametrize("injected", [b"\r\nX-Injected: yes", b"\nX-Injected: yes"])
def test_crlf_in_the_key_is_only_a_new_header_and_never_echoed(
    shared_loopback: tuple[FakeLinear, str], http_client: httpx.Client, injected: bytes
) -> None:
    """At the HTTP layer a CR/LF ends the header: the key stays the key, the rest becomes a
    header nobody reads; the response never reflects it."""
    fake, base_url = shared_loopback
    token = fake.tokens[0]
    port = int(base_url.rsplit(":", 1)[1])
    req = (
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: " + b"junk" + injected + b"\r\nContent-Length: "
        + str(len(VIEWER)).encode() + b"\r\nConnection: close\r\n\r\n" + VIEWER
    )
    data = _raw(port, req)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), data[:300]
    assert b"x-injected" not in head.lower()
    assert_linear_error(json.loads(body))
    _assert_still_serving(http_client, base_url, token)


def test_nul_in_a_header_is_refused_by_the_http_layer_and_server_keeps_serving(
    shared_loopback: tuple[FakeLinear, str], http_client: httpx.Client
) -> None:
    """h11 refuses a NUL in a header value before the app (plain-text 400, not Linear's
    shape: the request never reaches the fake); the server keeps serving."""
    fake, base_url = shared_loopback
    port = int(base_url.rsplit(":", 1)[1])
    req = (
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: a\x00b\r\nContent-Length: " + str(len(VIEWER)).encode()
        + b"\r\nConnection: close\r\n\r\n" + VIEWER
    )
    data = _raw(port, req)
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    _assert_still_serving(http_client, base_url, fake.tokens[0])


def test_every_hostile_request_is_journaled_without_the_key(shared_loopback: tuple[FakeLinear, str], http_client: httpx.Client) -> None:
    """Rejected requests are journaled too (one entry per GraphQL request), keys masked."""
    fake, base_url = shared_loopback
    token = fake.tokens[0]
    before = len(fake.journal)
    for body in (b"nope", b"[]", b"42", VIEWER):
        http_client.post(base_url + "/graphql", content=body, headers={"authorization": token, "content-type": JSON})
    entries = fake.journal.to_list()[before:]
    assert len(entries) == 4
    assert all(token not in json.dumps(e) for e in entries)
