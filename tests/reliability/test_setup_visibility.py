"""Setup content of a fresh fake is not "just created": it should be visible at once.

Found while writing the load benchmark: under ``linear-observed`` (read lag 2 s) a fresh
workspace lists no teams and no issues until the clock moves past ``read_seconds``, because
the default team and the seed content are lagged like entities a client just created. On
loopback with ``--virtual-clock`` they stay invisible until someone advances the clock. A real
workspace's default team is never "new" to its first client.
"""

from __future__ import annotations

import json

from fakelinear.handler import FakeLinear
from tests.reliability.conftest import gql


def test_fresh_workspace_lists_its_default_team_and_seed_content_at_once() -> None:
    fake = FakeLinear(seed=1, workspaces=1, profile="linear-observed", seed_content=True)
    token = fake.tokens[0]
    _, teams = gql(fake, token, "{ teams { nodes { key } } }")
    _, issues = gql(fake, token, "{ issues(first: 3) { nodes { id } } }")
    assert teams["data"]["teams"]["nodes"], json.dumps(teams)
    assert issues["data"]["issues"]["nodes"], json.dumps(issues)


def test_entities_a_client_creates_are_still_lagged() -> None:
    """The other half of the contract (F4), which a fix must keep."""
    fake = FakeLinear(seed=1, workspaces=1, profile="linear-observed")
    token = fake.tokens[0]
    fake.advance(60)  # past any lag on the setup content
    team_id = fake.workspace_for(token).team("ENG").id
    created = None
    for n in range(10):  # the cold-start window makes the first creates phantom-conflict
        _, body = gql(fake, token, "mutation C($i: IssueCreateInput!) { issueCreate(input: $i) { issue { id } } }",
                      {"i": {"teamId": team_id, "title": f"lagged {n}"}})
        if body.get("data"):
            created = body["data"]["issueCreate"]["issue"]["id"]
            break
    assert created is not None
    _, read = gql(fake, token, "query R($id: String!) { issue(id: $id) { id } }", {"id": created})
    assert read.get("errors"), read  # not yet visible
    fake.advance(5)
    _, read = gql(fake, token, "query R($id: String!) { issue(id: $id) { id } }", {"id": created})
    assert read["data"]["issue"]["id"] == created
