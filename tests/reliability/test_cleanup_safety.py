"""The cleanup's safety: ``cleanup_workspace`` without ``all`` never deletes (trashes,
archives) a resource that is not test-marked, on faker-populated workspaces.

Test-marked (the sweep's documented rule): a name/title starting with ``[test]``; an issue or
label in a ``[test]`` team; a project whose teams are all ``[test]`` teams. Hypothesis adds
look-alike names (``[TEST]``, `` [test]``, ``[tests]``, ``x [test]``...) and mixes test and
real teams; everything runs in-process on a virtual clock.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakelinear.handler import FakeLinear
from fakelinear.model.errors import InvalidInput
from fakelinear.testkit.names import is_test_name
from fakelinear.testkit.workspace import cleanup_workspace
from fakelinear.transports.mock import to_httpx_response, to_request
from promoter.linear.client import LinearClient

PREFIXES = ["[test] ", "[test]", " [test] ", "[TEST] ", "[test", "test ", "x [test] ", "[tests] ", "", "Fix "]
NAME = st.tuples(st.sampled_from(PREFIXES), st.text(alphabet="abcdefghxyz", min_size=1, max_size=8)).map("".join)
NAMES = st.lists(NAME, max_size=4, unique_by=lambda n: n.strip().lower())
KINDS = ("Issue", "Document", "Project", "IssueLabel", "Team")


def _client(fake: FakeLinear) -> LinearClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return to_httpx_response(fake.handle(to_request(request)), request)

    return LinearClient(fake.tokens[0], url="https://api.linear.app/graphql", transport=httpx.MockTransport(handler))


def _name(entity: Any) -> str:
    return getattr(entity, "title", None) or getattr(entity, "name", "")


def _marked(ws: Any, entity: Any, test_teams: set[str]) -> bool:
    if is_test_name(_name(entity)):
        return True
    if entity.kind in ("Issue", "IssueLabel") and getattr(entity, "team_id", None) in test_teams:
        return True
    team_ids = set(getattr(entity, "team_ids", ()) or ())
    return entity.kind == "Project" and bool(team_ids) and team_ids <= test_teams


def _live(entity: Any) -> tuple[Any, Any]:
    return getattr(entity, "archived_at", None), getattr(entity, "trashed", None)


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), seed=st.integers(0, 10_000))
def test_cleanup_without_all_deletes_only_test_marked_resources(data: st.DataObject, seed: int) -> None:
    fake = FakeLinear(seed=seed, workspaces=1, plan="unlimited", seed_content=True)
    ws = fake.workspace_for(fake.tokens[0])
    teams = [ws.team("ENG")]
    for n, name in enumerate(data.draw(st.lists(NAME, min_size=1, max_size=3, unique_by=lambda n: n.strip().lower()), label="teams")):
        teams.append(ws.create("Team", name=name, key=f"T{n}X"))
    projects = []
    for name in data.draw(NAMES, label="projects"):
        chosen = data.draw(st.lists(st.sampled_from(teams), min_size=1, max_size=2, unique_by=lambda t: t.id))
        projects.append(ws.create("Project", name=name, teamIds=[t.id for t in chosen]))
    for name in data.draw(st.lists(NAME, max_size=6), label="issues"):
        team = data.draw(st.sampled_from(teams))
        ws.create("Issue", teamId=team.id, title=name)
    for name in data.draw(NAMES, label="labels"):
        team = data.draw(st.none() | st.sampled_from(teams))
        with contextlib.suppress(InvalidInput):  # a name the seed content already uses
            ws.create("IssueLabel", name=name, teamId=team.id if team else None)
    for name in data.draw(NAMES, label="documents"):
        project = data.draw(st.none() | st.sampled_from(projects)) if projects else None
        ws.create("Document", title=name, projectId=project.id if project else None)

    test_teams = {t.id for t in ws.list("Team", True) if is_test_name(t.name)}
    before = {
        (kind, e.id): (_marked(ws, e, test_teams), _live(e), _name(e))
        for kind in KINDS
        for e in ws.store[kind].values()
    }
    comments_before = {c.id: c.issue_id for c in ws.store["Comment"].values()}
    assert any(not marked for marked, _, _ in before.values())  # faker content is there

    client = _client(fake)
    report = cleanup_workspace(client, all=False, clock=fake.clock)
    client.close()
    assert report.ok, report.failures

    for (kind, entity_id), (marked, live, name) in before.items():
        if marked:
            continue
        entity = ws.store[kind].get(entity_id)
        assert entity is not None, f"cleanup removed non-test {kind} {name!r}"
        assert _live(entity) == live, f"cleanup trashed/archived non-test {kind} {name!r}"
    for comment_id, issue_id in comments_before.items():
        owner = before.get(("Issue", issue_id))
        if owner is not None and not owner[0]:
            assert comment_id in ws.store["Comment"], "cleanup removed a comment of a non-test issue"
    removed = {r.id for rs in report.removed.values() for r in rs}
    assert all(before[(k, i)][0] for (k, i) in before if i in removed)
    # And it did its job: no live [test]-named issue, document or project is left.
    for kind in ("Issue", "Document", "Project"):
        for e in ws.store[kind].values():
            assert not (is_test_name(_name(e)) and _live(e) == (None, None)), f"{kind} {_name(e)!r} left behind"


def test_dry_run_changes_nothing() -> None:
    fake = FakeLinear(seed=2, workspaces=1, plan="unlimited", seed_content=True)
    ws = fake.workspace_for(fake.tokens[0])
    ws.create("Issue", teamId=ws.team("ENG").id, title="[test] leftover")
    before = fake.snapshot()
    client = _client(fake)
    report = cleanup_workspace(client, all=False, dry_run=True, clock=fake.clock)
    client.close()
    assert report.counts()["issues"] == 1
    assert fake.snapshot() == before
