"""The promoter against the flaky fake (in-process, respx): one test per window.

Each test predicts the exact number of issues per finding from what was injected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client import CollectorRegistry

from fakelinear.handler import FakeLinear
from fakelinear.transports.mock import mock_linear
from promoter.findings import Finding, parse_finding_id
from promoter.linear import LinearClient
from promoter.promoter import LinearPromoter
from promoter.reconciler import Reconciler
from promoter.store.faulty import FaultyStore
from promoter.store.sqlite import SQLiteFindingStore

CLS = "lint"


def F(ref: str) -> Finding:
    return Finding(CLS, ref, "k", f"finding {ref}", f"detail of {ref}")


@dataclass
class Env:
    fake: FakeLinear
    client: LinearClient
    team_id: str
    store: FaultyStore

    def promoter(self, mode: str = "reference", **kw) -> LinearPromoter:
        kw.setdefault("registry", CollectorRegistry())
        return LinearPromoter(self.store, self.client, self.team_id, 3, mode=mode,
                              clock=self.fake.clock, **kw)

    def observe(self, refs: list[str], cycles: int = 1) -> None:
        for _ in range(cycles):
            self.store.observe(CLS, [F(r) for r in refs])

    def issues_per_finding(self) -> Counter:
        reader = LinearClient(self.fake.tokens[0])
        c = Counter(
            parse_finding_id(i.description)
            for i in reader.iter_issues(include_archived=True)
            if not i.trashed
        )
        c.pop(None, None)
        return c

    def creates(self) -> int:
        return len(self.fake.journal.entries(operation="issueCreate"))


@pytest.fixture
def env() -> Iterator[Env]:
    fake = FakeLinear(seed=7)
    with mock_linear(fake):
        client = LinearClient(fake.tokens[0])
        teams = client.teams().nodes
        team = teams[0] if teams else client.team_create("Promoter", key="PRO")
        store = FaultyStore(SQLiteFindingStore(now=fake.clock.now), clock=fake.clock)
        yield Env(fake, client, team.id, store)
        store.close()


def test_promotes_once_and_links(env: Env) -> None:
    env.observe(["a", "b"], cycles=3)
    p = env.promoter()
    assert p.promote_class(CLS).promoted == 2
    assert p.promote_class(CLS).promoted == 0
    assert env.issues_per_finding() == {F("a").finding_id: 1, F("b").finding_id: 1}
    for f in env.store.list_findings():
        issue = env.client.issue(f.issue_id)
        assert parse_finding_id(issue.description) == f.finding_id  # I4


def test_api_error_is_not_marked_and_retried_next_run(env: Env) -> None:
    env.observe(["a"], cycles=3)
    env.fake.faults.gateway_error(503, after_commit=False, times=1, on="issueCreate")
    p = env.promoter()
    r = p.promote_class(CLS)
    assert (r.api_errors, r.promoted) == (1, 0)
    assert env.store.get(F("a").finding_id).issue_id is None
    assert env.issues_per_finding() == {}
    assert p.promote_class(CLS).skipped_backoff == 0  # not fetched again in this cycle
    env.observe(["a"])  # the next cycle: retried
    assert p.promote_class(CLS).promoted == 1
    assert env.issues_per_finding() == {F("a").finding_id: 1}


@pytest.mark.parametrize(("mode", "expected"), [("reference", 2), ("idempotent", 1)])
def test_write_back_failure(env: Env, mode: str, expected: int) -> None:
    env.observe(["a"], cycles=3)
    env.store.fail_set_linear_issue_id(times=1)
    p = env.promoter(mode)
    r1 = p.promote_class(CLS)
    assert r1.orphaned == 1 and r1.promoted == 0
    r2 = p.promote_class(CLS)
    # reference: each counted orphan predicts one duplicate; idempotent: recovered, none.
    predicted = 1 + r1.orphaned if mode == "reference" else 1
    assert predicted == expected
    assert env.issues_per_finding() == {F("a").finding_id: expected}
    assert (r2.promoted, r2.recovered) == ((1, 0) if mode == "reference" else (0, 1))
    assert env.store.get(F("a").finding_id).issue_id is not None


@pytest.mark.parametrize(("mode", "expected"), [("reference", 2), ("idempotent", 1)])
def test_commit_then_fail(env: Env, mode: str, expected: int) -> None:
    env.observe(["a"], cycles=3)
    env.fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
    p = env.promoter(mode)
    assert p.promote_class(CLS).api_errors == 1
    committed = env.fake.journal.entries(operation="issueCreate", committed=True)
    assert len(committed) == 1  # the 502 came after the write
    env.observe(["a"])  # the next cycle
    r2 = p.promote_class(CLS)
    assert env.issues_per_finding() == {F("a").finding_id: expected}
    if mode == "idempotent":
        assert r2.recovered == 1


def test_idempotent_commit_then_fail_with_read_lag(env: Env) -> None:
    env.observe(["a"], cycles=3)
    env.fake.faults.read_lag(seconds=5.0)
    env.fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
    p = env.promoter("idempotent")
    p.promote_class(CLS)
    env.observe(["a"])
    r = p.promote_class(CLS)
    assert r.recovered == 1
    assert env.issues_per_finding() == {F("a").finding_id: 1}


def test_idempotent_survives_phantom_conflicts(env: Env) -> None:
    env.observe(["a", "b"], cycles=3)
    env.fake.faults.phantom_conflicts(on="issueCreate", first=3)
    p = env.promoter("idempotent")
    results = []
    for _ in range(3):
        results.append(p.promote_class(CLS))
        env.observe(["a", "b"])
    assert env.issues_per_finding() == {F("a").finding_id: 1, F("b").finding_id: 1}
    assert sum(r.promoted + r.recovered for r in results) == 2
    phantoms = env.fake.journal.entries(operation="issueCreate", decision="phantom_conflict")
    assert len(phantoms) >= 3


def test_stale_reads_without_refresh_fire_a_cycle_late(env: Env) -> None:
    env.store.stale = True
    p = env.promoter()
    env.observe(["a"], cycles=2)
    assert p.promote_class(CLS).promoted == 0  # refreshed: streak 2 < 3
    env.observe(["a"])  # streak 3 now, but the index cannot be refreshed this run
    env.store.fail_refresh_index(times=1)
    r = p.promote_class(CLS)
    assert r.refresh_failed and r.promoted == 0 and env.creates() == 0
    env.observe(["a"])
    assert p.promote_class(CLS).promoted == 1  # one cycle late
    assert env.issues_per_finding() == {F("a").finding_id: 1}


def test_cap_limits_creates_per_run(env: Env) -> None:
    env.observe([str(i) for i in range(7)], cycles=3)
    p = env.promoter(max_per_run=5)
    r = p.promote_class(CLS)
    assert env.creates() == 5 and r.capped == 1
    p.promote_class(CLS)
    assert env.creates() == 7 and len(env.issues_per_finding()) == 7


def test_kill_switch_makes_zero_http_calls(env: Env) -> None:
    env.observe(["a"], cycles=3)
    before = len(env.fake.journal.entries())
    p = LinearPromoter(env.store, env.client, env.team_id, 0, registry=CollectorRegistry())
    env.store.calls.clear()
    r = p.promote_class(CLS)
    assert not r.enabled
    assert len(env.fake.journal.entries()) == before
    assert env.store.calls == []


def test_kill_switch_zero_calls_on_the_wire() -> None:
    fake = FakeLinear(seed=1)
    with mock_linear(fake) as _:
        import respx

        store = SQLiteFindingStore()
        store.observe(CLS, [F("a")])
        client = LinearClient(fake.tokens[0])
        with respx.mock(assert_all_called=False) as router:
            route = router.route()  # catches anything
            p = LinearPromoter(store, client, "team", 0, registry=CollectorRegistry())
            p.promote_class(CLS)
            assert route.call_count == 0


def test_reconcile_repairs_reference_duplicates(env: Env) -> None:
    env.observe(["a"], cycles=3)
    env.store.fail_set_linear_issue_id(times=1)
    p = env.promoter()
    p.promote_class(CLS)  # orphan
    env.store.fail_set_linear_issue_id(times=1)
    p.promote_class(CLS)  # another orphan
    assert env.issues_per_finding() == {F("a").finding_id: 2}
    report = Reconciler(env.store, env.client, env.team_id, page_size=1).run()
    assert (report.linked, report.duplicates_marked) == (1, 1)
    linked = env.store.get(F("a").finding_id)
    issues = sorted(
        (i for i in env.client.iter_issues(include_archived=True)),
        key=lambda i: i.created_at,
    )
    assert linked.issue_id == issues[0].id
    assert env.client.issue(issues[1].id).state_type == "canceled"
    assert Reconciler(env.store, env.client, env.team_id).run().repairs == 0


def test_reconcile_fails_closed_on_a_gateway_error_while_reading(env: Env) -> None:
    env.observe(["a"], cycles=3)
    env.store.fail_set_linear_issue_id(times=2)
    p = env.promoter()
    p.promote_class(CLS)
    p.promote_class(CLS)
    for i in range(3):
        env.client.issue_create(env.team_id, f"filler {i}", "no marker")
    writes_before = len(env.fake.journal.entries(committed=True))
    env.fake.faults.gateway_error(502, times=1, on="issues")
    from promoter.reconciler import ReconcileAborted

    with pytest.raises(ReconcileAborted):
        Reconciler(env.store, env.client, env.team_id, page_size=2).run()
    assert env.store.get(F("a").finding_id).issue_id is None
    assert len(env.fake.journal.entries(committed=True)) == writes_before


def test_cli_end_to_end_against_the_fake(env: Env, tmp_path, monkeypatch, capsys) -> None:
    import json

    import promoter.cli as cli

    monkeypatch.setenv("LINEAR_API_KEY", env.fake.tokens[0])
    db = f"sqlite:///{tmp_path}/cli.db"
    f = tmp_path / "f.jsonl"
    f.write_text(json.dumps({"ref_id": "a", "kind": "k", "title": "A"}) + "\n")
    for _ in range(3):
        assert cli.main(["observe", "--store", db, "--class", CLS, str(f)]) == 0
    key = env.client.issue(env.client.issue_create(env.team_id, "probe").id).identifier.split("-")[0]
    assert cli.main(["run", "--store", db, "--team", "NOPE", "--threshold", "3"]) == 2
    assert "unknown team 'NOPE'" in capsys.readouterr().err
    assert cli.main(["run", "--store", db, "--team", key, "--threshold", "3",
                     "--mode", "idempotent"]) == 0
    assert f"{CLS}: promoted=1" in capsys.readouterr().out
    assert cli.main(["reconcile", "--store", db, "--team", key]) == 0
    assert cli.main(["status", "--store", db]) == 0
    out = capsys.readouterr().out
    assert f"{key}-" in out
    assert env.fake.tokens[0] not in out
