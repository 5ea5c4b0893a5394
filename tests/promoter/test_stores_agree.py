"""Both stores accept and reject the same inputs, keep the same fairness state, and refuse to
invent a store that does not exist (issue 13 item 5).

Every test runs on SQLite and on PostgreSQL (skipped without ``FAKELINEAR_PG_DSN``).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from promoter.findings import Finding, InvalidFinding
from promoter.store.base import StoreError
from promoter.store.url import open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/agree.db"
        return
    dsn = request.getfixturevalue("pg_dsn")
    import psycopg

    schema = f"agree_{uuid.uuid4().hex[:12]}"
    yield f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def F(ref: str, **kw: str) -> Finding:
    fields = {"cls": "C", "ref_id": ref, "kind": "k", "title": f"t {ref}", "detail": ""}
    fields.update(kw)
    return Finding(**fields)


BAD = [
    ("title", "a\x00b", "'title' contains a NUL character"),
    ("detail", "\x00", "'detail' contains a NUL character"),
    ("ref_id", "r\x00", "'ref_id' contains a NUL character"),
    ("kind", "k\x00", "'kind' contains a NUL character"),
    ("title", "\ud800", "'title' is not valid Unicode (lone surrogate)"),
    ("detail", 5, "'detail' must be a string, got int"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD)
def test_bad_text_is_refused_the_same_way_and_nothing_is_written(url, field, value, message) -> None:
    """Regression: SQLite stored a NUL that PostgreSQL refused, failing the whole observe
    there as a "store error"."""
    s = open_store(url, now=lambda: 1.0)
    s.observe("C", [F("ok")])
    bad = F("bad", **{field: value})
    with pytest.raises(InvalidFinding, match=re.escape(message)):
        s.observe("C", [F("ok"), bad])
    with pytest.raises(ValueError):  # InvalidFinding is a ValueError, like a wrong class
        s.observe("C", iter([bad]))
    assert [(f.ref_id, f.streak) for f in s.list_findings()] == [("ok", 1)]  # no cycle happened
    s.close()


def test_odd_but_valid_text_is_kept_identically(url) -> None:
    odd = [
        F("emoji 🦀", title="τίτλος \u202eRTL", detail="line\nbreak\r\n\ttab \x01\x7f ctrl"),
        F("x" * 2000, detail="d" * 100_000),
        F("", title=" "),
        F("finding-id: v1:" + "a" * 64, detail="finding-id: v1:" + "b" * 64),
    ]
    s = open_store(url, now=lambda: 1.0)
    s.observe("C", odd)
    got = {(f.ref_id, f.title, f.detail) for f in s.list_findings()}
    assert got == {(f.ref_id, f.title, f.detail) for f in odd}
    s.close()


def test_fairness_state_round_trips(url) -> None:
    s = open_store(url, now=lambda: 1.0)
    a, b = F("a"), F("b")
    for _ in range(2):
        s.observe("C", [a, b])
    row = s.record_failure(a.finding_id, "InvalidInputError: too big", park_after=None, max_backoff=8)
    assert (row.failures, row.retry_in, row.last_error, row.parked) == (1, 1, "InvalidInputError: too big", False)
    assert [f.ref_id for f in s.fetch_promotable("C", 2, 10)] == ["b"]  # backing off
    s.observe("C", [a, b])
    assert [f.ref_id for f in s.fetch_promotable("C", 2, 10)] == ["a", "b"]
    row = s.record_failure(a.finding_id, "boom", park_after=2, max_backoff=8)
    assert row.parked and row.parked_reason == "2 consecutive failed creates; last: boom"
    for _ in range(5):
        s.observe("C", [a, b])
        assert [f.ref_id for f in s.fetch_promotable("C", 2, 10)] == ["b"]
    assert s.unpark(cls="D") == 0
    assert s.unpark() == 1
    assert [f.ref_id for f in s.fetch_promotable("C", 2, 10)] == ["a", "b"]
    s.record_failure(b.finding_id, "x", park_after=None, max_backoff=8)
    assert s.unpark() == 0  # only parked ones without ids...
    assert s.unpark([b.finding_id]) == 1  # ...a backing-off one when named
    assert s.get(b.finding_id).failures == 0
    s.set_linear_issue_id(a.finding_id, "i", "E-1")
    assert s.record_failure(a.finding_id, "late", park_after=1, max_backoff=8) is None  # linked
    assert s.record_failure("f" * 64, "unknown", park_after=1, max_backoff=8) is None
    s.close()


def test_new_content_clears_the_fairness_state(url) -> None:
    s = open_store(url, now=lambda: 1.0)
    a = F("a", detail="v1")
    s.observe("C", [a])
    s.record_failure(a.finding_id, "boom", park_after=1, max_backoff=8)
    s.observe("C", [a])
    assert s.get(a.finding_id).parked  # same content: still parked
    s.observe("C", [F("a", detail="v2")])
    row = s.get(a.finding_id)
    assert (row.parked, row.failures, row.retry_in, row.last_error, row.streak) == (False, 0, 0, None, 3)
    s.close()


def test_opening_a_missing_store_without_create_is_an_error_and_creates_nothing(url, tmp_path) -> None:
    with pytest.raises(StoreError, match="promoter observe creates it"):
        open_store(url, create=False)
    if url.startswith("sqlite"):
        assert not (tmp_path / "agree.db").exists()
    else:
        import psycopg

        dsn, schema = url.rsplit("schema=", 1)
        with psycopg.connect(dsn.rstrip("?&"), autocommit=True) as conn:
            assert conn.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone()[0] is None
    open_store(url).close()  # observe's way: creates it
    open_store(url, create=False).close()


def test_a_sqlite_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a promoter store"):
        open_store(f"sqlite:///{other}", create=False)


def test_a_store_made_before_fairness_columns_gets_them(tmp_path: Path) -> None:
    """Stores written by the previous release open and work (columns added in place)."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE classes (cls TEXT PRIMARY KEY, cycle INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE findings (finding_id TEXT PRIMARY KEY, cls TEXT NOT NULL, ref_id TEXT NOT NULL,
          kind TEXT NOT NULL, title TEXT NOT NULL, detail TEXT NOT NULL,
          start_cycle INTEGER NOT NULL, last_cycle INTEGER NOT NULL, first_seen REAL NOT NULL,
          last_seen REAL NOT NULL, issue_id TEXT, identifier TEXT, claim_owner TEXT,
          claim_token TEXT, claim_expiry REAL) WITHOUT ROWID;
        INSERT INTO classes VALUES ('C', 2);
    """)
    a = F("a")
    conn.execute("INSERT INTO findings (finding_id, cls, ref_id, kind, title, detail, start_cycle, "
                 "last_cycle, first_seen, last_seen) VALUES (?, 'C', 'a', 'k', 't a', '', 1, 2, 0, 0)",
                 (a.finding_id,))
    conn.commit()
    conn.close()
    s = open_store(f"sqlite:///{path}", create=False)
    assert [f.streak for f in s.fetch_promotable("C", 2, 5)] == [2]
    assert s.record_failure(a.finding_id, "x", park_after=1, max_backoff=8).parked
    s.close()
