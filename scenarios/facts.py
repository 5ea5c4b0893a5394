"""Plain facts the checker reads besides the history: the fake's final state.

The runner fills these from the fake (ground truth, bypassing any lag) and the store; tests
build them by hand. Everything here is JSON-able.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class IssueFact:
    """An issue as the fake's model holds it (archived and trashed ones included)."""

    id: str
    identifier: str
    finding_id: str | None
    created_at: float
    number: int = 0
    trashed: bool = False
    archived: bool = False
    canceled: bool = False
    title: str = ""


@dataclass(frozen=True)
class CommitFault:
    """A create the fake committed but answered with a fault (commit-then-fail), from the
    journal: ``decision`` (e.g. ``gateway_after_commit``), the finding id in its body."""

    seq: int
    decision: str
    finding_id: str | None
    requested_id: str | None = None


@dataclass
class FinalState:
    """What the checker compares the history against.

    ``issues``: every issue carrying a finding id, before cleanup. ``links``: the store's
    finding → issue id map (None when unlinked). ``commit_faults``: committed-but-faulted
    creates. ``faults``: injected faults by kind (every request). ``leftovers``: ``[test]``
    resources still present after cleanup (I6); None when cleanup was not checked.
    ``parked``: unlinked findings the store parked, with the reason (I7).
    """

    issues: list[IssueFact] = field(default_factory=list)
    links: dict[str, str | None] = field(default_factory=dict)
    commit_faults: list[CommitFault] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    leftovers: list[str] | None = None
    http_calls: int = 0
    parked: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass(frozen=True)
class Truth:
    """What a correct promoter had to do: ``must_link`` are the findings that stayed
    promotable long enough (I1); ``mode`` selects I2 (reference) or I3 (idempotent);
    ``poison`` are findings that can never be filed and had time to be parked (I7)."""

    mode: str
    must_link: frozenset[str] = frozenset()
    max_per_run: int = 5
    poison: frozenset[str] = frozenset()
