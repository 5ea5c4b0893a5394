"""The :class:`FindingStore` protocol shared by every store.

Streaks are kept per class in *cycles*: each ``observe(cls, ...)`` call is one cycle of that
class. A finding seen in this cycle gets streak+1; every finding of that class not seen gets
streak 0. (Stores implement this without touching unseen rows: a row remembers the cycle its
current streak started and the last cycle it was seen, and the streak is derived.)

``set_linear_issue_id`` is the idempotency primitive: once it succeeds the finding is linked
and ``fetch_promotable`` never returns it again.

Claims (``claim``/``release_claim``) let several promoter replicas share one store: a
replica claims a finding (owner, token, expiry) before creating its issue, and the write-back
applies only under that claim and only while the finding is unlinked.

Fairness (DESIGN.md I7): ``record_failure`` counts a failed create. The finding then waits
:func:`backoff_cycles` cycles of its class (1, 2, 4, … up to ``max_backoff``) before it is
fetched again, and is parked (never fetched) once ``park_after`` consecutive creates failed
for a reason of its own. New content (title or detail) or ``unpark`` clears that state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from promoter.findings import Finding, StoredFinding


class StoreError(Exception):
    """A store failed (connection, SQL, injected fault)."""


def backoff_cycles(failures: int, max_backoff: int) -> int:
    """Cycles to wait after ``failures`` consecutive failed creates: 1 (the next cycle), 2,
    4, … capped at ``max_backoff`` (at least 1)."""
    return max(1, min(2 ** min(max(failures, 1) - 1, 30), max_backoff))


def park_reason(failures: int, error: str) -> str:
    """The reason recorded when a finding is parked."""
    return f"{failures} consecutive failed creates; last: {error}"[:1000]


@runtime_checkable
class FindingStore(Protocol):
    """What the promoter, reconciler and CLI need from a findings store."""

    def observe(self, cls: str, findings: Iterable[Finding]) -> int:
        """Record one cycle of ``cls``: upsert the seen findings (streak+1) and reset every
        other finding of that class to streak 0. Returns the number of distinct findings."""
        ...

    def refresh_index(self) -> None:
        """Make recent writes visible to ``fetch_promotable`` (a no-op for real-time stores)."""
        ...

    def fetch_promotable(self, cls: str, threshold: int, limit: int) -> list[StoredFinding]:
        """Findings of ``cls`` with streak >= threshold and no linked issue, neither parked
        nor backing off, longest streak first (then by finding id), at most ``limit``."""
        ...

    def get(self, finding_id: str) -> StoredFinding | None:
        """Real-time read of one finding (used for the re-check before a create)."""
        ...

    def claim(self, finding_id: str, owner: str, ttl: float) -> str | None:
        """Conditionally claim an unlinked finding for ``ttl`` seconds. Returns a token, or
        None when the finding is linked or claimed by another owner (a lost race)."""
        ...

    def release_claim(self, finding_id: str, token: str) -> None:
        """Drop a claim (after a failed create) so another run may try at once."""
        ...

    def set_linear_issue_id(
        self,
        finding_id: str,
        issue_id: str,
        identifier: str | None = None,
        claim_token: str | None = None,
    ) -> bool:
        """Link a finding to its issue. Applies only while the finding is unlinked (and, when
        ``claim_token`` is given, only under that claim). Returns False when it did not apply
        (a lost race); raises :class:`StoreError` when the write itself failed."""
        ...

    def record_failure(
        self, finding_id: str, error: str, *, park_after: int | None, max_backoff: int
    ) -> StoredFinding | None:
        """Count a failed create of an unlinked finding: failures+1, no new try for
        :func:`backoff_cycles` cycles, parked with :func:`park_reason` when ``park_after`` is
        given and reached. Returns the updated finding (None if it is unknown or linked)."""
        ...

    def unpark(self, finding_ids: Iterable[str] | None = None, cls: str | None = None) -> int:
        """Clear failures, backoff and parking: of every parked finding (``finding_ids``
        None), or of the given ones (parked or backing off); only in ``cls`` when given.
        Returns how many findings changed."""
        ...

    def list_findings(self, cls: str | None = None, limit: int | None = None) -> list[StoredFinding]:
        """Findings for ``status`` (ordered by class, then longest streak)."""
        ...

    def classes(self) -> list[str]:
        """Every class observed so far."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
