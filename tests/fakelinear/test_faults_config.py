"""FaultConfig is the one owner of the fault configuration; rules are checked against the
schema the fake serves; decision scopes make a test's faults independent of what ran before."""

from __future__ import annotations

import httpx
import pytest

from fakelinear import FakeLinear
from fakelinear.faults import FaultConfig, FaultPlan, FaultPlanError, profile
from fakelinear.faults.validation import schema_root_fields
from fakelinear.transports.mock import mock_linear

CREATE = "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id } } }"


def test_configured_overrides_and_plan_in_force() -> None:
    events: list[tuple[str, dict[str, int]]] = []
    config = FaultConfig("linear-observed")
    config.on_change(lambda event, kept: events.append((event, kept)))
    base = len(config.plan.phantom_conflict)
    config.add({"phantom_conflict": {"on": "issueCreate", "first": 1}})
    assert len(config.plan.phantom_conflict) == base + 1 and config.has_overrides
    assert config.configured == profile("linear-observed")
    config.clear()
    assert config.plan == profile("linear-observed") and not config.has_overrides
    config.replace("calm")
    assert config.plan == profile("calm") and config.has_overrides
    config.clear()
    config.configure("storm")
    assert config.configured == config.plan == profile("storm")
    assert [e for e, _ in events] == ["add", "clear", "replace", "clear", "configure"]
    assert events[1][1]["phantom_conflict"] == base, "clear keeps the configured rules' state"
    assert events[3][1]["phantom_conflict"] == 0, "after replace no rule keeps its index"


def test_operation_names_checked_against_the_schema_served() -> None:
    fake = FakeLinear()
    roots = schema_root_fields(fake.api.schema)
    assert {"issueCreate", "teamCreate", "viewer", "issues"} <= roots
    with pytest.raises(FaultPlanError, match=r"unknown operation 'teamCreat' \(did you mean 'teamCreate'\?\)"):
        fake.faults.apply({"phantom_conflict": {"on": "teamCreat"}})
    with pytest.raises(FaultPlanError, match=r"'IssueCreate' \(did you mean 'issueCreate'\?\)"):
        fake.add_plan({"gateway": {"on": ["issues", "IssueCreate"]}})
    with pytest.raises(FaultPlanError, match="unknown operation"):
        FakeLinear(profile={"transport": {"on": "nope"}})
    with pytest.raises(FaultPlanError, match=r"unknown fault plan section 'gatway' \(did you mean 'gateway'\?\)"):
        fake.faults.apply({"gatway": {}})
    with pytest.raises(FaultPlanError, match=r"unknown field 'read_second' in lag \(did you mean 'read_seconds'\?\)"):
        fake.faults.apply({"lag": {"read_second": 1}})
    assert fake.plan == profile("calm"), "nothing half-applied"
    # Keywords and explicit client operation names are allowed.
    fake.faults.apply({"gateway": {"on": ["*", "create", "query", "mutation", "operation:MyOp"], "times": 0}})
    # Without a schema (a bare config) names are not checked.
    FaultConfig({"gateway": {"on": "anything"}})


def test_operation_prefix_matches_a_client_operation_name() -> None:
    with mock_linear(FakeLinear()) as fake, httpx.Client() as client:
        fake.faults.gateway_error(502, on="operation:Mine")
        headers = {"Authorization": fake.tokens[0]}
        url = "https://api.linear.app/graphql"
        assert client.post(url, json={"query": "query Other { viewer { id } }"}, headers=headers).status_code == 200
        assert client.post(url, json={"query": "query Mine { viewer { id } }"}, headers=headers).status_code == 502


def _scope_run(fake: FakeLinear, client: httpx.Client, team_id: str) -> list[tuple[str, str, int]]:
    start = fake.journal.last_seq
    ids = []
    for n in range(12):
        r = client.post(
            "https://api.linear.app/graphql",
            json={"query": CREATE, "variables": {"input": {"teamId": team_id, "title": f"t{n}"}}},
            headers={"Authorization": fake.tokens[0]},
        )
        body = r.json() if r.status_code == 200 else {}
        issue = ((body.get("data") or {}).get("issueCreate") or {}).get("issue") or {}
        ids.append(issue.get("id", "-"))
    return [(e.decision, ids[i], e.status) for i, e in enumerate(fake.journal.entries(since=start))]


def test_a_scope_gets_the_same_faults_and_ids_whatever_ran_before() -> None:
    plan = FaultPlan.from_dict({"phantom_conflict": [{"first": 2}, {"probability": 0.3}],
                                "gateway": {"probability": 0.2, "after_commit": True}})
    results = []
    for warmup in (0, 7):
        with mock_linear(FakeLinear(seed=9, profile=plan, plan="unlimited")) as fake, httpx.Client() as client:
            headers = {"Authorization": fake.tokens[0]}
            teams = client.post("https://api.linear.app/graphql", json={"query": "{ teams { nodes { id } } }"},
                                headers=headers).json()
            team_id = teams["data"]["teams"]["nodes"][0]["id"]
            fake.begin_scope("warmup")
            for _ in range(warmup):  # other tests' requests, and what they created
                _scope_run(fake, client, team_id)
                client.post("https://api.linear.app/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
            fake.faults.gateway_error(504)  # an override left behind: begin_scope drops it
            fake.begin_scope("tests/test_x.py::test_y")
            results.append(_scope_run(fake, client, team_id))
    assert results[0] == results[1]
    assert {d for d, _, _ in results[0]} >= {"passed", "phantom_conflict"}
    assert "gateway_before" not in {d for d, _, _ in results[0]}
