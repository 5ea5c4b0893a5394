"""Projects and documents: a name or title, a slug id and URL, and deletes that trash."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import Record
from fakelinear.model.rules.base import KindRules, check_priority, need_text
from fakelinear.model.text import slug_id, slugify

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace


class ProjectRules(KindRules):
    """A project spans one or more teams."""

    delete_mode = "trash"

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        need_text(data.get("name"), "name")
        if not data.get("teamIds"):
            raise InvalidInput("teamIds must not be empty", "A project needs at least one team.")
        self._check(data)

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "name" in changes:
            need_text(changes["name"], "name")
        if "teamIds" in changes and not changes["teamIds"]:
            raise InvalidInput("teamIds must not be empty", "A project needs at least one team.")
        self._check(changes)

    @staticmethod
    def _check(data: dict[str, Any]) -> None:
        if data.get("priority") is not None:
            data["priority"] = check_priority(data["priority"])

    def on_create(self, ws: Workspace, rec: Record) -> None:
        rec.setdefault("description", "")
        rec.setdefault("color", "#bec2c8")
        rec.setdefault("priority", 0)
        rec["slugId"] = slug_id(rec["id"])
        rec["url"] = ws.url("project", f"{slugify(rec['name'])}-{rec['slugId']}")

    def on_update(self, ws: Workspace, rec: Record, previous: dict[str, Any]) -> None:
        if "name" in previous:
            rec["url"] = ws.url("project", f"{slugify(rec['name'])}-{rec['slugId']}")


class DocumentRules(KindRules):
    """A document, optionally in a project, team or issue."""

    delete_mode = "trash"

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        need_text(data.get("title"), "title")

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "title" in changes:
            need_text(changes["title"], "title")

    def on_create(self, ws: Workspace, rec: Record) -> None:
        rec["slugId"] = slug_id(rec["id"])
        rec["url"] = ws.url("document", f"{slugify(rec['title'])}-{rec['slugId']}")

    def on_update(self, ws: Workspace, rec: Record, previous: dict[str, Any]) -> None:
        if "title" in previous:
            rec["url"] = ws.url("document", f"{slugify(rec['title'])}-{rec['slugId']}")
