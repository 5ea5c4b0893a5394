"""The webhook scenario family: every curated file passes with its seed, W1 holds under
other seeds, the same seed gives the same run, and a careless consumer is caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scenarios.errors import ScenarioError
from scenarios.webhooks import runner
from scenarios.webhooks.__main__ import main
from scenarios.webhooks.consumer import Entry, ReferenceConsumer
from scenarios.webhooks.spec import curated, load, parse

CURATED = curated()


def test_one_file_per_delivery_fault() -> None:
    names = {p.stem for p in CURATED}
    assert {"duplicate", "delay", "reorder", "lost_ack", "stale_timestamp", "bad_signature",
            "receiver_outage", "linear_observed", "storm"} <= names


@pytest.mark.parametrize("path", CURATED, ids=[p.stem for p in CURATED])
def test_curated_scenario(path: Path) -> None:
    run = runner.run_scenario(load(path))
    assert run.ok, "\n".join([*run.problems, run.replay])
    assert run.metrics["deliveries"] > 0 and run.metrics["unexplained"] == 0


@pytest.mark.parametrize("name", ["storm", "bursts", "linear_observed"])
def test_w1_holds_under_other_seeds(name: str) -> None:
    spec = load(next(p for p in CURATED if p.stem == name))
    for seed in range(100, 106):
        run = runner.run_scenario(spec, seed)
        assert run.verdict.unexplained == [], (seed, run.verdict.unexplained_lines())


def test_same_seed_same_run() -> None:
    spec = load(next(p for p in CURATED if p.stem == "storm"))
    first, second = runner.run_scenario(spec), runner.run_scenario(spec)
    assert first.metrics == second.metrics


class _Careless(ReferenceConsumer):
    """Applies every event as it comes: no ordering, no re-read."""

    def _apply(self, payload: dict[str, Any]) -> None:
        data = payload["data"]
        self.view[data["id"]] = Entry(0.0, {k: data.get(k) for k in ("title", "priority", "stateId", "teamId",
                                                                     "trashed")},
                                      payload["action"] == "remove")


def test_a_careless_consumer_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "ReferenceConsumer", _Careless)
    run = runner.run_scenario(load(next(p for p in CURATED if p.stem == "reorder")))
    assert not run.ok and run.verdict.unexplained
    assert any(p.startswith("W1: issue ") for p in run.problems)


@pytest.mark.parametrize(("data", "field"), [
    ({"scenario": {"colour": 1}}, "scenario.colour"),
    ({"faults": {"webhooks": {"duplicates": 1}}}, "faults"),
    ({"receiver": {"down": [[5, 1]]}}, "receiver.down[0]"),
    ({"scenario": {"burst": 2}}, "scenario.burst"),
    ({"scenario": {"issues": -1}}, "scenario.issues"),
    ({"expect": {"at_least": {"x": "y"}}}, "expect.at_least"),
    ({"elsewhere": {}}, "elsewhere"),
])
def test_malformed_files_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse(data, "x.toml", "x")
    assert info.value.field == field


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = next(p for p in CURATED if p.stem == "duplicate")
    assert main([str(good)]) == 0
    assert "webhooks-duplicate (seed 1): ok" in capsys.readouterr().out
    demanding = tmp_path / "demanding.toml"
    demanding.write_text('[scenario]\nissues = 1\nupdates = 0\ndeletes = 0\n'
                         '[expect]\nat_least = { "consumer.duplicates_ignored" = 1 }\n')
    assert main([str(demanding), "--json"]) == 1
    assert "replay" in capsys.readouterr().out
    broken = tmp_path / "broken.toml"
    broken.write_text("[scenario\n")
    assert main([str(broken)]) == 2
    assert "broken.toml" in capsys.readouterr().err
