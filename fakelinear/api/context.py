"""The per-request execution context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakelinear.api.visibility import Visibility
from fakelinear.model.workspace import Workspace


@dataclass(slots=True)
class Ctx:
    """What a request runs against: the key's workspace, the visibility policy (lag), an
    optional execution budget (see ``fakelinear.api.budget``) and the request's time."""

    workspace: Workspace
    visibility: Visibility
    now: float = 0.0
    budget: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def charge(self, items: int) -> None:
        """Count ``items`` result objects against the request's budget, if any."""
        if self.budget is not None:
            self.budget.charge(items)
