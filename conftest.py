"""Root conftest: scenario files are collected as tests (hook added by the scenarios package).

Every ``scenarios/*.toml`` becomes one test item per promoter mode (see
:mod:`scenarios.pytest_collect`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pytest_collect_file(parent: Any, file_path: Path) -> Any:
    """Collect ``scenarios/*.toml`` as scenario tests."""
    if file_path.suffix != ".toml":
        return None
    from scenarios.pytest_collect import ScenarioFile, is_scenario_file

    if is_scenario_file(file_path, Path(str(parent.config.rootpath))):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None
