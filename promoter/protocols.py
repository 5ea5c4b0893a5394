"""The small slices of the Linear client and of a clock that the promoter uses.

``promoter.linear.LinearClient`` satisfies :class:`LinearIssues`; tests pass in-memory fakes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Protocol


class LinearIssues(Protocol):
    """The client methods the promoter and the reconciler call."""

    def issue_create(
        self,
        team_id: str,
        title: str,
        description: str | None = None,
        id: str | None = None,
        priority: int | None = None,
        label_ids: list[str] | None = None,
        state_id: str | None = None,
        project_id: str | None = None,
    ) -> Any: ...

    def issue(self, id_or_identifier: str) -> Any: ...

    def issues(
        self,
        filter: dict[str, Any] | None = None,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Any: ...

    def iter_issues(
        self, filter: dict[str, Any] | None = None, include_archived: bool = False, page_size: int = 100
    ) -> Iterator[Any]: ...

    def relation_create(self, issue_id: str, related_issue_id: str, type: str) -> Any: ...

    def issue_update(self, id: str, **fields: Any) -> Any: ...

    def workflow_states(self, team_id: str) -> list[Any]: ...


class Clock(Protocol):
    """Time as the promoter needs it (``fakelinear.clock.VirtualClock`` fits)."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time; ``sleep`` really sleeps."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
