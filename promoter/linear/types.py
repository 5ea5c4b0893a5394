"""Frozen dataclasses for the Linear entities the client returns.

Each ``from_node`` builds the value from a GraphQL node as selected by
:mod:`promoter.linear.operations`; timestamps stay ISO strings, as Linear sends them, since
callers compare and display them rather than compute with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = [
    "Viewer",
    "Team",
    "WorkflowState",
    "Issue",
    "Project",
    "Document",
    "Label",
    "Comment",
    "IssueRelation",
    "Page",
]


def _sub_id(node: dict[str, Any], key: str) -> str | None:
    sub = node.get(key)
    return sub.get("id") if isinstance(sub, dict) else None


@dataclass(frozen=True)
class Viewer:
    """The user the key belongs to, and its organization."""

    id: str
    name: str | None = None
    email: str | None = None
    organization_id: str | None = None
    organization_name: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Viewer:
        org = node.get("organization") or {}
        return cls(
            id=node["id"],
            name=node.get("name"),
            email=node.get("email"),
            organization_id=org.get("id"),
            organization_name=org.get("name"),
        )


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    key: str
    archived_at: str | None = None
    created_at: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Team:
        return cls(
            id=node["id"],
            name=node.get("name") or "",
            key=node.get("key") or "",
            archived_at=node.get("archivedAt"),
            created_at=node.get("createdAt"),
        )


@dataclass(frozen=True)
class WorkflowState:
    id: str
    name: str
    type: str
    position: float | None = None
    team_id: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> WorkflowState:
        return cls(
            id=node["id"],
            name=node.get("name") or "",
            type=node.get("type") or "",
            position=node.get("position"),
            team_id=_sub_id(node, "team"),
        )


@dataclass(frozen=True)
class Issue:
    id: str
    identifier: str
    title: str
    description: str | None = None
    team_id: str | None = None
    state_id: str | None = None
    state_type: str | None = None
    state_name: str | None = None
    archived_at: str | None = None
    trashed: bool | None = None
    created_at: str | None = None
    url: str | None = None
    priority: float | None = None
    project_id: str | None = None
    label_ids: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Issue:
        state = node.get("state") or {}
        labels = (node.get("labels") or {}).get("nodes") or []
        return cls(
            id=node["id"],
            identifier=node.get("identifier") or "",
            title=node.get("title") or "",
            description=node.get("description"),
            team_id=_sub_id(node, "team"),
            state_id=state.get("id"),
            state_type=state.get("type"),
            state_name=state.get("name"),
            archived_at=node.get("archivedAt"),
            trashed=node.get("trashed"),
            created_at=node.get("createdAt"),
            url=node.get("url"),
            priority=node.get("priority"),
            project_id=_sub_id(node, "project"),
            label_ids=tuple(label["id"] for label in labels if isinstance(label, dict)),
        )


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    archived_at: str | None = None
    trashed: bool | None = None
    created_at: str | None = None
    team_ids: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Project:
        teams = (node.get("teams") or {}).get("nodes") or []
        return cls(
            id=node["id"],
            name=node.get("name") or "",
            archived_at=node.get("archivedAt"),
            trashed=node.get("trashed"),
            created_at=node.get("createdAt"),
            team_ids=tuple(t["id"] for t in teams if isinstance(t, dict)),
        )


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    content: str | None = None
    project_id: str | None = None
    archived_at: str | None = None
    trashed: bool | None = None
    created_at: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Document:
        return cls(
            id=node["id"],
            title=node.get("title") or "",
            content=node.get("content"),
            project_id=_sub_id(node, "project"),
            archived_at=node.get("archivedAt"),
            trashed=node.get("trashed"),
            created_at=node.get("createdAt"),
        )


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    color: str | None = None
    team_id: str | None = None
    archived_at: str | None = None
    created_at: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Label:
        return cls(
            id=node["id"],
            name=node.get("name") or "",
            color=node.get("color"),
            team_id=_sub_id(node, "team"),
            archived_at=node.get("archivedAt"),
            created_at=node.get("createdAt"),
        )


@dataclass(frozen=True)
class Comment:
    id: str
    body: str
    issue_id: str | None = None
    created_at: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Comment:
        return cls(
            id=node["id"],
            body=node.get("body") or "",
            issue_id=_sub_id(node, "issue"),
            created_at=node.get("createdAt"),
        )


@dataclass(frozen=True)
class IssueRelation:
    id: str
    type: str
    issue_id: str | None = None
    related_issue_id: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> IssueRelation:
        return cls(
            id=node["id"],
            type=node.get("type") or "",
            issue_id=_sub_id(node, "issue"),
            related_issue_id=_sub_id(node, "relatedIssue"),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a Relay connection."""

    nodes: tuple[T, ...]
    has_next_page: bool = False
    end_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @classmethod
    def from_connection(cls, conn: dict[str, Any], build: Callable[[dict[str, Any]], T]) -> Page[T]:
        info = conn.get("pageInfo") or {}
        return cls(
            nodes=tuple(build(n) for n in conn.get("nodes") or []),
            has_next_page=bool(info.get("hasNextPage")),
            end_cursor=info.get("endCursor"),
        )
