"""The shared store for several promoter replicas: PostgreSQL (psycopg 3).

Same model as :mod:`promoter.store.sqlite` (cycle-derived streaks, a partial index on unlinked
findings), plus what replicas need:

* ``observe`` bumps the class cycle with one atomic ``INSERT .. ON CONFLICT .. RETURNING`` and
  upserts all seen findings in one statement (``unnest`` of arrays);
* ``claim`` is a conditional ``UPDATE``: it applies only while the finding is unlinked and
  unclaimed (or the claim expired, or the same owner re-claims) and returns a fresh token;
* ``set_linear_issue_id`` applies only while the finding is unlinked and, when a token is
  given, only under that claim. Zero rows updated means a lost race: the caller skips.

``fetch_promotable`` is one statement: the class row drives a ``LATERAL`` subquery over the
findings, so the class cycle is a parameter of the index condition and the plan is a range
scan of the partial index ``promoter_findings_due`` ``(cls, last_cycle, start_cycle,
finding_id) WHERE issue_id IS NULL AND parked_reason IS NULL`` in result order, stopped by the
``LIMIT``: O(limit) at any size, with custom and generic plans alike (BENCHMARKS.md). The
previous plain join to the class table let the planner switch to a parallel sequential scan
and hash join at a few hundred thousand findings.

Timestamps and claim expiries come from the injected ``now`` (so virtual clocks work), not from
the database clock. Tables live in ``schema`` (created if missing, unless ``create=False``)
so tests can isolate.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from psycopg import sql

from promoter.findings import Finding, StoredFinding, validate_findings
from promoter.store.base import StoreError, backoff_cycles, park_reason
from promoter.store.sqlite import dedupe

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {classes} (
  cls TEXT PRIMARY KEY,
  cycle BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS {findings} (
  finding_id TEXT PRIMARY KEY,
  cls TEXT NOT NULL,
  ref_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  detail TEXT NOT NULL,
  start_cycle BIGINT NOT NULL,
  last_cycle BIGINT NOT NULL,
  first_seen DOUBLE PRECISION NOT NULL,
  last_seen DOUBLE PRECISION NOT NULL,
  issue_id TEXT,
  identifier TEXT,
  claim_owner TEXT,
  claim_token TEXT,
  claim_expiry DOUBLE PRECISION
);
ALTER TABLE {findings} ADD COLUMN IF NOT EXISTS failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE {findings} ADD COLUMN IF NOT EXISTS retry_cycle BIGINT NOT NULL DEFAULT 0;
ALTER TABLE {findings} ADD COLUMN IF NOT EXISTS last_error TEXT;
ALTER TABLE {findings} ADD COLUMN IF NOT EXISTS parked_reason TEXT;
ALTER TABLE {findings} ADD COLUMN IF NOT EXISTS parked_at DOUBLE PRECISION;
CREATE INDEX IF NOT EXISTS {index} ON {findings} (cls, last_cycle, start_cycle, finding_id)
  WHERE issue_id IS NULL AND parked_reason IS NULL;
DROP INDEX IF EXISTS {old_index};
"""

_SAME_CONTENT = "f.title = excluded.title AND f.detail = excluded.detail"


def _cols(cycle: str = "c.cycle") -> str:
    """The :class:`StoredFinding` columns, with the class cycle given as ``cycle``."""
    return (
        "f.finding_id, f.cls, f.ref_id, f.kind, f.title, f.detail, "
        f"CASE WHEN f.last_cycle = {cycle} THEN f.last_cycle - f.start_cycle + 1 ELSE 0 END, "
        "f.first_seen, f.last_seen, f.issue_id, f.identifier, f.failures, "
        f"CASE WHEN f.retry_cycle > {cycle} THEN f.retry_cycle - {cycle} ELSE 0 END, "
        "f.last_error, f.parked_reason"
    )


_COLS = _cols()


class PostgresFindingStore:
    """:class:`~promoter.store.base.FindingStore` on PostgreSQL; safe for many replicas, each
    with its own store (connection)."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        now: Callable[[], float] = time.time,
        create: bool = True,
    ) -> None:
        self._now = now
        self._lock = threading.RLock()
        self.schema = schema
        try:
            self._conn = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        s = sql.Identifier(schema)
        self._t = {
            "classes": sql.SQL("{}.{}").format(s, sql.Identifier("promoter_classes")),
            "findings": sql.SQL("{}.{}").format(s, sql.Identifier("promoter_findings")),
            "index": sql.Identifier("promoter_findings_due"),
            "old_index": sql.SQL("{}.{}").format(s, sql.Identifier("promoter_findings_promotable")),
        }
        if not create:
            try:
                found = self._conn.execute(
                    "SELECT to_regclass(%s)", (f'"{schema}".promoter_findings',)
                ).fetchone()[0]
            except psycopg.Error as exc:
                self._conn.close()
                raise StoreError(f"cannot read PostgreSQL schema {schema!r}: {exc}") from exc
            if found is None:
                self._conn.close()
                raise StoreError(f"no promoter store in PostgreSQL schema {schema!r} "
                                 "(promoter observe creates it)")
        try:
            with self._conn.transaction():
                # Serialise concurrent schema creation by several replicas.
                self._conn.execute("SELECT pg_advisory_xact_lock(7215331)")
                self._conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
                self._conn.execute(sql.SQL(_SCHEMA).format(**self._t))
        except psycopg.Error as exc:
            raise StoreError(f"cannot create PostgreSQL schema: {exc}") from exc

    def _q(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(**self._t)

    def _exec(self, text: str, args: Any = None) -> psycopg.Cursor:
        try:
            return self._conn.execute(self._q(text), args)
        except psycopg.Error as exc:
            raise StoreError(str(exc)) from exc

    def observe(self, cls: str, findings: Iterable[Finding]) -> int:
        """One cycle of ``cls``: bump the class cycle and upsert the seen findings atomically."""
        seen = dedupe(findings)
        for f in seen.values():
            if f.cls != cls:
                raise ValueError(f"finding of class {f.cls!r} observed as class {cls!r}")
        validate_findings(list(seen.values()))
        now = self._now()
        cols: list[list[str]] = [[], [], [], [], []]
        for fid, f in seen.items():
            for i, v in enumerate((fid, f.ref_id, f.kind, f.title, f.detail)):
                cols[i].append(v)
        with self._lock:
            try:
                with self._conn.transaction():
                    cycle = self._conn.execute(
                        self._q(
                            "INSERT INTO {classes} (cls, cycle) VALUES (%s, 1) "
                            "ON CONFLICT (cls) DO UPDATE SET cycle = {classes}.cycle + 1 "
                            "RETURNING cycle"
                        ),
                        (cls,),
                    ).fetchone()[0]
                    self._conn.execute(
                        self._q(
                            "INSERT INTO {findings} AS f (finding_id, cls, ref_id, kind, title, "
                            "detail, start_cycle, last_cycle, first_seen, last_seen) "
                            "SELECT u.fid, %(cls)s, u.ref, u.kind, u.title, u.detail, "
                            "%(cycle)s, %(cycle)s, %(now)s, %(now)s "
                            "FROM unnest(%(fid)s::text[], %(ref)s::text[], %(kind)s::text[], "
                            "%(title)s::text[], %(detail)s::text[]) "
                            "AS u(fid, ref, kind, title, detail) "
                            "ON CONFLICT (finding_id) DO UPDATE SET "
                            "start_cycle = CASE WHEN f.last_cycle = excluded.last_cycle - 1 "
                            "THEN f.start_cycle ELSE excluded.start_cycle END, "
                            "last_cycle = excluded.last_cycle, last_seen = excluded.last_seen, "
                            "title = excluded.title, detail = excluded.detail, "
                            f"failures = CASE WHEN {_SAME_CONTENT} THEN f.failures ELSE 0 END, "
                            f"retry_cycle = CASE WHEN {_SAME_CONTENT} THEN f.retry_cycle ELSE 0 END, "
                            f"last_error = CASE WHEN {_SAME_CONTENT} THEN f.last_error END, "
                            f"parked_reason = CASE WHEN {_SAME_CONTENT} THEN f.parked_reason END, "
                            f"parked_at = CASE WHEN {_SAME_CONTENT} THEN f.parked_at END"
                        ),
                        {
                            "cls": cls,
                            "cycle": cycle,
                            "now": now,
                            "fid": cols[0],
                            "ref": cols[1],
                            "kind": cols[2],
                            "title": cols[3],
                            "detail": cols[4],
                        },
                    )
            except psycopg.Error as exc:
                raise StoreError(f"observe failed: {exc}") from exc
        return len(seen)

    def refresh_index(self) -> None:
        """PostgreSQL reads are real-time: nothing to do."""

    def fetch_promotable(self, cls: str, threshold: int, limit: int) -> list[StoredFinding]:
        """Unlinked findings of ``cls`` seen this cycle with streak >= threshold, neither parked
        nor backing off, longest first (then by finding id)."""
        if threshold < 1:
            raise ValueError("threshold must be >= 1")
        query, args = self.fetch_promotable_query(cls, threshold, limit)
        with self._lock:
            rows = self._exec_composed(query, args, "fetch_promotable").fetchall()
        return [StoredFinding(*r) for r in rows]

    def fetch_promotable_query(
        self, cls: str, threshold: int, limit: int
    ) -> tuple[sql.Composed, dict[str, Any]]:
        """The one statement ``fetch_promotable`` runs (for ``EXPLAIN`` in tests and
        benchmarks). The findings are read in a ``LATERAL`` subquery driven by the class row:
        the cycle reaches it as a parameter of the index condition, so with the values or
        with a generic plan it is a range scan of the partial index in result order, stopped
        by the ``LIMIT`` (a plain join to the class table let the planner pick a sequential
        scan at a few hundred thousand findings)."""
        query = self._q(
            f"SELECT {_COLS} FROM {{classes}} c CROSS JOIN LATERAL ("
            "SELECT * FROM {findings} f1 WHERE f1.cls = c.cls AND f1.issue_id IS NULL "
            "AND f1.parked_reason IS NULL AND f1.last_cycle = c.cycle "
            "AND f1.start_cycle <= c.cycle - %(threshold)s + 1 AND f1.retry_cycle <= c.cycle "
            "ORDER BY f1.start_cycle, f1.finding_id LIMIT %(limit)s) f "
            "WHERE c.cls = %(cls)s ORDER BY f.start_cycle, f.finding_id"
        )
        return query, {"cls": cls, "threshold": threshold, "limit": limit}

    def _exec_composed(self, query: sql.Composed, args: Any, what: str) -> psycopg.Cursor:
        try:
            return self._conn.execute(query, args)
        except psycopg.Error as exc:
            raise StoreError(f"{what} failed: {exc}") from exc

    def get(self, finding_id: str) -> StoredFinding | None:
        """Real-time read of one finding (the re-check)."""
        with self._lock:
            r = self._exec(
                f"SELECT {_COLS} FROM {{findings}} f JOIN {{classes}} c ON c.cls = f.cls "
                "WHERE f.finding_id = %s",
                (finding_id,),
            ).fetchone()
        return None if r is None else StoredFinding(*r)

    def claim(self, finding_id: str, owner: str, ttl: float) -> str | None:
        """Conditional claim (unlinked, and unclaimed, expired or ours); a token, or None on a lost race."""
        token = uuid.uuid4().hex
        now = self._now()
        with self._lock:
            r = self._exec(
                "UPDATE {findings} SET claim_owner = %s, claim_token = %s, claim_expiry = %s "
                "WHERE finding_id = %s AND issue_id IS NULL AND "
                "(claim_token IS NULL OR claim_expiry <= %s OR claim_owner = %s) "
                "RETURNING claim_token",
                (owner, token, now + ttl, finding_id, now, owner),
            ).fetchone()
        return token if r is not None else None

    def release_claim(self, finding_id: str, token: str) -> None:
        """Drop the claim if ``token`` still holds it."""
        with self._lock:
            self._exec(
                "UPDATE {findings} SET claim_owner = NULL, claim_token = NULL, "
                "claim_expiry = NULL WHERE finding_id = %s AND claim_token = %s",
                (finding_id, token),
            )

    def set_linear_issue_id(
        self,
        finding_id: str,
        issue_id: str,
        identifier: str | None = None,
        claim_token: str | None = None,
    ) -> bool:
        """Link while unlinked (and, with ``claim_token``, only under that claim); False: not applied."""
        text = (
            "UPDATE {findings} SET issue_id = %s, identifier = %s, claim_owner = NULL, "
            "claim_token = NULL, claim_expiry = NULL WHERE finding_id = %s AND issue_id IS NULL"
        )
        args: tuple = (issue_id, identifier, finding_id)
        if claim_token is not None:
            text += " AND claim_token = %s"
            args += (claim_token,)
        with self._lock:
            cur = self._exec(text, args)
        return cur.rowcount == 1

    def record_failure(
        self, finding_id: str, error: str, *, park_after: int | None, max_backoff: int
    ) -> StoredFinding | None:
        """Count a failed create of an unlinked finding (see the protocol); the updated row."""
        with self._lock:
            try:
                with self._conn.transaction():
                    r = self._conn.execute(
                        self._q(
                            "SELECT f.failures, c.cycle FROM {findings} f JOIN {classes} c "
                            "ON c.cls = f.cls WHERE f.finding_id = %s AND f.issue_id IS NULL "
                            "FOR UPDATE OF f"
                        ),
                        (finding_id,),
                    ).fetchone()
                    if r is None:
                        return None
                    failures = int(r[0]) + 1
                    parked = park_after is not None and failures >= park_after
                    self._conn.execute(
                        self._q(
                            "UPDATE {findings} SET failures = %s, retry_cycle = %s, "
                            "last_error = %s, parked_reason = CASE WHEN %s THEN %s "
                            "ELSE parked_reason END, parked_at = CASE WHEN %s THEN %s "
                            "ELSE parked_at END WHERE finding_id = %s"
                        ),
                        (failures, int(r[1]) + backoff_cycles(failures, max_backoff), error,
                         parked, park_reason(failures, error), parked, self._now(), finding_id),
                    )
            except psycopg.Error as exc:
                raise StoreError(f"record_failure failed: {exc}") from exc
        return self.get(finding_id)

    def unpark(self, finding_ids: Iterable[str] | None = None, cls: str | None = None) -> int:
        """Clear the fairness state (see the protocol); the number of findings changed."""
        text = ("UPDATE {findings} SET failures = 0, retry_cycle = 0, last_error = NULL, "
                "parked_reason = NULL, parked_at = NULL WHERE issue_id IS NULL")
        args: list[Any] = []
        if finding_ids is None:
            text += " AND parked_reason IS NOT NULL"
        else:
            text += " AND (parked_reason IS NOT NULL OR failures > 0) AND finding_id = ANY(%s)"
            args.append(list(finding_ids))
        if cls is not None:
            text += " AND cls = %s"
            args.append(cls)
        with self._lock:
            return self._exec(text, args).rowcount

    def list_findings(self, cls: str | None = None, limit: int | None = None) -> list[StoredFinding]:
        """Findings for ``status``, by class then longest streak."""
        text = f"SELECT {_COLS} FROM {{findings}} f JOIN {{classes}} c ON c.cls = f.cls"
        args: list = []
        if cls is not None:
            text += " WHERE f.cls = %s"
            args.append(cls)
        text += " ORDER BY f.cls, 7 DESC, f.finding_id"
        if limit is not None:
            text += " LIMIT %s"
            args.append(limit)
        with self._lock:
            return [StoredFinding(*r) for r in self._exec(text, args).fetchall()]

    def classes(self) -> list[str]:
        """Every class observed so far."""
        with self._lock:
            return [r[0] for r in self._exec("SELECT cls FROM {classes} ORDER BY cls").fetchall()]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
