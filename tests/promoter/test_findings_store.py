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
from promoter.store.sqlite import SQLiteFindingStore, stage_rows
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


def test_observe_rejects_wrong_class_without_writing(store: SQLiteFindingStore) -> None:
    store.observe("C", [F("a")])
    with pytest.raises(ValueError):
        store.observe("C", (f for f in [F("a"), F("b", cls="D")]))
    assert streaks(store) == {"a": 1}  # the cycle did not happen
    store.observe("C", [F("a")])
    assert streaks(store) == {"a": 2}


def test_stage_rows_ids_match_finding_id_and_last_duplicate_wins() -> None:
    fs = [F("b"), F("a"), Finding("C", "b", "k", "new title", "new detail"), F("a|x", kind="y")]
    rows = stage_rows("C", fs)
    assert [r[0] for r in rows] == sorted({f.finding_id for f in fs})
    by_id = {r[0]: r for r in rows}
    assert by_id[F("b").finding_id][3:] == ("new title", "new detail")
    for f in fs:
        assert by_id[f.finding_id][0] == finding_id(f.cls, f.ref_id, f.kind)
    assert stage_rows("C", []) == []


def test_observe_duplicates_in_one_batch_count_once_and_last_wins(store: SQLiteFindingStore) -> None:
    batch = [F("a"), F("b"), Finding("C", "a", "k", "A2", "D2"), F("c"), F("b")]
    assert store.observe("C", batch) == 3
    assert store.observe("C", iter(batch)) == 3  # any iterable, consumed once
    got = {f.ref_id: f for f in store.list_findings()}
    assert {r: f.streak for r, f in got.items()} == {"a": 2, "b": 2, "c": 2}
    assert (got["a"].title, got["a"].detail) == ("A2", "D2")
    assert store._conn.execute("SELECT count(*) FROM temp.observe_stage").fetchone() == (0,)


def test_observe_empty_cycle_resets_every_streak(store: SQLiteFindingStore) -> None:
    store.observe("C", [F("a")])
    store.observe("C", [F("a")])
    assert store.observe("C", []) == 0
    assert streaks(store) == {"a": 0}
    store.observe("C", [F("a")])
    assert streaks(store) == {"a": 1}


def test_observe_matches_a_reference_model_over_many_cycles() -> None:
    """Random subsets (with duplicates) over 60 cycles of two classes: every streak, first
    and last seen, title, and fetch_promotable match a plain dict model."""
    import random

    rnd = random.Random(5)
    clock = [0.0]
    s = SQLiteFindingStore(":memory:", now=lambda: clock[0])
    model: dict[tuple[str, str], dict] = {}
    refs = [f"r{i}" for i in range(40)]
    try:
        for cycle in range(60):
            clock[0] = float(cycle)
            for cls in ("C", "D"):
                seen = [Finding(cls, r, "k", f"t{cycle}-{r}", "") for r in refs if rnd.random() < 0.7]
                seen += rnd.sample(seen, min(3, len(seen)))  # duplicates
                rnd.shuffle(seen)
                assert s.observe(cls, seen) == len({f.ref_id for f in seen})
                ids = {f.ref_id for f in seen}
                for (c, r), m in model.items():
                    if c == cls and r not in ids:
                        m["streak"] = 0
                for f in seen:
                    m = model.setdefault((cls, f.ref_id), {"streak": 0, "first": clock[0]})
                    if f.ref_id in ids:
                        m["streak"] += 1
                        ids.discard(f.ref_id)
                    m["last"], m["title"] = clock[0], f.title
            got = {(f.cls, f.ref_id): f for f in s.list_findings()}
            assert set(got) == set(model)
            for key, m in model.items():
                f = got[key]
                assert (f.streak, f.first_seen, f.last_seen) == (m["streak"], m["first"], m["last"])
            for cls in ("C", "D"):
                want = sorted((-m["streak"], finding_id(c, r, "k")) for (c, r), m in model.items()
                              if c == cls and m["streak"] >= 3)
                got_p = s.fetch_promotable(cls, 3, 1000)
                assert [(-f.streak, f.finding_id) for f in got_p] == want
    finally:
        s.close()


def test_observe_big_batch_then_partial_cycle() -> None:
    s = SQLiteFindingStore(":memory:", now=lambda: 1.0)
    n = 30_000
    try:
        batch = [F(f"r{i}") for i in range(n)]
        assert s.observe("C", batch) == n
        assert s.observe("C", batch + batch[:100]) == n
        assert s.observe("C", batch[::2]) == n // 2
        counts = dict(s._conn.execute(
            "SELECT last_cycle - start_cycle + 1, count(*) FROM findings "
            "WHERE last_cycle = 3 GROUP BY 1").fetchall())
        assert counts == {3: n // 2}
        assert len(s.fetch_promotable("C", 3, n)) == n // 2
        assert s.fetch_promotable("C", 4, n) == []
    finally:
        s.close()


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


def test_every_sqlite_failure_is_a_store_error() -> None:
    """The protocol's error type, so callers (the CLI) report it instead of a traceback."""
    s = SQLiteFindingStore()
    s.observe("C", [F("a")])
    fid = F("a").finding_id
    s.close()  # any use now raises sqlite3.ProgrammingError underneath
    calls = {
        "observe": lambda: s.observe("C", [F("a")]),
        "fetch_promotable": lambda: s.fetch_promotable("C", 1, 5),
        "get": lambda: s.get(fid),
        "claim": lambda: s.claim(fid, "r1", 10),
        "release_claim": lambda: s.release_claim(fid, "t"),
        "set_linear_issue_id": lambda: s.set_linear_issue_id(fid, "i"),
        "list_findings": lambda: s.list_findings(),
        "classes": lambda: s.classes(),
    }
    for name, call in calls.items():
        try:
            call()
        except StoreError:
            continue
        pytest.fail(f"{name} on a closed store did not raise StoreError")


def test_first_and_last_seen() -> None:
    now = [1.0]
    s = SQLiteFindingStore(now=lambda: now[0])
    s.observe("C", [F("a")])
    now[0] = 5.0
    s.observe("C", [F("a")])
    row = s.list_findings()[0]
    assert (row.first_seen, row.last_seen) == (1.0, 5.0)


def test_fetch_uses_the_partial_index(store: SQLiteFindingStore) -> None:
    """The plan of the query ``fetch_promotable`` really sends (captured, values bound)."""
    store.observe("C", [F("a")])
    sent: list[str] = []
    store._conn.set_trace_callback(sent.append)
    store.fetch_promotable("C", 1, 5)
    store._conn.set_trace_callback(None)
    (query,) = [q for q in sent if "issue_id IS NULL" in q]
    plan = " ".join(str(r) for r in store._conn.execute("EXPLAIN QUERY PLAN " + query).fetchall())
    assert "USING INDEX findings_promotable" in plan
    assert "SCAN f" not in plan and "TEMP B-TREE" not in plan  # no full scan, no sort


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
