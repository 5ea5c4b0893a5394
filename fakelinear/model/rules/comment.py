"""Comments: a body on an issue (or another commentable thing); replies stay on their
parent's issue; deleting a comment removes its replies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import Record
from fakelinear.model.rules.base import KindRules, need_text

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace

#: Input keys naming what a comment is on; one of them is required.
TARGETS = ("issueId", "projectUpdateId", "initiativeUpdateId", "documentContentId", "postId",
           "projectId", "initiativeId", "parentId")


class CommentRules(KindRules):
    """See the module docstring."""

    delete_mode = "hard"

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        if data.get("bodyData") is None:
            need_text(data.get("body"), "body")
        if not any(data.get(key) is not None for key in TARGETS):
            raise InvalidInput("issueId is required", "A comment needs an issue.")
        if data.get("issueId") is not None:
            data["issueId"] = ws.issue(data["issueId"])["id"]
        if data.get("parentId") is not None:
            parent = ws.get("Comment", data["parentId"])
            if data.get("issueId") is None:
                data["issueId"] = parent.get("issueId")
            elif parent.get("issueId") != data["issueId"]:
                raise InvalidInput("parent comment belongs to another issue")

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "body" in changes:
            need_text(changes["body"], "body")

    def on_create(self, ws: Workspace, rec: Record) -> None:
        issue = ws.store.get("Issue", rec.get("issueId"))
        if issue is not None:
            rec["url"] = f"{issue['url']}#comment-{rec['id'][:8]}"

    def on_remove(self, ws: Workspace, rec: Record) -> None:
        index = ws.store.children("Comment", "parentId", rec["id"])
        for reply in list(ws.store.records_of("Comment", index.forward())) if index else ():
            ws._remove(reply)
