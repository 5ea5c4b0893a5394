"""Hostile HTTP input against the loopback server: each case gets a clear Linear-shaped
error (``errors[].extensions`` with code/type/statusCode/userPresentableMessage) and the
server keeps serving afterwards."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    Case("lone surrogate in variables", b'{"query": "{ viewer { id } }", "variables": {"x": "\\ud800"}}', 200, ""),
    # NaN/Infinity are not JSON (Linear's parser refuses them; they used to reach the API).
    Case("NaN in variables", b'{"query": "query Q($n: Int) { issues(first: $n) { nodes { id } } }", "variables": {"n": NaN}}', 400, "BAD_REQUEST"),
    Case("Infinity in variables", b'{"query": "{ viewer { id } }", "variables": {"x": Infinity}}', 400, "BAD_REQUEST"),
    # Cost limits (issue 12): refused before they run, with Linear's "Query too complex".
    Case("thousands of aliases", json.dumps({"query": "{" + " ".join(f"a{i}: viewer {{ id }}" for i in range(9_200)) + "}"}).encode(), 400, "INPUT_ERROR"),
    Case("nested connections", b'{"query": "{ issues { nodes { team { issues { nodes { team { issues { nodes { id } } } } } } } } }"}', 400, "INPUT_ERROR"),
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


@dataclass(frozen=True)
class ControlCase:
    """One hostile control request: what it must answer and a fragment of the message."""

    name: str
    method: str
    path: str
    body: bytes
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


CONTROL_CASES = [
    ControlCase("advance NaN", "POST", "/_fake/clock/advance", b'{"seconds": NaN}', 400, "NaN is not a JSON number"),
    ControlCase("advance Infinity", "POST", "/_fake/clock/advance", b'{"seconds": Infinity}', 400, "Infinity is not a JSON number"),
    ControlCase("advance 1e308", "POST", "/_fake/clock/advance", b'{"seconds": 1e308}', 400, "finite number from 0 to"),
    ControlCase("advance 3e11", "POST", "/_fake/clock/advance", b'{"seconds": 3e11}', 400, "finite number from 0 to"),
    ControlCase("advance a string", "POST", "/_fake/clock/advance", b'{"seconds": "5"}', 400, "seconds must be a number"),
    ControlCase("advance unknown field", "POST", "/_fake/clock/advance", b'{"seconds": 1, "x": 2}', 400, "unknown field 'x'"),
    ControlCase("advance not an object", "POST", "/_fake/clock/advance", b"[1]", 400, "must be a JSON object"),
    ControlCase("advance not JSON", "POST", "/_fake/clock/advance", b"seconds=5", 400, "must be a JSON object"),
    ControlCase("advance nested 100k", "POST", "/_fake/clock/advance", b"[" * 100_000 + b"]" * 100_000, 400, "must be a JSON object"),
    ControlCase("advance non-UTF-8", "POST", "/_fake/clock/advance", b'{"seconds": "\xff"}'.replace(b"\\xff", b"\xff"), 400, "must be a JSON object"),
    ControlCase("advance 300 KB body", "POST", "/_fake/clock/advance", b'{"seconds": 1, "pad": "' + b"x" * 300_000 + b'"}', 413, "too large"),
    ControlCase("workspace unknown field", "POST", "/_fake/workspaces", b'{"name": "a", "owner": "me"}', 400, "unknown field 'owner'"),
    ControlCase("workspace name a number", "POST", "/_fake/workspaces", b'{"name": 5}', 400, "name must be a non-empty string"),
    ControlCase("workspace plan", "POST", "/_fake/workspaces", b'{"plan": "enterprise"}', 400, "plan must be"),
    ControlCase("workspace seed_content NaN", "POST", "/_fake/workspaces", b'{"seed_content": NaN}', 400, "NaN is not a JSON number"),
    ControlCase("reset with a body", "POST", "/_fake/reset", b'{"everything": true}', 400, "unknown field 'everything'"),
    ControlCase("faults unknown section", "POST", "/_fake/faults", b'{"phantom_conflicts": {}}', 400, "invalid fault plan"),
    ControlCase("faults NaN probability", "POST", "/_fake/faults", b'{"gateway": {"probability": NaN}}', 400, "NaN is not a JSON number"),
    ControlCase("faults profile junk", "POST", "/_fake/faults", b'{"profile": "nope"}', 400, "invalid fault plan"),
    ControlCase("faults profile not a string", "POST", "/_fake/faults", b'{"profile": ["storm"]}', 400, "invalid fault plan"),
    ControlCase("journal bad limit", "GET", "/_fake/journal?limit=lots", b"", 400, "limit must be an integer"),
    ControlCase("journal unknown filter", "GET", "/_fake/journal?owner=me", b"", 400, "unknown journal filter"),
    ControlCase("unknown route", "GET", "/_fake/secrets", b"", 404, "no control route"),
    ControlCase("unknown route deep", "POST", "/_fake/clock/advance/more", b"{}", 404, "no control route"),
    ControlCase("wrong method", "DELETE", "/_fake/state", b"", 405, "not allowed here"),
    ControlCase("GET with a junk body is fine", "GET", "/_fake/clock", b"{nope", 200, ""),
]


@pytest.mark.parametrize("case", CONTROL_CASES, ids=[c.name for c in CONTROL_CASES])
def test_hostile_control_request_gets_a_clear_error_and_changes_nothing(
    shared_loopback: tuple[FakeLinear, str], http_client: httpx.Client, case: ControlCase
) -> None:
    fake, base_url = shared_loopback

    def state() -> tuple[object, ...]:
        # A real clock: what may not move is its offset (what /_fake/clock/advance adds).
        return fake.tokens, fake.snapshot(), round(fake.clock.now() - time.time()), fake.plan.to_dict()

    before = state()
    r = http_client.request(case.method, base_url + case.path, content=case.body,
                            headers={"content-type": "application/json", **case.headers})
    assert r.status_code == case.status, r.text[:300]
    if case.message:
        assert case.message in r.json()["error"], r.text[:300]
    assert "Traceback" not in r.text
    assert state() == before
    assert http_client.get(base_url + "/_fake/health").json()["status"] == "ok"
    _assert_still_serving(http_client, base_url, fake.tokens[0])


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


# ----------------------------------------------------------------------------- seam property

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
OPERATIONS = [
    "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id } } }",
    "mutation U($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }",
    "mutation P($input: ProjectCreateInput!) { projectCreate(input: $input) { success } }",
    "mutation R($input: IssueRelationCreateInput!) { issueRelationCreate(input: $input) { success } }",
    "query I($filter: IssueFilter, $first: Int, $after: String) { issues(filter: $filter, first: $first, after: $after) { nodes { id } } }",
    "query S($term: String!, $teamId: String) { searchIssues(term: $term, teamId: $teamId) { nodes { id } } }",
]
SEAM_FAKE = FakeLinear(seed=8, workspaces=1, plan="unlimited", seed_content=True)


def _seam_check(body: bytes) -> None:
    from fakelinear.http import Request

    token = SEAM_FAKE.tokens[0]
    response = SEAM_FAKE.handle(Request("POST", "/graphql", {"authorization": token, "content-type": JSON}, body, ""))
    assert response.status < 500, response.body[:300]
    payload = json.loads(response.body)
    if payload.get("errors"):
        for error in payload["errors"]:
            assert_linear_error({"errors": [error]})
    else:
        assert isinstance(payload.get("data"), dict)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=JSON_VALUES)
def test_any_json_body_gets_an_answer_never_a_crash(body: object) -> None:
    _seam_check(json.dumps(body).encode())


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(query=st.sampled_from(OPERATIONS), variables=st.dictionaries(
    st.sampled_from(["input", "id", "filter", "first", "after", "term", "teamId"]), JSON_VALUES, max_size=4))
def test_real_operations_with_any_variables_never_crash(query: str, variables: dict[str, object]) -> None:
    _seam_check(json.dumps({"query": query, "variables": variables}).encode())


_SEAM_WS = SEAM_FAKE.workspace_for(SEAM_FAKE.tokens[0])
_IDS = sorted(i for kind in ("Issue", "Team", "WorkflowState", "IssueLabel", "Project", "User") for i in _SEAM_WS.store[kind])
ID = st.sampled_from(_IDS) | st.text(max_size=6) | st.uuids().map(str)
TEXT = st.text(max_size=8)
DATE = st.sampled_from(["P1D", "-P2W", "PT3H", "P", "-P", "2026-01-01", "2026-01-01T00:00:00.000Z", "yesterday", "P99999999Y", ""]) | TEXT
STRING_CMP = st.dictionaries(st.sampled_from(["eq", "neq", "contains", "containsIgnoreCase", "startsWith", "endsWith", "eqIgnoreCase", "notContains"]), TEXT, max_size=2) | st.fixed_dictionaries({"in": st.lists(TEXT, max_size=3)})
NUMBER_CMP = st.dictionaries(st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte"]), st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(-10, 10**6), max_size=2)
DATE_CMP = st.dictionaries(st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte"]), DATE, max_size=2)
ID_CMP = st.dictionaries(st.sampled_from(["eq", "neq"]), ID, max_size=1) | st.fixed_dictionaries({"in": st.lists(ID, max_size=3)})
LEAF_FILTER = st.fixed_dictionaries({}, optional={
    "id": ID_CMP, "title": STRING_CMP, "description": STRING_CMP, "number": NUMBER_CMP, "priority": NUMBER_CMP,
    "createdAt": DATE_CMP, "updatedAt": DATE_CMP, "archivedAt": DATE_CMP,
    "team": st.fixed_dictionaries({}, optional={"id": ID_CMP, "key": STRING_CMP, "name": STRING_CMP}),
    "state": st.fixed_dictionaries({}, optional={"type": STRING_CMP, "name": STRING_CMP}),
    "labels": st.fixed_dictionaries({}, optional={"name": STRING_CMP, "id": ID_CMP}),
})
FILTER = st.recursive(LEAF_FILTER, lambda inner: st.fixed_dictionaries({}, optional={"and": st.lists(inner, max_size=3), "or": st.lists(inner, max_size=3)}), max_leaves=6)
CREATE_INPUT = st.fixed_dictionaries({"teamId": ID}, optional={
    "title": TEXT, "description": st.none() | TEXT, "priority": st.integers(-3, 7), "estimate": st.integers(-3, 100),
    "stateId": ID, "labelIds": st.lists(ID, max_size=3), "projectId": ID, "parentId": ID, "assigneeId": ID,
    "id": ID, "sortOrder": st.floats(allow_nan=False, allow_infinity=False),
})
UPDATE_INPUT = st.fixed_dictionaries({}, optional={
    "title": TEXT, "priority": st.integers(-3, 7), "stateId": ID, "labelIds": st.lists(ID, max_size=3),
    "addedLabelIds": st.lists(ID, max_size=2), "removedLabelIds": st.lists(ID, max_size=2), "projectId": st.none() | ID,
    "parentId": st.none() | ID, "teamId": ID, "assigneeId": st.none() | ID, "estimate": st.none() | st.integers(-3, 50),
})


@settings(max_examples=250, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_well_typed_but_hostile_variables_never_crash(data: st.DataObject) -> None:
    """Variables that pass GraphQL coercion reach the model: real and foreign ids, odd
    durations, nested and/or filters, cycles (parent = self), cross-team states and labels."""
    which = data.draw(st.sampled_from(["create", "update", "issues", "search"]))
    if which == "create":
        body = {"query": OPERATIONS[0], "variables": {"input": data.draw(CREATE_INPUT)}}
    elif which == "update":
        body = {"query": OPERATIONS[1], "variables": {"id": data.draw(ID), "input": data.draw(UPDATE_INPUT)}}
    elif which == "issues":
        body = {"query": OPERATIONS[4], "variables": {"filter": data.draw(FILTER), "first": data.draw(st.integers(-1, 300)),
                                                       "after": data.draw(st.none() | ID)}}
    else:
        body = {"query": OPERATIONS[5], "variables": {"term": data.draw(TEXT), "teamId": data.draw(st.none() | ID)}}
    _seam_check(json.dumps(body).encode())
