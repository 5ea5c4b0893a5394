"""pytest plugin: one suite offline, against the fake on loopback, or online.

Options: ``--linear=fake|server|online`` (default ``fake``), ``--fault-profile`` (fake and
server; default ``calm``), ``--fault-seed`` (an int or ``random``; default 0 against a fake,
random online). Markers: ``needs_fake`` (skipped online), ``shared_fake_state`` (a module
whose tests share fault state and journal).

Fixtures: ``linear`` (a :class:`~promoter.linear.LinearClient`), ``linear_endpoint`` (URL
and key for code of your own; also sets ``LINEAR_API_URL``/``LINEAR_API_KEY``), ``test_team``
(one ``[test]`` team per session: free-plan workspaces allow two teams and deleted teams keep
counting for 30 days), ``guards``, ``unique_name``, ``clock`` (virtual against a fake, real
online) and ``fake`` (a :class:`~fakelinear.handle.FakeHandle`, one interface in fake and
server modes; an error online).

Every test that uses the harness:

* **is intercepted** in fake mode: every httpx client (and ``requests`` with
  ``fakelinear[requests]``) talking to ``https://api.linear.app`` reaches the in-process
  fake (:mod:`fakelinear.testkit.intercept`);
* **is isolated**: fault overrides, rate-limit buckets, fault decision state and the
  ``fake.journal`` view start fresh (the session's ``test_team`` persists);
* **replays exactly**: names, team keys, retry suffixes and the fake's random choices derive
  from the seed and the test's node id, and a failing test's report carries the command line
  that re-runs it with the same requests and faults.

Session fixtures (``test_team`` and yours) set up during a test run in a scope of their own,
so the test's own requests are the same whether the fixture was made for it or earlier. At
session end in fake and server mode the plugin sweeps ``[test]`` leftovers (creates that
committed before a 502 leave orphans no guard knows about), so ``linear-cleanup`` afterwards
finds nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import names
from .guards import Guards
from .retry import get_default_clock, set_default_clock, settle
from .tokens import NoTestTokenError, mask
from .webhooks import webhook_receiver  # noqa: F401 - registers the fixture
from .workspace import cleanup_workspace, create_test_team

log = logging.getLogger("fakelinear.testkit.plugin")

_STATE_KEY = pytest.StashKey["_Session"]()
_ITEM_SCOPE = pytest.StashKey[str]()
_WORKER_SEED = "fakelinear_seed"
SECTION = "fakelinear replay"
SHARED_MARKER = "shared_fake_state"
NEEDS_FAKE_MARKER = "needs_fake"
#: Fixtures that bring the harness into a test (all depend on it).
BACKEND_FIXTURE = "linear_backend"


class FakeUnavailableError(RuntimeError):
    """The ``fake`` fixture was asked for against real Linear."""


@dataclass
class _Session:
    """This run's settings and, once started, its backend and interception."""

    mode: str
    profile: str
    seed: int
    seed_given: bool
    backend: Any = None
    backend_error: str | None = None
    interception: Any = None
    sweep: Any = None
    check: Any = None
    scope: str | None = None
    current: pytest.Item | None = None
    scope_counts: dict[str, int] = field(default_factory=dict)
    shared_modules: set[str] = field(default_factory=set)

    @property
    def seeded_names(self) -> bool:
        """Names derive from the seed against a fake always, online only when asked."""
        return self.mode != "online" or self.seed_given

    def options(self) -> str:
        """The options that select this run's Linear, faults and seed."""
        return f"--linear={self.mode} --fault-profile {self.profile} --fault-seed {self.seed}"


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
        help="fault profile for the fake: calm (default), linear-observed, storm",
    )
    group.addoption(
        "--fault-seed",
        default=None,
        help="seed for faults, ids and test names: an int or 'random' (default: 0 against a "
        "fake, random online)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register markers; settle mode, profile and seed (one seed for every xdist worker)."""
    config.addinivalue_line("markers", "online: runs against the Linear selected by --linear")
    config.addinivalue_line(
        "markers", f"{NEEDS_FAKE_MARKER}: uses the `fake` fixture; skipped under --linear=online"
    )
    config.addinivalue_line(
        "markers",
        f"{SHARED_MARKER}: the module's tests share fault overrides, rate limits and journal "
        "(no per-test isolation; replay runs the whole module)",
    )
    mode = config.getoption("--linear", "fake")
    profile = config.getoption("--fault-profile", None) or "calm"
    raw = config.getoption("--fault-seed", None)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and _WORKER_SEED in workerinput:
        seed, given = workerinput[_WORKER_SEED]
    else:
        given = raw not in (None, "random")
        if raw is None and mode != "online":
            seed = 0
        elif raw is None or raw == "random":
            seed = random.randrange(1 << 31)
        else:
            try:
                seed = int(raw)
            except ValueError:
                raise pytest.UsageError(f"--fault-seed must be an integer or 'random', got {raw!r}") from None
    if mode != "online":
        _check_profile(profile)
    config.stash[_STATE_KEY] = _Session(mode=mode, profile=profile, seed=seed, seed_given=given)


def _check_profile(name: str) -> None:
    from fakelinear.faults import profile
    from fakelinear.faults.plan import FaultPlanError

    try:
        profile(name)
    except FaultPlanError as error:
        raise pytest.UsageError(f"--fault-profile: {error}") from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: hand every worker the seed drawn here (``random`` is drawn once)."""
    state = node.config.stash[_STATE_KEY]
    node.workerinput[_WORKER_SEED] = (state.seed, state.seed_given)


def _state(config: pytest.Config) -> _Session:
    return config.stash[_STATE_KEY]


def pytest_report_header(config: pytest.Config) -> str:
    """``fakelinear: --linear=… --fault-profile … --fault-seed …`` in the header."""
    return f"fakelinear: {_state(config).options()}"


# ---------------------------------------------------------------------------- the backend


def _uses_harness(item: pytest.Item) -> bool:
    return BACKEND_FIXTURE in getattr(item, "fixturenames", ())


def _ensure_backend(config: pytest.Config) -> Any:
    """The session's backend, started on first use (a skip online without a token)."""
    state = _state(config)
    if state.backend is None and state.backend_error is None:
        from .backends import start_backend

        try:
            state.backend = start_backend(state.mode, state.seed, state.profile)
        except NoTestTokenError as error:
            state.backend_error = f"--linear=online needs a test token: {error}"
        else:
            if state.mode == "fake":
                from .intercept import Interception

                state.interception = Interception(state.backend.inprocess)
    if state.backend_error is not None:
        pytest.skip(state.backend_error)
    return state.backend


def _shared(item: pytest.Item) -> bool:
    return item.get_closest_marker(SHARED_MARKER) is not None


def _module_id(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _begin(state: _Session, scope: str) -> None:
    """Enter ``scope``: the test names' stream and, against a fake, the fake's scope."""
    state.scope = scope
    names.begin_seeded(state.seed if state.seeded_names else None, scope)
    backend = state.backend
    if backend is not None and backend.fake is not None:
        backend.fake.begin_scope(scope)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a harness test: start the backend (and interception), skip
    ``needs_fake`` tests online, and begin the test's scope."""
    if not _uses_harness(item) and item.get_closest_marker(NEEDS_FAKE_MARKER) is None:
        return
    state = _state(item.config)
    if state.mode == "online" and item.get_closest_marker(NEEDS_FAKE_MARKER) is not None:
        pytest.skip("needs the fake (--linear=fake or --linear=server)")
    if not _uses_harness(item):
        return
    _ensure_backend(item.config)
    if state.interception is not None:
        from .intercept import cooperate_with_httpx_mock

        cooperate_with_httpx_mock(item, state.interception.is_fake_request)
    elif state.mode == "server":
        from .intercept import cooperate_with_httpx_mock, loopback_matcher

        cooperate_with_httpx_mock(item, loopback_matcher(state.backend.url))
    state.current = item
    if _shared(item):
        scope = _module_id(item)
        item.stash[_ITEM_SCOPE] = scope
        if scope in state.shared_modules:
            return
        state.shared_modules.add(scope)
    else:
        count = state.scope_counts[item.nodeid] = state.scope_counts.get(item.nodeid, 0) + 1
        # A re-run of the same test in one session (rerun plugins) gets a scope of its own.
        scope = item.nodeid if count == 1 else f"{item.nodeid}#{count}"
        item.stash[_ITEM_SCOPE] = scope
    _begin(state, scope)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """A session/module/class fixture set up during a harness test runs in a scope of its
    own; the test's scope then starts afresh, so the test's requests do not depend on
    whether the fixture was made for it or for an earlier test."""
    state = request.config.stash.get(_STATE_KEY, None)
    item = state.current if state is not None else None
    scope = item.stash.get(_ITEM_SCOPE, None) if item is not None else None
    if state is None or item is None or scope is None or fixturedef.scope == "function" or state.backend is None:
        yield
        return
    node_id = getattr(request.node, "nodeid", "")
    _begin(state, f"{fixturedef.scope}:{node_id}::{fixturedef.argname}")
    try:
        yield
    finally:
        _begin(state, scope if not _shared(item) else f"{scope}@{item.nodeid}")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """The test is over: fixtures set up from now on (none, normally) are not its own."""
    state = item.config.stash.get(_STATE_KEY, None)
    if state is not None and state.current is item:
        state.current = None


def _replay_command(item: pytest.Item, state: _Session) -> str:
    """The command line that re-runs ``item`` (its module when it shares state) exactly."""
    invocation = Path(str(item.config.invocation_params.dir))
    path = Path(str(item.path))
    try:
        rel = os.path.relpath(path, invocation)
    except ValueError:  # another drive (Windows)
        rel = str(path)
    target = rel
    if not _shared(item) and "::" in item.nodeid:
        target = rel + "::" + item.nodeid.split("::", 1)[1]
    return f"pytest {shlex.quote(target)} {state.options()}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """A failing harness test's report carries the command line that replays it."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _uses_harness(item):
        state = _state(item.config)
        text = f"replay with: {_replay_command(item, state)}"
        backend = state.backend
        if backend is not None:
            text += f"\n(workspace {backend.workspace_index + 1}/{len(backend.tokens)}, token {mask(backend.token)})"
        if not any(name == SECTION for name, _ in report.sections):
            report.sections.append((SECTION, text))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Session sweep, pool check, and the replay line of every failed harness test."""
    state = _state(config)
    if state.sweep is not None and state.sweep.total_removed:
        terminalreporter.write_line(
            f"fakelinear: session sweep removed {state.sweep.total_removed} orphaned [test] "
            f"resources {state.sweep.counts()}"
        )
    if state.check is not None:
        code, leftovers, n = state.check
        shown = "nothing left" if code == 0 and not leftovers else f"{len(leftovers)} leftovers (exit {code})"
        terminalreporter.write_line(f"fakelinear: linear-cleanup --dry-run over the pool of {n}: {shown}")
    lines = []
    for report in terminalreporter.stats.get("failed", []):
        for name, text in getattr(report, "sections", ()):
            if name == SECTION:
                lines.append(text.splitlines()[0].removeprefix("replay with: "))
    for line in dict.fromkeys(lines):
        terminalreporter.write_line(f"fakelinear: replay with {line}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Interception ends with the session (after every fixture's teardown)."""
    state = session.config.stash.get(_STATE_KEY, None)
    if state is not None and state.interception is not None:
        state.interception.stop()
        state.interception = None


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def linear_backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The running Linear for this session (see :mod:`fakelinear.testkit.backends`)."""
    state = _state(request.config)
    backend = _ensure_backend(request.config)
    previous = get_default_clock()
    set_default_clock(backend.clock)
    try:
        yield backend
    finally:
        try:
            if backend.mode != "online":
                _quiesce(backend)
                sweeper = backend.client()
                state.sweep = cleanup_workspace(sweeper, clock=backend.clock)
            if backend.mode == "server":
                _check_pool_clean(backend, state)
        finally:
            set_default_clock(previous)
            backend.close()
            state.backend = None


def _quiesce(backend: Any) -> None:
    """Before the end-of-session sweep and pool check: no more faults, and the read lag
    waited out on the fake's clock (virtual, so free). Otherwise an orphan committed by the
    last test could still be invisible to the sweep, and the pool check — a subprocess on real
    time — would back off for real on a 502. Leftovers are what these check, not resilience."""
    with contextlib.suppress(Exception):  # best effort: the sweep still runs
        backend.fake.begin_scope("session-end")
        backend.fake.faults.calm()
        settle(backend.clock)


def _check_pool_clean(backend: Any, state: _Session) -> None:
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
    state.check = (proc.returncode, leftovers, len(backend.tokens))
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


@dataclass(frozen=True)
class LinearEndpoint:
    """Where code of your own reaches the selected Linear: ``url`` (the GraphQL endpoint)
    and ``api_key`` (send it as ``Authorization``). In fake mode ``url`` is Linear's own,
    intercepted; in server mode the loopback server; online the pooled workspace."""

    url: str
    api_key: str = field(repr=False)
    mode: str = "fake"

    def __repr__(self) -> str:
        return f"LinearEndpoint(url={self.url!r}, api_key={mask(self.api_key)!r}, mode={self.mode!r})"


@pytest.fixture
def linear_endpoint(linear_backend: Any, monkeypatch: pytest.MonkeyPatch) -> LinearEndpoint:
    """URL and key of the selected Linear (the same workspace as ``linear``), also set as
    ``LINEAR_API_URL`` and ``LINEAR_API_KEY`` for the test."""
    endpoint = LinearEndpoint(linear_backend.url, linear_backend.token, linear_backend.mode)
    monkeypatch.setenv("LINEAR_API_URL", endpoint.url)
    monkeypatch.setenv("LINEAR_API_KEY", endpoint.api_key)
    return endpoint


@pytest.fixture
def clock(linear_backend: Any) -> Any:
    """The run's clock: virtual against a fake (sleeps are instant), real online."""
    return linear_backend.clock


@pytest.fixture
def fake(linear_backend: Any, request: pytest.FixtureRequest) -> Any:
    """The fake's control handle (:class:`~fakelinear.handle.FakeHandle`): the same
    interface in fake and server modes; an error against real Linear."""
    if linear_backend.fake is None:
        raise FakeUnavailableError(
            f"{request.node.nodeid} uses the `fake` fixture, which exists only with "
            "--linear=fake or --linear=server (this run is --linear=online); mark the test "
            f"@pytest.mark.{NEEDS_FAKE_MARKER} to skip it online"
        )
    return linear_backend.fake


@pytest.fixture
def unique_name(linear_backend: Any) -> Any:
    """``unique_name("issue")`` → ``[test] issue <8 hex>`` (seeded: see the module docstring)."""
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
