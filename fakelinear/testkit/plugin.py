"""pytest plugin: one suite offline, against the fake on loopback, or online.

Options: ``--linear=fake|server|online`` (default ``fake``), ``--fault-profile`` (fake and
server; default ``calm``), ``--fault-seed`` (default 0; ``random`` picks one). The mode,
profile and seed are printed in the header and in every failure report, so a failing run can
be replayed exactly.

Fixtures: ``linear`` (a :class:`~promoter.linear.LinearClient`), ``test_team`` (one
``[test]`` team per session: free-plan workspaces allow two teams and deleted teams keep
counting for 30 days, so a team per test would exhaust the plan), ``guards``, ``unique_name``,
``clock`` (virtual offline, real online) and ``fake`` (control handle; skipped online).

At session end in fake and server mode the plugin sweeps ``[test]`` leftovers from its
workspace (creates that committed before a 502 leave orphans no guard knows about), so the
``linear-cleanup`` script afterwards finds nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from . import names
from .guards import Guards
from .retry import get_default_clock, set_default_clock, settle
from .tokens import NoTestTokenError
from .webhooks import webhook_receiver  # noqa: F401 - registers the fixture
from .workspace import cleanup_workspace, create_test_team

log = logging.getLogger("fakelinear.testkit.plugin")

_BACKEND_KEY = pytest.StashKey[Any]()
_SWEEP_KEY = pytest.StashKey[Any]()
_CHECK_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--linear``, ``--fault-profile``, ``--fault-seed``."""
    group = parser.getgroup("fakelinear", "Linear test harness (fakelinear.testkit)")
    group.addoption(
        "--linear",
        choices=("fake", "server", "online"),
        default="fake",
        help="which Linear: in-process fake (default), fakelinear serve on loopback, or online",
    )
    group.addoption(
        "--fault-profile",
        default=None,
        help="fault profile for the fake: calm, linear-observed, storm",
    )
    group.addoption(
        "--fault-seed", default="0", help="seed for the fake's faults and ids (int, or 'random')"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``online`` marker; settle mode, profile and seed (``random`` drawn once)."""
    config.addinivalue_line("markers", "online: runs against the Linear selected by --linear")
    raw = str(config.getoption("--fault-seed", "0"))
    seed = random.randrange(1 << 31) if raw == "random" else int(raw)
    config.stash[_BACKEND_KEY] = {
        "mode": config.getoption("--linear", "fake"),
        "profile": config.getoption("--fault-profile", None) or "calm",
        "seed": seed,
        "backend": None,
    }


def _settings(config: pytest.Config) -> dict[str, Any]:
    """This run's mode, profile, seed and (once started) backend."""
    return config.stash[_BACKEND_KEY]


def _replay(config: pytest.Config) -> str:
    """The options that replay this run exactly."""
    s = _settings(config)
    return f"--linear={s['mode']} --fault-profile {s['profile']} --fault-seed {s['seed']}"


def pytest_report_header(config: pytest.Config) -> str:
    """``fakelinear: --linear=… --fault-profile … --fault-seed …`` in the header."""
    return f"fakelinear: {_replay(config)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Add a ``fakelinear replay`` section (mode, profile, seed) to a failing harness test."""
    outcome = yield
    report = outcome.get_result()
    # Every harness fixture (linear, test_team, guards, clock, fake) depends on linear_backend.
    if report.failed and "linear_backend" in getattr(item, "fixturenames", ()):
        backend = _settings(item.config).get("backend")
        text = backend.describe() if backend is not None else _replay(item.config)
        report.sections.append(("fakelinear replay", f"replay with: {text}"))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Session sweep, pool check and (after failures) the replay line."""
    sweep = config.stash.get(_SWEEP_KEY, None)
    if sweep is not None and sweep.total_removed:
        terminalreporter.write_line(
            f"fakelinear: session sweep removed {sweep.total_removed} orphaned [test] resources {sweep.counts()}"
        )
    check = config.stash.get(_CHECK_KEY, None)
    if check is not None:
        code, leftovers, n = check
        state = (
            "nothing left"
            if code == 0 and not leftovers
            else f"{len(leftovers)} leftovers (exit {code})"
        )
        terminalreporter.write_line(
            f"fakelinear: linear-cleanup --dry-run over the pool of {n}: {state}"
        )
    if terminalreporter.stats.get("failed") and _settings(config).get("backend") is not None:
        terminalreporter.write_line(f"fakelinear: replay with {_replay(config)}")


@pytest.fixture(scope="session")
def linear_backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The running Linear for this session (see :mod:`fakelinear.testkit.backends`)."""
    from .backends import start_backend

    settings = _settings(request.config)
    try:
        backend = start_backend(settings["mode"], settings["seed"], settings["profile"])
    except NoTestTokenError as error:
        pytest.skip(f"--linear=online needs a test token: {error}")
    settings["backend"] = backend
    previous = get_default_clock()
    set_default_clock(backend.clock)
    try:
        yield backend
    finally:
        try:
            if backend.mode != "online":
                _quiesce(backend)
                sweeper = backend.client()
                request.config.stash[_SWEEP_KEY] = cleanup_workspace(sweeper, clock=backend.clock)
            if backend.mode == "server":
                _check_pool_clean(backend, request.config)
        finally:
            set_default_clock(previous)
            backend.close()


def _quiesce(backend: Any) -> None:
    """Before the end-of-session sweep and pool check: no more faults, and the read lag
    waited out on the fake's clock (virtual, so free). Otherwise an orphan committed by the
    last test could still be invisible to the sweep, and the pool check — a subprocess on real
    time — would back off for real on a 502. Leftovers are what these check, not resilience."""
    with contextlib.suppress(Exception):  # best effort: the sweep still runs
        backend.fake.faults.calm()
        settle(backend.clock)


def _check_pool_clean(backend: Any, config: pytest.Config) -> None:
    """Run the real ``linear-cleanup --dry-run`` over the server's whole pool: after guards
    and the sweep it must find nothing (invariant I6)."""
    env = dict(os.environ, LINEAR_TEST_TOKEN=";".join(backend.tokens), LINEAR_API_URL=backend.url)
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-c",
            "import sys; from fakelinear.testkit.cleanup_cli import main; sys.exit(main())",
            "--dry-run",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    leftovers = [line.strip() for line in proc.stdout.splitlines() if "would delete" in line]
    config.stash[_CHECK_KEY] = (proc.returncode, leftovers, len(backend.tokens))
    if proc.returncode != 0 or leftovers:
        raise AssertionError(
            f"linear-cleanup over the pool (exit {proc.returncode}) found leftovers:\n"
            + proc.stdout[-4000:]
            + proc.stderr[-2000:]
        )


@pytest.fixture(scope="session")
def _linear_session_client(linear_backend: Any) -> Any:
    """One client for the session (the ``linear`` fixture hands it out)."""
    return linear_backend.client()


@pytest.fixture
def linear(_linear_session_client: Any) -> Any:
    """The Linear client for this process's workspace."""
    return _linear_session_client


@pytest.fixture
def clock(linear_backend: Any) -> Any:
    """The run's clock: virtual offline (sleeps are instant), real online."""
    return linear_backend.clock


@pytest.fixture
def fake(linear_backend: Any) -> Any:
    """The fake's control handle (a FakeLinear in-process, an HTTP handle on loopback)."""
    if linear_backend.fake is None:
        pytest.skip("no fake control handle against real Linear (--linear=online)")
    return linear_backend.fake


@pytest.fixture
def unique_name() -> Any:
    """``unique_name("issue")`` → ``[test] issue <8 hex>``."""
    return names.unique_name


@pytest.fixture
def guards(linear: Any, clock: Any) -> Iterator[Guards]:
    """Cleanup guards for this test: deleted on teardown, newest first. A failed delete is a
    teardown error, reported next to (never instead of) the test's own failure."""
    stack = Guards(linear, clock)
    yield stack
    stack.close()


@pytest.fixture(scope="session")
def _session_guards(_linear_session_client: Any, linear_backend: Any) -> Iterator[Guards]:
    """Guards that unwind at session end (the session's ``test_team``)."""
    stack = Guards(_linear_session_client, linear_backend.clock)
    yield stack
    stack.close()


@pytest.fixture(scope="session")
def test_team(_linear_session_client: Any, _session_guards: Guards, linear_backend: Any) -> Any:
    """One ``[test]`` team for the session, deleted at the end."""
    return create_test_team(_linear_session_client, _session_guards, clock=linear_backend.clock)
