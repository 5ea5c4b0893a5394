"""The runner end to end against the in-process fake, and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.loader import loads
from scenarios.runner import run_scenario

COMMIT_THEN_FAIL = """
[scenario]
name = "tiny-commit-then-fail"
description = "one 502 after commit"
seed = 5
cycles = 4

[[faults.inject]]
cycle = 1
kind = "gateway_error"
args = { status = 502, after_commit = true, times = 1, on = "issueCreate" }

[workload]
persistent = 2

[promoter]
modes = ["reference", "idempotent"]
threshold = 2

[expect.reference]
invariants = ["I1", "I2", "I4", "I5", "I6"]
anomalies = { orphan = 1, duplicate_commit_then_fail = 1 }

[expect.idempotent]
invariants = ["I1", "I3", "I4", "I5", "I6"]
at_least = { recovered = 1 }
"""


@pytest.fixture(scope="module")
def spec():
    return loads(COMMIT_THEN_FAIL, path="tiny.toml")


def test_reference_duplicates_are_predicted_and_explained(spec) -> None:
    run = run_scenario(spec, "reference")
    assert run.ok, run.failures or run.error
    assert run.result.counts() == {"orphan": 1, "duplicate_commit_then_fail": 1}
    assert run.result.metrics["faults_injected"] == {"gateway_after_commit": 1}
    assert run.result.metrics["cleanup_left"] == 0
    assert run.final.commit_faults and run.final.commit_faults[0].decision == "gateway_after_commit"


def test_idempotent_mode_files_exactly_once(spec) -> None:
    run = run_scenario(spec, "idempotent")
    assert run.ok, run.failures or run.error
    assert run.result.counts() == {}
    assert run.result.metrics["issues_filed"] == 2
    assert run.result.invariants["I3"] == "pass"


def test_same_seed_same_history(spec) -> None:
    a = run_scenario(spec, "reference")
    b = run_scenario(spec, "reference")
    strip = [(c.op, c.outcome, c.finding_id, c.issue_id) for c in a.history.calls]
    assert any(op == "create" for op, *_ in strip)  # not vacuously equal
    assert strip == [(c.op, c.outcome, c.finding_id, c.issue_id) for c in b.history.calls]


def test_two_replicas_without_claim_race_deterministically() -> None:
    text = COMMIT_THEN_FAIL.replace("[[faults.inject]]\ncycle = 1\nkind = \"gateway_error\"\n"
                                    "args = { status = 502, after_commit = true, times = 1, on = \"issueCreate\" }\n", "")
    text = text.replace("threshold = 2\n", "threshold = 2\nreplicas = 2\nclaim = false\n", 1)
    spec = loads(text)
    ref = run_scenario(spec, "reference")
    assert ref.result.counts() == {"orphan": 2, "duplicate_race": 2}
    idem = run_scenario(spec, "idempotent")
    assert idem.result.counts() == {}


def test_postgres_scenario_skips_without_a_server(monkeypatch) -> None:
    monkeypatch.delenv("FAKELINEAR_PG_DSN", raising=False)
    monkeypatch.delenv("FAKELINEAR_REQUIRE_PG", raising=False)
    spec = loads("[promoter]\nstore = 'postgres'\n")
    run = run_scenario(spec)
    assert run.skipped and "FAKELINEAR_PG_DSN" in run.skipped and run.ok
    monkeypatch.setenv("FAKELINEAR_REQUIRE_PG", "1")
    run = run_scenario(spec)
    assert not run.ok and "FAKELINEAR_REQUIRE_PG=1" in run.error


def test_cli_failure_prints_seed_and_replay_command(tmp_path: Path) -> None:
    wrong = COMMIT_THEN_FAIL.replace("anomalies = { orphan = 1, duplicate_commit_then_fail = 1 }", "anomalies = {}")
    path = tmp_path / "wrong.toml"
    path.write_text(wrong)
    out = io.StringIO()
    assert main(["run", str(path), "--mode", "reference"], out=out) == 1
    text = out.getvalue()
    assert "FAILED (seed 5)" in text
    assert f"replay: python -m scenarios run {path} --seed 5 --mode reference" in text
    assert "unexpected anomaly: 1 duplicate_commit_then_fail" in text


def test_cli_json_and_seed_override(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(COMMIT_THEN_FAIL)
    out = io.StringIO()
    assert main(["run", str(path), "--json", "--seed", "9", "--repeat", "2", "--mode", "idempotent"], out=out) == 0
    doc = json.loads(out.getvalue())
    assert doc["ok"] is True
    assert [r["seed"] for r in doc["runs"]] == [9, 10]
    assert doc["runs"][0]["check"]["invariants"]["I3"] == "pass"
    assert doc["runs"][0]["replay"].endswith("--seed 9 --mode idempotent")


def test_cli_malformed_file_exits_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[promoter]\nthreshold = 'x'\n")
    assert main(["run", str(path)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "bad.toml:2: promoter.threshold: must be an integer" in err
