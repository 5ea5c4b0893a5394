"""Teams: a unique key (1-5 letters or digits), five workflow states from birth, and a
delete that archives (the team keeps counting against the free plan until purged)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.errors import InvalidInput
from fakelinear.model.keys import KEY_RE, key_candidates
from fakelinear.model.records import TYPENAME, Record
from fakelinear.model.rules.base import KindRules, need_text
from fakelinear.model.text import slugify

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace

#: Workflow states every new team gets: (name, type, color).
DEFAULT_STATES: tuple[tuple[str, str, str], ...] = (
    ("Backlog", "backlog", "#bec2c8"),
    ("Todo", "unstarted", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"),
    ("Done", "completed", "#5e6ad2"),
    ("Canceled", "canceled", "#95a2b3"),
)
#: Internal key: the last issue number handed out (numbers are never reused).
LAST_NUMBER = "_lastIssueNumber"


def validate_key(ws: Workspace, key: Any, exclude: str | None = None) -> str:
    """An upper-cased, well-formed key no other team uses."""
    if not isinstance(key, str):
        raise InvalidInput("key must be a string")
    key = key.upper()
    if not KEY_RE.match(key):
        raise InvalidInput(
            "key must be 1-5 letters or digits",
            "Team key must be between 1 and 5 letters or numbers.",
        )
    owner = ws.alias("Team", key)
    if owner is not None and owner != exclude and ws.store.get("Team", owner) is not None:
        raise InvalidInput("Team key already in use", f"The key {key} is already in use.")
    return key


class TeamRules(KindRules):
    """See the module docstring."""

    delete_mode = "archive"
    limit = "teams"

    def lookup(self, ws: Workspace, value: str) -> str | None:
        return ws.alias("Team", value)

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        need_text(data.get("name"), "name")
        key = data.get("key")
        if key is None:
            key = next(k for k in key_candidates(data["name"]) if ws.alias("Team", k) is None)
        data["key"] = validate_key(ws, key)

    def on_create(self, ws: Workspace, rec: Record) -> None:
        rec.setdefault("color", "#5e6ad2")
        rec.setdefault("private", False)
        rec[LAST_NUMBER] = 0
        for position, (name, state_type, color) in enumerate(DEFAULT_STATES):
            ws.insert(ws.new_record("WorkflowState", {
                "name": name, "type": state_type, "color": color, "position": float(position),
                "teamId": rec["id"],
            }))
        ws.set_alias("Team", rec["key"], rec["id"])

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "name" in changes:
            need_text(changes["name"], "name")
        if changes.get("key") is not None:
            changes["key"] = validate_key(ws, changes["key"], exclude=rec["id"])

    def on_update(self, ws: Workspace, rec: Record, previous: dict[str, Any]) -> None:
        old_key = previous.get("key")
        if old_key is None or old_key == rec["key"]:
            return
        # Linear renames identifiers when a key changes; the old ones keep resolving.
        ws.drop_alias("Team", old_key)
        ws.set_alias("Team", rec["key"], rec["id"])
        index = ws.store.children("Issue", "teamId", rec["id"])
        for issue in list(ws.store.records_of("Issue", index.forward())) if index else ():
            identifier = f"{rec['key']}-{int(issue['number'])}"
            ws.set_alias("Issue", identifier, issue["id"])
            ws.store.update(issue, {
                "identifier": identifier,
                "url": ws.url("issue", identifier, slugify(issue.get("title") or "")),
            })

    def on_remove(self, ws: Workspace, rec: Record) -> None:
        # A purged team takes its labels with it (the label's team ref is nullable).
        index = ws.store.children("IssueLabel", "teamId", rec["id"])
        for label in list(ws.store.records_of("IssueLabel", index.forward())) if index else ():
            ws._remove(label)
        ws.drop_alias("Team", rec["key"])

    def label(self, rec: Record) -> str:
        return f"{rec[TYPENAME]} {rec['key']}"
