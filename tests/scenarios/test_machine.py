"""The hypothesis state machine, bounded for the suite (``make soak`` runs many more).

Idempotent mode must show zero anomalies under every schedule; reference mode may only show
the predicted kinds, and over the bounded, derandomized run it must actually find some:
proof that the checker can see them.
"""

from __future__ import annotations

import io
import json
import re

from scenarios.machine import ALLOWED, STATS
from scenarios.soak import run_machine, soak

EXAMPLES = 8
STEPS = 14


def test_idempotent_machine_finds_no_anomaly() -> None:
    STATS.reset()
    run_machine("idempotent", EXAMPLES, STEPS, derandomize=True)
    assert STATS.examples["idempotent"] >= EXAMPLES // 2
    assert sum(STATS.anomalies.get("idempotent", {}).values()) == 0
    # The hostile findings took part: poison parked (I7), marker findings filed (no forgery).
    assert STATS.parked["idempotent"] > 0 and STATS.markers_filed["idempotent"] > 0


def test_reference_machine_finds_only_predicted_anomalies() -> None:
    STATS.reset()
    run_machine("reference", EXAMPLES, STEPS, derandomize=True)
    found = STATS.anomalies.get("reference", {})
    assert set(found) <= ALLOWED["reference"]
    assert found.get("orphan", 0) > 0, f"the checker saw no predicted anomaly in {dict(STATS.steps)} steps"
    assert sum(STATS.faults.get("reference", {}).values()) > 0
    assert STATS.parked["reference"] > 0 and STATS.markers_filed["reference"] > 0


def test_soak_prints_what_it_checked() -> None:
    out = io.StringIO()
    assert soak(examples=2, steps=6, seed=1, modes=("idempotent",), out=out) == 0
    text = out.getvalue()
    assert re.search(r"idempotent mode: [1-9]\d* schedules, \d+ steps checked", text), text
    assert "anomalies found: none" in text
    # The replay command reproduces the same exploration: seed, budget and mode.
    assert "replay: python -m scenarios soak --seed 1 --examples 2 --steps 6 --mode idempotent" in text
    out = io.StringIO()
    assert soak(examples=2, steps=6, seed=1, modes=("reference",), as_json=True, out=out) == 0
    doc = json.loads(out.getvalue())
    assert doc["modes"]["reference"]["schedules"] >= 1 and doc["seed"] == 1


def test_soak_refuses_an_empty_budget(capsys) -> None:
    from scenarios.cli import main

    assert main(["soak", "--examples", "0"], out=io.StringIO()) == 2
    assert main(["soak", "--steps", "0"], out=io.StringIO()) == 2
    assert "--examples and --steps must be >= 1" in capsys.readouterr().err
