"""scenarios: declarative exactly-once scenarios, their runner, checker and report.

A scenario file (``scenarios/*.toml``) names a fault plan, a workload, a promoter
configuration, store faults, events and the expected outcome; :func:`run_scenario` runs it
in-process against the fake on a virtual clock, records every create and write-back, and
:func:`~scenarios.checker.check` finds lost, duplicated, falsely linked and orphaned findings,
cap and kill-switch violations, leftovers, and findings that can never be filed but were not
parked or starved the rest (DESIGN.md §6, I1-I7).
"""

from typing import Any

from scenarios.errors import ScenarioError
from scenarios.loader import curated_paths, load, load_all, loads
from scenarios.spec import ScenarioSpec

__all__ = ["ScenarioError", "ScenarioSpec", "curated_paths", "load", "load_all", "loads", "run_scenario"]


def __getattr__(name: str) -> Any:
    """``run_scenario`` is imported lazily (keeps ``import scenarios`` light)."""
    if name == "run_scenario":
        from scenarios.runner import run_scenario

        return run_scenario
    raise AttributeError(name)
