"""Findings ids, issue bodies, and the SQLite store's contract."""

from __future__ import annotations

import hashlib

import pytest

from promoter.findings import (
    Finding,
    finding_id,
    issue_body,
    parse_finding_id,
)
from promoter.store.base import StoreError
from promoter.store.faulty import FaultyStore
from promoter.store.sqlite import SQLiteFindingStore
from promoter.store.url import StoreURLError, open_store


def F(ref: str, cls: str = "C", kind: str = "k") -> Finding:
    return Finding(cls, ref, kind, f"title {ref}", f"detail {ref}")


def test_finding_id_is_sha256_of_class_ref_kind() -> None:
    assert finding_id("C", "r1", "k") == hashlib.sha256(b"C|r1|k").hexdigest()
    assert F("r1").finding_id == finding_id("C", "r1", "k")
    assert len(F("r1").finding_id) == 64


def test_issue_body_carries_machine_findable_marker_and_summary() -> None:
    f = F("r1")
    body = issue_body(f)
    assert f"finding-id: v1:{f.finding_id}" in body.splitlines()
    assert "title r1" in body and "detail r1" in body
    assert parse_finding_id(body) == f.finding_id
    assert parse_finding_id("no marker") is None
    assert parse_finding_id(None) is None
    assert parse_finding_id("finding-id: v2:" + "a" * 64) is None


@pytest.fixture
def store() -> SQLiteFindingStore:
    s = SQLiteFindingStore(":memory:", now=lambda: 100.0)
    yield s
    s.close()


def streaks(store: SQLiteFindingStore) -> dict[str, int]:
    return {f.ref_id: f.streak for f in store.list_findings()}


def test_observe_increments_seen_and_resets_unseen(store: SQLiteFindingStore) -> None:
    store.observe("C", [F("a"), F("b")])
    store.observe("C", [F("a"), F("b")])
    assert streaks(store) == {"a": 2, "b": 2}
    store.observe("C", [F("a")])
    assert streaks(store) == {"a": 3, "b": 0}
    store.observe("C", [F("a"), F("b")])
    assert streaks(store) == {"a": 4, "b": 1}


def test_observe_of_one_class_does_not_reset_another(store: SQLiteFindingStore) -> None:
    store.observe("C", [F("a")])
    store.observe("D", [F("x", cls="D")])
    store.observe("D", [F("x", cls="D")])
    assert streaks(store) == {"a": 1, "x": 2}


def test_observe_dedupes_within_a_cycle(store: SQLiteFindingStore) -> None:
    assert store.observe("C", [F("a"), F("a")]) == 1
    store.observe("C", [F("a"), F("a")])
    assert streaks(store) == {"a": 2}


def test_observe_rejects_wrong_class(store: SQLiteFindingStore) -> None:
    with pytest.raises(ValueError):
        store.observe("C", [F("a", cls="D")])


def test_fetch_promotable_threshold_unlinked_limit(store: SQLiteFindingStore) -> None:
    for _ in range(3):
        store.observe("C", [F("a"), F("b"), F("c")])
    store.observe("C", [F("a"), F("b"), F("c"), F("d")])
    got = [f.ref_id for f in store.fetch_promotable("C", 3, 10)]
    assert sorted(got) == ["a", "b", "c"]
    assert len(store.fetch_promotable("C", 3, 2)) == 2
    assert store.set_linear_issue_id(F("a").finding_id, "iss-a", "ENG-1")
    assert sorted(f.ref_id for f in store.fetch_promotable("C", 3, 10)) == ["b", "c"]
    assert [f.ref_id for f in store.fetch_promotable("C", 1, 10)][-1] == "d"
    assert store.fetch_promotable("nope", 1, 10) == []


def test_set_linear_issue_id_applies_once(store: SQLiteFindingStore) -> None:
    store.observe("C", [F("a")])
    fid = F("a").finding_id
    assert store.set_linear_issue_id(fid, "i1", "ENG-1") is True
    assert store.set_linear_issue_id(fid, "i2", "ENG-2") is False
    row = store.get(fid)
    assert row is not None and (row.issue_id, row.identifier) == ("i1", "ENG-1")


def test_claims_are_exclusive_until_expiry() -> None:
    now = [100.0]
    s = SQLiteFindingStore(now=lambda: now[0])
    s.observe("C", [F("a")])
    fid = F("a").finding_id
    t1 = s.claim(fid, "r1", 10)
    assert t1 and s.claim(fid, "r2", 10) is None
    assert s.set_linear_issue_id(fid, "x", "X-1", claim_token="wrong") is False
    now[0] += 11
    t2 = s.claim(fid, "r2", 10)
    assert t2
    assert s.set_linear_issue_id(fid, "x", "X-1", claim_token=t1) is False
    assert s.set_linear_issue_id(fid, "y", "Y-1", claim_token=t2) is True
    assert s.claim(fid, "r3", 10) is None  # linked: nothing to claim


def test_release_claim(store: SQLiteFindingStore) -> None:
    store.observe("C", [F("a")])
    fid = F("a").finding_id
    t = store.claim(fid, "r1", 100)
    assert t
    store.release_claim(fid, t)
    assert store.claim(fid, "r2", 100)


def test_first_and_last_seen() -> None:
    now = [1.0]
    s = SQLiteFindingStore(now=lambda: now[0])
    s.observe("C", [F("a")])
    now[0] = 5.0
    s.observe("C", [F("a")])
    row = s.list_findings()[0]
    assert (row.first_seen, row.last_seen) == (1.0, 5.0)


def test_fetch_uses_the_partial_index(store: SQLiteFindingStore) -> None:
    plan = store._conn.execute(
        "EXPLAIN QUERY PLAN SELECT finding_id FROM findings WHERE cls = ? AND issue_id IS NULL "
        "AND last_cycle = ? AND start_cycle <= ? ORDER BY start_cycle LIMIT 5",
        ("C", 3, 1),
    ).fetchall()
    assert "findings_promotable" in " ".join(str(r) for r in plan)


def test_file_store_persists(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/f.db"
    s = open_store(url)
    s.observe("C", [F("a")])
    s.close()
    s = open_store(url)
    assert [f.ref_id for f in s.list_findings()] == ["a"]
    assert s.classes() == ["C"]
    s.close()


@pytest.mark.parametrize("url", ["", "f.db", "mysql://x/y", "sqlite://", "sqlite:///", "postgresql://"])
def test_open_store_rejects_bad_urls(url: str) -> None:
    with pytest.raises(StoreURLError):
        open_store(url)


def test_open_store_memory() -> None:
    s = open_store("sqlite://:memory:")
    assert isinstance(s, SQLiteFindingStore)
    s.close()


# -- the faulty wrapper ---------------------------------------------------------------------


def test_faulty_stale_reads_until_refreshed(store: SQLiteFindingStore) -> None:
    fs = FaultyStore(store, stale=True)
    for _ in range(3):
        fs.observe("C", [F("a")])
    assert fs.fetch_promotable("C", 3, 5) == []  # index not refreshed yet
    fs.refresh_index()
    assert [f.ref_id for f in fs.fetch_promotable("C", 3, 5)] == ["a"]
    fs.set_linear_issue_id(F("a").finding_id, "i", "E-1")
    assert [f.ref_id for f in fs.fetch_promotable("C", 3, 5)] == ["a"]  # stale
    assert fs.get(F("a").finding_id).issue_id == "i"  # real-time get
    fs.refresh_index()
    assert fs.fetch_promotable("C", 3, 5) == []


def test_faulty_failures_count_down(store: SQLiteFindingStore) -> None:
    fs = FaultyStore(store)
    fs.observe("C", [F("a")])
    fs.fail_set_linear_issue_id(times=2)
    fs.fail_refresh_index(times=1)
    with pytest.raises(StoreError):
        fs.refresh_index()
    fs.refresh_index()
    for _ in range(2):
        with pytest.raises(StoreError):
            fs.set_linear_issue_id(F("a").finding_id, "i")
    assert fs.set_linear_issue_id(F("a").finding_id, "i")


def test_faulty_always_and_delay(store: SQLiteFindingStore) -> None:
    from tests.promoter.fakes import StepClock

    clock = StepClock()
    fs = FaultyStore(store, refresh_delay=7.0, clock=clock)
    fs.fail_set_linear_issue_id(times=None)
    fs.observe("C", [F("a")])
    for _ in range(3):
        with pytest.raises(StoreError):
            fs.set_linear_issue_id(F("a").finding_id, "i")
    fs.refresh_index()
    assert clock.slept == [7.0]
