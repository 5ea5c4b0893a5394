"""The lower bounds pyproject.toml declares are the versions `make test-lowest` proves."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_runtime_lower_bound_is_pinned_in_the_lowest_constraints() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {}
    for req in project["dependencies"] + project["optional-dependencies"]["requests"]:
        match = re.search(r">=([0-9][^,; ]*)", req)
        assert match, f"{req}: every dependency declares a lower bound"
        declared[_name(req)] = match.group(1)
    pinned = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[_name(name)] = version
    for name, version in declared.items():
        assert pinned.get(name) == version or pinned.get(name, "").startswith(version + "."), (
            f"{name}: pyproject says >={version}, constraints/lowest.txt pins {pinned.get(name)}")
