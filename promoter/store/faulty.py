"""A store wrapper for tests: injects the failure windows of the reference design.

* ``fail_set_linear_issue_id(times=n)`` (``times=None``: always) makes the write-back raise,
  which opens the orphan window (issue created, finding not linked).
* ``fail_refresh_index(times=n)`` makes ``refresh_index`` raise; ``refresh_delay`` sleeps on
  the injected clock first.
* ``stale=True`` models the near-real-time search index of the reference design:
  ``fetch_promotable`` answers from a snapshot taken at the last successful
  ``refresh_index``, while ``get`` (the re-check) stays real-time. Without a refresh, a
  finding that just reached the threshold is invisible (it fires a cycle late) and one that
  was just linked still looks promotable (the re-check must catch it).
* ``duplicate_reads=True`` makes ``fetch_promotable`` return every candidate twice (what a
  paginated NRT read can do), which the within-run seen set must absorb.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from promoter.findings import Finding, StoredFinding
from promoter.store.base import FindingStore, StoreError


class FaultyStore:
    """Wraps any :class:`FindingStore`; see the module docstring."""

    def __init__(
        self,
        inner: FindingStore,
        *,
        stale: bool = False,
        duplicate_reads: bool = False,
        refresh_delay: float = 0.0,
        clock: Any = None,
    ) -> None:
        self.inner = inner
        self.stale = stale
        self.duplicate_reads = duplicate_reads
        self.refresh_delay = refresh_delay
        self.clock = clock
        self._fail_write: int | None = 0
        self._fail_refresh: int | None = 0
        self._snapshot: dict[str, StoredFinding] = {}
        self.calls: list[str] = []

    # -- fault switches -------------------------------------------------------------------

    def fail_set_linear_issue_id(self, times: int | None = 1) -> None:
        """Fail the next ``times`` write-backs (None: every one until reset with 0)."""
        self._fail_write = times

    def fail_refresh_index(self, times: int | None = 1) -> None:
        """Fail the next ``times`` refreshes (None: every one until reset with 0)."""
        self._fail_refresh = times

    @staticmethod
    def _consume(counter: int | None) -> tuple[bool, int | None]:
        if counter is None:
            return True, None
        if counter > 0:
            return True, counter - 1
        return False, 0

    # -- FindingStore ---------------------------------------------------------------------

    def observe(self, cls: str, findings: Iterable[Finding]) -> int:
        """Forward (recorded in ``calls``)."""
        self.calls.append("observe")
        return self.inner.observe(cls, findings)

    def refresh_index(self) -> None:
        """Sleep ``refresh_delay`` on the clock, fail if armed, else refresh and snapshot the index."""
        self.calls.append("refresh_index")
        if self.refresh_delay and self.clock is not None:
            self.clock.sleep(self.refresh_delay)
        fail, self._fail_refresh = self._consume(self._fail_refresh)
        if fail:
            raise StoreError("injected: refresh_index failed")
        self.inner.refresh_index()
        self._snapshot = {f.finding_id: f for f in self.inner.list_findings()}

    def fetch_promotable(self, cls: str, threshold: int, limit: int) -> list[StoredFinding]:
        """From the snapshot when ``stale``, else real time; doubled when ``duplicate_reads``."""
        self.calls.append("fetch_promotable")
        if self.stale:
            rows = sorted(
                (
                    f
                    for f in self._snapshot.values()
                    if f.cls == cls and f.issue_id is None and f.streak >= threshold
                    and f.parked_reason is None and f.retry_in == 0
                ),
                key=lambda f: (-f.streak, f.finding_id),
            )[:limit]
        else:
            rows = self.inner.fetch_promotable(cls, threshold, limit)
        if self.duplicate_reads:
            rows = [r for r in rows for _ in (0, 1)]
        return rows

    def get(self, finding_id: str) -> StoredFinding | None:
        """Forward: the re-check stays real-time."""
        self.calls.append("get")
        return self.inner.get(finding_id)

    def claim(self, finding_id: str, owner: str, ttl: float) -> str | None:
        """Forward."""
        return self.inner.claim(finding_id, owner, ttl)

    def release_claim(self, finding_id: str, token: str) -> None:
        """Forward."""
        self.inner.release_claim(finding_id, token)

    def set_linear_issue_id(
        self,
        finding_id: str,
        issue_id: str,
        identifier: str | None = None,
        claim_token: str | None = None,
    ) -> bool:
        """Fail if armed (the orphan window), else forward."""
        self.calls.append("set_linear_issue_id")
        fail, self._fail_write = self._consume(self._fail_write)
        if fail:
            raise StoreError("injected: set_linear_issue_id failed")
        return self.inner.set_linear_issue_id(finding_id, issue_id, identifier, claim_token)

    def record_failure(
        self, finding_id: str, error: str, *, park_after: int | None, max_backoff: int
    ) -> StoredFinding | None:
        """Forward (recorded in ``calls``)."""
        self.calls.append("record_failure")
        return self.inner.record_failure(finding_id, error, park_after=park_after,
                                         max_backoff=max_backoff)

    def unpark(self, finding_ids: Iterable[str] | None = None, cls: str | None = None) -> int:
        """Forward."""
        return self.inner.unpark(finding_ids, cls)

    def list_findings(self, cls: str | None = None, limit: int | None = None) -> list[StoredFinding]:
        """Forward."""
        return self.inner.list_findings(cls, limit)

    def classes(self) -> list[str]:
        """Forward."""
        return self.inner.classes()

    def close(self) -> None:
        """Forward."""
        self.inner.close()
