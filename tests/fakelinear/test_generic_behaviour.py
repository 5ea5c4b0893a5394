"""Generic kinds get everything hand-modelled ones get: filters read off the ``*Filter``
input shapes (comparators, and/or, nested relations, some/every/length on collections),
related lists by reference, cascades, and faults and lag on every operation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakelinear.handler import FakeLinear
from fakelinear.http import Request


def send(fake: FakeLinear, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = fake.handle(Request("POST", "/graphql", {"authorization": fake.tokens[0],
                                                        "content-type": "application/json"}, body, b""))
    return json.loads(response.body)  # type: ignore[no-any-return]


def data(fake: FakeLinear, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    out = send(fake, query, variables)
    assert "errors" not in out, out
    return out["data"]  # type: ignore[no-any-return]


@pytest.fixture
def fake() -> FakeLinear:
    fake = FakeLinear(seed=12, plan="unlimited")
    ws = fake.workspace_for(fake.tokens[0])
    eng, ops = ws.team("ENG"), ws.create("Team", name="Ops", key="OPS")
    for n, (team, days) in enumerate([(eng, 0), (eng, 14), (ops, 0)], start=1):
        ws.create("Cycle", teamId=team.id, name=f"C{n}", number=float(n),
                  startsAt=1767603600.0 + days * 86400, endsAt=1767603600.0 + (days + 14) * 86400)
    project = ws.create("Project", name="Apollo", teamIds=[eng.id])
    for name in ("Design", "Build", "Ship"):
        ws.create("ProjectMilestone", projectId=project.id, name=name)
    issue = ws.create("Issue", teamId=eng.id, title="with links")
    for title in ("CI run", "Sentry event"):
        ws.create("Attachment", issueId=issue.id, url=f"https://example.com/{title}", title=title)
    ws.drain_changes()
    return fake


def names(conn: dict[str, Any], key: str = "name") -> list[str]:
    return [n[key] for n in conn["nodes"]]


def test_generic_filters_follow_the_input_shapes(fake: FakeLinear) -> None:
    q = "query($f: CycleFilter) { cycles(filter: $f) { nodes { name } } }"
    assert names(data(fake, q, {"f": {"team": {"key": {"eq": "OPS"}}}})["cycles"]) == ["C3"]
    assert names(data(fake, q, {"f": {"number": {"gte": 2}}})["cycles"]) == ["C2", "C3"]
    assert names(data(fake, q, {"f": {"or": [{"name": {"eq": "C1"}}, {"name": {"endsWith": "3"}}]}})["cycles"]) == ["C1", "C3"]
    assert names(data(fake, q, {"f": {"startsAt": {"gt": "2026-01-10T00:00:00Z"}}})["cycles"]) == ["C2"]
    assert names(data(fake, q, {"f": {"name": {"in": ["C2", "C9"]}, "team": {"name": {"containsIgnoreCase": "engin"}}}})["cycles"]) == ["C2"]
    m = "query($f: ProjectMilestoneFilter) { projectMilestones(filter: $f) { nodes { name } } }"
    assert names(data(fake, m, {"f": {"project": {"name": {"startsWith": "Apo"}}, "name": {"neq": "Build"}}})["projectMilestones"]) == ["Design", "Ship"]
    i = "query($f: IssueFilter) { issues(filter: $f) { nodes { title } } }"
    hit = {"attachments": {"some": {"title": {"eq": "CI run"}}}}
    assert names(data(fake, i, {"f": hit})["issues"], "title") == ["with links"]
    assert names(data(fake, i, {"f": {"attachments": {"every": {"title": {"contains": "CI"}}}}})["issues"], "title") == []
    assert names(data(fake, i, {"f": {"attachments": {"length": {"eq": 2}}}})["issues"], "title") == ["with links"]
    bad = send(fake, i, {"f": {"createdAt": {"lt": "not a date"}}})
    assert bad["errors"][0]["extensions"]["code"] == "INPUT_ERROR"


def test_related_lists_and_cascades_follow_references(fake: FakeLinear) -> None:
    team = data(fake, '{ team(id: "ENG") { cycles { nodes { name } } } }')["team"]
    assert names(team["cycles"]) == ["C1", "C2"]
    project = data(fake, "{ projects { nodes { id projectMilestones(first: 2) { nodes { name }"
                         " pageInfo { hasNextPage } } } } }")["projects"]["nodes"][0]
    assert names(project["projectMilestones"]) == ["Design", "Build"]
    assert project["projectMilestones"]["pageInfo"]["hasNextPage"] is True
    issue = data(fake, '{ issue(id: "ENG-1") { attachments { nodes { title } } } }')["issue"]
    assert names(issue["attachments"], "title") == ["CI run", "Sentry event"]
    # A permanent delete takes what needs the issue (attachments) with it.
    data(fake, 'mutation { issueDelete(id: "ENG-1", permanentlyDelete: true) { success } }')
    assert data(fake, "{ attachments { nodes { id } } }")["attachments"]["nodes"] == []


def test_faults_and_lag_apply_to_generic_creates(fake: FakeLinear) -> None:
    fake.faults.phantom_conflicts(on="cycleCreate", first=1)
    create = ('mutation { cycleCreate(input: {teamId: "ENG", startsAt: "2026-03-01", endsAt: "2026-03-14",'
              ' name: "C4"}) { success cycle { id } } }')
    phantom = send(fake, create)
    assert phantom["errors"][0]["message"] == "conflict on insert of Cycle"
    assert phantom["data"] is None
    fake.faults.clear()
    fake.faults.read_lag(seconds=5)
    made = data(fake, create)["cycleCreate"]["cycle"]["id"]
    hidden = send(fake, "query($id: String!) { cycle(id: $id) { id } }", {"id": made})
    assert hidden["errors"][0]["message"] == "Entity not found: Cycle"
    assert "C4" not in names(data(fake, "{ cycles { nodes { name } } }")["cycles"])
    fake.advance(6)
    assert data(fake, "query($id: String!) { cycle(id: $id) { name } }", {"id": made})["cycle"]["name"] == "C4"
