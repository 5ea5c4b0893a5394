"""The root conftest collects every scenarios/*.toml as tests, one item per mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scenarios.loader import curated_paths, load
from scenarios.pytest_collect import is_scenario_file

ROOT = Path(__file__).resolve().parents[2]


def test_is_scenario_file() -> None:
    assert is_scenario_file(ROOT / "scenarios" / "window_cap.toml", ROOT)
    assert not is_scenario_file(ROOT / "pyproject.toml", ROOT)
    assert not is_scenario_file(ROOT / "fakelinear" / "faults" / "profiles" / "storm.toml", ROOT)
    assert not is_scenario_file(ROOT / "scenarios" / "__init__.py", ROOT)


def test_pytest_collects_one_item_per_mode() -> None:
    # Plugin autoload is off: the root conftest needs no plugin, and loading them all (with
    # assertion rewriting, uncached when PYTHONDONTWRITEBYTECODE is set) costs seconds.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "scenarios"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = [line for line in proc.stdout.splitlines() if ".toml::" in line]
    expected = sum(len(load(p).promoter.modes) for p in curated_paths())
    assert len(items) == expected
    assert "scenarios/window_cap.toml::reference" in items
    assert "scenarios/window_cap.toml::idempotent" in items


def test_a_failing_scenario_item_reports_the_seed_and_the_replay_command() -> None:
    from scenarios.loader import loads
    from scenarios.pytest_collect import _report
    from scenarios.runner import run_scenario

    spec = loads("[scenario]\nseed = 4\ncycles = 3\n[[store_faults]]\ncycle = 1\n"
                 "kind = 'write_back_fail'\n", path="scenarios/failing.toml")
    run = run_scenario(spec, "reference")  # an orphan and its duplicate, none expected
    assert not run.ok
    text = _report(run)
    assert "reference: FAILED (seed 4)" in text
    assert "seed 4; replay with:\n  python -m scenarios run scenarios/failing.toml --seed 4 --mode reference" in text
