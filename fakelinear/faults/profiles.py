"""Named fault profiles shipped as TOML files in ``fakelinear/faults/profiles/``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fakelinear.faults.plan import FaultPlan, FaultPlanError

PROFILE_NAMES = ("calm", "linear-observed", "storm")


@cache
def _load(name: str) -> FaultPlan:
    files = resources.files("fakelinear.faults") / "profiles"
    path = files / f"{name}.toml"
    if not path.is_file():
        from fakelinear.faults.validation import did_you_mean

        known = profile_names()
        raise FaultPlanError(f"unknown fault profile {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})")
    with resources.as_file(path) as real:
        return FaultPlan.from_toml(real)


def profile_names() -> list[str]:
    """Every profile shipped with the package (``calm``, ``linear-observed``, ``storm``...)."""
    files = resources.files("fakelinear.faults") / "profiles"
    return sorted(p.name[: -len(".toml")] for p in files.iterdir() if p.name.endswith(".toml"))


def profile(name: str) -> FaultPlan:
    """The named profile as a fresh :class:`FaultPlan` (safe to mutate)."""
    return _load(name).copy()
