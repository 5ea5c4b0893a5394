"""Issues: ``KEY-N`` identifiers (per-team numbers, never reused), a workflow state of
their own team (Backlog by default), labels of their team or of the workspace, no parent
cycles, and the free plan's 250-issue limit (trashed issues keep counting)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.errors import InvalidInput
from fakelinear.model.keys import IDENTIFIER_RE
from fakelinear.model.records import Record
from fakelinear.model.rules.base import KindRules, check_priority, need_text
from fakelinear.model.rules.team import LAST_NUMBER
from fakelinear.model.text import slugify

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace


def _check_estimate(value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidInput("estimate must be an integer")


class IssueRules(KindRules):
    """See the module docstring."""

    limit = "issues"

    def lookup(self, ws: Workspace, value: str) -> str | None:
        return ws.alias("Issue", value) if IDENTIFIER_RE.match(value) else None

    def counts_toward_limit(self, rec: Record) -> bool:
        return rec.get("archivedAt") is None or bool(rec.get("trashed"))

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        team = ws.team(data.get("teamId"))
        if team.get("archivedAt") is not None:
            raise InvalidInput("Team is archived", "Cannot create issues in an archived team.")
        data["teamId"] = team["id"]
        if data.get("templateId") is None or data.get("title") is not None:
            need_text(data.get("title"), "title")
        self._check_fields(ws, team, data, None)

    def _check_fields(self, ws: Workspace, team: Record, data: dict[str, Any], issue: Record | None) -> None:
        if data.get("priority") is not None:
            data["priority"] = check_priority(data["priority"])
        if "estimate" in data:
            _check_estimate(data["estimate"])
        if data.get("stateId") is not None:
            state = ws.get("WorkflowState", data["stateId"])
            if state.get("teamId") != team["id"]:
                raise InvalidInput(
                    "stateId does not belong to the issue's team",
                    "The workflow state does not belong to the team of the issue.",
                )
        for label_id in data.get("labelIds") or ():
            label = ws.get("IssueLabel", label_id)
            if label.get("teamId") is not None and label["teamId"] != team["id"]:
                raise InvalidInput(
                    "label does not belong to the issue's team",
                    "A label from another team cannot be added to this issue.",
                )
        if data.get("parentId") is not None and issue is not None:
            cursor: Record | None = ws.issue(data["parentId"])
            while cursor is not None:
                if cursor["id"] == issue["id"]:
                    raise InvalidInput("An issue cannot be its own ancestor")
                parent = cursor.get("parentId")
                cursor = ws.store.get("Issue", parent) if parent else None

    def on_create(self, ws: Workspace, rec: Record) -> None:
        team = ws.store.get("Team", rec["teamId"])
        assert team is not None  # checked by validate_create
        number = team.get(LAST_NUMBER, 0) + 1
        team[LAST_NUMBER] = number
        if rec.get("stateId") is None:
            states = ws.team_states(team["id"])
            backlog = [s for s in states if s.get("type") == "backlog"]
            rec["stateId"] = (backlog or states)[0]["id"] if states else None
        rec.setdefault("priority", 0)
        rec.setdefault("labelIds", [])
        rec["labelIds"] = rec.get("labelIds") or []
        self._number(ws, rec, team, number)

    @staticmethod
    def _number(ws: Workspace, rec: Record, team: Record, number: int) -> None:
        identifier = f"{team['key']}-{number}"
        rec["number"] = float(number)
        rec["identifier"] = identifier
        rec["url"] = ws.url("issue", identifier, slugify(rec.get("title") or ""))
        rec.setdefault("sortOrder", float(-number))
        ws.set_alias("Issue", identifier, rec["id"])

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "title" in changes:
            need_text(changes["title"], "title")
        team = ws.team(changes["teamId"]) if changes.get("teamId") is not None else ws.team(rec["teamId"])
        if changes.get("teamId") is not None:
            changes["teamId"] = team["id"]
        self._check_fields(ws, team, changes, rec)

    def on_update(self, ws: Workspace, rec: Record, previous: dict[str, Any]) -> None:
        old_team = previous.get("teamId")
        if old_team is not None and old_team != rec["teamId"]:
            # Moving teams gives the issue the next number of its new team.
            team = ws.store.get("Team", rec["teamId"])
            assert team is not None
            number = team.get(LAST_NUMBER, 0) + 1
            team[LAST_NUMBER] = number
            states = ws.team_states(team["id"])
            current = ws.store.get("WorkflowState", rec.get("stateId"))
            same = [s for s in states if current is not None and s.get("type") == current.get("type")]
            changes: dict[str, Any] = {"stateId": (same or states)[0]["id"]} if states else {}
            ws.store.update(rec, changes)
            self._number(ws, rec, team, number)
        elif "title" in previous:
            rec["url"] = ws.url("issue", rec["identifier"], slugify(rec.get("title") or ""))

    def label(self, rec: Record) -> str:
        return str(rec.get("identifier") or rec["id"])
