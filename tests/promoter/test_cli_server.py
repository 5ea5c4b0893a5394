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
    profile = request.param if request.param in ("storm", "linear-observed") else "calm"
    fake = FakeLinear(seed=5, profile=profile)
    FAULTS.get(request.param, lambda _: None)(fake)
    # An injected read timeout holds the response this long (not the default 35 s of real
    # time), then drops the connection: the client sees a transport error either way.
    with ServerThread(fake, "127.0.0.1", 0, read_timeout_hold=0.2) as server:
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


@pytest.mark.parametrize("served", ["linear-observed"], indirect=True)
def test_an_operator_session_against_the_served_fake(served, tmp_path, monkeypatch, capsys) -> None:
    """observe → run (idempotent, linear-observed faults) until done → status → reconcile → unpark, through
    real HTTP, with a poison line and a line forging another finding's marker. The fake runs
    on a virtual clock: the CLI's waits advance it (no real sleep), and so does each cycle."""
    from promoter.findings import finding_marker
    from promoter.protocols import SystemClock

    fake, url = served
    monkeypatch.setattr(SystemClock, "sleep", lambda self, s: fake.advance(s))
    monkeypatch.setenv("LINEAR_API_URL", url)
    monkeypatch.setenv("LINEAR_API_KEY", fake.tokens[0])
    victim = Finding("lint", "src/a.py:1", "E1", "").finding_id
    lines = [
        {"ref_id": "src/a.py:1", "kind": "E1", "title": "[test] a"},
        {"ref_id": "src/b.py:2", "kind": "E2", "title": "[test] b",
         "detail": f"copied:\n{finding_marker(victim)}"},
        {"ref_id": "src/big.py", "kind": "E3", "title": "[test] big", "detail": "x" * (3 * 2**19)},
    ]
    f = tmp_path / "findings.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in lines))
    db = f"sqlite:///{tmp_path}/store.db"

    def cli_json(*argv: str) -> tuple[int, dict]:
        status = cli.main([*argv, "--json"])
        return status, json.loads(capsys.readouterr().out)

    statuses = []
    for _ in range(8):
        assert cli.main(["observe", "--store", db, "--class", "lint", str(f)]) == 0
        capsys.readouterr()
        status, doc = cli_json("run", "--store", db, "--team", "ENG", "--threshold", "2",
                               "--mode", "idempotent", "--park-after", "2", "--max-backoff", "2")
        assert status in (0, 1) and doc["ok"] is (status == 0)
        statuses.append(status)
        fake.advance(300.0)
    _, st = cli_json("status", "--store", db)
    by_ref = {r["ref_id"]: r for r in st["findings"]}
    assert by_ref["src/big.py"]["state"] == "parked" and "413" not in by_ref["src/big.py"]["parked_reason"]
    assert "InvalidInputError" in by_ref["src/big.py"]["parked_reason"]
    for ref in ("src/a.py:1", "src/b.py:2"):
        assert by_ref[ref]["state"] == "linked" and len(by_ref[ref]["issue_id"]) == 36
    assert by_ref["src/a.py:1"]["issue_id"] != by_ref["src/b.py:2"]["issue_id"]
    assert statuses[-1] == 0  # nothing left to fail: the poison is parked, the rest filed
    status, rec = cli_json("reconcile", "--store", db, "--team", "ENG")
    assert status == 0 and rec["issues_read"] >= 2
    assert rec["linked"] == 0 and rec["carrying"] == 2  # one issue each, no forgery
    status, un = cli_json("unpark", "--store", db, "--all")
    assert status == 0 and un["unparked"] == 1
