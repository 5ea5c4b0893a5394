"""The pytest plugin, run in a subprocess pytest: modes, fixtures, replay line, skips."""

from __future__ import annotations

import time

pytest_plugins = ("pytester",)

# The inner suite creates through retry_create, as a user of the harness would: under
# linear-observed a bare create fails now and then (phantom conflicts, 502s), and the names
# are random, so a bare create would make this test flaky by design.
SUITE = """
import time
import pytest
from fakelinear.testkit import retry_create

def test_fixtures(linear, test_team, guards, unique_name, clock, fake):
    assert test_team.name.startswith("[test] team ")
    issue, name = retry_create(
        lambda n: linear.issue_create(test_team.id, n), unique_name("issue"), clock=clock
    )
    guards.issue(issue)
    assert issue.title == name
    start, real = clock.now(), time.perf_counter()
    clock.sleep(3600)
    assert clock.now() - start >= 3600 and time.perf_counter() - real < 5
    assert fake is not None

def test_fails_on_purpose(linear):
    assert False, "boom"

def test_fails_on_purpose_without_the_client(test_team):
    assert False, "boom too"
"""


def test_fake_mode_fixtures_and_replay_line(pytester):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(
        "--fault-profile", "linear-observed", "--fault-seed", "42"
    )
    result.assert_outcomes(passed=1, failed=2)
    # Every failing test that used a harness fixture carries the replay line, not only `linear`.
    assert result.stdout.str().count("replay with: --linear=fake") == 2
    result.stdout.fnmatch_lines(
        ["*fakelinear: --linear=fake --fault-profile linear-observed --fault-seed 42*"]
    )
    result.stdout.fnmatch_lines(
        ["*replay with: --linear=fake --fault-profile linear-observed --fault-seed 42*"]
    )


def test_server_mode_real_http_and_pool_check(pytester):
    pytester.makepyfile(test_suite=SUITE.replace("def test_fails_on_purpose", "def _unused"))
    start = time.perf_counter()
    result = pytester.runpytest_subprocess("--linear=server", "--fault-profile", "linear-observed")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*linear-cleanup --dry-run over the pool of 3: nothing left*"])
    assert time.perf_counter() - start < 120


def test_online_without_token_skips_with_reason(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("LINEAR_TEST_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    pytester.makepyfile(test_suite="def test_x(linear):\n    pass\n")
    result = pytester.runpytest_subprocess("--linear=online", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*needs a test token*LINEAR_TEST_TOKEN*"])
