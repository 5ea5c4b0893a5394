"""The webhook scenario file format, parsed into a frozen dataclass (see README.md)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakelinear.faults import FaultPlan, FaultPlanError, profile
from scenarios.errors import ScenarioError

SCENARIO_DIR = Path(__file__).resolve().parent
_SECTIONS = {"scenario", "faults", "receiver", "consumer", "expect"}
_FIELDS = {
    "scenario": {"name", "description", "seed", "issues", "updates", "deletes", "purges", "burst",
                 "step_seconds"},
    "faults": {"profile", "webhooks", "plan"},
    "receiver": {"down"},
    "consumer": {"tolerance"},
    "expect": {"converged", "at_least", "at_most"},
}


@dataclass(frozen=True)
class WebhookScenario:
    """One webhook scenario."""

    name: str
    description: str
    path: str
    seed: int
    issues: int
    updates: int
    deletes: int
    purges: int
    burst: float
    step_seconds: float
    plan: FaultPlan
    down: tuple[tuple[float, float], ...]  # receiver outages, seconds after the start
    tolerance: float
    converged: bool
    at_least: dict[str, float] = field(default_factory=dict)
    at_most: dict[str, float] = field(default_factory=dict)


def _number(data: dict[str, Any], key: str, default: float, where: str, *, integer: bool = False,
            path: str) -> Any:
    value = data.get(key, default)
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or value < 0:
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise ScenarioError(f"must be {kind}, got {value!r}", path=path, field=f"{where}.{key}")
    return value


def parse(data: dict[str, Any], path: str, default_name: str) -> WebhookScenario:
    """Validate a scenario's dict form; :class:`ScenarioError` names the field."""
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        raise ScenarioError(f"unknown section (allowed: {', '.join(sorted(_SECTIONS))})", path=path, field=unknown[0])
    for section, allowed in _FIELDS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ScenarioError("must be a table", path=path, field=section)
        extra = sorted(set(table) - allowed)
        if extra:
            raise ScenarioError(f"unknown field (allowed: {', '.join(sorted(allowed))})", path=path,
                                field=f"{section}.{extra[0]}")
    sc, faults = data.get("scenario", {}), data.get("faults", {})
    try:
        plan = profile(str(faults.get("profile", "calm")))
        if faults.get("plan"):
            plan = plan.merge(faults["plan"])
        if faults.get("webhooks"):
            plan = plan.merge({"webhooks": faults["webhooks"]})
    except FaultPlanError as exc:
        raise ScenarioError(str(exc), path=path, field="faults") from None
    down = []
    for n, window in enumerate(data.get("receiver", {}).get("down", [])):
        if (not isinstance(window, list) or len(window) != 2
                or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in window)
                or not 0 <= window[0] < window[1]):
            raise ScenarioError("must be [from, until] seconds with from < until", path=path,
                                field=f"receiver.down[{n}]")
        down.append((float(window[0]), float(window[1])))
    expect = data.get("expect", {})
    for key in ("at_least", "at_most"):
        bounds = expect.get(key, {})
        if not isinstance(bounds, dict) or not all(isinstance(v, int | float) for v in bounds.values()):
            raise ScenarioError("must be a table of metric = number", path=path, field=f"expect.{key}")
    burst = _number(sc, "burst", 0.0, "scenario", path=path)
    if burst > 1:
        raise ScenarioError("must be a share between 0 and 1", path=path, field="scenario.burst")
    return WebhookScenario(
        name=str(sc.get("name", default_name)),
        description=str(sc.get("description", "")),
        path=path,
        seed=_number(sc, "seed", 0, "scenario", integer=True, path=path),
        issues=_number(sc, "issues", 5, "scenario", integer=True, path=path),
        updates=_number(sc, "updates", 10, "scenario", integer=True, path=path),
        deletes=_number(sc, "deletes", 1, "scenario", integer=True, path=path),
        purges=_number(sc, "purges", 0, "scenario", integer=True, path=path),
        burst=float(burst),
        step_seconds=float(_number(sc, "step_seconds", 5.0, "scenario", path=path)),
        plan=plan,
        down=tuple(down),
        tolerance=float(_number(data.get("consumer", {}), "tolerance", 60.0, "consumer", path=path)),
        converged=bool(expect.get("converged", True)),
        at_least=dict(expect.get("at_least", {})),
        at_most=dict(expect.get("at_most", {})),
    )


def load(path: str | Path) -> WebhookScenario:
    """Load one scenario file (clear errors with the file, field and line)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"not a valid TOML file: {exc}", path=str(p)) from None
    return parse(data, str(p), p.stem)


def curated() -> list[Path]:
    """Every scenario file shipped in this directory, by name."""
    return sorted(SCENARIO_DIR.glob("*.toml"))
