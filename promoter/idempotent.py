"""Idempotent mode: the issue id is derived from the finding id.

``issue_uuid(finding_id)`` is ``sha256("v1:" + finding_id)`` shaped as a UUID v4 (version and
variant bits set). The ``v1:`` key version is part of the hash, so changing the derivation is
an explicit, visible decision (a new version gives new ids; old issues stay findable through
the ``finding-id`` marker in their bodies).

Because every attempt for one finding uses the same id, a retry after a write-back failure,
after a commit-then-fail 502, or from a racing replica cannot create a second issue: Linear
answers "conflict on insert" for that id. That answer is also what a *phantom* conflict looks
like, so :func:`verify_existing` reads the id back with lag-aware retries on the client's
clock, out of the run's :class:`~promoter.retry.WaitBudget`: found → it is the finding's issue
(the id is derived from the finding id, so whatever its text says, it is ours: link it);
never found within the settle delays → it was phantom and the create is retried (with a
changed body, same id); the budget ran out first → undecided, left for the next run.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from promoter.linear.errors import LinearError, NotFoundError
from promoter.protocols import Clock, LinearIssues
from promoter.retry import DEFAULT_DELAYS, WaitBudget, is_transient

log = logging.getLogger(__name__)

#: Version of the id derivation.
ID_KEY_VERSION = "v1"
#: Virtual seconds between read-backs; the sum is the settle budget (31 s).
DEFAULT_SETTLE_DELAYS: tuple[float, ...] = DEFAULT_DELAYS


def issue_uuid(finding_id: str, version: str = ID_KEY_VERSION) -> str:
    """A UUID-v4-shaped issue id derived from ``version`` and ``finding_id``."""
    raw = bytearray(hashlib.sha256(f"{version}:{finding_id}".encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return str(uuid.UUID(bytes=bytes(raw)))


@dataclass(frozen=True)
class Verification:
    """Outcome of reading back an id after "conflict on insert"."""

    status: Literal["ours", "phantom", "undecided", "error"]
    issue: Any = None
    error: Exception | None = None


def verify_existing(
    client: LinearIssues,
    issue_id: str,
    clock: Clock,
    delays: Sequence[float] = DEFAULT_SETTLE_DELAYS,
    budget: WaitBudget | None = None,
) -> Verification:
    """Read ``issue_id`` (a derived id) back, waiting out read-after-create lag.

    Returns ``ours`` (it exists: the derived id makes it the finding's issue whatever its
    body says), ``phantom`` (not found after every delay), ``undecided`` (``budget`` ran out
    before the delays did; a transient read error on the last read also leaves it
    undecided) or ``error`` (another API error). Transient read errors are waited out like
    lag.
    """
    budget = budget if budget is not None else WaitBudget(clock)
    last_transient: Exception | None = None
    for wait in (0.0, *delays):
        if not budget.wait(wait):
            return Verification("undecided", error=last_transient)
        try:
            issue = client.issue(issue_id)
        except NotFoundError:
            last_transient = None
            continue
        except LinearError as exc:
            if is_transient(exc):
                last_transient = exc
                continue
            return Verification("error", error=exc)
        return Verification("ours", issue)
    if last_transient is not None:
        return Verification("undecided", error=last_transient)
    return Verification("phantom")
