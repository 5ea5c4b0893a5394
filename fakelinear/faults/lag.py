"""F4: read-after-create and search-index lag as a :class:`Visibility` policy.

Lag is judged from the entity's ``created_at`` against the fake's clock, plus per-entity
read counts, so it is deterministic on a virtual clock. Organization, users and workflow
states never lag: they come with the workspace or the team and clients need them at once.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from fakelinear.faults.plan import LagPlan

#: Entity kinds that never lag (created implicitly with a workspace or a team).
NEVER_LAG = frozenset({"Organization", "User", "WorkflowState", "ProjectStatus", "CustomerStatus"})

TeamLookup = Callable[[str], float | None]


class LagState:
    """Read/search counts per entity id (engine-owned, survives across requests)."""

    def __init__(self) -> None:
        self.reads: dict[str, int] = {}
        self.searches: dict[str, int] = {}

    def clear(self) -> None:
        """Forget every count."""
        self.reads.clear()
        self.searches.clear()


class LagVisibility:
    """The lag policy for one request (``now`` frozen at the start of the request)."""

    def __init__(
        self,
        lag: LagPlan,
        now: float,
        state: LagState,
        team_created_at: TeamLookup | None,
        setup_ids: Container[str] = (),
    ) -> None:
        self.lag = lag
        self.setup_ids = setup_ids
        self.now = now
        self.state = state
        self.team_created_at = team_created_at

    def _counted(self, counts: dict[str, int], entity_id: str, needed: int) -> bool:
        """True when the entity has already been asked for ``needed`` times; counts this ask."""
        if needed <= 0:
            return True
        seen = counts.get(entity_id, 0)
        if seen >= needed:
            return True
        counts[entity_id] = seen + 1
        return False

    def visible(self, entity: Any, purpose: str) -> bool:
        """Hidden while younger than the lag (or asked for fewer times than the count)."""
        kind = entity.get("__typename", "")
        created = entity.get("createdAt")
        if kind in NEVER_LAG or created is None:
            return True
        if entity.get("id") in self.setup_ids:
            return True  # the workspace's starting content, there before any client
        age = self.now - created
        entity_id = str(entity.get("id"))
        lag = self.lag
        if purpose == "search":
            need = max(lag.read_seconds, lag.search_seconds)
            if lag.new_team_search_extra and kind == "Issue" and self.team_created_at is not None:
                team_id = entity.get("teamId")
                team_created = self.team_created_at(team_id) if team_id else None
                if team_created is not None and created - team_created < lag.new_team_window:
                    need += lag.new_team_search_extra
            counted = self._counted(self.state.searches, entity_id, lag.search_count)
            return age >= need and counted
        counted = self._counted(self.state.reads, entity_id, lag.read_count)
        return age >= lag.read_seconds and counted
