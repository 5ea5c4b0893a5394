"""The PostgreSQL store: the same contract as SQLite, claims, and racing replicas."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from promoter.findings import Finding, parse_finding_id
from promoter.promoter import LinearPromoter
from promoter.store.url import open_store
from tests.promoter.fakes import FakeClient, LockedClient

pytestmark = pytest.mark.postgres

psycopg = pytest.importorskip("psycopg")


def F(ref: str, cls: str = "C") -> Finding:
    return Finding(cls, ref, "k", f"title {ref}", "")


@pytest.fixture
def pg_url(pg_dsn: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in pg_dsn else "?"
    yield f"{pg_dsn}{sep}schema={schema}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def streaks(store) -> dict[str, int]:
    return {f.ref_id: f.streak for f in store.list_findings()}


def test_contract_streaks_fetch_link(pg_url: str) -> None:
    s = open_store(pg_url, now=lambda: 5.0)
    s.observe("C", [F("a"), F("b"), F("a")])
    s.observe("C", [F("a"), F("b")])
    s.observe("C", [F("a")])
    s.observe("D", [F("x", "D")])
    assert streaks(s) == {"a": 3, "b": 0, "x": 1}
    assert [f.ref_id for f in s.fetch_promotable("C", 3, 5)] == ["a"]
    fid = F("a").finding_id
    assert s.set_linear_issue_id(fid, "i1", "E-1") is True
    assert s.set_linear_issue_id(fid, "i2", "E-2") is False
    assert s.fetch_promotable("C", 3, 5) == []
    assert s.get(fid).identifier == "E-1"
    assert s.classes() == ["C", "D"]
    s.close()


class _Recording:
    """Delegates to a psycopg connection and records every statement ``execute`` runs."""

    def __init__(self, conn) -> None:
        self._conn = conn
        self.statements: list[tuple] = []

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def execute(self, query, params=None, **kw):
        self.statements.append((query, params))
        return self._conn.execute(query, params, **kw)


def test_fetch_promotable_is_an_index_range_scan_at_scale(pg_url: str) -> None:
    """Regression (issue 13 item 4): joined to the class table, the fetch became a parallel
    sequential scan + hash join from a few hundred thousand findings on. The statement the
    store really runs must be a scan of the partial index with the planner's real statistics.
    """
    n = 250_000
    s = open_store(pg_url)
    s.observe("C", [F("seed")])  # creates the tables and the class (cycle 1)
    conn = s._conn
    t = f'"{s.schema}"'
    conn.execute(f"UPDATE {t}.promoter_classes SET cycle = 4")
    # 5 findings with streak 4, the rest streak 2: threshold 4 selects exactly 5.
    conn.execute(
        f"INSERT INTO {t}.promoter_findings (finding_id, cls, ref_id, kind, title, detail, "
        "start_cycle, last_cycle, first_seen, last_seen) "
        "SELECT md5(i::text) || md5('x' || i::text), 'C', 'r' || i, 'k', 't', '', "
        "CASE WHEN i < 5 THEN 1 ELSE 3 END, 4, 0, 0 FROM generate_series(0, %s) i",
        (n - 1,),
    )
    conn.execute(f"ANALYZE {t}.promoter_findings")
    conn.execute(f"ANALYZE {t}.promoter_classes")
    recorder = _Recording(conn)
    s._conn = recorder
    rows = s.fetch_promotable("C", 4, 11)
    s._conn = conn
    assert len(rows) == 5 and all(r.streak == 4 for r in rows)
    query, params = next((q, p) for q, p in recorder.statements
                         if "promoter_findings" in str(q) and "LIMIT" in str(q).upper())
    from psycopg import sql

    plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + query, params).fetchall())
    assert "Seq Scan on promoter_findings" not in plan, plan
    assert "Index" in plan and "promoter_findings_" in plan, plan
    s.close()


def test_claim_is_conditional_and_write_back_needs_the_claim(pg_url: str) -> None:
    now = [100.0]
    s1 = open_store(pg_url, now=lambda: now[0])
    s2 = open_store(pg_url, now=lambda: now[0])
    s1.observe("C", [F("a")])
    fid = F("a").finding_id
    t1 = s1.claim(fid, "r1", 10)
    assert t1 and s2.claim(fid, "r2", 10) is None
    now[0] += 11
    t2 = s2.claim(fid, "r2", 10)
    assert t2
    assert s1.set_linear_issue_id(fid, "x", "X-1", claim_token=t1) is False  # lost race: skip
    assert s2.set_linear_issue_id(fid, "y", "Y-1", claim_token=t2) is True
    s1.release_claim(fid, t1)
    assert s1.get(fid).issue_id == "y"
    s1.close()
    s2.close()


def test_concurrent_claims_have_one_winner(pg_url: str) -> None:
    setup = open_store(pg_url)
    setup.observe("C", [F("a")])
    fid = F("a").finding_id
    stores = [open_store(pg_url) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    wins: list[str] = []

    def go(i: int) -> None:
        barrier.wait()
        if stores[i].claim(fid, f"r{i}", 60):
            wins.append(f"r{i}")

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    for s in [setup, *stores]:
        s.close()


def _race(pg_url: str, replicas: int, *, claim_ttl: float, findings: int = 12) -> FakeClient:
    backend = FakeClient()
    setup = open_store(pg_url)
    for _ in range(3):
        setup.observe("C", [F(str(i)) for i in range(findings)])
    stores = [open_store(pg_url) for _ in range(replicas)]
    barrier = threading.Barrier(replicas)
    errors: list[BaseException] = []

    def replica(i: int) -> None:
        p = LinearPromoter(
            stores[i], LockedClient(backend), backend.team_id, 3, max_per_run=findings,
            mode="idempotent", owner=f"replica-{i}", claim_ttl=claim_ttl,
            registry=CollectorRegistry(),
        )
        try:
            barrier.wait()
            for _ in range(3):
                p.promote_class("C")
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(replicas)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = setup.list_findings("C")
    assert all(r.issue_id for r in rows), "every finding ends linked"
    for r in rows:  # I4: a linked id exists and carries that finding's id
        assert parse_finding_id(backend.issues_by_id[r.issue_id].description) == r.finding_id
    for s in [setup, *stores]:
        s.close()
    return backend


@pytest.mark.parametrize("replicas", [2, 4])
@pytest.mark.parametrize("claim_ttl", [300.0, 0.0], ids=["claims", "claims-defeated"])
def test_replicas_racing_make_zero_duplicates_in_idempotent_mode(
    pg_url: str, replicas: int, claim_ttl: float
) -> None:
    backend = _race(pg_url, replicas, claim_ttl=claim_ttl)
    ids = [parse_finding_id(i.description) for i in backend.issues_by_id.values()]
    assert len(ids) == 12 and len(set(ids)) == 12
