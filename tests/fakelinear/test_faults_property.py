"""Faults never corrupt state: for random fault plans and request sequences, the fake's
state equals a plain reference model fed exactly the mutations the journal says committed.

Requests go through ``FakeLinear.handle`` (the seam both transports share). Client-supplied
ids make every mutation replayable on the reference without reading responses, which may
be faults.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakelinear.handler import FakeLinear
from fakelinear.http import Request

TEAM_IDS = [str(uuid.UUID(int=0xA000 + i, version=4)) for i in range(3)]
ISSUE_IDS = [str(uuid.UUID(int=0xB000 + i, version=4)) for i in range(5)]

QUERIES = {
    "teamCreate": "mutation($input: TeamCreateInput!) { teamCreate(input: $input) { success } }",
    "issueCreate": "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success } }",
    "issueUpdate": "mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }",
    "issueArchive": "mutation($id: String!) { issueArchive(id: $id) { success } }",
    "issueDelete": "mutation($id: String!) { issueDelete(id: $id) { success } }",
    "issues": "query { issues(first: 50) { nodes { id title } } }",
}

titles = st.sampled_from(["alpha", "beta", "gamma", "delta"])
ops = st.one_of(
    st.builds(lambda i: ("teamCreate", {"input": {"id": TEAM_IDS[i], "name": f"Team {i}", "key": f"T{i}"}}),
              st.integers(0, 2)),
    st.builds(lambda i, t, title: ("issueCreate", {"input": {"id": ISSUE_IDS[i], "teamId": TEAM_IDS[t], "title": title}}),
              st.integers(0, 4), st.integers(0, 2), titles),
    st.builds(lambda i, title: ("issueUpdate", {"id": ISSUE_IDS[i], "input": {"title": title}}), st.integers(0, 4), titles),
    st.builds(lambda i: ("issueArchive", {"id": ISSUE_IDS[i]}), st.integers(0, 4)),
    st.builds(lambda i: ("issueDelete", {"id": ISSUE_IDS[i]}), st.integers(0, 4)),
    st.just(("issues", {})),
)
probability = st.sampled_from([0.0, 0.2, 0.5, 1.0])
plans = st.fixed_dictionaries(
    {
        "phantom_conflict": st.lists(
            st.fixed_dictionaries({"probability": probability, "first": st.integers(0, 3),
                                   "sticky_for": st.sampled_from([0.0, 10.0, 1e9])}),
            max_size=2),
        "gateway": st.lists(
            st.fixed_dictionaries({"status": st.sampled_from([502, 503, 504]), "probability": probability,
                                   "after_commit": st.booleans()}),
            max_size=3),
        "transport": st.lists(
            st.fixed_dictionaries({"kind": st.sampled_from(["connection_reset", "read_timeout", "truncated_body"]),
                                   "probability": probability, "after_commit": st.booleans()}),
            max_size=2),
        "rate_limit": st.fixed_dictionaries({"enforce": st.booleans(), "per_hour": st.sampled_from([10, 60, 2500])}),
        "lag": st.fixed_dictionaries({"read_seconds": st.sampled_from([0.0, 5.0]), "read_count": st.integers(0, 2)}),
    }
)
steps = st.lists(st.tuples(ops, st.sampled_from([0, 0, 1, 30, 600])), min_size=1, max_size=25)


class Reference:
    """The plain model: dicts, and Linear's semantics for the five mutations we send."""

    def __init__(self, teams: dict[str, str], issues: dict[str, dict[str, Any]]) -> None:
        # Starts from the fake's initial state (a new workspace comes with a team).
        self.teams = dict(teams)
        self.issues = {k: dict(v) for k, v in issues.items()}

    def apply(self, op: str, v: dict[str, Any]) -> None:
        if op == "teamCreate":
            self.teams[v["input"]["id"]] = v["input"]["name"]
        elif op == "issueCreate":
            i = v["input"]
            self.issues[i["id"]] = {"title": i["title"], "team": i["teamId"], "hidden": False}
        elif op == "issueUpdate":
            self.issues[v["id"]]["title"] = v["input"]["title"]
        elif op in ("issueArchive", "issueDelete"):
            self.issues[v["id"]]["hidden"] = True

    def state(self) -> tuple[dict, dict]:
        return self.teams, self.issues


def fake_state(fake: FakeLinear) -> tuple[dict, dict]:
    ws = fake.workspace_for(fake.tokens[0])
    teams = {t.id: t.name for t in ws.store["Team"].values()}
    issues = {
        i.id: {"title": i.title, "team": i.team_id, "hidden": i.archived_at is not None or bool(getattr(i, "trashed", False))}
        for i in ws.store["Issue"].values()
    }
    return teams, issues


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans, sequence=steps, seed=st.integers(0, 1000))
def test_faults_never_corrupt_state(plan: dict[str, Any], sequence: list, seed: int) -> None:
    fake = FakeLinear(seed=seed, profile=plan, plan="unlimited")
    token = fake.tokens[0]
    reference = Reference(*fake_state(fake))
    sent: list[tuple[str, dict[str, Any]]] = []
    for (op, variables), pause in sequence:
        fake.advance(pause)
        body = json.dumps({"query": QUERIES[op], "variables": variables}).encode()
        fake.handle(Request("POST", "/graphql", {"authorization": token, "content-type": "application/json"}, body))
        sent.append((op, variables))
    entries = fake.journal.entries()
    assert len(entries) == len(sent), "one journal entry per request"
    for entry, (op, variables) in zip(entries, sent, strict=True):
        assert entry.root_fields == (op,)
        if entry.committed:
            reference.apply(op, variables)
        if entry.decision != "passed" and not entry.decision.startswith(("gateway_after", "transport:")):
            assert not entry.committed, entry
    assert fake_state(fake) == reference.state()
