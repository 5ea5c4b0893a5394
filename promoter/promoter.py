"""The promoter: file each persistent finding as a Linear issue, exactly once.

Reference mode keeps the reference design's semantics exactly (DESIGN.md §5). For one class,
``promote_class(cls)``:

1. is disabled — makes no calls at all, not even to the store — unless ``threshold > 0``
   and a client, a store and a team are set;
2. refreshes the store's search index once, best effort (a failure is logged; the run goes
   on with possibly stale reads);
3. fetches promotable findings (streak >= threshold, unlinked);
4. for each candidate: skips ones seen earlier in this run (``skipped_seen``), re-checks the
   store in real time and skips already-linked ones (``skipped_linked``), stops at
   ``max_per_run`` create attempts, failed ones included (``capped``, once per run that
   stopped with candidates left);
5. creates the issue (title, readable summary with user text neutralised, and the
   promoter's ``finding-id: v1:<hex>`` trailer as the last line); on an API error it logs,
   counts ``api_errors`` and does NOT mark the finding (it is retried in a later run);
6. writes the issue id back to the store *before* counting ``promoted``; if the write-back
   fails it counts ``orphaned`` and logs the issue identifier with the finding id.

**Single-writer assumption** (as in the reference design): reference mode assumes one
promoter writes to a store at a time. With a store that supports claims (all ours do), each
create is additionally guarded by a conditional claim (owner, token, expiry) and the
write-back applies only under that claim; a lost claim is a skip (``skipped_claimed``).

Beyond the reference design:

* ``mode="idempotent"``: the issue id is derived from the finding id
  (:func:`promoter.idempotent.issue_uuid`); "conflict on insert" for that id is verified by a
  lag-aware read on ``clock``: an issue found at the derived id is the finding's whatever
  its text says, and is linked (``recovered``); a phantom conflict — or one the wait budget
  could not settle — is retried (``phantom_retries``, default 2) in the run with a changed
  body and the same id, then left for a later run. No duplicate can come
  from a write-back failure, a commit-then-fail 502 or a racing replica.
* ``circuit_breaker=N``: if a run would create more than N issues for a class (eligible
  candidates, before the cap), nothing is filed and ``breaker_tripped`` is counted.
* Fairness (DESIGN.md I7): a failed create is recorded on the finding, which then waits 1, 2,
  4, … (up to ``max_backoff``) cycles of its class before it is fetched again; after
  ``park_after`` consecutive failures caused by the finding itself (invalid input such as a
  body Linear refuses as too large; never gateway, transport, rate-limit or conflict errors)
  it is parked with the reason (``parked``) until ``unpark`` or new content. Within the
  fetched window, findings that never failed go first. So findings that keep failing
  cannot hold the ``max_per_run`` slots: the cap still counts every attempt.
* Waiting (idempotent read-backs, phantom retries) happens on ``clock`` and out of one
  :class:`~promoter.retry.WaitBudget` per run (``max_wait`` seconds; None: unbounded), or the
  ``budget`` passed in (the CLI shares one across classes and lookups).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import CollectorRegistry

from promoter.findings import StoredFinding, issue_body, issue_title
from promoter.idempotent import DEFAULT_SETTLE_DELAYS, issue_uuid, verify_existing
from promoter.linear.errors import ConflictOnInsertError, LinearError
from promoter.metrics import COUNTERS, metrics_for
from promoter.protocols import Clock, LinearIssues, SystemClock
from promoter.retry import RetryPolicy, WaitBudget, about_the_finding
from promoter.store.base import FindingStore

log = logging.getLogger(__name__)

Mode = Literal["reference", "idempotent"]

#: Defaults of the fairness knobs.
DEFAULT_PARK_AFTER = 5
DEFAULT_MAX_BACKOFF = 8


@dataclass
class PromotionResult:
    """What one ``promote_class`` run did (the counters, plus details for reports)."""

    cls: str
    enabled: bool = True
    promoted: int = 0
    api_errors: int = 0
    orphaned: int = 0
    skipped_linked: int = 0
    skipped_seen: int = 0
    capped: int = 0
    recovered: int = 0
    skipped_claimed: int = 0
    breaker_tripped: int = 0
    parked: int = 0
    skipped_backoff: int = 0
    refresh_failed: bool = False
    #: (finding id, issue id, identifier) of every issue linked in this run.
    linked: list[tuple[str, str, str]] = field(default_factory=list)
    #: (finding id, issue id, identifier) of every orphan (created, not linked).
    orphans: list[tuple[str, str, str]] = field(default_factory=list)
    #: (finding id, error text) of every failed create.
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: (finding id, reason) of every finding parked in this run.
    parked_findings: list[tuple[str, str]] = field(default_factory=list)
    #: Finding ids linked to an issue that already existed (idempotent mode).
    recovered_ids: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        """The counters as a dict (names as in :data:`promoter.metrics.COUNTERS`)."""
        return {name: getattr(self, name) for name in COUNTERS}

    @property
    def failed(self) -> bool:
        """True when some work failed: a create, a write-back, or the breaker filed nothing."""
        return bool(self.api_errors or self.orphaned or self.breaker_tripped)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with full finding and issue ids (the CLI's ``--json``)."""
        recovered = set(self.recovered_ids)
        return {
            "class": self.cls,
            "enabled": self.enabled,
            "counters": self.counters(),
            "refresh_failed": self.refresh_failed,
            "linked": [{"finding_id": f, "issue_id": i, "identifier": n, "recovered": f in recovered}
                       for f, i, n in self.linked],
            "orphans": [{"finding_id": f, "issue_id": i, "identifier": n} for f, i, n in self.orphans],
            "parked": [{"finding_id": f, "reason": r} for f, r in self.parked_findings],
            "errors": [{"finding_id": f, "error": e} for f, e in self.errors],
        }


def default_owner() -> str:
    """A replica name: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _Attempt:
    """The outcome of creating one finding's issue."""

    issue: Any = None
    recovered: bool = False
    error: Exception | None = None


class LinearPromoter:
    """Files findings of a class as Linear issues (see the module docstring)."""

    def __init__(
        self,
        store: FindingStore | None,
        client: LinearIssues | None,
        team_id: str | None,
        threshold: int,
        max_per_run: int = 5,
        label_ids: Sequence[str] = (),
        mode: Mode = "reference",
        circuit_breaker: int | None = None,
        owner: str | None = None,
        *,
        clock: Clock | None = None,
        claim_ttl: float = 300.0,
        settle_delays: Sequence[float] = DEFAULT_SETTLE_DELAYS,
        phantom_retries: int = 2,
        retry: RetryPolicy | None = None,
        max_wait: float | None = None,
        budget: WaitBudget | None = None,
        park_after: int = DEFAULT_PARK_AFTER,
        max_backoff: int = DEFAULT_MAX_BACKOFF,
        registry: CollectorRegistry | None = None,
    ) -> None:
        if mode not in ("reference", "idempotent"):
            raise ValueError(f"unknown mode {mode!r}: expected 'reference' or 'idempotent'")
        if phantom_retries < 0:
            raise ValueError(f"phantom_retries must be >= 0, got {phantom_retries}")
        if park_after < 1:
            raise ValueError(f"park_after must be >= 1, got {park_after}")
        if max_backoff < 1:
            raise ValueError(f"max_backoff must be >= 1, got {max_backoff}")
        if claim_ttl < 0:
            raise ValueError(f"claim_ttl must be >= 0, got {claim_ttl}")
        self.store = store
        self.client = client
        self.team_id = team_id
        self.threshold = threshold
        self.max_per_run = max_per_run
        self.label_ids = tuple(label_ids)
        self.mode = mode
        self.circuit_breaker = circuit_breaker
        self.owner = owner or default_owner()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.claim_ttl = claim_ttl
        self.retry = retry if retry is not None else RetryPolicy(phantom_retries + 1,
                                                                 tuple(settle_delays))
        self.max_wait = max_wait
        self.budget = budget
        self.park_after = park_after
        self.max_backoff = max_backoff
        self.metrics = metrics_for(registry)

    @property
    def phantom_retries(self) -> int:
        """Creates retried in a run after a phantom conflict (idempotent mode)."""
        return self.retry.attempts - 1

    @property
    def settle_delays(self) -> tuple[float, ...]:
        """Waits between read-backs after "conflict on insert" (idempotent mode)."""
        return self.retry.delays

    def enabled(self) -> bool:
        """The kill switch: threshold > 0 and a client, a store and a team are set."""
        return (
            self.threshold > 0
            and self.client is not None
            and self.store is not None
            and bool(self.team_id)
        )

    @property
    def fetch_limit(self) -> int:
        """How many candidates one run reads (room for skips, the cap and the breaker)."""
        return max(self.max_per_run, (self.circuit_breaker or 0) + 1) * 2 + 1

    # -- the run --------------------------------------------------------------------------

    def promote_class(self, cls: str) -> PromotionResult:
        """One promotion run for ``cls``; returns its counters (also exported as metrics)."""
        if not self.enabled():
            return PromotionResult(cls, enabled=False)
        result = PromotionResult(cls)
        budget = self.budget if self.budget is not None else WaitBudget(self.clock, self.max_wait)
        try:
            self._run(cls, result, budget)
        finally:
            for name, value in result.counters().items():
                self.metrics.inc(name, cls, value)
        return result

    def _run(self, cls: str, result: PromotionResult, budget: WaitBudget) -> None:
        store, client = self.store, self.client
        assert store is not None and client is not None
        try:
            store.refresh_index()
        except Exception as exc:  # best effort, as in the reference design
            result.refresh_failed = True
            log.warning("promoter[%s]: refresh_index failed, reads may be stale: %s", cls, exc)
        candidates = store.fetch_promotable(cls, self.threshold, self.fetch_limit)
        # Fairness: in the window, findings that never failed go first (a stable sort keeps
        # the store's order otherwise), so failing ones cannot take every slot.
        candidates.sort(key=lambda c: c.failures > 0)

        if self.circuit_breaker is not None and self._breaker_trips(cls, candidates, result):
            return

        seen: set[str] = set()
        attempts = 0
        for cand in candidates:
            fid = cand.finding_id
            if fid in seen:
                result.skipped_seen += 1
                continue
            seen.add(fid)
            current = store.get(fid)  # the re-check: real-time, unlike the search index
            if current is None or current.issue_id is not None:
                result.skipped_linked += 1
                continue
            if current.parked_reason is not None or current.retry_in > 0:
                result.skipped_backoff += 1  # parked or failed lately (a stale index)
                continue
            if attempts >= self.max_per_run:
                result.capped += 1
                log.info("promoter[%s]: max_per_run=%d reached", cls, self.max_per_run)
                break
            token = store.claim(fid, self.owner, self.claim_ttl)
            if token is None:
                result.skipped_claimed += 1
                continue
            attempts += 1
            self._promote_one(cls, current, token, result, budget)

    def _breaker_trips(
        self, cls: str, candidates: list[StoredFinding], result: PromotionResult
    ) -> bool:
        assert self.store is not None and self.circuit_breaker is not None
        eligible: set[str] = set()
        for cand in candidates:
            if cand.finding_id in eligible:
                continue
            current = self.store.get(cand.finding_id)
            if (current is not None and current.issue_id is None
                    and current.parked_reason is None and current.retry_in == 0):
                eligible.add(cand.finding_id)
        if len(eligible) > self.circuit_breaker:
            result.breaker_tripped = 1
            log.error(
                "promoter[%s]: circuit breaker: %s findings would be filed (limit %d); "
                "filing nothing",
                cls,
                f"at least {len(eligible)}" if len(eligible) >= self.fetch_limit else len(eligible),
                self.circuit_breaker,
            )
            return True
        return False

    def _promote_one(
        self, cls: str, finding: StoredFinding, token: str, result: PromotionResult,
        budget: WaitBudget,
    ) -> None:
        store = self.store
        assert store is not None
        fid = finding.finding_id
        attempt = self._create(finding, result, budget)
        issue = attempt.issue
        if issue is None:
            self._record_failure(cls, finding, attempt.error, result)
            store.release_claim(fid, token)
            return
        try:
            applied = store.set_linear_issue_id(fid, issue.id, issue.identifier, token)
        except Exception as exc:
            result.orphaned += 1
            result.orphans.append((fid, issue.id, issue.identifier))
            log.error(
                "promoter[%s]: ORPHANED issue %s (id %s) for finding %s: write-back failed: %s",
                cls,
                issue.identifier,
                issue.id,
                fid,
                exc,
            )
            return
        if not applied:
            now = store.get(fid)
            if now is not None and now.issue_id == issue.id:
                result.skipped_claimed += 1  # a racing replica linked the very same issue
            else:
                result.orphaned += 1
                result.orphans.append((fid, issue.id, issue.identifier))
                log.error(
                    "promoter[%s]: ORPHANED issue %s (id %s) for finding %s: lost the claim "
                    "(finding linked to %s)",
                    cls,
                    issue.identifier,
                    issue.id,
                    fid,
                    now.identifier if now else None,
                )
            return
        result.linked.append((fid, issue.id, issue.identifier))
        if attempt.recovered:
            result.recovered += 1
            result.recovered_ids.append(fid)
        else:
            result.promoted += 1

    def _record_failure(
        self, cls: str, finding: StoredFinding, exc: Exception | None, result: PromotionResult
    ) -> None:
        """Back the finding off (and park it when its own content keeps failing). Best
        effort: if the store cannot record it, the finding is simply tried again."""
        assert self.store is not None
        text = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        park_after = self.park_after if exc is not None and about_the_finding(exc) else None
        try:
            row = self.store.record_failure(finding.finding_id, text[:500], park_after=park_after,
                                            max_backoff=self.max_backoff)
        except Exception as err:
            log.warning("promoter[%s]: could not record the failure of %s: %s", cls,
                        finding.finding_id, err)
            return
        if row is not None and row.parked_reason is not None:
            result.parked += 1
            result.parked_findings.append((finding.finding_id, row.parked_reason))
            log.error("promoter[%s]: PARKED finding %s: %s (promoter unpark, or new content, "
                      "brings it back)", cls, finding.finding_id, row.parked_reason)

    def _create(self, finding: StoredFinding, result: PromotionResult, budget: WaitBudget) -> _Attempt:
        """Create the issue; an :class:`_Attempt` with the issue, or the error after an API
        error (counted in ``api_errors``)."""
        client = self.client
        assert client is not None and self.team_id is not None
        fid = finding.finding_id
        title = issue_title(finding)
        label_ids = list(self.label_ids) or None
        if self.mode == "reference":
            try:
                return _Attempt(client.issue_create(self.team_id, title, issue_body(finding),
                                                    label_ids=label_ids))
            except LinearError as exc:
                self._api_error(finding, exc, result)
                return _Attempt(error=exc)

        issue_id = issue_uuid(fid)
        for attempt in range(self.retry.attempts):
            # A phantom conflict sticks to the exact request body, so a retry changes the body
            # (a note with the attempt and the clock, before the trailer) and keeps the id.
            notes = [] if attempt == 0 else [f"(retry {attempt} at {self.clock.now():.3f})"]
            try:
                return _Attempt(client.issue_create(
                    self.team_id, title, issue_body(finding, notes), id=issue_id,
                    label_ids=label_ids,
                ))
            except ConflictOnInsertError as exc:
                v = verify_existing(client, issue_id, self.clock, self.retry.delays, budget)
                if v.status == "ours":
                    log.info("promoter[%s]: issue %s already exists for finding %s: linking",
                             finding.cls, v.issue.identifier, fid)
                    return _Attempt(v.issue, recovered=True)
                if v.status in ("phantom", "undecided") and attempt + 1 < self.retry.attempts:
                    # Undecided (no budget left to wait out lag) is retried too: with the same
                    # id a second issue is impossible, and a phantom passes with a new body.
                    log.info("promoter[%s]: %s conflict for %s; retrying with a new body",
                             finding.cls, v.status, fid)
                    continue
                note = v.status
                if v.status == "undecided":
                    note = "undecided: " + (f"last read {type(v.error).__name__}" if v.error
                                            else "wait budget exhausted")
                error = v.error or exc
                self._api_error(finding, error, result, note=note)
                return _Attempt(error=error)
            except LinearError as exc:
                self._api_error(finding, exc, result)
                return _Attempt(error=exc)
        return _Attempt()  # pragma: no cover - the loop always returns

    def _api_error(
        self, finding: StoredFinding, exc: Exception, result: PromotionResult, note: str = ""
    ) -> None:
        result.api_errors += 1
        text = f"{type(exc).__name__}: {exc}" + (f" ({note})" if note else "")
        result.errors.append((finding.finding_id, text))
        log.warning(
            "promoter[%s]: create failed for finding %s, left unlinked for a later run: %s",
            finding.cls,
            finding.finding_id,
            text,
        )

    def promote_all(self, classes: Sequence[str] | None = None) -> list[PromotionResult]:
        """``promote_class`` for each class (default: every class the store knows)."""
        if not self.enabled():
            return [PromotionResult(c, enabled=False) for c in (classes or ())]
        assert self.store is not None
        return [self.promote_class(c) for c in (classes or self.store.classes())]
