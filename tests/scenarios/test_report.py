"""Report rendering: plain text, rich and JSON, modes side by side."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from scenarios.loader import loads
from scenarios.report import render, render_rich, summary
from scenarios.runner import run_scenario

TEXT = """
[scenario]
name = "report-demo"
description = "a write-back failure"
seed = 3
cycles = 4

[workload]
persistent = 2
arrivals_every = 1

[promoter]
modes = ["reference", "idempotent"]

[[store_faults]]
cycle = 2
kind = "write_back_fail"

[expect.reference]
allowed = ["orphan", "duplicate_orphan"]
"""


@pytest.fixture(scope="module")
def runs():
    spec = loads(TEXT, path="scenarios/report_demo.toml")
    return [run_scenario(spec, "reference"), run_scenario(spec, "idempotent")]


def test_plain_table_puts_modes_side_by_side(runs) -> None:
    out = io.StringIO()
    render(runs, out)  # a StringIO is not a terminal: plain text
    text = out.getvalue()
    assert "== report-demo: a write-back failure" in text
    header = next(line for line in text.splitlines() if "reference (seed 3)" in line)
    assert "idempotent (seed 3)" in header
    for label in ("issues filed", "duplicates", "misses (I1)", "orphans recovered", "cleanup left (I6)",
                  "retries", "verdict"):
        assert label in text
    dup_row = next(line for line in text.splitlines() if line.strip().startswith("explained by"))
    assert "1 orphan" in dup_row
    assert "2 scenario runs: 2 passed, 0 failed" in text


def test_failed_run_shows_seed_and_replay(runs) -> None:
    spec = loads(TEXT.replace('allowed = ["orphan", "duplicate_orphan"]', ""), path="scenarios/report_demo.toml")
    failed = run_scenario(spec, "reference", seed=3)
    out = io.StringIO()
    render([failed], out)
    text = out.getvalue()
    assert "reference: FAILED (seed 3)" in text
    assert "replay: python -m scenarios run scenarios/report_demo.toml --seed 3 --mode reference" in text
    assert "1 failed" in summary([failed])


def test_rich_rendering(runs) -> None:
    buf = io.StringIO()
    render_rich(runs, Console(file=buf, width=160, force_terminal=False))
    text = buf.getvalue()
    assert "report-demo" in text and "idempotent (seed 3)" in text and "PASS" in text


def test_json_rendering(runs) -> None:
    out = io.StringIO()
    render(runs, out, as_json=True)
    doc = json.loads(out.getvalue())
    assert doc["ok"] is True
    modes = {r["mode"]: r for r in doc["runs"]}
    assert modes["reference"]["check"]["anomaly_counts"] == {"orphan": 1, "duplicate_orphan": 1}
    assert modes["idempotent"]["check"]["anomaly_counts"] == {}
    assert "faults_injected" in modes["reference"]["check"]["metrics"]


def test_demo_side_by_side_summary(runs) -> None:
    from scenarios.cli import _demo_order, _demo_verdicts

    out = io.StringIO()
    _demo_verdicts(runs, out, 1.0)
    text = out.getvalue()
    line = next(x for x in text.splitlines() if x.strip().startswith("report-demo"))
    assert "1 duplicate_orphan, 1 orphan" in line and line.rstrip().endswith("none")
    assert "demo PASSED" in text
    window = loads("[scenario]\ntags = ['window']\n", default_name="b")
    storm = loads("[scenario]\ntags = ['storm']\n", default_name="a")
    other = loads("", default_name="0")
    assert sorted([other, storm, window], key=_demo_order) == [window, storm, other]
