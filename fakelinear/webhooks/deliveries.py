"""Deliveries and their attempts: what ``fake.webhooks.deliveries()`` and the control API
show. A *delivery* is one event for one webhook (one ``Linear-Delivery`` id); each HTTP
POST of it is an *attempt* (the first send, retries, an injected duplicate, a redelivery)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fakelinear.clock import iso

Status = Literal["pending", "delivered", "failed", "cancelled"]
AttemptKind = Literal["send", "retry", "duplicate", "redeliver"]


@dataclass(slots=True)
class Attempt:
    """One POST of a delivery."""

    number: int
    kind: AttemptKind
    time: float  # the fake's clock when it was sent
    status: int  # the receiver's HTTP status; 0 when there was no answer
    accepted: bool  # what the fake concluded: 2xx in time, and the answer not lost
    error: str | None  # "timeout", "connection_error: ...", "not_deliverable", "lost_ack" ...
    fault: str | None  # the F8 fault injected into this attempt, if any
    webhook_timestamp: int  # the payload's webhookTimestamp (epoch ms)
    signature_valid: bool
    journal_seq: int = 0
    response: str = ""  # the start of the receiver's answer (for failure reports)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (with the time as ISO too)."""
        out = asdict(self)
        out["time_iso"] = iso(self.time)
        return out


@dataclass(slots=True)
class Delivery:
    """One event for one webhook, with every attempt so far."""

    id: str
    seq: int
    webhook_id: str
    workspace_id: str
    url: str
    event: str  # Linear-Event: the resource type ("Issue")
    action: str  # create | update | remove
    entity_id: str
    created_at: float  # when the change happened (the payload's createdAt)
    body: dict[str, Any] = field(repr=False)  # without webhookId/webhookTimestamp
    status: Status = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    retries: int = 0  # retries used by the regular schedule
    next_at: float | None = None  # when the next scheduled attempt is due
    planned: str | None = None  # "delay" | "reorder" when the first send was faulted
    held: bool = False  # waiting for a later event of the same entity (reorder)

    def payload(self, timestamp_ms: int) -> dict[str, Any]:
        """The full body of an attempt sent at ``timestamp_ms``."""
        return {**self.body, "webhookTimestamp": timestamp_ms, "webhookId": self.webhook_id}

    def to_dict(self, with_body: bool = False) -> dict[str, Any]:
        """JSON-able form; ``with_body`` adds the payload (without the per-attempt fields)."""
        out: dict[str, Any] = {
            "id": self.id,
            "seq": self.seq,
            "webhook_id": self.webhook_id,
            "workspace_id": self.workspace_id,
            "url": self.url,
            "event": self.event,
            "action": self.action,
            "entity_id": self.entity_id,
            "created_at": self.created_at,
            "status": self.status,
            "retries": self.retries,
            "next_at": self.next_at,
            "attempts": [a.to_dict() for a in self.attempts],
        }
        if with_body:
            out["body"] = self.body
        return out
