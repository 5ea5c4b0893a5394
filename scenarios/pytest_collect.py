"""pytest collection of scenario files: each ``scenarios/*.toml`` is a test, one item per mode.

The root ``conftest.py`` hands ``.toml`` files in the ``scenarios`` directory to
:class:`ScenarioFile`. An item fails with the scenario's report table, the unmet
expectations, the seed and the command that replays it; a PostgreSQL scenario without a
server is skipped (or fails when ``FAKELINEAR_REQUIRE_PG=1``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scenarios.errors import ScenarioError
from scenarios.loader import load
from scenarios.report import render_plain
from scenarios.runner import ScenarioRun, run_scenario
from scenarios.spec import ScenarioSpec


class ScenarioFailed(Exception):
    """A scenario missed its expectation (the message is the report)."""


def is_scenario_file(path: Path, rootdir: Path) -> bool:
    """True for ``<rootdir>/scenarios/*.toml``."""
    return path.suffix == ".toml" and path.parent.name == "scenarios" and path.parent.parent == rootdir


class ScenarioFile(pytest.File):
    """One scenario file; yields one :class:`ScenarioItem` per promoter mode."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            spec = load(self.path)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        for mode in spec.promoter.modes:
            item = ScenarioItem.from_parent(self, name=mode, spec=spec, mode=mode)
            if spec.promoter.store == "postgres":
                item.add_marker(pytest.mark.postgres)
            yield item


class ScenarioItem(pytest.Item):
    """One scenario in one mode."""

    def __init__(self, *, spec: ScenarioSpec, mode: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.mode = mode

    def runtest(self) -> None:
        """Run the scenario; fail with the report, skip without PostgreSQL."""
        run = run_scenario(self.spec, self.mode)
        if run.skipped:
            pytest.skip(run.skipped)
        if not run.ok:
            raise ScenarioFailed(_report(run))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:  # type: ignore[override]
        """The scenario report instead of a traceback into the runner."""
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"scenario {self.spec.name} [{self.mode}]"


def _report(run: ScenarioRun) -> str:
    buf = io.StringIO()
    render_plain([run], buf)
    return buf.getvalue() + f"\nseed {run.seed}; replay with:\n  {run.replay}\n"
