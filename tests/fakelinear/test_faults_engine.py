"""The fault engine on its own: stub operations, a VirtualClock, no HTTP.

Integration through the real handler and both transports is in test_faults_wire.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from fakelinear.api import schema_bundle
from fakelinear.api.visibility import ALWAYS_VISIBLE
from fakelinear.clock import VirtualClock
from fakelinear.faults import (
    FaultEngine,
    FaultOverrides,
    FaultPlan,
    Journal,
    RequestContext,
    profile,
)
from fakelinear.model import Record
from fakelinear.rng import Rng

KEY = "lin_api_" + "k" * 34 + "abc123"
OTHER = "lin_api_" + "o" * 34 + "zzz999"


@dataclass
class Op:
    """A stand-in for PreparedOperation."""

    root_fields: tuple[str, ...]
    operation_type: str = "mutation"
    operation_name: str | None = None
    document: Any = None

    @property
    def creates(self) -> tuple[tuple[str, str], ...]:
        """What the real schema says each root field creates."""
        bundle = schema_bundle()
        return tuple((r, t) for r in self.root_fields if (t := bundle.created_type(r)) is not None)

    @property
    def is_create(self) -> bool:
        return bool(self.creates)


@dataclass
class Outcome:
    result: dict[str, Any]
    committed: bool = False
    status: int = 200


@dataclass
class Harness:
    """An engine plus a recording ``execute``."""

    plan: FaultPlan
    seed: int = 0
    clock: VirtualClock = field(default_factory=VirtualClock)
    journal: Journal = field(default_factory=Journal)
    calls: int = 0
    team_created_at: Any = None

    def __post_init__(self) -> None:
        self.engine = FaultEngine(self.plan, Rng(self.seed), self.clock, self.journal, self.team_created_at)
        self.faults = FaultOverrides(self.engine.config)

    def send(self, root: str = "issueCreate", variables: dict | None = None, key: str = KEY,
             client_id: str | None = None, commits: bool | None = None):
        op = Op((root,), "query" if not root.endswith(("Create", "Update", "Delete")) else "mutation", root.title())
        ctx = RequestContext.build(key, "ws-1", op, f"mutation {{ {root}(input: $input) {{ success }} }}",
                                   variables if variables is not None else {"input": {"title": "a"}},
                                   client_id=client_id)
        writes = op.operation_type == "mutation" if commits is None else commits

        def execute(visibility):
            self.calls += 1
            self.visibility = visibility
            return Outcome({"data": {root: {"success": True}}}, committed=writes)

        return self.engine.process(ctx, execute)


def body(response) -> dict:
    return json.loads(response.body)


def titled(n: Any) -> dict:
    return {"input": {"title": f"t{n}"}}


def test_pass_through_journals_and_sends_headers() -> None:
    h = Harness(profile("calm"))
    r = h.send()
    assert r.status == 200 and body(r) == {"data": {"issueCreate": {"success": True}}}
    assert r.transport_fault is None and h.calls == 1 and h.visibility is ALWAYS_VISIBLE
    assert r.headers["x-ratelimit-requests-limit"] == "2500"
    assert r.headers["x-ratelimit-requests-remaining"] == "2499"
    assert "x-complexity" in r.headers
    (entry,) = h.journal.entries()
    assert entry.decision == "passed" and entry.committed and entry.status == 200
    assert entry.key_masked == "…abc123" and KEY not in h.journal.to_json()
    assert entry.root_fields == ("issueCreate",) and len(entry.body_hash) == 64


def test_phantom_conflict_exact_body_and_nothing_executed() -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts(on="issueCreate", times=1)
    r = h.send()
    assert r.status == 200 and h.calls == 0
    b = body(r)
    assert b["data"] is None
    (err,) = b["errors"]
    assert err["message"] == "conflict on insert of Issue"
    ext = err["extensions"]
    assert (ext["type"], ext["code"], ext["statusCode"], ext["userError"]) == ("invalid input", "INPUT_ERROR", 400, True)
    entity_id = ext["userPresentableMessage"].removeprefix("Entity Issue with id ").removesuffix(" already exists.")
    assert uuid.UUID(entity_id).version == 4
    (entry,) = h.journal.entries()
    assert (entry.decision, entry.committed, entry.error_code) == ("phantom_conflict", False, "INPUT_ERROR")
    assert entry.detail["entity_id"] == entity_id


@pytest.mark.parametrize(("root", "type_name"), [("teamCreate", "Team"), ("issueLabelCreate", "IssueLabel"),
                                                 ("issueBatchCreate", "Issue"), ("issueRelationCreate", "IssueRelation")])
def test_phantom_conflict_type_names(root: str, type_name: str) -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts()
    assert body(h.send(root))["errors"][0]["message"] == f"conflict on insert of {type_name}"


def test_phantom_conflict_http_400_selectable_and_on_filter() -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts(on="teamCreate", http_status=400)
    assert h.send("issueCreate").status == 200 and h.calls == 1
    assert h.send("teamCreate").status == 400 and h.calls == 1
    assert h.send("issues", commits=False).status == 200  # queries never conflict


def test_sticky_identical_body_stays_stuck_other_body_decided_afresh() -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts(on="issueCreate", times=1)  # fires once, sticks forever
    assert h.send(variables=titled("a")).status == 200 and h.calls == 0
    for _ in range(5):
        h.send(variables=titled("a"))
    assert h.calls == 0
    h.clock.advance(10 * 24 * 3600)
    h.send(variables=titled("a"))
    assert h.calls == 0, "sticky forever survives time"
    h.send(variables=titled("b"))
    assert h.calls == 1, "another title is decided afresh (the rule is spent)"
    decisions = [e.decision for e in h.journal.entries()]
    assert decisions == ["phantom_conflict"] * 7 + ["passed"]
    assert [e.detail.get("sticky", False) for e in h.journal.entries()][:7] == [False] + [True] * 6


def test_sticky_for_expires_on_the_virtual_clock() -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts(times=1, sticky_for=30)
    h.send()
    h.clock.advance(29)
    h.send()
    assert h.calls == 0
    h.clock.advance(1)
    h.send()
    assert h.calls == 1


def test_not_sticky_retry_is_decided_afresh() -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts(times=1, sticky_for=0)
    h.send()
    h.send()
    assert h.calls == 1


def test_cold_start_shape_three_failures_then_successes() -> None:
    h = Harness(FaultPlan())
    h.faults.phantom_conflicts(on="issueCreate", first=3)
    outcomes = ["conflict" if "errors" in body(h.send(variables=titled(i))) else "ok" for i in range(10)]
    assert outcomes == ["conflict"] * 3 + ["ok"] * 7
    # per key: another key gets its own cold start
    assert "errors" in body(h.send(variables=titled("x"), key=OTHER))


def test_cold_start_scope_client() -> None:
    h = Harness(FaultPlan.from_dict({"phantom_conflict": {"first": 2, "cold_start_scope": "client"}}))
    assert "errors" in body(h.send(variables=titled(1), client_id="a"))
    assert "errors" in body(h.send(variables=titled(2), client_id="a"))
    assert "data" in body(h.send(variables=titled(3), client_id="a"))
    assert "errors" in body(h.send(variables=titled(4), client_id="b")), "a fresh client session starts cold"


def test_probability_is_roughly_honoured() -> None:
    h = Harness(FaultPlan.from_dict({"phantom_conflict": {"probability": 0.3, "sticky_for": 0}}))
    for i in range(1000):
        h.send(variables=titled(i))
    conflicts = len(h.journal.entries(decision="phantom_conflict"))
    assert 230 < conflicts < 370


def test_gateway_before_writes_nothing() -> None:
    h = Harness(FaultPlan())
    h.faults.gateway_error(503, times=1)
    r = h.send()
    assert r.status == 503 and h.calls == 0
    assert r.headers["content-type"].startswith("text/html")
    assert b"<title>503 Service Temporarily Unavailable</title>" in r.body
    assert "x-ratelimit-requests-remaining" in r.headers
    (entry,) = h.journal.entries(decision="gateway_before")
    assert not entry.committed and entry.status == 503
    assert h.send().status == 200, "times=1 is consumed"


def test_gateway_after_commit_applies_the_write() -> None:
    h = Harness(FaultPlan())
    h.faults.gateway_error(502, after_commit=True, times=2, on="issueCreate")
    assert h.send("issues", commits=False).status == 200, "a query has nothing to commit"
    assert h.send("issueUpdate").status == 200, "on= filters"
    assert h.send("issueCreate", commits=False).status == 200, "a create that did not commit"
    r = h.send()
    assert r.status == 502 and h.calls == 4 and b"502 Bad Gateway" in r.body
    (entry,) = h.journal.entries(decision="gateway_after_commit")
    assert entry.committed and entry.status == 502
    assert h.send().status == 502
    assert h.send().status == 200


@pytest.mark.parametrize("kind", ["connection_reset", "read_timeout"])
def test_transport_faults_before_the_model(kind: str) -> None:
    h = Harness(FaultPlan())
    h.faults.transport_fault(kind, times=1)
    r = h.send()
    assert r.transport_fault == kind and h.calls == 0
    (entry,) = h.journal.entries(decision=f"transport:{kind}")
    assert not entry.committed and entry.status == 0
    assert h.send().transport_fault is None


def test_read_timeout_after_commit() -> None:
    h = Harness(FaultPlan())
    h.faults.transport_fault("read_timeout", after_commit=True, times=1)
    h.send("issues", commits=False)
    r = h.send()
    assert r.transport_fault == "read_timeout" and h.calls == 2
    assert h.journal.entries(decision="transport:")[0].committed


def test_truncated_body_cuts_a_real_answer() -> None:
    h = Harness(FaultPlan())
    h.faults.transport_fault("truncated_body", times=1)
    r = h.send()
    assert r.transport_fault == "truncated_body" and h.calls == 1
    assert body(r) == {"data": {"issueCreate": {"success": True}}}  # the transport cuts it
    assert h.journal.entries(decision="transport:truncated_body")[0].committed


def test_rate_limit_bucket_math_and_headers() -> None:
    h = Harness(FaultPlan())
    h.faults.rate_limit(per_hour=3)
    start = h.clock.now()
    remaining = [h.send("issues", commits=False).headers["x-ratelimit-requests-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    r = h.send("issues", commits=False)
    assert r.status == 400 and h.calls == 3
    b = body(r)
    ext = b["errors"][0]["extensions"]
    assert (ext["type"], ext["code"], ext["statusCode"]) == ("ratelimited", "RATELIMITED", 400)
    assert r.headers["x-ratelimit-requests-limit"] == "3"
    assert r.headers["x-ratelimit-requests-remaining"] == "0"
    # full bucket drains at 3/hour: empty again one hour later (epoch ms)
    assert int(r.headers["x-ratelimit-requests-reset"]) == int((start + 3600) * 1000)
    assert h.send("issues", key=OTHER, commits=False).status == 200, "buckets are per key"
    h.clock.advance(1199)
    assert h.send("issues", commits=False).status == 400
    h.clock.advance(1)  # one request leaks out every 1200 s
    assert h.send("issues", commits=False).status == 200
    assert h.send("issues", commits=False).status == 400
    entries = h.journal.entries(decision="rate_limited")
    assert len(entries) == 3 and all(e.error_code == "RATELIMITED" and not e.committed for e in entries)


def test_calm_never_refuses_but_reports() -> None:
    h = Harness(profile("calm"))
    h.engine.config.configure(h.plan.merge({"rate_limit": {"per_hour": 2}}))
    statuses = {h.send("issues", commits=False).status for _ in range(5)}
    assert statuses == {200}
    assert h.send("issues", commits=False).headers["x-ratelimit-requests-remaining"] == "0"


def Ent(entity_id: str, created_at: float, kind: str = "Issue", team_id: str | None = None) -> Record:  # noqa: N802
    """A stored record as the lag policy sees it."""
    return Record({"__typename": kind, "id": entity_id, "createdAt": created_at, "teamId": team_id})


def test_read_lag_in_virtual_seconds() -> None:
    h = Harness(FaultPlan())
    h.faults.read_lag(seconds=2)
    t0 = h.clock.now()
    issue = Ent("i1", t0)
    vis = h.engine.visibility("ws-1")
    assert not vis.visible(issue, "read") and not vis.visible(issue, "list")
    assert vis.visible(Ent("s", t0, kind="WorkflowState"), "read"), "workflow states never lag"
    h.clock.advance(2)
    assert h.engine.visibility("ws-1").visible(issue, "read")


def test_read_lag_in_reads() -> None:
    h = Harness(FaultPlan())
    h.faults.read_lag(reads=2)
    issue = Ent("i1", h.clock.now())
    vis = h.engine.visibility("ws-1")
    assert [vis.visible(issue, "read") for _ in range(4)] == [False, False, True, True]


def test_search_lag_longer_and_longer_still_in_new_teams() -> None:
    teams = {"old": 0.0, "new": None}
    h = Harness(FaultPlan(), team_created_at=lambda ws, team: teams.get(team))
    h.faults.read_lag(seconds=1).search_lag(seconds=30, new_team_window=600, new_team_extra=60)
    t0 = h.clock.now()
    teams["new"] = t0 - 10
    old_team_issue = Ent("a", t0, team_id="old")
    new_team_issue = Ent("b", t0, team_id="new")
    h.clock.advance(5)
    vis = h.engine.visibility("ws-1")
    assert vis.visible(old_team_issue, "read") and not vis.visible(old_team_issue, "search")
    h.clock.advance(25)
    vis = h.engine.visibility("ws-1")
    assert vis.visible(old_team_issue, "search") and not vis.visible(new_team_issue, "search")
    h.clock.advance(60)
    assert h.engine.visibility("ws-1").visible(new_team_issue, "search")


def test_execute_gets_the_lag_policy() -> None:
    h = Harness(profile("linear-observed"))
    h.faults.clear()
    h.send("issues", commits=False)
    assert h.visibility is not ALWAYS_VISIBLE


def test_clear_drops_overrides_and_their_state() -> None:
    h = Harness(profile("calm"))
    h.faults.phantom_conflicts()
    assert h.faults.plan.phantom_conflict
    h.send()
    h.faults.clear()
    assert h.faults.plan == profile("calm")
    h.send()
    assert h.calls == 1, "the stuck body is released with its rule"


def test_journal_queries() -> None:
    h = Harness(FaultPlan())
    h.faults.gateway_error(502, after_commit=True, times=1, on="teamCreate")
    h.send("issueCreate")
    h.send("teamCreate")
    h.send("issues", commits=False)
    j = h.journal
    assert [e.operation_name for e in j.entries(operation="teamCreate")] == ["Teamcreate"]
    assert len(j.entries(committed=True)) == 2
    assert len(j.entries(decision="fault")) == 1
    assert len(j.entries(decision="passed", committed=False)) == 1
    data = json.loads(j.to_json())
    assert [d["seq"] for d in data] == [1, 2, 3]


def _run(seed: int, plan: FaultPlan) -> list[dict]:
    h = Harness(plan, seed=seed)
    for i in range(300):
        key = KEY if i % 3 else OTHER
        root = ("issueCreate", "teamCreate", "issues", "issueUpdate")[i % 4]
        h.send(root, variables=titled(i % 17), key=key)
        h.clock.advance(1)
    return [{k: v for k, v in e.to_dict().items()} for e in h.journal.entries()]


def test_determinism_same_seed_same_journal() -> None:
    storm = profile("storm")
    a, b = _run(7, storm), _run(7, storm)
    assert a == b
    assert {e["decision"] for e in a} > {"passed", "phantom_conflict"}
    assert _run(8, storm) != a


def test_model_lookup_for_new_team_search_lag() -> None:
    from fakelinear.handler import FakeLinear

    fake = FakeLinear(seed=3, plan="unlimited")
    ws = fake.workspace_for(fake.tokens[0])
    team = ws.create("Team", name="Fresh")
    engine = FaultEngine(FaultPlan.from_dict({"lag": {"search_seconds": 10, "new_team_window": 600,
                                                       "new_team_search_extra": 50}}),
                         Rng(0), fake.clock, Journal(), model=fake.model)
    issue = Ent("i", fake.clock.now(), team_id=team.id)
    fake.advance(30)
    assert not engine.visibility(ws.id).visible(issue, "search")
    assert engine.visibility(ws.id).visible(Ent("j", fake.clock.now() - 30, team_id="unknown"), "search")
    fake.advance(30)
    assert engine.visibility(ws.id).visible(issue, "search")


def test_overrides_calm_and_apply() -> None:
    h = Harness(profile("storm"))
    h.faults.calm()
    assert h.faults.plan.is_calm
    for i in range(50):
        h.send(variables=titled(i))
    assert {e.decision for e in h.journal.entries()} == {"passed"}
    h.faults.apply({"gateway": {"status": 504, "times": 1}})
    assert h.send().status == 504
    h.faults.clear()
    assert h.faults.plan == profile("storm")

