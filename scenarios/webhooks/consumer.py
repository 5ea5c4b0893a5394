"""A small reference webhook consumer: a local view of a team's issues kept in sync from
Linear's webhooks alone, under every delivery fault.

What it does with each delivery, in order:

1. **verify**: ``Linear-Signature`` must be the HMAC of the raw body with the secret, else
   401 (Linear retries; the next attempt is signed correctly);
2. **freshness**: ``webhookTimestamp`` must be within ``tolerance`` seconds of the
   consumer's clock, else 400 (a replay or a stale delivery; the retry is fresh);
3. **dedupe** on ``Linear-Delivery``: a delivery id already applied is acknowledged and
   ignored (duplicates, a retry after a lost 200);
4. **order** by the entity's ``updatedAt``: an event older than what the view holds is
   acknowledged and ignored (reordered or delayed events);
5. **re-read on doubt**: when the event cannot be trusted on its own (an update or a remove
   for an issue the view never saw, or an event with the same ``updatedAt`` as the view but
   other content), the issue is read back through the API and the answer is adopted. A
   re-read that fails answers 503, so Linear delivers again later.

A delivery id is remembered only once the delivery was applied, so a failure before that
is retried by Linear and applied then.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fakelinear.webhooks.signing import is_fresh, verify

#: The fields of an issue the view keeps (and the checker compares).
FIELDS = ("title", "priority", "stateId", "teamId", "trashed")
Reader = Callable[[str], "dict[str, Any] | None"]


class RereadFailed(Exception):
    """The API could not be asked (error, lag): the delivery is to be retried."""


def epoch(value: Any) -> float:
    """Linear's ISO 8601 ``...Z`` string as epoch seconds (floats pass through)."""
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


@dataclass
class Entry:
    """One issue as the consumer knows it."""

    updated_at: float
    fields: dict[str, Any]
    removed: bool = False


@dataclass
class ReferenceConsumer:
    """See the module docstring. ``reader(issue_id)`` reads an issue through the API
    (``None`` when it does not exist; :class:`RereadFailed` when the API cannot answer)."""

    secret: str
    reader: Reader
    clock: Callable[[], float]
    tolerance: float = 60.0
    view: dict[str, Entry] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)
    stats: Counter[str] = field(default_factory=Counter)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        """Process one delivery; returns the HTTP status to answer."""
        headers = {k.lower(): v for k, v in headers.items()}
        self.stats["received"] += 1
        if not verify(self.secret, body, headers.get("linear-signature")):
            self.stats["rejected_signature"] += 1
            return 401
        payload = json.loads(body)
        if not is_fresh(payload.get("webhookTimestamp"), self.clock(), self.tolerance):
            self.stats["rejected_stale"] += 1
            return 400
        delivery_id = headers.get("linear-delivery") or ""
        if delivery_id in self.applied:
            self.stats["duplicates_ignored"] += 1
            return 200
        if payload.get("type") == "Issue":
            try:
                self._apply(payload)
            except RereadFailed:
                self.stats["reread_failed"] += 1
                return 503
        self.applied.add(delivery_id)
        self.stats["applied"] += 1
        return 200

    # ------------------------------------------------------------------ applying
    def _apply(self, payload: dict[str, Any]) -> None:
        data = payload["data"]
        issue_id = data["id"]
        incoming = epoch(data["updatedAt"])
        fields = {k: data.get(k) for k in FIELDS}
        removed = payload["action"] == "remove"
        known = self.view.get(issue_id)
        if known is None:
            if payload["action"] == "create":
                self.view[issue_id] = Entry(incoming, fields, removed)
                return
            self._reread(issue_id, "unknown issue", removed)
            return
        if incoming < known.updated_at:
            self.stats["out_of_order_ignored"] += 1
            return
        if incoming == known.updated_at and (fields != known.fields or removed != known.removed):
            self._reread(issue_id, "same updatedAt, other content", removed)
            return
        self.view[issue_id] = Entry(incoming, fields, removed or known.removed and incoming == known.updated_at)

    def _reread(self, issue_id: str, why: str, removing: bool) -> None:
        self.stats["rereads"] += 1
        self.stats[f"reread: {why}"] += 1
        issue = self.reader(issue_id)
        if issue is None:
            if not removing:
                # "Not found" for an issue an event says exists: read lag, most likely. Ask
                # Linear to deliver again later rather than believe it is gone.
                raise RereadFailed("not found yet")
            # Removed and gone for good (hard-deleted): a tombstone newer than any event.
            self.view[issue_id] = Entry(float("inf"), {}, True)
            return
        self.view[issue_id] = Entry(epoch(issue["updatedAt"]), {k: issue.get(k) for k in FIELDS},
                                    bool(issue.get("trashed")))

    # ------------------------------------------------------------------ reading
    def live(self) -> dict[str, dict[str, Any]]:
        """Issues the consumer believes exist (not removed), by id."""
        return {i: e.fields for i, e in self.view.items() if not e.removed}
