"""F8 decisions: which delivery faults fire, from the fake's one seeded RNG.

Every decision is ``rng.derive("webhook", fault, delivery id, attempt)``: it depends on the
seed, the plan and the delivery, never on how many other decisions were made or on thread
timing, so the same seed and the same requests give the same deliveries.

Per delivery, before the first send: ``delay`` or ``reorder`` (at most one). Per attempt:
``bad_signature``, ``stale_timestamp`` or ``lost_ack`` (at most one, in that order, and none
on a first send that was already delayed or reordered). After the first accepted attempt:
``duplicate`` (an extra attempt with the same delivery id).
"""

from __future__ import annotations

from typing import Any

DECISION_PREFIX = "webhook:"
PER_ATTEMPT = ("bad_signature", "stale_timestamp", "lost_ack")


def decision(name: str | None) -> str:
    """The journal's ``decision`` for an attempt with fault ``name`` (``passed`` for none)."""
    return f"{DECISION_PREFIX}{name}" if name else "passed"


class WebhookFaults:
    """Rolls F8 faults for one fake (``plan`` is the ``webhooks`` section in force)."""

    def __init__(self, rng: Any) -> None:
        self.rng = rng

    def _roll(self, probability: float, *parts: object) -> bool:
        if probability <= 0:
            return False
        if probability >= 1:
            return True
        return self.rng.derive("webhook", *parts).random() < probability

    def first_send(self, plan: Any, delivery_id: str) -> tuple[str | None, float]:
        """``("delay", seconds)``, ``("reorder", 0)`` or ``(None, 0)``."""
        if self._roll(plan.delay, "delay", delivery_id):
            seconds = self.rng.derive("webhook", "delay-seconds", delivery_id).uniform(plan.delay_min, plan.delay_max)
            return "delay", seconds
        if self._roll(plan.reorder, "reorder", delivery_id):
            return "reorder", 0.0
        return None, 0.0

    def attempt(self, plan: Any, delivery_id: str, number: int) -> str | None:
        """The per-attempt fault of attempt ``number``, if any."""
        for name in PER_ATTEMPT:
            if self._roll(getattr(plan, name), name, delivery_id, number):
                return name
        return None

    def duplicate(self, plan: Any, delivery_id: str) -> bool:
        """Whether an accepted delivery is sent once more."""
        return self._roll(plan.duplicate, "duplicate", delivery_id)
