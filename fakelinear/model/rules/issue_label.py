"""Issue labels: team-scoped or workspace-wide; names are unique (case-insensitively)
within what a team can see; deletes are hard and take the label off every issue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import Record
from fakelinear.model.rules.base import KindRules, need_text

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace


class IssueLabelRules(KindRules):
    """See the module docstring."""

    delete_mode = "hard"

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        name = need_text(data.get("name"), "name")
        team_id = ws.team(data["teamId"])["id"] if data.get("teamId") is not None else None
        self._unique(ws, name, team_id, None)

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "name" in changes:
            self._unique(ws, need_text(changes["name"], "name"), rec.get("teamId"), rec["id"])

    @staticmethod
    def _unique(ws: Workspace, name: str, team_id: str | None, exclude: str | None) -> None:
        for other in ws.store.all("IssueLabel"):
            if other["id"] == exclude:
                continue
            same_scope = other.get("teamId") is None or team_id is None or other["teamId"] == team_id
            if same_scope and str(other.get("name", "")).lower() == name.lower():
                raise InvalidInput("duplicate label name", f"A label named {name} already exists.")

    def on_create(self, ws: Workspace, rec: Record) -> None:
        rec.setdefault("color", "#bec2c8")
