"""Benchmark: the promoter's SQLite store at 1,000,000 findings.

* ``observe`` throughput: one cycle of N findings of one class, first cycle (inserts) and
  second cycle (updates), in findings per second (wall and per CPU-second). Medians over
  ``--observe-rounds`` fresh databases of ``--observe-findings`` findings, alternating the
  store with ``baseline``: the previous ``observe`` (dict dedupe, ``sorted`` items, one
  per-row ``INSERT ... ON CONFLICT DO UPDATE`` ``executemany``), copied here. Same-run
  ceilings: sha256 ids alone, and a bare sorted keyed ``executemany`` insert.
* a promote cycle (``refresh_index`` + ``fetch_promotable`` + the run's re-checks, claims and
  write-backs against an instant in-memory client) with 1,000,000 findings of which 5 are
  promotable, against a baseline: the same fetch with the partial index dropped (a scan).

* scale, SQLite and PostgreSQL side by side: ``fetch_promotable`` and the promote cycle with
  ``--scale-sizes`` findings (default 1,000 and 1,000,000) of which 5 are promotable, in the
  same run, as medians, with the ratio largest/smallest (the aim: <= 2x). On PostgreSQL the
  baseline is the previous fetch (joined to the class table), run on the same data, and the
  ``EXPLAIN ANALYZE`` of both statements at the largest size is printed. PostgreSQL comes from
  ``FAKELINEAR_PG_DSN`` (``scripts/with-postgres.sh`` starts a throwaway server); without it
  that part is skipped.

Run: ``.venv/bin/python -m benchmarks.bench_promoter [--findings 1000000] [--repeat 15]
[--observe-findings 200000] [--observe-rounds 3] [--scale-sizes 1000,1000000] [--only scale]``.
Reports medians and the indexed/baseline ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from types import SimpleNamespace

from prometheus_client import CollectorRegistry

from promoter.findings import Finding
from promoter.promoter import LinearPromoter
from promoter.store.base import StoreError
from promoter.store.sqlite import SQLiteFindingStore, dedupe

_BASELINE_UPSERT = """
INSERT INTO findings (finding_id, cls, ref_id, kind, title, detail,
                      start_cycle, last_cycle, first_seen, last_seen)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (finding_id) DO UPDATE SET
  start_cycle = CASE WHEN findings.last_cycle = excluded.last_cycle - 1
                     THEN findings.start_cycle ELSE excluded.start_cycle END,
  last_cycle = excluded.last_cycle,
  last_seen = excluded.last_seen,
  title = excluded.title,
  detail = excluded.detail
"""


class BaselineStore(SQLiteFindingStore):
    """The previous ``observe`` (before the staged merge), same schema, for comparison."""

    def observe(self, cls, findings):  # noqa: ANN001, ANN201
        seen = dedupe(findings)
        for f in seen.values():
            if f.cls != cls:
                raise ValueError(f"finding of class {f.cls!r} observed as class {cls!r}")
        now = self._now()
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                cur = self._cycle(cls)
                cycle = 1 if cur is None else cur + 1
                self._conn.execute(
                    "INSERT INTO classes (cls, cycle) VALUES (?, ?) "
                    "ON CONFLICT (cls) DO UPDATE SET cycle = excluded.cycle",
                    (cls, cycle),
                )
                self._conn.executemany(
                    _BASELINE_UPSERT,
                    (
                        (fid, cls, f.ref_id, f.kind, f.title, f.detail, cycle, cycle, now, now)
                        for fid, f in sorted(seen.items())
                    ),
                )
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(f"observe failed: {exc}") from exc
        return len(seen)


class _InstantClient:
    """issue_create returns at once (we measure the store, not the network)."""

    def __init__(self) -> None:
        self.n = 0

    def issue_create(self, team_id, title, description=None, id=None, **_):  # noqa: ANN001
        self.n += 1
        return SimpleNamespace(id=id or str(uuid.uuid4()), identifier=f"B-{self.n}")


def _findings(n: int, cls: str = "bench") -> list[Finding]:
    return [Finding(cls, f"ref-{i}", "k", f"finding {i}", "") for i in range(n)]


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _raw_baselines(n: int, tmp: str) -> tuple[float, float]:
    """Ceilings measured in the same run, in rows per CPU-second: sha256 ids alone, and a
    bare keyed executemany insert of the same rows (no upsert, no partial index)."""
    import hashlib

    t = time.process_time()
    ids = [hashlib.sha256(f"bench|ref-{i}|k".encode()).hexdigest() for i in range(n)]
    sha_rate = n / (time.process_time() - t)
    conn = sqlite3.connect(os.path.join(tmp, "raw.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, title TEXT) WITHOUT ROWID")
    rows = sorted((fid, f"finding {i}") for i, fid in enumerate(ids))
    t = time.process_time()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
    conn.execute("COMMIT")
    raw_rate = n / (time.process_time() - t)
    conn.close()
    return sha_rate, raw_rate


def _timed(fn, *args) -> tuple[float, float]:  # noqa: ANN001
    """(wall seconds, process CPU seconds) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0


def _observe_rounds(n: int, rounds: int, tmp: str) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Per store kind and cycle kind, (wall, CPU) samples of one observe of n findings."""
    bulk = _findings(n)
    out: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for r in range(rounds):
        for name, kind in (("staged merge", SQLiteFindingStore), ("baseline", BaselineStore)):
            store = kind(os.path.join(tmp, f"obs-{name[0]}-{r}.db"))
            d = out.setdefault(name, {"insert": [], "update": []})
            d["insert"].append(_timed(store.observe, "bench", bulk))
            d["update"].append(_timed(store.observe, "bench", bulk))
            store.close()
    return out


# -- scale: SQLite and PostgreSQL, small vs large, same run -------------------------------------

#: The previous PostgreSQL fetch (before issue 13): joined to the class table, the planner
#: cannot bound the index range and switches to a sequential scan as the table grows. Its
#: predicate gets ``parked_reason IS NULL`` here so that it may use the same partial index
#: as the current statement: the only difference measured is join versus LATERAL.
_PG_JOIN_FETCH = (
    "SELECT f.finding_id FROM {findings} f JOIN {classes} c ON c.cls = f.cls "
    "WHERE f.cls = %s AND f.issue_id IS NULL AND f.parked_reason IS NULL "
    "AND f.last_cycle = c.cycle AND f.start_cycle <= c.cycle - %s + 1 "
    "ORDER BY f.start_cycle, f.finding_id LIMIT %s"
)


def _populate(store, n: int, k: int, cls: str = "bench") -> int:  # noqa: ANN001
    """n findings of which k have streak 4 (seen two cycles earlier), the rest streak 2; the
    threshold that selects exactly the k."""
    bulk = _findings(n, cls)
    store.observe(cls, bulk[:k])
    store.observe(cls, bulk[:k])
    store.observe(cls, bulk)
    store.observe(cls, bulk)
    return 4


def _unlink(store) -> None:  # noqa: ANN001
    """Undo the links a promote cycle made, so the next sample does the same work."""
    if hasattr(store, "_t"):  # PostgreSQL
        store._conn.execute(store._q("UPDATE {findings} SET issue_id = NULL, identifier = NULL "
                                     "WHERE issue_id IS NOT NULL"))
    else:
        store._conn.execute("UPDATE findings SET issue_id = NULL, identifier = NULL "
                            "WHERE issue_id IS NOT NULL")


def _sample(store, threshold: int, k: int, cls: str = "bench") -> tuple[float, float]:  # noqa: ANN001
    """One ``fetch_promotable`` and one whole promote cycle (seconds), links undone after."""
    t = time.perf_counter()
    rows = store.fetch_promotable(cls, threshold, 11)
    fetch = time.perf_counter() - t
    assert len(rows) == k, len(rows)
    p = LinearPromoter(store, _InstantClient(), "team", threshold, registry=CollectorRegistry(),
                       owner="bench")
    t = time.perf_counter()
    r = p.promote_class(cls)
    cycle = time.perf_counter() - t
    assert r.promoted == k, r
    _unlink(store)
    return fetch, cycle


def _pg_join_sample(store, threshold: int, cls: str = "bench") -> float:  # noqa: ANN001
    """One run (seconds) of the previous, joined fetch on the same data."""
    q = store._q(_PG_JOIN_FETCH)
    t = time.perf_counter()
    store._conn.execute(q, (cls, threshold, 11), prepare=False).fetchall()
    return time.perf_counter() - t


def _pg_explain(store, threshold: int, cls: str = "bench") -> tuple[str, str]:  # noqa: ANN001
    """EXPLAIN ANALYZE of the store's fetch and of the previous joined one."""
    from psycopg import sql

    query, params = store.fetch_promotable_query(cls, threshold, 11)
    lines = []
    for q, a in ((query, params), (store._q(_PG_JOIN_FETCH), (cls, threshold, 11))):
        rows = store._conn.execute(sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) ") + q, a).fetchall()
        lines.append("\n".join("    " + r[0] for r in rows))
    return lines[0], lines[1]


def scale(sizes: list[int], k: int, repeat: int, tmp: str) -> None:
    """fetch_promotable and the promote cycle at each size, SQLite and PostgreSQL.

    Every store is built first; then the measurements go round by round, one sample of each
    store per round (in rotating order), so a load change on a shared machine hits every size
    alike."""
    stores: list[tuple[str, int, object, int]] = []  # (kind, size, store, threshold)
    for n in sizes:
        store = SQLiteFindingStore(os.path.join(tmp, f"scale-{n}.db"))
        t = time.perf_counter()
        stores.append(("sqlite", n, store, _populate(store, n, k)))
        print(f"built sqlite {n:,} findings in {time.perf_counter() - t:.1f}s", flush=True)
    dsn = os.environ.get("FAKELINEAR_PG_DSN")
    schemas: list[str] = []
    if not dsn:
        print("scale postgresql: skipped (FAKELINEAR_PG_DSN is not set; run through "
              "scripts/with-postgres.sh)")
    else:
        from promoter.store.postgres import PostgresFindingStore

        for n in sizes:
            schema = f"bench_scale_{n}_{uuid.uuid4().hex[:6]}"
            schemas.append(schema)
            store = PostgresFindingStore(dsn, schema=schema)
            t = time.perf_counter()
            threshold = _populate(store, n, k)
            # What autovacuum does after a bulk load: drop the dead row versions the two full
            # observe cycles left, and refresh the statistics.
            store._conn.execute(store._q("VACUUM ANALYZE {findings}"))
            store._conn.execute(store._q("ANALYZE {classes}"))
            stores.append(("postgresql", n, store, threshold))
            print(f"built postgresql {n:,} findings in {time.perf_counter() - t:.1f}s", flush=True)
    samples: dict[tuple[str, int], dict[str, list[float]]] = {
        (kind, n): {"fetch": [], "cycle": [], "join_fetch": []} for kind, n, _, _ in stores}
    try:
        for _, _, store, threshold in stores:  # warm-up: connection caches, first plans
            _sample(store, threshold, k)
        for r in range(repeat):
            # Rotate who goes first: the first request after a pause pays for waking the
            # database up on a loaded machine; every store takes that turn equally often.
            for kind, n, store, threshold in stores[r % len(stores):] + stores[:r % len(stores)]:
                fetch, cycle = _sample(store, threshold, k)
                got = samples[(kind, n)]
                got["fetch"].append(fetch)
                got["cycle"].append(cycle)
                if kind == "postgresql":
                    got["join_fetch"].append(_pg_join_sample(store, threshold))
        med = {key: {m: _median_ms(v) for m, v in d.items() if v} for key, d in samples.items()}
        for kind, n, _, _ in stores:
            m = med[(kind, n)]
            extra = f"; previous joined fetch median {m['join_fetch']:.3f} ms" if "join_fetch" in m else ""
            print(f"scale {kind} {n:,} findings ({k} promotable): fetch median {m['fetch']:.3f} ms, "
                  f"promote cycle median {m['cycle']:.3f} ms{extra} ({repeat} rounds)")
        pg_big = [(s, t) for kind, n, s, t in stores if kind == "postgresql" and n == max(sizes)]
        for store, threshold in pg_big:
            now, before = _pg_explain(store, threshold)
            print(f"  EXPLAIN ANALYZE, fetch_promotable at {max(sizes):,}:\n{now}")
            print(f"  EXPLAIN ANALYZE, previous joined fetch at {max(sizes):,}:\n{before}")
        lo, hi = min(sizes), max(sizes)
        for kind in ("sqlite", "postgresql"):
            if (kind, lo) in med and (kind, hi) in med:
                r = {key: med[(kind, hi)][key] / med[(kind, lo)][key] for key in med[(kind, lo)]}
                extra = f", previous joined fetch {r['join_fetch']:.1f}x" if "join_fetch" in r else ""
                print(f"scale {kind}: {hi:,} vs {lo:,} findings: fetch {r['fetch']:.2f}x, promote "
                      f"cycle {r['cycle']:.2f}x{extra}")
    finally:
        for _, _, store, _ in stores:
            store.close()  # type: ignore[attr-defined]
        if schemas:
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=1_000_000)
    ap.add_argument("--promotable", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--observe-findings", type=int, default=200_000)
    ap.add_argument("--observe-rounds", type=int, default=3)
    ap.add_argument("--scale-sizes", default="1000,1000000",
                    help="comma-separated store sizes for the SQLite/PostgreSQL scale comparison")
    ap.add_argument("--only", choices=("sqlite", "scale"), default=None,
                    help="run only the SQLite section or only the scale comparison")
    args = ap.parse_args(argv)
    n, k = args.findings, args.promotable
    c0 = time.process_time()
    sum(range(10**7))
    calib = time.process_time() - c0
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpu(s), "
          f"sqlite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.1f}; "
          f"calibration sum(range(10**7)): {calib:.2f} CPU-s")
    if args.only != "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            scale([int(x) for x in args.scale_sizes.split(",")], k, args.repeat, tmp)
        if args.only == "scale":
            return

    with tempfile.TemporaryDirectory() as tmp:
        sha_rate, raw_rate = _raw_baselines(n, tmp)
        print(f"baseline, sha256 ids alone: {sha_rate:,.0f}/CPU-s; bare sorted executemany "
              f"insert: {raw_rate:,.0f} rows/CPU-s")
        on = args.observe_findings
        obs = _observe_rounds(on, args.observe_rounds, tmp)
        for cyc in ("insert", "update"):
            med = {}
            for name in ("staged merge", "baseline"):
                wall = statistics.median(w for w, _ in obs[name][cyc])
                cpu = statistics.median(c for _, c in obs[name][cyc])
                med[name] = (on / wall, on / cpu)
                print(f"observe {on:,}, {cyc} cycle, {name}: median {on / wall:,.0f} findings/s wall, "
                      f"{on / cpu:,.0f} per CPU-s ({args.observe_rounds} rounds)")
            print(f"observe {on:,}, {cyc} cycle: staged/baseline {med['staged merge'][0] / med['baseline'][0]:.2f}x "
                  f"wall, {med['staged merge'][1] / med['baseline'][1]:.2f}x CPU; load average "
                  f"{os.getloadavg()[0]:.1f}")
        store = SQLiteFindingStore(os.path.join(tmp, "bench.db"))
        cls = "bench"
        bulk = _findings(n, cls)

        # The k "hot" findings are observed two cycles earlier than the rest, so after two
        # full cycles they have streak 4 and everything else streak 2.
        hot = bulk[:k]
        store.observe(cls, hot)  # cycle 1: only the hot ones
        store.observe(cls, hot)  # cycle 2
        c0, t0 = time.process_time(), time.perf_counter()
        store.observe(cls, bulk)  # cycle 3: everything (n - k inserts)
        insert_s, insert_cpu = time.perf_counter() - t0, time.process_time() - c0
        c0, t0 = time.process_time(), time.perf_counter()
        store.observe(cls, bulk)  # cycle 4: everything (updates)
        update_s, update_cpu = time.perf_counter() - t0, time.process_time() - c0
        # threshold 4: only the k hot findings (streak 4) qualify; the rest have streak 2.
        threshold = 4
        for label, wall, cpu in (("insert", insert_s, insert_cpu), ("update", update_s, update_cpu)):
            print(f"observe, {label} cycle: {n / wall:,.0f} findings/s wall ({wall:.2f} s for "
                  f"{n:,}); {n / cpu:,.0f} findings per CPU-second (process CPU {cpu:.2f} s)")

        def cycle_once() -> tuple[float, int]:
            client = _InstantClient()
            p = LinearPromoter(store, client, "team", threshold, registry=CollectorRegistry(),
                               owner="bench")
            t = time.perf_counter()
            r = p.promote_class(cls)
            dt = time.perf_counter() - t
            # undo the links so the next sample does the same work
            store._conn.execute("UPDATE findings SET issue_id = NULL, identifier = NULL "
                                "WHERE issue_id IS NOT NULL")
            return dt, r.promoted

        def fetch_once() -> tuple[float, int]:
            t = time.perf_counter()
            rows = store.fetch_promotable(cls, threshold, 11)
            return time.perf_counter() - t, len(rows)

        cycles = [cycle_once() for _ in range(args.repeat)]
        assert all(c[1] == k for c in cycles), cycles
        fetches = [fetch_once() for _ in range(args.repeat)]
        assert all(f[1] == k for f in fetches)

        store._conn.execute("DROP INDEX findings_promotable")
        base_fetch = [fetch_once() for _ in range(max(3, args.repeat // 3))]
        base_cycle = [cycle_once() for _ in range(max(3, args.repeat // 3))]
        store.close()

    c_ms = _median_ms([c[0] for c in cycles])
    f_ms = _median_ms([f[0] for f in fetches])
    bf_ms = _median_ms([f[0] for f in base_fetch])
    bc_ms = _median_ms([c[0] for c in base_cycle])
    print(f"promote cycle ({n:,} findings, {k} promotable), indexed: median {c_ms:.3f} ms")
    print(f"promote cycle, baseline (no partial index):   median {bc_ms:.1f} ms")
    print(f"fetch_promotable, indexed: median {f_ms:.3f} ms; baseline: median {bf_ms:.1f} ms")
    print(f"ratio baseline/indexed: cycle {bc_ms / c_ms:,.0f}x, fetch {bf_ms / f_ms:,.0f}x")


if __name__ == "__main__":
    main()
