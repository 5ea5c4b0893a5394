"""One Linear workspace: its organization, users, teams, issues and the rest.

Not thread-safe: the handler serializes every call with one lock. Every write validates
first and mutates last, so an error never leaves a half-written state; every committed
write bumps :attr:`Workspace.last_sync_id` by one.

Delete semantics (DESIGN.md §3), with the choices made where Linear's behaviour is thin:

* ``issueDelete`` trashes (``trashed=True``, ``archivedAt`` set); ``permanently=True``
  removes the issue at once. ``projectDelete`` and ``documentDelete`` trash. ``teamDelete``
  archives the team (and so hides its issues from lists).
* Trashed/archived entities stay readable by id (Linear returns them with ``archivedAt``)
  and are hidden from lists unless ``includeArchived``. They are purged 30 days after
  deletion; after that (or after a permanent delete) reads give ``Entity not found``.
* Deleting an already trashed/archived entity succeeds again and returns it unchanged
  (idempotent). Labels, comments and relations are removed at once, so a second delete
  of those answers ``Entity not found``.
* Plan limits (free): 250 issues that are not archived (trashed ones count until purged)
  and 2 teams (archived teams count until purged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fakelinear.model.entities import (
    DEFAULT_STATES,
    ENTITY_CLASSES,
    RELATION_TYPES,
    Comment,
    Document,
    Entity,
    Issue,
    IssueLabel,
    IssueRelation,
    Organization,
    Project,
    Team,
    User,
    WorkflowState,
)
from fakelinear.model.errors import AlreadyExists, InvalidInput, NotFound, UsageLimitExceeded
from fakelinear.model.keys import IDENTIFIER_RE, KEY_RE, is_uuid, key_candidates

PURGE_AFTER = 30 * 24 * 3600.0
PLAN_LIMITS: dict[str, dict[str, int | None]] = {
    "free": {"issues": 250, "teams": 2},
    "unlimited": {"issues": None, "teams": None},
}
_KINDS = tuple(ENTITY_CLASSES)
_ISSUE_CREATE_FIELDS = frozenset({
    "team_id", "title", "description", "priority", "state_id", "label_ids",
    "project_id", "parent_id", "assignee_id", "estimate", "id", "sort_order",
})


class IdRegistry:
    """Model-wide id index (Linear ids are global primary keys): id -> workspace id."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.owner: dict[str, str] = {}
        self._new_id = new_id

    def new_id(self) -> str:
        """A fresh id that is not in use."""
        while True:
            candidate = self._new_id()
            if candidate not in self.owner:
                return candidate


class Workspace:
    """State of one workspace. See the module docstring for semantics; not thread-safe."""

    def __init__(
        self,
        *,
        id: str,  # noqa: A002 - Linear's field name
        name: str,
        url_key: str,
        plan: str,
        clock: Any,
        registry: IdRegistry,
        created_at: float,
    ) -> None:
        if plan not in PLAN_LIMITS:
            raise InvalidInput(f"unknown plan {plan!r}")
        self.id = id
        self.name = name
        self.url_key = url_key
        self.plan = plan
        self.clock = clock
        self.last_sync_id = 1000
        self.created_at = created_at
        self._registry = registry
        self.viewer_id = ""
        self.organization: Organization = Organization(
            id=id, created_at=created_at, updated_at=created_at, name=name, url_key=url_key
        )
        self.store: dict[str, dict[str, Entity]] = {k: {} for k in _KINDS if k != "Organization"}
        self._identifiers: dict[str, str] = {}
        self._team_keys: dict[str, str] = {}
        self._pending_purge: dict[str, str] = {}  # id -> kind
        registry.owner[id] = id

    # ------------------------------------------------------------------ helpers
    def _now(self) -> float:
        return float(self.clock.now())

    def _commit(self) -> None:
        self.last_sync_id += 1

    def _add(self, entity: Entity) -> None:
        self.store[entity.kind][entity.id] = entity
        self._registry.owner[entity.id] = self.id

    def _remove(self, entity: Entity) -> None:
        self.store[entity.kind].pop(entity.id, None)
        self._registry.owner.pop(entity.id, None)
        self._pending_purge.pop(entity.id, None)

    def _check_id(self, kind: str, requested: Any) -> str | None:
        """Validate a client-supplied id (F2). Ids are only generated after every check
        passed (:meth:`_id_or_new`), so a rejected write does not move the id stream."""
        if requested is None:
            return None
        if not isinstance(requested, str) or not is_uuid(requested):
            raise InvalidInput("id must be a UUID", "The provided id is not a valid UUID.")
        if requested in self._registry.owner:
            raise AlreadyExists(kind, requested)
        return requested

    def _id_or_new(self, checked: str | None) -> str:
        return checked if checked is not None else self._registry.new_id()

    def _url(self, *parts: str) -> str:
        return "https://linear.app/" + "/".join((self.url_key, *parts))

    def _get(self, kind: str, entity_id: Any) -> Any:
        if not isinstance(entity_id, str):
            raise NotFound(kind)
        entity = self.store[kind].get(entity_id)
        if entity is None:
            raise NotFound(kind)
        return entity

    @staticmethod
    def _need_text(value: Any, field: str, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise InvalidInput(f"{field} must be a non-empty string", f"The {field} is required.")
        return value

    @staticmethod
    def _check_priority(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput("priority must be an integer")
        if value < 0:
            raise InvalidInput("priority must not be less than 0")
        if value > 4:
            raise InvalidInput("priority must not be greater than 4")
        return value

    # ------------------------------------------------------------------ generic reads
    def get(self, kind: str, entity_id: str) -> Any:
        """Any entity of ``kind`` by id (archived/trashed included); NotFound otherwise."""
        if kind == "Organization":
            if entity_id != self.organization.id:
                raise NotFound(kind)
            return self.organization
        return self._get(kind, entity_id)

    def find(self, entity_id: str) -> Entity | None:
        """The entity with this id in this workspace, of any kind, or None."""
        for table in self.store.values():
            entity = table.get(entity_id)
            if entity is not None:
                return entity
        return None

    def all(self, kind: str) -> list[Any]:
        """Every entity of ``kind`` (archived/trashed included), oldest first."""
        return list(self.store[kind].values())

    def is_archived(self, entity: Entity) -> bool:
        """Hidden from lists unless includeArchived: own archivedAt, or an archived team."""
        if entity.archived_at is not None:
            return True
        team_id = getattr(entity, "team_id", None)
        if team_id and isinstance(entity, Issue | WorkflowState | IssueLabel):
            team = self.store["Team"].get(team_id)
            return team is not None and team.archived_at is not None
        return False

    def list(self, kind: str, include_archived: bool = False) -> list[Any]:
        """Entities of ``kind`` for a list, oldest first."""
        values: Iterable[Any] = self.store[kind].values()
        if include_archived:
            return list(values)
        return [e for e in values if not self.is_archived(e)]

    # ------------------------------------------------------------------ users
    @property
    def viewer(self) -> User:
        """The user the workspace's API key belongs to."""
        return self.store["User"][self.viewer_id]

    def add_user(self, name: str, email: str, *, admin: bool = False) -> User:
        """Add a member (setup helper, not an API mutation; still bumps lastSyncId)."""
        now = self._now()
        display = name.split()[0].lower() if name.split() else name
        user = User(
            id=self._registry.new_id(), created_at=now, updated_at=now, name=name,
            display_name=display, email=email, admin=admin,
        )
        self._add(user)
        if not self.viewer_id:
            self.viewer_id = user.id
        self._commit()
        return user

    # ------------------------------------------------------------------ limits and purge
    def purge_expired(self, now: float | None = None) -> int:
        """Remove entities deleted more than 30 days ago; returns how many were purged."""
        if not self._pending_purge:
            return 0
        now = self._now() if now is None else now
        purged = 0
        for entity_id, kind in list(self._pending_purge.items()):
            entity = self.store[kind].get(entity_id)
            if entity is None:
                self._pending_purge.pop(entity_id, None)
                continue
            deleted_at = getattr(entity, "deleted_at", None)
            if deleted_at is None or now - deleted_at < PURGE_AFTER:
                continue
            purged += 1
            if kind == "Team":
                self._purge_team(entity)
            elif kind == "Issue":
                self._hard_delete_issue(entity)
            else:
                self._remove(entity)
                if kind == "Project":
                    for issue in self.store["Issue"].values():
                        if issue.project_id == entity_id:
                            issue.project_id = None
        return purged

    def _purge_team(self, team: Team) -> None:
        for issue in [i for i in self.store["Issue"].values() if i.team_id == team.id]:
            self._hard_delete_issue(issue)
        for state_id in team.state_ids:
            state = self.store["WorkflowState"].get(state_id)
            if state is not None:
                self._remove(state)
        for label in [lb for lb in self.store["IssueLabel"].values() if lb.team_id == team.id]:
            self._remove(label)
        self._team_keys.pop(team.key, None)
        self._remove(team)

    def issue_count_for_limit(self) -> int:
        """Issues counting against the plan: not archived, or trashed (until purged)."""
        return sum(1 for i in self.store["Issue"].values() if i.archived_at is None or i.trashed)

    def team_count_for_limit(self) -> int:
        """Teams counting against the plan: all of them until purged."""
        return len(self.store["Team"])

    def _check_issue_limit(self, adding: int) -> None:
        limit = PLAN_LIMITS[self.plan]["issues"]
        if limit is not None and self.issue_count_for_limit() + adding > limit:
            raise UsageLimitExceeded(
                f"You've reached the limit of {limit} issues on the free plan. "
                "Upgrade to create more issues."
            )

    def _check_team_limit(self) -> None:
        limit = PLAN_LIMITS[self.plan]["teams"]
        if limit is not None and self.team_count_for_limit() + 1 > limit:
            raise UsageLimitExceeded(
                f"You've reached the limit of {limit} teams on the free plan. "
                "Upgrade to create more teams."
            )

    # ------------------------------------------------------------------ teams
    def team(self, id_or_key: str) -> Team:
        """A team by id or key (archived included)."""
        if isinstance(id_or_key, str):
            team_id = self._team_keys.get(id_or_key.upper(), id_or_key)
            team = self.store["Team"].get(team_id)
            if team is not None:
                return team
        raise NotFound("Team")

    def _validate_key(self, key: Any, *, exclude: str | None = None) -> str:
        if not isinstance(key, str):
            raise InvalidInput("key must be a string")
        key = key.upper()
        if not KEY_RE.match(key):
            raise InvalidInput(
                "key must be 1-5 letters or digits",
                "Team key must be between 1 and 5 letters or numbers.",
            )
        owner = self._team_keys.get(key)
        if owner is not None and owner != exclude:
            raise InvalidInput("Team key already in use", f"The key {key} is already in use.")
        return key

    def create_team(
        self,
        name: str,
        key: str | None = None,
        *,
        id: str | None = None,  # noqa: A002
        description: str | None = None,
        color: str | None = None,
        icon: str | None = None,
        private: bool | None = None,
    ) -> Team:
        """teamCreate: a team with its five workflow states."""
        self.purge_expired()
        name = self._need_text(name, "name")
        checked_id = self._check_id("Team", id)
        if key is None:
            key = next(k for k in key_candidates(name) if k not in self._team_keys)
        key = self._validate_key(key)
        self._check_team_limit()
        team_id = self._id_or_new(checked_id)
        now = self._now()
        team = Team(
            id=team_id, created_at=now, updated_at=now, name=name, key=key,
            description=description, color=color or "#5e6ad2", icon=icon, private=bool(private),
        )
        states = [
            WorkflowState(
                id=self._registry.new_id(), created_at=now, updated_at=now, name=s_name,
                type=s_type, color=s_color, position=float(pos), team_id=team_id,
            )
            for pos, (s_name, s_type, s_color) in enumerate(DEFAULT_STATES)
        ]
        self._add(team)
        for state in states:
            self._add(state)
            team.state_ids.append(state.id)
        self._team_keys[key] = team_id
        self._commit()
        return team

    def update_team(self, team_id: str, changes: dict[str, Any]) -> Team:
        """teamUpdate with snake_case ``changes`` (name, key, description, color, icon, private)."""
        team = self.team(team_id)
        allowed = {"name", "key", "description", "color", "icon", "private"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"unsupported fields: {sorted(unknown)}")
        if "name" in changes:
            self._need_text(changes["name"], "name")
        new_key = team.key
        if changes.get("key") is not None:
            new_key = self._validate_key(changes["key"], exclude=team.id)
        for attr in ("name", "description", "color", "icon"):
            if attr in changes and not (attr == "name" and changes[attr] is None):
                setattr(team, attr, changes[attr])
        if changes.get("private") is not None:
            team.private = bool(changes["private"])
        if new_key != team.key:
            # Linear renames identifiers when a key changes (old ones keep resolving).
            self._team_keys.pop(team.key, None)
            self._team_keys[new_key] = team.id
            team.key = new_key
            for issue in self.store["Issue"].values():
                if issue.team_id == team.id:
                    issue.identifier = f"{new_key}-{issue.number}"
                    self._identifiers[issue.identifier] = issue.id
                    issue.url = self._url("issue", issue.identifier, _slugify(issue.title))
        team.updated_at = self._now()
        self._commit()
        return team

    def delete_team(self, team_id: str) -> Team:
        """teamDelete: archives the team (idempotent); it still counts until purged."""
        self.purge_expired()
        team = self.team(team_id)
        if team.archived_at is None:
            now = self._now()
            team.archived_at = now
            team.deleted_at = now
            team.updated_at = now
            self._pending_purge[team.id] = "Team"
        self._commit()
        return team

    def unarchive_team(self, team_id: str) -> Team:
        """teamUnarchive: restores an archived team."""
        team = self.team(team_id)
        team.archived_at = None
        team.deleted_at = None
        team.updated_at = self._now()
        self._pending_purge.pop(team.id, None)
        self._commit()
        return team

    def workflow_states(self, team_id: str | None = None) -> list[WorkflowState]:
        """States of one team (or all), by team then position."""
        if team_id is not None:
            team = self.team(team_id)
            return [self.store["WorkflowState"][s] for s in team.state_ids]
        return list(self.store["WorkflowState"].values())

    # ------------------------------------------------------------------ issues
    def issue(self, id_or_identifier: str) -> Issue:
        """An issue by UUID or ``KEY-N`` identifier (trashed/archived included)."""
        if isinstance(id_or_identifier, str):
            issue = self.store["Issue"].get(id_or_identifier)
            if issue is not None:
                return issue
            if IDENTIFIER_RE.match(id_or_identifier):
                issue_id = self._identifiers.get(id_or_identifier.upper())
                if issue_id is not None and issue_id in self.store["Issue"]:
                    return self.store["Issue"][issue_id]
        raise NotFound("Issue")

    def _resolve_issue_refs(self, team: Team, data: dict[str, Any], issue: Issue | None) -> dict[str, Any]:
        """Validate the reference fields of an issue create/update; returns resolved values."""
        out: dict[str, Any] = {}
        if data.get("state_id") is not None:
            state = self._get("WorkflowState", data["state_id"])
            if state.team_id != team.id:
                raise InvalidInput(
                    "stateId does not belong to the issue's team",
                    "The workflow state does not belong to the team of the issue.",
                )
            out["state_id"] = state.id
        if "label_ids" in data and data["label_ids"] is not None:
            out["label_ids"] = self._check_labels(team, data["label_ids"])
        if data.get("project_id") is not None:
            out["project_id"] = self._get("Project", data["project_id"]).id
        if data.get("parent_id") is not None:
            parent = self.issue(data["parent_id"])
            if issue is not None:
                cursor: Issue | None = parent
                while cursor is not None:
                    if cursor.id == issue.id:
                        raise InvalidInput("An issue cannot be its own ancestor")
                    cursor = self.store["Issue"].get(cursor.parent_id) if cursor.parent_id else None
            out["parent_id"] = parent.id
        if data.get("assignee_id") is not None:
            out["assignee_id"] = self._get("User", data["assignee_id"]).id
        if data.get("priority") is not None:
            out["priority"] = self._check_priority(data["priority"])
        if "estimate" in data and data["estimate"] is not None:
            if isinstance(data["estimate"], bool) or not isinstance(data["estimate"], int):
                raise InvalidInput("estimate must be an integer")
            out["estimate"] = data["estimate"]
        return out

    def _check_labels(self, team: Team, label_ids: Any) -> list[str]:
        if not isinstance(label_ids, list):
            raise InvalidInput("labelIds must be a list")
        out: list[str] = []
        for label_id in label_ids:
            label = self._get("IssueLabel", label_id)
            if label.team_id is not None and label.team_id != team.id:
                raise InvalidInput(
                    "label does not belong to the issue's team",
                    "A label from another team cannot be added to this issue.",
                )
            if label.id not in out:
                out.append(label.id)
        return out

    def _prepare_issue(self, data: dict[str, Any], now: float, reserved: set[str]) -> tuple[Issue, Team]:
        """Validate one issue create and build it (not yet stored)."""
        unknown = data.keys() - _ISSUE_CREATE_FIELDS
        if unknown:
            raise InvalidInput(f"unsupported fields: {sorted(unknown)}")
        team = self.team(data.get("team_id"))  # type: ignore[arg-type]
        if team.archived_at is not None:
            raise InvalidInput("Team is archived", "Cannot create issues in an archived team.")
        title = self._need_text(data.get("title"), "title")
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            raise InvalidInput("description must be a string")
        issue_id = self._check_id("Issue", data.get("id"))
        if issue_id is not None and issue_id in reserved:
            raise AlreadyExists("Issue", issue_id)
        refs = self._resolve_issue_refs(team, data, None)
        state_id = refs.get("state_id") or team.state_ids[0]  # Backlog by default
        issue = Issue(
            id=issue_id or "", created_at=now, updated_at=now, team_id=team.id, title=title,
            description=description, priority=refs.get("priority", 0), state_id=state_id,
            label_ids=refs.get("label_ids", []), project_id=refs.get("project_id"),
            parent_id=refs.get("parent_id"), assignee_id=refs.get("assignee_id"),
            creator_id=self.viewer_id or None, estimate=refs.get("estimate"),
        )
        return issue, team

    def _store_issue(self, issue: Issue, team: Team) -> None:
        issue.id = self._id_or_new(issue.id or None)
        team.issue_count += 1
        issue.number = team.issue_count
        issue.identifier = f"{team.key}-{issue.number}"
        issue.url = self._url("issue", issue.identifier, _slugify(issue.title))
        issue.sort_order = float(-issue.number)
        self._identifiers[issue.identifier] = issue.id
        self._add(issue)

    def create_issue(self, **data: Any) -> Issue:
        """issueCreate; keyword names are snake_case input fields (team_id, title, ...)."""
        self.purge_expired()
        issue, team = self._prepare_issue(data, self._now(), set())
        self._check_issue_limit(1)
        self._store_issue(issue, team)
        self._commit()
        return issue

    def create_issues(self, items: list[dict[str, Any]]) -> list[Issue]:
        """issueBatchCreate: all or nothing, one lastSyncId bump."""
        self.purge_expired()
        if not items:
            raise InvalidInput("issues must not be empty")
        if len(items) > 50:
            raise InvalidInput("issues must contain no more than 50 elements")
        now = self._now()
        reserved: set[str] = set()
        prepared: list[tuple[Issue, Team]] = []
        for data in items:
            issue, team = self._prepare_issue(data, now, reserved)
            if issue.id:
                reserved.add(issue.id)
            prepared.append((issue, team))
        self._check_issue_limit(len(prepared))
        for issue, team in prepared:
            self._store_issue(issue, team)
        self._commit()
        return [issue for issue, _ in prepared]

    def update_issue(self, id_or_identifier: str, changes: dict[str, Any]) -> Issue:
        """issueUpdate with snake_case ``changes``; a present ``None`` clears nullable fields."""
        self.purge_expired()
        issue = self.issue(id_or_identifier)
        allowed = {
            "title", "description", "priority", "state_id", "label_ids", "added_label_ids",
            "removed_label_ids", "project_id", "parent_id", "assignee_id", "estimate",
            "team_id", "trashed", "sort_order",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"unsupported fields: {sorted(unknown)}")
        team = self.team(issue.team_id)
        new_team = team
        if changes.get("team_id") is not None:
            new_team = self.team(changes["team_id"])
            if new_team.archived_at is not None:
                raise InvalidInput("Team is archived", "Cannot move issues to an archived team.")
        if "title" in changes and changes["title"] is not None:
            self._need_text(changes["title"], "title")
        refs = self._resolve_issue_refs(new_team, changes, issue)
        labels = list(refs.get("label_ids", issue.label_ids))
        if changes.get("added_label_ids"):
            for label_id in self._check_labels(new_team, changes["added_label_ids"]):
                if label_id not in labels:
                    labels.append(label_id)
        if changes.get("removed_label_ids"):
            removed = set(self._check_labels(new_team, changes["removed_label_ids"]))
            labels = [lb for lb in labels if lb not in removed]
        if new_team is not team and "label_ids" not in refs:
            labels = self._check_labels(new_team, [
                lb for lb in labels if self.store["IssueLabel"][lb].team_id is None
            ])
        trashed = changes.get("trashed")
        if trashed is False and issue.trashed:
            self._check_issue_limit(0)
        # -- all checks passed: mutate
        now = self._now()
        if "title" in changes and changes["title"] is not None:
            issue.title = changes["title"]
        if "description" in changes:
            issue.description = changes["description"]
        for attr in ("priority", "estimate"):
            if attr in refs:
                setattr(issue, attr, refs[attr])
            elif attr in changes and changes[attr] is None and attr == "estimate":
                issue.estimate = None
        for attr in ("project_id", "parent_id", "assignee_id"):
            if attr in refs:
                setattr(issue, attr, refs[attr])
            elif attr in changes and changes[attr] is None:
                setattr(issue, attr, None)
        issue.label_ids = labels
        if new_team is not team:
            new_team.issue_count += 1
            issue.team_id = new_team.id
            issue.number = new_team.issue_count
            issue.identifier = f"{new_team.key}-{issue.number}"
            issue.url = self._url("issue", issue.identifier, _slugify(issue.title))
            self._identifiers[issue.identifier] = issue.id  # the old identifier keeps resolving
            if "state_id" not in refs:
                old_state = self.store["WorkflowState"][issue.state_id]
                issue.state_id = next(
                    (s for s in new_team.state_ids
                     if self.store["WorkflowState"][s].type == old_state.type),
                    new_team.state_ids[0],
                )
        if "state_id" in refs:
            issue.state_id = refs["state_id"]
        if changes.get("sort_order") is not None:
            issue.sort_order = float(changes["sort_order"])
        if trashed is True and not issue.trashed:
            self._trash_issue(issue, now)
        elif trashed is False and issue.trashed:
            self._restore_issue(issue)
        issue.updated_at = now
        self._commit()
        return issue

    def _trash_issue(self, issue: Issue, now: float) -> None:
        issue.trashed = True
        issue.archived_at = now
        issue.deleted_at = now
        self._pending_purge[issue.id] = "Issue"

    def _restore_issue(self, issue: Issue) -> None:
        issue.trashed = None
        issue.archived_at = None
        issue.deleted_at = None
        self._pending_purge.pop(issue.id, None)

    def archive_issue(self, id_or_identifier: str, trash: bool = False) -> Issue:
        """issueArchive (``trash=True`` trashes instead); idempotent."""
        self.purge_expired()
        issue = self.issue(id_or_identifier)
        now = self._now()
        if trash:
            if not issue.trashed:
                self._trash_issue(issue, now)
        elif issue.archived_at is None:
            issue.archived_at = now
        issue.updated_at = now
        self._commit()
        return issue

    def unarchive_issue(self, id_or_identifier: str) -> Issue:
        """issueUnarchive: restores an archived or trashed issue."""
        self.purge_expired()
        issue = self.issue(id_or_identifier)
        if issue.archived_at is not None and not issue.trashed:
            self._check_issue_limit(1)
        if self.store["Team"][issue.team_id].archived_at is not None:
            raise InvalidInput("Team is archived", "Unarchive the team first.")
        self._restore_issue(issue)
        issue.updated_at = self._now()
        self._commit()
        return issue

    def delete_issue(self, id_or_identifier: str, permanently: bool = False) -> Issue:
        """issueDelete: trash (idempotent), or remove at once when ``permanently``."""
        self.purge_expired()
        issue = self.issue(id_or_identifier)
        now = self._now()
        if permanently:
            self._hard_delete_issue(issue)
            issue.archived_at = issue.archived_at or now
            issue.trashed = True
        elif not issue.trashed:
            self._trash_issue(issue, now)
            issue.updated_at = now
        self._commit()
        return issue

    def _hard_delete_issue(self, issue: Issue) -> None:
        # Identifiers stay reserved (numbers are never reused) but stop resolving.
        for ident, issue_id in list(self._identifiers.items()):
            if issue_id == issue.id:
                del self._identifiers[ident]
        for child in self.store["Issue"].values():
            if child.parent_id == issue.id:
                child.parent_id = None
        for comment in [c for c in self.store["Comment"].values() if c.issue_id == issue.id]:
            self._remove(comment)
        for rel in [
            r for r in self.store["IssueRelation"].values()
            if issue.id in (r.issue_id, r.related_issue_id)
        ]:
            self._remove(rel)
        self._remove(issue)

    # ------------------------------------------------------------------ projects
    def project(self, project_id: str) -> Project:
        """A project by id (trashed included)."""
        return self._get("Project", project_id)

    def _check_team_ids(self, team_ids: Any) -> list[str]:
        if not isinstance(team_ids, list) or not team_ids:
            raise InvalidInput("teamIds must contain at least one team", "A project needs a team.")
        out: list[str] = []
        for team_id in team_ids:
            team = self.team(team_id)
            if team.id not in out:
                out.append(team.id)
        return out

    def create_project(
        self,
        name: str,
        team_ids: list[str],
        *,
        id: str | None = None,  # noqa: A002
        description: str | None = None,
        content: str | None = None,
        color: str | None = None,
        icon: str | None = None,
        priority: int | None = None,
        lead_id: str | None = None,
    ) -> Project:
        """projectCreate."""
        self.purge_expired()
        name = self._need_text(name, "name")
        checked_id = self._check_id("Project", id)
        teams = self._check_team_ids(team_ids)
        if priority is not None:
            self._check_priority(priority)
        if lead_id is not None:
            self._get("User", lead_id)
        project_id = self._id_or_new(checked_id)
        now = self._now()
        slug = project_id.replace("-", "")[:12]
        project = Project(
            id=project_id, created_at=now, updated_at=now, name=name,
            description=description or "", content=content, color=color or "#bec2c8",
            icon=icon, priority=priority or 0, team_ids=teams, lead_id=lead_id,
            creator_id=self.viewer_id or None, slug_id=slug,
        )
        project.url = self._url("project", f"{_slugify(name)}-{slug}")
        self._add(project)
        self._commit()
        return project

    def update_project(self, project_id: str, changes: dict[str, Any]) -> Project:
        """projectUpdate with snake_case ``changes``."""
        self.purge_expired()
        project = self.project(project_id)
        allowed = {"name", "description", "content", "color", "icon", "priority", "team_ids",
                   "lead_id", "trashed"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"unsupported fields: {sorted(unknown)}")
        if changes.get("name") is not None:
            self._need_text(changes["name"], "name")
        teams = self._check_team_ids(changes["team_ids"]) if changes.get("team_ids") is not None else None
        if changes.get("priority") is not None:
            self._check_priority(changes["priority"])
        if changes.get("lead_id") is not None:
            self._get("User", changes["lead_id"])
        now = self._now()
        for attr in ("name", "description", "color", "priority"):
            if changes.get(attr) is not None:
                setattr(project, attr, changes[attr])
        for attr in ("content", "icon", "lead_id"):
            if attr in changes:
                setattr(project, attr, changes[attr])
        if teams is not None:
            project.team_ids = teams
        if changes.get("trashed") is True:
            self._trash(project, now)
        elif changes.get("trashed") is False:
            self._untrash(project)
        project.updated_at = now
        self._commit()
        return project

    def _trash(self, entity: Project | Document, now: float) -> None:
        if not entity.trashed:
            entity.trashed = True
            entity.archived_at = now
            entity.deleted_at = now
            self._pending_purge[entity.id] = entity.kind

    def _untrash(self, entity: Project | Document) -> None:
        entity.trashed = None
        entity.archived_at = None
        entity.deleted_at = None
        self._pending_purge.pop(entity.id, None)

    def _trash_committed(self, entity: Project | Document) -> None:
        """The delete of projectDelete/documentDelete: trash (idempotent), touch, commit."""
        now = self._now()
        self._trash(entity, now)
        entity.updated_at = now
        self._commit()

    def _untrash_committed(self, entity: Project | Document) -> None:
        """The unarchive of projects and documents: restore, touch, commit."""
        self._untrash(entity)
        entity.updated_at = self._now()
        self._commit()

    def delete_project(self, project_id: str) -> Project:
        """projectDelete: trashes (idempotent)."""
        self.purge_expired()
        project = self.project(project_id)
        self._trash_committed(project)
        return project

    def unarchive_project(self, project_id: str) -> Project:
        """projectUnarchive: restores a trashed/archived project."""
        self.purge_expired()
        project = self.project(project_id)
        self._untrash_committed(project)
        return project

    # ------------------------------------------------------------------ documents
    def document(self, document_id: str) -> Document:
        """A document by id (trashed included)."""
        return self._get("Document", document_id)

    def _document_refs(self, data: dict[str, Any]) -> None:
        if data.get("project_id") is not None:
            self.project(data["project_id"])
        if data.get("team_id") is not None:
            self.team(data["team_id"])
        if data.get("issue_id") is not None:
            data["issue_id"] = self.issue(data["issue_id"]).id

    def create_document(
        self,
        title: str,
        *,
        content: str | None = None,
        project_id: str | None = None,
        team_id: str | None = None,
        issue_id: str | None = None,
        id: str | None = None,  # noqa: A002
        icon: str | None = None,
        color: str | None = None,
    ) -> Document:
        """documentCreate."""
        self.purge_expired()
        title = self._need_text(title, "title")
        checked_id = self._check_id("Document", id)
        refs = {"project_id": project_id, "team_id": team_id, "issue_id": issue_id}
        self._document_refs(refs)
        if team_id is not None:
            team_id = self.team(team_id).id
        document_id = self._id_or_new(checked_id)
        now = self._now()
        slug = document_id.replace("-", "")[:12]
        document = Document(
            id=document_id, created_at=now, updated_at=now, title=title, content=content,
            icon=icon, color=color, project_id=project_id, team_id=team_id,
            issue_id=refs["issue_id"], creator_id=self.viewer_id or None, slug_id=slug,
        )
        document.url = self._url("document", f"{_slugify(title)}-{slug}")
        self._add(document)
        self._commit()
        return document

    def update_document(self, document_id: str, changes: dict[str, Any]) -> Document:
        """documentUpdate with snake_case ``changes``."""
        self.purge_expired()
        document = self.document(document_id)
        allowed = {"title", "content", "icon", "color", "project_id", "team_id", "issue_id",
                   "trashed"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"unsupported fields: {sorted(unknown)}")
        if changes.get("title") is not None:
            self._need_text(changes["title"], "title")
        refs = {k: changes[k] for k in ("project_id", "team_id", "issue_id") if k in changes}
        self._document_refs(refs)
        if refs.get("team_id") is not None:
            refs["team_id"] = self.team(refs["team_id"]).id
        now = self._now()
        if changes.get("title") is not None:
            document.title = changes["title"]
        for attr in ("content", "icon", "color"):
            if attr in changes:
                setattr(document, attr, changes[attr])
        for attr, value in refs.items():
            setattr(document, attr, value)
        if changes.get("trashed") is True:
            self._trash(document, now)
        elif changes.get("trashed") is False:
            self._untrash(document)
        document.updated_at = now
        self._commit()
        return document

    def delete_document(self, document_id: str) -> Document:
        """documentDelete: trashes (idempotent)."""
        self.purge_expired()
        document = self.document(document_id)
        self._trash_committed(document)
        return document

    def unarchive_document(self, document_id: str) -> Document:
        """documentUnarchive."""
        self.purge_expired()
        document = self.document(document_id)
        self._untrash_committed(document)
        return document

    # ------------------------------------------------------------------ labels
    def label(self, label_id: str) -> IssueLabel:
        """An issue label by id."""
        return self._get("IssueLabel", label_id)

    def create_label(
        self,
        name: str,
        *,
        team_id: str | None = None,
        color: str | None = None,
        description: str | None = None,
        id: str | None = None,  # noqa: A002
    ) -> IssueLabel:
        """issueLabelCreate: a team label, or workspace-wide when ``team_id`` is None."""
        self.purge_expired()
        name = self._need_text(name, "name")
        checked_id = self._check_id("IssueLabel", id)
        if team_id is not None:
            team_id = self.team(team_id).id
        for other in self.store["IssueLabel"].values():
            same_scope = other.team_id is None or team_id is None or other.team_id == team_id
            if same_scope and other.name.lower() == name.lower():
                raise InvalidInput(
                    "duplicate label name", f"A label named {name} already exists."
                )
        label_id = self._id_or_new(checked_id)
        now = self._now()
        label = IssueLabel(
            id=label_id, created_at=now, updated_at=now, name=name, color=color or "#bec2c8",
            description=description, team_id=team_id, creator_id=self.viewer_id or None,
        )
        self._add(label)
        self._commit()
        return label

    def delete_label(self, label_id: str) -> str:
        """issueLabelDelete: removes the label and takes it off every issue."""
        label = self.label(label_id)
        for issue in self.store["Issue"].values():
            if label.id in issue.label_ids:
                issue.label_ids = [lb for lb in issue.label_ids if lb != label.id]
        self._remove(label)
        self._commit()
        return label.id

    # ------------------------------------------------------------------ comments
    def comment(self, comment_id: str) -> Comment:
        """A comment by id."""
        return self._get("Comment", comment_id)

    def create_comment(
        self,
        issue_id: str | None,
        body: str,
        *,
        id: str | None = None,  # noqa: A002
        parent_id: str | None = None,
    ) -> Comment:
        """commentCreate on an issue."""
        self.purge_expired()
        body = self._need_text(body, "body")
        checked_id = self._check_id("Comment", id)
        if issue_id is None:
            raise InvalidInput("issueId is required", "A comment needs an issue.")
        issue = self.issue(issue_id)
        if parent_id is not None:
            parent = self.comment(parent_id)
            if parent.issue_id != issue.id:
                raise InvalidInput("parent comment belongs to another issue")
        comment_id = self._id_or_new(checked_id)
        now = self._now()
        comment = Comment(
            id=comment_id, created_at=now, updated_at=now, body=body, issue_id=issue.id,
            user_id=self.viewer_id or None, parent_id=parent_id,
        )
        comment.url = f"{issue.url}#comment-{comment_id[:8]}"
        self._add(comment)
        self._commit()
        return comment

    def delete_comment(self, comment_id: str) -> str:
        """commentDelete: removes the comment (and its replies)."""
        comment = self.comment(comment_id)
        for reply in [c for c in self.store["Comment"].values() if c.parent_id == comment.id]:
            self._remove(reply)
        self._remove(comment)
        self._commit()
        return comment.id

    # ------------------------------------------------------------------ relations
    def relation(self, relation_id: str) -> IssueRelation:
        """An issue relation by id."""
        return self._get("IssueRelation", relation_id)

    def create_relation(
        self,
        issue_id: str,
        related_issue_id: str,
        type: str,  # noqa: A002
        *,
        id: str | None = None,  # noqa: A002
    ) -> IssueRelation:
        """issueRelationCreate (blocks, duplicate, related, similar)."""
        self.purge_expired()
        checked_id = self._check_id("IssueRelation", id)
        if type not in RELATION_TYPES:
            raise InvalidInput(f"invalid relation type {type!r}")
        issue = self.issue(issue_id)
        related = self.issue(related_issue_id)
        if issue.id == related.id:
            raise InvalidInput("An issue cannot be related to itself")
        relation_id = self._id_or_new(checked_id)
        now = self._now()
        relation = IssueRelation(
            id=relation_id, created_at=now, updated_at=now, type=type, issue_id=issue.id,
            related_issue_id=related.id,
        )
        self._add(relation)
        self._commit()
        return relation

    def delete_relation(self, relation_id: str) -> str:
        """issueRelationDelete: removes the relation."""
        relation = self.relation(relation_id)
        self._remove(relation)
        self._commit()
        return relation.id

    # ------------------------------------------------------------------ snapshot
    def to_dict(self) -> dict[str, Any]:
        """JSON-able state of this workspace."""
        return {
            "id": self.id,
            "name": self.name,
            "url_key": self.url_key,
            "plan": self.plan,
            "created_at": self.created_at,
            "last_sync_id": self.last_sync_id,
            "viewer_id": self.viewer_id,
            "organization": self.organization.to_dict(),
            "entities": {
                kind: [e.to_dict() for e in table.values()] for kind, table in self.store.items()
            },
            "identifiers": dict(self._identifiers),
            "pending_purge": dict(self._pending_purge),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], clock: Any, registry: IdRegistry) -> Workspace:
        """Inverse of :meth:`to_dict`."""
        ws = cls(
            id=data["id"], name=data["name"], url_key=data["url_key"], plan=data["plan"],
            clock=clock, registry=registry, created_at=data["created_at"],
        )
        ws.last_sync_id = data["last_sync_id"]
        ws.viewer_id = data["viewer_id"]
        ws.organization = Organization(**data["organization"])
        for kind, rows in data["entities"].items():
            entity_cls = ENTITY_CLASSES[kind]
            for row in rows:
                ws._add(entity_cls.from_dict(row))
        for team in ws.store["Team"].values():
            ws._team_keys[team.key] = team.id
        ws._identifiers = dict(data["identifiers"])
        ws._pending_purge = dict(data["pending_purge"])
        return ws


_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")


def _slugify(text: str) -> str:
    if text.isascii():
        # ASCII: lower-casing the whole text equals lower-casing char by char, the ASCII
        # alphanumerics are exactly [a-z0-9] after it, and collapsing every other run into
        # one "-" then trimming is what the split/join below does.
        return _NOT_ASCII_ALNUM.sub("-", text.lower()).strip("-")[:60] or "untitled"
    out = "".join([c.lower() if c.isalnum() else "-" for c in text])
    return "-".join([p for p in out.split("-") if p])[:60] or "untitled"
