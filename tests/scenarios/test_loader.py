"""The scenario TOML loader: defaults, validation, and errors naming file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.errors import ScenarioError
from scenarios.loader import curated_paths, load, loads, locator

MINIMAL = """
[scenario]
name = "mini"
cycles = 4
"""

FULL = """
[scenario]
name = "full"
description = "every section"
seed = 9
cycles = 5
cycle_seconds = 60
settle_cycles = 3
tags = ["x"]

[faults]
profile = "storm"
workspace_plan = "unlimited"
plan = { lag = { read_seconds = 3.0 } }

[[faults.inject]]
cycle = 1
kind = "gateway_error"
args = { status = 502, after_commit = true, times = 1 }

[workload]
classes = ["a", "b"]
persistent = 2
flapping = 1
flap_pattern = "110"
arrivals_every = 2
arrivals_count = 3

[promoter]
modes = ["reference", "idempotent"]
threshold = 3
max_per_run = 4
replicas = 2
store = "sqlite"
claim = false

[[store_faults]]
cycle = 2
kind = "write_back_fail"
times = 2

[[events]]
cycle = 3
action = "reconcile"
when = "after"

[setup]
zombie_issues = 10

[expect]
invariants = ["I1", "I4"]

[expect.reference]
anomalies = { orphan = 1, duplicate_orphan = 1 }
allowed = ["duplicate_commit_then_fail"]
at_least = { capped = 1 }

[expect.idempotent]
invariants = ["I1", "I3"]
at_most = { duplicates = 0 }
"""


def test_minimal_file_gets_defaults() -> None:
    spec = loads(MINIMAL)
    assert spec.name == "mini"
    assert spec.cycles == 4
    assert spec.faults.profile == "calm"
    assert spec.promoter.modes == ("reference",)
    assert spec.workload.classes == ("lint",)
    assert spec.expectation("reference").invariants == ("I1", "I4", "I5", "I6")


def test_every_section_is_read() -> None:
    spec = loads(FULL, path="full.toml")
    assert spec.seed == 9 and spec.cycle_seconds == 60.0 and spec.settle_cycles == 3
    assert spec.faults.profile == "storm" and spec.faults.workspace_plan == "unlimited"
    assert spec.faults.plan == {"lag": {"read_seconds": 3.0}}
    inj = spec.faults.inject[0]
    assert (inj.cycle, inj.kind, inj.args["after_commit"]) == (1, "gateway_error", True)
    assert spec.workload.flap_pattern == "110" and spec.workload.arrivals_count == 3
    assert spec.promoter.replicas == 2 and spec.promoter.claim is False
    assert spec.store_faults[0].times == 2
    assert spec.events[0].when == "after"
    assert spec.setup.zombie_issues == 10
    ref, idem = spec.expectation("reference"), spec.expectation("idempotent")
    assert ref.invariants == ("I1", "I4")  # inherited from [expect]
    assert ref.anomalies == {"orphan": 1, "duplicate_orphan": 1}
    assert ref.allowed == ("duplicate_commit_then_fail",)
    assert idem.invariants == ("I1", "I3")
    assert idem.at_most == {"duplicates": 0}


@pytest.mark.parametrize(
    ("text", "field", "line", "words"),
    [
        ('[scenario]\ncycles = 3\n[promoter]\nthreshold = 2\nmode = "bogus"\n', "promoter.mode", 5, "one of"),
        ('[scenario]\ncycles = "x"\n', "scenario.cycles", 2, "integer"),
        ('[scenario]\ncycles = 0\n', "scenario.cycles", 2, ">= 1"),
        ("[scenario]\ncycles = 3\ncolour = 1\n", "scenario.colour", 3, "unknown field"),
        ("[promoter]\nmax_per_run = 0\n", "promoter.max_per_run", 2, ">= 1"),
        ('[promoter]\nstore = "mysql"\n', "promoter.store", 2, "sqlite, postgres"),
        ('[promoter]\nmode = "reference"\nmodes = ["idempotent"]\n', "promoter.modes", 3, "either"),
        ('[workload]\nflap_pattern = "1x0"\n', "workload.flap_pattern", 2, "0 and 1"),
        ('[workload]\nclasses = []\n', "workload.classes", 2, "at least one"),
        ('[faults]\nprofile = "hurricane"\n', "faults.profile", 2, "calm"),
        ('[scenario]\ncycles = 3\n[[faults.inject]]\nkind = "gateway_error"\n[[faults.inject]]\ncycle = 7\n'
         'kind = "gateway_error"\n', "faults.inject[1].cycle", 6, "< scenario.cycles"),
        ('[[faults.inject]]\nkind = "earthquake"\n', "faults.inject[0].kind", 2, "gateway_error"),
        ("[[store_faults]]\ncycle = 1\n", "store_faults[0].kind", 1, "required"),
        ('[[events]]\naction = "advance_clock"\n', "events[0].seconds", 1, "needs seconds"),
        ('[expect.reference]\nanomalies = { bogus = 1 }\n', "expect.reference.anomalies.bogus", 2, "unknown kind"),
        ('[expect.idempotent]\ninvariants = ["I9"]\n', "expect.idempotent", 1, "not in promoter.modes"),
        ('[expect]\ninvariants = ["I9"]\n', "expect.invariants", 2, "I9"),
        ('[setup]\nzombie_issues = -1\n', "setup.zombie_issues", 2, ">= 0"),
    ],
)
def test_errors_name_file_field_and_line(text: str, field: str, line: int, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(text, path="bad.toml")
    err = info.value
    assert err.path == "bad.toml"
    assert err.field == field
    assert err.line == line
    assert words in str(err)
    assert str(err).startswith(f"bad.toml:{line}: {field}: ")


def test_toml_syntax_error_has_a_line() -> None:
    with pytest.raises(ScenarioError) as info:
        loads("[scenario]\ncycles = 3\n[promoter\n", path="broken.toml")
    assert info.value.line == 3
    assert "not valid TOML" in str(info.value)


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "nope.toml")
    assert "cannot read" in str(info.value)


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    p = tmp_path / "my_scenario.toml"
    p.write_text("[scenario]\ncycles = 2\n")
    assert load(p).name == "my_scenario"


def test_locator_finds_keys_in_array_tables() -> None:
    text = "[[events]]\ncycle = 1\naction = 'x'\n\n[[events]]\naction = 'y'\ncycle = 2\n"
    locate = locator(text)
    assert locate("events[0].action") == 3
    assert locate("events[1].cycle") == 7
    assert locate("events[1]") == 5
    assert locate("nothing.here") is None


def test_every_curated_scenario_loads() -> None:
    paths = curated_paths()
    assert len(paths) >= 12
    names = set()
    for p in paths:
        spec = load(p)
        assert spec.description, p
        names.add(spec.name)
    assert len(names) == len(paths), "scenario names must be unique"


def test_curated_scenarios_cover_the_issue() -> None:
    specs = {load(p).name: load(p) for p in curated_paths()}
    wanted = {
        "window-api-error", "window-write-back-failure", "window-stale-read", "window-cap",
        "window-kill-switch", "window-two-replicas-no-claim", "quirk-sticky-conflicts",
        "quirk-cold-start", "quirk-commit-then-fail", "quirk-search-lag", "quirk-zombies",
        "storm-side-by-side",
    }
    assert wanted <= set(specs)
    storm = specs["storm-side-by-side"]
    assert storm.promoter.modes == ("reference", "idempotent")
    assert storm.faults.profile == "storm"


def test_fairness_and_hostile_workload_fields() -> None:
    spec = loads("""
[scenario]
name = "hostile"
cycles = 3
[workload]
poison = 2
marker_text = 1
[promoter]
park_after = 3
max_backoff = 4
[expect]
invariants = ["I1", "I7"]
anomalies = { starved = 0, unparked_poison = 0 }
""")
    assert (spec.workload.poison, spec.workload.marker_text) == (2, 1)
    assert (spec.promoter.park_after, spec.promoter.max_backoff) == (3, 4)
    assert spec.expectation("reference").invariants == ("I1", "I7")
    with pytest.raises(ScenarioError, match="promoter.park_after"):
        loads("[scenario]\ncycles = 2\n[promoter]\npark_after = 0\n")
    with pytest.raises(ScenarioError, match="workload.poison"):
        loads("[scenario]\ncycles = 2\n[workload]\npoison = -1\n")
