"""The Linear client: typed errors, frozen entity types, sync and async clients.

Imports nothing from fakelinear, so the promoter can ship without the simulator.
"""

from .client import DEFAULT_URL, AsyncLinearClient, LinearClient, mask_token, resolve_url
from .errors import (
    AuthenticationError,
    ConflictOnInsertError,
    ForbiddenError,
    GatewayError,
    GraphQLValidationError,
    InvalidInputError,
    LinearError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UsageLimitError,
)
from .types import (
    Comment,
    Document,
    Issue,
    IssueRelation,
    Label,
    Page,
    Project,
    Team,
    Viewer,
    WorkflowState,
)

__all__ = [
    "DEFAULT_URL",
    "AsyncLinearClient",
    "LinearClient",
    "mask_token",
    "resolve_url",
    "AuthenticationError",
    "ConflictOnInsertError",
    "ForbiddenError",
    "GatewayError",
    "GraphQLValidationError",
    "InvalidInputError",
    "LinearError",
    "NotFoundError",
    "RateLimitedError",
    "TransportError",
    "UsageLimitError",
    "Comment",
    "Document",
    "Issue",
    "IssueRelation",
    "Label",
    "Page",
    "Project",
    "Team",
    "Viewer",
    "WorkflowState",
]
