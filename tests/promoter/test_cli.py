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
    return f"sqlite:///{tmp_path}/f.db"


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
