"""Which failures are transient, how long the promoter may wait, and how it retries.

* :func:`is_transient`: gateway errors (5xx), transport failures (reset, timeout, truncated
  body) and rate limits say nothing about the request itself; the same request may pass
  later.
* :func:`about_the_finding`: errors that will repeat for the same finding content (invalid
  input such as a body Linear refuses as too large, a rejected document): only these can
  park a finding. Transient errors, conflicts, usage limits and authentication problems
  are about Linear or the configuration, never the finding.
* :class:`WaitBudget`: every wait of a run (read-after-create settling in idempotent mode,
  lookup retries) is taken on the injectable clock and out of one budget, so a run never
  waits longer than ``--max-wait`` in total.
* :class:`RetryPolicy`: attempts and the waits between them. Idempotent creates use it for
  phantom conflicts (same id, changed body) and the CLI for its lookups (team), so both
  follow one policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from promoter.linear.errors import (
    AuthenticationError,
    ConflictOnInsertError,
    ForbiddenError,
    GatewayError,
    LinearError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UsageLimitError,
)
from promoter.protocols import Clock

T = TypeVar("T")

#: Virtual seconds between read-backs after "conflict on insert" (sum: 31 s) and between
#: lookup attempts.
DEFAULT_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)


def is_transient(exc: BaseException) -> bool:
    """True for failures after which the very same request may succeed."""
    return isinstance(exc, GatewayError | TransportError | RateLimitedError)


def about_the_finding(exc: BaseException) -> bool:
    """True for create errors that the finding's own content causes (they can park it)."""
    if not isinstance(exc, LinearError) or is_transient(exc):
        return False
    not_the_finding = (ConflictOnInsertError, UsageLimitError, AuthenticationError,
                       ForbiddenError, NotFoundError)
    return not isinstance(exc, not_the_finding)


class WaitBudget:
    """Waits on ``clock`` out of a total of ``max_wait`` seconds (None: unbounded)."""

    def __init__(self, clock: Clock, max_wait: float | None = None) -> None:
        if max_wait is not None and (math.isnan(max_wait) or max_wait < 0):
            raise ValueError(f"max_wait must be >= 0, got {max_wait}")
        self.clock = clock
        self.max_wait = max_wait
        self.waited = 0.0

    @property
    def remaining(self) -> float:
        """Seconds still available (``inf`` when unbounded)."""
        if self.max_wait is None:
            return math.inf
        return max(0.0, self.max_wait - self.waited)

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` on the clock if the budget covers them; False (and no sleep)
        when it does not."""
        if seconds <= 0:
            return True
        if seconds > self.remaining:
            return False
        self.clock.sleep(seconds)
        self.waited += seconds
        return True


class RetriesExhausted(Exception):
    """Every attempt failed with a transient error (or the wait budget ran out)."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"{attempts} attempt(s) failed; last: {type(last).__name__}: {last}")
        self.attempts = attempts
        self.last = last


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries; before try ``k`` (from 1) wait ``delays[k-1]`` (the last delay
    repeats)."""

    attempts: int = 3
    delays: tuple[float, ...] = DEFAULT_DELAYS

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if any(d < 0 for d in self.delays):
            raise ValueError("delays must be >= 0")

    def delay(self, attempt: int) -> float:
        """The wait before ``attempt`` (0 for the first one)."""
        if attempt <= 0 or not self.delays:
            return 0.0
        return self.delays[min(attempt, len(self.delays)) - 1]

    def call(
        self,
        fn: Callable[[], T],
        budget: WaitBudget,
        retry_on: Callable[[BaseException], bool] = is_transient,
    ) -> T:
        """``fn()``, retried on errors ``retry_on`` accepts; raises :class:`RetriesExhausted`
        when they keep coming, and any other error at once."""
        last: BaseException | None = None
        made = 0
        for attempt in range(self.attempts):
            if attempt and not budget.wait(self.delay(attempt)):
                break
            made += 1
            try:
                return fn()
            except Exception as exc:
                if not retry_on(exc):
                    raise
                last = exc
        assert last is not None
        raise RetriesExhausted(made, last)
