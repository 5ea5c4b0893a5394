"""The Linear client against the fake (in-process, respx): typed errors from real fault paths."""

from __future__ import annotations

import asyncio

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.transports.mock import mock_linear
from promoter.linear import (
    AsyncLinearClient,
    AuthenticationError,
    ConflictOnInsertError,
    GatewayError,
    GraphQLValidationError,
    LinearClient,
    LinearError,
    NotFoundError,
    RateLimitedError,
    TransportError,
)

URL = "https://api.linear.app/graphql"


@pytest.fixture
def env():
    clock = VirtualClock()
    with mock_linear(seed=3, clock=clock, profile="calm", plan="unlimited") as fake:
        client = LinearClient(fake.tokens[0], url=URL)
        team = client.team_create("[test] team client", key="TCLI")
        yield fake, client, team, clock
        client.close()


def test_full_issue_roundtrip(env):
    fake, client, team, clock = env
    issue = client.issue_create(team.id, "[test] issue 1", description="body", priority=3)
    assert issue.identifier == "TCLI-1" and issue.team_id == team.id and issue.priority == 3
    assert client.issue("TCLI-1").id == issue.id == client.issue(issue.id).id
    states = client.workflow_states(team.id)
    started = next(s for s in states if s.type == "started")
    updated = client.issue_update(issue.id, state_id=started.id, title="[test] issue 1b")
    assert (updated.state_id, updated.title) == (started.id, "[test] issue 1b")
    assert client.issue_archive(issue.id) and client.issue(issue.id).archived_at
    assert client.issue_unarchive(issue.id) and client.issue(issue.id).archived_at is None
    assert client.issue_delete(issue.id, permanently=True)
    with pytest.raises(NotFoundError) as info:
        client.issue(issue.id)
    assert info.value.message == "Entity not found: Issue"


def test_other_entities(env):
    fake, client, team, clock = env
    project = client.project_create("[test] project", [team.id])
    assert project.team_ids == (team.id,) and client.project(project.id).name == "[test] project"
    doc = client.document_create("[test] doc", content="x", project_id=project.id)
    assert client.document(doc.id).project_id == project.id
    label = client.label_create("[test] label", team_id=team.id, color="#ff0000")
    a = client.issue_create(team.id, "[test] a", label_ids=[label.id])
    b = client.issue_create(team.id, "[test] b")
    assert client.issue(a.id).label_ids == (label.id,)
    comment = client.comment_create(a.id, "hello")
    relation = client.relation_create(a.id, b.id, "blocks")
    assert (relation.issue_id, relation.related_issue_id, relation.type) == (a.id, b.id, "blocks")
    assert client.relation_delete(relation.id) and client.comment_delete(comment.id)
    assert client.label_delete(label.id) and client.document_delete(doc.id)
    assert client.project_delete(project.id)
    assert client.project(project.id).trashed
    assert client.project_unarchive(project.id)
    assert client.search_issues("[test] a", team_id=team.id).nodes


def test_phantom_conflict_from_the_fault_engine(env):
    fake, client, team, clock = env
    fake.faults.phantom_conflicts(on="issueCreate", first=1)
    with pytest.raises(ConflictOnInsertError) as info:
        client.issue_create(team.id, "[test] conflicted")
    assert info.value.entity_type == "Issue" and info.value.entity_id
    with pytest.raises(NotFoundError):
        client.issue(info.value.entity_id)


def test_real_duplicate_id(env):
    fake, client, team, clock = env
    issue_id = "6f1d7c2a-1b2c-4d3e-8f40-5a6b7c8d9e0f"
    client.issue_create(team.id, "[test] first", id=issue_id)
    with pytest.raises(ConflictOnInsertError) as info:
        client.issue_create(team.id, "[test] second", id=issue_id)
    assert info.value.entity_id == issue_id
    assert client.issue(issue_id).title == "[test] first"


def test_gateway_after_commit(env):
    fake, client, team, clock = env
    fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
    with pytest.raises(GatewayError) as info:
        client.issue_create(team.id, "[test] committed anyway")
    assert info.value.status == 502 and info.value.html
    assert [i.title for i in client.iter_issues()] == ["[test] committed anyway"]


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("connection_reset", "read"), ("read_timeout", "timeout"), ("truncated_body", "truncated")],
)
def test_transport_faults(env, fault, kind):
    fake, client, team, clock = env
    fake.faults.transport_fault(fault, times=1)
    with pytest.raises(TransportError) as info:
        client.viewer()
    assert info.value.kind == kind
    assert client.viewer().id  # only once


def test_rate_limit_headers(env):
    fake, client, team, clock = env
    fake.faults.rate_limit(per_hour=2)
    with pytest.raises(RateLimitedError) as info:
        for _ in range(5):
            client.viewer()
    assert info.value.reset_at and info.value.reset_at > clock.now() and info.value.remaining == 0


def test_auth_and_validation(env):
    fake, client, team, clock = env
    with pytest.raises(AuthenticationError) as info:
        LinearClient("lin_api_unknownunknown", url=URL).viewer()
    assert info.value.status == 401
    with pytest.raises(GraphQLValidationError):
        client.execute("query { viewer { noSuchField } }")
    with pytest.raises(LinearError, match="250"):
        # A bare list: the client's full ISSUES document at 251 per page is over Linear's
        # 10,000-point complexity limit (labels default to 50 per issue) and is refused first.
        client.execute("query { issues(first: 251) { nodes { id } } }")
    with pytest.raises(LinearError, match="Query too complex"):
        client.issues(first=250)


def test_async_client_against_the_fake(env):
    fake, client, team, clock = env

    async def run():
        async with AsyncLinearClient(fake.tokens[0], url=URL) as c:
            issue = await c.issue_create(team.id, "[test] async")
            assert (await c.issue(issue.identifier)).id == issue.id
            return [i.id async for i in c.iter_issues(page_size=1)]

    ids = asyncio.run(run())
    assert len(ids) == 1
