"""Pure in-memory state of the fake (no HTTP, no GraphQL, no faults)."""

from fakelinear.model.entities import (
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
from fakelinear.model.errors import (
    AlreadyExists,
    InvalidInput,
    ModelError,
    NotFound,
    UsageLimitExceeded,
)
from fakelinear.model.model import Model
from fakelinear.model.workspace import PLAN_LIMITS, PURGE_AFTER, Workspace

__all__ = [
    "PLAN_LIMITS",
    "PURGE_AFTER",
    "AlreadyExists",
    "Comment",
    "Document",
    "Entity",
    "InvalidInput",
    "Issue",
    "IssueLabel",
    "IssueRelation",
    "Model",
    "ModelError",
    "NotFound",
    "Organization",
    "Project",
    "Team",
    "UsageLimitExceeded",
    "User",
    "Workspace",
    "WorkflowState",
]
