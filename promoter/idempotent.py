"""Idempotent mode: the issue id is derived from the finding id.

``issue_uuid(finding_id)`` is ``sha256("v1:" + finding_id)`` shaped as a UUID v4 (version and
variant bits set). The ``v1:`` key version is part of the hash, so changing the derivation is
an explicit, visible decision (a new version gives new ids; old issues stay findable through
the ``finding-id`` marker in their bodies).

Because every attempt for one finding uses the same id, a retry after a write-back failure,
after a commit-then-fail 502, or from a racing replica cannot create a second issue: Linear
answers "conflict on insert" for that id. That answer is also what a *phantom* conflict looks
like, so :func:`verify_existing` reads the id back with lag-aware retries on the client's
clock: found and carrying our finding id → link it; never found within the settle budget →
it was phantom and the create is retried (with a changed body, same id).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from promoter.findings import parse_finding_id
from promoter.linear.errors import LinearError, NotFoundError
from promoter.protocols import Clock, LinearIssues

log = logging.getLogger(__name__)

#: Version of the id derivation.
ID_KEY_VERSION = "v1"
#: Virtual seconds between read-backs; the sum is the settle budget (31 s).
DEFAULT_SETTLE_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)


def issue_uuid(finding_id: str, version: str = ID_KEY_VERSION) -> str:
    """A UUID-v4-shaped issue id derived from ``version`` and ``finding_id``."""
    raw = bytearray(hashlib.sha256(f"{version}:{finding_id}".encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return str(uuid.UUID(bytes=bytes(raw)))


@dataclass(frozen=True)
class Verification:
    """Outcome of reading back an id after "conflict on insert"."""

    status: Literal["ours", "phantom", "foreign", "error"]
    issue: Any = None
    error: Exception | None = None


def verify_existing(
    client: LinearIssues,
    issue_id: str,
    finding_id: str,
    clock: Clock,
    delays: Sequence[float] = DEFAULT_SETTLE_DELAYS,
) -> Verification:
    """Read ``issue_id`` back, waiting out read-after-create lag on ``clock``.

    Returns ``ours`` (exists and carries ``finding_id``), ``foreign`` (exists, other body:
    never link it), ``phantom`` (not found after the whole budget) or ``error`` (another API
    error: undecided, retry later).
    """
    attempts = [0.0, *delays]
    for wait in attempts:
        if wait:
            clock.sleep(wait)
        try:
            issue = client.issue(issue_id)
        except NotFoundError:
            continue
        except LinearError as exc:
            return Verification("error", error=exc)
        if parse_finding_id(getattr(issue, "description", None)) == finding_id:
            return Verification("ours", issue)
        return Verification("foreign", issue)
    return Verification("phantom")
