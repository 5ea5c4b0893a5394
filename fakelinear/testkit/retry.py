"""Retries that survive Linear: creates with a fresh name per attempt, searches that wait
for the index, reads with backoff, and a settle pause.

Every wait goes through a :class:`~fakelinear.clock.Clock`: the fake's virtual clock offline
(a nine-minute schedule runs in milliseconds), real time online. The default clock is real
time; the pytest plugin installs the run's clock with :func:`set_default_clock`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fakelinear.clock import Clock, RealClock
from promoter.linear.errors import (
    ConflictOnInsertError,
    GatewayError,
    LinearError,
    NotFoundError,
    RateLimitedError,
    TransportError,
)

from .names import retry_name, unique_name

__all__ = [
    "CREATE_DELAYS",
    "SEARCH_DELAYS",
    "SETTLE_SECONDS",
    "TRANSIENT",
    "RetryExhausted",
    "backoff_delays",
    "get_default_clock",
    "set_default_clock",
    "retry_create",
    "retry_search",
    "retry_with_backoff",
    "settle",
]

log = logging.getLogger("fakelinear.testkit.retry")

T = TypeVar("T")

#: Sleep before each of the 15 create attempts (the first is immediate).
CREATE_DELAYS: tuple[float, ...] = (0, 2, 5, 10, 20, 30) + (60,) * 9
#: Sleep after each of the 12 search tries that did not find what it wanted.
SEARCH_DELAYS: tuple[float, ...] = (2, 2, 2) + (5,) * 9
SETTLE_SECONDS = 5.0
#: A rate-limit reset further away than this is not waited for (the test would hang).
MAX_RATE_LIMIT_WAIT = 3600.0

#: Errors worth repeating a call for: the next attempt may well succeed.
TRANSIENT: tuple[type[LinearError], ...] = (GatewayError, TransportError, RateLimitedError)
#: A create additionally retries conflicts (F1 phantom conflicts stick to the body).
CREATE_RETRYABLE: tuple[type[LinearError], ...] = (ConflictOnInsertError, *TRANSIENT)

_default_clock: Clock = RealClock()


class RetryExhausted(AssertionError):
    """Every attempt failed (``last_error``) or never satisfied the predicate (``last_result``).

    An AssertionError so a test that runs out of patience fails rather than errors.
    """

    def __init__(
        self, message: str, last_error: BaseException | None = None, last_result: Any = None
    ):
        super().__init__(message)
        self.last_error = last_error
        self.last_result = last_result


def set_default_clock(clock: Clock) -> None:
    """Install the clock used when a helper is called without one (the plugin does this)."""
    global _default_clock
    _default_clock = clock


def get_default_clock() -> Clock:
    """The clock helpers use by default (real time unless the plugin installed another)."""
    return _default_clock


def backoff_delays(n: int) -> list[float]:
    """``0, 1, 2, 4, 8, 10, 10, …`` for ``n`` attempts."""
    return [0.0 if i == 0 else float(min(2 ** (i - 1), 10)) for i in range(n)]


def _kind(error: BaseException) -> str:
    return str(getattr(error, "kind", type(error).__name__))


def _wait_for(error: BaseException, scheduled: float, clock: Clock) -> float:
    """The scheduled delay, stretched to the rate-limit reset when the headers gave one."""
    if isinstance(error, RateLimitedError) and error.reset_at is not None:
        until_reset = error.reset_at - clock.now()
        return max(scheduled, min(until_reset, MAX_RATE_LIMIT_WAIT))
    return scheduled


def retry_create(
    fn: Callable[[str], T],
    name: str | None = None,
    *,
    kind: str = "resource",
    clock: Clock | None = None,
    delays: Sequence[float] = CREATE_DELAYS,
) -> tuple[T, str]:
    """Call ``fn(name)`` until it succeeds; returns ``(result, name_used)``.

    Retries conflict-on-insert, gateway, transport and rate-limit errors; anything else is
    raised at once. Every retry uses a fresh ``retry_name`` of the original (a phantom
    conflict sticks to the body, and an attempt that failed after committing must not share
    its name with the one that succeeds). ``name`` defaults to ``unique_name(kind)``.
    """
    clock = clock or _default_clock
    original = name if name is not None else unique_name(kind)
    current = original
    last: BaseException | None = None
    for attempt in range(1, len(delays) + 1):
        if attempt > 1:
            current = retry_name(original)
        try:
            return fn(current), current
        except CREATE_RETRYABLE as error:
            last = error
            if attempt == len(delays):
                break
            wait = _wait_for(error, delays[attempt], clock)
            log.warning(
                "retry_create %s: attempt %d/%d failed (%s: %s); next attempt in %.0fs",
                kind,
                attempt,
                len(delays),
                _kind(error),
                error,
                wait,
            )
            clock.sleep(wait)
    raise RetryExhausted(
        f"create of {kind} failed after {len(delays)} attempts: {last}", last_error=last
    )


def retry_search(
    fn: Callable[[], T],
    predicate: Callable[[T], bool],
    *,
    clock: Clock | None = None,
    tries: int | None = None,
    delays: Sequence[float] = SEARCH_DELAYS,
) -> T:
    """Call ``fn`` until ``predicate(result)`` holds (12 tries: 2 s ×3, then 5 s).

    ``tries`` stretches the same schedule (more 5 s waits): an issue in a team younger than
    about ten minutes lags in Linear's search index for well over a minute.

    Not found and transient errors count as "not yet": the index and replicas lag.
    Raises :class:`RetryExhausted` with the last result when it never holds.
    """
    clock = clock or _default_clock
    if tries is not None:
        delays = (tuple(delays) + (delays[-1],) * tries)[:tries]
    result: Any = None
    last_error: BaseException | None = None
    for attempt, wait in enumerate(delays, start=1):
        try:
            result = fn()
            last_error = None
            if predicate(result):
                return result
            reason = "predicate not met"
        except (NotFoundError, *TRANSIENT) as error:
            last_error = error
            reason = f"{_kind(error)}: {error}"
            wait = _wait_for(error, wait, clock)
        if attempt == len(delays):
            break
        log.info("retry_search: try %d/%d (%s); next in %.0fs", attempt, len(delays), reason, wait)
        clock.sleep(wait)
    raise RetryExhausted(
        f"search never matched after {len(delays)} tries", last_error=last_error, last_result=result
    )


def retry_with_backoff(
    n: int,
    fn: Callable[[], T],
    *,
    clock: Clock | None = None,
    retry_on: tuple[type[BaseException], ...] = TRANSIENT,
) -> T:
    """Call ``fn`` up to ``n`` times, sleeping ``0, 1, 2, 4, 8, 10, 10…`` before each, while
    it raises one of ``retry_on`` (transient errors by default). Other errors raise at once."""
    clock = clock or _default_clock
    delays = backoff_delays(n)
    for attempt in range(1, n + 1):
        try:
            return fn()
        except retry_on as error:
            if attempt == n:
                raise
            wait = _wait_for(error, delays[attempt], clock)
            log.warning(
                "retry_with_backoff: attempt %d/%d failed (%s: %s); next in %.0fs",
                attempt,
                n,
                _kind(error),
                error,
                wait,
            )
            clock.sleep(wait)
    raise ValueError("retry_with_backoff needs n >= 1")


def settle(clock: Clock | None = None, seconds: float = SETTLE_SECONDS) -> None:
    """Give Linear a moment (replicas, search index) after a structural change."""
    (clock or _default_clock).sleep(seconds)
