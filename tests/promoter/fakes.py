"""An in-memory Linear for promoter unit tests (no HTTP, no fakelinear).

It records every call in ``calls`` and can inject: create errors, commit-then-fail gateway
errors, phantom conflicts (nothing created), read-after-create lag counted in reads, real
duplicate-id conflicts (an issue with that id exists), and poison: every create whose body
contains ``poison`` fails as Linear answers an oversized body (413, invalid input).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from promoter.linear.errors import (
    ConflictOnInsertError,
    GatewayError,
    InvalidInputError,
    LinearError,
    NotFoundError,
)
from promoter.linear.types import Issue, IssueRelation, Page, WorkflowState


def conflict(issue_id: str) -> ConflictOnInsertError:
    return ConflictOnInsertError(
        "conflict on insert of Issue",
        "Issue",
        issue_id,
        status=200,
        code="INPUT_ERROR",
        extensions={"userPresentableMessage": f"Entity Issue with id {issue_id} already exists."},
    )


class FakeClient:
    """Just enough of ``LinearClient`` for the promoter and the reconciler."""

    def __init__(self, team_id: str = "team-1", key: str = "ENG") -> None:
        self.team_id = team_id
        self.key = key
        self.issues_by_id: dict[str, Issue] = {}
        self.relations: list[tuple[str, str, str]] = []
        self.calls: list[str] = []
        self._n = itertools.count(1)
        self._t = itertools.count(1)
        self.fail_creates: list[LinearError] = []  # raised before anything is written
        self.commit_then_fail = 0  # creates that commit, then raise a 502
        self.phantoms = 0  # creates that raise conflict without writing
        self.read_lag: dict[str, int] = {}  # issue id -> reads that still miss it
        self.lag_reads = 0  # lag (in reads) given to every new issue
        self.fail_reads: list[LinearError] = []  # raised by issues()/iter_issues
        self.truncate_pages = False
        self.poison: str | None = None  # creates whose body contains it fail like a 413
        self.states = [
            WorkflowState("st-todo", "Todo", "unstarted", 1.0, team_id),
            WorkflowState("st-canceled", "Canceled", "canceled", 5.0, team_id),
        ]

    # -- helpers -------------------------------------------------------------------------

    @property
    def creates(self) -> int:
        return self.calls.count("issue_create")

    def live(self) -> list[Issue]:
        return [i for i in self.issues_by_id.values() if not i.trashed and not i.archived_at]

    def add_issue(self, description: str, *, id: str | None = None, title: str = "t",
                  created_at: str | None = None, **kw: Any) -> Issue:
        n = next(self._n)
        issue = Issue(
            id=id or str(uuid.uuid4()),
            identifier=f"{self.key}-{n}",
            title=title,
            description=description,
            team_id=self.team_id,
            state_id="st-todo",
            state_type="unstarted",
            created_at=created_at or f"2026-01-01T00:00:{next(self._t):02d}.000Z",
            **kw,
        )
        self.issues_by_id[issue.id] = issue
        return issue

    # -- client surface -------------------------------------------------------------------

    def issue_create(self, team_id: str, title: str, description: str | None = None,
                     id: str | None = None, priority: int | None = None,
                     label_ids: list[str] | None = None, state_id: str | None = None,
                     project_id: str | None = None) -> Issue:
        self.calls.append("issue_create")
        assert team_id == self.team_id
        if self.fail_creates:
            raise self.fail_creates.pop(0)
        if self.poison is not None and self.poison in (description or ""):
            raise InvalidInputError("Request body exceeds the limit of 1048576 bytes.", status=413,
                                    code="PAYLOAD_TOO_LARGE")
        if self.phantoms > 0:
            self.phantoms -= 1
            raise conflict(id or str(uuid.uuid4()))
        if id is not None and id in self.issues_by_id:
            raise conflict(id)
        issue = self.add_issue(description or "", id=id, title=title,
                               label_ids=tuple(label_ids or ()))
        if self.lag_reads:
            self.read_lag[issue.id] = self.lag_reads
        if self.commit_then_fail > 0:
            self.commit_then_fail -= 1
            raise GatewayError(502, True)
        return issue

    def issue(self, id_or_identifier: str) -> Issue:
        self.calls.append("issue")
        issue = self.issues_by_id.get(id_or_identifier)
        if issue is None:
            issue = next((i for i in self.issues_by_id.values()
                          if i.identifier == id_or_identifier), None)
        if issue is not None and self.read_lag.get(issue.id, 0) > 0:
            self.read_lag[issue.id] -= 1
            issue = None
        if issue is None:
            raise NotFoundError("Entity not found: Issue", code="NOT_FOUND")
        return issue

    def issues(self, filter: dict | None = None, first: int = 50, after: str | None = None,
               include_archived: bool = False) -> Page[Issue]:
        self.calls.append("issues")
        if self.fail_reads:
            raise self.fail_reads.pop(0)
        allx = [i for i in self.issues_by_id.values()
                if include_archived or (not i.trashed and not i.archived_at)]
        start = int(after or 0)
        chunk = allx[start:start + first]
        more = start + first < len(allx)
        cursor = None if self.truncate_pages else str(start + first)
        return Page(nodes=tuple(chunk), has_next_page=more, end_cursor=cursor)

    def iter_issues(self, filter: dict | None = None, include_archived: bool = False,
                    page_size: int = 100) -> Iterator[Issue]:
        after = None
        while True:
            page = self.issues(filter, page_size, after, include_archived)
            yield from page.nodes
            if not page.has_next_page or not page.end_cursor:
                return
            after = page.end_cursor

    def relation_create(self, issue_id: str, related_issue_id: str, type: str) -> IssueRelation:
        self.calls.append("relation_create")
        self.relations.append((issue_id, related_issue_id, type))
        return IssueRelation(id=str(uuid.uuid4()), type=type, issue_id=issue_id,
                             related_issue_id=related_issue_id)

    def issue_update(self, id: str, **fields: Any) -> Issue:
        self.calls.append("issue_update")
        issue = self.issues_by_id[id]
        if "state_id" in fields:
            st = next(s for s in self.states if s.id == fields["state_id"])
            issue = replace(issue, state_id=st.id, state_type=st.type, state_name=st.name)
        self.issues_by_id[id] = issue
        return issue

    def team(self, id_or_key: str) -> Any:
        self.calls.append("team")
        if id_or_key not in (self.team_id, self.key):
            raise NotFoundError("Entity not found: Team", code="NOT_FOUND")
        from promoter.linear.types import Team

        return Team(id=self.team_id, name="Engineering", key=self.key)

    def workflow_states(self, team_id: str) -> list[WorkflowState]:
        self.calls.append("workflow_states")
        return list(self.states)


class StepClock:
    """A virtual clock for unit tests (sleep advances it)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class LockedClient:
    """A replica's own handle on a shared :class:`FakeClient` (calls serialized like a server)."""

    _lock = __import__("threading").Lock()

    def __init__(self, backend: FakeClient) -> None:
        self.backend = backend

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.backend, name)
        if not callable(target):
            return target

        def call(*a: Any, **kw: Any) -> Any:
            with LockedClient._lock:
                return target(*a, **kw)

        return call
