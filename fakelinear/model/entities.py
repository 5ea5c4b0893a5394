"""Plain entity records. Attributes are snake_case versions of Linear's field names so the
API layer can map ``fieldName`` to ``field_name`` mechanically. Times are epoch floats."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

# Workflow states every new team gets: (name, type, color).
DEFAULT_STATES: tuple[tuple[str, str, str], ...] = (
    ("Backlog", "backlog", "#bec2c8"),
    ("Todo", "unstarted", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"),
    ("Done", "completed", "#5e6ad2"),
    ("Canceled", "canceled", "#95a2b3"),
)

RELATION_TYPES = ("blocks", "duplicate", "related", "similar")


@dataclass(slots=True, eq=False)
class Entity:
    """Fields every Linear entity has."""

    kind: ClassVar[str] = "Entity"
    id: str
    created_at: float
    updated_at: float
    archived_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able copy (lists copied)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, list) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


@dataclass(slots=True, eq=False)
class Organization(Entity):
    """The workspace's organization (one per workspace)."""

    kind: ClassVar[str] = "Organization"
    name: str = ""
    url_key: str = ""


@dataclass(slots=True, eq=False)
class User(Entity):
    """A workspace member; the first one is the API key's viewer."""

    kind: ClassVar[str] = "User"
    name: str = ""
    display_name: str = ""
    email: str = ""
    active: bool = True
    admin: bool = False


@dataclass(slots=True, eq=False)
class Team(Entity):
    """A team: unique key (1-5 upper-case letters/digits); deleting it archives it."""

    kind: ClassVar[str] = "Team"
    name: str = ""
    key: str = ""
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    private: bool = False
    issue_count: int = 0  # last issue number handed out: numbers are never reused
    state_ids: list[str] = field(default_factory=list)
    deleted_at: float | None = None  # set by teamDelete; purge 30 days later


@dataclass(slots=True, eq=False)
class WorkflowState(Entity):
    """One of a team's workflow states (created with the team)."""

    kind: ClassVar[str] = "WorkflowState"
    name: str = ""
    type: str = ""
    color: str = ""
    position: float = 0.0
    team_id: str = ""
    description: str | None = None


@dataclass(slots=True, eq=False)
class Issue(Entity):
    """An issue, identified as ``KEY-N`` (per-team numbers are never reused); deletes trash it."""

    kind: ClassVar[str] = "Issue"
    team_id: str = ""
    number: int = 0
    identifier: str = ""
    title: str = ""
    description: str | None = None
    priority: int = 0
    state_id: str = ""
    label_ids: list[str] = field(default_factory=list)
    project_id: str | None = None
    parent_id: str | None = None
    assignee_id: str | None = None
    creator_id: str | None = None
    estimate: int | None = None
    sort_order: float = 0.0
    trashed: bool | None = None
    deleted_at: float | None = None  # set when trashed; purge 30 days later
    url: str = ""


@dataclass(slots=True, eq=False)
class Project(Entity):
    """A project across one or more teams; deletes trash it."""

    kind: ClassVar[str] = "Project"
    name: str = ""
    description: str = ""
    content: str | None = None
    color: str = "#bec2c8"
    icon: str | None = None
    priority: int = 0
    team_ids: list[str] = field(default_factory=list)
    lead_id: str | None = None
    creator_id: str | None = None
    slug_id: str = ""
    trashed: bool | None = None
    deleted_at: float | None = None
    url: str = ""


@dataclass(slots=True, eq=False)
class Document(Entity):
    """A document, optionally in a project; deletes trash it."""

    kind: ClassVar[str] = "Document"
    title: str = ""
    content: str | None = None
    icon: str | None = None
    color: str | None = None
    project_id: str | None = None
    team_id: str | None = None
    issue_id: str | None = None
    creator_id: str | None = None
    slug_id: str = ""
    trashed: bool | None = None
    deleted_at: float | None = None
    url: str = ""


@dataclass(slots=True, eq=False)
class IssueLabel(Entity):
    """An issue label, team-scoped or workspace-wide (``team_id`` None); deletes are hard."""

    kind: ClassVar[str] = "IssueLabel"
    name: str = ""
    color: str = "#bec2c8"
    description: str | None = None
    team_id: str | None = None  # None: workspace-wide label
    creator_id: str | None = None


@dataclass(slots=True, eq=False)
class Comment(Entity):
    """A comment on an issue; deletes are hard."""

    kind: ClassVar[str] = "Comment"
    body: str = ""
    issue_id: str | None = None
    user_id: str | None = None
    parent_id: str | None = None
    url: str = ""


@dataclass(slots=True, eq=False)
class IssueRelation(Entity):
    """A relation between two issues (blocks, duplicate, related, similar); deletes are hard."""

    kind: ClassVar[str] = "IssueRelation"
    type: str = "related"
    issue_id: str = ""
    related_issue_id: str = ""


ENTITY_CLASSES: dict[str, type[Entity]] = {
    cls.kind: cls
    for cls in (
        Organization,
        User,
        Team,
        WorkflowState,
        Issue,
        Project,
        Document,
        IssueLabel,
        Comment,
        IssueRelation,
    )
}
