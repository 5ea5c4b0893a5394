"""The Linear client against canned respx responses: headers, URL, parsing, typed errors."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from promoter.linear import (
    AsyncLinearClient,
    AuthenticationError,
    ConflictOnInsertError,
    ForbiddenError,
    GatewayError,
    GraphQLValidationError,
    InvalidInputError,
    Issue,
    LinearClient,
    LinearError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UsageLimitError,
)
from promoter.linear.client import DEFAULT_URL

KEY = "lin_api_SECRETSECRETSECRET123456"
URL = "https://linear.test/graphql"

ISSUE_NODE = {
    "id": "0f8c1d7e-1111-4222-8333-444455556666",
    "identifier": "ENG-1",
    "title": "[test] issue 01234567",
    "description": "d",
    "priority": 0,
    "url": "https://linear.app/x/issue/ENG-1",
    "createdAt": "2026-01-05T09:00:00.000Z",
    "archivedAt": None,
    "trashed": None,
    "team": {"id": "team-1"},
    "state": {"id": "s1", "name": "Todo", "type": "unstarted"},
    "project": None,
    "labels": {"nodes": [{"id": "l1"}]},
}


def err(message, type_, code, status_code, user=None):
    ext = {"type": type_, "code": code, "statusCode": status_code, "userError": True}
    if user:
        ext["userPresentableMessage"] = user
    return {"errors": [{"message": message, "extensions": ext}], "data": None}


@pytest.fixture
def client():
    with LinearClient(KEY, url=URL) as c:
        yield c


@respx.mock
def test_sends_raw_key_json_and_operation_name(client):
    route = respx.post(URL).mock(
        return_value=httpx.Response(200, json={"data": {"issue": ISSUE_NODE}})
    )
    issue = client.issue("ENG-1")
    assert isinstance(issue, Issue)
    assert (
        issue.identifier == "ENG-1"
        and issue.team_id == "team-1"
        and issue.state_type == "unstarted"
    )
    assert issue.label_ids == ("l1",)
    request = route.calls.last.request
    assert request.headers["authorization"] == KEY
    body = json.loads(request.content)
    assert body["operationName"] == "Issue" and body["variables"] == {"id": "ENG-1"}
    assert "issue(id: $id)" in body["query"]


@respx.mock
def test_oauth_uses_bearer():
    route = respx.post(URL).mock(
        return_value=httpx.Response(200, json={"data": {"viewer": {"id": "u"}}})
    )
    LinearClient("oauth-token-abcdef", url=URL, oauth=True).viewer()
    assert route.calls.last.request.headers["authorization"] == "Bearer oauth-token-abcdef"


def test_url_resolution(monkeypatch):
    monkeypatch.delenv("LINEAR_API_URL", raising=False)
    assert LinearClient(KEY).url == DEFAULT_URL
    monkeypatch.setenv("LINEAR_API_URL", "http://127.0.0.1:9/graphql")
    assert LinearClient(KEY).url == "http://127.0.0.1:9/graphql"
    assert LinearClient(KEY, url=URL).url == URL


def test_repr_masks_key(client):
    assert KEY not in repr(client)
    assert "…123456" in repr(client)


@respx.mock
def test_phantom_conflict_is_typed(client):
    body = err(
        "conflict on insert of Issue",
        "invalid input",
        "INPUT_ERROR",
        400,
        "Entity Issue with id 5b0c3c86-7d0a-4b4e-9b1e-2f1f1f1f1f1f already exists.",
    )
    respx.post(URL).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ConflictOnInsertError) as info:
        client.issue_create("team-1", "[test] issue x")
    e = info.value
    assert e.entity_type == "Issue" and e.entity_id == "5b0c3c86-7d0a-4b4e-9b1e-2f1f1f1f1f1f"
    assert (
        e.message == "conflict on insert of Issue" and e.code == "INPUT_ERROR" and e.status == 200
    )
    assert KEY not in str(e) and KEY not in repr(e)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (
            200,
            err(
                "Entity not found: Issue",
                "invalid input",
                "INPUT_ERROR",
                400,
                "Could not find referenced Issue.",
            ),
            NotFoundError,
        ),
        (
            401,
            err(
                "Authentication required, not authenticated",
                "authentication error",
                "AUTHENTICATION_ERROR",
                401,
            ),
            AuthenticationError,
        ),
        (200, err("Forbidden", "forbidden", "FORBIDDEN", 403), ForbiddenError),
        (
            400,
            err(
                "Usage limit exceeded",
                "usage limit exceeded",
                "USAGE_LIMIT_EXCEEDED",
                400,
                "Free plan",
            ),
            UsageLimitError,
        ),
        (
            400,
            err(
                'Cannot query field "nope" on type "Issue".',
                "graphql error",
                "GRAPHQL_VALIDATION_FAILED",
                400,
            ),
            GraphQLValidationError,
        ),
        (400, {"errors": [{"message": "Syntax Error: Unexpected <EOF>."}]}, GraphQLValidationError),
        (
            200,
            err("title must be shorter", "invalid input", "INPUT_ERROR", 400),
            InvalidInputError,
        ),
        (200, err("Something odd", "internal", "SOMETHING_ELSE", 400), LinearError),
    ],
)
@respx.mock
def test_error_classes(client, status, body, cls):
    respx.post(URL).mock(return_value=httpx.Response(status, json=body))
    with pytest.raises(cls) as info:
        client.execute("query { viewer { id } }")
    assert type(info.value) is cls  # the exact class, not merely some LinearError
    assert info.value.message == body["errors"][0]["message"]
    assert info.value.status == status


@respx.mock
def test_rate_limited_reads_reset_header_in_ms(client):
    headers = {
        "X-RateLimit-Requests-Limit": "2500",
        "X-RateLimit-Requests-Remaining": "0",
        "X-RateLimit-Requests-Reset": "1767607200500",
    }
    body = err("Rate limit exceeded", "ratelimited", "RATELIMITED", 400)
    respx.post(URL).mock(return_value=httpx.Response(400, json=body, headers=headers))
    with pytest.raises(RateLimitedError) as info:
        client.viewer()
    assert info.value.reset_at == pytest.approx(1767607200.5)
    assert (info.value.limit, info.value.remaining) == (2500, 0)


@pytest.mark.parametrize("status", [502, 503, 504])
@respx.mock
def test_gateway_html(client, status):
    respx.post(URL).mock(
        return_value=httpx.Response(
            status,
            text="<html><body>Bad gateway</body></html>",
            headers={"content-type": "text/html"},
        )
    )
    with pytest.raises(GatewayError) as info:
        client.viewer()
    assert info.value.status == status and info.value.html is True


@respx.mock
def test_gateway_json_500_not_html(client):
    respx.post(URL).mock(
        return_value=httpx.Response(
            500, json=err("Internal", "internal error", "INTERNAL_SERVER_ERROR", 500)
        )
    )
    with pytest.raises(GatewayError) as info:
        client.viewer()
    assert info.value.html is False and info.value.message == "Internal"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), "connect"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "read"),
        (
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ),
            "truncated",
        ),
        (httpx.RemoteProtocolError("illegal header"), "protocol"),
    ],
)
@respx.mock
def test_transport_errors(client, exc, kind):
    respx.post(URL).mock(side_effect=exc)
    with pytest.raises(TransportError) as info:
        client.viewer()
    assert info.value.kind == kind
    assert isinstance(info.value.__cause__, httpx.HTTPError)
    assert KEY not in str(info.value)


@respx.mock
def test_truncated_json_body(client):
    respx.post(URL).mock(return_value=httpx.Response(200, content=b'{"data": {"vie'))
    with pytest.raises(TransportError) as info:
        client.viewer()
    assert info.value.kind == "truncated"


@respx.mock
def test_iter_issues_follows_every_page(client):
    pages = [
        {
            "data": {
                "issues": {
                    "nodes": [ISSUE_NODE],
                    "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
                }
            }
        },
        {
            "data": {
                "issues": {
                    "nodes": [ISSUE_NODE],
                    "pageInfo": {"hasNextPage": True, "endCursor": "c2"},
                }
            }
        },
        {
            "data": {
                "issues": {
                    "nodes": [ISSUE_NODE],
                    "pageInfo": {"hasNextPage": False, "endCursor": "c3"},
                }
            }
        },
    ]
    route = respx.post(URL).mock(side_effect=[httpx.Response(200, json=p) for p in pages])
    assert len(list(client.iter_issues(include_archived=True, page_size=1))) == 3
    afters = [json.loads(c.request.content)["variables"].get("after") for c in route.calls]
    assert afters == [None, "c1", "c2"]


@respx.mock
def test_mutation_inputs_are_camel_case_and_compact(client):
    route = respx.post(URL).mock(
        return_value=httpx.Response(
            200, json={"data": {"issueUpdate": {"success": True, "issue": ISSUE_NODE}}}
        )
    )
    client.issue_update("i1", state_id="s2", label_ids=["a"], description=None)
    variables = json.loads(route.calls.last.request.content)["variables"]
    assert variables == {
        "id": "i1",
        "input": {"stateId": "s2", "labelIds": ["a"], "description": None},
    }
    route.mock(
        return_value=httpx.Response(
            200, json={"data": {"issueCreate": {"success": True, "issue": ISSUE_NODE}}}
        )
    )
    client.issue_create("t", "x", id="u-1")
    variables = json.loads(route.calls.last.request.content)["variables"]
    assert variables == {"input": {"teamId": "t", "title": "x", "id": "u-1"}}


@respx.mock
def test_delete_returns_success(client):
    respx.post(URL).mock(
        return_value=httpx.Response(200, json={"data": {"issueDelete": {"success": True}}})
    )
    assert client.issue_delete("i1", permanently=True) is True


@respx.mock
def test_team_by_key_uses_filter(client):
    route = respx.post(URL).mock(
        return_value=httpx.Response(
            200, json={"data": {"teams": {"nodes": [], "pageInfo": {"hasNextPage": False}}}}
        )
    )
    with pytest.raises(NotFoundError):
        client.team("TABCDE")
    assert json.loads(route.calls.last.request.content)["variables"]["filter"] == {
        "key": {"eq": "TABCDE"}
    }


@respx.mock
async def _async_roundtrip():
    respx.post(URL).mock(return_value=httpx.Response(200, json={"data": {"issue": ISSUE_NODE}}))
    async with AsyncLinearClient(KEY, url=URL) as c:
        issue = await c.issue("ENG-1")
        assert repr(c).endswith("'…123456')")
    return issue


def test_async_client_same_methods():
    import asyncio

    issue = asyncio.run(_async_roundtrip())
    assert issue.identifier == "ENG-1"


@respx.mock
def test_async_errors_typed():
    import asyncio

    respx.post(URL).mock(return_value=httpx.Response(502, text="<html>bad gateway</html>"))

    async def run():
        async with AsyncLinearClient(KEY, url=URL) as c:
            await c.viewer()

    with pytest.raises(GatewayError):
        asyncio.run(run())


@pytest.mark.parametrize("key", ["lin_api_\ufeffSECRETSECRET123456", "lin_api_SECRET\x01SECRET123456"])
def test_key_that_cannot_be_a_header_fails_typed_without_the_key(key):
    # httpx would raise UnicodeEncodeError / LocalProtocolError holding the whole key.
    with LinearClient(key, url=URL) as c, pytest.raises(AuthenticationError) as info:
        c.viewer()
    for text in (str(info.value), repr(info.value)):
        assert key[:-6] not in text and "lin_api_" not in text
    assert "…123456" in str(info.value)
