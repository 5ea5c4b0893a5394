"""Per-test fault overrides that read like the faults they describe.

``fake.faults.phantom_conflicts(on="issueCreate", first=3)`` adds a rule to the plan in
force; :meth:`FaultOverrides.clear` drops every override and returns to the fake's
configured plan. Rules with ``times`` are consumed deterministically (in request order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.faults.plan import FaultPlan, _drop_none

if TYPE_CHECKING:
    from fakelinear.faults.engine import FaultEngine

_FOREVER: Any = None


class FaultOverrides:
    """The override handle of one :class:`FaultEngine` (exposed as ``fake.faults``)."""

    def __init__(self, engine: FaultEngine) -> None:
        self._engine = engine

    @property
    def plan(self) -> FaultPlan:
        """The plan in force (configured plan + overrides); a copy."""
        return self._engine.plan.copy()

    def apply(self, plan: FaultPlan | dict[str, Any]) -> FaultOverrides:
        """Merge a plan or its dict form (``{"phantom_conflict": {"first": 3}}``)."""
        self._engine.add_overrides(plan)
        return self

    def clear(self) -> FaultOverrides:
        """Drop every override (and their state); back to the configured plan."""
        self._engine.clear_overrides()
        return self

    def calm(self) -> FaultOverrides:
        """No faults at all from now on (overrides and the configured plan alike), until
        :meth:`clear`."""
        self._engine.replace_plan(FaultPlan.from_dict({"rate_limit": {"enforce": False}}))
        return self

    # -- F1 ------------------------------------------------------------------------------
    def phantom_conflicts(
        self,
        on: str | list[str] | None = None,
        first: int = 0,
        probability: float | None = None,
        sticky_for: float | None = _FOREVER,
        *,
        cold_start_scope: str = "key",
        http_status: int = 200,
        times: int | None = None,
    ) -> FaultOverrides:
        """Phantom ``conflict on insert``. ``first=K``: the next K matching creates per key
        conflict; ``probability``: chance per create (default 1.0 when ``first`` is 0);
        ``sticky_for``: seconds an identical body stays stuck (``None`` = forever, 0 = never)."""
        if probability is None:
            probability = 0.0 if first else 1.0
        rule: dict[str, Any] = {
            "on": on,
            "first": first,
            "probability": probability,
            "sticky_for": sticky_for,
            "cold_start_scope": cold_start_scope,
            "http_status": http_status,
            "times": times,
        }
        return self.apply({"phantom_conflict": _drop_none(rule)})

    # -- F3 ------------------------------------------------------------------------------
    def gateway_error(
        self,
        status: int = 502,
        after_commit: bool = False,
        times: int | None = None,
        on: str | list[str] | None = None,
        probability: float = 1.0,
    ) -> FaultOverrides:
        """A 502/503/504 with an HTML body, before the model or after the commit."""
        rule = {"status": status, "after_commit": after_commit, "times": times, "on": on, "probability": probability}
        return self.apply({"gateway": _drop_none(rule)})

    # -- F5 ------------------------------------------------------------------------------
    def rate_limit(self, per_hour: int | None = None, *, enforce: bool = True, complexity_per_hour: int | None = None) -> FaultOverrides:
        """Enforce a leaky bucket of ``per_hour`` requests per key."""
        settings = _drop_none({"per_hour": per_hour, "enforce": enforce, "complexity_per_hour": complexity_per_hour})
        return self.apply({"rate_limit": settings})

    # -- F4 ------------------------------------------------------------------------------
    def read_lag(self, seconds: float = 0.0, reads: int = 0) -> FaultOverrides:
        """New entities stay invisible to reads and lists for ``seconds`` and/or ``reads``."""
        return self.apply({"lag": {"read_seconds": seconds, "read_count": reads}})

    def search_lag(
        self,
        seconds: float = 0.0,
        searches: int = 0,
        *,
        new_team_window: float | None = None,
        new_team_extra: float | None = None,
    ) -> FaultOverrides:
        """Search lags ``seconds`` (and ``searches`` asks); issues of a team younger than
        ``new_team_window`` at their creation lag ``new_team_extra`` more."""
        lag = _drop_none(
            {
                "search_seconds": seconds,
                "search_count": searches,
                "new_team_window": new_team_window,
                "new_team_search_extra": new_team_extra,
            }
        )
        return self.apply({"lag": lag})

    # -- F7 ------------------------------------------------------------------------------
    def transport_fault(
        self,
        kind: str = "connection_reset",
        times: int | None = None,
        on: str | list[str] | None = None,
        probability: float = 1.0,
        after_commit: bool = False,
    ) -> FaultOverrides:
        """``connection_reset``, ``read_timeout`` or ``truncated_body``."""
        rule = {"kind": kind, "times": times, "on": on, "probability": probability, "after_commit": after_commit}
        return self.apply({"transport": _drop_none(rule)})

    def __repr__(self) -> str:
        return f"FaultOverrides({self._engine.plan.to_dict()!r})"

