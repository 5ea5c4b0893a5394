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
5. creates the issue (title, readable summary, and the ``finding-id: v1:<hex>`` line); on an
   API error it logs, counts ``api_errors`` and does NOT mark the finding (it is retried next
   run);
6. writes the issue id back to the store *before* counting ``promoted``; if the write-back
   fails it counts ``orphaned`` and logs the issue identifier with the finding id.

**Single-writer assumption** (as in the reference design): reference mode assumes one
promoter writes to a store at a time. With a store that supports claims (all ours do), each
create is additionally guarded by a conditional claim (owner, token, expiry) and the
write-back applies only under that claim; a lost claim is a skip (``skipped_claimed``).

Beyond the reference design:

* ``mode="idempotent"``: the issue id is derived from the finding id
  (:func:`promoter.idempotent.issue_uuid`); "conflict on insert" for that id is verified by a
  lag-aware read on ``clock`` and, when the issue carries our finding id, linked
  (``recovered``); a phantom conflict is retried (``phantom_retries``, default 2) in the run
  with a changed body and the same id, then left for the next run. No duplicate can come
  from a write-back failure, a commit-then-fail 502 or a racing replica.
* ``circuit_breaker=N``: if a run would create more than N issues for a class (eligible
  candidates, before the cap), nothing is filed and ``breaker_tripped`` is counted.
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
from promoter.store.base import FindingStore

log = logging.getLogger(__name__)

Mode = Literal["reference", "idempotent"]


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
    refresh_failed: bool = False
    #: (finding id, issue id, identifier) of every issue linked in this run.
    linked: list[tuple[str, str, str]] = field(default_factory=list)
    #: (finding id, issue identifier) of every orphan (created, not linked).
    orphans: list[tuple[str, str]] = field(default_factory=list)
    #: (finding id, error text) of every failed create.
    errors: list[tuple[str, str]] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        """The counters as a dict (names as in :data:`promoter.metrics.COUNTERS`)."""
        return {name: getattr(self, name) for name in COUNTERS}


def default_owner() -> str:
    """A replica name: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
        registry: CollectorRegistry | None = None,
    ) -> None:
        if mode not in ("reference", "idempotent"):
            raise ValueError(f"unknown mode {mode!r}: expected 'reference' or 'idempotent'")
        if phantom_retries < 0:
            raise ValueError(f"phantom_retries must be >= 0, got {phantom_retries}")
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
        self.settle_delays = tuple(settle_delays)
        self.phantom_retries = phantom_retries
        self.metrics = metrics_for(registry)

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
        try:
            self._run(cls, result)
        finally:
            for name, value in result.counters().items():
                self.metrics.inc(name, cls, value)
        return result

    def _run(self, cls: str, result: PromotionResult) -> None:
        store, client = self.store, self.client
        assert store is not None and client is not None
        try:
            store.refresh_index()
        except Exception as exc:  # best effort, as in the reference design
            result.refresh_failed = True
            log.warning("promoter[%s]: refresh_index failed, reads may be stale: %s", cls, exc)
        candidates = store.fetch_promotable(cls, self.threshold, self.fetch_limit)

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
            if attempts >= self.max_per_run:
                result.capped += 1
                log.info("promoter[%s]: max_per_run=%d reached", cls, self.max_per_run)
                break
            token = store.claim(fid, self.owner, self.claim_ttl)
            if token is None:
                result.skipped_claimed += 1
                continue
            attempts += 1
            self._promote_one(cls, current, token, result)

    def _breaker_trips(
        self, cls: str, candidates: list[StoredFinding], result: PromotionResult
    ) -> bool:
        assert self.store is not None and self.circuit_breaker is not None
        eligible: set[str] = set()
        for cand in candidates:
            if cand.finding_id in eligible:
                continue
            current = self.store.get(cand.finding_id)
            if current is not None and current.issue_id is None:
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
        self, cls: str, finding: StoredFinding, token: str, result: PromotionResult
    ) -> None:
        store, client = self.store, self.client
        assert store is not None and client is not None
        fid = finding.finding_id
        issue, recovered = self._create(finding, result)
        if issue is None:
            store.release_claim(fid, token)
            return
        try:
            applied = store.set_linear_issue_id(fid, issue.id, issue.identifier, token)
        except Exception as exc:
            result.orphaned += 1
            result.orphans.append((fid, issue.identifier))
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
                result.orphans.append((fid, issue.identifier))
                log.error(
                    "promoter[%s]: ORPHANED issue %s for finding %s: lost the claim "
                    "(finding linked to %s)",
                    cls,
                    issue.identifier,
                    fid,
                    now.identifier if now else None,
                )
            return
        result.linked.append((fid, issue.id, issue.identifier))
        if recovered:
            result.recovered += 1
        else:
            result.promoted += 1

    def _create(self, finding: StoredFinding, result: PromotionResult) -> tuple[Any, bool]:
        """Create the issue. Returns (issue, recovered) or (None, False) after an API error."""
        client = self.client
        assert client is not None and self.team_id is not None
        fid = finding.finding_id
        title = issue_title(finding)
        body = issue_body(finding)
        label_ids = list(self.label_ids) or None
        if self.mode == "reference":
            try:
                return client.issue_create(self.team_id, title, body, label_ids=label_ids), False
            except LinearError as exc:
                self._api_error(finding, exc, result)
                return None, False

        issue_id = issue_uuid(fid)
        for attempt in range(self.phantom_retries + 1):
            # A phantom conflict sticks to the exact request body, so a retry changes the body
            # (a deterministic note with the attempt and the clock) and keeps the id.
            desc = body if attempt == 0 else f"{body}\n\n(retry {attempt} at {self.clock.now():.3f})"
            try:
                return client.issue_create(
                    self.team_id, title, desc, id=issue_id, label_ids=label_ids
                ), False
            except ConflictOnInsertError as exc:
                v = verify_existing(client, issue_id, fid, self.clock, self.settle_delays)
                if v.status == "ours":
                    log.info("promoter[%s]: issue %s already exists for finding %s: linking",
                             finding.cls, v.issue.identifier, fid)
                    return v.issue, True
                if v.status == "phantom" and attempt < self.phantom_retries:
                    log.info("promoter[%s]: phantom conflict for %s; retrying with a new body",
                             finding.cls, fid)
                    continue
                self._api_error(finding, v.error or exc, result, note=v.status)
                return None, False
            except LinearError as exc:
                self._api_error(finding, exc, result)
                return None, False
        return None, False  # pragma: no cover - the loop always returns

    def _api_error(
        self, finding: StoredFinding, exc: Exception, result: PromotionResult, note: str = ""
    ) -> None:
        result.api_errors += 1
        text = f"{type(exc).__name__}: {exc}" + (f" ({note})" if note else "")
        result.errors.append((finding.finding_id, text))
        log.warning(
            "promoter[%s]: create failed for finding %s, left unlinked for the next run: %s",
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
