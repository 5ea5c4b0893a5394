"""The pytest plugin, run in a subprocess pytest: modes, fixtures, replay line, seeds,
isolation, markers and errors. (The plugin as a pip-installed user sees it, with the user's
own httpx and requests code: test_user_project.py.)"""

from __future__ import annotations

import re
import time

pytest_plugins = ("pytester",)

# The inner suite creates through retry_create, as a user of the harness would: under
# linear-observed a bare create fails now and then (phantom conflicts, 502s).
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
    fake.journal.assert_called(operation="issueCreate")

def test_fails_on_purpose(linear):
    assert False, "boom"

def test_fails_on_purpose_without_the_client(test_team):
    assert False, "boom too"
"""


def test_fake_mode_fixtures_and_replay_line(pytester):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("--fault-profile", "linear-observed", "--fault-seed", "42")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    options = "--linear=fake --fault-profile linear-observed --fault-seed 42"
    result.stdout.fnmatch_lines([f"*fakelinear: {options}*"])
    # Every failing harness test carries the exact command that re-runs it alone.
    assert f"replay with: pytest test_suite.py::test_fails_on_purpose {options}" in out
    assert f"replay with: pytest test_suite.py::test_fails_on_purpose_without_the_client {options}" in out
    assert out.count("fakelinear: replay with pytest test_suite.py::") == 2


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


def test_online_fake_fixture_is_a_clear_error_and_needs_fake_skips(pytester, monkeypatch):
    monkeypatch.setenv("LINEAR_TEST_TOKEN", "lin_api_" + "x" * 40)
    pytester.makepyfile(
        test_suite="""
import pytest

def test_uses_fake(fake):
    pass

@pytest.mark.needs_fake
def test_marked(fake):
    pass
"""
    )
    result = pytester.runpytest_subprocess("--linear=online", "-rs")
    result.assert_outcomes(errors=1, skipped=1)
    result.stdout.fnmatch_lines(["*FakeUnavailableError*--linear=fake or --linear=server*needs_fake*"])


def test_names_and_faults_derive_from_seed_and_node_id(pytester, monkeypatch):
    pytester.makepyfile(
        test_suite="""
import os

def test_a(unique_name, fake, linear, test_team):
    with open(os.environ["OUT"], "a") as f:
        f.write(unique_name("x") + " " + test_team.key + "\\n")

def test_b(unique_name):
    with open(os.environ["OUT"], "a") as f:
        f.write(unique_name("x") + "\\n")
"""
    )
    out = pytester.path / "names.txt"
    monkeypatch.setenv("OUT", str(out))
    runs = []
    for _ in range(2):
        out.unlink(missing_ok=True)
        pytester.runpytest_subprocess("--fault-seed", "3", "-p", "no:randomly").assert_outcomes(passed=2)
        runs.append(out.read_text())
    assert runs[0] == runs[1]
    first, second = runs[0].splitlines()
    assert first.split()[2] != second.split()[2], "two tests draw different names"
    # Run alone, test_b draws what it drew after test_a: its names depend on its node id only.
    out.unlink()
    pytester.runpytest_subprocess("--fault-seed", "3", "test_suite.py::test_b").assert_outcomes(passed=1)
    assert out.read_text().strip() == second
    from fakelinear.testkit import names

    with names.seeded(3, "test_suite.py::test_b"):
        assert names.unique_name("x") == second
    with names.seeded(4, "test_suite.py::test_b"):
        assert names.unique_name("x") != second


def test_xdist_random_seed_is_the_same_in_header_and_every_worker(pytester):
    pytester.makepyfile(
        test_suite="\n".join(f"def test_{n}(linear):\n    assert False\n" for n in range(4))
    )
    result = pytester.runpytest_subprocess("-n", "2", "--fault-seed", "random")
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    header = re.search(r"fakelinear: --linear=fake --fault-profile calm --fault-seed (\d+)", out)
    assert header, out[:1500]
    seeds = set(re.findall(r"replay with: pytest \S+ --linear=fake --fault-profile calm --fault-seed (\d+)", out))
    assert seeds == {header.group(1)}


def test_overrides_and_journal_do_not_leak_but_shared_modules_share(pytester):
    pytester.makepyfile(
        test_isolated="""
def test_1(fake, linear):
    fake.faults.gateway_error(502)
    assert fake.faults.plan.gateway

def test_2(fake, linear):
    assert not fake.faults.plan.gateway and len(fake.journal) == 0
    linear.viewer()
    assert fake.journal.count(operation="viewer") == 1
""",
        test_shared="""
import pytest
pytestmark = pytest.mark.shared_fake_state

def test_1(fake, linear):
    fake.faults.read_lag(seconds=9)
    linear.viewer()

def test_2(fake):
    assert fake.faults.plan.lag.read_seconds == 9
    assert fake.journal.count(operation="viewer") == 1
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=4)


def test_unknown_profile_is_a_usage_error_with_the_closest_name(pytester):
    pytester.makepyfile(test_suite="def test_x(linear):\n    pass\n")
    result = pytester.runpytest_subprocess("--fault-profile", "strom")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*unknown fault profile 'strom' (did you mean 'storm'?)*"])
