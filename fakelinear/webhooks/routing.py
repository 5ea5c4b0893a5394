"""Which webhooks a committed change goes to.

A webhook receives a change when it is enabled, lists the change's kind in
``resourceTypes`` and its scope covers the record:

* a team webhook (``teamId``): records of that team, found through ``teamId`` /
  ``teamIds``, or through the issue or project the record belongs to (a comment on an
  issue of the team, an attachment, a reaction ...);
* an all-public-teams webhook: records of any team that is not private, and records that
  belong to no team (workspace-wide labels, users, documents outside projects ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fakelinear.model.workspace import Change, Workspace

#: Keys through which a record belongs to another record that has a team.
_PARENT_KEYS = ("issueId", "projectId", "commentId", "cycleId", "parentId")


def team_ids(ws: Workspace, record: dict[str, Any], batch: dict[str, dict[str, Any]],
             depth: int = 0) -> set[str] | None:
    """The teams a record belongs to; None when it belongs to no team."""
    teams: set[str] = set()
    if record.get("teamId"):
        teams.add(record["teamId"])
    for team_id in record.get("teamIds") or ():
        teams.add(team_id)
    if teams or depth >= 3:
        return teams or None
    for key in _PARENT_KEYS:
        parent_id = record.get(key)
        if not parent_id:
            continue
        parent = ws.find(parent_id) or batch.get(parent_id)
        if parent is not None:
            found = team_ids(ws, parent, batch, depth + 1)
            if found:
                return found
    return None


def _public(ws: Workspace, team_id: str) -> bool:
    team = ws.store.get("Team", team_id)
    return team is not None and not team.get("private")


def subscribers(ws: Workspace, change: Change, webhooks: Iterable[dict[str, Any]],
                batch: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The webhooks (records) that should receive ``change``."""
    out = []
    scope: set[str] | None = None
    scoped = False
    for hook in webhooks:
        if not hook.get("enabled") or change.kind not in (hook.get("resourceTypes") or ()):
            continue
        if not scoped:
            scope, scoped = team_ids(ws, change.record, batch), True
        if hook.get("teamId"):
            covered = scope is not None and hook["teamId"] in scope
        else:
            covered = bool(hook.get("allPublicTeams")) and (
                scope is None or any(_public(ws, t) for t in scope)
            )
        if covered:
            out.append(hook)
    return out
