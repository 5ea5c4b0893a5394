"""The ``promoter`` CLI: happy paths and every user-error path (clear message, exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import promoter.cli as cli
from promoter.findings import Finding, finding_marker
from promoter.linear.errors import AuthenticationError
from promoter.store.url import open_store
from tests.promoter.fakes import FakeClient

SECRET = "lin_api_SECRETSECRETSECRET123456"


def write(tmp_path: Path, lines: list[str], name: str = "f.jsonl") -> str:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def rec(ref: str, **kw) -> str:
    return json.dumps({"ref_id": ref, "kind": "k", "title": f"t {ref}", **kw})


@pytest.fixture
def db(tmp_path: Path) -> str:
    """An existing, empty store (every command but ``observe`` needs one)."""
    url = f"sqlite:///{tmp_path}/f.db"
    open_store(url).close()
    return url


@pytest.fixture
def fake_client(monkeypatch) -> FakeClient:
    client = FakeClient()
    monkeypatch.setenv("LINEAR_API_KEY", SECRET)
    monkeypatch.setattr(cli, "_client", lambda: (client, SECRET))
    return client


def test_observe_and_status(tmp_path: Path, db: str, capsys) -> None:
    f = write(tmp_path, [rec("a"), "", rec("b", detail="d", **{"class": "C"})])
    for _ in range(2):
        assert cli.main(["observe", "--store", db, "--class", "C", f]) == 0
    assert "observed 2 finding(s)" in capsys.readouterr().out
    assert cli.main(["status", "--store", db]) == 0
    out = capsys.readouterr().out
    assert "a" in out and "2" in out and Finding("C", "a", "k", "").finding_id[:12] in out


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ([rec("a"), "{not json"], ":2: invalid JSON"),
        ([rec("a"), rec("b"), "[1, 2]"], ":3: expected a JSON object"),
        ([json.dumps({"ref_id": "a", "kind": "k"})], ":1: missing or non-string field(s): title"),
        ([rec("a", **{"class": "D"})], ":1: class 'D' does not match"),
        ([rec("a", detail=5)], ":1: 'detail' must be a string"),
    ],
)
def test_malformed_findings_file_names_the_line(tmp_path, db, capsys, lines, needle) -> None:
    f = write(tmp_path, lines)
    assert cli.main(["observe", "--store", db, "--class", "C", f]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    store = open_store(db)
    assert store.list_findings() == []  # nothing half-observed
    store.close()


def test_missing_findings_file(tmp_path, db, capsys) -> None:
    assert cli.main(["observe", "--store", db, "--class", "C", str(tmp_path / "nope")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["nonsense", "mysql://h/db", "sqlite://"])
def test_bad_store_url(tmp_path, capsys, url) -> None:
    f = write(tmp_path, [rec("a")])
    assert cli.main(["observe", "--store", url, "--class", "C", f]) == 2
    err = capsys.readouterr().err
    assert "bad store URL" in err or "unknown store scheme" in err


def test_bad_store_url_on_status(capsys) -> None:
    assert cli.main(["status", "--store", "mysql://h/db"]) == 2
    assert "unknown store scheme 'mysql'" in capsys.readouterr().err


def test_missing_key(db, monkeypatch, capsys) -> None:
    monkeypatch.delenv("LINEAR_API_KEY", raising=False)
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 2
    assert "LINEAR_API_KEY is not set" in capsys.readouterr().err
    assert cli.main(["reconcile", "--store", db, "--team", "ENG"]) == 2


def test_unknown_team(db, fake_client, capsys) -> None:
    assert cli.main(["run", "--store", db, "--team", "NOPE", "--threshold", "3"]) == 2
    err = capsys.readouterr().err
    assert "unknown team 'NOPE'" in err and SECRET not in err
    assert cli.main(["reconcile", "--store", db, "--team", "NOPE"]) == 2


def test_rejected_key_is_masked(db, fake_client, monkeypatch, capsys) -> None:
    def boom(_):
        raise AuthenticationError("Authentication required", status=401)

    monkeypatch.setattr(fake_client, "team", boom)
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 2
    err = capsys.readouterr().err
    assert "…123456" in err and SECRET not in err


def test_run_promotes_and_reconcile_repairs(tmp_path, db, fake_client, capsys) -> None:
    f = write(tmp_path, [rec("a"), rec("b")])
    for _ in range(3):
        cli.main(["observe", "--store", db, "--class", "C", f])
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3",
                     "--mode", "idempotent", "--max-per-run", "1"]) == 0
    out = capsys.readouterr().out
    assert "C: promoted=1" in out and "capped=1" in out
    assert fake_client.creates == 1
    fid = Finding("C", "b", "k", "").finding_id
    fake_client.add_issue(finding_marker(fid))
    assert cli.main(["reconcile", "--store", db, "--team", "ENG"]) == 0
    assert "linked 1" in capsys.readouterr().out


def test_run_threshold_zero_is_the_kill_switch(db, fake_client, capsys) -> None:
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "0"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert fake_client.creates == 0


def test_usage_errors_exit_2_without_traceback(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--store", "sqlite://:memory:"])
    assert exc.value.code == 2
    assert "required" in capsys.readouterr().err


def test_subprocess_entry_point_missing_key(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "promoter.cli", "run", "--store", f"sqlite:///{tmp_path}/x.db",
         "--team", "ENG", "--threshold", "3"],
        capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 2
    assert "LINEAR_API_KEY is not set" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("key", ["", "a", "abc", "abcdefgh", "0123456789abcdef", SECRET])
def test_mask_never_shows_a_key_whole(key: str) -> None:
    shown = cli.mask(key)
    assert shown.startswith("…")
    tail = shown[1:]
    assert len(tail) <= 6 and len(tail) <= len(key) // 4
    assert key.endswith(tail)
    if key:
        assert tail != key
    if key == SECRET:
        assert shown == "…123456"


@pytest.mark.parametrize("key", ["clé-secrète", "tab\there"])
def test_a_key_that_cannot_go_in_a_header_is_a_clear_error(db, monkeypatch, capsys, key) -> None:
    monkeypatch.setenv("LINEAR_API_KEY", key)
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 2
    err = capsys.readouterr().err
    assert "LINEAR_API_KEY contains non-ASCII or control characters" in err
    assert key not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [(["--max-per-run", "0"], "--max-per-run must be >= 1"),
     (["--circuit-breaker", "-1"], "--circuit-breaker must be >= 0")],
)
def test_run_refuses_nonsense_limits(db, fake_client, capsys, extra, needle) -> None:
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", *extra]) == 2
    assert needle in capsys.readouterr().err
    assert fake_client.calls == []


# -- issue 13: exit codes, --json, help, docs, missing stores, bounded waits ------------------------


@pytest.fixture
def no_sleep(monkeypatch) -> list[float]:
    """Waits of the CLI's system clock, recorded instead of slept (offline tests never sleep)."""
    from promoter.protocols import SystemClock

    slept: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda self, s: slept.append(s))
    return slept


def promotable(tmp_path: Path, db: str, refs: list[str], cycles: int = 3, **extra) -> None:
    f = write(tmp_path, [rec(r, **extra) for r in refs])
    for _ in range(cycles):
        assert cli.main(["observe", "--store", db, "--class", "C", f]) == 0


def test_a_run_whose_creates_fail_exits_1(tmp_path, db, fake_client, capsys) -> None:
    """Regression (issue 13 item 5): a run whose every create failed exited 0."""
    from promoter.linear.errors import GatewayError

    promotable(tmp_path, db, ["a", "b"])
    fake_client.fail_creates = [GatewayError(502, True), GatewayError(503, True)]
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 1
    out = capsys.readouterr().out
    assert "api_errors=2" in out and f"FAILED finding {Finding('C', 'a', 'k', '').finding_id}" in out


def test_a_transient_team_lookup_failure_is_retried(tmp_path, db, fake_client, no_sleep, capsys) -> None:
    """Regression (issue 13 item 5): a 502 on the team lookup exited 2 ("user error")."""
    from promoter.linear.errors import GatewayError, TransportError

    promotable(tmp_path, db, ["a"])
    real = fake_client.team
    failures = [GatewayError(502, True), TransportError("read")]

    def flaky(key):
        if failures:
            raise failures.pop(0)
        return real(key)

    fake_client.team = flaky
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 0
    assert "C: promoted=1" in capsys.readouterr().out
    assert no_sleep == [1.0, 2.0]  # the retry policy's waits, on the clock


def test_a_team_lookup_that_keeps_failing_exits_1_not_2(tmp_path, db, fake_client, no_sleep, capsys) -> None:
    from promoter.linear.errors import GatewayError

    promotable(tmp_path, db, ["a"])

    def down(key):
        raise GatewayError(503, True)

    fake_client.team = down
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 1
    err = capsys.readouterr().err
    assert "cannot look up team 'ENG'" in err and "3 attempt(s)" in err
    assert fake_client.creates == 0
    assert cli.main(["reconcile", "--store", db, "--team", "ENG"]) == 1


def test_max_wait_bounds_the_lookup_retries(tmp_path, db, fake_client, no_sleep) -> None:
    from promoter.linear.errors import GatewayError

    def down(key):
        raise GatewayError(503, True)

    fake_client.team = down
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", "--max-wait", "0"]) == 1
    assert no_sleep == []


def test_run_json_has_full_ids_orphans_and_parked(tmp_path, db, fake_client, capsys, monkeypatch) -> None:
    import promoter.store.sqlite as sqlite_store

    f = write(tmp_path, [rec("a"), rec("b"), rec("p", detail="POISON")])
    for _ in range(3):
        assert cli.main(["observe", "--store", db, "--class", "C", f]) == 0
    fake_client.poison = "POISON"
    real = sqlite_store.SQLiteFindingStore.set_linear_issue_id
    calls = []

    def fail_first(self, *a, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise sqlite_store.StoreError("disk full")
        return real(self, *a, **kw)

    monkeypatch.setattr(sqlite_store.SQLiteFindingStore, "set_linear_issue_id", fail_first)
    capsys.readouterr()
    status = cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", "--json",
                       "--park-after", "1"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1 and doc["ok"] is False and doc["enabled"] is True
    (c,) = doc["classes"]
    assert c["class"] == "C" and c["counters"]["orphaned"] == 1 and c["counters"]["parked"] == 1
    (orphan,) = c["orphans"]
    assert len(orphan["finding_id"]) == 64 and orphan["issue_id"] in fake_client.issues_by_id
    assert orphan["identifier"].startswith("ENG-")
    (linked,) = c["linked"]
    assert fake_client.issues_by_id[linked["issue_id"]].identifier == linked["identifier"]
    (parked,) = c["parked"]
    assert parked["finding_id"] == Finding("C", "p", "k", "").finding_id
    assert "InvalidInputError" in parked["reason"]
    assert c["errors"][0]["finding_id"] == parked["finding_id"]


def test_status_json_and_table_show_full_ids_and_parking(tmp_path, db, fake_client, capsys) -> None:
    promotable(tmp_path, db, ["p"], detail="POISON")
    fake_client.poison = "POISON"
    cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", "--park-after", "1"])
    fid = Finding("C", "p", "k", "").finding_id
    capsys.readouterr()
    assert cli.main(["status", "--store", db, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (row,) = doc["findings"]
    assert row["finding_id"] == fid and row["state"] == "parked" and row["failures"] == 1
    assert doc["summary"] == {"C": {"findings": 1, "linked": 0, "parked": 1, "backing_off": 0}}
    assert cli.main(["status", "--store", db]) == 0
    out = capsys.readouterr().out
    assert fid in out and "parked: 1 consecutive failed creates" in out
    assert "C: 1 findings, 0 linked, 1 parked, 0 backing off" in out


def test_unpark_command(tmp_path, db, fake_client, capsys) -> None:
    promotable(tmp_path, db, ["p"], detail="POISON")
    fake_client.poison = "POISON"
    cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", "--park-after", "1"])
    fid = Finding("C", "p", "k", "").finding_id
    assert cli.main(["unpark", "--store", db]) == 2  # ids or --all
    assert cli.main(["unpark", "--store", db, "f" * 64]) == 2
    assert "unknown finding" in capsys.readouterr().err
    assert cli.main(["unpark", "--store", db, "--class", "D", fid]) == 2
    assert cli.main(["unpark", "--store", db, "--json", fid]) == 0
    assert json.loads(capsys.readouterr().out) == {"command": "unpark", "unparked": 1}
    fake_client.poison = None
    promotable(tmp_path, db, ["p"], cycles=1, detail="POISON")
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3"]) == 0
    assert "promoted=1" in capsys.readouterr().out
    assert cli.main(["unpark", "--store", db, "--all"]) == 0


def test_reconcile_json(tmp_path, db, fake_client, capsys) -> None:
    promotable(tmp_path, db, ["a"])
    fid = Finding("C", "a", "k", "").finding_id
    one = fake_client.add_issue(finding_marker(fid))
    fake_client.add_issue(finding_marker(fid))
    capsys.readouterr()
    assert cli.main(["reconcile", "--store", db, "--team", "ENG", "--json", "--dry-run"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["dry_run"] and doc["linked"] == 0
    assert doc["actions"][0] == {"action": "link", "finding_id": fid, "issue_id": one.id,
                                 "identifier": one.identifier, "done": False}
    assert cli.main(["reconcile", "--store", db, "--team", "ENG", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["linked"], doc["duplicates_marked"]) == (1, 1)


def test_json_errors_are_json_too(db, fake_client, capsys) -> None:
    assert cli.main(["run", "--store", db, "--team", "NOPE", "--threshold", "3", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"command": "run", "ok": False, "exit_code": 2, "error": "error: unknown team 'NOPE'"}


def test_status_on_a_missing_store_is_an_error_and_creates_nothing(tmp_path, capsys) -> None:
    """Regression (issue 13 item 5): ``status --store sqlite:///typo.db`` created an empty
    database and exited 0."""
    typo = tmp_path / "typo.db"
    assert cli.main(["status", "--store", f"sqlite:///{typo}"]) == 2
    assert "no SQLite store" in capsys.readouterr().err
    assert not typo.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["run", "--team", "ENG", "--threshold", "3"],
                                     ["reconcile", "--team", "ENG"], ["unpark", "--all"]])
def test_other_commands_on_a_missing_store_too(tmp_path, fake_client, capsys, command) -> None:
    typo = tmp_path / "typo.db"
    assert cli.main([command[0], "--store", f"sqlite:///{typo}", *command[1:]]) == 2
    assert not typo.exists() and fake_client.calls == []


def test_a_nul_in_the_findings_file_is_refused_naming_the_line(tmp_path, db, capsys) -> None:
    """Regression (issue 13 item 5): SQLite accepted a NUL that PostgreSQL refused."""
    f = write(tmp_path, [rec("a"), rec("b", title="bad\u0000title")])
    assert cli.main(["observe", "--store", db, "--class", "C", f]) == 2
    assert f"{f}:2: 'title' contains a NUL character" in capsys.readouterr().err
    assert open_store(db).list_findings() == []


def test_max_wait_bounds_idempotent_verification_in_the_cli(tmp_path, db, fake_client, no_sleep) -> None:
    """Regression (issue 13 item 5): no way to bound the waits of idempotent verification."""
    promotable(tmp_path, db, ["a", "b", "c"])
    fake_client.phantoms = 100
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3",
                     "--mode", "idempotent", "--max-wait", "4"]) == 1
    assert 0 < sum(no_sleep) <= 4


def test_claim_ttl_flag_sets_the_claim_ttl(tmp_path, db, fake_client, monkeypatch) -> None:
    import promoter.store.sqlite as sqlite_store

    promotable(tmp_path, db, ["a"])
    ttls = []
    real = sqlite_store.SQLiteFindingStore.claim
    monkeypatch.setattr(sqlite_store.SQLiteFindingStore, "claim",
                        lambda self, fid, owner, ttl: ttls.append(ttl) or real(self, fid, owner, ttl))
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", "--claim-ttl", "7.5"]) == 0
    assert ttls == [7.5]


@pytest.mark.parametrize(("extra", "needle"), [
    (["--max-wait", "-1"], "--max-wait must be"), (["--max-wait", "nan"], "--max-wait must be"),
    (["--claim-ttl", "0"], "--claim-ttl must be"), (["--park-after", "0"], "--park-after must be"),
    (["--max-backoff", "0"], "--max-backoff must be"),
])
def test_run_refuses_nonsense_waits(db, fake_client, capsys, extra, needle) -> None:
    assert cli.main(["run", "--store", db, "--team", "ENG", "--threshold", "3", *extra]) == 2
    assert needle in capsys.readouterr().err and fake_client.calls == []


def _options(parser) -> list[tuple[str, object]]:
    import argparse

    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += [(f"{name} {o}", a) for o, a in _options(sub)]
        elif not isinstance(action, argparse._HelpAction):
            out.append(("/".join(action.option_strings) or action.dest, action))
    return out


def test_every_option_has_help_text() -> None:
    options = _options(cli.build_parser())
    assert len(options) > 20
    missing = [name for name, action in options if not (action.help or "").strip()]
    assert missing == []


def test_readme_documents_every_option_the_formats_and_the_environment() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name, action in _options(cli.build_parser()):
        for flag in action.option_strings:
            if flag.startswith("--"):
                assert flag in readme, f"README does not mention {name}"
    for needle in ("LINEAR_API_KEY", "LINEAR_API_URL", "FAKELINEAR_PG_DSN", '"ref_id"', '"kind"',
                   '"title"', '"detail"', '"class"', "sqlite:///", "postgresql://", "?schema=",
                   "promoter_findings", "promoter_classes", "parked_reason", "exit status"):
        assert needle in readme, needle
    for cmd in ("observe", "run", "reconcile", "status", "unpark"):
        assert f"promoter {cmd}" in readme


def test_reconcile_retries_a_transient_page_read(tmp_path, db, fake_client, no_sleep, capsys) -> None:
    from promoter.linear.errors import GatewayError

    promotable(tmp_path, db, ["a"])
    fake_client.add_issue(finding_marker(Finding("C", "a", "k", "").finding_id))
    fake_client.fail_reads = [GatewayError(503, True)]
    assert cli.main(["reconcile", "--store", db, "--team", "ENG"]) == 0
    assert "linked 1" in capsys.readouterr().out and no_sleep == [1.0]
