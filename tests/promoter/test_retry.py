"""Retry policy, wait budget, and which errors are transient or the finding's own."""

from __future__ import annotations

import math

import pytest

from promoter.linear.errors import (
    AuthenticationError,
    ConflictOnInsertError,
    GatewayError,
    GraphQLValidationError,
    InvalidInputError,
    LinearError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UsageLimitError,
)
from promoter.retry import (
    RetriesExhausted,
    RetryPolicy,
    WaitBudget,
    about_the_finding,
    is_transient,
)
from tests.promoter.fakes import StepClock

TRANSIENT = [GatewayError(502, True), GatewayError(504, False), TransportError("read"),
             RateLimitedError("rate limited", None, None, None)]
NOT_THE_FINDING = [ConflictOnInsertError("conflict on insert of Issue", "Issue", "x"),
                   UsageLimitError("limit"), AuthenticationError("no"), NotFoundError("Entity not found")]
THE_FINDING = [InvalidInputError("Request body exceeds the limit", status=413),
               GraphQLValidationError("bad variable"), LinearError("HTTP 422", status=422)]


@pytest.mark.parametrize("exc", TRANSIENT)
def test_transient(exc: Exception) -> None:
    assert is_transient(exc) and not about_the_finding(exc)


@pytest.mark.parametrize("exc", NOT_THE_FINDING + THE_FINDING)
def test_not_transient(exc: Exception) -> None:
    assert not is_transient(exc)


@pytest.mark.parametrize("exc", NOT_THE_FINDING)
def test_errors_about_linear_or_the_setup_never_park(exc: Exception) -> None:
    assert not about_the_finding(exc)


@pytest.mark.parametrize("exc", THE_FINDING)
def test_errors_the_content_causes_can_park(exc: Exception) -> None:
    assert about_the_finding(exc)


def test_budget_waits_on_the_clock_and_refuses_what_it_cannot_cover() -> None:
    clock = StepClock()
    b = WaitBudget(clock, 5.0)
    assert b.wait(2) and b.wait(3) and not b.wait(0.5)
    assert clock.slept == [2, 3] and b.remaining == 0 and b.wait(0)
    assert WaitBudget(clock).remaining == math.inf
    with pytest.raises(ValueError):
        WaitBudget(clock, -1)


def test_policy_retries_transient_errors_then_gives_up() -> None:
    clock = StepClock()
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise GatewayError(503, True)
        return "ok"

    assert RetryPolicy(3, (1.0, 2.0)).call(flaky, WaitBudget(clock)) == "ok"
    assert clock.slept == [1.0, 2.0]

    def always() -> None:
        raise TransportError("connect")

    with pytest.raises(RetriesExhausted, match="3 attempt") as info:
        RetryPolicy(3, (1.0,)).call(always, WaitBudget(clock))
    assert isinstance(info.value.last, TransportError) and clock.slept[-2:] == [1.0, 1.0]


def test_policy_stops_when_the_budget_is_spent_and_never_retries_other_errors() -> None:
    clock = StepClock()
    calls = []

    def always() -> None:
        calls.append(1)
        raise GatewayError(502, True)

    with pytest.raises(RetriesExhausted, match="3 attempt"):
        RetryPolicy(5, (1.0, 2.0, 4.0)).call(always, WaitBudget(clock, 3.5))
    assert len(calls) == 3 and clock.slept == [1.0, 2.0]  # the 4 s wait did not fit

    def not_found() -> None:
        calls.append(1)
        raise NotFoundError("Entity not found: Team")

    calls.clear()
    with pytest.raises(NotFoundError):
        RetryPolicy(5).call(not_found, WaitBudget(clock))
    assert len(calls) == 1


def test_policy_validates() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(0)
    with pytest.raises(ValueError):
        RetryPolicy(2, (-1.0,))
    assert RetryPolicy(4, (1.0, 2.0)).delay(3) == 2.0 and RetryPolicy(4, ()).delay(2) == 0.0
