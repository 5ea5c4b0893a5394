"""Per-test fault overrides that read like the faults they describe.

``fake.faults.phantom_conflicts(on="issueCreate", first=3)`` adds a rule to the plan in
force; :meth:`FaultOverrides.clear` drops every override and returns to the fake's
configured plan. Rules with ``times`` are consumed deterministically (in request order).
The handle only builds plan fragments: the configuration itself has one owner,
:class:`~fakelinear.faults.config.FaultConfig`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from fakelinear.faults.config import FaultConfig
from fakelinear.faults.plan import FaultPlan, _drop_none

_FOREVER: Any = None
#: The plan ``calm()`` puts in force: nothing injected, rate limits reported but not enforced.
CALM_PLAN: dict[str, Any] = {"rate_limit": {"enforce": False}}


class FaultOverridesBase(ABC):
    """Every per-test override, as methods that build a plan fragment and :meth:`apply` it.

    The in-process fake (:class:`FaultOverrides`) and the loopback fake
    (:class:`fakelinear.remote.RemoteFaults`) share this class, so ``fake.faults`` has one
    interface in every mode; only the four primitives below differ.
    """

    @property
    @abstractmethod
    def plan(self) -> FaultPlan:
        """The plan in force (configured plan + overrides); a copy."""

    @abstractmethod
    def apply(self, plan: FaultPlan | dict[str, Any]) -> FaultOverridesBase:
        """Merge a plan or its dict form (``{"phantom_conflict": {"first": 3}}``) into the plan
        in force; :class:`~fakelinear.faults.FaultPlanError` names a bad field or operation."""

    @abstractmethod
    def clear(self) -> FaultOverridesBase:
        """Drop every override (and their state); back to the configured plan."""

    @abstractmethod
    def use(self, plan: FaultPlan | dict[str, Any] | str) -> FaultOverridesBase:
        """Put ``plan`` (a plan, its dict form or a profile name) in force *instead of*
        everything, until :meth:`clear`."""

    def calm(self) -> FaultOverridesBase:
        """No faults at all from now on (overrides and the configured plan alike), until
        :meth:`clear`."""
        return self.use(dict(CALM_PLAN))

    def profile(self, name: str) -> FaultOverridesBase:
        """The named profile (``calm``, ``linear-observed``, ``storm``) in force until :meth:`clear`."""
        return self.use(name)

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
    ) -> FaultOverridesBase:
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
    ) -> FaultOverridesBase:
        """A 502/503/504 with an HTML body, before the model or after the commit."""
        rule = {"status": status, "after_commit": after_commit, "times": times, "on": on, "probability": probability}
        return self.apply({"gateway": _drop_none(rule)})

    # -- F5 ------------------------------------------------------------------------------
    def rate_limit(self, per_hour: int | None = None, *, enforce: bool = True, complexity_per_hour: int | None = None) -> FaultOverridesBase:
        """Enforce a leaky bucket of ``per_hour`` requests per key."""
        settings = _drop_none({"per_hour": per_hour, "enforce": enforce, "complexity_per_hour": complexity_per_hour})
        return self.apply({"rate_limit": settings})

    # -- F4 ------------------------------------------------------------------------------
    def read_lag(self, seconds: float = 0.0, reads: int = 0) -> FaultOverridesBase:
        """New entities stay invisible to reads and lists for ``seconds`` and/or ``reads``."""
        return self.apply({"lag": {"read_seconds": seconds, "read_count": reads}})

    def search_lag(
        self,
        seconds: float = 0.0,
        searches: int = 0,
        *,
        new_team_window: float | None = None,
        new_team_extra: float | None = None,
    ) -> FaultOverridesBase:
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
    ) -> FaultOverridesBase:
        """``connection_reset``, ``read_timeout`` or ``truncated_body``."""
        rule = {"kind": kind, "times": times, "on": on, "probability": probability, "after_commit": after_commit}
        return self.apply({"transport": _drop_none(rule)})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.plan.to_dict()!r})"


class FaultOverrides(FaultOverridesBase):
    """The in-process override handle over one :class:`FaultConfig` (``fake.faults``)."""

    def __init__(self, config: FaultConfig) -> None:
        self._config = config

    @property
    def plan(self) -> FaultPlan:
        """The plan in force (configured plan + overrides); a copy."""
        return self._config.plan.copy()

    def apply(self, plan: FaultPlan | dict[str, Any]) -> FaultOverrides:
        """Merge a plan or its dict form (``{"phantom_conflict": {"first": 3}}``)."""
        self._config.add(plan)
        return self

    def clear(self) -> FaultOverrides:
        """Drop every override (and their state); back to the configured plan."""
        self._config.clear()
        return self

    def use(self, plan: FaultPlan | dict[str, Any] | str) -> FaultOverrides:
        """Put ``plan`` in force instead of everything, until :meth:`clear`."""
        self._config.replace(plan)
        return self

