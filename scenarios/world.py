"""The world a scenario (or the stateful machine) acts on: a fake, a store, replicas.

:class:`World` builds, in-process and on the fake's virtual clock: a :class:`FakeLinear`
with the scenario's fault plan behind the respx mock, a ``[test]`` team, the store
(SQLite, or PostgreSQL when configured) wrapped in the faulty store and the history
recorder, and one :class:`Replica` per promoter replica (its own client, recorded). Its
methods are the scenario vocabulary: observe, promote, inject a fault, arm a store fault,
advance the clock, add a replica, reconcile, clean up, and read the final state.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import ssl
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from fakelinear.faults import profile as fault_profile
from fakelinear.handler import FakeLinear
from fakelinear.testkit.names import is_test_name
from fakelinear.testkit.workspace import cleanup_workspace
from fakelinear.transports.mock import mock_linear
from promoter.findings import Finding, parse_finding_id
from promoter.linear.client import LinearClient
from promoter.promoter import LinearPromoter, PromotionResult
from promoter.reconciler import Reconciler
from promoter.store.faulty import FaultyStore
from scenarios.facts import CommitFault, FinalState, IssueFact
from scenarios.history import History, RecordingClient, RecordingStore, RunRecord
from scenarios.lockstep import Lockstep

log = logging.getLogger(__name__)

TEAM_NAME = "[test] scenario team"
TEAM_KEY = "SCN"
ZOMBIE_TEAM = "[test] zombie team"
#: Zombies are made this long before the scenario starts (older than the cleanup's min age).
ZOMBIE_AGE = 2 * 3600.0
#: Mid-scenario cleanups only remove resources older than this (never the run's own).
CLEANUP_MIN_AGE = 3600.0


_SSL_CONTEXT: ssl.SSLContext | None = None


def _transport() -> httpx.HTTPTransport:
    """An httpx transport sharing one SSL context: building a context per client loads the
    CA bundle each time (~0.3 s), which dominated short runs. respx still intercepts it."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
    return httpx.HTTPTransport(verify=_SSL_CONTEXT)


class PostgresUnavailable(RuntimeError):
    """A PostgreSQL scenario without ``FAKELINEAR_PG_DSN``."""


@dataclass
class WorldConfig:
    """Everything needed to build a :class:`World`."""

    seed: int = 0
    mode: str = "reference"
    profile: str = "calm"
    plan: dict[str, Any] = field(default_factory=dict)
    workspace_plan: str = "free"
    threshold: int = 2
    max_per_run: int = 5
    replicas: int = 1
    store: str = "sqlite"
    claims: bool = True
    enabled: bool = True
    zombie_issues: int = 0
    name: str = "scenario"
    park_after: int = 5
    max_backoff: int = 8


@dataclass
class Replica:
    """One promoter replica: its own client (recorded) and store handle."""

    index: int
    client: RecordingClient
    store: RecordingStore
    faulty: FaultyStore
    http: LinearClient


def pg_dsn() -> str | None:
    """The PostgreSQL DSN from the environment, if any."""
    return os.environ.get("FAKELINEAR_PG_DSN") or None


class World:
    """A fake, a team, a store and replicas; see the module docstring. Use as a context
    manager (it patches httpx through respx while open)."""

    def __init__(self, cfg: WorldConfig) -> None:
        self.cfg = cfg
        plan = fault_profile(cfg.profile)
        if cfg.plan:
            plan = plan.merge(cfg.plan)
        self.fake = FakeLinear(seed=cfg.seed, profile=plan, workspaces=1, plan=cfg.workspace_plan)
        self.clock = self.fake.clock
        self.history = History()
        self.history.clock = self.clock.now
        self.registry = CollectorRegistry()
        self.lockstep = Lockstep()
        self.enabled = cfg.enabled
        self.cycle = 0
        self._stack = contextlib.ExitStack()
        self._schema: str | None = None
        self._pg_stores: list[Any] = []
        self.replicas: list[Replica] = []
        self.reconciles: list[Any] = []
        self.cleanups: list[Any] = []
        self.cleanup_passes = 0
        self._token = self.fake.tokens[0]
        self.ws = self.fake.workspace_for(self._token)

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> World:
        self._stack.enter_context(mock_linear(self.fake))
        try:
            with self.fake.lock:
                if self.cfg.zombie_issues:
                    self._make_zombies(self.cfg.zombie_issues)
                self.team = self.ws.create("Team", name=TEAM_NAME, key=TEAM_KEY)
            self.team_id = self.team.id
            for _ in range(self.cfg.replicas):
                self.add_replica()
        except BaseException:
            self.close()  # never leave httpx patched
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close clients and stores; drop a PostgreSQL schema made for this world."""
        for r in self.replicas:
            with contextlib.suppress(Exception):
                r.http.close()
        for s in self._pg_stores:
            with contextlib.suppress(Exception):
                s.close()
        if self._schema:
            self._drop_schema()
        self._stack.close()

    def _make_zombies(self, count: int) -> None:
        """Leftovers of "earlier runs": trashed ``[test]`` issues (still counting against the
        free plan's 250 until purged), made ``ZOMBIE_AGE`` before the scenario starts."""
        teams = [t for t in self.ws.all("Team") if t.archived_at is None]
        # The workspace's own team if it has one (the free plan allows only 2 teams).
        team = teams[0] if teams else self.ws.create("Team", name=ZOMBIE_TEAM, key="ZMB")
        for i in range(count):
            issue = self.ws.create("Issue", teamId=team.id, title=f"[test] zombie {i}")
            self.ws.delete("Issue", issue.id)
        self.fake.advance(ZOMBIE_AGE)

    # -- stores and replicas -------------------------------------------------------------

    def _new_store(self) -> Any:
        if self.cfg.store == "sqlite":
            if self.replicas:  # one shared SQLite store (thread-safe) for every replica
                return self.replicas[0].faulty.inner
            from promoter.store.sqlite import SQLiteFindingStore

            return SQLiteFindingStore(":memory:", now=self.clock.now)
        dsn = pg_dsn()
        if not dsn:
            raise PostgresUnavailable("FAKELINEAR_PG_DSN is not set")
        from promoter.store.postgres import PostgresFindingStore

        if self._schema is None:
            slug = re.sub(r"[^a-z0-9]+", "_", self.cfg.name.lower())[:30]
            self._schema = f"scn_{slug}_{uuid.uuid4().hex[:8]}"
        store = PostgresFindingStore(dsn, schema=self._schema, now=self.clock.now)
        self._pg_stores.append(store)
        return store

    def add_replica(self) -> Replica:
        """Start one more promoter replica (its own client; the shared store)."""
        inner = self._new_store()
        if self.cfg.store == "sqlite" and self.replicas:
            faulty = self.replicas[0].faulty
        else:
            faulty = FaultyStore(inner, clock=self.clock)
        http = LinearClient(self._token, transport=_transport())
        replica = Replica(
            index=len(self.replicas),
            client=RecordingClient(http, self.history, before_create=self.lockstep.yield_point),
            store=RecordingStore(faulty, self.history, claims=self.cfg.claims),
            faulty=faulty,
            http=http,
        )
        self.replicas.append(replica)
        return replica

    @property
    def store(self) -> RecordingStore:
        """Replica 0's store (the shared one for SQLite)."""
        return self.replicas[0].store

    # -- the scenario vocabulary ---------------------------------------------------------

    def observe(self, findings_by_class: dict[str, list[Finding]]) -> None:
        """One observation cycle: upsert each class's findings (streaks)."""
        for cls, findings in findings_by_class.items():
            self.replicas[0].faulty.inner.observe(cls, findings)

    def promote(self, classes: list[str] | tuple[str, ...]) -> list[PromotionResult | Exception]:
        """One promotion run per replica per class (replicas race in lockstep)."""
        out: list[PromotionResult | Exception] = []
        for cls in classes:
            before = len(self.fake.journal)
            runs = [self.history.next_run_id() for _ in self.replicas]
            jobs = [self._job(r, cls, runs[r.index]) for r in self.replicas]
            results = self.lockstep.run(jobs)
            delta = len(self.fake.journal) - before
            if not self.enabled and delta:
                # Ground truth from the fake: attribute calls made while disabled.
                rec = next(r for r in self.history.runs if r.run == runs[0])
                rec.http_calls = max(rec.http_calls, delta)
            out.extend(results)
        return out

    def _job(self, replica: Replica, cls: str, run: int) -> Any:
        def job() -> PromotionResult:
            promoter = LinearPromoter(
                replica.store,
                replica.client,
                self.team_id,
                threshold=self.cfg.threshold if self.enabled else 0,
                max_per_run=self.cfg.max_per_run,
                mode=self.cfg.mode,  # type: ignore[arg-type]
                owner=f"replica-{replica.index}",
                clock=self.clock,
                registry=self.registry,
                park_after=self.cfg.park_after,
                max_backoff=self.cfg.max_backoff,
            )
            before = len(self.fake.journal) if len(self.replicas) == 1 else 0
            rec = RunRecord(run, self.cycle, replica.index, cls, self.cfg.mode, self.enabled,
                            self.cfg.max_per_run)
            with self.history.context(replica=replica.index, run=run, cycle=self.cycle, cls=cls):
                try:
                    result = promoter.promote_class(cls)
                except Exception as exc:
                    rec.error = f"{type(exc).__name__}: {exc}"[:300]
                    raise
                finally:
                    if len(self.replicas) == 1:
                        rec.http_calls = len(self.fake.journal) - before
                    self.history.add_run(rec)
            rec.counters = result.counters()
            return result

        return job

    def inject(self, override: str, /, **args: Any) -> None:
        """A fault override: ``fake.faults.<override>(**args)``."""
        method = getattr(self.fake.faults, override, None)
        if method is None:
            raise ValueError(f"the fake has no fault override {override!r}")
        method(**args)

    def store_fault(self, kind: str, times: int = 1) -> None:
        """Arm a store fault on replica 0's store (shared for SQLite)."""
        faulty = self.replicas[0].faulty
        if kind == "write_back_fail":
            faulty.fail_set_linear_issue_id(times)
        elif kind == "refresh_fail":
            faulty.fail_refresh_index(times)
        elif kind == "stale_reads":
            faulty.stale = True
        else:
            raise ValueError(f"unknown store fault {kind!r}")

    def clear_store_faults(self) -> None:
        """Disarm every store fault."""
        for r in self.replicas:
            r.faulty.fail_set_linear_issue_id(0)
            r.faulty.fail_refresh_index(0)
            r.faulty.stale = False

    def calm(self) -> None:
        """No more faults: the fake turns calm and store faults are disarmed."""
        self.fake.faults.calm()
        self.clear_store_faults()

    def advance(self, seconds: float) -> None:
        """Move the fake's virtual clock."""
        if seconds > 0:
            self.fake.advance(seconds)

    def set_enabled(self, enabled: bool) -> None:
        """The kill switch (disabled: the promoter runs with threshold 0)."""
        self.enabled = enabled

    def reconcile(self) -> Any:
        """Run the reconciler once (through replica 0's recorded client)."""
        r = self.replicas[0]
        with self.history.context(replica=0, run=-1, cycle=self.cycle, cls=None):
            try:
                report = Reconciler(r.store, r.client, self.team_id).run()
            except Exception as exc:  # fails closed: nothing changed
                report = exc
        self.reconciles.append(report)
        return report

    def cleanup(self, *, min_age: float | None = CLEANUP_MIN_AGE, all: bool = False) -> Any:  # noqa: A002
        """The harness's workspace cleanup (by default only resources older than an hour:
        an earlier run's zombies, never this run's own)."""
        report = cleanup_workspace(self.replicas[0].http, all=all, clock=self.clock, min_age=min_age)
        self.cleanups.append(report)
        return report

    # -- the end -------------------------------------------------------------------------

    def issues(self) -> list[IssueFact]:
        """Every issue carrying a finding id, from the model (ground truth, no lag)."""
        out = []
        with self.fake.lock:
            for issue in self.ws.all("Issue"):
                fid = parse_finding_id(issue.description)
                if fid is None:
                    continue
                state = self.ws.get("WorkflowState", issue.state_id) if issue.state_id else None
                out.append(IssueFact(
                    id=issue.id, identifier=issue.identifier, finding_id=fid,
                    created_at=issue.created_at, number=int(issue.number), trashed=bool(issue.trashed),
                    archived=issue.archived_at is not None,
                    canceled=getattr(state, "type", None) == "canceled", title=issue.title,
                ))
        return out

    def links(self) -> dict[str, str | None]:
        """The store's finding → issue id map (real-time)."""
        return {f.finding_id: f.issue_id for f in self.replicas[0].faulty.inner.list_findings()}

    def parked(self) -> dict[str, str]:
        """The store's parked findings and their reasons (real-time)."""
        return {f.finding_id: f.parked_reason for f in self.replicas[0].faulty.inner.list_findings()
                if f.parked_reason is not None and f.issue_id is None}

    def commit_faults(self) -> list[CommitFault]:
        """Creates the fake committed but answered with a fault, from its journal."""
        out = []
        for e in self.fake.journal.entries(operation="issueCreate", committed=True):
            if e.decision == "passed":
                continue
            inp = (e.variables or {}).get("input") or {}
            out.append(CommitFault(e.seq, e.decision, parse_finding_id(inp.get("description")), inp.get("id")))
        return out

    def leftovers(self) -> list[str]:
        """``[test]`` resources still present: any issue (permanent delete exists), and
        teams, projects, documents and labels not yet archived or trashed."""
        out: list[str] = []
        with self.fake.lock:
            test_teams = {t.id for t in self.ws.all("Team") if is_test_name(t.name)}
            for i in self.ws.all("Issue"):
                if is_test_name(i.title) or i.team_id in test_teams:
                    out.append(f"issue {i.identifier} {i.title}")
            for t in self.ws.all("Team"):
                if t.id in test_teams and t.archived_at is None:
                    out.append(f"team {t.key} {t.name}")
            for kind, attr in (("Project", "name"), ("Document", "title"), ("IssueLabel", "name")):
                for e in self.ws.all(kind):
                    if is_test_name(getattr(e, attr, "")) and not getattr(e, "trashed", False) \
                            and e.archived_at is None:
                        out.append(f"{kind.lower()} {getattr(e, attr)}")
        return out

    def final_state(self, *, cleanup: bool = True) -> FinalState:
        """Issues, links and journal facts now; then (``cleanup``) the harness's full
        cleanup on a calm fake and what it left behind (I6)."""
        faults = Counter(e.decision for e in self.fake.journal if e.decision != "passed")
        # Plan limits (F6) are Linear's behaviour, not an injected fault, but they are shown.
        faults.update("usage_limit" for e in self.fake.journal
                      if e.decision == "passed" and e.error_code == "USAGE_LIMIT_EXCEEDED")
        state = FinalState(
            issues=self.issues(),
            links=self.links(),
            commit_faults=self.commit_faults(),
            faults=dict(faults),
            http_calls=len(self.fake.journal),
            parked=self.parked(),
        )
        if cleanup:
            self.fake.faults.calm()
            state.leftovers = self.full_cleanup()
        return state

    def full_cleanup(self, max_passes: int = 1) -> list[str]:
        """The harness's cleanup, once by default (I6 says one cleanup leaves nothing), or
        until nothing is left or a pass removes nothing; returns what is left."""
        self.cleanup_passes = 0
        left = self.leftovers()
        while left and self.cleanup_passes < max_passes:
            report = self.cleanup(min_age=None)
            self.cleanup_passes += 1
            now_left = self.leftovers()
            if report.total_removed == 0 or len(now_left) >= len(left):
                left = now_left
                break
            left = now_left
        return left

    # -- PostgreSQL housekeeping ---------------------------------------------------------

    def _drop_schema(self) -> None:
        dsn = pg_dsn()
        if not dsn or not self._schema:
            return
        with contextlib.suppress(Exception):
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE')
