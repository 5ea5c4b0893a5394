"""Replicas racing on PostgreSQL against the fake: zero duplicates in idempotent mode.

Each replica is a thread with its own store connection and its own ``LinearClient``; they
share one PostgreSQL schema and one fake Linear workspace.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from fakelinear.handler import FakeLinear
from fakelinear.transports.mock import mock_linear
from promoter.findings import Finding, parse_finding_id
from promoter.linear import LinearClient
from promoter.promoter import LinearPromoter
from promoter.store.url import open_store

pytestmark = pytest.mark.postgres
psycopg = pytest.importorskip("psycopg")

N = 10


@pytest.fixture
def pg_url(pg_dsn: str) -> Iterator[str]:
    schema = f"r_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in pg_dsn else "?"
    yield f"{pg_dsn}{sep}schema={schema}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _run(pg_url: str, replicas: int, claim_ttl: float, faults: str) -> tuple[Counter, list]:
    fake = FakeLinear(seed=11)
    with mock_linear(fake):
        admin = LinearClient(fake.tokens[0])
        teams = admin.teams().nodes
        team = teams[0] if teams else admin.team_create("Promoter", key="PRO")
        setup = open_store(pg_url, now=fake.clock.now)
        findings = [Finding("C", str(i), "k", f"t{i}", "") for i in range(N)]
        for _ in range(3):
            setup.observe("C", findings)
        if faults == "commit-then-fail":
            fake.faults.gateway_error(502, after_commit=True, probability=0.3, on="issueCreate")
        elif faults == "phantoms":
            fake.faults.phantom_conflicts(on="issueCreate", first=3)
        barrier = threading.Barrier(replicas, timeout=60)
        errors: list[BaseException] = []
        results: list = []

        def replica(i: int) -> None:
            store = open_store(pg_url, now=fake.clock.now)
            client = LinearClient(fake.tokens[0])
            p = LinearPromoter(store, client, team.id, 3, max_per_run=N, mode="idempotent",
                               owner=f"replica-{i}", claim_ttl=claim_ttl, clock=fake.clock,
                               registry=CollectorRegistry())
            try:
                barrier.wait()
                for _ in range(4):
                    results.append(p.promote_class("C"))
                    # Every replica has run; one new cycle (a failed create waits for it).
                    if barrier.wait() == 0:
                        setup.observe("C", findings)
                    barrier.wait()
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                store.close()

        threads = [threading.Thread(target=replica, args=(i,)) for i in range(replicas)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        fake.faults.clear()
        counts = Counter(
            parse_finding_id(i.description)
            for i in admin.iter_issues(include_archived=True)
            if not i.trashed
        )
        rows = setup.list_findings("C")
        for r in rows:  # I1 + I4
            assert r.issue_id is not None
            assert parse_finding_id(admin.issue(r.issue_id).description) == r.finding_id
        setup.close()
    return counts, results


@pytest.mark.parametrize("replicas", [2, 4])
@pytest.mark.parametrize("claim_ttl", [300.0, 0.0], ids=["claims", "claims-defeated"])
@pytest.mark.parametrize("faults", ["none", "commit-then-fail", "phantoms"])
def test_racing_replicas_file_each_finding_exactly_once(
    pg_url: str, replicas: int, claim_ttl: float, faults: str
) -> None:
    counts, _ = _run(pg_url, replicas, claim_ttl, faults)
    assert len(counts) == N
    assert set(counts.values()) == {1}, counts  # I3: one live issue per finding
