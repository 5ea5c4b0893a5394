"""Invariant W1: the consumer's view equals the fake's final state.

For every issue of the subscribed team, the consumer holds it as live with the fake's
fields (title, priority, state, team) when it exists and is not trashed, and holds it as
removed (or never saw it) otherwise. A divergence is *explained* only when Linear gave up on
an event of that issue (a delivery that failed every attempt, after which the webhook is
disabled, as Linear does): no consumer can know what it was never told. Anything else is a
bug in the consumer or in the fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakelinear import FakeLinear
from scenarios.webhooks.consumer import FIELDS, ReferenceConsumer


@dataclass
class Divergence:
    """One issue on which the consumer and the fake disagree."""

    issue_id: str
    truth: dict[str, Any] | None  # None: does not exist (or is trashed) in the fake
    view: dict[str, Any] | None  # None: not live in the consumer's view
    explanation: str | None = None


@dataclass
class Verdict:
    """The checker's result."""

    issues: int
    divergent: list[Divergence] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Divergence]:
        """Divergences no failed delivery explains."""
        return [d for d in self.divergent if d.explanation is None]

    def unexplained_lines(self) -> list[str]:
        """One readable line per unexplained divergence."""
        return [f"issue {d.issue_id}: fake {d.truth!r}, consumer {d.view!r}" for d in self.unexplained]


def truth(fake: FakeLinear, team_id: str) -> dict[str, dict[str, Any]]:
    """The fake's live issues of the team, with the fields the consumer keeps."""
    ws = fake.workspace_for(fake.tokens[0])
    return {
        rec["id"]: {k: rec.get(k) for k in FIELDS}
        for rec in ws.all("Issue")
        if rec.get("teamId") == team_id and not rec.get("trashed")
    }


def check(fake: FakeLinear, team_id: str, consumer: ReferenceConsumer) -> Verdict:
    """Compare the consumer's view with the fake's state; explain what differs."""
    expected = truth(fake, team_id)
    seen = consumer.live()
    verdict = Verdict(issues=len(set(expected) | set(consumer.view)))
    for issue_id in sorted(set(expected) | set(seen)):
        want, have = expected.get(issue_id), seen.get(issue_id)
        if want is not None:
            want = {**want, "trashed": bool(want.get("trashed"))}
        if have is not None:
            have = {**have, "trashed": bool(have.get("trashed"))}
        if want == have:
            continue
        verdict.divergent.append(Divergence(issue_id, want, have, _explain(fake, issue_id)))
    return verdict


def _explain(fake: FakeLinear, issue_id: str) -> str | None:
    """Why the consumer could not know: Linear gave up on an event of this issue, or the
    webhook had been disabled (after a delivery failed every attempt) when the issue last
    changed."""
    failed = fake.webhooks.deliveries(entity_id=issue_id, status="failed")
    if failed:
        return f"Linear gave up on delivery {failed[0].id} of it (every attempt failed)"
    gave_up = [d.attempts[-1].time for d in fake.webhooks.deliveries(status="failed") if d.attempts]
    rec = fake.workspace_for(fake.tokens[0]).store.get("Issue", issue_id)
    if gave_up and rec is not None and rec["updatedAt"] >= min(gave_up):
        return "it changed after the webhook was disabled (a delivery failed every attempt)"
    return None
