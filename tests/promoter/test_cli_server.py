"""The ``promoter`` CLI against ``fakelinear`` served on loopback, under faults.

Issue 13 item 3: ``promoter run --threshold 0`` (the kill switch) still looked the team up —
one request — and under faults that request failed and the disabled run exited 2. Disabled
means zero calls and exit 0 under every fault; the fake's journal counts every request it
received (refused and faulted ones included). The enabled control run proves the count
would see a call, and that transient trouble exits 1, never 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import promoter.cli as cli
from fakelinear.handler import FakeLinear
from fakelinear.transports.server import ServerThread
from promoter.findings import Finding
from promoter.store.url import open_store

ROOT = Path(__file__).resolve().parents[2]

FAULTS: dict[str, Callable[[FakeLinear], None]] = {
    "storm": lambda fake: fake.faults.apply({}),  # the storm profile itself (set below)
    "gateway-502": lambda fake: fake.faults.gateway_error(502),
    "gateway-503-after-commit": lambda fake: fake.faults.gateway_error(503, after_commit=True),
    "connection-reset": lambda fake: fake.faults.transport_fault("connection_reset"),
    "truncated-body": lambda fake: fake.faults.transport_fault("truncated_body"),
    "rate-limited": lambda fake: fake.faults.rate_limit(per_hour=1),
    "phantom-conflicts": lambda fake: fake.faults.phantom_conflicts(),
}


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[FakeLinear, str]]:
    fake = FakeLinear(seed=5, profile="storm" if request.param == "storm" else "calm")
    FAULTS[request.param](fake)
    with ServerThread(fake, "127.0.0.1", 0) as server:
        yield fake, server.base_url + "/graphql"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/f.db"
    store = open_store(url)
    for _ in range(3):
        store.observe("C", [Finding("C", "a", "k", "[test] a")])
    store.close()
    return url


@pytest.fixture
def no_sleep(monkeypatch) -> list[float]:
    from promoter.protocols import SystemClock

    slept: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda self, s: slept.append(s))
    return slept


@pytest.mark.parametrize("served", list(FAULTS), indirect=True)
def test_disabled_run_makes_zero_requests_and_exits_0_under_every_fault(
    served, db, monkeypatch, capsys, no_sleep
) -> None:
    fake, url = served
    monkeypatch.setenv("LINEAR_API_URL", url)
    monkeypatch.setenv("LINEAR_API_KEY", fake.tokens[0])
    before = len(fake.journal)
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "0"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert len(fake.journal) == before  # not one request
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False
    assert len(fake.journal) == before
    # The control: enabled, the same command reaches the fake, and trouble is exit 1, not 2.
    status = cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"])
    assert len(fake.journal) > before
    assert status in (0, 1), capsys.readouterr().err


@pytest.mark.parametrize("served", ["gateway-502"], indirect=True)
def test_disabled_needs_no_key_and_does_not_open_the_store(served, tmp_path, monkeypatch, capsys) -> None:
    fake, url = served
    monkeypatch.setenv("LINEAR_API_URL", url)
    monkeypatch.delenv("LINEAR_API_KEY", raising=False)
    missing = tmp_path / "never.db"
    assert cli.main(["run", "--store", f"sqlite:///{missing}", "--team", "ENG", "--threshold", "0"]) == 0
    assert not missing.exists() and len(fake.journal) == 0
    assert cli.main(["run", "--store", "mysql://x/y", "--team", "ENG", "--threshold", "0"]) == 2


@pytest.mark.parametrize("served", ["gateway-502", "connection-reset"], indirect=True)
def test_transient_lookup_failures_exit_1_after_the_retries(served, db, monkeypatch, capsys, no_sleep) -> None:
    fake, url = served
    monkeypatch.setenv("LINEAR_API_URL", url)
    monkeypatch.setenv("LINEAR_API_KEY", fake.tokens[0])
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 1
    assert "cannot look up team 'ENG': 3 attempt(s) failed" in capsys.readouterr().err
    assert len(fake.journal) == 3 and no_sleep == [1.0, 2.0]


@pytest.mark.parametrize("served", ["storm"], indirect=True)
def test_disabled_as_a_user_runs_it(served, db, tmp_path) -> None:
    """A separate process, as an operator's cron would run it."""
    fake, url = served
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LINEAR_API_URL": url,
           "LINEAR_API_KEY": fake.tokens[0], "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "promoter.cli", "run", "--store", db, "--team", "ENG",
                           "--threshold", "0", "--json"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"command": "run", "enabled": False, "ok": True, "classes": []}
    assert len(fake.journal) == 0
