"""Each retry rule, against the fault engine on the virtual clock."""

from __future__ import annotations

import logging
import time

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.testkit.names import original_name
from fakelinear.testkit.retry import (
    CREATE_DELAYS,
    RetryExhausted,
    backoff_delays,
    retry_create,
    retry_search,
    retry_with_backoff,
    settle,
)
from promoter.linear import (
    ConflictOnInsertError,
    GatewayError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UsageLimitError,
)


def create_issue(offline, names):
    def fn(name):
        names.append(name)
        return offline.client.issue_create(offline.team.id, name)

    return fn


def test_schedule_constants():
    assert list(CREATE_DELAYS) == [0, 2, 5, 10, 20, 30] + [60] * 9
    assert backoff_delays(8) == [0, 1, 2, 4, 8, 10, 10, 10]


def test_conflicts_retry_with_fresh_names(offline, caplog):
    offline.fake.faults.phantom_conflicts(on="issueCreate", first=3)
    names: list[str] = []
    start = offline.clock.now()
    with caplog.at_level(logging.WARNING, logger="fakelinear.testkit.retry"):
        issue, used = retry_create(create_issue(offline, names), kind="issue", clock=offline.clock)
    assert len(names) == 4 and used == names[-1] == issue.title
    assert len(set(names)) == 4 and {original_name(n) for n in names} == {names[0]}
    assert all(n.count("retry-") == 1 for n in names[1:])
    assert offline.clock.now() - start == 2 + 5 + 10
    assert (
        "attempt 1/15 failed (conflict: conflict on insert of Issue); next attempt in 2s"
        in caplog.text
    )
    assert "attempt 3/15 failed" in caplog.text and "next attempt in 10s" in caplog.text


def test_sticky_conflicts_exhaust_the_full_schedule_fast(offline):
    offline.fake.faults.phantom_conflicts(on="issueCreate", probability=1.0)
    names: list[str] = []
    start_virtual, start_real = offline.clock.now(), time.perf_counter()
    with pytest.raises(RetryExhausted) as info:
        retry_create(create_issue(offline, names), kind="issue", clock=offline.clock)
    assert len(names) == 15
    assert isinstance(info.value.last_error, ConflictOnInsertError)
    assert offline.clock.now() - start_virtual == sum(CREATE_DELAYS) == 607
    assert time.perf_counter() - start_real < 1.0


def test_create_sleeps_the_exact_schedule_before_each_attempt():
    clock = VirtualClock()
    times: list[float] = []

    def fn(name):
        times.append(clock.now())
        raise ConflictOnInsertError("conflict on insert of Issue", "Issue")

    with pytest.raises(RetryExhausted):
        retry_create(fn, "[test] issue 00000000", clock=clock)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 15 and [0.0, *gaps] == [0, 2, 5, 10, 20, 30] + [60] * 9


def test_create_never_mutates_a_name_without_the_test_prefix():
    clock = VirtualClock()
    names: list[str] = []

    def fn(name):
        names.append(name)
        if len(names) < 3:
            raise GatewayError(502, True)
        return name

    _, used = retry_create(fn, "Real issue title", clock=clock)
    assert names == ["Real issue title"] * 3 and used == "Real issue title"


def test_gateway_errors_are_retried(offline):
    offline.fake.faults.gateway_error(502, times=2, on="issueCreate")
    names: list[str] = []
    issue, used = retry_create(create_issue(offline, names), kind="issue", clock=offline.clock)
    assert len(names) == 3 and issue.title == used


def test_commit_then_fail_retry_gets_its_own_name(offline):
    offline.fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
    names: list[str] = []
    issue, used = retry_create(create_issue(offline, names), kind="issue", clock=offline.clock)
    assert len(names) == 2 and used == names[1] == issue.title
    offline.clock.advance(60)  # past the read lag, if any
    titles = {
        i.title
        for i in offline.client.iter_issues(filter={"team": {"id": {"eq": offline.team.id}}})
    }
    # The first attempt committed (an orphan for the sweep); the success has another name.
    assert names[0] in titles and used in titles and names[0] != used


def test_transport_errors_are_retried(offline):
    offline.fake.faults.transport_fault("connection_reset", times=1, on="issueCreate")
    names: list[str] = []
    _, used = retry_create(create_issue(offline, names), kind="issue", clock=offline.clock)
    assert len(names) == 2 and used == names[1]


def test_rate_limit_waits_for_the_reset(offline):
    clock = offline.clock
    calls: list[str] = []

    def fn(name):
        calls.append(name)
        if len(calls) == 1:
            raise RateLimitedError(
                "Rate limit exceeded", reset_at=clock.now() + 300, limit=2500, remaining=0
            )
        return name

    start = clock.now()
    retry_create(fn, "[test] x 00000000", clock=clock)
    assert clock.now() - start == pytest.approx(300)


def test_rate_limit_from_the_fake_headers(offline):
    offline.fake.faults.rate_limit(per_hour=3)
    client, clock = offline.client, offline.clock
    with pytest.raises(RateLimitedError) as info:
        for _ in range(10):
            client.viewer()
    assert info.value.reset_at is not None and info.value.reset_at > clock.now()
    names: list[str] = []
    start = clock.now()
    retry_create(create_issue(offline, names), kind="issue", clock=clock)
    assert len(names) >= 2 and clock.now() >= info.value.reset_at - 1e-6 and clock.now() > start


@pytest.mark.parametrize(
    "error",
    [
        InvalidInputError("title is required"),
        NotFoundError("Entity not found: Team"),
        UsageLimitError("Usage limit exceeded"),
    ],
)
def test_other_errors_raise_at_once(error):
    clock = VirtualClock()
    calls = []

    def fn(name):
        calls.append(name)
        raise error

    with pytest.raises(type(error)):
        retry_create(fn, "[test] y 00000000", clock=clock)
    assert len(calls) == 1 and clock.now() == VirtualClock().now()


def test_usage_limit_from_the_fake_raises_at_once(offline):
    # A free-plan workspace: two teams at most.
    from fakelinear.testkit.backends import FAKE_URL
    from promoter.linear import LinearClient

    _, token = offline.fake.add_workspace(plan="free")
    client = LinearClient(token, url=FAKE_URL)
    for n in range(3):  # fill the plan (it may come with a default team)
        try:
            client.team_create(f"[test] team {n}", key=f"TF{n}")
        except UsageLimitError:
            break
    attempts = []

    def fn(name):
        attempts.append(name)
        return client.team_create(name, key=f"TB{len(attempts)}")

    with pytest.raises(UsageLimitError):
        retry_create(fn, "[test] team b", clock=offline.clock)
    assert len(attempts) == 1


def test_retry_search_waits_for_read_lag(offline):
    offline.fake.faults.read_lag(seconds=7)
    issue = offline.client.issue_create(offline.team.id, "[test] lagging 00000000")
    start = offline.clock.now()
    found = retry_search(
        lambda: offline.client.issue(issue.id), lambda i: True, clock=offline.clock
    )
    assert found.id == issue.id
    assert 7 <= offline.clock.now() - start <= 7 + 5


def test_retry_search_schedule_and_exhaustion():
    clock = VirtualClock()
    tries = []
    start = clock.now()
    with pytest.raises(RetryExhausted) as info:
        retry_search(lambda: tries.append(clock.now()) or len(tries), lambda n: False, clock=clock)
    assert len(tries) == 12 and info.value.last_result == 12
    gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps == [2, 2, 2] + [5] * 8
    assert clock.now() - start == 46


def test_retry_search_treats_not_found_as_not_yet():
    clock = VirtualClock()
    answers = iter([NotFoundError("Entity not found: Issue"), GatewayError(502, True), "ok"])

    def fn():
        value = next(answers)
        if isinstance(value, Exception):
            raise value
        return value

    assert retry_search(fn, lambda v: v == "ok", clock=clock) == "ok"


def test_retry_with_backoff_schedule():
    clock = VirtualClock()
    times = []

    def fn():
        times.append(clock.now())
        raise TransportError("read")

    with pytest.raises(TransportError):
        retry_with_backoff(7, fn, clock=clock)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [1, 2, 4, 8, 10, 10]


def test_retry_with_backoff_other_errors_at_once():
    clock = VirtualClock()
    calls = []

    def fn():
        calls.append(1)
        raise InvalidInputError("bad")

    with pytest.raises(InvalidInputError):
        retry_with_backoff(5, fn, clock=clock)
    assert calls == [1]


def test_settle_advances_five_seconds():
    clock = VirtualClock()
    start = clock.now()
    settle(clock)
    assert clock.now() - start == 5
