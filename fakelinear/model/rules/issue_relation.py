"""Issue relations (blocks, duplicate, related, similar) between two different issues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.errors import InvalidInput
from fakelinear.model.rules.base import KindRules

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace

RELATION_TYPES = ("blocks", "duplicate", "related", "similar")


class IssueRelationRules(KindRules):
    """See the module docstring."""

    delete_mode = "hard"

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        if data.get("type") not in RELATION_TYPES:
            raise InvalidInput(f"invalid relation type {data.get('type')!r}")
        issue = ws.issue(data.get("issueId"))
        related = ws.issue(data.get("relatedIssueId"))
        if issue["id"] == related["id"]:
            raise InvalidInput("An issue cannot be related to itself")
        data["issueId"], data["relatedIssueId"] = issue["id"], related["id"]
